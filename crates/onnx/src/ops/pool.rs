//! `MaxPool`, `AveragePool`, `GlobalAveragePool`, and `ReduceMean` over the spatial axes.

use logprune_network::{Op, Pool2d};

use super::conv::window;
use crate::attr::At;
use crate::builder::{Builder, Origin, Rank, Value};
use crate::error::OnnxError;
use crate::fold::normalize_axis;

/// `MaxPool` (`storage_order` 0, one output) and `AveragePool` (`count_include_pad` 0 or
/// 1); `ceil_mode` must be 0.
pub(crate) fn pool(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    let max = at.op_type() == "MaxPool";
    if max {
        at.known_attributes(&[
            "auto_pad",
            "ceil_mode",
            "dilations",
            "kernel_shape",
            "pads",
            "storage_order",
            "strides",
        ])?;
        at.int_in("storage_order", 0, &[0])?;
        if at.node.output.iter().skip(1).any(|o| !o.is_empty()) {
            return Err(at.err("the Indices output is not supported; only the pooled values"));
        }
    } else {
        at.known_attributes(&[
            "auto_pad",
            "ceil_mode",
            "count_include_pad",
            "dilations",
            "kernel_shape",
            "pads",
            "strides",
        ])?;
    }
    at.int_in("ceil_mode", 0, &[0])?;
    let count_include_pad = !max && at.int_in("count_include_pad", 0, &[0, 1])? == 1;
    let (x, rank) = b.computed(at, 0)?;
    if rank != Rank::Map {
        return Err(at.err("the input is N×F; only 2-D pooling on N×C×H×W is supported"));
    }
    let window = window(at, b.shape(x), None)?;
    let pool = Pool2d {
        window,
        count_include_pad,
    };
    let op = if max {
        Op::MaxPool(pool)
    } else {
        Op::AvgPool(pool)
    };
    let id = b.push(at, op, vec![x], Origin::Fixed)?;
    b.bind(
        at,
        Value::Computed {
            id,
            rank: Rank::Map,
        },
    )
}

/// `GlobalAveragePool` → [`Op::GlobalAvgPool`] (`N × C × 1 × 1`).
pub(crate) fn global_avg(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&[])?;
    let (x, rank) = b.computed(at, 0)?;
    if rank != Rank::Map {
        return Err(at.err("the input is N×F; N×C×H×W is expected"));
    }
    let id = b.push(at, Op::GlobalAvgPool, vec![x], Origin::Fixed)?;
    b.bind(
        at,
        Value::Computed {
            id,
            rank: Rank::Map,
        },
    )
}

/// `ReduceMean` over axes {2, 3} of `N × C × H × W` → [`Op::GlobalAvgPool`], followed by
/// [`Op::Flatten`] when `keepdims` = 0. The axes are an attribute up to opset 17 and an
/// input from opset 18.
pub(crate) fn reduce_mean(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&["axes", "keepdims", "noop_with_empty_axes"])?;
    let keepdims = at.int_in("keepdims", 1, &[0, 1])? == 1;
    let axes = match (at.ints("axes")?, b.optional_constant(at, 1)?) {
        (Some(a), None) => a,
        (None, Some(t)) => t.known_ints().map_err(|e| at.err(format!("axes {e}")))?,
        (Some(_), Some(_)) => return Err(at.err("axes given both as an attribute and as an input")),
        (None, None) => Vec::new(),
    };
    let (x, rank) = b.computed(at, 0)?;
    let mut norm = axes
        .iter()
        .map(|&a| normalize_axis(a, 4))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| at.err(e))?;
    norm.sort_unstable();
    if rank != Rank::Map || norm != [2, 3] {
        return Err(at.attr_err(
            "axes",
            format!("{axes:?}"),
            "the spatial axes [2, 3] of an N×C×H×W input",
        ));
    }
    let id = b.push(at, Op::GlobalAvgPool, vec![x], Origin::Fixed)?;
    if keepdims {
        return b.bind(
            at,
            Value::Computed {
                id,
                rank: Rank::Map,
            },
        );
    }
    let id = b.push(at, Op::Flatten, vec![id], Origin::Fixed)?;
    b.bind(
        at,
        Value::Computed {
            id,
            rank: Rank::Flat,
        },
    )
}
