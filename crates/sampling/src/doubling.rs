//! Remark 14's doubling schedule for an unknown `w_max`.
//!
//! Theorem 3's range `[α, β]` depends on `w_max`. If it is not known, Remark 14 varies it from
//! sample to sample: "`w_max = 1` every second sample, every 4th sample we take `w_max = 2`,
//! and every `2^{j+1}` sample `w_max = 2^j`". With samples numbered `s = 1, 2, 3, ...`, that is
//! `w_max(s) = 2^j` with `j` the number of trailing zero bits of `s`: odd `s` get `j = 0`,
//! `s ≡ 2 (mod 4)` get `j = 1`, and a fraction `2^{-(j+1)}` of all samples get `j`.
//! [`DoublingSchedule`] generalizes the base 1 to any `w₀ > 0` (`w_max(s) = w₀ 2^j`).
//!
//! # The accounting claim
//!
//! "The total number of samples required to obtain `M*` samples for the correct `w*_max` is
//! at most `4 w*_max M*`." The `m`-th sample with exponent `j` is number `2^j (2m − 1)`
//! ([`DoublingSchedule::samples_needed`]). With `j = ⌈log₂ w*⌉` (the smallest `w_max ≥ w*`),
//! `2^j < 2w*`, so `2^j(2M* − 1) < 4 w* M*` whenever `w* ≥ 1`. But for `w* < 1` the schedule
//! cannot go below `w_max = 1`: `j = 0` and `2M* − 1` samples are needed, which exceeds
//! `4 w* M*` once `w* < 1/2 − 1/(4M*)`. The correct statement is
//! `2^j(2M* − 1) < 4 max(w*, 1/2) M*` (base `w₀`: `4 max(w*/w₀, 1/2) M*`); the tests of this
//! module check both by counting, and the counter-example `w* = 1/4`.

use rand::Rng;

use crate::error::check_scale;
use crate::{SampleBits, SamplingError, SignedHyperbolic};

/// Remark 14's schedule: sample `s ≥ 1` uses `w_max(s) = w₀ · 2^{tz(s)}`, `tz` the number of
/// trailing zero bits (the paper's `w₀ = 1`).
///
/// # Example
/// ```
/// use logprune_sampling::DoublingSchedule;
/// let d = DoublingSchedule::paper();
/// let w: Vec<f64> = (1..=8).map(|s| d.w_max(s).unwrap()).collect();
/// assert_eq!(w, [1.0, 2.0, 1.0, 4.0, 1.0, 2.0, 1.0, 8.0]);
/// // The 3rd sample with w_max = 4 is sample 4·(2·3 − 1) = 20.
/// assert_eq!(d.samples_needed(2, 3), Some(20));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DoublingSchedule {
    base: f64,
}

impl DoublingSchedule {
    /// The paper's schedule, `w₀ = 1`.
    pub fn paper() -> Self {
        DoublingSchedule { base: 1.0 }
    }

    /// The schedule with smallest `w_max` equal to `base`.
    ///
    /// # Errors
    /// [`SamplingError::Scale`] unless `base` is finite and positive.
    pub fn new(base: f64) -> Result<Self, SamplingError> {
        Ok(DoublingSchedule {
            base: check_scale("base", base)?,
        })
    }

    /// The smallest `w_max`, `w₀`.
    pub fn base(&self) -> f64 {
        self.base
    }

    /// The exponent `j = tz(s)` of sample `s` (between 0 and 63).
    ///
    /// # Errors
    /// [`SamplingError::SampleNumber`] for `s = 0` (samples are numbered from 1).
    pub fn exponent(&self, s: u64) -> Result<u32, SamplingError> {
        if s == 0 {
            return Err(SamplingError::SampleNumber { s });
        }
        Ok(s.trailing_zeros())
    }

    /// `w_max(s) = w₀ · 2^{tz(s)}`.
    ///
    /// # Errors
    /// [`SamplingError::SampleNumber`] for `s = 0`.
    pub fn w_max(&self, s: u64) -> Result<f64, SamplingError> {
        Ok(self.base * f64::from(self.exponent(s)?).exp2())
    }

    /// The exponent whose `w_max` is the smallest one at least `w_star`:
    /// `max(0, ⌈log₂(w_star/w₀)⌉)`, capped at 63.
    ///
    /// # Errors
    /// [`SamplingError::Scale`] unless `w_star` is finite and positive.
    pub fn exponent_for(&self, w_star: f64) -> Result<u32, SamplingError> {
        let w = check_scale("w_star", w_star)?;
        let mut j = (w / self.base).log2().ceil().clamp(0.0, 63.0) as u32;
        // Guard the rounding of log2 at exact powers of two.
        while j > 0 && self.base * f64::from(j - 1).exp2() >= w {
            j -= 1;
        }
        while j < 63 && self.base * f64::from(j).exp2() < w {
            j += 1;
        }
        Ok(j)
    }

    /// How many of the samples `1..=n` have exponent `j`: `⌊(⌊n/2^j⌋ + 1)/2⌋` (0 for
    /// `j ≥ 64`).
    pub fn count_with_exponent(&self, n: u64, j: u32) -> u64 {
        if j >= 64 {
            return 0;
        }
        (n >> j).div_ceil(2)
    }

    /// The number `2^j (2m − 1)` of the `m`-th sample with exponent `j`, that is the number of
    /// samples needed to get `m` samples with `w_max = w₀ 2^j` (`Some(0)` for `m = 0`; `None`
    /// if it exceeds `u64`).
    pub fn samples_needed(&self, j: u32, m: u64) -> Option<u64> {
        if m == 0 {
            return Some(0);
        }
        let odd = m.checked_mul(2)?.checked_sub(1)?;
        if j >= 64 {
            return None;
        }
        let r = odd.checked_shl(j)?;
        // checked_shl does not detect bits shifted out.
        if r >> j != odd {
            return None;
        }
        Some(r)
    }
}

/// Samples from the signed hyperbolic density on Theorem 3's range for `w_max(s)` of a
/// [`DoublingSchedule`] and a fixed `ε_w` (Remark 14 with Theorem 3).
///
/// The 64 distributions (`j = 0..=63`) are built once; a sample costs what a
/// [`SignedHyperbolic`] sample costs plus a trailing-zero count.
///
/// # Example
/// ```
/// use logprune_sampling::{counter, DoublingSampler, DoublingSchedule};
/// let d = DoublingSampler::new(1e-3, DoublingSchedule::paper())?;
/// // Sample 12 = 4·3 uses w_max = 4, so Theorem 3's range for (1e-3, 4).
/// let w = d.sample_bits(12, counter::bits(9, 0, 12))?;
/// let p = d.distribution(12)?;
/// assert!(p.alpha() <= w.abs() && w.abs() <= p.beta());
/// assert_eq!(p, &logprune_sampling::SignedHyperbolic::theorem3(1e-3, 4.0)?);
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DoublingSampler {
    epsilon_w: f64,
    schedule: DoublingSchedule,
    per_exponent: Vec<SignedHyperbolic>,
}

impl DoublingSampler {
    /// The sampler for accuracy `epsilon_w` and the given schedule.
    ///
    /// # Errors
    /// [`SamplingError::Theorem3`] unless `0 < epsilon_w < 2 w₀` (Theorem 3's range must exist
    /// for the smallest `w_max`; see [`crate::theorem3_range`]).
    pub fn new(epsilon_w: f64, schedule: DoublingSchedule) -> Result<Self, SamplingError> {
        let per_exponent = (0..64)
            .map(|j| SignedHyperbolic::theorem3(epsilon_w, schedule.base * f64::from(j).exp2()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DoublingSampler {
            epsilon_w,
            schedule,
            per_exponent,
        })
    }

    /// The accuracy `ε_w`.
    pub fn epsilon_w(&self) -> f64 {
        self.epsilon_w
    }

    /// The schedule.
    pub fn schedule(&self) -> &DoublingSchedule {
        &self.schedule
    }

    /// The distribution of sample `s`: Theorem 3's range for `(ε_w, w_max(s))`.
    ///
    /// # Errors
    /// [`SamplingError::SampleNumber`] for `s = 0`.
    pub fn distribution(&self, s: u64) -> Result<&SignedHyperbolic, SamplingError> {
        let j = self.schedule.exponent(s)?;
        Ok(&self.per_exponent[j as usize])
    }

    /// Sample `s` encoded by `bits` (e.g. [`crate::counter::bits`]`(seed, stream, s)`).
    ///
    /// # Errors
    /// [`SamplingError::SampleNumber`] for `s = 0`.
    pub fn sample_bits(&self, s: u64, bits: u64) -> Result<f64, SamplingError> {
        Ok(self.distribution(s)?.sample_bits(bits))
    }

    /// Draws sample `s` with one `u64` of `rng`.
    ///
    /// # Errors
    /// [`SamplingError::SampleNumber`] for `s = 0`.
    pub fn sample<R: Rng + ?Sized>(&self, s: u64, rng: &mut R) -> Result<f64, SamplingError> {
        let d = self.distribution(s)?;
        Ok(d.sample_bits(rng.next_u64()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn exponents_follow_the_remark() {
        let d = DoublingSchedule::paper();
        assert!(matches!(
            d.exponent(0),
            Err(SamplingError::SampleNumber { s: 0 })
        ));
        // Among 1..=2^20, a fraction 2^{-(j+1)} has exponent j.
        let n = 1u64 << 20;
        let mut counts = [0u64; 21];
        for s in 1..=n {
            counts[d.exponent(s).unwrap() as usize] += 1;
        }
        for (j, &c) in counts.iter().enumerate().take(20) {
            assert_eq!(c, n >> (j + 1), "j = {j}");
            assert_eq!(d.count_with_exponent(n, j as u32), c);
        }
        assert_eq!(counts[20], 1);
        assert_eq!(d.count_with_exponent(7, 0), 4);
        assert_eq!(d.count_with_exponent(7, 1), 2);
        assert_eq!(d.count_with_exponent(7, 2), 1);
        assert_eq!(d.count_with_exponent(7, 3), 0);
    }

    #[test]
    fn samples_needed_matches_a_direct_count() {
        let d = DoublingSchedule::paper();
        for j in 0..6u32 {
            for m in 1..40u64 {
                let mut got = 0;
                let mut s = 0u64;
                while got < m {
                    s += 1;
                    if d.exponent(s).unwrap() == j {
                        got += 1;
                    }
                }
                assert_eq!(d.samples_needed(j, m), Some(s));
            }
        }
        assert_eq!(d.samples_needed(63, 2), None);
        assert_eq!(d.samples_needed(0, 0), Some(0));
    }

    #[test]
    fn four_w_star_m_holds_for_w_star_at_least_one_half_only() {
        let d = DoublingSchedule::paper();
        for &w in &[
            0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 1000.0, 1024.0, 1025.0,
        ] {
            let j = d.exponent_for(w).unwrap();
            assert!(d.base() * f64::from(j).exp2() >= w);
            for m in [1u64, 2, 10, 1000, 123_456] {
                let n = d.samples_needed(j, m).unwrap() as f64;
                assert!(n <= 4.0 * w * m as f64, "w* = {w}, M* = {m}: {n} samples");
                // the corrected bound, always
                assert!(n < 4.0 * w.max(0.5) * m as f64);
            }
        }
        // Counter-example: w* = 1/4 needs 2M* − 1 samples (w_max = 1), more than 4 w* M* = M*.
        let j = d.exponent_for(0.25).unwrap();
        assert_eq!(j, 0);
        let (w_star, m) = (0.25, 100u64);
        let n = d.samples_needed(j, m).unwrap();
        assert_eq!(n, 199);
        assert!(
            n as f64 > 4.0 * w_star * m as f64,
            "the paper's bound would be {}",
            4.0 * w_star * m as f64
        );
        // A smaller base repairs it.
        let small = DoublingSchedule::new(0.25).unwrap();
        let j = small.exponent_for(0.25).unwrap();
        assert!(
            small.samples_needed(j, m).unwrap() as f64 <= 4.0 * (w_star / small.base()) * m as f64
        );
    }

    #[test]
    fn exponent_for_powers_of_two_is_exact() {
        let d = DoublingSchedule::paper();
        assert_eq!(d.exponent_for(1.0).unwrap(), 0);
        assert_eq!(d.exponent_for(2.0).unwrap(), 1);
        assert_eq!(d.exponent_for(2.0000001).unwrap(), 2);
        assert_eq!(d.exponent_for(1e-9).unwrap(), 0);
        assert!(matches!(
            d.exponent_for(0.0),
            Err(SamplingError::Scale { .. })
        ));
    }

    #[test]
    fn sampler_uses_the_scheduled_range() {
        assert!(matches!(
            DoublingSampler::new(3.0, DoublingSchedule::paper()),
            Err(SamplingError::Theorem3 { .. })
        ));
        let d = DoublingSampler::new(1e-2, DoublingSchedule::paper()).unwrap();
        for s in 1..200u64 {
            let p = d.distribution(s).unwrap();
            let want =
                SignedHyperbolic::theorem3(1e-2, DoublingSchedule::paper().w_max(s).unwrap())
                    .unwrap();
            assert_eq!(*p, want);
            let w = d.sample_bits(s, crate::counter::bits(1, 0, s)).unwrap();
            assert!(p.alpha() <= w.abs() && w.abs() <= p.beta());
        }
        assert!(d.sample_bits(0, 0).is_err());
    }
}
