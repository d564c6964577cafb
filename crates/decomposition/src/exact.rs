//! Exact subset sum by meet in the middle (Horowitz–Sahni): the best sub-sum of up to
//! [`MAX_EXACT_CANDIDATES`] signed candidates.

use crate::error::{check_summable, check_target, check_tolerance};
use crate::{Decomposition, DecompositionError, Solver};

/// The most candidates [`Exact`] and [`ExactIndex`] accept: two halves of `2^20` sub-sums
/// each (about 40 MB while building).
pub const MAX_EXACT_CANDIDATES: usize = 40;

/// What "best" means for the exact solver. Both modes may combine candidates of both signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExactMode {
    /// The paper's one-sided form (Lemma 9's `w - ε ≤ ŵ ≤ w`, mirrored for `w < 0` as in
    /// Theorem 3, Step 2): the sub-sum closest to `w` that does not overshoot it away from
    /// zero, i.e. the largest `ŵ ≤ w` for `w ≥ 0` and the smallest `ŵ ≥ w` for `w < 0`.
    /// Error: `|w| - sgn(w) ŵ ≥ 0`. The empty sub-sum `0` always qualifies.
    Below,
    /// The sub-sum closest to `w` in absolute error `|w - ŵ|`, as in Lueker's random
    /// subset-sum and Pensia et al. (2020). Ties in error go to the side of `Below`.
    Absolute,
}

/// The exact subset-sum solver in one [`ExactMode`]: optimal over all `2^n` sub-sums, by meet
/// in the middle (sort the `2^{n/2}` sub-sums of each half, then one two-pointer scan),
/// `O(2^{n/2})` time and memory per call. Refuses more than [`MAX_EXACT_CANDIDATES`]
/// candidates. For many targets on the same candidates use [`ExactIndex`], which sorts once.
///
/// # Example
/// ```
/// use logprune_decomposition::{Exact, Solver};
/// let c = [0.7, -0.45, 0.3, 0.12];
/// // Sub-sums near 0.5: 0.7 - 0.45 + 0.3 = 0.55, 0.7 - 0.45 + 0.12 = 0.37, 0.3 + 0.12 = 0.42,
/// // 0.7 - 0.45 + 0.3 + 0.12 = 0.67; nothing closer.
/// let below = Exact::below().decompose(&c, 0.5, 0.1)?;
/// assert_eq!(below.indices, vec![2, 3]); // 0.42 ≤ 0.5
/// let abs = Exact::absolute().decompose(&c, 0.5, 0.1)?;
/// assert_eq!(abs.indices, vec![0, 1, 2]); // |0.5 - 0.55| = 0.05 < 0.08
/// assert!(Exact::below().decompose(&c, 0.5, 0.05).is_err()); // 0.08 > 0.05
/// # Ok::<(), logprune_decomposition::DecompositionError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exact {
    mode: ExactMode,
}

impl Exact {
    /// The exact solver in `mode`.
    pub fn new(mode: ExactMode) -> Self {
        Exact { mode }
    }

    /// [`ExactMode::Below`]: the paper's one-sided form.
    pub fn below() -> Self {
        Exact::new(ExactMode::Below)
    }

    /// [`ExactMode::Absolute`]: the best in absolute error.
    pub fn absolute() -> Self {
        Exact::new(ExactMode::Absolute)
    }

    /// The mode.
    pub fn mode(&self) -> ExactMode {
        self.mode
    }
}

impl Solver for Exact {
    /// [`ExactIndex::new`] then [`ExactIndex::decompose`].
    ///
    /// # Errors
    /// Those of [`ExactIndex::new`] and [`ExactIndex::decompose`].
    fn decompose(
        &self,
        candidates: &[f64],
        target: f64,
        tolerance: f64,
    ) -> Result<Decomposition, DecompositionError> {
        check_tolerance(tolerance)?;
        check_target(target)?;
        ExactIndex::new(candidates)?.decompose(target, tolerance, self.mode)
    }

    fn name(&self) -> &'static str {
        match self.mode {
            ExactMode::Below => "exact-below",
            ExactMode::Absolute => "exact-abs",
        }
    }
}

/// A sub-sum of one half: its floating sum, its bitmask within the half, its size.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    sum: f64,
    mask: u32,
    pieces: u32,
}

/// All `2^n` sub-sums of `values` (`n ≤ 20` here), sorted by `(sum, pieces, mask)`.
///
/// Each sum is accumulated in increasing index order starting from `+0.0` (so no sum is
/// `-0.0`). Built by doubling: the sorted list of the first `j` values is merged with itself
/// shifted by `x_j` (still sorted, as rounding is monotone): `O(2^n)` in all. Rounding can make
/// two sums equal without their `(pieces, mask)` being ordered, so runs of equal sums are
/// sorted afterwards.
fn sorted_half(values: &[f64]) -> Vec<Entry> {
    let total = 1usize << values.len();
    let mut cur = Vec::with_capacity(total);
    cur.push(Entry {
        sum: 0.0,
        mask: 0,
        pieces: 0,
    });
    let mut next = Vec::with_capacity(total);
    for (j, &x) in values.iter().enumerate() {
        next.clear();
        let shifted = |e: &Entry| Entry {
            sum: e.sum + x,
            mask: e.mask | (1 << j),
            pieces: e.pieces + 1,
        };
        let (mut p, mut q) = (0, 0);
        let len = cur.len();
        while p < len && q < len {
            let b = shifted(&cur[q]);
            // Equal sums: the one without x_j first (it has the smaller mask).
            if cur[p].sum <= b.sum {
                next.push(cur[p]);
                p += 1;
            } else {
                next.push(b);
                q += 1;
            }
        }
        next.extend_from_slice(&cur[p..]);
        next.extend(cur[q..].iter().map(shifted));
        std::mem::swap(&mut cur, &mut next);
    }
    let mut start = 0;
    while start < cur.len() {
        let mut end = start + 1;
        while end < cur.len() && cur[end].sum == cur[start].sum {
            end += 1;
        }
        if end - start > 1 {
            cur[start..end].sort_unstable_by_key(|e| (e.pieces, e.mask));
        }
        start = end;
    }
    cur
}

/// The candidates of [`Exact`] preprocessed once for many targets: the sub-sums of the two
/// halves (candidates `0..h` and `h..n`, `h = ⌊n/2⌋`), each sorted.
///
/// Contract of [`ExactIndex::best`] and [`ExactIndex::decompose`]: `ŵ = fl(a + b)` where `a`
/// and `b` are the sub-sums of the two halves, each accumulated in increasing index order; the
/// returned sub-sum is optimal for the mode among all `2^n` subsets with sums computed this
/// way.
///
/// Ties (equal error in floating point) are broken deterministically: for each left sub-sum
/// `a` (all are examined) the scan pairs it with the best right sub-sum *value* on each side
/// of `w`, represented by the one with the fewest pieces, then the smallest bitmask; among
/// these pairs it returns the least by (error; side, the `Below` side first, only in
/// `Absolute` mode; number of pieces; bitmask `Σ 2^i` over the indices). So duplicate
/// candidates and zeros resolve toward fewer pieces and smaller indices; two different sums
/// that round to the same `ŵ` are not compared by pieces.
///
/// # Example
/// ```
/// use logprune_decomposition::{ExactIndex, ExactMode};
/// let index = ExactIndex::new(&[0.25, 0.25, 0.5, -0.125])?;
/// // 0.5 = {2} = {0, 1}: one piece wins.
/// assert_eq!(index.best(0.5, ExactMode::Below)?.indices, vec![2]);
/// // 0.375 = 0.5 - 0.125 = 0.25 + 0.25 - 0.125: fewer pieces wins.
/// assert_eq!(index.best(0.375, ExactMode::Absolute)?.indices, vec![2, 3]);
/// # Ok::<(), logprune_decomposition::DecompositionError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ExactIndex {
    n: usize,
    split: usize,
    /// Sub-sums of the left half, nondecreasing; `left_meta` holds their `(mask, pieces)`.
    left_sums: Vec<f64>,
    left_meta: Vec<(u32, u32)>,
    /// Sub-sums of the right half, nondecreasing, with `(mask, pieces)` in `right_meta`.
    right_sums: Vec<f64>,
    right_meta: Vec<(u32, u32)>,
    /// For each position of the right half, the first position of its run of equal sums.
    right_run_start: Vec<u32>,
}

/// The best pair found so far: the key it is ranked by and what it gives.
#[derive(Debug, Clone, Copy)]
struct Best {
    error: f64,
    outer: bool,
    pieces: u32,
    mask: u64,
    approximation: f64,
}

impl Best {
    fn beats(&self, other: &Best) -> bool {
        (self.error, self.outer, self.pieces, self.mask).partial_cmp(&(
            other.error,
            other.outer,
            other.pieces,
            other.mask,
        )) == Some(std::cmp::Ordering::Less)
    }
}

impl ExactIndex {
    /// Enumerates and sorts the sub-sums of the two halves of `candidates`: `O(2^{n/2})`.
    ///
    /// # Errors
    /// [`DecompositionError::TooManyCandidates`] above [`MAX_EXACT_CANDIDATES`];
    /// [`DecompositionError::InvalidCandidate`] for a non-finite candidate;
    /// [`DecompositionError::NonFiniteSum`] if the magnitudes sum to infinity.
    pub fn new(candidates: &[f64]) -> Result<Self, DecompositionError> {
        let n = candidates.len();
        if n > MAX_EXACT_CANDIDATES {
            return Err(DecompositionError::TooManyCandidates {
                n,
                max: MAX_EXACT_CANDIDATES,
            });
        }
        check_summable(candidates)?;
        let split = n / 2;
        let left = sorted_half(&candidates[..split]);
        let right = sorted_half(&candidates[split..]);
        let mut right_run_start = Vec::with_capacity(right.len());
        for (j, e) in right.iter().enumerate() {
            let start = if j > 0 && right[j - 1].sum == e.sum {
                right_run_start[j - 1]
            } else {
                j as u32
            };
            right_run_start.push(start);
        }
        let sums = |h: &[Entry]| h.iter().map(|e| e.sum).collect();
        let meta = |h: &[Entry]| h.iter().map(|e| (e.mask, e.pieces)).collect();
        Ok(ExactIndex {
            n,
            split,
            left_sums: sums(&left),
            left_meta: meta(&left),
            right_sums: sums(&right),
            right_meta: meta(&right),
            right_run_start,
        })
    }

    /// The number of candidates.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no candidates (then the only sub-sum is `0`).
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The optimal sub-sum for `target` in `mode`, whatever its error.
    ///
    /// Contract: `indices` increasing; for [`ExactMode::Below`], `0 ≤ sgn(w)·residual` exactly
    /// (in floating point) and no subset does better; for [`ExactMode::Absolute`], no subset
    /// has a smaller `|residual|` (sums computed as in the type's docs).
    ///
    /// # Errors
    /// [`DecompositionError::InvalidTarget`] if `target` is not finite.
    pub fn best(&self, target: f64, mode: ExactMode) -> Result<Decomposition, DecompositionError> {
        check_target(target)?;
        let best = self.pick(target, mode);
        Ok(self.decomposition(target, &best))
    }

    /// Both optima from one scan, as cheap as one call of [`ExactIndex::best`]:
    /// `(below, absolute)` for [`ExactMode::Below`] and [`ExactMode::Absolute`].
    ///
    /// # Errors
    /// [`DecompositionError::InvalidTarget`] if `target` is not finite.
    pub fn best_both(
        &self,
        target: f64,
    ) -> Result<(Decomposition, Decomposition), DecompositionError> {
        check_target(target)?;
        let (below, absolute) = self.scan(target);
        Ok((
            self.decomposition(target, &below),
            self.decomposition(target, &absolute),
        ))
    }

    fn pick(&self, target: f64, mode: ExactMode) -> Best {
        let (below, absolute) = self.scan(target);
        match mode {
            ExactMode::Below => below,
            ExactMode::Absolute => absolute,
        }
    }

    /// The optimal sub-sum for `target` in `mode` if its error is at most `tolerance`.
    ///
    /// # Errors
    /// [`DecompositionError::InvalidTolerance`], [`DecompositionError::InvalidTarget`], and
    /// [`DecompositionError::NotWithinTolerance`] when even the optimum misses by more than
    /// `tolerance`.
    pub fn decompose(
        &self,
        target: f64,
        tolerance: f64,
        mode: ExactMode,
    ) -> Result<Decomposition, DecompositionError> {
        check_tolerance(tolerance)?;
        check_target(target)?;
        let best = self.pick(target, mode);
        if !(best.error <= tolerance) {
            return Err(DecompositionError::NotWithinTolerance {
                target,
                approximation: best.approximation,
                error: best.error,
                tolerance,
            });
        }
        Ok(self.decomposition(target, &best))
    }

    fn decomposition(&self, target: f64, best: &Best) -> Decomposition {
        let indices = (0..self.n).filter(|&i| best.mask >> i & 1 == 1).collect();
        Decomposition {
            indices,
            approximation: best.approximation,
            residual: target - best.approximation,
        }
    }

    /// The two-pointer scan, for both modes at once: left sub-sums `a` in increasing order;
    /// `lo` is the largest right position with `fl(a + b) ≤ w`, and `hi` the smallest with
    /// `fl(a + b) ≥ w` (`lo + 1` unless some `fl(a + b) = w`); both only move down as `a`
    /// grows, so the scan is `O(2^{n/2})`. Returns the best pair for [`ExactMode::Below`] and
    /// for [`ExactMode::Absolute`].
    fn scan(&self, w: f64) -> (Best, Best) {
        let inner_is_lo = w >= 0.0;
        let rs = &self.right_sums;
        let none = Best {
            error: f64::INFINITY,
            outer: true,
            pieces: u32::MAX,
            mask: u64::MAX,
            approximation: 0.0,
        };
        // (below, absolute)
        let mut best = (none, none);
        // The slow path, only for a pair at least as good as a best so far: ranks it by the
        // full key. `ia` is the left position, `jb` the right representative.
        let rank = |best: &mut (Best, Best),
                    ia: usize,
                    jb: usize,
                    approximation: f64,
                    error: f64,
                    inner: bool| {
            let (ma, pa) = self.left_meta[ia];
            let (mb, pb) = self.right_meta[jb];
            let cand = Best {
                error,
                outer: !inner,
                pieces: pa + pb,
                mask: (u64::from(mb) << self.split) | u64::from(ma),
                approximation,
            };
            if cand.beats(&best.1) {
                best.1 = cand;
            }
            if inner && cand.beats(&best.0) {
                best.0 = cand;
            }
        };
        let len = rs.len();
        let mut lo = len as isize - 1;
        for (ia, &a) in self.left_sums.iter().enumerate() {
            while lo >= 0 && a + rs[lo as usize] > w {
                lo -= 1;
            }
            // Below w (or equal): inner when w ≥ 0.
            if lo >= 0 {
                let j = lo as usize;
                let approximation = a + rs[j];
                let error = w - approximation;
                let inner = inner_is_lo || approximation == w;
                if error <= best.1.error || (inner && error <= best.0.error) {
                    let jb = self.right_run_start[j] as usize;
                    rank(&mut best, ia, jb, approximation, error, inner);
                }
            }
            // Above w (or equal): inner when w < 0.
            let mut hi = (lo + 1) as usize;
            while hi > 0 && a + rs[hi - 1] >= w {
                hi -= 1;
            }
            if hi < len {
                // `hi` starts its run of equal sums: the one before it has a smaller sum.
                let approximation = a + rs[hi];
                let error = approximation - w;
                let inner = !inner_is_lo || approximation == w;
                if error <= best.1.error || (inner && error <= best.0.error) {
                    rank(&mut best, ia, hi, approximation, error, inner);
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_input() {
        assert_eq!(
            ExactIndex::new(&[0.1; 41]).unwrap_err(),
            DecompositionError::TooManyCandidates { n: 41, max: 40 }
        );
        assert!(matches!(
            ExactIndex::new(&[0.1, f64::NEG_INFINITY]),
            Err(DecompositionError::InvalidCandidate { index: 1, .. })
        ));
        assert!(matches!(
            ExactIndex::new(&[f64::MAX, f64::MAX]),
            Err(DecompositionError::NonFiniteSum { .. })
        ));
        let index = ExactIndex::new(&[0.5]).unwrap();
        assert!(matches!(
            index.decompose(0.5, 0.0, ExactMode::Below),
            Err(DecompositionError::InvalidTolerance { .. })
        ));
        assert!(matches!(
            index.best(f64::NAN, ExactMode::Below),
            Err(DecompositionError::InvalidTarget { .. })
        ));
        assert_eq!(
            index.decompose(0.2, 0.1, ExactMode::Absolute).unwrap_err(),
            DecompositionError::NotWithinTolerance {
                target: 0.2,
                approximation: 0.0,
                error: 0.2,
                tolerance: 0.1
            }
        );
    }

    #[test]
    fn half_sums_are_sorted_with_ties_by_pieces_then_mask() {
        let half = sorted_half(&[0.5, 0.25, 0.25, 0.5]);
        assert_eq!(half.len(), 16);
        assert!(
            half.windows(2).all(|p| {
                (p[0].sum, p[0].pieces, p[0].mask) < (p[1].sum, p[1].pieces, p[1].mask)
            })
        );
        // 0.5 = {0} = {3} = {1, 2}: one piece, smaller mask first.
        let at_half: Vec<u32> = half
            .iter()
            .filter(|e| e.sum == 0.5)
            .map(|e| e.mask)
            .collect();
        assert_eq!(at_half, vec![0b0001, 0b1000, 0b0110]);
    }

    #[test]
    fn empty_and_single_candidates() {
        let none = ExactIndex::new(&[]).unwrap();
        assert!(none.is_empty());
        assert_eq!(
            none.best(0.3, ExactMode::Absolute).unwrap(),
            Decomposition::empty(0.3)
        );
        let one = ExactIndex::new(&[0.4]).unwrap();
        assert_eq!(one.len(), 1);
        // |0.3 - 0.4| = 0.1 < 0.3, but 0.4 overshoots 0.3.
        assert_eq!(one.best(0.3, ExactMode::Absolute).unwrap().indices, vec![0]);
        assert_eq!(
            one.best(0.3, ExactMode::Below).unwrap().indices,
            Vec::<usize>::new()
        );
    }

    #[test]
    fn both_signs_and_mirroring() {
        let c = [-0.7, 0.45, -0.3, -0.12];
        let index = ExactIndex::new(&c).unwrap();
        // The mirror of the `Exact` doc example: toward zero is now "above".
        let below = index.best(-0.5, ExactMode::Below).unwrap();
        assert_eq!(below.indices, vec![2, 3]);
        assert!(below.approximation >= -0.5);
        assert_eq!(
            index.best(-0.5, ExactMode::Absolute).unwrap().indices,
            vec![0, 1, 2]
        );
        // 1 - 0.9 needs both signs.
        let d = ExactIndex::new(&[1.0, -0.9])
            .unwrap()
            .best(0.1, ExactMode::Below)
            .unwrap();
        assert_eq!(d.indices, vec![0, 1]);
        assert!(d.approximation <= 0.1 && d.residual < 1e-16);
    }

    #[test]
    fn equal_errors_go_to_the_side_toward_zero() {
        let up = ExactIndex::new(&[0.25, 0.75]).unwrap();
        assert_eq!(up.best(0.5, ExactMode::Absolute).unwrap().indices, vec![0]);
        let down = ExactIndex::new(&[-0.25, -0.75]).unwrap();
        assert_eq!(
            down.best(-0.5, ExactMode::Absolute).unwrap().indices,
            vec![0]
        );
    }

    #[test]
    fn forty_binary_digits_reach_any_target() {
        // 2^0, 2^-1, ..., 2^-39: every multiple of 2^-39 in [0, 2) is a sub-sum, exactly.
        let c: Vec<f64> = (0..40).map(|i| 0.5f64.powi(i)).collect();
        let index = ExactIndex::new(&c).unwrap();
        let target = 0.7;
        let d = index.best(target, ExactMode::Below).unwrap();
        assert!(d.approximation <= target && target - d.approximation < 0.5f64.powi(39));
        // The binary expansion of 0.7 truncated to 39 bits, read off the indices.
        let expected: Vec<usize> = (0..40)
            .filter(|&i| (target * 2f64.powi(i as i32)).floor() as u64 % 2 == 1)
            .collect();
        assert_eq!(d.indices, expected);
        let abs = index.best(target, ExactMode::Absolute).unwrap();
        assert!(abs.residual.abs() <= 0.5f64.powi(40));
    }
}
