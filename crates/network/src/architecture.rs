//! Network architectures `A(ℓ, n, σ)` (Section 2).

use crate::Activation;

/// Errors of [`Architecture::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArchitectureError {
    /// Fewer than two widths: there must be an input width `n_0` and at least
    /// one layer (ℓ ≥ 1).
    #[error("an architecture needs at least 2 widths (n_0 and n_1, so ℓ ≥ 1), got {found}")]
    TooFewWidths {
        /// Number of widths given.
        found: usize,
    },
    /// A width `n_i` is zero.
    #[error("width n_{index} is 0; every width must be at least 1")]
    ZeroWidth {
        /// The index `i` of the zero width `n_i` (0 is the input).
        index: usize,
    },
    /// The number of activations is not the number of layers ℓ.
    #[error("expected {expected} activations (one per layer), got {found}")]
    ActivationCount {
        /// ℓ, the number of layers.
        expected: usize,
        /// Number of activations given.
        found: usize,
    },
}

/// A fully connected feed-forward architecture `A(ℓ, n, σ)` (Section 2): the
/// widths `n = (n_0, ..., n_ℓ)` and one activation `σ_i` per layer `i ∈ [ℓ]`.
///
/// Validated on construction: ℓ ≥ 1 and every `n_i ≥ 1`.
///
/// # Example
///
/// ```
/// use logprune_network::{Activation, Architecture};
///
/// // 784-100-10, ReLU after the hidden layer, identity after the last.
/// let arch = Architecture::with_hidden(vec![784, 100, 10], Activation::Relu, Activation::Identity)?;
/// assert_eq!(arch.depth(), 2);
/// assert_eq!(arch.n_max(), 784);
/// assert_eq!(arch.num_weights(), 784 * 100 + 100 * 10);
/// assert_eq!(arch.lambda_max(), 1.0);
/// # Ok::<(), logprune_network::ArchitectureError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Architecture {
    widths: Vec<usize>,
    activations: Vec<Activation>,
}

impl Architecture {
    /// Builds `A(ℓ, n, σ)` from the widths `n_0..n_ℓ` and the activations
    /// `σ_1..σ_ℓ` (`activations.len()` must be `widths.len() - 1`).
    ///
    /// Returns an error if there are fewer than 2 widths, a width is 0, or the
    /// activation count is not ℓ.
    pub fn new(
        widths: Vec<usize>,
        activations: Vec<Activation>,
    ) -> Result<Self, ArchitectureError> {
        if widths.len() < 2 {
            return Err(ArchitectureError::TooFewWidths {
                found: widths.len(),
            });
        }
        if let Some(index) = widths.iter().position(|&w| w == 0) {
            return Err(ArchitectureError::ZeroWidth { index });
        }
        if activations.len() != widths.len() - 1 {
            return Err(ArchitectureError::ActivationCount {
                expected: widths.len() - 1,
                found: activations.len(),
            });
        }
        Ok(Self {
            widths,
            activations,
        })
    }

    /// Builds an architecture with `hidden` after layers `1..ℓ-1` and `output`
    /// after layer ℓ (the `nn.Sequential(Linear, ReLU, ..., Linear)` shape with
    /// `hidden = Relu`, `output = Identity`).
    ///
    /// Returns an error if there are fewer than 2 widths or a width is 0.
    pub fn with_hidden(
        widths: Vec<usize>,
        hidden: Activation,
        output: Activation,
    ) -> Result<Self, ArchitectureError> {
        let ell = widths.len().saturating_sub(1);
        let mut activations = vec![hidden; ell];
        if let Some(last) = activations.last_mut() {
            *last = output;
        }
        Self::new(widths, activations)
    }

    /// The number of layers ℓ (at least 1).
    pub fn depth(&self) -> usize {
        self.activations.len()
    }

    /// The widths `n_0, ..., n_ℓ` (all ≥ 1; `n_0` is the input dimension).
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }

    /// The input dimension `n_0`.
    pub fn input_width(&self) -> usize {
        self.widths[0]
    }

    /// The output dimension `n_ℓ`.
    pub fn output_width(&self) -> usize {
        self.widths[self.widths.len() - 1]
    }

    /// The activations `σ_1, ..., σ_ℓ` (`activations()[i-1]` is `σ_i`).
    pub fn activations(&self) -> &[Activation] {
        &self.activations
    }

    /// `n_max = max_{i ∈ [0..ℓ]} n_i` (Section 2), inputs included.
    pub fn n_max(&self) -> usize {
        self.widths.iter().copied().max().unwrap_or(0)
    }

    /// `λ_max = max_{i ∈ [ℓ]} λ_i` (Section 2), in `{1/4, 1}`.
    pub fn lambda_max(&self) -> f64 {
        self.activations
            .iter()
            .map(|a| a.lipschitz())
            .fold(0.0, f64::max)
    }

    /// The number of connection weights `N* = Σ_i n_i n_{i-1}` (Section 2; at
    /// most `ℓ n_max²`). Saturates at `usize::MAX`.
    pub fn num_weights(&self) -> usize {
        self.widths
            .windows(2)
            .map(|w| w[0].saturating_mul(w[1]))
            .fold(0usize, usize::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_architecture() {
        let arch =
            Architecture::new(vec![3, 5, 2], vec![Activation::Sigmoid, Activation::Tanh]).unwrap();
        assert_eq!(arch.depth(), 2);
        assert_eq!(arch.input_width(), 3);
        assert_eq!(arch.output_width(), 2);
        assert_eq!(arch.n_max(), 5);
        assert_eq!(arch.num_weights(), 15 + 10);
        assert_eq!(arch.lambda_max(), 1.0);
        let sig =
            Architecture::with_hidden(vec![2, 2], Activation::Relu, Activation::Sigmoid).unwrap();
        assert_eq!(sig.activations(), &[Activation::Sigmoid]);
        assert_eq!(sig.lambda_max(), 0.25);
    }

    #[test]
    fn errors() {
        assert_eq!(
            Architecture::new(vec![3], vec![]),
            Err(ArchitectureError::TooFewWidths { found: 1 })
        );
        assert_eq!(
            Architecture::with_hidden(vec![], Activation::Relu, Activation::Relu),
            Err(ArchitectureError::TooFewWidths { found: 0 })
        );
        assert_eq!(
            Architecture::new(vec![3, 0, 2], vec![Activation::Relu; 2]),
            Err(ArchitectureError::ZeroWidth { index: 1 })
        );
        assert_eq!(
            Architecture::new(vec![3, 4, 2], vec![Activation::Relu]),
            Err(ArchitectureError::ActivationCount {
                expected: 2,
                found: 1
            })
        );
        let msg = ArchitectureError::ZeroWidth { index: 1 }.to_string();
        assert!(msg.contains("n_1"), "{msg}");
    }
}
