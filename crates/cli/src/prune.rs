//! `logprune prune`, `logprune verify` and `logprune merge`: prune the large random network G
//! to a subnetwork Ĝ within ε of a target model, check it, certify it and write it as a
//! ticket; check a written ticket; join the shards of a run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use logprune_construction::TicketForm;
use logprune_construction::ticket::{self, write_ticket};
use logprune_construction::{
    Accuracy, Construction, ConstructionError, DENSE_PRUNED_LIMIT, Domain, Fingerprint,
    GDistribution, Generator, LargeNetwork, LayerSink, Plan, Progress, PruneConfig, PrunedLayer,
    Report, Shard, ShardReaders, SolverKind, TicketReader, TicketSpec, ToleranceRule, export_large,
    memory, merge_into, prune_into, prune_shard, prune_with, resources, search_width,
    streamed_resources, verify_reader,
};
use logprune_network::{Activation, LoadOptions, Network, load_network, read_input_rows};

use crate::fsutil::{Contents, NewDirs, Staged, commit_with, write_streams_atomically};
use crate::graph::{Target, is_onnx, load_onnx};
use crate::progress::{Bar, Counting};

/// What `logprune prune --help` prints after the options.
pub const LONG_HELP: &str = "\
Examples:
  logprune prune --target model.safetensors --eps 0.01 --out run/
  logprune prune --target model.safetensors --eps 0.01 --inputs rows.csv --solver best-fit --out run/
  logprune prune --target model.safetensors --weight-tolerance 0.01 --construction shared-input \\
                 --solver exact --distribution uniform --neurons-per-input 42 --input-box 0,1 --out run/
  logprune prune --target model.safetensors --eps 0.01 --shard 2/8 --out shards/   # one job of an array

The target is a PyTorch `nn.Sequential` of `Linear` layers (biases allowed) saved with
`safetensors.torch.save_file(model.state_dict(), ...)`: keys `<k>.weight` of shape (out, in)
and optional `<k>.bias`, F32/F64/F16/BF16, layers ordered by the numbers in their names. ReLU
follows every hidden layer (`--hidden-activation` relu, tanh, sigmoid, ...); `--output-activation`
follows the last (default identity: logits). Biases are carried by a constant unit: Ĝ then takes
`(x, 1)`; after a tanh or sigmoid layer the unit decays (σ(1), σ(σ(1)), ...) and the next bias
column is scaled to match.

G is the construction of Section 5 of \"Logarithmic Pruning is All You Need\" (Orseau,
Hutter, Rivasplata 2020), its weights generated from `--seed` and never stored. With `--eps`,
ε_w comes from Lemma 1 with the certified F_max and the target's norms, and the run fails
(writing nothing) unless the certified bound on sup_x ‖F(x) − Ĝ(x)‖₂ and the measured maximum
error are both ≤ ε. With `--weight-tolerance T` every half of every target weight must be
within T (Pensia et al.'s setting); the network error that follows is certified and measured.

`--construction`:
  per-weight    Theorem 3 without batch sampling: every target weight owns a block of
                m = 8⌈k' ln(k'/δ_w)⌉ neurons (K with `--neurons-per-weight K`).
  recycling     Algorithm 1 of Appendix D (Theorem 30): per wrapped diagonal a window of
                m = ⌈8k' ln(k'/δ_w)⌉ neurons (K), refilled after each target weight.
  batch         Theorem 3 with batch sampling: one pool per layer of Theorem 3's M_i neurons
                (K·n_i n_{i-1}), each used by at most one target weight, first fit.
  shared-input  Pensia et al. 2020: a block of r neurons per input (default r = m, the same
                guarantee as per-weight with n_i times fewer neurons; `--neurons-per-input R`),
                each kept neuron serving every output of its column.
`--distribution`: hyperbolic (the paper's, on Theorem 3's range), uniform U[−c, c], gaussian
N(0, c²), kaiming-uniform (PyTorch's nn.Linear init with G's own fan-ins), remark15 (the
hyperbolic law capped at c/√fan_in); c is `--dist-scale` (default 1). The theorems' widths are
proven for the hyperbolic law only: the report says so for the others.

Writes, atomically (nothing on failure), into `--out DIR`:
  ticket.safetensors  Ĝ in O(kept) bytes, with G's generator, seed, distribution and widths
                      in the metadata: by default the mask alone (format version 2: per layer
                      the kept neurons' z delta-coded, their inputs and edge counts, and the
                      kept edges' outputs, each in the smallest unsigned dtype; the weights
                      are re-derived from G when read); with --store-weights also the kept
                      weights u and v (version 1, for python/logprune_ticket.py).
  report.json         ε or T, δ, ε_w, α, β, k', G's widths, kept neurons, weight errors, the
                      certificates (recurrence, Corollary 27, Lemma 1), the measured errors,
                      products consulted, timings, per-layer details.
  with --dense:       pruned.safetensors, Ĝ as a dense bias-free nn.Sequential (small Ĝ only).
  with --export-large (implies --dense): large.safetensors (G dense) and masks.safetensors
                      (0/1) such that large ⊙ masks, with its all-zero intermediate neurons
                      dropped, is exactly pruned.safetensors (G of at most 5e7 weights).
  with --shard K/N:   only shard-K-of-N.ticket.safetensors; `logprune merge` joins the shards.
`--print-resources` writes nothing: it prints what the run (or shard) needs as sbatch flags,
`--mem=<MiB>M --cpus-per-task=<threads>` (the memory estimate plus 128 MiB for the process and
the target file; the threads are RAYON_NUM_THREADS or the CPUs this process may use).

Every ticket records a fingerprint (SHA-256) of the target, the domain and the accuracy
settings; `logprune merge` and `logprune verify` refuse a ticket for another one. SIGINT and
SIGTERM stop the run at once: its temporaries are removed, --out is left as it was, and the
exit code is 130 or 143.
";

/// A construction, as the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ConstructionArg {
    /// Theorem 3 without batch sampling.
    PerWeight,
    /// Algorithm 1 of Appendix D (Theorem 30).
    Recycling,
    /// Theorem 3 with batch sampling.
    Batch,
    /// Pensia et al. 2020's layout.
    SharedInput,
}

impl From<ConstructionArg> for Construction {
    fn from(c: ConstructionArg) -> Self {
        match c {
            ConstructionArg::PerWeight => Construction::PerWeight,
            ConstructionArg::Recycling => Construction::Recycling,
            ConstructionArg::Batch => Construction::Batch,
            ConstructionArg::SharedInput => Construction::SharedInput,
        }
    }
}

/// A solver, as the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SolverArg {
    /// The golden-ratio decomposition (Lemma 9), streaming.
    GoldenRatio,
    /// Best fit (two-sided with shared-input).
    BestFit,
    /// Exact subset sum, at most 40 candidates per half.
    Exact,
}

impl From<SolverArg> for SolverKind {
    fn from(s: SolverArg) -> Self {
        match s {
            SolverArg::GoldenRatio => SolverKind::GoldenRatio,
            SolverArg::BestFit => SolverKind::BestFit,
            SolverArg::Exact => SolverKind::Exact,
        }
    }
}

/// A weight distribution of G, as the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DistributionArg {
    /// The signed hyperbolic law on Theorem 3's range.
    Hyperbolic,
    /// U[−c, c].
    Uniform,
    /// N(0, c²).
    Gaussian,
    /// PyTorch's nn.Linear init, U[±1/√fan_in].
    KaimingUniform,
    /// Remark 15: the hyperbolic law capped at c/√fan_in.
    Remark15,
}

/// A tolerance rule, as the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ToleranceRuleArg {
    /// ε_w by Lemma 1 (the paper's).
    Lemma1,
    /// ε_w such that the per-layer recurrence certificate meets ε a priori (the default).
    Recurrence,
}

/// The generator's counter layout, as the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GeneratorArg {
    /// Version 3: ARS-4x32-7, the fastest (the default).
    ArsV3,
    /// Version 2: Philox4x32-10, one block per four neurons.
    PhiloxV2,
    /// Version 1: Philox4x32-10, one block per weight.
    PhiloxV1,
}

impl From<GeneratorArg> for Generator {
    fn from(g: GeneratorArg) -> Self {
        match g {
            GeneratorArg::ArsV3 => Generator::ArsV3,
            GeneratorArg::PhiloxV2 => Generator::PhiloxV2,
            GeneratorArg::PhiloxV1 => Generator::PhiloxV1,
        }
    }
}

/// An activation as the command line names it (`relu`, `identity`, `tanh`, `sigmoid`, and
/// whatever else [`Activation`]'s parser takes); the parser's message names the choices.
fn activation(s: &str) -> Result<Activation, String> {
    s.parse::<Activation>().map_err(|e| e.to_string())
}

/// A finite number `> 0`.
fn positive(s: &str) -> Result<f64, String> {
    let x: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if x > 0.0 && x.is_finite() {
        Ok(x)
    } else {
        Err(format!("{x} is invalid: expected a finite number > 0"))
    }
}

/// A probability in `(0, 1)`.
fn probability(s: &str) -> Result<f64, String> {
    let x: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if x > 0.0 && x < 1.0 {
        Ok(x)
    } else {
        Err(format!("{x} is invalid: expected a probability 0 < δ < 1"))
    }
}

/// An integer `≥ 1`.
fn at_least_one(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("0 is invalid: expected an integer ≥ 1".to_owned()),
        Ok(x) => Ok(x),
        Err(_) => Err(format!("`{s}` is not an integer ≥ 1")),
    }
}

/// `LO,HI` with finite `LO ≤ HI`.
fn input_box(s: &str) -> Result<(f64, f64), String> {
    let (lo, hi) = s
        .split_once(',')
        .ok_or_else(|| format!("`{s}`: expected LO,HI (e.g. -1,1)"))?;
    let num = |t: &str| -> Result<f64, String> {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("`{t}` is not a finite number (expected LO,HI)"))
    };
    let (lo, hi) = (num(lo)?, num(hi)?);
    if lo > hi {
        return Err(format!("{lo} > {hi}: expected LO ≤ HI"));
    }
    Ok((lo, hi))
}

/// A size in bytes: a number with an optional suffix K, M, G or T (powers of 1024).
fn size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        Some('T' | 't') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    let x: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 4G, 512M, 1000000)"))?;
    let bytes = x * mult as f64;
    if x > 0.0 && bytes < u64::MAX as f64 {
        Ok(bytes as u64)
    } else {
        Err(format!("`{s}` is invalid: expected a size > 0 (e.g. 4G)"))
    }
}

/// `K/N` with `1 ≤ K ≤ N`.
fn shard(s: &str) -> Result<Shard, String> {
    s.parse::<Shard>().map_err(|e| e.to_string())
}

/// The target and its domain, as `prune`, `verify` and `merge` take them.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// The target model: safetensors (PyTorch nn.Sequential convention), or ONNX (`.onnx`,
    /// as `torch.onnx.export` writes it: an MLP, or a graph with convolutions, batch norm,
    /// pooling and residual adds).
    #[arg(long, value_name = "MODEL")]
    pub target: PathBuf,
    /// The input domain as a CSV of input rows (a header row is allowed): certified and
    /// measured on exactly these points.
    #[arg(long, value_name = "X.csv", conflicts_with = "input_box")]
    pub inputs: Option<PathBuf>,
    /// The input domain as the box [LO, HI]^{n_0} [default: -1,1].
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true, value_parser = input_box)]
    pub input_box: Option<(f64, f64)>,
    /// The activation after every hidden layer of a safetensors `nn.Sequential` (stored in
    /// the ticket).
    #[arg(long, value_name = "NAME", default_value = "relu", value_parser = activation)]
    pub hidden_activation: Activation,
    /// The activation after the last layer.
    #[arg(long, value_name = "NAME", default_value = "identity", value_parser = activation)]
    pub output_activation: Activation,
}

/// Arguments of `logprune prune` (the details are in [`LONG_HELP`], shown by `--help`).
#[derive(Debug, Clone, clap::Args)]
#[command(after_long_help = LONG_HELP)]
pub struct PruneArgs {
    /// The target and its domain.
    #[command(flatten)]
    pub target: TargetArgs,
    /// The accuracy ε > 0 of sup_x ‖F(x) − Ĝ(x)‖₂ ≤ ε.
    #[arg(
        long,
        value_name = "E",
        allow_hyphen_values = true,
        value_parser = positive,
        required_unless_present = "weight_tolerance",
        conflicts_with = "weight_tolerance"
    )]
    pub eps: Option<f64>,
    /// Instead of ε: every half of every target weight within T (Pensia et al.'s setting).
    #[arg(long, value_name = "T", allow_hyphen_values = true, value_parser = positive)]
    pub weight_tolerance: Option<f64>,
    /// How ε_w follows from ε: recurrence (the default: the per-layer recurrence certificate
    /// meets ε with the target's actual F_max and norms, a larger ε_w and fewer kept neurons
    /// with the same guarantee) or lemma1 (the paper's Lemma 1, as its tables use).
    #[arg(long, value_name = "RULE", value_enum, default_value = "recurrence")]
    pub tolerance_rule: ToleranceRuleArg,
    /// Also run the oracle under the other tolerance rule and report its kept neurons.
    #[arg(long)]
    pub compare_rules: bool,
    /// Bisect the width (m, the window, the pool or r) down to the smallest at which every
    /// target weight decomposes for this seed, and write the run at that width.
    #[arg(long, conflicts_with = "shard")]
    pub search_width: bool,
    /// The failure probability δ ∈ (0, 1) of Theorem 3 (sets m through δ_w = δ/(2N*)).
    #[arg(long, value_name = "D", default_value = "0.01", allow_hyphen_values = true, value_parser = probability)]
    pub delta: f64,
    /// The construction of G.
    #[arg(long, value_name = "NAME", value_enum, default_value = "per-weight")]
    pub construction: ConstructionArg,
    /// The subset-sum solver.
    #[arg(long, value_name = "NAME", value_enum, default_value = "golden-ratio")]
    pub solver: SolverArg,
    /// G's weight distribution.
    #[arg(long, value_name = "NAME", value_enum, default_value = "hyperbolic")]
    pub distribution: DistributionArg,
    /// The scale c of uniform U[−c, c], gaussian N(0, c²) and remark15's cap c/√fan_in.
    #[arg(long, value_name = "C", allow_hyphen_values = true, value_parser = positive)]
    pub dist_scale: Option<f64>,
    /// G's generator and counter layout (ars-v3, philox-v2 or philox-v1; tickets record it,
    /// and every version stays readable).
    #[arg(long, value_name = "NAME", value_enum, default_value = "ars-v3")]
    pub generator: GeneratorArg,
    /// The seed of G (and of the measured box inputs).
    #[arg(
        long,
        value_name = "S",
        default_value = "0",
        allow_hyphen_values = true
    )]
    pub seed: u64,
    /// K neurons per target weight instead of the theorem's width: the block m = K
    /// (per-weight), the window m = K (recycling), the pool K·n_i·n_{i-1} (batch).
    #[arg(long, value_name = "K", allow_hyphen_values = true, value_parser = at_least_one, conflicts_with = "neurons_per_input")]
    pub neurons_per_weight: Option<u64>,
    /// Shared-input: r neurons per input (default: the per-weight block m).
    #[arg(long, value_name = "R", allow_hyphen_values = true, value_parser = at_least_one)]
    pub neurons_per_input: Option<u64>,
    /// Scale G's width: the block, window, pool or r.
    #[arg(long, value_name = "S", default_value = "1", allow_hyphen_values = true, value_parser = positive)]
    pub width_scale: f64,
    /// The most memory the run may use, e.g. 4G [default: 3/4 of the machine's RAM]; a run
    /// whose estimate exceeds it is refused before pruning.
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub max_memory: Option<u64>,
    /// Also write Ĝ as a dense nn.Sequential (pruned.safetensors); refused before pruning
    /// when it could exceed 2 GiB.
    #[arg(long)]
    pub dense: bool,
    /// Also write G dense (large.safetensors) and the masks (masks.safetensors); implies
    /// --dense.
    #[arg(long)]
    pub export_large: bool,
    /// Graph (ONNX) targets: also write Ĝ as an ONNX model (pruned.onnx, float32, opset 17)
    /// that onnxruntime or PyTorch run directly: per linear node a conv (or Gemm) to the kept
    /// channels, ReLU, and a 1×1 conv (or Gemm) to the outputs. For a small Ĝ: refused, with
    /// the bytes, above 2 GiB of weights.
    #[arg(long)]
    pub onnx: bool,
    /// Prune only shard K of N of the work and write its partial ticket.
    #[arg(long, value_name = "K/N", value_parser = shard, conflicts_with_all = ["dense", "export_large"])]
    pub shard: Option<Shard>,
    /// Write the ticket with its kept weights (format version 1: 20 bytes per kept neuron and
    /// 16 per edge) instead of the compact default (version 2: the mask alone, typically 3 to 5
    /// bytes per neuron and 1 or 2 per edge, its weights re-derived from G when read). For
    /// readers of version 1 only; `verify` re-derives the weights from G either way.
    #[arg(long)]
    pub store_weights: bool,
    /// Print the memory and threads the run (or shard) needs, as `--mem=<MiB>M
    /// --cpus-per-task=<threads>` for sbatch, and prune nothing.
    #[arg(long, conflicts_with_all = ["dense", "export_large", "search_width"])]
    pub print_resources: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// The output directory (created if needed).
    #[arg(long, value_name = "DIR", required_unless_present = "print_resources")]
    pub out: Option<PathBuf>,
}

pub(crate) fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
}

fn check_out(out: &Path) -> Result<(), String> {
    if out.is_file() {
        return Err(format!(
            "--out {}: is a file, expected a directory",
            out.display()
        ));
    }
    Ok(())
}

/// The target network and its domain.
fn target_and_domain(a: &TargetArgs) -> Result<(Network, Domain), String> {
    match load_target(a)? {
        (Target::Chain(network), domain) => Ok((network, domain)),
        (Target::Graph(_), _) => Err(format!(
            "target {}: a graph target (convolutions, pooling or residual adds): this command takes an MLP",
            a.target.display()
        )),
    }
}

/// The target (a safetensors MLP, or an ONNX file: an MLP or a graph) and its domain.
fn load_target(a: &TargetArgs) -> Result<(Target, Domain), String> {
    let target = if is_onnx(&a.target) {
        load_onnx(a)?
    } else {
        let bytes = read(&a.target, "target")?;
        let options = LoadOptions {
            hidden_activation: a.hidden_activation,
            output_activation: a.output_activation,
        };
        Target::Chain(
            load_network(&bytes, &options)
                .map_err(|e| format!("target {}: {e}", a.target.display()))?,
        )
    };
    let n0 = match &target {
        Target::Chain(n) => n.input_width(),
        Target::Graph(g) => g.input_shape().len(),
    };
    let domain = match (&a.inputs, a.input_box) {
        (Some(path), _) => {
            let text = String::from_utf8(read(path, "inputs")?)
                .map_err(|_| format!("inputs {}: not UTF-8 text", path.display()))?;
            let rows = read_input_rows(&text, n0)
                .map_err(|e| format!("inputs {}: {e}", path.display()))?;
            Domain::points(rows).map_err(|e| format!("inputs {}: {e}", path.display()))?
        }
        (None, Some((lo, hi))) => {
            Domain::cube(n0, lo, hi).map_err(|e| format!("--input-box {lo},{hi}: {e}"))?
        }
        (None, None) => Domain::cube(n0, -1.0, 1.0).map_err(|e| e.to_string())?,
    };
    Ok((target, domain))
}

/// 3/4 of the machine's RAM (`MemTotal` of `/proc/meminfo`), if it can be read.
pub fn default_max_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024 / 4 * 3)
}

/// The configuration of `args`.
fn config_of(a: &PruneArgs) -> Result<PruneConfig, String> {
    let accuracy = match (a.eps, a.weight_tolerance) {
        (Some(eps), None) => Accuracy::Network(eps),
        (None, Some(t)) => Accuracy::WeightTolerance(t),
        _ => return Err("give exactly one of --eps and --weight-tolerance".to_owned()),
    };
    let c = a.dist_scale.unwrap_or(1.0);
    let distribution = match a.distribution {
        DistributionArg::Hyperbolic => GDistribution::Hyperbolic,
        DistributionArg::Uniform => GDistribution::Uniform { c },
        DistributionArg::Gaussian => GDistribution::Gaussian { sigma: c },
        DistributionArg::KaimingUniform => GDistribution::KaimingUniform,
        DistributionArg::Remark15 => GDistribution::Remark15 { c },
    };
    let config = PruneConfig {
        accuracy,
        tolerance_rule: match a.tolerance_rule {
            ToleranceRuleArg::Lemma1 => ToleranceRule::Lemma1,
            ToleranceRuleArg::Recurrence => ToleranceRule::Recurrence,
        },
        compare_rules: a.compare_rules,
        delta: a.delta,
        construction: a.construction.into(),
        solver: a.solver.into(),
        distribution,
        generator: a.generator.into(),
        seed: a.seed,
        neurons_per_weight: a.neurons_per_weight,
        neurons_per_input: a.neurons_per_input,
        width_scale: a.width_scale,
        w_max: None,
        max_memory: a.max_memory.or_else(default_max_memory),
    };
    config.check().map_err(|e| match e {
        ConstructionError::WidthOption { .. } => format!(
            "{e} (--neurons-per-input with --construction shared-input, --neurons-per-weight with the others)"
        ),
        e => e.to_string(),
    })?;
    Ok(config)
}

/// The refusal of a dense output before pruning: Ĝ's dense tensors could exceed
/// [`DENSE_PRUNED_LIMIT`], or G exceeds its dense-export limit.
fn dense_preflight(
    export_large: bool,
) -> impl Fn(&Plan, &LargeNetwork) -> Result<(), ConstructionError> {
    move |plan, large| {
        let bounds = memory::kept_bounds(plan, large);
        let bytes: f64 = bounds
            .iter()
            .enumerate()
            .map(|(t, b)| 8.0 * b.1 as f64 * (large.fan_in(t) + large.fan_out(t)) as f64)
            .sum();
        if bytes > DENSE_PRUNED_LIMIT {
            return Err(ConstructionError::DenseTooLarge {
                what: "--dense: the dense pruned network (bounded by k kept neurons per half)",
                bytes,
                limit: DENSE_PRUNED_LIMIT,
            });
        }
        if export_large {
            large.dense_size_check()?;
        }
        Ok(())
    }
}

/// The bytes a process needs beyond the estimate of its run ([`resources`]): the program,
/// its threads' stacks, the allocator's slack (the target file's bytes are added apart).
const PROCESS_OVERHEAD: u64 = 128 << 20;

/// `logprune prune --print-resources`: `--mem=<MiB>M --cpus-per-task=<threads>` for the run
/// or shard `args` describe, without pruning.
fn print_resources(args: &PruneArgs) -> Result<String, String> {
    let config = config_of(args)?;
    let (target, domain) = target_and_domain(&args.target)?;
    let r = resources(&target, &domain, &config, args.shard).map_err(|e| e.to_string())?;
    Ok(resources_line(&r, &args.target.target))
}

/// `--mem=<MiB>M --cpus-per-task=<threads>` for `r`, with the process's overhead and the
/// target file (read whole) added.
fn resources_line(r: &logprune_construction::Resources, target: &Path) -> String {
    let file = std::fs::metadata(target).map_or(0, |m| m.len());
    let mib = r
        .memory
        .saturating_add(PROCESS_OVERHEAD)
        .saturating_add(file)
        .div_ceil(1 << 20);
    format!("--mem={mib}M --cpus-per-task={}\n", r.threads)
}

/// A ticket file opened for reading layer by layer.
pub(crate) type FileReader = TicketReader<std::io::BufReader<std::fs::File>>;

/// Opens the ticket at `path` and reads its header ([`TicketReader`]); errors name the file.
pub(crate) fn open_ticket(path: &Path, what: &str) -> Result<FileReader, String> {
    let file = std::fs::File::open(path)
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    TicketReader::new(std::io::BufReader::with_capacity(1 << 20, file))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The ticket file in `form` as a stream, counted on `bar` as the stage `write`.
pub(crate) fn ticket_stream<'a>(
    spec: &'a logprune_construction::TicketSpec,
    pruned: &'a logprune_construction::PrunedNetwork,
    stats: &'a [logprune_construction::oracle::LayerStats],
    form: TicketForm,
    bar: &'a Bar,
) -> Contents<'a> {
    Contents::Stream(Box::new(move |w| {
        bar.start("write", ticket::ticket_data_bytes(pruned, form));
        let mut w = Counting::new(w, bar);
        write_ticket(&mut w, spec, pruned, stats, form).map_err(|e| e.to_string())
    }))
}

/// Runs `logprune prune`; returns the summary for stdout, or an error message (nothing is
/// written then).
///
/// # Errors
/// The message of what failed.
pub fn run_prune(args: &PruneArgs) -> Result<String, String> {
    if args.print_resources {
        return print_resources(args);
    }
    let out = args
        .out
        .as_deref()
        .ok_or("--out DIR is required (unless --print-resources)")?;
    check_out(out)?;
    let config = config_of(args)?;
    let form = TicketForm::of_store_weights(args.store_weights);
    let (target, domain) = match load_target(&args.target)? {
        (Target::Chain(network), domain) => (network, domain),
        (Target::Graph(graph), domain) => {
            return crate::graph::run_prune_graph(args, out, &graph, &domain, &config);
        }
    };
    let bar = Bar::new(args.quiet);
    if let Some(s) = args.shard {
        let result = prune_shard(&target, &domain, &config, s, &bar);
        bar.finish();
        let t = result.map_err(|e| e.to_string())?;
        let path = out.join(format!(
            "shard-{}-of-{}.ticket.safetensors",
            s.index, s.count
        ));
        write_streams_atomically(vec![(
            path.clone(),
            ticket_stream(&t.spec, &t.pruned, &t.stats, form, &bar),
        )])?;
        bar.finish();
        let kept: u64 = t.pruned.kept_neurons().iter().sum();
        return Ok(format!(
            "shard {s}: kept {kept} intermediate neurons; wrote {} ({})\n",
            path.display(),
            form_words(form, &path)
        ));
    }
    let dense = args.dense || args.export_large;
    if !dense {
        return run_streamed(args, out, &target, &domain, &config, &bar);
    }
    let preflight = dense_preflight(args.export_large);
    let result = if args.search_width {
        search_width(&target, &domain, &config, &bar)
    } else {
        prune_with(&target, &domain, &config, &bar, &preflight)
    };
    bar.finish();
    let mut p = result.map_err(|e| e.to_string())?;
    p.report.ticket_form = Some(form);
    let spec = p.ticket_spec();
    let mut files: Vec<(PathBuf, Contents<'_>)> = vec![
        (
            out.join("ticket.safetensors"),
            ticket_stream(&spec, &p.pruned, &p.stats, form, &bar),
        ),
        (
            out.join("report.json"),
            Contents::Bytes(p.report.to_json().map_err(|e| e.to_string())?.into_bytes()),
        ),
        (
            out.join("pruned.safetensors"),
            Contents::Bytes(
                p.pruned
                    .to_safetensors()
                    .map_err(|e| format!("--dense: {e}"))?,
            ),
        ),
    ];
    if args.export_large {
        let (large, masks) =
            export_large(&p.large, &p.pruned).map_err(|e| format!("--export-large: {e}"))?;
        files.push((out.join("large.safetensors"), Contents::Bytes(large)));
        files.push((out.join("masks.safetensors"), Contents::Bytes(masks)));
    }
    let paths: Vec<PathBuf> = files.iter().map(|f| f.0.clone()).collect();
    write_streams_atomically(files)?;
    bar.finish();
    Ok(summary(&args.target.target, &p.report, &paths))
}

/// The ticket file of a run in `form`, written as the run hands Ĝ's layers over
/// ([`logprune_construction::ticket::TicketWriter`]): staged beside its destination with a
/// spill file for the arrays narrower than 8 bytes, both created when the first layer comes (so a run that
/// fails or is stopped before has created nothing); the spill is always removed, the ticket
/// only appears when [`TicketFile::finish`]'s result is committed.
struct TicketFile {
    dest: PathBuf,
    form: TicketForm,
    /// The spec and the number of layers: given (a merge's), or from [`LayerSink::begin`].
    spec: Option<(TicketSpec, usize)>,
    staged: Option<(Staged, Staged)>,
    writer: Option<ticket::TicketWriter<std::io::BufWriter<std::fs::File>, std::fs::File>>,
}

impl LayerSink for TicketFile {
    fn begin(&mut self, plan: &Plan, large: &LargeNetwork) -> Result<(), ConstructionError> {
        if self.spec.is_none() {
            self.spec = Some((TicketSpec::of_run(plan, large, None), large.depth()));
        }
        Ok(())
    }

    fn layer(&mut self, _t: usize, layer: PrunedLayer) -> Result<(), ConstructionError> {
        if self.writer.is_none() {
            let Some((spec, depth)) = self.spec.take() else {
                return Err(ConstructionError::Ticket {
                    message: "a layer came before the run began".to_owned(),
                });
            };
            let io = |message: String| ConstructionError::Io { message };
            let (ticket, file) = Staged::open(&self.dest).map_err(io)?;
            let (spill, spill_file) =
                Staged::open(&self.dest.with_extension("spill")).map_err(io)?;
            self.writer = Some(ticket::TicketWriter::new(
                std::io::BufWriter::with_capacity(1 << 20, file),
                spill_file,
                spec,
                depth,
                self.form,
            )?);
            self.staged = Some((ticket, spill));
        }
        match &mut self.writer {
            Some(w) => w.layer(&layer),
            None => Err(ConstructionError::Ticket {
                message: "the ticket file was not opened".to_owned(),
            }),
        }
    }

    fn ticket_form(&self) -> Option<TicketForm> {
        Some(self.form)
    }
}

impl TicketFile {
    /// Finishes the file with the run's `stats` and syncs it; returns it staged, to be
    /// committed with the run's other files.
    fn finish(self, stats: &[logprune_construction::oracle::LayerStats]) -> Result<Staged, String> {
        let (Some(writer), Some((ticket, spill))) = (self.writer, self.staged) else {
            return Err("the ticket was never begun".to_owned());
        };
        let cannot = |e: String| format!("cannot write {}: {e}", ticket.path().display());
        let out = writer.finish(stats).map_err(|e| cannot(e.to_string()))?;
        let file = out
            .into_inner()
            .map_err(|e| cannot(e.into_error().to_string()))?;
        file.sync_all().map_err(|e| cannot(e.to_string()))?;
        drop(spill);
        Ok(ticket)
    }
}

/// `logprune prune` without a dense output: Ĝ streamed into the ticket layer by layer
/// ([`prune_into`]), so the run holds one layer of Ĝ at a time; then the report.
fn run_streamed(
    args: &PruneArgs,
    out: &Path,
    target: &Network,
    domain: &Domain,
    config: &PruneConfig,
    bar: &Bar,
) -> Result<String, String> {
    let ticket_path = out.join("ticket.safetensors");
    let new_dirs = NewDirs::new(out);
    let mut sink = TicketFile {
        dest: ticket_path.clone(),
        form: TicketForm::of_store_weights(args.store_weights),
        spec: None,
        staged: None,
        writer: None,
    };
    let result = prune_into(target, domain, config, bar, args.search_width, &mut sink);
    bar.finish();
    let run = result.map_err(|e| e.to_string())?;
    let ticket = sink.finish(&run.stats)?;
    let report = run.report.to_json().map_err(|e| e.to_string())?;
    let report_path = out.join("report.json");
    commit_with(
        vec![ticket],
        vec![(report_path.clone(), Contents::Bytes(report.into_bytes()))],
    )?;
    new_dirs.keep();
    Ok(summary(
        &args.target.target,
        &run.report,
        &[ticket_path, report_path],
    ))
}

/// Whether `path` is a ticket file (by its name).
pub(crate) fn is_ticket(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with("ticket.safetensors"))
}

/// What a summary says of a ticket written in `form` to `path`: the form and its size.
pub(crate) fn form_words(form: TicketForm, path: &Path) -> String {
    let what = match form {
        TicketForm::Compact => "compact ticket: the mask only, weights re-derived from G",
        TicketForm::Weights => "ticket with the kept weights (--store-weights)",
    };
    match std::fs::metadata(path) {
        Ok(m) => format!("{what}; {} bytes", m.len()),
        Err(_) => what.to_owned(),
    }
}

/// What a run prints.
fn summary(target: &Path, r: &Report, paths: &[PathBuf]) -> String {
    let mut out = String::new();
    let accuracy = match r.accuracy {
        Accuracy::Network(e) => format!("ε = {e}"),
        Accuracy::WeightTolerance(t) => format!("weight tolerance T = {t}"),
    };
    let _ = writeln!(
        out,
        "target {} ({} weights{}), domain {}, {accuracy}, δ = {}",
        target.display(),
        r.n_weights_target,
        if r.has_bias_unit {
            ", biases as a constant unit"
        } else {
            ""
        },
        r.domain,
        r.delta
    );
    let _ = writeln!(
        out,
        "ε_w = {:.4e}, k' = {:.2}, {} on {} G ({}): width parameter {}, widths M_i = {:?} (theorem: {:?}), {:.3e} weights, {:.1} neurons per target weight (per-weight at the theorem's width: {:.0})",
        r.epsilon_w,
        r.k_prime,
        r.construction,
        r.distribution,
        r.generator,
        r.neurons_per_weight,
        r.widths,
        r.widths_theorem,
        r.n_weights_large,
        r.g_neurons_per_target_weight,
        r.per_weight_neurons_per_target_weight,
    );
    let _ = writeln!(
        out,
        "kept {} intermediate neurons {:?} with {} output edges; {:.1} products consulted per target weight ({})",
        r.kept_neurons_total,
        r.kept_neurons,
        r.kept_edges_total,
        r.products_per_target_weight,
        r.solver
    );
    let _ = writeln!(
        out,
        "max |w* − ŵ±| = {:.4e}; certified sup ‖F − Ĝ‖₂ ≤ {:.4e} (Corollary 27: {:.4e}, Lemma 1: {:.4e}); measured max {:.4e} over {} inputs (literal Ĝ: {:.4e} over {})",
        r.max_weight_error(),
        r.certified_bound,
        r.certified_bound_corollary27,
        r.certified_bound_lemma1,
        r.empirical_max_error,
        r.inputs_checked,
        r.empirical_max_error_literal,
        r.literal_inputs_checked,
    );
    if let Some(s) = &r.width_search {
        let _ = writeln!(
            out,
            "width search: --{} {} (from {}; {} probes: {:?})",
            s.parameter,
            s.found,
            s.start,
            s.probes.len(),
            s.probes
        );
    }
    for rule in &r.rules {
        let _ = writeln!(
            out,
            "tolerance rule {}{}: ε_w = {:.4e}, k' = {:.2}, m = {}{}",
            rule.rule.name(),
            if rule.rule == r.tolerance_rule {
                " (this run)"
            } else {
                ""
            },
            rule.epsilon_w,
            rule.k_prime,
            rule.neurons_per_weight_theorem,
            rule.kept_neurons
                .map_or(String::new(), |k| format!(", {k} kept neurons"))
        );
    }
    for n in &r.notes {
        let _ = writeln!(out, "note: {n}");
    }
    for path in paths {
        match r.ticket_form {
            Some(form) if is_ticket(path) => {
                let _ = writeln!(out, "wrote {} ({})", path.display(), form_words(form, path));
            }
            _ => {
                let _ = writeln!(out, "wrote {}", path.display());
            }
        }
    }
    let _ = writeln!(
        out,
        "{:.2} s (plan {:.2}, prune {:.2}, check {:.2})",
        r.seconds.total, r.seconds.plan, r.seconds.prune, r.seconds.check
    );
    out
}

/// Arguments of `logprune verify`.
#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    /// The ticket to check.
    #[arg(long, value_name = "TICKET.safetensors")]
    pub ticket: PathBuf,
    /// The report the run wrote with it.
    #[arg(
        long,
        value_name = "report.json",
        required_unless_present = "print_resources"
    )]
    pub report: Option<PathBuf>,
    /// The target and its domain, as given to the run.
    #[command(flatten)]
    pub target: TargetArgs,
    /// The most memory the verification may use, e.g. 4G [default: 3/4 of the machine's
    /// RAM]; it reads the ticket a layer at a time, and is refused before reading any layer
    /// when its estimate (the largest layer and the check) exceeds this.
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub max_memory: Option<u64>,
    /// Print the memory and threads the verification needs, as `--mem=<MiB>M
    /// --cpus-per-task=<threads>` for sbatch, and verify nothing (MLP targets).
    #[arg(long)]
    pub print_resources: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// The fields of two reports that differ, as `path: a vs b` (timings excluded).
fn differences(a: &serde_json::Value, b: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                if path.is_empty() && k == "seconds" {
                    continue;
                }
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match y.get(k) {
                    Some(w) => differences(v, w, &p, out),
                    None => out.push(format!("{p}: missing from the report")),
                }
            }
            for k in y.keys() {
                let timings = path.is_empty() && k == "seconds";
                if !(x.contains_key(k) || timings) {
                    out.push(format!("{path}.{k}: not recomputed"));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                differences(v, w, &format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => out.push(format!("{path}: recomputed {a}, report says {b}")),
        _ => {}
    }
}

/// Runs `logprune verify`: every kept weight re-derived, the certificate and the measurement
/// recomputed, and the report compared field by field.
///
/// # Errors
/// What failed or differs.
pub fn run_verify(args: &VerifyArgs) -> Result<String, String> {
    let mut reader = open_ticket(&args.ticket, "ticket")?;
    let loaded = load_target(&args.target)?;
    if args.print_resources {
        let (Target::Chain(target), domain) = loaded else {
            return Err(format!(
                "--print-resources: not supported for a graph target ({}) yet; it is for an MLP target",
                args.target.target.display()
            ));
        };
        let r = streamed_resources(
            reader.spec(),
            &reader.layer_sizes(),
            false,
            &target,
            &domain,
        )
        .map_err(|e| format!("{}: {e}", args.ticket.display()))?;
        return Ok(resources_line(&r, &args.target.target));
    }
    let report_path = args
        .report
        .as_deref()
        .ok_or("--report is required (unless --print-resources)")?;
    let report: serde_json::Value = serde_json::from_slice(&read(report_path, "report")?)
        .map_err(|e| format!("{}: not JSON: {e}", report_path.display()))?;
    let (form, fingerprinted) = (reader.form(), reader.spec().fingerprint.is_some());
    let (recomputed, value) = match loaded {
        (Target::Graph(graph), domain) => {
            // A graph's check measures the literal Ĝ through the whole graph: the ticket is
            // read whole.
            let ticket = reader
                .read_all()
                .map_err(|e| format!("{}: {e}", args.ticket.display()))?;
            let r = crate::graph::verify_graph(&ticket, &args.ticket, &graph, &domain, args.quiet)?;
            let value = serde_json::to_value(&r).map_err(|e| e.to_string())?;
            (Summary::of_graph(&r), value)
        }
        (Target::Chain(target), domain) => {
            let bar = Bar::new(args.quiet);
            let max_memory = args.max_memory.or_else(default_max_memory);
            let result = verify_reader(&mut reader, &target, &domain, max_memory, &bar);
            bar.finish();
            let r = result.map_err(|e| format!("{}: {e}", args.ticket.display()))?;
            let value = serde_json::to_value(&r).map_err(|e| e.to_string())?;
            (Summary::of_chain(&r), value)
        }
    };
    let mut value = value;
    // A report written before tickets had two forms names none: its ticket has the weights.
    if report.get("ticket_form").is_none()
        && form == TicketForm::Weights
        && let Some(v) = value.as_object_mut()
    {
        v.remove("ticket_form");
    }
    let mut diffs = Vec::new();
    differences(&value, &report, "", &mut diffs);
    if !diffs.is_empty() {
        return Err(format!(
            "{} does not match {}: {} field(s) differ:\n  {}",
            args.ticket.display(),
            report_path.display(),
            diffs.len(),
            diffs.join("\n  ")
        ));
    }
    let fingerprint = if fingerprinted {
        "its fingerprint matches the target and domain; ".to_owned()
    } else {
        format!("note: the ticket {NO_FINGERPRINT}\n")
    };
    Ok(format!(
        "{fingerprint}verified {} ({} ticket): {} kept weights re-derived from G ({}, seed {}); certified sup ‖F − Ĝ‖₂ ≤ {:.4e}, measured max {:.4e} over {} inputs; every field of {} matches\n",
        args.ticket.display(),
        form,
        recomputed.weights_verified,
        recomputed.generator,
        recomputed.seed,
        recomputed.certified_bound,
        recomputed.empirical_max_error,
        recomputed.inputs_checked,
        report_path.display()
    ))
}

/// What `logprune verify` prints of a recomputed report.
struct Summary {
    weights_verified: u64,
    generator: Generator,
    seed: u64,
    certified_bound: f64,
    empirical_max_error: f64,
    inputs_checked: u64,
}

impl Summary {
    fn of_chain(r: &Report) -> Self {
        Summary {
            weights_verified: r.weights_verified,
            generator: r.generator,
            seed: r.seed,
            certified_bound: r.certified_bound,
            empirical_max_error: r.empirical_max_error,
            inputs_checked: r.inputs_checked,
        }
    }

    fn of_graph(r: &logprune_construction::GraphReport) -> Self {
        Summary {
            weights_verified: r.weights_verified,
            generator: r.generator,
            seed: r.seed,
            certified_bound: r.certified_bound,
            empirical_max_error: r.empirical_max_error,
            inputs_checked: r.inputs_checked,
        }
    }
}

/// Arguments of `logprune merge`.
#[derive(Debug, Clone, clap::Args)]
pub struct MergeArgs {
    /// The target and its domain, as given to the shards.
    #[command(flatten)]
    pub target: TargetArgs,
    /// The output directory (created if needed).
    #[arg(long, value_name = "DIR", required_unless_present = "print_resources")]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// The most memory the merge may use, e.g. 4G [default: 3/4 of the machine's RAM]; it
    /// reads, joins, checks and writes one layer at a time, and is refused before reading
    /// any layer when its estimate (every shard's largest layer, the merged layer and the
    /// check) exceeds this.
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub max_memory: Option<u64>,
    /// Print the memory and threads the merge needs, as `--mem=<MiB>M
    /// --cpus-per-task=<threads>` for sbatch, and merge nothing (MLP targets).
    #[arg(long)]
    pub print_resources: bool,
    /// Write the merged ticket with its kept weights (format version 1) instead of the
    /// compact default (version 2, the mask alone); the shards may be in either form.
    #[arg(long)]
    pub store_weights: bool,
    /// The shards' tickets (`shard-K-of-N.ticket.safetensors`), all N of them.
    #[arg(required = true, value_name = "SHARD")]
    pub shards: Vec<PathBuf>,
}

/// `message` with the file of every shard it names (`shard K/N`) appended, one per line.
fn with_files(message: String, files: &[(Option<Shard>, &Path)]) -> String {
    let mut out = message.clone();
    for (shard, path) in files {
        let Some(s) = shard else { continue };
        let needle = format!("shard {s}");
        let named = message.match_indices(&needle).any(|(i, _)| {
            !message[i + needle.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        });
        if named {
            let _ = write!(out, "\n  shard {s} is {}", path.display());
        }
    }
    out
}

/// What a run prints about a ticket without a fingerprint.
const NO_FINGERPRINT: &str = "has no fingerprint (written before fingerprints): its tie to this target rests on re-deriving its weights from G only";

/// Runs `logprune merge`: each shard's fingerprint checked against the target and domain
/// (naming the file), the shards joined into the run's ticket, checked like a whole run, and
/// written with its report, whose `seconds` keep the shards' stage times (`prune`: summed;
/// `shards`: the sums and the slowest shard).
///
/// # Errors
/// What failed.
pub fn run_merge(args: &MergeArgs) -> Result<String, String> {
    if let Some(out) = &args.out {
        check_out(out)?;
    }
    let (target, domain) = match load_target(&args.target)? {
        (Target::Chain(network), domain) => (network, domain),
        (Target::Graph(graph), domain) => {
            if args.print_resources {
                return Err(format!(
                    "--print-resources: not supported for a graph target ({}) yet; it is for an MLP target",
                    args.target.target.display()
                ));
            }
            return crate::graph::run_merge_graph(args, &graph, &domain);
        }
    };
    let mut readers: Vec<FileReader> = Vec::with_capacity(args.shards.len());
    let mut given: Option<Fingerprint> = None;
    for p in &args.shards {
        let r = open_ticket(p, "shard")?;
        let fingerprint = match given {
            Some(f) => f,
            None => *given.insert(
                Fingerprint::new(&target, &domain, &r.spec().config(None))
                    .map_err(|e| format!("target {}: {e}", args.target.target.display()))?,
            ),
        };
        r.spec()
            .check_fingerprint(&fingerprint)
            .map_err(|e| format!("{}: {e}", p.display()))?;
        readers.push(r);
    }
    let unfingerprinted: Vec<String> = readers
        .iter()
        .filter(|r| r.spec().fingerprint.is_none())
        .map(|r| r.spec().name())
        .collect();
    let files: Vec<(Option<Shard>, &Path)> = readers
        .iter()
        .zip(&args.shards)
        .map(|(r, p)| (r.spec().shard, p.as_path()))
        .collect();
    let mut shards = ShardReaders::new(readers).map_err(|e| with_files(e.to_string(), &files))?;
    if args.print_resources {
        let r = streamed_resources(shards.spec(), &shards.layer_sizes(), true, &target, &domain)
            .map_err(|e| e.to_string())?;
        return Ok(resources_line(&r, &args.target.target));
    }
    let out = args
        .out
        .as_deref()
        .ok_or("--out DIR is required (unless --print-resources)")?;
    let timings = shards.timings();
    let form = TicketForm::of_store_weights(args.store_weights);
    let new_dirs = NewDirs::new(out);
    let mut sink = TicketFile {
        dest: out.join("ticket.safetensors"),
        form,
        spec: Some((shards.spec().clone(), shards.depth())),
        staged: None,
        writer: None,
    };
    let bar = Bar::new(args.quiet);
    let max_memory = args.max_memory.or_else(default_max_memory);
    let result = merge_into(&mut shards, &target, &domain, max_memory, &bar, &mut sink);
    bar.finish();
    let report = result.map_err(|e| with_files(e.to_string(), &files))?;
    report.verify().map_err(|e| e.to_string())?;
    let stats = shards.stats().to_vec();
    drop(shards);
    let ticket = sink.finish(&stats)?;
    let mut json = serde_json::to_value(&report).map_err(|e| e.to_string())?;
    if let (Some(t), Some(seconds)) = (&timings, json.get_mut("seconds")) {
        seconds["shards"] = serde_json::to_value(t).map_err(|e| e.to_string())?;
    }
    let mut json = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
    json.push('\n');
    let paths = vec![out.join("ticket.safetensors"), out.join("report.json")];
    commit_with(
        vec![ticket],
        vec![(paths[1].clone(), Contents::Bytes(json.into_bytes()))],
    )?;
    new_dirs.keep();
    let mut text = summary(&args.target.target, &report, &paths);
    if let Some(t) = &timings {
        let _ = writeln!(
            text,
            "{} shards: plan {:.2} s, prune {:.2} s summed; slowest shard {} (plan {:.2}, prune {:.2})",
            t.shards,
            t.plan_total,
            t.prune_total,
            t.slowest,
            t.slowest_seconds.plan,
            t.slowest_seconds.prune
        );
    }
    if !unfingerprinted.is_empty() {
        let _ = writeln!(
            text,
            "note: {} {NO_FINGERPRINT}",
            unfingerprinted.join(", ")
        );
    }
    Ok(text)
}
