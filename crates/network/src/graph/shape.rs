//! Shapes of feature maps and the validation of a graph: arities, topological order, shapes
//! and finite parameters.

use core::fmt;

use super::{Node, Op, Pool2d, Window};

/// The shape `C × H × W` of a feature map (a flat vector of `n` values is `n × 1 × 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Channels.
    pub c: usize,
    /// Height.
    pub h: usize,
    /// Width.
    pub w: usize,
}

impl Shape {
    /// `C × H × W`.
    pub fn new(c: usize, h: usize, w: usize) -> Self {
        Shape { c, h, w }
    }

    /// A flat vector of `n` values, `n × 1 × 1`.
    pub fn flat(n: usize) -> Self {
        Shape { c: n, h: 1, w: 1 }
    }

    /// The number of values `C·H·W` (saturating).
    pub fn len(&self) -> usize {
        self.c.saturating_mul(self.h).saturating_mul(self.w)
    }

    /// Whether the shape holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of positions `H·W` of a channel.
    pub fn positions(&self) -> usize {
        self.h.saturating_mul(self.w)
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}×{}×{}", self.c, self.h, self.w)
    }
}

/// Why a graph is not valid; every variant names the node (`name`, and its id `node`).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// A graph without nodes.
    #[error("a graph needs at least one node, got none")]
    NoNodes,
    /// The input shape holds no value.
    #[error("the input shape {shape} holds no value; every dimension must be at least 1")]
    EmptyInput {
        /// The input shape.
        shape: Shape,
    },
    /// The wrong number of inputs for the operation.
    #[error("node {node} ({name}, {op}): {found} inputs, expected {expected}")]
    Arity {
        /// Node id.
        node: usize,
        /// Node name.
        name: String,
        /// Operation name.
        op: String,
        /// Inputs expected.
        expected: usize,
        /// Inputs given.
        found: usize,
    },
    /// An input id that is not an earlier node.
    #[error("node {node} ({name}): input {input} is not an earlier node (ids 0..{node})")]
    Order {
        /// Node id.
        node: usize,
        /// Node name.
        name: String,
        /// The offending input id.
        input: usize,
    },
    /// Shapes that do not fit the operation.
    #[error("node {node} ({name}, {op}): {reason}")]
    Shape {
        /// Node id.
        node: usize,
        /// Node name.
        name: String,
        /// Operation name.
        op: String,
        /// What does not fit.
        reason: String,
    },
    /// A NaN or infinite parameter.
    #[error("node {node} ({name}, {op}): {what} {index} is {value}; expected a finite number")]
    NonFinite {
        /// Node id.
        node: usize,
        /// Node name.
        name: String,
        /// Operation name.
        op: String,
        /// Which parameter (`weight`, `bias`, `scale`, `shift`, or an activation's
        /// `parameter`).
        what: &'static str,
        /// Its flat index.
        index: usize,
        /// The value.
        value: f64,
    },
}

/// The output length of a window along one axis, or `None` when the window does not fit.
pub(crate) fn out_len(
    n: usize,
    k: usize,
    stride: usize,
    pad: [usize; 2],
    dilation: usize,
) -> Option<usize> {
    if k == 0 || stride == 0 || dilation == 0 {
        return None;
    }
    let span = dilation.checked_mul(k - 1)?.checked_add(1)?;
    let padded = n.checked_add(pad[0])?.checked_add(pad[1])?;
    if padded < span {
        return None;
    }
    Some((padded - span) / stride + 1)
}

/// The output shape of a window on `input` with `channels` output channels.
fn window_shape(input: Shape, window: &Window, channels: usize) -> Result<Shape, String> {
    let h = out_len(
        input.h,
        window.kernel[0],
        window.stride[0],
        [window.padding[0], window.padding[2]],
        window.dilation[0],
    );
    let w = out_len(
        input.w,
        window.kernel[1],
        window.stride[1],
        [window.padding[1], window.padding[3]],
        window.dilation[1],
    );
    match (h, w) {
        (Some(h), Some(w)) => Ok(Shape::new(channels, h, w)),
        _ => Err(format!(
            "window {:?} with stride {:?}, padding {:?} and dilation {:?} does not fit an input of {input} (kernel, stride and dilation must be ≥ 1 and the padded input at least as large as the dilated kernel)",
            window.kernel, window.stride, window.padding, window.dilation
        )),
    }
}

fn pool_shape(input: Shape, pool: &Pool2d) -> Result<Shape, String> {
    let [pt, pl, pb, pr] = pool.window.padding;
    if pt.max(pb) >= pool.window.kernel[0].max(1) || pl.max(pr) >= pool.window.kernel[1].max(1) {
        return Err(format!(
            "padding {:?} must be smaller than the kernel {:?} (a window could lie wholly in the padding)",
            pool.window.padding, pool.window.kernel
        ));
    }
    let out = window_shape(input, &pool.window, input.c)?;
    let w = &pool.window;
    let nonempty = windows_reach_input(
        input.h,
        w.kernel[0],
        w.stride[0],
        w.padding[0],
        w.dilation[0],
        out.h,
    ) && windows_reach_input(
        input.w,
        w.kernel[1],
        w.stride[1],
        w.padding[1],
        w.dilation[1],
        out.w,
    );
    if !nonempty {
        return Err(format!(
            "with kernel {:?}, stride {:?}, padding {:?} and dilation {:?} some window on an input of {input} reads only padding",
            w.kernel, w.stride, w.padding, w.dilation
        ));
    }
    Ok(out)
}

/// Whether each of the `outputs` windows along an axis of length `n` has a tap inside the
/// input (not in the padding).
fn windows_reach_input(
    n: usize,
    k: usize,
    stride: usize,
    pad: usize,
    dilation: usize,
    outputs: usize,
) -> bool {
    (0..outputs).all(|o| {
        (0..k).any(|i| {
            let t = o * stride + i * dilation;
            t >= pad && t - pad < n
        })
    })
}

fn check_finite(values: &[f64]) -> Option<(usize, f64)> {
    values
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite())
        .map(|(i, &v)| (i, v))
}

/// Validates `nodes` on `input` and returns the shape of every value (`[0]` the input's).
pub(crate) fn infer(input: Shape, nodes: &[Node]) -> Result<Vec<Shape>, GraphError> {
    if input.is_empty() {
        return Err(GraphError::EmptyInput { shape: input });
    }
    if nodes.is_empty() {
        return Err(GraphError::NoNodes);
    }
    let mut shapes = Vec::with_capacity(nodes.len() + 1);
    shapes.push(input);
    for (k, node) in nodes.iter().enumerate() {
        let id = k + 1;
        let op = node.op.name();
        if node.inputs.len() != node.op.arity() {
            return Err(GraphError::Arity {
                node: id,
                name: node.name.clone(),
                op,
                expected: node.op.arity(),
                found: node.inputs.len(),
            });
        }
        if let Some(&bad) = node.inputs.iter().find(|&&i| i >= id) {
            return Err(GraphError::Order {
                node: id,
                name: node.name.clone(),
                input: bad,
            });
        }
        let x = shapes[node.inputs[0]];
        let shape_err = |reason: String| GraphError::Shape {
            node: id,
            name: node.name.clone(),
            op: node.op.name(),
            reason,
        };
        let non_finite = |what: &'static str, (index, value): (usize, f64)| GraphError::NonFinite {
            node: id,
            name: node.name.clone(),
            op: node.op.name(),
            what,
            index,
            value,
        };
        let out = match &node.op {
            Op::Dense { weight, bias } => {
                if weight.nrows() == 0 || weight.ncols() != x.len() {
                    return Err(shape_err(format!(
                        "weight is {}×{} but the input {x} has {} values (expected n_out ≥ 1 rows and {} columns)",
                        weight.nrows(),
                        weight.ncols(),
                        x.len(),
                        x.len()
                    )));
                }
                for j in 0..weight.ncols() {
                    for i in 0..weight.nrows() {
                        let v = weight[(i, j)];
                        if !v.is_finite() {
                            return Err(non_finite("weight", (i * weight.ncols() + j, v)));
                        }
                    }
                }
                if let Some(b) = bias {
                    if b.len() != weight.nrows() {
                        return Err(shape_err(format!(
                            "bias has length {}, expected {}",
                            b.len(),
                            weight.nrows()
                        )));
                    }
                    if let Some(bad) = check_finite(b) {
                        return Err(non_finite("bias", bad));
                    }
                }
                Shape::flat(weight.nrows())
            }
            Op::Conv(conv) => {
                if conv.c_in != x.c || conv.c_out == 0 {
                    return Err(shape_err(format!(
                        "a conv {} → {} channels on an input of {x}",
                        conv.c_in, conv.c_out
                    )));
                }
                let expected = conv
                    .c_out
                    .checked_mul(conv.c_in)
                    .and_then(|v| v.checked_mul(conv.window.taps()));
                if expected != Some(conv.weight.len()) {
                    return Err(shape_err(format!(
                        "the kernel has {} values, expected c_out·c_in·kh·kw = {}·{}·{}·{}",
                        conv.weight.len(),
                        conv.c_out,
                        conv.c_in,
                        conv.window.kernel[0],
                        conv.window.kernel[1]
                    )));
                }
                if let Some(bad) = check_finite(&conv.weight) {
                    return Err(non_finite("weight", bad));
                }
                if let Some(b) = &conv.bias {
                    if b.len() != conv.c_out {
                        return Err(shape_err(format!(
                            "bias has length {}, expected c_out = {}",
                            b.len(),
                            conv.c_out
                        )));
                    }
                    if let Some(bad) = check_finite(b) {
                        return Err(non_finite("bias", bad));
                    }
                }
                window_shape(x, &conv.window, conv.c_out).map_err(shape_err)?
            }
            Op::Scale { scale, shift } => {
                if scale.len() != x.c || shift.as_ref().is_some_and(|s| s.len() != x.c) {
                    return Err(shape_err(format!(
                        "scale has length {} and shift {:?}, expected one per channel ({})",
                        scale.len(),
                        shift.as_ref().map(Vec::len),
                        x.c
                    )));
                }
                if let Some(bad) = check_finite(scale) {
                    return Err(non_finite("scale", bad));
                }
                if let Some(bad) = shift.as_deref().and_then(check_finite) {
                    return Err(non_finite("shift", bad));
                }
                x
            }
            Op::Activation(a) => {
                if let Some(p) = a.parameter().filter(|p| !p.is_finite()) {
                    return Err(non_finite("parameter", (0, p)));
                }
                x
            }
            Op::MaxPool(p) => pool_shape(x, p).map_err(shape_err)?,
            Op::AvgPool(p) => {
                if p.window.dilation != [1, 1] {
                    return Err(shape_err(format!(
                        "average pooling with dilation {:?}; only dilation 1 is supported",
                        p.window.dilation
                    )));
                }
                pool_shape(x, p).map_err(shape_err)?
            }
            Op::GlobalAvgPool => Shape::new(x.c, 1, 1),
            Op::Flatten => Shape::flat(x.len()),
            Op::Add => {
                let y = shapes[node.inputs[1]];
                if x != y {
                    return Err(shape_err(format!("adds {x} to {y}; the shapes must agree")));
                }
                x
            }
        };
        if out.is_empty() {
            return Err(shape_err(format!("the output {out} holds no value")));
        }
        shapes.push(out);
    }
    Ok(shapes)
}
