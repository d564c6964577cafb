//! Shapes and constants: `Flatten`, `Reshape`, `Squeeze`, `Unsqueeze` of computed values
//! (each a flatten or nothing), and the import-time interpreter's `Shape`, `Gather`,
//! `Concat`, `Slice`, `Cast`, `Constant`; `Identity` and `Dropout` are skipped.

use logprune_network::Op;

use crate::attr::At;
use crate::builder::{Builder, Origin, Rank, Value};
use crate::error::OnnxError;
use crate::fold::{self, normalize_axis};
use crate::tensor::{Data, Int, Tensor, dtype, product};

/// A computed value flattened to `N × F` (a [`Op::Flatten`] node unless it is flat already).
fn flattened(b: &mut Builder, at: &At, id: usize, rank: Rank) -> Result<Value, OnnxError> {
    let id = match rank {
        Rank::Flat => id,
        Rank::Map => b.push(at, Op::Flatten, vec![id], Origin::Fixed)?,
    };
    Ok(Value::Computed {
        id,
        rank: Rank::Flat,
    })
}

/// `Flatten(axis = 1)`; of a constant, evaluated for any axis.
pub(crate) fn flatten(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&["axis"])?;
    let axis = at.int("axis")?.unwrap_or(1);
    let value = match b.required(at, 0)?.clone() {
        Value::Const(t) => {
            let r = t.dims.len();
            let a = if axis == i64::try_from(r).unwrap_or(-1) {
                r
            } else {
                normalize_axis(axis, r).map_err(|e| at.attr_err("axis", axis.to_string(), e))?
            };
            let (Some(outer), Some(inner)) = (product(&t.dims[..a]), product(&t.dims[a..])) else {
                return Err(at.err(format!("dims {:?} overflow", t.dims)));
            };
            let dims = vec![outer, inner];
            Value::Const(Tensor { dims, data: t.data })
        }
        Value::Computed { id, rank } => {
            let r = if rank == Rank::Flat { 2 } else { 4 };
            if normalize_axis(axis, r).ok() != Some(1) {
                return Err(at.attr_err("axis", axis.to_string(), "1 (flatten each sample)"));
            }
            flattened(b, at, id, rank)?
        }
    };
    b.bind(at, value)
}

/// `Reshape(data, shape)`: of a constant, evaluated; of a computed value, the shape must
/// keep the batch (`N`, `0`, or `-1` with the rest holding one sample) and give one sample
/// as `[F]` (a flatten), `[F, 1, 1]`, or its own dims (nothing to do).
pub(crate) fn reshape(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&["allowzero"])?;
    let allowzero = at.int_in("allowzero", 0, &[0, 1])? == 1;
    let shape = b.constant(at, 1)?.clone();
    let value = match b.required(at, 0)?.clone() {
        Value::Const(t) => {
            let s = shape
                .known_ints()
                .map_err(|e| at.err(format!("the shape {e}")))?;
            let dims = fold::reshape_dims(&t.dims, &s, allowzero).map_err(|e| at.err(e))?;
            Value::Const(Tensor { dims, data: t.data })
        }
        Value::Computed { id, rank } => {
            let Data::Int(target) = &shape.data else {
                return Err(at.err("the shape is not an integer tensor"));
            };
            let cur = b.dims(id, rank);
            let len = product(&cur).ok_or_else(|| at.err(format!("dims {cur:?} overflow")))?;
            let describe = || format!("{:?}", target);
            let Some((&first, rest)) = target.split_first() else {
                return Err(at.err("the target shape is empty"));
            };
            let first_infers = match first {
                f if f == b.batch => false,
                Int::Val(0) if !allowzero => false,
                Int::Val(-1) => true,
                _ => {
                    return Err(at.err(format!(
                        "the target shape {} does not keep the batch dimension (supported: N, 0 or -1 first)",
                        describe()
                    )));
                }
            };
            let mut out = Vec::with_capacity(rest.len());
            let mut infer = None;
            for (k, d) in rest.iter().enumerate() {
                match *d {
                    Int::Val(-1) if !first_infers && infer.is_none() => {
                        infer = Some(k);
                        out.push(1);
                    }
                    // ONNX's 0 copies the input's dim at the same position (position 0 is N).
                    Int::Val(0) if !allowzero && k < cur.len() => out.push(cur[k]),
                    Int::Val(v) if v >= 1 => out.push(usize::try_from(v).unwrap_or(usize::MAX)),
                    _ => {
                        return Err(at.err(format!(
                            "the target shape {} is not supported (one -1 at most, positive dims)",
                            describe()
                        )));
                    }
                }
            }
            let known = out
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .unwrap_or(0);
            if let Some(k) = infer {
                if known == 0 || !len.is_multiple_of(known) {
                    return Err(at.err(format!(
                        "cannot infer the -1 of {} for {len} values per sample",
                        describe()
                    )));
                }
                out[k] = len / known;
            } else if known != len {
                return Err(at.err(format!(
                    "the target shape {} does not hold one sample's {len} values (per-sample dims {cur:?})",
                    describe()
                )));
            }
            match (out.as_slice(), rank) {
                ([_], _) => flattened(b, at, id, rank)?,
                (dims, Rank::Map) if dims == cur.as_slice() => Value::Computed { id, rank },
                ([_, 1, 1], _) => {
                    let Value::Computed { id, .. } = flattened(b, at, id, rank)? else {
                        return Err(at.err("internal: flatten gave a constant"));
                    };
                    Value::Computed {
                        id,
                        rank: Rank::Map,
                    }
                }
                (dims, _) => {
                    return Err(at.err(format!(
                        "reshaping per-sample dims {cur:?} to {dims:?} is not supported; supported: a flatten to (N, -1), (N, F, 1, 1), or the same shape"
                    )));
                }
            }
        }
    };
    b.bind(at, value)
}

/// The axes of `Squeeze`/`Unsqueeze`: the input (opset 13 and later) or the attribute.
fn axes(b: &Builder, at: &At) -> Result<Option<Vec<i64>>, OnnxError> {
    match (at.ints("axes")?, b.optional_constant(at, 1)?) {
        (Some(a), None) => Ok(Some(a)),
        (None, Some(t)) => t
            .known_ints()
            .map(Some)
            .map_err(|e| at.err(format!("axes {e}"))),
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(at.err("axes given both as an attribute and as an input")),
    }
}

/// `Squeeze`: of a constant, evaluated; of a computed `N × C × 1 × 1` over axes {2, 3}, the
/// flat `N × C` (nothing to compute).
pub(crate) fn squeeze(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&["axes"])?;
    let axes = axes(b, at)?;
    let value = match b.required(at, 0)?.clone() {
        Value::Const(t) => Value::Const(fold::squeeze(&t, axes.as_deref()).map_err(|e| at.err(e))?),
        Value::Computed { id, rank } => {
            let mut a = axes
                .clone()
                .unwrap_or_default()
                .iter()
                .map(|&a| normalize_axis(a, 4))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| at.err(e))?;
            a.sort_unstable();
            let s = b.shape(id);
            if rank != Rank::Map || a != [2, 3] || s.h != 1 || s.w != 1 {
                return Err(at.attr_err(
                    "axes",
                    format!("{axes:?}"),
                    "[2, 3] on an N×C×1×1 value (or any axes of a constant)",
                ));
            }
            Value::Computed {
                id,
                rank: Rank::Flat,
            }
        }
    };
    b.bind(at, value)
}

/// `Unsqueeze` of a constant.
pub(crate) fn unsqueeze(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&["axes"])?;
    let axes = axes(b, at)?.ok_or_else(|| at.err("axes are required"))?;
    let t = b.constant(at, 0)?;
    let out = fold::unsqueeze(t, &axes).map_err(|e| at.err(e))?;
    b.bind(at, Value::Const(out))
}

/// `Shape(x, start, end)`: the batch (known, or symbolic) then the per-sample dims.
pub(crate) fn shape(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&["start", "end"])?;
    let dims: Vec<Int> = match b.required(at, 0)? {
        Value::Const(t) => t
            .dims
            .iter()
            .map(|&d| Int::Val(i64::try_from(d).unwrap_or(i64::MAX)))
            .collect(),
        Value::Computed { id, rank } => std::iter::once(b.batch)
            .chain(
                b.dims(*id, *rank)
                    .into_iter()
                    .map(|d| Int::Val(i64::try_from(d).unwrap_or(i64::MAX))),
            )
            .collect(),
    };
    let r = i64::try_from(dims.len()).unwrap_or(0);
    let bound = |v: i64| {
        usize::try_from(if v < 0 { v.saturating_add(r) } else { v }.clamp(0, r)).unwrap_or(0)
    };
    let start = bound(at.int("start")?.unwrap_or(0));
    let end = bound(at.int("end")?.unwrap_or(r));
    let picked = if start < end {
        dims[start..end].to_vec()
    } else {
        Vec::new()
    };
    b.bind(at, Value::Const(Tensor::ints(picked)))
}

/// `Gather(data, indices, axis)` on constants.
pub(crate) fn gather(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&["axis"])?;
    let axis = at.int("axis")?.unwrap_or(0);
    let out = fold::gather(b.constant(at, 0)?, b.constant(at, 1)?, axis).map_err(|e| at.err(e))?;
    b.bind(at, Value::Const(out))
}

/// `Concat(inputs, axis)` on constants.
pub(crate) fn concat(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&["axis"])?;
    let axis = at
        .int("axis")?
        .ok_or_else(|| at.err("the attribute axis is required"))?;
    let mut parts = Vec::new();
    for k in 0..at.node.input.len() {
        parts.push(b.constant(at, k)?);
    }
    let out = fold::concat(&parts, axis).map_err(|e| at.err(e))?;
    b.bind(at, Value::Const(out))
}

/// `Slice(data, starts, ends, axes, steps)` on constants.
pub(crate) fn slice(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&[])?;
    let ints = |k: usize| -> Result<Option<Vec<i64>>, OnnxError> {
        match b.optional_constant(at, k)? {
            None => Ok(None),
            Some(t) => t
                .known_ints()
                .map(Some)
                .map_err(|e| at.err(format!("input {k} {e}"))),
        }
    };
    let starts = ints(1)?.ok_or_else(|| at.err("starts are required"))?;
    let ends = ints(2)?.ok_or_else(|| at.err("ends are required"))?;
    let (axes, steps) = (ints(3)?, ints(4)?);
    let data = b.constant(at, 0)?;
    let out = fold::slice(data, &starts, &ends, axes.as_deref(), steps.as_deref())
        .map_err(|e| at.err(e))?;
    b.bind(at, Value::Const(out))
}

/// `Cast(x, to)`: constants are converted; a computed value may be cast to a float type
/// (nothing to do: the graph computes in `f64`).
pub(crate) fn cast(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&["to", "saturate"])?;
    let to = at
        .int("to")?
        .ok_or_else(|| at.err("the attribute to is required"))?;
    let code = i32::try_from(to).unwrap_or(-1);
    let value = match b.required(at, 0)?.clone() {
        Value::Computed { id, rank } if dtype::is_float(code) => Value::Computed { id, rank },
        Value::Const(t) if dtype::is_float(code) => {
            let v = t.floats().map_err(|e| at.err(format!("the input {e}")))?;
            Value::Const(Tensor {
                dims: t.dims,
                data: Data::Float(v),
            })
        }
        Value::Const(t) if dtype::is_int(code) => {
            let data = match t.data {
                Data::Int(v) if code == dtype::BOOL => Data::Int(
                    v.into_iter()
                        .map(|x| match x {
                            Int::Val(i) => Int::Val(i64::from(i != 0)),
                            Int::Batch => Int::Val(1),
                        })
                        .collect(),
                ),
                Data::Int(v) => Data::Int(v),
                Data::Float(v) => Data::Int(
                    v.into_iter()
                        .map(|x| {
                            if code == dtype::BOOL {
                                Ok(Int::Val(i64::from(x != 0.0)))
                            } else if x.is_finite() && x.abs() < 9.2e18 {
                                // Truncation toward zero, as ONNX's Cast of a float to an int.
                                Ok(Int::Val(x.trunc() as i64))
                            } else {
                                Err(at.err(format!("cannot cast {x} to an integer")))
                            }
                        })
                        .collect::<Result<_, _>>()?,
                ),
            };
            Value::Const(Tensor { dims: t.dims, data })
        }
        _ => {
            return Err(at.attr_err(
                "to",
                to.to_string(),
                format!(
                    "a float type for computed values; {} for constants",
                    dtype::SUPPORTED
                ),
            ));
        }
    };
    b.bind(at, value)
}

/// `Constant`: one of `value`, `value_float(s)`, `value_int(s)`.
pub(crate) fn constant(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&[
        "value",
        "value_float",
        "value_floats",
        "value_int",
        "value_ints",
    ])?;
    if at.node.attribute.len() != 1 {
        return Err(at.err("a Constant needs exactly one value attribute"));
    }
    let t = if let Some(t) = at.tensor("value")? {
        t
    } else if let Some(v) = at.float("value_float")? {
        Tensor {
            dims: vec![],
            data: Data::Float(vec![v]),
        }
    } else if let Some(v) = at.floats("value_floats")? {
        Tensor {
            dims: vec![v.len()],
            data: Data::Float(v),
        }
    } else if let Some(v) = at.int("value_int")? {
        Tensor {
            dims: vec![],
            data: Data::Int(vec![Int::Val(v)]),
        }
    } else if let Some(v) = at.ints("value_ints")? {
        Tensor::ints(v.into_iter().map(Int::Val).collect())
    } else {
        return Err(at.err("a Constant needs a value attribute"));
    };
    b.bind(at, Value::Const(t))
}

/// `Identity` and `Dropout` (inference: the input; a constant `training_mode` must be false).
pub(crate) fn identity(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    if at.op_type() == "Dropout" {
        at.known_attributes(&["seed"])?;
        if let Some(t) = b.optional_constant(at, 2)? {
            let on = t
                .floats()
                .map_err(|e| at.err(format!("training_mode {e}")))?;
            if on.iter().any(|&v| v != 0.0) {
                return Err(at.err("training_mode is true; only inference is supported"));
            }
        }
    } else {
        at.known_attributes(&[])?;
    }
    let v = b.required(at, 0)?.clone();
    b.bind(at, v)
}
