//! Constant tensors: initializers and `Constant` nodes decoded to `f64` or to integers, where
//! an integer may be the symbolic batch size (what `Shape` of a computed value gives).

use crate::error::OnnxError;
use crate::proto::onnx::TensorProto;

/// The largest constant the import-time interpreter makes (elements), so that a small file
/// cannot ask for a huge allocation through `Gather`, `Concat` or broadcasting.
pub(crate) const MAX_CONST_ELEMENTS: usize = 1 << 24;

/// One element of an integer tensor: a known value, or the batch size `N` when the file
/// leaves it symbolic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Int {
    /// A known value.
    Val(i64),
    /// The symbolic batch size.
    Batch,
}

/// The elements of a constant, row-major.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Data {
    /// Floating-point elements (float32, float64, float16, bfloat16), widened to `f64`.
    Float(Vec<f64>),
    /// Integer elements (int64, int32, int16, int8, uint*, bool).
    Int(Vec<Int>),
}

impl Data {
    pub(crate) fn len(&self) -> usize {
        match self {
            Data::Float(v) => v.len(),
            Data::Int(v) => v.len(),
        }
    }

    /// The elements at `indices`, in order.
    pub(crate) fn take(&self, indices: &[usize]) -> Data {
        match self {
            Data::Float(v) => Data::Float(indices.iter().map(|&i| v[i]).collect()),
            Data::Int(v) => Data::Int(indices.iter().map(|&i| v[i]).collect()),
        }
    }
}

/// A constant tensor: dims and row-major data (`data.len()` is the product of `dims`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Tensor {
    pub(crate) dims: Vec<usize>,
    pub(crate) data: Data,
}

impl Tensor {
    /// A 1-D integer tensor.
    pub(crate) fn ints(values: Vec<Int>) -> Self {
        Tensor {
            dims: vec![values.len()],
            data: Data::Int(values),
        }
    }

    /// The number of elements.
    pub(crate) fn len(&self) -> usize {
        self.data.len()
    }

    /// The elements as `f64`, or why not (integers are converted; the batch size is not a
    /// number).
    pub(crate) fn floats(&self) -> Result<Vec<f64>, String> {
        match &self.data {
            Data::Float(v) => Ok(v.clone()),
            Data::Int(v) => v
                .iter()
                .map(|x| match x {
                    // Shape arithmetic values are small; the cast is exact below 2^53.
                    Int::Val(i) => Ok(*i as f64),
                    Int::Batch => Err("holds the symbolic batch size, not a number".to_string()),
                })
                .collect(),
        }
    }

    /// The elements as known integers, or why not.
    pub(crate) fn known_ints(&self) -> Result<Vec<i64>, String> {
        match &self.data {
            Data::Float(_) => Err("is a float tensor; an integer tensor is expected".into()),
            Data::Int(v) => v
                .iter()
                .map(|x| match x {
                    Int::Val(i) => Ok(*i),
                    Int::Batch => Err("depends on the symbolic batch size".to_string()),
                })
                .collect(),
        }
    }

    /// The single element of a one-element tensor, as `f64`.
    pub(crate) fn scalar(&self) -> Result<f64, String> {
        if self.len() != 1 {
            return Err(format!(
                "has {} elements (dims {:?}); one is expected",
                self.len(),
                self.dims
            ));
        }
        Ok(self.floats()?[0])
    }
}

/// The product of `dims`, or `None` on overflow.
pub(crate) fn product(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// ONNX `TensorProto.DataType` codes.
pub(crate) mod dtype {
    pub(crate) const FLOAT: i32 = 1;
    pub(crate) const UINT8: i32 = 2;
    pub(crate) const INT8: i32 = 3;
    pub(crate) const UINT16: i32 = 4;
    pub(crate) const INT16: i32 = 5;
    pub(crate) const INT32: i32 = 6;
    pub(crate) const INT64: i32 = 7;
    pub(crate) const BOOL: i32 = 9;
    pub(crate) const FLOAT16: i32 = 10;
    pub(crate) const DOUBLE: i32 = 11;
    pub(crate) const UINT32: i32 = 12;
    pub(crate) const UINT64: i32 = 13;
    pub(crate) const BFLOAT16: i32 = 16;

    /// Whether `code` is a floating-point type the importer reads.
    pub(crate) fn is_float(code: i32) -> bool {
        matches!(code, FLOAT | FLOAT16 | DOUBLE | BFLOAT16)
    }

    /// Whether `code` is an integer (or bool) type the importer reads.
    pub(crate) fn is_int(code: i32) -> bool {
        matches!(
            code,
            UINT8 | INT8 | UINT16 | INT16 | INT32 | INT64 | BOOL | UINT32 | UINT64
        )
    }

    pub(crate) const SUPPORTED: &str = "float, double, float16, bfloat16, int64, int32, int16, int8, uint64, uint32, uint16, uint8, bool";
}

/// IEEE half precision to `f64` (exact).
pub(crate) fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f64::from(h & 0x3ff);
    match exp {
        0 => sign * frac * (-24f64).exp2(),
        31 if frac == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        e => sign * (1.0 + frac / 1024.0) * f64::from(e - 15).exp2(),
    }
}

/// bfloat16 to `f64` (exact).
pub(crate) fn bf16_to_f64(h: u16) -> f64 {
    f64::from(f32::from_bits(u32::from(h) << 16))
}

/// Decodes an initializer or a `Constant`'s tensor.
///
/// # Errors
/// [`OnnxError::ExternalData`] for data in a file; [`OnnxError::Tensor`] for negative or
/// overflowing dims, an unsupported data type, segments, or data whose length does not match
/// the dims.
pub(crate) fn decode_tensor(t: &TensorProto, fallback_name: &str) -> Result<Tensor, OnnxError> {
    let name = t.name.clone().unwrap_or_else(|| fallback_name.to_string());
    let err = |reason: String| OnnxError::Tensor {
        tensor: name.clone(),
        reason,
    };
    if t.data_location == Some(1) || !t.external_data.is_empty() {
        return Err(OnnxError::ExternalData {
            tensor: name.clone(),
        });
    }
    if t.segment.is_some() {
        return Err(err("is segmented; only whole tensors are supported".into()));
    }
    let dims = t
        .dims
        .iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| err(format!("has a negative dim in {:?}", t.dims)))
        })
        .collect::<Result<Vec<usize>, _>>()?;
    let n = product(&dims).ok_or_else(|| err(format!("dims {dims:?} overflow")))?;
    let code = t.data_type.unwrap_or(0);
    let mismatch = |found: usize, field: &str| {
        err(format!(
            "dims {dims:?} need {n} elements but `{field}` holds {found}"
        ))
    };
    let raw = t.raw_data.as_deref();
    let data = match code {
        dtype::FLOAT | dtype::DOUBLE | dtype::FLOAT16 | dtype::BFLOAT16 => {
            let values: Vec<f64> = if let Some(raw) = raw {
                let size = match code {
                    dtype::FLOAT => 4,
                    dtype::DOUBLE => 8,
                    _ => 2,
                };
                if raw.len() != n.saturating_mul(size) {
                    return Err(mismatch(raw.len() / size, "raw_data"));
                }
                raw.chunks_exact(size)
                    .map(|c| match code {
                        dtype::FLOAT => f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                        dtype::DOUBLE => {
                            f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
                        }
                        dtype::FLOAT16 => f16_to_f64(u16::from_le_bytes([c[0], c[1]])),
                        _ => bf16_to_f64(u16::from_le_bytes([c[0], c[1]])),
                    })
                    .collect()
            } else {
                match code {
                    dtype::FLOAT => {
                        if t.float_data.len() != n {
                            return Err(mismatch(t.float_data.len(), "float_data"));
                        }
                        t.float_data.iter().map(|&v| f64::from(v)).collect()
                    }
                    dtype::DOUBLE => {
                        if t.double_data.len() != n {
                            return Err(mismatch(t.double_data.len(), "double_data"));
                        }
                        t.double_data.clone()
                    }
                    _ => {
                        if t.int32_data.len() != n {
                            return Err(mismatch(t.int32_data.len(), "int32_data"));
                        }
                        t.int32_data
                            .iter()
                            .map(|&v| {
                                // The 16 bits are stored in the low half of an int32.
                                let bits = (v & 0xffff) as u16;
                                if code == dtype::FLOAT16 {
                                    f16_to_f64(bits)
                                } else {
                                    bf16_to_f64(bits)
                                }
                            })
                            .collect()
                    }
                }
            };
            Data::Float(values)
        }
        c if dtype::is_int(c) => {
            let values: Vec<i64> = if let Some(raw) = raw {
                let size = match c {
                    dtype::INT64 | dtype::UINT64 => 8,
                    dtype::INT32 | dtype::UINT32 => 4,
                    dtype::INT16 | dtype::UINT16 => 2,
                    _ => 1,
                };
                if raw.len() != n.saturating_mul(size) {
                    return Err(mismatch(raw.len() / size, "raw_data"));
                }
                let mut out = Vec::with_capacity(n);
                for ch in raw.chunks_exact(size) {
                    let v = match c {
                        dtype::INT64 => i64::from_le_bytes([
                            ch[0], ch[1], ch[2], ch[3], ch[4], ch[5], ch[6], ch[7],
                        ]),
                        dtype::UINT64 => {
                            let u = u64::from_le_bytes([
                                ch[0], ch[1], ch[2], ch[3], ch[4], ch[5], ch[6], ch[7],
                            ]);
                            i64::try_from(u)
                                .map_err(|_| err(format!("uint64 value {u} exceeds int64")))?
                        }
                        dtype::INT32 => i64::from(i32::from_le_bytes([ch[0], ch[1], ch[2], ch[3]])),
                        dtype::UINT32 => {
                            i64::from(u32::from_le_bytes([ch[0], ch[1], ch[2], ch[3]]))
                        }
                        dtype::INT16 => i64::from(i16::from_le_bytes([ch[0], ch[1]])),
                        dtype::UINT16 => i64::from(u16::from_le_bytes([ch[0], ch[1]])),
                        dtype::INT8 => i64::from(ch[0] as i8),
                        _ => i64::from(ch[0]),
                    };
                    out.push(v);
                }
                out
            } else {
                match c {
                    dtype::INT64 => {
                        if t.int64_data.len() != n {
                            return Err(mismatch(t.int64_data.len(), "int64_data"));
                        }
                        t.int64_data.clone()
                    }
                    dtype::UINT32 | dtype::UINT64 => {
                        if t.uint64_data.len() != n {
                            return Err(mismatch(t.uint64_data.len(), "uint64_data"));
                        }
                        t.uint64_data
                            .iter()
                            .map(|&u| {
                                i64::try_from(u)
                                    .map_err(|_| err(format!("uint64 value {u} exceeds int64")))
                            })
                            .collect::<Result<_, _>>()?
                    }
                    _ => {
                        if t.int32_data.len() != n {
                            return Err(mismatch(t.int32_data.len(), "int32_data"));
                        }
                        t.int32_data.iter().map(|&v| i64::from(v)).collect()
                    }
                }
            };
            Data::Int(values.into_iter().map(Int::Val).collect())
        }
        other => {
            return Err(err(format!(
                "has data type {other}; supported: {}",
                dtype::SUPPORTED
            )));
        }
    };
    Ok(Tensor { dims, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_values() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(f16_to_f64(0x7bff), 65504.0);
        assert!(f16_to_f64(0x7c00).is_infinite());
        assert!(f16_to_f64(0x7e00).is_nan());
        assert_eq!(bf16_to_f64(0x3f80), 1.0);
    }

    #[test]
    fn typed_and_raw_fields() {
        let t = TensorProto {
            dims: vec![2],
            data_type: Some(dtype::FLOAT),
            float_data: vec![1.5, -2.0],
            ..Default::default()
        };
        assert_eq!(
            decode_tensor(&t, "t").unwrap().data,
            Data::Float(vec![1.5, -2.0])
        );
        let t = TensorProto {
            dims: vec![2],
            data_type: Some(dtype::INT64),
            raw_data: Some([7i64.to_le_bytes(), (-1i64).to_le_bytes()].concat()),
            ..Default::default()
        };
        assert_eq!(
            decode_tensor(&t, "t").unwrap().data,
            Data::Int(vec![Int::Val(7), Int::Val(-1)])
        );
        let short = TensorProto {
            dims: vec![3],
            data_type: Some(dtype::DOUBLE),
            raw_data: Some(vec![0; 16]),
            ..Default::default()
        };
        assert!(matches!(
            decode_tensor(&short, "t"),
            Err(OnnxError::Tensor { .. })
        ));
        let huge = TensorProto {
            dims: vec![1 << 40, 1 << 40],
            data_type: Some(dtype::FLOAT),
            ..Default::default()
        };
        assert!(matches!(
            decode_tensor(&huge, "t"),
            Err(OnnxError::Tensor { .. })
        ));
    }
}
