//! Certified interval propagation through a [`Graph`]: enclosures of every node's values
//! over a box of inputs or a finite set, with outward rounding.
//!
//! Linear nodes (dense, conv) go through the one affine rule of [`crate::interval`]
//! (midpoint-radius form, `W m ± |W| r` with its rounding allowance; a convolution applies
//! its kernel and its absolute kernel by im2col). The other nodes are monotone in each
//! input or handled exactly: a scale maps the ends by the sign of its factor, max pooling
//! of the ends is exact, average pooling and global averages of the ends are sums rounded
//! outward, an add is rounded outward by the exact error of each sum, an activation takes
//! [`crate::Activation::image`], and flatten changes nothing.

use faer::{Mat, MatRef, Par};

use super::forward::{conv_apply, max_pool, pool_fold};
use super::{Graph, NodeId, Op, Shape};
use crate::Activation;
use crate::interval::{
    ActivationBounds, InputBox, IntervalError, IntervalVector, TINY, affine_bounds, gemm,
    inflate_sum_up, to_mid_rad,
};

/// The ends `(lo, hi)` of a batch of interval vectors (one per column).
type Ends = (Mat<f64>, Mat<f64>);

/// `a + b` rounded down and up: the rounded sum, and its neighbour on the side of the exact
/// sum when the sum is inexact (the error of a sum is exactly representable: Knuth's
/// TwoSum).
pub(crate) fn add_outward(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    let err = (a - (s - bb)) + (b - bb);
    if err > 0.0 {
        (s, s.next_up())
    } else if err < 0.0 {
        (s.next_down(), s)
    } else {
        (s, s)
    }
}

/// `s·x + t` rounded down and up (two roundings, each within `u` of its result, so within
/// `ε(|s·x| + |t|)` in all; plus `TINY` for underflow).
pub(crate) fn scale_outward(s: f64, x: f64, t: f64) -> (f64, f64) {
    let p = s * x;
    let v = p + t;
    let slack = 2.0 * f64::EPSILON * (p.abs() + t.abs()) + TINY;
    ((v - slack).next_down(), (v + slack).next_up())
}

/// Average pooling of a batch of ends: each window's sum, rounded down (`up = false`) or
/// up, divided by its divisor and rounded again.
fn avg_pool_outward(
    shape: Shape,
    pool: &super::Pool2d,
    out: (usize, usize),
    x: MatRef<'_, f64>,
    up: bool,
) -> Mat<f64> {
    let full = pool.window.taps() as f64;
    let include = pool.count_include_pad;
    pool_fold(shape, &pool.window, out, x, |taps| {
        let (sum, abs, count) = taps.fold((0.0, 0.0, 0usize), |(s, a, c), v| {
            (s + v, a + v.abs(), c + 1)
        });
        let d = if include { full } else { count as f64 };
        sum_divided(sum, abs, count, d, up)
    })
}

/// A bound on `(exact sum)/d` from a computed sum of `k` terms with absolute sum `abs`.
fn sum_divided(sum: f64, abs: f64, k: usize, d: f64, up: bool) -> f64 {
    if up {
        (inflate_sum_up(sum, abs, k as f64) / d).next_up()
    } else {
        (-inflate_sum_up(-sum, abs, k as f64) / d).next_down()
    }
}

impl Graph {
    /// Node `id`'s ends from its inputs' ends.
    fn interval_node(
        &self,
        id: NodeId,
        ins: &[(MatRef<'_, f64>, MatRef<'_, f64>)],
        par: Par,
    ) -> Result<Ends, IntervalError> {
        let node = &self.nodes[id - 1];
        let in_shape = self.shapes[node.inputs[0]];
        let out_shape = self.shapes[id];
        let (lo, hi) = ins[0];
        let overflow = IntervalError::NodeOverflow { node: id };
        let map = |f: &dyn Fn(f64, f64) -> (f64, f64)| -> Result<Ends, IntervalError> {
            let (rows, cols) = lo.shape();
            let mut l = Mat::<f64>::zeros(rows, cols);
            let mut h = Mat::<f64>::zeros(rows, cols);
            for j in 0..cols {
                for i in 0..rows {
                    let (a, b) = f(lo[(i, j)], hi[(i, j)]);
                    if !(a.is_finite() && b.is_finite()) {
                        return Err(overflow);
                    }
                    l[(i, j)] = a;
                    h[(i, j)] = b;
                }
            }
            Ok((l, h))
        };
        let ends = match &node.op {
            Op::Dense { weight, bias } => {
                let (mid, rad) = to_mid_rad(&lo.to_owned(), &hi.to_owned());
                let bias = bias.as_deref();
                affine_bounds(
                    weight.as_ref(),
                    &|m, x| gemm(m, x, par),
                    &mid,
                    Some(&rad),
                    &|i| bias.map_or(0.0, |b| b[i]),
                    Activation::Identity,
                )
                .ok_or(overflow)?
            }
            Op::Conv(conv) => {
                let (mid, rad) = to_mid_rad(&lo.to_owned(), &hi.to_owned());
                let out = (out_shape.h, out_shape.w);
                let positions = out_shape.positions();
                let bias = conv.bias.as_deref();
                affine_bounds(
                    conv.matrix().as_ref(),
                    &|m, x| conv_apply(in_shape, &conv.window, out, m, x, par),
                    &mid,
                    Some(&rad),
                    &|i| bias.map_or(0.0, |b| b[i / positions]),
                    Activation::Identity,
                )
                .ok_or(overflow)?
            }
            Op::Scale { scale, shift } => {
                let p = in_shape.positions();
                let (rows, cols) = lo.shape();
                let mut l = Mat::<f64>::zeros(rows, cols);
                let mut h = Mat::<f64>::zeros(rows, cols);
                for j in 0..cols {
                    for i in 0..rows {
                        let c = i / p;
                        let (s, t) = (scale[c], shift.as_ref().map_or(0.0, |t| t[c]));
                        // s ≥ 0 maps lo to the lower end; s < 0 maps hi to it.
                        let (from_lo, from_hi) = (
                            scale_outward(s, lo[(i, j)], t),
                            scale_outward(s, hi[(i, j)], t),
                        );
                        let (a, b) = if s >= 0.0 {
                            (from_lo.0, from_hi.1)
                        } else {
                            (from_hi.0, from_lo.1)
                        };
                        if !(a.is_finite() && b.is_finite()) {
                            return Err(overflow);
                        }
                        l[(i, j)] = a;
                        h[(i, j)] = b;
                    }
                }
                (l, h)
            }
            Op::Activation(a) => map(&|l, h| a.image(l, h))?,
            Op::MaxPool(p) => {
                let out = (out_shape.h, out_shape.w);
                (
                    max_pool(in_shape, p, out, lo),
                    max_pool(in_shape, p, out, hi),
                )
            }
            Op::AvgPool(p) => {
                let out = (out_shape.h, out_shape.w);
                (
                    avg_pool_outward(in_shape, p, out, lo, false),
                    avg_pool_outward(in_shape, p, out, hi, true),
                )
            }
            Op::GlobalAvgPool => {
                let p = in_shape.positions();
                let d = p as f64;
                let reduce = |x: MatRef<'_, f64>, up: bool| {
                    Mat::from_fn(in_shape.c, x.ncols(), |c, n| {
                        let col = x.col(n);
                        let (mut s, mut a) = (0.0, 0.0);
                        for i in 0..p {
                            let v = col[c * p + i];
                            s += v;
                            a += v.abs();
                        }
                        sum_divided(s, a, p, d, up)
                    })
                };
                (reduce(lo, false), reduce(hi, true))
            }
            Op::Flatten => (lo.to_owned(), hi.to_owned()),
            Op::Add => {
                let (lo_b, hi_b) = ins[1];
                let (rows, cols) = lo.shape();
                let mut l = Mat::<f64>::zeros(rows, cols);
                let mut h = Mat::<f64>::zeros(rows, cols);
                for j in 0..cols {
                    for i in 0..rows {
                        let a = add_outward(lo[(i, j)], lo_b[(i, j)]).0;
                        let b = add_outward(hi[(i, j)], hi_b[(i, j)]).1;
                        if !(a.is_finite() && b.is_finite()) {
                            return Err(overflow);
                        }
                        l[(i, j)] = a;
                        h[(i, j)] = b;
                    }
                }
                (l, h)
            }
        };
        Ok(ends)
    }

    /// Propagates the ends `lo ≤ hi` of a batch of input boxes (one per column) through the
    /// graph, calling `visit(id, lo, hi)` for every node (0 = the inputs) in order; each
    /// node's ends are dropped once its last reader has run.
    fn propagate(
        &self,
        lo: MatRef<'_, f64>,
        hi: MatRef<'_, f64>,
        par: Par,
        mut visit: impl FnMut(NodeId, MatRef<'_, f64>, MatRef<'_, f64>),
    ) -> Result<(), IntervalError> {
        let last = self.last_uses();
        let mut ends: Vec<Option<Ends>> = vec![None; self.nodes.len() + 1];
        visit(0, lo, hi);
        for id in 1..=self.nodes.len() {
            let node = &self.nodes[id - 1];
            let value = {
                // Inputs precede their reader and are dropped only after their last reader
                // has run, so every input is present; node 0 is the borrowed input.
                let ins: Vec<(MatRef<'_, f64>, MatRef<'_, f64>)> = node
                    .inputs
                    .iter()
                    .map(|&i| match ends[i].as_ref() {
                        Some((l, h)) if i != 0 => (l.as_ref(), h.as_ref()),
                        _ => (lo, hi),
                    })
                    .collect();
                self.interval_node(id, &ins, par)?
            };
            visit(id, value.0.as_ref(), value.1.as_ref());
            for &i in &node.inputs {
                if last[i] == id {
                    ends[i] = None;
                }
            }
            if last[id] != id {
                ends[id] = Some(value);
            }
        }
        Ok(())
    }

    /// Certified enclosures of every node's values over the box `domain`: entry `id` is
    /// node `id`'s (entry 0 the box itself), and for every `x` in the box the value of node
    /// `id` at `x` lies in entry `id`. See the module docs of [`crate::interval`] for the
    /// affine rule and its rounding; for an MLP graph ([`Graph::from_network`]) the
    /// enclosures of the dense-plus-activation pairs are those of
    /// [`crate::Network::propagate_box`], bit for bit.
    ///
    /// # Errors
    /// [`IntervalError::DimensionMismatch`] if the box does not have `input_shape().len()`
    /// coordinates, [`IntervalError::NodeOverflow`] if a bound overflows.
    pub fn propagate_box(&self, domain: &InputBox) -> Result<Vec<IntervalVector>, IntervalError> {
        let n = self.input.len();
        if domain.dim() != n {
            return Err(IntervalError::DimensionMismatch {
                expected: n,
                found: domain.dim(),
            });
        }
        let lo = MatRef::from_column_major_slice(domain.lo(), n, 1);
        let hi = MatRef::from_column_major_slice(domain.hi(), n, 1);
        let mut out = Vec::with_capacity(self.nodes.len() + 1);
        self.propagate(lo, hi, Par::Seq, |_, l, h| {
            out.push(IntervalVector {
                lo: l.col(0).iter().copied().collect(),
                hi: h.col(0).iter().copied().collect(),
            });
        })?;
        Ok(out)
    }

    /// Certified bounds on every node's values over the finite set of inputs given as the
    /// columns of `inputs`: index `id` of each vector of the returned [`ActivationBounds`]
    /// is node `id` (0 = the inputs), with `max_abs` (an upper bound on `max |value|`),
    /// `max_l2` (on `max ‖value‖_2`) and `min_value` (a lower bound on `min value`) over the
    /// inputs. Each input is propagated as a degenerate box, so the bounds exceed the
    /// computed values only by the rounding allowance; batched in chunks of 256 inputs
    /// (`par` as in [`Graph::forward_batch`]; the bounds are rigorous for any `par`).
    /// [`ActivationBounds::f_max`] is then the max over all nodes but the output.
    ///
    /// # Errors
    /// [`IntervalError::NoInputs`], [`IntervalError::DimensionMismatch`],
    /// [`IntervalError::NonFiniteInput`], or [`IntervalError::NodeOverflow`].
    pub fn certified_bounds_points(
        &self,
        inputs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<ActivationBounds, IntervalError> {
        let n = self.input.len();
        if inputs.nrows() != n {
            return Err(IntervalError::DimensionMismatch {
                expected: n,
                found: inputs.nrows(),
            });
        }
        if inputs.ncols() == 0 {
            return Err(IntervalError::NoInputs);
        }
        for j in 0..inputs.ncols() {
            for i in 0..n {
                let value = inputs[(i, j)];
                if !value.is_finite() {
                    return Err(IntervalError::NonFiniteInput {
                        input: j,
                        coordinate: i,
                        value,
                    });
                }
            }
        }
        const CHUNK: usize = 256;
        let mut bounds = ActivationBounds::new(self.nodes.len());
        let mut start = 0;
        while start < inputs.ncols() {
            let len = CHUNK.min(inputs.ncols() - start);
            let chunk = inputs.subcols(start, len);
            self.propagate(chunk, chunk, par, |id, lo, hi| bounds.absorb(id, lo, hi))?;
            start += len;
        }
        Ok(bounds)
    }
}
