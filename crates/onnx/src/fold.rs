//! The import-time interpreter over constants: the shape arithmetic exporters emit
//! (`Shape`, `Gather`, `Unsqueeze`, `Squeeze`, `Concat`, `Slice`, `Cast`, `Reshape`,
//! `Flatten`) and elementwise arithmetic with broadcasting. Every function checks its
//! arguments and returns the reason when they do not fit; outputs are bounded by
//! [`MAX_CONST_ELEMENTS`].

use crate::tensor::{Data, Int, MAX_CONST_ELEMENTS, Tensor, product};

/// `axis` in `[-rank, rank)` as an index in `[0, rank)`.
pub(crate) fn normalize_axis(axis: i64, rank: usize) -> Result<usize, String> {
    let r = i64::try_from(rank).map_err(|_| "rank too large".to_string())?;
    if axis < -r || axis >= r {
        return Err(format!("axis {axis} is outside [-{r}, {r})"));
    }
    Ok(usize::try_from(if axis < 0 { axis + r } else { axis }).unwrap_or(0))
}

fn check_size(dims: &[usize]) -> Result<usize, String> {
    match product(dims) {
        Some(n) if n <= MAX_CONST_ELEMENTS => Ok(n),
        _ => Err(format!(
            "the result {dims:?} would exceed {MAX_CONST_ELEMENTS} elements"
        )),
    }
}

/// Row-major strides of `dims` (saturating: a tensor with a zero dim may have huge others,
/// and then no index is ever formed).
fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; dims.len()];
    for k in (0..dims.len().saturating_sub(1)).rev() {
        s[k] = s[k + 1].saturating_mul(dims[k + 1]);
    }
    s
}

/// The indices picked along one axis: a strided range (never materialized, so a slice of a
/// huge empty tensor costs nothing) or a list.
#[derive(Clone, Debug)]
enum Pick {
    Range {
        start: usize,
        step: isize,
        len: usize,
    },
    List(Vec<usize>),
}

impl Pick {
    fn len(&self) -> usize {
        match self {
            Pick::Range { len, .. } => *len,
            Pick::List(v) => v.len(),
        }
    }

    /// The `i`-th index (`i < len`; a range's indices stay within its axis).
    fn at(&self, i: usize) -> usize {
        match self {
            Pick::Range { start, step, .. } => {
                start.wrapping_add_signed(step.wrapping_mul(i as isize))
            }
            Pick::List(v) => v[i],
        }
    }
}

/// The elements whose index along axis `k` is `picks[k].at(i)` (a cartesian product), with
/// dims `picks[k].len()`.
fn select(t: &Tensor, picks: &[Pick]) -> Result<Tensor, String> {
    let dims: Vec<usize> = picks.iter().map(Pick::len).collect();
    let n = check_size(&dims)?;
    let st = strides(&t.dims);
    let mut flat = Vec::with_capacity(n);
    if n > 0 {
        let mut idx = vec![0usize; dims.len()];
        'outer: loop {
            flat.push(
                idx.iter()
                    .zip(picks)
                    .zip(&st)
                    .map(|((&i, p), &s)| p.at(i) * s)
                    .sum(),
            );
            for k in (0..dims.len()).rev() {
                idx[k] += 1;
                if idx[k] < dims[k] {
                    continue 'outer;
                }
                idx[k] = 0;
            }
            break;
        }
    }
    Ok(Tensor {
        dims,
        data: t.data.take(&flat),
    })
}

fn all(dims: &[usize]) -> Vec<Pick> {
    dims.iter()
        .map(|&d| Pick::Range {
            start: 0,
            step: 1,
            len: d,
        })
        .collect()
}

/// ONNX `Gather(data, indices, axis)`.
pub(crate) fn gather(data: &Tensor, indices: &Tensor, axis: i64) -> Result<Tensor, String> {
    let axis = normalize_axis(axis, data.dims.len())?;
    let size = data.dims[axis];
    let s = i64::try_from(size).map_err(|_| "dim too large".to_string())?;
    let idx = indices
        .known_ints()
        .map_err(|e| format!("the indices {e}"))?
        .into_iter()
        .map(|i| {
            if i < -s || i >= s {
                Err(format!("index {i} is outside [-{s}, {s}) on axis {axis}"))
            } else {
                Ok(usize::try_from(if i < 0 { i + s } else { i }).unwrap_or(0))
            }
        })
        .collect::<Result<Vec<usize>, _>>()?;
    let mut picks = all(&data.dims);
    picks[axis] = Pick::List(idx);
    let mut out = select(data, &picks)?;
    let mut dims = data.dims[..axis].to_vec();
    dims.extend_from_slice(&indices.dims);
    dims.extend_from_slice(&data.dims[axis + 1..]);
    out.dims = dims;
    Ok(out)
}

/// ONNX `Slice(data, starts, ends, axes, steps)` (opset 10 and later).
pub(crate) fn slice(
    data: &Tensor,
    starts: &[i64],
    ends: &[i64],
    axes: Option<&[i64]>,
    steps: Option<&[i64]>,
) -> Result<Tensor, String> {
    let rank = data.dims.len();
    if starts.len() != ends.len()
        || axes.is_some_and(|a| a.len() != starts.len())
        || steps.is_some_and(|s| s.len() != starts.len())
    {
        return Err("starts, ends, axes and steps must have the same length".into());
    }
    let mut picks = all(&data.dims);
    let mut seen = vec![false; rank];
    for k in 0..starts.len() {
        let axis = match axes {
            Some(a) => normalize_axis(a[k], rank)?,
            None if k < rank => k,
            None => return Err(format!("{} starts for rank {rank}", starts.len())),
        };
        if std::mem::replace(&mut seen[axis], true) {
            return Err(format!("axis {axis} is sliced twice"));
        }
        let step = steps.map_or(1, |s| s[k]);
        if step == 0 {
            return Err("a step of 0".into());
        }
        // In i128, so that no step or bound overflows.
        let d = i128::try_from(data.dims[axis]).map_err(|_| "dim too large".to_string())?;
        let (step, mut start, mut end) =
            (i128::from(step), i128::from(starts[k]), i128::from(ends[k]));
        if start < 0 {
            start += d;
        }
        if end < 0 {
            end += d;
        }
        let (first, len) = if step > 0 {
            let (s, e) = (start.clamp(0, d), end.clamp(0, d));
            (s, if e > s { (e - s + step - 1) / step } else { 0 })
        } else {
            let (s, e) = (start.clamp(0, d - 1), end.clamp(-1, d - 1));
            (
                s,
                if s > e {
                    (s - e - step - 1) / (-step)
                } else {
                    0
                },
            )
        };
        picks[axis] = Pick::Range {
            start: usize::try_from(first.max(0)).map_err(|_| "start too large".to_string())?,
            step: isize::try_from(step).map_err(|_| format!("step {step} too large"))?,
            len: usize::try_from(len).map_err(|_| "slice too long".to_string())?,
        };
    }
    select(data, &picks)
}

/// ONNX `Concat(inputs, axis)`.
pub(crate) fn concat(inputs: &[&Tensor], axis: i64) -> Result<Tensor, String> {
    let first = inputs.first().ok_or("no inputs")?;
    let rank = first.dims.len();
    let axis = normalize_axis(axis, rank)?;
    let mut dims = first.dims.clone();
    dims[axis] = 0;
    for t in inputs {
        let same_kind = matches!(
            (&t.data, &first.data),
            (Data::Float(_), Data::Float(_)) | (Data::Int(_), Data::Int(_))
        );
        if !same_kind {
            return Err("inputs mix float and integer tensors".into());
        }
        if t.dims.len() != rank
            || t.dims
                .iter()
                .zip(&first.dims)
                .enumerate()
                .any(|(k, (a, b))| k != axis && a != b)
        {
            return Err(format!(
                "inputs of dims {:?} and {:?} do not concatenate on axis {axis}",
                first.dims, t.dims
            ));
        }
        dims[axis] = dims[axis].saturating_add(t.dims[axis]);
    }
    if check_size(&dims)? == 0 {
        let data = match first.data {
            Data::Float(_) => Data::Float(Vec::new()),
            Data::Int(_) => Data::Int(Vec::new()),
        };
        return Ok(Tensor { dims, data });
    }
    // Every dim is at least 1 here, so these products are at most the output's size.
    let outer: usize = first.dims[..axis].iter().product();
    let mut floats = Vec::new();
    let mut ints = Vec::new();
    for o in 0..outer {
        for t in inputs {
            let chunk: usize = t.dims[axis..].iter().product();
            match &t.data {
                Data::Float(v) => floats.extend_from_slice(&v[o * chunk..(o + 1) * chunk]),
                Data::Int(v) => ints.extend_from_slice(&v[o * chunk..(o + 1) * chunk]),
            }
        }
    }
    let data = match first.data {
        Data::Float(_) => Data::Float(floats),
        Data::Int(_) => Data::Int(ints),
    };
    Ok(Tensor { dims, data })
}

/// ONNX `Unsqueeze(data, axes)`.
pub(crate) fn unsqueeze(data: &Tensor, axes: &[i64]) -> Result<Tensor, String> {
    let rank = data.dims.len() + axes.len();
    let mut ones = vec![false; rank];
    for &a in axes {
        let a = normalize_axis(a, rank)?;
        if std::mem::replace(&mut ones[a], true) {
            return Err(format!("axis {a} appears twice"));
        }
    }
    let mut rest = data.dims.iter();
    let dims = ones
        .iter()
        .map(|&one| {
            if one {
                1
            } else {
                rest.next().copied().unwrap_or(1)
            }
        })
        .collect();
    Ok(Tensor {
        dims,
        data: data.data.clone(),
    })
}

/// ONNX `Squeeze(data, axes)`; no axes removes every dim of size 1.
pub(crate) fn squeeze(data: &Tensor, axes: Option<&[i64]>) -> Result<Tensor, String> {
    let rank = data.dims.len();
    let mut drop = vec![false; rank];
    match axes {
        Some(axes) => {
            for &a in axes {
                let a = normalize_axis(a, rank)?;
                if data.dims[a] != 1 {
                    return Err(format!("axis {a} has size {}, not 1", data.dims[a]));
                }
                drop[a] = true;
            }
        }
        None => {
            for (k, &d) in data.dims.iter().enumerate() {
                drop[k] = d == 1;
            }
        }
    }
    let dims = data
        .dims
        .iter()
        .zip(&drop)
        .filter(|(_, d)| !**d)
        .map(|(&x, _)| x)
        .collect();
    Ok(Tensor {
        dims,
        data: data.data.clone(),
    })
}

/// The dims of ONNX `Reshape(data, shape, allowzero)` on a constant of dims `dims`.
pub(crate) fn reshape_dims(
    dims: &[usize],
    shape: &[i64],
    allowzero: bool,
) -> Result<Vec<usize>, String> {
    let n = product(dims).ok_or("dims overflow")?;
    let mut out = Vec::with_capacity(shape.len());
    let mut infer = None;
    for (k, &s) in shape.iter().enumerate() {
        match s {
            -1 => {
                if infer.replace(k).is_some() {
                    return Err("more than one -1 in the shape".into());
                }
                out.push(1);
            }
            0 if !allowzero => out.push(*dims.get(k).ok_or(format!(
                "0 at position {k} copies a dim the input (rank {}) does not have",
                dims.len()
            ))?),
            s if s >= 0 => out.push(usize::try_from(s).map_err(|_| "dim too large".to_string())?),
            s => return Err(format!("dim {s} in the shape")),
        }
    }
    let known = product(&out).ok_or("shape overflows")?;
    if let Some(k) = infer {
        if known == 0 || n % known != 0 {
            return Err(format!("cannot infer the -1 in {shape:?} for {n} elements"));
        }
        out[k] = n / known;
    } else if known != n {
        return Err(format!(
            "shape {shape:?} holds {known} elements, the input {n}"
        ));
    }
    Ok(out)
}

/// An elementwise binary operation on constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

/// Numpy-style broadcast dims of `a` and `b`.
pub(crate) fn broadcast_dims(a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    let rank = a.len().max(b.len());
    let get = |d: &[usize], k: usize| {
        let off = rank - d.len();
        if k < off { 1 } else { d[k - off] }
    };
    (0..rank)
        .map(|k| match (get(a, k), get(b, k)) {
            (x, y) if x == y => Ok(x),
            (1, y) => Ok(y),
            (x, 1) => Ok(x),
            _ => Err(format!("dims {a:?} and {b:?} do not broadcast")),
        })
        .collect()
}

/// `a op b` with broadcasting.
pub(crate) fn arith(op: Arith, a: &Tensor, b: &Tensor) -> Result<Tensor, String> {
    let dims = broadcast_dims(&a.dims, &b.dims)?;
    let n = check_size(&dims)?;
    let index_of = |t: &Tensor| {
        let rank = dims.len();
        let off = rank - t.dims.len();
        let st = strides(&t.dims);
        let ost = strides(&dims);
        (0..n)
            .map(|i| {
                (off..rank)
                    .map(|k| {
                        let coord = (i / ost[k]) % dims[k];
                        if t.dims[k - off] == 1 {
                            0
                        } else {
                            coord * st[k - off]
                        }
                    })
                    .sum::<usize>()
            })
            .collect::<Vec<usize>>()
    };
    let (ia, ib) = (index_of(a), index_of(b));
    let data = match (&a.data, &b.data) {
        (Data::Float(x), Data::Float(y)) => Data::Float(
            ia.iter()
                .zip(&ib)
                .map(|(&i, &j)| match op {
                    Arith::Add => x[i] + y[j],
                    Arith::Sub => x[i] - y[j],
                    Arith::Mul => x[i] * y[j],
                    Arith::Div => x[i] / y[j],
                })
                .collect(),
        ),
        (Data::Int(x), Data::Int(y)) => Data::Int(
            ia.iter()
                .zip(&ib)
                .map(|(&i, &j)| match (x[i], y[j]) {
                    (Int::Val(p), Int::Val(q)) => match op {
                        Arith::Add => p.checked_add(q),
                        Arith::Sub => p.checked_sub(q),
                        Arith::Mul => p.checked_mul(q),
                        Arith::Div => p.checked_div(q),
                    }
                    .map(Int::Val)
                    .ok_or_else(|| format!("{op:?} of {p} and {q} overflows or divides by zero")),
                    _ => Err("arithmetic on the symbolic batch size is not supported".into()),
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => return Err("mixes float and integer tensors".into()),
    };
    Ok(Tensor { dims, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(dims: Vec<usize>, v: &[i64]) -> Tensor {
        Tensor {
            dims,
            data: Data::Int(v.iter().map(|&x| Int::Val(x)).collect()),
        }
    }

    #[test]
    fn gather_slice_concat() {
        let t = ints(vec![2, 3], &[0, 1, 2, 3, 4, 5]);
        assert_eq!(
            gather(&t, &ints(vec![], &[1]), 0).unwrap(),
            ints(vec![3], &[3, 4, 5])
        );
        assert_eq!(
            gather(&t, &ints(vec![2], &[-1, 0]), 1).unwrap(),
            ints(vec![2, 2], &[2, 0, 5, 3])
        );
        assert!(gather(&t, &ints(vec![], &[2]), 0).is_err());
        assert_eq!(
            slice(&t, &[1], &[i64::MAX], Some(&[1]), None).unwrap(),
            ints(vec![2, 2], &[1, 2, 4, 5])
        );
        assert_eq!(
            slice(&t, &[-1], &[i64::MIN], Some(&[1]), Some(&[-1])).unwrap(),
            ints(vec![2, 3], &[2, 1, 0, 5, 4, 3])
        );
        let a = ints(vec![1], &[7]);
        assert!(concat(&[&a, &t], 0).unwrap_err().contains("concatenate"));
        assert_eq!(
            concat(&[&a, &ints(vec![2], &[8, 9])], 0).unwrap(),
            ints(vec![3], &[7, 8, 9])
        );
    }

    #[test]
    fn huge_empty_tensors_cost_nothing() {
        let empty = Tensor {
            dims: vec![0, 1 << 40, 1 << 40],
            data: Data::Float(Vec::new()),
        };
        let s = slice(&empty, &[0], &[i64::MAX], Some(&[2]), Some(&[1])).unwrap();
        assert_eq!(s.len(), 0);
        let s = slice(
            &empty,
            &[i64::MAX],
            &[i64::MIN],
            Some(&[1]),
            Some(&[i64::MIN]),
        )
        .unwrap();
        assert_eq!(s.dims, vec![0, 1, 1 << 40]);
        let e2 = Tensor {
            dims: vec![1 << 40, 0, 1 << 40],
            data: Data::Int(Vec::new()),
        };
        assert_eq!(concat(&[&e2, &e2], 1).unwrap().len(), 0);
        assert!(gather(&e2, &ints(vec![1], &[0]), 1).is_err());
    }

    #[test]
    fn squeeze_unsqueeze_reshape() {
        let s = ints(vec![], &[4]);
        let u = unsqueeze(&s, &[0]).unwrap();
        assert_eq!(u.dims, vec![1]);
        assert_eq!(squeeze(&u, None).unwrap().dims, Vec::<usize>::new());
        assert_eq!(
            reshape_dims(&[2, 3, 4], &[0, -1], false).unwrap(),
            vec![2, 12]
        );
        assert!(reshape_dims(&[2, 3], &[4, -1], false).is_err());
    }

    #[test]
    fn broadcasting_arithmetic() {
        let a = Tensor {
            dims: vec![2, 1],
            data: Data::Float(vec![1.0, 2.0]),
        };
        let b = Tensor {
            dims: vec![3],
            data: Data::Float(vec![10.0, 20.0, 30.0]),
        };
        let c = arith(Arith::Add, &a, &b).unwrap();
        assert_eq!(c.dims, vec![2, 3]);
        assert_eq!(
            c.data,
            Data::Float(vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0])
        );
        assert!(arith(Arith::Div, &ints(vec![1], &[1]), &ints(vec![1], &[0])).is_err());
    }
}
