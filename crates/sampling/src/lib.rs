//! Weight distributions for the large network G of "Logarithmic Pruning is All You Need"
//! (Orseau, Hutter, Rivasplata 2020), and the counter-based generator that draws G's weights.
//!
//! - [`Hyperbolic`] and [`SignedHyperbolic`]: the paper's `p_{w≥0}(w) ∝ 1/w` on `[α, β]` and
//!   its symmetric version `p_w` (Section 5), sampled by the inverse cdf (Remark 11), with
//!   Theorem 3's range ([`theorem3_range`]) and a log-domain path ([`LogWeight`]) that decides
//!   the golden-ratio intervals on `ln|w|` without an `exp`.
//! - [`InvLogSquared`] and [`InvLogLogSquared`]: Remark 12's two densities on `(0, γ]` that do
//!   not depend on `ε`.
//! - [`DoublingSchedule`] and [`DoublingSampler`]: Remark 14's schedule for an unknown `w_max`.
//! - Baselines behind the same interface: [`Uniform`] on `[-a, a]`, [`Gaussian`] and
//!   [`Product`] of two draws, and [`WeightDistribution`], one enum over all of them.
//! - The baselines of Remark 16 as weights of G, one word each with the sign from bit 0 like
//!   [`SignedHyperbolic`]: [`SignedUniform`] (`±a·u`, uniform on `[-a, a]`) and
//!   [`SignedGaussian`] (`±σ·Φ⁻¹((1 + u)/2)`, that is `N(0, σ²)`), with the inverse normal
//!   cdf [`normal_quantile`] and [`half_normal_quantile`] (Wichura's AS241).
//! - [`counter`]: Philox4x32-10 as pure functions `(seed, stream, index) → bits` and as a
//!   [`CounterRng`] implementing `rand::Rng` (ARCHITECTURE.md, invariant 3), and a batch form
//!   ([`counter::blocks`], SIMD chosen at run time) for many counters at once; [`widen32`]
//!   turns one 32-bit word of it into the 64-bit word that the one-word distributions read.
//!   [`counter::ars`] is ARS-4x32-7 (AES rounds) on the same layout, with a portable and a
//!   hardware path that give the same bits ([`counter::ars_blocks`]).
//!
//! # One word, one sample
//!
//! Every distribution here except [`Gaussian`] and [`Product`] maps one 64-bit word to one
//! sample ([`SampleBits`]): the top 53 bits give a uniform `u` in `(0, 1]`, never 0
//! ([`unit_open`]), which goes through the inverse cdf; symmetric distributions take their
//! sign from the lowest bit ([`negative_bit`]), which `u` does not use ([`Uniform`] is the
//! exception: it maps `u` to `a(2u − 1)`). [`SignedHyperbolic`], [`SignedUniform`] and
//! [`SignedGaussian`] also give the same word's `(ln|w|, sign)` ([`LogSampleBits`]). Their
//! `rand_distr::Distribution` implementation draws one `u64` and calls [`SampleBits::sample_bits`],
//! so a weight of G is `dist.sample_bits(counter::bits(seed, stream, index))`, or equally
//! `dist.sample(&mut CounterRng::new(seed, stream, index))`.
//!
//! # Example
//! ```
//! use logprune_sampling::{counter, CounterRng, SampleBits, SignedHyperbolic, theorem3_range};
//! use rand_distr::Distribution;
//!
//! // Theorem 3's range for epsilon_w = 1e-3 and w_max = 1.
//! let (alpha, beta) = theorem3_range(1e-3, 1.0)?;
//! let p_w = SignedHyperbolic::new(alpha, beta)?;
//! // Weight number 7 of stream 2 of G with seed 42, two equivalent ways.
//! let w = p_w.sample_bits(counter::bits(42, 2, 7));
//! assert_eq!(w, p_w.sample(&mut CounterRng::new(42, 2, 7)));
//! assert!(alpha <= w.abs() && w.abs() <= beta);
//! // The log-domain path gives ln|w| and the sign without an exp.
//! let lw = p_w.sample_log_bits(counter::bits(42, 2, 7));
//! assert!((lw.value() - w).abs() <= 1e-15 * w.abs());
//! # Ok::<(), logprune_sampling::SamplingError>(())
//! ```
#![deny(missing_docs)]
// Parameters are validated as `if !(x > 0.0)` so that NaN is refused too.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

pub mod baseline;
pub mod counter;
pub mod doubling;
mod error;
pub mod hyperbolic;
pub mod remark12;
mod special;
pub mod symmetric;

pub use baseline::{Gaussian, Product, Uniform, WeightDistribution};
pub use counter::CounterRng;
pub use doubling::{DoublingSampler, DoublingSchedule};
pub use error::SamplingError;
pub use hyperbolic::{Hyperbolic, LogWeight, SignedHyperbolic, theorem3_range};
pub use remark12::{InvLogLogSquared, InvLogSquared};
pub use special::{erfc, half_normal_quantile, normal_quantile};
pub use symmetric::{SignedGaussian, SignedUniform};

/// `2^-53`, the spacing of the uniforms made by [`unit_open`].
const TWO_POW_M53: f64 = 1.0 / (1u64 << 53) as f64;

/// The uniform in `(0, 1]` that the top 53 bits of `bits` encode: `(k + 1/2) · 2^-53` with
/// `k = ⌊bits / 2^11⌋`, rounded to `f64`.
///
/// Contract: below 1/2 (`k < 2^52`) the value `(k + 1/2) 2^-53` is exact. From 1/2 on
/// (`k ≥ 2^52`) the spacing of `f64` is `2^-53`, so `k + 1/2` rounds to the even one of `k` and
/// `k + 1`: the value is an even multiple of `2^-53` in `[1/2, 1]`, and the `2^11` words with
/// `k = 2^53 − 1` give exactly 1. So the result lies in `[2^-54, 1]`: never 0 (its logarithm is
/// finite), and 1 with probability `2^-53` for a uniform word; for a uniform word `u` is
/// uniform up to `2^-53`. For an exact upper tail use `unit_open(!bits)`, which is
/// `1 − (k + 1/2)·2^-53` exactly whenever `k ≥ 2^52`. The lowest 11 bits are not used;
/// [`negative_bit`] reads bit 0 for a sign.
///
/// ```
/// use logprune_sampling::unit_open;
/// assert_eq!(unit_open(0), 2f64.powi(-54));
/// assert_eq!(unit_open((1 << 63) - 1), 0.5 - 2f64.powi(-54));
/// // From 1/2 on, k + 1/2 rounds to even: k = 2^52 gives 1/2, the top word gives 1.
/// assert_eq!(unit_open(1 << 63), 0.5);
/// assert_eq!(unit_open(u64::MAX), 1.0);
/// assert_eq!(unit_open(!0x7ff), 1.0);
/// assert_eq!(unit_open(!(1 << 11)), 1.0 - 2f64.powi(-52));
/// // The complement gives the upper tail 1 − (k + 1/2)·2^-53 exactly.
/// assert_eq!(unit_open(!u64::MAX), 2f64.powi(-54));
/// ```
#[inline(always)]
pub fn unit_open(bits: u64) -> f64 {
    ((bits >> 11) as f64 + 0.5) * TWO_POW_M53
}

/// The sign bit that symmetric distributions take from a word: bit 0, which [`unit_open`]
/// does not use, so sign and magnitude are independent. Returns `true` for a negative sample.
///
/// ```
/// assert!(logprune_sampling::negative_bit(3));
/// assert!(!logprune_sampling::negative_bit(2));
/// ```
#[inline(always)]
pub fn negative_bit(bits: u64) -> bool {
    bits & 1 == 1
}

/// The 64-bit word that the one-word distributions read for one 32-bit generator word:
/// `(word >> 1) << 33 | 1 << 32 | (word & 1)`.
///
/// A generator that gives 32-bit words (four per Philox4x32 block, [`counter::blocks`]) feeds
/// [`SampleBits::sample_bits`] through this map: [`unit_open`] of the result sees the top 31
/// bits of `word` as the magnitude's quantile, at the middle of its cell, and [`negative_bit`]
/// sees bit 0 of `word` as the sign.
///
/// Contract: with `j = word >> 1` (`0 ≤ j < 2^31`), `unit_open(widen32(word))` is exactly
/// `(j + 1/2)·2^-31 + 2^-54` for `j < 2^30` and `(j + 1/2)·2^-31` for `j ≥ 2^30` (where
/// [`unit_open`] rounds `k + 1/2` to even): the midpoints of the `2^31` cells
/// `[j·2^-31, (j + 1)·2^-31)`, in `[2^-32, 1 − 2^-32]`, never 0 (its logarithm is finite) and
/// never 1. `negative_bit(widen32(word))` is `word & 1 == 1`. The quantile and the sign are
/// read from disjoint bits of `word`, so for a uniform `word` they are independent, the sign
/// is fair and `u` is uniform on its `2^31` values, a distance of at most `2^-32` from the
/// uniform law in the Kolmogorov metric; for [`SignedGaussian`] the largest magnitude is
/// `Φ⁻¹(1 − 2^-33) ≈ 6.33σ`. The complement `!widen32(word)` gives the upper tail
/// `1 − ((j·2^22 + 2^21) + 1/2)·2^-53` exactly, as for any word.
///
/// ```
/// use logprune_sampling::{negative_bit, unit_open, widen32};
/// assert_eq!(unit_open(widen32(0)), 2f64.powi(-32) + 2f64.powi(-54));
/// assert_eq!(unit_open(widen32(3)), 1.5 * 2f64.powi(-31) + 2f64.powi(-54));
/// assert_eq!(unit_open(widen32(u32::MAX)), 1.0 - 2f64.powi(-32));
/// assert!(negative_bit(widen32(u32::MAX)) && !negative_bit(widen32(2)));
/// ```
#[inline(always)]
pub fn widen32(word: u32) -> u64 {
    (u64::from(word >> 1) << 33) | (1 << 32) | u64::from(word & 1)
}

/// A distribution that maps one 64-bit word to one sample (inverse-cdf sampling, Remark 11).
///
/// Contract: if `bits` is uniform on all `u64`, the result follows the distribution (up to the
/// 53-bit resolution of [`unit_open`]); the map is a pure function, so a weight of G is
/// recomputed from its counter alone (ARCHITECTURE.md, invariant 3).
pub trait SampleBits {
    /// The sample encoded by `bits`.
    fn sample_bits(&self, bits: u64) -> f64;
}

/// A one-word distribution that also gives the sample in the log domain, `(ln|w|, sign)`, so
/// that Lemma 9's golden-ratio intervals and the products `V·U` of Theorem 3 (Lemma 28) are
/// decided on logarithms without an `exp` (see [`LogWeight`]).
///
/// Contract: for every word `b`, `ln_abs` is finite, `sample_log_bits(b).negative` is the sign
/// of `sample_bits(b)` (bit 0 of `b`, [`negative_bit`]), and `sample_log_bits(b).value()`
/// equals `sample_bits(b)` up to the rounding of the logarithms that make up `ln|w|`, carried
/// through `exp` (`ε = f64::EPSILON`, for `|w|` in the normal range of `f64`):
/// - [`SignedHyperbolic`] exponentiates the same `ln|w|` in both paths, so they are equal
///   except at the extreme words where `sample_bits` clamps to `[α, β]`, and there within a
///   relative `4ε(1 + |ln α| + |ln β|)`;
/// - [`SignedUniform`] and [`SignedGaussian`] within a relative
///   `4ε(1 + |ln scale| + |ln(|w|/scale)|)` (scale `a` or `σ`): a few ulps when the logarithms
///   are small, more when the scale or the sample is far from 1.
pub trait LogSampleBits: SampleBits {
    /// The sample encoded by `bits`, as `(ln|w|, sign)`.
    fn sample_log_bits(&self, bits: u64) -> LogWeight;

    /// Draws a sample in the log domain from one `u64` of `rng`: the same value as
    /// [`LogSampleBits::sample_log_bits`] of that word.
    #[inline]
    fn sample_log<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> LogWeight
    where
        Self: Sized,
    {
        self.sample_log_bits(rng.next_u64())
    }
}

/// `impl rand_distr::Distribution<f64>` for types that implement [`SampleBits`]: one `u64` per
/// sample, through [`SampleBits::sample_bits`], so `sample` and the counter path agree exactly.
macro_rules! distribution_from_bits {
    ($($t:ty),* $(,)?) => {$(
        impl rand_distr::Distribution<f64> for $t {
            /// One `u64` per sample, through [`SampleBits::sample_bits`].
            #[inline]
            fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
                $crate::SampleBits::sample_bits(self, rng.next_u64())
            }
        }
    )*};
}
distribution_from_bits!(
    Uniform,
    Hyperbolic,
    SignedHyperbolic,
    InvLogSquared,
    InvLogLogSquared,
    SignedUniform,
    SignedGaussian,
);

/// A continuous distribution on the real line with a density and a cumulative distribution
/// function in closed form (or, for [`InvLogLogSquared`], accurate to a few ulps).
pub trait Continuous {
    /// The density at `x`: `0` outside the support, `NaN` for `NaN`.
    fn pdf(&self, x: f64) -> f64;
    /// `P(X ≤ x)`, in `[0, 1]` and nondecreasing in `x`; `NaN` for `NaN`.
    fn cdf(&self, x: f64) -> f64;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `unit_open(widen32(word))` as its contract states it, from the integer `j = word >> 1`.
    fn widened_uniform(word: u32) -> f64 {
        let j = f64::from(word >> 1);
        if word >> 1 < 1 << 30 {
            (j + 0.5) * 2f64.powi(-31) + 2f64.powi(-54)
        } else {
            (j + 0.5) * 2f64.powi(-31)
        }
    }

    #[test]
    fn widen32_contract() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(32);
        let mut words: Vec<u32> = (0..100_000).map(|_| rng.next_u32()).collect();
        words.extend([0, 1, 2, 3, u32::MAX, u32::MAX - 1, 1 << 31, (1 << 31) - 1]);
        words.extend([(1 << 31) - 2, (1 << 31) + 1, 1 << 30, (1 << 30) - 1]);
        for w in words {
            let b = widen32(w);
            let u = unit_open(b);
            assert_eq!(u, widened_uniform(w), "word {w:#x}");
            assert!(u > 0.0 && u < 1.0, "word {w:#x}: u = {u}");
            assert_eq!(negative_bit(b), w & 1 == 1, "word {w:#x}");
            // The sign bit of the word moves the sign and nothing else.
            assert_eq!(widen32(w ^ 1), b ^ 1);
            assert_eq!(unit_open(widen32(w ^ 1)), u);
            // The complement is the exact upper tail 1 − (j·2^22 + 2^21 + 1/2)·2^-53.
            let j = u64::from(w >> 1);
            let tail =
                ((1u64 << 53) - (j << 22) - (1 << 21)) as f64 * 2f64.powi(-53) - 2f64.powi(-54);
            assert_eq!(unit_open(!b), tail, "word {w:#x}");
        }
        // u is increasing in the top 31 bits; the extremes.
        let mut prev = 0.0;
        for j in (0..1u32 << 31).step_by(4093).chain([(1 << 31) - 1]) {
            let u = unit_open(widen32(j << 1));
            assert!(u > prev);
            prev = u;
        }
        assert_eq!(unit_open(widen32(0)), 2f64.powi(-32) + 2f64.powi(-54));
        assert_eq!(unit_open(widen32(u32::MAX)), 1.0 - 2f64.powi(-32));
    }

    #[test]
    fn widen32_words_through_the_distributions() {
        // The one-word distributions see the 32-bit word's sign and a finite magnitude at both
        // ends (the Gaussian's largest |w| is Φ⁻¹(1 − 2^-33) ≈ 6.33).
        let g = SignedGaussian::new(1.0).expect("valid sigma");
        let u = SignedUniform::new(1.0).expect("valid half-width");
        let h = SignedHyperbolic::new(1e-3, 1.0).expect("valid range");
        for w in [0u32, 1, u32::MAX - 1, u32::MAX, 0x8000_0000, 0x1234_5679] {
            let b = widen32(w);
            for x in [g.sample_bits(b), u.sample_bits(b), h.sample_bits(b)] {
                assert!(x.is_finite() && x != 0.0);
                assert_eq!(x < 0.0, w & 1 == 1);
            }
        }
        let top = g.sample_bits(widen32(u32::MAX - 1));
        // The upper tail is (1 − u)/2 = 2^-33 − 2^-55 exactly (the complement word).
        assert!((top - 6.337957791297378).abs() <= 1e-14 * 6.4, "{top}");
    }
}
