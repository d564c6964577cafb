//! Special functions that the distributions need: the complementary error function (for the
//! Gaussian cdf), the inverse normal cdf (Wichura's AS241, for [`crate::SignedGaussian`]) and
//! Gauss–Legendre quadrature (for [`crate::InvLogLogSquared`]).

// The coefficients below are those of FreeBSD's msun `s_erf.c`, as carried by the `libm` crate;
// their notice reads:
// ====================================================
// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
//
// Developed at SunPro, a Sun Microsystems, Inc. business.
// Permission to use, copy, modify, and distribute this
// software is freely granted, provided that this notice
// is preserved.
// ====================================================
// The digits are kept as printed there.
#![allow(clippy::excessive_precision)]

use crate::SamplingError;
use crate::error::check_probability;

const ERX: f64 = 8.45062911510467529297e-01;
const PP0: f64 = 1.28379167095512558561e-01;
const PP1: f64 = -3.25042107247001499370e-01;
const PP2: f64 = -2.84817495755985104766e-02;
const PP3: f64 = -5.77027029648944159157e-03;
const PP4: f64 = -2.37630166566501626084e-05;
const QQ1: f64 = 3.97917223959155352819e-01;
const QQ2: f64 = 6.50222499887672944485e-02;
const QQ3: f64 = 5.08130628187576562776e-03;
const QQ4: f64 = 1.32494738004321644526e-04;
const QQ5: f64 = -3.96022827877536812320e-06;
const PA0: f64 = -2.36211856075265944077e-03;
const PA1: f64 = 4.14856118683748331666e-01;
const PA2: f64 = -3.72207876035701323847e-01;
const PA3: f64 = 3.18346619901161753674e-01;
const PA4: f64 = -1.10894694282396677476e-01;
const PA5: f64 = 3.54783043256182359371e-02;
const PA6: f64 = -2.16637559486879084300e-03;
const QA1: f64 = 1.06420880400844228286e-01;
const QA2: f64 = 5.40397917702171048937e-01;
const QA3: f64 = 7.18286544141962662868e-02;
const QA4: f64 = 1.26171219808761642112e-01;
const QA5: f64 = 1.36370839120290507362e-02;
const QA6: f64 = 1.19844998467991074170e-02;
const RA0: f64 = -9.86494403484714822705e-03;
const RA1: f64 = -6.93858572707181764372e-01;
const RA2: f64 = -1.05586262253232909814e+01;
const RA3: f64 = -6.23753324503260060396e+01;
const RA4: f64 = -1.62396669462573470355e+02;
const RA5: f64 = -1.84605092906711035994e+02;
const RA6: f64 = -8.12874355063065934246e+01;
const RA7: f64 = -9.81432934416914548592e+00;
const SA1: f64 = 1.96512716674392571292e+01;
const SA2: f64 = 1.37657754143519042600e+02;
const SA3: f64 = 4.34565877475229228821e+02;
const SA4: f64 = 6.45387271733267880336e+02;
const SA5: f64 = 4.29008140027567833386e+02;
const SA6: f64 = 1.08635005541779435134e+02;
const SA7: f64 = 6.57024977031928170135e+00;
const SA8: f64 = -6.04244152148580987438e-02;
const RB0: f64 = -9.86494292470009928597e-03;
const RB1: f64 = -7.99283237680523006574e-01;
const RB2: f64 = -1.77579549177547519889e+01;
const RB3: f64 = -1.60636384855821916062e+02;
const RB4: f64 = -6.37566443368389627722e+02;
const RB5: f64 = -1.02509513161107724954e+03;
const RB6: f64 = -4.83519191608651397019e+02;
const SB1: f64 = 3.03380607434824582924e+01;
const SB2: f64 = 3.25792512996573918826e+02;
const SB3: f64 = 1.53672958608443695994e+03;
const SB4: f64 = 3.19985821950859553908e+03;
const SB5: f64 = 2.55305040643316442583e+03;
const SB6: f64 = 4.74528541206955367215e+02;
const SB7: f64 = -2.24409524465858183362e+01;

/// `erfc(|x|)` for `0.84375 ≤ |x| < 28` (msun's cases 2 to 4).
fn erfc_mid(ax: f64) -> f64 {
    if ax < 1.25 {
        let s = ax - 1.0;
        let p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
        let q = 1.0 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
        return 1.0 - ERX - p / q;
    }
    let s = 1.0 / (ax * ax);
    let (r, big_s) = if ax < 1.0 / 0.35 {
        (
            RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7)))))),
            1.0 + s
                * (SA1
                    + s * (SA2
                        + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8))))))),
        )
    } else {
        (
            RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6))))),
            1.0 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7)))))),
        )
    };
    // z is ax with the low 32 bits cleared, so that z*z is exact (msun's Note 1).
    let z = f64::from_bits(ax.to_bits() & 0xffff_ffff_0000_0000);
    (-z * z - 0.5625).exp() * ((z - ax) * (z + ax) + r / big_s).exp() / ax
}

/// The complementary error function `erfc(x) = 1 − erf(x)`, to about one ulp (msun's
/// algorithm); `NaN` for `NaN`.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let ax = x.abs();
    if ax < 0.84375 {
        if ax < 2f64.powi(-56) {
            return 1.0 - x;
        }
        let z = x * x;
        let r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
        let s = 1.0 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
        let y = r / s;
        if x < 0.25 {
            return 1.0 - (x + x * y);
        }
        return 0.5 - (x - 0.5 + x * y);
    }
    if ax < 28.0 {
        let e = erfc_mid(ax);
        return if x < 0.0 { 2.0 - e } else { e };
    }
    if x < 0.0 { 2.0 } else { 0.0 }
}

// The coefficients below are those of Wichura's algorithm AS241 (PPND16), M. J. Wichura, "The
// percentage points of the normal distribution", Applied Statistics 37(3), 477–484 (1988),
// with the digits as printed there (also carried by CPython's `statistics.NormalDist`).
/// AS241's central region: numerator of `Φ⁻¹(1/2 + q) = q · A(r)/B(r)`, `r = 0.180625 − q²`.
const AS241_A: [f64; 8] = [
    3.387_132_872_796_366_608_0e0,
    1.331_416_678_917_843_774_5e2,
    1.971_590_950_306_551_442_7e3,
    1.373_169_376_550_946_112_5e4,
    4.592_195_393_154_987_145_7e4,
    6.726_577_092_700_870_085_3e4,
    3.343_057_558_358_812_810_5e4,
    2.509_080_928_730_122_672_7e3,
];
/// AS241's central region: denominator (constant term 1).
const AS241_B: [f64; 8] = [
    1.0,
    4.231_333_070_160_091_125_2e1,
    6.871_870_074_920_579_083_0e2,
    5.394_196_021_424_751_107_7e3,
    2.121_379_430_158_659_586_7e4,
    3.930_789_580_009_271_061_0e4,
    2.872_908_573_572_194_267_4e4,
    5.226_495_278_852_854_561_0e3,
];
/// AS241's near tail (`r = √(−ln p) ≤ 5`): numerator in `r − 1.6`.
const AS241_C: [f64; 8] = [
    1.423_437_110_749_683_577_34e0,
    4.630_337_846_156_545_295_90e0,
    5.769_497_221_460_691_405_50e0,
    3.647_848_324_763_204_605_04e0,
    1.270_458_252_452_368_382_58e0,
    2.417_807_251_774_506_117_70e-1,
    2.272_384_498_926_918_458_33e-2,
    7.745_450_142_783_414_076_40e-4,
];
/// AS241's near tail: denominator (constant term 1).
const AS241_D: [f64; 8] = [
    1.0,
    2.053_191_626_637_758_821_87e0,
    1.676_384_830_183_803_849_40e0,
    6.897_673_349_851_000_045_50e-1,
    1.481_039_764_274_800_745_90e-1,
    1.519_866_656_361_645_719_66e-2,
    5.475_938_084_995_344_946_00e-4,
    1.050_750_071_644_416_843_24e-9,
];
/// AS241's far tail (`r > 5`): numerator in `r − 5`.
const AS241_E: [f64; 8] = [
    6.657_904_643_501_103_777_20e0,
    5.463_784_911_164_114_369_90e0,
    1.784_826_539_917_291_335_80e0,
    2.965_605_718_285_048_912_30e-1,
    2.653_218_952_657_612_309_30e-2,
    1.242_660_947_388_078_438_60e-3,
    2.711_555_568_743_487_578_15e-5,
    2.010_334_399_292_288_132_65e-7,
];
/// AS241's far tail: denominator (constant term 1).
const AS241_F: [f64; 8] = [
    1.0,
    5.998_322_065_558_879_376_90e-1,
    1.369_298_809_227_358_053_10e-1,
    1.487_536_129_085_061_485_25e-2,
    7.868_691_311_456_132_591_00e-4,
    1.846_318_317_510_054_681_80e-5,
    1.421_511_758_316_445_888_70e-7,
    2.044_263_103_389_939_785_64e-15,
];

/// `Σ c_i x^i` by Horner's rule, `c` in increasing degree.
#[inline(always)]
fn horner(c: &[f64; 8], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &ci| acc * x + ci)
}

/// AS241's central region: `Φ⁻¹(1/2 + q)` for `|q| ≤ 0.425`. Taking `q` itself (not `p`)
/// keeps the full relative accuracy near 0, where `p − 1/2` would cancel.
#[inline]
fn normal_quantile_central(q: f64) -> f64 {
    let r = 0.180625 - q * q;
    q * horner(&AS241_A, r) / horner(&AS241_B, r)
}

/// AS241's tails: `−Φ⁻¹(t) = Φ⁻¹(1 − t) > 0` for a tail probability `0 < t < 0.075`, taken
/// as given so that `1 − t` never rounds.
#[inline]
fn normal_upper_quantile_tail(t: f64) -> f64 {
    let r = (-t.ln()).sqrt();
    if r <= 5.0 {
        let r = r - 1.6;
        horner(&AS241_C, r) / horner(&AS241_D, r)
    } else {
        let r = r - 5.0;
        horner(&AS241_E, r) / horner(&AS241_F, r)
    }
}

/// The inverse of the standard normal cdf `Φ`: the `x` with `Φ(x) = p`, by Wichura's algorithm
/// AS241 (PPND16), relative accuracy about `1e-16` over the whole range of `f64`.
///
/// Contract: `−∞` at `p = 0`, `+∞` at `p = 1`, `0` at `p = 1/2`, exactly odd about `1/2`
/// where `1 − p` is exact (`Φ⁻¹(1 − p) = −Φ⁻¹(p)`), increasing except for steps of about one
/// ulp down where AS241's three rational approximations meet (`p = 0.075`, `0.925`, `e^-25`
/// and `1 − e^-25`), and finite on `(0, 1)` down to the smallest subnormal `p` (about
/// `−38.5`). For `p` near 1 the answer is that of the
/// representable `p`: the upper tail `1 − p` is resolved only to `2^-53`, so the largest finite
/// result is about `8.2`; use [`half_normal_quantile`] (or the symmetry) to reach further.
///
/// # Errors
/// [`SamplingError::Probability`] unless `0 ≤ p ≤ 1` (NaN refused).
///
/// # Example
/// ```
/// use logprune_sampling::normal_quantile;
/// assert_eq!(normal_quantile(0.5)?, 0.0);
/// assert!((normal_quantile(0.975)? - 1.959963984540054).abs() < 1e-15);
/// assert!((normal_quantile(1e-300)? + 37.0470962993612).abs() < 1e-13);
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
pub fn normal_quantile(p: f64) -> Result<f64, SamplingError> {
    let p = check_probability(p)?;
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        return Ok(normal_quantile_central(q));
    }
    if p == 0.0 {
        return Ok(f64::NEG_INFINITY);
    }
    if p == 1.0 {
        return Ok(f64::INFINITY);
    }
    // p < 0.075 or p > 0.925, where 1 − p is exact (Sterbenz).
    Ok(if q < 0.0 {
        -normal_upper_quantile_tail(p)
    } else {
        normal_upper_quantile_tail(1.0 - p)
    })
}

/// The quantile of the half-normal law `|Z|`, `Z ~ N(0, 1)`: the `x ≥ 0` with
/// `P(|Z| ≤ x) = u`, that is `Φ⁻¹((1 + u)/2)`, to AS241's accuracy (see [`normal_quantile`]).
///
/// `(1 + u)/2` is never formed: the central region takes `q = u/2` (exact), so that small `u`
/// keep their relative accuracy (`x ≈ u√(π/2)`), and the tail takes `(1 − u)/2` (exact for
/// `u ≥ 1/2`), so that `u = 1 − 2^-53` gives `x ≈ 8.29` where `(1 + u)/2` would round to 1.
///
/// Contract: `0` at `u = 0`, `+∞` at `u = 1`, finite and positive on `(0, 1)`, increasing
/// except for steps of about one ulp where AS241's approximations meet (`u = 0.85` and
/// `u = 1 − 2e^-25`).
///
/// # Errors
/// [`SamplingError::Probability`] unless `0 ≤ u ≤ 1` (NaN refused).
///
/// # Example
/// ```
/// use logprune_sampling::half_normal_quantile;
/// // P(|Z| ≤ 1.959963984540054) = 0.95.
/// assert!((half_normal_quantile(0.95)? - 1.959963984540054).abs() < 1e-15);
/// let tiny = 1e-200;
/// let x = half_normal_quantile(tiny)?;
/// assert!((x / (tiny * (std::f64::consts::PI / 2.0).sqrt()) - 1.0).abs() < 1e-15);
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
pub fn half_normal_quantile(u: f64) -> Result<f64, SamplingError> {
    let u = check_probability(u)?;
    if u == 1.0 {
        return Ok(f64::INFINITY);
    }
    Ok(half_normal_quantile_with_tail(u, || 1.0 - u))
}

/// [`half_normal_quantile`] for `0 ≤ u < 1`, unchecked, with the upper tail `1 − u` supplied
/// by the caller (evaluated only when `u > 0.85`): the sampling path gives it exactly from the
/// word ([`crate::SignedGaussian`]), the checked function as `1 − u` (exact for `u ≥ 1/2`).
/// Requires `one_minus_u() > 0` when it is called.
#[inline(always)]
pub(crate) fn half_normal_quantile_with_tail(u: f64, one_minus_u: impl FnOnce() -> f64) -> f64 {
    // AS241's regions in p = (1 + u)/2: central while |p − 1/2| = u/2 ≤ 0.425.
    let q = 0.5 * u;
    if q <= 0.425 {
        normal_quantile_central(q)
    } else {
        normal_upper_quantile_tail(0.5 * one_minus_u())
    }
}

/// Nodes and weights of the `n`-point Gauss–Legendre rule on `[-1, 1]`, by Newton's method on
/// the Legendre polynomial `P_n` (exact for polynomials of degree `2n − 1`).
pub(crate) fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(n);
    let nf = n as f64;
    for i in 0..n {
        // Tricomi's initial guess for the i-th root (descending).
        let mut x = (core::f64::consts::PI * (i as f64 + 0.75) / (nf + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            // P_n(x) and P_{n-1}(x) by the three-term recurrence.
            let (mut p0, mut p1) = (1.0, x);
            for k in 2..=n {
                let kf = k as f64;
                let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
                p0 = p1;
                p1 = p2;
            }
            let (pn, pn1) = if n == 1 { (x, 1.0) } else { (p1, p0) };
            dp = nf * (x * pn - pn1) / (x * x - 1.0);
            let dx = pn / dp;
            x -= dx;
            if dx.abs() <= 1e-16 {
                break;
            }
        }
        out.push((x, 2.0 / ((1.0 - x * x) * dp * dp)));
    }
    out
}

/// Named tolerances of the unit tests (statrs' `prec` style).
#[cfg(test)]
pub(crate) mod prec {
    /// Relative tolerance of closed forms evaluated in floating point (a few ulps).
    pub const REL: f64 = 1e-14;
    /// Absolute tolerance of quadrature-based values (cdf of [`crate::InvLogLogSquared`]).
    pub const QUAD: f64 = 1e-13;
    /// Relative tolerance of a series truncated where its next term is below `1e-20`: a few
    /// ulps of the evaluation alone.
    pub const SERIES: f64 = 1e-15;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn erfc_known_values() {
        // erfc(0.5), erfc(1), erfc(2), erfc(5), erfc(-1) from tables (Abramowitz & Stegun 7.1;
        // erfc(5) = 1.5374597944280348e-12).
        let cases = [
            (0.0, 1.0),
            (0.5, 0.4795001221869535),
            (1.0, 0.15729920705028513),
            (2.0, 0.004677734981047266),
            (5.0, 1.5374597944280348e-12),
            (-1.0, 1.8427007929497148),
        ];
        for (x, want) in cases {
            let got = erfc(x);
            assert!(
                (got - want).abs() <= prec::REL * want,
                "erfc({x}) = {got}, want {want}"
            );
        }
        assert_eq!(erfc(30.0), 0.0);
        assert_eq!(erfc(-30.0), 2.0);
        assert!(erfc(f64::NAN).is_nan());
    }

    #[test]
    fn gauss_legendre_integrates_polynomials_exactly() {
        let rule = gauss_legendre(16);
        let wsum: f64 = rule.iter().map(|&(_, w)| w).sum();
        assert!((wsum - 2.0).abs() <= prec::REL);
        // ∫_{-1}^{1} x^30 dx = 2/31 (degree 30 ≤ 2·16 − 1), odd powers vanish.
        let even: f64 = rule.iter().map(|&(x, w)| w * x.powi(30)).sum();
        assert!((even - 2.0 / 31.0).abs() <= prec::REL);
        let odd: f64 = rule.iter().map(|&(x, w)| w * x.powi(29)).sum();
        assert!(odd.abs() <= prec::REL);
        // Nodes are distinct and inside (-1, 1).
        for pair in rule.windows(2) {
            assert!(pair[0].0 > pair[1].0);
        }
        assert!(rule.iter().all(|&(x, _)| x.abs() < 1.0));
    }

    /// The largest relative step down of Φ⁻¹ where two of AS241's rational approximations meet:
    /// two ulps.
    const BOUNDARY_JUMP: f64 = 2.0 * f64::EPSILON;

    /// `Φ(x) − p` (or, for `p > 1/2`, `(1 − p) − (1 − Φ(x))`, both tails exact) by `erfc`.
    fn cdf_residual(x: f64, p: f64) -> f64 {
        if p <= 0.5 {
            0.5 * erfc(-x / core::f64::consts::SQRT_2) - p
        } else {
            (1.0 - p) - 0.5 * erfc(x / core::f64::consts::SQRT_2)
        }
    }

    /// The error in `x` that the residual `Φ(x) − p` implies, `(Φ(x) − p)/φ(x)`, relative to
    /// `max(|x|, 1)`: the quantile's own error to first order, well conditioned in the tails
    /// (where a relative error `δ` in `x` moves `p` by a relative `x²δ`, so comparing `p`
    /// itself would need a tolerance 1400 times larger at `p = 1e-300`).
    fn implied_relative_error(x: f64, p: f64) -> f64 {
        let phi = (-0.5 * x * x).exp() / (2.0 * core::f64::consts::PI).sqrt();
        (cdf_residual(x, p) / phi).abs() / x.abs().max(1.0)
    }

    /// Probabilities from `1e-300` to `1 − 1e-16`: decades, mantissas, the region boundaries
    /// of AS241 (`0.075`, `0.925`, and `r = 5`, i.e. `p = e^-25`) and their neighbours.
    fn probability_grid() -> Vec<f64> {
        let mut ps = Vec::new();
        for e in 1..=300 {
            for m in [1.0, 2.5, 7.0] {
                ps.push(m * 10f64.powi(-e));
            }
        }
        for k in 1..1000 {
            ps.push(f64::from(k) / 1000.0);
        }
        for e in 1..=16 {
            ps.push(1.0 - 10f64.powi(-e));
        }
        for b in [0.075, 0.925, (-25.0f64).exp()] {
            let mut lo = b;
            let mut hi = b;
            for _ in 0..4 {
                lo = lo.next_down();
                hi = hi.next_up();
                ps.extend([lo, hi]);
            }
            ps.push(b);
        }
        ps.retain(|&p| p > 0.0 && p < 1.0);
        ps
    }

    #[test]
    fn normal_quantile_round_trips_through_erfc() {
        let mut worst: f64 = 0.0;
        for p in probability_grid() {
            let x = normal_quantile(p).unwrap();
            assert!(x.is_finite(), "Φ⁻¹({p}) = {x}");
            assert_eq!(x < 0.0, p < 0.5, "sign of Φ⁻¹({p}) = {x}");
            let err = implied_relative_error(x, p);
            worst = worst.max(err);
            assert!(err <= prec::REL, "Φ⁻¹({p}) = {x}: implied error {err:e}");
        }
        // And from the other side: x → Φ(x) → Φ⁻¹, well conditioned for x ≤ −1 (for x > 0,
        // Φ(x) near 1 is resolved only to 2^-53, which alone moves x by 2^-54/φ(x); the upper
        // tail is the same code by the exact oddness tested below).
        for k in -3700..=-100 {
            let x = f64::from(k) / 100.0;
            let p = 0.5 * erfc(-x / core::f64::consts::SQRT_2);
            let back = normal_quantile(p).unwrap();
            assert!(
                (back - x).abs() <= prec::REL * x.abs(),
                "Φ⁻¹(Φ({x})) = {back}"
            );
        }
        eprintln!("worst implied relative error of Φ⁻¹ on the grid: {worst:e}");
    }

    #[test]
    fn normal_quantile_known_values() {
        // Φ⁻¹ at textbook points (Abramowitz & Stegun 26.2; 1e-300 by bisection on Python's
        // math.erfc, independent of this crate).
        let cases = [
            (0.975, 1.959963984540054),
            (0.995, 2.5758293035489004),
            (0.75, 0.6744897501960817),
            (0.001, -3.090232306167813),
            (1e-300, -37.0470962993612),
        ];
        for (p, want) in cases {
            let got = normal_quantile(p).unwrap();
            assert!(
                (got - want).abs() <= prec::REL * want.abs(),
                "Φ⁻¹({p}) = {got}, want {want}"
            );
        }
        assert_eq!(normal_quantile(0.5).unwrap(), 0.0);
        assert_eq!(normal_quantile(0.0).unwrap(), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0).unwrap(), f64::INFINITY);
        // The smallest subnormal is still finite.
        let x = normal_quantile(f64::from_bits(1)).unwrap();
        assert!(x.is_finite() && x < -38.0, "{x}");
    }

    #[test]
    fn normal_quantile_is_odd_and_monotone() {
        // k/1024 and 1 − k/1024 are both exact: the two regions give exactly opposite values.
        for k in 1..512 {
            let p = f64::from(k) / 1024.0;
            assert_eq!(
                normal_quantile(p).unwrap(),
                -normal_quantile(1.0 - p).unwrap()
            );
        }
        // Nondecreasing ulp by ulp around the region boundaries, up to the jump of about one
        // ulp where two of AS241's approximations meet (found at p = 0.075: the tail gives
        // -1.4395314709384555 just below, the central region -1.4395314709384557 at 0.075).
        for b in [0.075, 0.925, (-25.0f64).exp()] {
            let mut p = b;
            for _ in 0..200 {
                p = p.next_down();
            }
            let mut prev = normal_quantile(p).unwrap();
            for _ in 0..400 {
                p = p.next_up();
                let x = normal_quantile(p).unwrap();
                assert!(
                    x >= prev - BOUNDARY_JUMP * prev.abs(),
                    "Φ⁻¹ decreases at {p}: {prev} then {x}"
                );
                prev = x;
            }
        }
        // Strictly increasing inside the regions, on a coarse grid.
        let ps = probability_grid();
        let mut sorted = ps.clone();
        sorted.sort_by(f64::total_cmp);
        sorted.dedup();
        for w in sorted.windows(2) {
            if w[1] - w[0] > 1e-12 * w[0] {
                assert!(normal_quantile(w[0]).unwrap() < normal_quantile(w[1]).unwrap());
            }
        }
    }

    #[test]
    fn half_normal_quantile_accuracy() {
        // Near 0: Φ⁻¹(1/2 + u/2) = √(π/2)·u·(1 + πu²/12 + O(u⁴)), the O(u⁴) term below 1e-20
        // for u ≤ 1e-5: relative accuracy is kept all the way down, where (1 + u)/2 would be 1/2.
        for u in [1e-300, 1e-200, 1e-100, 1e-20, 2f64.powi(-54), 1e-10, 1e-5] {
            let x = half_normal_quantile(u).unwrap();
            let want = (core::f64::consts::PI / 2.0).sqrt()
                * u
                * (1.0 + core::f64::consts::PI * u * u / 12.0);
            assert!(
                (x - want).abs() <= prec::SERIES * want,
                "half-normal quantile of {u} = {x}, want {want}"
            );
        }
        // Agrees exactly with Φ⁻¹ where (1 + u)/2 is exact, and with its tail where (1 − u)/2 is.
        for k in 0..1024 {
            let u = f64::from(k) / 1024.0;
            let h = half_normal_quantile(u).unwrap();
            assert_eq!(h, normal_quantile(0.5 + 0.5 * u).unwrap(), "u = {u}");
            if u > 0.85 {
                assert_eq!(h, -normal_quantile(0.5 * (1.0 - u)).unwrap(), "u = {u}");
            }
        }
        // Round trip: P(|Z| > x) = erfc(x/√2) = 1 − u, well conditioned for u ≥ 1/2.
        for e in 1..=53 {
            let u = 1.0 - 2f64.powi(-e);
            let x = half_normal_quantile(u).unwrap();
            let upper = erfc(x / core::f64::consts::SQRT_2);
            let phi2 = 2.0 * (-0.5 * x * x).exp() / (2.0 * core::f64::consts::PI).sqrt();
            let err = ((upper - (1.0 - u)) / phi2).abs() / x;
            assert!(
                err <= prec::REL,
                "u = 1 − 2^-{e}: x = {x}, implied error {err:e}"
            );
        }
        assert_eq!(half_normal_quantile(0.0).unwrap(), 0.0);
        assert_eq!(half_normal_quantile(1.0).unwrap(), f64::INFINITY);
    }

    #[test]
    fn quantiles_refuse_non_probabilities() {
        for p in [
            -0.0001,
            1.0001,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let e = normal_quantile(p).unwrap_err();
            assert!(matches!(e, SamplingError::Probability { .. }), "{e}");
            let e = half_normal_quantile(p).unwrap_err();
            assert!(matches!(e, SamplingError::Probability { .. }), "{e}");
        }
        let msg = normal_quantile(1.5).unwrap_err().to_string();
        assert!(msg.contains("u = 1.5"), "{msg}");
    }
}
