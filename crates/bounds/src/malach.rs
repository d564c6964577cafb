//! Malach et al. (2020, Theorem A.6)'s neuron count as quoted in Section 3 and Remark 4, for
//! comparison.
//!
//! Each of the `ℓ` intermediate layers of their `G` has
//!
//! ```text
//! M_i = n_max² ⌈64 ℓ² n_max³ ln(2 n_max² ℓ/δ) / ε²⌉
//! ```
//!
//! neurons, i.e. `M_i/n_max² = ⌈64 ℓ² n_max³ ln(2N/δ)/ε²⌉` per target weight with
//! `N = n_max² ℓ` (Remark 4). The logarithm is read as natural (the paper writes `log`). In
//! Example 5 this is `1.0759·10^15`, which the paper reports as "`≤ 2·10^15`".
//!
//! # Assumptions (Section 3)
//! Their bound is proven only when (i) inputs satisfy `‖x‖₂ ≤ 1`, (ii) target weights lie in
//! `[-1/√n_max, 1/√n_max]`, (iii) `‖W*_i‖₂ ≤ 1` at every layer, and (iv) `‖W*_i‖₀ ≤ n_max`;
//! together these imply `F_max(X) ≤ 1`. Remark 4 and Example 5 compare against it with
//! `w_max = 1`, outside (ii). [`MalachAssumptions`] reports which of these a setting meets.

use crate::Count;
use crate::lemma1::NormModel;
use crate::lognum::LogNum;
use crate::params::{
    ParamError, check_delta, check_epsilon, check_f_max, check_layers, check_w_max, check_width,
};

/// `M_i/n_max² = ⌈64 ℓ² n_max³ ln(2 n_max² ℓ/δ)/ε²⌉`: Malach et al.'s sampled neurons per
/// target weight. Returns a [`Count`] (in log domain when it exceeds `f64`, e.g. for tiny `ε`).
///
/// # Errors
/// [`ParamError::Width`] (`n_max = 0`), [`ParamError::TooFewWidths`] (`ℓ = 0`),
/// [`ParamError::Epsilon`], [`ParamError::Delta`].
///
/// # Example
/// Example 5: `⌈64 · 100 · 10^6 · ln(2·10^7) / 10^{-4}⌉ = 1.0759·10^15 ≤ 2·10^15`.
/// ```
/// let m = logprune_bounds::malach::per_weight(100, 10, 0.01, 0.01)?;
/// assert!((m.value() / 1.0759e15 - 1.0).abs() < 1e-4);
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
pub fn per_weight(
    n_max: u64,
    layers: usize,
    epsilon: f64,
    delta: f64,
) -> Result<Count, ParamError> {
    check_width(0, n_max)?;
    check_layers(layers)?;
    check_epsilon(epsilon)?;
    check_delta(delta)?;
    let n = n_max as f64;
    let l = layers as f64;
    let log_term = 2f64.ln() + 2.0 * n.ln() + l.ln() - delta.ln();
    let direct = 64.0 * l * l * n * n * n * log_term / (epsilon * epsilon);
    if direct.is_normal() {
        return Ok(Count::ceil_f64(direct));
    }
    let ln = 64f64.ln() + 2.0 * l.ln() + 3.0 * n.ln() + log_term.ln() - 2.0 * epsilon.ln();
    Ok(Count::ceil(LogNum::from_ln_unchecked(ln)))
}

/// Malach et al.'s `M_i = n_max² ⌈64 ℓ² n_max³ ln(2 n_max² ℓ/δ)/ε²⌉`, the same for every
/// layer. Returns a [`Count`].
///
/// # Errors
/// As [`per_weight`].
pub fn m_i(n_max: u64, layers: usize, epsilon: f64, delta: f64) -> Result<Count, ParamError> {
    let per = per_weight(n_max, layers, epsilon, delta)?;
    let n = n_max as f64;
    let direct = per.value() * n * n;
    if direct.is_finite() {
        Ok(Count::ceil_f64(direct))
    } else {
        Ok(Count::ceil(LogNum::from_ln_unchecked(
            per.ln() + 2.0 * n.ln(),
        )))
    }
}

/// Which of Malach et al.'s assumptions (Section 3) a setting meets. `‖x‖₂ ≤ 1` and
/// `‖W*_i‖₀ ≤ n_max` depend on the data and the target, not on the setting, and are not
/// checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalachAssumptions {
    /// (ii) `w_max ≤ 1/√n_max`.
    pub weights_within_inv_sqrt_n: bool,
    /// (iii) `‖W_i‖₂ ≤ 1` at every layer (the norm model is [`NormModel::SpectralAtMostOne`]
    /// or gives norms `≤ 1`).
    pub spectral_norms_at_most_one: bool,
    /// `F_max ≤ 1`, implied by (i)–(iv).
    pub f_max_at_most_one: bool,
}

impl MalachAssumptions {
    /// Checks the setting-level assumptions.
    ///
    /// # Errors
    /// [`ParamError::WMax`], [`ParamError::FMax`], [`ParamError::Width`] for `n_max = 0`.
    pub fn check(
        w_max: f64,
        n_max: u64,
        norms: &NormModel,
        f_max: f64,
    ) -> Result<Self, ParamError> {
        check_w_max(w_max)?;
        check_f_max(f_max)?;
        check_width(0, n_max)?;
        Ok(MalachAssumptions {
            weights_within_inv_sqrt_n: w_max * (n_max as f64).sqrt() <= 1.0,
            spectral_norms_at_most_one: match norms {
                NormModel::SpectralAtMostOne => true,
                NormModel::Given(v) => v.iter().all(|&x| x <= 1.0),
                NormModel::WorstCase | NormModel::WorstCaseMaxWidth => false,
            },
            f_max_at_most_one: f_max <= 1.0,
        })
    }

    /// Whether every checkable assumption holds (so Malach et al.'s bound applies, given
    /// `‖x‖₂ ≤ 1` and `‖W*_i‖₀ ≤ n_max`).
    pub fn all_hold(&self) -> bool {
        self.weights_within_inv_sqrt_n && self.spectral_norms_at_most_one && self.f_max_at_most_one
    }

    /// The failed assumptions, in words (empty when all hold).
    pub fn failures(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if !self.weights_within_inv_sqrt_n {
            v.push("w_max ≤ 1/√n_max");
        }
        if !self.spectral_norms_at_most_one {
            v.push("‖W_i‖₂ ≤ 1");
        }
        if !self.f_max_at_most_one {
            v.push("F_max ≤ 1");
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prec::{SAME_FORMULA, assert_rel};

    #[test]
    fn example5_by_hand() {
        // 64 · 10² · 100³ · ln(2·10^4·10/0.01) / 10^{-4} = 6.4e9 · ln(2e7) · 1e4
        let expected = (6.4e9 * 2e7f64.ln() * 1e4).ceil();
        let per = per_weight(100, 10, 0.01, 0.01).unwrap();
        assert_rel(per.value(), expected, SAME_FORMULA);
        assert_rel(per.value(), 1.075_919_5e15, 1e-7);
        assert!(per.value() <= 2e15);
        let m = m_i(100, 10, 0.01, 0.01).unwrap();
        assert_rel(m.value(), per.value() * 1e4, SAME_FORMULA);
    }

    #[test]
    fn log_domain_beyond_f64_and_agreement() {
        let huge = per_weight(1_000_000, 10_000, 1e-300, 1e-300).unwrap();
        assert_eq!(huge.value(), f64::INFINITY);
        // log10: 64 · 10^8 · 10^18 · ln(2·10^16/1e-300) / 10^{-600}
        let expected = 64f64.log10()
            + 8.0
            + 18.0
            + (2e16f64.ln() + 300.0 * std::f64::consts::LN_10).log10()
            + 600.0;
        assert_rel(huge.log10(), expected, SAME_FORMULA);
        let m = m_i(1_000_000, 10_000, 1e-300, 1e-300).unwrap();
        assert_rel(m.log10(), expected + 12.0, SAME_FORMULA);
        // Where both are finite, log and direct agree.
        let small = per_weight(10, 2, 0.1, 0.1).unwrap();
        let ln = 64f64.ln()
            + 2.0 * 2f64.ln()
            + 3.0 * 10f64.ln()
            + (2.0 * 100.0 * 2.0 / 0.1f64).ln().ln()
            - 2.0 * 0.1f64.ln();
        assert_rel(small.ln(), ln, 1e-9);
    }

    #[test]
    fn monotone() {
        let f = |n, l, e, d| per_weight(n, l, e, d).unwrap().log10();
        assert!(f(10, 2, 0.1, 0.1) < f(11, 2, 0.1, 0.1));
        assert!(f(10, 2, 0.1, 0.1) < f(10, 3, 0.1, 0.1));
        assert!(f(10, 2, 0.1, 0.1) < f(10, 2, 0.01, 0.1));
        assert!(f(10, 2, 0.1, 0.1) < f(10, 2, 0.1, 0.01));
    }

    #[test]
    fn assumptions() {
        let a = MalachAssumptions::check(1.0, 100, &NormModel::SpectralAtMostOne, 1.0).unwrap();
        assert!(
            !a.weights_within_inv_sqrt_n && a.spectral_norms_at_most_one && a.f_max_at_most_one
        );
        assert!(!a.all_hold());
        assert_eq!(a.failures(), vec!["w_max ≤ 1/√n_max"]);
        let a = MalachAssumptions::check(0.1, 100, &NormModel::Given(vec![0.5, 1.0]), 1.0).unwrap();
        assert!(a.all_hold());
        assert!(a.failures().is_empty());
        let a = MalachAssumptions::check(0.1, 100, &NormModel::WorstCase, 2.0).unwrap();
        assert_eq!(a.failures(), vec!["‖W_i‖₂ ≤ 1", "F_max ≤ 1"]);
        assert!(MalachAssumptions::check(0.0, 100, &NormModel::WorstCase, 1.0).is_err());
    }

    #[test]
    fn every_error_case() {
        assert_eq!(
            per_weight(0, 1, 0.1, 0.1),
            Err(ParamError::Width { index: 0, value: 0 })
        );
        assert_eq!(
            per_weight(1, 0, 0.1, 0.1),
            Err(ParamError::TooFewWidths { got: 1 })
        );
        assert_eq!(per_weight(1, 1, -1.0, 0.1), Err(ParamError::Epsilon(-1.0)));
        assert_eq!(per_weight(1, 1, 0.1, 2.0), Err(ParamError::Delta(2.0)));
        assert!(m_i(1, 1, f64::NAN, 0.1).is_err());
    }
}
