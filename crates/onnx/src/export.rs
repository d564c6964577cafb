//! ONNX export of a [`Graph`]: one ONNX node (or a short fixed pattern) per graph node, at
//! opset [`EXPORT_OPSET`], so that onnxruntime or PyTorch can run a pruned network directly.
//!
//! | graph op | ONNX |
//! |---|---|
//! | [`Op::Dense`] | `Gemm` (`transB = 1`, the bias as input `C`), after a `Flatten` (axis 1) when it reads an `N × C × H × W` value |
//! | [`Op::Conv`] | `Conv` (`kernel_shape`, `strides`, `pads` `[top, left, bottom, right]`, `dilations`, `group = 1`) |
//! | [`Op::Scale`] | `Mul` by a `[1, C, 1, 1]` constant (`[C]` on a flat value), then `Add` of the shift |
//! | activations | `Relu`, `Tanh`, `Sigmoid`, `LeakyRelu(alpha)`, `Elu(alpha)`; GELU as `Div(x, √2) → Erf → Add(1) → Mul(x) → Mul(0.5)` (opset 17 has no `Gelu`); the identity as no node |
//! | [`Op::MaxPool`] / [`Op::AvgPool`] | `MaxPool` (with `dilations`) / `AveragePool` (`count_include_pad`; no dilation at opset 17) |
//! | [`Op::GlobalAvgPool`], [`Op::Flatten`], [`Op::Add`] | `GlobalAveragePool`, `Flatten` (axis 1), `Add` |
//!
//! Values keep the rank the importer gives them (`N × F` after a dense or flatten node,
//! `N × C × H × W` after a conv or pooling), so [`crate::import`] of the exported bytes
//! gives the same node list back for graphs the importer wrote. A conv or pooling node that
//! reads a flat value gets a `Reshape` to `[N, F, 1, 1]` first; an `Add` of a flat and an
//! `N × C × 1 × 1` value flattens the latter.
//!
//! Bytes out, no file I/O (ARCHITECTURE.md, invariant 5); every graph gives bytes or a typed
//! [`ExportError`], never a panic (invariant 11). The size limit is checked before any tensor
//! is built.

use logprune_network::{Activation, Graph, Op, Pool2d, Shape, Window};
use prost::Message;

use crate::proto::onnx::attribute_proto::AttributeType;
use crate::proto::onnx::tensor_proto::DataType;
use crate::proto::onnx::tensor_shape_proto::{Dimension, dimension};
use crate::proto::onnx::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, type_proto,
};

/// The opset of the default domain that [`export`] writes.
pub const EXPORT_OPSET: i64 = 17;

/// The ONNX IR version written (IR 8 goes with opset 17).
const IR_VERSION: i64 = 8;

/// The default limit on the bytes of the initializers, 2 GiB: protobuf cannot encode a
/// message larger than that, and ONNX moves larger weights to external data, which this
/// exporter does not write.
pub const DEFAULT_MAX_EXPORT_BYTES: u64 = 2 << 30;

/// Options of [`export`].
///
/// # Example
///
/// ```
/// use logprune_onnx::ExportOptions;
///
/// let options = ExportOptions::default().with_float64(true).with_max_bytes(1 << 20);
/// assert!(options.float64);
/// assert_eq!(options.max_bytes, 1 << 20);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportOptions {
    /// Write every tensor, the input and the output as `DOUBLE` instead of `FLOAT`. The
    /// graph's `f64` weights are then kept exactly; the `alpha` of `LeakyRelu` and `Elu` is an
    /// ONNX float attribute and so is rounded to `f32` either way.
    ///
    /// onnxruntime's CPU provider (checked with 1.32) has double kernels for `Gemm`,
    /// `MaxPool`, `Relu`, `Tanh`, `Sigmoid`, `LeakyRelu`, `Flatten`, `Reshape`, `Add`, `Mul`
    /// and `Div`, but none for `Conv`, `AveragePool`, `GlobalAveragePool`, `Elu` or `Erf`
    /// (GELU): a float64 file of an MLP (dense nodes with those activations) runs there, one
    /// with a conv, average pooling, ELU or GELU does not (it is still a valid model, which
    /// `onnx.checker` accepts and this crate's importer reads back exactly).
    pub float64: bool,
    /// The largest total size in bytes of the initializers; larger graphs are refused with
    /// [`ExportError::TooLarge`] before any tensor is built. A limit above the default
    /// ([`DEFAULT_MAX_EXPORT_BYTES`], 2 GiB) gives files that protobuf-based readers
    /// (onnx, onnxruntime) refuse.
    pub max_bytes: u64,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            float64: false,
            max_bytes: DEFAULT_MAX_EXPORT_BYTES,
        }
    }
}

impl ExportOptions {
    /// These options writing `DOUBLE` (`true`) or `FLOAT` (`false`) tensors.
    pub fn with_float64(mut self, float64: bool) -> Self {
        self.float64 = float64;
        self
    }

    /// These options with another limit on the initializers' bytes.
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }
}

/// Why a graph could not be exported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The initializers would exceed [`ExportOptions::max_bytes`].
    #[error(
        "the weights take {bytes} bytes as ONNX initializers, above the limit of {limit} bytes (ExportOptions::max_bytes)"
    )]
    TooLarge {
        /// The bytes the initializers would take.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// A node that cannot be written: in a float32 export, a weight that overflows `f32`.
    /// (Also, defensively, arities, weight sizes and average pooling with dilation, which
    /// opset 17 lacks; `Graph::new` refuses all of these already.)
    #[error("node {id} `{name}` ({op}): {reason}")]
    Node {
        /// The node's id (1-based: `graph.nodes()[id - 1]`).
        id: usize,
        /// The node's name.
        name: String,
        /// The operation's name.
        op: String,
        /// What is wrong.
        reason: String,
    },
}

/// Encodes `graph` as an ONNX model (opset [`EXPORT_OPSET`]): one input `input` of dims
/// `[batch, C, H, W]` (`[batch, F]` when the graph's input is `F × 1 × 1`) with a symbolic
/// batch, one output `output` of dims `[batch, len]` when the output is flat (`C × 1 × 1`),
/// else `[batch, C, H, W]`. Initializers are `FLOAT` (or `DOUBLE`, see
/// [`ExportOptions::float64`]), stored as raw little-endian bytes.
///
/// # Errors
/// [`ExportError::TooLarge`] when the initializers exceed [`ExportOptions::max_bytes`]
/// (checked first); [`ExportError::Node`] for a node that cannot be written (see there).
///
/// # Example
///
/// ```
/// use faer::Mat;
/// use logprune_network::{Activation, Graph, Node, Op, Shape};
/// use logprune_onnx::{ExportOptions, ImportOptions, export, import};
///
/// let dense = |rows, cols, inputs| Node {
///     name: format!("dense{rows}"),
///     op: Op::Dense { weight: Mat::from_fn(rows, cols, |i, j| (i + 2 * j) as f64 / 8.0), bias: None },
///     inputs,
/// };
/// let relu = Node { name: "relu".into(), op: Op::Activation(Activation::Relu), inputs: vec![1] };
/// let graph = Graph::new(Shape::flat(3), vec![dense(4, 3, vec![0]), relu, dense(2, 4, vec![2])])?;
/// let bytes = export(&graph, &ExportOptions::default())?;
/// assert_eq!(import(&bytes, &ImportOptions::default())?, graph);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn export(graph: &Graph, options: &ExportOptions) -> Result<Vec<u8>, ExportError> {
    let elem_bytes: u64 = if options.float64 { 8 } else { 4 };
    let bytes = initializer_elements(graph).saturating_mul(elem_bytes);
    if bytes > options.max_bytes {
        return Err(ExportError::TooLarge {
            bytes,
            limit: options.max_bytes,
        });
    }
    let model = model(graph, options.float64)?;
    Ok(model.encode_to_vec())
}

/// An upper bound on the number of initializer elements, saturating: the weights, biases,
/// scales and shifts, GELU's three scalars, and room for a reshape's int64 shape (counted as
/// 8 elements) at each conv and pooling node.
fn initializer_elements(graph: &Graph) -> u64 {
    let n = |x: usize| u64::try_from(x).unwrap_or(u64::MAX);
    graph
        .nodes()
        .iter()
        .map(|node| match &node.op {
            Op::Dense { weight, bias } => n(weight.nrows())
                .saturating_mul(n(weight.ncols()))
                .saturating_add(n(bias.as_ref().map_or(0, Vec::len))),
            Op::Conv(c) => n(c.weight.len())
                .saturating_add(n(c.bias.as_ref().map_or(0, Vec::len)))
                .saturating_add(8),
            Op::Scale { scale, shift } => {
                n(scale.len()).saturating_add(n(shift.as_ref().map_or(0, Vec::len)))
            }
            Op::Activation(Activation::Gelu) => 3,
            _ => 8,
        })
        .fold(0u64, u64::saturating_add)
}

/// The rank of an ONNX value: `N × F` or `N × C × H × W`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rank {
    Flat,
    Map,
}

/// A value of the ONNX graph: its name and rank.
#[derive(Clone, Debug)]
struct Val {
    name: String,
    rank: Rank,
}

/// The ONNX graph under construction.
struct Emitter {
    float64: bool,
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
}

fn int_attr(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Int as i32),
        i: Some(i),
        ..Default::default()
    }
}

fn ints_attr(name: &str, ints: Vec<i64>) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Ints as i32),
        ints,
        ..Default::default()
    }
}

fn float_attr(name: &str, f: f32) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Float as i32),
        f: Some(f),
        ..Default::default()
    }
}

fn dim(d: usize) -> Result<i64, String> {
    i64::try_from(d).map_err(|_| format!("dimension {d} does not fit ONNX's int64"))
}

fn dims(ds: &[usize]) -> Result<Vec<i64>, String> {
    ds.iter().map(|&d| dim(d)).collect()
}

impl Emitter {
    fn elem_type(&self) -> i32 {
        if self.float64 {
            DataType::Double as i32
        } else {
            DataType::Float as i32
        }
    }

    /// A float initializer of dims `shape` holding `values` (row-major).
    fn floats(
        &mut self,
        name: &str,
        shape: &[usize],
        values: impl ExactSizeIterator<Item = f64>,
    ) -> Result<String, String> {
        let count = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if count != Some(values.len()) {
            return Err(format!(
                "tensor `{name}` has {} values for dims {shape:?}",
                values.len()
            ));
        }
        let mut raw =
            Vec::with_capacity(
                values
                    .len()
                    .saturating_mul(if self.float64 { 8 } else { 4 }),
            );
        for v in values {
            if self.float64 {
                raw.extend_from_slice(&v.to_le_bytes());
            } else {
                #[allow(clippy::cast_possible_truncation)]
                let f = v as f32;
                if !f.is_finite() {
                    return Err(format!(
                        "tensor `{name}` holds {v}, which overflows float32 (use ExportOptions::float64)"
                    ));
                }
                raw.extend_from_slice(&f.to_le_bytes());
            }
        }
        self.initializers.push(TensorProto {
            dims: dims(shape)?,
            data_type: Some(self.elem_type()),
            name: Some(name.into()),
            raw_data: Some(raw),
            ..Default::default()
        });
        Ok(name.into())
    }

    /// An int64 initializer of dims `[values.len()]`.
    fn int64s(&mut self, name: &str, values: &[i64]) -> Result<String, String> {
        let raw = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.initializers.push(TensorProto {
            dims: vec![dim(values.len())?],
            data_type: Some(DataType::Int64 as i32),
            name: Some(name.into()),
            raw_data: Some(raw),
            ..Default::default()
        });
        Ok(name.into())
    }

    fn node(
        &mut self,
        op_type: &str,
        name: String,
        inputs: Vec<String>,
        output: String,
        attribute: Vec<AttributeProto>,
    ) -> String {
        self.nodes.push(NodeProto {
            input: inputs,
            output: vec![output.clone()],
            name: Some(name),
            op_type: Some(op_type.into()),
            domain: Some(String::new()),
            attribute,
            ..Default::default()
        });
        output
    }

    /// `x` as an `N × F` value (a `Flatten` when it is `N × C × H × W`).
    fn flat(&mut self, x: &Val, id: usize, prefix: &str) -> Val {
        match x.rank {
            Rank::Flat => x.clone(),
            Rank::Map => {
                let name = self.node(
                    "Flatten",
                    format!("{prefix}.flatten"),
                    vec![x.name.clone()],
                    format!("v{id}_{}_flat", x.name),
                    vec![int_attr("axis", 1)],
                );
                Val {
                    name,
                    rank: Rank::Flat,
                }
            }
        }
    }

    /// `x` as an `N × C × H × W` value (a `Reshape` to `[N, F, 1, 1]` when it is `N × F`).
    fn map(&mut self, x: &Val, shape: Shape, id: usize, prefix: &str) -> Result<Val, String> {
        match x.rank {
            Rank::Map => Ok(x.clone()),
            Rank::Flat => {
                let target = self.int64s(&format!("v{id}.reshape"), &[0, dim(shape.c)?, 1, 1])?;
                let name = self.node(
                    "Reshape",
                    format!("{prefix}.reshape"),
                    vec![x.name.clone(), target],
                    format!("v{id}_map"),
                    vec![],
                );
                Ok(Val {
                    name,
                    rank: Rank::Map,
                })
            }
        }
    }
}

fn window_attrs(w: &Window, dilations: bool) -> Result<Vec<AttributeProto>, String> {
    let mut a = vec![
        ints_attr("kernel_shape", dims(&w.kernel)?),
        ints_attr("strides", dims(&w.stride)?),
        ints_attr("pads", dims(&w.padding)?),
    ];
    if dilations {
        a.push(ints_attr("dilations", dims(&w.dilation)?));
    }
    Ok(a)
}

fn tensor_type(elem_type: i32, batch_and: &[usize]) -> Result<TypeProto, String> {
    let mut dim = vec![Dimension {
        denotation: None,
        value: Some(dimension::Value::DimParam("batch".into())),
    }];
    for &d in batch_and {
        dim.push(Dimension {
            denotation: None,
            value: Some(dimension::Value::DimValue(self::dim(d)?)),
        });
    }
    Ok(TypeProto {
        denotation: None,
        value: Some(type_proto::Value::TensorType(type_proto::Tensor {
            elem_type: Some(elem_type),
            shape: Some(TensorShapeProto { dim }),
        })),
    })
}

/// The per-sample dims of a value of `shape` with `rank`.
fn sample_dims(shape: Shape, rank: Rank) -> Vec<usize> {
    match rank {
        Rank::Flat => vec![shape.len()],
        Rank::Map => vec![shape.c, shape.h, shape.w],
    }
}

fn model(graph: &Graph, float64: bool) -> Result<ModelProto, ExportError> {
    let mut e = Emitter {
        float64,
        nodes: Vec::new(),
        initializers: Vec::new(),
    };
    let shapes = graph.shapes();
    let input_shape = graph.input_shape();
    let input_rank = if input_shape.positions() == 1 {
        Rank::Flat
    } else {
        Rank::Map
    };
    let mut vals = vec![Val {
        name: "input".into(),
        rank: input_rank,
    }];
    for (k, node) in graph.nodes().iter().enumerate() {
        let id = k + 1;
        let err = |reason: String| ExportError::Node {
            id,
            name: node.name.clone(),
            op: node.op.name(),
            reason,
        };
        if node.inputs.len() != node.op.arity() || node.inputs.iter().any(|&i| i >= id) {
            return Err(err(format!(
                "inputs {:?}: expected {} of ids below {id}",
                node.inputs,
                node.op.arity()
            )));
        }
        let x = vals[node.inputs[0]].clone();
        let in_shape = shapes.get(node.inputs[0]).copied().unwrap_or(input_shape);
        let val = emit_node(
            &mut e,
            &node.op,
            &node.name,
            id,
            &x,
            in_shape,
            &node.inputs,
            &vals,
        )
        .map_err(err)?;
        vals.push(val);
    }
    let err = |reason: String| ExportError::Node {
        id: graph.output(),
        name: graph
            .nodes()
            .last()
            .map(|n| n.name.clone())
            .unwrap_or_default(),
        op: graph
            .nodes()
            .last()
            .map(|n| n.op.name())
            .unwrap_or_default(),
        reason,
    };
    let out_shape = graph.output_shape();
    let mut out = vals.last().cloned().unwrap_or(Val {
        name: "input".into(),
        rank: input_rank,
    });
    if out_shape.positions() == 1 {
        out = e.flat(&out, graph.output(), "output");
    }
    let produced_last = e
        .nodes
        .last()
        .is_some_and(|n| n.output.first() == Some(&out.name));
    if produced_last && out.name != "input" {
        if let Some(o) = e.nodes.last_mut().and_then(|n| n.output.first_mut()) {
            *o = "output".into();
        }
    } else {
        e.node(
            "Identity",
            "output".into(),
            vec![out.name.clone()],
            "output".into(),
            vec![],
        );
    }
    let elem = e.elem_type();
    let graph_proto = GraphProto {
        name: Some("logprune".into()),
        input: vec![ValueInfoProto {
            name: Some("input".into()),
            r#type: Some(tensor_type(elem, &sample_dims(input_shape, input_rank)).map_err(err)?),
            ..Default::default()
        }],
        output: vec![ValueInfoProto {
            name: Some("output".into()),
            r#type: Some(tensor_type(elem, &sample_dims(out_shape, out.rank)).map_err(err)?),
            ..Default::default()
        }],
        node: e.nodes,
        initializer: e.initializers,
        ..Default::default()
    };
    Ok(ModelProto {
        ir_version: Some(IR_VERSION),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(EXPORT_OPSET),
        }],
        producer_name: Some("logprune".into()),
        producer_version: Some(env!("CARGO_PKG_VERSION").into()),
        graph: Some(graph_proto),
        ..Default::default()
    })
}

/// Emits the ONNX nodes of graph node `id` reading `x` (of graph shape `in_shape`) and
/// returns its value.
#[allow(clippy::too_many_arguments)]
fn emit_node(
    e: &mut Emitter,
    op: &Op,
    name: &str,
    id: usize,
    x: &Val,
    in_shape: Shape,
    inputs: &[usize],
    vals: &[Val],
) -> Result<Val, String> {
    let out = format!("v{id}");
    let map_val = |name: String| Val {
        name,
        rank: Rank::Map,
    };
    Ok(match op {
        Op::Dense { weight, bias } => {
            if weight.ncols() != in_shape.len() {
                return Err(format!(
                    "the weight has {} columns for an input of {} values",
                    weight.ncols(),
                    in_shape.len()
                ));
            }
            let x = e.flat(x, id, name);
            let (rows, cols) = (weight.nrows(), weight.ncols());
            let w = e.floats(
                &format!("{name}.weight#{id}"),
                &[rows, cols],
                (0..rows * cols).map(|t| weight[(t / cols, t % cols)]),
            )?;
            let mut ins = vec![x.name, w];
            if let Some(b) = bias {
                ins.push(e.floats(&format!("{name}.bias#{id}"), &[b.len()], b.iter().copied())?);
            }
            let name = e.node("Gemm", name.into(), ins, out, vec![int_attr("transB", 1)]);
            Val {
                name,
                rank: Rank::Flat,
            }
        }
        Op::Conv(c) => {
            let x = e.map(x, in_shape, id, name)?;
            let [kh, kw] = c.window.kernel;
            let w = e.floats(
                &format!("{name}.weight#{id}"),
                &[c.c_out, c.c_in, kh, kw],
                c.weight.iter().copied(),
            )?;
            let mut ins = vec![x.name, w];
            if let Some(b) = &c.bias {
                ins.push(e.floats(&format!("{name}.bias#{id}"), &[b.len()], b.iter().copied())?);
            }
            let mut attrs = window_attrs(&c.window, true)?;
            attrs.push(int_attr("group", 1));
            map_val(e.node("Conv", name.into(), ins, out, attrs))
        }
        Op::Scale { scale, shift } => {
            let c = scale.len();
            let shape: Vec<usize> = match x.rank {
                Rank::Flat => vec![c],
                Rank::Map => vec![1, c, 1, 1],
            };
            let mut cur = x.name.clone();
            if shift.is_none() || scale.iter().any(|&s| s != 1.0) {
                let s = e.floats(&format!("{name}.scale#{id}"), &shape, scale.iter().copied())?;
                let o = if shift.is_some() {
                    format!("v{id}_scaled")
                } else {
                    out.clone()
                };
                cur = e.node("Mul", format!("{name}.mul"), vec![cur, s], o, vec![]);
            }
            if let Some(t) = shift {
                let t = e.floats(&format!("{name}.shift#{id}"), &shape, t.iter().copied())?;
                cur = e.node("Add", format!("{name}.add"), vec![cur, t], out, vec![]);
            }
            Val {
                name: cur,
                rank: x.rank,
            }
        }
        Op::Activation(a) => {
            let ins = vec![x.name.clone()];
            #[allow(clippy::cast_possible_truncation)]
            let name = match *a {
                Activation::Identity => return Ok(x.clone()),
                Activation::Relu => e.node("Relu", name.into(), ins, out, vec![]),
                Activation::Tanh => e.node("Tanh", name.into(), ins, out, vec![]),
                Activation::Sigmoid => e.node("Sigmoid", name.into(), ins, out, vec![]),
                Activation::LeakyRelu(s) => e.node(
                    "LeakyRelu",
                    name.into(),
                    ins,
                    out,
                    vec![float_attr("alpha", s as f32)],
                ),
                Activation::Elu(alpha) => e.node(
                    "Elu",
                    name.into(),
                    ins,
                    out,
                    vec![float_attr("alpha", alpha as f32)],
                ),
                Activation::Gelu => {
                    let sqrt2 = e.floats(
                        &format!("{name}.sqrt2#{id}"),
                        &[],
                        [core::f64::consts::SQRT_2].into_iter(),
                    )?;
                    let one = e.floats(&format!("{name}.one#{id}"), &[], [1.0].into_iter())?;
                    let half = e.floats(&format!("{name}.half#{id}"), &[], [0.5].into_iter())?;
                    let d = e.node(
                        "Div",
                        format!("{name}.div"),
                        vec![x.name.clone(), sqrt2],
                        format!("v{id}_div"),
                        vec![],
                    );
                    let f = e.node(
                        "Erf",
                        format!("{name}.erf"),
                        vec![d],
                        format!("v{id}_erf"),
                        vec![],
                    );
                    let s = e.node(
                        "Add",
                        format!("{name}.add"),
                        vec![f, one],
                        format!("v{id}_add"),
                        vec![],
                    );
                    let m = e.node(
                        "Mul",
                        format!("{name}.mul"),
                        vec![x.name.clone(), s],
                        format!("v{id}_mul"),
                        vec![],
                    );
                    e.node("Mul", format!("{name}.half"), vec![m, half], out, vec![])
                }
            };
            Val { name, rank: x.rank }
        }
        Op::MaxPool(Pool2d { window, .. }) => {
            let x = e.map(x, in_shape, id, name)?;
            map_val(e.node(
                "MaxPool",
                name.into(),
                vec![x.name],
                out,
                window_attrs(window, true)?,
            ))
        }
        Op::AvgPool(Pool2d {
            window,
            count_include_pad,
        }) => {
            if window.dilation != [1, 1] {
                return Err(format!(
                    "average pooling with dilation {:?}: opset {EXPORT_OPSET}'s AveragePool has no dilations",
                    window.dilation
                ));
            }
            let x = e.map(x, in_shape, id, name)?;
            let mut attrs = window_attrs(window, false)?;
            attrs.push(int_attr("count_include_pad", i64::from(*count_include_pad)));
            map_val(e.node("AveragePool", name.into(), vec![x.name], out, attrs))
        }
        Op::GlobalAvgPool => {
            let x = e.map(x, in_shape, id, name)?;
            map_val(e.node("GlobalAveragePool", name.into(), vec![x.name], out, vec![]))
        }
        Op::Flatten => match x.rank {
            Rank::Flat => x.clone(),
            Rank::Map => {
                let name = e.node(
                    "Flatten",
                    name.into(),
                    vec![x.name.clone()],
                    out,
                    vec![int_attr("axis", 1)],
                );
                Val {
                    name,
                    rank: Rank::Flat,
                }
            }
        },
        Op::Add => {
            let y = vals[inputs[1]].clone();
            let (a, b) = if x.rank == y.rank {
                (x.clone(), y)
            } else {
                (e.flat(x, id, name), e.flat(&y, id, name))
            };
            let rank = a.rank;
            let name = e.node("Add", name.into(), vec![a.name, b.name], out, vec![]);
            Val { name, rank }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_limit_is_checked_first() {
        let node = logprune_network::Node {
            name: "d".into(),
            op: Op::Dense {
                weight: faer::Mat::zeros(3, 4),
                bias: Some(vec![0.0; 3]),
            },
            inputs: vec![0],
        };
        let g = Graph::new(Shape::flat(4), vec![node]).unwrap();
        let e = export(&g, &ExportOptions::default().with_max_bytes(10)).unwrap_err();
        assert_eq!(
            e,
            ExportError::TooLarge {
                bytes: (12 + 3) * 4,
                limit: 10
            }
        );
        assert!(export(&g, &ExportOptions::default().with_max_bytes(60)).is_ok());
    }

    fn dims_of(vi: &ValueInfoProto) -> (i32, Vec<dimension::Value>) {
        let Some(type_proto::Value::TensorType(t)) = vi.r#type.as_ref().unwrap().value.clone()
        else {
            panic!("not a tensor")
        };
        let dims = t
            .shape
            .unwrap()
            .dim
            .into_iter()
            .map(|d| d.value.unwrap())
            .collect();
        (t.elem_type.unwrap(), dims)
    }

    #[test]
    fn header_input_output_and_dtypes() {
        use dimension::Value::{DimParam, DimValue};
        let conv = Op::Conv(logprune_network::Conv2d {
            c_out: 2,
            c_in: 1,
            window: Window::square(1),
            weight: vec![1.0, -1.0],
            bias: None,
        });
        let nodes = vec![
            logprune_network::Node {
                name: "conv".into(),
                op: conv,
                inputs: vec![0],
            },
            logprune_network::Node {
                name: "gap".into(),
                op: Op::GlobalAvgPool,
                inputs: vec![1],
            },
        ];
        let g = Graph::new(Shape::new(1, 3, 4), nodes).unwrap();
        for float64 in [false, true] {
            let bytes = export(&g, &ExportOptions::default().with_float64(float64)).unwrap();
            let m = ModelProto::decode(bytes.as_slice()).unwrap();
            assert_eq!(m.ir_version, Some(IR_VERSION));
            assert_eq!(m.opset_import[0].version, Some(EXPORT_OPSET));
            let graph = m.graph.unwrap();
            let elem = if float64 {
                DataType::Double
            } else {
                DataType::Float
            } as i32;
            let batch = DimParam("batch".into());
            assert_eq!(graph.input[0].name.as_deref(), Some("input"));
            assert_eq!(
                dims_of(&graph.input[0]),
                (
                    elem,
                    vec![batch.clone(), DimValue(1), DimValue(3), DimValue(4)]
                )
            );
            // The N × 2 × 1 × 1 output is written flat.
            assert_eq!(graph.output[0].name.as_deref(), Some("output"));
            assert_eq!(dims_of(&graph.output[0]), (elem, vec![batch, DimValue(2)]));
            let ops: Vec<_> = graph
                .node
                .iter()
                .map(|n| n.op_type.clone().unwrap())
                .collect();
            assert_eq!(ops, ["Conv", "GlobalAveragePool", "Flatten"]);
            assert_eq!(graph.node[2].output, ["output"]);
            assert!(graph.initializer.iter().all(|t| t.data_type == Some(elem)));
        }
    }
}
