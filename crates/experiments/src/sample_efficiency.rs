//! `sample_efficiency.csv` and `sample_efficiency.svg`: how small G can be and still
//! certifiably contain Ĝ, per construction, distribution of G's weights and solver, next to
//! the widths of Theorem 3 and Theorem 30 and Corollary 7's ratio.
//!
//! For each cell (target × construction × distribution × solver × `ε`) and each seed of G,
//! [`smallest_width`] bisects the layout's width parameter (the per-weight block `m`, the
//! recycling window, the batch pool per target weight, the shared-input `r`) down to the
//! smallest width at which every target weight decomposes, starting from the layout's theorem
//! width and doubling it a few times when that fails. The run at seed 0's width is then
//! pruned and checked as every run is (every kept weight re-derived), so the certificate and
//! the measurement decide the row's status. Tolerances follow the recurrence rule
//! ([`ToleranceRule::Recurrence`]): the per-layer certificate, not Lemma 1, meets `ε`. The
//! theorems' columns use Lemma 1's `k'`, as the paper does.
//!
//! Theorem 3's width holds only for hyperbolic G; for the other distributions the search
//! starts from the same width (the layout's hyperbolic default) and the row records whether
//! any width tried decomposes: the empirical side of Remark 16's question.
//!
//! Rows come in the order target × construction × distribution × solver × `ε`; cells that
//! cannot succeed keep their row with the status (`undecomposable` at every width tried,
//! `too-many-candidates` for the exact solver on a G whose halves have more than 40
//! candidates, `not-within-eps`, or `skipped` with the reason).

use std::time::Instant;

use logprune_bounds::{Count, theorem3, theorem30};
use logprune_construction::{
    Construction, ConstructionError, GDistribution, NoProgress, Plan, PruneConfig, SolverKind,
    ToleranceRule, WidthSearch, prune, smallest_width, start_width,
};
use rayon::prelude::*;

use crate::digits::TrainConfig;
use crate::end_to_end::{
    Target, TargetNorm, digits_target, empty, error_kind, random_target, theorem3_widths,
};
use crate::plot::{Chart, Legend, Mark, Series, svg};
use crate::table::{Cell, Table};
use crate::{Artifact, Ctx, Experiment, ExperimentError};

/// The experiment of this module.
pub const EXPERIMENTS: &[Experiment] = &[Experiment {
    name: NAME,
    paper: "Theorems 3 and 30, Corollary 7, Remark 16: the smallest width at which G certifiably contains Ĝ, per construction, distribution of G and solver",
    run: run_sample_efficiency,
}];

const NAME: &str = "sample_efficiency";

/// The configuration of `sample_efficiency.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct EfficiencyConfig {
    /// Widths `n` of the random 2-layer ReLU targets (`n-n-n`, spectral scaling, on
    /// `[-1, 1]^n`).
    pub widths: Vec<usize>,
    /// The digits target's trainer (`None`: no digits rows).
    pub digits: Option<TrainConfig>,
    /// Test fraction and seed of the digits split.
    pub digits_split: (f64, u64),
    /// Constructions.
    pub constructions: Vec<Construction>,
    /// Distributions of G's weights.
    pub distributions: Vec<GDistribution>,
    /// Solvers (the exact solver only where it applies: per-weight and shared-input).
    pub solvers: Vec<SolverKind>,
    /// Accuracies `ε`.
    pub eps: Vec<f64>,
    /// Targets with more than this many weights run at the last `ε` only (the figure's).
    pub all_eps_max_weights: u64,
    /// Failure probability `δ`.
    pub delta: f64,
    /// Seeds of G per cell, `0..seeds`, for hyperbolic G with the golden-ratio and best-fit
    /// solvers on targets with at most `many_seeds_max_weights` target weights; the other
    /// cells get seed 0 only.
    pub seeds: u64,
    /// See `seeds`.
    pub many_seeds_max_weights: u64,
    /// How many times the search may double the start width when it fails, for hyperbolic
    /// G.
    pub doublings_hyperbolic: u32,
    /// The same for the other distributions (whose failures are by orders of magnitude).
    pub doublings_other: u32,
    /// Where the exact solver's search starts (it refuses halves of more than 40 candidates,
    /// so it cannot start from the theorem's width).
    pub exact_start: u64,
    /// How many times the exact solver's search may double `exact_start`.
    pub exact_doublings: u32,
    /// Best-fit ranks every candidate, so with the batch layout (a pool of `∝ n_i n_{i-1}`
    /// neurons per layer) a layer costs `∝ (n_i n_{i-1})²`: run only on targets whose layers
    /// have at most this many weights.
    pub batch_best_fit_max_layer_weights: usize,
    /// The exact solver's meet in the middle costs `∝ 2^{c/2}` per half of `c` candidates
    /// (about 60 ms per target weight at `c = 32`): run only on targets with at most this
    /// many weights.
    pub exact_max_weights: u64,
    /// The shared-input and per-weight layouts with non-hyperbolic G only fail here, at
    /// every width: they are run only on targets with at most this many weights (their
    /// failing probes consult every product of G).
    pub other_max_weights: u64,
    /// The batch layout with non-hyperbolic G grows its pool with every doubling and consults
    /// it for every target weight (minutes on the digits): run only on targets with at most
    /// this many weights.
    pub other_batch_max_weights: u64,
}

impl EfficiencyConfig {
    /// The configuration of `cargo xtask reproduce`: `n ∈ {16, 64, 256}`, the digits target,
    /// every construction, hyperbolic, uniform on `[-1, 1]`, `N(0, 1)` and Kaiming-uniform G,
    /// golden-ratio, best-fit and exact, `ε ∈ {0.1, 0.01}` (`n = 256`: `ε = 0.01` only),
    /// `δ = 0.01`; 10 seeds on the
    /// targets of at most 512 weights (`n = 16`; hyperbolic G, golden-ratio and best-fit;
    /// seed 0 elsewhere); up to 3 doublings of the start width for hyperbolic G, 2 for the
    /// others; the exact solver from width 6 with 2 doublings (up to 24); the other
    /// distributions on the targets of at most 2368 weights (`n = 16` and the digits), the
    /// exact solver, and the batch layout with non-hyperbolic G, on those of at most 512
    /// (`n = 16`).
    pub fn full() -> Self {
        EfficiencyConfig {
            widths: vec![16, 64, 256],
            digits: Some(TrainConfig::full()),
            digits_split: (0.2, 5),
            constructions: Construction::ALL.to_vec(),
            distributions: vec![
                GDistribution::Hyperbolic,
                GDistribution::Uniform { c: 1.0 },
                GDistribution::Gaussian { sigma: 1.0 },
                GDistribution::KaimingUniform,
            ],
            solvers: SolverKind::ALL.to_vec(),
            eps: vec![0.1, 0.01],
            all_eps_max_weights: 10_000,
            delta: 0.01,
            seeds: 10,
            many_seeds_max_weights: 512,
            doublings_hyperbolic: 3,
            doublings_other: 2,
            exact_start: 6,
            exact_doublings: 2,
            batch_best_fit_max_layer_weights: 256,
            other_max_weights: 2368,
            exact_max_weights: 512,
            other_batch_max_weights: 512,
        }
    }
}

/// The columns of `sample_efficiency.csv`.
pub const COLUMNS: &[&str] = &[
    "target",
    "n_max",
    "n_star",
    "construction",
    "distribution",
    "solver",
    "eps",
    "delta",
    "tolerance_rule",
    "status",
    "detail",
    "parameter",
    "width_start",
    "width_largest_tried",
    "seeds",
    "seeds_decomposed",
    "width_found",
    "width_min",
    "width_median",
    "width_max",
    "fraction_of_start",
    "widths_g",
    "g_neurons_per_target_weight",
    "ratio_ng_nstar",
    "kept_neurons_per_target_weight",
    "kept_edges_per_target_weight",
    "certified",
    "measured",
    "k_prime",
    "k_prime_lemma1",
    "theorem3_neurons_per_target_weight",
    "theorem30_neurons_per_target_weight",
    "corollary7_ratio",
    "g_neurons_over_theorem3",
    "seconds",
];

/// One cell of the grid.
#[derive(Clone, Copy)]
struct Cell5<'a> {
    target: &'a Target,
    construction: Construction,
    distribution: GDistribution,
    solver: SolverKind,
    eps: f64,
}

impl Cell5<'_> {
    fn config(&self, cfg: &EfficiencyConfig, seed: u64) -> PruneConfig {
        let start = (self.solver == SolverKind::Exact).then_some(cfg.exact_start);
        let shared = self.construction == Construction::SharedInput;
        PruneConfig {
            delta: cfg.delta,
            tolerance_rule: ToleranceRule::Recurrence,
            construction: self.construction,
            solver: self.solver,
            distribution: self.distribution,
            seed,
            neurons_per_weight: start.filter(|_| !shared),
            neurons_per_input: start.filter(|_| shared),
            ..PruneConfig::new(self.eps)
        }
    }

    fn n_star(&self) -> u64 {
        self.target.network.architecture().num_weights() as u64
    }

    /// Why the cell is not run, if it is not.
    fn skip(&self, cfg: &EfficiencyConfig) -> Option<String> {
        let arch = self.target.network.architecture();
        let layer_weights = arch
            .widths()
            .windows(2)
            .map(|w| w[0] * w[1])
            .max()
            .unwrap_or(0);
        if self.construction == Construction::Batch
            && self.solver == SolverKind::BestFit
            && layer_weights > cfg.batch_best_fit_max_layer_weights
        {
            return Some(format!(
                "batch + best-fit ranks the whole pool for every target weight (cost ∝ (n_i n_{{i-1}})²): run only up to {} weights per layer",
                cfg.batch_best_fit_max_layer_weights
            ));
        }
        if self.solver == SolverKind::Exact && self.n_star() > cfg.exact_max_weights {
            return Some(format!(
                "the exact solver's meet in the middle costs ∝ 2^(c/2) per half of c ≤ 40 candidates: run only up to {} target weights",
                cfg.exact_max_weights
            ));
        }
        if self.distribution != GDistribution::Hyperbolic
            && self.construction == Construction::Batch
            && self.n_star() > cfg.other_batch_max_weights
        {
            return Some(format!(
                "batch with non-hyperbolic G grows its pool with every doubling and consults it for every target weight: run only up to {} target weights",
                cfg.other_batch_max_weights
            ));
        }
        if self.distribution != GDistribution::Hyperbolic && self.n_star() > cfg.other_max_weights {
            return Some(format!(
                "non-hyperbolic G is undecomposable at every width tried on the smaller targets (its failing probes consult every product): run only up to {} target weights",
                cfg.other_max_weights
            ));
        }
        None
    }

    fn seeds(&self, cfg: &EfficiencyConfig) -> u64 {
        if self.n_star() <= cfg.many_seeds_max_weights
            && self.distribution == GDistribution::Hyperbolic
            && self.solver != SolverKind::Exact
        {
            cfg.seeds.max(1)
        } else {
            1
        }
    }

    fn doublings(&self, cfg: &EfficiencyConfig) -> u32 {
        if self.solver == SolverKind::Exact {
            cfg.exact_doublings
        } else if self.distribution == GDistribution::Hyperbolic {
            cfg.doublings_hyperbolic
        } else {
            cfg.doublings_other
        }
    }
}

/// Whether the exact solver applies to a construction: its halves must have few candidates,
/// which only the per-weight block and the shared-input block give at small widths (the
/// recycling window and the batch pool hold a layer's worth).
fn exact_applies(c: Construction) -> bool {
    matches!(c, Construction::PerWeight | Construction::SharedInput)
}

/// The theorems' side of a target at `ε`: Lemma 1's `k'`, and Theorem 3's and Theorem 30's
/// `Σ_i M_i` per target weight, and Corollary 7's ratio.
struct Theorems {
    k_prime: f64,
    theorem3: f64,
    theorem30: f64,
    corollary7: f64,
}

fn theorems(target: &Target, eps: f64, delta: f64) -> Result<Theorems, ExperimentError> {
    let comp = |e| ExperimentError::computation(NAME, e);
    let config = PruneConfig {
        delta,
        ..PruneConfig::new(eps)
    };
    let plan = Plan::new(&target.network, &target.domain, &config).map_err(comp)?;
    let kp = plan.k_prime();
    let (widths, m3) = theorem3_widths(&plan, delta)?;
    let bcomp = |e| ExperimentError::computation(NAME, e);
    let m30 = theorem30::m_all(kp, &widths, delta).map_err(bcomp)?;
    let n_star = widths.n_star();
    let sum = |m: &[Count]| m.iter().map(|c| c.value()).sum::<f64>();
    let (t3, t30) = (sum(&m3), sum(&m30));
    let c7 = theorem3::corollary7_ratio(&widths, &m3)
        .map_err(bcomp)?
        .value();
    Ok(Theorems {
        k_prime: kp,
        theorem3: t3 / n_star,
        theorem30: t30 / n_star,
        corollary7: c7,
    })
}

/// The outcome of one cell, before it becomes a row.
struct Outcome {
    status: String,
    detail: String,
    start: u64,
    largest: u64,
    seeds: u64,
    found: Vec<u64>,
    seed0: Option<u64>,
    run: Option<RunFigures>,
    seconds: f64,
}

/// What the run at seed 0's width gives.
struct RunFigures {
    widths_g: String,
    g_neurons_per_target_weight: f64,
    ratio_ng_nstar: f64,
    kept_neurons_per_target_weight: f64,
    kept_edges_per_target_weight: f64,
    certified: f64,
    measured: f64,
    k_prime: f64,
}

fn run_cell(cell: Cell5<'_>, cfg: &EfficiencyConfig) -> Outcome {
    let started = Instant::now();
    let t = cell.target;
    let seeds = cell.seeds(cfg);
    let mut out = Outcome {
        status: String::new(),
        detail: String::new(),
        start: 0,
        largest: 0,
        seeds,
        found: Vec::new(),
        seed0: None,
        run: None,
        seconds: 0.0,
    };
    if let Some(why) = cell.skip(cfg) {
        out.status = "skipped".into();
        out.detail = why;
        return out;
    }
    let doublings = cell.doublings(cfg);
    match start_width(&t.network, &t.domain, &cell.config(cfg, 0)) {
        Ok(s) => {
            out.start = s;
            out.largest = s.saturating_mul(1 << doublings);
        }
        Err(e) => {
            out.status = error_kind(&e).into();
            out.detail = e.to_string();
            return out;
        }
    }
    let searches: Vec<Result<Option<WidthSearch>, ConstructionError>> = (0..seeds)
        .into_par_iter()
        .map(|seed| {
            smallest_width(
                &t.network,
                &t.domain,
                &cell.config(cfg, seed),
                doublings,
                &NoProgress,
            )
        })
        .collect();
    let mut first_error = None;
    for (seed, s) in searches.into_iter().enumerate() {
        match s {
            Ok(Some(s)) => {
                if seed == 0 {
                    out.seed0 = Some(s.found);
                }
                out.found.push(s.found);
            }
            Ok(None) => {}
            Err(e) => {
                if first_error.is_none() {
                    first_error = Some(e);
                }
            }
        }
    }
    out.found.sort_unstable();
    match (out.seed0, first_error) {
        (_, Some(e)) => {
            out.status = error_kind(&e).into();
            out.detail = e.to_string();
        }
        (None, None) => {
            out.status = "undecomposable".into();
            out.detail = format!(
                "no width up to {} ({} doublings of the start) decomposes every target weight for seed 0",
                out.largest, doublings
            );
        }
        (Some(k), None) => {
            let config = cell.config(cfg, 0).at_width(k);
            match prune(&t.network, &t.domain, &config, &NoProgress) {
                Ok(p) => {
                    let r = &p.report;
                    let n_star = r.n_weights_target as f64;
                    out.status = "ok".into();
                    out.run = Some(RunFigures {
                        widths_g: crate::end_to_end::join_u64(&r.widths),
                        g_neurons_per_target_weight: r.g_neurons_per_target_weight,
                        ratio_ng_nstar: r.n_weights_large / n_star,
                        kept_neurons_per_target_weight: r.kept_neurons_total as f64 / n_star,
                        kept_edges_per_target_weight: r.kept_edges_total as f64 / n_star,
                        certified: r.certified_bound,
                        measured: r.empirical_max_error,
                        k_prime: r.k_prime,
                    });
                }
                Err(e) => {
                    out.status = error_kind(&e).into();
                    out.detail = e.to_string();
                }
            }
        }
    }
    out.seconds = started.elapsed().as_secs_f64();
    out
}

/// The lower median of sorted values (`None` for none).
fn lower_median(sorted: &[u64]) -> Option<u64> {
    (!sorted.is_empty()).then(|| sorted[(sorted.len() - 1) / 2])
}

fn row(cell: Cell5<'_>, th: &Theorems, o: &Outcome, cfg: &EfficiencyConfig) -> Vec<Cell> {
    let t = cell.target;
    let arch = t.network.architecture();
    let opt_u = |v: Option<u64>| v.map_or_else(empty, Cell::from);
    let parameter = cell.construction.width_parameter();
    let mut r = crate::row![
        t.name.as_str(),
        arch.widths().iter().copied().max().unwrap_or(0),
        cell.n_star(),
        cell.construction.name(),
        cell.distribution.name(),
        cell.solver.name(),
        cell.eps,
        cfg.delta,
        ToleranceRule::Recurrence.name(),
        o.status.as_str(),
        o.detail.as_str(),
        parameter,
    ];
    r.push(if o.start > 0 { o.start.into() } else { empty() });
    r.push(if o.largest > 0 {
        o.largest.into()
    } else {
        empty()
    });
    r.push(o.seeds.into());
    r.push((o.found.len() as u64).into());
    r.push(opt_u(o.seed0));
    r.push(opt_u(o.found.first().copied()));
    r.push(opt_u(lower_median(&o.found)));
    r.push(opt_u(o.found.last().copied()));
    r.push(match o.seed0 {
        Some(k) if o.start > 0 => (k as f64 / o.start as f64).into(),
        _ => empty(),
    });
    match &o.run {
        Some(f) => {
            r.extend(crate::row![
                f.widths_g.as_str(),
                f.g_neurons_per_target_weight,
                f.ratio_ng_nstar,
                f.kept_neurons_per_target_weight,
                f.kept_edges_per_target_weight,
                f.certified,
                f.measured,
                f.k_prime,
            ]);
        }
        None => r.extend((0..8).map(|_| empty())),
    }
    r.extend(crate::row![
        th.k_prime,
        th.theorem3,
        th.theorem30,
        th.corollary7
    ]);
    r.push(match &o.run {
        Some(f) => (f.g_neurons_per_target_weight / th.theorem3).into(),
        None => empty(),
    });
    r.push(o.seconds.into());
    debug_assert_eq!(r.len(), COLUMNS.len());
    r
}

/// A point of the figure: a successful cell at some `ε`.
struct Point {
    n: f64,
    construction: Construction,
    distribution: GDistribution,
    eps: f64,
    neurons: f64,
}

/// A theorem's point of the figure: Theorem 3's and Theorem 30's `Σ M_i / N*` for the random
/// target of width `n` at `eps`.
struct TheoremPoint {
    n: f64,
    eps: f64,
    theorem3: f64,
    theorem30: f64,
}

/// `sample_efficiency.csv` for `cfg` and the points of its figure.
///
/// # Errors
/// [`ExperimentError::Computation`] if a target cannot be built or trained, or a theorem's
/// width is refused (a failed cell is a row, not an error).
fn table_and_points(
    cfg: &EfficiencyConfig,
    ctx: &Ctx<'_>,
) -> Result<(Table, Vec<Point>, Vec<TheoremPoint>), ExperimentError> {
    let mut targets = Vec::new();
    for &n in &cfg.widths {
        targets.push(random_target(2, n, TargetNorm::Spectral)?);
    }
    if let Some(d) = &cfg.digits {
        targets.push(digits_target(d, cfg.digits_split)?);
    }
    let mut cells = Vec::new();
    for t in &targets {
        for &construction in &cfg.constructions {
            for &distribution in &cfg.distributions {
                for &solver in &cfg.solvers {
                    if solver == SolverKind::Exact && !exact_applies(construction) {
                        continue;
                    }
                    let n_star = t.network.architecture().num_weights() as u64;
                    let eps: &[f64] = if n_star > cfg.all_eps_max_weights {
                        &cfg.eps[cfg.eps.len().saturating_sub(1)..]
                    } else {
                        &cfg.eps
                    };
                    for &eps in eps {
                        cells.push(Cell5 {
                            target: t,
                            construction,
                            distribution,
                            solver,
                            eps,
                        });
                    }
                }
            }
        }
    }
    let mut th = Vec::new();
    for t in &targets {
        for &eps in &cfg.eps {
            th.push(theorems(t, eps, cfg.delta)?);
        }
    }
    let theorems_of = |cell: &Cell5<'_>| {
        let ti = targets
            .iter()
            .position(|t| std::ptr::eq(t, cell.target))
            .unwrap_or(0);
        let ei = cfg.eps.iter().position(|&e| e == cell.eps).unwrap_or(0);
        &th[ti * cfg.eps.len() + ei]
    };
    ctx.progress.add_total(cells.len() as u64);
    let outcomes: Vec<Outcome> = cells
        .par_iter()
        .map(|&c| {
            let o = run_cell(c, cfg);
            ctx.progress.advance(1);
            o
        })
        .collect();
    let mut table = Table::new(COLUMNS).with_volatile(&["seconds"]);
    let mut points = Vec::new();
    for (c, o) in cells.iter().zip(&outcomes) {
        table.push(row(*c, theorems_of(c), o, cfg));
        if let (Some(f), None) = (&o.run, &c.target.digits) {
            points.push(Point {
                n: c.target.network.architecture().widths()[0] as f64,
                construction: c.construction,
                distribution: c.distribution,
                eps: c.eps,
                neurons: f.g_neurons_per_target_weight,
            });
        }
    }
    let mut lines = Vec::new();
    for (ti, t) in targets.iter().enumerate() {
        if t.digits.is_some() {
            continue;
        }
        for (ei, &eps) in cfg.eps.iter().enumerate() {
            let x = &th[ti * cfg.eps.len() + ei];
            lines.push(TheoremPoint {
                n: t.network.architecture().widths()[0] as f64,
                eps,
                theorem3: x.theorem3,
                theorem30: x.theorem30,
            });
        }
    }
    Ok((table, points, lines))
}

/// `sample_efficiency.csv` for `cfg` (see the [module documentation](self)); `seconds` is
/// volatile.
///
/// # Errors
/// As the experiment: a target that cannot be built, a theorem's width refused.
pub fn sample_efficiency_table(
    cfg: &EfficiencyConfig,
    ctx: &Ctx<'_>,
) -> Result<Table, ExperimentError> {
    Ok(table_and_points(cfg, ctx)?.0)
}

/// The figure: G's neurons per target weight against `n` at `ε` (log axes) for the random
/// targets, one line per construction × distribution (the best solver at each `n`; only the
/// cells that succeed), with Theorem 3's and Theorem 30's lines.
fn figure(
    points: &[Point],
    lines: &[TheoremPoint],
    cfg: &EfficiencyConfig,
    eps: f64,
) -> Result<String, ExperimentError> {
    let mut series = Vec::new();
    for &c in &cfg.constructions {
        for &d in &cfg.distributions {
            let mut pts: Vec<(f64, f64)> = Vec::new();
            for &n in &cfg.widths {
                let best = points
                    .iter()
                    .filter(|p| {
                        p.construction == c
                            && p.distribution == d
                            && p.eps == eps
                            && p.n == n as f64
                    })
                    .map(|p| p.neurons)
                    .fold(f64::INFINITY, f64::min);
                if best.is_finite() {
                    pts.push((n as f64, best));
                }
            }
            if !pts.is_empty() {
                series.push(
                    Series::new(format!("{} / {}", c.name(), d.name()), pts).mark(Mark::LinePoints),
                );
            }
        }
    }
    let at = |f: fn(&TheoremPoint) -> f64| -> Vec<(f64, f64)> {
        lines
            .iter()
            .filter(|l| l.eps == eps)
            .map(|l| (l.n, f(l)))
            .collect()
    };
    series.push(Series::new("Theorem 3 (Σ M_i / N*)", at(|l| l.theorem3)).mark(Mark::Points));
    series.push(Series::new("Theorem 30 (Σ M_i / N*)", at(|l| l.theorem30)).mark(Mark::Points));
    let chart = Chart {
        title: format!(
            "G's neurons per target weight at the smallest width found, ε = {eps} (2-layer random targets; seed 0, best solver)"
        ),
        x_label: "n".into(),
        y_label: "G's neurons per target weight".into(),
        x_log: true,
        y_log: true,
        series,
        legend: Legend::LowerRight,
    };
    svg("sample_efficiency.svg", &[chart], 900, 560)
}

fn run_sample_efficiency(ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    let cfg = EfficiencyConfig::full();
    let (table, points, lines) = table_and_points(&cfg, ctx)?;
    let fig = figure(&points, &lines, &cfg, 0.01)?;
    Ok(vec![
        Artifact::csv("sample_efficiency.csv", table),
        Artifact::svg("sample_efficiency.svg", fig),
    ])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::with_threads;

    fn small() -> EfficiencyConfig {
        EfficiencyConfig {
            widths: vec![4],
            digits: None,
            constructions: vec![Construction::PerWeight, Construction::SharedInput],
            distributions: vec![GDistribution::Hyperbolic, GDistribution::Uniform { c: 1.0 }],
            solvers: vec![SolverKind::GoldenRatio, SolverKind::BestFit],
            eps: vec![0.1],
            seeds: 3,
            ..EfficiencyConfig::full()
        }
    }

    fn col(t: &Table, name: &str) -> usize {
        t.columns().iter().position(|c| c == name).unwrap()
    }

    fn num(c: &Cell) -> Option<f64> {
        match c {
            Cell::Float(v) => Some(*v),
            Cell::Int(v) => Some(*v as f64),
            _ => None,
        }
    }

    #[test]
    fn every_cell_has_a_row_and_hyperbolic_g_certifies_below_the_theorem_width() {
        let cfg = small();
        let t = sample_efficiency_table(&cfg, &Ctx::default()).unwrap();
        assert_eq!(t.rows().len(), 2 * 2 * 2);
        let (status, dist, cert, found, lo, hi, start, seeds) = (
            col(&t, "status"),
            col(&t, "distribution"),
            col(&t, "certified"),
            col(&t, "width_found"),
            col(&t, "width_min"),
            col(&t, "width_max"),
            col(&t, "width_start"),
            col(&t, "seeds"),
        );
        for r in t.rows() {
            if r[dist] == Cell::from("hyperbolic") {
                assert_eq!(r[status], Cell::from("ok"), "{r:?}");
                assert_eq!(num(&r[seeds]), Some(3.0));
            } else {
                assert_eq!(num(&r[seeds]), Some(1.0));
            }
            if r[status] == Cell::from("ok") {
                assert!(num(&r[cert]).unwrap() <= 0.1);
                let k = num(&r[found]).unwrap();
                assert!(num(&r[lo]).unwrap() <= k && k <= num(&r[hi]).unwrap());
                assert!(k < num(&r[start]).unwrap() * 8.0);
            }
        }
        // Best-fit on hyperbolic G goes below the layout's theorem width.
        assert!(
            t.rows().iter().any(|r| r[status] == Cell::from("ok")
                && num(&r[found]).unwrap() < num(&r[start]).unwrap())
        );
    }

    #[test]
    fn the_table_is_the_same_on_one_and_two_threads() {
        let cfg = EfficiencyConfig {
            distributions: vec![GDistribution::Hyperbolic],
            ..small()
        };
        let one = with_threads(1, || {
            sample_efficiency_table(&cfg, &Ctx::default()).unwrap()
        });
        let two = with_threads(2, || {
            sample_efficiency_table(&cfg, &Ctx::default()).unwrap()
        });
        assert_eq!(one.to_stable_csv().unwrap(), two.to_stable_csv().unwrap());
    }

    #[test]
    fn the_figure_draws_the_theorems_and_the_successful_cells() {
        let cfg = EfficiencyConfig {
            distributions: vec![GDistribution::Hyperbolic],
            solvers: vec![SolverKind::BestFit],
            constructions: vec![Construction::SharedInput],
            widths: vec![4, 8],
            seeds: 1,
            ..small()
        };
        let (_, points, lines) = table_and_points(&cfg, &Ctx::default()).unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(lines.len(), 2);
        let svg = figure(&points, &lines, &cfg, 0.1).unwrap();
        assert!(svg.contains("shared-input / hyperbolic"));
        assert!(svg.contains("Theorem 30"));
    }
}
