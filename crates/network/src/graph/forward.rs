//! Forward passes through a [`Graph`]: a batch of inputs (one per column) through every
//! node, convolutions by im2col and faer's matrix product, each value freed as soon as its
//! last reader has run.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

use super::shape::out_len;
use super::{Graph, NodeId, Op, Pool2d, Shape, Window};

/// Errors of feeding inputs to a [`Graph`] or to [`im2col`] (bad inputs are errors, never
/// panics: ARCHITECTURE.md, invariant 11).
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
    let (rows, cols) = (shape.c * window.taps(), batch.ncols() * oh * ow);
    let mut out = vec![0.0; rows * cols];
    im2col_t_into(shape, window, (oh, ow), batch, &mut out);
    Ok(MatRef::from_column_major_slice(&out, cols, rows)
        .transpose()
        .to_owned())
}

/// The transposed im2col of a batch, written into `dst`: the column-major storage of an
/// `N·oh·ow × c·taps` matrix (the transpose of [`im2col`]'s), so that each column (one
/// channel and tap) is filled by contiguous runs: for each input and output row `y'`, the
/// `ow` values that tap reads along the row (a slice of the input row for stride 1).
/// `dst` must hold at least `N·oh·ow·c·taps` values; the window must fit.
pub(crate) fn im2col_t_into(
    shape: Shape,
    window: &Window,
    (oh, ow): (usize, usize),
    batch: MatRef<'_, f64>,
    dst: &mut [f64],
) {
    let [kh, kw] = window.kernel;
    let [sh, sw] = window.stride;
    let [dh, dw] = window.dilation;
    let (pt, pl) = (window.padding[0], window.padding[1]);
    let (h, w) = (shape.h, shape.w);
    let positions = oh * ow;
    let m = batch.ncols() * positions;
    // For each column tap j, the output columns x' whose tap is inside the input are the
    // contiguous range [lo_j, hi_j) (the input column grows with x'); the first reads
    // input column x'·sw + j·dw − pl at x' = lo_j.
    let ranges: Vec<(usize, usize)> = (0..kw)
        .map(|j| {
            let inside = |ox: usize| source(ox, j, sw, dw, pl, w).is_some();
            let lo = (0..ow).find(|&ox| inside(ox)).unwrap_or(ow);
            let hi = (lo..ow).find(|&ox| !inside(ox)).unwrap_or(ow);
            (lo, hi)
        })
        .collect();
    let mut scratch = Vec::new();
    for n in 0..batch.ncols() {
        let x: &[f64] = match batch.col(n).try_as_col_major() {
            Some(c) => c.as_slice(),
            None => {
                scratch.clear();
                scratch.extend(batch.col(n).iter().copied());
                &scratch
            }
        };
        for b in 0..shape.c {
            for i in 0..kh {
                for (j, &(lo, hi)) in ranges.iter().enumerate() {
                    let r = (b * kh + i) * kw + j;
                    let col = &mut dst[r * m + n * positions..r * m + (n + 1) * positions];
                    for oy in 0..oh {
                        let seg = &mut col[oy * ow..(oy + 1) * ow];
                        let Some(iy) = source(oy, i, sh, dh, pt, h) else {
                            seg.fill(0.0);
                            continue;
                        };
                        seg[..lo].fill(0.0);
                        seg[hi..].fill(0.0);
                        if lo < hi {
                            // Input column of x' = lo (inside the input by the choice of lo).
                            let start = b * h * w + iy * w + lo * sw + j * dw - pl;
                            if sw == 1 {
                                seg[lo..hi].copy_from_slice(&x[start..start + (hi - lo)]);
                            } else {
                                for (t, v) in seg[lo..hi].iter_mut().enumerate() {
                                    *v = x[start + t * sw];
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
/// inputs (8 MB of `f64`).
const IM2COL_BUDGET: usize = 1 << 17;

/// `K ⊛ x` without bias for a batch (columns): the convolution with kernel matrix `kernel`
/// (`c_out × c_in·taps`) of `window` on inputs of `shape`, output `(oh, ow)`. Returns the
/// `c_out·oh·ow × N` outputs, row-major `c_out × oh × ow` per column. The batch is processed
/// in chunks of inputs whose im2col stays under [`IM2COL_BUDGET`] entries per thread of
/// `par`; each chunk is one
/// product `im2colᵀ · Kᵀ` (`N·oh·ow × c_out`), whose column `a` holds channel `a` of each
/// input as a contiguous run.
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
    let budget = IM2COL_BUDGET * par.degree().max(1);
    let chunk = (budget / per_input).clamp(1, n.max(1));
    let mut cols = vec![0.0; k * chunk * positions];
    let mut yt = Mat::<f64>::zeros(chunk * positions, c_out);
    let mut start = 0;
    while start < n {
        let len = chunk.min(n - start);
        let m = len * positions;
        im2col_t_into(shape, window, (oh, ow), x.subcols(start, len), &mut cols);
        matmul(
            yt.as_mut().subrows_mut(0, m),
            Accum::Replace,
            MatRef::from_column_major_slice(&cols[..m * k], m, k),
            kernel.transpose(),
            1.0,
            par,
        );
        for local in 0..len {
            let dst = out.col_as_slice_mut(start + local);
            for a in 0..c_out {
                let src = &yt.col_as_slice(a)[local * positions..(local + 1) * positions];
                dst[a * positions..(a + 1) * positions].copy_from_slice(src);
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

/// The first input of a node: borrowed, or owned when the node is its last reader (an
/// elementwise node then works in place).
pub(crate) enum First<'a> {
    /// A view of a value that others still read.
    Borrowed(MatRef<'a, f64>),
    /// A value no one reads after this node.
    Owned(Mat<f64>),
}

impl First<'_> {
    fn view(&self) -> MatRef<'_, f64> {
        match self {
            First::Borrowed(v) => *v,
            First::Owned(m) => m.as_ref(),
        }
    }

    fn into_owned(self) -> Mat<f64> {
        match self {
            First::Borrowed(v) => v.to_owned(),
            First::Owned(m) => m,
        }
    }
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

    /// Node `id`'s value for a batch, given its inputs' values (one input per column, in the
    /// order of the node's `inputs`): the step [`Graph::forward_batch`] takes for that node,
    /// for a caller that computes some nodes itself (e.g. a pruned network's linear nodes).
    ///
    /// # Panics
    /// If `id` is 0 or not a node, or the inputs do not have the node's input shapes (a
    /// validated graph's values always do).
    pub fn eval_node(&self, id: NodeId, inputs: &[MatRef<'_, f64>], par: Par) -> Mat<f64> {
        self.apply_node(id, First::Borrowed(inputs[0]), &inputs[1..], par)
    }

    /// Node `id`'s value for a batch, given its inputs' values (one input per column).
    pub(crate) fn apply_node(
        &self,
        id: NodeId,
        first: First<'_>,
        rest: &[MatRef<'_, f64>],
        par: Par,
    ) -> Mat<f64> {
        let node = &self.nodes[id - 1];
        let x = first.view();
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
                let mut z = first.into_owned();
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
                let mut z = first.into_owned();
                a.apply_mat(z.as_mut());
                z
            }
            Op::MaxPool(p) => max_pool(in_shape, p, self.out_hw(id), x),
            Op::AvgPool(p) => avg_pool(in_shape, p, self.out_hw(id), x),
            Op::GlobalAvgPool => global_avg_pool(in_shape, x),
            Op::Flatten => first.into_owned(),
            Op::Add => {
                let y = rest[0];
                let mut z = first.into_owned();
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
            let i0 = node.inputs[0];
            // An elementwise node that is the last reader of its first input (and does not
            // read it twice) takes that value and works in place.
            let in_place = matches!(
                node.op,
                Op::Scale { .. } | Op::Activation(_) | Op::Flatten | Op::Add
            ) && i0 != 0
                && last[i0] == id
                && !node.inputs[1..].contains(&i0);
            let owned = if in_place { values[i0].take() } else { None };
            let value = {
                // Inputs precede their reader and are dropped only after their last
                // reader has run, so every input is present (validated graph); node 0 is
                // the borrowed batch.
                let lookup = |i: NodeId| match values[i].as_ref() {
                    Some(v) if i != 0 => v.as_ref(),
                    _ => x,
                };
                let first = match owned {
                    Some(v) => First::Owned(v),
                    None => First::Borrowed(lookup(i0)),
                };
                let rest: Vec<MatRef<'_, f64>> =
                    node.inputs[1..].iter().map(|&i| lookup(i)).collect();
                self.apply_node(id, first, &rest, par)
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
