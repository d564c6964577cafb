//! Random target networks F for experiments and tests (the caller owns the
//! rng).

use faer::Mat;
use rand::Rng;
use rand_distr::{Distribution, Uniform};

use crate::norms::{self, NormError};
use crate::{Architecture, Network, NetworkError};

/// Errors of the random target generators.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RandomError {
    /// `w_max` is not a finite positive number.
    #[error("w_max = {value}; expected a finite number > 0")]
    InvalidWMax {
        /// The value given.
        value: f64,
    },
    /// The spectral norm of a layer could not be computed.
    #[error("layer {layer}: {source}")]
    Norm {
        /// Layer `i` (1-based).
        layer: usize,
        /// The underlying error.
        source: NormError,
    },
    /// The generated weights did not form a valid network (cannot happen for a
    /// validated [`Architecture`]; kept so that no path panics).
    #[error(transparent)]
    Network(#[from] NetworkError),
}

fn uniform_weights<R: Rng + ?Sized>(
    arch: &Architecture,
    w_max: f64,
    rng: &mut R,
) -> Result<Vec<Mat<f64>>, RandomError> {
    if !(w_max > 0.0 && w_max.is_finite()) {
        return Err(RandomError::InvalidWMax { value: w_max });
    }
    let dist = Uniform::new_inclusive(-w_max, w_max)
        .map_err(|_| RandomError::InvalidWMax { value: w_max })?;
    let mut weights = Vec::with_capacity(arch.depth());
    for w in arch.widths().windows(2) {
        let (n_in, n_out) = (w[0], w[1]);
        // Draw in row-major order (row j = incoming weights of neuron j), the
        // order of the safetensors export, so the stream is easy to reproduce.
        let mut m = Mat::<f64>::zeros(n_out, n_in);
        for r in 0..n_out {
            for c in 0..n_in {
                m[(r, c)] = dist.sample(rng);
            }
        }
        weights.push(m);
    }
    Ok(weights)
}

/// A bias-free random target with architecture `arch` and every weight drawn
/// i.i.d. uniform on `[-w_max, w_max]` (Section 2's weight domain), layer by
/// layer, each `W_i` in row-major order.
///
/// Returns a network whose weights all lie in `[-w_max, w_max]`, or an error
/// if `w_max` is not finite and positive.
///
/// # Example
///
/// ```
/// use logprune_network::{random_uniform, Activation, Architecture};
/// use rand::SeedableRng;
///
/// let arch = Architecture::with_hidden(vec![4, 8, 2], Activation::Relu, Activation::Identity)?;
/// let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
/// let f = random_uniform(&arch, 0.5, &mut rng)?;
/// assert!(f.max_abs_weight() <= 0.5);
/// assert_eq!(f.architecture(), &arch);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn random_uniform<R: Rng + ?Sized>(
    arch: &Architecture,
    w_max: f64,
    rng: &mut R,
) -> Result<Network, RandomError> {
    let weights = uniform_weights(arch, w_max, rng)?;
    Ok(Network::from_weights(weights, arch.activations())?)
}

/// Like [`random_uniform`], then each layer is rescaled to spectral norm at
/// most 1: `W_i ← W_i / max(1, ‖W_i‖_2)` (the assumption `‖W_i‖_2 ≤ 1` of
/// Malach et al., discussed in Section 3, under which `F_max ≤ 1` on the unit
/// ball). The same draws as [`random_uniform`] with the same rng state.
///
/// Returns a network with `‖W_i‖_2 ≤ 1` up to the rounding of the SVD and the
/// division (relative `O(n ε)`), weights in `[-w_max, w_max]`, or an error if
/// `w_max` is invalid or an SVD fails to converge.
///
/// # Example
///
/// ```
/// use logprune_network::{random_spectral, Activation, Architecture};
/// use rand::SeedableRng;
///
/// let arch = Architecture::with_hidden(vec![16, 16, 16], Activation::Relu, Activation::Identity)?;
/// let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
/// let f = random_spectral(&arch, 1.0, &mut rng)?;
/// for s in f.spectral_norms()? {
///     assert!(s <= 1.0 + 1e-12);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn random_spectral<R: Rng + ?Sized>(
    arch: &Architecture,
    w_max: f64,
    rng: &mut R,
) -> Result<Network, RandomError> {
    let mut weights = uniform_weights(arch, w_max, rng)?;
    for (k, w) in weights.iter_mut().enumerate() {
        let s = norms::spectral_norm(w.as_ref()).map_err(|source| RandomError::Norm {
            layer: k + 1,
            source,
        })?;
        if s > 1.0 {
            for c in 0..w.ncols() {
                for v in w.col_as_slice_mut(c) {
                    *v /= s;
                }
            }
        }
    }
    Ok(Network::from_weights(weights, arch.activations())?)
}
