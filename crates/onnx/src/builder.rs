//! The translation state: the values the ONNX graph has named so far (constants, or nodes of
//! the graph being built), the nodes with the shape of each, and what each node's value is
//! read by (for pattern matching and folding).

use std::collections::{HashMap, HashSet};

use logprune_network::{Graph, Node, NodeId, Op, Shape};

use crate::attr::At;
use crate::error::OnnxError;
use crate::proto::onnx::NodeProto;
use crate::tensor::{Int, Tensor};

/// How ONNX sees a computed value: `N × F` (a flat vector per sample) or `N × C × H × W`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rank {
    /// `N × F`; its graph shape is `F × 1 × 1`.
    Flat,
    /// `N × C × H × W`.
    Map,
}

/// A named value of the ONNX graph.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// The value of graph node `id` (0 is the input).
    Computed { id: NodeId, rank: Rank },
    /// A constant, known at import time.
    Const(Tensor),
}

/// Whether a graph pass may fold a [`Op::Scale`] node into the linear node it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A batch norm, or the addition of a constant: folded into a preceding conv or dense
    /// node whose value nothing else reads.
    Foldable,
    /// Kept as it is.
    Fixed,
}

/// A node absorbed into a pattern matched earlier (GELU's erf form), with the constant
/// operand it must have: `(value name, expected value)`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Absorbed {
    pub(crate) constant: Option<(String, f64)>,
}

pub(crate) struct Builder<'a> {
    /// The file's nodes (for looking ahead in patterns).
    pub(crate) proto_nodes: &'a [NodeProto],
    /// The batch size: known, or symbolic.
    pub(crate) batch: Int,
    pub(crate) nodes: Vec<Node>,
    pub(crate) origins: Vec<Origin>,
    /// `shapes[id]`, `shapes[0]` the input's.
    pub(crate) shapes: Vec<Shape>,
    pub(crate) values: HashMap<String, Value>,
    /// For each value name, the indices of the nodes that read it.
    pub(crate) consumers: HashMap<String, Vec<usize>>,
    /// The graph's output names.
    pub(crate) outputs: HashSet<String>,
    /// Nodes absorbed into a matched pattern, by index.
    pub(crate) absorbed: HashMap<usize, Absorbed>,
    pub(crate) max_expanded_weights: usize,
}

impl<'a> Builder<'a> {
    /// The value of input `k`, or `None` when the node has no input `k` or leaves it empty.
    pub(crate) fn input(&self, at: &At, k: usize) -> Result<Option<&Value>, OnnxError> {
        match at.node.input.get(k).map(String::as_str) {
            None | Some("") => Ok(None),
            Some(name) => self.values.get(name).map(Some).ok_or_else(|| {
                at.err(format!(
                    "input {k} `{name}` is not the graph input, an initializer or an earlier node's output"
                ))
            }),
        }
    }

    pub(crate) fn input_name(&self, at: &At, k: usize) -> String {
        at.node.input.get(k).cloned().unwrap_or_default()
    }

    /// The value of input `k`, which must be there.
    pub(crate) fn required(&self, at: &At, k: usize) -> Result<&Value, OnnxError> {
        self.input(at, k)?
            .ok_or_else(|| at.err(format!("input {k} is missing")))
    }

    /// Input `k` as a computed value.
    pub(crate) fn computed(&self, at: &At, k: usize) -> Result<(NodeId, Rank), OnnxError> {
        match self.required(at, k)? {
            Value::Computed { id, rank } => Ok((*id, *rank)),
            Value::Const(_) => Err(at.err(format!(
                "input {k} `{}` is a constant; a value computed from the graph input is expected here",
                self.input_name(at, k)
            ))),
        }
    }

    /// Input `k` as a constant.
    pub(crate) fn constant(&self, at: &At, k: usize) -> Result<&Tensor, OnnxError> {
        match self.required(at, k)? {
            Value::Const(t) => Ok(t),
            Value::Computed { .. } => Err(at.err(format!(
                "input {k} `{}` is computed from the graph input; a constant (initializer or constant-foldable value) is expected here",
                self.input_name(at, k)
            ))),
        }
    }

    /// Input `k` as a constant, if present.
    pub(crate) fn optional_constant(
        &self,
        at: &At,
        k: usize,
    ) -> Result<Option<&Tensor>, OnnxError> {
        match self.input(at, k)? {
            None => Ok(None),
            Some(_) => self.constant(at, k).map(Some),
        }
    }

    /// Names output 0 of the node.
    pub(crate) fn bind(&mut self, at: &At, value: Value) -> Result<(), OnnxError> {
        let name = match at.node.output.first().map(String::as_str) {
            None | Some("") => return Err(at.err("the node has no output")),
            Some(n) => n.to_string(),
        };
        self.bind_name(at, name, value)
    }

    pub(crate) fn bind_name(
        &mut self,
        at: &At,
        name: String,
        value: Value,
    ) -> Result<(), OnnxError> {
        if self.values.contains_key(&name) {
            return Err(at.err(format!(
                "output `{name}` is already defined (ONNX graphs are single assignment)"
            )));
        }
        self.values.insert(name, value);
        Ok(())
    }

    /// The per-sample dims ONNX sees of node `id` (`[F]` or `[C, H, W]`).
    pub(crate) fn dims(&self, id: NodeId, rank: Rank) -> Vec<usize> {
        let s = self.shapes[id];
        match rank {
            Rank::Flat => vec![s.len()],
            Rank::Map => vec![s.c, s.h, s.w],
        }
    }

    /// The shape of node `id`'s value.
    pub(crate) fn shape(&self, id: NodeId) -> Shape {
        self.shapes[id]
    }

    /// Appends a node; its operation is checked on its input's shape by the graph's own
    /// validation (one-node graph), which also gives its output shape.
    pub(crate) fn push(
        &mut self,
        at: &At,
        op: Op,
        inputs: Vec<NodeId>,
        origin: Origin,
    ) -> Result<NodeId, OnnxError> {
        let name = at.label();
        let shape = if let Op::Add = op {
            let (a, b) = (self.shapes[inputs[0]], self.shapes[inputs[1]]);
            if a != b {
                return Err(at.err(format!(
                    "adds values of shapes {a} and {b}; two computed values must have the same shape (no broadcasting)"
                )));
            }
            a
        } else {
            let one = Node {
                name: name.clone(),
                op: op.clone(),
                inputs: vec![0],
            };
            Graph::new(self.shapes[inputs[0]], vec![one])
                .map_err(|source| OnnxError::Graph {
                    node: at.node_ref(),
                    source: Box::new(source),
                })?
                .output_shape()
        };
        self.nodes.push(Node { name, op, inputs });
        self.origins.push(origin);
        self.shapes.push(shape);
        Ok(self.nodes.len())
    }

    /// The nodes that read output 0 of node `index`, when it is read only by nodes and is
    /// not a graph output.
    pub(crate) fn only_consumers(&self, index: usize) -> Option<&[usize]> {
        let out = self.proto_nodes.get(index)?.output.first()?;
        if self.outputs.contains(out) {
            return None;
        }
        self.consumers.get(out).map(Vec::as_slice)
    }
}
