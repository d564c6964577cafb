//! Property tests of every solver's guarantee (proptest): the golden-ratio decomposition
//! against Lemma 9 / Corollary 10 and a plain re-implementation, streaming against batch,
//! best-fit's one-sided contract, and the exact solvers (best error, fewest pieces) against brute
//! force.
#![allow(clippy::unwrap_used)]

use logprune_decomposition::{
    BestFit, Decomposition, DecompositionError, Exact, ExactIndex, ExactMode, ExactSmallest,
    GoldenRatio, GoldenRatioSchedule, INV_GOLDEN_RATIO, Solver,
};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// Named tolerances.
mod prec {
    /// Rounding allowance, relative to the scale of the problem (`w_max` or `Σ|c|`), for sums
    /// of up to ~100 terms computed in different orders: 100 · 2^-52 ≈ 2.2e-14, with margin.
    pub const SUM_REL: f64 = 1e-13;
}

/// A random golden-ratio problem: solver, tolerance, target, candidates.
#[derive(Debug, Clone)]
struct GoldenCase {
    solver: GoldenRatio,
    tolerance: f64,
    target: f64,
    candidates: Vec<f64>,
}

/// Candidates log-uniform in magnitude over `[γ^{k+2}, 1.2]·w_max` (so some fall outside the
/// intervals), random signs; with `fill`, one extra candidate of the target's sign in every
/// interval `I_1..I_k`, inserted at random positions.
fn golden_case(seed: u64, fill: bool) -> GoldenCase {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let w_max = 10f64.powf(rng.random_range(-1.0..1.0));
    let gamma = if rng.random_bool(0.5) {
        2.0 / 3.0
    } else {
        rng.random_range(INV_GOLDEN_RATIO..0.9)
    };
    let solver = GoldenRatio::with_gamma(w_max, gamma).unwrap();
    let tolerance = w_max * 10f64.powf(rng.random_range(-5.0..-0.3));
    let target = w_max * rng.random_range(-1.0..=1.0);
    let k = solver.schedule(tolerance).unwrap().steps();
    let lo = (w_max * gamma.powi(k as i32 + 2)).ln();
    let hi = (1.2 * w_max).ln();
    let n = rng.random_range(0..80);
    let mut candidates: Vec<f64> = (0..n)
        .map(|_| {
            let m = rng.random_range(lo..hi).exp();
            if rng.random_bool(0.5) { -m } else { m }
        })
        .collect();
    if fill {
        let sched = solver.schedule(tolerance).unwrap();
        for s in 1..=k {
            let (l, h) = sched.ln_interval(s).unwrap();
            let m = rng.random_range(l..h).exp();
            let v = if target < 0.0 { -m } else { m };
            let at = rng.random_range(0..=candidates.len());
            candidates.insert(at, v);
        }
    }
    GoldenCase {
        solver,
        tolerance,
        target,
        candidates,
    }
}

/// Lemma 9's proof as written, on whole slices: first candidate of the target's sign per
/// interval, then the greedy. Uses the schedule's thresholds and interval membership.
#[allow(clippy::needless_range_loop)] // the loop over s mirrors the lemma
fn reference_golden(
    sched: &GoldenRatioSchedule,
    candidates: &[f64],
    w: f64,
) -> Result<Decomposition, DecompositionError> {
    let k = sched.steps();
    let negative = w < 0.0;
    let mut first: Vec<Option<usize>> = vec![None; k + 1];
    for (i, &c) in candidates.iter().enumerate() {
        if c == 0.0 || (c < 0.0) != negative {
            continue;
        }
        if let Some(s) = sched.interval_of(c) {
            first[s].get_or_insert(i);
        }
    }
    let mut rest = w.abs();
    let mut sum = 0.0;
    let mut kept = Vec::new();
    for s in 1..=k {
        let (lower, upper) = sched.interval(s).unwrap();
        if rest >= upper {
            let Some(i) = first[s] else {
                return Err(DecompositionError::EmptyInterval {
                    step: s,
                    lower,
                    upper,
                    negative,
                });
            };
            rest -= candidates[i].abs();
            sum += candidates[i].abs();
            kept.push(i);
        }
    }
    kept.sort_unstable();
    let approximation = if negative { -sum } else { sum };
    Ok(Decomposition {
        indices: kept,
        approximation,
        residual: w - approximation,
    })
}

fn check_indices(d: &Decomposition, n: usize) {
    assert!(d.indices.windows(2).all(|p| p[0] < p[1]), "{:?}", d.indices);
    assert!(d.indices.iter().all(|&i| i < n));
}

fn resum(candidates: &[f64], d: &Decomposition) -> f64 {
    d.indices.iter().map(|&i| candidates[i]).sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Lemma 9 / Corollary 10: on success `w - ε ≤ ŵ ≤ w` (mirrored for `w < 0`), at most
    /// `k ≤ k'` pieces of the target's sign, one per interval; on failure the named interval
    /// is empty; and the result is exactly that of the proof's plain loop.
    #[test]
    fn golden_ratio_guarantee(seed in any::<u64>(), fill in any::<bool>()) {
        let case = golden_case(seed, fill);
        let sched = case.solver.schedule(case.tolerance).unwrap();
        let w = case.target;
        let got = case.solver.decompose(&case.candidates, w, case.tolerance);
        prop_assert_eq!(&got, &reference_golden(&sched, &case.candidates, w));
        let slack = prec::SUM_REL * case.solver.w_max();
        match got {
            Ok(d) => {
                check_indices(&d, case.candidates.len());
                let signed_residual = if w < 0.0 { -d.residual } else { d.residual };
                prop_assert!(signed_residual >= -slack, "ŵ overshoots: {d:?}");
                prop_assert!(signed_residual <= case.tolerance + slack, "{d:?}");
                prop_assert!(d.pieces() <= sched.steps());
                prop_assert!(d.pieces() as f64 <= sched.k_prime().max(0.0));
                prop_assert!((resum(&case.candidates, &d) - d.approximation).abs() <= slack);
                let mut intervals = Vec::new();
                for &i in &d.indices {
                    let c = case.candidates[i];
                    prop_assert!(w != 0.0 && (c < 0.0) == (w < 0.0));
                    intervals.push(sched.interval_of(c).unwrap());
                }
                intervals.sort_unstable();
                intervals.dedup();
                prop_assert_eq!(intervals.len(), d.pieces());
            }
            Err(DecompositionError::EmptyInterval { step, negative, .. }) => {
                prop_assert!(!fill, "every interval held a sample, yet step {step} failed");
                prop_assert_eq!(negative, w < 0.0);
                let empty = case.candidates.iter().all(|&c| {
                    (c < 0.0) != negative || c == 0.0 || sched.interval_of(c) != Some(step)
                });
                prop_assert!(empty);
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    /// The streaming form offered the candidates in index order agrees exactly with the batch
    /// form when given the same magnitudes, and up to rounding when it computes `exp(ln|v|)`.
    #[test]
    fn streaming_equals_batch(seed in any::<u64>(), fill in any::<bool>()) {
        let case = golden_case(seed, fill);
        let sched = case.solver.schedule(case.tolerance).unwrap();
        let batch = sched.decompose(&case.candidates, case.target);
        let c = &case.candidates;
        let mut exact = sched.stream(case.target).unwrap();
        let mut lazy = sched.stream(case.target).unwrap();
        for (i, &v) in c.iter().enumerate() {
            exact.offer_with(i, v.abs().ln(), v < 0.0, |j, _| c[j].abs());
            lazy.offer(i, v.abs().ln(), v < 0.0);
        }
        prop_assert_eq!(&exact.finish(), &batch);
        match (lazy.finish(), batch) {
            (Ok(l), Ok(b)) => {
                prop_assert_eq!(&l.indices, &b.indices);
                let slack = prec::SUM_REL * case.solver.w_max();
                prop_assert!((l.approximation - b.approximation).abs() <= slack);
            }
            (l, b) => prop_assert_eq!(l, b),
        }
        // Reusing a stream with reset gives the same as a fresh one.
        exact.reset(-case.target).unwrap();
        for (i, &v) in c.iter().enumerate() {
            exact.offer_with(i, v.abs().ln(), v < 0.0, |j, _| c[j].abs());
        }
        prop_assert_eq!(exact.finish(), sched.decompose(c, -case.target));
    }

    /// Best-fit: `ŵ` never overshoots (exactly, in floating point), uses only the target's
    /// sign, succeeds iff the one-sided error is within `ε`, and no unused candidate of the
    /// target's sign would still fit.
    #[test]
    fn best_fit_one_sided(seed in any::<u64>()) {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let n = rng.random_range(0..40);
        let c: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let w = rng.random_range(-3.0..3.0);
        let eps = 10f64.powf(rng.random_range(-4.0..0.0));
        let index = BestFit::prepare(&c).unwrap();
        let (approximation, error) = match index.decompose(w, eps) {
            Ok(d) => {
                check_indices(&d, n);
                prop_assert!(d.indices.iter().all(|&i| (c[i] < 0.0) == (w < 0.0) && c[i] != 0.0));
                prop_assert!(w.abs() - d.approximation.abs() <= eps);
                let slack = prec::SUM_REL * c.iter().map(|v| v.abs()).sum::<f64>();
                prop_assert!((resum(&c, &d) - d.approximation).abs() <= slack);
                prop_assert_eq!(&Ok(d.clone()), &BestFit.decompose(&c, w, eps));
                (d.approximation, w.abs() - d.approximation.abs())
            }
            Err(DecompositionError::NotWithinTolerance { approximation, error, .. }) => {
                prop_assert!(error > eps);
                (approximation, error)
            }
            Err(e) => return Err(TestCaseError::fail(format!("unexpected {e}"))),
        };
        prop_assert!(approximation.abs() <= w.abs());
        prop_assert!(approximation == 0.0 || (approximation < 0.0) == (w < 0.0));
        prop_assert!(error >= 0.0);
        // Maximality: every unused candidate of the target's sign overshoots.
        let best = index.decompose(w, 1e9).unwrap();
        for (i, &v) in c.iter().enumerate() {
            if v != 0.0 && (v < 0.0) == (w < 0.0) && !best.indices.contains(&i) {
                prop_assert!(best.approximation.abs() + v.abs() > w.abs());
            }
        }
    }

    /// The exact solvers are optimal against brute force over all `2^n` subsets (`n ≤ 12`),
    /// the one-sided mode never overshoots (exactly), and the index form equals the solver.
    #[test]
    fn exact_is_optimal(seed in any::<u64>()) {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let n = rng.random_range(0..=12);
        let mut c: Vec<f64> = (0..n)
            .map(|_| rng.random_range(-1.0..1.0) * 10f64.powf(rng.random_range(-2.0..0.0)))
            .collect();
        if n > 2 && rng.random_bool(0.3) {
            // Duplicates and zeros exercise the ties.
            c[1] = c[0];
            c[2] = 0.0;
        }
        let total: f64 = c.iter().map(|v| v.abs()).sum();
        let w = rng.random_range(-1.0..1.0) * (total + 0.1);
        let eps = 10f64.powf(rng.random_range(-4.0..-1.0));
        let slack = prec::SUM_REL * (total + w.abs());
        // Brute force, sums in index order.
        let (mut best_below, mut best_abs) = (f64::INFINITY, f64::INFINITY);
        for mask in 0u32..(1 << n) {
            let s: f64 = (0..n).filter(|&i| mask >> i & 1 == 1).map(|i| c[i]).sum();
            let toward_zero = if w >= 0.0 { s <= w } else { s >= w };
            if toward_zero {
                best_below = best_below.min((w - s).abs());
            }
            best_abs = best_abs.min((w - s).abs());
        }
        let index = ExactIndex::new(&c).unwrap();
        let below = index.best(w, ExactMode::Below).unwrap();
        let abs = index.best(w, ExactMode::Absolute).unwrap();
        prop_assert_eq!(index.best_both(w).unwrap(), (below.clone(), abs.clone()));
        for d in [&below, &abs] {
            check_indices(d, n);
            prop_assert!((resum(&c, d) - d.approximation).abs() <= slack);
        }
        // Never above w (toward zero), exactly.
        let one_sided = if w >= 0.0 { below.approximation <= w } else { below.approximation >= w };
        prop_assert!(one_sided);
        prop_assert!((below.residual.abs() - best_below).abs() <= slack, "{below:?} vs {best_below}");
        prop_assert!((abs.residual.abs() - best_abs).abs() <= slack, "{abs:?} vs {best_abs}");
        prop_assert!(abs.residual.abs() <= below.residual.abs());
        // The solver and the tolerance check.
        for (mode, solver, best) in [
            (ExactMode::Below, Exact::below(), best_below),
            (ExactMode::Absolute, Exact::absolute(), best_abs),
        ] {
            let got = solver.decompose(&c, w, eps);
            prop_assert_eq!(&got, &index.decompose(w, eps, mode));
            if best < eps - slack {
                prop_assert!(got.is_ok());
            } else if best > eps + slack {
                let is_not_within =
                    matches!(got, Err(DecompositionError::NotWithinTolerance { .. }));
                prop_assert!(is_not_within);
            }
        }
        // No greedy beats the optimum on its own one-sided terms.
        if let Ok(d) = BestFit.decompose(&c, w, 10.0) {
            prop_assert!(below.residual.abs() <= d.residual.abs() + slack);
        }
    }

    /// The fewest-pieces solver against brute force over all `2^n` subsets (`n ≤ 12`), on
    /// dyadic candidates (multiples of 2^-6 in [-1, 1]: every sub-sum is exact in `f64`, so the
    /// fewest pieces, the error and the failure are compared exactly, ties at `|w − ŵ| = ε`
    /// included).
    #[test]
    fn exact_smallest_is_optimal_on_exact_sums(seed in any::<u64>()) {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let n = rng.random_range(0..=12);
        let c: Vec<f64> = (0..n).map(|_| f64::from(rng.random_range(-64i32..=64)) / 64.0).collect();
        let w = f64::from(rng.random_range(-256i32..=256)) / 64.0;
        let eps = f64::from(rng.random_range(1i32..=8)) / 64.0;
        // Brute force: (pieces, error) of the best subset within ε, and the best error overall.
        let mut best: Option<(u32, f64)> = None;
        let mut closest = f64::INFINITY;
        for mask in 0u32..(1 << n) {
            let s: f64 = (0..n).filter(|&i| mask >> i & 1 == 1).map(|i| c[i]).sum();
            let err = (w - s).abs();
            closest = closest.min(err);
            if err <= eps && best.is_none_or(|b| (mask.count_ones(), err) < b) {
                best = Some((mask.count_ones(), err));
            }
        }
        let got = ExactSmallest.decompose(&c, w, eps);
        match (best, &got) {
            (Some((pieces, err)), Ok(d)) => {
                check_indices(d, n);
                prop_assert_eq!(d.pieces() as u32, pieces);
                prop_assert_eq!(d.residual.abs(), err);
                prop_assert_eq!(resum(&c, d), d.approximation);
            }
            (None, Err(DecompositionError::NotWithinTolerance { error, .. })) => {
                prop_assert_eq!(*error, closest);
            }
            _ => prop_assert!(false, "brute force {best:?}, solver {got:?}"),
        }
    }

    /// On general floats: within tolerance as the solver summed it, never more pieces than the
    /// brute-force optimum at `ε − slack` nor fewer than at `ε + slack`, and consistent with
    /// the best-error solver (which sums the halves the same way).
    #[test]
    fn exact_smallest_is_optimal(seed in any::<u64>()) {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let n = rng.random_range(0..=12);
        let c: Vec<f64> = (0..n)
            .map(|_| rng.random_range(-1.0..1.0) * 10f64.powf(rng.random_range(-2.0..0.0)))
            .collect();
        let total: f64 = c.iter().map(|v| v.abs()).sum();
        let w = rng.random_range(-1.0..1.0) * (total + 0.1);
        let eps = 10f64.powf(rng.random_range(-3.0..-0.5));
        let slack = prec::SUM_REL * (total + w.abs());
        let fewest = |tol: f64| {
            (0u32..(1 << n))
                .filter(|&mask| {
                    let s: f64 = (0..n).filter(|&i| mask >> i & 1 == 1).map(|i| c[i]).sum();
                    (w - s).abs() <= tol
                })
                .map(u32::count_ones)
                .min()
        };
        let (strict, loose) = (fewest(eps - slack), fewest(eps + slack));
        let got = ExactSmallest.decompose(&c, w, eps);
        match &got {
            Ok(d) => {
                check_indices(d, n);
                prop_assert!(d.residual.abs() <= eps);
                prop_assert!((resum(&c, d) - d.approximation).abs() <= slack);
                prop_assert!(loose.is_some_and(|k| d.pieces() as u32 >= k));
                prop_assert!(strict.is_none_or(|k| d.pieces() as u32 <= k));
            }
            Err(e) => {
                prop_assert!(matches!(e, DecompositionError::NotWithinTolerance { .. }), "{e}");
                prop_assert!(strict.is_none());
            }
        }
        match Exact::absolute().decompose(&c, w, eps) {
            Ok(abs) => {
                let d = got.as_ref().unwrap();
                prop_assert!(d.pieces() <= abs.pieces());
            }
            Err(DecompositionError::NotWithinTolerance { approximation, .. }) => {
                let is_not_within = matches!(
                    got,
                    Err(DecompositionError::NotWithinTolerance { approximation: a, .. })
                        if a == approximation
                );
                prop_assert!(is_not_within, "{got:?} vs {approximation}");
            }
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}
