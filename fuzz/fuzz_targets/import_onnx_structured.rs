//! Structured input into the ONNX importer: the fuzzer picks a model (opset, input shape,
//! initializers of any supported or unsupported dtype, raw or typed, with data lengths right
//! or wrong, and a list of nodes whose operators, inputs and attributes are drawn from what
//! the importer knows plus a few it does not), the harness encodes it with prost as ONNX
//! protobuf (messages declared here with the schema's field numbers), and `import` reads it.
//! This gets past the protobuf decoder that raw bytes mostly hit, into the mapping of each
//! operator, the constant interpreter and the folding pass. A graph that imports runs one
//! forward pass on zeros when that is cheap.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use logprune_network::{Graph, Op};
use logprune_onnx::{ImportOptions, import};
use prost::Message;

// The subset of onnx.proto the harness writes (field numbers as in the schema).
#[derive(Clone, PartialEq, Message)]
struct ModelProto {
    #[prost(int64, optional, tag = "1")]
    ir_version: Option<i64>,
    #[prost(message, optional, tag = "7")]
    graph: Option<GraphProto>,
    #[prost(message, repeated, tag = "8")]
    opset_import: Vec<OperatorSetIdProto>,
}
#[derive(Clone, PartialEq, Message)]
struct OperatorSetIdProto {
    #[prost(string, optional, tag = "1")]
    domain: Option<String>,
    #[prost(int64, optional, tag = "2")]
    version: Option<i64>,
}
#[derive(Clone, PartialEq, Message)]
struct GraphProto {
    #[prost(message, repeated, tag = "1")]
    node: Vec<NodeProto>,
    #[prost(message, repeated, tag = "5")]
    initializer: Vec<TensorProto>,
    #[prost(message, repeated, tag = "11")]
    input: Vec<ValueInfoProto>,
    #[prost(message, repeated, tag = "12")]
    output: Vec<ValueInfoProto>,
}
#[derive(Clone, PartialEq, Message)]
struct NodeProto {
    #[prost(string, repeated, tag = "1")]
    input: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    output: Vec<String>,
    #[prost(string, optional, tag = "3")]
    name: Option<String>,
    #[prost(string, optional, tag = "4")]
    op_type: Option<String>,
    #[prost(message, repeated, tag = "5")]
    attribute: Vec<AttributeProto>,
}
#[derive(Clone, PartialEq, Message)]
struct AttributeProto {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(float, optional, tag = "2")]
    f: Option<f32>,
    #[prost(int64, optional, tag = "3")]
    i: Option<i64>,
    #[prost(bytes = "vec", optional, tag = "4")]
    s: Option<Vec<u8>>,
    #[prost(message, optional, tag = "5")]
    t: Option<TensorProto>,
    #[prost(float, repeated, tag = "7")]
    floats: Vec<f32>,
    #[prost(int64, repeated, tag = "8")]
    ints: Vec<i64>,
    #[prost(int32, optional, tag = "20")]
    r#type: Option<i32>,
}
#[derive(Clone, PartialEq, Message)]
struct TensorProto {
    #[prost(int64, repeated, tag = "1")]
    dims: Vec<i64>,
    #[prost(int32, optional, tag = "2")]
    data_type: Option<i32>,
    #[prost(float, repeated, tag = "4")]
    float_data: Vec<f32>,
    #[prost(int32, repeated, tag = "5")]
    int32_data: Vec<i32>,
    #[prost(int64, repeated, tag = "7")]
    int64_data: Vec<i64>,
    #[prost(string, optional, tag = "8")]
    name: Option<String>,
    #[prost(bytes = "vec", optional, tag = "9")]
    raw_data: Option<Vec<u8>>,
    #[prost(double, repeated, tag = "10")]
    double_data: Vec<f64>,
}
#[derive(Clone, PartialEq, Message)]
struct ValueInfoProto {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(message, optional, tag = "2")]
    r#type: Option<TypeProto>,
}
#[derive(Clone, PartialEq, Message)]
struct TypeProto {
    #[prost(message, optional, tag = "1")]
    tensor_type: Option<TypeTensor>,
}
#[derive(Clone, PartialEq, Message)]
struct TypeTensor {
    #[prost(int32, optional, tag = "1")]
    elem_type: Option<i32>,
    #[prost(message, optional, tag = "2")]
    shape: Option<TensorShapeProto>,
}
#[derive(Clone, PartialEq, Message)]
struct TensorShapeProto {
    #[prost(message, repeated, tag = "1")]
    dim: Vec<Dimension>,
}
#[derive(Clone, PartialEq, Message)]
struct Dimension {
    #[prost(int64, optional, tag = "1")]
    dim_value: Option<i64>,
    #[prost(string, optional, tag = "2")]
    dim_param: Option<String>,
}

const OPS: [&str; 33] = [
    "Conv",
    "Gemm",
    "MatMul",
    "BatchNormalization",
    "Relu",
    "LeakyRelu",
    "Elu",
    "Gelu",
    "Tanh",
    "Sigmoid",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "ReduceMean",
    "Flatten",
    "Reshape",
    "Squeeze",
    "Unsqueeze",
    "Shape",
    "Gather",
    "Concat",
    "Constant",
    "Cast",
    "Slice",
    "Identity",
    "Dropout",
    "Erf",
    "CumSum",
    "Softmax",
];
const ATTRS: [&str; 28] = [
    "kernel_shape",
    "strides",
    "pads",
    "dilations",
    "group",
    "auto_pad",
    "alpha",
    "beta",
    "transA",
    "transB",
    "epsilon",
    "training_mode",
    "ceil_mode",
    "count_include_pad",
    "axes",
    "keepdims",
    "axis",
    "allowzero",
    "start",
    "end",
    "to",
    "value",
    "value_int",
    "value_ints",
    "value_float",
    "approximate",
    "storage_order",
    "momentum",
];
const STRINGS: [&str; 7] = [
    "NOTSET",
    "VALID",
    "SAME_UPPER",
    "SAME_LOWER",
    "none",
    "tanh",
    "?",
];
const DTYPES: [i32; 9] = [1, 1, 7, 11, 10, 6, 9, 16, 8];

#[derive(Arbitrary, Debug)]
struct FuzzTensor {
    dtype: u8,
    dims: Vec<u8>,
    values: Vec<i8>,
    /// Raw little-endian bytes rather than the typed field.
    raw: bool,
    /// Data of exactly the dims' length (else the values as given).
    exact: bool,
}

impl FuzzTensor {
    fn proto(&self, name: Option<String>) -> TensorProto {
        let code = DTYPES[usize::from(self.dtype) % DTYPES.len()];
        let dims: Vec<i64> = self
            .dims
            .iter()
            .take(4)
            .map(|&d| i64::from(d % 9))
            .collect();
        let n: usize = dims.iter().map(|&d| d as usize).product();
        let vals: Vec<i8> = if self.exact {
            (0..n.min(4096))
                .map(|i| {
                    self.values
                        .get(i % self.values.len().max(1))
                        .copied()
                        .unwrap_or(1)
                })
                .collect()
        } else {
            self.values.clone()
        };
        let mut t = TensorProto {
            dims,
            data_type: Some(code),
            name,
            ..Default::default()
        };
        let f = |v: i8| f32::from(v) / 16.0;
        match (code, self.raw) {
            (1, false) => t.float_data = vals.iter().map(|&v| f(v)).collect(),
            (1, true) => t.raw_data = Some(vals.iter().flat_map(|&v| f(v).to_le_bytes()).collect()),
            (11, false) => t.double_data = vals.iter().map(|&v| f64::from(f(v))).collect(),
            (11, true) => {
                t.raw_data = Some(
                    vals.iter()
                        .flat_map(|&v| f64::from(f(v)).to_le_bytes())
                        .collect(),
                )
            }
            (7, false) => t.int64_data = vals.iter().map(|&v| i64::from(v)).collect(),
            (7, true) => {
                t.raw_data = Some(
                    vals.iter()
                        .flat_map(|&v| i64::from(v).to_le_bytes())
                        .collect(),
                )
            }
            (_, false) => t.int32_data = vals.iter().map(|&v| i32::from(v)).collect(),
            (_, true) => {
                t.raw_data = Some(
                    vals.iter()
                        .flat_map(|&v| i16::from(v).to_le_bytes())
                        .collect(),
                )
            }
        }
        t
    }
}

#[derive(Arbitrary, Debug)]
enum FuzzAttrValue {
    Int(i8),
    Ints(Vec<i8>),
    Float(i8),
    Str(u8),
    Tensor(FuzzTensor),
}

#[derive(Arbitrary, Debug)]
struct FuzzAttr {
    name: u8,
    value: FuzzAttrValue,
}

#[derive(Arbitrary, Debug)]
struct FuzzNode {
    op: u8,
    /// Indices into the values defined so far (`u8::MAX` leaves an input empty).
    inputs: Vec<u8>,
    attrs: Vec<FuzzAttr>,
}

#[derive(Arbitrary, Debug)]
struct FuzzModel {
    opset: u8,
    rank4: bool,
    dims: [u8; 4],
    symbolic_batch: bool,
    /// A per-sample dim left symbolic (given by the options when `selector & 1`).
    symbolic_dim: Option<u8>,
    initializers: Vec<FuzzTensor>,
    nodes: Vec<FuzzNode>,
    selector: u8,
}

impl FuzzModel {
    fn encode(&self) -> Vec<u8> {
        let mut names: Vec<String> = vec!["x".into()];
        let initializer: Vec<TensorProto> = self
            .initializers
            .iter()
            .take(8)
            .enumerate()
            .map(|(k, t)| {
                names.push(format!("c{k}"));
                t.proto(Some(format!("c{k}")))
            })
            .collect();
        let mut node = Vec::new();
        for (k, n) in self.nodes.iter().take(16).enumerate() {
            let out = format!("v{k}");
            let inputs = n
                .inputs
                .iter()
                .take(6)
                .map(|&i| {
                    if i == u8::MAX {
                        String::new()
                    } else {
                        names[usize::from(i) % names.len()].clone()
                    }
                })
                .collect();
            let attribute = n
                .attrs
                .iter()
                .take(6)
                .map(|a| {
                    let mut p = AttributeProto {
                        name: Some(ATTRS[usize::from(a.name) % ATTRS.len()].into()),
                        ..Default::default()
                    };
                    match &a.value {
                        FuzzAttrValue::Int(v) => (p.r#type, p.i) = (Some(2), Some(i64::from(*v))),
                        FuzzAttrValue::Ints(v) => {
                            (p.r#type, p.ints) =
                                (Some(7), v.iter().take(8).map(|&x| i64::from(x)).collect())
                        }
                        FuzzAttrValue::Float(v) => {
                            (p.r#type, p.f) = (Some(1), Some(f32::from(*v) / 16.0))
                        }
                        FuzzAttrValue::Str(v) => {
                            (p.r#type, p.s) = (
                                Some(3),
                                Some(STRINGS[usize::from(*v) % STRINGS.len()].as_bytes().to_vec()),
                            )
                        }
                        FuzzAttrValue::Tensor(t) => {
                            (p.r#type, p.t) = (Some(4), Some(t.proto(None)))
                        }
                    }
                    p
                })
                .collect();
            node.push(NodeProto {
                input: inputs,
                output: vec![out.clone()],
                name: Some(format!("n{k}")),
                op_type: Some(OPS[usize::from(n.op) % OPS.len()].into()),
                attribute,
            });
            names.push(out);
        }
        let rank = if self.rank4 { 4 } else { 2 };
        let dim = (0..rank)
            .map(|k| {
                if k == 0 && self.symbolic_batch
                    || self
                        .symbolic_dim
                        .is_some_and(|d| usize::from(d) % rank == k && k > 0)
                {
                    Dimension {
                        dim_value: None,
                        dim_param: Some("N".into()),
                    }
                } else if k == 0 {
                    Dimension {
                        dim_value: Some(1),
                        dim_param: None,
                    }
                } else {
                    Dimension {
                        dim_value: Some(i64::from(self.dims[k] % 8) + 1),
                        dim_param: None,
                    }
                }
            })
            .collect();
        let info = |name: &str, dim: Vec<Dimension>| ValueInfoProto {
            name: Some(name.into()),
            r#type: Some(TypeProto {
                tensor_type: Some(TypeTensor {
                    elem_type: Some(1),
                    shape: Some(TensorShapeProto { dim }),
                }),
            }),
        };
        let output = names.last().cloned().unwrap_or_default();
        ModelProto {
            ir_version: Some(8),
            opset_import: vec![OperatorSetIdProto {
                domain: Some(String::new()),
                version: Some(12 + i64::from(self.opset % 11)),
            }],
            graph: Some(GraphProto {
                node,
                initializer,
                input: vec![info("x", dim)],
                output: vec![info(&output, Vec::new())],
            }),
        }
        .encode_to_vec()
    }
}

/// Multiply-adds of one forward pass (saturating).
fn cost(graph: &Graph) -> usize {
    graph
        .nodes()
        .iter()
        .enumerate()
        .map(|(k, node)| {
            let out = graph.shapes()[k + 1].len();
            let per = match &node.op {
                Op::Dense { weight, .. } => weight.ncols(),
                Op::Conv(c) => c.c_in.saturating_mul(c.window.taps()),
                Op::MaxPool(p) | Op::AvgPool(p) => p.window.taps(),
                Op::GlobalAvgPool => graph.shapes()[node.inputs[0]].positions(),
                _ => 1,
            };
            out.saturating_mul(per)
        })
        .fold(graph.input_shape().len(), usize::saturating_add)
}

fuzz_target!(|model: FuzzModel| {
    let bytes = model.encode();
    let mut options = ImportOptions::default();
    if model.selector & 1 == 1 {
        let d = usize::from(model.selector >> 4) + 1;
        options = options.with_input_shape(if model.rank4 { vec![d, 3, 3] } else { vec![d] });
    }
    if model.selector & 2 == 2 {
        options = options.with_max_expanded_weights(64);
    }
    if let Ok(graph) = import(&bytes, &options) {
        assert_eq!(graph.shapes().len(), graph.nodes().len() + 1);
        if cost(&graph) <= 10_000_000 {
            let x = vec![0.0; graph.input_shape().len()];
            let y = graph.forward(&x).expect("zeros are a valid input");
            assert_eq!(y.len(), graph.output_shape().len());
        }
    }
});
