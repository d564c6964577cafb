//! Remark 12's two densities on `(0, γ]` that do not depend on the accuracy `ε`.
//!
//! Lemma 9 samples from `P_ε(v) = c'/v` on `[εγ², γ]`, which needs `ε` in advance. Remark 12
//! offers two densities on `(0, γ]`, `γ = 2/3`, that put enough mass in every golden-ratio
//! interval `I_i = (γ^{i+1}, γ^i]` for all `i` at once.
//!
//! # The first density, and how we read it
//!
//! The markdown of the paper renders it as `P(v) = ln(1/v) / v(ln v)²`, which is
//! `1/(v ln(1/v))` and is not normalizable on `(0, γ]` (with `t = ln(1/v)`,
//! `∫ dt/t` diverges at `t → ∞`). The reading consistent with the remark's
//! `c = (ln γ / ln(εγ²))²` is
//!
//! ```text
//! P(v) = ln(1/γ) / (v (ln v)²)   on (0, γ]            ([`InvLogSquared`])
//! F(v) = ln(1/γ) / ln(1/v),   F⁻¹(u) = γ^{1/u}
//! ```
//!
//! Check: with `t = ln(1/v)`, `∫_{ln(1/γ)}^∞ ln(1/γ) dt/t² = 1`. The mass of `I_i` is
//! `F(γ^i) − F(γ^{i+1}) = 1/i − 1/(i+1) = 1/(i(i+1))`, and for `i ≤ k = ⌈log_γ ε⌉` this is at
//! least `1/((x+1)(x+2)) ≥ 1/(x+2)² = (ln γ/ln(εγ²))²` with `x = log_γ ε`: exactly the
//! remark's `c` (tested in this module). So `m = ⌈(1/c) ln(k/δ)⌉ = Õ((ln 1/ε)² ln 1/δ)`.
//!
//! # The second density
//!
//! `P(v) ∝ [v ln(1/v) (ln ln(3/v))²]⁻¹` on `(0, γ]` ([`InvLogLogSquared`]) has no closed-form
//! normalizer as printed. With `t = ln(1/v)` and then `r = 1/ln(ln 3 + t) = 1/ln ln(3/v)`,
//!
//! ```text
//! F(v) = P(V ≤ v) = G(r(v)) / Z,   G(r) = ∫_0^r (1 + ln 3 / (e^{1/s} − ln 3)) ds,
//! Z = G(r₀),   r₀ = 1/ln ln(3/γ)
//! ```
//!
//! (since `dt/(t ln²(ln 3 + t)) = −(1 + ln 3/t) dr`). The integrand of `G` is smooth, between
//! 1 and `1 + ln 3/ln(1/γ)`, and flat at 0, so `G` is tabulated on a uniform grid of `r` with a
//! 16-point Gauss–Legendre rule per cell (accurate to a few ulps), and the inverse cdf is a
//! bracketed Newton iteration on `G(r) = uZ` (`G' ≥ 1`, `G` convex), then
//! `ln v = ln 3 − e^{1/r}`. For `γ = 2/3`, `Z ≈ 5.0437`.
//!
//! The mass of `I_i` behaves as `1/(Z i ln²(i ln(1/γ)))`, so `c ≈ 1/(Z k ln² k)` and
//! `m = Õ(ln 1/ε · ln 1/δ)` as the remark says, the `Õ` hiding a factor `ln² k`.
//!
//! # Underflow: use the log domain
//!
//! Both densities have heavy mass at tiny `v`. Under [`InvLogSquared`] with `γ = 2/3`,
//! `P(v < 10^-300) ≈ 5.9·10^-4`; under [`InvLogLogSquared`], `P(v < 10^-300) ≈ 3.0%`, and
//! `P(ln v < −1.8·10^308) ≈ 2.8·10^-4`. Such `v` are 0 (or subnormal) in `f64`, which is harmless
//! for a sub-sum (they are useless pieces anyway) but breaks a KS test on `v`; the
//! `ln_*` methods and `cdf_ln` work on `ln v` and stay exact much further down (the second
//! density returns `ln v = −inf` below `−1.8·10^308`).

use rand::Rng;

use crate::error::{check_gamma, check_probability};
use crate::special::gauss_legendre;
use crate::{Continuous, SampleBits, SamplingError, unit_open};

/// Remark 12's first ε-free density `P(v) = ln(1/γ)/(v (ln v)²)` on `(0, γ]` (see the
/// [module documentation](self) for the reading of the garbled formula).
///
/// Sampled from one word by the inverse cdf `v = γ^{1/u}`, i.e. `ln v = ln γ / u`.
///
/// # Example
/// ```
/// use logprune_sampling::{Continuous, InvLogSquared};
/// let p = InvLogSquared::new(2.0 / 3.0)?;
/// // F(γ^i) = 1/i: half the mass is below γ².
/// assert!((p.cdf((2.0f64 / 3.0).powi(2)) - 0.5).abs() < 1e-15);
/// assert!((p.interval_mass(3) - 1.0 / 12.0).abs() < 1e-15);
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InvLogSquared {
    gamma: f64,
    ln_gamma: f64,
}

impl InvLogSquared {
    /// The density on `(0, gamma]`; the paper takes `gamma = 2/3`.
    ///
    /// # Errors
    /// [`SamplingError::Gamma`] unless `0 < gamma < 1`.
    pub fn new(gamma: f64) -> Result<Self, SamplingError> {
        let gamma = check_gamma(gamma)?;
        Ok(InvLogSquared {
            gamma,
            ln_gamma: gamma.ln(),
        })
    }

    /// `γ`, the upper end of the support.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// The cdf as a function of `ln v`: `ln(1/γ)/(−ln v)` for `ln v ≤ ln γ`, 1 above.
    pub fn cdf_ln(&self, ln_v: f64) -> f64 {
        if ln_v.is_nan() {
            return f64::NAN;
        }
        if ln_v >= self.ln_gamma {
            return 1.0;
        }
        self.ln_gamma / ln_v
    }

    /// The inverse cdf `γ^{1/u}` (0 for `u = 0`; underflows to 0 for `u ≲ ln(1/γ)/745`).
    ///
    /// # Errors
    /// [`SamplingError::Probability`] unless `0 ≤ u ≤ 1`.
    pub fn inverse_cdf(&self, u: f64) -> Result<f64, SamplingError> {
        Ok(self.ln_inverse_cdf(u)?.exp().min(self.gamma))
    }

    /// `ln` of the inverse cdf: `ln γ / u` (`−inf` for `u = 0`).
    ///
    /// # Errors
    /// [`SamplingError::Probability`] unless `0 ≤ u ≤ 1`.
    pub fn ln_inverse_cdf(&self, u: f64) -> Result<f64, SamplingError> {
        let u = check_probability(u)?;
        Ok(self.ln_gamma / u)
    }

    /// `ln v` of the sample encoded by `bits`: `ln γ / unit_open(bits)`, finite (at least
    /// `2^54 ln γ`).
    #[inline]
    pub fn sample_ln_bits(&self, bits: u64) -> f64 {
        self.ln_gamma / unit_open(bits)
    }

    /// Draws `ln v` from one `u64` of `rng`.
    #[inline]
    pub fn sample_ln<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.sample_ln_bits(rng.next_u64())
    }

    /// The mass `P(γ^{i+1} < v ≤ γ^i) = 1/(i(i+1))` of Lemma 9's interval `I_i` (0 for
    /// `i = 0`, which is `(γ, 1]`).
    pub fn interval_mass(&self, i: u32) -> f64 {
        if i == 0 {
            return 0.0;
        }
        let i = f64::from(i);
        1.0 / (i * (i + 1.0))
    }
}

impl SampleBits for InvLogSquared {
    /// `γ^{1/u}` with `u = unit_open(bits)`; 0 when it underflows.
    #[inline]
    fn sample_bits(&self, bits: u64) -> f64 {
        self.sample_ln_bits(bits).exp().min(self.gamma)
    }
}

impl Continuous for InvLogSquared {
    /// `ln(1/γ)/(v ln² v)` on `(0, γ]`, else 0.
    fn pdf(&self, v: f64) -> f64 {
        if v.is_nan() {
            return f64::NAN;
        }
        if v <= 0.0 || v > self.gamma {
            return 0.0;
        }
        let l = v.ln();
        -self.ln_gamma / (v * l * l)
    }

    /// `ln(1/γ)/ln(1/v)` on `(0, γ]`, 0 below, 1 above.
    fn cdf(&self, v: f64) -> f64 {
        if v.is_nan() {
            return f64::NAN;
        }
        if v <= 0.0 {
            return 0.0;
        }
        self.cdf_ln(v.ln())
    }
}

/// Number of cells of the table of `G`.
const CELLS: usize = 512;
/// Points of the Gauss–Legendre rule per cell.
const GL_POINTS: usize = 16;
/// `ln 3`.
const LN_3: f64 = 1.098_612_288_668_109_8;

/// Remark 12's second ε-free density `P(v) = 1/(Z v ln(1/v) (ln ln(3/v))²)` on `(0, γ]`,
/// normalized numerically (see the [module documentation](self)).
///
/// Sampled from one word by the inverse cdf, computed by a bracketed Newton iteration on a
/// tabulated integral (a few dozen `exp`s per sample: slow next to [`crate::Hyperbolic`], and
/// meant for experiments, not for G). Construction allocates the table (513 values).
///
/// # Example
/// ```
/// use logprune_sampling::{Continuous, InvLogLogSquared};
/// let p = InvLogLogSquared::new(2.0 / 3.0)?;
/// let v = p.inverse_cdf(0.7)?;
/// assert!((p.cdf(v) - 0.7).abs() < 1e-13);
/// assert!(p.pdf(v) > 0.0);
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct InvLogLogSquared {
    gamma: f64,
    ln_gamma: f64,
    /// `r₀ = 1/ln ln(3/γ)`, the value of `r` at `v = γ`.
    r0: f64,
    /// Cell width `r₀ / CELLS`.
    step: f64,
    /// `G(j · step)` for `j = 0..=CELLS`.
    table: Vec<f64>,
    /// Gauss–Legendre nodes and weights on `[-1, 1]`.
    rule: Vec<(f64, f64)>,
}

/// The integrand `g(s) = 1 + ln 3/(e^{1/s} − ln 3)` of `G` (1 at `s = 0`, `e^{1/s} = inf`).
#[inline]
fn integrand(s: f64) -> f64 {
    if s <= 0.0 {
        return 1.0;
    }
    1.0 + LN_3 / ((1.0 / s).exp() - LN_3)
}

impl InvLogLogSquared {
    /// The density on `(0, gamma]`; the paper takes `gamma = 2/3`.
    ///
    /// # Errors
    /// [`SamplingError::Gamma`] unless `0 < gamma < 1` (then `ln ln(3/γ) > 0`).
    pub fn new(gamma: f64) -> Result<Self, SamplingError> {
        let gamma = check_gamma(gamma)?;
        let ln_gamma = gamma.ln();
        let r0 = 1.0 / (LN_3 - ln_gamma).ln();
        let step = r0 / CELLS as f64;
        let mut p = InvLogLogSquared {
            gamma,
            ln_gamma,
            r0,
            step,
            table: Vec::with_capacity(CELLS + 1),
            rule: gauss_legendre(GL_POINTS),
        };
        let mut acc = 0.0;
        p.table.push(0.0);
        for j in 0..CELLS {
            acc += p.integral(j as f64 * step, (j + 1) as f64 * step);
            p.table.push(acc);
        }
        Ok(p)
    }

    /// `γ`, the upper end of the support.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// The normalizer `Z = ∫_0^γ dv / (v ln(1/v) (ln ln(3/v))²)` (about 5.0437 for `γ = 2/3`).
    pub fn normalizer(&self) -> f64 {
        self.table[CELLS]
    }

    /// `∫_a^b g` by the Gauss–Legendre rule.
    fn integral(&self, a: f64, b: f64) -> f64 {
        let half = 0.5 * (b - a);
        let mid = 0.5 * (a + b);
        half * self
            .rule
            .iter()
            .map(|&(x, w)| w * integrand(mid + half * x))
            .sum::<f64>()
    }

    /// `G(r)` for `0 ≤ r ≤ r₀`.
    fn big_g(&self, r: f64) -> f64 {
        let r = r.clamp(0.0, self.r0);
        let j = ((r / self.step) as usize).min(CELLS - 1);
        let rj = j as f64 * self.step;
        self.table[j] + self.integral(rj, r)
    }

    /// The `r` with `G(r) = target`, `0 ≤ target ≤ Z`.
    fn solve_r(&self, target: f64) -> f64 {
        // Cell j with table[j] ≤ target < table[j + 1].
        let j = self
            .table
            .partition_point(|&g| g <= target)
            .saturating_sub(1)
            .min(CELLS - 1);
        let (mut lo, mut hi) = (j as f64 * self.step, (j + 1) as f64 * self.step);
        let (g_lo, g_hi) = (self.table[j], self.table[j + 1]);
        // The chord's root lies left of the root (G is convex); Newton then brackets it.
        let mut r = lo + (target - g_lo) / (g_hi - g_lo) * (hi - lo);
        for _ in 0..60 {
            let f = self.table[j] + self.integral(j as f64 * self.step, r) - target;
            if f > 0.0 {
                hi = r;
            } else {
                lo = r;
            }
            let mut next = r - f / integrand(r);
            if !(next > lo && next < hi) {
                next = 0.5 * (lo + hi);
            }
            if (next - r).abs() <= 2.0 * f64::EPSILON * r || hi - lo <= f64::EPSILON * hi {
                return next;
            }
            r = next;
        }
        r
    }

    /// `ln v` for the level `r`: `ln 3 − e^{1/r}` (`−inf` when `e^{1/r}` overflows), at most
    /// `ln γ`.
    fn ln_v_of_r(&self, r: f64) -> f64 {
        (LN_3 - (1.0 / r).exp()).min(self.ln_gamma)
    }

    /// The cdf as a function of `ln v`: `G(1/ln(ln 3 − ln v))/Z`, 1 for `ln v ≥ ln γ`, 0 for
    /// `−inf`.
    pub fn cdf_ln(&self, ln_v: f64) -> f64 {
        if ln_v.is_nan() {
            return f64::NAN;
        }
        if ln_v >= self.ln_gamma {
            return 1.0;
        }
        let r = 1.0 / (LN_3 - ln_v).ln();
        (self.big_g(r) / self.normalizer()).clamp(0.0, 1.0)
    }

    /// `ln` of the inverse cdf at `u` (`−inf` for `u = 0` and for `u ≲ 2.8·10⁻⁴`, where `ln v`
    /// itself is below `−1.8·10^308`).
    ///
    /// Contract: `cdf_ln(ln_inverse_cdf(u)) = u` to about `1e-14` wherever the result is
    /// finite.
    ///
    /// # Errors
    /// [`SamplingError::Probability`] unless `0 ≤ u ≤ 1`.
    pub fn ln_inverse_cdf(&self, u: f64) -> Result<f64, SamplingError> {
        let u = check_probability(u)?;
        Ok(self.ln_from_uniform(u))
    }

    /// The inverse cdf at `u`: `exp` of [`InvLogLogSquared::ln_inverse_cdf`] (0 when it
    /// underflows, for about 3% of `u` when `γ = 2/3`).
    ///
    /// # Errors
    /// [`SamplingError::Probability`] unless `0 ≤ u ≤ 1`.
    pub fn inverse_cdf(&self, u: f64) -> Result<f64, SamplingError> {
        Ok(self.ln_inverse_cdf(u)?.exp())
    }

    fn ln_from_uniform(&self, u: f64) -> f64 {
        if u <= 0.0 {
            return f64::NEG_INFINITY;
        }
        if u >= 1.0 {
            return self.ln_gamma;
        }
        self.ln_v_of_r(self.solve_r(u * self.normalizer()))
    }

    /// `ln v` of the sample encoded by `bits` (see [`InvLogLogSquared::ln_inverse_cdf`]).
    pub fn sample_ln_bits(&self, bits: u64) -> f64 {
        self.ln_from_uniform(unit_open(bits))
    }

    /// Draws `ln v` from one `u64` of `rng`.
    pub fn sample_ln<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.sample_ln_bits(rng.next_u64())
    }

    /// The mass `P(γ^{i+1} < v ≤ γ^i)` of Lemma 9's interval `I_i` (0 for `i = 0`).
    pub fn interval_mass(&self, i: u32) -> f64 {
        if i == 0 {
            return 0.0;
        }
        let i = f64::from(i);
        self.cdf_ln(i * self.ln_gamma) - self.cdf_ln((i + 1.0) * self.ln_gamma)
    }
}

impl SampleBits for InvLogLogSquared {
    /// `exp` of [`InvLogLogSquared::sample_ln_bits`]; 0 when it underflows.
    fn sample_bits(&self, bits: u64) -> f64 {
        self.sample_ln_bits(bits).exp()
    }
}

impl Continuous for InvLogLogSquared {
    /// `1/(Z v ln(1/v) (ln ln(3/v))²)` on `(0, γ]`, else 0.
    fn pdf(&self, v: f64) -> f64 {
        if v.is_nan() {
            return f64::NAN;
        }
        if v <= 0.0 || v > self.gamma {
            return 0.0;
        }
        let t = -v.ln();
        let l = (LN_3 + t).ln();
        1.0 / (self.normalizer() * v * t * l * l)
    }

    /// `G(r(v))/Z` on `(0, γ]`, 0 below, 1 above.
    fn cdf(&self, v: f64) -> f64 {
        if v.is_nan() {
            return f64::NAN;
        }
        if v <= 0.0 {
            return 0.0;
        }
        self.cdf_ln(v.ln())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::special::prec;

    const GAMMA: f64 = 2.0_f64 / 3.0;

    #[test]
    fn refuses_bad_gamma() {
        for g in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            assert!(matches!(
                InvLogSquared::new(g),
                Err(SamplingError::Gamma { .. })
            ));
            assert!(matches!(
                InvLogLogSquared::new(g),
                Err(SamplingError::Gamma { .. })
            ));
        }
        let p = InvLogSquared::new(GAMMA).unwrap();
        assert!(matches!(
            p.inverse_cdf(2.0),
            Err(SamplingError::Probability { .. })
        ));
        let q = InvLogLogSquared::new(GAMMA).unwrap();
        assert!(matches!(
            q.inverse_cdf(-1e-3),
            Err(SamplingError::Probability { .. })
        ));
    }

    #[test]
    fn first_density_is_normalized_and_inverts() {
        let p = InvLogSquared::new(GAMMA).unwrap();
        // ∫_{γ^8}^{γ} pdf by Simpson in t = ln(1/v): ∫ ln(1/γ)/t² dt = 1 − 1/8.
        let (t0, t1) = (-GAMMA.ln(), -8.0 * GAMMA.ln());
        let n = 2000;
        let h = (t1 - t0) / n as f64;
        let f = |t: f64| {
            let v = (-t).exp();
            p.pdf(v) * v // dv = −v dt
        };
        let mut s = f(t0) + f(t1);
        for i in 1..n {
            s += f(t0 + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        let integral = s * h / 3.0;
        assert!((integral - 0.875).abs() < 1e-10, "{integral}");
        for u in [0.01, 0.3, 0.5, 0.99] {
            let v = p.inverse_cdf(u).unwrap();
            assert!((p.cdf(v) - u).abs() <= prec::REL);
        }
        assert_eq!(p.inverse_cdf(1.0).unwrap(), GAMMA);
        assert_eq!(p.inverse_cdf(0.0).unwrap(), 0.0);
        assert_eq!(p.cdf(GAMMA), 1.0);
    }

    #[test]
    fn first_density_meets_the_remarks_c() {
        // Remark 12: c = (ln γ / ln(ε γ²))² ≤ min_{i ≤ k} P(I_i), k = ⌈log_γ ε⌉.
        let p = InvLogSquared::new(GAMMA).unwrap();
        for eps in [1e-1_f64, 1e-2, 1e-3, 1e-6, 1e-12] {
            let k = (eps.ln() / GAMMA.ln()).ceil() as u32;
            let c = (GAMMA.ln() / (eps * GAMMA * GAMMA).ln()).powi(2);
            let min = (1..=k).map(|i| p.interval_mass(i)).fold(1.0, f64::min);
            assert!(min >= c, "eps = {eps}: min mass {min} < c = {c}");
            // and the exact mass from the cdf
            let from_cdf = p.cdf(GAMMA.powi(k as i32)) - p.cdf(GAMMA.powi(k as i32 + 1));
            assert!((from_cdf - p.interval_mass(k)).abs() <= prec::QUAD);
        }
    }

    #[test]
    fn second_density_normalizer_matches_independent_quadrature() {
        let q = InvLogLogSquared::new(GAMMA).unwrap();
        // 1 − F(v) = (1/Z) ∫_{t0}^{t(v)} dt/(t ln²(ln 3 + t)), by Simpson in t directly.
        let t0 = -GAMMA.ln();
        for t1 in [1.0, 5.0, 30.0] {
            let n = 20000;
            let h = (t1 - t0) / n as f64;
            let f = |t: f64| 1.0 / (t * (LN_3 + t).ln().powi(2));
            let mut s = f(t0) + f(t1);
            for i in 1..n {
                s += f(t0 + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
            }
            let mass = s * h / 3.0 / q.normalizer();
            let want = 1.0 - q.cdf_ln(-t1);
            assert!((mass - want).abs() < 1e-9, "t1 = {t1}: {mass} vs {want}");
        }
        // A coarser table agrees to rounding: the quadrature has converged.
        let z = q.normalizer();
        let direct: f64 = (0..64)
            .map(|j| q.integral(j as f64 * q.r0 / 64.0, (j + 1) as f64 * q.r0 / 64.0))
            .sum();
        assert!((z - direct).abs() <= prec::QUAD, "{z} vs {direct}");
        // Z = 5.04366082512175 by an independent Simpson rule in r (200 000 cells).
        assert!((z - 5.04366082512175).abs() < 1e-12, "Z = {z}");
    }

    #[test]
    fn second_density_inverts_and_pdf_is_derivative() {
        let q = InvLogLogSquared::new(GAMMA).unwrap();
        for u in [1e-3, 0.05, 0.2, 0.5, 0.8, 0.999, 1.0 - 1e-12] {
            let lv = q.ln_inverse_cdf(u).unwrap();
            assert!((q.cdf_ln(lv) - u).abs() <= prec::QUAD, "u = {u}");
        }
        assert_eq!(q.ln_inverse_cdf(0.0).unwrap(), f64::NEG_INFINITY);
        assert!((q.ln_inverse_cdf(1.0).unwrap() - GAMMA.ln()).abs() <= prec::REL);
        // pdf ≈ dF/dv by a central difference at a few points.
        for v in [1e-6, 0.01, 0.3, 0.6] {
            let h = v * 1e-5;
            let d = (q.cdf(v + h) - q.cdf(v - h)) / (2.0 * h);
            assert!((d / q.pdf(v) - 1.0).abs() < 1e-6, "v = {v}");
        }
    }

    #[test]
    fn second_density_interval_masses_decay_as_the_remark_says() {
        // P(I_i) ≈ ln(1/γ) / (Z t ln²(ln 3 + t)) at the midpoint t = (i + 1/2) ln(1/γ).
        let q = InvLogLogSquared::new(GAMMA).unwrap();
        let a = -GAMMA.ln();
        for i in [100u32, 1000, 10000] {
            let t = (f64::from(i) + 0.5) * a;
            let approx = a / (q.normalizer() * t * (LN_3 + t).ln().powi(2));
            let ratio = q.interval_mass(i) / approx;
            assert!((ratio - 1.0).abs() < 0.01, "i = {i}: ratio {ratio}");
        }
    }
}
