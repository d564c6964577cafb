//! Theorem 3 (ReLU sampling bound), Remark 4, Examples 5 and 6, Corollary 7 and Remark 8.
//!
//! Theorem 3: sampling every weight of `G` from the signed hyperbolic density `p_w` on
//! `[-β, -α] ∪ [α, β]`, `[α, β] = [α'/q, β'/q]`, `α' = 2ε_w/9`, `β' = 2w_max/3`,
//! `q = (α'β')^{1/4}`, it suffices to sample
//!
//! ```text
//! M_i = ⌈16 k' (n_i n_{i-1} + ln(2ℓk'/δ))⌉,   k' = log_{3/2}(3 w_max/ε_w)
//! ```
//!
//! intermediate neurons between target layers `i-1` and `i`, with `ε_w` from Lemma 1
//! ([`crate::lemma1`]), for `sup_x ‖F(x) − Ĝ(x)‖₂ ≤ ε` with probability `≥ 1 − δ`.
//!
//! All functions take `ε_w` as a [`LogNum`] because it underflows `f64` for deep networks
//! without a norm assumption; `k'` itself stays moderate (`≈ 3.4·10^5` for `ℓ = 10^4`,
//! `n = 10^6`).

use crate::lognum::LogNum;
use crate::params::{
    ParamError, check_delta, check_k_prime, check_layers, check_w_max, check_width,
};
use crate::{Count, LN_3_2, Widths};
use std::f64::consts::LN_2;

/// Checks `w_max` and `ε_w < 2 w_max` (see [`ParamError::AccuracyTooLoose`]).
pub(crate) fn check_epsilon_w(epsilon_w: LogNum, w_max: f64) -> Result<(), ParamError> {
    check_w_max(w_max)?;
    if !(epsilon_w.ln() < LN_2 + w_max.ln()) {
        return Err(ParamError::AccuracyTooLoose {
            log10_epsilon_w: epsilon_w.log10(),
            two_w_max: 2.0 * w_max,
        });
    }
    Ok(())
}

/// `k' = log_{3/2}(3 w_max/ε_w)` (Theorem 3): Corollary 10's `k'` at accuracy `ε_w/2`, an
/// upper bound on the number of product weights in each of `ŵ⁺`, `ŵ⁻`, and the inverse of
/// the probability bound `1/(8k')` of each of Step 2''s categories (times 8). Returns a
/// finite `k' > 1`.
///
/// # Errors
/// [`ParamError::WMax`], [`ParamError::AccuracyTooLoose`] unless `ε_w < 2 w_max`.
///
/// # Example
/// ```
/// use logprune_bounds::{theorem3, LogNum};
/// let eps_w = LogNum::from_value(3.678794411714425e-7)?; // Example 5
/// let kp = theorem3::k_prime(eps_w, 1.0)?;
/// assert!((kp - 39.249056).abs() < 1e-5);
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
pub fn k_prime(epsilon_w: LogNum, w_max: f64) -> Result<f64, ParamError> {
    check_epsilon_w(epsilon_w, w_max)?;
    Ok((3f64.ln() + w_max.ln() - epsilon_w.ln()) / LN_3_2)
}

/// `k = ⌈log_{3/2}(2 w_max/ε_w)⌉ ≥ 1`: the number of 'bits' (intervals) of each of `ŵ⁺`,
/// `ŵ⁻`, so Step 2' of Theorem 3 uses `2k` categories.
///
/// The paper defines `k` twice: Theorem 3 (Step 2') prints `⌈log_{3/2}(w_max/(2ε_w))⌉`
/// ([`k_as_printed`]) and Theorem 30 prints `⌈log_{3/2}(2w_max/ε_w)⌉`. Step 2 applies
/// Corollary 10 with `ε → ε_w/2`, i.e. Lemma 9 with `γ = 2/3` at the rescaled accuracy
/// `ε_w/(2 w_max)`, whose proof takes `k = ⌈log_γ ε⌉ = ⌈log_{3/2}(2 w_max/ε_w)⌉`: Theorem 30's
/// form, which we use. Theorem 3's form is smaller by `log_{3/2} 4 ≈ 3.4`, so it would leave
/// the finest intervals of the decomposition without a category. Both satisfy `k ≤ k'`.
///
/// # Errors
/// As [`k_prime`].
pub fn k(epsilon_w: LogNum, w_max: f64) -> Result<u64, ParamError> {
    check_epsilon_w(epsilon_w, w_max)?;
    let x = (LN_2 + w_max.ln() - epsilon_w.ln()) / LN_3_2;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(x.ceil().max(1.0) as u64)
}

/// Theorem 3's printed `k = ⌈log_{3/2}(w_max/(2ε_w))⌉` (see [`k`] for why it is not used);
/// may be `≤ 0` when `ε_w > w_max/2`.
///
/// # Errors
/// As [`k_prime`].
pub fn k_as_printed(epsilon_w: LogNum, w_max: f64) -> Result<i64, ParamError> {
    check_epsilon_w(epsilon_w, w_max)?;
    let x = (w_max.ln() - LN_2 - epsilon_w.ln()) / LN_3_2;
    #[allow(clippy::cast_possible_truncation)]
    Ok(x.ceil() as i64)
}

/// Theorem 3: `M_i = ⌈16 k' (n_i n_{i-1} + ln(2ℓk'/δ))⌉`, the number of intermediate
/// neurons sampled between target layers `i-1` (width `n_in`) and `i` (width `n_out`) of an
/// `ℓ`-layer target. Returns a [`Count`] `≥ 1` (finite for any `k'` that `f64` can hold).
///
/// # Errors
/// [`ParamError::OutOfRange`] unless `k'` is finite and `> 1`, [`ParamError::Width`] for a
/// zero width (`index` 0 for `n_in`, 1 for `n_out`), [`ParamError::TooFewWidths`] for
/// `ℓ = 0`, [`ParamError::Delta`].
///
/// # Example
/// Example 5: `M_i/n_max² = 628.69… ≤ 630`.
/// ```
/// let m = logprune_bounds::theorem3::m_i(39.249056277333324, 100, 100, 10, 0.01)?;
/// assert_eq!(m.as_u64(), Some(6_286_927));
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
pub fn m_i(
    k_prime: f64,
    n_out: u64,
    n_in: u64,
    layers: usize,
    delta: f64,
) -> Result<Count, ParamError> {
    check_k_prime(k_prime)?;
    check_width(0, n_in)?;
    check_width(1, n_out)?;
    check_layers(layers)?;
    check_delta(delta)?;
    let log_term = 2f64.ln() + (layers as f64).ln() + k_prime.ln() - delta.ln();
    Ok(Count::ceil_f64(
        16.0 * k_prime * (n_out as f64 * n_in as f64 + log_term),
    ))
}

/// The range of Theorem 3's weight distribution: `α' = 2ε_w/9`, `β' = 2w_max/3` (the range
/// `[α', β']` of the product weights, Corollary 10 at `ε_w/2`), `q = (α'β')^{1/4}` and
/// `[α, β] = [α'/q, β'/q]` (so that Lemma 28's `[a', b']` is `[α', β']`).
///
/// Every value is a [`LogNum`]: `α` is `(α')^{3/4} (β')^{-1/4}`, which underflows `f64` for
/// `ε_w` below about `10^{-400}`; `ln α`, `ln β` are always finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightRange {
    /// `α' = 2ε_w/9`.
    pub alpha_prime: LogNum,
    /// `β' = 2w_max/3`.
    pub beta_prime: LogNum,
    /// `q = (α'β')^{1/4}`.
    pub q: LogNum,
    /// `α = α'/q`, the smallest magnitude of a weight of `G`.
    pub alpha: LogNum,
    /// `β = β'/q`, the largest magnitude of a weight of `G`.
    pub beta: LogNum,
}

/// Theorem 3's `α'`, `β'`, `q`, `α`, `β` for accuracy `ε_w` and weight bound `w_max`; see
/// [`WeightRange`]. Guarantees `α² ≤ α' < β' ≤ β²` (the product range `[α', β']` lies in the
/// support `[α², β²]` of a product of two weights) and `β/α = β'/α'`.
///
/// # Errors
/// As [`k_prime`].
///
/// # Example
/// ```
/// use logprune_bounds::{theorem3, LogNum};
/// let r = theorem3::weight_range(LogNum::from_value(3.678794411714425e-7)?, 1.0)?;
/// assert!((r.alpha.value() - 5.350478e-6).abs() < 1e-11);
/// assert!((r.beta.value() - 43.632320).abs() < 1e-5);
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
pub fn weight_range(epsilon_w: LogNum, w_max: f64) -> Result<WeightRange, ParamError> {
    check_epsilon_w(epsilon_w, w_max)?;
    let alpha_prime = epsilon_w * LogNum::from_value_unchecked(2.0 / 9.0);
    let beta_prime = LogNum::from_ln_unchecked((2.0f64 / 3.0).ln() + w_max.ln());
    let q = (alpha_prime * beta_prime).powf(0.25);
    Ok(WeightRange {
        alpha_prime,
        beta_prime,
        q,
        alpha: alpha_prime / q,
        beta: beta_prime / q,
    })
}

/// Remark 4's lower bound `ε_w ≥ ε/(e ℓ n_max^{3/2})` (for `‖W_i‖₂ ≤ 1`, `w_max = 1`,
/// `F_max ≤ 1`, `n_i = n_max`); equal to Lemma 1's `ε_w` when these hold with equality.
///
/// # Errors
/// [`ParamError::Epsilon`], [`ParamError::Width`], [`ParamError::TooFewWidths`].
pub fn remark4_epsilon_w_lower(
    epsilon: f64,
    n_max: u64,
    layers: usize,
) -> Result<LogNum, ParamError> {
    crate::lemma1::example2_epsilon_w_spectral(epsilon, n_max, layers)
}

/// Remark 4's upper bound `k' ≤ log_{3/2}(3 e ℓ n_max^{3/2}/ε)` (same assumptions).
///
/// # Errors
/// As [`remark4_epsilon_w_lower`].
pub fn remark4_k_prime_upper(epsilon: f64, n_max: u64, layers: usize) -> Result<f64, ParamError> {
    let eps_w = remark4_epsilon_w_lower(epsilon, n_max, layers)?;
    Ok((3f64.ln() - eps_w.ln()) / LN_3_2)
}

/// Remark 4's expression for the neurons per target weight as printed,
/// `16k' + ln(2ℓk'/δ)/n_max²`.
///
/// Note: the exact `M_i/n_max²` for `n_i = n_max` is `⌈16k'(n_max² + ln(2ℓk'/δ))⌉/n_max² ≥
/// 16k'(1 + ln(2ℓk'/δ)/n_max²)` ([`remark4_per_weight_exact`]), which is LARGER: the printed
/// form drops the factor `16k'` on the second term, so "M_i/n_max² ≤ printed" fails (by
/// `(16k' − 1) ln(2ℓk'/δ)/n_max²` plus rounding, e.g. 0.71 in Example 5). The leading term
/// `16k'` and the `Õ(log(ℓ n_max/ε))` order are unaffected.
///
/// # Errors
/// [`ParamError::OutOfRange`] for `k'`, [`ParamError::Width`], [`ParamError::TooFewWidths`],
/// [`ParamError::Delta`].
pub fn remark4_per_weight_printed(
    k_prime: f64,
    n_max: u64,
    layers: usize,
    delta: f64,
) -> Result<f64, ParamError> {
    let (log_term, n2) = remark4_parts(k_prime, n_max, layers, delta)?;
    Ok(16.0 * k_prime + log_term / n2)
}

/// `16k'(1 + ln(2ℓk'/δ)/n_max²)`: Theorem 3's `M_i/n_max²` for `n_i = n_max` before the
/// ceiling (see [`remark4_per_weight_printed`]).
///
/// # Errors
/// As [`remark4_per_weight_printed`].
pub fn remark4_per_weight_exact(
    k_prime: f64,
    n_max: u64,
    layers: usize,
    delta: f64,
) -> Result<f64, ParamError> {
    let (log_term, n2) = remark4_parts(k_prime, n_max, layers, delta)?;
    Ok(16.0 * k_prime * (1.0 + log_term / n2))
}

fn remark4_parts(
    k_prime: f64,
    n_max: u64,
    layers: usize,
    delta: f64,
) -> Result<(f64, f64), ParamError> {
    check_k_prime(k_prime)?;
    check_width(0, n_max)?;
    check_layers(layers)?;
    check_delta(delta)?;
    let n = n_max as f64;
    Ok((
        2f64.ln() + (layers as f64).ln() + k_prime.ln() - delta.ln(),
        n * n,
    ))
}

/// `Σ_i w_i M_i` with positive weights `w_i`, as a [`LogNum`] (direct sum when finite,
/// log-sum-exp otherwise).
fn weighted_sum(weights: &[f64], m: &[Count]) -> LogNum {
    let direct: f64 = weights.iter().zip(m).map(|(w, c)| w * c.value()).sum();
    if direct.is_finite() {
        return LogNum::from_value_unchecked(direct);
    }
    let terms: Vec<f64> = weights
        .iter()
        .zip(m)
        .map(|(w, c)| w.ln() + c.ln())
        .collect();
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = terms.iter().map(|t| (t - top).exp()).sum();
    LogNum::from_ln_unchecked(top + s.ln())
}

fn check_per_layer(widths: &Widths, m: &[Count]) -> Result<(), ParamError> {
    if m.len() != widths.layers() {
        return Err(ParamError::PerLayerCount {
            what: "neuron counts M_i",
            got: m.len(),
            expected: widths.layers(),
        });
    }
    Ok(())
}

/// Corollary 7: the weight count ratio `N_G/N*` with `N_G = Σ_i (n_{i-1} + n_i) M_i` (the
/// weights of `G` when its layers are fully connected) and `N* = Σ_i n_{i-1} n_i`, for given
/// per-layer counts `M_1..M_ℓ` (Theorem 3's, Theorem 30's, or their minimum). Returns a
/// [`LogNum`] `> 0`.
///
/// # Errors
/// [`ParamError::PerLayerCount`] unless there is one count per layer.
pub fn corollary7_ratio(widths: &Widths, m: &[Count]) -> Result<LogNum, ParamError> {
    check_per_layer(widths, m)?;
    let n = widths.as_slice();
    let fan: Vec<f64> = n.windows(2).map(|w| w[0] as f64 + w[1] as f64).collect();
    Ok(weighted_sum(&fan, m) / LogNum::from_value_unchecked(widths.n_star()))
}

/// Corollary 7's leading term `32 n_max k'` of `N_G/N*` (the rest is
/// `Õ(log(k'/δ))`; for `n_i = n_max` it is `(2/n_max)(16k' ln(2ℓk'/δ) + θ)` with the ceiling's
/// `θ ∈ [0, 1)`).
///
/// # Errors
/// [`ParamError::OutOfRange`] for `k'`, [`ParamError::Width`] for `n_max = 0`.
pub fn corollary7_leading_term(n_max: u64, k_prime: f64) -> Result<f64, ParamError> {
    check_k_prime(k_prime)?;
    check_width(0, n_max)?;
    Ok(32.0 * n_max as f64 * k_prime)
}

/// Remark 8: in `Ĝ` each target weight keeps at most `2k` intermediate neurons (`k` for
/// `ŵ⁺`, `k` for `ŵ⁻`, one per interval of the decomposition; the remark says `k'`, which
/// bounds `k`, for each of the two).
pub fn remark8_kept_neurons_per_weight(k: u64) -> u64 {
    2 * k
}

/// Remark 8: the ratio `Σ_i M_i / (2k N*)` of `G`'s intermediate neurons to the most `Ĝ` can
/// keep. For Theorem 3 it is about `8k'/k ≈ 8`: `G` has only a constant factor more neurons
/// than `Ĝ` (when `Ĝ` uses all `2k` neurons of every target weight; a target weight of 0
/// uses none). Returns a [`LogNum`] `> 0`.
///
/// # Errors
/// [`ParamError::PerLayerCount`] unless there is one count per layer,
/// [`ParamError::OutOfRange`] if `k = 0`.
pub fn remark8_neuron_ratio(widths: &Widths, m: &[Count], k: u64) -> Result<LogNum, ParamError> {
    check_per_layer(widths, m)?;
    if k == 0 {
        return Err(ParamError::OutOfRange {
            name: "k (Remark 8)",
            value: 0.0,
            expected: "an integer ≥ 1",
        });
    }
    let total = weighted_sum(&vec![1.0; m.len()], m);
    Ok(total / LogNum::from_value_unchecked(2.0 * k as f64 * widths.n_star()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lemma1::{NormModel, epsilon_w_relu};
    use crate::prec::{HAND_4, HAND_6, SAME_FORMULA, assert_rel};

    fn ex(norms: NormModel) -> (LogNum, f64) {
        let w = Widths::uniform(100, 10).unwrap();
        let e = epsilon_w_relu(0.01, &w, 1.0, 1.0, &norms).unwrap();
        (e, k_prime(e, 1.0).unwrap())
    }

    #[test]
    fn example5_by_hand() {
        // ε_w = 3.678794e-7; k' = ln(3/ε_w)/ln 1.5 = ln(8.154845e6)/0.405465 = 15.914 / 0.405465
        let (e, kp) = ex(NormModel::SpectralAtMostOne);
        assert_rel(kp, 39.249_06, HAND_6);
        // k = ⌈log_{3/2}(2/ε_w)⌉ = ⌈38.249 - log_{3/2}(3/2)... ⌉: log_{3/2}(2/ε_w) = k' − log_{3/2}1.5 = 38.249
        assert_eq!(k(e, 1.0).unwrap(), 39);
        // printed: log_{3/2}(1/(2ε_w)) = k' − log_{3/2} 6 = 39.249 − 4.419 = 34.83 → 35
        assert_eq!(k_as_printed(e, 1.0).unwrap(), 35);
        // M_i = ⌈16 · 39.249056 · (10^4 + ln(2·10·39.249056/0.01))⌉ = ⌈627.98490 · 10011.2709⌉
        let m = m_i(kp, 100, 100, 10, 0.01).unwrap();
        assert_eq!(m.as_u64(), Some(6_286_927));
        assert_rel(m.per(1e4).unwrap().value(), 628.69, HAND_4);
        assert!(m.per(1e4).unwrap().value() <= 630.0);
    }

    #[test]
    fn example6_by_hand() {
        // ε_w = 3.678794e-27; k' = (15.914 + 20 ln 10)/0.405465 = 61.966/0.405465 = 152.8265
        let (e, kp) = ex(NormModel::WorstCaseMaxWidth);
        assert_rel(kp, 152.826_53, HAND_6);
        assert_eq!(k(e, 1.0).unwrap(), 152);
        let m = m_i(kp, 100, 100, 10, 0.01).unwrap();
        // 16 · 152.8265 · (1 + ln(305653)/10^4) = 2445.2246 · 1.0012630 = 2448.31
        assert_rel(m.per(1e4).unwrap().value(), 2448.31, HAND_6);
        assert!(m.per(1e4).unwrap().value() <= 2450.0);
    }

    #[test]
    fn weight_range_by_hand_and_identities() {
        let (e, _) = ex(NormModel::SpectralAtMostOne);
        let r = weight_range(e, 1.0).unwrap();
        assert_rel(r.alpha_prime.value(), 2.0 * 3.678_794e-7 / 9.0, HAND_6);
        assert_rel(r.beta_prime.value(), 2.0 / 3.0, SAME_FORMULA);
        // q = (8.175099e-8 · 0.666667)^{1/4} = (5.450066e-8)^{1/4} = 0.0152792
        assert_rel(r.q.value(), 0.015_279_19, HAND_6);
        assert_rel(r.alpha.value(), 5.350_478e-6, HAND_6);
        assert_rel(r.beta.value(), 43.632_32, HAND_6);
        // α² ≤ α' < β' ≤ β² and β/α = β'/α'.
        assert!(2.0 * r.alpha.ln() <= r.alpha_prime.ln() && r.beta_prime.ln() <= 2.0 * r.beta.ln());
        assert_rel(
            (r.beta / r.alpha).ln(),
            (r.beta_prime / r.alpha_prime).ln(),
            SAME_FORMULA,
        );
        // Lemma 28 with [a, b] = [α, β] gives [a', b'] = [α', β'].
        let p = crate::product::HyperbolicProduct::from_log(r.alpha, r.beta).unwrap();
        assert_rel(p.a_prime().ln(), r.alpha_prime.ln(), SAME_FORMULA);
        assert_rel(p.b_prime().ln(), r.beta_prime.ln(), SAME_FORMULA);
        // The categories' probability: interval mass under p_{w≥0} on [α', β'] is 1/k'.
        let c10 = crate::golden::Corollary10::from_log(e * LogNum::from_value(0.5).unwrap(), 1.0)
            .unwrap();
        assert_rel(c10.range().0.ln(), r.alpha_prime.ln(), SAME_FORMULA);
        assert_rel(c10.range().1.ln(), r.beta_prime.ln(), SAME_FORMULA);
        assert_rel(c10.k_prime(), k_prime(e, 1.0).unwrap(), SAME_FORMULA);
        assert_eq!(c10.k(), k(e, 1.0).unwrap());
    }

    #[test]
    fn log_domain_and_direct_agree() {
        // Direct: α = α'^{3/4} β'^{-1/4}
        for eps_w in [1e-3f64, 3.7e-7, 1e-30, 1e-200] {
            let e = LogNum::from_value(eps_w).unwrap();
            let r = weight_range(e, 0.7).unwrap();
            let (ap, bp): (f64, f64) = (2.0 * eps_w / 9.0, 2.0 * 0.7 / 3.0);
            assert_rel(
                r.alpha.value(),
                ap.powf(0.75) * bp.powf(-0.25),
                SAME_FORMULA,
            );
            assert_rel(r.beta.value(), bp.powf(0.75) * ap.powf(-0.25), SAME_FORMULA);
            assert_rel(
                k_prime(e, 0.7).unwrap(),
                (3.0 * 0.7 / eps_w).ln() / 1.5f64.ln(),
                SAME_FORMULA,
            );
        }
    }

    #[test]
    fn theorem3_m_i_dominates_lemma29_with_2k_categories() {
        // Step 2': Lemma 29 with c = 1/(8k'), 2k categories, n = n_i n_{i-1}, δ/ℓ gives
        // ⌈16k'(n_i n_{i-1} + ln(2kℓ/δ))⌉ ≤ M_i since k ≤ k'.
        for (eps_w, n, l, d) in [
            (1e-3, 5u64, 3usize, 0.1),
            (3.7e-7, 100, 10, 0.01),
            (1e-20, 7, 50, 1e-6),
        ] {
            let e = LogNum::from_value(eps_w).unwrap();
            let kp = k_prime(e, 1.0).unwrap();
            let kk = k(e, 1.0).unwrap();
            assert!(kk as f64 <= kp);
            let lemma =
                crate::buckets::lemma29_m(n * n, 2 * kk, 1.0 / (8.0 * kp), d / l as f64).unwrap();
            let thm = m_i(kp, n, n, l, d).unwrap();
            assert!(
                lemma.value() <= thm.value(),
                "{} > {}",
                lemma.value(),
                thm.value()
            );
        }
    }

    #[test]
    fn remark4_printed_expression_is_below_the_exact_one() {
        let (e, kp) = ex(NormModel::SpectralAtMostOne);
        assert_rel(
            e.ln(),
            remark4_epsilon_w_lower(0.01, 100, 10).unwrap().ln(),
            SAME_FORMULA,
        );
        assert_rel(
            kp,
            remark4_k_prime_upper(0.01, 100, 10).unwrap(),
            SAME_FORMULA,
        );
        let printed = remark4_per_weight_printed(kp, 100, 10, 0.01).unwrap();
        let exact = remark4_per_weight_exact(kp, 100, 10, 0.01).unwrap();
        // 16k' = 627.98490; ln(2·10·k'/δ) = ln(78498.1) = 11.27087
        assert_rel(printed, 627.984_90 + 11.270_87e-4, HAND_6);
        assert_rel(exact, 627.984_90 * (1.0 + 11.270_87e-4), HAND_6);
        let actual = m_i(kp, 100, 100, 10, 0.01)
            .unwrap()
            .per(1e4)
            .unwrap()
            .value();
        assert!(actual >= exact && exact > printed);
    }

    #[test]
    fn corollary7_and_remark8_by_hand() {
        let (e, kp) = ex(NormModel::SpectralAtMostOne);
        let w = Widths::uniform(100, 10).unwrap();
        let m = vec![m_i(kp, 100, 100, 10, 0.01).unwrap(); 10];
        // N_G/N* = 10 · 200 · 6286927 / 10^5 = 125738.54
        let r = corollary7_ratio(&w, &m).unwrap();
        assert_rel(r.value(), 125_738.54, SAME_FORMULA);
        let lead = corollary7_leading_term(100, kp).unwrap();
        assert_rel(lead, 125_596.98, HAND_6);
        // The remainder is (2/n)(16k' ln(2ℓk'/δ) + θ), θ ∈ [0, 1).
        let rem = 0.02 * 16.0 * kp * (2.0 * 10.0 * kp / 0.01f64).ln();
        assert!(r.value() - lead >= rem - 1e-9 && r.value() - lead < rem + 0.02);
        let kk = k(e, 1.0).unwrap();
        assert_eq!(remark8_kept_neurons_per_weight(kk), 78);
        // 6286927 / (2 · 39 · 10^4) = 8.0601628
        assert_rel(
            remark8_neuron_ratio(&w, &m, kk).unwrap().value(),
            8.060_162_8,
            HAND_6,
        );
        // Non-uniform widths: direct formula.
        let w = Widths::new(vec![3, 5, 2]).unwrap();
        let m = [Count::ceil_f64(100.0), Count::ceil_f64(40.0)];
        assert_rel(
            corollary7_ratio(&w, &m).unwrap().value(),
            (8.0 * 100.0 + 7.0 * 40.0) / 25.0,
            SAME_FORMULA,
        );
    }

    #[test]
    fn monotone_in_eps_delta_n_layers() {
        let f = |eps: f64, d: f64, n: u64, l: usize| {
            let w = Widths::uniform(n, l).unwrap();
            let e = epsilon_w_relu(eps, &w, 1.0, 1.0, &NormModel::WorstCase).unwrap();
            m_i(k_prime(e, 1.0).unwrap(), n, n, l, d).unwrap().value()
        };
        let base = f(0.01, 0.01, 10, 3);
        assert!(f(0.001, 0.01, 10, 3) >= base);
        assert!(f(0.01, 0.001, 10, 3) >= base);
        assert!(f(0.01, 0.01, 11, 3) >= base);
        assert!(f(0.01, 0.01, 10, 4) >= base);
        assert!(f(0.1, 0.01, 10, 3) <= base);
    }

    #[test]
    fn every_error_case() {
        let e = LogNum::from_value(1e-3).unwrap();
        assert_eq!(k_prime(e, 0.0), Err(ParamError::WMax(0.0)));
        let loose = LogNum::from_value(2.0).unwrap();
        assert!(matches!(
            k_prime(loose, 1.0),
            Err(ParamError::AccuracyTooLoose { .. })
        ));
        assert!(matches!(
            k(loose, 1.0),
            Err(ParamError::AccuracyTooLoose { .. })
        ));
        assert!(matches!(
            k_as_printed(loose, 1.0),
            Err(ParamError::AccuracyTooLoose { .. })
        ));
        assert!(matches!(
            weight_range(loose, 1.0),
            Err(ParamError::AccuracyTooLoose { .. })
        ));
        assert!(matches!(
            m_i(0.5, 1, 1, 1, 0.1),
            Err(ParamError::OutOfRange { .. })
        ));
        assert!(matches!(
            m_i(f64::NAN, 1, 1, 1, 0.1),
            Err(ParamError::OutOfRange { .. })
        ));
        assert_eq!(
            m_i(5.0, 1, 0, 1, 0.1),
            Err(ParamError::Width { index: 0, value: 0 })
        );
        assert_eq!(
            m_i(5.0, 0, 1, 1, 0.1),
            Err(ParamError::Width { index: 1, value: 0 })
        );
        assert_eq!(
            m_i(5.0, 1, 1, 0, 0.1),
            Err(ParamError::TooFewWidths { got: 1 })
        );
        assert_eq!(m_i(5.0, 1, 1, 1, 1.5), Err(ParamError::Delta(1.5)));
        assert!(remark4_per_weight_printed(5.0, 0, 1, 0.1).is_err());
        assert!(remark4_k_prime_upper(-1.0, 10, 1).is_err());
        let w = Widths::uniform(2, 2).unwrap();
        assert!(matches!(
            corollary7_ratio(&w, &[Count::ceil_f64(1.0)]),
            Err(ParamError::PerLayerCount {
                got: 1,
                expected: 2,
                ..
            })
        ));
        assert!(remark8_neuron_ratio(&w, &[Count::ceil_f64(1.0); 2], 0).is_err());
        assert!(corollary7_leading_term(0, 5.0).is_err());
    }
}
