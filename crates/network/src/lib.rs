//! Target networks for "Logarithmic Pruning is All You Need" (Orseau, Hutter,
//! Rivasplata 2020): architectures `A(ℓ, n, σ)` and activations with their
//! Lipschitz factors (Section 2), dense networks on faer matrices with forward
//! passes, spectral norms and `F_max` (the quantities of Lemma 1), a certified
//! bound on `F_max` over a box by interval propagation, random targets,
//! safetensors I/O in the PyTorch `nn.Sequential` convention, and input rows
//! from CSV. Targets that are not MLPs (convolutions, pooling, per-channel
//! scales, residual adds) are a [`Graph`], with forward passes, certified
//! per-node norms and interval propagation.
//!
//! # Conventions
//!
//! - `W_i` is `n_i × n_{i-1}` (`Mat<f64>`, column-major in memory); row `j` holds
//!   the incoming weights of neuron `j`, as in Section 2 and PyTorch.
//! - Layers are numbered as in the paper, `i = 1..ℓ`; [`Network::layers`]`()[i-1]`
//!   is layer `i`, and errors report the 1-based `i`.
//! - A batch of inputs is a matrix with **one input per column**
//!   (`n_0 × N`); [`rows_to_columns`] converts a list of rows.
//! - Biases are optional; [`Network::with_bias_unit`] removes them with a
//!   constant unit, giving the paper's bias-free setting.
//! - Files are bytes in, bytes out: this crate does no file I/O.
//!
//! # Example
//!
//! ```
//! use faer::Par;
//! use logprune_network::{load_network, network_to_safetensors, random_uniform, Activation,
//!     Architecture, InputBox, LoadOptions};
//! use rand::SeedableRng;
//!
//! let arch = Architecture::with_hidden(vec![3, 8, 8, 2], Activation::Relu, Activation::Identity)?;
//! let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(42);
//! let f = random_uniform(&arch, 1.0, &mut rng)?;
//! let norms = f.spectral_norms()?;                     // ‖W_i‖_2
//! let domain = InputBox::uniform(3, -1.0, 1.0)?;       // [-1, 1]^3
//! let f_max_box = f.certified_f_max_box(&domain)?;     // ≥ F_max([-1, 1]^3)
//! let corner = logprune_network::rows_to_columns(&[vec![1.0, -1.0, 1.0]], 3)?;
//! assert!(f.f_max(corner.as_ref(), Par::Seq)? <= f_max_box);
//! let bytes = network_to_safetensors(&f)?;
//! assert_eq!(load_network(&bytes, &LoadOptions::default())?, f);
//! # let _ = norms;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod activation;
mod architecture;
pub mod graph;
pub mod inputs;
pub mod interval;
pub mod io;
mod network;
pub mod norms;
mod random;

pub use activation::{Activation, GELU_LIPSCHITZ, GELU_MIN, ParseActivationError};
pub use architecture::{Architecture, ArchitectureError};
pub use graph::{
    Conv2d, ForwardError, Graph, GraphError, Node, NodeId, Op, Pool2d, Shape, Window,
    conv_operator_norm_bound, im2col, schur_bound_grouped,
};
pub use inputs::{InputError, read_input_rows};
pub use interval::{ActivationBounds, InputBox, IntervalError, IntervalVector};
pub use io::{
    LoadOptions, NamedTensor, SafetensorsError, TensorData, compare_tensor_names, load_network,
    network_to_safetensors, read_tensors, sequential_bias_name, sequential_weight_name,
    write_tensors,
};
pub use network::{Layer, Network, NetworkError, rows_to_columns};
pub use norms::{
    NormError, frobenius_upper_bound, max_norm, spectral_norm, spectral_norm_par,
    spectral_norm_upper_bound,
};
pub use random::{RandomError, random_spectral, random_uniform};
