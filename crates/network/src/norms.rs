//! Matrix norms used by Lemma 1 and its per-layer recurrence: the spectral norm
//! `‖M‖_2` (largest singular value, Section 2) and rigorous upper bounds.

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::svd::{self, ComputeSvdVectors};
use faer::{MatRef, Par};

/// Errors of the norm computations.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum NormError {
    /// An entry is NaN or infinite.
    #[error("matrix entry ({row}, {col}) is {value}; expected a finite number")]
    NonFinite {
        /// Row of the entry.
        row: usize,
        /// Column of the entry.
        col: usize,
        /// The offending value.
        value: f64,
    },
    /// faer's SVD did not converge.
    #[error("the SVD of a {rows}×{cols} matrix did not converge")]
    NoConvergence {
        /// Rows of the matrix.
        rows: usize,
        /// Columns of the matrix.
        cols: usize,
    },
    /// A kernel matrix whose columns are not `c_in·taps`.
    #[error("a kernel matrix with {cols} columns, expected c_in·taps = {c_in}·{taps}")]
    KernelShape {
        /// Columns of the matrix.
        cols: usize,
        /// Input channels given.
        c_in: usize,
        /// Taps given.
        taps: usize,
    },
    /// A node id that is not a node of the graph (ids `1..=nodes`).
    #[error("node {node} is not a node of the graph (ids 1..={nodes})")]
    NoSuchNode {
        /// The id given.
        node: usize,
        /// The number of nodes.
        nodes: usize,
    },
    /// An operator norm asked of a node that is not linear (dense or conv).
    #[error(
        "node {node} ({op}) is not a linear node; its operator norm is not defined (use Graph::lipschitz)"
    )]
    NotLinear {
        /// Node id.
        node: usize,
        /// Its operation's name.
        op: &'static str,
    },
}

pub(crate) fn check_finite(m: MatRef<'_, f64>) -> Result<(), NormError> {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            let value = m[(i, j)];
            if !value.is_finite() {
                return Err(NormError::NonFinite {
                    row: i,
                    col: j,
                    value,
                });
            }
        }
    }
    Ok(())
}

/// The spectral norm `‖M‖_2`, the largest singular value of `M` (Section 2),
/// computed by faer's SVD without singular vectors, sequentially
/// ([`Par::Seq`], so the result does not depend on the thread count).
///
/// This is `m.singular_values()?[0]` with the parallelism fixed instead of
/// faer's global setting. It is NOT `norm_l2()`, which on a matrix is the
/// Frobenius norm. Returns a nonnegative number; 0 for a matrix with no rows
/// or no columns.
///
/// # Example
///
/// ```
/// use faer::mat;
/// use logprune_network::spectral_norm;
///
/// // [[3, 0], [4, 5]] has singular values 3√5 and √5.
/// let m = mat![[3.0, 0.0], [4.0, 5.0]];
/// let s = spectral_norm(m.as_ref())?;
/// assert!((s - 3.0 * 5f64.sqrt()).abs() < 1e-12);
/// # Ok::<(), logprune_network::NormError>(())
/// ```
pub fn spectral_norm(m: MatRef<'_, f64>) -> Result<f64, NormError> {
    spectral_norm_par(m, Par::Seq)
}

/// [`spectral_norm`] with an explicit faer parallelism (`Par::rayon(n)` uses
/// the rayon pool; its result may differ in the last bits from `Par::Seq`).
pub fn spectral_norm_par(m: MatRef<'_, f64>, par: Par) -> Result<f64, NormError> {
    check_finite(m)?;
    let (rows, cols) = m.shape();
    let size = rows.min(cols);
    if size == 0 {
        return Ok(0.0);
    }
    let mut s = Diag::<f64>::zeros(size);
    let req = svd::svd_scratch::<f64>(
        rows,
        cols,
        ComputeSvdVectors::No,
        ComputeSvdVectors::No,
        par,
        Default::default(),
    );
    let mut buf = MemBuffer::new(req);
    svd::svd(
        m,
        s.as_mut(),
        None,
        None,
        par,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .map_err(|_| NormError::NoConvergence { rows, cols })?;
    // faer sorts singular values in nonincreasing order; take the max anyway so
    // the contract does not depend on that.
    Ok(s.column_vector()
        .iter()
        .fold(0.0f64, |acc, &x| acc.max(x.abs())))
}

/// A rigorous upper bound on the Frobenius norm `‖M‖_F = (Σ M_ij²)^{1/2}`,
/// which itself bounds `‖M‖_2` from above.
///
/// The sum of squares is inflated by the worst-case rounding of `k = rows·cols`
/// products and sums (`(k+4)·ε·S + (k+4)·10^-290`, see [`crate::interval`]), and the square root is
/// rounded up with `next_up`. Returns a finite nonnegative number, or `+∞` if
/// the sum overflows.
pub fn frobenius_upper_bound(m: MatRef<'_, f64>) -> Result<f64, NormError> {
    check_finite(m)?;
    let mut sum = 0.0f64;
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            let v = m[(i, j)];
            sum += v * v;
        }
    }
    let k = (m.nrows() * m.ncols()) as f64;
    let inflated = crate::interval::inflate_sum_up(sum, sum, k);
    Ok(inflated.sqrt().next_up().max(0.0))
}

/// An upper bound on `‖M‖_2` safe against the rounding of the SVD:
/// `min(σ̂_1·(1 + 8·(m+n)·ε) + MIN_POSITIVE, ‖M‖_F upper bound)`, rounded up.
///
/// # Notes
///
/// faer's SVD is backward stable: the computed σ̂_1 is the exact top singular
/// value of `M + E` with `‖E‖_2 ≤ p(m, n)·ε·‖M‖_2` for a modest polynomial
/// `p`. The inflation `8(m+n)ε` covers `p` in practice but is a model of the
/// algorithm, not a proof; the Frobenius cap is a proof (`‖M‖_2 ≤ ‖M‖_F`) but
/// can be loose by up to `√rank`. Use this where a certificate needs `‖Ŵ_i‖_2`
/// from above (Lemma 1, Corollary 27).
pub fn spectral_norm_upper_bound(m: MatRef<'_, f64>) -> Result<f64, NormError> {
    let sigma = spectral_norm(m)?;
    let frob = frobenius_upper_bound(m)?;
    let dims = (m.nrows() + m.ncols()) as f64;
    let inflated = (sigma * (1.0 + 8.0 * dims * f64::EPSILON) + f64::MIN_POSITIVE).next_up();
    Ok(inflated.min(frob))
}

/// The max-norm `‖M‖_max = max_ij |M_ij|` (Section 2); 0 for an empty matrix.
pub fn max_norm(m: MatRef<'_, f64>) -> f64 {
    let mut best = 0.0f64;
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            best = best.max(m[(i, j)].abs());
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::{Mat, mat};

    #[test]
    fn spectral_norm_by_hand() {
        // diag(2, -7, 1): singular values 7, 2, 1.
        let d = mat![[2.0, 0.0, 0.0], [0.0, -7.0, 0.0], [0.0, 0.0, 1.0]];
        assert!((spectral_norm(d.as_ref()).unwrap() - 7.0).abs() <= 8.0 * f64::EPSILON);
        // rank-one u vᵀ with |u| = 5 (3,4), |v| = √2 (1,1): norm 5√2.
        let r = mat![[3.0, 3.0], [4.0, 4.0]];
        let s = spectral_norm(r.as_ref()).unwrap();
        assert!((s - 5.0 * 2f64.sqrt()).abs() <= 32.0 * f64::EPSILON);
        // The Frobenius norm of [[3,0],[4,5]] is √50 > 3√5 = √45.
        let m = mat![[3.0, 0.0], [4.0, 5.0]];
        let s = spectral_norm(m.as_ref()).unwrap();
        assert!((s - 45f64.sqrt()).abs() <= 32.0 * f64::EPSILON);
        let f = frobenius_upper_bound(m.as_ref()).unwrap();
        assert!(f >= 50f64.sqrt() && f <= 50f64.sqrt() * (1.0 + 1e-14));
        let u = spectral_norm_upper_bound(m.as_ref()).unwrap();
        assert!(u >= s && u <= s * (1.0 + 1e-13));
    }

    #[test]
    fn non_square_and_empty() {
        // 1×3 row (1, 2, 2): norm 3.
        let row = mat![[1.0, 2.0, 2.0]];
        assert!((spectral_norm(row.as_ref()).unwrap() - 3.0).abs() <= 8.0 * f64::EPSILON);
        let col = Mat::<f64>::from_fn(3, 1, |i, _| [1.0, 2.0, 2.0][i]);
        assert!((spectral_norm(col.as_ref()).unwrap() - 3.0).abs() <= 8.0 * f64::EPSILON);
        let empty = Mat::<f64>::zeros(0, 4);
        assert_eq!(spectral_norm(empty.as_ref()).unwrap(), 0.0);
        assert_eq!(max_norm(row.as_ref()), 2.0);
    }

    #[test]
    fn non_finite_is_refused() {
        let m = mat![[1.0, f64::NAN], [0.0, 1.0]];
        assert!(matches!(
            spectral_norm(m.as_ref()),
            Err(NormError::NonFinite { row: 0, col: 1, .. })
        ));
        let m = mat![[1.0, 0.0], [f64::INFINITY, 1.0]];
        assert!(matches!(
            frobenius_upper_bound(m.as_ref()),
            Err(NormError::NonFinite { row: 1, col: 0, .. })
        ));
    }

    #[test]
    fn par_and_seq_agree_closely() {
        let m = Mat::<f64>::from_fn(40, 30, |i, j| ((i * 31 + j * 17) % 13) as f64 - 6.0);
        let a = spectral_norm(m.as_ref()).unwrap();
        let b = spectral_norm_par(m.as_ref(), Par::rayon(2)).unwrap();
        assert!((a - b).abs() <= 1e-12 * a);
        // σ_1 ≥ ‖M‖_max and σ_1 ≤ ‖M‖_F (Section 2).
        assert!(a >= max_norm(m.as_ref()));
        assert!(a <= frobenius_upper_bound(m.as_ref()).unwrap());
    }
}
