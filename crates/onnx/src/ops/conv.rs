//! `Conv` (2-D) → [`Op::Conv`]; a grouped or depthwise conv is expanded exactly into a full
//! kernel with zeros across groups. The window geometry (`auto_pad`, `pads`) is
//! [`window`]'s, shared with pooling.

use logprune_network::{Conv2d, Op, Shape, Window};

use crate::attr::At;
use crate::builder::{Builder, Origin, Rank, Value};
use crate::error::OnnxError;

/// Reads a 2-element attribute (`strides`, `dilations`) of positive values.
fn pair(at: &At, name: &str, default: usize) -> Result<[usize; 2], OnnxError> {
    match at.ints(name)? {
        None => Ok([default; 2]),
        Some(v) => match v.as_slice() {
            [a, b] if *a >= 1 && *b >= 1 => Ok([
                usize::try_from(*a).unwrap_or(usize::MAX),
                usize::try_from(*b).unwrap_or(usize::MAX),
            ]),
            _ => Err(at.attr_err(name, format!("{v:?}"), "two values ≥ 1 (2-D)")),
        },
    }
}

/// The window of a conv or pool on an input of `input`: `kernel_shape` (required for pools,
/// else `kernel`), `strides`, `dilations`, and the padding from `pads` or `auto_pad`
/// (`NOTSET`, `VALID`, `SAME_UPPER`, `SAME_LOWER`; ONNX's `pads` order `[top, left, bottom,
/// right]` is the graph's).
pub(crate) fn window(
    at: &At,
    input: Shape,
    kernel: Option<[usize; 2]>,
) -> Result<Window, OnnxError> {
    let kernel = match (at.ints("kernel_shape")?, kernel) {
        (Some(k), weights) => {
            let parsed = match k.as_slice() {
                [a, b] if *a >= 1 && *b >= 1 => [
                    usize::try_from(*a).unwrap_or(usize::MAX),
                    usize::try_from(*b).unwrap_or(usize::MAX),
                ],
                _ => {
                    return Err(at.attr_err(
                        "kernel_shape",
                        format!("{k:?}"),
                        "two values ≥ 1 (2-D)",
                    ));
                }
            };
            if weights.is_some_and(|w| w != parsed) {
                return Err(at.attr_err(
                    "kernel_shape",
                    format!("{k:?}"),
                    format!(
                        "the weight's spatial dims {:?}",
                        weights.unwrap_or_default()
                    ),
                ));
            }
            parsed
        }
        (None, Some(w)) => w,
        (None, None) => return Err(at.err("the attribute kernel_shape is required")),
    };
    if kernel.contains(&0) {
        return Err(at.err(format!("the kernel {kernel:?} is empty")));
    }
    let stride = pair(at, "strides", 1)?;
    let dilation = pair(at, "dilations", 1)?;
    let auto_pad = at.string("auto_pad")?.unwrap_or_else(|| "NOTSET".into());
    let pads = at.ints("pads")?;
    let padding = match auto_pad.as_str() {
        "NOTSET" => match pads.as_deref() {
            None => [0; 4],
            Some(&[t, l, b, r]) if t >= 0 && l >= 0 && b >= 0 && r >= 0 => {
                [t, l, b, r].map(|p| usize::try_from(p).unwrap_or(usize::MAX))
            }
            Some(p) => {
                return Err(at.attr_err(
                    "pads",
                    format!("{p:?}"),
                    "four values ≥ 0 [top, left, bottom, right]",
                ));
            }
        },
        "VALID" | "SAME_UPPER" | "SAME_LOWER" => {
            if pads.as_ref().is_some_and(|p| p.iter().any(|&x| x != 0)) {
                return Err(at.attr_err(
                    "pads",
                    format!("{pads:?}"),
                    "no pads with auto_pad other than NOTSET",
                ));
            }
            if auto_pad == "VALID" {
                [0; 4]
            } else {
                let mut pad = [0usize; 4];
                for (axis, n) in [input.h, input.w].into_iter().enumerate() {
                    // Output ⌈n / stride⌉; the total padding makes the dilated kernel fit.
                    let out = n.div_ceil(stride[axis]);
                    let span = dilation[axis]
                        .saturating_mul(kernel[axis] - 1)
                        .saturating_add(1);
                    let total = (out.saturating_sub(1))
                        .saturating_mul(stride[axis])
                        .saturating_add(span)
                        .saturating_sub(n);
                    let (small, large) = (total / 2, total - total / 2);
                    let (begin, end) = if auto_pad == "SAME_UPPER" {
                        (small, large)
                    } else {
                        (large, small)
                    };
                    pad[axis] = begin;
                    pad[axis + 2] = end;
                }
                pad
            }
        }
        other => {
            return Err(at.attr_err("auto_pad", other, "NOTSET, VALID, SAME_UPPER, SAME_LOWER"));
        }
    };
    Ok(Window {
        kernel,
        stride,
        padding,
        dilation,
    })
}

/// `Conv(X, W, B)` with `X` computed `N × C × H × W`, `W` a constant
/// `c_out × (c_in / group) × kh × kw`, `B` an optional constant of length `c_out`.
pub(crate) fn conv(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&[
        "auto_pad",
        "dilations",
        "group",
        "kernel_shape",
        "pads",
        "strides",
    ])?;
    let (x, rank) = b.computed(at, 0)?;
    if rank != Rank::Map {
        return Err(at.err("the input is N×F; only 2-D convolutions on N×C×H×W are supported"));
    }
    let input = b.shape(x);
    let w = b.constant(at, 1)?;
    let &[c_out, c_in_group, kh, kw] = w.dims.as_slice() else {
        return Err(at.err(format!(
            "the weight has dims {:?}; only 2-D convolutions (a 4-D weight) are supported",
            w.dims
        )));
    };
    let group = at.int("group")?.unwrap_or(1);
    let groups = usize::try_from(group)
        .ok()
        .filter(|&g| g >= 1 && c_out % g == 0 && c_in_group.checked_mul(g) == Some(input.c))
        .ok_or_else(|| {
            at.attr_err(
                "group",
                group.to_string(),
                format!(
                    "a divisor of c_out = {c_out} with group·{c_in_group} = the input's {} channels",
                    input.c
                ),
            )
        })?;
    let window = window(at, input, Some([kh, kw]))?;
    let values = w.floats().map_err(|e| at.err(format!("the weight {e}")))?;
    let taps = kh * kw;
    let weight = if groups == 1 {
        values
    } else {
        let c_in = input.c;
        let total = c_out
            .checked_mul(c_in)
            .and_then(|v| v.checked_mul(taps))
            .unwrap_or(usize::MAX);
        if total > b.max_expanded_weights {
            return Err(OnnxError::GroupExpansion {
                node: at.node_ref(),
                groups,
                weights: total,
                limit: b.max_expanded_weights,
            });
        }
        // Output channel a of group g = a / (c_out / groups) reads input channels
        // g·c_in_group .. (g+1)·c_in_group; every other input channel gets weight 0.
        let per_group_out = c_out / groups;
        let mut full = vec![0.0; total];
        for a in 0..c_out {
            let g = a / per_group_out;
            for j in 0..c_in_group {
                let src = (a * c_in_group + j) * taps;
                let dst = (a * c_in + g * c_in_group + j) * taps;
                full[dst..dst + taps].copy_from_slice(&values[src..src + taps]);
            }
        }
        full
    };
    let bias = match b.optional_constant(at, 2)? {
        None => None,
        Some(t) => {
            if t.dims != [c_out] {
                return Err(at.err(format!(
                    "the bias has dims {:?}; expected [{c_out}]",
                    t.dims
                )));
            }
            Some(t.floats().map_err(|e| at.err(format!("the bias {e}")))?)
        }
    };
    let op = Op::Conv(Conv2d {
        c_out,
        c_in: input.c,
        window,
        weight,
        bias,
    });
    let id = b.push(at, op, vec![x], Origin::Fixed)?;
    b.bind(
        at,
        Value::Computed {
            id,
            rank: Rank::Map,
        },
    )
}
