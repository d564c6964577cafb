//! Forward passes through a [`Graph`]: a batch of inputs (one per column) through every
//! node, convolutions by im2col and faer's matrix product, each value freed as soon as its
//! last reader has run.

use faer::linalg::matmul::matmul;
use faer::reborrow::ReborrowMut;
use faer::{Accum, Mat, MatMut, MatRef, Par};

use super::shape::out_len;
use super::{Graph, NodeId, Op, Pool2d, Shape, Window};

/// Errors of feeding inputs to a [`Graph`] or to [`im2col`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ForwardError {
    /// An input does not have the graph's input length `C·H·W`.
    #[error("input has length {found}, expected {expected} (the input shape's C·H·W)")]
    InputLength {
        /// `C·H·W` of the input shape.
        expected: usize,
        /// Length given (rows of the batch).
        found: usize,
    },
    /// An input coordinate is NaN or infinite.
    #[error("input {input}, coordinate {coordinate} is {value}; expected a finite number")]
    NonFiniteInput {
        /// Index of the input in the batch (0 for a single input).
        input: usize,
        /// Coordinate (0-based, row-major `C × H × W`).
        coordinate: usize,
        /// The offending value.
        value: f64,
    },
    /// A window that does not fit the shape it is applied to ([`im2col`] only; a validated
    /// graph's windows always fit).
    #[error(
        "window {kernel:?} with stride {stride:?}, padding {padding:?} and dilation {dilation:?} does not fit an input of {shape}"
    )]
    Window {
        /// The input shape.
        shape: Shape,
        /// Kernel size.
        kernel: [usize; 2],
        /// Stride.
        stride: [usize; 2],
        /// Padding `[top, left, bottom, right]`.
        padding: [usize; 4],
        /// Dilation.
        dilation: [usize; 2],
    },
}

/// The output height and width of `window` on `shape`, if it fits.
pub(crate) fn window_out(shape: Shape, window: &Window) -> Option<(usize, usize)> {
    let h = out_len(
        shape.h,
        window.kernel[0],
        window.stride[0],
        [window.padding[0], window.padding[2]],
        window.dilation[0],
    )?;
    let w = out_len(
        shape.w,
        window.kernel[1],
        window.stride[1],
        [window.padding[1], window.padding[3]],
        window.dilation[1],
    )?;
    Some((h, w))
}

/// The input coordinate of output `o`, tap `i` along one axis, or `None` in the padding.
#[inline]
fn source(
    o: usize,
    i: usize,
    stride: usize,
    dilation: usize,
    pad: usize,
    n: usize,
) -> Option<usize> {
    let t = o * stride + i * dilation;
    if t < pad {
        return None;
    }
    let t = t - pad;
    (t < n).then_some(t)
}

/// The im2col matrix of a batch: `batch` holds one input of `shape` per column (row-major
/// `C × H × W`); the result has one row per (input channel `b`, tap `p = i·kw + j`), row
/// `b·kh·kw + p`, and one column per (input `n`, output position `q = y·W_out + x`), column
/// `n·H_out·W_out + q`, holding the input value that tap reads at that position (0 in the
/// zero padding). A convolution with kernel matrix `K` (`c_out × c_in·kh·kw`, as
/// [`super::Conv2d::matrix`]) is then `K · im2col`, whose column `n·H_out·W_out + q` holds
/// the output channels of input `n` at position `q`.
///
/// # Errors
/// [`ForwardError::InputLength`] if `batch` does not have `shape.len()` rows,
/// [`ForwardError::Window`] if the window does not fit `shape`.
pub fn im2col(
    shape: Shape,
    window: &Window,
    batch: MatRef<'_, f64>,
) -> Result<Mat<f64>, ForwardError> {
    if batch.nrows() != shape.len() {
        return Err(ForwardError::InputLength {
            expected: shape.len(),
            found: batch.nrows(),
        });
    }
    let Some((oh, ow)) = window_out(shape, window) else {
        return Err(ForwardError::Window {
            shape,
            kernel: window.kernel,
            stride: window.stride,
            padding: window.padding,
            dilation: window.dilation,
        });
    };
    let mut out = Mat::<f64>::zeros(shape.c * window.taps(), batch.ncols() * oh * ow);
    im2col_into(shape, window, (oh, ow), batch, out.as_mut());
    Ok(out)
}

/// [`im2col`] into `dst` (`c·taps × N·oh·ow`), for a window known to fit.
pub(crate) fn im2col_into(
    shape: Shape,
    window: &Window,
    (oh, ow): (usize, usize),
    batch: MatRef<'_, f64>,
    mut dst: MatMut<'_, f64>,
) {
    let [kh, kw] = window.kernel;
    let [sh, sw] = window.stride;
    let [dh, dw] = window.dilation;
    let (pt, pl) = (window.padding[0], window.padding[1]);
    let (h, w) = (shape.h, shape.w);
    let hw = h * w;
    for n in 0..batch.ncols() {
        let x = batch.col(n);
        for oy in 0..oh {
            for ox in 0..ow {
                let column = n * oh * ow + oy * ow + ox;
                let mut col = dst.rb_mut().col_mut(column);
                let mut r = 0;
                for b in 0..shape.c {
                    for i in 0..kh {
                        match source(oy, i, sh, dh, pt, h) {
                            None => {
                                for _ in 0..kw {
                                    col[r] = 0.0;
                                    r += 1;
                                }
                            }
                            Some(iy) => {
                                let base = b * hw + iy * w;
                                for j in 0..kw {
                                    col[r] = match source(ox, j, sw, dw, pl, w) {
                                        Some(ix) => x[base + ix],
                                        None => 0.0,
                                    };
                                    r += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The number of entries of an im2col block, above which the batch is split into chunks of
/// inputs (32 MB of `f64`).
const IM2COL_BUDGET: usize = 1 << 22;

/// `K ⊛ x` without bias for a batch (columns): the convolution with kernel matrix `kernel`
/// (`c_out × c_in·taps`) of `window` on inputs of `shape`, output `(oh, ow)`. Returns the
/// `c_out·oh·ow × N` outputs, row-major `c_out × oh × ow` per column. The batch is processed
/// in chunks of inputs whose im2col stays under [`IM2COL_BUDGET`] entries.
pub(crate) fn conv_apply(
    shape: Shape,
    window: &Window,
    (oh, ow): (usize, usize),
    kernel: MatRef<'_, f64>,
    x: MatRef<'_, f64>,
    par: Par,
) -> Mat<f64> {
    let c_out = kernel.nrows();
    let k = kernel.ncols();
    let positions = oh * ow;
    let n = x.ncols();
    let mut out = Mat::<f64>::zeros(c_out * positions, n);
    let per_input = (k * positions).max(1);
    let chunk = (IM2COL_BUDGET / per_input).clamp(1, n.max(1));
    let mut cols = Mat::<f64>::zeros(k, chunk * positions);
    let mut y = Mat::<f64>::zeros(c_out, chunk * positions);
    let mut start = 0;
    while start < n {
        let len = chunk.min(n - start);
        let m = len * positions;
        im2col_into(
            shape,
            window,
            (oh, ow),
            x.subcols(start, len),
            cols.as_mut().subcols_mut(0, m),
        );
        matmul(
            y.as_mut().subcols_mut(0, m),
            Accum::Replace,
            kernel,
            cols.as_ref().subcols(0, m),
            1.0,
            par,
        );
        for local in 0..len {
            let dst = out.col_as_slice_mut(start + local);
            for q in 0..positions {
                let src = y.col_as_slice(local * positions + q);
                for (a, &v) in src.iter().enumerate() {
                    dst[a * positions + q] = v;
                }
            }
        }
        start += len;
    }
    out
}

/// Adds `bias[c]` to every position of channel `c` of each column (row-major `C × H × W`
/// with `positions = H·W`).
pub(crate) fn add_channel_bias(values: &mut Mat<f64>, bias: &[f64], positions: usize) {
    for j in 0..values.ncols() {
        let col = values.col_as_slice_mut(j);
        for (chunk, &b) in col.chunks_exact_mut(positions.max(1)).zip(bias) {
            for v in chunk {
                *v += b;
            }
        }
    }
}

/// Max pooling of a batch: padded positions never win (−∞).
pub(crate) fn max_pool(
    shape: Shape,
    pool: &Pool2d,
    (oh, ow): (usize, usize),
    x: MatRef<'_, f64>,
) -> Mat<f64> {
    pool_fold(shape, &pool.window, (oh, ow), x, |taps| {
        taps.fold(f64::NEG_INFINITY, f64::max)
    })
}

/// Average pooling of a batch: the sum of the window's in-range values divided by
/// `kh·kw` (`count_include_pad`) or by the number of in-range positions.
pub(crate) fn avg_pool(
    shape: Shape,
    pool: &Pool2d,
    (oh, ow): (usize, usize),
    x: MatRef<'_, f64>,
) -> Mat<f64> {
    let full = pool.window.taps() as f64;
    let include = pool.count_include_pad;
    pool_fold(shape, &pool.window, (oh, ow), x, |taps| {
        let (sum, count) = taps.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
        if include {
            sum / full
        } else {
            sum / count as f64
        }
    })
}

/// Applies `fold` to the in-range values of every window (taps in row-major order).
pub(crate) fn pool_fold(
    shape: Shape,
    window: &Window,
    (oh, ow): (usize, usize),
    x: MatRef<'_, f64>,
    fold: impl Fn(&mut dyn Iterator<Item = f64>) -> f64,
) -> Mat<f64> {
    let [kh, kw] = window.kernel;
    let [sh, sw] = window.stride;
    let [dh, dw] = window.dilation;
    let (pt, pl) = (window.padding[0], window.padding[1]);
    let (h, w) = (shape.h, shape.w);
    let positions = oh * ow;
    let mut out = Mat::<f64>::zeros(shape.c * positions, x.ncols());
    for n in 0..x.ncols() {
        let src = x.col(n);
        let dst = out.col_as_slice_mut(n);
        for c in 0..shape.c {
            let base = c * h * w;
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut taps = (0..kh)
                        .filter_map(|i| source(oy, i, sh, dh, pt, h))
                        .flat_map(|iy| {
                            (0..kw)
                                .filter_map(move |j| source(ox, j, sw, dw, pl, w))
                                .map(move |ix| src[base + iy * w + ix])
                        });
                    dst[c * positions + oy * ow + ox] = fold(&mut taps);
                }
            }
        }
    }
    out
}

/// The per-channel mean of a batch: `C × H × W → C × 1 × 1`.
pub(crate) fn global_avg_pool(shape: Shape, x: MatRef<'_, f64>) -> Mat<f64> {
    let p = shape.positions();
    let divisor = p as f64;
    Mat::from_fn(shape.c, x.ncols(), |c, n| {
        let col = x.col(n);
        let mut s = 0.0;
        for i in 0..p {
            s += col[c * p + i];
        }
        s / divisor
    })
}

impl Graph {
    fn check_batch(&self, x: MatRef<'_, f64>) -> Result<(), ForwardError> {
        let expected = self.input.len();
        if x.nrows() != expected {
            return Err(ForwardError::InputLength {
                expected,
                found: x.nrows(),
            });
        }
        for j in 0..x.ncols() {
            for i in 0..x.nrows() {
                let value = x[(i, j)];
                if !value.is_finite() {
                    return Err(ForwardError::NonFiniteInput {
                        input: j,
                        coordinate: i,
                        value,
                    });
                }
            }
        }
        Ok(())
    }

    /// For every node id, the id of the last node that reads its value (itself if none
    /// does; the output is never freed).
    pub(crate) fn last_uses(&self) -> Vec<NodeId> {
        let mut last: Vec<NodeId> = (0..=self.nodes.len()).collect();
        for (k, node) in self.nodes.iter().enumerate() {
            for &i in &node.inputs {
                last[i] = last[i].max(k + 1);
            }
        }
        last
    }

    /// The output height and width of node `id`.
    fn out_hw(&self, id: NodeId) -> (usize, usize) {
        let s = self.shapes[id];
        (s.h, s.w)
    }

    /// Node `id`'s value for a batch, given its inputs' values (one input per column).
    pub(crate) fn apply_node(&self, id: NodeId, inputs: &[MatRef<'_, f64>], par: Par) -> Mat<f64> {
        let node = &self.nodes[id - 1];
        let x = inputs[0];
        let in_shape = self.shapes[node.inputs[0]];
        match &node.op {
            Op::Dense { weight, bias } => {
                let mut z = Mat::<f64>::zeros(weight.nrows(), x.ncols());
                matmul(z.as_mut(), Accum::Replace, weight.as_ref(), x, 1.0, par);
                if let Some(b) = bias {
                    add_channel_bias(&mut z, b, 1);
                }
                z
            }
            Op::Conv(conv) => {
                let out = self.out_hw(id);
                let mut z = conv_apply(in_shape, &conv.window, out, conv.matrix().as_ref(), x, par);
                if let Some(b) = &conv.bias {
                    add_channel_bias(&mut z, b, out.0 * out.1);
                }
                z
            }
            Op::Scale { scale, shift } => {
                let p = in_shape.positions();
                let mut z = x.to_owned();
                for j in 0..z.ncols() {
                    let col = z.col_as_slice_mut(j);
                    for (c, chunk) in col.chunks_exact_mut(p).enumerate() {
                        let (s, t) = (scale[c], shift.as_ref().map_or(0.0, |t| t[c]));
                        for v in chunk {
                            *v = *v * s + t;
                        }
                    }
                }
                z
            }
            Op::Activation(a) => {
                let mut z = x.to_owned();
                a.apply_mat(z.as_mut());
                z
            }
            Op::MaxPool(p) => max_pool(in_shape, p, self.out_hw(id), x),
            Op::AvgPool(p) => avg_pool(in_shape, p, self.out_hw(id), x),
            Op::GlobalAvgPool => global_avg_pool(in_shape, x),
            Op::Flatten => x.to_owned(),
            Op::Add => {
                let mut z = x.to_owned();
                let y = inputs[1];
                for j in 0..z.ncols() {
                    for (a, b) in z.col_as_slice_mut(j).iter_mut().zip(y.col(j).iter()) {
                        *a += b;
                    }
                }
                z
            }
        }
    }

    /// Runs a validated batch through the graph, calling `visit(id, value)` for every node
    /// (0 = the input) as soon as its value is computed, and returns the output. Each value
    /// is dropped once its last reader has run.
    fn run(
        &self,
        x: MatRef<'_, f64>,
        par: Par,
        mut visit: impl FnMut(NodeId, MatRef<'_, f64>),
    ) -> Mat<f64> {
        let last = self.last_uses();
        let out = self.output();
        let mut values: Vec<Option<Mat<f64>>> = vec![None; self.nodes.len() + 1];
        visit(0, x);
        for id in 1..=out {
            let node = &self.nodes[id - 1];
            let value = {
                // Inputs precede their reader and are dropped only after their last
                // reader has run, so every input is present (validated graph).
                let ins: Vec<MatRef<'_, f64>> = node
                    .inputs
                    .iter()
                    .map(|&i| match i {
                        0 => x,
                        _ => values[i].as_ref().map_or(x, Mat::as_ref),
                    })
                    .collect();
                self.apply_node(id, &ins, par)
            };
            visit(id, value.as_ref());
            for &i in &node.inputs {
                if last[i] == id && i != out {
                    values[i] = None;
                }
            }
            if last[id] != id || id == out {
                values[id] = Some(value);
            }
        }
        values[out].take().unwrap_or_else(|| x.to_owned())
    }

    /// The graph's output for a batch: `inputs` has one input per column (length
    /// `input_shape().len()`, row-major `C × H × W`); returns one output per column.
    ///
    /// Dense and convolution nodes use faer's matrix product with parallelism `par`
    /// (`Par::Seq` is reproducible bit for bit); a convolution is an im2col followed by one
    /// product per chunk of inputs ([`im2col`]). Every value is freed once its last reader
    /// has run. For an MLP graph ([`Graph::from_network`]) the result is bit-identical to
    /// [`crate::Network::forward_batch`].
    ///
    /// # Errors
    /// [`ForwardError::InputLength`] or [`ForwardError::NonFiniteInput`] naming the input
    /// and coordinate.
    pub fn forward_batch(
        &self,
        inputs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<Mat<f64>, ForwardError> {
        self.check_batch(inputs)?;
        Ok(self.run(inputs, par, |_, _| {}))
    }

    /// [`Graph::forward_batch`], calling `visit(id, value)` with every node's value batch
    /// (`id` 0 is the inputs; `value` is `shapes()[id].len() × N`) in node order, as soon as
    /// it is computed. Only the values still to be read are held in memory.
    ///
    /// # Errors
    /// As [`Graph::forward_batch`].
    pub fn forward_visit(
        &self,
        inputs: MatRef<'_, f64>,
        par: Par,
        visit: impl FnMut(NodeId, MatRef<'_, f64>),
    ) -> Result<Mat<f64>, ForwardError> {
        self.check_batch(inputs)?;
        Ok(self.run(inputs, par, visit))
    }

    /// Every node's value batch: entry `id` is node `id`'s value (`shapes()[id].len() × N`,
    /// entry 0 the inputs). Holds all of them; prefer [`Graph::forward_visit`] for large
    /// batches.
    ///
    /// # Errors
    /// As [`Graph::forward_batch`].
    pub fn values_batch(
        &self,
        inputs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<Vec<Mat<f64>>, ForwardError> {
        let mut all = Vec::with_capacity(self.nodes.len() + 1);
        self.forward_visit(inputs, par, |_, v| all.push(v.to_owned()))?;
        Ok(all)
    }

    /// The output for one input `x` (length `input_shape().len()`), sequentially.
    ///
    /// # Errors
    /// As [`Graph::forward_batch`].
    pub fn forward(&self, x: &[f64]) -> Result<Vec<f64>, ForwardError> {
        let batch = MatRef::from_column_major_slice(x, x.len(), 1);
        let y = self.forward_batch(batch, Par::Seq)?;
        Ok(y.col(0).iter().copied().collect())
    }
}
