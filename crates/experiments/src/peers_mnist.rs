//! Part (c) of the peers' comparison, `peers_mnist.csv`: Pensia et al. 2020's question asked of
//! a 784-500-10 network, answered by the shared-input layout.
//!
//! Pensia et al. rebuild each of the 397,000 weights of their MNIST 784-500-10 network as a
//! subset sum of 21 random coefficients within 0.01 (Gurobi, 77,266 s on 36 cores; 9.39
//! coefficients kept per weight). Here the target is the bias-free 784-500-10 ReLU network
//! trained on the shipped digits upsampled to 28×28 ([`digits::mnist_sized_network`], seed 0:
//! recomputed, not stored), G has the shared-input layout (the layout of their construction:
//! a block of `r` neurons per input, each neuron with one input edge and any number of output
//! edges), and every target weight must be within `T = 0.01` for both halves
//! ([`PruneConfig::weight_tolerance`]). For each distribution of G and each solver,
//! [`smallest_width`] finds the smallest `r` (neurons per input) at which every weight is
//! within `T`, for G's seed 0; the run at that `r` is then pruned and checked (every kept
//! weight re-derived), and the row gives what it keeps, its certificate and its measured error
//! on the 1797 upsampled digits, its test accuracy and the wall time (volatile: in
//! `target/reproduce/`, not in `data/`).
//!
//! Pensia et al.'s 21 coefficients per weight are per weight (397,000 × 21 coefficients); a
//! shared-input block serves all 500 outputs of its input, so G's neurons per target weight
//! are `r · 784 / 392,000`.

use std::time::Instant;

use logprune_construction::{
    Construction, Domain, GDistribution, NoProgress, PruneConfig, SolverKind, prune,
    smallest_width, start_width,
};

use crate::digits::{self, mnist_sized_network};
use crate::end_to_end::{empty, error_kind};
use crate::table::{Cell, Table};
use crate::{Artifact, Ctx, Experiment, ExperimentError};

/// The experiment of this module.
pub const EXPERIMENTS: &[Experiment] = &[Experiment {
    name: NAME,
    paper: "peers (c): Pensia et al. 2020's per-weight tolerance 0.01 on a 784-500-10 digits network, by the shared-input layout, per distribution of G and solver",
    run: run_peers_mnist,
}];

const NAME: &str = "peers_mnist";

/// The files the experiment writes under `data/`.
pub const OUTPUTS: &[&str] = &["peers_mnist.csv"];

/// The configuration of `peers_mnist.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct PeersMnistConfig {
    /// Seed of the target's training ([`digits::mnist_sized_network`]).
    pub train_seed: u64,
    /// The tolerance `T` of every half of every weight.
    pub tolerance: f64,
    /// Distributions of G.
    pub distributions: Vec<GDistribution>,
    /// Solvers.
    pub solvers: Vec<SolverKind>,
    /// Where the search for `r` starts (the exact solver refuses halves of more than 40
    /// candidates, so a start below 40 lets it run).
    pub start: u64,
    /// How many times the search may double `start`.
    pub doublings: u32,
    /// The same for the exact solver, whose meet in the middle costs `∝ 2^{r/2}` per half
    /// (with `r = 16`, about 2 s for the 397,000 weights; with 32, about 15 minutes).
    pub exact_doublings: u32,
    /// G's seed.
    pub g_seed: u64,
}

impl PeersMnistConfig {
    /// The configuration of `cargo xtask reproduce`: training seed 0, `T = 0.01`, hyperbolic,
    /// uniform on `[-1, 1]`, `N(0, 1)` and Kaiming-uniform G, all three solvers, the search
    /// from `r = 8` with up to 10 doublings (1 for the exact solver: `r ≤ 16`), G's seed 0.
    pub fn full() -> Self {
        PeersMnistConfig {
            train_seed: 0,
            tolerance: 0.01,
            distributions: vec![
                GDistribution::Hyperbolic,
                GDistribution::Uniform { c: 1.0 },
                GDistribution::Gaussian { sigma: 1.0 },
                GDistribution::KaimingUniform,
            ],
            solvers: SolverKind::ALL.to_vec(),
            start: 8,
            doublings: 10,
            exact_doublings: 1,
            g_seed: 0,
        }
    }
}

/// The columns of `peers_mnist.csv`.
pub const COLUMNS: &[&str] = &[
    "target",
    "n_star",
    "construction",
    "distribution",
    "solver",
    "tolerance",
    "status",
    "detail",
    "r_start",
    "r_largest_tried",
    "r_found",
    "probes",
    "widths_g",
    "g_neurons_per_target_weight",
    "kept_neurons_per_target_weight",
    "kept_edges_per_target_weight",
    "max_weight_error",
    "certified",
    "measured",
    "inputs_checked",
    "test_accuracy_f",
    "test_accuracy_g",
    "pensia_coefficients_per_weight",
    "pensia_kept_per_weight",
    "seconds",
];

/// Pensia et al.'s coefficients per weight (`3 · round(log2(1/0.01))`).
const PENSIA_COEFFICIENTS: u64 = 21;
/// Pensia et al.'s coefficients kept per weight on their MNIST network: 3,725,871 / 397,000.
const PENSIA_KEPT: f64 = 3_725_871.0 / 397_000.0;

/// `peers_mnist.csv` for `cfg` (see the [module documentation](self)); `seconds` is
/// volatile. Rows in the order distribution × solver.
///
/// # Errors
/// [`ExperimentError::Computation`] if the target cannot be trained or its domain built (a
/// failed cell is a row, not an error).
pub fn peers_mnist_table(cfg: &PeersMnistConfig, ctx: &Ctx<'_>) -> Result<Table, ExperimentError> {
    let comp = |e| ExperimentError::computation(NAME, e);
    let (f, data) = mnist_sized_network(cfg.train_seed).map_err(comp)?;
    let acc_f = digits::accuracy(&f, &data.split.test_x, &data.split.test_y).map_err(comp)?;
    let domain =
        Domain::points(data.rows.clone()).map_err(|e| ExperimentError::computation(NAME, e))?;
    let widths = f.architecture().widths();
    let name = format!(
        "digits28-{}",
        widths
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("-")
    );
    let n_star = f.architecture().num_weights() as u64;
    let mut cells = Vec::new();
    for &d in &cfg.distributions {
        for &s in &cfg.solvers {
            cells.push((d, s));
        }
    }
    ctx.progress.add_total(cells.len() as u64);
    // One cell at a time, each using every thread: a cell holds a run of the whole network.
    let rows: Vec<Vec<Cell>> = cells
        .iter()
        .map(|&(distribution, solver)| {
            let started = Instant::now();
            let config = PruneConfig {
                construction: Construction::SharedInput,
                solver,
                distribution,
                seed: cfg.g_seed,
                neurons_per_input: Some(cfg.start),
                ..PruneConfig::weight_tolerance(cfg.tolerance)
            };
            let mut row = crate::row![
                name.as_str(),
                n_star,
                Construction::SharedInput.name(),
                distribution.name(),
                solver.name(),
                cfg.tolerance,
            ];
            let mut tail: Vec<Cell> = (0..(COLUMNS.len() - row.len() - 5))
                .map(|_| empty())
                .collect();
            let doublings = if solver == SolverKind::Exact {
                cfg.exact_doublings
            } else {
                cfg.doublings
            };
            let (status, detail) = match start_width(&f, &domain, &config).and_then(|s| {
                tail[0] = s.into();
                tail[1] = s.saturating_mul(1 << doublings).into();
                smallest_width(&f, &domain, &config, doublings, &NoProgress)
            }) {
                Err(e) => (error_kind(&e).to_string(), e.to_string()),
                Ok(None) => (
                    "not-within-tolerance".to_string(),
                    format!(
                        "no r up to {} ({} doublings of {}) has every weight within {}",
                        cfg.start.saturating_mul(1 << doublings),
                        doublings,
                        cfg.start,
                        cfg.tolerance
                    ),
                ),
                Ok(Some(search)) => {
                    tail[2] = search.found.into();
                    tail[3] = (search.probes.len() as u64).into();
                    match prune(&f, &domain, &config.at_width(search.found), &NoProgress) {
                        Err(e) => (error_kind(&e).to_string(), e.to_string()),
                        Ok(p) => {
                            let r = &p.report;
                            let n = r.n_weights_target as f64;
                            tail[4] = crate::end_to_end::join_u64(&r.widths).into();
                            tail[5] = r.g_neurons_per_target_weight.into();
                            tail[6] = (r.kept_neurons_total as f64 / n).into();
                            tail[7] = (r.kept_edges_total as f64 / n).into();
                            tail[8] = r.max_weight_error().into();
                            tail[9] = r.certified_bound.into();
                            tail[10] = r.empirical_max_error.into();
                            tail[11] = r.inputs_checked.into();
                            let out = p.pruned.forward_batch(&data.split.test_x);
                            match out {
                                Ok(out) => {
                                    let pred = digits::predict(&out);
                                    tail[12] = acc_f.into();
                                    tail[13] =
                                        digits::share_equal(&pred, &data.split.test_y).into();
                                }
                                Err(e) => return Err(ExperimentError::computation(NAME, e)),
                            }
                            ("ok".to_string(), String::new())
                        }
                    }
                }
            };
            if tail[12] == empty() {
                tail[12] = acc_f.into();
            }
            row.push(status.into());
            row.push(detail.into());
            row.extend(tail);
            row.push(PENSIA_COEFFICIENTS.into());
            row.push(PENSIA_KEPT.into());
            row.push(started.elapsed().as_secs_f64().into());
            debug_assert_eq!(row.len(), COLUMNS.len());
            ctx.progress.advance(1);
            Ok(row)
        })
        .collect::<Result<_, ExperimentError>>()?;
    let mut table = Table::new(COLUMNS).with_volatile(&["seconds"]);
    table.extend(rows);
    Ok(table)
}

fn run_peers_mnist(ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    Ok(vec![Artifact::csv(
        OUTPUTS[0],
        peers_mnist_table(&PeersMnistConfig::full(), ctx)?,
    )])
}
