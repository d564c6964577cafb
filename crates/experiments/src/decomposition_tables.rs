//! The decomposition solvers against the paper:
//!
//! - `lemma9.csv`: the empirical failure rate of the golden-ratio decomposition (Lemma 9,
//!   `γ = 2/3`, `w_max = 1`) with the lemma's `m = ⌈k' ln(k'/δ)⌉` samples from `P_ε` on
//!   `[εγ², γ]`, for `ε ∈ {1e-1, ..., 1e-6}` and `δ ∈ {0.1, 0.01}`, next to the probability of
//!   the lemma's own event (some interval `I_s` empty) and the union bound of its proof.
//! - `lemma9_min_m.csv`: the smallest `m` at which each empirical failure rate is at most
//!   `δ`, on common random numbers, next to the lemma's `m`: how loose the lemma is.
//! - `solvers.csv` and `solvers.svg`: golden-ratio, best-fit and exact subset sum (one-sided
//!   and absolute) on uniform, Gaussian, hyperbolic and product samples, `n = 8..32`
//!   candidates, two tolerances and two target distributions: the paper's conjecture that
//!   uniform samples may do as well (Remark 16, Appendix A) and the uniform + exact subset-sum
//!   route of Pensia et al. side by side with the paper's hyperbolic + golden-ratio route.
//!
//! Every sweep runs in parallel with rayon over work items seeded by their index
//! ([`item_seed`]), and rows are assembled in index order from integer counts, so the tables
//! are identical on 1 or many threads (ARCHITECTURE.md, invariant 10); only `seconds_per_target` is a
//! wall-clock measurement (declared volatile).

use std::time::Instant;

use logprune_bounds::golden::GoldenRatio as Lemma9Bounds;
use logprune_decomposition::{
    BestFitIndex, Decomposition, DecompositionError, ExactIndex, GoldenRatio, GoldenRatioSchedule,
    MAX_EXACT_CANDIDATES,
};
use logprune_sampling::{Hyperbolic, WeightDistribution};
use rand::{RngExt, SeedableRng};
use rand_distr::Distribution;
use rand_pcg::Pcg64Mcg;
use rayon::prelude::*;

use crate::plot::{Chart, Legend, Series, svg};
use crate::table::{Cell, Table};
use crate::{Artifact, Ctx, Experiment, ExperimentError};

/// The experiments of this module.
pub const EXPERIMENTS: &[Experiment] = &[
    Experiment {
        name: "lemma9",
        paper: "Lemma 9 / Corollary 10: failure rate of the golden-ratio decomposition with m = ⌈k' ln(k'/δ)⌉ samples, and the smallest m that suffices",
        run: run_lemma9,
    },
    Experiment {
        name: "solvers",
        paper: "Remark 16, Appendix A: golden-ratio vs best-fit vs exact subset sum on hyperbolic, uniform, Gaussian and product samples",
        run: run_solvers,
    },
];

/// Why a decomposition experiment stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DecompositionTablesError {
    /// A configuration value is outside its range.
    #[error("configuration: {name} = {value}: expected {expected}")]
    Config {
        /// Which field.
        name: &'static str,
        /// Its value, as text.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The batch golden-ratio decomposition on the first `m` samples and the streaming one
    /// (which says after how many samples it is complete) disagreed: a bug, not a finding.
    #[error(
        "ε = {eps}, m = {m}, trial {trial}: the batch solver {batch} but the stream needed {needed} samples"
    )]
    Inconsistent {
        /// The tolerance.
        eps: f64,
        /// The number of samples.
        m: u64,
        /// The trial.
        trial: u64,
        /// What the batch solver did (`"succeeded"` or `"failed"`).
        batch: &'static str,
        /// Samples the stream needed.
        needed: u64,
    },
}

/// A 64-bit mixer (SplitMix64's finalizer): distinct inputs give unrelated outputs.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of work item `(a, b)` of an experiment with base seed `base`: a function of the
/// item's index only, never of the thread that runs it (ARCHITECTURE.md, invariant 10).
pub fn item_seed(base: u64, a: u64, b: u64) -> u64 {
    mix(mix(base ^ mix(a)) ^ b)
}

fn item_rng(base: u64, a: u64, b: u64) -> Pcg64Mcg {
    Pcg64Mcg::seed_from_u64(item_seed(base, a, b))
}

fn wrap<E: std::error::Error + Send + Sync + 'static>(
    experiment: &'static str,
) -> impl Fn(E) -> ExperimentError {
    move |e| ExperimentError::computation(experiment, e)
}

/// The one-sided upper confidence bound of level `1 - alpha` for a binomial proportion with
/// `x` successes in `n` trials (Clopper–Pearson): the `p` with `P(Bin(n, p) ≤ x) = alpha`.
///
/// Contract: in `[x/n, 1]`; `1` when `x = n` or `n = 0`; `1 - alpha^{1/n}` when `x = 0`;
/// otherwise found by 64 bisection steps on the binomial cdf summed in the log domain
/// (`O(x)` per step).
pub fn clopper_pearson_upper(x: u64, n: u64, alpha: f64) -> f64 {
    if n == 0 || x >= n {
        return 1.0;
    }
    if x == 0 {
        return 1.0 - alpha.powf(1.0 / n as f64);
    }
    let nf = n as f64;
    // ln C(n, i) for i = 0..=x.
    let mut ln_choose = Vec::with_capacity(x as usize + 1);
    let mut c = 0.0_f64;
    ln_choose.push(c);
    for i in 0..x {
        c += ((n - i) as f64 / (i + 1) as f64).ln();
        ln_choose.push(c);
    }
    let ln_cdf = |p: f64| {
        let (lp, lq) = (p.ln(), (-p).ln_1p());
        let term = |i: usize| ln_choose[i] + i as f64 * lp + (nf - i as f64) * lq;
        let top = (0..ln_choose.len())
            .map(term)
            .fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = (0..ln_choose.len()).map(|i| (term(i) - top).exp()).sum();
        top + sum.ln()
    };
    let ln_alpha = alpha.ln();
    let (mut lo, mut hi) = (x as f64 / nf, 1.0_f64);
    for _ in 0..64 {
        let mid = 0.5 * (lo + hi);
        if ln_cdf(mid) > ln_alpha {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// The confidence level of every `ci_upper` column: one-sided 95%.
pub const CI_ALPHA: f64 = 0.05;

// ---------------------------------------------------------------------------------------
// lemma9.csv, lemma9_min_m.csv
// ---------------------------------------------------------------------------------------

/// The sweep of `lemma9.csv` and `lemma9_min_m.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lemma9Config {
    /// The accuracies `ε` (with `w_max = 1`).
    pub epsilons: Vec<f64>,
    /// The failure probabilities `δ`.
    pub deltas: Vec<f64>,
    /// Trials per `ε` (shared by every `δ`: common random numbers).
    pub trials: u64,
    /// Trials per work item.
    pub chunk: u64,
    /// The base `γ` of Lemma 9.
    pub gamma: f64,
    /// Base seed.
    pub seed: u64,
}

impl Lemma9Config {
    /// The full sweep: `ε = 1e-1, ..., 1e-6`, `δ ∈ {0.1, 0.01}`, `10^5` trials per `ε`,
    /// `γ = 2/3`.
    pub fn full() -> Self {
        Lemma9Config {
            epsilons: vec![1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6],
            deltas: vec![0.1, 0.01],
            trials: 100_000,
            chunk: 2_000,
            gamma: 2.0 / 3.0,
            seed: 0x001e_33a9,
        }
    }
}

/// The largest lemma `m` the sweep accepts (each trial stores up to `20 m` samples).
const MAX_LEMMA9_M: u64 = 1_000_000;

/// What one trial of the Lemma 9 sweep found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lemma9Trial {
    /// The number of samples after which the greedy decomposition of this trial's target is
    /// complete: it succeeds with the first `m` samples iff `m ≥ needed_target`.
    needed_target: u64,
    /// The number of samples after which every interval `I_1..I_k` holds one: the greedy
    /// succeeds for *every* target in `[0, 1]` iff `m ≥ needed_all`.
    needed_all: u64,
}

/// What a work item of the Lemma 9 sweep returns: its trials, and the batch failures per `δ`.
type Lemma9ItemResult = Result<(Vec<Lemma9Trial>, Vec<u64>), ExperimentError>;

/// Per `ε`: the lemma's quantities and the trials.
struct Lemma9Cell {
    eps: f64,
    k: usize,
    k_prime: f64,
    /// The lemma's `m` for each `δ`.
    m: Vec<u64>,
    /// Batch-solver failures with the first `m` samples, for each `δ`.
    batch_failures: Vec<u64>,
    trials: Vec<Lemma9Trial>,
}

/// One work item: `count` trials of `ε` number `cell`. Each trial draws a target
/// `w ~ U[0, 1]` and a fresh sequence `v_1, v_2, ...` from `P_ε` on `[εγ², γ]` (as `ln v`,
/// Remark 11), offers it to the streaming decomposition until both it is complete and every
/// interval holds a sample, and runs the batch decomposition on the first `m` samples for
/// each `δ` (checking that it fails exactly when `m < needed_target`).
#[allow(clippy::too_many_arguments)]
fn lemma9_item(
    cfg: &Lemma9Config,
    sched: &GoldenRatioSchedule,
    p_eps: &Hyperbolic,
    ms: &[u64],
    cell: usize,
    chunk: u64,
    count: u64,
) -> Lemma9ItemResult {
    let k = sched.steps();
    let m_max = ms.iter().copied().max().unwrap_or(0);
    // Beyond 20 m the chance that an interval is still empty is below k (δ/k')^20.
    let cap = 20 * m_max.max(1);
    let mut rng = item_rng(cfg.seed, cell as u64, chunk);
    let mut stream = sched
        .stream(0.0)
        .map_err(wrap::<DecompositionError>("lemma9"))?;
    let mut ln_v: Vec<f64> = Vec::new();
    let mut values: Vec<f64> = Vec::new();
    let mut filled = vec![false; k + 1];
    let mut out = Vec::with_capacity(count as usize);
    let mut failures = vec![0u64; ms.len()];
    for t in 0..count {
        let w: f64 = rng.random_range(0.0..=1.0);
        stream
            .reset(w)
            .map_err(wrap::<DecompositionError>("lemma9"))?;
        ln_v.clear();
        filled.fill(false);
        let mut n_filled = 0;
        let mut needed_target = stream.is_complete().then_some(0);
        let mut needed_all = (k == 0).then_some(0);
        while (needed_target.is_none() || needed_all.is_none()) && (ln_v.len() as u64) < cap {
            let l = p_eps.sample_ln(&mut rng);
            ln_v.push(l);
            let j = ln_v.len() as u64;
            if needed_target.is_none() && stream.offer(ln_v.len() - 1, l, false) {
                needed_target = Some(j);
            }
            if needed_all.is_none()
                && let Some(s) = sched.interval_of_ln(l)
                && !filled[s]
            {
                filled[s] = true;
                n_filled += 1;
                if n_filled == k {
                    needed_all = Some(j);
                }
            }
        }
        // Censored at the cap: counted as needing more than any m we report.
        let needed_target = needed_target.unwrap_or(cap + 1);
        let needed_all = needed_all.unwrap_or(cap + 1);
        while (ln_v.len() as u64) < m_max {
            ln_v.push(p_eps.sample_ln(&mut rng));
        }
        for (d, &m) in ms.iter().enumerate() {
            values.clear();
            values.extend(ln_v[..m as usize].iter().map(|l| l.exp()));
            let failed = sched.decompose(&values, w).is_err();
            if failed != (m < needed_target) {
                return Err(ExperimentError::computation(
                    "lemma9",
                    DecompositionTablesError::Inconsistent {
                        eps: sched.tolerance(),
                        m,
                        trial: chunk * cfg.chunk + t,
                        batch: if failed { "failed" } else { "succeeded" },
                        needed: needed_target,
                    },
                ));
            }
            failures[d] += u64::from(failed);
        }
        out.push(Lemma9Trial {
            needed_target,
            needed_all,
        });
    }
    Ok((out, failures))
}

fn check_lemma9(cfg: &Lemma9Config) -> Result<(), ExperimentError> {
    let bad = |name, value: String, expected| {
        Err(ExperimentError::computation(
            "lemma9",
            DecompositionTablesError::Config {
                name,
                value,
                expected,
            },
        ))
    };
    if cfg.trials == 0 || cfg.chunk == 0 {
        return bad(
            "trials, chunk",
            format!("{}, {}", cfg.trials, cfg.chunk),
            "both ≥ 1",
        );
    }
    if cfg.epsilons.iter().any(|&e| !(e > 0.0 && e < 1.0)) {
        return bad("epsilons", format!("{:?}", cfg.epsilons), "each in (0, 1)");
    }
    if cfg.deltas.iter().any(|&d| !(d > 0.0 && d < 1.0)) {
        return bad("deltas", format!("{:?}", cfg.deltas), "each in (0, 1)");
    }
    Ok(())
}

/// Runs the Lemma 9 sweep and returns `(lemma9.csv, lemma9_min_m.csv)`.
///
/// `lemma9.csv` columns, one row per `(ε, δ)`:
/// - `eps, delta`; `k = ⌈log_γ ε⌉` intervals; `k_prime = log_γ(γε)`; `m = ⌈k' ln(k'/δ)⌉`
///   (from `logprune-bounds`); `trials`.
/// - `failures`: trials whose target `w ~ U[0, 1]` the batch golden-ratio decomposition of
///   the first `m` samples fails on (a needed interval is empty); `failure_rate` and its
///   one-sided 95% Clopper–Pearson upper bound `ci_upper`.
/// - `any_empty`: trials in which some interval `I_1..I_k` holds none of the `m` samples,
///   i.e. the greedy fails for *some* target in `[0, 1]` (a target `w = γ^s` needs `I_s`):
///   the event whose probability the lemma bounds by `δ`, since it claims the guarantee for
///   every target at once. `any_empty_rate`, `any_empty_ci_upper` as above.
/// - `union_bound = k (1 - 1/k')^m`: the proof's bound on `P(any_empty)` before its last
///   step `≤ k e^{-m/k'} ≤ δ` (every interval has probability exactly `1/k'`, Eq. 2).
/// - `bound_holds`: `any_empty_rate ≤ δ`.
///
/// `lemma9_min_m.csv` columns: `eps, delta, trials, m_lemma`; `min_m_target`, the smallest
/// `m` with `failures/trials ≤ δ` (on the same trials, each using its first `m` samples);
/// `min_m_any`, the same for `any_empty`; `min_m_union`, the smallest `m` with
/// `union_bound ≤ δ`; and `ratio_*` = `m_lemma / min_m_*`.
///
/// # Errors
/// [`ExperimentError::Computation`] for a bad configuration, or if the batch and streaming
/// solvers disagree (a bug).
pub fn lemma9_tables(cfg: &Lemma9Config, ctx: &Ctx<'_>) -> Result<(Table, Table), ExperimentError> {
    check_lemma9(cfg)?;
    let err_b = wrap::<logprune_bounds::ParamError>("lemma9");
    let err_d = wrap::<DecompositionError>("lemma9");
    let err_s = wrap::<logprune_sampling::SamplingError>("lemma9");
    let solver = GoldenRatio::with_gamma(1.0, cfg.gamma).map_err(&err_d)?;
    let chunks = cfg.trials.div_ceil(cfg.chunk);
    let mut cells = Vec::new();
    let mut scheds = Vec::new();
    let mut samplers = Vec::new();
    for &eps in &cfg.epsilons {
        let bounds = Lemma9Bounds::new(eps, cfg.gamma).map_err(&err_b)?;
        let sched = solver.schedule(eps).map_err(&err_d)?;
        let mut m = Vec::new();
        for &delta in &cfg.deltas {
            let count = bounds.m(delta).map_err(&err_b)?;
            match count.as_u64() {
                Some(v) if v <= MAX_LEMMA9_M => m.push(v),
                _ => {
                    return Err(ExperimentError::computation(
                        "lemma9",
                        DecompositionTablesError::Config {
                            name: "epsilons, deltas",
                            value: format!("ε = {eps}, δ = {delta}: m = {}", count.value()),
                            expected: "a lemma m of at most 10^6 samples",
                        },
                    ));
                }
            }
        }
        let p_eps = Hyperbolic::new(eps * cfg.gamma * cfg.gamma, cfg.gamma).map_err(&err_s)?;
        cells.push(Lemma9Cell {
            eps,
            k: sched.steps(),
            k_prime: bounds.k_prime(),
            m,
            batch_failures: vec![0; cfg.deltas.len()],
            trials: Vec::with_capacity(cfg.trials as usize),
        });
        scheds.push(sched);
        samplers.push(p_eps);
    }
    let items: Vec<(usize, u64)> = (0..cells.len())
        .flat_map(|c| (0..chunks).map(move |j| (c, j)))
        .collect();
    ctx.progress.add_total(items.len() as u64);
    let results: Vec<Lemma9ItemResult> = items
        .par_iter()
        .map(|&(c, j)| {
            let count = cfg.chunk.min(cfg.trials - j * cfg.chunk);
            let r = lemma9_item(cfg, &scheds[c], &samplers[c], &cells[c].m, c, j, count);
            ctx.progress.advance(1);
            r
        })
        .collect();
    for (&(c, _), r) in items.iter().zip(results) {
        let (trials, failures) = r?;
        cells[c].trials.extend(trials);
        for (acc, f) in cells[c].batch_failures.iter_mut().zip(failures) {
            *acc += f;
        }
    }

    let mut main = Table::new(&[
        "eps",
        "delta",
        "k",
        "k_prime",
        "m",
        "trials",
        "failures",
        "failure_rate",
        "ci_upper",
        "any_empty",
        "any_empty_rate",
        "any_empty_ci_upper",
        "union_bound",
        "bound_holds",
    ]);
    let mut min_m = Table::new(&[
        "eps",
        "delta",
        "trials",
        "m_lemma",
        "min_m_target",
        "ratio_target",
        "min_m_any",
        "ratio_any",
        "min_m_union",
        "ratio_union",
    ]);
    for cell in &cells {
        let n = cell.trials.len() as u64;
        let mut target: Vec<u64> = cell.trials.iter().map(|t| t.needed_target).collect();
        let mut all: Vec<u64> = cell.trials.iter().map(|t| t.needed_all).collect();
        target.sort_unstable();
        all.sort_unstable();
        let q = 1.0 - 1.0 / cell.k_prime;
        for (d, &delta) in cfg.deltas.iter().enumerate() {
            let m = cell.m[d];
            let failures = cell.batch_failures[d];
            let any_empty = all.iter().filter(|&&x| x > m).count() as u64;
            let union = cell.k as f64 * q.powf(m as f64);
            let any_rate = any_empty as f64 / n as f64;
            main.push(crate::row![
                cell.eps,
                delta,
                cell.k,
                cell.k_prime,
                m,
                n,
                failures,
                failures as f64 / n as f64,
                clopper_pearson_upper(failures, n, CI_ALPHA),
                any_empty,
                any_rate,
                clopper_pearson_upper(any_empty, n, CI_ALPHA),
                union,
                any_rate <= delta
            ]);
            let min_target = smallest_sufficient(&target, delta);
            let min_any = smallest_sufficient(&all, delta);
            // k q^m ≤ δ  ⟺  m ≥ ln(δ/k) / ln q.
            let min_union = if cell.k == 0 {
                0
            } else {
                ((delta / cell.k as f64).ln() / q.ln()).ceil().max(0.0) as u64
            };
            let ratio = |x: u64| m as f64 / x.max(1) as f64;
            min_m.push(crate::row![
                cell.eps,
                delta,
                n,
                m,
                min_target,
                ratio(min_target),
                min_any,
                ratio(min_any),
                min_union,
                ratio(min_union)
            ]);
        }
    }
    Ok((main, min_m))
}

/// The smallest `m` such that at most `⌊δ·n⌋` of the sorted thresholds exceed `m` (a trial
/// with threshold `x` succeeds with `m` samples iff `m ≥ x`).
fn smallest_sufficient(sorted: &[u64], delta: f64) -> u64 {
    let n = sorted.len();
    if n == 0 {
        return 0;
    }
    let allowed = ((delta * n as f64).floor() as usize).min(n);
    if allowed == n {
        return 0;
    }
    sorted[n - allowed - 1]
}

fn run_lemma9(ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    let (main, min_m) = lemma9_tables(&Lemma9Config::full(), ctx)?;
    Ok(vec![
        Artifact::csv("lemma9.csv", main),
        Artifact::csv("lemma9_min_m.csv", min_m),
    ])
}

// ---------------------------------------------------------------------------------------
// solvers.csv, solvers.svg
// ---------------------------------------------------------------------------------------

/// How the targets of `solvers.csv` are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// `w ~ U[-1, 1]`.
    Uniform,
    /// `|w| = 10^u`, `u ~ U[-3, 0]`, with a fair random sign: small targets as often as large.
    LogUniform,
}

impl TargetKind {
    /// The name in the `targets` column.
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Uniform => "uniform",
            TargetKind::LogUniform => "log_uniform",
        }
    }

    fn sample(self, rng: &mut Pcg64Mcg) -> f64 {
        match self {
            TargetKind::Uniform => rng.random_range(-1.0..=1.0),
            TargetKind::LogUniform => {
                let m = 10f64.powf(rng.random_range(-3.0..=0.0));
                if rng.random_bool(0.5) { -m } else { m }
            }
        }
    }
}

/// The solvers of `solvers.csv`, in column order.
pub const SOLVER_NAMES: [&str; 4] = ["golden-ratio", "best-fit", "exact-below", "exact-abs"];

/// The sweep of `solvers.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SolversConfig {
    /// Names of the candidate distributions, from `WeightDistribution::paper_baselines`
    /// (`uniform`, `gaussian`, `hyperbolic`, `product_uniform`, `product_hyperbolic`).
    pub distributions: Vec<&'static str>,
    /// Numbers of candidates `n`.
    pub ns: Vec<usize>,
    /// Tolerances `ε`.
    pub epsilons: Vec<f64>,
    /// Target distributions.
    pub targets: Vec<TargetKind>,
    /// Candidate sets per cell; each set is shared by `targets_per_set` targets (so the
    /// solvers' preprocessing is amortized) and by all four solvers.
    pub sets: usize,
    /// Targets per candidate set.
    pub targets_per_set: usize,
    /// The exact solvers see every candidate set but only its first
    /// `⌊exact_budget / 2^{⌈n/2⌉}⌋` targets, clamped to `[exact_min_targets, targets_per_set]`
    /// (their cost per target is `O(2^{n/2})`): all targets up to
    /// `n ≈ 2 log2(exact_budget / targets_per_set)`, fewer above.
    pub exact_budget: u64,
    /// The fewest targets per set the exact solvers use at any `n`.
    pub exact_min_targets: usize,
    /// Base seed.
    pub seed: u64,
}

impl SolversConfig {
    /// The full sweep: five distributions, `n = 8, 10, ..., 32`, `ε ∈ {1e-2, 1e-3}`, both
    /// target kinds, `100` candidate sets `× 100` targets `= 10^4` targets a cell (exact
    /// solvers: all of them up to `n = 22`, then the first 50, 25, 12, 10, 10 targets of each
    /// set at `n = 24, ..., 32`: 5000, 2500, 1200, 1000, 1000 targets).
    pub fn full() -> Self {
        SolversConfig {
            distributions: vec![
                "uniform",
                "gaussian",
                "hyperbolic",
                "product_uniform",
                "product_hyperbolic",
            ],
            ns: (8..=32).step_by(2).collect(),
            epsilons: vec![1e-2, 1e-3],
            targets: vec![TargetKind::Uniform, TargetKind::LogUniform],
            sets: 100,
            targets_per_set: 100,
            exact_budget: 100 << 11,
            exact_min_targets: 10,
            seed: 0x0501_7e25,
        }
    }

    /// Targets per candidate set the exact solvers use at `n` candidates.
    pub fn exact_targets(&self, n: usize) -> usize {
        let half = 1u64 << n.div_ceil(2).min(63);
        let t = usize::try_from(self.exact_budget / half).unwrap_or(usize::MAX);
        t.max(self.exact_min_targets).min(self.targets_per_set)
    }
}

/// The distribution `name` of `WeightDistribution::paper_baselines(2ε, 1)`: candidates for
/// a tolerance `ε = ε_w/2` per target weight (Theorem 3, Step 2): uniform on `[-1, 1]`,
/// Gaussian `σ = 1`, signed hyperbolic on `[4ε/9, 2/3]` (Corollary 10's `P_ε`), the product of
/// two uniforms on `[-1, 1]`, the product of two signed hyperbolics on Theorem 3's range
/// `[α'/q, β'/q]`, `α' = 4ε/9`, `β' = 2/3`, `q = (α'β')^{1/4}`.
fn distribution(name: &str, eps: f64) -> Result<WeightDistribution, ExperimentError> {
    let all = WeightDistribution::paper_baselines(2.0 * eps, 1.0)
        .map_err(wrap::<logprune_sampling::SamplingError>("solvers"))?;
    all.into_iter().find(|d| d.name() == name).ok_or_else(|| {
        ExperimentError::computation(
            "solvers",
            DecompositionTablesError::Config {
                name: "distributions",
                value: name.to_owned(),
                expected: "a name of WeightDistribution::paper_baselines",
            },
        )
    })
}

/// One cell of `solvers.csv`.
#[derive(Debug, Clone, Copy)]
struct SolversCell {
    distribution: &'static str,
    n: usize,
    eps: f64,
    targets: TargetKind,
}

/// Counts of one solver in one cell.
#[derive(Debug, Clone, Copy, Default)]
struct SolverCount {
    trials: u64,
    failures: u64,
    /// Pieces summed over the successes.
    pieces: u64,
    seconds: f64,
}

impl SolverCount {
    /// Records one result: a failure if there is none or its error exceeds `eps`.
    fn record(&mut self, result: Option<&Decomposition>, eps: f64) {
        self.trials += 1;
        match result {
            Some(d) if d.residual.abs() <= eps => self.pieces += d.pieces() as u64,
            _ => self.failures += 1,
        }
    }
}

fn solvers_cell(
    cfg: &SolversConfig,
    cell: &SolversCell,
    index: usize,
) -> Result<[SolverCount; 4], ExperimentError> {
    let err_d = wrap::<DecompositionError>("solvers");
    let dist = distribution(cell.distribution, cell.eps)?;
    let golden = GoldenRatio::new(1.0)
        .and_then(|g| g.schedule(cell.eps))
        .map_err(&err_d)?;
    let exact_targets = if cell.n <= MAX_EXACT_CANDIDATES {
        cfg.exact_targets(cell.n)
    } else {
        0
    };
    let mut rng = item_rng(cfg.seed, index as u64, 0);
    let mut counts = [SolverCount::default(); 4];
    let mut candidates = vec![0.0; cell.n];
    let mut targets = vec![0.0; cfg.targets_per_set];
    let eps = cell.eps;
    for _ in 0..cfg.sets {
        for c in candidates.iter_mut() {
            *c = dist.sample(&mut rng);
        }
        for t in targets.iter_mut() {
            *t = cell.targets.sample(&mut rng);
        }
        // Golden ratio (the batch form; its schedule is shared by the whole cell).
        let start = Instant::now();
        for &w in &targets {
            match golden.decompose(&candidates, w) {
                Ok(d) => counts[0].record(Some(&d), eps),
                Err(DecompositionError::EmptyInterval { .. }) => counts[0].record(None, eps),
                Err(e) => return Err(err_d(e)),
            }
        }
        counts[0].seconds += start.elapsed().as_secs_f64();
        // Best fit: one sort per set.
        let start = Instant::now();
        let index = BestFitIndex::new(&candidates).map_err(&err_d)?;
        for &w in &targets {
            // The greedy's answer does not depend on the tolerance: ask with a huge one.
            let d = index.decompose(w, f64::MAX).map_err(&err_d)?;
            counts[1].record(Some(&d), eps);
        }
        counts[1].seconds += start.elapsed().as_secs_f64();
        // Exact, both modes from one scan: one index per set, its first targets only.
        if exact_targets > 0 {
            let start = Instant::now();
            let index = ExactIndex::new(&candidates).map_err(&err_d)?;
            for &w in &targets[..exact_targets] {
                let (below, absolute) = index.best_both(w).map_err(&err_d)?;
                counts[2].record(Some(&below), eps);
                counts[3].record(Some(&absolute), eps);
            }
            let secs = start.elapsed().as_secs_f64();
            counts[2].seconds += secs;
            counts[3].seconds += secs;
        }
    }
    Ok(counts)
}

fn check_solvers(cfg: &SolversConfig) -> Result<(), ExperimentError> {
    let bad = |name, value: String, expected| {
        Err(ExperimentError::computation(
            "solvers",
            DecompositionTablesError::Config {
                name,
                value,
                expected,
            },
        ))
    };
    if cfg.sets == 0 || cfg.targets_per_set == 0 {
        return bad(
            "sets, targets_per_set",
            format!("{}, {}", cfg.sets, cfg.targets_per_set),
            "both ≥ 1",
        );
    }
    if cfg.epsilons.iter().any(|&e| !(e > 0.0 && e < 0.5)) {
        return bad(
            "epsilons",
            format!("{:?}", cfg.epsilons),
            "each in (0, 1/2)",
        );
    }
    Ok(())
}

/// Runs the solver sweep and returns `solvers.csv`.
///
/// Columns: `distribution, solver, n, eps, targets` (the cell); `trials` (targets tried);
/// `failures` (no decomposition, or its error above `ε`: the one-sided error
/// `|w| - sgn(w) ŵ` for golden-ratio, best-fit and exact-below, `|w - ŵ|` for exact-abs);
/// `failure_rate`; `mean_pieces` (over the successes, empty when there are none);
/// `seconds_per_target` (wall clock, volatile: the solver's preprocessing of each candidate
/// set amortized over its targets; exact-below and exact-abs come from one shared scan and
/// report the same time).
///
/// Every solver sees the same candidate sets and targets; the exact solvers only the first
/// [`SolversConfig::exact_targets`] targets of each set at large `n`. The golden-ratio solver
/// uses `w_max = 1`, `γ = 2/3`.
///
/// # Errors
/// [`ExperimentError::Computation`] for a bad configuration or a solver error other than
/// the failures counted.
pub fn solvers_table(cfg: &SolversConfig, ctx: &Ctx<'_>) -> Result<Table, ExperimentError> {
    check_solvers(cfg)?;
    let mut cells = Vec::new();
    for &distribution in &cfg.distributions {
        for &n in &cfg.ns {
            for &eps in &cfg.epsilons {
                for &targets in &cfg.targets {
                    cells.push(SolversCell {
                        distribution,
                        n,
                        eps,
                        targets,
                    });
                }
            }
        }
    }
    ctx.progress.add_total(cells.len() as u64);
    let results: Vec<Result<[SolverCount; 4], ExperimentError>> = cells
        .par_iter()
        .enumerate()
        .map(|(i, cell)| {
            let r = solvers_cell(cfg, cell, i);
            ctx.progress.advance(1);
            r
        })
        .collect();
    let mut table = Table::new(&[
        "distribution",
        "solver",
        "n",
        "eps",
        "targets",
        "trials",
        "failures",
        "failure_rate",
        "mean_pieces",
        "seconds_per_target",
    ])
    .with_volatile(&["seconds_per_target"]);
    for (cell, counts) in cells.iter().zip(results) {
        for (solver, c) in SOLVER_NAMES.iter().zip(counts?) {
            let successes = c.trials - c.failures;
            let mean_pieces = if successes == 0 {
                Cell::from("")
            } else {
                Cell::from(c.pieces as f64 / successes as f64)
            };
            let per_target = if c.trials == 0 {
                0.0
            } else {
                c.seconds / c.trials as f64
            };
            table.push(vec![
                Cell::from(cell.distribution),
                Cell::from(*solver),
                Cell::from(cell.n),
                Cell::from(cell.eps),
                Cell::from(cell.targets.name()),
                Cell::from(c.trials),
                Cell::from(c.failures),
                Cell::from(if c.trials == 0 {
                    0.0
                } else {
                    c.failures as f64 / c.trials as f64
                }),
                mean_pieces,
                Cell::from(per_target),
            ]);
        }
    }
    Ok(table)
}

/// `solvers.svg`: failure rate against `n`, one panel per solver, one series per
/// distribution, for one `ε` and target kind.
///
/// # Errors
/// [`ExperimentError::Plot`] if drawing fails.
pub fn solvers_figure(
    table: &Table,
    eps: f64,
    targets: TargetKind,
) -> Result<String, ExperimentError> {
    let col = |name: &str| table.columns().iter().position(|c| c == name);
    let (Some(cd), Some(cs), Some(cn), Some(ce), Some(ct), Some(cr)) = (
        col("distribution"),
        col("solver"),
        col("n"),
        col("eps"),
        col("targets"),
        col("failure_rate"),
    ) else {
        return Err(ExperimentError::Plot {
            figure: "solvers.svg".to_owned(),
            message: "the table lacks a column of solvers.csv".to_owned(),
        });
    };
    let text = |c: &Cell| match c {
        Cell::Text(s) => s.clone(),
        _ => String::new(),
    };
    let num = |c: &Cell| match c {
        Cell::Float(v) => *v,
        Cell::Int(v) => *v as f64,
        _ => f64::NAN,
    };
    let mut charts = Vec::new();
    for solver in SOLVER_NAMES {
        let mut series: Vec<Series> = Vec::new();
        for row in table.rows() {
            if text(&row[cs]) != solver || num(&row[ce]) != eps || text(&row[ct]) != targets.name()
            {
                continue;
            }
            let name = text(&row[cd]);
            let point = (num(&row[cn]), num(&row[cr]));
            match series.iter_mut().find(|s| s.label == name) {
                Some(s) => s.points.push(point),
                None => series.push(Series::new(name, vec![point])),
            }
        }
        charts.push(Chart {
            title: format!(
                "{solver}: failure rate, ε = {eps}, {} targets",
                targets.name()
            ),
            x_label: "candidates n".to_owned(),
            y_label: "failure rate".to_owned(),
            x_log: false,
            y_log: false,
            series,
            // The greedy solvers fail often at small n (curves high on the left); the exact
            // ones rarely at large n (curves low on the right): keep the legend off the curves.
            legend: if solver.starts_with("exact") {
                Legend::UpperRight
            } else {
                Legend::LowerLeft
            },
        });
    }
    svg("solvers.svg", &charts, 900, 380)
}

fn run_solvers(ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    let table = solvers_table(&SolversConfig::full(), ctx)?;
    let figure = solvers_figure(&table, 1e-2, TargetKind::Uniform)?;
    Ok(vec![
        Artifact::csv("solvers.csv", table),
        Artifact::svg("solvers.svg", figure),
    ])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::with_threads;

    /// Named tolerances.
    mod prec {
        /// Agreement with reference values computed to full precision elsewhere.
        pub const REFERENCE: f64 = 1e-9;
    }

    #[test]
    fn clopper_pearson_matches_reference_values() {
        // Reference: bisection on the exact binomial cdf (Python, exact integer binomials).
        let cases = [
            (1, 10, 0.394_163_302_436_504_9),
            (5, 100, 0.102_253_377_643_274_52),
            (0, 20, 0.139_108_340_668_265_26),
            (50, 1000, 0.062_863_403_512_379_91),
        ];
        for (x, n, expected) in cases {
            let got = clopper_pearson_upper(x, n, CI_ALPHA);
            assert!((got - expected).abs() < prec::REFERENCE, "{x}/{n}: {got}");
        }
        assert_eq!(clopper_pearson_upper(7, 7, CI_ALPHA), 1.0);
        assert_eq!(clopper_pearson_upper(0, 0, CI_ALPHA), 1.0);
    }

    #[test]
    fn smallest_sufficient_by_hand() {
        let sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        // δ = 0.1 allows one trial to fail: m = 9 leaves only the trial needing 10.
        assert_eq!(smallest_sufficient(&sorted, 0.1), 9);
        assert_eq!(smallest_sufficient(&sorted, 0.01), 10);
        assert_eq!(smallest_sufficient(&sorted, 0.35), 7);
        assert_eq!(smallest_sufficient(&[], 0.1), 0);
    }

    fn small_lemma9() -> Lemma9Config {
        Lemma9Config {
            epsilons: vec![1e-1, 1e-3],
            deltas: vec![0.1, 0.01],
            trials: 900,
            chunk: 200,
            ..Lemma9Config::full()
        }
    }

    fn column(t: &Table, name: &str) -> usize {
        t.columns().iter().position(|c| c == name).unwrap()
    }

    fn int(c: &Cell) -> i128 {
        match c {
            Cell::Int(v) => *v,
            other => panic!("not an integer: {other:?}"),
        }
    }

    #[test]
    fn lemma9_is_identical_on_one_and_two_threads_and_consistent() {
        let cfg = small_lemma9();
        let ctx = Ctx::default();
        let one = with_threads(1, || lemma9_tables(&cfg, &ctx)).unwrap();
        let two = with_threads(2, || lemma9_tables(&cfg, &ctx)).unwrap();
        assert_eq!(one.0.to_csv().unwrap(), two.0.to_csv().unwrap());
        assert_eq!(one.1.to_csv().unwrap(), two.1.to_csv().unwrap());
        let (main, min_m) = one;
        assert_eq!(main.rows().len(), 4);
        // ε = 0.1: k = 6, k' = 6.679, m(0.1) = ⌈6.679 ln 66.79⌉ = 29, m(0.01) = ⌈6.679 ln 667.9⌉ = 44.
        let m = column(&main, "m");
        assert_eq!(int(&main.rows()[0][m]), 29);
        assert_eq!(int(&main.rows()[1][m]), 44);
        assert_eq!(int(&main.rows()[0][column(&main, "k")]), 6);
        for row in main.rows() {
            assert_eq!(int(&row[column(&main, "trials")]), 900);
            // A target fails only if some interval is empty.
            assert!(int(&row[column(&main, "failures")]) <= int(&row[column(&main, "any_empty")]));
        }
        // The smallest sufficient m never exceeds the lemma's when the rate at the lemma's m
        // is within δ, and the per-target m is at most the all-targets one.
        for (row, mrow) in main.rows().iter().zip(min_m.rows()) {
            let m_lemma = int(&mrow[column(&min_m, "m_lemma")]);
            let t = int(&mrow[column(&min_m, "min_m_target")]);
            let a = int(&mrow[column(&min_m, "min_m_any")]);
            assert!(t <= a, "{mrow:?}");
            if row[column(&main, "bound_holds")] == Cell::Bool(true) {
                assert!(a <= m_lemma, "{mrow:?}");
            }
        }
    }

    #[test]
    fn schedule_agrees_with_the_bounds_crate() {
        // k and k' of the solver's schedule and of logprune-bounds, for the full sweep.
        let solver = GoldenRatio::new(1.0).unwrap();
        for eps in Lemma9Config::full().epsilons {
            let sched = solver.schedule(eps).unwrap();
            let bounds = Lemma9Bounds::new(eps, 2.0 / 3.0).unwrap();
            assert_eq!(sched.steps() as u64, bounds.k(), "ε = {eps}");
            assert!((sched.k_prime() - bounds.k_prime()).abs() < prec::REFERENCE);
        }
    }

    #[test]
    fn lemma9_refuses_bad_configs() {
        let ctx = Ctx::default();
        let mut cfg = small_lemma9();
        cfg.epsilons = vec![2.0];
        assert!(matches!(
            lemma9_tables(&cfg, &ctx),
            Err(ExperimentError::Computation {
                experiment: "lemma9",
                ..
            })
        ));
        let mut cfg = small_lemma9();
        cfg.chunk = 0;
        assert!(lemma9_tables(&cfg, &ctx).is_err());
        let mut cfg = small_lemma9();
        cfg.deltas = vec![1e-300];
        cfg.epsilons = vec![1e-300];
        // k' = 1704, m = ⌈k' ln(k'/δ)⌉ ≈ 1.19e6: too many samples per trial.
        assert!(matches!(
            lemma9_tables(&cfg, &ctx),
            Err(ExperimentError::Computation {
                experiment: "lemma9",
                ..
            })
        ));
    }

    fn small_solvers() -> SolversConfig {
        SolversConfig {
            ns: vec![8, 12],
            epsilons: vec![1e-2],
            sets: 4,
            targets_per_set: 25,
            exact_budget: 20 << 6,
            exact_min_targets: 1,
            ..SolversConfig::full()
        }
    }

    #[test]
    fn solvers_is_identical_on_one_and_two_threads() {
        let cfg = small_solvers();
        let ctx = Ctx::default();
        let one = with_threads(1, || solvers_table(&cfg, &ctx)).unwrap();
        let two = with_threads(2, || solvers_table(&cfg, &ctx)).unwrap();
        let vol = column(&one, "seconds_per_target");
        let strip = |t: &Table| -> Vec<Vec<Cell>> {
            t.rows()
                .iter()
                .map(|r| {
                    r.iter()
                        .enumerate()
                        .filter(|&(i, _)| i != vol)
                        .map(|(_, c)| c.clone())
                        .collect()
                })
                .collect()
        };
        assert_eq!(strip(&one), strip(&two));
        assert_eq!(one.volatile_columns(), ["seconds_per_target".to_owned()]);
        // 5 distributions × 2 n × 1 ε × 2 target kinds × 4 solvers.
        assert_eq!(one.rows().len(), 80);
        one.to_csv().unwrap();
        // Exact solvers: 20·2^6 / 2^4 = 80 → all 25 targets of a set at n = 8;
        // 20·2^6 / 2^6 = 20 targets of each of the 4 sets at n = 12.
        let (cs, cn, ct) = (
            column(&one, "solver"),
            column(&one, "n"),
            column(&one, "trials"),
        );
        for row in one.rows() {
            let exact = matches!(&row[cs], Cell::Text(s) if s.starts_with("exact"));
            let expected = if exact && int(&row[cn]) == 12 {
                80
            } else {
                100
            };
            assert_eq!(int(&row[ct]), expected, "{row:?}");
        }
        let svg = solvers_figure(&one, 1e-2, TargetKind::Uniform).unwrap();
        assert!(svg.contains("golden-ratio") && svg.contains("product_hyperbolic"));
    }

    #[test]
    fn exact_abs_never_fails_more_than_exact_below_or_best_fit() {
        let cfg = small_solvers();
        let t = solvers_table(&cfg, &Ctx::default()).unwrap();
        let (cs, cf) = (column(&t, "solver"), column(&t, "failures"));
        // Rows come in groups of four solvers for the same cell and the same targets.
        for group in t.rows().chunks(4) {
            let f: Vec<i128> = group.iter().map(|r| int(&r[cf])).collect();
            assert_eq!(group[0][cs], Cell::from("golden-ratio"));
            // Where all four saw the same targets: the exact one-sided optimum fails at most
            // where the greedy one-sided solvers fail, and the absolute optimum at most where
            // the one-sided optimum fails.
            if int(&group[2][column(&t, "trials")]) == int(&group[0][column(&t, "trials")]) {
                assert!(f[2] <= f[0] && f[2] <= f[1], "{group:?}");
            }
            assert!(f[3] <= f[2], "{group:?}");
        }
    }
}
