//! Targets as a small graph of operations: dense and convolutional layers, per-channel
//! scales, activations, pooling, flatten and residual adds, in topological order.
//!
//! An MLP is the special case of a chain of [`Op::Dense`] and [`Op::Activation`] nodes
//! ([`Graph::from_network`], [`Graph::to_network`]).
//!
//! A graph runs a batch of inputs (one per column) with [`Graph::forward_batch`] (every
//! node's value with [`Graph::forward_visit`] or [`Graph::values_batch`]; a convolution is
//! [`im2col`] times the kernel matrix), has certified per-node Lipschitz factors and
//! operator norms ([`Graph::lipschitz`], [`Graph::operator_norm_bound`],
//! [`conv_operator_norm_bound`]), and certified enclosures of every node's values over a box
//! or a finite set ([`Graph::propagate_box`], [`Graph::certified_bounds_points`]).
//!
//! # Conventions
//!
//! - Node 0 is the graph's input; node `k ≥ 1` is `nodes()[k - 1]` and reads only nodes
//!   with smaller ids, so the node order is a topological order.
//! - Every value is a feature map of [`Shape`] `C × H × W`, stored row-major (`(c, y, x)` at
//!   `(c·H + y)·W + x`), as PyTorch's `x.reshape(n, -1)` flattens it. A flat vector of `n`
//!   values is `n × 1 × 1`.
//! - A conv kernel is `c_out × c_in × kh × kw`, row-major, as in PyTorch and ONNX.
//! - Linear operations ([`Op::Dense`], [`Op::Conv`]) carry weights that G approximates;
//!   [`Op::Scale`] is a per-channel affine map carried exactly; the rest have no parameters.

mod forward;
mod interval;
mod norms;
mod shape;

pub use forward::{ForwardError, im2col};
pub use norms::{conv_operator_norm_bound, schur_bound_grouped};
pub use shape::{GraphError, Shape};

use faer::Mat;

use crate::{Activation, Network, NetworkError};

/// The index of a node: 0 is the graph's input, `k ≥ 1` is `Graph::nodes()[k - 1]`.
pub type NodeId = usize;

/// Stride, zero padding and dilation of a 2-D convolution or pooling window.
///
/// Output size along an axis: `⌊(n + pad_begin + pad_end − dilation·(k − 1) − 1) / stride⌋ + 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    /// Kernel size `[kh, kw]`.
    pub kernel: [usize; 2],
    /// Stride `[sh, sw]` (≥ 1).
    pub stride: [usize; 2],
    /// Zero padding `[top, left, bottom, right]` (ONNX's `pads` order is
    /// `[top, left, bottom, right]` for 2-D).
    pub padding: [usize; 4],
    /// Dilation `[dh, dw]` (≥ 1).
    pub dilation: [usize; 2],
}

impl Window {
    /// A window of size `k × k` with stride 1, no padding and no dilation.
    pub fn square(k: usize) -> Self {
        Window {
            kernel: [k, k],
            stride: [1, 1],
            padding: [0; 4],
            dilation: [1, 1],
        }
    }

    /// The number of taps `kh·kw`.
    pub fn taps(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }
}

/// A 2-D convolution `c_in → c_out` with groups = 1 (a grouped or depthwise conv is
/// expanded to this form with zero weights across groups, which is exact).
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2d {
    /// Output channels.
    pub c_out: usize,
    /// Input channels.
    pub c_in: usize,
    /// Kernel, stride, padding and dilation.
    pub window: Window,
    /// The kernel, `c_out × c_in × kh × kw` row-major: the weight of output channel `a`,
    /// input channel `b`, tap `p = i·kw + j` is `weight[(a·c_in + b)·kh·kw + p]`.
    pub weight: Vec<f64>,
    /// One bias per output channel, or none.
    pub bias: Option<Vec<f64>>,
}

impl Conv2d {
    /// The kernel as the `c_out × (c_in·kh·kw)` matrix whose column `b·kh·kw + p` holds
    /// the weights of input channel `b` at tap `p` (the target weights of the conv).
    pub fn matrix(&self) -> Mat<f64> {
        let cols = self.c_in * self.window.taps();
        Mat::from_fn(self.c_out, cols, |a, c| self.weight[a * cols + c])
    }
}

/// A pooling window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pool2d {
    /// Kernel, stride, padding (dilation 1 for average pooling).
    pub window: Window,
    /// Average pooling only: whether padded positions count in the divisor (PyTorch's
    /// `count_include_pad`, ONNX's `count_include_pad`). Max pooling ignores padding.
    pub count_include_pad: bool,
}

/// One operation of a [`Graph`].
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// `x ↦ W x + b` on the flattened input (`W` is `n_out × n_in`, PyTorch's
    /// `Linear.weight`); the output is `n_out × 1 × 1`.
    Dense {
        /// `n_out × n_in`.
        weight: Mat<f64>,
        /// Length `n_out`, or none.
        bias: Option<Vec<f64>>,
    },
    /// A 2-D convolution.
    Conv(Conv2d),
    /// `x[c, y, x] ↦ scale[c]·x[c, y, x] + shift[c]`: a per-channel affine map (a batch
    /// norm that follows no linear op, or a multiplication by a constant per-channel
    /// tensor), carried exactly.
    Scale {
        /// One factor per channel.
        scale: Vec<f64>,
        /// One shift per channel, or none.
        shift: Option<Vec<f64>>,
    },
    /// σ applied elementwise.
    Activation(Activation),
    /// Max pooling (padding never wins: padded positions count as −∞).
    MaxPool(Pool2d),
    /// Average pooling.
    AvgPool(Pool2d),
    /// The mean of each channel: `C × H × W → C × 1 × 1`.
    GlobalAvgPool,
    /// `C × H × W → (C·H·W) × 1 × 1`, the same values in the same order.
    Flatten,
    /// The sum of its two inputs, which have the same shape (a residual connection).
    Add,
}

impl Op {
    /// The operation's name in errors and tickets (`dense`, `conv`, `scale`, `relu`,
    /// `max-pool`, …).
    pub fn name(&self) -> String {
        match self {
            Op::Dense { .. } => "dense".into(),
            Op::Conv(_) => "conv".into(),
            Op::Scale { .. } => "scale".into(),
            Op::Activation(a) => a.to_string(),
            Op::MaxPool(_) => "max-pool".into(),
            Op::AvgPool(_) => "avg-pool".into(),
            Op::GlobalAvgPool => "global-avg-pool".into(),
            Op::Flatten => "flatten".into(),
            Op::Add => "add".into(),
        }
    }

    /// How many inputs the operation reads (2 for [`Op::Add`], else 1).
    pub fn arity(&self) -> usize {
        match self {
            Op::Add => 2,
            _ => 1,
        }
    }

    /// Whether the operation carries weights that G approximates (dense and conv).
    pub fn is_linear(&self) -> bool {
        matches!(self, Op::Dense { .. } | Op::Conv(_))
    }
}

/// A node: an operation, its inputs, and a name (the ONNX node's, or a generated one) that
/// errors and reports use.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The name.
    pub name: String,
    /// The operation.
    pub op: Op,
    /// The ids of its inputs ([`Op::arity`] of them), each smaller than the node's own id.
    pub inputs: Vec<NodeId>,
}

/// A validated graph of operations with the shape of every value.
///
/// Built by [`Graph::new`], which checks that inputs come before their readers, that the
/// arities and shapes fit, and that every parameter is finite; the output is the last node.
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    input: Shape,
    nodes: Vec<Node>,
    shapes: Vec<Shape>,
}

impl Graph {
    /// Validates `nodes` on an input of shape `input` and infers every shape.
    ///
    /// # Errors
    /// [`GraphError`] naming the node: no nodes, an input id not smaller than the node's own,
    /// the wrong number of inputs, shapes that do not fit the operation, empty or non-finite
    /// parameters.
    pub fn new(input: Shape, nodes: Vec<Node>) -> Result<Self, GraphError> {
        let shapes = shape::infer(input, &nodes)?;
        Ok(Graph {
            input,
            nodes,
            shapes,
        })
    }

    /// The input's shape.
    pub fn input_shape(&self) -> Shape {
        self.input
    }

    /// The output's shape (the last node's).
    pub fn output_shape(&self) -> Shape {
        self.shapes[self.shapes.len() - 1]
    }

    /// The nodes, in topological order (node id `k` is `nodes()[k - 1]`).
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// `shapes()[k]` is the shape of node `k`'s value (`shapes()[0]` the input's).
    pub fn shapes(&self) -> &[Shape] {
        &self.shapes
    }

    /// The id of the output node.
    pub fn output(&self) -> NodeId {
        self.nodes.len()
    }

    /// The ids of the linear nodes (dense and conv), in order: the layers of G.
    pub fn linear_nodes(&self) -> Vec<NodeId> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.op.is_linear())
            .map(|(k, _)| k + 1)
            .collect()
    }

    /// The number of target weights (and biases) of the linear nodes.
    pub fn num_weights(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| match &n.op {
                Op::Dense { weight, bias } => {
                    weight.nrows() * weight.ncols() + bias.as_ref().map_or(0, Vec::len)
                }
                Op::Conv(c) => c.weight.len() + c.bias.as_ref().map_or(0, Vec::len),
                _ => 0,
            })
            .sum()
    }

    /// The graph of an MLP: per layer a dense node `layer{i}` and, unless σ is the identity,
    /// an activation node `act{i}`.
    pub fn from_network(network: &Network) -> Self {
        let mut nodes = Vec::new();
        for (t, layer) in network.layers().iter().enumerate() {
            let prev = nodes.len();
            nodes.push(Node {
                name: format!("layer{}", t + 1),
                op: Op::Dense {
                    weight: layer.weight.clone(),
                    bias: layer.bias.clone(),
                },
                inputs: vec![prev],
            });
            if layer.activation != Activation::Identity {
                nodes.push(Node {
                    name: format!("act{}", t + 1),
                    op: Op::Activation(layer.activation),
                    inputs: vec![prev + 1],
                });
            }
        }
        let shapes = shape::infer(Shape::flat(network.input_width()), &nodes)
            .expect("a validated network is a valid chain graph");
        Graph {
            input: Shape::flat(network.input_width()),
            nodes,
            shapes,
        }
    }

    /// The MLP this graph is, if it is a chain of dense nodes each followed by at most one
    /// activation (flatten nodes and identities are skipped); `None` otherwise.
    ///
    /// # Errors
    /// As [`Network::new`] (cannot happen for a validated graph).
    pub fn to_network(&self) -> Result<Option<Network>, NetworkError> {
        let mut layers: Vec<crate::Layer> = Vec::new();
        let mut last = 0;
        for (k, node) in self.nodes.iter().enumerate() {
            if node.inputs != [last] {
                return Ok(None);
            }
            last = k + 1;
            match &node.op {
                Op::Dense { weight, bias } => layers.push(crate::Layer {
                    weight: weight.clone(),
                    bias: bias.clone(),
                    activation: Activation::Identity,
                }),
                Op::Activation(Activation::Identity) | Op::Flatten => {}
                Op::Activation(a) => match layers.last_mut() {
                    Some(l) if l.activation == Activation::Identity => l.activation = *a,
                    _ => return Ok(None),
                },
                _ => return Ok(None),
            }
        }
        if layers.is_empty() {
            return Ok(None);
        }
        Network::new(layers).map(Some)
    }
}

#[cfg(test)]
mod forward_tests;
#[cfg(test)]
mod interval_tests;
#[cfg(test)]
mod norms_tests;
#[cfg(test)]
mod tests;
