//! Subset-sum solvers for "Logarithmic Pruning is All You Need" (Orseau, Hutter, Rivasplata
//! 2020): given signed candidate values `v_1, ..., v_m` (the product weights of the large
//! network G), a signed target `w` and a tolerance `ε`, choose a mask `b ∈ {0,1}^m` so that
//! `ŵ = Σ b_s v_s` is `ε`-close to `w`.
//!
//! Every solver implements [`Solver`] and returns a [`Decomposition`] (the chosen indices,
//! `ŵ` and the residual `w - ŵ`) or a [`DecompositionError`] saying why not:
//!
//! - [`GoldenRatio`]: the paper's golden-ratio decomposition (Lemma 9, Corollary 10), one
//!   sample per interval `I_s = (γ^{s+1}, γ^s]·w_max`, guarantee `w - ε ≤ ŵ ≤ w` with at most
//!   `k ≤ k'` pieces. Its streaming form [`GoldenRatioStream`] is offered candidates one at a
//!   time as `(index, ln|v|, sign)`, decides interval membership on `ln|v|` without an `exp`,
//!   and says when it is complete, so the pruning oracle can stop consulting G early
//!   (ARCHITECTURE.md, cost model).
//! - [`BestFit`]: the largest candidate first, taken if it does not overshoot `|w|`; its
//!   two-sided form [`BestFitTwoSided`] takes candidates of both signs while they reduce
//!   `|w − ŵ|`.
//! - [`Exact`] / [`ExactIndex`]: exact subset sum by meet in the middle (up to
//!   [`MAX_EXACT_CANDIDATES`] candidates), either the best sub-sum on the target's side of zero
//!   that does not overshoot (the paper's one-sided form) or the best in absolute error
//!   (Lueker's random subset-sum, Pensia et al. 2020).
//! - [`ExactSmallest`]: exact subset sum for the fewest pieces within tolerance (absolute
//!   error), the least number of candidates any solver could keep.
//! - [`subsums`]: all `2^n` sub-sums sorted, and their gaps (Appendix A, Figure 2).
//!
//! The paper's greedy solvers use only candidates of the target's sign and approach `|w|`
//! from below; the exact solver may combine both signs.
//!
//! # Floating point
//!
//! The guarantees are statements about real numbers. In `f64`, `ŵ` is the solver's floating
//! sum of the chosen values (each solver documents the order) and `residual` is
//! `fl(w - ŵ)`; re-summing the chosen candidates in another order can differ by a few ulps of
//! the largest partial sum.
//!
//! # Example
//! ```
//! use logprune_decomposition::{BestFit, Exact, GoldenRatio, Solver};
//!
//! let candidates = [0.6, -0.3, 0.41, 0.2, 0.13, 0.07, 0.05, 0.03, 0.02];
//! let solvers: Vec<Box<dyn Solver>> = vec![
//!     Box::new(GoldenRatio::new(1.0)?),
//!     Box::new(BestFit),
//!     Box::new(Exact::below()),
//!     Box::new(Exact::absolute()),
//! ];
//! for solver in &solvers {
//!     let d = solver.decompose(&candidates, 0.5, 0.05)?;
//!     assert!(d.residual.abs() <= 0.05, "{}", solver.name());
//!     let sum: f64 = d.indices.iter().map(|&i| candidates[i]).sum();
//!     assert!((sum - d.approximation).abs() < 1e-12);
//! }
//! # Ok::<(), logprune_decomposition::DecompositionError>(())
//! ```
#![deny(missing_docs)]
// `!(x > 0.0)` refuses NaN as well as the values outside the range.
#![allow(clippy::neg_cmp_op_on_partial_ord)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod best_fit;
mod error;
mod exact;
mod golden;
mod smallest;
pub mod subsums;

pub use best_fit::{BestFit, BestFitIndex, BestFitTwoSided};
pub use error::DecompositionError;
pub use exact::{Exact, ExactIndex, ExactMode, MAX_EXACT_CANDIDATES};
pub use golden::{
    DEFAULT_GAMMA, GoldenRatio, GoldenRatioSchedule, GoldenRatioStream, INV_GOLDEN_RATIO, MAX_STEPS,
};
pub use smallest::ExactSmallest;

/// The result of a solver: which candidates are kept, and what they sum to.
#[derive(Debug, Clone, PartialEq)]
pub struct Decomposition {
    /// Indices into the candidates (or, for [`GoldenRatioStream`], the indices the caller
    /// offered) of the kept values: the mask `b` of Lemma 9 as a list. Distinct and in
    /// increasing order.
    pub indices: Vec<usize>,
    /// `ŵ = Σ_{i ∈ indices} v_i`, as the solver summed it (see the crate docs on rounding).
    pub approximation: f64,
    /// `w - ŵ`, computed in floating point from the two numbers above.
    pub residual: f64,
}

impl Decomposition {
    /// The number of kept values, `|b|` in Lemma 9.
    pub fn pieces(&self) -> usize {
        self.indices.len()
    }

    /// The decomposition with nothing kept: `ŵ = 0`, `residual = w`.
    pub fn empty(target: f64) -> Self {
        Decomposition {
            indices: Vec::new(),
            approximation: 0.0,
            residual: target,
        }
    }
}

/// A subset-sum solver: signed candidates, a signed target and a tolerance in, a
/// [`Decomposition`] or a typed error out.
///
/// Object safe, so a caller can hold a `Box<dyn Solver>`.
///
/// Contract of every implementation:
/// - It refuses a tolerance that is not `> 0` ([`DecompositionError::InvalidTolerance`]), a
///   non-finite target ([`DecompositionError::InvalidTarget`]) and non-finite candidates
///   ([`DecompositionError::InvalidCandidate`]).
/// - On success the returned indices are distinct, increasing and in range, and the error of
///   `ŵ` in the solver's sense is at most `tolerance`; otherwise it returns
///   [`DecompositionError::NotWithinTolerance`] (or, for [`GoldenRatio`],
///   [`DecompositionError::EmptyInterval`]).
/// - It is deterministic: the same inputs give the same output, bit for bit.
pub trait Solver: Send + Sync {
    /// Decomposes `target` into a sub-sum of `candidates` within `tolerance`.
    ///
    /// # Errors
    /// See the trait's contract; each implementation lists its own cases.
    fn decompose(
        &self,
        candidates: &[f64],
        target: f64,
        tolerance: f64,
    ) -> Result<Decomposition, DecompositionError>;

    /// A short name for tables, e.g. `"golden-ratio"`.
    fn name(&self) -> &'static str;
}
