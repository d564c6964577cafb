//! The hyperbolic weight densities of Section 5, Theorem 3's range, and the log-domain path.
//!
//! Section 5 defines, for `0 < α < β`,
//!
//! ```text
//! p_{w≥0}(w) = 1 / (w ln(β/α))            on [α, β]              (Hyperbolic)
//! p_w(w) = p_w(-w) = p_{w≥0}(|w|) / 2     on [-β,-α] ∪ [α, β]    (SignedHyperbolic)
//! ```
//!
//! `ln w` is uniform on `[ln α, ln β]` under `p_{w≥0}` (Lemma 28's proof), so Remark 11's
//! inverse cdf `w = α (β/α)^u` is `ln w = ln α + u ln(β/α)`: both types store `ln α` and
//! `ln(β/α)`, and a sample is one multiply-add and one `exp`. The golden-ratio intervals of
//! Lemma 9 are decided on `ln|w|`, and the product of two weights (Lemma 28, Theorem 3 step 1)
//! adds logarithms, so [`SignedHyperbolic::sample_log_bits`] returns a [`LogWeight`]
//! `(ln|w|, sign)` and skips the `exp` altogether.

use core::ops::Mul;

use logprune_bounds::{LogNum, theorem3};

use rand::Rng;

use crate::error::check_probability;
use crate::{Continuous, LogSampleBits, SampleBits, SamplingError, negative_bit, unit_open};

/// Theorem 3's range `[α, β] = [α'/q, β'/q]` of the weights of G, with `α' = 2ε_w/9`,
/// `β' = 2w_max/3` and `q = (α'β')^{1/4}`, as computed by `logprune_bounds::theorem3::
/// weight_range` (in the log domain, so it neither overflows nor underflows).
///
/// Returns `(α, β)`. Contract: `0 < α < β`, `αβ = √(α'β')`, and Lemma 28's product range
/// `[α√(αβ), β√(αβ)]` is exactly `[α', β'] = [2ε_w/9, 2w_max/3]`, the range that Corollary 10
/// needs for accuracy `ε_w/2` (Theorem 3, step 2).
///
/// # Errors
/// [`SamplingError::Theorem3`] unless `ε_w` and `w_max` are finite and positive with
/// `ε_w < 2 w_max` (the bounds crate's condition for `k' > 1`; the range alone would only
/// need `α' < β'`, i.e. `ε_w < 3 w_max`), and [`SamplingError::Range`] if `α` or `β` is not
/// representable as an `f64`.
///
/// # Example
/// ```
/// // epsilon_w = 9/2 * 1e-4 and w_max = 3/2 give alpha' = 1e-4, beta' = 1, q = 0.1.
/// let (a, b) = logprune_sampling::theorem3_range(4.5e-4, 1.5)?;
/// assert!((a - 1e-3).abs() < 1e-15 && (b - 10.0).abs() < 1e-12);
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
pub fn theorem3_range(epsilon_w: f64, w_max: f64) -> Result<(f64, f64), SamplingError> {
    let err = |source| SamplingError::Theorem3 {
        epsilon_w,
        w_max,
        source,
    };
    let eps = LogNum::from_value(epsilon_w).map_err(err)?;
    let r = theorem3::weight_range(eps, w_max).map_err(err)?;
    let (alpha, beta) = (r.alpha.value(), r.beta.value());
    if !(alpha > 0.0 && beta.is_finite() && alpha < beta) {
        return Err(SamplingError::Range { alpha, beta });
    }
    Ok((alpha, beta))
}

/// The hyperbolic density `p_{w≥0}(w) = 1/(w ln(β/α))` on `[α, β]` (Section 5; Lemma 9's
/// `P_ε` and Lemma 28's `P_v` are instances).
///
/// Sampled by Remark 11's inverse cdf `α(β/α)^u` from one 64-bit word ([`SampleBits`]).
///
/// # Example
/// ```
/// use logprune_sampling::{Continuous, Hyperbolic};
/// use rand::SeedableRng;
/// use rand_distr::Distribution;
///
/// let h = Hyperbolic::new(0.01, 1.0)?;
/// assert!((h.cdf(0.1) - 0.5).abs() < 1e-15); // ln 0.1 is halfway between ln 0.01 and ln 1
/// assert_eq!(h.inverse_cdf(1.0)?, 1.0);
/// let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
/// let w = h.sample(&mut rng);
/// assert!((0.01..=1.0).contains(&w));
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyperbolic {
    alpha: f64,
    beta: f64,
    ln_alpha: f64,
    ln_ratio: f64,
}

impl Hyperbolic {
    /// The density on `[alpha, beta]`.
    ///
    /// # Errors
    /// [`SamplingError::Range`] unless `alpha` and `beta` are finite with `0 < alpha < beta`
    /// and `ln beta − ln alpha > 0` in floating point.
    pub fn new(alpha: f64, beta: f64) -> Result<Self, SamplingError> {
        if !(alpha > 0.0 && beta.is_finite() && alpha < beta) {
            return Err(SamplingError::Range { alpha, beta });
        }
        let ln_alpha = alpha.ln();
        // ln β − ln α rather than ln(β/α): β/α may overflow, the difference cannot.
        let ln_ratio = beta.ln() - ln_alpha;
        if !(ln_ratio > 0.0) {
            return Err(SamplingError::Range { alpha, beta });
        }
        Ok(Hyperbolic {
            alpha,
            beta,
            ln_alpha,
            ln_ratio,
        })
    }

    /// The density on Theorem 3's range for accuracy `epsilon_w` and weight bound `w_max`
    /// (see [`theorem3_range`]).
    ///
    /// # Errors
    /// As [`theorem3_range`].
    pub fn theorem3(epsilon_w: f64, w_max: f64) -> Result<Self, SamplingError> {
        let (alpha, beta) = theorem3_range(epsilon_w, w_max)?;
        Hyperbolic::new(alpha, beta)
    }

    /// The lower end `α` of the support.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The upper end `β` of the support.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// `ln α`.
    pub fn ln_alpha(&self) -> f64 {
        self.ln_alpha
    }

    /// `ln(β/α) > 0`; its inverse is the normalization `c` of Lemma 28 (`c'` of Lemma 9).
    pub fn ln_ratio(&self) -> f64 {
        self.ln_ratio
    }

    /// Remark 11's inverse cdf: returns `α(β/α)^u`, clamped to `[α, β]` against rounding.
    ///
    /// Contract: nondecreasing in `u`, `inverse_cdf(0) = α`, `inverse_cdf(1) = β` (up to
    /// rounding of `exp`, then clamped).
    ///
    /// # Errors
    /// [`SamplingError::Probability`] unless `0 ≤ u ≤ 1`.
    pub fn inverse_cdf(&self, u: f64) -> Result<f64, SamplingError> {
        let u = check_probability(u)?;
        Ok(self.at_uniform(u))
    }

    /// `ln` of [`Hyperbolic::inverse_cdf`]: `ln α + u ln(β/α)`, clamped to `[ln α, ln β]`.
    ///
    /// # Errors
    /// [`SamplingError::Probability`] unless `0 ≤ u ≤ 1`.
    pub fn ln_inverse_cdf(&self, u: f64) -> Result<f64, SamplingError> {
        let u = check_probability(u)?;
        Ok((self.ln_alpha + self.ln_ratio * u).min(self.ln_alpha + self.ln_ratio))
    }

    /// `ln w` of the sample encoded by `bits`: `ln α + ln(β/α) · unit_open(bits)`, one
    /// multiply-add, no `exp` (the log-domain path).
    ///
    /// Contract: `exp` of the result is [`SampleBits::sample_bits`] up to clamping (equal within
    /// an ulp or two of `exp`).
    #[inline(always)]
    pub fn sample_ln_bits(&self, bits: u64) -> f64 {
        self.ln_alpha + self.ln_ratio * unit_open(bits)
    }

    /// Draws `ln w` for `w ~ p_{w≥0}`: one `u64` from `rng`, no `exp`. Returns the same value
    /// as [`Hyperbolic::sample_ln_bits`] of that word.
    #[inline]
    pub fn sample_ln<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.sample_ln_bits(rng.next_u64())
    }

    #[inline(always)]
    fn at_uniform(&self, u: f64) -> f64 {
        (self.ln_alpha + self.ln_ratio * u)
            .exp()
            .clamp(self.alpha, self.beta)
    }
}

impl SampleBits for Hyperbolic {
    /// `α(β/α)^u` with `u = unit_open(bits)`, in `[α, β]`.
    #[inline(always)]
    fn sample_bits(&self, bits: u64) -> f64 {
        self.at_uniform(unit_open(bits))
    }
}

impl Continuous for Hyperbolic {
    /// `1/(w ln(β/α))` on `[α, β]`, else 0.
    fn pdf(&self, w: f64) -> f64 {
        if w.is_nan() {
            return f64::NAN;
        }
        if w < self.alpha || w > self.beta {
            return 0.0;
        }
        1.0 / (w * self.ln_ratio)
    }

    /// `ln(w/α) / ln(β/α)` on `[α, β]`, 0 below, 1 above.
    fn cdf(&self, w: f64) -> f64 {
        if w.is_nan() {
            return f64::NAN;
        }
        if w <= self.alpha {
            return 0.0;
        }
        if w >= self.beta {
            return 1.0;
        }
        ((w.ln() - self.ln_alpha) / self.ln_ratio).clamp(0.0, 1.0)
    }
}

/// The symmetric hyperbolic density `p_w(w) = 1/(2|w| ln(β/α))` on `[-β, -α] ∪ [α, β]`
/// (Section 5): the distribution of every weight of G.
///
/// A sample is the magnitude of [`Hyperbolic`] and an independent fair sign; from one 64-bit
/// word, the magnitude uses the top 53 bits ([`unit_open`]) and the sign bit 0
/// ([`negative_bit`]).
///
/// # Example
/// ```
/// use logprune_sampling::{Continuous, SignedHyperbolic};
/// let p = SignedHyperbolic::theorem3(1e-2, 1.0)?;
/// assert_eq!(p.cdf(0.0), 0.5);
/// assert!(p.pdf(0.5 * p.alpha()) == 0.0 && p.pdf(p.alpha()) > 0.0);
/// // ln|w| and the sign, no exp; the product of two weights adds logarithms (Lemma 28).
/// let (x, y) = (p.sample_log_bits(12345), p.sample_log_bits(u64::MAX / 3));
/// let xy = x * y;
/// assert!((xy.value() - x.value() * y.value()).abs() < 1e-15);
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SignedHyperbolic {
    magnitude: Hyperbolic,
}

impl SignedHyperbolic {
    /// The density on `[-beta, -alpha] ∪ [alpha, beta]`.
    ///
    /// # Errors
    /// As [`Hyperbolic::new`].
    pub fn new(alpha: f64, beta: f64) -> Result<Self, SamplingError> {
        Ok(SignedHyperbolic {
            magnitude: Hyperbolic::new(alpha, beta)?,
        })
    }

    /// The density on Theorem 3's range (see [`theorem3_range`]).
    ///
    /// # Errors
    /// As [`theorem3_range`].
    pub fn theorem3(epsilon_w: f64, w_max: f64) -> Result<Self, SamplingError> {
        Ok(SignedHyperbolic {
            magnitude: Hyperbolic::theorem3(epsilon_w, w_max)?,
        })
    }

    /// The distribution of `|w|`, that is `p_{w≥0}`.
    pub fn magnitude(&self) -> &Hyperbolic {
        &self.magnitude
    }

    /// `α`, the smallest magnitude.
    pub fn alpha(&self) -> f64 {
        self.magnitude.alpha
    }

    /// `β`, the largest magnitude.
    pub fn beta(&self) -> f64 {
        self.magnitude.beta
    }

    /// The inverse cdf: `-F⁻¹(1 − 2u)` for `u < 1/2`, `F⁻¹(2u − 1)` for `u ≥ 1/2`, where `F⁻¹`
    /// is [`Hyperbolic::inverse_cdf`] of the magnitude.
    ///
    /// # Errors
    /// [`SamplingError::Probability`] unless `0 ≤ u ≤ 1`.
    pub fn inverse_cdf(&self, u: f64) -> Result<f64, SamplingError> {
        let u = check_probability(u)?;
        if u < 0.5 {
            Ok(-self.magnitude.at_uniform(1.0 - 2.0 * u))
        } else {
            Ok(self.magnitude.at_uniform(2.0 * u - 1.0))
        }
    }

    /// The sample encoded by `bits` in the log domain: `ln|w|` from the top 53 bits (one
    /// multiply-add, no `exp`) and the sign from bit 0.
    ///
    /// Contract: `sample_log_bits(b).value()` equals `sample_bits(b)` up to an ulp or two of `exp`.
    #[inline(always)]
    pub fn sample_log_bits(&self, bits: u64) -> LogWeight {
        LogWeight {
            ln_abs: self.magnitude.sample_ln_bits(bits),
            negative: negative_bit(bits),
        }
    }

    /// Draws a weight in the log domain from one `u64` of `rng` (see
    /// [`SignedHyperbolic::sample_log_bits`]).
    #[inline]
    pub fn sample_log<R: Rng + ?Sized>(&self, rng: &mut R) -> LogWeight {
        self.sample_log_bits(rng.next_u64())
    }
}

impl SampleBits for SignedHyperbolic {
    /// `±α(β/α)^u`: magnitude from the top 53 bits, sign from bit 0.
    #[inline(always)]
    fn sample_bits(&self, bits: u64) -> f64 {
        let m = self.magnitude.sample_bits(bits);
        if negative_bit(bits) { -m } else { m }
    }
}

impl LogSampleBits for SignedHyperbolic {
    /// [`SignedHyperbolic::sample_log_bits`]: `ln|w| = ln α + u ln(β/α)` (one multiply-add, no
    /// `exp`) and the sign from bit 0. `value()` is `exp` of the same `ln|w|` that
    /// [`SampleBits::sample_bits`] exponentiates, so the two agree exactly except where
    /// `sample_bits` clamps to `[α, β]` (an ulp or two of `exp`).
    #[inline(always)]
    fn sample_log_bits(&self, bits: u64) -> LogWeight {
        SignedHyperbolic::sample_log_bits(self, bits)
    }
}

impl Continuous for SignedHyperbolic {
    /// `1/(2|w| ln(β/α))` for `α ≤ |w| ≤ β`, else 0.
    fn pdf(&self, w: f64) -> f64 {
        0.5 * self.magnitude.pdf(w.abs())
    }

    /// `(1 − F(|w|))/2` for `w < 0`, `(1 + F(w))/2` for `w ≥ 0`, `F` the magnitude's cdf.
    fn cdf(&self, w: f64) -> f64 {
        if w < 0.0 {
            0.5 * (1.0 - self.magnitude.cdf(-w))
        } else {
            0.5 * (1.0 + self.magnitude.cdf(w))
        }
    }
}

/// A weight in the log domain: `w = (−1)^negative · exp(ln_abs)`.
///
/// The golden-ratio intervals `(γ^{s+1}, γ^s]·w_max` of Lemma 9 are decided on `ln|w|`, and the
/// product `V·U` of two weights (Theorem 3, step 1) is a sum of logarithms and an exclusive-or
/// of signs ([`Mul`]), so a product needs no `exp` (ARCHITECTURE.md, cost model).
///
/// ```
/// use logprune_sampling::LogWeight;
/// let a = LogWeight::from_value(-0.5);
/// let b = LogWeight::from_value(0.25);
/// let p = a * b;
/// assert!(p.negative && (p.value() + 0.125).abs() < 1e-16);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogWeight {
    /// `ln|w|`.
    pub ln_abs: f64,
    /// Whether `w < 0`.
    pub negative: bool,
}

impl LogWeight {
    /// The log-domain form of `w`: `ln_abs = ln|w|` (`-inf` for 0, `NaN` for `NaN`), `negative`
    /// from the sign bit of `w`.
    pub fn from_value(w: f64) -> Self {
        LogWeight {
            ln_abs: w.abs().ln(),
            negative: w.is_sign_negative(),
        }
    }

    /// `|w| = exp(ln_abs)`.
    #[inline]
    pub fn abs(self) -> f64 {
        self.ln_abs.exp()
    }

    /// `w = ±exp(ln_abs)`.
    #[inline]
    pub fn value(self) -> f64 {
        let m = self.ln_abs.exp();
        if self.negative { -m } else { m }
    }
}

impl Mul for LogWeight {
    type Output = LogWeight;

    /// The product: logarithms add, signs multiply.
    #[inline(always)]
    fn mul(self, rhs: LogWeight) -> LogWeight {
        LogWeight {
            ln_abs: self.ln_abs + rhs.ln_abs,
            negative: self.negative ^ rhs.negative,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::special::prec;

    #[test]
    fn theorem3_range_matches_the_paper_by_hand() {
        // epsilon_w = 0.09, w_max = 1.5: alpha' = 0.02, beta' = 1, q = 0.02^{1/4}.
        let (a, b) = theorem3_range(0.09, 1.5).unwrap();
        let q = 0.02_f64.powf(0.25);
        assert!((a - 0.02 / q).abs() <= prec::REL * a);
        assert!((b - 1.0 / q).abs() <= prec::REL * b);
        // Lemma 28's product range is [alpha', beta'].
        let s = (a * b).sqrt();
        assert!((a * s - 0.02).abs() <= prec::REL * 0.02);
        assert!((b * s - 1.0).abs() <= prec::REL);
    }

    #[test]
    fn theorem3_range_refuses_bad_input() {
        for (e, w) in [
            (0.0, 1.0),
            (-1.0, 1.0),
            (f64::NAN, 1.0),
            (1.0, f64::INFINITY),
            (2.0, 1.0),
            (3.0, 1.0),
            (1e-3, 0.0),
        ] {
            assert!(
                matches!(theorem3_range(e, w), Err(SamplingError::Theorem3 { .. })),
                "epsilon_w = {e}, w_max = {w}"
            );
        }
        // Tiny and huge, but valid: no underflow to 0, no overflow.
        let (a, b) = theorem3_range(1e-300, 1e300).unwrap();
        assert!(a > 0.0 && b.is_finite() && a < b);
    }

    #[test]
    fn constructors_refuse_bad_ranges() {
        for (a, b) in [
            (0.0, 1.0),
            (-1.0, 1.0),
            (1.0, 1.0),
            (2.0, 1.0),
            (f64::NAN, 1.0),
            (0.1, f64::NAN),
            (0.1, f64::INFINITY),
            (1.0, 1.0 + f64::EPSILON / 4.0),
        ] {
            assert!(matches!(
                Hyperbolic::new(a, b),
                Err(SamplingError::Range { .. })
            ));
            assert!(matches!(
                SignedHyperbolic::new(a, b),
                Err(SamplingError::Range { .. })
            ));
        }
        let h = Hyperbolic::new(0.5, 2.0).unwrap();
        for u in [-0.1, 1.1, f64::NAN] {
            assert!(matches!(
                h.inverse_cdf(u),
                Err(SamplingError::Probability { .. })
            ));
        }
    }

    #[test]
    fn pdf_cdf_inverse_by_hand() {
        // [1/e, e]: ln-ratio 2, pdf(1) = 1/2, cdf(1) = 1/2.
        let e = core::f64::consts::E;
        let h = Hyperbolic::new(1.0 / e, e).unwrap();
        assert!((h.ln_ratio() - 2.0).abs() <= prec::REL * 2.0);
        assert!((h.pdf(1.0) - 0.5).abs() <= prec::REL);
        assert!((h.cdf(1.0) - 0.5).abs() <= prec::REL);
        assert_eq!(h.pdf(0.3), 0.0);
        assert_eq!(h.cdf(0.3), 0.0);
        assert_eq!(h.cdf(3.0), 1.0);
        assert!((h.inverse_cdf(0.5).unwrap() - 1.0).abs() <= prec::REL);
        assert!((h.inverse_cdf(0.75).unwrap() - e.sqrt()).abs() <= prec::REL * 2.0);
        assert!((h.ln_inverse_cdf(0.75).unwrap() - 0.5).abs() <= prec::REL);
        let s = SignedHyperbolic::new(1.0 / e, e).unwrap();
        assert!((s.pdf(-1.0) - 0.25).abs() <= prec::REL);
        assert!((s.cdf(-1.0) - 0.25).abs() <= prec::REL);
        assert!((s.cdf(1.0) - 0.75).abs() <= prec::REL);
        assert!((s.inverse_cdf(0.25).unwrap() + 1.0).abs() <= prec::REL);
        assert!((s.inverse_cdf(0.75).unwrap() - 1.0).abs() <= prec::REL);
    }

    #[test]
    fn extreme_words_stay_in_the_support() {
        let h = Hyperbolic::new(1e-7, 3.0).unwrap();
        let s = SignedHyperbolic::new(1e-7, 3.0).unwrap();
        for bits in [0, 1, u64::MAX, u64::MAX - 1, 1 << 63] {
            let w = h.sample_bits(bits);
            assert!((1e-7..=3.0).contains(&w));
            let v = s.sample_bits(bits);
            assert!((1e-7..=3.0).contains(&v.abs()));
            assert_eq!(v < 0.0, negative_bit(bits));
            let lw = s.sample_log_bits(bits);
            assert!((lw.value() - v).abs() <= prec::REL * 4.0 * v.abs());
        }
    }

    #[test]
    fn log_weight_products() {
        let a = LogWeight::from_value(-3.0);
        let b = LogWeight::from_value(-0.5);
        let p = a * b;
        assert!(!p.negative);
        assert!((p.value() - 1.5).abs() <= prec::REL * 2.0);
        assert_eq!(LogWeight::from_value(0.0).ln_abs, f64::NEG_INFINITY);
    }
}
