//! `cargo xtask prune`: prune the large random network G to a subnetwork Ĝ within ε of a
//! target model, check it and certify it (logprune-construction), and write the result.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use logprune_construction::{
    Construction, Domain, Progress, PruneConfig, SolverKind, export_large, prune,
};
use logprune_network::{Activation, LoadOptions, load_network, read_input_rows};

use crate::fsutil::write_all_atomically;

/// What `cargo xtask prune --help` prints after the options.
pub const LONG_HELP: &str = "\
Example:
  cargo xtask prune --target model.safetensors --eps 0.01 --inputs rows.csv --out out/

The target is a PyTorch `nn.Sequential` of `Linear` layers (biases allowed) saved with
`safetensors.torch.save_file(model.state_dict(), ...)`: keys `<k>.weight` of shape
(out, in) and optional `<k>.bias`, F32/F64/F16/BF16, layers ordered by the numbers in their
names. ReLU follows every hidden layer; `--output-activation` follows the last (default
identity: logits). Biases are carried by a constant unit: Ĝ then takes `(x, 1)`.

G is the construction of Section 5 of \"Logarithmic Pruning is All You Need\" (Orseau,
Hutter, Rivasplata 2020), weights from the hyperbolic distribution on Theorem 3's range,
generated from `--seed` and never stored. ε_w comes from Lemma 1 with the certified F_max
and the target's norms. `--construction`:
  per-weight  Theorem 3 without batch sampling: every target weight owns a block of
              m = 8⌈k' ln(k'/δ_w)⌉ neurons (K with `--neurons-per-weight K`).
  recycling   Algorithm 1 of Appendix D (Theorem 30): per wrapped diagonal a window of
              m = ⌈8k' ln(k'/δ_w)⌉ neurons (K), refilled after each target weight, in a range
              of R = m + 2k·min(n_i, n_{i-1}); M_i = max(n_i, n_{i-1})·R.
  batch       Theorem 3 with batch sampling: one pool per layer of Theorem 3's
              M_i = ⌈16k'(n_i n_{i-1} + ln(2ℓk'/δ))⌉ neurons (K·n_i n_{i-1}), each used by at
              most one target weight, assigned first fit.
`--width-scale S` multiplies m (per-weight, recycling) or the pool (batch).
The run fails, writing nothing, unless the certified bound on sup_x ‖F(x) − Ĝ(x)‖₂ and the
measured maximum error are both ≤ ε.

Writes, atomically, into `--out DIR`:
  pruned.safetensors  Ĝ as a bias-free nn.Sequential(Linear(n0, k1, bias=False), ReLU(),
                      Linear(k1, n1, bias=False), σ1, ...): keys 0.weight, 2.weight, ...,
                      {4ℓ-2}.weight alternating U_i (kept × n_{i-1}) and V_i (n_i × kept),
                      F64 row-major; kept neurons in G's order.
  report.json         ε, δ, ε_w, α, β, k', widths M_i, kept neurons, weight errors, the
                      certificates (recurrence, Corollary 27, Lemma 1), the measured error,
                      inputs checked, products consulted, seed, seconds, per-layer details.
  with --export-large: large.safetensors (G dense, same keys, M_i × n_{i-1} and n_i × M_i)
                      and masks.safetensors (same keys and shapes, U8 0/1) such that
                      large ⊙ masks, with its all-zero intermediate neurons dropped, is
                      exactly pruned.safetensors (refused above 5e7 weights).
";

/// Arguments of `cargo xtask prune` (the details are in [`LONG_HELP`], shown by `--help`).
#[derive(Debug, clap::Args)]
#[command(after_long_help = LONG_HELP)]
pub struct PruneArgs {
    /// The target model (safetensors, PyTorch nn.Sequential convention).
    #[arg(long, value_name = "T.safetensors")]
    pub target: PathBuf,
    /// The accuracy ε > 0 of sup_x ‖F(x) − Ĝ(x)‖₂ ≤ ε.
    #[arg(long, value_name = "E", allow_hyphen_values = true)]
    pub eps: String,
    /// The failure probability δ ∈ (0, 1) of Theorem 3 (sets m through δ_w = δ/(2N*)).
    #[arg(
        long,
        value_name = "D",
        default_value = "0.01",
        allow_hyphen_values = true
    )]
    pub delta: String,
    /// The construction of G: per-weight (Theorem 3 without batch sampling), recycling
    /// (Algorithm 1, Theorem 30) or batch (Theorem 3 with batch sampling).
    #[arg(long, value_name = "NAME", default_value = "per-weight")]
    pub construction: String,
    /// The subset-sum solver: golden-ratio (Lemma 9, streaming), best-fit, or exact (blocks
    /// whose halves have ≤ 40 candidates, e.g. with --neurons-per-weight ≤ ~100).
    #[arg(long, value_name = "NAME", default_value = "golden-ratio")]
    pub solver: String,
    /// The input domain as a CSV of input rows (a header row is allowed): certified and
    /// measured on exactly these points. Not with --input-box.
    #[arg(long, value_name = "X.csv")]
    pub inputs: Option<PathBuf>,
    /// The input domain as the box [LO, HI]^{n_0} (default -1,1).
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true)]
    pub input_box: Option<String>,
    /// The activation after the last layer: identity (default, logits), relu, tanh, sigmoid.
    #[arg(long, value_name = "NAME", default_value = "identity")]
    pub output_activation: String,
    /// The seed of G (and of the measured box inputs).
    #[arg(
        long,
        value_name = "S",
        default_value = "0",
        allow_hyphen_values = true
    )]
    pub seed: String,
    /// Use K neurons per target weight instead of the theorem's width: the block m = K
    /// (per-weight), the window m = K (recycling), the pool K·n_i·n_{i-1} (batch). Fails,
    /// writing nothing and saying how many target weights could not be decomposed, when G is
    /// then too small.
    #[arg(long, value_name = "K", allow_hyphen_values = true)]
    pub neurons_per_weight: Option<String>,
    /// Scale G's width: m → ⌈S·m⌉ (per-weight, recycling) or the pool M_i → ⌈S·M_i⌉ (batch).
    #[arg(
        long,
        value_name = "S",
        default_value = "1",
        allow_hyphen_values = true
    )]
    pub width_scale: String,
    /// Also write G dense (large.safetensors) and the masks (masks.safetensors).
    #[arg(long)]
    pub export_large: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// The output directory (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

fn parse_f64(flag: &str, s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| format!("{flag} `{s}` is not a number"))
}

fn parse_u64(flag: &str, s: &str) -> Result<u64, String> {
    s.trim().parse::<u64>().map_err(|_| {
        format!(
            "{flag} `{s}` is not a nonnegative integer (0 ≤ n ≤ {})",
            u64::MAX
        )
    })
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
}

/// The progress bar: hidden at first, drawn on stderr once the run has taken a second.
struct Bar {
    bar: ProgressBar,
    start: Instant,
    quiet: bool,
    shown: AtomicBool,
}

impl Bar {
    fn new(quiet: bool) -> Self {
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template("{msg:>6} [{elapsed_precise}] {wide_bar} {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar {
            bar,
            start: Instant::now(),
            quiet,
            shown: AtomicBool::new(false),
        }
    }

    fn maybe_show(&self) {
        if !self.quiet
            && self.start.elapsed() > Duration::from_secs(1)
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}

impl Progress for Bar {
    fn start(&self, stage: &str, total: u64) {
        self.bar.set_message(stage.to_owned());
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.maybe_show();
    }

    fn advance(&self, n: u64) {
        self.bar.inc(n);
        self.maybe_show();
    }
}

/// Runs `cargo xtask prune`; returns the summary for stdout, or an error message (nothing is
/// written then).
pub fn run(args: &PruneArgs) -> Result<String, String> {
    let eps = parse_f64("--eps", &args.eps)?;
    let delta = parse_f64("--delta", &args.delta)?;
    let seed = parse_u64("--seed", &args.seed)?;
    let construction: Construction = args
        .construction
        .parse()
        .map_err(|e| format!("--construction: {e}"))?;
    let solver: SolverKind = args.solver.parse().map_err(|e| format!("--solver: {e}"))?;
    let output_activation: Activation = args
        .output_activation
        .parse()
        .map_err(|e| format!("--output-activation: {e}"))?;
    let neurons_per_weight = args
        .neurons_per_weight
        .as_deref()
        .map(|s| parse_u64("--neurons-per-weight", s))
        .transpose()?;
    if args.out.is_file() {
        return Err(format!(
            "--out {}: is a file, expected a directory",
            args.out.display()
        ));
    }
    let config = PruneConfig {
        delta,
        construction,
        solver,
        seed,
        neurons_per_weight,
        width_scale: parse_f64("--width-scale", &args.width_scale)?,
        ..PruneConfig::new(eps)
    };
    config.check().map_err(|e| e.to_string())?;

    let bytes = read(&args.target, "target")?;
    let options = LoadOptions {
        hidden_activation: Activation::Relu,
        output_activation,
    };
    let target = load_network(&bytes, &options)
        .map_err(|e| format!("target {}: {e}", args.target.display()))?;
    let n0 = target.input_width();
    let domain = match (&args.inputs, &args.input_box) {
        (Some(_), Some(_)) => {
            return Err(
                "--inputs and --input-box both given: the domain is either a finite set of rows or a box"
                    .to_owned(),
            );
        }
        (Some(path), None) => {
            let text = String::from_utf8(read(path, "inputs")?)
                .map_err(|_| format!("inputs {}: not UTF-8 text", path.display()))?;
            let rows = read_input_rows(&text, n0)
                .map_err(|e| format!("inputs {}: {e}", path.display()))?;
            Domain::points(rows).map_err(|e| format!("inputs {}: {e}", path.display()))?
        }
        (None, Some(spec)) => {
            let (lo, hi) = spec
                .split_once(',')
                .ok_or_else(|| format!("--input-box `{spec}`: expected LO,HI (e.g. -1,1)"))?;
            let (lo, hi) = (
                parse_f64("--input-box LO", lo)?,
                parse_f64("--input-box HI", hi)?,
            );
            Domain::cube(n0, lo, hi).map_err(|e| format!("--input-box `{spec}`: {e}"))?
        }
        (None, None) => Domain::cube(n0, -1.0, 1.0).map_err(|e| e.to_string())?,
    };

    let bar = Bar::new(args.quiet);
    let result = prune(&target, &domain, &config, &bar);
    bar.bar.finish_and_clear();
    let p = result.map_err(|e| e.to_string())?;

    let mut files = vec![
        (
            args.out.join("pruned.safetensors"),
            p.pruned.to_safetensors().map_err(|e| e.to_string())?,
        ),
        (
            args.out.join("report.json"),
            p.report.to_json().map_err(|e| e.to_string())?.into_bytes(),
        ),
    ];
    if args.export_large {
        let (large, masks) =
            export_large(&p.large, &p.pruned).map_err(|e| format!("--export-large: {e}"))?;
        files.push((args.out.join("large.safetensors"), large));
        files.push((args.out.join("masks.safetensors"), masks));
    }
    write_all_atomically(&files)?;

    let r = &p.report;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "target {} ({} weights{}), domain {}, ε = {}, δ = {}",
        args.target.display(),
        r.n_weights_target,
        if r.has_bias_unit {
            ", biases as a constant unit"
        } else {
            ""
        },
        r.domain,
        r.accuracy.value(),
        r.delta
    );
    let _ = writeln!(
        out,
        "ε_w = {:.4e}, k' = {:.2}, {}: m = {}, widths M_i = {:?} (theorem: {:?}), G: {:.3e} weights",
        r.epsilon_w,
        r.k_prime,
        r.construction,
        r.neurons_per_weight,
        r.widths,
        r.widths_theorem,
        r.n_weights_large
    );
    let _ = writeln!(
        out,
        "kept {} intermediate neurons {:?}; {:.1} products consulted per target weight ({})",
        r.kept_neurons_total, r.kept_neurons, r.products_per_target_weight, r.solver
    );
    let _ = writeln!(
        out,
        "certified sup ‖F − Ĝ‖₂ ≤ {:.4e} (Corollary 27: {:.4e}, Lemma 1: {:.4e}); measured max {:.4e} over {} inputs",
        r.certified_bound,
        r.certified_bound_corollary27,
        r.certified_bound_lemma1,
        r.empirical_max_error,
        r.inputs_checked
    );
    for (path, _) in &files {
        let _ = writeln!(out, "wrote {}", path.display());
    }
    let _ = writeln!(out, "{:.2} s", r.seconds.total);
    Ok(out)
}
