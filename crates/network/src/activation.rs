//! Activation functions σ and their Lipschitz factors λ (Section 2), with certified interval
//! images ([`Activation::image`]).

use core::fmt;
use core::hash::{Hash, Hasher};
use core::str::FromStr;

use faer::reborrow::ReborrowMut;
use faer::{ColMut, MatMut};

use crate::interval::TINY;
use logprune_sampling::erfc;

/// An activation function σ applied to every neuron of a layer (Section 2).
///
/// ReLU, identity, tanh and the sigmoid are nondecreasing; leaky ReLU and ELU are too for a
/// nonnegative parameter, and GELU is not (it dips to ≈ −0.170 at x ≈ −0.752). Interval
/// propagation therefore goes through [`Activation::image`], the exact image of an interval
/// rounded outward, which handles every variant and parameter.
///
/// # Equality
///
/// `f64` is neither `Eq` nor `Hash`, so `PartialEq`, `Eq` and `Hash` compare the parameters
/// of [`Activation::LeakyRelu`] and [`Activation::Elu`] by their bit patterns
/// (`f64::to_bits`): `LeakyRelu(0.0) != LeakyRelu(-0.0)`, and a NaN parameter equals
/// itself. This is an equivalence relation consistent with `Hash`. Parameters are expected
/// to be finite ([`FromStr`] refuses others and [`crate::Graph::new`] validates them).
///
/// # Example
///
/// ```
/// use logprune_network::Activation;
///
/// assert_eq!(Activation::Relu.apply(-2.0), 0.0);
/// assert_eq!(Activation::Sigmoid.lipschitz(), 0.25);
/// let mut v = [-1.0, 0.5];
/// Activation::Relu.apply_slice(&mut v);
/// assert_eq!(v, [0.0, 0.5]);
/// assert_eq!("tanh".parse::<Activation>(), Ok(Activation::Tanh));
/// assert_eq!("leaky-relu:0.1".parse::<Activation>(), Ok(Activation::LeakyRelu(0.1)));
/// assert_eq!(Activation::LeakyRelu(0.1).to_string(), "leaky-relu:0.1");
/// assert_eq!(Activation::LeakyRelu(0.1).name(), "leaky-relu");
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Activation {
    /// `σ(x) = max(0, x)`, λ = 1.
    Relu,
    /// `σ(x) = x`, λ = 1 (PyTorch logits: no activation after the last layer).
    Identity,
    /// `σ(x) = tanh(x)`, λ = 1.
    Tanh,
    /// The logistic sigmoid `σ(x) = 1 / (1 + e^{-x})`, λ = 1/4.
    Sigmoid,
    /// Leaky ReLU with the given negative slope `s`: `σ(x) = x` for `x ≥ 0`, `s·x` for
    /// `x < 0` (PyTorch's `LeakyReLU(negative_slope)`, default 0.01), λ = max(1, |s|). Any
    /// finite slope is supported; a negative one makes σ non-monotone, which
    /// [`Activation::image`] handles.
    LeakyRelu(f64),
    /// ELU with parameter `α`: `σ(x) = x` for `x > 0`, `α(e^x − 1)` for `x ≤ 0` (PyTorch's
    /// `ELU(alpha)`, default 1), λ = max(1, |α|) (the slope of the negative branch is
    /// `α e^x`, at most `|α|` in absolute value). Any finite α is supported.
    Elu(f64),
    /// GELU in its exact form `σ(x) = x·Φ(x)` with Φ the standard normal cdf (PyTorch's
    /// `GELU(approximate='none')`), λ = sup_x |Φ(x) + xφ(x)| = Φ(√2) + e^{-1}/√π ≈ 1.128904
    /// (see [`GELU_LIPSCHITZ`]).
    Gelu,
}

/// GELU's Lipschitz factor rounded up: `sup_x |σ'(x)|` with `σ'(x) = Φ(x) + xφ(x)` and
/// `σ''(x) = φ(x)(2 − x²)`, so the extremes of `σ'` are at `x = ±√2`:
/// `σ'(√2) = Φ(√2) + e^{-1}/√π = 1.12890414518515478634…` and `σ'(−√2) = −0.1289…`, while
/// `σ' → 1` or `0` at ±∞. The digits are mpmath's (40 digits); the constant is the next `f64`
/// above them.
pub const GELU_LIPSCHITZ: f64 = 1.128_904_145_185_155;

/// A lower bound on GELU's global minimum `min_x x·Φ(x) = −0.16997120747990366169…`
/// (mpmath, 40 digits), attained at `x* = −0.75179152469356445745…`; the constant is the
/// next `f64` below the true value.
pub const GELU_MIN: f64 = -0.169_971_207_479_903_7;

/// A bracket `[lo, hi]` of GELU's minimiser `x* = −0.75179152469356445745…`: GELU is
/// decreasing on `(−∞, lo]` and increasing on `[hi, ∞)`.
const GELU_ARGMIN: (f64, f64) = (-0.751_791_53, -0.751_791_52);

impl PartialEq for Activation {
    fn eq(&self, other: &Self) -> bool {
        use Activation::*;
        match (self, other) {
            (Relu, Relu) | (Identity, Identity) | (Tanh, Tanh) | (Sigmoid, Sigmoid) => true,
            (Gelu, Gelu) => true,
            (LeakyRelu(a), LeakyRelu(b)) | (Elu(a), Elu(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

impl Eq for Activation {}

impl Hash for Activation {
    fn hash<H: Hasher>(&self, state: &mut H) {
        core::mem::discriminant(self).hash(state);
        if let Some(p) = self.parameter() {
            p.to_bits().hash(state);
        }
    }
}

impl Activation {
    /// Representative activations, one per family (leaky ReLU with PyTorch's default slope
    /// 0.01, ELU with α = 1), in declaration order; the four parameter-free activations of
    /// the paper come first.
    pub const ALL: [Activation; 7] = [
        Activation::Relu,
        Activation::Identity,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::LeakyRelu(0.01),
        Activation::Elu(1.0),
        Activation::Gelu,
    ];

    /// The parameter of a parametrised family (leaky ReLU's slope, ELU's α), else `None`.
    pub fn parameter(self) -> Option<f64> {
        match self {
            Activation::LeakyRelu(p) | Activation::Elu(p) => Some(p),
            _ => None,
        }
    }

    /// The Lipschitz factor λ of σ (Section 2): the smallest λ with
    /// `|σ(x) - σ(y)| ≤ λ|x - y|`. Returns 1 for ReLU, identity and tanh, 1/4
    /// for the sigmoid, `max(1, |s|)` for leaky ReLU and ELU, and [`GELU_LIPSCHITZ`]
    /// (rounded up) for GELU.
    pub fn lipschitz(self) -> f64 {
        match self {
            Activation::Relu | Activation::Identity | Activation::Tanh => 1.0,
            Activation::Sigmoid => 0.25,
            Activation::LeakyRelu(p) | Activation::Elu(p) => p.abs().max(1.0),
            Activation::Gelu => GELU_LIPSCHITZ,
        }
    }

    /// Returns `σ(x)`.
    ///
    /// The sigmoid is evaluated as `1/(1+e^{-x})` for `x ≥ 0` and
    /// `e^x/(1+e^x)` for `x < 0`, so neither branch overflows. ReLU maps NaN to 0
    /// (callers validate their inputs first). ELU uses `exp_m1`; GELU is
    /// `x·erfc(−x/√2)/2` with msun's `erfc` (about one ulp).
    #[inline]
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Activation::Relu => {
                if x > 0.0 {
                    x
                } else {
                    0.0
                }
            }
            Activation::Identity => x,
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => {
                if x >= 0.0 {
                    1.0 / (1.0 + (-x).exp())
                } else {
                    let e = x.exp();
                    e / (1.0 + e)
                }
            }
            Activation::LeakyRelu(s) => {
                if x >= 0.0 {
                    x
                } else {
                    s * x
                }
            }
            Activation::Elu(a) => {
                if x > 0.0 {
                    x
                } else {
                    a * x.exp_m1()
                }
            }
            Activation::Gelu => 0.5 * x * erfc(-x * core::f64::consts::FRAC_1_SQRT_2),
        }
    }

    /// Applies σ in place to every element of `values`.
    pub fn apply_slice(self, values: &mut [f64]) {
        if self == Activation::Identity {
            return;
        }
        for v in values {
            *v = self.apply(*v);
        }
    }

    /// Applies σ in place to every element of a faer column.
    pub fn apply_col(self, col: ColMut<'_, f64>) {
        if self == Activation::Identity {
            return;
        }
        for v in col.iter_mut() {
            *v = self.apply(*v);
        }
    }

    /// Applies σ in place to every element of a faer matrix (e.g. a batch of
    /// pre-activations, one input per column).
    pub fn apply_mat(self, mat: MatMut<'_, f64>) {
        if self == Activation::Identity {
            return;
        }
        let mut mat = mat;
        for j in 0..mat.ncols() {
            self.apply_col(mat.rb_mut().col_mut(j));
        }
    }

    /// Returns whether `σ(1) = 1` exactly, so that a constant unit that carries
    /// the biases stays at 1 through the layer (true for ReLU, identity, leaky ReLU and
    /// ELU; false for tanh, the sigmoid and GELU). See [`crate::Network::with_bias_unit`].
    pub fn fixes_one(self) -> bool {
        matches!(
            self,
            Activation::Relu | Activation::Identity | Activation::LeakyRelu(_) | Activation::Elu(_)
        )
    }

    /// Returns whether `σ(x) ≥ 0` for every `x` (ReLU and the sigmoid): the
    /// next layer then never sees a negative input. False for every other activation
    /// (conservatively so for a leaky ReLU or ELU with a nonpositive parameter).
    pub fn is_nonnegative(self) -> bool {
        matches!(self, Activation::Relu | Activation::Sigmoid)
    }

    /// Whether σ is nondecreasing on all of ℝ (so the image of `[l, u]` is
    /// `[σ(l), σ(u)]`): every activation but GELU, a leaky ReLU of negative slope and an ELU
    /// of negative α.
    pub fn is_monotone(self) -> bool {
        match self {
            Activation::LeakyRelu(p) | Activation::Elu(p) => p >= 0.0,
            Activation::Gelu => false,
            _ => true,
        }
    }

    /// The family name used on the command line and in reports (`relu`, `identity`,
    /// `tanh`, `sigmoid`, `leaky-relu`, `elu`, `gelu`), without the parameter; the
    /// [`Display`](fmt::Display) form adds it (`leaky-relu:0.1`).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Identity => "identity",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::LeakyRelu(_) => "leaky-relu",
            Activation::Elu(_) => "elu",
            Activation::Gelu => "gelu",
        }
    }

    /// A certified enclosure of the image `σ([lo, hi]) = {σ(x) : lo ≤ x ≤ hi}`: the exact
    /// image's ends, rounded outward (the returned `(l, u)` satisfy `l ≤ σ(x) ≤ u` for every
    /// real `x ∈ [lo, hi]`). Expects finite `lo ≤ hi`.
    ///
    /// # Method
    ///
    /// - Nondecreasing σ ([`Activation::is_monotone`]): `[σ↓(lo), σ↑(hi)]`.
    /// - Leaky ReLU and ELU with a negative parameter decrease on `x < 0` and increase on
    ///   `x > 0`: the minimum is `σ(0) = 0` when `lo ≤ 0 ≤ hi`, else at the end nearer 0;
    ///   the maximum is at an end.
    /// - GELU decreases on `(−∞, x*]` and increases on `[x*, ∞)` (`x* ≈ −0.7518`): the
    ///   minimum is [`GELU_MIN`] when `[lo, hi]` may contain `x*`, else at an end; the
    ///   maximum is at an end.
    ///
    /// # Rounding of `σ↓`, `σ↑`
    ///
    /// ReLU, identity and leaky ReLU with `x ≥ 0` are exact; leaky ReLU's `s·x` is rounded
    /// outward by one ulp exactly when the product is inexact (an `fma` gives its error),
    /// or by `TINY = 10^-290` near underflow. tanh, the sigmoid and ELU's `exp_m1` come from
    /// the platform's libm, assumed accurate to a few ulps (glibc: ≤ 2 ulps): their values
    /// are widened by `8ε|y| + TINY` and one ulp, and clamped to their true ranges. GELU's
    /// `x·erfc(−x/√2)/2`: the argument `−x/√2` carries a relative error ≤ ε, which changes
    /// `Φ(x)` relatively by at most `|x|φ(x)/Φ(x)·ε ≤ (2x² + 1)·ε` (Mills' ratio bound
    /// `φ(x)/Φ(x) ≤ |x| + 1` for `x < 0`; `≤ 1` for `x ≥ 0`), msun's `erfc` is within one
    /// ulp and the products add two roundings, so the value is widened by
    /// `(17 + 2x²)·ε|y| + TINY` and one ulp, and clamped to `[GELU_MIN, max(x, 0)]`; for
    /// `x ≤ −40`, `|σ(x)| < 10^-340`, and the enclosure is `[−TINY, 0]`.
    pub fn image(self, lo: f64, hi: f64) -> (f64, f64) {
        if self.is_monotone() {
            return (self.down(lo), self.up(hi));
        }
        let upper = self.up(lo).max(self.up(hi));
        let lower = match self {
            Activation::Gelu => {
                if hi <= GELU_ARGMIN.0 {
                    self.down(hi)
                } else if lo >= GELU_ARGMIN.1 {
                    self.down(lo)
                } else {
                    GELU_MIN
                }
            }
            // Leaky ReLU and ELU with a negative parameter: minimum 0 at the kink.
            _ => {
                if lo <= 0.0 && 0.0 <= hi {
                    0.0
                } else if hi < 0.0 {
                    self.down(hi)
                } else {
                    self.down(lo)
                }
            }
        };
        (lower, upper)
    }

    /// `σ(x)` rounded down: the true `σ(x)` is ≥ the result (see [`Activation::image`]).
    fn down(self, x: f64) -> f64 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Identity => x,
            Activation::Tanh => widen_down(x.tanh(), 8.0).max(-1.0),
            Activation::Sigmoid => widen_down(self.apply(x), 8.0).max(0.0),
            Activation::LeakyRelu(s) => {
                if x >= 0.0 {
                    x
                } else {
                    mul_outward(s, x).0
                }
            }
            Activation::Elu(a) => {
                if x > 0.0 {
                    x
                } else {
                    // a·(e^x − 1) lies between −a and 0.
                    widen_down(self.apply(x), 8.0).max((-a).min(0.0))
                }
            }
            Activation::Gelu => {
                if x <= -40.0 {
                    -TINY
                } else {
                    let floor = if x >= 0.0 { 0.0 } else { GELU_MIN };
                    widen_down(self.apply(x), 17.0 + 2.0 * x * x).max(floor)
                }
            }
        }
    }

    /// `σ(x)` rounded up: the true `σ(x)` is ≤ the result (see [`Activation::image`]).
    fn up(self, x: f64) -> f64 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Identity => x,
            Activation::Tanh => widen_up(x.tanh(), 8.0).min(1.0),
            Activation::Sigmoid => widen_up(self.apply(x), 8.0).min(1.0),
            Activation::LeakyRelu(s) => {
                if x >= 0.0 {
                    x
                } else {
                    mul_outward(s, x).1
                }
            }
            Activation::Elu(a) => {
                if x > 0.0 {
                    x
                } else {
                    widen_up(self.apply(x), 8.0).min((-a).max(0.0))
                }
            }
            Activation::Gelu => {
                if x <= -40.0 {
                    0.0
                } else {
                    widen_up(self.apply(x), 17.0 + 2.0 * x * x).min(x.max(0.0))
                }
            }
        }
    }
}

/// `y − (c·ε·|y| + TINY)`, one ulp further down.
fn widen_down(y: f64, c: f64) -> f64 {
    (y - (c * f64::EPSILON * y.abs() + TINY)).next_down()
}

/// `y + (c·ε·|y| + TINY)`, one ulp further up.
fn widen_up(y: f64, c: f64) -> f64 {
    (y + (c * f64::EPSILON * y.abs() + TINY)).next_up()
}

/// An enclosure `(l, u)` of the exact product `a·x`: the rounded product itself when it is
/// exact, else the product and its neighbour on the side of the exact value. The error of a
/// rounded product is exactly `fma(a, x, −y)` unless the product is near the underflow range
/// (below `2^-969`); there the enclosure is `y ± TINY`, which dwarfs any error.
fn mul_outward(a: f64, x: f64) -> (f64, f64) {
    let y = a * x;
    if y.abs() < 1e-280 {
        if a == 0.0 || x == 0.0 {
            return (y, y);
        }
        return (y - TINY, y + TINY);
    }
    let err = a.mul_add(x, -y);
    if err > 0.0 {
        (y, y.next_up())
    } else if err < 0.0 {
        (y.next_down(), y)
    } else {
        (y, y)
    }
}

impl fmt::Display for Activation {
    /// The family name, with the parameter for leaky ReLU and ELU (`leaky-relu:0.1`,
    /// `elu:1`), in the shortest form that [`FromStr`] reads back to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parameter() {
            Some(p) => write!(f, "{}:{p}", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

/// The error of parsing an [`Activation`] from its name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("activation `{name}`: {reason}")]
pub struct ParseActivationError {
    /// The text that was given.
    pub name: String,
    /// What is wrong with it.
    pub reason: String,
}

const EXPECTED: &str =
    "expected one of relu, identity, tanh, sigmoid, leaky-relu[:slope], elu[:alpha], gelu";

impl FromStr for Activation {
    type Err = ParseActivationError;

    /// Parses `relu`, `identity` (or `linear`, `none`), `tanh`, `sigmoid` (or
    /// `logistic`), `gelu`, `leaky-relu` (slope 0.01, PyTorch's default) or
    /// `leaky-relu:<slope>`, `elu` (α = 1) or `elu:<alpha>`, ignoring ASCII case and
    /// surrounding whitespace. The parameter must be a finite number (any sign). Reads back
    /// what [`Display`](fmt::Display) prints.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| ParseActivationError {
            name: s.to_owned(),
            reason,
        };
        let lower = s.trim().to_ascii_lowercase();
        let (family, param) = match lower.split_once(':') {
            Some((f, p)) => (f.trim(), Some(p.trim())),
            None => (lower.as_str(), None),
        };
        let parameter = |default: f64| -> Result<f64, ParseActivationError> {
            let Some(p) = param else {
                return Ok(default);
            };
            match p.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(err(format!(
                    "the parameter `{p}` of {family} is not a finite number"
                ))),
            }
        };
        let no_parameter = |a: Activation| match param {
            None => Ok(a),
            Some(p) => Err(err(format!("{family} takes no parameter, got `{p}`"))),
        };
        match family {
            "relu" => no_parameter(Activation::Relu),
            "identity" | "linear" | "none" => no_parameter(Activation::Identity),
            "tanh" => no_parameter(Activation::Tanh),
            "sigmoid" | "logistic" => no_parameter(Activation::Sigmoid),
            "gelu" => no_parameter(Activation::Gelu),
            "leaky-relu" => Ok(Activation::LeakyRelu(parameter(0.01)?)),
            "elu" => Ok(Activation::Elu(parameter(1.0)?)),
            _ => Err(err(format!("unknown activation; {EXPECTED}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lipschitz_factors_match_section_2() {
        assert_eq!(Activation::Relu.lipschitz(), 1.0);
        assert_eq!(Activation::Identity.lipschitz(), 1.0);
        assert_eq!(Activation::Tanh.lipschitz(), 1.0);
        assert_eq!(Activation::Sigmoid.lipschitz(), 0.25);
        assert_eq!(Activation::LeakyRelu(0.01).lipschitz(), 1.0);
        assert_eq!(Activation::LeakyRelu(-3.0).lipschitz(), 3.0);
        assert_eq!(Activation::Elu(1.0).lipschitz(), 1.0);
        assert_eq!(Activation::Elu(2.5).lipschitz(), 2.5);
        assert_eq!(Activation::Gelu.lipschitz(), GELU_LIPSCHITZ);
    }

    /// The closed form `Φ(√2) + e^{-1}/√π` in f64 is within a few ulps of the constant and
    /// below it; GELU's slope at ±√2 (the extremes of σ') and on a fine grid stays below it.
    #[test]
    fn gelu_lipschitz_constant_is_the_sup_of_the_slope() {
        let phi_sqrt2 = 0.5 * erfc(-1.0);
        let closed = phi_sqrt2 + (-1.0f64).exp() / core::f64::consts::PI.sqrt();
        assert!(closed <= GELU_LIPSCHITZ && GELU_LIPSCHITZ - closed <= 4.0 * f64::EPSILON);
        let slope = |x: f64| {
            let phi = 0.5 * erfc(-x * core::f64::consts::FRAC_1_SQRT_2);
            let density = (-0.5 * x * x).exp() / (2.0 * core::f64::consts::PI).sqrt();
            phi + x * density
        };
        let mut best = 0.0f64;
        for i in -80_000..80_000 {
            best = best.max(slope(f64::from(i) * 1e-4).abs());
        }
        assert!(
            best <= GELU_LIPSCHITZ && GELU_LIPSCHITZ - best <= 1e-9,
            "{best}"
        );
        // Secants on a grid, including across x = √2.
        for i in -400..400 {
            let x = f64::from(i) * 0.01;
            let d = (Activation::Gelu.apply(x + 1e-3) - Activation::Gelu.apply(x)).abs();
            assert!(d <= GELU_LIPSCHITZ * 1e-3 * (1.0 + 1e-9), "{x}");
        }
    }

    #[test]
    fn gelu_minimum_and_its_bracket() {
        let g = |x: f64| Activation::Gelu.apply(x);
        // The f64 value at the minimiser is within a few ulps above GELU_MIN.
        let at_min = g(-0.751_791_524_693_564_5);
        assert!(at_min >= GELU_MIN && at_min - GELU_MIN <= 4.0 * f64::EPSILON);
        for i in 0..20_000 {
            let x = -3.0 + f64::from(i) * 1.5e-4;
            assert!(g(x) >= GELU_MIN, "{x}");
        }
        // Decreasing left of the bracket, increasing right of it.
        assert!(g(GELU_ARGMIN.0 - 1e-3) > g(GELU_ARGMIN.0));
        assert!(g(GELU_ARGMIN.1 + 1e-3) > g(GELU_ARGMIN.1));
    }

    /// Reference values of x·Φ(x) from mpmath (40 digits), rounded to f64.
    const GELU_REFERENCE: [(f64, f64); 15] = [
        (-38.0, -1.096462777e-314),
        (-30.0, -1.472014178144456e-196),
        (-20.0, -5.507248237212468e-88),
        (-10.0, -7.619853024160526e-23),
        (-5.0, -1.4332578593959695e-06),
        (-3.0, -0.0040496940948902835),
        (-1.0, -0.15865525393145705),
        (-0.75, -0.16997051428265114),
        (-0.5, -0.15426876936299344),
        (-1e-3, -0.000499601057786089),
        (0.3, 0.1853734266566858),
        (1.0, 0.8413447460685429),
        (2.5, 2.4844758366855597),
        (6.0, 5.999999994080474),
        (30.0, 30.0),
    ];

    #[test]
    fn gelu_known_values_and_point_images() {
        for (x, want) in GELU_REFERENCE {
            let got = Activation::Gelu.apply(x);
            if want.abs() > 1e-290 {
                let tol = (4.0 + 2.0 * x * x) * f64::EPSILON * want.abs();
                assert!((got - want).abs() <= tol, "gelu({x}) = {got}, want {want}");
            }
            let (l, u) = Activation::Gelu.image(x, x);
            assert!(
                l <= want && want <= u,
                "gelu({x}) = {want} not in [{l}, {u}]"
            );
            // Outward, not wild: within the allowance of the docs.
            // Twice the documented widening (of |y|, within 1e-12 of |want|), plus the final
            // rounding and ulp bump of each end (two ulps of |y| each).
            let c = 17.0 + 2.0 * x * x;
            let allowance = 2.0 * (c * f64::EPSILON * want.abs() * (1.0 + 1e-12) + 2e-290)
                + 4.0 * f64::EPSILON * want.abs();
            assert!(u - l <= allowance, "{x}: [{l:e}, {u:e}]");
        }
        for (x, want) in [
            (-30.0, -0.9999999999999064),
            (-2.0, -0.8646647167633873),
            (-0.5, -0.3934693402873666),
            (-1e-8, -9.99999995e-09),
        ] {
            let got = Activation::Elu(1.0).apply(x);
            assert!(
                (got - want).abs() <= 2.0 * f64::EPSILON * want.abs(),
                "elu({x})"
            );
            let (l, u) = Activation::Elu(1.0).image(x, x);
            assert!(l <= want && want <= u && u <= 0.0);
        }
    }

    #[test]
    fn values_worked_by_hand() {
        assert_eq!(Activation::Relu.apply(-3.0), 0.0);
        assert_eq!(Activation::Relu.apply(2.5), 2.5);
        assert_eq!(Activation::Identity.apply(-3.0), -3.0);
        assert_eq!(Activation::Sigmoid.apply(0.0), 0.5);
        assert_eq!(Activation::Tanh.apply(0.0), 0.0);
        // sigmoid(ln 3) = 3/4, sigmoid(-ln 3) = 1/4
        let l3 = 3f64.ln();
        assert!((Activation::Sigmoid.apply(l3) - 0.75).abs() <= 4.0 * f64::EPSILON);
        assert!((Activation::Sigmoid.apply(-l3) - 0.25).abs() <= 4.0 * f64::EPSILON);
        // no overflow at the extremes
        assert_eq!(Activation::Sigmoid.apply(-1000.0), 0.0);
        assert_eq!(Activation::Sigmoid.apply(1000.0), 1.0);
        assert_eq!(Activation::LeakyRelu(0.1).apply(-2.0), -0.2);
        assert_eq!(Activation::LeakyRelu(0.1).apply(2.0), 2.0);
        assert_eq!(Activation::Elu(2.0).apply(3.0), 3.0);
        assert_eq!(Activation::Elu(2.0).apply(0.0), 0.0);
        assert_eq!(Activation::Elu(2.0).apply(-1000.0), -2.0);
        assert_eq!(Activation::Gelu.apply(0.0), 0.0);
        assert_eq!(Activation::Gelu.apply(-1000.0), -0.0);
        assert_eq!(Activation::Gelu.apply(1000.0), 1000.0);
    }

    #[test]
    fn lipschitz_bound_holds_on_a_grid() {
        let more = [
            Activation::LeakyRelu(-2.0),
            Activation::LeakyRelu(0.3),
            Activation::Elu(0.5),
            Activation::Elu(3.0),
            Activation::Elu(-1.5),
        ];
        for act in Activation::ALL.into_iter().chain(more) {
            let lam = act.lipschitz();
            for i in -40..40 {
                let x = f64::from(i) * 0.13;
                let y = x + 0.01;
                let d = (act.apply(y) - act.apply(x)).abs();
                assert!(d <= lam * 0.01 * (1.0 + 1e-12), "{act} at {x}");
            }
        }
    }

    /// Random intervals: every sampled σ(x) with x inside lies in the image, and the image
    /// of a monotone σ is its ends' values rounded outward.
    #[test]
    fn images_contain_sampled_values() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let acts = [
            Activation::Relu,
            Activation::Identity,
            Activation::Tanh,
            Activation::Sigmoid,
            Activation::LeakyRelu(0.01),
            Activation::LeakyRelu(0.0),
            Activation::LeakyRelu(-0.5),
            Activation::LeakyRelu(1.7),
            Activation::Elu(1.0),
            Activation::Elu(-2.0),
            Activation::Elu(0.0),
            Activation::Gelu,
        ];
        for act in acts {
            for _ in 0..2000 {
                let scale = [0.01, 1.0, 5.0, 50.0][rng.random_range(0..4)];
                let a: f64 = rng.random_range(-1.0..1.0) * scale - 0.5;
                let b = rng.random_range(-1.0..1.0) * scale;
                let (lo, hi) = (a.min(b), a.max(b));
                let (l, u) = act.image(lo, hi);
                assert!(l <= u, "{act} [{lo}, {hi}]");
                for t in [0.0, 1.0, rng.random::<f64>(), rng.random::<f64>()] {
                    let x = lo + t * (hi - lo);
                    if !(lo..=hi).contains(&x) {
                        continue;
                    }
                    let y = act.apply(x);
                    assert!(l <= y && y <= u, "{act}: σ({x}) = {y} not in [{l}, {u}]");
                }
                if act.is_monotone() {
                    let (l0, u0) = (act.apply(lo), act.apply(hi));
                    assert!(l <= l0 && u0 <= u);
                    assert!(l0 - l <= 16.0 * f64::EPSILON * l0.abs() + 1e-289, "{act}");
                    assert!(u - u0 <= 16.0 * f64::EPSILON * u0.abs() + 1e-289, "{act}");
                }
            }
        }
        // GELU on an interval around its minimiser reaches the global minimum.
        assert_eq!(Activation::Gelu.image(-1.0, 0.0).0, GELU_MIN);
        // A negative slope: the minimum is 0 at the kink, the maximum at an end.
        let (l, u) = Activation::LeakyRelu(-0.5).image(-4.0, 1.0);
        assert_eq!((l, u), (0.0, 2.0));
    }

    #[test]
    fn exact_products_stay_exact() {
        assert_eq!(mul_outward(0.5, -3.0), (-1.5, -1.5));
        let (l, u) = mul_outward(0.1, -3.0);
        assert!(l < u && u == l.next_up());
        assert_eq!(mul_outward(0.0, -3.0), (-0.0, -0.0));
        assert_eq!(Activation::LeakyRelu(0.0).image(-2.0, 3.0), (-0.0, 3.0));
    }

    #[test]
    fn slices_columns_and_matrices() {
        let mut v = [-1.0, 0.0, 2.0];
        Activation::Relu.apply_slice(&mut v);
        assert_eq!(v, [0.0, 0.0, 2.0]);
        let mut m = faer::Mat::from_fn(2, 2, |i, j| if (i + j) % 2 == 0 { -1.0 } else { 1.0 });
        Activation::Relu.apply_mat(m.as_mut());
        assert_eq!(m[(0, 0)], 0.0);
        assert_eq!(m[(0, 1)], 1.0);
        let mut c = faer::Col::from_fn(2, |i| i as f64 - 1.0);
        Activation::Relu.apply_col(c.as_mut());
        assert_eq!(c[0], 0.0);
    }

    #[test]
    fn unit_fixing_and_sign() {
        for act in Activation::ALL {
            assert_eq!(act.fixes_one(), act.apply(1.0) == 1.0, "{act}");
        }
        assert!(Activation::Relu.is_nonnegative());
        assert!(!Activation::Tanh.is_nonnegative());
        assert!(!Activation::Gelu.is_nonnegative());
        assert!(!Activation::Gelu.is_monotone());
        assert!(!Activation::LeakyRelu(-0.1).is_monotone());
        assert!(Activation::LeakyRelu(0.1).is_monotone());
    }

    #[test]
    fn equality_and_hash_by_bits() {
        use std::collections::HashSet;
        assert_eq!(Activation::LeakyRelu(0.1), Activation::LeakyRelu(0.1));
        assert_ne!(Activation::LeakyRelu(0.1), Activation::LeakyRelu(0.2));
        assert_ne!(Activation::LeakyRelu(0.0), Activation::LeakyRelu(-0.0));
        assert_ne!(Activation::LeakyRelu(1.0), Activation::Elu(1.0));
        assert_eq!(Activation::Elu(f64::NAN), Activation::Elu(f64::NAN));
        let set: HashSet<Activation> = Activation::ALL
            .into_iter()
            .chain([Activation::LeakyRelu(0.01), Activation::LeakyRelu(0.2)])
            .collect();
        assert_eq!(set.len(), 8);
    }

    #[test]
    fn parse_round_trip_and_error() {
        let more = [
            Activation::LeakyRelu(0.1),
            Activation::LeakyRelu(-0.25),
            Activation::LeakyRelu(1e-7),
            Activation::Elu(0.3),
        ];
        for act in Activation::ALL.into_iter().chain(more) {
            assert_eq!(act.to_string().parse::<Activation>(), Ok(act), "{act}");
            assert!(act.to_string().starts_with(act.name()));
        }
        for act in &Activation::ALL[..4] {
            assert_eq!(act.to_string(), act.name());
            assert_eq!(act.name().parse::<Activation>(), Ok(*act));
        }
        assert_eq!(" ReLU ".parse::<Activation>(), Ok(Activation::Relu));
        assert_eq!("gelu".parse::<Activation>(), Ok(Activation::Gelu));
        assert_eq!(
            "leaky-relu".parse::<Activation>(),
            Ok(Activation::LeakyRelu(0.01))
        );
        assert_eq!(
            "Leaky-ReLU:0.1".parse::<Activation>(),
            Ok(Activation::LeakyRelu(0.1))
        );
        assert_eq!("elu".parse::<Activation>(), Ok(Activation::Elu(1.0)));
        assert_eq!("elu:1.0".parse::<Activation>(), Ok(Activation::Elu(1.0)));
        assert_eq!(Activation::Elu(1.0).to_string(), "elu:1");
        let err = "swish".parse::<Activation>().unwrap_err();
        assert_eq!(err.name, "swish");
        assert!(err.to_string().contains("swish"), "{err}");
        let err = "leaky-relu:abc".parse::<Activation>().unwrap_err();
        assert!(err.to_string().contains("abc"), "{err}");
        assert!("leaky-relu:nan".parse::<Activation>().is_err());
        assert!("elu:inf".parse::<Activation>().is_err());
        let err = "relu:1".parse::<Activation>().unwrap_err();
        assert!(err.to_string().contains("no parameter"), "{err}");
    }
}
