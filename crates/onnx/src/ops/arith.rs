//! `Add`, `Sub`, `Mul`, `Div`: of two constants, evaluated; of two computed values, `Add`
//! (a residual connection) and `Sub`; of a computed value and a constant per-channel tensor,
//! [`Op::Scale`].

use logprune_network::Op;

use crate::attr::At;
use crate::builder::{Builder, Origin, Value};
use crate::error::OnnxError;
use crate::fold::{Arith, arith};
use crate::tensor::Tensor;

/// The per-channel values of a constant `c` that broadcasts against a computed value of
/// per-sample dims `dims` (`[F]` or `[C, H, W]`) along the channel axis only: dims such as
/// `[1, C, 1, 1]`, `[C, 1, 1]`, `[F]`, `[1, F]`, or a single value.
pub(crate) fn per_channel(c: &Tensor, dims: &[usize]) -> Result<Vec<f64>, String> {
    let full = dims.len() + 1;
    let channels = dims[0];
    if c.dims.len() > full {
        return Err(format!(
            "the constant has dims {:?}, more than the value's rank {full}",
            c.dims
        ));
    }
    let off = full - c.dims.len();
    let mut along = false;
    for (k, &d) in c.dims.iter().enumerate() {
        let axis = off + k;
        if axis == 1 && d == channels {
            along = d != 1;
        } else if d != 1 {
            return Err(format!(
                "the constant of dims {:?} does not broadcast per channel against N×{dims:?} (supported: one value per channel, e.g. [1, {channels}, 1, 1] or [{channels}, 1, 1], or a single value)",
                c.dims
            ));
        }
    }
    let v = c.floats()?;
    if v.is_empty() {
        return Err("the constant is empty".into());
    }
    Ok(if along { v } else { vec![v[0]; channels] })
}

pub(crate) fn binary(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&[])?;
    let op = match at.op_type() {
        "Add" => Arith::Add,
        "Sub" => Arith::Sub,
        "Mul" => Arith::Mul,
        _ => Arith::Div,
    };
    let lhs = b.required(at, 0)?.clone();
    let rhs = b.required(at, 1)?.clone();
    match (lhs, rhs) {
        (Value::Const(x), Value::Const(y)) => {
            let t = arith(op, &x, &y).map_err(|e| at.err(e))?;
            b.bind(at, Value::Const(t))
        }
        (Value::Computed { id: x, rank: rx }, Value::Computed { id: y, rank: ry }) => {
            if rx != ry {
                return Err(at.err(format!(
                    "the operands are N×{:?} and N×{:?}; two computed values must have the same shape",
                    b.dims(x, rx),
                    b.dims(y, ry)
                )));
            }
            let y = match op {
                Arith::Add => y,
                Arith::Sub => {
                    let channels = b.shape(y).c;
                    let neg = Op::Scale {
                        scale: vec![-1.0; channels],
                        shift: None,
                    };
                    b.push(at, neg, vec![y], Origin::Fixed)?
                }
                _ => {
                    return Err(at.err(format!(
                        "{} of two computed values is not supported; supported: Add or Sub of two computed values of the same shape, Mul or Div by a constant",
                        at.op_type()
                    )));
                }
            };
            let id = b.push(at, Op::Add, vec![x, y], Origin::Fixed)?;
            b.bind(at, Value::Computed { id, rank: rx })
        }
        (Value::Computed { id, rank }, Value::Const(c))
        | (Value::Const(c), Value::Computed { id, rank }) => {
            let const_first = matches!(b.required(at, 0)?, Value::Const(_));
            let v = per_channel(&c, &b.dims(id, rank)).map_err(|e| at.err(e))?;
            let n = v.len();
            let (scale, shift, origin) = match (op, const_first) {
                (Arith::Add, _) => (vec![1.0; n], Some(v), Origin::Foldable),
                (Arith::Sub, false) => (
                    vec![1.0; n],
                    Some(v.iter().map(|x| -x).collect()),
                    Origin::Foldable,
                ),
                (Arith::Sub, true) => (vec![-1.0; n], Some(v), Origin::Fixed),
                (Arith::Mul, _) => (v, None, Origin::Fixed),
                (Arith::Div, false) => {
                    if v.contains(&0.0) {
                        return Err(at.err("division by a constant holding 0"));
                    }
                    (v.iter().map(|x| 1.0 / x).collect(), None, Origin::Fixed)
                }
                (Arith::Div, true) => {
                    return Err(at.err(
                        "a constant divided by a computed value is not supported; supported: a computed value divided by a constant",
                    ));
                }
            };
            let id = b.push(at, Op::Scale { scale, shift }, vec![id], origin)?;
            b.bind(at, Value::Computed { id, rank })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Data;

    fn t(dims: Vec<usize>, v: Vec<f64>) -> Tensor {
        Tensor {
            dims,
            data: Data::Float(v),
        }
    }

    #[test]
    fn per_channel_shapes() {
        let dims = [3, 4, 4];
        assert_eq!(
            per_channel(&t(vec![1, 3, 1, 1], vec![1.0, 2.0, 3.0]), &dims).unwrap(),
            vec![1.0, 2.0, 3.0]
        );
        assert_eq!(
            per_channel(&t(vec![3, 1, 1], vec![1.0, 2.0, 3.0]), &dims).unwrap(),
            vec![1.0, 2.0, 3.0]
        );
        assert_eq!(
            per_channel(&t(vec![], vec![2.0]), &dims).unwrap(),
            vec![2.0; 3]
        );
        assert!(per_channel(&t(vec![3], vec![1.0, 2.0, 3.0]), &dims).is_err());
        assert!(per_channel(&t(vec![1, 3, 4, 1], vec![0.0; 12]), &dims).is_err());
        assert_eq!(
            per_channel(&t(vec![1, 2], vec![1.0, 2.0]), &[2]).unwrap(),
            vec![1.0, 2.0]
        );
        assert!(per_channel(&t(vec![2, 2], vec![1.0; 4]), &[2]).is_err());
    }
}
