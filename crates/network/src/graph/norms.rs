//! Certified Lipschitz factors and operator norms of a graph's nodes, in the ℓ2 norm of the
//! flattened values, valid for any stride, padding and dilation, rounded up.
//!
//! # The Schur bound of a convolution
//!
//! Unrolled, a convolution (without bias) is a matrix `A` from the `c_in·H·W` inputs to the
//! `c_out·H'·W'` outputs with `A[(a, y', x'), (b, y, x)] = K[a, b, (i, j)]` when
//! `y = y'·s_h + i·d_h − p_top` and `x = x'·s_w + j·d_w − p_left`, and 0 otherwise.
//!
//! - Row `(a, y', x')` holds `K[a, b, (i, j)]` at column `(b, y, x)` for the taps in range;
//!   distinct taps `(i, j)` give distinct `(y, x)` (the dilations are ≥ 1), so no two
//!   taps share an entry and `‖A‖_∞ = max_row Σ|A| ≤ max_a Σ_{b,p} |K[a, b, p]|`.
//! - Column `(b, y, x)`: for a fixed tap `(i, j)`, `y'` is determined by `y` (it is
//!   `(y + p_top − i·d_h)/s_h` if that is a whole number in range) and likewise `x'`, so each
//!   input pixel is read by **at most one output position per tap**, whatever the stride
//!   and padding; and distinct taps at one output position read distinct pixels. So column
//!   `(b, y, x)` holds each `K[a, b, p]` at most once and
//!   `‖A‖_1 = max_col Σ|A| ≤ max_b Σ_{a,p} |K[a, b, p]|`.
//!
//! Then `‖A‖_2 ≤ √(‖A‖_1 ‖A‖_∞)` (Schur's test, or Riesz–Thorin between ℓ1 and ℓ∞).
//!
//! # Rounding
//!
//! Sums of absolute values are rounded up as [`crate::interval`] does
//! (`(k+4)·ε·S + (k+4)·TINY`, then `next_up`), products and square roots with `next_up`.

use faer::MatRef;

use super::forward::window_out;
use super::{Graph, NodeId, Op, Pool2d, Shape};
use crate::interval::inflate_sum_up;
use crate::norms::{NormError, check_finite, spectral_norm_upper_bound};

/// `√(a·b)` rounded up, for `a, b ≥ 0` already rounded up.
fn sqrt_product_up(a: f64, b: f64) -> f64 {
    (a * b).next_up().sqrt().next_up()
}

/// A certified upper bound on the ℓ2 operator norm of the convolution whose kernel matrix is
/// `matrix` (`c_out × (c_in·taps)`, column `b·taps + p` for input channel `b` and tap `p`, as
/// [`super::Conv2d::matrix`]), for **any** input size, stride, padding and dilation: the
/// Schur bound `√(‖A‖_1 ‖A‖_∞)` of the unrolled operator `A` with
/// `‖A‖_∞ ≤ max_a Σ_{b,p}|K[a,b,p]|` (the largest row sum of `matrix`) and
/// `‖A‖_1 ≤ max_b Σ_{a,p}|K[a,b,p]|` (the largest sum over an input channel's block of
/// columns); see the module docs for the proof. Any kernel-shaped matrix works, e.g. the
/// error kernel `K − K̂` of an approximation.
///
/// # Errors
/// [`NormError::KernelShape`] if `matrix.ncols() ≠ c_in·taps`, [`NormError::NonFinite`]
/// for a NaN or infinite entry.
pub fn conv_operator_norm_bound(
    matrix: MatRef<'_, f64>,
    c_in: usize,
    taps: usize,
) -> Result<f64, NormError> {
    if c_in.checked_mul(taps) != Some(matrix.ncols()) {
        return Err(NormError::KernelShape {
            cols: matrix.ncols(),
            c_in,
            taps,
        });
    }
    let groups: Vec<usize> = (0..matrix.ncols()).map(|c| c / taps).collect();
    schur_bound_grouped(matrix, &groups)
}

/// Schur's test `√(max row sum · max group sum)` of the absolute entries of `matrix`, with
/// its columns in groups (`groups[c]` is column `c`'s): the bound of
/// [`conv_operator_norm_bound`] for a matrix whose columns are any blocks of an unrolled
/// operator's inputs, each read at most once per column of its block by an output (e.g. a
/// kernel with extra blocks: the split `[K | K_N]` of a pruned conv and a bias column read
/// from a constant channel). Sums are rounded up.
///
/// # Errors
/// [`NormError::NonFinite`] for a NaN or infinite entry; [`NormError::KernelShape`] if
/// `groups` does not have one entry per column.
pub fn schur_bound_grouped(matrix: MatRef<'_, f64>, groups: &[usize]) -> Result<f64, NormError> {
    if groups.len() != matrix.ncols() {
        return Err(NormError::KernelShape {
            cols: matrix.ncols(),
            c_in: groups.len(),
            taps: 1,
        });
    }
    check_finite(matrix)?;
    let (rows, cols) = matrix.shape();
    let mut row_max = 0.0f64;
    for a in 0..rows {
        let mut s = 0.0;
        for c in 0..cols {
            s += matrix[(a, c)].abs();
        }
        row_max = row_max.max(inflate_sum_up(s, s, cols as f64));
    }
    let n_groups = groups.iter().copied().max().map_or(0, |g| g + 1);
    let mut sums = vec![0.0f64; n_groups];
    let mut counts = vec![0usize; n_groups];
    for (c, &g) in groups.iter().enumerate() {
        for a in 0..rows {
            sums[g] += matrix[(a, c)].abs();
        }
        counts[g] += rows;
    }
    let col_max = sums
        .iter()
        .zip(&counts)
        .map(|(&s, &k)| inflate_sum_up(s, s, k as f64))
        .fold(0.0f64, f64::max);
    Ok(sqrt_product_up(row_max, col_max))
}

/// Along one axis of length `n`: for each output `o < outputs`, the input coordinates its
/// window reads (taps `i < k` at `o·stride + i·dilation − pad`, those in range).
fn axis_windows(
    n: usize,
    k: usize,
    stride: usize,
    pad: usize,
    dilation: usize,
    outputs: usize,
) -> Vec<Vec<usize>> {
    (0..outputs)
        .map(|o| {
            (0..k)
                .filter_map(|i| {
                    let t = o * stride + i * dilation;
                    (t >= pad && t - pad < n).then(|| t - pad)
                })
                .collect()
        })
        .collect()
}

/// The per-axis windows of a pool on `shape`: `(rows, columns)`.
fn pool_windows(shape: Shape, pool: &Pool2d, out: (usize, usize)) -> [Vec<Vec<usize>>; 2] {
    let w = &pool.window;
    [
        axis_windows(
            shape.h,
            w.kernel[0],
            w.stride[0],
            w.padding[0],
            w.dilation[0],
            out.0,
        ),
        axis_windows(
            shape.w,
            w.kernel[1],
            w.stride[1],
            w.padding[1],
            w.dilation[1],
            out.1,
        ),
    ]
}

/// The largest number of windows that contain one input position (exact: a window
/// `(y', x')` contains `(y, x)` iff its row window contains `y` and its column window `x`,
/// so the count factorises and its maximum is the product of the per-axis maxima).
pub(crate) fn max_overlap(shape: Shape, pool: &Pool2d, out: (usize, usize)) -> usize {
    let [rows, cols] = pool_windows(shape, pool, out);
    let axis_max = |windows: &[Vec<usize>], n: usize| {
        let mut count = vec![0usize; n];
        for w in windows {
            for &t in w {
                count[t] += 1;
            }
        }
        count.into_iter().max().unwrap_or(0)
    };
    axis_max(&rows, shape.h) * axis_max(&cols, shape.w)
}

/// A certified upper bound on the ℓ2 norm of average pooling on `shape` (a linear map).
///
/// Its matrix `A` has, in row `(c, y', x')`, the entry `1/d` at each in-range position of the
/// window, with `d = kh·kw` (`count_include_pad`) or `d = n_h(y')·n_w(x')`, the number of
/// in-range positions (which factorises by axis, as does `kh·kw`). So every row and column
/// sum factorises: `‖A‖_∞ = max_{y'} n_h(y')/d_h(y') · max_{x'} n_w(x')/d_w(x')` (at most 1;
/// exactly 1 without `count_include_pad`) and
/// `‖A‖_1 = max_y Σ_{y' ∋ y} 1/d_h(y') · max_x Σ_{x' ∋ x} 1/d_w(x')` (at most
/// ⌈kh/sh⌉⌈kw/sw⌉ / (kh·kw) in the interior, larger at borders without
/// `count_include_pad`), computed exactly per axis and rounded up; the bound is
/// `√(‖A‖_1 ‖A‖_∞)`.
pub(crate) fn avg_pool_norm_bound(shape: Shape, pool: &Pool2d, out: (usize, usize)) -> f64 {
    let windows = pool_windows(shape, pool, out);
    let mut row_bound = 1.0f64;
    let mut col_bound = 1.0f64;
    for (axis, ws) in windows.iter().enumerate() {
        let n = if axis == 0 { shape.h } else { shape.w };
        let k = pool.window.kernel[axis];
        let divisor = |w: &Vec<usize>| {
            if pool.count_include_pad {
                k as f64
            } else {
                w.len() as f64
            }
        };
        // Row sums n/d: exact quotients rounded up.
        let mut row_max = 0.0f64;
        for w in ws {
            row_max = row_max.max((w.len() as f64 / divisor(w)).next_up());
        }
        // Column sums Σ 1/d over the windows containing each coordinate.
        let mut sums = vec![0.0f64; n];
        let mut terms = vec![0usize; n];
        for w in ws {
            let inv = (1.0 / divisor(w)).next_up();
            for &t in w {
                sums[t] += inv;
                terms[t] += 1;
            }
        }
        let col_max = sums
            .iter()
            .zip(&terms)
            .map(|(&s, &k)| inflate_sum_up(s, s, k as f64))
            .fold(0.0f64, f64::max);
        row_bound = (row_bound * row_max).next_up();
        col_bound = (col_bound * col_max).next_up();
    }
    sqrt_product_up(row_bound, col_bound)
}

/// A short name of an operation, for errors.
fn kind(op: &Op) -> &'static str {
    match op {
        Op::Dense { .. } => "dense",
        Op::Conv(_) => "conv",
        Op::Scale { .. } => "scale",
        Op::Activation(_) => "activation",
        Op::MaxPool(_) => "max-pool",
        Op::AvgPool(_) => "avg-pool",
        Op::GlobalAvgPool => "global-avg-pool",
        Op::Flatten => "flatten",
        Op::Add => "add",
    }
}

impl Graph {
    fn node_checked(&self, id: NodeId) -> Result<&super::Node, NormError> {
        match id.checked_sub(1).and_then(|k| self.nodes.get(k)) {
            Some(node) => Ok(node),
            None => Err(NormError::NoSuchNode {
                node: id,
                nodes: self.nodes.len(),
            }),
        }
    }

    /// A certified upper bound on the ℓ2 operator norm of linear node `id` (without its
    /// bias): [`spectral_norm_upper_bound`] of a dense weight, [`conv_operator_norm_bound`]
    /// of a convolution's kernel.
    ///
    /// # Errors
    /// [`NormError::NoSuchNode`], [`NormError::NotLinear`] for a node that is not dense or
    /// conv, and the errors of the norm computations.
    pub fn operator_norm_bound(&self, id: NodeId) -> Result<f64, NormError> {
        let node = self.node_checked(id)?;
        match &node.op {
            Op::Dense { weight, .. } => spectral_norm_upper_bound(weight.as_ref()),
            Op::Conv(conv) => {
                conv_operator_norm_bound(conv.matrix().as_ref(), conv.c_in, conv.window.taps())
            }
            op => Err(NormError::NotLinear {
                node: id,
                op: kind(op),
            }),
        }
    }

    /// A certified Lipschitz factor `L` of node `id` in the ℓ2 norm of the flattened values:
    /// `‖f(x) − f(y)‖_2 ≤ L ‖x − y‖_2`, rounded up.
    ///
    /// - Dense, conv: [`Graph::operator_norm_bound`].
    /// - Scale: `max_c |scale_c|`. Activation: λ ([`crate::Activation::lipschitz`]).
    /// - Max pooling: `√(max overlap)`, the largest number of windows that contain one input
    ///   position (computed exactly from kernel, stride, padding and dilation; at most
    ///   ⌈kh/sh⌉⌈kw/sw⌉ without dilation): `|max_w x − max_w y| ≤ max_{i∈w} |x_i − y_i|`, so
    ///   `Σ_w (max_w x − max_w y)² ≤ Σ_w Σ_{i∈w} |x_i − y_i|² ≤ overlap · ‖x − y‖²`.
    /// - Average pooling: the operator norm bound of the averaging matrix (see
    ///   `avg_pool_norm_bound` in the source: `√(‖A‖_1‖A‖_∞)`, exact row and column sums
    ///   including the smaller divisors at borders without `count_include_pad`).
    /// - Global average pooling: `1/√(H·W)` (each channel's mean is `1ᵀx/(HW)`).
    /// - Flatten: 1. Add: 1 **for each input** (`‖Δ(a + b)‖ ≤ ‖Δa‖ + ‖Δb‖`).
    ///
    /// # Errors
    /// [`NormError::NoSuchNode`] and, for dense and conv, as
    /// [`Graph::operator_norm_bound`].
    pub fn lipschitz(&self, id: NodeId) -> Result<f64, NormError> {
        let node = self.node_checked(id)?;
        let input = self.shapes[node.inputs[0]];
        let out = (self.shapes[id].h, self.shapes[id].w);
        Ok(match &node.op {
            Op::Dense { .. } | Op::Conv(_) => return self.operator_norm_bound(id),
            Op::Scale { scale, .. } => scale.iter().fold(0.0f64, |m, s| m.max(s.abs())),
            Op::Activation(a) => a.lipschitz(),
            Op::MaxPool(p) => {
                debug_assert_eq!(window_out(input, &p.window), Some(out));
                (max_overlap(input, p, out) as f64).sqrt().next_up()
            }
            Op::AvgPool(p) => avg_pool_norm_bound(input, p, out),
            Op::GlobalAvgPool => (1.0 / input.positions() as f64).next_up().sqrt().next_up(),
            Op::Flatten | Op::Add => 1.0,
        })
    }
}
