//! All `2^n` sub-sums of a few values, sorted, and the gaps between them (Appendix A,
//! Figure 2: sub-sums of hyperbolic or uniform samples cover an interval much more densely
//! than the samples themselves).
//!
//! # Example
//! ```
//! use logprune_decomposition::subsums::{gaps, max_distance, sorted_subsums};
//! let s = sorted_subsums(&[0.5, 0.25, 1.0])?;
//! assert_eq!(s, vec![0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75]);
//! assert_eq!(gaps(&s), vec![0.25; 7]);
//! // Every w in [0, 1.75] is within 0.125 of a sub-sum.
//! assert_eq!(max_distance(&s, 0.0, 1.75), Some(0.125));
//! # Ok::<(), logprune_decomposition::DecompositionError>(())
//! ```

use crate::DecompositionError;
use crate::error::check_summable;

/// The most values [`sorted_subsums`] accepts: `2^24` sums take 128 MiB.
pub const MAX_SUBSUM_VALUES: usize = 24;

/// All `2^n` sub-sums of `values` (with multiplicity, the empty sum `0` included), in
/// nondecreasing order.
///
/// Contract: the result has length `2^n`; each sum is accumulated in increasing index order
/// from `+0.0`. Built by doubling (merge the sorted sums of the first `j` values with the same
/// list shifted by `x_j`), `O(2^n)` time.
///
/// # Errors
/// [`DecompositionError::TooManyCandidates`] above [`MAX_SUBSUM_VALUES`] values;
/// [`DecompositionError::InvalidCandidate`] for a non-finite value;
/// [`DecompositionError::NonFiniteSum`] if the magnitudes sum to infinity.
pub fn sorted_subsums(values: &[f64]) -> Result<Vec<f64>, DecompositionError> {
    if values.len() > MAX_SUBSUM_VALUES {
        return Err(DecompositionError::TooManyCandidates {
            n: values.len(),
            max: MAX_SUBSUM_VALUES,
        });
    }
    check_summable(values)?;
    let total = 1usize << values.len();
    let mut cur = Vec::with_capacity(total);
    cur.push(0.0_f64);
    let mut next = Vec::with_capacity(total);
    for &x in values {
        next.clear();
        let (mut p, mut q) = (0, 0);
        let len = cur.len();
        while p < len && q < len {
            let b = cur[q] + x;
            if cur[p] <= b {
                next.push(cur[p]);
                p += 1;
            } else {
                next.push(b);
                q += 1;
            }
        }
        next.extend_from_slice(&cur[p..]);
        next.extend(cur[q..].iter().map(|s| s + x));
        std::mem::swap(&mut cur, &mut next);
    }
    Ok(cur)
}

/// The gaps `s_{i+1} - s_i` between consecutive values of a sorted slice (length one less,
/// empty for fewer than two values). Contract: nonnegative when `sorted` is nondecreasing.
pub fn gaps(sorted: &[f64]) -> Vec<f64> {
    sorted.windows(2).map(|p| p[1] - p[0]).collect()
}

/// `sup_{w ∈ [lo, hi]} min_i |w - s_i|`: the largest error a target in `[lo, hi]` can have
/// when approximated by the closest of the sorted values `s` in absolute error. `None` if
/// `sorted` is empty or `lo > hi` (or either is `NaN`).
///
/// Contract: the maximum of the distance from `lo` to the first value, from the last value to
/// `hi`, and half of every gap between consecutive values, clipped to `[lo, hi]`.
pub fn max_distance(sorted: &[f64], lo: f64, hi: f64) -> Option<f64> {
    if sorted.is_empty() || !(lo <= hi) {
        return None;
    }
    let nearest = |w: f64| {
        let i = sorted.partition_point(|&s| s < w);
        let mut d = f64::INFINITY;
        if i < sorted.len() {
            d = d.min(sorted[i] - w);
        }
        if i > 0 {
            d = d.min(w - sorted[i - 1]);
        }
        d
    };
    let mut worst = nearest(lo).max(nearest(hi));
    for p in sorted.windows(2) {
        // The midpoint of a gap is the farthest point from the two values around it.
        let mid = 0.5 * (p[0] + p[1]);
        if lo <= mid && mid <= hi {
            worst = worst.max(0.5 * (p[1] - p[0]));
        }
    }
    Some(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsums_of_signed_values_by_hand() {
        // {0, 1, -2, 1 - 2}, sorted.
        assert_eq!(
            sorted_subsums(&[1.0, -2.0]).unwrap(),
            vec![-2.0, -1.0, 0.0, 1.0]
        );
        assert_eq!(sorted_subsums(&[]).unwrap(), vec![0.0]);
        assert_eq!(
            sorted_subsums(&[3.0, 3.0]).unwrap(),
            vec![0.0, 3.0, 3.0, 6.0]
        );
    }

    #[test]
    fn refuses_bad_input() {
        assert!(matches!(
            sorted_subsums(&[0.1; 25]),
            Err(DecompositionError::TooManyCandidates { n: 25, max: 24 })
        ));
        assert!(matches!(
            sorted_subsums(&[0.1, f64::NAN]),
            Err(DecompositionError::InvalidCandidate { index: 1, .. })
        ));
        assert_eq!(max_distance(&[], 0.0, 1.0), None);
        assert_eq!(max_distance(&[0.5], 1.0, 0.0), None);
    }

    #[test]
    fn max_distance_by_hand() {
        // Values 0, 0.1, 1: worst point of [0, 1] is the midpoint 0.55 of the big gap.
        assert_eq!(max_distance(&[0.0, 0.1, 1.0], 0.0, 1.0), Some(0.45));
        // Outside the values, the ends count: [-1, 0.05] is worst at -1.
        assert_eq!(max_distance(&[0.0, 0.1, 1.0], -1.0, 0.05), Some(1.0));
        // A range inside one gap, away from its midpoint: worst at the end nearer the middle.
        let d = max_distance(&[0.0, 1.0], 0.1, 0.2).unwrap();
        assert!((d - 0.2).abs() < 1e-15);
    }
}
