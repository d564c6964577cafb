//! Symmetric weight distributions drawn from one 64-bit word with the sign from bit 0, like
//! [`crate::SignedHyperbolic`]: the uniform law on `[-a, a]` (Malach et al.'s sampling, the
//! baseline of Remark 16) and the centred Gaussian (Remark 16's other baseline).
//!
//! Both are written as an independent fair sign times a magnitude, `w = ±m(u)`, with `u` from
//! the top 53 bits ([`unit_open`]) and the sign from bit 0 ([`negative_bit`]), which `u` does
//! not use. `m` is the quantile function of `|w|`: `a·u` for [`SignedUniform`], `σ` times the
//! half-normal quantile for [`SignedGaussian`]. So each weight of G is one word, as for the
//! hyperbolic density of Section 5, whereas [`crate::Uniform`] (`a(2u − 1)`, no sign bit) and
//! [`crate::Gaussian`] (a ziggurat that may take several words) cannot be split that way.
//! Both also give `(ln|w|, sign)` ([`LogSampleBits`]).

use crate::error::{check_probability, check_scale};
use crate::special::{erfc, half_normal_quantile_with_tail, normal_quantile};
use crate::{
    Continuous, LogSampleBits, LogWeight, SampleBits, SamplingError, negative_bit, unit_open,
};

/// The uniform density `1/(2a)` on `[-a, a]`, sampled as an independent fair sign times a
/// magnitude uniform on `(0, a)`.
///
/// From one 64-bit word: `w = ±a·u`, `u = unit_open(bits)` (top 53 bits), negative when bit 0
/// is set ([`negative_bit`]). The law is the same as [`crate::Uniform`]'s, but the word is
/// read differently: the sign is bit 0 and `|w|` is `a·u`, so `ln|w| = ln a + ln u`
/// ([`LogSampleBits`]) and the magnitude of the weight of G with the same word is the same
/// quantile `u` as for [`crate::SignedHyperbolic`].
///
/// Contract: `|w| = a·u ∈ [a·2^-54, a]`, never 0; `|w| = a` only for the `2^11` words whose
/// top 53 bits are all set, where [`unit_open`] rounds to 1. Bit 0 flips the sign and nothing
/// else, so the law is exactly symmetric.
///
/// # Example
/// ```
/// use logprune_sampling::{Continuous, LogSampleBits, SampleBits, SignedUniform};
/// let d = SignedUniform::new(2.0)?;
/// assert_eq!(d.cdf(1.0), 0.75);
/// // Word 1 << 62 has u = 1/4 + 2^-54 and bit 0 clear; word (1 << 62) | 1 is its negative.
/// let w = d.sample_bits(1 << 62);
/// assert_eq!(w, 0.5 + 2f64.powi(-53));
/// assert_eq!(d.sample_bits((1 << 62) | 1), -w);
/// let lw = d.sample_log_bits((1 << 62) | 1);
/// assert!(lw.negative && (lw.value() + w).abs() <= 4.0 * f64::EPSILON);
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SignedUniform {
    a: f64,
    ln_a: f64,
}

impl SignedUniform {
    /// The uniform law on `[-a, a]`.
    ///
    /// # Errors
    /// [`SamplingError::Scale`] (naming `a`) unless `a` is finite and positive.
    pub fn new(a: f64) -> Result<Self, SamplingError> {
        let a = check_scale("a", a)?;
        Ok(SignedUniform { a, ln_a: a.ln() })
    }

    /// The half-width `a`.
    pub fn half_width(&self) -> f64 {
        self.a
    }

    /// The inverse cdf of the law, `a(2u − 1)` (the law's quantile function; the one-word
    /// sampler reads the word as sign and magnitude instead, see the type's documentation).
    ///
    /// # Errors
    /// [`SamplingError::Probability`] unless `0 ≤ u ≤ 1`.
    pub fn inverse_cdf(&self, u: f64) -> Result<f64, SamplingError> {
        Ok(self.a * (2.0 * check_probability(u)? - 1.0))
    }
}

impl SampleBits for SignedUniform {
    /// `±a·u` with `u = unit_open(bits)`, negative when bit 0 is set.
    #[inline(always)]
    fn sample_bits(&self, bits: u64) -> f64 {
        let m = self.a * unit_open(bits);
        if negative_bit(bits) { -m } else { m }
    }
}

impl LogSampleBits for SignedUniform {
    /// `ln|w| = ln a + ln u`, `u = unit_open(bits)` (finite: `u ≥ 2^-54`), and the sign from
    /// bit 0.
    ///
    /// Accuracy: `value()` is [`SampleBits::sample_bits`] of the same word within a relative
    /// `4ε(1 + |ln a| + |ln u|)` (`ε = f64::EPSILON`): the rounding of the two logarithms and
    /// their sum, carried through `exp`.
    #[inline(always)]
    fn sample_log_bits(&self, bits: u64) -> LogWeight {
        LogWeight {
            ln_abs: self.ln_a + unit_open(bits).ln(),
            negative: negative_bit(bits),
        }
    }
}

impl Continuous for SignedUniform {
    /// `1/(2a)` on `[-a, a]`, else 0.
    fn pdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            f64::NAN
        } else if x.abs() <= self.a {
            0.5 / self.a
        } else {
            0.0
        }
    }

    /// `(x + a)/(2a)` clamped to `[0, 1]`.
    fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        ((x + self.a) / (2.0 * self.a)).clamp(0.0, 1.0)
    }
}

/// The centred Gaussian `N(0, σ²)`, density `exp(−x²/(2σ²)) / (σ√(2π))`, sampled from one
/// 64-bit word as an independent fair sign times a half-normal magnitude.
///
/// From one word: `w = ±σ·Φ⁻¹((1 + u)/2)`, `u = unit_open(bits)` (top 53 bits), negative when
/// bit 0 is set ([`negative_bit`]). `Φ⁻¹((1 + u)/2)` is the quantile of `|Z|`, computed as in
/// [`crate::half_normal_quantile`] (Wichura's AS241, relative accuracy about `1e-16`), which
/// never forms `(1 + u)/2`: the central region takes `u/2`, so small `u` keep their relative
/// accuracy, and the tail (`u > 0.85`) takes `1 − u` exactly from the word, as
/// `unit_open(!bits) = 1 − (k + 1/2)·2^-53` with `k` the top 53 bits (where `unit_open(bits)`
/// itself rounds, and is 1 for the top word). Unlike [`crate::Gaussian`] (a ziggurat that
/// sometimes needs more than one word), one weight of G is one word.
///
/// Contract: `|w| ∈ [6.96·10^-17 σ, 8.37σ]` (the half-normal quantiles of `u = 2^-54` and
/// `u = 1 − 2^-54`), finite and never 0; bit 0 flips the sign and nothing else; the law is
/// `N(0, σ²)` up to the 53-bit resolution of `u` (the tails beyond `8.37σ`, of probability
/// `2^-54`, are cut).
///
/// # Example
/// ```
/// use logprune_sampling::{Continuous, LogSampleBits, SampleBits, SignedGaussian};
/// let g = SignedGaussian::new(2.0)?;
/// assert_eq!(g.cdf(0.0), 0.5);
/// // Word 1 << 63 has u = 1/2 + 2^-54: |w| = 2·Φ⁻¹(3/4) = 1.3489795003921634.
/// let w = g.sample_bits(1 << 63);
/// assert!((w - 1.3489795003921634).abs() <= 1e-15);
/// assert_eq!(g.sample_bits((1 << 63) | 1), -w);
/// let lw = g.sample_log_bits(1 << 63);
/// assert!(!lw.negative && (lw.value() - w).abs() <= 1e-15);
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SignedGaussian {
    sigma: f64,
    ln_sigma: f64,
}

impl SignedGaussian {
    /// The centred Gaussian with standard deviation `sigma`.
    ///
    /// # Errors
    /// [`SamplingError::Scale`] (naming `sigma`) unless `sigma` is finite and positive.
    pub fn new(sigma: f64) -> Result<Self, SamplingError> {
        let sigma = check_scale("sigma", sigma)?;
        Ok(SignedGaussian {
            sigma,
            ln_sigma: sigma.ln(),
        })
    }

    /// The standard deviation `σ`.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// The inverse cdf of the law, `σ·Φ⁻¹(u)` ([`crate::normal_quantile`]): `∓∞` at `u = 0`
    /// and `u = 1`.
    ///
    /// # Errors
    /// [`SamplingError::Probability`] unless `0 ≤ u ≤ 1`.
    pub fn inverse_cdf(&self, u: f64) -> Result<f64, SamplingError> {
        Ok(self.sigma * normal_quantile(u)?)
    }
}

/// `Φ⁻¹((1 + u)/2)`, the half-normal quantile of the word's uniform `u = unit_open(bits)`.
///
/// In the upper tail (`u > 0.85`) `1 − u` is read from the word as `unit_open(!bits)`, which
/// is exactly `1 − (k + 1/2)·2^-53` (`k` the top 53 bits): `1 − unit_open(bits)` would lose the
/// `1/2` there, where [`unit_open`] rounds, and would be 0 for the top word (then the quantile
/// would be `+∞`). So the magnitude of the top word is `Φ⁻¹(1 − 2^-55) ≈ 8.37`, not infinite.
#[inline(always)]
fn half_normal_of_bits(bits: u64) -> f64 {
    half_normal_quantile_with_tail(unit_open(bits), || unit_open(!bits))
}

impl SampleBits for SignedGaussian {
    /// `±σ·Φ⁻¹((1 + u)/2)` with `u = unit_open(bits)`, negative when bit 0 is set.
    #[inline(always)]
    fn sample_bits(&self, bits: u64) -> f64 {
        let m = self.sigma * half_normal_of_bits(bits);
        if negative_bit(bits) { -m } else { m }
    }
}

impl LogSampleBits for SignedGaussian {
    /// `ln|w| = ln σ + ln Φ⁻¹((1 + u)/2)`, `u = unit_open(bits)`, and the sign from bit 0.
    ///
    /// Accuracy: `value()` is [`SampleBits::sample_bits`] of the same word within a relative
    /// `4ε(1 + |ln σ| + |ln(|w|/σ)|)` (`ε = f64::EPSILON`).
    #[inline(always)]
    fn sample_log_bits(&self, bits: u64) -> LogWeight {
        LogWeight {
            ln_abs: self.ln_sigma + half_normal_of_bits(bits).ln(),
            negative: negative_bit(bits),
        }
    }
}

impl Continuous for SignedGaussian {
    /// `exp(−x²/(2σ²)) / (σ√(2π))`.
    fn pdf(&self, x: f64) -> f64 {
        let z = x / self.sigma;
        (-0.5 * z * z).exp() / (self.sigma * (2.0 * core::f64::consts::PI).sqrt())
    }

    /// `erfc(−x/(σ√2))/2`, accurate in both tails.
    fn cdf(&self, x: f64) -> f64 {
        0.5 * erfc(-x / (self.sigma * core::f64::consts::SQRT_2))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::special::prec;

    /// Words that exercise both ends of `u`, both signs and the middle.
    const EXTREME_WORDS: [u64; 6] = [0, 1, u64::MAX, u64::MAX - 1, 1 << 63, (1 << 63) | 1];

    #[test]
    fn constructors_refuse_bad_scales() {
        for bad in [0.0, -0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = SignedUniform::new(bad).unwrap_err();
            assert!(matches!(e, SamplingError::Scale { name: "a", .. }), "{e}");
            let e = SignedGaussian::new(bad).unwrap_err();
            assert!(
                matches!(e, SamplingError::Scale { name: "sigma", .. }),
                "{e}"
            );
        }
        // The message names the value.
        let msg = SignedGaussian::new(-2.5).unwrap_err().to_string();
        assert!(msg.contains("sigma = -2.5"), "{msg}");
        // Tiny and huge, but valid.
        assert!(SignedUniform::new(f64::MIN_POSITIVE).is_ok());
        assert!(SignedGaussian::new(f64::MAX).is_ok());
        let d = SignedGaussian::new(1.0).unwrap();
        for u in [-0.1, 1.1, f64::NAN] {
            assert!(matches!(
                d.inverse_cdf(u),
                Err(SamplingError::Probability { .. })
            ));
            assert!(matches!(
                SignedUniform::new(1.0).unwrap().inverse_cdf(u),
                Err(SamplingError::Probability { .. })
            ));
        }
    }

    #[test]
    fn signed_uniform_by_hand() {
        let d = SignedUniform::new(4.0).unwrap();
        assert_eq!(d.half_width(), 4.0);
        assert_eq!(d.pdf(-4.0), 0.125);
        assert_eq!(d.pdf(4.5), 0.0);
        assert_eq!(d.cdf(-1.0), 0.375);
        assert_eq!(d.cdf(-5.0), 0.0);
        assert_eq!(d.cdf(5.0), 1.0);
        assert!(d.cdf(f64::NAN).is_nan() && d.pdf(f64::NAN).is_nan());
        assert_eq!(d.inverse_cdf(0.25).unwrap(), -2.0);
        // Word 0: u = 2^-54, positive; u64::MAX: u = 1 − 2^-54, negative.
        assert_eq!(d.sample_bits(0), 4.0 * 2f64.powi(-54));
        assert_eq!(d.sample_bits(u64::MAX), -4.0 * (1.0 - 2f64.powi(-54)));
        // Bit 0 flips the sign and nothing else.
        for bits in EXTREME_WORDS {
            assert_eq!(d.sample_bits(bits ^ 1), -d.sample_bits(bits));
        }
    }

    #[test]
    fn signed_gaussian_by_hand() {
        let g = SignedGaussian::new(1.0).unwrap();
        assert!((g.pdf(0.0) - 0.3989422804014327).abs() <= prec::REL);
        // Φ(-1.96) = 0.024997895148220435.
        assert!((g.cdf(-1.96) - 0.024997895148220435).abs() <= prec::REL);
        assert!((g.inverse_cdf(0.024997895148220435).unwrap() + 1.96).abs() <= prec::REL * 2.0);
        assert_eq!(g.inverse_cdf(0.0).unwrap(), f64::NEG_INFINITY);
        assert_eq!(g.inverse_cdf(1.0).unwrap(), f64::INFINITY);
        // Word 0: u = 2^-54, |w| = Φ⁻¹(1/2 + 2^-55) = 2^-55 √(2π) (1 + O(2^-110)).
        let w0 = g.sample_bits(0);
        let want = 2f64.powi(-55) * (2.0 * core::f64::consts::PI).sqrt();
        assert!(w0 > 0.0 && (w0 - want).abs() <= prec::REL * want, "{w0}");
        // u64::MAX: u = 1 − 2^-54 (unit_open rounds it to 1; the tail is read from !bits),
        // negative, |w| = Φ⁻¹(1 − 2^-55) = 8.374388923067457 (bisection on Python's
        // math.erfc, independent of this crate).
        let w1 = g.sample_bits(u64::MAX);
        assert!(
            w1 < 0.0 && (w1 + 8.374388923067457).abs() <= prec::REL * 8.4,
            "{w1}"
        );
        for bits in EXTREME_WORDS {
            assert_eq!(g.sample_bits(bits ^ 1), -g.sample_bits(bits));
        }
        let g3 = SignedGaussian::new(3.0).unwrap();
        assert_eq!(g3.sigma(), 3.0);
        assert_eq!(g3.sample_bits(12345), 3.0 * g.sample_bits(12345));
    }

    /// The documented accuracy of the log path for a sample `w` of scale `scale`:
    /// `4ε(1 + |ln scale| + |ln(|w|/scale)|)`, relative.
    fn log_path_tolerance(scale: f64, w: f64) -> f64 {
        4.0 * f64::EPSILON * (1.0 + scale.ln().abs() + (w.abs() / scale).ln().abs())
    }

    /// Checks the [`LogSampleBits`] contract on `words`: the sign is the sign of
    /// `sample_bits` (bit 0), `ln_abs` is finite, and `value()` is `sample_bits` within
    /// `tol(w)·|w|`. Returns the largest error in units of `tol`.
    fn check_log_contract<D: LogSampleBits>(d: &D, words: &[u64], tol: impl Fn(f64) -> f64) -> f64 {
        let mut worst: f64 = 0.0;
        for &bits in words {
            let w = d.sample_bits(bits);
            let lw = d.sample_log_bits(bits);
            assert!(lw.ln_abs.is_finite(), "word {bits:#x}: {lw:?}");
            assert_eq!(lw.negative, w < 0.0, "word {bits:#x}: {w} vs {lw:?}");
            assert_eq!(lw.negative, negative_bit(bits));
            let err = (lw.value() - w).abs() / (tol(w) * w.abs());
            assert!(
                err <= 1.0,
                "word {bits:#x}: value {:e} vs {w:e}",
                lw.value()
            );
            worst = worst.max(err);
        }
        worst
    }

    #[test]
    fn log_path_agrees_with_sample_bits_on_many_words() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(0x106);
        let mut words: Vec<u64> = (0..100_000).map(|_| rng.next_u64()).collect();
        words.extend(EXTREME_WORDS);
        // Words whose u is near 0, near 1 and at AS241's boundary u = 0.85.
        words.extend((0..64).map(|i| (i << 11) | (i & 1)));
        words.extend((0..64).map(|i| u64::MAX - (i << 11)));
        let b = ((0.85 * 2f64.powi(53)) as u64) << 11;
        words.extend((0..64).map(|i| (b - (32 << 11)) + (i << 11) + (i & 1)));
        // Scales whose samples stay normal f64s (a subnormal |w| has fewer significant bits).
        for scale in [1e-280, 1e-3, 1.0, 7.5, 1e300] {
            let u = SignedUniform::new(scale).unwrap();
            check_log_contract(&u, &words, |w| log_path_tolerance(scale, w));
            let g = SignedGaussian::new(scale).unwrap();
            let worst = check_log_contract(&g, &words, |w| log_path_tolerance(scale, w));
            eprintln!("scale {scale:e}: worst gaussian log-path error {worst:.3} of tolerance");
        }
        // Hyperbolic: the same ln|w| is exponentiated, so equal but at the clamped ends.
        for (alpha, beta) in [(1e-3, 1.0), (1e-200, 1e100), (0.5, 0.5000001)] {
            let h = crate::SignedHyperbolic::new(alpha, beta).unwrap();
            check_log_contract(&h, &words, |_| {
                4.0 * f64::EPSILON * (1.0 + alpha.ln().abs() + beta.ln().abs())
            });
        }
    }

    #[test]
    fn log_path_through_the_trait_object_and_the_rng() {
        use rand::SeedableRng;
        let g = SignedGaussian::new(2.0).unwrap();
        let dists: [&dyn LogSampleBits; 3] = [
            &g,
            &SignedUniform::new(2.0).unwrap(),
            &crate::SignedHyperbolic::new(0.1, 2.0).unwrap(),
        ];
        for d in dists {
            assert_eq!(d.sample_log_bits(77).negative, d.sample_bits(77) < 0.0);
        }
        // sample_log draws one word: the same as sample_log_bits of the generator's next word.
        let mut a = rand_pcg::Pcg64Mcg::seed_from_u64(9);
        let mut b = a.clone();
        for _ in 0..10 {
            let bits = rand::Rng::next_u64(&mut b);
            assert_eq!(g.sample_log(&mut a), g.sample_log_bits(bits));
        }
    }
}
