//! ONNX import into logprune's graph of operations ([`logprune_network::Graph`]): convolutional,
//! residual and batch-norm targets written by PyTorch's exporter (opsets 13 to 21).
//!
//! [`import`] decodes the bytes of a `.onnx` file (the ONNX schema through prost) and maps
//! every node to graph operations: `Gemm`/`MatMul` → dense, `Conv` (grouped and depthwise
//! convs expanded exactly) → conv, `BatchNormalization` → folded into the conv or dense node
//! before it in `f64` (else a per-channel scale), activations, pooling, flatten, residual
//! `Add`, and per-channel `Add`/`Mul` by constants → scale. The shape arithmetic exporters
//! emit around a flatten (`Shape`, `Gather`, `Unsqueeze`, `Concat`, `Reshape`, …) is
//! evaluated at import time on the known shapes; the batch dimension may be symbolic.
//!
//! [`export`] goes the other way: a [`Graph`] (a pruned network Ĝ, say) to the bytes of an
//! opset-17 ONNX model (`Gemm`, `Conv`, `Mul`/`Add`, the activations with GELU in its erf
//! form, pooling, `Flatten`, `Add`; float32 or float64 tensors) that onnxruntime or PyTorch
//! runs directly, with one input `input` and one output `output` and a symbolic batch.
//! [`import`] reads it back to the same nodes (checked on every fixture).
//!
//! # Conventions
//!
//! - Bytes in: this crate does no file I/O (ARCHITECTURE.md, invariant 5); every malformed
//!   or unsupported input is a typed [`OnnxError`] naming the node, never a panic
//!   (invariant 11; fuzzed by `fuzz/fuzz_targets/import_onnx.rs`).
//! - Bytes out: [`export`] returns the model's bytes and writes nothing (invariant 5); what
//!   it cannot write is a typed [`ExportError`], never a panic (invariant 11).
//! - Weights are read as stored (float32, float64, float16, bfloat16) and widened to `f64`;
//!   folding is done in `f64`.
//! - The graph computes one sample: an input `N × C × H × W` becomes the shape `C × H × W`,
//!   an input `N × F` the flat shape `F × 1 × 1`.
//!
//! # Example
//!
//! ```
//! use logprune_network::{Activation, Op, Shape};
//! use logprune_onnx::{ImportOptions, OnnxError, import};
//!
//! let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/models/lenet5_digits.onnx"))?;
//! let graph = import(&bytes, &ImportOptions::default())?;
//! assert_eq!(graph.input_shape(), Shape::new(1, 28, 28));
//! assert_eq!(graph.output_shape(), Shape::flat(10));
//! assert!(matches!(graph.nodes()[1].op, Op::Activation(Activation::Relu)));
//! assert_eq!(graph.linear_nodes().len(), 5); // 2 convs, 3 dense
//!
//! assert!(matches!(import(&bytes[..1000], &ImportOptions::default()), Err(OnnxError::Decode { .. })));
//!
//! // Back to ONNX, and read again: the same operations on the same shapes.
//! use logprune_onnx::{ExportOptions, export};
//! let exported = export(&graph, &ExportOptions::default())?;
//! let again = import(&exported, &ImportOptions::default())?;
//! assert_eq!(again.shapes(), graph.shapes());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod attr;
mod builder;
mod error;
mod export;
mod fold;
mod ops;
mod passes;
mod proto;
mod tensor;

use std::collections::{HashMap, HashSet};

use logprune_network::{Graph, Shape};
use prost::Message;

pub use error::{NodeRef, OnnxError, SUPPORTED_OPS};
pub use export::{DEFAULT_MAX_EXPORT_BYTES, EXPORT_OPSET, ExportError, ExportOptions, export};

use attr::At;
use builder::{Builder, Rank, Value};
use proto::onnx::{GraphProto, ModelProto, ValueInfoProto, type_proto};
use tensor::{Int, decode_tensor};

/// The default limit on the weights of a grouped conv expanded into a full kernel
/// (`c_out·c_in·kh·kw`), the size of the dense exports the project allows.
pub const DEFAULT_MAX_EXPANDED_WEIGHTS: usize = 50_000_000;

/// The opsets of the default domain the importer supports.
pub const OPSETS: core::ops::RangeInclusive<i64> = 13..=21;

/// Options of [`import`].
///
/// # Example
///
/// ```
/// use logprune_onnx::ImportOptions;
///
/// let options = ImportOptions::default().with_input_shape(vec![3, 32, 32]);
/// assert_eq!(options.input_shape, Some(vec![3, 32, 32]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportOptions {
    /// One sample's input dims, `[C, H, W]` or `[F]` (without the batch), for a file that
    /// leaves some of them symbolic; dims the file fixes must agree.
    pub input_shape: Option<Vec<usize>>,
    /// The largest kernel (`c_out·c_in·kh·kw`) a grouped conv may be expanded to.
    pub max_expanded_weights: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            input_shape: None,
            max_expanded_weights: DEFAULT_MAX_EXPANDED_WEIGHTS,
        }
    }
}

impl ImportOptions {
    /// These options with one sample's input dims (`[C, H, W]` or `[F]`).
    pub fn with_input_shape(mut self, dims: Vec<usize>) -> Self {
        self.input_shape = Some(dims);
        self
    }

    /// These options with another expansion limit for grouped convs.
    pub fn with_max_expanded_weights(mut self, limit: usize) -> Self {
        self.max_expanded_weights = limit;
        self
    }
}

/// Decodes an ONNX model and maps it to a validated [`Graph`].
///
/// The model has one float input `N × C × H × W` or `N × F` (`N` symbolic or fixed) and one
/// output; the default domain's opset is 13 to 21 ([`OPSETS`]). The operators mapped are
/// [`SUPPORTED_OPS`]; batch norms and additions of constants that follow a conv or dense node
/// read by nothing else are folded into it in `f64`.
///
/// # Errors
/// [`OnnxError::Decode`] for bytes that are not a protobuf model (prost gives no byte
/// offset: the input's length and prost's message, which names the field); otherwise the
/// variant names the node (index, name, operator) or tensor and what is supported.
pub fn import(bytes: &[u8], options: &ImportOptions) -> Result<Graph, OnnxError> {
    let model = ModelProto::decode(bytes).map_err(|e| OnnxError::Decode {
        len: bytes.len(),
        message: e.to_string(),
    })?;
    let version = model
        .opset_import
        .iter()
        .find(|o| matches!(o.domain.as_deref(), None | Some("") | Some("ai.onnx")))
        .map(|o| o.version.unwrap_or(0));
    if !version.is_some_and(|v| OPSETS.contains(&v)) {
        return Err(OnnxError::Opset { version });
    }
    let graph = model.graph.as_ref().ok_or(OnnxError::NoGraph)?;
    import_graph(graph, options)
}

/// The input's shape, rank and batch size, from the file and the options.
fn input_geometry(
    vi: &ValueInfoProto,
    options: &ImportOptions,
) -> Result<(Shape, Rank, Int), OnnxError> {
    let name = vi.name.clone().unwrap_or_default();
    let err = |reason: String| OnnxError::Input {
        name: name.clone(),
        reason,
    };
    let Some(type_proto::Value::TensorType(t)) = vi.r#type.as_ref().and_then(|t| t.value.as_ref())
    else {
        return Err(err("is not a tensor".into()));
    };
    let elem = t.elem_type.unwrap_or(0);
    if !tensor::dtype::is_float(elem) {
        return Err(err(format!(
            "has element type {elem}; supported: float, double, float16, bfloat16"
        )));
    }
    use proto::onnx::tensor_shape_proto::dimension::Value as Dim;
    let file: Option<Vec<Option<i64>>> = t.shape.as_ref().map(|s| {
        s.dim
            .iter()
            .map(|d| match d.value {
                Some(Dim::DimValue(v)) => Some(v),
                _ => None,
            })
            .collect()
    });
    let given = options.input_shape.as_deref();
    let rank = match (&file, given) {
        (Some(f), _) => f.len(),
        (None, Some(g)) => g.len() + 1,
        (None, None) => return Err(err("has no shape; give ImportOptions::input_shape".into())),
    };
    if rank != 2 && rank != 4 {
        return Err(err(format!(
            "has rank {rank}; supported: N×F (2) or N×C×H×W (4)"
        )));
    }
    if let Some(g) = given.filter(|g| g.len() + 1 != rank) {
        return Err(err(format!(
            "has rank {rank} but ImportOptions::input_shape {g:?} gives {} dims per sample",
            g.len()
        )));
    }
    let file_dim = |k: usize| file.as_ref().and_then(|f| f[k]);
    let batch = match file_dim(0) {
        None => Int::Batch,
        Some(v) if v >= 1 => Int::Val(v),
        Some(v) => {
            return Err(err(format!(
                "has batch size {v}; expected at least 1 or symbolic"
            )));
        }
    };
    let mut dims = Vec::with_capacity(rank - 1);
    for k in 1..rank {
        let from_options = given.map(|g| g[k - 1]);
        let d = match (file_dim(k), from_options) {
            (Some(v), Some(o)) if usize::try_from(v).ok() != Some(o) => {
                return Err(err(format!(
                    "dim {k} is {v} in the file but {o} in ImportOptions::input_shape"
                )));
            }
            (Some(v), _) => usize::try_from(v)
                .ok()
                .filter(|&v| v >= 1)
                .ok_or_else(|| err(format!("dim {k} is {v}; expected at least 1")))?,
            (None, Some(o)) if o >= 1 => o,
            (None, Some(o)) => {
                return Err(err(format!(
                    "ImportOptions::input_shape gives dim {k} = {o}; expected at least 1"
                )));
            }
            (None, None) => {
                return Err(err(format!(
                    "dim {k} is symbolic; give one sample's dims in ImportOptions::input_shape"
                )));
            }
        };
        dims.push(d);
    }
    Ok(match dims.as_slice() {
        [f] => (Shape::flat(*f), Rank::Flat, batch),
        [c, h, w] => (Shape::new(*c, *h, *w), Rank::Map, batch),
        _ => return Err(err("internal: rank".into())),
    })
}

fn names(list: &[&ValueInfoProto]) -> String {
    list.iter()
        .map(|v| v.name.clone().unwrap_or_default())
        .collect::<Vec<_>>()
        .join(", ")
}

fn import_graph(graph: &GraphProto, options: &ImportOptions) -> Result<Graph, OnnxError> {
    let mut values = HashMap::new();
    for (k, t) in graph.initializer.iter().enumerate() {
        let name = t.name.clone().unwrap_or_default();
        let tensor = decode_tensor(t, &format!("initializer {k}"))?;
        if values.insert(name.clone(), Value::Const(tensor)).is_some() {
            return Err(OnnxError::Tensor {
                tensor: name,
                reason: "two initializers have this name".into(),
            });
        }
    }
    // Files of IR version < 4 list the initializers among the inputs too.
    let inputs: Vec<&ValueInfoProto> = graph
        .input
        .iter()
        .filter(|i| !values.contains_key(i.name.as_deref().unwrap_or("")))
        .collect();
    let [input] = inputs.as_slice() else {
        return Err(OnnxError::Inputs {
            count: inputs.len(),
            names: names(&inputs),
        });
    };
    let outputs: Vec<&ValueInfoProto> = graph.output.iter().collect();
    let [output] = outputs.as_slice() else {
        return Err(OnnxError::Outputs {
            count: outputs.len(),
            names: names(&outputs),
        });
    };
    let output_name = output.name.clone().unwrap_or_default();
    let (shape, rank, batch) = input_geometry(input, options)?;
    values.insert(
        input.name.clone().unwrap_or_default(),
        Value::Computed { id: 0, rank },
    );
    let mut consumers: HashMap<String, Vec<usize>> = HashMap::new();
    for (k, node) in graph.node.iter().enumerate() {
        for i in &node.input {
            if !i.is_empty() {
                let list = consumers.entry(i.clone()).or_default();
                if list.last() != Some(&k) {
                    list.push(k);
                }
            }
        }
    }
    let mut b = Builder {
        proto_nodes: &graph.node,
        batch,
        nodes: Vec::new(),
        origins: Vec::new(),
        shapes: vec![shape],
        values,
        consumers,
        outputs: HashSet::from([output_name.clone()]),
        absorbed: HashMap::new(),
        max_expanded_weights: options.max_expanded_weights,
    };
    for (index, node) in graph.node.iter().enumerate() {
        ops::map_node(&mut b, &At::new(index, node))?;
    }
    let out = match b.values.get(&output_name) {
        Some(Value::Computed { id, .. }) if *id > 0 => *id,
        Some(Value::Computed { .. }) => {
            return Err(OnnxError::Output {
                name: output_name,
                reason: "is the graph input; at least one operation is needed".into(),
            });
        }
        Some(Value::Const(_)) => {
            return Err(OnnxError::Output {
                name: output_name,
                reason: "is a constant; it must be computed from the input".into(),
            });
        }
        None => {
            return Err(OnnxError::Output {
                name: output_name,
                reason: "is not produced by any node".into(),
            });
        }
    };
    let nodes = passes::finish(b.nodes, &b.origins, out);
    Graph::new(shape, nodes).map_err(|e| OnnxError::Invalid(Box::new(e)))
}

#[cfg(test)]
mod tests;
