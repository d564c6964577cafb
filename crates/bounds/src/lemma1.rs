//! Lemma 1 (approximation propagation) and Example 2: the accuracy `ε_w` needed on every
//! individual weight so that two networks of the same architecture differ by at most `ε`.
//!
//! Lemma 1: if `|w* − ŵ| ≤ ε_w` for every weight and
//!
//! ```text
//! ε_w ≤ ε / ( e ℓ λ_max n_max^{3/2} F_max(X) ∏_{i=1}^ℓ max{1, λ_i ‖Ŵ_i‖₂} )
//! ```
//!
//! then `sup_x ‖F(x) − Ĝ(x)‖₂ ≤ ε`. The product is of order `n_max^ℓ` without a norm
//! assumption, so everything is computed in log domain and returned as a [`LogNum`].
//!
//! # Notes
//! The proof in Appendix C is loose in two harmless places, which do not affect the statement:
//! step (e) writes `ε_w w_max √(n_i)` where `‖(W*_i − Ŵ_i) F_{i-1}‖₂ ≤ ε_w √(n_i n_{i-1}) ·
//! √(n_{i-1}) F_max` needs neither `w_max` nor `√n_i` (both bounded by `n_max^{3/2}` anyway
//! when `w_max ≤ 1`), and its last line drops the factor `ℓ` (the `T` of Corollary 27)
//! that the statement keeps.

use crate::params::{check_epsilon, check_f_max, check_layers, check_w_max, check_width};
use crate::{LogNum, ParamError, Widths};

/// What is assumed about the spectral norms `‖Ŵ_i‖₂` of the pruned network's virtual weight
/// matrices in Lemma 1's product `∏ max{1, λ_i ‖Ŵ_i‖₂}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NormModel {
    /// `‖Ŵ_i‖₂ ≤ 1` at every layer: the assumption of Malach et al. that Remark 4 and
    /// Example 5 keep. The product is then `∏ max{1, λ_i}` (1 for ReLU).
    SpectralAtMostOne,
    /// No norm assumption: `‖Ŵ_i‖₂ ≤ w_max √(n_i n_{i-1})`, which holds for every matrix of
    /// `[-w_max, w_max]^{n_i × n_{i-1}}` (Section 2) and so is always a valid bound.
    WorstCase,
    /// No norm assumption, with the looser `‖Ŵ_i‖₂ ≤ w_max n_max` of Example 2 (used by
    /// Examples 2 and 6). Equal to [`NormModel::WorstCase`] when all widths are equal.
    WorstCaseMaxWidth,
    /// Given bounds `‖Ŵ_1‖₂, ..., ‖Ŵ_ℓ‖₂` (each finite and `≥ 0`), e.g. measured on a
    /// trained target.
    Given(Vec<f64>),
}

impl NormModel {
    /// Checks the model against the architecture: for [`NormModel::Given`], one finite,
    /// nonnegative norm per layer.
    ///
    /// # Errors
    /// [`ParamError::PerLayerCount`] for a list of the wrong length, [`ParamError::Norm`]
    /// naming the first bad norm.
    pub fn validate(&self, widths: &Widths) -> Result<(), ParamError> {
        if let NormModel::Given(norms) = self {
            if norms.len() != widths.layers() {
                return Err(ParamError::PerLayerCount {
                    what: "spectral norms",
                    got: norms.len(),
                    expected: widths.layers(),
                });
            }
            for (i, &v) in norms.iter().enumerate() {
                if !(v >= 0.0 && v.is_finite()) {
                    return Err(ParamError::Norm {
                        layer: i + 1,
                        value: v,
                    });
                }
            }
        }
        Ok(())
    }

    /// `ln` of the bound on `‖Ŵ_i‖₂` for layer `i ∈ [1, ℓ]`: `0` for
    /// [`NormModel::SpectralAtMostOne`], `ln(w_max √(n_i n_{i-1}))`, `ln(w_max n_max)`, or the
    /// given norm's log (`-inf` for a given norm of 0). Assumes a validated model and layer.
    fn ln_norm(&self, widths: &Widths, layer: usize, w_max: f64) -> f64 {
        let n = widths.as_slice();
        match self {
            NormModel::SpectralAtMostOne => 0.0,
            NormModel::WorstCase => {
                w_max.ln() + 0.5 * ((n[layer] as f64).ln() + (n[layer - 1] as f64).ln())
            }
            NormModel::WorstCaseMaxWidth => w_max.ln() + (widths.n_max() as f64).ln(),
            NormModel::Given(norms) => norms[layer - 1].ln(),
        }
    }

    /// A one-line description for reports, e.g. `"‖Ŵ_i‖₂ ≤ 1 (Remark 4)"`.
    pub fn describe(&self) -> String {
        match self {
            NormModel::SpectralAtMostOne => "‖Ŵ_i‖₂ ≤ 1 (Remark 4, Example 5)".to_owned(),
            NormModel::WorstCase => "no norm assumption: ‖Ŵ_i‖₂ ≤ w_max·√(n_i n_{i-1})".to_owned(),
            NormModel::WorstCaseMaxWidth => {
                "no norm assumption: ‖Ŵ_i‖₂ ≤ w_max·n_max (Example 2)".to_owned()
            }
            NormModel::Given(v) => {
                let list: Vec<String> = v.iter().map(|x| format!("{x}")).collect();
                format!("given ‖Ŵ_i‖₂ = {}", list.join(","))
            }
        }
    }
}

/// Lipschitz factors `λ_i = 1` for `ℓ` ReLU layers (Section 2).
pub fn relu_lambdas(layers: usize) -> Vec<f64> {
    vec![1.0; layers]
}

fn check_lambdas(lambdas: &[f64], widths: &Widths) -> Result<f64, ParamError> {
    if lambdas.len() != widths.layers() {
        return Err(ParamError::PerLayerCount {
            what: "Lipschitz factors",
            got: lambdas.len(),
            expected: widths.layers(),
        });
    }
    let mut lambda_max = 0.0f64;
    for (i, &l) in lambdas.iter().enumerate() {
        if !(l > 0.0 && l.is_finite()) {
            return Err(ParamError::Lambda {
                layer: i + 1,
                value: l,
            });
        }
        lambda_max = lambda_max.max(l);
    }
    Ok(lambda_max)
}

/// The norm product `∏_{i=1}^ℓ max{1, λ_i ‖Ŵ_i‖₂}` of Lemma 1, in log domain.
///
/// Returns a [`LogNum`] `≥ 1` (its `ln` is a sum of `ℓ` nonnegative terms; of order
/// `ℓ ln(w_max n_max)` without a norm assumption).
///
/// # Errors
/// [`ParamError::PerLayerCount`] / [`ParamError::Lambda`] for bad Lipschitz factors,
/// [`ParamError::WMax`], and the errors of [`NormModel::validate`].
///
/// # Example
/// ```
/// use logprune_bounds::{lemma1, NormModel, Widths};
/// let w = Widths::uniform(100, 10)?;
/// let p = lemma1::norm_product(&w, &lemma1::relu_lambdas(10), 1.0, &NormModel::WorstCaseMaxWidth)?;
/// assert!((p.log10() - 20.0).abs() < 1e-12); // 100^10
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
pub fn norm_product(
    widths: &Widths,
    lambdas: &[f64],
    w_max: f64,
    norms: &NormModel,
) -> Result<LogNum, ParamError> {
    check_lambdas(lambdas, widths)?;
    check_w_max(w_max)?;
    norms.validate(widths)?;
    let ln: f64 = (1..=widths.layers())
        .map(|i| (lambdas[i - 1].ln() + norms.ln_norm(widths, i, w_max)).max(0.0))
        .sum();
    Ok(LogNum::from_ln_unchecked(ln))
}

/// The denominator `e ℓ λ_max n_max^{3/2} F_max ∏ max{1, λ_i ‖Ŵ_i‖₂}` of Lemma 1, in log
/// domain: the factor by which a per-weight error is amplified at the output.
fn ln_amplification(
    widths: &Widths,
    lambdas: &[f64],
    f_max: f64,
    w_max: f64,
    norms: &NormModel,
) -> Result<f64, ParamError> {
    check_f_max(f_max)?;
    let lambda_max = check_lambdas(lambdas, widths)?;
    let product = norm_product(widths, lambdas, w_max, norms)?;
    Ok(1.0
        + (widths.layers() as f64).ln()
        + lambda_max.ln()
        + 1.5 * (widths.n_max() as f64).ln()
        + f_max.ln()
        + product.ln())
}

/// Lemma 1: the largest per-weight accuracy
/// `ε_w = ε / (e ℓ λ_max n_max^{3/2} F_max(X) ∏_{i=1}^ℓ max{1, λ_i ‖Ŵ_i‖₂})` that guarantees
/// `sup_x ‖F(x) − Ĝ(x)‖₂ ≤ ε`.
///
/// `lambdas` are the Lipschitz factors `λ_1..λ_ℓ` (1 for ReLU and tanh, 1/4 for the logistic
/// sigmoid); `norms` says what is assumed about `‖Ŵ_i‖₂`. Returns `ε_w > 0` as a [`LogNum`]
/// (it underflows `f64` for deep networks without a norm assumption; its `ln` does not).
///
/// # Errors
/// [`ParamError::Epsilon`], [`ParamError::FMax`], [`ParamError::WMax`], and those of
/// [`norm_product`].
///
/// # Example
/// Example 5: `ε = 0.01`, `ℓ = 10`, `n_max = 100`, ReLU, `‖Ŵ_i‖₂ ≤ 1`, `F_max = 1`:
/// ```
/// use logprune_bounds::{lemma1, NormModel, Widths};
/// let w = Widths::uniform(100, 10)?;
/// let eps_w = lemma1::epsilon_w(0.01, &w, &lemma1::relu_lambdas(10), 1.0, 1.0,
///                               &NormModel::SpectralAtMostOne)?;
/// let expected = 0.01 / (std::f64::consts::E * 10.0 * 1000.0);
/// assert!((eps_w.value() / expected - 1.0).abs() < 1e-12);
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
pub fn epsilon_w(
    epsilon: f64,
    widths: &Widths,
    lambdas: &[f64],
    f_max: f64,
    w_max: f64,
    norms: &NormModel,
) -> Result<LogNum, ParamError> {
    check_epsilon(epsilon)?;
    let ln_amp = ln_amplification(widths, lambdas, f_max, w_max, norms)?;
    Ok(LogNum::from_ln_unchecked(epsilon.ln() - ln_amp))
}

/// Lemma 1 for ReLU networks (`λ_i = 1`), as used by Theorem 3: see [`epsilon_w`].
///
/// # Errors
/// As [`epsilon_w`].
pub fn epsilon_w_relu(
    epsilon: f64,
    widths: &Widths,
    f_max: f64,
    w_max: f64,
    norms: &NormModel,
) -> Result<LogNum, ParamError> {
    epsilon_w(
        epsilon,
        widths,
        &relu_lambdas(widths.layers()),
        f_max,
        w_max,
        norms,
    )
}

/// Lemma 1 read the other way (for certificates): the output error bound
/// `ε_w e ℓ λ_max n_max^{3/2} F_max(X) ∏ max{1, λ_i ‖Ŵ_i‖₂}` guaranteed when every weight is
/// within `ε_w` of its target. Returns a [`LogNum`] `> 0`.
///
/// # Errors
/// As [`epsilon_w`], with [`ParamError::OutOfRange`] naming `ε_w` unless it is finite and `> 0`.
pub fn output_error_bound(
    epsilon_w: f64,
    widths: &Widths,
    lambdas: &[f64],
    f_max: f64,
    w_max: f64,
    norms: &NormModel,
) -> Result<LogNum, ParamError> {
    if !(epsilon_w > 0.0 && epsilon_w.is_finite()) {
        return Err(ParamError::OutOfRange {
            name: "ε_w",
            value: epsilon_w,
            expected: "a finite number > 0",
        });
    }
    let ln_amp = ln_amplification(widths, lambdas, f_max, w_max, norms)?;
    Ok(LogNum::from_ln_unchecked(epsilon_w.ln() + ln_amp))
}

/// Example 2 (the exponential form): for ReLU, `w_max = 1`, `F_max = 1` and the worst case
/// `‖Ŵ_i‖₂ ≤ w_max n_max = n_max`, Lemma 1 needs `ε_w ≤ ε / (e ℓ n_max^{3/2 + ℓ})`.
/// Returns that closed form as a [`LogNum`] (it equals [`epsilon_w`] with
/// [`NormModel::WorstCaseMaxWidth`] under those assumptions).
///
/// # Errors
/// [`ParamError::Epsilon`], [`ParamError::Width`] (`n_max = 0`), [`ParamError::TooFewWidths`]
/// (`ℓ = 0`).
///
/// # Example
/// ```
/// let e = logprune_bounds::lemma1::example2_epsilon_w(0.01, 100, 10)?;
/// // log10(0.01 / (e · 10 · 100^{11.5})) = -2 - log10(e) - 1 - 23
/// assert!((e.log10() - (-26.0 - std::f64::consts::LOG10_E)).abs() < 1e-12);
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
pub fn example2_epsilon_w(epsilon: f64, n_max: u64, layers: usize) -> Result<LogNum, ParamError> {
    check_epsilon(epsilon)?;
    check_width(0, n_max)?;
    check_layers(layers)?;
    let l = layers as f64;
    Ok(LogNum::from_ln_unchecked(
        epsilon.ln() - 1.0 - l.ln() - (1.5 + l) * (n_max as f64).ln(),
    ))
}

/// Example 2 (the norm-assumption form) and Remark 4: with `‖Ŵ_i‖₂ ≤ 1` instead,
/// `ε_w ≤ ε / (e ℓ n_max^{3/2})`. Returns that closed form as a [`LogNum`].
///
/// The paper's text prints this as `ε/(e ln^{3/2} n_max)`; the only reading consistent with
/// Lemma 1 (and with Remark 4's `ε_w ≥ ε/(e ℓ n_max^{3/2})`) is `e ℓ n_max^{3/2}`.
///
/// # Errors
/// As [`example2_epsilon_w`].
pub fn example2_epsilon_w_spectral(
    epsilon: f64,
    n_max: u64,
    layers: usize,
) -> Result<LogNum, ParamError> {
    check_epsilon(epsilon)?;
    check_width(0, n_max)?;
    check_layers(layers)?;
    Ok(LogNum::from_ln_unchecked(
        epsilon.ln() - 1.0 - (layers as f64).ln() - 1.5 * (n_max as f64).ln(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prec::{HAND_6, SAME_FORMULA, assert_rel};
    use std::f64::consts::E;

    #[test]
    fn example5_and_example6_by_hand() {
        let w = Widths::uniform(100, 10).unwrap();
        let ex5 = epsilon_w_relu(0.01, &w, 1.0, 1.0, &NormModel::SpectralAtMostOne).unwrap();
        // 0.01 / (e · 10 · 1000) = 3.678794e-7
        assert_rel(ex5.value(), 3.678_794e-7, HAND_6);
        let ex6 = epsilon_w_relu(0.01, &w, 1.0, 1.0, &NormModel::WorstCaseMaxWidth).unwrap();
        assert_rel(ex6.value(), 3.678_794e-27, HAND_6);
        // Uniform widths: √(n_i n_{i-1}) = n_max, the two worst cases coincide.
        let wc = epsilon_w_relu(0.01, &w, 1.0, 1.0, &NormModel::WorstCase).unwrap();
        assert_rel(wc.ln(), ex6.ln(), SAME_FORMULA);
        // And they equal Example 2's closed forms.
        assert_rel(
            ex6.ln(),
            example2_epsilon_w(0.01, 100, 10).unwrap().ln(),
            SAME_FORMULA,
        );
        assert_rel(
            ex5.ln(),
            example2_epsilon_w_spectral(0.01, 100, 10).unwrap().ln(),
            SAME_FORMULA,
        );
    }

    #[test]
    fn general_lambdas_norms_and_f_max_against_direct_formula() {
        // ℓ = 3, widths 4, 6, 5, 2: n_max = 6; λ = (1, 0.25, 2); norms (3, 2, 0.1); F_max = 2.
        let w = Widths::new(vec![4, 6, 5, 2]).unwrap();
        let lambdas = [1.0, 0.25, 2.0];
        let norms = NormModel::Given(vec![3.0, 2.0, 0.1]);
        let got = epsilon_w(0.5, &w, &lambdas, 2.0, 1.0, &norms).unwrap();
        // max{1, λ_i‖Ŵ_i‖} = 3, 1 (0.5 → 1), 1 (0.2 → 1); λ_max = 2.
        let direct = 0.5 / (E * 3.0 * 2.0 * 6f64.powf(1.5) * 2.0 * 3.0);
        assert_rel(got.value(), direct, SAME_FORMULA);
        // WorstCase uses √(n_i n_{i-1}) per layer: √24, √30, √10 times w_max = 0.5.
        let p = norm_product(&w, &[1.0; 3], 0.5, &NormModel::WorstCase).unwrap();
        let direct = (0.5 * 24f64.sqrt()) * (0.5 * 30f64.sqrt()) * (0.5 * 10f64.sqrt());
        assert_rel(p.value(), direct, SAME_FORMULA);
        // WorstCaseMaxWidth: (0.5 · 6)^3.
        let p = norm_product(&w, &[1.0; 3], 0.5, &NormModel::WorstCaseMaxWidth).unwrap();
        assert_rel(p.value(), 27.0, SAME_FORMULA);
        // A given norm of 0 contributes max{1, 0} = 1.
        let p = norm_product(&w, &[1.0; 3], 1.0, &NormModel::Given(vec![0.0, 0.0, 0.0])).unwrap();
        assert_eq!(p.value(), 1.0);
        // Round trip with the certificate direction.
        let back = output_error_bound(got.value(), &w, &lambdas, 2.0, 1.0, &norms).unwrap();
        assert_rel(back.value(), 0.5, SAME_FORMULA);
    }

    #[test]
    fn monotone_in_epsilon_width_and_depth() {
        let e = |eps: f64, n: u64, l: usize, m: &NormModel| {
            epsilon_w_relu(eps, &Widths::uniform(n, l).unwrap(), 1.0, 1.0, m)
                .unwrap()
                .ln()
        };
        for m in [NormModel::SpectralAtMostOne, NormModel::WorstCase] {
            assert!(e(0.1, 10, 3, &m) > e(0.01, 10, 3, &m));
            assert!(e(0.1, 10, 3, &m) > e(0.1, 11, 3, &m));
            assert!(e(0.1, 10, 3, &m) > e(0.1, 10, 4, &m));
        }
    }

    #[test]
    fn deep_and_wide_stays_finite_in_log_domain() {
        // ℓ = 10^4, n = 10^6, no norm assumption: ε_w ≈ 10^{-60000}.
        let w = Widths::uniform(1_000_000, 10_000).unwrap();
        let e = epsilon_w_relu(1e-8, &w, 1.0, 1.0, &NormModel::WorstCase).unwrap();
        assert!(e.ln().is_finite() && e.log10() < -60_000.0);
        assert_eq!(e.value(), 0.0);
        assert_eq!(e.finite_value(), None);
        let expected = -8.0 - std::f64::consts::LOG10_E - 4.0 - 9.0 - 60_000.0;
        assert_rel(e.log10(), expected, SAME_FORMULA);
    }

    #[test]
    fn every_error_case() {
        let w = Widths::uniform(3, 2).unwrap();
        let ok = NormModel::SpectralAtMostOne;
        assert_eq!(
            epsilon_w(0.0, &w, &[1.0; 2], 1.0, 1.0, &ok),
            Err(ParamError::Epsilon(0.0))
        );
        assert_eq!(
            epsilon_w(0.1, &w, &[1.0; 2], -1.0, 1.0, &ok),
            Err(ParamError::FMax(-1.0))
        );
        assert_eq!(
            epsilon_w(0.1, &w, &[1.0; 2], 1.0, f64::INFINITY, &ok),
            Err(ParamError::WMax(f64::INFINITY))
        );
        assert_eq!(
            epsilon_w(0.1, &w, &[1.0; 3], 1.0, 1.0, &ok),
            Err(ParamError::PerLayerCount {
                what: "Lipschitz factors",
                got: 3,
                expected: 2
            })
        );
        assert_eq!(
            epsilon_w(0.1, &w, &[1.0, 0.0], 1.0, 1.0, &ok),
            Err(ParamError::Lambda {
                layer: 2,
                value: 0.0
            })
        );
        assert_eq!(
            epsilon_w(0.1, &w, &[1.0; 2], 1.0, 1.0, &NormModel::Given(vec![1.0])),
            Err(ParamError::PerLayerCount {
                what: "spectral norms",
                got: 1,
                expected: 2
            })
        );
        let r = epsilon_w(
            0.1,
            &w,
            &[1.0; 2],
            1.0,
            1.0,
            &NormModel::Given(vec![1.0, f64::NAN]),
        );
        assert!(matches!(r, Err(ParamError::Norm { layer: 2, .. })));
        assert!(output_error_bound(0.0, &w, &[1.0; 2], 1.0, 1.0, &ok).is_err());
        assert_eq!(
            example2_epsilon_w(0.1, 0, 2),
            Err(ParamError::Width { index: 0, value: 0 })
        );
        assert_eq!(
            example2_epsilon_w(0.1, 3, 0),
            Err(ParamError::TooFewWidths { got: 1 })
        );
        assert_eq!(
            example2_epsilon_w_spectral(f64::NAN, 3, 2)
                .map_err(|e| matches!(e, ParamError::Epsilon(v) if v.is_nan())),
            Err(true)
        );
    }
}
