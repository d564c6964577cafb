//! One small function per ONNX operator (or family), each mapping a node to graph nodes or
//! to a constant; [`map_node`] is the only dispatch on the operator's name.

mod activation;
mod arith;
mod conv;
mod linear;
mod norm;
mod pool;
mod shape;

use crate::attr::At;
use crate::builder::Builder;
use crate::error::OnnxError;

/// Maps one node of the default domain.
pub(crate) fn map_node(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    if let Some(absorbed) = b.absorbed.get(&at.index).cloned() {
        return activation::check_absorbed(b, at, &absorbed);
    }
    match at.node.domain.as_deref().unwrap_or("") {
        "" | "ai.onnx" => {}
        other => {
            return Err(OnnxError::UnsupportedOp {
                node: at.node_ref(),
                domain: other.to_string(),
            });
        }
    }
    match at.op_type() {
        "Gemm" => linear::gemm(b, at),
        "MatMul" => linear::matmul(b, at),
        "Conv" => conv::conv(b, at),
        "BatchNormalization" => norm::batch_norm(b, at),
        "Relu" | "Tanh" | "Sigmoid" | "LeakyRelu" | "Elu" | "Gelu" => activation::activation(b, at),
        "Div" | "Mul" if activation::try_gelu_erf(b, at)? => Ok(()),
        "Add" | "Sub" | "Mul" | "Div" => arith::binary(b, at),
        "Erf" => Err(at.err(
            "Erf is supported only inside GELU's form x·0.5·(1 + erf(x/√2)) (Div(√2) → Erf → Add(1) → Mul(x) → Mul(0.5)), and this one is not part of it",
        )),
        "MaxPool" | "AveragePool" => pool::pool(b, at),
        "GlobalAveragePool" => pool::global_avg(b, at),
        "ReduceMean" => pool::reduce_mean(b, at),
        "Flatten" => shape::flatten(b, at),
        "Reshape" => shape::reshape(b, at),
        "Squeeze" => shape::squeeze(b, at),
        "Unsqueeze" => shape::unsqueeze(b, at),
        "Shape" => shape::shape(b, at),
        "Gather" => shape::gather(b, at),
        "Concat" => shape::concat(b, at),
        "Slice" => shape::slice(b, at),
        "Cast" => shape::cast(b, at),
        "Constant" => shape::constant(b, at),
        "Identity" | "Dropout" => shape::identity(b, at),
        _ => Err(OnnxError::UnsupportedOp {
            node: at.node_ref(),
            domain: String::new(),
        }),
    }
}
