//! Structured input into `load_network`: the fuzzer picks a network-like set
//! of tensors (names, dtypes, shapes, values), the harness serializes them
//! with the safetensors crate into a valid file, and `load_network` reads it.
//! This gets past the header parser that the raw target mostly hits, into the
//! name, shape, chaining, bias and finiteness checks.
#![no_main]

use std::collections::{BTreeMap, HashMap};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use logprune_network::{Activation, LoadOptions, load_network};
use safetensors::tensor::{Dtype, TensorView, serialize};

/// Every dtype of the safetensors format, supported here or not.
const DTYPES: [Dtype; 24] = [
    Dtype::F64,
    Dtype::F32,
    Dtype::F16,
    Dtype::BF16,
    Dtype::U8,
    Dtype::BOOL,
    Dtype::F4,
    Dtype::F6_E2M3,
    Dtype::F6_E3M2,
    Dtype::I8,
    Dtype::F8_E5M2,
    Dtype::F8_E4M3,
    Dtype::F8_E8M0,
    Dtype::F8_E4M3FNUZ,
    Dtype::F8_E5M2FNUZ,
    Dtype::I16,
    Dtype::U16,
    Dtype::I32,
    Dtype::U32,
    Dtype::C64,
    Dtype::I64,
    Dtype::U64,
    // F32 twice more: the dtype PyTorch writes.
    Dtype::F32,
    Dtype::F32,
];

/// How the layers are named.
#[derive(Arbitrary, Debug)]
enum Naming {
    /// `nn.Sequential`: `0.weight`, `2.weight`, ... (`step` 0 gives duplicates
    /// that the harness drops; 1 is `nn.Sequential` without activations).
    Sequential { step: u8 },
    /// A nested module: `{prefix}.{k}.weight`.
    Nested { prefix: String },
    /// A bare `weight`/`bias` (a single `nn.Linear`), then `{k}.weight`.
    Bare,
    /// Any name at all, e.g. not ending in `.weight`.
    Raw { names: Vec<String> },
}

/// One layer `(out, in)`: `cols = None` chains to the previous layer's rows.
#[derive(Arbitrary, Debug)]
struct FuzzLayer {
    rows: u8,
    cols: Option<u8>,
    dtype: u8,
    bias: Option<FuzzBias>,
    /// Extra dimensions that make the weight not 2-D (usually empty).
    extra_dims: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct FuzzBias {
    dtype: u8,
    /// `None`: the right shape `[rows]`; otherwise this shape.
    shape: Option<Vec<u8>>,
    /// Name the bias after another layer (so its weight may be missing).
    misnamed: Option<u8>,
}

/// A tensor with any name, dtype and shape.
#[derive(Arbitrary, Debug)]
struct FuzzExtra {
    name: String,
    dtype: u8,
    shape: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    naming: Naming,
    layers: Vec<FuzzLayer>,
    extras: Vec<FuzzExtra>,
    /// Bytes cycled to fill every tensor.
    fill: Vec<u8>,
    /// Clear each float's top exponent bit, so every value is finite.
    finite: bool,
    metadata: Option<Vec<(String, String)>>,
    hidden: u8,
    output: u8,
    /// Overwrite one byte of the serialized file.
    corrupt: Option<(u16, u8)>,
}

fn dtype(selector: u8) -> Dtype {
    DTYPES[usize::from(selector) % DTYPES.len()]
}

/// A dimension in `0..=8`, mostly `1..=8`.
fn dim(d: u8) -> usize {
    if d == 255 { 0 } else { usize::from(d % 8) + 1 }
}

/// Fills `n` elements of `dtype` with `fill` cycled; `finite` clears the top
/// exponent bit of every float element.
fn data(dtype: Dtype, shape: &[usize], fill: &[u8], finite: bool) -> Option<Vec<u8>> {
    let n: usize = shape.iter().product();
    let bits = n.checked_mul(dtype.bitsize())?;
    if bits % 8 != 0 {
        return None;
    }
    let len = bits / 8;
    let mut out: Vec<u8> = if fill.is_empty() {
        vec![0; len]
    } else {
        fill.iter().copied().cycle().take(len).collect()
    };
    if finite {
        // Little-endian: the top exponent bit is bit 6 of the last byte.
        let size = match dtype {
            Dtype::F64 => 8,
            Dtype::F32 => 4,
            Dtype::F16 | Dtype::BF16 => 2,
            _ => 0,
        };
        if size > 0 {
            for chunk in out.chunks_exact_mut(size) {
                chunk[size - 1] &= !0x40;
            }
        }
    }
    Some(out)
}

struct Planned {
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
}

fn layer_prefix(naming: &Naming, k: usize) -> String {
    match naming {
        Naming::Sequential { step } => format!("{}", k * usize::from(*step % 4)),
        Naming::Nested { prefix } => format!("{prefix}.{k}"),
        Naming::Bare if k == 0 => String::new(),
        Naming::Bare => format!("{k}"),
        Naming::Raw { names } => names.get(k).cloned().unwrap_or_else(|| format!("{k}")),
    }
}

fn with_suffix(prefix: &str, suffix: &str) -> String {
    if prefix.is_empty() {
        suffix.to_owned()
    } else {
        format!("{prefix}.{suffix}")
    }
}

fn plan(input: &Input) -> Vec<Planned> {
    let mut out = Vec::new();
    let mut previous_rows: Option<usize> = None;
    for (k, layer) in input.layers.iter().take(8).enumerate() {
        let prefix = layer_prefix(&input.naming, k);
        let rows = dim(layer.rows);
        let cols = match (layer.cols, previous_rows) {
            (None, Some(p)) => p,
            (None, None) => 3,
            (Some(c), _) => dim(c),
        };
        previous_rows = Some(rows);
        let mut shape = vec![rows, cols];
        shape.extend(layer.extra_dims.iter().take(2).map(|&d| dim(d)));
        let weight_name = match &input.naming {
            Naming::Raw { .. } => prefix.clone(),
            _ => with_suffix(&prefix, "weight"),
        };
        out.push(Planned {
            name: weight_name,
            dtype: dtype(layer.dtype),
            shape,
        });
        if let Some(b) = &layer.bias {
            let bias_prefix = match b.misnamed {
                Some(other) => layer_prefix(&input.naming, usize::from(other % 16)),
                None => prefix,
            };
            let shape = match &b.shape {
                None => vec![rows],
                Some(s) => s.iter().take(3).map(|&d| dim(d)).collect(),
            };
            out.push(Planned {
                name: with_suffix(&bias_prefix, "bias"),
                dtype: dtype(b.dtype),
                shape,
            });
        }
    }
    for e in input.extras.iter().take(4) {
        out.push(Planned {
            name: e.name.clone(),
            dtype: dtype(e.dtype),
            shape: e.shape.iter().take(4).map(|&d| dim(d)).collect(),
        });
    }
    out
}

fuzz_target!(|input: Input| {
    // Names must be unique and not the header's reserved key.
    let mut planned: BTreeMap<String, (Dtype, Vec<usize>, Vec<u8>)> = BTreeMap::new();
    for p in plan(&input) {
        if p.name == "__metadata__" || planned.contains_key(&p.name) {
            continue;
        }
        let Some(bytes) = data(p.dtype, &p.shape, &input.fill, input.finite) else {
            continue;
        };
        planned.insert(p.name, (p.dtype, p.shape, bytes));
    }
    let views: Vec<(&str, TensorView<'_>)> = planned
        .iter()
        .filter_map(|(name, (dtype, shape, bytes))| {
            TensorView::new(*dtype, shape.clone(), bytes)
                .ok()
                .map(|v| (name.as_str(), v))
        })
        .collect();
    let metadata = input
        .metadata
        .as_ref()
        .map(|m| m.iter().take(4).cloned().collect::<HashMap<_, _>>());
    let Ok(mut bytes) = serialize(views, metadata) else {
        return;
    };
    if let Some((pos, byte)) = input.corrupt
        && !bytes.is_empty()
    {
        let i = usize::from(pos) % bytes.len();
        bytes[i] = byte;
    }
    let options = LoadOptions {
        hidden_activation: Activation::ALL[usize::from(input.hidden % 4)],
        output_activation: Activation::ALL[usize::from(input.output % 4)],
    };
    if let Ok(net) = load_network(&bytes, &options) {
        let n0 = net.architecture().widths()[0];
        let _ = net.forward(&vec![0.0; n0]);
    }
});
