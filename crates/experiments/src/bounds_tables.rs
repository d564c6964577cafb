//! The closed-form bounds of the paper as tables and a figure:
//!
//! - `paper_examples.csv`: every number the paper states about its bounds (Examples 2, 5, 6
//!   and 32, Remark 4, Corollary 7, Lemma 28, Theorem 30's proof), recomputed from the
//!   formulas of `logprune-bounds`, with how it compares to the printed value and whether the
//!   printed claim holds.
//! - `bounds_sweep.csv`: neurons per target weight `M_i/n_max²` for Theorem 3, Theorem 30,
//!   their minimum and Malach et al. over a grid of `n`, `ℓ`, `ε`, `δ`, with and without the
//!   spectral-norm assumption.
//! - `bounds.svg`: the same neurons per target weight against `ε`, one panel per `(n, ℓ)`.
//!
//! Everything here is deterministic closed-form arithmetic (no sampling).

use logprune_bounds::malach::{self, MalachAssumptions};
use logprune_bounds::product::HyperbolicProduct;
use logprune_bounds::{NormModel, ParamError, Setting, lemma1, theorem3, theorem30};

use crate::plot::{Chart, Legend, Mark, Series, svg};
use crate::table::{Cell, Table};
use crate::{Artifact, Ctx, Experiment, ExperimentError, Progress};

/// The experiments of this module.
pub const EXPERIMENTS: &[Experiment] = &[
    Experiment {
        name: "paper_examples",
        paper: "Examples 2, 5, 6, 32; Remark 4; Corollary 7; Lemma 28 (numbers the paper states)",
        run: run_paper_examples,
    },
    Experiment {
        name: "bounds_sweep",
        paper: "Theorems 3 and 30, Malach et al. (Section 3): neurons per target weight over n, ℓ, ε, δ",
        run: run_bounds_sweep,
    },
    Experiment {
        name: "bounds_figure",
        paper: "Theorems 3 and 30 vs Malach et al.: neurons per target weight against ε",
        run: run_bounds_figure,
    },
];

fn param_err(experiment: &'static str) -> impl Fn(ParamError) -> ExperimentError {
    move |e| ExperimentError::computation(experiment, e)
}

// ---------------------------------------------------------------------------------------
// paper_examples.csv
// ---------------------------------------------------------------------------------------

/// How a computed value compares to the paper's printed one.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Relation {
    /// `computed ≤ paper` (the paper states an upper bound).
    AtMost,
    /// `computed ≥ paper` (the paper states a lower bound).
    AtLeast,
    /// Equal to relative precision [`EQUAL_REL`] (a closed form the paper prints).
    Equal,
    /// Within relative distance [`CLOSE_REL`] (a leading term the paper gives).
    Close,
}

/// Two evaluations of the same closed form agree to this relative precision.
const EQUAL_REL: f64 = 1e-12;
/// A leading term is "close" when within this relative distance of the exact value.
const CLOSE_REL: f64 = 0.01;

impl Relation {
    fn text(self) -> &'static str {
        match self {
            Relation::AtMost => "<=",
            Relation::AtLeast => ">=",
            Relation::Equal => "= (rel. 1e-12)",
            Relation::Close => "~ (rel. 1%)",
        }
    }

    fn holds(self, computed: f64, paper: f64) -> bool {
        let rel = (computed - paper).abs() / computed.abs().max(paper.abs());
        match self {
            Relation::AtMost => computed <= paper,
            Relation::AtLeast => computed >= paper,
            Relation::Equal => rel <= EQUAL_REL,
            Relation::Close => rel <= CLOSE_REL,
        }
    }
}

/// One row of `paper_examples.csv`.
fn claim(id: &str, quantity: &str, computed: f64, paper: f64, relation: Relation) -> Vec<Cell> {
    crate::row![
        id,
        quantity,
        computed,
        paper,
        relation.text(),
        relation.holds(computed, paper)
    ]
}

/// Example 5's setting: `n_max = 100`, `ℓ = 10`, `ε = δ = 0.01`, `w_max = F_max = 1`, with
/// the given norm model.
fn example_setting(norms: NormModel) -> Result<Setting, ParamError> {
    Setting::uniform(100, 10, 0.01, 0.01).norms(norms).check()
}

/// The rows of `paper_examples.csv`: `id,quantity,computed,paper,relation,holds`.
///
/// # Errors
/// [`ExperimentError::Computation`] if a bound refuses its parameters (it does not for these
/// fixed settings).
pub fn paper_examples_table() -> Result<Table, ExperimentError> {
    let err = param_err("paper_examples");
    let (n, l, eps, delta) = (100u64, 10usize, 0.01, 0.01);
    let n2 = (n * n) as f64;
    let ex5 = example_setting(NormModel::SpectralAtMostOne).map_err(&err)?;
    let ex6 = example_setting(NormModel::WorstCaseMaxWidth).map_err(&err)?;
    let r5 = ex5.report();
    let r6 = ex6.report();
    let mut t = Table::new(&["id", "quantity", "computed", "paper", "relation", "holds"]);

    // Example 2: Lemma 1 under Example 2's assumptions against the printed closed forms.
    t.push(claim(
        "example2",
        "Example 2 (n_max=100; l=10; eps=0.01; ReLU; F_max=1; worst case ||W_i||_2 <= n_max): \
         eps_w from Lemma 1 vs the printed eps/(e l n_max^(3/2+l))",
        ex6.epsilon_w().value(),
        lemma1::example2_epsilon_w(eps, n, l).map_err(&err)?.value(),
        Relation::Equal,
    ));
    t.push(claim(
        "example2_norm",
        "Example 2 with ||W_i||_2 <= 1 (same setting): eps_w from Lemma 1 vs eps/(e l n_max^(3/2)) \
         (printed 'e ln^{3/2} n_max'; read as e l n_max^(3/2))",
        ex5.epsilon_w().value(),
        lemma1::example2_epsilon_w_spectral(eps, n, l)
            .map_err(&err)?
            .value(),
        Relation::Equal,
    ));

    // Remark 4.
    t.push(claim(
        "remark4_epsilon_w",
        "Remark 4 (Example 5 setting): eps_w >= eps/(e l n_max^(3/2))",
        r5.epsilon_w.value(),
        theorem3::remark4_epsilon_w_lower(eps, n, l)
            .map_err(&err)?
            .value(),
        Relation::AtLeast,
    ));
    t.push(claim(
        "remark4_k_prime",
        "Remark 4 (Example 5 setting): k' <= log_{3/2}(3 e l n_max^(3/2)/eps)",
        r5.k_prime,
        theorem3::remark4_k_prime_upper(eps, n, l).map_err(&err)?,
        Relation::AtMost,
    ));
    t.push(claim(
        "remark4",
        "Remark 4 (Example 5 setting): Theorem 3's M_i/n_max^2 <= 16k' + ln(2lk'/delta)/n_max^2 \
         as printed (the exact value is 16k'(1 + ln(2lk'/delta)/n_max^2) rounded up)",
        r5.layers[0].theorem3_per_weight.value(),
        theorem3::remark4_per_weight_printed(r5.k_prime, n, l, delta).map_err(&err)?,
        Relation::AtMost,
    ));

    // Example 5 and 6, Theorem 3 and Malach et al.
    t.push(claim(
        "example5_thm3",
        "Example 5 (n_max=100; l=10; eps=delta=0.01; ||W_i||_2 <= 1): Theorem 3's M_i/n_max^2",
        r5.layers[0].theorem3_per_weight.value(),
        630.0,
        Relation::AtMost,
    ));
    t.push(claim(
        "example5_malach",
        "Example 5: Malach et al.'s M_i/n_max^2 = ceil(64 l^2 n_max^3 ln(2 n_max^2 l/delta)/eps^2)",
        r5.layers[0].malach_per_weight.value(),
        2e15,
        Relation::AtMost,
    ));
    let assumptions =
        MalachAssumptions::check(ex5.w_max(), n, &NormModel::SpectralAtMostOne, ex5.f_max())
            .map_err(&err)?;
    t.push(claim(
        "example5_malach_assumption",
        "Example 5 uses w_max=1 but Malach et al.'s bound assumes w_max <= 1/sqrt(n_max) \
         (Section 3 (ii)): computed = w_max; paper = 1/sqrt(n_max)",
        ex5.w_max(),
        1.0 / (n as f64).sqrt(),
        Relation::AtMost,
    ));
    debug_assert_eq!(assumptions.weights_within_inv_sqrt_n, ex5.w_max() <= 0.1);
    t.push(claim(
        "example6_thm3",
        "Example 6 (Example 5 without the norm assumption; ||W_i||_2 <= n_max): Theorem 3's \
         M_i/n_max^2",
        r6.layers[0].theorem3_per_weight.value(),
        2450.0,
        Relation::AtMost,
    ));

    // Example 32: Theorem 30.
    t.push(claim(
        "example32_ex5",
        "Example 32 (Example 5 setting): Theorem 30's M_i/n_max^2",
        r5.layers[0].theorem30_per_weight.value(),
        144.0,
        Relation::AtMost,
    ));
    t.push(claim(
        "example32_ex6",
        "Example 32 (Example 6 setting): Theorem 30's M_i/n_max^2",
        r6.layers[0].theorem30_per_weight.value(),
        574.0,
        Relation::AtMost,
    ));
    let proof =
        theorem30::neurons_from_proof(r5.k_prime, r5.k, n, n, r5.n_star, delta).map_err(&err)?;
    t.push(claim(
        "theorem30_proof_count",
        "Theorem 30's proof (Example 5 setting): max{n_i;n_(i-1)} m + 2(k-1) n_i n_(i-1) with \
         m = ceil(8k' ln(k'/delta_w)) <= the printed M_i (both /n_max^2)",
        proof.value() / n2,
        r5.layers[0].theorem30_per_weight.value(),
        Relation::AtMost,
    ));

    // Corollary 7.
    for (id, r, what) in [
        ("corollary7", r5, "Example 5"),
        ("corollary7_ex6", r6, "Example 6"),
    ] {
        let ratio = r.ng_over_nstar_theorem3.value();
        let lead = r.corollary7_leading_term;
        t.push(claim(
            id,
            &format!(
                "Corollary 7 ({what} setting): N_G/N* with Theorem 3's M_i vs its leading term \
                 32 n_max k'"
            ),
            ratio,
            lead,
            Relation::Close,
        ));
        let remainder_bound =
            2.0 / n as f64 * (16.0 * r.k_prime * (2.0 * l as f64 * r.k_prime / delta).ln() + 1.0);
        t.push(claim(
            &format!("{id}_remainder"),
            &format!(
                "Corollary 7 ({what} setting): N_G/N* - 32 n_max k' <= (2/n_max)(16k' \
                 ln(2lk'/delta) + 1) (the proof's O(log(k'/delta)) term; +1 for the ceiling)"
            ),
            ratio - lead,
            remainder_bound,
            Relation::AtMost,
        ));
    }

    // Lemma 28: "at least half of the time" in [a', b'] (exactly 3/4 from the proof).
    let p =
        HyperbolicProduct::from_log(r5.weight_range.alpha, r5.weight_range.beta).map_err(&err)?;
    t.push(claim(
        "lemma28_mass",
        "Lemma 28: P[v v' in [a'; b']] for v; v' ~ c/v on [a; b] (Theorem 3's [alpha; beta] of \
         Example 5); the lemma says at least half",
        p.mass_in_prime_range(),
        0.5,
        Relation::AtLeast,
    ));
    t.push(claim(
        "theorem3_k",
        "Theorem 3 (Example 5 setting): k = ceil(log_{3/2}(2 w_max/eps_w)) <= k' (Step 2'; \
         Theorem 3 prints ceil(log_{3/2}(w_max/(2 eps_w))) which is 3.4 less)",
        r5.k as f64,
        r5.k_prime,
        Relation::AtMost,
    ));
    Ok(t)
}

fn run_paper_examples(ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    ctx.progress.add_total(1);
    let t = paper_examples_table()?;
    ctx.progress.advance(1);
    Ok(vec![Artifact::csv("paper_examples.csv", t)])
}

// ---------------------------------------------------------------------------------------
// bounds_sweep.csv
// ---------------------------------------------------------------------------------------

/// The grid of `bounds_sweep.csv`: uniform widths `n_i = n`, `w_max = F_max = 1`, every
/// combination of the lists, with and without the spectral-norm assumption.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepConfig {
    /// Widths `n`.
    pub n: Vec<u64>,
    /// Depths `ℓ`.
    pub layers: Vec<usize>,
    /// Accuracies `ε`.
    pub epsilon: Vec<f64>,
    /// Failure probabilities `δ`.
    pub delta: Vec<f64>,
}

/// The full grid: `n ∈ {10, 100, 1000, 10^4}`, `ℓ ∈ {1, 2, 10, 100, 1000}`,
/// `ε ∈ {1e-1, 1e-2, 1e-4, 1e-8}`, `δ ∈ {1e-1, 1e-2, 1e-6}` (480 rows with both norm models).
pub fn sweep_config() -> SweepConfig {
    SweepConfig {
        n: vec![10, 100, 1000, 10_000],
        layers: vec![1, 2, 10, 100, 1000],
        epsilon: vec![1e-1, 1e-2, 1e-4, 1e-8],
        delta: vec![1e-1, 1e-2, 1e-6],
    }
}

/// The two norm models of the sweep: `‖Ŵ_i‖₂ ≤ 1` (Remark 4) and none
/// (`‖Ŵ_i‖₂ ≤ w_max √(n_i n_{i-1})`, equal to Example 2's `w_max n_max` for uniform widths).
const SWEEP_NORMS: [(bool, NormModel); 2] = [
    (true, NormModel::SpectralAtMostOne),
    (false, NormModel::WorstCase),
];

/// `bounds_sweep.csv`, rows in the order norm assumption (on, off) × `n` × `ℓ` × `ε` × `δ`.
///
/// Columns: `norm_assumption` (`‖Ŵ_i‖₂ ≤ 1` assumed), `n`, `layers`, `epsilon`, `delta`,
/// `log10_epsilon_w`, `k_prime`, `k`, `thm3_per_weight`, `thm30_per_weight`,
/// `min_per_weight` (`M_i/n_max²`, plain: they stay below `10^7` on this grid),
/// `min_source`, `log10_malach_per_weight` (Malach et al.'s `M_i/n_max²` as `log10`: up to
/// `10^39` here), `ng_over_nstar_thm3`, `ng_over_nstar_min` (Corollary 7), and
/// `malach_assumptions_hold` (its checkable assumptions: `‖Ŵ_i‖₂ ≤ 1` and
/// `w_max ≤ 1/√n_max`, false on this grid since `w_max = 1`).
///
/// # Errors
/// [`ExperimentError::Computation`] if a setting of the grid is refused (e.g. `n = 0`).
pub fn sweep_table(cfg: &SweepConfig, progress: &dyn Progress) -> Result<Table, ExperimentError> {
    let err = param_err("bounds_sweep");
    let mut t = Table::new(&[
        "norm_assumption",
        "n",
        "layers",
        "epsilon",
        "delta",
        "log10_epsilon_w",
        "k_prime",
        "k",
        "thm3_per_weight",
        "thm30_per_weight",
        "min_per_weight",
        "min_source",
        "log10_malach_per_weight",
        "ng_over_nstar_thm3",
        "ng_over_nstar_min",
        "malach_assumptions_hold",
    ]);
    let total =
        SWEEP_NORMS.len() * cfg.n.len() * cfg.layers.len() * cfg.epsilon.len() * cfg.delta.len();
    progress.add_total(total as u64);
    for (assumed, norms) in &SWEEP_NORMS {
        for &n in &cfg.n {
            for &l in &cfg.layers {
                for &eps in &cfg.epsilon {
                    for &delta in &cfg.delta {
                        let s = Setting::uniform(n, l, eps, delta)
                            .norms(norms.clone())
                            .check()
                            .map_err(&err)?;
                        let r = s.report();
                        // Uniform widths: every layer has the same counts; report layer 1.
                        let first = &r.layers[0];
                        t.push(crate::row![
                            *assumed,
                            n,
                            l,
                            eps,
                            delta,
                            r.epsilon_w.log10(),
                            r.k_prime,
                            r.k,
                            first.theorem3_per_weight.value(),
                            first.theorem30_per_weight.value(),
                            first.min_per_weight.value(),
                            first.min_source.as_str(),
                            first.malach_per_weight.log10(),
                            r.ng_over_nstar_theorem3.value(),
                            r.ng_over_nstar_min.value(),
                            r.malach_assumptions.all_hold(),
                        ]);
                        progress.advance(1);
                    }
                }
            }
        }
    }
    Ok(t)
}

fn run_bounds_sweep(ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    let t = sweep_table(&sweep_config(), ctx.progress)?;
    Ok(vec![Artifact::csv("bounds_sweep.csv", t)])
}

// ---------------------------------------------------------------------------------------
// bounds.svg
// ---------------------------------------------------------------------------------------

/// The figure's configuration: one panel per `(n, ℓ)`, `ε` on a log grid, fixed `δ`.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureConfig {
    /// The `(n, ℓ)` of each panel (uniform widths).
    pub panels: Vec<(u64, usize)>,
    /// `log10 ε` of the points, ascending.
    pub log10_epsilon: Vec<f64>,
    /// The failure probability `δ`.
    pub delta: f64,
    /// The `(n, ℓ)` of two last panels with Theorems 3 and 30 only, with and without the norm
    /// assumption (Malach et al.'s 30 decades squash them together in the other panels). For `(100, 10)` with
    /// `δ = 0.01` it also marks the values printed in Examples 5, 6 and 32 at `ε = 0.01`.
    pub zoom: Option<(u64, usize)>,
}

/// The full figure: panels `(n, ℓ) ∈ {(10, 2), (100, 10), (1000, 100)}`, `ε` from `10^{-12}` to
/// `10^{-1}` in steps of `10^{1/2}`, `δ = 0.01`, and a zoom on `(100, 10)` (Examples 5, 6, 32).
pub fn figure_config() -> FigureConfig {
    FigureConfig {
        panels: vec![(10, 2), (100, 10), (1000, 100)],
        log10_epsilon: (0..=22).map(|i| -12.0 + 0.5 * f64::from(i)).collect(),
        delta: 0.01,
        zoom: Some((100, 10)),
    }
}

/// The four curves of Theorems 3 and 30 (with and without the norm assumption) and Malach
/// et al.'s, for one `(n, ℓ)`.
struct Curves {
    thm3: Vec<(f64, f64)>,
    thm30: Vec<(f64, f64)>,
    thm3_free: Vec<(f64, f64)>,
    thm30_free: Vec<(f64, f64)>,
    malach: Vec<(f64, f64)>,
}

fn curves(
    n: u64,
    l: usize,
    cfg: &FigureConfig,
    progress: &dyn Progress,
) -> Result<Curves, ExperimentError> {
    let err = param_err("bounds_figure");
    let mut c = Curves {
        thm3: Vec::new(),
        thm30: Vec::new(),
        thm3_free: Vec::new(),
        thm30_free: Vec::new(),
        malach: Vec::new(),
    };
    for &le in &cfg.log10_epsilon {
        let eps = 10f64.powf(le);
        let with = Setting::uniform(n, l, eps, cfg.delta)
            .check()
            .map_err(&err)?;
        let without = Setting::uniform(n, l, eps, cfg.delta)
            .norms(NormModel::WorstCase)
            .check()
            .map_err(&err)?;
        let a = &with.report().layers[0];
        let b = &without.report().layers[0];
        c.thm3.push((eps, a.theorem3_per_weight.value()));
        c.thm30.push((eps, a.theorem30_per_weight.value()));
        c.thm3_free.push((eps, b.theorem3_per_weight.value()));
        c.thm30_free.push((eps, b.theorem30_per_weight.value()));
        c.malach.push((
            eps,
            malach::per_weight(n, l, eps, cfg.delta)
                .map_err(&err)?
                .value(),
        ));
        progress.advance(1);
    }
    Ok(c)
}

/// `bounds.svg`: `M_i/n_max²` against `ε` (both log axes) for Theorem 3 and Theorem 30 with
/// and without the norm assumption, and Malach et al.
///
/// # Errors
/// [`ExperimentError::Computation`] for a refused setting, [`ExperimentError::Plot`] if a
/// value cannot be drawn.
pub fn figure_svg(cfg: &FigureConfig, progress: &dyn Progress) -> Result<String, ExperimentError> {
    let panels = cfg.panels.len() + 2 * usize::from(cfg.zoom.is_some());
    let settings = cfg.panels.len() + usize::from(cfg.zoom.is_some());
    progress.add_total((settings * cfg.log10_epsilon.len()) as u64);
    let title = |n: u64, l: usize, what: &str| {
        format!(
            "{what}, n = {n}, ℓ = {l} layers (δ = {}, w_max = F_max = 1)",
            cfg.delta
        )
    };
    let mut charts = Vec::with_capacity(panels);
    for &(n, l) in &cfg.panels {
        let c = curves(n, l, cfg, progress)?;
        charts.push(Chart {
            title: title(n, l, "Neurons per target weight"),
            x_label: "accuracy ε".to_owned(),
            y_label: "M_i / n_max²".to_owned(),
            x_log: true,
            y_log: true,
            series: vec![
                Series::new("Malach et al. (needs ‖W_i‖₂ ≤ 1, w_max ≤ 1/√n)", c.malach),
                Series::new("Theorem 3, no norm assumption", c.thm3_free),
                Series::new("Theorem 30, no norm assumption", c.thm30_free),
                Series::new("Theorem 3, ‖Ŵ_i‖₂ ≤ 1", c.thm3),
                Series::new("Theorem 30, ‖Ŵ_i‖₂ ≤ 1", c.thm30),
            ],
            legend: Legend::default(),
        });
    }
    if let Some((n, l)) = cfg.zoom {
        let c = curves(n, l, cfg, progress)?;
        let examples = (n, l) == (100, 10) && cfg.delta == 0.01;
        let printed = |label: &str, values: [f64; 2]| {
            Series::new(label, vec![(0.01, values[0]), (0.01, values[1])]).mark(Mark::Points)
        };
        let mut with = vec![
            Series::new("Theorem 3, ‖Ŵ_i‖₂ ≤ 1", c.thm3),
            Series::new("Theorem 30, ‖Ŵ_i‖₂ ≤ 1", c.thm30),
        ];
        let mut without = vec![
            Series::new("Theorem 3, no norm assumption", c.thm3_free),
            Series::new("Theorem 30, no norm assumption", c.thm30_free),
        ];
        if examples {
            with.push(printed(
                "printed in Examples 5 and 32 (630, 144)",
                [630.0, 144.0],
            ));
            without.push(printed(
                "printed in Examples 6 and 32 (2450, 574)",
                [2450.0, 574.0],
            ));
        }
        for (what, series) in [
            ("Zoom: Theorems 3 and 30 with ‖Ŵ_i‖₂ ≤ 1", with),
            ("Zoom: Theorems 3 and 30 without norm assumption", without),
        ] {
            charts.push(Chart {
                title: title(n, l, what),
                x_label: "accuracy ε".to_owned(),
                y_label: "M_i / n_max²".to_owned(),
                x_log: true,
                y_log: true,
                series,
                // The curves fall with ε: the lower left corner is empty.
                legend: Legend::LowerLeft,
            });
        }
    }
    svg("bounds.svg", &charts, 900, 420)
}

fn run_bounds_figure(ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    let s = figure_svg(&figure_config(), ctx.progress)?;
    Ok(vec![Artifact::svg("bounds.svg", s)])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::NoProgress;

    fn cell_text(c: &Cell) -> String {
        match c {
            Cell::Text(s) => s.clone(),
            Cell::Bool(b) => b.to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
        }
    }

    #[test]
    fn paper_examples_rows_and_verdicts() {
        let t = paper_examples_table().unwrap();
        let csv = t.to_csv().unwrap();
        assert!(csv.starts_with("id,quantity,computed,paper,relation,holds\n"));
        let verdict = |id: &str| -> (f64, bool) {
            let row = t
                .rows()
                .iter()
                .find(|r| cell_text(&r[0]) == id)
                .unwrap_or_else(|| panic!("row {id} missing"));
            let Cell::Float(v) = row[2] else {
                panic!("computed is not a float")
            };
            (v, cell_text(&row[5]) == "true")
        };
        for id in [
            "example2",
            "example2_norm",
            "remark4_epsilon_w",
            "remark4_k_prime",
            "example5_thm3",
            "example5_malach",
            "example6_thm3",
            "example32_ex5",
            "example32_ex6",
            "theorem30_proof_count",
            "corollary7",
            "corollary7_remainder",
            "corollary7_ex6",
            "corollary7_ex6_remainder",
            "lemma28_mass",
            "theorem3_k",
        ] {
            assert!(verdict(id).1, "{id} should hold");
        }
        // The printed Remark 4 expression drops a factor 16k' on its second term.
        assert!(!verdict("remark4").1);
        assert!(!verdict("example5_malach_assumption").1);
        // Hand values (see logprune-bounds' tests).
        assert_eq!(verdict("example5_thm3").0, 628.6927);
        assert_eq!(verdict("example32_ex5").0, 142.8075);
        assert!((verdict("example6_thm3").0 - 2448.3129).abs() < 1e-9);
        assert!((verdict("example32_ex6").0 - 572.6783).abs() < 1e-9);
        assert!((verdict("example5_malach").0 / 1.0759195e15 - 1.0).abs() < 1e-7);
        assert_eq!(verdict("lemma28_mass").0, 0.75);
    }

    #[test]
    fn sweep_small_grid_has_no_nonfinite_and_right_shape() {
        let cfg = SweepConfig {
            n: vec![10, 10_000],
            layers: vec![1, 1000],
            epsilon: vec![1e-1, 1e-8],
            delta: vec![1e-6],
        };
        let t = sweep_table(&cfg, &NoProgress).unwrap();
        assert_eq!(t.rows().len(), 2 * 2 * 2 * 2);
        let csv = t.to_csv().unwrap(); // refuses inf/NaN
        assert!(!csv.contains("inf") && !csv.contains("NaN"));
        // The deepest setting without the norm assumption: ε_w ≈ 10^{-4000}, still a number.
        let last = t.rows().last().unwrap();
        let Cell::Float(log10_eps_w) = last[5] else {
            panic!()
        };
        assert!(log10_eps_w < -4000.0 && log10_eps_w.is_finite());
        // min never exceeds either.
        for r in t.rows() {
            let (Cell::Float(a), Cell::Float(b), Cell::Float(m)) = (&r[8], &r[9], &r[10]) else {
                panic!()
            };
            assert!(m <= a && m <= b);
        }
    }

    #[test]
    fn full_sweep_is_written() {
        let t = sweep_table(&sweep_config(), &NoProgress).unwrap();
        assert_eq!(t.rows().len(), 480);
        t.to_csv().unwrap();
    }

    #[test]
    fn figure_is_deterministic_and_labelled() {
        let cfg = FigureConfig {
            panels: vec![(10, 2), (100, 10)],
            log10_epsilon: vec![-8.0, -4.0, -2.0, -1.0],
            delta: 0.01,
            zoom: Some((100, 10)),
        };
        let a = figure_svg(&cfg, &NoProgress).unwrap();
        let b = figure_svg(&cfg, &NoProgress).unwrap();
        assert_eq!(a, b);
        assert!(a.contains("Theorem 30") && a.contains("Malach") && a.contains("accuracy ε"));
        assert!(
            a.contains("Zoom")
                && a.contains("Examples 5 and 32")
                && a.contains("Examples 6 and 32")
        );
    }

    #[test]
    fn experiments_run_with_the_default_context() {
        let ctx = Ctx::default();
        for e in EXPERIMENTS {
            let arts = (e.run)(&ctx).unwrap();
            assert_eq!(arts.len(), 1);
            arts[0].to_bytes().unwrap();
        }
    }
}
