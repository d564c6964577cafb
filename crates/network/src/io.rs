//! safetensors import and export in the PyTorch `nn.Sequential` convention,
//! and a general reader/writer of named tensors (F64 matrices, U8 masks).
//!
//! # Convention
//!
//! `safetensors.torch.save_file(model.state_dict(), path)` on
//! `nn.Sequential(nn.Linear(n0, n1), nn.ReLU(), nn.Linear(n1, n2), ...)` writes
//! tensors `0.weight` of shape `(n1, n0)`, `0.bias` of shape `(n1,)`,
//! `2.weight`, `2.bias`, ... (the activations hold no tensors, hence the gaps),
//! little-endian, row-major (C order), usually F32. `Linear.weight` is
//! `(out, in)`, exactly the paper's `W_i` (`n_i × n_{i-1}`, row `j` = incoming
//! weights of neuron `j`), so no transpose is involved; only the storage
//! order changes (faer is column-major).
//!
//! Layers are ordered by the numbers in their names, compared numerically
//! (`0.weight < 2.weight < 10.weight`; nested names such as `net.0.weight`
//! order by their numeric components), see [`compare_tensor_names`].

use core::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use faer::{Mat, MatRef};
use safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, TensorView};

use crate::{Activation, Layer, Network, NetworkError};

/// Errors of reading and writing safetensors.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SafetensorsError {
    /// The byte buffer is empty.
    #[error("the safetensors file is empty (0 bytes)")]
    Empty,
    /// The bytes are not a valid safetensors file (bad header length, JSON,
    /// offsets, ...).
    #[error("not a valid safetensors file: {message}")]
    Format {
        /// The parser's message.
        message: String,
    },
    /// The header names a dtype that the safetensors format does not know.
    #[error("unknown dtype in the safetensors header: {message}")]
    UnknownDtype {
        /// The parser's message (names the dtype).
        message: String,
    },
    /// A tensor has a dtype that is valid but not supported here.
    #[error(
        "tensor `{tensor}` has dtype {dtype}; supported: F64, F32, F16, BF16 (and U8, BOOL for masks)"
    )]
    UnsupportedDtype {
        /// Tensor name.
        tensor: String,
        /// Its dtype.
        dtype: String,
    },
    /// A weight tensor is not 2-D.
    #[error("tensor `{tensor}` has shape {shape:?}; a weight must be 2-D (out, in)")]
    NotTwoD {
        /// Tensor name.
        tensor: String,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// A weight tensor, or a tensor asked for as a matrix
    /// ([`NamedTensor::to_mat`]), has a zero dimension.
    #[error("tensor `{tensor}` has shape {shape:?}; every dimension must be at least 1")]
    EmptyTensor {
        /// Tensor name.
        tensor: String,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// A bias is not 1-D of the layer's output width.
    #[error("tensor `{tensor}` has shape {shape:?}; expected a bias of shape [{expected}]")]
    BiasShape {
        /// Tensor name.
        tensor: String,
        /// Its shape.
        shape: Vec<usize>,
        /// The output width of its layer.
        expected: usize,
    },
    /// A bias whose layer has no weight.
    #[error("tensor `{tensor}` is a bias without a matching weight `{weight}`")]
    BiasWithoutWeight {
        /// The bias tensor name.
        tensor: String,
        /// The weight name that was looked for.
        weight: String,
    },
    /// A tensor that is neither `<name>.weight` nor `<name>.bias`.
    #[error(
        "tensor `{tensor}` is neither `<name>.weight` nor `<name>.bias`; only nn.Sequential of Linear layers and activations is supported"
    )]
    UnexpectedTensor {
        /// Tensor name.
        tensor: String,
    },
    /// A file without any weight.
    #[error("the file holds no `<name>.weight` tensor, so no layers")]
    NoLayers,
    /// A NaN or infinite value.
    #[error("tensor `{tensor}`: element {index} (row-major) is {value}; expected a finite number")]
    NonFinite {
        /// Tensor name.
        tensor: String,
        /// Row-major element index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Consecutive weights whose shapes do not chain.
    #[error(
        "tensor `{tensor}` has {found} input columns but the previous layer `{previous}` has {expected} outputs (shapes do not chain)"
    )]
    ShapeMismatch {
        /// The weight tensor name.
        tensor: String,
        /// The previous weight tensor name.
        previous: String,
        /// Rows of the previous weight.
        expected: usize,
        /// Columns of this weight.
        found: usize,
    },
    /// A tensor's data length does not match its shape (writer).
    #[error("tensor `{tensor}`: shape {shape:?} needs {expected} elements, got {found}")]
    DataLength {
        /// Tensor name.
        tensor: String,
        /// Its shape.
        shape: Vec<usize>,
        /// Product of the shape.
        expected: usize,
        /// Elements given.
        found: usize,
    },
    /// Two tensors with the same name (writer).
    #[error("tensor name `{name}` appears twice")]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// The tensors do not form a valid network.
    #[error(transparent)]
    Network(#[from] NetworkError),
}

fn format_error(e: SafeTensorError) -> SafetensorsError {
    let message = e.to_string();
    match e {
        // The only enum in the header is the dtype, so an unknown variant
        // there is an unknown dtype.
        SafeTensorError::InvalidHeaderDeserialization(_) if message.contains("unknown variant") => {
            SafetensorsError::UnknownDtype { message }
        }
        _ => SafetensorsError::Format { message },
    }
}

/// The elements of a [`NamedTensor`], row-major.
#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    /// 64-bit floats (written as F64).
    F64(Vec<f64>),
    /// Bytes (written as U8; masks hold 0 or 1).
    U8(Vec<u8>),
}

impl TensorData {
    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            TensorData::F64(v) => v.len(),
            TensorData::U8(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A named tensor with its shape and row-major data: what
/// [`write_tensors`] writes and [`read_tensors`] returns.
///
/// # Example
///
/// ```
/// use faer::mat;
/// use logprune_network::{read_tensors, write_tensors, NamedTensor};
///
/// let u = mat![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]; // 2 × 3
/// let bytes = write_tensors(&[
///     NamedTensor::from_mat("0.weight", u.as_ref()),
///     NamedTensor::mask("0.mask", 2, 3, |r, c| r == c),
/// ])?;
/// let back = read_tensors(&bytes)?;
/// assert_eq!(back[0].name, "0.mask");
/// assert_eq!(back[0].values_f64(), vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
/// assert_eq!(back[1].shape, vec![2, 3]);
/// assert_eq!(back[1].values_f64(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]); // row-major
/// assert_eq!(back[1].to_mat()?, u);
/// # Ok::<(), logprune_network::SafetensorsError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTensor {
    /// The key in the file, e.g. `0.weight`.
    pub name: String,
    /// The shape, outermost dimension first (a matrix is `[rows, cols]`).
    pub shape: Vec<usize>,
    /// The elements in row-major (C) order.
    pub data: TensorData,
}

fn check_len(name: &str, shape: &[usize], found: usize) -> Result<(), SafetensorsError> {
    let expected = shape.iter().try_fold(1usize, |a, &b| a.checked_mul(b));
    if expected != Some(found) {
        return Err(SafetensorsError::DataLength {
            tensor: name.to_owned(),
            shape: shape.to_vec(),
            expected: expected.unwrap_or(usize::MAX),
            found,
        });
    }
    Ok(())
}

impl NamedTensor {
    /// An F64 tensor; returns an error if `data.len()` is not the product of
    /// `shape`.
    pub fn f64(
        name: impl Into<String>,
        shape: Vec<usize>,
        data: Vec<f64>,
    ) -> Result<Self, SafetensorsError> {
        let name = name.into();
        check_len(&name, &shape, data.len())?;
        Ok(Self {
            name,
            shape,
            data: TensorData::F64(data),
        })
    }

    /// A U8 tensor; returns an error if `data.len()` is not the product of
    /// `shape`.
    pub fn u8(
        name: impl Into<String>,
        shape: Vec<usize>,
        data: Vec<u8>,
    ) -> Result<Self, SafetensorsError> {
        let name = name.into();
        check_len(&name, &shape, data.len())?;
        Ok(Self {
            name,
            shape,
            data: TensorData::U8(data),
        })
    }

    /// The F64 matrix `m` (rows × cols), converted from faer's column-major
    /// storage to row-major: element `(r, c)` goes to index `r·cols + c`.
    pub fn from_mat(name: impl Into<String>, m: MatRef<'_, f64>) -> Self {
        let (rows, cols) = m.shape();
        let mut data = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            for c in 0..cols {
                data.push(m[(r, c)]);
            }
        }
        Self {
            name: name.into(),
            shape: vec![rows, cols],
            data: TensorData::F64(data),
        }
    }

    /// A `rows × cols` U8 mask with element `(r, c)` equal to 1 where
    /// `keep(r, c)` and 0 elsewhere (row-major).
    pub fn mask(
        name: impl Into<String>,
        rows: usize,
        cols: usize,
        keep: impl Fn(usize, usize) -> bool,
    ) -> Self {
        let mut data = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            for c in 0..cols {
                data.push(u8::from(keep(r, c)));
            }
        }
        Self {
            name: name.into(),
            shape: vec![rows, cols],
            data: TensorData::U8(data),
        }
    }

    /// The elements as f64, row-major (U8 values converted exactly).
    pub fn values_f64(&self) -> Vec<f64> {
        match &self.data {
            TensorData::F64(v) => v.clone(),
            TensorData::U8(v) => v.iter().map(|&b| f64::from(b)).collect(),
        }
    }

    /// The tensor as a faer matrix (row-major data placed at `(r, c)`).
    /// Returns [`SafetensorsError::NotTwoD`] unless the shape has 2 dimensions,
    /// and [`SafetensorsError::EmptyTensor`] if a dimension is 0: a file may
    /// declare a 0-element tensor of shape `[0, 2^40]` or `[2^64 - 1, 0]`,
    /// which faer would loop over for hours or fail to allocate (a panic).
    pub fn to_mat(&self) -> Result<Mat<f64>, SafetensorsError> {
        let [rows, cols] = self.shape[..] else {
            return Err(SafetensorsError::NotTwoD {
                tensor: self.name.clone(),
                shape: self.shape.clone(),
            });
        };
        if rows == 0 || cols == 0 {
            return Err(SafetensorsError::EmptyTensor {
                tensor: self.name.clone(),
                shape: self.shape.clone(),
            });
        }
        let values = self.values_f64();
        Ok(Mat::from_fn(rows, cols, |r, c| values[r * cols + c]))
    }

    fn to_le_bytes(&self) -> (Dtype, Vec<u8>) {
        match &self.data {
            TensorData::F64(v) => (Dtype::F64, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            TensorData::U8(v) => (Dtype::U8, v.clone()),
        }
    }
}

/// The key `nn.Sequential` gives to the weight of its `k`-th linear layer
/// (0-based) when an activation module sits between linear layers:
/// `"{2k}.weight"`, i.e. `0.weight`, `2.weight`, .... The pruned network Ĝ with
/// 2ℓ linear layers uses `0.weight ..= {4ℓ-2}.weight`.
pub fn sequential_weight_name(k: usize) -> String {
    format!("{}.weight", 2 * k)
}

/// The bias key matching [`sequential_weight_name`]: `"{2k}.bias"`.
pub fn sequential_bias_name(k: usize) -> String {
    format!("{}.bias", 2 * k)
}

/// Serializes named tensors to safetensors bytes (little-endian, row-major,
/// F64 or U8, header metadata `{"format": "pt"}` as PyTorch tools expect).
///
/// The output is a pure function of the input (the format sorts tensors by
/// dtype, then name), so the same tensors give byte-identical files. Returns an
/// error if a name appears twice or a data length does not match its shape.
pub fn write_tensors(tensors: &[NamedTensor]) -> Result<Vec<u8>, SafetensorsError> {
    let mut seen = BTreeSet::new();
    let mut encoded = Vec::with_capacity(tensors.len());
    for t in tensors {
        if !seen.insert(t.name.as_str()) {
            return Err(SafetensorsError::DuplicateName {
                name: t.name.clone(),
            });
        }
        check_len(&t.name, &t.shape, t.data.len())?;
        encoded.push((t.name.as_str(), t.shape.clone(), t.to_le_bytes()));
    }
    let views = encoded
        .iter()
        .map(|(name, shape, (dtype, bytes))| {
            TensorView::new(*dtype, shape.clone(), bytes)
                .map(|v| (*name, v))
                .map_err(format_error)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let metadata = HashMap::from([("format".to_owned(), "pt".to_owned())]);
    safetensors::tensor::serialize(views, Some(metadata)).map_err(format_error)
}

fn f16_to_f64(bits: u16) -> f64 {
    let negative = bits & 0x8000 != 0;
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    let magnitude = match exp {
        0 => frac * 2f64.powi(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + frac / 1024.0) * 2f64.powi(exp - 15),
    };
    if negative { -magnitude } else { magnitude }
}

fn decode(name: &str, view: &TensorView<'_>) -> Result<TensorData, SafetensorsError> {
    let bytes = view.data();
    let data = match view.dtype() {
        Dtype::F64 => TensorData::F64(
            bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
        ),
        Dtype::F32 => TensorData::F64(
            bytes
                .chunks_exact(4)
                .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
        ),
        Dtype::F16 => TensorData::F64(
            bytes
                .chunks_exact(2)
                .map(|c| f16_to_f64(u16::from_le_bytes([c[0], c[1]])))
                .collect(),
        ),
        Dtype::BF16 => TensorData::F64(
            bytes
                .chunks_exact(2)
                .map(|c| {
                    f64::from(f32::from_bits(
                        u32::from(u16::from_le_bytes([c[0], c[1]])) << 16,
                    ))
                })
                .collect(),
        ),
        Dtype::U8 => TensorData::U8(bytes.to_vec()),
        Dtype::BOOL => TensorData::U8(bytes.iter().map(|&b| u8::from(b != 0)).collect()),
        other => {
            return Err(SafetensorsError::UnsupportedDtype {
                tensor: name.to_owned(),
                dtype: other.to_string(),
            });
        }
    };
    Ok(data)
}

/// Reads every tensor of a safetensors file: F64, F32, F16 and BF16 are
/// widened exactly to [`TensorData::F64`]; U8 and BOOL become
/// [`TensorData::U8`]. Tensors come back sorted by [`compare_tensor_names`]
/// (layer order), with their shapes and row-major data.
///
/// Returns an error for an empty buffer, bytes that are not safetensors, an
/// unknown dtype, or a dtype outside the list above. Values are not checked
/// for finiteness here ([`load_network`] does).
pub fn read_tensors(bytes: &[u8]) -> Result<Vec<NamedTensor>, SafetensorsError> {
    if bytes.is_empty() {
        return Err(SafetensorsError::Empty);
    }
    let st = SafeTensors::deserialize(bytes).map_err(format_error)?;
    let mut out = Vec::with_capacity(st.len());
    for (name, view) in st.tensors() {
        let data = decode(&name, &view)?;
        out.push(NamedTensor {
            shape: view.shape().to_vec(),
            name,
            data,
        });
    }
    out.sort_by(|a, b| compare_tensor_names(&a.name, &b.name));
    Ok(out)
}

/// Compares digit runs numerically and other runs as text ("natural" order).
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        match (a.is_empty(), b.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        let a_digit = a.as_bytes()[0].is_ascii_digit();
        let b_digit = b.as_bytes()[0].is_ascii_digit();
        let split = |s: &str, digit: bool| -> usize {
            s.bytes()
                .position(|c| c.is_ascii_digit() != digit)
                .unwrap_or(s.len())
        };
        let (ra, rb) = (split(a, a_digit), split(b, b_digit));
        let (ta, tb) = (&a[..ra], &b[..rb]);
        let ord = match (a_digit, b_digit) {
            (true, true) => {
                let (za, zb) = (ta.trim_start_matches('0'), tb.trim_start_matches('0'));
                za.len()
                    .cmp(&zb.len())
                    .then(za.cmp(zb))
                    .then(ta.len().cmp(&tb.len()))
            }
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => ta.cmp(tb),
        };
        if ord != Ordering::Equal {
            return ord;
        }
        a = &a[ra..];
        b = &b[rb..];
    }
}

fn numeric_components(name: &str) -> Vec<&str> {
    name.split('.')
        .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
        .map(|c| {
            let t = c.trim_start_matches('0');
            if t.is_empty() { "0" } else { t }
        })
        .collect()
}

/// The layer order of tensor names: first by the dot-separated components
/// that are numbers, compared as numbers and lexicographically as a sequence
/// (`0.weight < 2.weight < 10.weight`, `net.2.weight < net.10.weight`,
/// `1.0.weight < 1.2.weight < 2.0.weight`); ties (e.g. `0.bias` and
/// `0.weight`, or names without numeric components such as `fc1`, `fc2`,
/// `fc10`) are broken by natural order (digit runs compared as numbers), then
/// by plain byte order, so the order is total.
///
/// # Example
///
/// ```
/// use logprune_network::compare_tensor_names;
/// use std::cmp::Ordering;
///
/// assert_eq!(compare_tensor_names("2.weight", "10.weight"), Ordering::Less);
/// assert_eq!(compare_tensor_names("net.10.weight", "net.9.weight"), Ordering::Greater);
/// assert_eq!(compare_tensor_names("fc2.weight", "fc10.weight"), Ordering::Less);
/// ```
pub fn compare_tensor_names(a: &str, b: &str) -> Ordering {
    let (na, nb) = (numeric_components(a), numeric_components(b));
    let numeric = na
        .iter()
        .zip(&nb)
        .map(|(x, y)| x.len().cmp(&y.len()).then(x.cmp(y)))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or_else(|| na.len().cmp(&nb.len()));
    numeric
        .then_with(|| natural_cmp(a, b))
        .then_with(|| a.cmp(b))
}

/// Options of [`load_network`]: safetensors carries no activations, so the
/// caller says which modules sat between the linear layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// σ after every layer but the last (default ReLU, `nn.ReLU()`).
    pub hidden_activation: Activation,
    /// σ after the last layer (default identity: PyTorch logits).
    pub output_activation: Activation,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            hidden_activation: Activation::Relu,
            output_activation: Activation::Identity,
        }
    }
}

fn prefix_of<'a>(name: &'a str, suffix: &str) -> Option<&'a str> {
    if name == suffix {
        Some("")
    } else {
        name.strip_suffix(suffix)?.strip_suffix('.')
    }
}

fn weight_name(prefix: &str) -> String {
    if prefix.is_empty() {
        "weight".to_owned()
    } else {
        format!("{prefix}.weight")
    }
}

fn finite_values(t: &NamedTensor) -> Result<Vec<f64>, SafetensorsError> {
    let values = t.values_f64();
    if let Some(index) = values.iter().position(|v| !v.is_finite()) {
        return Err(SafetensorsError::NonFinite {
            tensor: t.name.clone(),
            index,
            value: values[index],
        });
    }
    Ok(values)
}

/// Loads a target network F from safetensors bytes in the PyTorch
/// `nn.Sequential` convention (see the [module docs](crate::io)): every
/// `<prefix>.weight` (shape `(out, in)`, F32/F64/F16/BF16) is a layer, layers
/// ordered by [`compare_tensor_names`]; `<prefix>.bias` (shape `(out,)`) is
/// optional per layer. A bare `weight`/`bias` pair (a single `nn.Linear`) is
/// accepted too. `options` gives σ for hidden layers and for the last.
///
/// Returns the network, or an error (never a panic) for: empty or garbage
/// bytes, unknown or unsupported dtypes, a non-2-D or empty weight, NaN/inf
/// values, shapes that do not chain, a bias without its weight or of the
/// wrong shape, a tensor that is neither weight nor bias, no layers.
///
/// # Example
///
/// ```
/// use faer::mat;
/// use logprune_network::{load_network, network_to_safetensors, Activation, Layer, LoadOptions, Network};
///
/// let f = Network::new(vec![
///     Layer::with_bias(mat![[1.0, -1.0, 0.5], [2.0, 0.0, 1.0]], vec![0.1, -0.2], Activation::Relu),
///     Layer::new(mat![[1.0, 1.0]], Activation::Identity),
/// ])?;
/// let bytes = network_to_safetensors(&f)?; // keys 0.weight, 0.bias, 2.weight
/// let g = load_network(&bytes, &LoadOptions::default())?;
/// assert_eq!(g, f);
/// # Ok::<(), logprune_network::SafetensorsError>(())
/// ```
pub fn load_network(bytes: &[u8], options: &LoadOptions) -> Result<Network, SafetensorsError> {
    let tensors = read_tensors(bytes)?;
    let mut weights: Vec<&NamedTensor> = Vec::new();
    let mut biases: BTreeMap<&str, &NamedTensor> = BTreeMap::new();
    for t in &tensors {
        if prefix_of(&t.name, "weight").is_some() {
            weights.push(t);
        } else if let Some(prefix) = prefix_of(&t.name, "bias") {
            biases.insert(prefix, t);
        } else {
            return Err(SafetensorsError::UnexpectedTensor {
                tensor: t.name.clone(),
            });
        }
    }
    for (prefix, bias) in &biases {
        let wanted = weight_name(prefix);
        if !weights.iter().any(|w| w.name == wanted) {
            return Err(SafetensorsError::BiasWithoutWeight {
                tensor: bias.name.clone(),
                weight: wanted,
            });
        }
    }
    if weights.is_empty() {
        return Err(SafetensorsError::NoLayers);
    }
    // `tensors` is already in layer order.
    let ell = weights.len();
    let mut layers = Vec::with_capacity(ell);
    let mut previous: Option<(&str, usize)> = None;
    for (k, w) in weights.iter().enumerate() {
        let [rows, cols] = w.shape[..] else {
            return Err(SafetensorsError::NotTwoD {
                tensor: w.name.clone(),
                shape: w.shape.clone(),
            });
        };
        if rows == 0 || cols == 0 {
            return Err(SafetensorsError::EmptyTensor {
                tensor: w.name.clone(),
                shape: w.shape.clone(),
            });
        }
        if let Some((prev_name, prev_rows)) = previous
            && cols != prev_rows
        {
            return Err(SafetensorsError::ShapeMismatch {
                tensor: w.name.clone(),
                previous: prev_name.to_owned(),
                expected: prev_rows,
                found: cols,
            });
        }
        previous = Some((&w.name, rows));
        let values = finite_values(w)?;
        let weight = Mat::from_fn(rows, cols, |r, c| values[r * cols + c]);
        let prefix = prefix_of(&w.name, "weight").unwrap_or("");
        let bias = match biases.get(prefix) {
            None => None,
            Some(b) => {
                if b.shape != [rows] {
                    return Err(SafetensorsError::BiasShape {
                        tensor: b.name.clone(),
                        shape: b.shape.clone(),
                        expected: rows,
                    });
                }
                Some(finite_values(b)?)
            }
        };
        let activation = if k + 1 == ell {
            options.output_activation
        } else {
            options.hidden_activation
        };
        layers.push(Layer {
            weight,
            bias,
            activation,
        });
    }
    Ok(Network::new(layers)?)
}

/// Exports a network in the PyTorch `nn.Sequential` convention: layer `i`
/// (1-based) becomes `{2(i-1)}.weight` of shape `(n_i, n_{i-1})` and, if it
/// has one, `{2(i-1)}.bias` of shape `(n_i,)`, all F64 row-major. Activations
/// are not stored. Loads into `nn.Sequential(nn.Linear(..).double(),
/// nn.ReLU(), ...)` with `load_state_dict(safetensors.torch.load_file(..))`
/// (put `nn.Identity()` where a hidden layer has no activation, to keep the
/// numbering).
///
/// Returns the file's bytes; the same network always gives the same bytes.
pub fn network_to_safetensors(net: &Network) -> Result<Vec<u8>, SafetensorsError> {
    let mut tensors = Vec::with_capacity(2 * net.depth());
    for (k, layer) in net.layers().iter().enumerate() {
        tensors.push(NamedTensor::from_mat(
            sequential_weight_name(k),
            layer.weight(),
        ));
        if let Some(b) = &layer.bias {
            tensors.push(NamedTensor::f64(
                sequential_bias_name(k),
                vec![b.len()],
                b.clone(),
            )?);
        }
    }
    write_tensors(&tensors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_and_numeric_order() {
        let mut names = vec![
            "10.weight",
            "2.weight",
            "0.bias",
            "0.weight",
            "1.0.weight",
            "net.10.weight",
            "net.9.weight",
        ];
        names.sort_by(|a, b| compare_tensor_names(a, b));
        assert_eq!(
            names,
            vec![
                "0.bias",
                "0.weight",
                "1.0.weight",
                "2.weight",
                "net.9.weight",
                "10.weight",
                "net.10.weight"
            ]
        );
        let mut fc = vec!["fc10.weight", "fc2.weight", "fc1.weight"];
        fc.sort_by(|a, b| compare_tensor_names(a, b));
        assert_eq!(fc, vec!["fc1.weight", "fc2.weight", "fc10.weight"]);
        assert_eq!(
            compare_tensor_names("007.weight", "7.weight"),
            Ordering::Greater
        );
        assert_eq!(compare_tensor_names("x", "x"), Ordering::Equal);
    }

    #[test]
    fn f16_conversion_by_hand() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x3555), 0.333_251_953_125);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(f16_to_f64(0x7bff), 65504.0);
        assert_eq!(f16_to_f64(0x7c00), f64::INFINITY);
        assert!(f16_to_f64(0x7e00).is_nan());
    }

    #[test]
    fn prefixes() {
        assert_eq!(prefix_of("0.weight", "weight"), Some("0"));
        assert_eq!(prefix_of("weight", "weight"), Some(""));
        assert_eq!(prefix_of("net.0.weight", "weight"), Some("net.0"));
        assert_eq!(prefix_of("0.myweight", "weight"), None);
        assert_eq!(prefix_of("0.bias", "weight"), None);
    }
}
