//! The importer's errors: every variant names what is wrong and what is supported.

use core::fmt;

use logprune_network::GraphError;

/// The operators the importer maps (the default ONNX domain, opsets 13 to 21).
pub const SUPPORTED_OPS: &[&str] = &[
    "Gemm",
    "MatMul",
    "Conv",
    "BatchNormalization",
    "Relu",
    "LeakyRelu",
    "Tanh",
    "Sigmoid",
    "Elu",
    "Gelu",
    "Erf (in GELU's form x·0.5·(1 + erf(x/√2)))",
    "Identity",
    "Dropout",
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
];

/// Where in the ONNX graph an error is: the node's index in `graph.node`, its name (may be
/// empty in a file) and its operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRef {
    /// The index in the file's node list (0-based).
    pub index: usize,
    /// The node's name.
    pub name: String,
    /// The node's `op_type`.
    pub op_type: String,
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            write!(f, "node {} ({})", self.index, self.op_type)
        } else {
            write!(f, "node {} `{}` ({})", self.index, self.name, self.op_type)
        }
    }
}

/// Why an ONNX model could not be imported.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum OnnxError {
    /// The bytes are not a protobuf `ModelProto` (truncated, garbage). prost's decode error
    /// carries no byte offset, so the input's length and prost's message (which names the
    /// field being read) are reported.
    #[error("not an ONNX model: protobuf decoding of the {len}-byte input failed: {message}")]
    Decode {
        /// The length of the input in bytes.
        len: usize,
        /// prost's message.
        message: String,
    },
    /// A model without a graph.
    #[error("the model holds no graph")]
    NoGraph,
    /// No opset of the default domain is imported, or an unsupported one.
    #[error("the model imports opset {version:?} of the default domain; supported: 13 to 21")]
    Opset {
        /// The version imported (`None`: the default domain is not imported).
        version: Option<i64>,
    },
    /// Not exactly one graph input (initializers listed as inputs are not counted).
    #[error("the graph has {count} inputs ({names}); exactly one is supported")]
    Inputs {
        /// How many.
        count: usize,
        /// Their names, comma-separated.
        names: String,
    },
    /// Not exactly one graph output.
    #[error("the graph has {count} outputs ({names}); exactly one is supported")]
    Outputs {
        /// How many.
        count: usize,
        /// Their names, comma-separated.
        names: String,
    },
    /// The graph input's type or shape is not supported.
    #[error("graph input `{name}`: {reason}")]
    Input {
        /// The input's name.
        name: String,
        /// What is wrong and what is supported.
        reason: String,
    },
    /// The graph output is not a computed value.
    #[error("graph output `{name}`: {reason}")]
    Output {
        /// The output's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// An initializer or constant tensor that cannot be read.
    #[error("tensor `{tensor}`: {reason}")]
    Tensor {
        /// The tensor's name.
        tensor: String,
        /// What is wrong and what is supported.
        reason: String,
    },
    /// A tensor whose data lives in an external file.
    #[error(
        "tensor `{tensor}` keeps its data in an external file; only data stored in the model is supported (bytes in, no file I/O)"
    )]
    ExternalData {
        /// The tensor's name.
        tensor: String,
    },
    /// An operator the importer does not map.
    #[error("{node}: operator `{op_type}` of domain `{domain}` is not supported; supported (default domain): {}", SUPPORTED_OPS.join(", "), op_type = node.op_type)]
    UnsupportedOp {
        /// The node.
        node: Box<NodeRef>,
        /// The operator's domain (empty for the default ONNX domain).
        domain: String,
    },
    /// An attribute value (or an unknown attribute) the importer does not support.
    #[error("{node}: attribute `{attribute}` = {value} is not supported; supported: {supported}")]
    Attribute {
        /// The node.
        node: Box<NodeRef>,
        /// The attribute's name.
        attribute: String,
        /// Its value as written.
        value: String,
        /// What is supported.
        supported: String,
    },
    /// A node whose inputs do not fit what the importer supports (missing inputs, a
    /// computed value where a constant is needed, shapes that do not broadcast per channel).
    #[error("{node}: {reason}")]
    Node {
        /// The node.
        node: Box<NodeRef>,
        /// What is wrong and what is supported.
        reason: String,
    },
    /// A grouped convolution whose exact expansion to a full kernel is too large.
    #[error(
        "{node}: expanding the convolution with {groups} groups into a full kernel gives {weights} weights, above the limit of {limit} (ImportOptions::max_expanded_weights)"
    )]
    GroupExpansion {
        /// The node.
        node: Box<NodeRef>,
        /// The `group` attribute.
        groups: usize,
        /// `c_out·c_in·kh·kw` of the expanded kernel (saturating).
        weights: usize,
        /// The limit.
        limit: usize,
    },
    /// The operation a node maps to is not valid on its input (the graph's own check).
    #[error("{node}: {source}")]
    Graph {
        /// The node.
        node: Box<NodeRef>,
        /// The graph's error.
        source: Box<GraphError>,
    },
    /// The assembled graph is not valid.
    #[error("the imported graph is not valid: {0}")]
    Invalid(Box<GraphError>),
}
