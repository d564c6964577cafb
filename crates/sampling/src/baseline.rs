//! Baseline weight distributions behind the same interface as the hyperbolic ones: uniform on
//! `[-a, a]` (Malach et al.'s choice, Remark 16), Gaussian (Remark 16), and the product of one
//! draw of each of two distributions (the product weights `V·U` of Section 5), with closed-form
//! cdfs for the products of two uniforms and of two hyperbolics.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::error::{check_probability, check_scale};
use crate::special::erfc;
use crate::{
    Continuous, Hyperbolic, LogWeight, SampleBits, SamplingError, SignedHyperbolic, unit_open,
};

/// The uniform density `1/(2a)` on `[-a, a]`.
///
/// Sampled from one word as `a(2u − 1)`, `u = unit_open(bits)`. `2u − 1` is exact, but `u`
/// itself is rounded from 1/2 on ([`unit_open`]): the negative values are `a` times the odd
/// multiples of `2^-53` in `(−1, 0)`, the others `a` times multiples of `2^-51` in `[0, 1]`,
/// so `0` (word `1 << 63`) and `a` (the top word) occur and the value set is not exactly
/// symmetric; the law is uniform up to `2^-52`. [`crate::SignedUniform`] takes the sign from
/// bit 0 instead and is exactly symmetric.
///
/// # Example
/// ```
/// use logprune_sampling::{Continuous, Uniform};
/// let u = Uniform::new(2.0)?;
/// assert_eq!(u.cdf(1.0), 0.75);
/// assert_eq!(u.inverse_cdf(0.25)?, -1.0);
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Uniform {
    a: f64,
}

impl Uniform {
    /// The uniform density on `[-a, a]`.
    ///
    /// # Errors
    /// [`SamplingError::Scale`] unless `a` is finite and positive.
    pub fn new(a: f64) -> Result<Self, SamplingError> {
        Ok(Uniform {
            a: check_scale("a", a)?,
        })
    }

    /// The half-width `a`.
    pub fn half_width(&self) -> f64 {
        self.a
    }

    /// The inverse cdf `a(2u − 1)`.
    ///
    /// # Errors
    /// [`SamplingError::Probability`] unless `0 ≤ u ≤ 1`.
    pub fn inverse_cdf(&self, u: f64) -> Result<f64, SamplingError> {
        Ok(self.a * (2.0 * check_probability(u)? - 1.0))
    }
}

impl SampleBits for Uniform {
    /// `a(2u − 1)` with `u = unit_open(bits)`.
    #[inline(always)]
    fn sample_bits(&self, bits: u64) -> f64 {
        // 2u − 1 is exact for every value of unit_open (the rounding is in u, see the type).
        self.a * (2.0 * unit_open(bits) - 1.0)
    }
}

impl Continuous for Uniform {
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

/// The centred Gaussian density `exp(−x²/(2σ²)) / (σ√(2π))`.
///
/// Sampled with `rand_distr`'s `StandardNormal` (ziggurat; usually one `u64`, occasionally
/// more) times `σ`; its values are pinned by this crate's value-stability test, so a change in
/// `rand_distr` would be noticed. The cdf uses an `erfc` accurate to about one ulp.
///
/// # Example
/// ```
/// use logprune_sampling::{Continuous, Gaussian};
/// let g = Gaussian::new(2.0)?;
/// assert_eq!(g.cdf(0.0), 0.5);
/// assert!((g.cdf(2.0) - 0.8413447460685429).abs() < 1e-15);
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gaussian {
    sigma: f64,
}

impl Gaussian {
    /// The centred Gaussian with standard deviation `sigma`.
    ///
    /// # Errors
    /// [`SamplingError::Scale`] unless `sigma` is finite and positive.
    pub fn new(sigma: f64) -> Result<Self, SamplingError> {
        Ok(Gaussian {
            sigma: check_scale("sigma", sigma)?,
        })
    }

    /// The standard deviation `σ`.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }
}

impl Distribution<f64> for Gaussian {
    /// `σ · StandardNormal`.
    #[inline]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let z: f64 = StandardNormal.sample(rng);
        self.sigma * z
    }
}

impl Continuous for Gaussian {
    fn pdf(&self, x: f64) -> f64 {
        let z = x / self.sigma;
        (-0.5 * z * z).exp() / (self.sigma * (2.0 * core::f64::consts::PI).sqrt())
    }

    /// `erfc(−x/(σ√2))/2`, accurate in both tails.
    fn cdf(&self, x: f64) -> f64 {
        0.5 * erfc(-x / (self.sigma * core::f64::consts::SQRT_2))
    }
}

/// The product `X·Y` of one draw of each of two independent distributions: Section 5's product
/// weights `z_out · z_in` (Lemma 28).
///
/// Every `Product` of two [`Distribution`]s is a [`Distribution`]; the cdf is in closed form
/// ([`Continuous`]) for two [`Uniform`]s, two [`Hyperbolic`]s and two [`SignedHyperbolic`]s.
///
/// # Example
/// ```
/// use logprune_sampling::{Continuous, Product, Uniform};
/// let p = Product::new(Uniform::new(1.0)?, Uniform::new(1.0)?);
/// // |U1 U2| ≤ z with probability z(1 − ln z): z = 1/e gives 2/e.
/// let z = (-1.0_f64).exp();
/// assert!((p.cdf(z) - p.cdf(-z) - 2.0 * z).abs() < 1e-15);
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Product<A, B> {
    first: A,
    second: B,
}

impl<A, B> Product<A, B> {
    /// The distribution of `X·Y` with `X ~ first`, `Y ~ second` independent.
    pub fn new(first: A, second: B) -> Self {
        Product { first, second }
    }

    /// The distribution of the first factor.
    pub fn first(&self) -> &A {
        &self.first
    }

    /// The distribution of the second factor.
    pub fn second(&self) -> &B {
        &self.second
    }
}

impl<A: SampleBits, B: SampleBits> Product<A, B> {
    /// The product of the first factor encoded by `bits_first` and the second by
    /// `bits_second`; [`crate::counter::bits_pair`] gives both words from one counter.
    #[inline(always)]
    pub fn sample_bits_pair(&self, bits_first: u64, bits_second: u64) -> f64 {
        self.first.sample_bits(bits_first) * self.second.sample_bits(bits_second)
    }
}

impl Product<SignedHyperbolic, SignedHyperbolic> {
    /// The product in the log domain, `(ln|x| + ln|y|, sign_x XOR sign_y)`: two multiply-adds,
    /// no `exp` (ARCHITECTURE.md, cost model).
    ///
    /// Contract: `sample_log_bits_pair(b1, b2).value()` equals `sample_bits_pair(b1, b2)` up to a
    /// few ulps.
    #[inline(always)]
    pub fn sample_log_bits_pair(&self, bits_first: u64, bits_second: u64) -> LogWeight {
        self.first.sample_log_bits(bits_first) * self.second.sample_log_bits(bits_second)
    }

    /// Draws a product in the log domain from two `u64`s of `rng`.
    #[inline]
    pub fn sample_log<R: Rng + ?Sized>(&self, rng: &mut R) -> LogWeight {
        let b1 = rng.next_u64();
        let b2 = rng.next_u64();
        self.sample_log_bits_pair(b1, b2)
    }
}

impl<A: Distribution<f64>, B: Distribution<f64>> Distribution<f64> for Product<A, B> {
    /// Draws the first factor, then the second, and multiplies.
    #[inline]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let x = self.first.sample(rng);
        let y = self.second.sample(rng);
        x * y
    }
}

/// `z(1 − ln z)`, the cdf of the product of two uniforms on `[0, 1]`, for `0 ≤ z ≤ 1`.
fn uniform_product_abs_cdf(z: f64) -> f64 {
    if z <= 0.0 {
        0.0
    } else if z >= 1.0 {
        1.0
    } else {
        z * (1.0 - z.ln())
    }
}

impl Continuous for Product<Uniform, Uniform> {
    /// With `c = a₁a₂`: `ln(c/|x|)/(2c)` for `0 < |x| ≤ c` (`+inf` at 0), else 0.
    ///
    /// Derivation: `x = c·U₁U₂` with `Uᵢ` uniform on `[-1, 1]`; `|U₁U₂|` has density `−ln z` on
    /// `(0, 1]` and an independent fair sign.
    fn pdf(&self, x: f64) -> f64 {
        let c = self.first.a * self.second.a;
        let ax = x.abs();
        if x.is_nan() {
            f64::NAN
        } else if ax > c {
            0.0
        } else {
            (c / ax).ln() / (2.0 * c)
        }
    }

    /// `1/2 ± H(|x|/c)/2` (sign of `x`) with `H(z) = z(1 − ln z)` and `c = a₁a₂`.
    fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        let c = self.first.a * self.second.a;
        let h = uniform_product_abs_cdf(x.abs() / c);
        if x < 0.0 {
            0.5 * (1.0 - h)
        } else {
            0.5 * (1.0 + h)
        }
    }
}

/// Cdf at `s` of `S = Y₁ + Y₂`, `Yᵢ` uniform on `[0, Lᵢ]` (a trapezoid; a triangle when
/// `L₁ = L₂`, Lemma 28's proof): `[R(s) − R(s−L₁) − R(s−L₂) + R(s−L₁−L₂)] / (2L₁L₂)` with
/// `R(t) = max(t, 0)²`.
fn sum_of_uniforms_cdf(s: f64, l1: f64, l2: f64) -> f64 {
    if s <= 0.0 {
        return 0.0;
    }
    if s >= l1 + l2 {
        return 1.0;
    }
    let r = |t: f64| if t > 0.0 { t * t } else { 0.0 };
    // Evaluate from the nearer end, to keep the relative accuracy of small tails.
    if s <= 0.5 * (l1 + l2) {
        ((r(s) - r(s - l1) - r(s - l2)) / (2.0 * l1 * l2)).clamp(0.0, 1.0)
    } else {
        let t = l1 + l2 - s;
        (1.0 - (r(t) - r(t - l1) - r(t - l2)) / (2.0 * l1 * l2)).clamp(0.0, 1.0)
    }
}

/// Density at `s` of the same sum: `[T(s) − T(s−L₁) − T(s−L₂) + T(s−L₁−L₂)] / (L₁L₂)`,
/// `T(t) = max(t, 0)`.
fn sum_of_uniforms_pdf(s: f64, l1: f64, l2: f64) -> f64 {
    if s <= 0.0 || s >= l1 + l2 {
        return 0.0;
    }
    let t = |x: f64| x.max(0.0);
    (t(s) - t(s - l1) - t(s - l2) + t(s - l1 - l2)) / (l1 * l2)
}

impl Continuous for Product<Hyperbolic, Hyperbolic> {
    /// `f_S(ln w − ln α₁ − ln α₂)/w` on `[α₁α₂, β₁β₂]`, `f_S` the trapezoidal density of the
    /// sum of the two uniform logarithms (for equal ranges, Lemma 28's
    /// `c(1 − |u|/2)/w ≥ c/(2w)` on `[a', b']`).
    fn pdf(&self, w: f64) -> f64 {
        if w.is_nan() {
            return f64::NAN;
        }
        if w <= 0.0 {
            return 0.0;
        }
        let (h1, h2) = (&self.first, &self.second);
        sum_of_uniforms_pdf(
            w.ln() - h1.ln_alpha() - h2.ln_alpha(),
            h1.ln_ratio(),
            h2.ln_ratio(),
        ) / w
    }

    /// `P(ln(XY) ≤ ln w)`: the trapezoidal (triangular for equal ranges) cdf of the sum of two
    /// uniforms on `[ln αᵢ, ln βᵢ]`.
    fn cdf(&self, w: f64) -> f64 {
        if w.is_nan() {
            return f64::NAN;
        }
        if w <= 0.0 {
            return 0.0;
        }
        let (h1, h2) = (&self.first, &self.second);
        sum_of_uniforms_cdf(
            w.ln() - h1.ln_alpha() - h2.ln_alpha(),
            h1.ln_ratio(),
            h2.ln_ratio(),
        )
    }
}

impl Continuous for Product<SignedHyperbolic, SignedHyperbolic> {
    /// Half the density of the product of the magnitudes at `|w|` (fair independent sign).
    fn pdf(&self, w: f64) -> f64 {
        0.5 * Product::new(*self.first.magnitude(), *self.second.magnitude()).pdf(w.abs())
    }

    /// `1/2 ± F(|w|)/2`, `F` the cdf of the product of the magnitudes.
    fn cdf(&self, w: f64) -> f64 {
        if w.is_nan() {
            return f64::NAN;
        }
        let f = Product::new(*self.first.magnitude(), *self.second.magnitude()).cdf(w.abs());
        if w < 0.0 {
            0.5 * (1.0 - f)
        } else {
            0.5 * (1.0 + f)
        }
    }
}

/// One of the five signed weight distributions that the experiments compare (uniform,
/// Gaussian, hyperbolic, and the products of two uniforms and of two hyperbolics), as one type
/// so that a sweep can hold a list of them.
///
/// # Example
/// ```
/// use logprune_sampling::{Continuous, WeightDistribution};
/// use rand::SeedableRng;
/// use rand_distr::Distribution;
/// let all = WeightDistribution::paper_baselines(1e-2, 1.0)?;
/// let names: Vec<_> = all.iter().map(|d| d.name()).collect();
/// assert_eq!(names, ["uniform", "gaussian", "hyperbolic", "product_uniform", "product_hyperbolic"]);
/// let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
/// for d in &all {
///     let x = d.sample(&mut rng);
///     assert!(x.is_finite() && (0.0..=1.0).contains(&d.cdf(x)));
/// }
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum WeightDistribution {
    /// [`Uniform`] on `[-a, a]`.
    Uniform(Uniform),
    /// [`Gaussian`] with standard deviation `σ`.
    Gaussian(Gaussian),
    /// [`SignedHyperbolic`] on `[-β, -α] ∪ [α, β]`.
    Hyperbolic(SignedHyperbolic),
    /// Product of two [`Uniform`]s.
    ProductUniform(Product<Uniform, Uniform>),
    /// Product of two [`SignedHyperbolic`]s.
    ProductHyperbolic(Product<SignedHyperbolic, SignedHyperbolic>),
}

impl WeightDistribution {
    /// A short name for tables: `uniform`, `gaussian`, `hyperbolic`, `product_uniform`,
    /// `product_hyperbolic`.
    pub fn name(&self) -> &'static str {
        match self {
            WeightDistribution::Uniform(_) => "uniform",
            WeightDistribution::Gaussian(_) => "gaussian",
            WeightDistribution::Hyperbolic(_) => "hyperbolic",
            WeightDistribution::ProductUniform(_) => "product_uniform",
            WeightDistribution::ProductHyperbolic(_) => "product_hyperbolic",
        }
    }

    /// The five distributions in a standard configuration for weights in `[-w_max, w_max]`:
    /// uniform on `[-w_max, w_max]`, Gaussian with `σ = w_max`, hyperbolic on
    /// `[ε_w·2/9, w_max·2/3]` (Corollary 10's range for accuracy `ε_w/2`, so a single sample
    /// covers the golden-ratio intervals), the product of two uniforms on `[-1, 1]` times
    /// `w_max` (that is, uniforms on `[-√w_max, √w_max]`), and the product of two hyperbolics
    /// on Theorem 3's range ([`crate::theorem3_range`]), whose products fall in
    /// `[2ε_w/9, 2w_max/3]` at least half the time (Lemma 28).
    ///
    /// Returns them in the order of [`WeightDistribution::name`]'s list.
    ///
    /// # Errors
    /// [`SamplingError::Theorem3`] unless `0 < ε_w < 2 w_max`, both finite (see [`crate::theorem3_range`]).
    pub fn paper_baselines(epsilon_w: f64, w_max: f64) -> Result<Vec<Self>, SamplingError> {
        let (alpha, beta) = crate::theorem3_range(epsilon_w, w_max)?;
        let s = w_max.sqrt();
        Ok(vec![
            WeightDistribution::Uniform(Uniform::new(w_max)?),
            WeightDistribution::Gaussian(Gaussian::new(w_max)?),
            WeightDistribution::Hyperbolic(SignedHyperbolic::new(
                2.0 * epsilon_w / 9.0,
                2.0 * w_max / 3.0,
            )?),
            WeightDistribution::ProductUniform(Product::new(Uniform::new(s)?, Uniform::new(s)?)),
            WeightDistribution::ProductHyperbolic(Product::new(
                SignedHyperbolic::new(alpha, beta)?,
                SignedHyperbolic::new(alpha, beta)?,
            )),
        ])
    }
}

impl Distribution<f64> for WeightDistribution {
    #[inline]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            WeightDistribution::Uniform(d) => d.sample(rng),
            WeightDistribution::Gaussian(d) => d.sample(rng),
            WeightDistribution::Hyperbolic(d) => d.sample(rng),
            WeightDistribution::ProductUniform(d) => d.sample(rng),
            WeightDistribution::ProductHyperbolic(d) => d.sample(rng),
        }
    }
}

impl Continuous for WeightDistribution {
    fn pdf(&self, x: f64) -> f64 {
        match self {
            WeightDistribution::Uniform(d) => d.pdf(x),
            WeightDistribution::Gaussian(d) => d.pdf(x),
            WeightDistribution::Hyperbolic(d) => d.pdf(x),
            WeightDistribution::ProductUniform(d) => d.pdf(x),
            WeightDistribution::ProductHyperbolic(d) => d.pdf(x),
        }
    }

    fn cdf(&self, x: f64) -> f64 {
        match self {
            WeightDistribution::Uniform(d) => d.cdf(x),
            WeightDistribution::Gaussian(d) => d.cdf(x),
            WeightDistribution::Hyperbolic(d) => d.cdf(x),
            WeightDistribution::ProductUniform(d) => d.cdf(x),
            WeightDistribution::ProductHyperbolic(d) => d.cdf(x),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::special::prec;

    #[test]
    fn refuses_bad_scales() {
        for a in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                Uniform::new(a),
                Err(SamplingError::Scale { name: "a", .. })
            ));
            assert!(matches!(
                Gaussian::new(a),
                Err(SamplingError::Scale { name: "sigma", .. })
            ));
        }
        assert!(matches!(
            WeightDistribution::paper_baselines(3.0, 1.0),
            Err(SamplingError::Theorem3 { .. })
        ));
    }

    #[test]
    fn uniform_value_set_as_documented() {
        let u = Uniform::new(1.0).unwrap();
        assert_eq!(u.sample_bits(1 << 63), 0.0);
        assert_eq!(u.sample_bits(u64::MAX), 1.0);
        assert_eq!(u.sample_bits(0), -1.0 + 2f64.powi(-53));
        assert_eq!(u.sample_bits((1 << 63) - 1), -(2f64.powi(-53)));
        // Just above 1/2: k + 1/2 rounds to the even neighbour, so 2u − 1 steps by 2^-51.
        assert_eq!(u.sample_bits((1 << 63) + (1 << 11)), 2f64.powi(-51));
        assert_eq!(u.sample_bits((1 << 63) + (2 << 11)), 2f64.powi(-51));
        assert_eq!(u.sample_bits((1 << 63) + (3 << 11)), 2f64.powi(-50));
    }

    #[test]
    fn uniform_product_by_hand() {
        let p = Product::new(Uniform::new(2.0).unwrap(), Uniform::new(0.5).unwrap());
        // c = 1: P(|X| ≤ 1/e) = (1/e)(1 + 1) = 2/e; pdf(1/e) = 1/2.
        let z = (-1.0_f64).exp();
        assert!((p.cdf(z) - (0.5 + z)).abs() <= prec::REL);
        assert!((p.cdf(-z) - (0.5 - z)).abs() <= prec::REL);
        assert!((p.pdf(z) - 0.5).abs() <= prec::REL);
        assert_eq!(p.cdf(1.5), 1.0);
        assert_eq!(p.cdf(-1.5), 0.0);
        assert_eq!(p.pdf(1.5), 0.0);
    }

    #[test]
    fn hyperbolic_product_is_triangular_in_log() {
        // [1/e, e]: ln of each factor uniform on [-1, 1], their sum triangular on [-2, 2].
        let e = core::f64::consts::E;
        let h = Hyperbolic::new(1.0 / e, e).unwrap();
        let p = Product::new(h, h);
        assert!((p.cdf(1.0) - 0.5).abs() <= prec::REL);
        // P(S ≤ -1) = 1/8, P(S ≤ 1) = 7/8.
        assert!((p.cdf(1.0 / e) - 0.125).abs() <= prec::REL);
        assert!((p.cdf(e) - 0.875).abs() <= prec::REL);
        // Lemma 28 with c = 1/2: density c(1 − |u|/2)/w, u = 2c ln w; at w = 1, 1/2.
        assert!((p.pdf(1.0) - 0.5).abs() <= prec::REL);
        // On [a', b'] = [1/e, e] the density is at least c/(2w) = 1/(4w); equality at the ends.
        assert!((p.pdf(e) * e - 0.25).abs() <= prec::REL);
        // Different ranges: [1, e] and [1, e^2]: S uniform-sum on [0,1]+[0,2], P(S ≤ 1) = 1/4.
        let q = Product::new(
            Hyperbolic::new(1.0, e).unwrap(),
            Hyperbolic::new(1.0, e * e).unwrap(),
        );
        assert!((q.cdf(e) - 0.25).abs() <= prec::REL);
        assert!((q.cdf(e * e) - 0.75).abs() <= prec::REL);
        assert!((q.pdf(e * e) * e * e - 0.5).abs() <= prec::REL);
        let s = SignedHyperbolic::new(1.0 / e, e).unwrap();
        let ps = Product::new(s, s);
        // P(W ≤ -1/e) = P(neg) · P(|W| ≥ 1/e) = (1/2)(1 − 1/8).
        assert!((ps.cdf(-1.0 / e) - 0.5 * 0.875).abs() <= prec::REL);
        assert!((ps.cdf(0.0) - 0.5).abs() <= prec::REL);
    }

    #[test]
    fn gaussian_by_hand() {
        let g = Gaussian::new(1.0).unwrap();
        assert!((g.pdf(0.0) - 0.3989422804014327).abs() <= prec::REL);
        // Φ(-1.96) = 0.024997895148220435
        assert!((g.cdf(-1.96) - 0.024997895148220435).abs() <= prec::REL);
        assert!((g.cdf(1.96) - (1.0 - 0.024997895148220435)).abs() <= prec::REL);
    }

    #[test]
    fn log_product_matches_exp_product() {
        let s = SignedHyperbolic::theorem3(1e-3, 1.0).unwrap();
        let p = Product::new(s, s);
        for (b1, b2) in [(0u64, 1u64), (u64::MAX, 12345), (1 << 40, 3 << 61)] {
            let direct = p.sample_bits_pair(b1, b2);
            let lw = p.sample_log_bits_pair(b1, b2);
            assert!((lw.value() - direct).abs() <= 4.0 * prec::REL * direct.abs());
        }
    }
}
