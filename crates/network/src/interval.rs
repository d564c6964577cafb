//! Certified interval propagation: rigorous enclosures of every layer's
//! activations over a box or a finite set of inputs, hence a certified upper
//! bound on `F_max(X)` (Section 2) for Lemma 1 and on `sup_x ‖F_{i-1}(x)‖_2`
//! for its per-layer recurrence (proof of Lemma 1, Corollary 27).
//!
//! # Method
//!
//! An interval vector is held in midpoint-radius form `m ± r` (Rump's
//! arithmetic). For one affine layer the exact image of `m ± r` is
//! `W m + b ± |W| r`, so a box is propagated through `W` without loss (this is
//! the same as splitting `W = W⁺ - W⁻` and mapping interval ends); an
//! activation maps `[l, u]` to [`crate::Activation::image`]`(l, u)`, its exact image
//! rounded outward (`[σ(l), σ(u)]` for a nondecreasing σ; GELU and a negative
//! leaky-ReLU slope or ELU α are not monotone).
//!
//! # Rounding
//!
//! Every bound is made safe against floating-point rounding without directed
//! rounding modes. For a dot product of `k` terms evaluated in any order (with
//! or without fused multiply-adds, which is what faer's matmul may do), the
//! computed sum `ŝ` of `s = Σ a_j b_j` satisfies
//! `|ŝ - s| ≤ γ_k Σ|a_j b_j| + k·η` with `γ_k = ku/(1-ku)`, `u = 2^-53` and
//! `η` the smallest subnormal (Higham, *Accuracy and Stability of Numerical
//! Algorithms*, 2nd ed., §3.1 and §3.5 with underflow). With `k = n_{i-1}+1`
//! (the bias is one more term) and `T̂ = fl(|W|(|m|+r)) + |b|`,
//! `R̂ = fl(|W| r)`, the new radius is
//!
//! ```text
//! r' = R̂ + (k+4)·ε·(R̂ + T̂) + 2(k+4)·TINY,   rounded up with next_up
//! ```
//!
//! where `ε = f64::EPSILON = 2u`: the factor `2(k+4)u` covers `γ_k` (at most
//! `1.03·ku` for `ku ≤ 0.01`) and the handful of roundings in computing `r'`
//! itself; `TINY = 1e-290` dwarfs every underflow term (`k·2^-1074`) and keeps
//! radii far from the subnormal range, whose arithmetic is about 100 times
//! slower on x86. A radius is exactly 0 only when both ends are equal (a
//! neuron that ReLU clamps to 0 on the whole domain). Interval ends
//! are then `fl(ŝ ± r')` moved one ulp outward (`next_down`/`next_up`), which
//! covers the last rounding. tanh, the sigmoid and ELU come from the platform's
//! libm, assumed accurate to a few ulps (glibc: ≤ 2 ulps): their ends are
//! widened by `8ε|y| + TINY` and clamped to their true ranges; GELU's by the
//! allowance of [`crate::Activation::image`]. ReLU, identity and leaky ReLU are exact
//! (a leaky slope's product rounded outward by one ulp when inexact). A bound that overflows to ±∞ is an error, never a
//! silent `inf`.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

use crate::{Activation, Layer, Network};

/// Errors of interval propagation.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum IntervalError {
    /// A box bound is not finite or `lo > hi`.
    #[error("box coordinate {coordinate}: [{lo}, {hi}] is not a finite interval with lo ≤ hi")]
    InvalidBound {
        /// Coordinate (0-based).
        coordinate: usize,
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// A box with no coordinates.
    #[error("a box needs at least one coordinate")]
    EmptyBox,
    /// The lower and upper corners have different lengths.
    #[error("box corners have lengths {lo} and {hi}; they must be equal")]
    CornerLengths {
        /// Length of the lower corner.
        lo: usize,
        /// Length of the upper corner.
        hi: usize,
    },
    /// The box or inputs do not have the network's input dimension.
    #[error("domain has dimension {found}, expected n_0 = {expected}")]
    DimensionMismatch {
        /// `n_0`.
        expected: usize,
        /// Dimension given.
        found: usize,
    },
    /// An input point has a NaN or infinite coordinate.
    #[error("input {input}, coordinate {coordinate} is {value}; expected a finite number")]
    NonFiniteInput {
        /// Index of the input (column).
        input: usize,
        /// Coordinate (0-based).
        coordinate: usize,
        /// The offending value.
        value: f64,
    },
    /// An empty set of inputs.
    #[error("the input set is empty; at least one input is needed")]
    NoInputs,
    /// A bound overflowed (the activations can exceed `f64::MAX`).
    #[error("interval bound overflowed at layer {layer}; activations may exceed f64::MAX")]
    Overflow {
        /// Layer `i` (1-based) whose outputs overflowed.
        layer: usize,
    },
    /// A bound overflowed at a node of a [`crate::Graph`].
    #[error("interval bound overflowed at node {node}; its values may exceed f64::MAX")]
    NodeOverflow {
        /// The node id.
        node: usize,
    },
}

/// The absolute allowance per bound: far above any underflow error
/// (`k·2^-1074`) and far above the subnormal range (see the module docs).
pub(crate) const TINY: f64 = 1e-290;

/// `fl(sum) + (k+4)·ε·abs_sum + (k+4)·TINY`, rounded up: an upper bound on
/// the exact value of a sum of `k` terms computed as `sum`, whose absolute
/// values sum to about `abs_sum` (see the module docs).
pub(crate) fn inflate_sum_up(sum: f64, abs_sum: f64, k: f64) -> f64 {
    let c = k + 4.0;
    (sum + (c * f64::EPSILON * abs_sum + c * TINY)).next_up()
}

/// An axis-aligned box `∏_j [lo_j, hi_j] ⊂ ℝ^{n_0}` of network inputs.
///
/// # Example
///
/// ```
/// use logprune_network::InputBox;
///
/// let unit = InputBox::uniform(3, -1.0, 1.0)?;
/// assert_eq!(unit.dim(), 3);
/// assert!(InputBox::new(vec![0.0], vec![-1.0]).is_err());
/// # Ok::<(), logprune_network::IntervalError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct InputBox {
    lo: Vec<f64>,
    hi: Vec<f64>,
}

impl InputBox {
    /// The box `∏_j [lo_j, hi_j]`. Returns an error if the corners have
    /// different or zero lengths, or some `lo_j > hi_j` or is not finite.
    pub fn new(lo: Vec<f64>, hi: Vec<f64>) -> Result<Self, IntervalError> {
        if lo.len() != hi.len() {
            return Err(IntervalError::CornerLengths {
                lo: lo.len(),
                hi: hi.len(),
            });
        }
        if lo.is_empty() {
            return Err(IntervalError::EmptyBox);
        }
        for (coordinate, (&l, &h)) in lo.iter().zip(&hi).enumerate() {
            if !(l.is_finite() && h.is_finite() && l <= h) {
                return Err(IntervalError::InvalidBound {
                    coordinate,
                    lo: l,
                    hi: h,
                });
            }
        }
        Ok(Self { lo, hi })
    }

    /// The cube `[lo, hi]^{n0}`, e.g. the default domain `[-1, 1]^{n_0}`.
    pub fn uniform(n0: usize, lo: f64, hi: f64) -> Result<Self, IntervalError> {
        Self::new(vec![lo; n0], vec![hi; n0])
    }

    /// The degenerate box `{x}`.
    pub fn point(x: &[f64]) -> Result<Self, IntervalError> {
        Self::new(x.to_vec(), x.to_vec())
    }

    /// The box `domain × [1, 1]` of the inputs `(x, 1)` of the bias-free F'
    /// of [`Network::with_bias_unit`].
    pub fn with_unit(&self) -> InputBox {
        let mut lo = self.lo.clone();
        let mut hi = self.hi.clone();
        lo.push(1.0);
        hi.push(1.0);
        InputBox { lo, hi }
    }

    /// The dimension `n_0`.
    pub fn dim(&self) -> usize {
        self.lo.len()
    }

    /// The lower corner.
    pub fn lo(&self) -> &[f64] {
        &self.lo
    }

    /// The upper corner.
    pub fn hi(&self) -> &[f64] {
        &self.hi
    }
}

/// A certified enclosure `[lo_j, hi_j]` of each neuron of one layer.
#[derive(Clone, Debug, PartialEq)]
pub struct IntervalVector {
    /// Lower ends.
    pub lo: Vec<f64>,
    /// Upper ends.
    pub hi: Vec<f64>,
}

impl IntervalVector {
    /// `max_j max(|lo_j|, |hi_j|)`: an upper bound on `max_j |v_j|` over the
    /// enclosed vectors (exact, no rounding). 0 for an empty vector.
    pub fn max_abs(&self) -> f64 {
        self.lo
            .iter()
            .zip(&self.hi)
            .fold(0.0, |m, (l, h)| m.max(l.abs()).max(h.abs()))
    }

    /// A rigorous upper bound on `‖v‖_2` over the enclosed vectors:
    /// `(Σ_j max(lo_j², hi_j²))^{1/2}`, with the sum and root rounded up.
    pub fn l2_upper(&self) -> f64 {
        l2_upper(self.lo.iter().copied().zip(self.hi.iter().copied()))
    }

    /// `min_j lo_j`: a lower bound on every coordinate (negative iff some
    /// neuron may output a negative value).
    pub fn min(&self) -> f64 {
        self.lo.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// Whether `v` lies in the enclosure (coordinate-wise, same length).
    pub fn contains(&self, v: &[f64]) -> bool {
        v.len() == self.lo.len()
            && v.iter()
                .zip(self.lo.iter().zip(&self.hi))
                .all(|(x, (l, h))| *l <= *x && *x <= *h)
    }
}

fn l2_upper(ends: impl Iterator<Item = (f64, f64)>) -> f64 {
    let mut sum = 0.0f64;
    let mut k = 0.0f64;
    for (l, h) in ends {
        let a = l.abs().max(h.abs());
        sum += a * a;
        k += 1.0;
    }
    inflate_sum_up(sum, sum, k).sqrt().next_up()
}

/// Certified per-layer bounds on the activations `F_0(x), ..., F_ℓ(x)` over a
/// domain (a box or a finite set), from [`Network::certified_bounds_box`] or
/// [`Network::certified_bounds_points`]. Index `i` is layer `i` (0 = inputs).
#[derive(Clone, Debug, PartialEq)]
pub struct ActivationBounds {
    /// Upper bounds on `sup_x max_j |F_{i,j}(x)|`, `i = 0..=ℓ`.
    pub max_abs: Vec<f64>,
    /// Upper bounds on `sup_x ‖F_i(x)‖_2`, `i = 0..=ℓ` (for the per-layer
    /// recurrence of Lemma 1's proof).
    pub max_l2: Vec<f64>,
    /// Lower bounds on `inf_x min_j F_{i,j}(x)`, `i = 0..=ℓ`; layer `i+1`
    /// can see a negative input only if `min_value[i] < 0`.
    pub min_value: Vec<f64>,
}

impl ActivationBounds {
    pub(crate) fn new(depth: usize) -> Self {
        Self {
            max_abs: vec![0.0; depth + 1],
            max_l2: vec![0.0; depth + 1],
            min_value: vec![f64::INFINITY; depth + 1],
        }
    }

    /// A certified upper bound on `F_max(X) = sup_x max_{i ∈ [ℓ]} max_j
    /// |F_{i-1,j}(x)|` (Section 2): the max of `max_abs` over layers
    /// `0..ℓ-1` (inputs included, outputs excluded).
    pub fn f_max(&self) -> f64 {
        let ell = self.max_abs.len().saturating_sub(1);
        self.max_abs[..ell].iter().copied().fold(0.0, f64::max)
    }

    pub(crate) fn absorb(&mut self, layer: usize, lo: MatRef<'_, f64>, hi: MatRef<'_, f64>) {
        for j in 0..lo.ncols() {
            let (l, h) = (lo.col(j), hi.col(j));
            let mut max_abs = self.max_abs[layer];
            let mut min_value = self.min_value[layer];
            for (&a, &b) in l.iter().zip(h.iter()) {
                max_abs = max_abs.max(a.abs()).max(b.abs());
                min_value = min_value.min(a);
            }
            self.max_abs[layer] = max_abs;
            self.min_value[layer] = min_value;
            let l2 = l2_upper(l.iter().copied().zip(h.iter().copied()));
            self.max_l2[layer] = self.max_l2[layer].max(l2);
        }
    }
}

/// A linear map applied to a batch: `(matrix, batch) ↦ matrix ⊛ batch` (a product or a
/// convolution).
pub(crate) type ApplyLinear<'a> = &'a dyn Fn(MatRef<'_, f64>, MatRef<'_, f64>) -> Mat<f64>;

/// The product `M·x` of a matrix and a batch (one input per column) by faer's matmul.
pub(crate) fn gemm(m: MatRef<'_, f64>, x: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut z = Mat::<f64>::zeros(m.nrows(), x.ncols());
    matmul(z.as_mut(), Accum::Replace, m, x, 1.0, par);
    z
}

/// An affine map `x ↦ σ(W ⊛ x + b)` on a batch of interval vectors in midpoint-radius
/// form (one per column), where `W ⊛ x` is `apply(W, x)`: a matrix product for a dense
/// layer, a convolution for a conv node (any linear map each of whose outputs is a dot
/// product of at most `w.ncols()` entries of `W` with entries of `x`). `bias(i)` is the
/// bias of output row `i`. Returns the certified post-activation ends `(lo, hi)` (the
/// module docs' radius `r'` with `k = w.ncols() + 1`, then [`crate::Activation::image`]),
/// or `None` if a bound overflows. The one rule for every linear node of a network or a
/// graph (ARCHITECTURE.md, invariant 14).
pub(crate) fn affine_bounds(
    w: MatRef<'_, f64>,
    apply: ApplyLinear<'_>,
    mid: &Mat<f64>,
    rad: Option<&Mat<f64>>,
    bias: &dyn Fn(usize) -> f64,
    act: Activation,
) -> Option<(Mat<f64>, Mat<f64>)> {
    let (rows_w, n) = w.shape();
    let cols = mid.ncols();
    let abs_w = Mat::from_fn(rows_w, n, |i, j| w[(i, j)].abs());

    let center = apply(w, mid.as_ref());
    let rows = center.nrows();
    let mut size = Mat::<f64>::zeros(mid.nrows(), cols);
    for j in 0..cols {
        let dst = size.col_as_slice_mut(j);
        for (d, m) in dst.iter_mut().zip(mid.col_as_slice(j)) {
            *d = m.abs();
        }
        if let Some(r) = rad {
            for (d, r) in dst.iter_mut().zip(r.col_as_slice(j)) {
                *d += r;
            }
        }
    }
    let t = apply(abs_w.as_ref(), size.as_ref());
    let r_hat = match rad {
        Some(r) => apply(abs_w.as_ref(), r.as_ref()),
        None => Mat::<f64>::zeros(rows, cols),
    };

    let c = (n + 1) as f64 + 4.0;
    let mut lo = Mat::<f64>::zeros(rows, cols);
    let mut hi = Mat::<f64>::zeros(rows, cols);
    for j in 0..cols {
        let (cz, ct, cr) = (
            center.col_as_slice(j),
            t.col_as_slice(j),
            r_hat.col_as_slice(j),
        );
        let lo_j = lo.col_as_slice_mut(j);
        let hi_j = hi.col_as_slice_mut(j);
        for i in 0..rows {
            let b = bias(i);
            let z = cz[i] + b;
            let t_ij = ct[i] + b.abs();
            let rh = cr[i];
            let r = (rh + (c * f64::EPSILON * (rh + t_ij) + 2.0 * c * TINY)).next_up();
            let (l, h) = act.image((z - r).next_down(), (z + r).next_up());
            if !(l.is_finite() && h.is_finite()) {
                return None;
            }
            lo_j[i] = l;
            hi_j[i] = h;
        }
    }
    Some((lo, hi))
}

/// One layer on a batch of interval vectors in midpoint-radius form (one per
/// column). Returns the certified post-activation ends `(lo, hi)`.
fn propagate_layer(
    layer: &Layer,
    layer_index: usize,
    mid: &Mat<f64>,
    rad: Option<&Mat<f64>>,
    par: Par,
) -> Result<(Mat<f64>, Mat<f64>), IntervalError> {
    let bias = layer.bias.as_deref();
    affine_bounds(
        layer.weight(),
        &|m, x| gemm(m, x, par),
        mid,
        rad,
        &|i| bias.map_or(0.0, |b| b[i]),
        layer.activation,
    )
    .ok_or(IntervalError::Overflow { layer: layer_index })
}

/// Midpoint-radius form of `[lo, hi]` with `[m - r, m + r] ⊇ [lo, hi]`.
pub(crate) fn to_mid_rad(lo: &Mat<f64>, hi: &Mat<f64>) -> (Mat<f64>, Mat<f64>) {
    let (rows, cols) = lo.shape();
    let mut mid = Mat::<f64>::zeros(rows, cols);
    let mut rad = Mat::<f64>::zeros(rows, cols);
    for j in 0..cols {
        let (l, h) = (lo.col_as_slice(j), hi.col_as_slice(j));
        for (m, (a, b)) in mid.col_as_slice_mut(j).iter_mut().zip(l.iter().zip(h)) {
            *m = 0.5 * a + 0.5 * b;
        }
        let m = mid.col_as_slice(j);
        for (r, ((a, b), m)) in rad
            .col_as_slice_mut(j)
            .iter_mut()
            .zip(l.iter().zip(h).zip(m))
        {
            // fl(x - y) = 0 only if x = y, so d = 0 means lo = m = hi: radius 0
            // exactly. Otherwise round up, and stay out of the subnormal range.
            let d = (b - m).max(m - a);
            *r = if d > 0.0 { d.next_up().max(TINY) } else { 0.0 };
        }
    }
    (mid, rad)
}

impl Network {
    /// Propagates `mid ± rad` (one interval vector per column) through all
    /// layers, calling `visit(i, lo, hi)` for `i = 0..=ℓ`.
    fn propagate(
        &self,
        mid: MatRef<'_, f64>,
        rad: Option<MatRef<'_, f64>>,
        par: Par,
        mut visit: impl FnMut(usize, MatRef<'_, f64>, MatRef<'_, f64>),
    ) -> Result<(), IntervalError> {
        // Layer 0 is the domain itself: lo = mid - rad, hi = mid + rad exactly
        // for the inputs we build (rad = 0 for points, (hi-lo)/2 rounded up for
        // boxes, whose true ends are passed separately by the box caller).
        let (mut m, mut r): (Mat<f64>, Option<Mat<f64>>) =
            (mid.to_owned(), rad.map(|r| r.to_owned()));
        for (k, layer) in self.layers().iter().enumerate() {
            let (lo, hi) = propagate_layer(layer, k + 1, &m, r.as_ref(), par)?;
            visit(k + 1, lo.as_ref(), hi.as_ref());
            if k + 1 < self.depth() {
                let (m2, r2) = to_mid_rad(&lo, &hi);
                m = m2;
                r = Some(r2);
            }
        }
        Ok(())
    }

    fn box_mid_rad(&self, domain: &InputBox) -> Result<(Mat<f64>, Mat<f64>), IntervalError> {
        if domain.dim() != self.input_width() {
            return Err(IntervalError::DimensionMismatch {
                expected: self.input_width(),
                found: domain.dim(),
            });
        }
        let lo = Mat::from_fn(domain.dim(), 1, |i, _| domain.lo[i]);
        let hi = Mat::from_fn(domain.dim(), 1, |i, _| domain.hi[i]);
        Ok(to_mid_rad(&lo, &hi))
    }

    /// Certified enclosures of every layer's outputs `F_0, ..., F_ℓ` over the
    /// box `domain` (ℓ+1 interval vectors; entry 0 is the box itself): for
    /// every `x` in the box, `F_i(x)` lies in entry `i`. See the module docs
    /// of [`crate::interval`] for the method and its rounding safety.
    ///
    /// Interval propagation is exact for the first layer but can overestimate
    /// deeper ones (it forgets correlations between neurons), so the bound is
    /// valid but may be loose for deep or wide networks.
    ///
    /// Returns an error if the box dimension is not `n_0` or a bound
    /// overflows.
    ///
    /// # Example
    ///
    /// ```
    /// use faer::mat;
    /// use logprune_network::{Activation, InputBox, Network};
    ///
    /// // F(x) = ReLU(x_1 - x_2) on [-1, 1]²: the hidden neuron ranges over [0, 2].
    /// let net = Network::from_weights(
    ///     vec![mat![[1.0, -1.0]], mat![[1.0]]],
    ///     &[Activation::Relu, Activation::Identity],
    /// )?;
    /// let b = net.propagate_box(&InputBox::uniform(2, -1.0, 1.0)?)?;
    /// assert_eq!(b[1].lo[0], 0.0);
    /// assert!(b[1].hi[0] >= 2.0 && b[1].hi[0] < 2.0 + 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn propagate_box(&self, domain: &InputBox) -> Result<Vec<IntervalVector>, IntervalError> {
        let (mid, rad) = self.box_mid_rad(domain)?;
        let mut out = Vec::with_capacity(self.depth() + 1);
        out.push(IntervalVector {
            lo: domain.lo.clone(),
            hi: domain.hi.clone(),
        });
        self.propagate(mid.as_ref(), Some(rad.as_ref()), Par::Seq, |_, lo, hi| {
            out.push(IntervalVector {
                lo: lo.col(0).iter().copied().collect(),
                hi: hi.col(0).iter().copied().collect(),
            });
        })?;
        Ok(out)
    }

    /// Certified [`ActivationBounds`] over the box `domain`.
    ///
    /// Returns an error if the box dimension is not `n_0` or a bound overflows.
    pub fn certified_bounds_box(
        &self,
        domain: &InputBox,
    ) -> Result<ActivationBounds, IntervalError> {
        let layers = self.propagate_box(domain)?;
        let mut bounds = ActivationBounds::new(self.depth());
        for (i, v) in layers.iter().enumerate() {
            bounds.max_abs[i] = v.max_abs();
            bounds.max_l2[i] = v.l2_upper();
            bounds.min_value[i] = v.min();
        }
        Ok(bounds)
    }

    /// A certified upper bound on `F_max(X)` over the box `X = domain`
    /// (Section 2; the quantity Lemma 1 needs), by interval propagation.
    ///
    /// Returns a finite number ≥ the true `F_max`, or an error as
    /// [`Network::propagate_box`].
    ///
    /// # Example
    ///
    /// ```
    /// use faer::mat;
    /// use logprune_network::{Activation, InputBox, Network};
    ///
    /// let net = Network::from_weights(
    ///     vec![mat![[2.0, 1.0], [1.0, -1.0]], mat![[1.0, 1.0]]],
    ///     &[Activation::Relu, Activation::Identity],
    /// )?;
    /// // Hidden neuron 1 reaches 2 + 1 = 3 on [-1, 1]²; the inputs reach 1.
    /// let f = net.certified_f_max_box(&InputBox::uniform(2, -1.0, 1.0)?)?;
    /// assert!(f >= 3.0 && f < 3.0 + 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn certified_f_max_box(&self, domain: &InputBox) -> Result<f64, IntervalError> {
        Ok(self.certified_bounds_box(domain)?.f_max())
    }

    /// Certified [`ActivationBounds`] over the finite set of inputs given as
    /// the columns of `inputs` (`n_0 × N`): each input is propagated as a
    /// degenerate box, so the bounds exceed the computed activations only by
    /// the rounding allowance. Batched through faer's matmul (`par` as in
    /// [`Network::forward_batch`]; the bounds are rigorous for any `par`) in
    /// chunks of 256 inputs.
    ///
    /// Returns an error if `inputs` is empty, has the wrong number of rows, a
    /// non-finite entry, or a bound overflows.
    pub fn certified_bounds_points(
        &self,
        inputs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<ActivationBounds, IntervalError> {
        if inputs.nrows() != self.input_width() {
            return Err(IntervalError::DimensionMismatch {
                expected: self.input_width(),
                found: inputs.nrows(),
            });
        }
        if inputs.ncols() == 0 {
            return Err(IntervalError::NoInputs);
        }
        for j in 0..inputs.ncols() {
            for i in 0..inputs.nrows() {
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
        let mut bounds = ActivationBounds::new(self.depth());
        bounds.absorb(0, inputs, inputs);
        let mut start = 0;
        while start < inputs.ncols() {
            let len = CHUNK.min(inputs.ncols() - start);
            let chunk = inputs.subcols(start, len);
            self.propagate(chunk, None, par, |i, lo, hi| bounds.absorb(i, lo, hi))?;
            start += len;
        }
        Ok(bounds)
    }

    /// A certified upper bound on `F_max(X)` over the finite set `X` given as
    /// the columns of `inputs` (Section 2), by
    /// [`Network::certified_bounds_points`]. It is at least
    /// [`Network::f_max`] and exceeds it only by the rounding allowance.
    pub fn certified_f_max_points(
        &self,
        inputs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<f64, IntervalError> {
        Ok(self.certified_bounds_points(inputs, par)?.f_max())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::mat;

    #[test]
    fn box_errors() {
        assert_eq!(
            InputBox::new(vec![0.0, 1.0], vec![1.0]),
            Err(IntervalError::CornerLengths { lo: 2, hi: 1 })
        );
        assert_eq!(InputBox::new(vec![], vec![]), Err(IntervalError::EmptyBox));
        assert!(matches!(
            InputBox::new(vec![0.0, 2.0], vec![1.0, 1.0]),
            Err(IntervalError::InvalidBound { coordinate: 1, .. })
        ));
        assert!(matches!(
            InputBox::uniform(2, f64::NAN, 1.0),
            Err(IntervalError::InvalidBound { coordinate: 0, .. })
        ));
        let net = Network::from_weights(vec![mat![[1.0, 1.0]]], &[Activation::Relu]).unwrap();
        assert_eq!(
            net.certified_f_max_box(&InputBox::uniform(3, 0.0, 1.0).unwrap()),
            Err(IntervalError::DimensionMismatch {
                expected: 2,
                found: 3
            })
        );
        let empty = Mat::<f64>::zeros(2, 0);
        assert_eq!(
            net.certified_f_max_points(empty.as_ref(), Par::Seq),
            Err(IntervalError::NoInputs)
        );
        let bad = mat![[1.0], [f64::NAN]];
        assert!(matches!(
            net.certified_f_max_points(bad.as_ref(), Par::Seq),
            Err(IntervalError::NonFiniteInput {
                input: 0,
                coordinate: 1,
                ..
            })
        ));
    }

    #[test]
    fn overflow_is_an_error() {
        let big = 1e300;
        let net = Network::from_weights(
            vec![mat![[big, big]], mat![[big]], mat![[1.0]]],
            &[
                Activation::Identity,
                Activation::Identity,
                Activation::Identity,
            ],
        )
        .unwrap();
        let r = net.certified_f_max_box(&InputBox::uniform(2, -1.0, 1.0).unwrap());
        assert_eq!(r, Err(IntervalError::Overflow { layer: 2 }));
    }

    #[test]
    fn sigmoid_and_tanh_ends_are_clamped_and_outward() {
        for act in [Activation::Tanh, Activation::Sigmoid] {
            for x in [-800.0, -3.0, -1e-300, 0.0, 0.5, 40.0] {
                let y = act.apply(x);
                let (l, h) = act.image(x, x);
                assert!(l <= y && y <= h, "{act} {x}");
            }
            assert!(act.image(1e3, 1e3).1 <= 1.0);
        }
        assert!(Activation::Sigmoid.image(-1e3, -1e3).0 >= 0.0);
        assert!(Activation::Tanh.image(-1e3, -1e3).0 >= -1.0);
    }

    #[test]
    fn mid_rad_exact_zero_and_no_subnormal_radius() {
        let lo = mat![[0.0, 0.0, -1.0, 1.0]];
        let hi = mat![[0.0, 1e-320, 3.0, 1.0]];
        let (m, r) = to_mid_rad(&lo, &hi);
        assert_eq!(r[(0, 0)], 0.0); // lo = hi: exact point
        assert!(r[(0, 1)] >= TINY); // tiny width: bumped out of the subnormals
        assert_eq!(m[(0, 2)], 1.0);
        assert!(r[(0, 2)] >= 2.0 && r[(0, 2)] < 2.0 + 1e-15);
        assert_eq!(r[(0, 3)], 0.0);
        for j in 0..4 {
            assert!(m[(0, j)] - r[(0, j)] <= lo[(0, j)] && hi[(0, j)] <= m[(0, j)] + r[(0, j)]);
        }
    }

    #[test]
    fn l2_upper_by_hand() {
        let v = IntervalVector {
            lo: vec![-3.0, 0.0],
            hi: vec![1.0, 4.0],
        };
        let l2 = v.l2_upper();
        assert!((5.0..5.0 * (1.0 + 1e-14)).contains(&l2));
        assert_eq!(v.max_abs(), 4.0);
        assert_eq!(v.min(), -3.0);
        assert!(v.contains(&[0.0, 2.0]));
        assert!(!v.contains(&[0.0, 5.0]));
    }
}
