//! The pruned network Ĝ: the kept intermediate neurons of G, each with one input edge and
//! its output edges, stored flat (struct of arrays), and its two readings (literal and
//! virtual).
//!
//! A kept intermediate neuron `z` of layer `i` keeps exactly one input edge `b` (weight
//! `u = U_i[z, b]`) and some output edges `(a, V_i[a, z])`. On input `x` it computes
//! `relu(u x_b)`, so for `x_b ≥ 0` it contributes `V[a,z]·u·x_b` to output `a` if `u > 0` and
//! nothing otherwise, and for `x_b < 0` the roles flip (Theorem 3's proof, step 1). Hence the
//! *virtual* weights
//!
//! ```text
//! Ŵ⁺[a, b] = Σ_{kept z with input b, u > 0} V[a,z]·u     (active on positive inputs)
//! Ŵ⁻[a, b] = Σ_{kept z with input b, u < 0} V[a,z]·u     (active on negative inputs)
//! ```
//!
//! and layer `i` of Ĝ computes exactly `σ_i(Ŵ⁺ max(x, 0) + Ŵ⁻ min(x, 0))` (Theorem 3's proof,
//! step 1, writes `ŵ = ŵ⁺ + ŵ⁻` for the two neurons of Figure 1).
//! [`PrunedNetwork::forward`] is the literal network (`relu(U x)`, then `V`, then `σ_i`);
//! [`PrunedNetwork::forward_virtual`] is the virtual one; they agree up to rounding.
//!
//! # Storage
//!
//! A layer holds, per kept neuron in increasing `z`, its `z` (`u64`), input `b` (`u32`) and
//! input weight `u`; and per kept output edge, in order of neuron then output, its output `a`
//! (`u32`) and weight `v`, with the edges of neuron `k` at `start[k]..start[k+1]`: a few flat
//! arrays, no allocation per neuron, `O(kept)` memory (ARCHITECTURE.md, invariant 13).

use faer::Mat;
use logprune_network::Activation;

use crate::ConstructionError;

/// One kept intermediate neuron of Ĝ, as a value: a convenient way to build a layer
/// ([`PrunedLayer::new`]) and to look at one ([`NeuronRef::to_owned`]).
#[derive(Clone, Debug, PartialEq)]
pub struct KeptNeuron {
    /// Its index `z` in G's intermediate layer (`0 ≤ z < M_i`).
    pub z: u64,
    /// Its one input `b` (`0 ≤ b < n_{i-1}`).
    pub input: usize,
    /// Its input weight `U_i[z, b]`.
    pub u: f64,
    /// Its outputs `(a, V_i[a, z])`, `a` increasing.
    pub outputs: Vec<(usize, f64)>,
}

/// One kept neuron of a [`PrunedLayer`], borrowed from its arrays.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NeuronRef<'a> {
    /// Its index `z` in G.
    pub z: u64,
    /// Its input `b`.
    pub input: usize,
    /// Its input weight `U_i[z, b]`.
    pub u: f64,
    /// Its outputs `a`, increasing.
    pub outputs: &'a [u32],
    /// Their weights `V_i[a, z]`.
    pub weights: &'a [f64],
}

impl NeuronRef<'_> {
    /// The output edges `(a, V[a, z])`.
    pub fn edges(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.outputs
            .iter()
            .zip(self.weights)
            .map(|(&a, &v)| (a as usize, v))
    }

    /// The neuron as a value.
    pub fn to_owned(&self) -> KeptNeuron {
        KeptNeuron {
            z: self.z,
            input: self.input,
            u: self.u,
            outputs: self.edges().collect(),
        }
    }
}

/// The flat arrays of one layer of Ĝ (see the [module documentation](self)), as
/// [`PrunedLayer::from_parts`] takes them and [`PrunedLayer::parts`] gives them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LayerParts {
    /// `z` of each kept neuron, strictly increasing.
    pub z: Vec<u64>,
    /// Its input `b`.
    pub input: Vec<u32>,
    /// Its input weight `u`.
    pub u: Vec<f64>,
    /// `start[k]..start[k + 1]` are neuron `k`'s edges; `start[0] = 0`, one more entry than
    /// neurons, nondecreasing, last = number of edges.
    pub start: Vec<u64>,
    /// Each edge's output `a`, increasing within a neuron.
    pub output: Vec<u32>,
    /// Each edge's weight `v`.
    pub v: Vec<f64>,
}

/// One layer of Ĝ: the kept neurons between target layers `i-1` and `i`, in G's order.
#[derive(Clone, Debug, PartialEq)]
pub struct PrunedLayer {
    n_in: usize,
    n_out: usize,
    activation: Activation,
    pub(crate) parts: LayerParts,
}

impl PrunedLayer {
    /// A layer from `n_{i-1}`, `n_i`, `σ_i` and its kept neurons (in increasing `z`).
    ///
    /// # Errors
    /// As [`PrunedLayer::from_parts`].
    pub fn new(
        n_in: usize,
        n_out: usize,
        activation: Activation,
        neurons: Vec<KeptNeuron>,
    ) -> Result<Self, ConstructionError> {
        let mut p = LayerParts {
            start: vec![0],
            ..LayerParts::default()
        };
        for n in neurons {
            p.z.push(n.z);
            p.input.push(u32::try_from(n.input).unwrap_or(u32::MAX));
            p.u.push(n.u);
            for (a, v) in n.outputs {
                p.output.push(u32::try_from(a).unwrap_or(u32::MAX));
                p.v.push(v);
            }
            p.start.push(p.output.len() as u64);
        }
        Self::from_parts(n_in, n_out, activation, p)
    }

    /// A layer from its flat arrays, checked: the arrays of neurons (and of edges) have equal
    /// lengths, `start` is a valid partition of the edges, `z` strictly increases, inputs are
    /// `< n_in`, outputs `< n_out` and increasing within a neuron, weights finite and nonzero.
    ///
    /// # Errors
    /// [`ConstructionError::InvalidKeptNeuron`] naming the first offending neuron, or
    /// [`ConstructionError::InvalidLayerArrays`] for arrays of inconsistent lengths.
    pub fn from_parts(
        n_in: usize,
        n_out: usize,
        activation: Activation,
        parts: LayerParts,
    ) -> Result<Self, ConstructionError> {
        let p = &parts;
        let kept = p.z.len();
        if p.input.len() != kept
            || p.u.len() != kept
            || p.start.len() != kept + 1
            || p.output.len() != p.v.len()
            || p.start.first() != Some(&0)
            || p.start.last() != Some(&(p.output.len() as u64))
        {
            return Err(ConstructionError::InvalidLayerArrays {
                neurons: kept,
                inputs: p.input.len(),
                input_weights: p.u.len(),
                starts: p.start.len(),
                outputs: p.output.len(),
                output_weights: p.v.len(),
            });
        }
        for k in 0..kept {
            let z = p.z[k];
            let bad = |reason: &'static str| ConstructionError::InvalidKeptNeuron { z, reason };
            if k > 0 && p.z[k - 1] >= z {
                return Err(bad("neurons must be in strictly increasing order of z"));
            }
            if p.input[k] as usize >= n_in {
                return Err(bad("input index out of range"));
            }
            if !(p.u[k].is_finite() && p.u[k] != 0.0) {
                return Err(bad("input weight must be finite and nonzero"));
            }
            let (s, e) = (p.start[k], p.start[k + 1]);
            if s > e {
                return Err(bad("edge offsets must be nondecreasing"));
            }
            let (s, e) = (s as usize, e as usize);
            for j in s..e {
                if p.output[j] as usize >= n_out || (j > s && p.output[j - 1] >= p.output[j]) {
                    return Err(bad("output indices must be in range and increasing"));
                }
                if !(p.v[j].is_finite() && p.v[j] != 0.0) {
                    return Err(bad("output weight must be finite and nonzero"));
                }
            }
        }
        Ok(PrunedLayer {
            n_in,
            n_out,
            activation,
            parts,
        })
    }

    /// `n_{i-1}`.
    pub fn n_in(&self) -> usize {
        self.n_in
    }

    /// `n_i`.
    pub fn n_out(&self) -> usize {
        self.n_out
    }

    /// `σ_i`.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The number of kept neurons.
    pub fn len(&self) -> usize {
        self.parts.z.len()
    }

    /// Whether no neuron is kept.
    pub fn is_empty(&self) -> bool {
        self.parts.z.is_empty()
    }

    /// The number of kept output edges.
    pub fn edge_count(&self) -> usize {
        self.parts.output.len()
    }

    /// Kept neuron `k` (in increasing `z`).
    ///
    /// # Panics
    /// If `k ≥ self.len()`.
    pub fn neuron(&self, k: usize) -> NeuronRef<'_> {
        let p = &self.parts;
        let (s, e) = (p.start[k] as usize, p.start[k + 1] as usize);
        NeuronRef {
            z: p.z[k],
            input: p.input[k] as usize,
            u: p.u[k],
            outputs: &p.output[s..e],
            weights: &p.v[s..e],
        }
    }

    /// The kept neurons, in increasing order of `z` (G's order).
    pub fn neurons(&self) -> impl ExactSizeIterator<Item = NeuronRef<'_>> + '_ {
        (0..self.len()).map(|k| self.neuron(k))
    }

    /// The flat arrays.
    pub fn parts(&self) -> &LayerParts {
        &self.parts
    }

    /// Bytes held by the flat arrays.
    pub fn heap_bytes(&self) -> u64 {
        let p = &self.parts;
        (p.z.len() * 8 + p.input.len() * 4 + p.u.len() * 8 + p.start.len() * 8) as u64
            + (p.output.len() * 4 + p.v.len() * 8) as u64
    }

    /// The virtual matrices `(Ŵ⁺, Ŵ⁻)`, both `n_i × n_{i-1}` (module docs), each entry summed
    /// over the kept neurons in G's order (deterministic).
    pub fn virtual_matrices(&self) -> (Mat<f64>, Mat<f64>) {
        let mut plus = Mat::<f64>::zeros(self.n_out, self.n_in);
        let mut minus = Mat::<f64>::zeros(self.n_out, self.n_in);
        for n in self.neurons() {
            let m = if n.u > 0.0 { &mut plus } else { &mut minus };
            for (a, v) in n.edges() {
                m[(a, n.input)] += v * n.u;
            }
        }
        (plus, minus)
    }

    /// The literal layer on a batch: `x` holds `n_in × batch` values coordinate-major
    /// (`x[b·batch + k]` is coordinate `b` of input `k`); returns `n_out × batch` values in the
    /// same layout: `σ_i(Σ_z V[a,z] relu(u_z x_{b_z}))`, summed over the kept neurons in G's
    /// order.
    pub(crate) fn forward_literal(&self, x: &[f64], batch: usize) -> Vec<f64> {
        let mut out = vec![0.0; self.n_out * batch];
        literal_sums(self, x, batch, &mut out);
        self.activation.apply_slice(&mut out);
        out
    }
}

/// The sums of [`PrunedLayer::forward_literal`] into `out` (zeros on entry): the plain loops
/// over the batch compiled for AVX-512 and AVX2 besides the baseline and chosen at run time
/// (the `multiversion` crate); every clone gives the same bits (no fused operations, the same
/// order of additions).
#[multiversion::multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx512dq", "x86_64+avx2"))]
fn literal_sums(layer: &PrunedLayer, x: &[f64], batch: usize, out: &mut [f64]) {
    {
        let mut h = vec![0.0; batch];
        for n in layer.neurons() {
            let xb = &x[n.input * batch..(n.input + 1) * batch];
            let u = n.u;
            if let ([a], [v]) = (n.outputs, n.weights) {
                // One output (per-weight, recycling, batch): y_a += v · relu(u x_b), fused.
                let a = *a as usize;
                for (o, &xk) in out[a * batch..(a + 1) * batch].iter_mut().zip(xb) {
                    let p = u * xk;
                    *o += v * if p > 0.0 { p } else { 0.0 };
                }
                continue;
            }
            for (hk, &xk) in h.iter_mut().zip(xb) {
                let p = u * xk;
                *hk = if p > 0.0 { p } else { 0.0 };
            }
            for (a, v) in n.edges() {
                for (o, &hk) in out[a * batch..(a + 1) * batch].iter_mut().zip(&h) {
                    *o += v * hk;
                }
            }
        }
    }
}

/// One dense tensor of Ĝ: `(name, rows, cols, row-major data)`.
pub type DenseTensor = (String, usize, usize, Vec<f64>);

/// The pruned network Ĝ (Section 2): per target layer, the kept intermediate neurons of G.
///
/// # Example
/// ```
/// use logprune_construction::{KeptNeuron, PrunedLayer, PrunedNetwork};
/// use logprune_network::Activation;
///
/// // One target weight w* ≈ 0.75 on a 1 → 1 layer, built from three kept neurons:
/// // two with u > 0 (ŵ⁺ = 0.5·1 + 0.25·1) and one with u < 0 (ŵ⁻ = 1.5·(-0.5)).
/// let n = |z, u, v| KeptNeuron { z, input: 0, u, outputs: vec![(0, v)] };
/// let layer = PrunedLayer::new(1, 1, Activation::Identity, vec![
///     n(3, 1.0, 0.5), n(8, 0.5, 0.5), n(9, -0.5, -1.5),
/// ])?;
/// let g = PrunedNetwork::new(vec![layer])?;
/// let (plus, minus) = g.layers()[0].virtual_matrices();
/// assert_eq!((plus[(0, 0)], minus[(0, 0)]), (0.75, 0.75));
/// assert_eq!(g.forward(&[2.0])?, vec![1.5]);
/// assert_eq!(g.forward(&[-2.0])?, vec![-1.5]);
/// assert_eq!(g.forward_virtual(&[-2.0])?, vec![-1.5]);
/// # Ok::<(), logprune_construction::ConstructionError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PrunedNetwork {
    pub(crate) layers: Vec<PrunedLayer>,
    /// Whether each layer feeds the next (an MLP's Ĝ); a graph target's layers are its
    /// linear nodes, wired by the graph ([`crate::graph`]).
    chained: bool,
}

impl PrunedNetwork {
    /// Ĝ from its layers, first layer first.
    ///
    /// # Errors
    /// [`ConstructionError::NoLayers`] if there is no layer;
    /// [`ConstructionError::ShapeMismatch`] if `n_in` of a layer is not `n_out` of the previous
    /// one.
    pub fn new(layers: Vec<PrunedLayer>) -> Result<Self, ConstructionError> {
        if layers.is_empty() {
            return Err(ConstructionError::NoLayers);
        }
        for (t, w) in layers.windows(2).enumerate() {
            if w[1].n_in != w[0].n_out {
                return Err(ConstructionError::ShapeMismatch {
                    layer: t + 2,
                    what: "inputs",
                    expected: w[0].n_out,
                    found: w[1].n_in,
                });
            }
        }
        Ok(PrunedNetwork {
            layers,
            chained: true,
        })
    }

    /// The layers of Ĝ for a graph target: one per linear node, in node order, which need
    /// not chain (the graph wires them, [`crate::GraphPruning::forward_literal`]); the chain
    /// forward passes and the dense export refuse such a network.
    ///
    /// # Errors
    /// [`ConstructionError::NoLayers`] for no layers.
    pub fn of_graph(layers: Vec<PrunedLayer>) -> Result<Self, ConstructionError> {
        if layers.is_empty() {
            return Err(ConstructionError::NoLayers);
        }
        Ok(PrunedNetwork {
            layers,
            chained: false,
        })
    }

    /// Whether each layer feeds the next (an MLP's Ĝ, [`PrunedNetwork::new`]).
    pub fn is_chain(&self) -> bool {
        self.chained
    }

    fn require_chain(&self) -> Result<(), ConstructionError> {
        if self.chained {
            Ok(())
        } else {
            Err(ConstructionError::GraphUnsupported {
                what: "a graph target's Ĝ is not a chain of layers: run it through its graph (GraphPruning::forward_literal)",
            })
        }
    }

    /// The layers; `layers()[t]` sits between target layers `t` and `t+1` (the paper's
    /// layer `i = t + 1`).
    pub fn layers(&self) -> &[PrunedLayer] {
        &self.layers
    }

    /// `n_0`, the input dimension (including the constant unit when the target has biases).
    pub fn input_width(&self) -> usize {
        self.layers[0].n_in
    }

    /// `n_ℓ`.
    pub fn output_width(&self) -> usize {
        self.layers[self.layers.len() - 1].n_out
    }

    /// The number of kept intermediate neurons per layer.
    pub fn kept_neurons(&self) -> Vec<u64> {
        self.layers.iter().map(|l| l.len() as u64).collect()
    }

    /// The number of kept output edges per layer.
    pub fn kept_edges(&self) -> Vec<u64> {
        self.layers.iter().map(|l| l.edge_count() as u64).collect()
    }

    /// Bytes held by the layers' arrays.
    pub fn heap_bytes(&self) -> u64 {
        self.layers.iter().map(PrunedLayer::heap_bytes).sum()
    }

    /// The virtual matrices `(Ŵ⁺_i, Ŵ⁻_i)` of every layer ([`PrunedLayer::virtual_matrices`]).
    pub fn virtual_matrices(&self) -> Vec<(Mat<f64>, Mat<f64>)> {
        self.layers
            .iter()
            .map(PrunedLayer::virtual_matrices)
            .collect()
    }

    fn check_input(&self, x: &[f64], input: usize) -> Result<(), ConstructionError> {
        self.require_chain()?;
        let n0 = self.input_width();
        if x.len() != n0 {
            return Err(ConstructionError::InputLength {
                expected: n0,
                found: x.len(),
            });
        }
        if let Some(coordinate) = x.iter().position(|v| !v.is_finite()) {
            return Err(ConstructionError::NonFiniteInput {
                input,
                coordinate,
                value: x[coordinate],
            });
        }
        Ok(())
    }

    /// The literal Ĝ on one input: per layer, `h_z = relu(u_z x_{b_z})` for every kept neuron,
    /// then `y_a = σ_i(Σ_z V[a,z] h_z)` summed in G's order.
    ///
    /// Returns `Ĝ(x)` of length `n_ℓ` (bit-identical to [`PrunedNetwork::forward_batch`]).
    ///
    /// # Errors
    /// [`ConstructionError::InputLength`] or [`ConstructionError::NonFiniteInput`].
    pub fn forward(&self, x: &[f64]) -> Result<Vec<f64>, ConstructionError> {
        self.check_input(x, 0)?;
        Ok(self.forward_unchecked(x, 1))
    }

    /// The literal Ĝ on a batch of inputs given as rows; returns one output row per input.
    ///
    /// # Errors
    /// [`ConstructionError::InputLength`] or [`ConstructionError::NonFiniteInput`], naming the
    /// first bad row.
    pub fn forward_batch(&self, rows: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, ConstructionError> {
        for (i, r) in rows.iter().enumerate() {
            self.check_input(r, i)?;
        }
        let batch = rows.len();
        let n0 = self.input_width();
        let mut x = vec![0.0; n0 * batch];
        for (k, r) in rows.iter().enumerate() {
            for (b, &v) in r.iter().enumerate() {
                x[b * batch + k] = v;
            }
        }
        let y = self.forward_unchecked(&x, batch);
        let n = self.output_width();
        Ok((0..batch)
            .map(|k| (0..n).map(|a| y[a * batch + k]).collect())
            .collect())
    }

    /// The literal forward pass on `x` in coordinate-major layout (`x[b·batch + k]`), inputs
    /// already checked. Returns `n_ℓ × batch` values in the same layout.
    pub(crate) fn forward_unchecked(&self, x: &[f64], batch: usize) -> Vec<f64> {
        let mut y = x.to_vec();
        for layer in &self.layers {
            y = layer.forward_literal(&y, batch);
        }
        y
    }

    /// The virtual Ĝ on one input: per layer `σ_i(Ŵ⁺ max(x,0) + Ŵ⁻ min(x,0))`, each output a
    /// sum over `b` in index order.
    ///
    /// Returns `Ĝ(x)` of length `n_ℓ`; equal to [`PrunedNetwork::forward`] up to rounding.
    ///
    /// # Errors
    /// As [`PrunedNetwork::forward`].
    pub fn forward_virtual(&self, x: &[f64]) -> Result<Vec<f64>, ConstructionError> {
        self.check_input(x, 0)?;
        let mut y = x.to_vec();
        for layer in &self.layers {
            let (plus, minus) = layer.virtual_matrices();
            let mut out: Vec<f64> = (0..layer.n_out)
                .map(|a| {
                    (0..layer.n_in)
                        .map(|b| {
                            let xb = y[b];
                            if xb >= 0.0 {
                                plus[(a, b)] * xb
                            } else {
                                minus[(a, b)] * xb
                            }
                        })
                        .sum()
                })
                .collect();
            layer.activation.apply_slice(&mut out);
            y = out;
        }
        Ok(y)
    }

    /// The number of bytes of [`PrunedNetwork::dense_tensors`] (`8 · kept · (n_{i-1} + n_i)`
    /// summed over layers), as `f64` (it may not fit `u64`).
    pub fn dense_bytes(&self) -> f64 {
        self.layers
            .iter()
            .map(|l| 8.0 * l.len() as f64 * (l.n_in + l.n_out) as f64)
            .sum()
    }

    /// The dense tensors of Ĝ as a bias-free `nn.Sequential(Linear(bias=False), ReLU(), ...)`:
    /// for each layer `U_i` (`kept × n_{i-1}`: row `r` holds `u` of the `r`-th kept neuron at
    /// its input) and `V_i` (`n_i × kept`: column `r` holds its outputs), as
    /// `(name, rows, cols, row-major data)` with names `0.weight`, `2.weight`, ...,
    /// `{4ℓ-2}.weight` (U_1, V_1, U_2, ...: the Linear layers sit at even positions of the
    /// Sequential, with ReLU after each U_i and σ_i after each V_i).
    ///
    /// This allocates kept × width: only for a small Ĝ, below `limit` bytes
    /// ([`PrunedNetwork::dense_bytes`]).
    ///
    /// # Errors
    /// [`ConstructionError::DenseTooLarge`] with the bytes it would need.
    pub fn dense_tensors(&self, limit: f64) -> Result<Vec<DenseTensor>, ConstructionError> {
        self.require_chain()?;
        let bytes = self.dense_bytes();
        if bytes > limit {
            return Err(ConstructionError::DenseTooLarge {
                what: "the dense pruned network",
                bytes,
                limit,
            });
        }
        let mut out = Vec::with_capacity(2 * self.layers.len());
        for (t, layer) in self.layers.iter().enumerate() {
            let kept = layer.len();
            let mut u = vec![0.0; kept * layer.n_in];
            let mut v = vec![0.0; layer.n_out * kept];
            for (r, n) in layer.neurons().enumerate() {
                u[r * layer.n_in + n.input] = n.u;
                for (a, w) in n.edges() {
                    v[a * kept + r] = w;
                }
            }
            out.push((format!("{}.weight", 4 * t), kept, layer.n_in, u));
            out.push((format!("{}.weight", 4 * t + 2), layer.n_out, kept, v));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prec;

    fn neuron(z: u64, input: usize, u: f64, outputs: Vec<(usize, f64)>) -> KeptNeuron {
        KeptNeuron {
            z,
            input,
            u,
            outputs,
        }
    }

    fn two_layer() -> PrunedNetwork {
        let l1 = PrunedLayer::new(
            2,
            2,
            Activation::Relu,
            vec![
                neuron(0, 0, 0.5, vec![(0, 2.0)]),
                neuron(4, 1, -0.25, vec![(0, -4.0), (1, 1.0)]),
                neuron(7, 1, 2.0, vec![(1, 0.75)]),
                neuron(9, 0, -1.0, vec![(1, 3.0)]),
            ],
        )
        .unwrap();
        let l2 = PrunedLayer::new(
            2,
            1,
            Activation::Identity,
            vec![neuron(2, 1, 1.5, vec![(0, -1.0)])],
        )
        .unwrap();
        PrunedNetwork::new(vec![l1, l2]).unwrap()
    }

    #[test]
    fn virtual_matrices_by_hand() {
        let g = two_layer();
        let (p, m) = g.layers()[0].virtual_matrices();
        // Ŵ⁺: (0,0) = 2·0.5 = 1; (1,1) = 0.75·2 = 1.5.  Ŵ⁻: (0,1) = -4·-0.25 = 1,
        // (1,1) = 1·-0.25 = -0.25, (1,0) = 3·-1 = -3.
        assert_eq!(
            (p[(0, 0)], p[(0, 1)], p[(1, 0)], p[(1, 1)]),
            (1.0, 0.0, 0.0, 1.5)
        );
        assert_eq!(
            (m[(0, 0)], m[(0, 1)], m[(1, 0)], m[(1, 1)]),
            (0.0, 1.0, -3.0, -0.25)
        );
        assert_eq!(g.kept_neurons(), vec![4, 1]);
        assert_eq!(g.kept_edges(), vec![5, 1]);
        let n = g.layers()[0].neuron(1);
        assert_eq!(n.to_owned(), neuron(4, 1, -0.25, vec![(0, -4.0), (1, 1.0)]));
    }

    #[test]
    fn literal_and_virtual_agree() {
        let g = two_layer();
        // x = (1, -2): layer 1: a0 = Ŵ⁺[0,0]·1 + Ŵ⁻[0,1]·(-2) = -1 → 0,
        // a1 = Ŵ⁺[1,0]·1 + Ŵ⁻[1,1]·(-2) = 0.5 → 0.5; layer 2: Ŵ⁺[0,1]·0.5 = -0.75.
        assert_eq!(g.forward(&[1.0, -2.0]).unwrap(), vec![-0.75]);
        assert_eq!(g.forward_virtual(&[1.0, -2.0]).unwrap(), vec![-0.75]);
        for k in 0..50 {
            let x = [f64::from(k) * 0.37 - 9.0, 4.0 - f64::from(k) * 0.21];
            let a = g.forward(&x).unwrap();
            let b = g.forward_virtual(&x).unwrap();
            assert!((a[0] - b[0]).abs() <= prec::FORWARD * (1.0 + a[0].abs()));
        }
        let rows: Vec<Vec<f64>> = (0..7)
            .map(|k| vec![f64::from(k) - 3.0, 1.5 - f64::from(k)])
            .collect();
        let batch = g.forward_batch(&rows).unwrap();
        for (r, y) in rows.iter().zip(&batch) {
            assert_eq!(
                &g.forward(r).unwrap(),
                y,
                "batch is bit-identical to single"
            );
        }
    }

    #[test]
    fn dense_tensors_layout() {
        let g = two_layer();
        let t = g.dense_tensors(f64::INFINITY).unwrap();
        let names: Vec<&str> = t.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names, ["0.weight", "2.weight", "4.weight", "6.weight"]);
        let (_, r, c, u) = &t[0];
        assert_eq!((*r, *c), (4, 2));
        assert_eq!(u, &vec![0.5, 0.0, 0.0, -0.25, 0.0, 2.0, -1.0, 0.0]);
        let (_, r, c, v) = &t[1];
        assert_eq!((*r, *c), (2, 4));
        assert_eq!(v, &vec![2.0, -4.0, 0.0, 0.0, 0.0, 1.0, 0.75, 3.0]);
        // 8 bytes · (4 · (2 + 2) + 1 · (2 + 1)) = 152.
        assert_eq!(g.dense_bytes(), 152.0);
        assert_eq!(
            g.dense_tensors(100.0).unwrap_err(),
            ConstructionError::DenseTooLarge {
                what: "the dense pruned network",
                bytes: 152.0,
                limit: 100.0
            }
        );
    }

    #[test]
    fn errors() {
        let bad = |n: KeptNeuron| PrunedLayer::new(2, 2, Activation::Relu, vec![n]);
        for n in [
            neuron(0, 2, 1.0, vec![]),
            neuron(0, 0, 0.0, vec![]),
            neuron(0, 0, 1.0, vec![(2, 1.0)]),
            neuron(0, 0, 1.0, vec![(1, 1.0), (0, 1.0)]),
            neuron(0, 0, 1.0, vec![(1, f64::NAN)]),
        ] {
            assert!(matches!(
                bad(n),
                Err(ConstructionError::InvalidKeptNeuron { .. })
            ));
        }
        let twice = PrunedLayer::new(
            2,
            2,
            Activation::Relu,
            vec![neuron(3, 0, 1.0, vec![]), neuron(3, 1, 1.0, vec![])],
        );
        assert!(matches!(
            twice,
            Err(ConstructionError::InvalidKeptNeuron { z: 3, .. })
        ));
        // Inconsistent arrays.
        let parts = LayerParts {
            z: vec![1],
            input: vec![0],
            u: vec![1.0],
            start: vec![0, 2],
            output: vec![0],
            v: vec![1.0],
        };
        assert!(matches!(
            PrunedLayer::from_parts(2, 2, Activation::Relu, parts),
            Err(ConstructionError::InvalidLayerArrays { .. })
        ));
        let l1 = PrunedLayer::new(2, 3, Activation::Relu, vec![]).unwrap();
        let l2 = PrunedLayer::new(2, 1, Activation::Relu, vec![]).unwrap();
        assert!(matches!(
            PrunedNetwork::new(vec![l1, l2]),
            Err(ConstructionError::ShapeMismatch {
                layer: 2,
                what: "inputs",
                expected: 3,
                found: 2
            })
        ));
        assert_eq!(PrunedNetwork::new(vec![]), Err(ConstructionError::NoLayers));
        let g = two_layer();
        assert!(matches!(
            g.forward(&[1.0]),
            Err(ConstructionError::InputLength {
                expected: 2,
                found: 1
            })
        ));
        assert!(matches!(
            g.forward(&[1.0, f64::INFINITY]),
            Err(ConstructionError::NonFiniteInput {
                input: 0,
                coordinate: 1,
                ..
            })
        ));
    }
}
