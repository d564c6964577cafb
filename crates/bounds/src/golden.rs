//! Lemma 9 (golden-ratio decomposition) and Corollary 10 (its rescaling to `[0, w_max]`).
//!
//! Lemma 9: for `ε > 0` and `1/φ ≤ γ < 1`, sample `m = ⌈k' ln(k'/δ)⌉` values from
//! `P_ε(v) = c'/v` on `[εγ², γ]`, `c' = 1/ln(1/(γε))`, `k' = log_γ(γε)`. With probability
//! `≥ 1 − δ` every `w ∈ [0, 1]` has a sub-sum `ŵ` of at most `k'` samples with
//! `w − ε ≤ ŵ ≤ w`. The greedy uses one sample in each interval `I_s = (γ^{s+1}, γ^s]`,
//! `s = 1..k`, `k = ⌈log_γ ε⌉ ≤ k'`; each interval has probability exactly `1/k'` (Eq. 2).
//!
//! Both types store `ln ε`, so they work for accuracies far below `f64`'s range (Theorem 3
//! applies Corollary 10 with `ε = ε_w/2`, which underflows for deep networks).

use crate::lognum::LogNum;
use crate::params::{ParamError, check_delta, check_epsilon, check_w_max};
use crate::{Count, INV_GOLDEN_RATIO, LN_3_2};

/// Lemma 9 for a given accuracy `ε ∈ (0, 1)` and base `γ ∈ [1/φ, 1)`.
///
/// # Example
/// ```
/// use logprune_bounds::golden::GoldenRatio;
/// let g = GoldenRatio::new(0.01, 2.0 / 3.0)?;
/// // k = ⌈log_{2/3} 0.01⌉ = ⌈11.36⌉ = 12, k' = 1 + 11.36 = 12.36
/// assert_eq!(g.k(), 12);
/// assert!((g.k_prime() - 12.357_747).abs() < 1e-6);
/// assert!((g.interval_probability() - 1.0 / g.k_prime()).abs() < 1e-15);
/// assert_eq!(g.m(0.01)?.as_u64(), Some(88)); // ⌈12.3577 · ln(1235.77)⌉
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GoldenRatio {
    ln_eps: f64,
    gamma: f64,
}

fn check_gamma(gamma: f64) -> Result<f64, ParamError> {
    if !(INV_GOLDEN_RATIO..1.0).contains(&gamma) {
        return Err(ParamError::Gamma(gamma));
    }
    Ok(gamma)
}

impl GoldenRatio {
    /// The base `γ = 2/3` that the paper uses (Corollary 10, Theorem 3).
    pub const GAMMA_3_2: f64 = 2.0 / 3.0;

    /// Lemma 9 with accuracy `ε ∈ (0, 1)` (for `ε ≥ 1` the empty mask already works) and
    /// base `γ ∈ [1/φ, 1)`.
    ///
    /// # Errors
    /// [`ParamError::Epsilon`] unless `ε` is finite and `> 0`, [`ParamError::OutOfRange`] if
    /// `ε ≥ 1`, [`ParamError::Gamma`] for `γ` outside `[1/φ, 1)`.
    pub fn new(epsilon: f64, gamma: f64) -> Result<Self, ParamError> {
        check_epsilon(epsilon)?;
        Self::from_log(LogNum::from_value_unchecked(epsilon), gamma)
    }

    /// Lemma 9 with an accuracy given in log domain (see [`GoldenRatio::new`]).
    ///
    /// # Errors
    /// As [`GoldenRatio::new`].
    pub fn from_log(epsilon: LogNum, gamma: f64) -> Result<Self, ParamError> {
        check_gamma(gamma)?;
        if !(epsilon.ln() < 0.0) {
            return Err(ParamError::OutOfRange {
                name: "ε (Lemma 9)",
                value: epsilon.value(),
                expected: "a number in (0, 1): for ε ≥ 1 the empty mask already works",
            });
        }
        Ok(GoldenRatio {
            ln_eps: epsilon.ln(),
            gamma,
        })
    }

    /// The accuracy `ε`.
    pub fn epsilon(&self) -> LogNum {
        LogNum::from_ln_unchecked(self.ln_eps)
    }

    /// The base `γ`.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// `log_γ ε = ln ε / ln γ > 0`.
    fn log_gamma_eps(&self) -> f64 {
        self.ln_eps / self.gamma.ln()
    }

    /// `k' = log_γ(γε) = 1 + log_γ ε > 1`: the bound on the number of samples in a mask and
    /// the inverse of each interval's probability (Eq. 2).
    pub fn k_prime(&self) -> f64 {
        1.0 + self.log_gamma_eps()
    }

    /// `k = ⌈log_γ ε⌉ ≥ 1`: the number of intervals `I_1..I_k` the greedy uses (proof of
    /// Lemma 9); `k ≤ k'`.
    pub fn k(&self) -> u64 {
        ceil_to_u64(self.log_gamma_eps())
    }

    /// The normalization `c' = 1/ln(1/(γε)) > 0` of `P_ε(v) = c'/v`.
    pub fn c_prime(&self) -> f64 {
        1.0 / (-(self.gamma.ln() + self.ln_eps))
    }

    /// `c = min_s P[v ∈ I_s] = c' ln(1/γ) = 1/k'` (Eq. 2), in `(0, 1)`.
    pub fn interval_probability(&self) -> f64 {
        self.c_prime() * (-self.gamma.ln())
    }

    /// The support `[εγ², γ]` of `P_ε`, as `(low, high)`.
    pub fn range(&self) -> (LogNum, LogNum) {
        let lg = self.gamma.ln();
        (
            LogNum::from_ln_unchecked(self.ln_eps + 2.0 * lg),
            LogNum::from_value_unchecked(self.gamma),
        )
    }

    /// `(ln γ^{s+1}, ln γ^s)`: the logs of the ends of the interval `I_s = (γ^{s+1}, γ^s]`.
    pub fn ln_interval(&self, s: u64) -> (f64, f64) {
        let lg = self.gamma.ln();
        ((s as f64 + 1.0) * lg, s as f64 * lg)
    }

    /// `m = ⌈k' ln(k'/δ)⌉ ≥ 1`: the number of samples for success probability `1 − δ`.
    ///
    /// # Errors
    /// [`ParamError::Delta`] unless `δ ∈ (0, 1)`.
    pub fn m(&self, delta: f64) -> Result<Count, ParamError> {
        check_delta(delta)?;
        let kp = self.k_prime();
        Ok(Count::ceil_f64(kp * (kp.ln() - delta.ln())))
    }
}

/// `⌈x⌉` for `x > 0` as a `u64` (saturating; `x` here is at most a few times `10^5`).
fn ceil_to_u64(x: f64) -> u64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let k = x.ceil().max(0.0) as u64;
    k
}

/// Corollary 10: Lemma 9 with `γ = 2/3` for weights in `[0, w_max]` and accuracy
/// `ε ∈ (0, w_max)`, by rescaling `w' = w/w_max`, `ε' = ε/w_max`.
///
/// # Example
/// Theorem 3 applies it with `ε = ε_w/2`:
/// ```
/// use logprune_bounds::golden::Corollary10;
/// let c = Corollary10::new(0.05, 1.0)?;
/// // k' = log_{3/2}(3 · 1/(2 · 0.05)) = log_{3/2} 30
/// assert!((c.k_prime() - 30f64.ln() / 1.5f64.ln()).abs() < 1e-12);
/// let (lo, hi) = c.range();
/// assert!((lo.value() - 4.0 * 0.05 / 9.0).abs() < 1e-15);
/// assert!((hi.value() - 2.0 / 3.0).abs() < 1e-15);
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Corollary10 {
    lemma9: GoldenRatio,
    w_max: f64,
}

impl Corollary10 {
    /// Corollary 10 for accuracy `ε ∈ (0, w_max)` and weight bound `w_max > 0`.
    ///
    /// # Errors
    /// [`ParamError::Epsilon`], [`ParamError::WMax`], and [`ParamError::OutOfRange`] when
    /// `ε ≥ w_max`.
    pub fn new(epsilon: f64, w_max: f64) -> Result<Self, ParamError> {
        check_epsilon(epsilon)?;
        Self::from_log(LogNum::from_value_unchecked(epsilon), w_max)
    }

    /// Corollary 10 with an accuracy given in log domain (see [`Corollary10::new`]).
    ///
    /// # Errors
    /// As [`Corollary10::new`].
    pub fn from_log(epsilon: LogNum, w_max: f64) -> Result<Self, ParamError> {
        check_w_max(w_max)?;
        if !(epsilon.ln() < w_max.ln()) {
            return Err(ParamError::OutOfRange {
                name: "ε (Corollary 10)",
                value: epsilon.value(),
                expected: "a number in (0, w_max): for ε ≥ w_max the empty mask already works",
            });
        }
        let rescaled = LogNum::from_ln_unchecked(epsilon.ln() - w_max.ln());
        Ok(Corollary10 {
            lemma9: GoldenRatio::from_log(rescaled, GoldenRatio::GAMMA_3_2)?,
            w_max,
        })
    }

    /// The underlying Lemma 9 on `[0, 1]` with accuracy `ε/w_max` and `γ = 2/3`.
    pub fn lemma9(&self) -> &GoldenRatio {
        &self.lemma9
    }

    /// The weight bound `w_max`.
    pub fn w_max(&self) -> f64 {
        self.w_max
    }

    /// `k' = log_{3/2}(3 w_max/(2ε)) > 1` (equal to Lemma 9's `log_γ(γ ε/w_max)`).
    pub fn k_prime(&self) -> f64 {
        // Written as in the corollary; equals self.lemma9.k_prime() up to rounding.
        ((3.0f64 / 2.0).ln() - self.lemma9.ln_eps) / LN_3_2
    }

    /// `k = ⌈log_{3/2}(w_max/ε)⌉ ≥ 1` (Lemma 9's `⌈log_γ(ε/w_max)⌉`).
    pub fn k(&self) -> u64 {
        self.lemma9.k()
    }

    /// `c' = 1/ln(3 w_max/(2ε)) > 0`.
    pub fn c_prime(&self) -> f64 {
        self.lemma9.c_prime()
    }

    /// The support `[4ε/9, 2w_max/3]` of `P_ε`, as `(low, high)`.
    pub fn range(&self) -> (LogNum, LogNum) {
        let (lo, hi) = self.lemma9.range();
        let w = LogNum::from_value_unchecked(self.w_max);
        (lo * w, hi * w)
    }

    /// `(ln(w_max γ^{s+1}), ln(w_max γ^s))`: the interval `w_max·I_s` in log domain.
    pub fn ln_interval(&self, s: u64) -> (f64, f64) {
        let (a, b) = self.lemma9.ln_interval(s);
        (a + self.w_max.ln(), b + self.w_max.ln())
    }

    /// `m = ⌈k' ln(k'/δ)⌉ ≥ 1`.
    ///
    /// # Errors
    /// [`ParamError::Delta`] unless `δ ∈ (0, 1)`.
    pub fn m(&self, delta: f64) -> Result<Count, ParamError> {
        self.lemma9.m(delta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prec::{HAND_6, SAME_FORMULA, assert_rel};

    #[test]
    fn lemma9_by_hand() {
        // γ = 2/3, ε = 0.01: log_γ ε = ln 100 / ln 1.5 = 4.605170 / 0.405465 = 11.357747.
        let g = GoldenRatio::new(0.01, 2.0 / 3.0).unwrap();
        assert_rel(g.k_prime(), 12.357_747, HAND_6);
        assert_eq!(g.k(), 12);
        // c' = 1/ln(1/(γε)) = 1/ln(150) = 0.199576
        assert_rel(g.c_prime(), 0.199_576, HAND_6);
        assert_rel(g.interval_probability(), 1.0 / g.k_prime(), SAME_FORMULA);
        let (lo, hi) = g.range();
        assert_rel(lo.value(), 0.01 * 4.0 / 9.0, SAME_FORMULA);
        assert_rel(hi.value(), 2.0 / 3.0, SAME_FORMULA);
        // m = ⌈12.357747 · ln(1235.7747)⌉ = ⌈12.357747 · 7.119455⌉ = ⌈87.98⌉ = 88
        assert_eq!(g.m(0.01).unwrap().as_u64(), Some(88));
        // The intervals used by the greedy: I_1 = (4/9, 2/3].
        let (a, b) = g.ln_interval(1);
        assert_rel(a.exp(), 4.0 / 9.0, SAME_FORMULA);
        assert_rel(b.exp(), 2.0 / 3.0, SAME_FORMULA);
    }

    #[test]
    fn lemma9_golden_ratio_base() {
        // γ = 1/φ: log_γ ε with ε = γ^5 is 5, so k = 5, k' = 6.
        let g = GoldenRatio::new(INV_GOLDEN_RATIO.powi(5) * (1.0 + 1e-12), INV_GOLDEN_RATIO);
        let g = g.unwrap();
        assert_eq!(g.k(), 5);
        assert_rel(g.k_prime(), 6.0, 1e-10);
    }

    #[test]
    fn corollary10_is_lemma9_rescaled() {
        for (eps, w_max) in [(0.01, 1.0), (1e-7, 3.0), (0.2, 0.25)] {
            let c = Corollary10::new(eps, w_max).unwrap();
            let g = GoldenRatio::new(eps / w_max, 2.0 / 3.0).unwrap();
            assert_rel(c.k_prime(), g.k_prime(), SAME_FORMULA);
            assert_rel(
                c.k_prime(),
                (3.0 * w_max / (2.0 * eps)).ln() / 1.5f64.ln(),
                SAME_FORMULA,
            );
            assert_eq!(c.k(), g.k());
            assert_rel(
                c.c_prime(),
                1.0 / (3.0 * w_max / (2.0 * eps)).ln(),
                SAME_FORMULA,
            );
            let (lo, hi) = c.range();
            assert_rel(lo.value(), 4.0 * eps / 9.0, SAME_FORMULA);
            assert_rel(hi.value(), 2.0 * w_max / 3.0, SAME_FORMULA);
            assert_eq!(c.m(0.1).unwrap(), g.m(0.1).unwrap());
        }
    }

    #[test]
    fn monotone_in_epsilon_and_delta() {
        let m = |e: f64, d: f64| {
            GoldenRatio::new(e, 2.0 / 3.0)
                .unwrap()
                .m(d)
                .unwrap()
                .value()
        };
        assert!(m(0.1, 0.1) <= m(0.01, 0.1));
        assert!(m(0.1, 0.1) <= m(0.1, 0.01));
        assert!(m(1e-6, 0.1) < m(1e-12, 0.1));
    }

    #[test]
    fn tiny_accuracy_in_log_domain() {
        let eps = LogNum::from_log10(-60_000.0).unwrap();
        let c = Corollary10::from_log(eps, 1.0).unwrap();
        let expected = (1.5f64.ln() + 60_000.0 * std::f64::consts::LN_10) / 1.5f64.ln();
        assert_rel(c.k_prime(), expected, SAME_FORMULA);
        assert!(c.m(1e-6).unwrap().value().is_finite());
        assert_eq!(c.range().0.value(), 0.0);
        assert!(c.range().0.ln().is_finite());
    }

    #[test]
    fn every_error_case() {
        assert_eq!(GoldenRatio::new(0.0, 0.7), Err(ParamError::Epsilon(0.0)));
        assert!(matches!(
            GoldenRatio::new(1.0, 0.7),
            Err(ParamError::OutOfRange { .. })
        ));
        assert_eq!(GoldenRatio::new(0.1, 0.6), Err(ParamError::Gamma(0.6)));
        assert_eq!(GoldenRatio::new(0.1, 1.0), Err(ParamError::Gamma(1.0)));
        assert!(matches!(
            GoldenRatio::new(0.1, f64::NAN),
            Err(ParamError::Gamma(_))
        ));
        let g = GoldenRatio::new(0.1, 0.7).unwrap();
        assert_eq!(g.m(1.0), Err(ParamError::Delta(1.0)));
        assert_eq!(Corollary10::new(0.1, 0.0), Err(ParamError::WMax(0.0)));
        assert!(matches!(
            Corollary10::new(2.0, 2.0),
            Err(ParamError::OutOfRange { .. })
        ));
        assert_eq!(
            Corollary10::new(f64::NAN, 1.0).map_err(|e| matches!(e, ParamError::Epsilon(_))),
            Err(true)
        );
    }
}
