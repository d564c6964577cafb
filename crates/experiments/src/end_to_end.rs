//! End-to-end pruning of random and trained targets.
//!
//! - `end_to_end.csv`: for each target × construction × solver × `ε ∈ {0.1, 0.01}`
//!   (`δ = 0.01`), one full run of [`logprune_construction::prune`]: G's widths `M_i` and
//!   weight count, `N_G/N*` next to Corollary 7 (the exact ratio with Theorem 3's `M_i`, and
//!   its leading term `32 n_max k'`), Ĝ's kept neurons, the products consulted, the weight
//!   errors, the certificates (Lemma 1 with the actual entry errors; the per-layer recurrence
//!   of the proof of Lemma 1, bounded by Corollary 27, on the actual matrices), the measured error and, for the
//!   digits target, the test accuracy of F and of Ĝ and how often they agree.
//!   Targets: random ReLU networks `A(ℓ, n, ReLU)` with `ℓ ∈ {2, 4}` hidden-and-output layers
//!   of width `n ∈ {4, 8, 16, 32}` (identity output), weights uniform on `[-1, 1]`
//!   (`uniform`) and the same draws rescaled to `‖W_i‖₂ ≤ 1` (`spectral`), on the box
//!   `[-1, 1]^n`; and the bias-free 64-32-10 network trained on the digits
//!   ([`crate::digits`]), on the finite domain of all 1797 rows (train and test: the
//!   certificate then covers every test input on which the accuracies are measured).
//!   A failed run is not dropped: its row has `status` = the error kind, `detail` = the error
//!   message, and the numbers known before the failure (G's widths, Corollary 7); the other
//!   cells are empty text. The three digits columns are empty text for random targets.
//! - `end_to_end.svg`: measured error and both certificates against `ε`, one panel per
//!   construction, every successful run a point, with the line `y = ε`.
//! - `width_sufficiency.csv`: how often the theorem's width sufficed for single layers
//!   (`ℓ = 1`, `n ∈ {4, 8, 16}`, uniform weights, identity activation, `[-1, 1]^n`,
//!   `ε = 0.01`, golden-ratio), over 100 seeds of G, and the smallest fraction of it on the
//!   grid `2^{-l/4}`, `l = 0..=24` (1 down to 1/64) such that it and every larger fraction
//!   sufficed for ≥ 99 % of the seeds. The fraction is `PruneConfig::width_scale`: for batch
//!   sampling it scales the pool `M_i` of Theorem 3; for recycling it scales the window `m`
//!   of Algorithm 1, so `M_i = max{n_i, n_{i-1}}(⌈s·m⌉ + 2k·min{n_i, n_{i-1}})` keeps its
//!   refill reserve. The target is fixed per `n` (seed `n`): the theorems' probability is
//!   over G for a given F. Only the decomposition counts (the construction's oracle,
//!   `oracle::recycling` / `oracle::batch`, no check or measurement).
//!
//! Cells run in parallel with rayon, each a pure function of its index (G's seed is fixed,
//! targets are seeded per target), rows are collected in index order: the tables are
//! identical on 1 or many threads apart from the volatile `seconds` column (ARCHITECTURE.md,
//! invariant 10).

use std::time::Instant;

use logprune_bounds::{Count, Widths, theorem3};
use logprune_construction::{
    Construction, ConstructionError, Domain, NoProgress, Plan, PruneConfig, Pruning, SolverKind,
    oracle, prune,
};
use logprune_network::{Activation, Architecture, Network, random_spectral, random_uniform};
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;
use rayon::prelude::*;

use crate::digits::{self, TrainConfig};
use crate::plot::{Chart, Legend, Mark, Series, svg};
use crate::table::{Cell, Table};
use crate::{Artifact, Ctx, Experiment, ExperimentError};

/// The experiments of this module.
pub const EXPERIMENTS: &[Experiment] = &[
    Experiment {
        name: "end_to_end",
        paper: "Theorem 3, Theorem 30, Corollary 7, Lemma 1: end-to-end pruning of random and digits-trained targets, per construction and solver",
        run: run_end_to_end,
    },
    Experiment {
        name: "width_sufficiency",
        paper: "Theorems 3 and 30: how often the theorem's width M_i suffices, and the smallest fraction of it that suffices in 99% of seeds",
        run: run_width_sufficiency,
    },
];

const NAME: &str = "end_to_end";
const WIDTH_NAME: &str = "width_sufficiency";

/// How the weights of a random target are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetNorm {
    /// Weights i.i.d. uniform on `[-1, 1]` (`logprune_network::random_uniform`).
    Uniform,
    /// The same draws, each layer divided by `max(1, ‖W_i‖₂)`
    /// (`logprune_network::random_spectral`).
    Spectral,
}

impl TargetNorm {
    /// `uniform` or `spectral`.
    pub fn name(self) -> &'static str {
        match self {
            TargetNorm::Uniform => "uniform",
            TargetNorm::Spectral => "spectral",
        }
    }
}

/// The configuration of `end_to_end.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct EndToEndConfig {
    /// Depths `ℓ` of the random targets.
    pub depths: Vec<usize>,
    /// Widths `n` of the random targets (all layers, input included).
    pub widths: Vec<usize>,
    /// Weight scalings of the random targets.
    pub norms: Vec<TargetNorm>,
    /// The digits target's trainer (`None`: no digits rows).
    pub digits: Option<TrainConfig>,
    /// Test fraction and seed of the digits split.
    pub digits_split: (f64, u64),
    /// Constructions.
    pub constructions: Vec<Construction>,
    /// Solvers.
    pub solvers: Vec<SolverKind>,
    /// Accuracies `ε`.
    pub eps: Vec<f64>,
    /// Failure probability `δ`.
    pub delta: f64,
    /// Seed of G (the same for every cell).
    pub g_seed: u64,
    /// Batch sampling with the best-fit solver is run only on targets whose layers have at
    /// most this many weights `n_i n_{i-1}`; larger cells get a `skipped` row (the solver
    /// ranks the whole pool of `M_i ∝ n_i n_{i-1}` neurons for every target weight, so a
    /// layer costs `∝ (n_i n_{i-1})²`: about 0.5 s for `ℓ = 2, n = 16` in release, 7-8 s for
    /// `ℓ = 2, n = 32`, about 40 s for `ℓ = 4, n = 32`).
    pub batch_best_fit_max_layer_weights: usize,
}

/// The constructions of `end_to_end.csv`, in table order: all of them.
pub fn constructions() -> Vec<Construction> {
    Construction::ALL.to_vec()
}

impl EndToEndConfig {
    /// The configuration of `cargo xtask reproduce`: `ℓ ∈ {2, 4}`, `n ∈ {4, 8, 16, 32}`, both
    /// scalings, the digits target ([`TrainConfig::full`], 80/20 split, seed 5), every
    /// construction, golden-ratio and best-fit, `ε ∈ {0.1, 0.01}`, `δ = 0.01`, G's seed 0.
    pub fn full() -> Self {
        EndToEndConfig {
            depths: vec![2, 4],
            widths: vec![4, 8, 16, 32],
            norms: vec![TargetNorm::Uniform, TargetNorm::Spectral],
            digits: Some(TrainConfig::full()),
            digits_split: (0.2, 5),
            constructions: constructions(),
            solvers: vec![SolverKind::GoldenRatio, SolverKind::BestFit],
            eps: vec![0.1, 0.01],
            delta: 0.01,
            g_seed: 0,
            batch_best_fit_max_layer_weights: 256,
        }
    }
}

/// A target of the table, with what is needed to evaluate it.
pub(crate) struct Target {
    pub(crate) name: String,
    pub(crate) network: Network,
    pub(crate) domain: Domain,
    pub(crate) digits: Option<DigitsEval>,
}

/// The digits test set and F's predictions on it.
pub(crate) struct DigitsEval {
    test_x: Vec<Vec<f64>>,
    test_y: Vec<usize>,
    pred_f: Vec<usize>,
    acc_f: f64,
}

/// The seed of the random target `(ℓ, n)` (shared by both scalings: the spectral target is
/// the uniform one rescaled).
fn target_seed(depth: usize, width: usize) -> u64 {
    1000 * depth as u64 + width as u64
}

pub(crate) fn random_target(
    depth: usize,
    width: usize,
    norm: TargetNorm,
) -> Result<Target, ExperimentError> {
    let err = |e: &dyn std::fmt::Display| {
        ExperimentError::computation(
            NAME,
            SimpleError(format!("target ℓ={depth}, n={width}: {e}")),
        )
    };
    let arch = Architecture::with_hidden(
        vec![width; depth + 1],
        Activation::Relu,
        Activation::Identity,
    )
    .map_err(|e| err(&e))?;
    let mut rng = Pcg64Mcg::seed_from_u64(target_seed(depth, width));
    let network = match norm {
        TargetNorm::Uniform => random_uniform(&arch, 1.0, &mut rng),
        TargetNorm::Spectral => random_spectral(&arch, 1.0, &mut rng),
    }
    .map_err(|e| err(&e))?;
    Ok(Target {
        name: format!("relu-l{depth}-n{width}-{}", norm.name()),
        network,
        domain: Domain::cube(width, -1.0, 1.0).map_err(|e| err(&e))?,
        digits: None,
    })
}

pub(crate) fn digits_target(
    cfg: &TrainConfig,
    split: (f64, u64),
) -> Result<Target, ExperimentError> {
    let comp = |e: digits::DigitsError| ExperimentError::computation(NAME, e);
    let data = digits::load_digits().map_err(comp)?;
    let s = data.split(split.0, split.1);
    let network = digits::train(&s.train_x, &s.train_y, cfg).map_err(comp)?;
    let pred_f = digits::predict(
        &network
            .forward_rows(&s.test_x)
            .map_err(|e| comp(e.into()))?,
    );
    let acc_f = digits::share_equal(&pred_f, &s.test_y);
    let domain = Domain::points(data.pixels).map_err(|e| ExperimentError::computation(NAME, e))?;
    Ok(Target {
        name: format!("digits-64-{}-10", cfg.hidden),
        network,
        domain,
        digits: Some(DigitsEval {
            test_x: s.test_x,
            test_y: s.test_y,
            pred_f,
            acc_f,
        }),
    })
}

/// A message as an error (for [`ExperimentError::computation`]).
#[derive(Debug)]
pub(crate) struct SimpleError(pub(crate) String);

impl std::fmt::Display for SimpleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SimpleError {}

/// Forwards the construction crate's progress (target weights, then inputs) to the
/// experiment's bar.
pub(crate) struct Forward<'a>(&'a dyn crate::Progress);

impl logprune_construction::Progress for Forward<'_> {
    fn start(&self, _stage: &str, total: u64) {
        self.0.add_total(total);
    }
    fn advance(&self, n: u64) {
        self.0.advance(n);
    }
}

/// The short name of an error kind, for the `status` column.
pub fn error_kind(e: &ConstructionError) -> &'static str {
    match e {
        ConstructionError::Undecomposable { .. } => "undecomposable",
        ConstructionError::NotWithinEps { .. } => "not-within-eps",
        ConstructionError::NotWithinTolerance { .. } => "not-within-tolerance",
        ConstructionError::EpsilonWUnderflow { .. } => "epsilon-w-underflow",
        ConstructionError::TooLarge { .. } => "too-large",
        ConstructionError::TooManyCandidates { .. } => "too-many-candidates",
        ConstructionError::BelowFloatingPoint { .. } => "below-floating-point",
        _ => "error",
    }
}

/// The columns of `end_to_end.csv`.
pub const COLUMNS: &[&str] = &[
    "target",
    "depth",
    "n_max",
    "domain",
    "construction",
    "solver",
    "eps",
    "delta",
    "status",
    "detail",
    "widths_g",
    "weights_g",
    "log10_weights_g",
    "n_star",
    "ratio_ng_nstar",
    "corollary7_ratio",
    "corollary7_leading",
    "k_prime",
    "epsilon_w",
    "neurons_per_weight",
    "kept_neurons",
    "kept_per_target_weight",
    "products_consulted",
    "products_per_target_weight",
    "max_weight_error_plus",
    "max_weight_error_minus",
    "certified_lemma1",
    "certified_recurrence",
    "measured_max_error",
    "inputs_checked",
    "test_accuracy_f",
    "test_accuracy_g",
    "test_agreement",
    "seconds",
];

pub(crate) fn empty() -> Cell {
    Cell::Text(String::new())
}

pub(crate) fn join_u64(v: &[u64]) -> String {
    v.iter().map(u64::to_string).collect::<Vec<_>>().join(";")
}

/// The plan's architecture as [`Widths`] and Theorem 3's `M_i` for every layer, with the
/// plan's `k'`.
pub(crate) fn theorem3_widths(
    plan: &Plan,
    delta: f64,
) -> Result<(Widths, Vec<Count>), ExperimentError> {
    let comp = |e| ExperimentError::computation(NAME, e);
    let w: Vec<u64> = plan
        .network()
        .architecture()
        .widths()
        .iter()
        .map(|&n| n as u64)
        .collect();
    let layers = w.len() - 1;
    let kp = plan.k_prime();
    let m: Vec<Count> = w
        .windows(2)
        .map(|p| theorem3::m_i(kp, p[1], p[0], layers, delta))
        .collect::<Result<_, _>>()
        .map_err(comp)?;
    Ok((Widths::new(w).map_err(comp)?, m))
}

/// Corollary 7 for the plan's F' and `k'`: the exact `N_G/N*` with Theorem 3's `M_i`, and the
/// leading term `32 n_max k'`.
pub(crate) fn corollary7(plan: &Plan, delta: f64) -> Result<(f64, f64), ExperimentError> {
    let comp = |e| ExperimentError::computation(NAME, e);
    let (widths, m) = theorem3_widths(plan, delta)?;
    let ratio = theorem3::corollary7_ratio(&widths, &m).map_err(comp)?;
    let leading =
        theorem3::corollary7_leading_term(widths.n_max(), plan.k_prime()).map_err(comp)?;
    Ok((ratio.value(), leading))
}

fn run_cell(
    target: &Target,
    construction: Construction,
    solver: SolverKind,
    eps: f64,
    cfg: &EndToEndConfig,
    ctx: &Ctx<'_>,
) -> Result<Vec<Cell>, ExperimentError> {
    let start = Instant::now();
    let config = PruneConfig {
        delta: cfg.delta,
        construction,
        solver,
        seed: cfg.g_seed,
        ..PruneConfig::new(eps)
    };
    let arch = target.network.architecture();
    let mut row = crate::row![
        target.name.as_str(),
        arch.depth(),
        arch.widths().iter().copied().max().unwrap_or(0),
        target.domain.kind().name(),
        construction.name(),
        solver.name(),
        eps,
        cfg.delta,
    ];
    let layer_weights = arch
        .widths()
        .windows(2)
        .map(|w| w[0] * w[1])
        .max()
        .unwrap_or(0);
    if construction == Construction::Batch
        && solver == SolverKind::BestFit
        && layer_weights > cfg.batch_best_fit_max_layer_weights
    {
        row.push("skipped".into());
        row.push(
            format!(
                "batch + best-fit ranks the whole pool for every target weight (cost ∝ (n_i n_{{i-1}})²): run only up to {} weights per layer",
                cfg.batch_best_fit_max_layer_weights
            )
            .into(),
        );
        row.extend(failure_cells(None, target, &config, cfg.delta)?);
        row.push(0.0.into());
        return Ok(row);
    }
    let result = prune(
        &target.network,
        &target.domain,
        &config,
        &Forward(ctx.progress),
    );
    let seconds = start.elapsed().as_secs_f64();
    match result {
        Ok(p) => {
            row.extend(success_cells(&p, target, cfg.delta)?);
        }
        Err(e) => {
            row.push(error_kind(&e).into());
            row.push(e.to_string().into());
            row.extend(failure_cells(Some(&e), target, &config, cfg.delta)?);
        }
    }
    row.push(seconds.into());
    debug_assert_eq!(row.len(), COLUMNS.len());
    Ok(row)
}

/// The cells from `status` to `test_agreement` of a successful run.
fn success_cells(p: &Pruning, target: &Target, delta: f64) -> Result<Vec<Cell>, ExperimentError> {
    let r = &p.report;
    let (c7, c7_leading) = corollary7(&p.plan, delta)?;
    let n_star = r.n_weights_target as f64;
    let mut cells = crate::row![
        "ok",
        "",
        join_u64(&r.widths),
        r.n_weights_large,
        r.log10_n_weights_large,
        r.n_weights_target,
        r.n_weights_large / n_star,
        c7,
        c7_leading,
        r.k_prime,
        r.epsilon_w,
        r.neurons_per_weight,
        r.kept_neurons_total,
        r.kept_neurons_total as f64 / n_star,
        r.products_consulted,
        r.products_per_target_weight,
        r.max_weight_error_plus,
    ];
    cells.push(r.max_weight_error_minus.map_or_else(empty, Cell::from));
    cells.extend(crate::row![
        r.certified_bound_lemma1,
        r.certified_bound,
        r.empirical_max_error,
        r.inputs_checked,
    ]);
    match &target.digits {
        Some(d) => {
            let out = p
                .pruned
                .forward_batch(&d.test_x)
                .map_err(|e| ExperimentError::computation(NAME, e))?;
            let pred_g = digits::predict(&out);
            cells.extend(crate::row![
                d.acc_f,
                digits::share_equal(&pred_g, &d.test_y),
                digits::share_equal(&pred_g, &d.pred_f),
            ]);
        }
        None => cells.extend([empty(), empty(), empty()]),
    }
    Ok(cells)
}

/// The cells from `widths_g` to `test_agreement` of a failed (or skipped: `e = None`) run:
/// what the plan knows, the two bounds of [`ConstructionError::NotWithinEps`], F's accuracy;
/// empty text elsewhere.
fn failure_cells(
    e: Option<&ConstructionError>,
    target: &Target,
    config: &PruneConfig,
    delta: f64,
) -> Result<Vec<Cell>, ExperimentError> {
    let mut cells: Vec<Cell> = (0..23).map(|_| empty()).collect();
    if let Ok(plan) = Plan::new(&target.network, &target.domain, config) {
        let n_star = plan.network().architecture().num_weights() as f64;
        let layout = config.construction.layout(&plan);
        if let Ok(layout) = &layout {
            cells[9] = layout.neurons_per_weight().into();
        }
        if let Ok(large) = layout.and_then(|l| plan.large_network(&*l)) {
            cells[0] = join_u64(large.intermediate_widths()).into();
            cells[1] = large.num_weights().into();
            cells[2] = large.num_weights().log10().into();
            cells[4] = (large.num_weights() / n_star).into();
        }
        cells[3] = (n_star as u64).into();
        let (c7, c7_leading) = corollary7(&plan, delta)?;
        cells[5] = c7.into();
        cells[6] = c7_leading.into();
        cells[7] = plan.k_prime().into();
        cells[8] = plan.epsilon_w().into();
    }
    if let Some(ConstructionError::NotWithinEps {
        certified_bound,
        empirical_max_error,
        ..
    }) = e
    {
        cells[17] = (*certified_bound).into();
        cells[18] = (*empirical_max_error).into();
    }
    if let Some(d) = &target.digits {
        cells[20] = d.acc_f.into();
    }
    Ok(cells)
}

/// `end_to_end.csv` for `cfg` (see the [module documentation](self)). Returns the table, rows
/// in the order target (random by depth, width, scaling; then digits) × construction × solver
/// × `ε`; `seconds` is volatile.
///
/// # Errors
/// [`ExperimentError::Computation`] if a target cannot be built or trained, or a bound is
/// refused (a failed pruning run is a row, not an error).
pub fn end_to_end_table(cfg: &EndToEndConfig, ctx: &Ctx<'_>) -> Result<Table, ExperimentError> {
    let mut specs: Vec<Option<(usize, usize, TargetNorm)>> = Vec::new();
    for &d in &cfg.depths {
        for &n in &cfg.widths {
            for &norm in &cfg.norms {
                specs.push(Some((d, n, norm)));
            }
        }
    }
    if cfg.digits.is_some() {
        specs.push(None);
    }
    let targets: Vec<Target> = specs
        .par_iter()
        .map(|s| match (s, &cfg.digits) {
            (Some((d, n, norm)), _) => random_target(*d, *n, *norm),
            (None, Some(t)) => digits_target(t, cfg.digits_split),
            (None, None) => Err(ExperimentError::computation(
                NAME,
                SimpleError("no digits configuration".into()),
            )),
        })
        .collect::<Result<_, _>>()?;
    let mut cells = Vec::new();
    for t in &targets {
        for &c in &cfg.constructions {
            for &s in &cfg.solvers {
                for &e in &cfg.eps {
                    cells.push((t, c, s, e));
                }
            }
        }
    }
    let rows: Vec<Vec<Cell>> = cells
        .par_iter()
        .map(|&(t, c, s, e)| run_cell(t, c, s, e, cfg, ctx))
        .collect::<Result<_, _>>()?;
    let mut table = Table::new(COLUMNS).with_volatile(&["seconds"]);
    table.extend(rows);
    Ok(table)
}

fn column(table: &Table, name: &str) -> Option<usize> {
    table.columns().iter().position(|c| c == name)
}

fn float(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Float(v) => Some(*v),
        Cell::Int(v) => Some(*v as f64),
        _ => None,
    }
}

/// `end_to_end.svg`: one panel per construction of the table, measured error and both
/// certificates against `ε` (log axes) for every successful run, and `y = ε`.
///
/// # Errors
/// [`ExperimentError::Plot`] if the table lacks a column or a value cannot be drawn.
pub fn end_to_end_figure(table: &Table) -> Result<String, ExperimentError> {
    let col = |name: &str| {
        column(table, name).ok_or_else(|| ExperimentError::Plot {
            figure: "end_to_end.svg".into(),
            message: format!("missing column {name}"),
        })
    };
    let (c_con, c_status, c_eps) = (col("construction")?, col("status")?, col("eps")?);
    let quantities = [
        ("measured", col("measured_max_error")?),
        ("certified (recurrence)", col("certified_recurrence")?),
        ("certified (Lemma 1)", col("certified_lemma1")?),
    ];
    let mut constructions: Vec<String> = Vec::new();
    for r in table.rows() {
        if let Cell::Text(c) = &r[c_con]
            && !constructions.contains(c)
        {
            constructions.push(c.clone());
        }
    }
    let mut charts = Vec::new();
    for con in &constructions {
        let rows: Vec<&Vec<Cell>> = table
            .rows()
            .iter()
            .filter(|r| {
                r[c_con] == Cell::Text(con.clone()) && r[c_status] == Cell::Text("ok".into())
            })
            .collect();
        let mut series = Vec::new();
        for (label, c) in quantities {
            let pts: Vec<(f64, f64)> = rows
                .iter()
                .filter_map(|r| Some((float(&r[c_eps])?, float(&r[c])?)))
                .filter(|&(_, y)| y > 0.0)
                .collect();
            series.push(Series::new(label, pts).mark(Mark::Points));
        }
        let mut eps: Vec<f64> = rows.iter().filter_map(|r| float(&r[c_eps])).collect();
        eps.sort_by(f64::total_cmp);
        eps.dedup();
        series.push(Series::new("ε", eps.iter().map(|&e| (e, e)).collect()).mark(Mark::Line));
        charts.push(Chart {
            title: format!("{con}: error of Ĝ against ε (every successful run)"),
            x_label: "ε".into(),
            y_label: "sup ‖F − Ĝ‖₂".into(),
            x_log: true,
            y_log: true,
            series,
            legend: Legend::LowerRight,
        });
    }
    svg("end_to_end.svg", &charts, 720, 360)
}

fn run_end_to_end(ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    let table = end_to_end_table(&EndToEndConfig::full(), ctx)?;
    let figure = end_to_end_figure(&table)?;
    Ok(vec![
        Artifact::csv("end_to_end.csv", table),
        Artifact::svg("end_to_end.svg", figure),
    ])
}

/// The configuration of `width_sufficiency.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct WidthConfig {
    /// Widths `n` of the single-layer targets (`n × n`).
    pub widths: Vec<usize>,
    /// Constructions.
    pub constructions: Vec<Construction>,
    /// Accuracy `ε`.
    pub eps: f64,
    /// Failure probability `δ`.
    pub delta: f64,
    /// Seeds of G: `0..seeds`.
    pub seeds: u64,
    /// Number of fractions of the theorem's width tried: `2^{-l/per_halving}` for
    /// `l = 0..levels`.
    pub levels: u32,
    /// Grid points per halving of the width.
    pub per_halving: u32,
}

impl WidthConfig {
    /// The `l`-th fraction of the grid, `2^{-l/per_halving}` (1 for `l = 0`).
    pub fn fraction(&self, l: u32) -> f64 {
        (-(f64::from(l)) / f64::from(self.per_halving.max(1))).exp2()
    }
}

impl WidthConfig {
    /// The configuration of `cargo xtask reproduce`: `n ∈ {4, 8, 16}`, recycling and batch if
    /// available (else per-weight), `ε = 0.01`, `δ = 0.01`, 100 seeds, the fractions
    /// `2^{-l/4}`, `l = 0..=24` (1 down to 1/64).
    pub fn full() -> Self {
        WidthConfig {
            widths: vec![4, 8, 16],
            constructions: width_constructions(),
            eps: 0.01,
            delta: 0.01,
            seeds: 100,
            levels: 25,
            per_halving: 4,
        }
    }
}

/// The constructions of `width_sufficiency.csv`: the layer-wide constructions of the paper,
/// recycling (Theorem 30) and batch (Theorem 3).
pub fn width_constructions() -> Vec<Construction> {
    vec![Construction::Recycling, Construction::Batch]
}

/// The columns of `width_sufficiency.csv`.
pub const WIDTH_COLUMNS: &[&str] = &[
    "construction",
    "n",
    "eps",
    "delta",
    "solver",
    "fraction",
    "width_g",
    "width_theorem",
    "seeds",
    "successes",
    "success_rate",
    "min_fraction_99",
    "min_width_99",
];

/// The single-layer target of `width_sufficiency.csv`: `n × n`, uniform on `[-1, 1]`, identity,
/// seed `n`.
fn single_layer(n: usize) -> Result<Network, ExperimentError> {
    let comp = |e: &dyn std::fmt::Display| {
        ExperimentError::computation(WIDTH_NAME, SimpleError(format!("single layer n={n}: {e}")))
    };
    let arch = Architecture::new(vec![n, n], vec![Activation::Identity]).map_err(|e| comp(&e))?;
    let mut rng = Pcg64Mcg::seed_from_u64(n as u64);
    random_uniform(&arch, 1.0, &mut rng).map_err(|e| comp(&e))
}

/// Whether G with `seed` at `width_scale = fraction` of the theorem's width decomposes every
/// target weight (the construction's oracle only: no check, no measurement). Returns the
/// outcome and G's total intermediate width `Σ M_i`.
fn decomposes(
    target: &Network,
    domain: &Domain,
    base: &PruneConfig,
    fraction: f64,
    seed: u64,
) -> Result<(bool, u64), ExperimentError> {
    let comp = |e| ExperimentError::computation(WIDTH_NAME, e);
    let config = PruneConfig {
        seed,
        width_scale: fraction,
        ..*base
    };
    let plan = Plan::new(target, domain, &config).map_err(comp)?;
    let layout = config.construction.layout(&plan).map_err(comp)?;
    let large = plan.large_network(&*layout).map_err(comp)?;
    let width = large.intermediate_widths().iter().sum();
    match oracle::run(&*layout, &large, &plan.oracle_spec(), &NoProgress) {
        Ok(_) => Ok((true, width)),
        Err(ConstructionError::Undecomposable { .. }) => Ok((false, width)),
        Err(e) => Err(comp(e)),
    }
}

/// `width_sufficiency.csv` for `cfg` (see the [module documentation](self)). Returns one row
/// per construction × `n` × fraction, with the group's smallest fraction (and width) such
/// that it and every larger fraction of the grid sufficed for at least 99 % of the seeds
/// (empty text if even the theorem's width did not).
///
/// # Errors
/// [`ExperimentError::Computation`] if a target or a plan is refused, or the oracle fails
/// for another reason than an undecomposable weight.
pub fn width_sufficiency_table(cfg: &WidthConfig, ctx: &Ctx<'_>) -> Result<Table, ExperimentError> {
    let comp = |e| ExperimentError::computation(WIDTH_NAME, e);
    let mut table = Table::new(WIDTH_COLUMNS);
    for &construction in &cfg.constructions {
        for &n in &cfg.widths {
            let target = single_layer(n)?;
            let domain = Domain::cube(n, -1.0, 1.0).map_err(comp)?;
            let base = PruneConfig {
                delta: cfg.delta,
                construction,
                solver: SolverKind::GoldenRatio,
                ..PruneConfig::new(cfg.eps)
            };
            let items: Vec<(u32, u64)> = (0..cfg.levels)
                .flat_map(|l| (0..cfg.seeds).map(move |s| (l, s)))
                .collect();
            ctx.progress.add_total(items.len() as u64);
            let results: Vec<(bool, u64)> = items
                .par_iter()
                .map(|&(l, s)| {
                    let r = decomposes(&target, &domain, &base, cfg.fraction(l), s);
                    ctx.progress.advance(1);
                    r
                })
                .collect::<Result<_, _>>()?;
            let per_level: Vec<(u64, u64)> = (0..cfg.levels as usize)
                .map(|l| {
                    let chunk = &results[l * cfg.seeds as usize..(l + 1) * cfg.seeds as usize];
                    let ok = chunk.iter().filter(|r| r.0).count() as u64;
                    (ok, chunk.first().map_or(0, |r| r.1))
                })
                .collect();
            let mut min_level = None;
            for (l, &(ok, _)) in per_level.iter().enumerate() {
                if ok * 100 >= 99 * cfg.seeds {
                    min_level = Some(l);
                } else {
                    break;
                }
            }
            let width_theorem = per_level.first().map_or(0, |p| p.1);
            for (l, &(ok, width)) in per_level.iter().enumerate() {
                let mut row = crate::row![
                    construction.name(),
                    n,
                    cfg.eps,
                    cfg.delta,
                    SolverKind::GoldenRatio.name(),
                    cfg.fraction(l as u32),
                    width,
                    width_theorem,
                    cfg.seeds,
                    ok,
                    ok as f64 / cfg.seeds as f64,
                ];
                match min_level {
                    Some(ml) => {
                        row.push(cfg.fraction(ml as u32).into());
                        row.push(per_level[ml].1.into());
                    }
                    None => row.extend([empty(), empty()]),
                }
                table.push(row);
            }
        }
    }
    Ok(table)
}

fn run_width_sufficiency(ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    let table = width_sufficiency_table(&WidthConfig::full(), ctx)?;
    Ok(vec![Artifact::csv("width_sufficiency.csv", table)])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::with_threads;

    /// Named tolerances.
    mod prec {
        /// Shares of a few hundred test inputs compared after a subtraction.
        pub const SHARE: f64 = 1e-12;
        /// Corollary 7's ratio computed in the log domain against a plain f64 quotient.
        pub const RATIO: f64 = 1e-12;
    }

    /// Random targets only (the digits cell has its own test).
    fn small() -> EndToEndConfig {
        EndToEndConfig {
            digits: None,
            ..with_digits()
        }
    }

    fn with_digits() -> EndToEndConfig {
        EndToEndConfig {
            depths: vec![2],
            widths: vec![4],
            norms: vec![TargetNorm::Uniform, TargetNorm::Spectral],
            digits: Some(TrainConfig {
                epochs: 4,
                hidden: 16,
                ..TrainConfig::full()
            }),
            digits_split: (0.2, 5),
            constructions: constructions(),
            solvers: vec![SolverKind::GoldenRatio, SolverKind::BestFit],
            eps: vec![0.1],
            delta: 0.01,
            g_seed: 0,
            batch_best_fit_max_layer_weights: 64,
        }
    }

    fn strip(t: &Table) -> Vec<Vec<Cell>> {
        let s = column(t, "seconds").unwrap();
        t.rows()
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r.remove(s);
                r
            })
            .collect()
    }

    #[test]
    fn end_to_end_rows_are_thread_independent_and_within_eps() {
        let cfg = small();
        let ctx = Ctx::default();
        let one = with_threads(1, || end_to_end_table(&cfg, &ctx)).unwrap();
        let two = with_threads(2, || end_to_end_table(&cfg, &ctx)).unwrap();
        assert_eq!(strip(&one), strip(&two));
        let n_rows = 2 * cfg.constructions.len() * cfg.solvers.len() * cfg.eps.len();
        assert_eq!(one.rows().len(), n_rows);
        let csv = one.to_csv().unwrap();
        assert!(csv.starts_with("target,depth,n_max,"));
        let c = |name| column(&one, name).unwrap();
        for r in one.rows() {
            assert_eq!(r.len(), COLUMNS.len());
            // Every construction at the theorem's width succeeds and is within ε.
            assert_eq!(r[c("status")], Cell::Text("ok".into()), "{r:?}");
            let eps = float(&r[c("eps")]).unwrap();
            let measured = float(&r[c("measured_max_error")]).unwrap();
            let recurrence = float(&r[c("certified_recurrence")]).unwrap();
            assert!(measured <= recurrence && recurrence <= eps, "{r:?}");
            // G has more weights than F.
            let ratio = float(&r[c("ratio_ng_nstar")]).unwrap();
            assert!(ratio > 1.0);
            // Batch sampling's G has exactly Theorem 3's M_i, so its N_G/N* is Corollary 7's.
            if r[c("construction")] == Cell::Text(Construction::Batch.name().into()) {
                let c7 = float(&r[c("corollary7_ratio")]).unwrap();
                assert!((ratio - c7).abs() <= prec::RATIO * c7, "{ratio} vs {c7}");
            }
        }
        let figure = end_to_end_figure(&one).unwrap();
        assert!(figure.contains("per-weight"));
    }

    #[test]
    fn digits_rows_report_accuracies() {
        let cfg = EndToEndConfig {
            depths: vec![],
            constructions: vec![Construction::PerWeight],
            solvers: vec![SolverKind::GoldenRatio],
            ..with_digits()
        };
        let t = end_to_end_table(&cfg, &Ctx::default()).unwrap();
        assert_eq!(t.rows().len(), 1);
        let r = &t.rows()[0];
        let c = |name| column(&t, name).unwrap();
        assert_eq!(r[c("status")], Cell::Text("ok".into()), "{r:?}");
        assert_eq!(r[c("domain")], Cell::Text("points".into()));
        assert_eq!(float(&r[c("inputs_checked")]), Some(digits::ROWS as f64));
        let acc_f = float(&r[c("test_accuracy_f")]).unwrap();
        let acc_g = float(&r[c("test_accuracy_g")]).unwrap();
        let agree = float(&r[c("test_agreement")]).unwrap();
        assert!(acc_f > 0.5, "{acc_f}");
        // Ĝ is within ε = 0.1 of F on every row: the predictions can differ only where F's
        // top two logits are within 2ε, and the accuracies by at most the disagreement.
        assert!((acc_f - acc_g).abs() <= 1.0 - agree + prec::SHARE);
        assert!(agree > 0.9, "{agree} {r:?}");
    }

    #[test]
    fn failed_runs_are_rows() {
        // ε_w underflows for nothing here; force a failure with a tiny G instead through the
        // width table's oracle: one neuron per weight cannot decompose every weight.
        let target = single_layer(4).unwrap();
        let domain = Domain::cube(4, -1.0, 1.0).unwrap();
        let base = PruneConfig::new(0.01);
        let (ok, width) = decomposes(&target, &domain, &base, 1e-6, 0).unwrap();
        assert!(!ok);
        assert_eq!(width, 16);
        let e = ConstructionError::NotWithinEps {
            eps: 0.1,
            certified_bound: 0.2,
            empirical_max_error: 0.05,
        };
        assert_eq!(error_kind(&e), "not-within-eps");
        let t = random_target(2, 4, TargetNorm::Uniform).unwrap();
        let cells = failure_cells(Some(&e), &t, &base, 0.01).unwrap();
        assert_eq!(cells.len(), COLUMNS.len() - 11);
        assert_eq!(cells[18], Cell::Float(0.05));
        assert_eq!(cells[17], Cell::Float(0.2));
        assert!(matches!(cells[0], Cell::Text(ref s) if s.split(';').count() == 2));
    }

    #[test]
    fn width_table_small() {
        let cfg = WidthConfig {
            widths: vec![4],
            seeds: 4,
            levels: 3,
            per_halving: 1,
            ..WidthConfig::full()
        };
        let ctx = Ctx::default();
        let one = with_threads(1, || width_sufficiency_table(&cfg, &ctx)).unwrap();
        let two = with_threads(2, || width_sufficiency_table(&cfg, &ctx)).unwrap();
        assert_eq!(one, two);
        assert_eq!(one.rows().len(), cfg.constructions.len() * 3);
        let c = |name| column(&one, name).unwrap();
        for r in one.rows() {
            // At the theorem's width (fraction 1) every seed succeeds.
            if r[c("fraction")] == Cell::Float(1.0) {
                assert_eq!(r[c("successes")], Cell::Int(4), "{r:?}");
            }
        }
        one.to_csv().unwrap();
    }
}
