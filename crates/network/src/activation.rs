//! Activation functions σ and their Lipschitz factors λ (Section 2).

use core::fmt;
use core::str::FromStr;

use faer::reborrow::ReborrowMut;
use faer::{ColMut, MatMut};

/// An activation function σ applied to every neuron of a layer (Section 2).
///
/// All four are nondecreasing, which is what interval propagation
/// ([`crate::InputBox`]) relies on: the image of `[l, u]` is `[σ(l), σ(u)]`.
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
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `σ(x) = max(0, x)`, λ = 1.
    Relu,
    /// `σ(x) = x`, λ = 1 (PyTorch logits: no activation after the last layer).
    Identity,
    /// `σ(x) = tanh(x)`, λ = 1.
    Tanh,
    /// The logistic sigmoid `σ(x) = 1 / (1 + e^{-x})`, λ = 1/4.
    Sigmoid,
}

impl Activation {
    /// All activations, in declaration order.
    pub const ALL: [Activation; 4] = [
        Activation::Relu,
        Activation::Identity,
        Activation::Tanh,
        Activation::Sigmoid,
    ];

    /// The Lipschitz factor λ of σ (Section 2): the smallest λ with
    /// `|σ(x) - σ(y)| ≤ λ|x - y|`. Returns 1 for ReLU, identity and tanh, 1/4
    /// for the sigmoid.
    pub fn lipschitz(self) -> f64 {
        match self {
            Activation::Relu | Activation::Identity | Activation::Tanh => 1.0,
            Activation::Sigmoid => 0.25,
        }
    }

    /// Returns `σ(x)`.
    ///
    /// The sigmoid is evaluated as `1/(1+e^{-x})` for `x ≥ 0` and
    /// `e^x/(1+e^x)` for `x < 0`, so neither branch overflows. ReLU maps NaN to 0
    /// (callers validate their inputs first).
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
    /// the biases stays at 1 through the layer (true for ReLU and identity, false
    /// for tanh and the sigmoid). See [`crate::Network::with_bias_unit`].
    pub fn fixes_one(self) -> bool {
        matches!(self, Activation::Relu | Activation::Identity)
    }

    /// Returns whether `σ(x) ≥ 0` for every `x` (ReLU and the sigmoid): the
    /// next layer then never sees a negative input.
    pub fn is_nonnegative(self) -> bool {
        matches!(self, Activation::Relu | Activation::Sigmoid)
    }

    /// The lower-case name used on the command line and in reports
    /// (`relu`, `identity`, `tanh`, `sigmoid`).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Identity => "identity",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an [`Activation`] from its name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("unknown activation `{name}`: expected one of relu, identity, tanh, sigmoid")]
pub struct ParseActivationError {
    /// The name that was given.
    pub name: String,
}

impl FromStr for Activation {
    type Err = ParseActivationError;

    /// Parses `relu`, `identity` (or `linear`, `none`), `tanh`, `sigmoid` (or
    /// `logistic`), ignoring ASCII case and surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "relu" => Ok(Activation::Relu),
            "identity" | "linear" | "none" => Ok(Activation::Identity),
            "tanh" => Ok(Activation::Tanh),
            "sigmoid" | "logistic" => Ok(Activation::Sigmoid),
            _ => Err(ParseActivationError { name: s.to_owned() }),
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
    }

    #[test]
    fn lipschitz_bound_holds_on_a_grid() {
        for act in Activation::ALL {
            let lam = act.lipschitz();
            for i in -40..40 {
                let x = f64::from(i) * 0.13;
                let y = x + 0.01;
                let d = (act.apply(y) - act.apply(x)).abs();
                assert!(d <= lam * 0.01 * (1.0 + 1e-12), "{act} at {x}");
            }
        }
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
    }

    #[test]
    fn parse_round_trip_and_error() {
        for act in Activation::ALL {
            assert_eq!(act.name().parse::<Activation>(), Ok(act));
            assert_eq!(act.to_string(), act.name());
        }
        assert_eq!(" ReLU ".parse::<Activation>(), Ok(Activation::Relu));
        let err = "gelu".parse::<Activation>().unwrap_err();
        assert_eq!(err.name, "gelu");
        assert!(err.to_string().contains("gelu"));
    }
}
