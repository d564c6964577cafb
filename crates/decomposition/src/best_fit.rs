//! The best-fit greedy: largest candidate first, taken if it does not overshoot.

use crate::error::{check_candidates, check_target, check_tolerance};
use crate::{Decomposition, DecompositionError, Solver};

/// The best-fit greedy: the candidates of the target's sign, by decreasing magnitude, each
/// taken if adding it does not overshoot `|w|`.
///
/// Definition (a one-sided form like the paper's Lemma 9, without its intervals): let
/// `u_1 ≥ u_2 ≥ ...` be the magnitudes of the candidates whose sign is the target's
/// (positive for `w ≥ 0`; zeros are never used), ties in magnitude by increasing index, and
/// `S_0 = 0`. For `j = 1, 2, ...`: if `S_{j-1} + u_j ≤ |w|` then take it, `S_j = S_{j-1} + u_j`,
/// else `S_j = S_{j-1}`. Every step that takes a candidate strictly improves the one-sided
/// error `|w| - S`, so the scan "keeps going only while it improves": it runs over all
/// candidates and stops early only when `S = |w|` exactly. It does *not* stop once within
/// the tolerance, so it may keep more pieces than needed; the tolerance only decides
/// success. Result: `ŵ = sgn(w) S` with `0 ≤ |w| - |ŵ|`, exact in floating point (the test
/// is done on the floating sum itself), and success iff `|w| - |ŵ| ≤ ε`.
///
/// Cost: [`Solver::decompose`] does not sort: it picks the largest candidate that still fits
/// by a linear scan of the shrinking set of candidates that fit (those `≤ |w|` at first), and
/// sorts what is left only after `SELECT_ROUNDS` = 16 picks; the result is the same as the
/// sort-then-scan of the definition (see `best_fit_unsorted`). [`BestFitIndex`] sorts once for
/// many targets.
///
/// # Example
/// ```
/// use logprune_decomposition::{BestFit, Solver};
/// let d = BestFit.decompose(&[0.5, 0.3, -0.2, 0.25, 0.1], 0.64, 0.05)?;
/// // 0.5 fits; 0.3 would overshoot (0.8); 0.25 would too (0.75); 0.1 fits: 0.6.
/// assert_eq!(d.indices, vec![0, 4]);
/// assert!((d.approximation - 0.6).abs() < 1e-15);
/// # Ok::<(), logprune_decomposition::DecompositionError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BestFit;

impl BestFit {
    /// Sorts the candidates once for many targets: see [`BestFitIndex`].
    ///
    /// # Errors
    /// [`DecompositionError::InvalidCandidate`] for a non-finite candidate.
    pub fn prepare(candidates: &[f64]) -> Result<BestFitIndex, DecompositionError> {
        BestFitIndex::new(candidates)
    }
}

impl Solver for BestFit {
    /// # Errors
    /// [`DecompositionError::InvalidTolerance`], [`DecompositionError::InvalidTarget`],
    /// [`DecompositionError::InvalidCandidate`], and
    /// [`DecompositionError::NotWithinTolerance`] when `|w| - |ŵ| > ε`.
    fn decompose(
        &self,
        candidates: &[f64],
        target: f64,
        tolerance: f64,
    ) -> Result<Decomposition, DecompositionError> {
        check_tolerance(tolerance)?;
        check_target(target)?;
        check_candidates(candidates)?;
        best_fit_unsorted(candidates, target, tolerance)
    }

    fn name(&self) -> &'static str {
        "best-fit"
    }
}

impl BestFit {
    /// The two-sided form: candidates of both signs ([`BestFitTwoSided`]).
    pub fn two_sided() -> BestFitTwoSided {
        BestFitTwoSided
    }
}

/// The two-sided best-fit greedy: every candidate, by decreasing magnitude (ties by
/// increasing index), taken if it strictly reduces the absolute error `|w − ŵ|`.
///
/// Definition: `S_0 = 0`; for the candidates `c_1, c_2, ...` in that order, take `c_j` if
/// `|w − fl(S_{j-1} + c_j)| < |w − S_{j-1}|` (tested on the floating sums), so a candidate of
/// either sign may be used and `ŵ` may overshoot `w`; stop early only when `S = w` exactly.
/// Success iff `|w − ŵ| ≤ ε`. Unlike [`BestFit`] (one-sided, like the paper's Lemma 9) this
/// uses both signs of products, as a subset sum may (Pensia et al. 2020); it has no guarantee
/// beyond its result.
///
/// # Example
/// ```
/// use logprune_decomposition::{BestFit, Solver};
/// // 0.7 overshoots 0.5 but halves the error; -0.2 then makes it exact. The one-sided form
/// // has no positive candidate that fits.
/// let d = BestFit::two_sided().decompose(&[0.7, -0.2], 0.5, 0.01)?;
/// assert_eq!(d.indices, vec![0, 1]);
/// assert!(BestFit.decompose(&[0.7, -0.2], 0.5, 0.01).is_err());
/// # Ok::<(), logprune_decomposition::DecompositionError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BestFitTwoSided;

impl Solver for BestFitTwoSided {
    /// # Errors
    /// [`DecompositionError::InvalidTolerance`], [`DecompositionError::InvalidTarget`],
    /// [`DecompositionError::InvalidCandidate`], and
    /// [`DecompositionError::NotWithinTolerance`] when `|w − ŵ| > ε`.
    fn decompose(
        &self,
        candidates: &[f64],
        target: f64,
        tolerance: f64,
    ) -> Result<Decomposition, DecompositionError> {
        check_tolerance(tolerance)?;
        check_target(target)?;
        check_candidates(candidates)?;
        let mut order: Vec<(f64, usize)> = candidates
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c != 0.0)
            .map(|(i, &c)| (c.abs(), i))
            .collect();
        order.sort_unstable_by(by_magnitude_desc);
        let mut sum = 0.0_f64;
        let mut indices = Vec::new();
        for &(_, i) in &order {
            if sum == target {
                break;
            }
            let next = sum + candidates[i];
            if (target - next).abs() < (target - sum).abs() {
                sum = next;
                indices.push(i);
            }
        }
        let error = (target - sum).abs();
        if !(error <= tolerance) {
            return Err(DecompositionError::NotWithinTolerance {
                target,
                approximation: sum,
                error,
                tolerance,
            });
        }
        indices.sort_unstable();
        Ok(Decomposition {
            indices,
            approximation: sum,
            residual: target - sum,
        })
    }

    fn name(&self) -> &'static str {
        "best-fit-two-sided"
    }
}

/// The picks [`BestFit::decompose`] makes by linear scans before sorting what is left.
const SELECT_ROUNDS: usize = 16;

/// [`BestFit`] on unsorted candidates (already checked), with the same result as
/// [`BestFitIndex::decompose`].
///
/// Why it is the same: the sort-then-scan takes, in order `(magnitude desc, index asc)`, each
/// candidate `u` with `fl(S + u) ≤ |w|` for the current sum `S`. Rounding is monotone and `S`
/// only grows, so a candidate passed over never fits later; hence the next one taken is always
/// the first (largest, lowest index among equals) of the candidates not yet taken that fit
/// now. This function takes exactly that one, round after round, dropping the candidates
/// that no longer fit (a candidate `> |w|` never fits: `fl(S + u) ≥ u`), and stops at
/// `S = |w|` as the scan does. After `SELECT_ROUNDS` picks it sorts the candidates left (all
/// of which come after the last pick in the order) and finishes with the same scan.
fn best_fit_unsorted(
    candidates: &[f64],
    target: f64,
    tolerance: f64,
) -> Result<Decomposition, DecompositionError> {
    let negative = target < 0.0;
    let goal = target.abs();
    let of_sign = |c: f64| if negative { c < 0.0 } else { c > 0.0 };
    let mut sum = 0.0_f64;
    let mut indices = Vec::new();
    // The first pick, without allocating: the largest candidate ≤ |w| (lowest index among
    // equals, as the strict `>` keeps the first).
    let mut first: Option<(f64, usize)> = None;
    for (i, &c) in candidates.iter().enumerate() {
        let u = c.abs();
        if of_sign(c) && u <= goal && first.is_none_or(|(b, _)| u > b) {
            first = Some((u, i));
        }
    }
    if let Some((u, i)) = first {
        sum = u;
        indices.push(i);
    }
    // The candidates not taken that still fit (compacted without branching on the test).
    let mut live: Vec<(f64, usize)> = Vec::new();
    if let Some((_, taken)) = first
        && sum != goal
    {
        live.resize(candidates.len(), (0.0, 0));
        let mut kept = 0;
        for (i, &c) in candidates.iter().enumerate() {
            let u = c.abs();
            live[kept] = (u, i);
            kept += usize::from((i != taken) & of_sign(c) & (sum + u <= goal));
        }
        live.truncate(kept);
    }
    let mut rounds = 1;
    while !live.is_empty() && sum != goal {
        if rounds == SELECT_ROUNDS {
            live.sort_unstable_by(by_magnitude_desc);
            scan_sorted(&live, goal, &mut sum, &mut indices);
            break;
        }
        rounds += 1;
        // One pass: keep those that still fit, and find the largest (lowest index among
        // equals; `live` is not in index order after `swap_remove`).
        let mut kept = 0;
        let mut best: Option<usize> = None;
        for k in 0..live.len() {
            let e = live[k];
            let fits = sum + e.0 <= goal;
            live[kept] = e;
            if fits
                && best.is_none_or(|j| {
                    let b = live[j];
                    e.0 > b.0 || (e.0 == b.0 && e.1 < b.1)
                })
            {
                best = Some(kept);
            }
            kept += usize::from(fits);
        }
        live.truncate(kept);
        let Some(k) = best else { break };
        let (u, i) = live.swap_remove(k);
        sum += u;
        indices.push(i);
    }
    finish(target, sum, indices, tolerance)
}

/// Order of the scan: magnitude nonincreasing, ties by increasing index.
fn by_magnitude_desc(a: &(f64, usize), b: &(f64, usize)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// The greedy scan over `(magnitude, index)` in [`by_magnitude_desc`] order: each candidate is
/// taken only if it does not overshoot `goal = |w|` (tested on the floating sum itself); stops
/// when the sum reaches `goal` exactly.
fn scan_sorted(sorted: &[(f64, usize)], goal: f64, sum: &mut f64, indices: &mut Vec<usize>) {
    for &(u, i) in sorted {
        if *sum + u <= goal {
            *sum += u;
            indices.push(i);
            if *sum == goal {
                break;
            }
        }
    }
}

/// The decomposition of `target` from the magnitude `sum` of the picks, or
/// [`DecompositionError::NotWithinTolerance`] when `|w| - sum > ε`.
fn finish(
    target: f64,
    sum: f64,
    mut indices: Vec<usize>,
    tolerance: f64,
) -> Result<Decomposition, DecompositionError> {
    let approximation = if target < 0.0 { -sum } else { sum };
    let error = target.abs() - sum;
    if !(error <= tolerance) {
        return Err(DecompositionError::NotWithinTolerance {
            target,
            approximation,
            error,
            tolerance,
        });
    }
    indices.sort_unstable();
    Ok(Decomposition {
        indices,
        approximation,
        residual: target - approximation,
    })
}

/// The candidates of [`BestFit`] sorted once (per sign, by decreasing magnitude, ties by
/// increasing index), so each target costs one linear scan.
#[derive(Debug, Clone, PartialEq)]
pub struct BestFitIndex {
    /// `(magnitude, index)` of the positive candidates, magnitudes nonincreasing.
    positive: Vec<(f64, usize)>,
    /// `(magnitude, index)` of the negative candidates, magnitudes nonincreasing.
    negative: Vec<(f64, usize)>,
}

impl BestFitIndex {
    /// Sorts `candidates`.
    ///
    /// # Errors
    /// [`DecompositionError::InvalidCandidate`] for a non-finite candidate.
    pub fn new(candidates: &[f64]) -> Result<Self, DecompositionError> {
        check_candidates(candidates)?;
        let side = |keep: fn(f64) -> bool| {
            let mut v: Vec<(f64, usize)> = candidates
                .iter()
                .enumerate()
                .filter(|&(_, &c)| keep(c))
                .map(|(i, &c)| (c.abs(), i))
                .collect();
            v.sort_unstable_by(by_magnitude_desc);
            v
        };
        Ok(BestFitIndex {
            positive: side(|c| c > 0.0),
            negative: side(|c| c < 0.0),
        })
    }

    /// The best-fit decomposition of `target` (see [`BestFit`] for the definition and the
    /// contract).
    ///
    /// # Errors
    /// [`DecompositionError::InvalidTolerance`], [`DecompositionError::InvalidTarget`],
    /// and [`DecompositionError::NotWithinTolerance`] when `|w| - |ŵ| > ε`.
    pub fn decompose(
        &self,
        target: f64,
        tolerance: f64,
    ) -> Result<Decomposition, DecompositionError> {
        check_tolerance(tolerance)?;
        check_target(target)?;
        let negative = target < 0.0;
        let goal = target.abs();
        let side = if negative {
            &self.negative
        } else {
            &self.positive
        };
        let mut sum = 0.0_f64;
        let mut indices = Vec::new();
        scan_sorted(side, goal, &mut sum, &mut indices);
        finish(target, sum, indices, tolerance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_input() {
        assert!(matches!(
            BestFit.decompose(&[0.5], 0.5, f64::NAN),
            Err(DecompositionError::InvalidTolerance { .. })
        ));
        assert!(matches!(
            BestFit.decompose(&[0.5], f64::INFINITY, 0.1),
            Err(DecompositionError::InvalidTarget { .. })
        ));
        assert!(matches!(
            BestFit.decompose(&[f64::NAN], 0.5, 0.1),
            Err(DecompositionError::InvalidCandidate { index: 0, .. })
        ));
    }

    #[test]
    fn greedy_by_hand() {
        let c = [0.3, -0.5, 0.3, 0.0, -0.05, 0.2, -0.5];
        // w = 0.75: 0.3 (index 0), 0.3 (index 2) = 0.6; 0.2 would overshoot: error 0.15.
        let d = BestFit.decompose(&c, 0.75, 0.2).unwrap();
        assert_eq!(d.indices, vec![0, 2]);
        assert_eq!(d.approximation, 0.6);
        assert_eq!(d.residual, 0.75 - 0.6);
        assert_eq!(
            BestFit.decompose(&c, 0.75, 0.1).unwrap_err(),
            DecompositionError::NotWithinTolerance {
                target: 0.75,
                approximation: 0.6,
                error: 0.75 - 0.6,
                tolerance: 0.1
            }
        );
        // w = -0.55: -0.5 (index 1, first of the tie), then -0.05 fits exactly: stop.
        let d = BestFit.decompose(&c, -0.55, 1e-9).unwrap();
        assert_eq!(d.indices, vec![1, 4]);
        assert_eq!(d.approximation, -0.55);
        // w = 0: nothing; zeros are never used.
        assert_eq!(
            BestFit.decompose(&c, 0.0, 1e-9).unwrap(),
            Decomposition::empty(0.0)
        );
    }

    #[test]
    fn two_sided_by_hand_and_its_invariants() {
        let s = BestFit::two_sided();
        // w = 0.3: 0.5 (error 0.2 < 0.3), then -0.25 (error 0.05), then 0.04 (error 0.01);
        // -0.01 would give 0.28 (error 0.02, worse): skipped.
        let c = [0.04, -0.25, 0.5, -0.01];
        let d = s.decompose(&c, 0.3, 0.02).unwrap();
        assert_eq!(d.indices, vec![0, 1, 2]);
        assert!((d.approximation - 0.29).abs() < 1e-15);
        assert!(s.decompose(&c, 0.3, 0.001).is_err());
        assert_eq!(
            s.decompose(&c, 0.0, 1e-9).unwrap().indices,
            Vec::<usize>::new()
        );
        // On random inputs the error never exceeds |w| (the empty sum) and is within ε on
        // success; the result uses only given indices, each once.
        let mut x = 7u64;
        for _ in 0..200 {
            let mut next = || {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((x >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
            };
            let c: Vec<f64> = (0..20).map(|_| next()).collect();
            let w = next();
            match s.decompose(&c, w, 0.05) {
                Ok(d) => {
                    assert!(d.residual.abs() <= 0.05 && d.residual.abs() <= w.abs());
                    assert!(d.indices.windows(2).all(|p| p[0] < p[1]));
                    let sum: f64 = d.indices.iter().map(|&i| c[i]).sum();
                    assert!((sum - d.approximation).abs() < 1e-12);
                }
                Err(DecompositionError::NotWithinTolerance { error, .. }) => {
                    assert!(error > 0.05 && error <= w.abs())
                }
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn prepared_index_matches_the_solver() {
        let c = [0.31, -0.17, 0.05, 0.44, -0.9, 0.12, 0.01];
        let index = BestFit::prepare(&c).unwrap();
        for &w in &[0.0, 0.2, 0.5, 0.93, -0.2, -1.0] {
            assert_eq!(
                index.decompose(w, 0.05),
                BestFit.decompose(&c, w, 0.05),
                "w = {w}"
            );
        }
    }

    /// The unsorted path equals the sort-then-scan of [`BestFitIndex`] (Ok and Err alike),
    /// with ties in magnitude, exact fills, and more picks than `SELECT_ROUNDS`.
    #[test]
    fn unsorted_matches_the_sorted_scan() {
        // A small deterministic generator (splitmix64).
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let mut many_picks = 0;
        for case in 0..400 {
            let n = (next() % 300) as usize;
            let c: Vec<f64> = (0..n)
                .map(|_| {
                    let r = next();
                    // Magnitudes on a coarse grid (ties, exact sums) or log-spread.
                    let m = if case % 2 == 0 {
                        (r % 16) as f64 / 64.0
                    } else {
                        (-((r >> 11) as f64 / (1u64 << 53) as f64) * 20.0).exp()
                    };
                    if r >> 63 == 1 { -m } else { m }
                })
                .collect();
            let w = ((next() >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 8.0;
            for eps in [1e-12, 1e-3, 0.1] {
                let sorted = BestFit::prepare(&c).unwrap().decompose(w, eps);
                assert_eq!(
                    BestFit.decompose(&c, w, eps),
                    sorted,
                    "case {case}, w = {w}"
                );
                if let Ok(d) = &sorted
                    && d.indices.len() > SELECT_ROUNDS
                {
                    many_picks += 1;
                }
            }
        }
        assert!(
            many_picks >= 20,
            "only {many_picks} cases past SELECT_ROUNDS"
        );
    }
}
