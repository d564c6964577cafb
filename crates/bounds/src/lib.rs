//! Every closed-form quantity of "Logarithmic Pruning is All You Need" (Orseau, Hutter,
//! Rivasplata, 2020) as a documented function citing its number.
//!
//! This crate is pure `f64` mathematics: no sampling, no I/O (ARCHITECTURE.md, invariant 1).
//! Quantities that overflow or underflow `f64` for deep or wide networks (the per-weight
//! accuracy `ε_w` of Lemma 1, the norm product `∏ max{1, λ_i ‖Ŵ_i‖₂}`, Malach et al.'s
//! neuron count, the range `[α, β]` of Theorem 3) are carried as natural logarithms in
//! [`LogNum`] and [`Count`], so that nothing here produces `inf` or `NaN` for `ℓ` up to
//! `10^4` layers and widths up to `10^6` (ARCHITECTURE.md, invariant 2).
//!
//! Map of the paper:
//! - [`lemma1`]: Lemma 1 (`ε_w`), the norm models of Remark 4 and Example 2, Example 2.
//! - [`theorem3`]: Theorem 3 (`k'`, `k`, `M_i`, `α'`, `β'`, `q`, `α`, `β`), Remark 4,
//!   Examples 5 and 6, Corollary 7 (`N_G/N*`), Remark 8.
//! - [`theorem30`]: Theorem 30 (sample recycling, Appendix D), Example 32 and the minimum
//!   of the two `M_i`.
//! - [`malach`]: Malach et al.'s `M_i` as quoted in Section 3 and Remark 4.
//! - [`golden`]: Lemma 9 and Corollary 10 (golden-ratio decomposition: `k'`, `k`, `m`, the
//!   sampling range, `c'`).
//! - [`product`]: Lemma 28 (product of two hyperbolic weights).
//! - [`buckets`]: Lemma 29 (filling `k` categories).
//! - [`sequence`]: Lemma 18, Remarks 19–26, Corollaries 22 and 27 (positive sequences).
//! - [`setting`] and [`report`]: a validated setting and the one-call report used by
//!   `cargo xtask bounds` and the tables.
//!
//! # Example
//! Example 5 of the paper (`n_max = 100`, `ℓ = 10`, `ε = δ = 0.01`, `‖Ŵ_i‖₂ ≤ 1`):
//! ```
//! use logprune_bounds::{NormModel, Setting};
//! let setting = Setting::uniform(100, 10, 0.01, 0.01)
//!     .norms(NormModel::SpectralAtMostOne)
//!     .check()?;
//! let report = setting.report();
//! // ε_w = 0.01 / (e · 10 · 100^{3/2})
//! assert!((report.epsilon_w.value() - 3.678794411714e-7).abs() < 1e-18);
//! // Theorem 3: M_i / n_max² ≤ 630, Theorem 30: ≤ 144 (Examples 5 and 32).
//! let layer = &report.layers[0];
//! assert!(layer.theorem3_per_weight.value() <= 630.0);
//! assert!(layer.theorem30_per_weight.value() <= 144.0);
//! # Ok::<(), logprune_bounds::ParamError>(())
//! ```
#![deny(missing_docs)]
// Checks are written `if !(x > 0.0)` so that NaN is refused (as rand_distr does).
#![allow(clippy::neg_cmp_op_on_partial_ord)]
// Tests unwrap freely; the library itself never does (ARCHITECTURE.md, invariant 11).
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod buckets;
pub mod golden;
pub mod lemma1;
mod lognum;
pub mod malach;
pub mod params;
pub mod product;
pub mod report;
pub mod sequence;
pub mod setting;
pub mod theorem3;
pub mod theorem30;

pub use lemma1::NormModel;
pub use lognum::{Count, LogNum};
pub use params::{ParamError, Widths};
pub use report::{LayerReport, Report};
pub use setting::{Setting, SettingBuilder};
pub use theorem30::MinSource;

/// `ln(3/2)`: the logarithms base `3/2 = 1/γ` of Theorem 3 and Corollary 10 divide by it.
pub(crate) const LN_3_2: f64 = 0.405_465_108_108_164_4;

/// `1/φ = (√5 − 1)/2`, the smallest `γ` allowed by Lemma 9.
pub const INV_GOLDEN_RATIO: f64 = 0.618_033_988_749_894_9;

/// Named tolerances for the tests of this crate (statrs style).
#[cfg(test)]
pub(crate) mod prec {
    /// Relative tolerance for two evaluations of the same closed form (log domain vs direct).
    pub const SAME_FORMULA: f64 = 1e-12;
    /// Relative tolerance for values worked out by hand and written with ~6 digits.
    pub const HAND_6: f64 = 1e-5;
    /// Relative tolerance for hand values written with ~4 digits.
    pub const HAND_4: f64 = 1e-3;

    /// Relative difference `|a − b| / max(|a|, |b|)` (0 when both are 0).
    pub fn rel(a: f64, b: f64) -> f64 {
        let m = a.abs().max(b.abs());
        if m == 0.0 { 0.0 } else { (a - b).abs() / m }
    }

    /// Asserts that `a` and `b` agree to relative tolerance `tol`.
    #[track_caller]
    pub fn assert_rel(a: f64, b: f64, tol: f64) {
        assert!(
            rel(a, b) <= tol,
            "{a} vs {b}: relative difference {} > {tol}",
            rel(a, b)
        );
    }
}
