//! Dense target networks F on faer matrices: forward passes, activations,
//! `F_max` over a finite set, spectral norms, and the constant bias unit.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

use crate::norms::{self, NormError};
use crate::{Activation, Architecture};

/// Errors of building a [`Network`] or feeding it inputs.
///
/// Layer numbers are the paper's: layer `i ∈ [ℓ]` holds `W_i`, so the first
/// layer is 1.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// No layers at all (ℓ = 0).
    #[error("a network needs at least one layer (ℓ ≥ 1), got none")]
    NoLayers,
    /// A weight matrix has no rows or no columns.
    #[error("layer {layer}: weight matrix is {rows}×{cols}; every width must be at least 1")]
    EmptyLayer {
        /// Layer `i` (1-based).
        layer: usize,
        /// Rows of `W_i` (`n_i`).
        rows: usize,
        /// Columns of `W_i` (`n_{i-1}`).
        cols: usize,
    },
    /// `W_i` has `found` columns but layer `i-1` has `expected` neurons.
    #[error(
        "layer {layer}: weight matrix has {found} columns but the previous layer has {expected} neurons (shapes do not chain)"
    )]
    ShapeMismatch {
        /// Layer `i` (1-based).
        layer: usize,
        /// `n_{i-1}` from the previous layer.
        expected: usize,
        /// Columns of `W_i`.
        found: usize,
    },
    /// A weight is NaN or infinite.
    #[error("layer {layer}: weight ({row}, {col}) is {value}; expected a finite number")]
    NonFiniteWeight {
        /// Layer `i` (1-based).
        layer: usize,
        /// Row (output neuron, 0-based).
        row: usize,
        /// Column (input neuron, 0-based).
        col: usize,
        /// The offending value.
        value: f64,
    },
    /// A bias is NaN or infinite.
    #[error("layer {layer}: bias {index} is {value}; expected a finite number")]
    NonFiniteBias {
        /// Layer `i` (1-based).
        layer: usize,
        /// Index of the bias (0-based).
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A bias vector's length is not the layer's width.
    #[error(
        "layer {layer}: bias has length {found}, expected {expected} (the number of rows of W_{layer})"
    )]
    BiasLength {
        /// Layer `i` (1-based).
        layer: usize,
        /// `n_i`.
        expected: usize,
        /// Length given.
        found: usize,
    },
    /// The number of activations is not the number of weight matrices.
    #[error("expected {expected} activations (one per layer), got {found}")]
    ActivationCount {
        /// Number of layers.
        expected: usize,
        /// Number of activations given.
        found: usize,
    },
    /// An input has the wrong dimension.
    #[error("input has dimension {found}, expected n_0 = {expected}")]
    InputLength {
        /// `n_0`.
        expected: usize,
        /// Dimension given.
        found: usize,
    },
    /// An input coordinate is NaN or infinite.
    #[error("input {input}, coordinate {coordinate} is {value}; expected a finite number")]
    NonFiniteInput {
        /// Index of the input in the batch (0 for a single input).
        input: usize,
        /// Coordinate (0-based).
        coordinate: usize,
        /// The offending value.
        value: f64,
    },
    /// An empty set of inputs where at least one is needed (`F_max` of ∅).
    #[error("the input set is empty; F_max needs at least one input")]
    NoInputs,
    /// The constant bias unit cannot be carried through a hidden layer whose
    /// activation maps the unit's positive value to a value that is not positive and
    /// finite ([`Network::with_bias_unit`]).
    #[error(
        "layer {layer} has activation {activation}, which maps the constant bias unit to a value that is not positive and finite, so the unit cannot carry the next layer's biases"
    )]
    BiasUnitUnsupported {
        /// Layer `i` (1-based).
        layer: usize,
        /// Its activation.
        activation: Activation,
    },
}

/// One layer `i` of a network: `x ↦ σ_i(W_i x + b_i)`.
///
/// Plain data; [`Network::new`] validates it (finite entries, bias length,
/// shapes that chain).
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// `W_i`, of shape `n_i × n_{i-1}` (row `j` holds the incoming weights of
    /// neuron `j`, as in Section 2 and PyTorch's `Linear.weight`).
    pub weight: Mat<f64>,
    /// `b_i` of length `n_i`, or `None` for the paper's bias-free layers.
    pub bias: Option<Vec<f64>>,
    /// `σ_i`.
    pub activation: Activation,
}

impl Layer {
    /// A layer without bias.
    pub fn new(weight: Mat<f64>, activation: Activation) -> Self {
        Self {
            weight,
            bias: None,
            activation,
        }
    }

    /// A layer with bias `b_i`.
    pub fn with_bias(weight: Mat<f64>, bias: Vec<f64>, activation: Activation) -> Self {
        Self {
            weight,
            bias: Some(bias),
            activation,
        }
    }

    /// `W_i` as a faer view.
    pub fn weight(&self) -> MatRef<'_, f64> {
        self.weight.as_ref()
    }

    /// `n_{i-1}`, the number of inputs.
    pub fn fan_in(&self) -> usize {
        self.weight.ncols()
    }

    /// `n_i`, the number of neurons.
    pub fn fan_out(&self) -> usize {
        self.weight.nrows()
    }

    /// Single input: `σ_i(W_i x + b_i)`, summing `Σ_j W[r,j] x_j` in the order
    /// `j = 0, 1, ...` and adding the bias last (see
    /// [`Network::with_bias_unit`] for why the order is fixed).
    fn forward_one(&self, x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; self.fan_out()];
        for (j, &xj) in x.iter().enumerate() {
            let col = self.weight.col_as_slice(j);
            for (yr, &w) in y.iter_mut().zip(col) {
                *yr += w * xj;
            }
        }
        if let Some(b) = &self.bias {
            for (yr, &br) in y.iter_mut().zip(b) {
                *yr += br;
            }
        }
        self.activation.apply_slice(&mut y);
        y
    }

    /// Batch (one input per column): `σ_i(W_i X + b_i 1ᵀ)` with faer's matmul.
    fn forward_batch(&self, x: MatRef<'_, f64>, par: Par) -> Mat<f64> {
        let mut z = Mat::<f64>::zeros(self.fan_out(), x.ncols());
        matmul(
            z.as_mut(),
            Accum::Replace,
            self.weight.as_ref(),
            x,
            1.0,
            par,
        );
        if let Some(b) = &self.bias {
            for j in 0..z.ncols() {
                for (zr, &br) in z.col_as_slice_mut(j).iter_mut().zip(b) {
                    *zr += br;
                }
            }
        }
        self.activation.apply_mat(z.as_mut());
        z
    }
}

/// A fully connected target network F (Section 2): layers
/// `F_i(x) = σ_i(W_i F_{i-1}(x) + b_i)`, `F_0(x) = x`, `F(x) = F_ℓ(x)`.
/// The paper's networks have no biases; optional biases are supported here and
/// reduced to the paper's setting by [`Network::with_bias_unit`].
///
/// Invariants (checked by [`Network::new`]): ℓ ≥ 1, every width ≥ 1, shapes
/// chain, all weights and biases finite.
///
/// Batches are matrices with **one input per column** (`n_0 × N`), matching
/// faer's column-major storage; [`rows_to_columns`] converts a list of input
/// rows.
///
/// # Example
///
/// ```
/// use faer::mat;
/// use logprune_network::{Activation, Layer, Network};
///
/// // F(x) = ReLU(x_1 - x_2) + 1 (a 2-1-1 network with an output bias).
/// let net = Network::new(vec![
///     Layer::new(mat![[1.0, -1.0]], Activation::Relu),
///     Layer::with_bias(mat![[1.0]], vec![1.0], Activation::Identity),
/// ])?;
/// assert_eq!(net.forward(&[3.0, 1.0])?, vec![3.0]);
/// assert_eq!(net.forward(&[1.0, 3.0])?, vec![1.0]);
/// // F_max over {(3, 1)}: max |activation| over the input and hidden layers = 3.
/// assert_eq!(net.f_max_rows(&[vec![3.0, 1.0]])?, 3.0);
/// # Ok::<(), logprune_network::NetworkError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    layers: Vec<Layer>,
    architecture: Architecture,
}

fn check_finite_input(x: &[f64], input: usize) -> Result<(), NetworkError> {
    match x.iter().position(|v| !v.is_finite()) {
        Some(coordinate) => Err(NetworkError::NonFiniteInput {
            input,
            coordinate,
            value: x[coordinate],
        }),
        None => Ok(()),
    }
}

/// Packs input rows `x^(1), ..., x^(N)` (each of length `n_0`) into the
/// `n_0 × N` matrix with one input per column that the batch methods take.
///
/// Returns an error if a row's length is not `n0` or an entry is not finite.
///
/// # Example
///
/// ```
/// let x = logprune_network::rows_to_columns(&[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]], 2)?;
/// assert_eq!((x.nrows(), x.ncols()), (2, 3));
/// assert_eq!(x[(1, 2)], 6.0);
/// # Ok::<(), logprune_network::NetworkError>(())
/// ```
pub fn rows_to_columns(rows: &[Vec<f64>], n0: usize) -> Result<Mat<f64>, NetworkError> {
    for (input, row) in rows.iter().enumerate() {
        if row.len() != n0 {
            return Err(NetworkError::InputLength {
                expected: n0,
                found: row.len(),
            });
        }
        check_finite_input(row, input)?;
    }
    Ok(Mat::from_fn(n0, rows.len(), |i, j| rows[j][i]))
}

impl Network {
    /// Builds a network from its layers `1..ℓ` (first layer first).
    ///
    /// Returns an error (never panics) if there are no layers, a matrix is
    /// empty, shapes do not chain (`W_i` must have `n_{i-1}` columns), a weight
    /// or bias is NaN/inf, or a bias length is not `n_i`.
    pub fn new(layers: Vec<Layer>) -> Result<Self, NetworkError> {
        if layers.is_empty() {
            return Err(NetworkError::NoLayers);
        }
        let mut widths = Vec::with_capacity(layers.len() + 1);
        for (k, layer) in layers.iter().enumerate() {
            let i = k + 1;
            let (rows, cols) = layer.weight.shape();
            if rows == 0 || cols == 0 {
                return Err(NetworkError::EmptyLayer {
                    layer: i,
                    rows,
                    cols,
                });
            }
            if let Some(&prev) = widths.last() {
                if cols != prev {
                    return Err(NetworkError::ShapeMismatch {
                        layer: i,
                        expected: prev,
                        found: cols,
                    });
                }
            } else {
                widths.push(cols);
            }
            for col in 0..cols {
                for (row, &value) in layer.weight.col_as_slice(col).iter().enumerate() {
                    if !value.is_finite() {
                        return Err(NetworkError::NonFiniteWeight {
                            layer: i,
                            row,
                            col,
                            value,
                        });
                    }
                }
            }
            if let Some(b) = &layer.bias {
                if b.len() != rows {
                    return Err(NetworkError::BiasLength {
                        layer: i,
                        expected: rows,
                        found: b.len(),
                    });
                }
                if let Some(index) = b.iter().position(|v| !v.is_finite()) {
                    return Err(NetworkError::NonFiniteBias {
                        layer: i,
                        index,
                        value: b[index],
                    });
                }
            }
            widths.push(rows);
        }
        let activations = layers.iter().map(|l| l.activation).collect();
        // Widths ≥ 1 and ℓ ≥ 1 were checked above, so this cannot fail.
        let architecture =
            Architecture::new(widths, activations).map_err(|_| NetworkError::NoLayers)?;
        Ok(Self {
            layers,
            architecture,
        })
    }

    /// Builds a bias-free network (the paper's setting) from `W_1..W_ℓ` and
    /// `σ_1..σ_ℓ`. Same errors as [`Network::new`], plus
    /// [`NetworkError::ActivationCount`].
    pub fn from_weights(
        weights: Vec<Mat<f64>>,
        activations: &[Activation],
    ) -> Result<Self, NetworkError> {
        if weights.len() != activations.len() {
            return Err(NetworkError::ActivationCount {
                expected: weights.len(),
                found: activations.len(),
            });
        }
        Self::new(
            weights
                .into_iter()
                .zip(activations)
                .map(|(w, &a)| Layer::new(w, a))
                .collect(),
        )
    }

    /// The architecture `A(ℓ, n, σ)`.
    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }

    /// The layers; `layers()[i-1]` is layer `i` of the paper.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Consumes the network and returns its layers.
    pub fn into_layers(self) -> Vec<Layer> {
        self.layers
    }

    /// ℓ, the number of layers.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// `n_0`.
    pub fn input_width(&self) -> usize {
        self.architecture.input_width()
    }

    /// `n_ℓ`.
    pub fn output_width(&self) -> usize {
        self.architecture.output_width()
    }

    /// Whether any layer has a bias.
    pub fn has_bias(&self) -> bool {
        self.layers.iter().any(|l| l.bias.is_some())
    }

    /// `max_i ‖W_i‖_max`, the smallest `w_max` with every weight in
    /// `[-w_max, w_max]` (Section 2). Biases are not included (they become
    /// weights only in [`Network::with_bias_unit`]'s F').
    pub fn max_abs_weight(&self) -> f64 {
        self.layers
            .iter()
            .map(|l| norms::max_norm(l.weight()))
            .fold(0.0, f64::max)
    }

    /// The spectral norms `‖W_i‖_2`, `i = 1..ℓ` (largest singular values,
    /// Section 2), computed sequentially by [`norms::spectral_norm`].
    ///
    /// Returns an error only if faer's SVD does not converge.
    pub fn spectral_norms(&self) -> Result<Vec<f64>, NormError> {
        self.layers
            .iter()
            .map(|l| norms::spectral_norm(l.weight()))
            .collect()
    }

    fn check_input(&self, x: &[f64], input: usize) -> Result<(), NetworkError> {
        if x.len() != self.input_width() {
            return Err(NetworkError::InputLength {
                expected: self.input_width(),
                found: x.len(),
            });
        }
        check_finite_input(x, input)
    }

    fn check_batch(&self, x: MatRef<'_, f64>) -> Result<(), NetworkError> {
        if x.nrows() != self.input_width() {
            return Err(NetworkError::InputLength {
                expected: self.input_width(),
                found: x.nrows(),
            });
        }
        for j in 0..x.ncols() {
            for i in 0..x.nrows() {
                let value = x[(i, j)];
                if !value.is_finite() {
                    return Err(NetworkError::NonFiniteInput {
                        input: j,
                        coordinate: i,
                        value,
                    });
                }
            }
        }
        Ok(())
    }

    /// The network output `F(x) = F_ℓ(x)` for one input `x ∈ ℝ^{n_0}`.
    ///
    /// Each neuron sums `Σ_j W[r,j]·x_j` in index order and then adds its bias,
    /// so the result is a fixed function of the weights (no dependence on
    /// threads or SIMD paths). Returns a vector of length `n_ℓ`, or an error if
    /// `x` has the wrong length or a non-finite entry.
    pub fn forward(&self, x: &[f64]) -> Result<Vec<f64>, NetworkError> {
        self.check_input(x, 0)?;
        let mut y = x.to_vec();
        for layer in &self.layers {
            y = layer.forward_one(&y);
        }
        Ok(y)
    }

    /// All layer outputs `F_0(x) = x, F_1(x), ..., F_ℓ(x)` for one input
    /// (ℓ+1 vectors, `F_i(x)` of length `n_i`; Section 2), computed as in
    /// [`Network::forward`].
    pub fn activations(&self, x: &[f64]) -> Result<Vec<Vec<f64>>, NetworkError> {
        self.check_input(x, 0)?;
        let mut out = Vec::with_capacity(self.depth() + 1);
        out.push(x.to_vec());
        for layer in &self.layers {
            let next = layer.forward_one(&out[out.len() - 1]);
            out.push(next);
        }
        Ok(out)
    }

    /// `F(x)` for a batch: `inputs` is `n_0 × N` with **one input per column**;
    /// returns the `n_ℓ × N` outputs, one per column.
    ///
    /// Uses faer's matmul with parallelism `par` (`Par::Seq` is reproducible
    /// bit for bit; `Par::rayon(n)` uses the rayon pool and may differ in the
    /// last bits). Results agree with [`Network::forward`] up to rounding, not
    /// necessarily bit for bit (different summation order).
    pub fn forward_batch(
        &self,
        inputs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<Mat<f64>, NetworkError> {
        self.check_batch(inputs)?;
        let mut iter = self.layers.iter();
        // ℓ ≥ 1 is an invariant, so the first layer exists.
        let Some(first) = iter.next() else {
            return Err(NetworkError::NoLayers);
        };
        let mut y = first.forward_batch(inputs, par);
        for layer in iter {
            y = layer.forward_batch(y.as_ref(), par);
        }
        Ok(y)
    }

    /// All layer outputs `F_0, ..., F_ℓ` for a batch (one input per column):
    /// ℓ+1 matrices, the i-th of shape `n_i × N`. Same numerics as
    /// [`Network::forward_batch`].
    pub fn activations_batch(
        &self,
        inputs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<Vec<Mat<f64>>, NetworkError> {
        self.check_batch(inputs)?;
        let mut out: Vec<Mat<f64>> = Vec::with_capacity(self.depth() + 1);
        out.push(inputs.to_owned());
        for layer in &self.layers {
            let next = layer.forward_batch(out[out.len() - 1].as_ref(), par);
            out.push(next);
        }
        Ok(out)
    }

    /// Convenience: `F(x)` for each row of `rows` (each of length `n_0`),
    /// sequentially with [`Network::forward`]. Returns one output vector per
    /// input row, in order.
    pub fn forward_rows(&self, rows: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, NetworkError> {
        rows.iter()
            .enumerate()
            .map(|(input, x)| {
                self.check_input(x, input)?;
                let mut y = x.clone();
                for layer in &self.layers {
                    y = layer.forward_one(&y);
                }
                Ok(y)
            })
            .collect()
    }

    /// `F_max(X) = max_{x ∈ X} max_{i ∈ [ℓ]} max_j |F_{i-1,j}(x)|` over the
    /// finite set `X` given as the columns of `inputs` (Section 2): the largest
    /// absolute activation over layers `0..ℓ-1`, inputs included, outputs
    /// excluded.
    ///
    /// This is the value computed in floating point (batch numerics of
    /// [`Network::forward_batch`]), not a certified bound; for a certified
    /// upper bound see [`Network::certified_f_max_points`]. Returns a
    /// nonnegative number, or an error if `inputs` has no columns, the wrong
    /// number of rows, or a non-finite entry.
    pub fn f_max(&self, inputs: MatRef<'_, f64>, par: Par) -> Result<f64, NetworkError> {
        if inputs.ncols() == 0 {
            return Err(NetworkError::NoInputs);
        }
        self.check_batch(inputs)?;
        let mut best = norms::max_norm(inputs);
        let mut y = inputs.to_owned();
        // Layers 1..ℓ-1 produce the hidden activations; layer ℓ's output is excluded.
        for layer in &self.layers[..self.depth() - 1] {
            y = layer.forward_batch(y.as_ref(), par);
            best = best.max(norms::max_norm(y.as_ref()));
        }
        Ok(best)
    }

    /// [`Network::f_max`] over a list of input rows, with the single-input
    /// numerics of [`Network::forward`]. Returns a nonnegative number, or an
    /// error if `rows` is empty or a row is invalid.
    pub fn f_max_rows(&self, rows: &[Vec<f64>]) -> Result<f64, NetworkError> {
        if rows.is_empty() {
            return Err(NetworkError::NoInputs);
        }
        let mut best = 0.0f64;
        for (input, x) in rows.iter().enumerate() {
            self.check_input(x, input)?;
            let mut y = x.clone();
            best = y.iter().fold(best, |m, v| m.max(v.abs()));
            for layer in &self.layers[..self.depth() - 1] {
                y = layer.forward_one(&y);
                best = y.iter().fold(best, |m, v| m.max(v.abs()));
            }
        }
        Ok(best)
    }

    /// The bias-free network F' that carries the biases by a constant unit,
    /// so that `F'(x, 1) = F(x)` for every `x` (Section 2's bias-free setting
    /// applies to F', and Ĝ of a target with biases takes `(x, 1)`).
    ///
    /// # Construction
    ///
    /// The input gets a trailing coordinate fixed to 1, and every hidden layer
    /// gets one more neuron, the *unit*, whose value `u_i` is the same for every input:
    ///
    /// ```text
    /// u_0 = 1,  u_i = σ_i(u_{i-1})
    /// hidden layer i < ℓ:  W'_i = [ W_i  b_i/u_{i-1} ]   of shape (n_i + 1) × (n_{i-1} + 1)
    ///                             [ 0ᵀ   1           ]
    /// last layer ℓ:        W'_ℓ = [ W_ℓ  b_ℓ/u_{ℓ-1} ]   of shape n_ℓ × (n_{ℓ-1} + 1)
    /// ```
    ///
    /// By induction, if the unit of layer `i-1` is `u_{i-1}` then row `j ≤ n_i` of
    /// layer `i` computes `σ_i(W_i F_{i-1}(x) + (b_i/u_{i-1})·u_{i-1}) = σ_i(W_i F_{i-1}(x) + b_i)`,
    /// and the unit computes `σ_i(0ᵀ F_{i-1}(x) + 1·u_{i-1}) = u_i`. For ReLU, identity,
    /// leaky ReLU and ELU `σ(1) = 1`, so every `u_i = 1` and the bias column is `b_i`
    /// itself; for tanh and the sigmoid the unit decays (`tanh 1 ≈ 0.76`, `σ(1) ≈ 0.73`) and
    /// the bias column is scaled up to match. A unit that is not positive and finite is
    /// refused with [`NetworkError::BiasUnitUnsupported`] (no activation of [`Activation`]
    /// does that on a positive input). A missing bias is a zero column. The widths become
    /// `n_i + 1` for `i < ℓ`, `n_ℓ` unchanged; the largest weight becomes
    /// `max(w_max, max|b_i|/u_{i-1}, 1)`, and `F'_max(X × {1}) = max(F_max(X), 1)` since the
    /// unit counts as an activation (use [`crate::InputBox::with_unit`] for the box of F').
    ///
    /// In floating point the identity is exact for [`Network::forward`] when every
    /// `u_i = 1`: the unit's column is summed last, so `Σ_j W[r,j] x_j + b_r·1` is the same
    /// sequence of operations as F's sum followed by its bias. With a decaying unit,
    /// `(b/u)·u` may differ from `b` by a rounding of `b` (half an ulp each).
    ///
    /// # Example
    ///
    /// ```
    /// use faer::mat;
    /// use logprune_network::{Activation, Layer, Network};
    ///
    /// let f = Network::new(vec![
    ///     Layer::with_bias(mat![[1.0, -2.0], [0.5, 1.0]], vec![0.25, -1.0], Activation::Relu),
    ///     Layer::with_bias(mat![[2.0, 1.0]], vec![-3.0], Activation::Identity),
    /// ])?;
    /// let fp = f.with_bias_unit()?;
    /// assert_eq!(fp.architecture().widths(), &[3, 3, 1]);
    /// assert!(!fp.has_bias());
    /// assert_eq!(fp.forward(&[0.7, -0.2, 1.0])?, f.forward(&[0.7, -0.2])?);
    /// # Ok::<(), logprune_network::NetworkError>(())
    /// ```
    pub fn with_bias_unit(&self) -> Result<Network, NetworkError> {
        let ell = self.depth();
        let mut layers = Vec::with_capacity(ell);
        // The unit's value at the input of layer k (u_0 = 1).
        let mut unit = 1.0_f64;
        for (k, layer) in self.layers.iter().enumerate() {
            let hidden = k + 1 < ell;
            let (rows, cols) = layer.weight.shape();
            let out_rows = if hidden { rows + 1 } else { rows };
            let bias = layer.bias.as_deref();
            // `b/1 = b` exactly, so a unit that stays 1 leaves the biases' bits alone.
            let w = Mat::from_fn(out_rows, cols + 1, |r, c| match (r < rows, c < cols) {
                (true, true) => layer.weight[(r, c)],
                (true, false) => bias.map_or(0.0, |b| b[r] / unit),
                (false, true) => 0.0,
                (false, false) => 1.0,
            });
            layers.push(Layer::new(w, layer.activation));
            if hidden {
                unit = layer.activation.apply(unit);
                if !(unit > 0.0 && unit.is_finite()) {
                    return Err(NetworkError::BiasUnitUnsupported {
                        layer: k + 1,
                        activation: layer.activation,
                    });
                }
            }
        }
        Network::new(layers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::mat;

    fn two_layer() -> Network {
        // Non-square first layer (3 × 2), bias on both layers.
        Network::new(vec![
            Layer::with_bias(
                mat![[1.0, 2.0], [-1.0, 0.5], [0.0, -3.0]],
                vec![0.5, 0.0, 1.0],
                Activation::Relu,
            ),
            Layer::with_bias(mat![[1.0, -1.0, 2.0]], vec![-0.25], Activation::Identity),
        ])
        .unwrap()
    }

    #[test]
    fn forward_by_hand() {
        let net = two_layer();
        // x = (1, 1): z1 = (3.5, -0.5, -2), h = (3.5, 0, 0), y = 3.5 - 0.25.
        assert_eq!(net.forward(&[1.0, 1.0]).unwrap(), vec![3.25]);
        // x = (0, -1): z1 = (-1.5, -0.5, 4), h = (0, 0, 4), y = 8 - 0.25.
        assert_eq!(net.forward(&[0.0, -1.0]).unwrap(), vec![7.75]);
        let acts = net.activations(&[0.0, -1.0]).unwrap();
        assert_eq!(acts.len(), 3);
        assert_eq!(acts[1], vec![0.0, 0.0, 4.0]);
        // F_max over both inputs: max(|x|, |h|) = 4 (output 7.75 excluded).
        assert_eq!(
            net.f_max_rows(&[vec![1.0, 1.0], vec![0.0, -1.0]]).unwrap(),
            4.0
        );
        let x = rows_to_columns(&[vec![1.0, 1.0], vec![0.0, -1.0]], 2).unwrap();
        assert_eq!(net.f_max(x.as_ref(), Par::Seq).unwrap(), 4.0);
        let y = net.forward_batch(x.as_ref(), Par::Seq).unwrap();
        assert_eq!((y.nrows(), y.ncols()), (1, 2));
        assert_eq!(y[(0, 0)], 3.25);
        assert_eq!(y[(0, 1)], 7.75);
        let all = net.activations_batch(x.as_ref(), Par::Seq).unwrap();
        assert_eq!(all[1][(2, 1)], 4.0);
        assert_eq!(
            net.forward_rows(&[vec![1.0, 1.0]]).unwrap(),
            vec![vec![3.25]]
        );
    }

    #[test]
    fn construction_errors() {
        assert_eq!(Network::new(vec![]), Err(NetworkError::NoLayers));
        let e = Network::new(vec![
            Layer::new(Mat::zeros(3, 2), Activation::Relu),
            Layer::new(Mat::zeros(1, 4), Activation::Relu),
        ]);
        assert_eq!(
            e,
            Err(NetworkError::ShapeMismatch {
                layer: 2,
                expected: 3,
                found: 4
            })
        );
        let e = Network::new(vec![Layer::new(Mat::zeros(0, 2), Activation::Relu)]);
        assert_eq!(
            e,
            Err(NetworkError::EmptyLayer {
                layer: 1,
                rows: 0,
                cols: 2
            })
        );
        let e = Network::new(vec![Layer::new(mat![[1.0, f64::NAN]], Activation::Relu)]);
        assert!(matches!(
            e,
            Err(NetworkError::NonFiniteWeight {
                layer: 1,
                row: 0,
                col: 1,
                ..
            })
        ));
        let e = Network::new(vec![Layer::new(
            mat![[1.0], [f64::NEG_INFINITY]],
            Activation::Relu,
        )]);
        assert!(matches!(
            e,
            Err(NetworkError::NonFiniteWeight {
                layer: 1,
                row: 1,
                col: 0,
                ..
            })
        ));
        let e = Network::new(vec![Layer::with_bias(
            mat![[1.0]],
            vec![1.0, 2.0],
            Activation::Relu,
        )]);
        assert_eq!(
            e,
            Err(NetworkError::BiasLength {
                layer: 1,
                expected: 1,
                found: 2
            })
        );
        let e = Network::new(vec![Layer::with_bias(
            mat![[1.0]],
            vec![f64::INFINITY],
            Activation::Relu,
        )]);
        assert!(matches!(
            e,
            Err(NetworkError::NonFiniteBias {
                layer: 1,
                index: 0,
                ..
            })
        ));
        let e = Network::from_weights(vec![mat![[1.0]]], &[]);
        assert_eq!(
            e,
            Err(NetworkError::ActivationCount {
                expected: 1,
                found: 0
            })
        );
    }

    #[test]
    fn input_errors() {
        let net = two_layer();
        assert_eq!(
            net.forward(&[1.0]),
            Err(NetworkError::InputLength {
                expected: 2,
                found: 1
            })
        );
        assert!(matches!(
            net.forward(&[1.0, f64::NAN]),
            Err(NetworkError::NonFiniteInput {
                input: 0,
                coordinate: 1,
                ..
            })
        ));
        let x = Mat::<f64>::zeros(2, 0);
        assert_eq!(net.f_max(x.as_ref(), Par::Seq), Err(NetworkError::NoInputs));
        assert_eq!(net.f_max_rows(&[]), Err(NetworkError::NoInputs));
        let x = mat![[1.0, 2.0], [0.0, f64::INFINITY]];
        assert!(matches!(
            net.forward_batch(x.as_ref(), Par::Seq),
            Err(NetworkError::NonFiniteInput {
                input: 1,
                coordinate: 1,
                ..
            })
        ));
        assert!(matches!(
            rows_to_columns(&[vec![1.0]], 2),
            Err(NetworkError::InputLength {
                expected: 2,
                found: 1
            })
        ));
    }

    #[test]
    fn bias_unit_shapes_and_identity() {
        let net = two_layer();
        let fp = net.with_bias_unit().unwrap();
        assert_eq!(fp.architecture().widths(), &[3, 4, 1]);
        assert!(!fp.has_bias());
        // W'_1 = [[1, 2, .5], [-1, .5, 0], [0, -3, 1], [0, 0, 1]]
        let w1 = fp.layers()[0].weight();
        assert_eq!(w1[(0, 2)], 0.5);
        assert_eq!(w1[(3, 0)], 0.0);
        assert_eq!(w1[(3, 2)], 1.0);
        // W'_2 = [1, -1, 2, -0.25]
        assert_eq!(fp.layers()[1].weight()[(0, 3)], -0.25);
        for x in [[1.0, 1.0], [0.0, -1.0], [0.3, -0.7], [-2.0, 5.0]] {
            let mut x1 = x.to_vec();
            x1.push(1.0);
            assert_eq!(fp.forward(&x1).unwrap(), net.forward(&x).unwrap());
            // the unit stays exactly 1 in the hidden layer
            assert_eq!(fp.activations(&x1).unwrap()[1][3], 1.0);
        }
    }

    #[test]
    fn bias_unit_decays_through_tanh_and_sigmoid_hidden_layers() {
        for act in [Activation::Tanh, Activation::Sigmoid] {
            let net = Network::new(vec![
                Layer::with_bias(mat![[1.0, -0.5]], vec![0.75], act),
                Layer::with_bias(mat![[2.0]], vec![-0.3], act),
                Layer::with_bias(mat![[1.5]], vec![0.2], Activation::Identity),
            ])
            .unwrap();
            let fp = net.with_bias_unit().unwrap();
            assert_eq!(fp.architecture().widths(), &[3, 2, 2, 1]);
            // The unit's value after each hidden layer, and the scaled bias columns.
            let u1 = act.apply(1.0);
            let u2 = act.apply(u1);
            let w = fp.layers();
            assert_eq!(w[0].weight[(0, 2)], 0.75);
            assert_eq!(w[1].weight[(0, 1)], -0.3 / u1);
            assert_eq!(w[2].weight[(0, 1)], 0.2 / u2);
            assert!(u1 < 1.0 && u2 < u1);
            for x in [[0.5, -1.0], [-0.25, 0.75], [0.0, 0.0]] {
                let a = fp.forward(&[x[0], x[1], 1.0]).unwrap()[0];
                let b = net.forward(&x).unwrap()[0];
                assert!(
                    (a - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(1.0),
                    "{act}: {a} vs {b}"
                );
            }
            // As an output activation it is exact.
            let out = Network::new(vec![Layer::with_bias(mat![[2.0]], vec![-1.0], act)]).unwrap();
            let fp = out.with_bias_unit().unwrap();
            assert_eq!(
                fp.forward(&[0.5, 1.0]).unwrap(),
                out.forward(&[0.5]).unwrap()
            );
        }
    }

    #[test]
    fn norms_and_max_weight() {
        let net = Network::from_weights(
            vec![mat![[3.0, 0.0], [4.0, 5.0]], mat![[0.0, -2.0]]],
            &[Activation::Relu, Activation::Identity],
        )
        .unwrap();
        let s = net.spectral_norms().unwrap();
        assert!((s[0] - 45f64.sqrt()).abs() <= 32.0 * f64::EPSILON);
        assert!((s[1] - 2.0).abs() <= 8.0 * f64::EPSILON);
        assert_eq!(net.max_abs_weight(), 5.0);
    }
}
