//! Peers' subset-sum statistics, recomputed with exact solvers: `peers.csv`.
//!
//! The paper rebuilds each target weight as a golden-ratio sum of random products (Lemma 9,
//! Corollary 10); two later works rebuild it as an exact subset sum of a few random values,
//! and report how often that fails and how many values it keeps. This module recomputes their
//! statistics from the description in their code, with the exact solvers of
//! `logprune-decomposition` (meet in the middle, ARCHITECTURE.md, `crates/decomposition`), on
//! the same settings, one row per (setting, solver, statistic).
//!
//! # Part (a): Burkholz 2022
//! Burkholz, *Convolutional and Residual Networks Provably Contain Lottery Tickets* (ICML
//! 2022) and *Most Activation Functions Can Win the Lottery Without Excessive Depth* (2022);
//! code: `RelationalML/LT-existence`, file `main_ssa_stats.py` (functions `exhaustive` and
//! `subset_fixed_size`, `main`, default `--rep 100000 --ssa_size 15 --error 0.01`), whose output
//! the repository ships as `Subset_sum_stats/subset_stats_n_15_sub_15_eps_0.01` (construction
//! `L+1`: a base set of 15 draws of `U[-1, 1]`) and `subset_2l_stats_n_15_sub_15_eps_0.01`
//! (construction `2L`: 15 products of two `U[-1, 1]` draws), each with a fresh base set and a
//! target `w ~ U[-1, 1]` per trial. Their statistic, read from the code:
//!
//! - subset sizes `0, 1, ..., nmax − 1` are searched in increasing order, where
//!   `nmax = min(--sub, n)`: with the shipped `--sub 15`, sizes up to 14, so the full set of
//!   15 is never tried;
//! - within a size, combinations in lexicographic order, stopping at the first whose sum is
//!   within `ε` of the target (`|w − ŵ| ≤ ε`): a smallest subset within `ε`, but not the one of
//!   least error among the smallest;
//! - when no size succeeds, the subset of least error among all those searched is returned
//!   (the empty set if nothing beats `|w|`), and the trial counts as a failure (`err > ε`);
//! - the stored subset size `ii` is averaged over **all** trials, failures included (with the
//!   size of their best approximation), and the mean and maximum error are printed.
//!
//! The rows `statistic = smallest` give the exact smallest subset within `ε`
//! ([`ExactSmallest`], all sizes `0..=15`), its failure rate and the mean size over the
//! successes; the rows `statistic = burkholz` recompute their statistic exactly as described
//! above, on the same trials (common random numbers). Their script seeds Python's `random`
//! (`random.seed(args.seed)`) but draws every number from `numpy.random`, which it never
//! seeds, so their figures are not reproducible bit for bit; ours are.
//!
//! # Part (b): Pensia et al. 2020
//! Pensia, Rajput, Nagle, Vishwakarma, Papailiopoulos, *Optimal Lottery Tickets via
//! SubsetSum: Logarithmic Over-Parameterization is Sufficient* (NeurIPS 2020); code:
//! `acnagle/optimal-lottery-tickets`, file `subset-sum/main.py` with `subset-sum/utils.py`
//! (`FindSubset`), run by `subset-sum/run.sh` (`--c 3 --epsilon 0.01`), output
//! `subset-sum/results/paper/fc2_approx.out`. There:
//!
//! - `n = int(c · round(log2(1/ε))) = 3 · 7 = 21` coefficients per weight;
//! - the coefficients are drawn from `U[low, high]` where `low` and `high` are the smallest and
//!   largest weight of the trained target network: the log prints
//!   `[-0.46423155069351196, 0.5407021641731262]`, the range used here;
//! - each weight `w` is rebuilt by Gurobi's MIP solver minimizing `|w − Σ x_i a_i|` subject to
//!   `|w − Σ x_i a_i| ≤ ε` with `MIPGap = 0.01`, and the number of coefficients kept is counted;
//! - the targets are the 397,000 weights of their trained 784-500-10 network (mostly far
//!   smaller than the range), not uniform draws; and one set of 21 coefficients is drawn per
//!   row of each weight matrix and reused for every weight of that row (the comment says
//!   "every w is approximated with a unique set of random values", the loop draws `a` once per
//!   row). Marginally each weight still sees 21 independent uniform coefficients.
//!
//! Here the targets are `U[low, high]` too (their weights are not part of this repository),
//! with a fresh set of 21 coefficients per target; the rows give the failure rate and the mean
//! number of coefficients kept with the best sub-sum in absolute error ([`Exact::absolute`],
//! Gurobi's objective solved to optimality) and with the fewest coefficients within `ε`
//! ([`ExactSmallest`]), on the same trials.
//!
//! # Determinism
//! Trial `t` of setting stream `s` draws its target and then its base set from
//! `Pcg64Mcg::seed_from_u64(item_seed(seed, s, t))`: a function of the trial's index only.
//! Trials run in parallel in chunks, each chunk's integer counts and sums are accumulated in
//! trial order and chunks are combined in index order, so the table is byte-identical on any
//! number of threads (ARCHITECTURE.md, "determinism").

use logprune_decomposition::{Decomposition, DecompositionError, Exact, ExactSmallest, Solver};
use logprune_sampling::unit_open;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use rayon::prelude::*;

use crate::decomposition_tables::item_seed;
use crate::table::{Cell, Table};
use crate::{Artifact, Ctx, Experiment, ExperimentError};

/// The experiments of this module.
pub const EXPERIMENTS: &[Experiment] = &[Experiment {
    name: "peers",
    paper: "Remark 16, Appendix A (uniform samples, exact subset sum): peers' statistics (Burkholz 2022; Pensia et al. 2020) recomputed with exact solvers",
    run: run_peers,
}];

const NAME: &str = "peers";

/// The smallest and largest weight of Pensia et al.'s trained 784-500-10 target, printed in
/// `subset-sum/results/paper/fc2_approx.out` of `acnagle/optimal-lottery-tickets`: the range
/// of their coefficients `a_i`.
pub const PENSIA_RANGE: (f64, f64) = (-0.464_231_550_693_511_96, 0.540_702_164_173_126_2);

/// Pensia et al.'s number of coefficients per weight, `int(c · round(log2(1/ε)))` with
/// `c = 3`, `ε = 0.01` (`subset-sum/main.py`, `subset-sum/run.sh`).
pub const PENSIA_N: usize = 21;

/// Burkholz's base set size (`--ssa_size 15` in `main_ssa_stats.py`).
pub const BURKHOLZ_N: usize = 15;

/// Normal quantile of the two-sided 95% Wilson intervals.
const Z_95: f64 = 1.959_963_984_540_054;

/// How the base set of a setting is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Base {
    /// `n` independent draws of `U[lo, hi]`.
    Uniform {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// `n` products `x·y` of two independent draws of `U[lo, hi]`.
    UniformProduct {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
}

impl Base {
    fn name(self) -> String {
        match self {
            Base::Uniform { lo, hi } => format!("uniform[{lo}, {hi}]"),
            Base::UniformProduct { lo, hi } => format!("product of two uniform[{lo}, {hi}]"),
        }
    }

    fn draw(self, rng: &mut Pcg64Mcg) -> f64 {
        match self {
            Base::Uniform { lo, hi } => uniform_on(lo, hi, rng),
            Base::UniformProduct { lo, hi } => uniform_on(lo, hi, rng) * uniform_on(lo, hi, rng),
        }
    }
}

/// `lo + (hi − lo) u` with `u = unit_open(next_u64)` in `(0, 1)` (53 bits, portable).
fn uniform_on(lo: f64, hi: f64, rng: &mut Pcg64Mcg) -> f64 {
    lo + (hi - lo) * unit_open(rng.next_u64())
}

/// What a row measures on each trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// The smallest subset within `ε` ([`ExactSmallest`]); sizes averaged over the successes.
    Smallest,
    /// The best sub-sum in absolute error ([`Exact::absolute`]); a success when its error is
    /// at most `ε`; sizes averaged over the successes.
    BestAbsolute,
    /// Burkholz's `exhaustive` as described in the module docs: sizes `0..max_size`
    /// searched in increasing order, lexicographic combinations, the first within `ε`; else the
    /// best approximation among those sizes. Sizes and errors averaged over all trials.
    Burkholz {
        /// The exclusive bound on subset sizes, `nmax = min(--sub, n)`.
        nmax: usize,
    },
}

impl Statistic {
    fn solver(self) -> &'static str {
        match self {
            Statistic::Smallest => "exact-smallest",
            Statistic::BestAbsolute => "exact-abs",
            Statistic::Burkholz { .. } => "burkholz-exhaustive",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Statistic::Smallest => "smallest",
            Statistic::BestAbsolute => "best-abs",
            Statistic::Burkholz { .. } => "burkholz",
        }
    }

    fn over_all_trials(self) -> bool {
        matches!(self, Statistic::Burkholz { .. })
    }
}

/// One row of `peers.csv`: a setting and what is measured on it.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerSetting {
    /// The peer (paper) the row reproduces.
    pub peer: &'static str,
    /// The part of the table (`a`, `b`, ...).
    pub part: &'static str,
    /// A short description of the setting.
    pub setting: &'static str,
    /// How the base set is drawn.
    pub base: Base,
    /// Base set size.
    pub n: usize,
    /// The targets: `U[lo, hi]`.
    pub target: (f64, f64),
    /// The tolerance `ε`.
    pub eps: f64,
    /// What is measured.
    pub statistic: Statistic,
    /// The random-number stream: rows with the same stream see the same trials.
    pub stream: u64,
    /// Number of trials.
    pub trials: u64,
    /// Where the peer's setting and statistic come from (paper and code).
    pub source: &'static str,
}

/// The configuration of the `peers` table.
#[derive(Debug, Clone, PartialEq)]
pub struct PeersConfig {
    /// The rows.
    pub settings: Vec<PeerSetting>,
    /// Trials per parallel work item.
    pub chunk: u64,
    /// Base seed of every trial.
    pub seed: u64,
}

const BURKHOLZ_SOURCE: &str = "Burkholz 2022 (ICML, Convolutional and Residual Networks Provably Contain Lottery Tickets); code RelationalML/LT-existence main_ssa_stats.py (exhaustive, subset_fixed_size), output Subset_sum_stats/";
const PENSIA_SOURCE: &str = "Pensia et al. 2020 (NeurIPS, Optimal Lottery Tickets via SubsetSum); code acnagle/optimal-lottery-tickets subset-sum/main.py, subset-sum/utils.py (FindSubset: Gurobi, MIPGap 0.01), range and n from subset-sum/results/paper/fc2_approx.out and run.sh";

impl PeersConfig {
    /// The table of `data/peers.csv`: Burkholz's two settings with `10^5` trials each, with the
    /// exact smallest subset and with their own statistic; Pensia et al.'s setting with `10^5`
    /// targets, with the best sub-sum in absolute error and with the smallest subset.
    pub fn full() -> Self {
        Self::with_trials(100_000, 100_000)
    }

    /// [`PeersConfig::full`] with other numbers of trials (for tests).
    pub fn with_trials(burkholz: u64, pensia: u64) -> Self {
        let u11 = (-1.0, 1.0);
        let burkholz_row = |setting, base, statistic, stream| PeerSetting {
            peer: "Burkholz 2022",
            part: "a",
            setting,
            base,
            n: BURKHOLZ_N,
            target: u11,
            eps: 0.01,
            statistic,
            stream,
            trials: burkholz,
            source: BURKHOLZ_SOURCE,
        };
        let uniform = Base::Uniform { lo: -1.0, hi: 1.0 };
        let product = Base::UniformProduct { lo: -1.0, hi: 1.0 };
        let theirs = Statistic::Burkholz { nmax: BURKHOLZ_N };
        let pensia_row = |statistic| PeerSetting {
            peer: "Pensia et al. 2020",
            part: "b",
            setting: "21 coefficients per weight, fresh per target (their code: one set per matrix row)",
            base: Base::Uniform {
                lo: PENSIA_RANGE.0,
                hi: PENSIA_RANGE.1,
            },
            n: PENSIA_N,
            target: PENSIA_RANGE,
            eps: 0.01,
            statistic,
            stream: 2,
            trials: pensia,
            source: PENSIA_SOURCE,
        };
        PeersConfig {
            settings: vec![
                burkholz_row(
                    "L+1: base set of 15 uniform draws",
                    uniform,
                    Statistic::Smallest,
                    0,
                ),
                burkholz_row("L+1: base set of 15 uniform draws", uniform, theirs, 0),
                burkholz_row(
                    "2L: 15 products of two uniform draws",
                    product,
                    Statistic::Smallest,
                    1,
                ),
                burkholz_row("2L: 15 products of two uniform draws", product, theirs, 1),
                pensia_row(Statistic::BestAbsolute),
                pensia_row(Statistic::Smallest),
            ],
            chunk: 2_000,
            seed: 2022,
        }
    }
}

/// What one trial gave: whether it succeeded, the size of the subset the statistic returns
/// and its absolute error `|w − ŵ|`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Outcome {
    success: bool,
    size: usize,
    error: f64,
}

/// Counts and sums over trials, accumulated in trial order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Tally {
    trials: u64,
    failures: u64,
    /// Trials the size and error statistics are over (successes, or all trials).
    counted: u64,
    size_sum: u64,
    max_size: u64,
    error_sum: f64,
    max_error: f64,
}

impl Tally {
    fn add(&mut self, o: Outcome, over_all: bool) {
        self.trials += 1;
        if !o.success {
            self.failures += 1;
        }
        if o.success || over_all {
            self.counted += 1;
            self.size_sum += o.size as u64;
            self.max_size = self.max_size.max(o.size as u64);
            self.error_sum += o.error;
            self.max_error = self.max_error.max(o.error);
        }
    }

    fn merge(&mut self, other: &Tally) {
        self.trials += other.trials;
        self.failures += other.failures;
        self.counted += other.counted;
        self.size_sum += other.size_sum;
        self.max_size = self.max_size.max(other.max_size);
        self.error_sum += other.error_sum;
        self.max_error = self.max_error.max(other.max_error);
    }
}

/// The Wilson score interval of a binomial proportion (`x` of `n`) at normal quantile `z`,
/// as `(lo, hi)` in `[0, 1]`; `(0, 1)` for `n = 0`. The interval's end at an extreme count is
/// exact: `lo = 0` when `x = 0` and `hi = 1` when `x = n` (rounding would leave ~1e-18).
pub fn wilson(x: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let nf = n as f64;
    let p = x as f64 / nf;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
    let half = z / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    let lo = if x == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if x >= n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

/// Burkholz's `exhaustive(target, numbers, eps, nmax)` statistic (module docs): the size and
/// error of the subset it returns, and whether it is within `eps`. Exact: the first
/// lexicographic combination within `eps` of the smallest size `< nmax` that has one, else the
/// best in absolute error among all subsets of size `< nmax` (ties to the first searched;
/// the empty set unless something strictly beats `|w|`).
///
/// The smallest size comes from [`ExactSmallest`]; the rest enumerates combinations, which is
/// cheap for the sizes that occur (`C(15, k)` for `k ≈ 2–3`) and at most `2^n` sums otherwise.
///
/// # Errors
/// Those of [`ExactSmallest`] other than a miss (non-finite input, more than 40 values).
pub fn burkholz_statistic(
    numbers: &[f64],
    target: f64,
    eps: f64,
    nmax: usize,
) -> Result<(bool, usize, f64), DecompositionError> {
    let nmax = nmax.min(numbers.len());
    let smallest = match ExactSmallest.decompose(numbers, target, eps) {
        Ok(d) => Some(d.pieces()),
        Err(DecompositionError::NotWithinTolerance { .. }) => None,
        Err(e) => return Err(e),
    };
    if let Some(k) = smallest.filter(|&k| k < nmax) {
        let mut found = None;
        for_each_combination(numbers.len(), k, |idx| {
            let s: f64 = idx.iter().map(|&i| numbers[i]).sum();
            if (target - s).abs() <= eps {
                found = Some((target - s).abs());
                return false;
            }
            true
        });
        // ExactSmallest's sums are rounded in another order: if none of size k is within
        // `eps` when summed in index order (a tie at `eps` to the last bit), fall through to
        // the full search, which is what their code would do.
        if let Some(error) = found {
            return Ok((true, k, error));
        }
    }
    // No size below nmax succeeds: the best approximation among them, searched in their order.
    let mut best_error = target.abs();
    let mut best_size = 0;
    for k in 1..nmax {
        let mut hit = false;
        for_each_combination(numbers.len(), k, |idx| {
            let s: f64 = idx.iter().map(|&i| numbers[i]).sum();
            let d = (target - s).abs();
            if d < best_error {
                best_error = d;
                best_size = k;
            }
            if d <= eps {
                hit = true;
                return false;
            }
            true
        });
        if hit {
            return Ok((true, best_size, best_error));
        }
    }
    Ok((best_error <= eps, best_size, best_error))
}

/// Calls `f` on every `k`-subset of `0..n` as increasing indices, in lexicographic order (the
/// order of Python's `itertools.combinations`), until `f` returns `false`.
fn for_each_combination(n: usize, k: usize, mut f: impl FnMut(&[usize]) -> bool) {
    if k > n {
        return;
    }
    let mut idx: Vec<usize> = (0..k).collect();
    loop {
        if !f(&idx) {
            return;
        }
        // The rightmost index that can still move right.
        let Some(i) = (0..k).rev().find(|&i| idx[i] < n - k + i) else {
            return;
        };
        idx[i] += 1;
        for j in i + 1..k {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

fn solve(
    solver: &dyn Solver,
    numbers: &[f64],
    w: f64,
    eps: f64,
) -> Result<Outcome, ExperimentError> {
    let outcome = |d: &Decomposition, success| Outcome {
        success,
        size: d.pieces(),
        error: d.residual.abs(),
    };
    match solver.decompose(numbers, w, eps) {
        Ok(d) => Ok(outcome(&d, true)),
        Err(DecompositionError::NotWithinTolerance { error, .. }) => Ok(Outcome {
            success: false,
            size: 0,
            error,
        }),
        Err(e) => Err(ExperimentError::computation(NAME, e)),
    }
}

/// One trial of a row: draw the target then the base set, measure the statistic.
fn trial(
    s: &PeerSetting,
    seed: u64,
    t: u64,
    numbers: &mut Vec<f64>,
) -> Result<Outcome, ExperimentError> {
    let mut rng = Pcg64Mcg::seed_from_u64(item_seed(seed, s.stream, t));
    let w = uniform_on(s.target.0, s.target.1, &mut rng);
    numbers.clear();
    numbers.extend((0..s.n).map(|_| s.base.draw(&mut rng)));
    match s.statistic {
        Statistic::Smallest => solve(&ExactSmallest, numbers, w, s.eps),
        Statistic::BestAbsolute => solve(&Exact::absolute(), numbers, w, s.eps),
        Statistic::Burkholz { nmax } => {
            let (success, size, error) = burkholz_statistic(numbers, w, s.eps, nmax)
                .map_err(|e| ExperimentError::computation(NAME, e))?;
            Ok(Outcome {
                success,
                size,
                error,
            })
        }
    }
}

fn check(cfg: &PeersConfig) -> Result<(), ExperimentError> {
    #[derive(Debug, thiserror::Error)]
    #[error("configuration: {0}")]
    struct Bad(String);
    let bad = |m: String| Err(ExperimentError::computation(NAME, Bad(m)));
    if cfg.chunk == 0 {
        return bad("chunk = 0: expected at least 1".into());
    }
    for s in &cfg.settings {
        let valid = s.eps > 0.0 && s.eps.is_finite() && s.target.0 <= s.target.1 && s.n <= 40;
        if !valid {
            return bad(format!(
                "{} / {}: eps = {}, target = {:?}, n = {}: expected eps > 0, lo ≤ hi, n ≤ 40",
                s.peer, s.setting, s.eps, s.target, s.n
            ));
        }
    }
    Ok(())
}

/// The `peers.csv` table.
///
/// Columns: `peer, part, setting, base_distribution, n, target_distribution, eps, solver,
/// statistic`; `trials`; `failures` (no subset within `ε`, as the statistic decides);
/// `failure_rate` with its Wilson 95% interval `failure_ci95_low`, `failure_ci95_high`;
/// `mean_size` (subset size) and `mean_abs_error` (`|w − ŵ|`), both over `averaged_over`
/// (`successes`, or `all trials` for Burkholz's own statistic, as their script averages);
/// `max_size`, `max_abs_error` over the same trials; `source` (paper and code). The size and
/// error cells are empty when no trial is counted.
///
/// # Errors
/// [`ExperimentError::Computation`] for a bad configuration or a solver error other than a
/// miss.
pub fn peers_table(cfg: &PeersConfig, ctx: &Ctx<'_>) -> Result<Table, ExperimentError> {
    check(cfg)?;
    let mut items = Vec::new();
    for (row, s) in cfg.settings.iter().enumerate() {
        let mut start = 0;
        while start < s.trials {
            let end = (start + cfg.chunk).min(s.trials);
            items.push((row, start, end));
            start = end;
        }
    }
    ctx.progress.add_total(items.len() as u64);
    let tallies: Vec<Result<(usize, Tally), ExperimentError>> = items
        .par_iter()
        .map(|&(row, start, end)| {
            let s = &cfg.settings[row];
            let mut tally = Tally::default();
            let mut numbers = Vec::with_capacity(s.n);
            for t in start..end {
                tally.add(
                    trial(s, cfg.seed, t, &mut numbers)?,
                    s.statistic.over_all_trials(),
                );
            }
            ctx.progress.advance(1);
            Ok((row, tally))
        })
        .collect();
    let mut per_row = vec![Tally::default(); cfg.settings.len()];
    for r in tallies {
        let (row, tally) = r?;
        per_row[row].merge(&tally);
    }
    let mut table = Table::new(&[
        "peer",
        "part",
        "setting",
        "base_distribution",
        "n",
        "target_distribution",
        "eps",
        "solver",
        "statistic",
        "trials",
        "failures",
        "failure_rate",
        "failure_ci95_low",
        "failure_ci95_high",
        "mean_size",
        "mean_abs_error",
        "averaged_over",
        "max_size",
        "max_abs_error",
        "source",
    ]);
    for (s, t) in cfg.settings.iter().zip(&per_row) {
        let (lo, hi) = wilson(t.failures, t.trials, Z_95);
        let rate = if t.trials == 0 {
            0.0
        } else {
            t.failures as f64 / t.trials as f64
        };
        let mean = |sum: f64| {
            if t.counted == 0 {
                Cell::from("")
            } else {
                Cell::from(sum / t.counted as f64)
            }
        };
        let (max_size, max_error) = if t.counted == 0 {
            (Cell::from(""), Cell::from(""))
        } else {
            (Cell::from(t.max_size), Cell::from(t.max_error))
        };
        table.push(vec![
            Cell::from(s.peer),
            Cell::from(s.part),
            Cell::from(s.setting),
            Cell::from(s.base.name()),
            Cell::from(s.n),
            Cell::from(format!("uniform[{}, {}]", s.target.0, s.target.1)),
            Cell::from(s.eps),
            Cell::from(s.statistic.solver()),
            Cell::from(s.statistic.name()),
            Cell::from(t.trials),
            Cell::from(t.failures),
            Cell::from(rate),
            Cell::from(lo),
            Cell::from(hi),
            mean(t.size_sum as f64),
            mean(t.error_sum),
            Cell::from(if s.statistic.over_all_trials() {
                "all trials"
            } else {
                "successes"
            }),
            max_size,
            max_error,
            Cell::from(s.source),
        ]);
    }
    Ok(table)
}

fn run_peers(ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    Ok(vec![Artifact::csv(
        "peers.csv",
        peers_table(&PeersConfig::full(), ctx)?,
    )])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::with_threads;
    use rand::RngExt;

    /// Burkholz's `exhaustive` written out as their script runs it (sizes `0..nmax`, the
    /// running best with strict improvement, stop at the first size within `eps`): the
    /// specification [`burkholz_statistic`] must match.
    fn reference(numbers: &[f64], w: f64, eps: f64, nmax: usize) -> (bool, usize, f64) {
        let n = numbers.len();
        let mut best = (w.abs(), 0usize);
        for k in 0..nmax.min(n) {
            let mut stop = false;
            let mut masks: Vec<u32> = (0u32..1 << n)
                .filter(|m| m.count_ones() as usize == k)
                .collect();
            // Lexicographic order of the index tuples.
            masks.sort_by_key(|&m| (0..n).filter(|&i| m >> i & 1 == 1).collect::<Vec<_>>());
            for m in masks {
                let s: f64 = (0..n)
                    .filter(|&i| m >> i & 1 == 1)
                    .map(|i| numbers[i])
                    .sum();
                let d = (w - s).abs();
                if d < best.0 {
                    best = (d, k);
                }
                if d <= eps {
                    stop = true;
                    break;
                }
            }
            if stop || best.0 <= eps {
                break;
            }
        }
        (best.0 <= eps, best.1, best.0)
    }

    #[test]
    fn burkholz_statistic_matches_their_procedure() {
        let mut rng = Pcg64Mcg::seed_from_u64(9);
        let mut failures = 0;
        for _ in 0..3000 {
            let n = rng.random_range(0..=9);
            let numbers: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let w = rng.random_range(-1.0..1.0);
            let eps = 10f64.powf(rng.random_range(-3.0..-0.5));
            let nmax = rng.random_range(0..=n + 1);
            let got = burkholz_statistic(&numbers, w, eps, nmax).unwrap();
            assert_eq!(
                got,
                reference(&numbers, w, eps, nmax),
                "{numbers:?} {w} {eps} {nmax}"
            );
            failures += u32::from(!got.0);
        }
        // Both branches were exercised.
        assert!(failures > 100 && failures < 2900, "{failures}");
    }

    #[test]
    fn combinations_are_lexicographic() {
        let mut seen = Vec::new();
        for_each_combination(4, 2, |c| {
            seen.push(c.to_vec());
            true
        });
        assert_eq!(seen, vec![[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
        let mut count = 0;
        for_each_combination(5, 0, |c| {
            assert!(c.is_empty());
            count += 1;
            true
        });
        assert_eq!(count, 1);
        for_each_combination(2, 3, |_| panic!("no 3-subsets of 2"));
    }

    #[test]
    fn wilson_interval_by_hand() {
        // 0 of 100: (0, z²/(n + z²)) = (0, 0.0370).
        let (lo, hi) = wilson(0, 100, Z_95);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.036_993_498_206_985_68).abs() < 1e-12, "{hi}");
        let (lo, hi) = wilson(50, 100, Z_95);
        assert!(lo < 0.5 && hi > 0.5 && (0.5 - lo - (hi - 0.5)).abs() < 1e-12);
        assert_eq!(wilson(0, 0, Z_95), (0.0, 1.0));
        let (lo, hi) = wilson(100, 100, Z_95);
        assert_eq!(hi, 1.0);
        assert!(
            (lo - (1.0 - 0.036_993_498_206_985_68)).abs() < 1e-12,
            "{lo}"
        );
    }

    fn small() -> PeersConfig {
        PeersConfig {
            chunk: 150,
            ..PeersConfig::with_trials(1_000, 400)
        }
    }

    #[test]
    fn identical_on_one_and_two_threads() {
        let cfg = small();
        let ctx = Ctx::default();
        let one = with_threads(1, || peers_table(&cfg, &ctx)).unwrap();
        let two = with_threads(2, || peers_table(&cfg, &ctx)).unwrap();
        assert_eq!(one.to_csv().unwrap(), two.to_csv().unwrap());
        // Another seed gives other trials.
        let other = peers_table(&PeersConfig { seed: 1, ..cfg }, &ctx).unwrap();
        assert_ne!(one.to_csv().unwrap(), other.to_csv().unwrap());
    }

    #[test]
    fn rows_are_consistent() {
        let t = peers_table(&small(), &Ctx::default()).unwrap();
        let col = |name: &str| t.columns().iter().position(|c| c == name).unwrap();
        let (cf, cs, cm) = (col("failures"), col("mean_size"), col("max_size"));
        let int = |c: &Cell| match c {
            Cell::Int(v) => *v,
            other => panic!("{other:?}"),
        };
        let float = |c: &Cell| match c {
            Cell::Float(v) => *v,
            other => panic!("{other:?}"),
        };
        let rows = t.rows();
        assert_eq!(rows.len(), 6);
        for pair in [(0, 1), (2, 3)] {
            // Their search never tries the full set: it fails at least as often as ours.
            assert!(int(&rows[pair.1][cf]) >= int(&rows[pair.0][cf]));
            // Sizes are at most n − 1 in their statistic.
            assert!(int(&rows[pair.1][cm]) < BURKHOLZ_N as i128);
        }
        // Products are smaller, so the 2L base set fails more often than L+1.
        assert!(int(&rows[2][cf]) > int(&rows[0][cf]));
        // The fewest pieces never exceed the pieces of the best-error sub-sum, which keeps
        // about half of the 21 coefficients; the smallest keeps a handful.
        let (abs, smallest) = (float(&rows[4][cs]), float(&rows[5][cs]));
        assert!(smallest < abs, "{smallest} vs {abs}");
        assert!(
            (6.0..15.0).contains(&abs) && smallest < 5.0,
            "{abs} {smallest}"
        );
        assert_eq!(int(&rows[4][cf]), int(&rows[5][cf]));
        assert!(t.to_csv().is_ok());
    }

    #[test]
    fn refuses_bad_configurations() {
        let mut cfg = small();
        cfg.chunk = 0;
        assert!(peers_table(&cfg, &Ctx::default()).is_err());
        let mut cfg = small();
        cfg.settings[0].eps = f64::NAN;
        assert!(peers_table(&cfg, &Ctx::default()).is_err());
    }
}
