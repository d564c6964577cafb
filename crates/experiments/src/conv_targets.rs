//! `conv_targets.csv`: convolutional and residual targets trained in PyTorch on the shipped
//! digits, imported from ONNX, pruned to certified tickets (ARCHITECTURE.md, the graph
//! targets of `crates/construction`).
//!
//! The targets are the committed fixtures of `data/models/` (made by
//! `python/fixtures/make_models.py`, deterministic; CI never needs torch): (a) a LeNet-5-style
//! CNN on the digits upsampled to 28×28, (b) a ResNet-20-style network (3 stages × 3 basic
//! blocks of 16/32/64 channels, batch norm folded, 1×1 stride-2 projections, global average
//! pooling), (c) a small CNN on the 8×8 digits with ReLU, LeakyReLU(0.1), tanh and sigmoid.
//! The split is the fixtures' own: the test set is every row whose file index is a multiple
//! of 5 (360 digits), and the domain of each run is that finite set, so the certificate and
//! the measurement cover exactly the inputs the accuracies are measured on.
//!
//! Each row gives G's size, what Ĝ keeps per target weight, `ε_w`, the certificate, the
//! measured errors and the test accuracy of F and of Ĝ (the virtual Ĝ on all 360 digits; the
//! literal Ĝ agrees with it to rounding on its subset, which the run checks). Where `ε`
//! cannot be certified in `f64` (the ResNet: the recurrence needs an `ε_w` below the
//! floating-point floor) the row keeps the reason, and a second row prunes with a per-weight
//! tolerance instead, giving the measured error and the certificate that follows, honestly
//! large.
//!
//! Beside each row, Burkholz et al. 2022's L+1 layout for the same architecture with `ρ = 15`
//! (their default): every hidden layer of G has `ρ(c + 1)` channels for a target layer of `c`
//! output channels (the `+1` carries the biases), and their first layer `ρ(c_0 + 1)`; the
//! column gives the sum of those channel counts, beside G's intermediate channels here.

use std::path::{Path, PathBuf};
use std::time::Instant;

use faer::{Mat, Par};
use logprune_construction::{Construction, Domain, NoProgress, PruneConfig, prune_graph};
use logprune_network::{Graph, Op};

use crate::digits::{self, load_digits, upsample_28};
use crate::end_to_end::{empty, error_kind};
use crate::table::{Cell, Table};
use crate::{Artifact, Ctx, Experiment, ExperimentError};

/// The experiment of this module.
pub const EXPERIMENTS: &[Experiment] = &[Experiment {
    name: NAME,
    paper: "the paper's open question (Section 6): convolutional, batch-norm and residual targets, certified tickets for a LeNet-5, a ResNet-20 and a small CNN with four activations, beside Burkholz et al. 2022's layout",
    run: run_conv_targets,
}];

const NAME: &str = "conv_targets";

/// The files the experiment writes under `data/`.
pub const OUTPUTS: &[&str] = &["conv_targets.csv"];

/// Burkholz et al.'s default multiplicity `ρ`.
pub const BURKHOLZ_RHO: u64 = 15;

/// The columns of `conv_targets.csv`.
pub const COLUMNS: &[&str] = &[
    "target",
    "activation",
    "input_shape",
    "n_star",
    "linear_nodes",
    "accuracy",
    "status",
    "detail",
    "epsilon_w",
    "g_channels",
    "g_neurons_per_target_weight",
    "g_weights",
    "kept_neurons",
    "kept_neurons_per_target_weight",
    "max_weight_error",
    "certified",
    "measured",
    "measured_literal",
    "inputs_checked",
    "literal_inputs_checked",
    "test_accuracy_f",
    "test_accuracy_g",
    "burkholz_rho",
    "burkholz_channels",
    "seconds",
];

/// One target of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvTarget {
    /// The fixture's file name under `data/models/`.
    pub file: &'static str,
    /// The hidden activation, for the table.
    pub activation: &'static str,
    /// Whether it reads the 28×28 upsampled digits (else the 8×8 ones).
    pub upsampled: bool,
}

/// The configuration of `conv_targets.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvTargetsConfig {
    /// The targets.
    pub targets: Vec<ConvTarget>,
    /// The network accuracy asked for.
    pub eps: f64,
    /// The per-weight tolerance of the fallback run where `ε` cannot be certified.
    pub fallback_tolerance: f64,
    /// G's seed.
    pub seed: u64,
}

impl ConvTargetsConfig {
    /// The configuration of `cargo xtask reproduce`: the LeNet-5, the ResNet-20 and the four
    /// small CNNs, `ε = 0.01` on the logits, the fallback tolerance `10^-6`, seed 0.
    pub fn full() -> Self {
        let t = |file, activation, upsampled| ConvTarget {
            file,
            activation,
            upsampled,
        };
        ConvTargetsConfig {
            targets: vec![
                t("lenet5_digits.onnx", "relu", true),
                t("resnet20_digits.onnx", "relu", true),
                t("cnn_small_relu.onnx", "relu", false),
                t("cnn_small_leakyrelu.onnx", "leaky-relu:0.1", false),
                t("cnn_small_tanh.onnx", "tanh", false),
                t("cnn_small_sigmoid.onnx", "sigmoid", false),
            ],
            eps: 0.01,
            fallback_tolerance: 1e-6,
            seed: 0,
        }
    }
}

/// The directory of the committed models: `data/models/` at the repository root.
pub fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/models")
}

/// The test split of the fixtures (file rows whose index is a multiple of 5): inputs (8×8,
/// or upsampled to 28×28) and labels.
///
/// # Errors
/// As [`load_digits`] and [`upsample_28`].
pub fn test_split(upsampled: bool) -> Result<(Vec<Vec<f64>>, Vec<usize>), digits::DigitsError> {
    let d = load_digits()?;
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for (i, (p, &y)) in d.pixels.iter().zip(&d.labels).enumerate() {
        if i % 5 == 0 {
            xs.push(if upsampled {
                upsample_28(p)?
            } else {
                p.clone()
            });
            ys.push(y);
        }
    }
    Ok((xs, ys))
}

/// Burkholz et al.'s L+1 layout for `graph` with multiplicity `rho`: the sum of G's channel
/// counts, `ρ(c_0 + 1)` for their first layer and `ρ(c + 1)` for every hidden target layer of
/// `c` output channels (features, for a dense layer); the output layer keeps its own.
pub fn burkholz_channels(graph: &Graph, rho: u64) -> u64 {
    let linear: Vec<(u64, u64)> = graph
        .nodes()
        .iter()
        .filter_map(|n| match &n.op {
            Op::Dense { weight, .. } => Some((weight.ncols() as u64, weight.nrows() as u64)),
            Op::Conv(c) => Some((c.c_in as u64, c.c_out as u64)),
            _ => None,
        })
        .collect();
    let Some(&(c0, _)) = linear.first() else {
        return 0;
    };
    let hidden: u64 = linear[..linear.len() - 1]
        .iter()
        .map(|&(_, c)| rho * (c + 1))
        .sum();
    rho * (c0 + 1) + hidden
}

/// `conv_targets.csv` for `cfg` (module docs); `seconds` is volatile.
///
/// # Errors
/// [`ExperimentError::Computation`] if a fixture or the digits cannot be read (a run that
/// fails is a row, not an error).
pub fn conv_targets_table(
    cfg: &ConvTargetsConfig,
    ctx: &Ctx<'_>,
) -> Result<Table, ExperimentError> {
    let comp = |e: String| ExperimentError::computation(NAME, std::io::Error::other(e));
    ctx.progress.add_total(cfg.targets.len() as u64);
    let mut table = Table::new(COLUMNS).with_volatile(&["seconds"]);
    for target in &cfg.targets {
        let path = models_dir().join(target.file);
        let bytes = std::fs::read(&path).map_err(|e| comp(format!("{}: {e}", path.display())))?;
        let graph = logprune_onnx::import(&bytes, &logprune_onnx::ImportOptions::default())
            .map_err(|e| comp(format!("{}: {e}", path.display())))?;
        let (xs, ys) = test_split(target.upsampled).map_err(|e| comp(e.to_string()))?;
        let n0 = graph.input_shape().len();
        let x = Mat::from_fn(n0, xs.len(), |b, k| xs[k][b]);
        let f_out = graph
            .forward_batch(x.as_ref(), Par::Seq)
            .map_err(|e| comp(e.to_string()))?;
        let classes = |m: &Mat<f64>| {
            digits::predict(
                &(0..m.ncols())
                    .map(|k| m.col(k).iter().copied().collect())
                    .collect::<Vec<Vec<f64>>>(),
            )
        };
        let acc_f = digits::share_equal(&classes(&f_out), &ys);
        let domain = Domain::points(xs.clone()).map_err(|e| comp(e.to_string()))?;
        let burkholz = burkholz_channels(&graph, BURKHOLZ_RHO);
        let shape = graph.input_shape();
        let base = PruneConfig {
            construction: Construction::PerWeight,
            seed: cfg.seed,
            ..PruneConfig::new(cfg.eps)
        };
        let tolerance = PruneConfig {
            accuracy: logprune_construction::Accuracy::WeightTolerance(cfg.fallback_tolerance),
            ..base
        };
        let mut runs = vec![(format!("eps={}", cfg.eps), base)];
        let mut k = 0;
        while k < runs.len() {
            let (accuracy, config) = runs[k].clone();
            k += 1;
            let started = Instant::now();
            let mut row = crate::row![
                target.file.trim_end_matches(".onnx"),
                target.activation,
                format!("{}x{}x{}", shape.c, shape.h, shape.w).as_str(),
                graph.num_weights() as u64,
                graph.linear_nodes().len() as u64,
                accuracy.as_str(),
            ];
            let mut tail: Vec<Cell> = (0..14).map(|_| empty()).collect();
            let mut acc_g = empty();
            let (status, detail) = match prune_graph(&graph, &domain, &config, &NoProgress) {
                Err(e) => {
                    if matches!(
                        e,
                        logprune_construction::ConstructionError::BelowFloatingPoint { .. }
                    ) && runs.len() == 1
                    {
                        runs.push((format!("T={}", cfg.fallback_tolerance), tolerance));
                    }
                    (error_kind(&e).to_string(), e.to_string())
                }
                Ok(p) => {
                    let r = &p.report;
                    let n = r.n_weights_target as f64;
                    tail[0] = r.epsilon_w.into();
                    tail[1] = r.widths.iter().sum::<u64>().into();
                    tail[2] = r.g_neurons_per_target_weight.into();
                    tail[3] = r.n_weights_large.into();
                    tail[4] = r.kept_neurons_total.into();
                    tail[5] = (r.kept_neurons_total as f64 / n).into();
                    tail[6] = r
                        .max_weight_error_plus
                        .max(r.max_weight_error_minus.unwrap_or(0.0))
                        .into();
                    tail[7] = r.certified_bound.into();
                    tail[8] = r.empirical_max_error.into();
                    tail[9] = r.empirical_max_error_literal.into();
                    tail[10] = r.inputs_checked.into();
                    tail[11] = r.literal_inputs_checked.into();
                    let g_out = p
                        .forward_virtual(x.as_ref())
                        .map_err(|e| comp(e.to_string()))?;
                    acc_g = digits::share_equal(&classes(&g_out), &ys).into();
                    ("ok".to_string(), String::new())
                }
            };
            row.push(status.into());
            row.push(detail.into());
            row.extend(tail.into_iter().take(12));
            row.push(acc_f.into());
            row.push(acc_g);
            row.push(BURKHOLZ_RHO.into());
            row.push(burkholz.into());
            row.push(started.elapsed().as_secs_f64().into());
            debug_assert_eq!(row.len(), COLUMNS.len());
            table.push(row);
        }
        ctx.progress.advance(1);
    }
    Ok(table)
}

fn run_conv_targets(ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    Ok(vec![Artifact::csv(
        OUTPUTS[0],
        conv_targets_table(&ConvTargetsConfig::full(), ctx)?,
    )])
}
