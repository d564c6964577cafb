//! `Gemm` and `MatMul` → [`Op::Dense`] (`W` is `n_out × n_in`, PyTorch's `Linear.weight`).

use faer::Mat;
use logprune_network::Op;

use crate::attr::At;
use crate::builder::{Builder, Origin, Rank, Value};
use crate::error::OnnxError;

/// `Y = alpha·A·op(B) + beta·C` with `A` computed (`N × K`), `B` constant, `transA = 0`:
/// `W = alpha·Bᵀ` (`transB = 0`, `B` is `K × M`) or `alpha·B` (`transB = 1`, `M × K`), bias
/// `beta·C` with `C` of dims `[M]`, `[1, M]`, `[1]`, `[1, 1]` or `[]`.
pub(crate) fn gemm(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&["alpha", "beta", "transA", "transB"])?;
    let alpha = at.float("alpha")?.unwrap_or(1.0);
    let beta = at.float("beta")?.unwrap_or(1.0);
    at.int_in("transA", 0, &[0])?;
    let trans_b = at.int_in("transB", 0, &[0, 1])? == 1;
    let (x, rank) = b.computed(at, 0)?;
    if rank != Rank::Flat {
        return Err(at.err(format!(
            "input A is N×{:?}; Gemm takes a 2-D input (flatten it first)",
            b.dims(x, rank)
        )));
    }
    let w = b.constant(at, 1)?;
    if w.dims.len() != 2 || w.dims.contains(&0) {
        return Err(at.err(format!(
            "B has dims {:?}; a non-empty 2-D constant is expected",
            w.dims
        )));
    }
    let values = w.floats().map_err(|e| at.err(format!("B {e}")))?;
    let (rows, cols) = (w.dims[0], w.dims[1]);
    let weight = if trans_b {
        Mat::from_fn(rows, cols, |i, j| alpha * values[i * cols + j])
    } else {
        Mat::from_fn(cols, rows, |i, j| alpha * values[j * cols + i])
    };
    let m = weight.nrows();
    let bias = match b.optional_constant(at, 2)? {
        None => None,
        Some(c) => {
            let v = c.floats().map_err(|e| at.err(format!("C {e}")))?;
            let per_output = matches!(c.dims.as_slice(), [n] | [1, n] if *n == m);
            let scalar = c.dims.iter().all(|&d| d == 1) && c.dims.len() <= 2;
            if per_output {
                Some(v.iter().map(|&x| beta * x).collect())
            } else if scalar {
                Some(vec![beta * v[0]; m])
            } else {
                return Err(at.err(format!(
                    "C has dims {:?}; supported: [{m}], [1, {m}] or a single value",
                    c.dims
                )));
            }
        }
    };
    let id = b.push(at, Op::Dense { weight, bias }, vec![x], Origin::Fixed)?;
    b.bind(
        at,
        Value::Computed {
            id,
            rank: Rank::Flat,
        },
    )
}

/// `Y = A·B` with `A` computed (`N × K`) and `B` a constant `K × M`: `W = Bᵀ`, no bias (an
/// `Add` of a constant that follows is folded into it as the bias).
pub(crate) fn matmul(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&[])?;
    if let (Some(Value::Const(_)), Some(Value::Computed { .. })) =
        (b.input(at, 0)?, b.input(at, 1)?)
    {
        return Err(at.err(
            "a constant times a computed value is not supported; supported: a computed N×K value times a constant K×M matrix",
        ));
    }
    let (x, rank) = b.computed(at, 0)?;
    if rank != Rank::Flat {
        return Err(at.err(format!(
            "input A is N×{:?}; only a 2-D input N×K is supported (flatten it first)",
            b.dims(x, rank)
        )));
    }
    let w = b.constant(at, 1)?;
    if w.dims.len() != 2 || w.dims.contains(&0) {
        return Err(at.err(format!(
            "B has dims {:?}; a non-empty 2-D constant K×M is expected",
            w.dims
        )));
    }
    let values = w.floats().map_err(|e| at.err(format!("B {e}")))?;
    let (k, m) = (w.dims[0], w.dims[1]);
    let weight = Mat::from_fn(m, k, |i, j| values[j * m + i]);
    let id = b.push(at, Op::Dense { weight, bias: None }, vec![x], Origin::Fixed)?;
    b.bind(
        at,
        Value::Computed {
            id,
            rank: Rank::Flat,
        },
    )
}
