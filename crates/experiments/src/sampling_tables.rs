//! Tables and figures of the sampling side of the paper:
//!
//! - `figure2.csv`, `figure2.svg`, `figure2_summary.csv`: Figure 2 and Appendix A, the gaps
//!   between consecutive sorted values of (top) 1000 uniform samples in `[0, 1]`, (middle) all
//!   `2^15` sub-sums of 15 hyperbolic samples, (bottom) all `2^15` sub-sums of 15 uniform
//!   samples in `[0, 1]`.
//! - `lemma28.csv`, `lemma28_summary.csv`: the empirical density of a product of two
//!   hyperbolic weights on Theorem 3's range against Lemma 28's lower bound `c/(2w)` on
//!   `[a', b']` and the exact triangular law, and the fraction of products in `[a', b']`.
//! - `lemma29.csv`: the empirical probability that `M = ⌈(2/c)(n + ln(k/δ))⌉` draws fill `k`
//!   categories of probability `c` with `n` draws each (Lemma 29), against `1 − δ`, and the
//!   smallest `M` that empirically reaches `1 − δ`.
//!
//! Work items are seeded by their index through the counter-based generator
//! (`CounterRng::new(seed, stream, item)`), results are integer counts or values collected in
//! index order, so every table is identical on 1 or many threads (ARCHITECTURE.md, invariant 10).

use logprune_bounds::product::HyperbolicProduct;
use logprune_bounds::{LogNum, ParamError, buckets, theorem3};
use logprune_sampling::{CounterRng, Hyperbolic, SamplingError, theorem3_range, unit_open};
use rand::Rng;
use rand_distr::{Distribution, Gamma, Poisson};
use rayon::prelude::*;

use crate::plot::{Chart, Legend, Mark, Series, svg};
use crate::table::Table;
use crate::{Artifact, Ctx, Experiment, ExperimentError, row};

/// The experiments of this module.
pub const EXPERIMENTS: &[Experiment] = &[
    Experiment {
        name: "figure2",
        paper: "Figure 2 and Appendix A: gaps between sorted samples and sub-sums",
        run: run_figure2,
    },
    Experiment {
        name: "lemma28",
        paper: "Lemma 28: density of the product of two hyperbolic weights",
        run: run_lemma28,
    },
    Experiment {
        name: "lemma29",
        paper: "Lemma 29: filling k categories with n samples each",
        run: run_lemma29,
    },
];

fn sampling_err(experiment: &'static str) -> impl Fn(SamplingError) -> ExperimentError {
    move |e| ExperimentError::computation(experiment, e)
}

fn param_err(experiment: &'static str) -> impl Fn(ParamError) -> ExperimentError {
    move |e| ExperimentError::computation(experiment, e)
}

/// The Wilson score interval of a binomial proportion at normal quantile `z`, as `(lo, hi)`
/// in `[0, 1]`.
fn wilson(successes: u64, trials: u64, z: f64) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Normal quantile of the two-sided 99% intervals of this module.
const Z_99: f64 = 2.575_829_303_548_901;

// ---------------------------------------------------------------------------------------
// figure2
// ---------------------------------------------------------------------------------------

/// Configuration of Figure 2.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure2Config {
    /// Uniform samples in `[0, 1]` of the top panel (the paper: 1000).
    pub uniform_points: usize,
    /// Samples whose `2^m` sub-sums make the middle and bottom panels (the paper: 15).
    pub subsum_samples: u32,
    /// The paper does not state the hyperbolic range; we take Lemma 9's `P_ε` on
    /// `[εγ², γ]` with this `ε`.
    pub hyperbolic_epsilon: f64,
    /// Lemma 9's `γ` (2/3).
    pub gamma: f64,
    /// Base seed.
    pub seed: u64,
}

impl Figure2Config {
    /// The paper's configuration: 1000 uniforms, 15 samples, `P_ε` on `[εγ², γ]` with
    /// `ε = 0.01`, `γ = 2/3` (so `[0.00444, 0.667]`).
    pub fn paper() -> Self {
        Figure2Config {
            uniform_points: 1000,
            subsum_samples: 15,
            hyperbolic_epsilon: 0.01,
            gamma: 2.0 / 3.0,
            seed: 0xF162,
        }
    }
}

/// One panel of Figure 2.
struct Panel {
    /// Value of the `panel` column.
    name: &'static str,
    /// Caption of the SVG panel.
    title: String,
    /// The values, sorted increasingly.
    values: Vec<f64>,
}

/// The three panels of Figure 2, in order.
fn figure2_values(cfg: &Figure2Config) -> Result<Vec<Panel>, ExperimentError> {
    let lo = cfg.hyperbolic_epsilon * cfg.gamma * cfg.gamma;
    let hyp = Hyperbolic::new(lo, cfg.gamma).map_err(sampling_err("figure2"))?;
    // One stream per panel, one generator per panel (each panel is one work item).
    let mut rng = CounterRng::new(cfg.seed, 0, 0);
    let mut top: Vec<f64> = (0..cfg.uniform_points)
        .map(|_| unit_open(rng.next_u64()))
        .collect();
    let mut rng = CounterRng::new(cfg.seed, 1, 0);
    let hyp_samples: Vec<f64> = (0..cfg.subsum_samples)
        .map(|_| hyp.sample(&mut rng))
        .collect();
    let mut rng = CounterRng::new(cfg.seed, 2, 0);
    let uni_samples: Vec<f64> = (0..cfg.subsum_samples)
        .map(|_| unit_open(rng.next_u64()))
        .collect();
    let mut middle = subsums(&hyp_samples);
    let mut bottom = subsums(&uni_samples);
    for v in [&mut top, &mut middle, &mut bottom] {
        v.sort_by(f64::total_cmp);
    }
    let m = cfg.subsum_samples;
    Ok(vec![
        Panel {
            name: "uniform_samples",
            title: format!(
                "{} uniform samples in [0, 1] (previous work)",
                cfg.uniform_points
            ),
            values: top,
        },
        Panel {
            name: "hyperbolic_subsums",
            title: format!(
                "all 2^{m} sub-sums of {m} hyperbolic samples on [{lo:.3e}, {:.3}] (this work)",
                cfg.gamma
            ),
            values: middle,
        },
        Panel {
            name: "uniform_subsums",
            title: format!("all 2^{m} sub-sums of {m} uniform samples in [0, 1] (Appendix A)"),
            values: bottom,
        },
    ])
}

/// All `2^m` sub-sums of `xs` (the empty sum 0 included), each summed in index order.
fn subsums(xs: &[f64]) -> Vec<f64> {
    let mut sums = Vec::with_capacity(1 << xs.len());
    sums.push(0.0);
    for &x in xs {
        let n = sums.len();
        for i in 0..n {
            let s = sums[i] + x;
            sums.push(s);
        }
    }
    sums
}

/// Largest one-sided error over targets `t ∈ [0, 1]`: `max_t (t − max{p ≤ t})` with the empty
/// sum 0 always available (the greedy approaches from below).
fn worst_error_on_unit(sorted: &[f64]) -> f64 {
    let mut prev = 0.0_f64;
    let mut worst = 0.0_f64;
    for &p in sorted.iter().filter(|&&p| p > 0.0 && p <= 1.0) {
        worst = worst.max(p - prev);
        prev = p;
    }
    worst.max(1.0 - prev)
}

fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]),
    }
}

/// `figure2.csv`, `figure2_summary.csv` and `figure2.svg` for `cfg`.
pub fn figure2_artifacts(cfg: &Figure2Config) -> Result<Vec<Artifact>, ExperimentError> {
    let panels = figure2_values(cfg)?;
    let mut gaps_table = Table::new(&["panel", "x", "gap"]);
    let mut summary = Table::new(&[
        "panel",
        "points",
        "min_value",
        "max_value",
        "median_value",
        "max_gap",
        "median_gap",
        "points_in_unit",
        "worst_error_on_unit",
    ]);
    let mut charts = Vec::new();
    for Panel {
        name,
        title,
        values,
    } in &panels
    {
        // x is the smaller of the two consecutive values.
        let gaps: Vec<(f64, f64)> = values.windows(2).map(|w| (w[0], w[1] - w[0])).collect();
        for &(x, g) in &gaps {
            gaps_table.push(row![*name, x, g]);
        }
        let mut sorted_gaps: Vec<f64> = gaps.iter().map(|g| g.1).collect();
        sorted_gaps.sort_by(f64::total_cmp);
        let in_unit = values.iter().filter(|&&v| (0.0..=1.0).contains(&v)).count();
        summary.push(row![
            *name,
            values.len(),
            values.first().copied().unwrap_or(0.0),
            values.last().copied().unwrap_or(0.0),
            median(values),
            sorted_gaps.last().copied().unwrap_or(0.0),
            median(&sorted_gaps),
            in_unit,
            worst_error_on_unit(values),
        ]);
        charts.push(Chart {
            title: title.clone(),
            x_label: if *name == "uniform_samples" {
                "sample value".into()
            } else {
                "sub-sum".into()
            },
            y_label: "gap to the next value".into(),
            x_log: false,
            y_log: true,
            series: vec![
                Series::new(envelope_label(gaps.len()), envelope(&gaps, 1000)).mark(Mark::Points),
            ],
            legend: Legend::default(),
        });
    }
    let figure = svg("figure2", &charts, 900, 300)?;
    Ok(vec![
        Artifact::csv("figure2.csv", gaps_table),
        Artifact::csv("figure2_summary.csv", summary),
        Artifact::svg("figure2.svg", figure),
    ])
}

fn envelope_label(n: usize) -> String {
    if n > 2000 {
        "largest and smallest gap per x-bin (every gap in figure2.csv)".into()
    } else {
        "every gap".into()
    }
}

/// The points to draw: all of them if few, else per x-bin (of `bins` equal bins) the point of
/// largest and of smallest positive gap, which keeps the envelope of the cloud (the SVG would
/// otherwise hold 2^15 circles per panel).
fn envelope(gaps: &[(f64, f64)], bins: usize) -> Vec<(f64, f64)> {
    let pos: Vec<(f64, f64)> = gaps.iter().copied().filter(|g| g.1 > 0.0).collect();
    if pos.len() <= 2 * bins {
        return pos;
    }
    let (x0, x1) = (pos[0].0, pos[pos.len() - 1].0);
    let width = (x1 - x0).max(f64::MIN_POSITIVE);
    // Per bin: the point of largest gap and the point of smallest gap.
    type Extremes = ((f64, f64), (f64, f64));
    let mut best: Vec<Option<Extremes>> = vec![None; bins];
    for &p in &pos {
        let b = (((p.0 - x0) / width * bins as f64) as usize).min(bins - 1);
        best[b] = Some(match best[b] {
            None => (p, p),
            Some((hi, lo)) => (
                if p.1 > hi.1 { p } else { hi },
                if p.1 < lo.1 { p } else { lo },
            ),
        });
    }
    let mut out = Vec::with_capacity(2 * bins);
    for (hi, lo) in best.into_iter().flatten() {
        out.push(hi);
        if lo != hi {
            out.push(lo);
        }
    }
    out
}

fn run_figure2(ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    ctx.progress.add_total(1);
    let out = figure2_artifacts(&Figure2Config::paper());
    ctx.progress.advance(1);
    out
}

// ---------------------------------------------------------------------------------------
// lemma28
// ---------------------------------------------------------------------------------------

/// Configuration of the Lemma 28 experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Lemma28Config {
    /// Theorem 3's accuracy per weight `ε_w`; the factors are hyperbolic on Theorem 3's
    /// `[α, β]` for `(ε_w, w_max)`, so Lemma 28's `[a', b']` is `[2ε_w/9, 2w_max/3]`.
    pub epsilon_w: f64,
    /// Theorem 3's weight bound.
    pub w_max: f64,
    /// Number of products sampled.
    pub samples: u64,
    /// Products per work item.
    pub chunk: u64,
    /// Log-spaced bins over the support `[α², β²]`; a multiple of 4, so that `a'` and `b'`
    /// are bin edges.
    pub bins: usize,
    /// Base seed.
    pub seed: u64,
}

impl Lemma28Config {
    /// The full configuration: `ε_w = 10⁻²`, `w_max = 1`, 2·10⁷ products, 64 bins.
    pub fn full() -> Self {
        Lemma28Config {
            epsilon_w: 1e-2,
            w_max: 1.0,
            samples: 20_000_000,
            chunk: 500_000,
            bins: 64,
            seed: 0x1e_28,
        }
    }
}

/// Standard errors of slack allowed before a bin is said to violate the bound.
const LEMMA28_SIGMAS: f64 = 4.0;

/// `lemma28.csv` and `lemma28_summary.csv` for `cfg`.
pub fn lemma28_tables(
    cfg: &Lemma28Config,
    ctx: &Ctx<'_>,
) -> Result<(Table, Table), ExperimentError> {
    const NAME: &str = "lemma28";
    let bins = cfg.bins.max(4) / 4 * 4;
    let (alpha, beta) = theorem3_range(cfg.epsilon_w, cfg.w_max).map_err(sampling_err(NAME))?;
    let h = Hyperbolic::new(alpha, beta).map_err(sampling_err(NAME))?;
    let law = HyperbolicProduct::new(alpha, beta).map_err(param_err(NAME))?;
    let (ln_lo, ln_hi) = (2.0 * alpha.ln(), 2.0 * beta.ln());
    let width = (ln_hi - ln_lo) / bins as f64;
    let (ln_a1, ln_b1) = (law.a_prime().ln(), law.b_prime().ln());
    let chunk = cfg.chunk.max(1);
    let items = cfg.samples.div_ceil(chunk);
    ctx.progress.add_total(items);
    // Each work item counts its products per bin (ln w = ln v + ln v', no exp) and how many
    // fall in [a', b']; integer counts, summed in index order.
    let counts: Vec<(Vec<u64>, u64)> = (0..items)
        .into_par_iter()
        .map(|item| {
            let mut c = vec![0u64; bins];
            let mut inside = 0u64;
            let start = item * chunk;
            let end = (start + chunk).min(cfg.samples);
            for i in start..end {
                let (b1, b2) = logprune_sampling::counter::bits_pair(cfg.seed, 28, i);
                let ln_w = h.sample_ln_bits(b1) + h.sample_ln_bits(b2);
                let b = (((ln_w - ln_lo) / width) as usize).min(bins - 1);
                c[b] += 1;
                inside += u64::from(ln_w >= ln_a1 && ln_w <= ln_b1);
            }
            ctx.progress.advance(1);
            (c, inside)
        })
        .collect();
    let mut total = vec![0u64; bins];
    let mut inside = 0u64;
    for (c, ins) in &counts {
        for (t, x) in total.iter_mut().zip(c) {
            *t += x;
        }
        inside += ins;
    }
    let n = cfg.samples as f64;
    let cnorm = law.c();
    let mut table = Table::new(&[
        "bin_lo",
        "bin_hi",
        "in_range",
        "count",
        "empirical_density",
        "std_error",
        "exact_density",
        "lower_bound",
        "empirical_over_bound",
        "bound_holds",
    ]);
    let (mut in_bins, mut holding, mut min_ratio) = (0u64, 0u64, f64::INFINITY);
    for (b, &count) in total.iter().enumerate() {
        let (e0, e1) = (ln_lo + b as f64 * width, ln_lo + (b + 1) as f64 * width);
        let (lo, hi) = (e0.exp(), e1.exp());
        let dw = hi - lo;
        let p = count as f64 / n;
        let emp = p / dw;
        let se = (p * (1.0 - p) / n).sqrt() / dw;
        let exact = (law.cdf_of_ln(e1) - law.cdf_of_ln(e0)) / dw;
        // The bin lies in [a', b'] (edges aligned, up to rounding of the logarithms).
        let tol = 1e-9 * width;
        let in_range = e0 >= ln_a1 - tol && e1 <= ln_b1 + tol;
        // Bin average of c/(2w): c ln(hi/lo) / (2 (hi − lo)); 0 where the lemma claims nothing.
        let bound = if in_range {
            cnorm * width / (2.0 * dw)
        } else {
            0.0
        };
        let holds = emp >= bound - LEMMA28_SIGMAS * se;
        let ratio = if in_range { emp / bound } else { 0.0 };
        if in_range {
            in_bins += 1;
            holding += u64::from(holds);
            min_ratio = min_ratio.min(ratio);
        }
        table.push(row![
            lo, hi, in_range, count, emp, se, exact, bound, ratio, holds
        ]);
    }
    let frac = inside as f64 / n;
    let (ci_lo, ci_hi) = wilson(inside, cfg.samples, Z_99);
    let mut summary = Table::new(&[
        "epsilon_w",
        "w_max",
        "alpha",
        "beta",
        "a_prime",
        "b_prime",
        "c",
        "samples",
        "in_range",
        "fraction_in_range",
        "ci99_lo",
        "ci99_hi",
        "exact_fraction",
        "paper_claim",
        "claim_holds",
        "bins_in_range",
        "bins_bound_holds",
        "min_empirical_over_bound",
    ]);
    summary.push(row![
        cfg.epsilon_w,
        cfg.w_max,
        alpha,
        beta,
        law.a_prime().value(),
        law.b_prime().value(),
        cnorm,
        cfg.samples,
        inside,
        frac,
        ci_lo,
        ci_hi,
        law.mass_in_prime_range(),
        0.5,
        ci_lo >= 0.5,
        in_bins,
        holding,
        if min_ratio.is_finite() {
            min_ratio
        } else {
            0.0
        },
    ]);
    Ok((table, summary))
}

fn run_lemma28(ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    let (t, s) = lemma28_tables(&Lemma28Config::full(), ctx)?;
    Ok(vec![
        Artifact::csv("lemma28.csv", t),
        Artifact::csv("lemma28_summary.csv", s),
    ])
}

// ---------------------------------------------------------------------------------------
// lemma29
// ---------------------------------------------------------------------------------------

/// One `(k, c, n, δ)` of the Lemma 29 experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Lemma29Case {
    /// A label for the table.
    pub label: String,
    /// Number of categories that must be filled.
    pub k: u64,
    /// Probability of each of them (exactly; the rest, `1 − kc`, goes elsewhere).
    pub c: f64,
    /// Draws needed in each category.
    pub n: u64,
    /// Failure probability.
    pub delta: f64,
}

/// Configuration of the Lemma 29 experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Lemma29Config {
    /// The cases.
    pub cases: Vec<Lemma29Case>,
    /// Trials per case.
    pub trials: u64,
    /// Trials per work item.
    pub chunk: u64,
    /// Base seed.
    pub seed: u64,
}

/// Theorem 3's Step 2' categories for accuracy `ε_w` and `w_max`: `2k` categories of
/// probability `c = 1/(8k')`, with `k` and `k'` from `logprune_bounds::theorem3`.
///
/// # Errors
/// As `logprune_bounds::theorem3::k_prime`.
pub fn theorem3_case(
    epsilon_w: f64,
    w_max: f64,
    n: u64,
    delta: f64,
) -> Result<Lemma29Case, ParamError> {
    let eps = LogNum::from_value(epsilon_w)?;
    let kp = theorem3::k_prime(eps, w_max)?;
    let k = theorem3::k(eps, w_max)?;
    Ok(Lemma29Case {
        label: format!("theorem3 eps_w={epsilon_w:e} n={n}"),
        k: 2 * k,
        c: 1.0 / (8.0 * kp),
        n,
        delta,
    })
}

impl Lemma29Config {
    /// The full configuration: small hand cases and Theorem-3-like ones (`ε_w = 10⁻²`,
    /// `w_max = 1`, `n = n_i n_{i-1}` for 2×2, 5×5 and 10×10 layers), `δ ∈ {0.1, 0.01}`,
    /// 20 000 trials each.
    ///
    /// # Errors
    /// As [`theorem3_case`].
    pub fn full() -> Result<Self, ParamError> {
        let mut cases = Vec::new();
        for delta in [0.1, 0.01] {
            cases.push(Lemma29Case {
                label: "hand k=2 c=1/4 n=10".into(),
                k: 2,
                c: 0.25,
                n: 10,
                delta,
            });
            cases.push(Lemma29Case {
                label: "hand k=10 c=1/20 n=10".into(),
                k: 10,
                c: 0.05,
                n: 10,
                delta,
            });
            cases.push(Lemma29Case {
                label: "hand k=10 c=1/10 n=100".into(),
                k: 10,
                c: 0.1,
                n: 100,
                delta,
            });
            for n in [4, 25, 100] {
                cases.push(theorem3_case(1e-2, 1.0, n, delta)?);
            }
        }
        Ok(Lemma29Config {
            cases,
            trials: 20_000,
            chunk: 1_000,
            seed: 0x1e_29,
        })
    }
}

/// The number of draws `T` until each of `k` categories of probability `c` holds `n` draws,
/// simulated exactly: the draws that land in one of the `k` categories ("hits") are uniform
/// over them, so the number of hits `H` until all are filled is a coupon-collector count
/// (one `u64` per hit); hits occur at rate `p = kc` among all draws, so
/// `T = H + NB(H, p)` (failures before the `H`-th success), drawn as a Gamma–Poisson mixture.
fn fill_time<R: Rng + ?Sized>(rng: &mut R, k: u64, p: f64, n: u64, counts: &mut Vec<u64>) -> u64 {
    counts.clear();
    counts.resize(k as usize, 0);
    let mut unfilled = k;
    let mut hits = 0u64;
    while unfilled > 0 {
        // Unbiased to within k/2^64.
        let j = ((u128::from(rng.next_u64()) * u128::from(k)) >> 64) as usize;
        counts[j] += 1;
        hits += 1;
        if counts[j] == n {
            unfilled -= 1;
        }
    }
    if p >= 1.0 {
        return hits;
    }
    let misses = match Gamma::new(hits as f64, (1.0 - p) / p) {
        Ok(g) => {
            let lambda: f64 = g.sample(rng);
            match Poisson::new(lambda) {
                Ok(po) => po.sample(rng),
                // λ = 0 only if it underflows; then no misses.
                Err(_) => 0.0,
            }
        }
        Err(_) => 0.0,
    };
    hits + misses as u64
}

/// Validation error of a Lemma 29 case.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Lemma29CaseError {
    /// `k·c` exceeds 1: the categories cannot all have probability `c`.
    #[error("k = {k} categories of probability c = {c} exceed total probability 1 (k·c = {kc})")]
    TooMuchMass {
        /// Categories.
        k: u64,
        /// Probability of each.
        c: f64,
        /// Their total.
        kc: f64,
    },
}

/// `lemma29.csv` for `cfg`.
pub fn lemma29_table(cfg: &Lemma29Config, ctx: &Ctx<'_>) -> Result<Table, ExperimentError> {
    const NAME: &str = "lemma29";
    let chunk = cfg.chunk.max(1);
    let items_per_case = cfg.trials.div_ceil(chunk);
    ctx.progress
        .add_total(items_per_case * cfg.cases.len() as u64);
    let mut table = Table::new(&[
        "case",
        "k",
        "c",
        "n",
        "delta",
        "lemma_m",
        "trials",
        "successes",
        "success_rate",
        "ci99_lo",
        "ci99_hi",
        "one_minus_delta",
        "holds",
        "empirical_min_m",
        "lemma_over_empirical",
        "mean_fill_time",
        "n_over_c",
    ]);
    for (ci, case) in cfg.cases.iter().enumerate() {
        let m = buckets::lemma29_m(case.n, case.k, case.c, case.delta).map_err(param_err(NAME))?;
        let kc = case.k as f64 * case.c;
        if kc > 1.0 {
            return Err(ExperimentError::computation(
                NAME,
                Lemma29CaseError::TooMuchMass {
                    k: case.k,
                    c: case.c,
                    kc,
                },
            ));
        }
        let lemma_m = m.value();
        let times: Vec<Vec<u64>> = (0..items_per_case)
            .into_par_iter()
            .map(|item| {
                let mut rng = CounterRng::new(cfg.seed, ci as u32, item);
                let start = item * chunk;
                let end = (start + chunk).min(cfg.trials);
                let mut counts = Vec::new();
                let out = (start..end)
                    .map(|_| fill_time(&mut rng, case.k, kc, case.n, &mut counts))
                    .collect();
                ctx.progress.advance(1);
                out
            })
            .collect();
        let mut t: Vec<u64> = times.into_iter().flatten().collect();
        t.sort_unstable();
        let trials = t.len() as u64;
        let successes = t.iter().filter(|&&x| (x as f64) <= lemma_m).count() as u64;
        let (lo, hi) = wilson(successes, trials, Z_99);
        let target = 1.0 - case.delta;
        // Smallest M with #(T ≤ M) ≥ (1 − δ)·trials: the empirical (1 − δ)-quantile.
        let need = ((target * trials as f64).ceil() as usize).clamp(1, t.len().max(1));
        let emp_min = t.get(need - 1).copied().unwrap_or(0);
        let mean = t.iter().map(|&x| x as f64).sum::<f64>() / trials.max(1) as f64;
        table.push(row![
            case.label.as_str(),
            case.k,
            case.c,
            case.n,
            case.delta,
            lemma_m,
            trials,
            successes,
            successes as f64 / trials.max(1) as f64,
            lo,
            hi,
            target,
            hi >= target,
            emp_min,
            if emp_min > 0 {
                lemma_m / emp_min as f64
            } else {
                0.0
            },
            mean,
            case.n as f64 / case.c,
        ]);
    }
    Ok(table)
}

fn run_lemma29(ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    let cfg = Lemma29Config::full().map_err(param_err("lemma29"))?;
    Ok(vec![Artifact::csv(
        "lemma29.csv",
        lemma29_table(&cfg, ctx)?,
    )])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::table::Cell;
    use crate::with_threads;

    fn small_figure2() -> Figure2Config {
        Figure2Config {
            uniform_points: 100,
            subsum_samples: 8,
            ..Figure2Config::paper()
        }
    }

    fn small_lemma28() -> Lemma28Config {
        Lemma28Config {
            samples: 200_000,
            chunk: 30_000,
            ..Lemma28Config::full()
        }
    }

    fn small_lemma29() -> Lemma29Config {
        Lemma29Config {
            cases: vec![
                Lemma29Case {
                    label: "a".into(),
                    k: 2,
                    c: 0.25,
                    n: 10,
                    delta: 0.1,
                },
                theorem3_case(1e-2, 1.0, 4, 0.1).unwrap(),
            ],
            trials: 1_000,
            chunk: 150,
            seed: 7,
        }
    }

    #[test]
    fn identical_on_one_and_two_threads() {
        let ctx = Ctx::default();
        let f1 = with_threads(1, || figure2_artifacts(&small_figure2())).unwrap();
        let f2 = with_threads(2, || figure2_artifacts(&small_figure2())).unwrap();
        for (a, b) in f1.iter().zip(&f2) {
            assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap(), "{}", a.path);
        }
        let l1 = with_threads(1, || lemma28_tables(&small_lemma28(), &ctx)).unwrap();
        let l2 = with_threads(2, || lemma28_tables(&small_lemma28(), &ctx)).unwrap();
        assert_eq!(l1, l2);
        let m1 = with_threads(1, || lemma29_table(&small_lemma29(), &ctx)).unwrap();
        let m2 = with_threads(2, || lemma29_table(&small_lemma29(), &ctx)).unwrap();
        assert_eq!(m1, m2);
    }

    #[test]
    fn subsums_and_errors_by_hand() {
        let s = subsums(&[0.5, 0.25]);
        assert_eq!(s, [0.0, 0.5, 0.25, 0.75]);
        let mut sorted = s.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(worst_error_on_unit(&sorted), 0.25);
        assert_eq!(worst_error_on_unit(&[0.0, 0.9]), 0.9);
        assert_eq!(median(&[1.0, 2.0, 4.0]), 2.0);
        assert_eq!(median(&[1.0, 2.0, 4.0, 8.0]), 3.0);
        let (lo, hi) = wilson(50, 100, 1.96);
        assert!((lo - 0.4038).abs() < 1e-4 && (hi - 0.5962).abs() < 1e-4);
    }

    #[test]
    fn figure2_shapes() {
        let arts = figure2_artifacts(&small_figure2()).unwrap();
        assert_eq!(arts.len(), 3);
        let crate::Contents::Csv(gaps) = &arts[0].contents else {
            panic!("csv expected")
        };
        // 99 + 255 + 255 gaps.
        assert_eq!(gaps.rows().len(), 99 + 2 * 255);
        assert!(
            gaps.rows()
                .iter()
                .all(|r| matches!(r[2], Cell::Float(g) if g >= 0.0))
        );
    }

    #[test]
    fn lemma28_matches_the_lemma() {
        let (t, s) = lemma28_tables(&small_lemma28(), &Ctx::default()).unwrap();
        assert_eq!(t.rows().len(), 64);
        // Half of the bins are in [a', b'] (edges aligned) and the bound holds in each.
        let in_range = t.rows().iter().filter(|r| r[2] == Cell::Bool(true)).count();
        assert_eq!(in_range, 32);
        assert!(t.rows().iter().all(|r| r[9] == Cell::Bool(true)));
        // 3/4 of the products in [a', b'].
        let Cell::Float(frac) = s.rows()[0][9] else {
            panic!()
        };
        assert!((frac - 0.75).abs() < 0.01, "{frac}");
        // The exact densities of logprune-bounds agree with logprune-sampling's product cdf.
        let (alpha, beta) = theorem3_range(1e-2, 1.0).unwrap();
        let h = Hyperbolic::new(alpha, beta).unwrap();
        let p = logprune_sampling::Product::new(h, h);
        let law = HyperbolicProduct::new(alpha, beta).unwrap();
        use logprune_sampling::Continuous;
        for w in [alpha * alpha * 1.5, alpha * beta, 0.3, beta * beta * 0.9] {
            assert!((p.cdf(w) - law.cdf(w)).abs() < 1e-12, "w = {w}");
            assert!((p.pdf(w) / law.density(w) - 1.0).abs() < 1e-12, "w = {w}");
        }
    }

    #[test]
    fn lemma29_fill_time_by_hand() {
        // k = 1, c = 1/2, n = 1: T is geometric on {1, 2, ...} with mean 2.
        let mut rng = CounterRng::new(1, 0, 0);
        let mut counts = Vec::new();
        let n = 40_000;
        let mean = (0..n)
            .map(|_| fill_time(&mut rng, 1, 0.5, 1, &mut counts) as f64)
            .sum::<f64>()
            / n as f64;
        // Var = (1 − p)/p² = 2, so 4σ of the mean is 4·√(2/n) ≈ 0.028.
        assert!((mean - 2.0).abs() < 4.0 * (2.0 / n as f64).sqrt(), "{mean}");
        let t = lemma29_table(&small_lemma29(), &Ctx::default()).unwrap();
        assert_eq!(t.rows().len(), 2);
        // The lemma's M = 104 for the first case (logprune-bounds' doctest).
        assert_eq!(t.rows()[0][5], Cell::Float(104.0));
        assert!(t.rows().iter().all(|r| r[12] == Cell::Bool(true)));
    }
}
