//! Lemma 28 (product of weights): the density of `w = v·v'` for `v, v'` i.i.d. from the
//! hyperbolic density `P_v(v) = c/v` on `[a, b]`, `c = 1/ln(b/a)`.
//!
//! The proof shows that `u = 2c(ln w − ln(ab))` is the sum of two uniforms on `[-1, 1]`, so it
//! is triangular on `[-2, 2]` and, exactly,
//!
//! ```text
//! P_w(w) = (c/w) (1 − |u|/2)   for w ∈ [a², b²],   0 elsewhere,
//! ```
//!
//! which is `≥ c/(2w)` on `[a', b'] = [a√(ab), b√(ab)]` (where `|u| ≤ 1`). The lemma says
//! "at least half of the time" `w` is in `[a', b']`; the triangular law gives exactly `3/4`.
//! Theorem 3 chooses `[α, β] = [α'/q, β'/q]`, `q = (α'β')^{1/4}`, precisely so that
//! `[a', b'] = [α', β']`.

use crate::lognum::LogNum;
use crate::params::ParamError;

/// The product of two independent hyperbolic weights on `[a, b]` (Lemma 28).
///
/// # Example
/// ```
/// use logprune_bounds::product::HyperbolicProduct;
/// let p = HyperbolicProduct::new(0.1, 10.0)?;
/// // a' = a√(ab) = 0.1, b' = b√(ab) = 10, c = 1/ln 100
/// assert!((p.a_prime().value() - 0.1).abs() < 1e-15);
/// assert!((p.b_prime().value() - 10.0).abs() < 1e-13);
/// // At w = ab = 1 the density is c/w (the peak of the triangle); the bound is c/(2w).
/// let c = 1.0 / 100f64.ln();
/// assert!((p.density(1.0) - c).abs() < 1e-15);
/// assert_eq!(p.density_lower_bound(1.0), Some(c / 2.0));
/// assert_eq!(p.mass_in_prime_range(), 0.75);
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HyperbolicProduct {
    ln_a: f64,
    ln_b: f64,
}

impl HyperbolicProduct {
    /// The product law for `0 < a < b`, both finite.
    ///
    /// # Errors
    /// [`ParamError::OutOfRange`] naming `a` or `b`.
    pub fn new(a: f64, b: f64) -> Result<Self, ParamError> {
        if !(a > 0.0 && a.is_finite()) {
            return Err(ParamError::OutOfRange {
                name: "a (Lemma 28)",
                value: a,
                expected: "a finite number > 0",
            });
        }
        if !(b > a && b.is_finite()) {
            return Err(ParamError::OutOfRange {
                name: "b (Lemma 28)",
                value: b,
                expected: "a finite number > a",
            });
        }
        Ok(HyperbolicProduct {
            ln_a: a.ln(),
            ln_b: b.ln(),
        })
    }

    /// The product law for `a < b` given in log domain (e.g. Theorem 3's `α`, `β`).
    ///
    /// # Errors
    /// [`ParamError::OutOfRange`] naming `b` unless `ln b > ln a`.
    pub fn from_log(a: LogNum, b: LogNum) -> Result<Self, ParamError> {
        if !(b.ln() > a.ln()) {
            return Err(ParamError::OutOfRange {
                name: "b (Lemma 28)",
                value: b.value(),
                expected: "a number > a",
            });
        }
        Ok(HyperbolicProduct {
            ln_a: a.ln(),
            ln_b: b.ln(),
        })
    }

    /// The normalization `c = 1/ln(b/a) > 0`.
    pub fn c(&self) -> f64 {
        1.0 / (self.ln_b - self.ln_a)
    }

    /// `a' = a√(ab)`: the low end of the range where `P_w(w) ≥ c/(2w)`.
    pub fn a_prime(&self) -> LogNum {
        LogNum::from_ln_unchecked(1.5 * self.ln_a + 0.5 * self.ln_b)
    }

    /// `b' = b√(ab)`: the high end of that range.
    pub fn b_prime(&self) -> LogNum {
        LogNum::from_ln_unchecked(0.5 * self.ln_a + 1.5 * self.ln_b)
    }

    /// The support `[a², b²]` of `w`, as `(low, high)`.
    pub fn support(&self) -> (LogNum, LogNum) {
        (
            LogNum::from_ln_unchecked(2.0 * self.ln_a),
            LogNum::from_ln_unchecked(2.0 * self.ln_b),
        )
    }

    /// `u = 2c(ln w − ln(ab))`, in `[-2, 2]` on the support.
    fn u_of_ln(&self, ln_w: f64) -> f64 {
        2.0 * self.c() * (ln_w - (self.ln_a + self.ln_b))
    }

    /// The exact density `P_w(w) = (c/w)(1 − |u|/2)` on `[a², b²]` and `0` elsewhere
    /// (from the proof of Lemma 28); `≥ 0`, never `NaN` for `w > 0`.
    pub fn density(&self, w: f64) -> f64 {
        if !(w > 0.0) {
            return 0.0;
        }
        let u = self.u_of_ln(w.ln());
        if u.abs() > 2.0 {
            return 0.0;
        }
        self.c() / w * (1.0 - 0.5 * u.abs())
    }

    /// The density of `ln w`, `c (1 − |u|/2)` on `[2 ln a, 2 ln b]` and `0` elsewhere, which
    /// stays finite when `w` itself is outside `f64`'s range.
    pub fn density_of_ln(&self, ln_w: f64) -> f64 {
        let u = self.u_of_ln(ln_w);
        if !(u.abs() <= 2.0) {
            return 0.0;
        }
        self.c() * (1.0 - 0.5 * u.abs())
    }

    /// Lemma 28's lower bound `c/(2w)` for `w ∈ [a', b']`, `None` outside that range (where
    /// the lemma claims nothing).
    pub fn density_lower_bound(&self, w: f64) -> Option<f64> {
        if !(w > 0.0) {
            return None;
        }
        let u = self.u_of_ln(w.ln());
        (u.abs() <= 1.0).then(|| self.c() / (2.0 * w))
    }

    /// The cumulative distribution `P[v·v' ≤ w]` in `[0, 1]`, from the triangular law of `u`:
    /// `(u+2)²/8` for `u ≤ 0`, `1 − (2−u)²/8` for `u ≥ 0`.
    pub fn cdf(&self, w: f64) -> f64 {
        if !(w > 0.0) {
            return 0.0;
        }
        self.cdf_of_ln(w.ln())
    }

    /// [`HyperbolicProduct::cdf`] as a function of `ln w`.
    pub fn cdf_of_ln(&self, ln_w: f64) -> f64 {
        let u = self.u_of_ln(ln_w).clamp(-2.0, 2.0);
        if u <= 0.0 {
            (u + 2.0) * (u + 2.0) / 8.0
        } else {
            1.0 - (2.0 - u) * (2.0 - u) / 8.0
        }
    }

    /// `P[w ∈ [a', b']] = 3/4` (the lemma's remark says "at least half of the time").
    pub fn mass_in_prime_range(&self) -> f64 {
        self.cdf_of_ln(self.b_prime().ln()) - self.cdf_of_ln(self.a_prime().ln())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prec::{SAME_FORMULA, assert_rel};

    #[test]
    fn density_by_hand() {
        // a = 1, b = e²: c = 1/2, ab = e², support [1, e⁴], [a', b'] = [e, e³].
        let p = HyperbolicProduct::new(1.0, 2f64.exp()).unwrap();
        assert_rel(p.c(), 0.5, SAME_FORMULA);
        assert_rel(p.a_prime().ln(), 1.0, SAME_FORMULA);
        assert_rel(p.b_prime().ln(), 3.0, SAME_FORMULA);
        // At w = e: u = 2·(1/2)·(1 − 2) = −1, density (c/w)(1 − 1/2) = 1/(4e): equal to the bound.
        let w = 1f64.exp();
        assert_rel(p.density(w), 0.25 / w, SAME_FORMULA);
        assert_rel(p.density_lower_bound(w).unwrap(), 0.25 / w, SAME_FORMULA);
        // At w = e²: u = 0, density c/w = 1/(2e²).
        let w = 2f64.exp();
        assert_rel(p.density(w), 0.5 / w, SAME_FORMULA);
        // Outside the support: 0; outside [a', b']: no bound.
        assert_eq!(p.density(0.5), 0.0);
        assert_eq!(p.density(5f64.exp()), 0.0);
        assert_eq!(p.density_lower_bound(1.5), None);
        assert_eq!(p.density(-1.0), 0.0);
        assert_rel(p.mass_in_prime_range(), 0.75, SAME_FORMULA);
        assert_eq!(p.cdf(1.0), 0.0);
        assert_eq!(p.cdf(4f64.exp() * 1.01), 1.0);
        assert_rel(p.cdf(2f64.exp()), 0.5, SAME_FORMULA);
    }

    #[test]
    fn bound_holds_on_prime_range_and_density_integrates_to_cdf() {
        let p = HyperbolicProduct::new(0.003, 7.0).unwrap();
        let (lo, hi) = (p.a_prime().ln(), p.b_prime().ln());
        let steps = 2000;
        for i in 0..=steps {
            let lw = lo + (hi - lo) * i as f64 / steps as f64;
            let w = lw.exp();
            if i > 0 && i < steps {
                let b = p.density_lower_bound(w).unwrap();
                assert!(p.density(w) >= b * (1.0 - 1e-12), "at w = {w}");
            }
        }
        // Midpoint rule on ln w: ∫ density_of_ln d(ln w) between two points = cdf difference.
        let (s0, s1) = (p.support().0.ln(), p.support().1.ln());
        let n = 20_000;
        let h = (s1 - s0) / n as f64;
        let integral: f64 = (0..n)
            .map(|i| p.density_of_ln(s0 + (i as f64 + 0.5) * h) * h)
            .sum();
        // Piecewise-linear integrand: the midpoint rule is exact except at the kink.
        assert!((integral - 1.0).abs() < 1e-6, "{integral}");
    }

    #[test]
    fn theorem3_choice_maps_prime_range_onto_alpha_beta_prime() {
        // α' = 2ε_w/9, β' = 2w_max/3, q = (α'β')^{1/4}, α = α'/q, β = β'/q ⇒ a' = α', b' = β'.
        let (ap, bp): (f64, f64) = (2.0 * 1e-5 / 9.0, 2.0 / 3.0);
        let q = (ap * bp).powf(0.25);
        let p = HyperbolicProduct::new(ap / q, bp / q).unwrap();
        assert_rel(p.a_prime().value(), ap, SAME_FORMULA);
        assert_rel(p.b_prime().value(), bp, SAME_FORMULA);
    }

    #[test]
    fn every_error_case() {
        assert!(
            matches!(HyperbolicProduct::new(0.0, 1.0), Err(ParamError::OutOfRange { name, .. }) if name.starts_with('a'))
        );
        assert!(
            matches!(HyperbolicProduct::new(1.0, 1.0), Err(ParamError::OutOfRange { name, .. }) if name.starts_with('b'))
        );
        assert!(HyperbolicProduct::new(1.0, f64::INFINITY).is_err());
        assert!(HyperbolicProduct::new(f64::NAN, 1.0).is_err());
        let one = LogNum::from_value(1.0).unwrap();
        assert!(HyperbolicProduct::from_log(one, one).is_err());
    }
}
