//! Parameter validation: the error type of this crate and the validated widths `n_0..n_ℓ`.

/// A parameter outside the range a formula of the paper is stated for.
///
/// Every check is written `if !(x > 0.0)` style, so `NaN` is refused too; the message names
/// the bad value and the range that was expected.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamError {
    /// The output accuracy `ε` (Section 3).
    #[error("accuracy ε = {0} is invalid: expected a finite number > 0")]
    Epsilon(f64),
    /// The failure probability `δ` (Theorem 3).
    #[error("failure probability δ = {0} is invalid: expected a number in (0, 1)")]
    Delta(f64),
    /// The weight bound `w_max` (target weights lie in `[-w_max, w_max]`, Section 2).
    #[error("weight bound w_max = {0} is invalid: expected a finite number > 0")]
    WMax(f64),
    /// The activation bound `F_max(X)` (Section 2).
    #[error("activation bound F_max = {0} is invalid: expected a finite number > 0")]
    FMax(f64),
    /// A width `n_i` (Section 2: widths are positive integers).
    #[error("width n_{index} = {value} is invalid: expected an integer ≥ 1")]
    Width {
        /// Index `i` of the width in `n_0, ..., n_ℓ`.
        index: usize,
        /// The value given.
        value: u64,
    },
    /// Fewer than two widths: an architecture needs `n_0` and at least one layer.
    #[error("{got} width(s) given: expected at least 2 (n_0, ..., n_ℓ with ℓ ≥ 1)")]
    TooFewWidths {
        /// How many widths were given.
        got: usize,
    },
    /// More than [`MAX_LAYERS`] layers.
    #[error("ℓ = {layers} layers is invalid: expected at most 10^6")]
    TooManyLayers {
        /// The number of layers given.
        layers: usize,
    },
    /// A Lipschitz factor `λ_i` (Section 2).
    #[error("Lipschitz factor λ_{layer} = {value} is invalid: expected a finite number > 0")]
    Lambda {
        /// Layer `i` (1-based).
        layer: usize,
        /// The value given.
        value: f64,
    },
    /// A spectral-norm bound `‖Ŵ_i‖₂` (Lemma 1).
    #[error("spectral norm ‖Ŵ_{layer}‖₂ = {value} is invalid: expected a finite number ≥ 0")]
    Norm {
        /// Layer `i` (1-based).
        layer: usize,
        /// The value given.
        value: f64,
    },
    /// A per-layer list of the wrong length.
    #[error("{got} {what} given: expected one per layer, i.e. {expected}")]
    PerLayerCount {
        /// What the list holds (e.g. "spectral norms").
        what: &'static str,
        /// Its length.
        got: usize,
        /// The number of layers `ℓ`.
        expected: usize,
    },
    /// The base `γ` of Lemma 9.
    #[error("γ = {0} is invalid: expected a number in [1/φ, 1) = [0.6180339887…, 1)")]
    Gamma(f64),
    /// `ε_w ≥ 2 w_max`: every weight of `[-w_max, w_max]` is already within `ε_w/2` of 0, so
    /// the decomposition of Corollary 10 (applied with `ε_w/2`) needs no sample and
    /// `k' = log_{3/2}(3 w_max/ε_w)`, `ln(k'/δ)` lose their meaning.
    #[error(
        "ε_w = 10^{log10_epsilon_w} is not below 2·w_max = {two_w_max}: every weight is already \
         within ε_w/2 of 0, so Theorem 3 needs no sample and its formulas do not apply \
         (expected ε_w < 2·w_max)"
    )]
    AccuracyTooLoose {
        /// `log10 ε_w`.
        log10_epsilon_w: f64,
        /// `2 w_max`.
        two_w_max: f64,
    },
    /// Any other parameter outside its range.
    #[error("{name} = {value} is invalid: expected {expected}")]
    OutOfRange {
        /// The parameter, in the paper's notation.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The range expected.
        expected: &'static str,
    },
}

/// The most layers a [`Widths`] (and so a [`crate::Setting`], whose report keeps one row per
/// layer, about 170 bytes each) accepts: `10^6`.
pub const MAX_LAYERS: usize = 1_000_000;

pub(crate) fn check_epsilon(eps: f64) -> Result<f64, ParamError> {
    if !(eps > 0.0 && eps.is_finite()) {
        return Err(ParamError::Epsilon(eps));
    }
    Ok(eps)
}

pub(crate) fn check_delta(delta: f64) -> Result<f64, ParamError> {
    if !(delta > 0.0 && delta < 1.0) {
        return Err(ParamError::Delta(delta));
    }
    Ok(delta)
}

pub(crate) fn check_w_max(w_max: f64) -> Result<f64, ParamError> {
    if !(w_max > 0.0 && w_max.is_finite()) {
        return Err(ParamError::WMax(w_max));
    }
    Ok(w_max)
}

pub(crate) fn check_f_max(f_max: f64) -> Result<f64, ParamError> {
    if !(f_max > 0.0 && f_max.is_finite()) {
        return Err(ParamError::FMax(f_max));
    }
    Ok(f_max)
}

pub(crate) fn check_width(index: usize, n: u64) -> Result<u64, ParamError> {
    if n == 0 {
        return Err(ParamError::Width { index, value: n });
    }
    Ok(n)
}

pub(crate) fn check_layers(layers: usize) -> Result<usize, ParamError> {
    if layers == 0 {
        return Err(ParamError::TooFewWidths { got: 1 });
    }
    if layers > MAX_LAYERS {
        return Err(ParamError::TooManyLayers { layers });
    }
    Ok(layers)
}

/// `k'` must be finite and `> 1` (true whenever `ε < w_max` in Corollary 10, i.e.
/// `ε_w < 2 w_max` in Theorem 3), so that `ln(k'/δ)` and friends are positive.
pub(crate) fn check_k_prime(k_prime: f64) -> Result<f64, ParamError> {
    if !(k_prime > 1.0 && k_prime.is_finite()) {
        return Err(ParamError::OutOfRange {
            name: "k'",
            value: k_prime,
            expected: "a finite number > 1 (k' = log_{3/2}(3 w_max/ε_w) with ε_w < 2 w_max)",
        });
    }
    Ok(k_prime)
}

/// The widths `n_0, n_1, ..., n_ℓ` of an architecture `A(ℓ, n, σ)` (Section 2), validated:
/// at least two of them (`ℓ ≥ 1`) and each `≥ 1`.
///
/// # Example
/// ```
/// use logprune_bounds::Widths;
/// let w = Widths::new(vec![784, 300, 100, 10])?;
/// assert_eq!(w.layers(), 3);
/// assert_eq!(w.n_max(), 784);
/// assert_eq!(w.n_star(), (784.0 * 300.0) + (300.0 * 100.0) + (100.0 * 10.0));
/// assert!(Widths::new(vec![3, 0]).is_err());
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Widths(Vec<u64>);

impl Widths {
    /// Validates `n_0, ..., n_ℓ`.
    ///
    /// # Errors
    /// [`ParamError::TooFewWidths`] for fewer than two widths, [`ParamError::TooManyLayers`]
    /// for more than [`MAX_LAYERS`] layers, [`ParamError::Width`] naming the first zero width.
    pub fn new(widths: Vec<u64>) -> Result<Self, ParamError> {
        if widths.len() < 2 {
            return Err(ParamError::TooFewWidths { got: widths.len() });
        }
        check_layers(widths.len() - 1)?;
        for (i, &n) in widths.iter().enumerate() {
            check_width(i, n)?;
        }
        Ok(Widths(widths))
    }

    /// `ℓ` layers of width `n` each, inputs included: `n_0 = ... = n_ℓ = n` (the setting of
    /// Remark 4).
    ///
    /// # Errors
    /// [`ParamError::Width`] if `n = 0`, [`ParamError::TooFewWidths`] if `layers = 0`,
    /// [`ParamError::TooManyLayers`] above [`MAX_LAYERS`].
    pub fn uniform(n: u64, layers: usize) -> Result<Self, ParamError> {
        check_width(0, n)?;
        check_layers(layers)?;
        Ok(Widths(vec![n; layers + 1]))
    }

    /// The widths `n_0, ..., n_ℓ`.
    pub fn as_slice(&self) -> &[u64] {
        &self.0
    }

    /// The number of layers `ℓ ≥ 1`.
    pub fn layers(&self) -> usize {
        self.0.len() - 1
    }

    /// `n_max = max_{i ∈ [0..ℓ]} n_i ≥ 1` (Section 2).
    pub fn n_max(&self) -> u64 {
        self.0.iter().copied().max().unwrap_or(1)
    }

    /// The input width `n_{i-1}` of layer `i ∈ [1, ℓ]`, or `None` outside that range.
    pub fn n_in(&self, layer: usize) -> Option<u64> {
        (1..=self.layers())
            .contains(&layer)
            .then(|| self.0[layer - 1])
    }

    /// The output width `n_i` of layer `i ∈ [1, ℓ]`, or `None` outside that range.
    pub fn n_out(&self, layer: usize) -> Option<u64> {
        (1..=self.layers()).contains(&layer).then(|| self.0[layer])
    }

    /// `N* = Σ_{i=1}^ℓ n_{i-1} n_i`, the number of weights of the target architecture
    /// (Section 2, Corollary 7), as an `f64` (exact below `2^53`), `≥ 1`.
    pub fn n_star(&self) -> f64 {
        self.0.windows(2).map(|w| w[0] as f64 * w[1] as f64).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_validated() {
        assert_eq!(
            Widths::new(vec![]),
            Err(ParamError::TooFewWidths { got: 0 })
        );
        assert_eq!(
            Widths::new(vec![5]),
            Err(ParamError::TooFewWidths { got: 1 })
        );
        assert_eq!(
            Widths::new(vec![5, 3, 0, 2]),
            Err(ParamError::Width { index: 2, value: 0 })
        );
        assert_eq!(
            Widths::uniform(0, 3),
            Err(ParamError::Width { index: 0, value: 0 })
        );
        assert_eq!(
            Widths::uniform(3, 0),
            Err(ParamError::TooFewWidths { got: 1 })
        );
        let w = Widths::new(vec![2, 3, 4]).unwrap();
        assert_eq!(w.layers(), 2);
        assert_eq!(w.n_max(), 4);
        assert_eq!(w.n_in(1), Some(2));
        assert_eq!(w.n_out(1), Some(3));
        assert_eq!(w.n_in(2), Some(3));
        assert_eq!(w.n_out(2), Some(4));
        assert_eq!(w.n_in(0), None);
        assert_eq!(w.n_out(3), None);
        assert_eq!(w.n_star(), 6.0 + 12.0);
        let u = Widths::uniform(100, 10).unwrap();
        assert_eq!(u.as_slice().len(), 11);
        assert_eq!(u.n_star(), 100_000.0);
    }

    #[test]
    fn scalar_checks_refuse_nan_and_name_the_value() {
        assert_eq!(check_epsilon(-1.0), Err(ParamError::Epsilon(-1.0)));
        assert!(check_epsilon(f64::NAN).is_err());
        assert!(check_epsilon(f64::INFINITY).is_err());
        assert_eq!(check_delta(2.0), Err(ParamError::Delta(2.0)));
        assert!(check_delta(0.0).is_err());
        assert!(check_delta(1.0).is_err());
        assert!(check_delta(f64::NAN).is_err());
        assert!(check_w_max(0.0).is_err());
        assert!(check_f_max(f64::NAN).is_err());
        assert!(check_k_prime(1.0).is_err());
        assert!(check_k_prime(f64::INFINITY).is_err());
        let msg = ParamError::Delta(2.0).to_string();
        assert!(msg.contains("δ = 2") && msg.contains("(0, 1)"), "{msg}");
        let msg = ParamError::Epsilon(-1.0).to_string();
        assert!(msg.contains("ε = -1") && msg.contains("> 0"), "{msg}");
        let msg = ParamError::Width { index: 3, value: 0 }.to_string();
        assert!(msg.contains("n_3 = 0") && msg.contains("≥ 1"), "{msg}");
    }
}
