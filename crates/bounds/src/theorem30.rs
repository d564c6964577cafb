//! Theorem 30 (ReLU sampling bound #2, sample recycling, Appendix D), Example 32 and the
//! minimum of Theorems 3 and 30 that ends Appendix D.
//!
//! ```text
//! M_i = ⌈2k' (n_i n_{i-1} + 4 max{n_i, n_{i-1}} ln(2k'N*/δ))⌉
//! ```
//!
//! with `k'` and `ε_w` as in Theorem 3 and `N* = Σ n_{i-1} n_i`. Its proof (Algorithm 1)
//! samples `max{n_i, n_{i-1}} m + 2(k−1) n_i n_{i-1}` neurons with `m = ⌈8k' ln(k'/δ_w)⌉`,
//! `δ_w = δ/(2N*)` and `k = ⌈log_{3/2}(2w_max/ε_w)⌉` ([`neurons_from_proof`]), which the
//! printed `M_i` bounds from above.

use crate::lognum::LogNum;
use crate::params::{ParamError, check_delta, check_k_prime, check_width};
use crate::{Count, Widths};

fn check_n_star(n_star: f64) -> Result<f64, ParamError> {
    if !(n_star >= 1.0 && n_star.is_finite()) {
        return Err(ParamError::OutOfRange {
            name: "N*",
            value: n_star,
            expected: "a finite number ≥ 1 (the number of target weights)",
        });
    }
    Ok(n_star)
}

/// Theorem 30: `M_i = ⌈2k'(n_i n_{i-1} + 4 max{n_i, n_{i-1}} ln(2k'N*/δ))⌉ ≥ 1` for layer
/// `i` with input width `n_in = n_{i-1}`, output width `n_out = n_i`, and `N*` target weights
/// in total.
///
/// # Errors
/// [`ParamError::OutOfRange`] unless `k' > 1` is finite and `N* ≥ 1` is finite,
/// [`ParamError::Width`] for a zero width, [`ParamError::Delta`].
///
/// # Example
/// Example 32 (Example 5's setting): `M_i/n_max² = 142.81 ≤ 144`.
/// ```
/// let m = logprune_bounds::theorem30::m_i(39.249056277333324, 100, 100, 1e5, 0.01)?;
/// assert_eq!(m.as_u64(), Some(1_428_075));
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
pub fn m_i(
    k_prime: f64,
    n_out: u64,
    n_in: u64,
    n_star: f64,
    delta: f64,
) -> Result<Count, ParamError> {
    check_k_prime(k_prime)?;
    check_width(0, n_in)?;
    check_width(1, n_out)?;
    check_n_star(n_star)?;
    check_delta(delta)?;
    let log_term = 2f64.ln() + k_prime.ln() + n_star.ln() - delta.ln();
    let wide = n_out.max(n_in) as f64;
    Ok(Count::ceil_f64(
        2.0 * k_prime * (n_out as f64 * n_in as f64 + 4.0 * wide * log_term),
    ))
}

/// `δ_w = δ/(2N*)`: the failure probability allowed per virtual weight `ŵ⁺` or `ŵ⁻` (union
/// bound over `2N*` of them, Step 3 of Theorem 30). Returns a [`LogNum`] in `(0, 1/2)`.
///
/// # Errors
/// [`ParamError::Delta`], [`ParamError::OutOfRange`] for `N*`.
pub fn delta_w(delta: f64, n_star: f64) -> Result<LogNum, ParamError> {
    check_delta(delta)?;
    check_n_star(n_star)?;
    Ok(LogNum::from_value_unchecked(delta) / LogNum::from_value_unchecked(2.0 * n_star))
}

/// `m = ⌈8k' ln(k'/δ_w)⌉ ≥ 1`: the neurons Corollary 10 needs (with the factor 8 of Step 2,
/// one product in 8 has usable signs and density) to `ε_w/2`-approximate one virtual weight
/// with probability `≥ 1 − δ_w`.
///
/// # Errors
/// [`ParamError::OutOfRange`] for `k'`, or for `δ_w` unless `ln δ_w < 0`.
pub fn m(k_prime: f64, delta_w: LogNum) -> Result<Count, ParamError> {
    check_k_prime(k_prime)?;
    if !(delta_w.ln() < 0.0) {
        return Err(ParamError::OutOfRange {
            name: "δ_w",
            value: delta_w.value(),
            expected: "a probability in (0, 1)",
        });
    }
    Ok(Count::ceil_f64(
        8.0 * k_prime * (k_prime.ln() - delta_w.ln()),
    ))
}

/// The count of the proof of Theorem 30 (Step 2', Algorithm 1):
/// `max{n_i, n_{i-1}} m + 2(k − 1) n_i n_{i-1}` with `m` from [`m`] at `δ_w = δ/(2N*)`.
/// Returns a [`Count`]; it never exceeds [`m_i`] (since `k ≤ k'` and
/// `⌈8k' ln(k'/δ_w)⌉ ≤ 8k' ln(2k'N*/δ) + 1`).
///
/// # Errors
/// As [`m_i`], and [`ParamError::OutOfRange`] if `k = 0`.
pub fn neurons_from_proof(
    k_prime: f64,
    k: u64,
    n_out: u64,
    n_in: u64,
    n_star: f64,
    delta: f64,
) -> Result<Count, ParamError> {
    check_width(0, n_in)?;
    check_width(1, n_out)?;
    if k == 0 {
        return Err(ParamError::OutOfRange {
            name: "k (Theorem 30)",
            value: 0.0,
            expected: "an integer ≥ 1",
        });
    }
    let mm = m(k_prime, delta_w(delta, n_star)?)?;
    let wide = n_out.max(n_in) as f64;
    let total = wide * mm.value() + 2.0 * (k as f64 - 1.0) * n_out as f64 * n_in as f64;
    Ok(Count::ceil_f64(total))
}

/// Which bound gave the minimum of [`min_m_i`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinSource {
    /// Theorem 3's `M_i` is strictly smaller.
    Theorem3,
    /// Theorem 30's `M_i` is strictly smaller.
    Theorem30,
    /// They are equal.
    Equal,
}

impl MinSource {
    /// `"theorem3"`, `"theorem30"` or `"equal"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MinSource::Theorem3 => "theorem3",
            MinSource::Theorem30 => "theorem30",
            MinSource::Equal => "equal",
        }
    }
}

/// End of Appendix D: since Theorems 3 and 30 hold simultaneously, `M_i` may be taken as the
/// minimum of the two. Returns that minimum (never larger than either) and which one it is.
pub fn min_m_i(theorem3: Count, theorem30: Count) -> (Count, MinSource) {
    if theorem3.less_than(theorem30) {
        (theorem3, MinSource::Theorem3)
    } else if theorem30.less_than(theorem3) {
        (theorem30, MinSource::Theorem30)
    } else {
        (theorem3, MinSource::Equal)
    }
}

/// Theorem 30's `M_i` for every layer of `widths` (see [`m_i`]).
///
/// # Errors
/// As [`m_i`].
pub fn m_all(k_prime: f64, widths: &Widths, delta: f64) -> Result<Vec<Count>, ParamError> {
    let n = widths.as_slice();
    let n_star = widths.n_star();
    n.windows(2)
        .map(|w| m_i(k_prime, w[1], w[0], n_star, delta))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lemma1::{NormModel, epsilon_w_relu};
    use crate::prec::{HAND_6, SAME_FORMULA, assert_rel};
    use crate::theorem3;

    fn kp(norms: NormModel) -> (LogNum, f64) {
        let w = Widths::uniform(100, 10).unwrap();
        let e = epsilon_w_relu(0.01, &w, 1.0, 1.0, &norms).unwrap();
        (e, theorem3::k_prime(e, 1.0).unwrap())
    }

    #[test]
    fn example32_by_hand() {
        // Ex. 5: 2·39.249056·(10^4 + 400 ln(2·39.249056·10^5/0.01)) = 78.498113·(10^4 + 400·20.48129)
        let (_, k5) = kp(NormModel::SpectralAtMostOne);
        let m5 = m_i(k5, 100, 100, 1e5, 0.01).unwrap();
        assert_rel(m5.per(1e4).unwrap().value(), 142.8075, HAND_6);
        assert!(m5.per(1e4).unwrap().value() <= 144.0);
        // Ex. 6: 2·152.826528·(10^4 + 400 ln(3.056531e9)) = 305.653·(10^4 + 400·21.84066)
        let (_, k6) = kp(NormModel::WorstCaseMaxWidth);
        let m6 = m_i(k6, 100, 100, 1e5, 0.01).unwrap();
        assert_rel(m6.per(1e4).unwrap().value(), 572.6783, HAND_6);
        assert!(m6.per(1e4).unwrap().value() <= 574.0);
    }

    #[test]
    fn proof_count_by_hand_and_below_printed() {
        let (e, k5) = kp(NormModel::SpectralAtMostOne);
        let k = theorem3::k(e, 1.0).unwrap();
        let dw = delta_w(0.01, 1e5).unwrap();
        assert_rel(dw.value(), 5e-8, SAME_FORMULA);
        // m = ⌈8 · 39.249056 · ln(39.249056 / 5e-8)⌉ = ⌈313.99245 · 20.48129⌉ = 6431
        assert_eq!(m(k5, dw).unwrap().as_u64(), Some(6431));
        // 100 · 6431 + 2 · 38 · 10^4 = 1403100
        let p = neurons_from_proof(k5, k, 100, 100, 1e5, 0.01).unwrap();
        assert_eq!(p.as_u64(), Some(1_403_100));
        assert!(p.value() <= m_i(k5, 100, 100, 1e5, 0.01).unwrap().value());
        // Non-uniform widths, n_{i-1} > n_i: max{n_i, n_{i-1}} multiplies m.
        for (out, inp) in [(3u64, 17u64), (17, 3), (1, 1)] {
            for eps_w in [1e-2, 1e-9, 1e-40] {
                let e = LogNum::from_value(eps_w).unwrap();
                let kp = theorem3::k_prime(e, 1.0).unwrap();
                let k = theorem3::k(e, 1.0).unwrap();
                let n_star = (out * inp + 50) as f64;
                let p = neurons_from_proof(kp, k, out, inp, n_star, 0.05).unwrap();
                let printed = m_i(kp, out, inp, n_star, 0.05).unwrap();
                assert!(
                    p.value() <= printed.value(),
                    "{} > {}",
                    p.value(),
                    printed.value()
                );
            }
        }
    }

    #[test]
    fn min_never_exceeds_either() {
        let a = Count::ceil_f64(10.0);
        let b = Count::ceil_f64(20.0);
        assert_eq!(min_m_i(a, b), (a, MinSource::Theorem3));
        assert_eq!(min_m_i(b, a), (a, MinSource::Theorem30));
        assert_eq!(min_m_i(a, a), (a, MinSource::Equal));
        assert_eq!(MinSource::Theorem30.as_str(), "theorem30");
    }

    #[test]
    fn every_error_case() {
        assert!(matches!(
            m_i(1.0, 1, 1, 1.0, 0.1),
            Err(ParamError::OutOfRange { .. })
        ));
        assert!(matches!(
            m_i(2.0, 1, 1, 0.5, 0.1),
            Err(ParamError::OutOfRange { name: "N*", .. })
        ));
        assert!(matches!(
            m_i(2.0, 1, 1, f64::NAN, 0.1),
            Err(ParamError::OutOfRange { name: "N*", .. })
        ));
        assert_eq!(
            m_i(2.0, 1, 0, 1.0, 0.1),
            Err(ParamError::Width { index: 0, value: 0 })
        );
        assert_eq!(m_i(2.0, 1, 1, 1.0, -0.1), Err(ParamError::Delta(-0.1)));
        assert!(delta_w(0.0, 1.0).is_err());
        assert!(m(2.0, LogNum::from_value(1.0).unwrap()).is_err());
        assert!(neurons_from_proof(2.0, 0, 1, 1, 1.0, 0.1).is_err());
    }

    #[test]
    fn all_layers_of_a_nonuniform_net() {
        let w = Widths::new(vec![784, 300, 100, 10]).unwrap();
        let all = m_all(20.0, &w, 0.01).unwrap();
        assert_eq!(all.len(), 3);
        let n_star = 784.0 * 300.0 + 300.0 * 100.0 + 1000.0;
        let direct =
            (2.0 * 20.0 * (784.0 * 300.0 + 4.0 * 784.0 * (2.0 * 20.0 * n_star / 0.01f64).ln()))
                .ceil();
        assert_eq!(all[0].value(), direct);
    }
}
