//! The smallest sub-sum within tolerance: exact subset sum that minimizes the number of kept
//! candidates, by meet in the middle over the sub-sums of two halves grouped by size.
//!
//! The paper's Lemma 9 bounds the number of pieces of its greedy decomposition by `k ≤ k'`;
//! peers report the number of pieces their solver kept (Burkholz 2022 searches subsets by
//! increasing size, Pensia et al. 2020 count the coefficients Gurobi kept). [`ExactSmallest`]
//! gives the least possible number for one set of candidates, the yardstick both are compared
//! with in the experiments' `peers` table.

use crate::error::{check_summable, check_target, check_tolerance};
use crate::{Decomposition, DecompositionError, MAX_EXACT_CANDIDATES, Solver};

/// Exact subset sum for the fewest pieces: among all `2^n` sub-sums `ŵ` of the candidates
/// with `|w − ŵ| ≤ ε`, one with the fewest candidates; among those, the smallest error
/// `|w − ŵ|`. Candidates of both signs may be combined. Refuses more than
/// [`MAX_EXACT_CANDIDATES`] candidates.
///
/// Contract: `ŵ = fl(a + b)` where `a` and `b` are the sub-sums of the two halves (candidates
/// `0..h` and `h..n`, `h = ⌊n/2⌋`), each accumulated in increasing index order, as in
/// [`crate::ExactIndex`]; the result is optimal for the key (pieces, error) among all subsets
/// with sums computed this way. Ties in both are broken deterministically toward the smaller
/// bitmask `Σ 2^i` among the pairs examined (for each left sub-sum and each size of the right
/// one, the nearest right sub-sum value on each side of `w`, represented by its smallest
/// bitmask).
///
/// Cost: the `2^{n/2}` sub-sums of each half are enumerated once; then sizes `k = 0, 1, 2, ...`
/// are tried in turn, each left sub-sum of size `p ≤ k` searching the right sub-sums of size
/// `k − p`, sorted when first needed, by bisection; the search stops after the first size that
/// succeeds, so a small answer sorts only a few small groups. A failure examines every size,
/// `O(n 2^{n/2} log 2^{n/2})`.
///
/// # Example
/// ```
/// use logprune_decomposition::{Exact, ExactSmallest, Solver};
/// let c = [0.3, 0.2, 0.1, 0.45];
/// // Best in absolute error: 0.3 + 0.2 = 0.5 exactly (or 0.45 + ... none closer).
/// let best = Exact::absolute().decompose(&c, 0.5, 0.06)?;
/// assert_eq!(best.indices, vec![0, 1]);
/// // Fewest pieces within 0.06: 0.45 alone (error 0.05).
/// let small = ExactSmallest.decompose(&c, 0.5, 0.06)?;
/// assert_eq!(small.indices, vec![3]);
/// assert!(ExactSmallest.decompose(&c, 2.0, 0.06).is_err()); // the total is 1.05
/// # Ok::<(), logprune_decomposition::DecompositionError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExactSmallest;

/// The `2^h` sub-sums of `values` indexed by bitmask, each accumulated in increasing index
/// order from `+0.0` (the sum of a mask is the sum without its highest index, plus that value),
/// as the sub-sums of [`crate::ExactIndex`].
fn subsums_by_mask(values: &[f64]) -> Vec<f64> {
    let total = 1usize << values.len();
    let mut sums = Vec::with_capacity(total);
    sums.push(0.0);
    for mask in 1..total {
        let high = usize::BITS - 1 - mask.leading_zeros();
        sums.push(sums[mask ^ (1 << high)] + values[high as usize]);
    }
    sums
}

/// The bitmasks of `0..2^h` grouped by their number of ones, each group increasing.
fn masks_by_size(h: usize) -> Vec<Vec<u32>> {
    let mut groups = vec![Vec::new(); h + 1];
    for mask in 0..(1u32 << h) {
        groups[mask.count_ones() as usize].push(mask);
    }
    groups
}

/// The right half's sub-sums of one size, sorted by `(sum, mask)`, and for each position the
/// first position of its run of equal sums (its smallest bitmask). Built when first needed, so
/// a search that stops at a small size sorts only a few small groups.
struct Sorted {
    sums: Vec<f64>,
    masks: Vec<u32>,
    run_start: Vec<u32>,
}

impl Sorted {
    fn new(sums_by_mask: &[f64], masks: &[u32]) -> Self {
        let mut order: Vec<u32> = masks.to_vec();
        order.sort_unstable_by(|&a, &b| {
            sums_by_mask[a as usize]
                .total_cmp(&sums_by_mask[b as usize])
                .then(a.cmp(&b))
        });
        let sums: Vec<f64> = order.iter().map(|&m| sums_by_mask[m as usize]).collect();
        let mut run_start = Vec::with_capacity(sums.len());
        for j in 0..sums.len() {
            let start = if j > 0 && sums[j - 1] == sums[j] {
                run_start[j - 1]
            } else {
                j as u32
            };
            run_start.push(start);
        }
        Sorted {
            sums,
            masks: order,
            run_start,
        }
    }
}

/// A candidate answer, ranked by (error, mask) within one size.
#[derive(Debug, Clone, Copy)]
struct Found {
    error: f64,
    mask: u64,
    approximation: f64,
}

impl Found {
    fn beats(&self, other: &Option<Found>) -> bool {
        match other {
            None => true,
            Some(o) => (self.error, self.mask) < (o.error, o.mask),
        }
    }
}

impl Solver for ExactSmallest {
    /// The fewest-pieces sub-sum within `tolerance` of `target` in absolute error.
    ///
    /// # Errors
    /// [`DecompositionError::InvalidTolerance`], [`DecompositionError::InvalidTarget`],
    /// [`DecompositionError::TooManyCandidates`] above [`MAX_EXACT_CANDIDATES`],
    /// [`DecompositionError::InvalidCandidate`], [`DecompositionError::NonFiniteSum`], and
    /// [`DecompositionError::NotWithinTolerance`] (with the best sub-sum in absolute error)
    /// when no sub-sum is within `tolerance`.
    fn decompose(
        &self,
        candidates: &[f64],
        target: f64,
        tolerance: f64,
    ) -> Result<Decomposition, DecompositionError> {
        check_tolerance(tolerance)?;
        check_target(target)?;
        let n = candidates.len();
        if n > MAX_EXACT_CANDIDATES {
            return Err(DecompositionError::TooManyCandidates {
                n,
                max: MAX_EXACT_CANDIDATES,
            });
        }
        check_summable(candidates)?;
        let split = n / 2;
        let (left, right) = (&candidates[..split], &candidates[split..]);
        let left_sums = subsums_by_mask(left);
        let right_sums = subsums_by_mask(right);
        let left_groups = masks_by_size(left.len());
        let right_groups = masks_by_size(right.len());
        let mut sorted: Vec<Option<Sorted>> = (0..=right.len()).map(|_| None).collect();
        let w = target;
        // The best in absolute error over every pair examined: after a failed search that is
        // every size, so it is the optimum, reported in the error.
        let mut closest: Option<Found> = None;
        for k in 0..=n {
            let mut best: Option<Found> = None;
            let p_lo = k.saturating_sub(right.len());
            let p_hi = k.min(left.len());
            for (p, left_p) in left_groups.iter().enumerate().take(p_hi + 1).skip(p_lo) {
                let q = k - p;
                let group =
                    sorted[q].get_or_insert_with(|| Sorted::new(&right_sums, &right_groups[q]));
                let rs = &group.sums;
                for &ma in left_p {
                    let a = left_sums[ma as usize];
                    // `fl(a + b)` is nondecreasing in `b`: the first right position at or
                    // above `w` starts a run of equal sums; the one before it is below `w`.
                    let i = rs.partition_point(|&b| a + b < w);
                    let mut pair = |j: usize| {
                        let approximation = a + rs[j];
                        let found = Found {
                            error: (w - approximation).abs(),
                            mask: (u64::from(group.masks[j]) << split) | u64::from(ma),
                            approximation,
                        };
                        if found.error <= tolerance && found.beats(&best) {
                            best = Some(found);
                        }
                        if found.beats(&closest) {
                            closest = Some(found);
                        }
                    };
                    if i < rs.len() {
                        pair(i);
                    }
                    if i > 0 {
                        pair(group.run_start[i - 1] as usize);
                    }
                }
            }
            if let Some(found) = best {
                return Ok(Decomposition {
                    indices: (0..n).filter(|&i| found.mask >> i & 1 == 1).collect(),
                    approximation: found.approximation,
                    residual: target - found.approximation,
                });
            }
        }
        // The empty sub-sum is always examined, so `closest` is set.
        let approximation = closest.map_or(0.0, |c| c.approximation);
        Err(DecompositionError::NotWithinTolerance {
            target,
            approximation,
            error: (target - approximation).abs(),
            tolerance,
        })
    }

    fn name(&self) -> &'static str {
        "exact-smallest"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewest_pieces_beat_smaller_errors() {
        // 0.5 = 0.25 + 0.25 exactly, but 0.49 alone is within 0.02.
        let c = [0.25, 0.25, 0.49];
        let d = ExactSmallest.decompose(&c, 0.5, 0.02).unwrap();
        assert_eq!(d.indices, vec![2]);
        // With a tighter tolerance only the pair qualifies.
        let d = ExactSmallest.decompose(&c, 0.5, 0.005).unwrap();
        assert_eq!(d.indices, vec![0, 1]);
        assert_eq!(d.residual, 0.0);
    }

    #[test]
    fn empty_set_and_both_signs() {
        // |w| ≤ ε: nothing kept.
        let d = ExactSmallest.decompose(&[0.3, -0.2], 0.01, 0.02).unwrap();
        assert_eq!(d, Decomposition::empty(0.01));
        // 0.1 = 0.3 - 0.2 needs both signs.
        let d = ExactSmallest.decompose(&[0.3, -0.2], 0.1, 1e-9).unwrap();
        assert_eq!(d.indices, vec![0, 1]);
        // No candidates at all.
        assert!(ExactSmallest.decompose(&[], 0.5, 0.1).is_err());
    }

    #[test]
    fn among_equal_sizes_the_smaller_error_then_the_smaller_mask() {
        // Sizes 1: 0.48 (error 0.02) and 0.51 (error 0.01): the second wins.
        let d = ExactSmallest.decompose(&[0.48, 0.51], 0.5, 0.05).unwrap();
        assert_eq!(d.indices, vec![1]);
        // Duplicates: the smaller index.
        let d = ExactSmallest
            .decompose(&[0.2, 0.5, 0.5], 0.5, 0.05)
            .unwrap();
        assert_eq!(d.indices, vec![1]);
        let d = ExactSmallest
            .decompose(&[0.5, 0.2, 0.5], 0.5, 0.05)
            .unwrap();
        assert_eq!(d.indices, vec![0]);
    }

    #[test]
    fn failure_reports_the_closest_sub_sum() {
        let e = ExactSmallest.decompose(&[0.3, 0.45], 1.0, 0.1).unwrap_err();
        assert_eq!(
            e,
            DecompositionError::NotWithinTolerance {
                target: 1.0,
                approximation: 0.75,
                error: 0.25,
                tolerance: 0.1
            }
        );
    }

    #[test]
    fn refuses_bad_input() {
        assert!(matches!(
            ExactSmallest.decompose(&[0.1; 41], 0.5, 0.1),
            Err(DecompositionError::TooManyCandidates { n: 41, max: 40 })
        ));
        assert!(matches!(
            ExactSmallest.decompose(&[0.1], 0.5, 0.0),
            Err(DecompositionError::InvalidTolerance { .. })
        ));
        assert!(matches!(
            ExactSmallest.decompose(&[0.1], f64::NAN, 0.1),
            Err(DecompositionError::InvalidTarget { .. })
        ));
        assert!(matches!(
            ExactSmallest.decompose(&[0.1, f64::INFINITY], 0.5, 0.1),
            Err(DecompositionError::InvalidCandidate { index: 1, .. })
        ));
    }
}
