//! Lemma 29 (filling `k` categories, each with at least `n` samples).
//!
//! If each of the first `k` categories of a categorical law has probability in `[c, 1/2]`,
//! then `M = ⌈(2/c)(n + ln(k/δ))⌉` i.i.d. draws put at least `n` draws in every one of them
//! with probability `≥ 1 − δ` (Chernoff–Hoeffding and a union bound). Theorem 3's Step 2'
//! applies it with `c = 1/(8k')`, `2k` categories, `n = n_i n_{i-1}` and `δ = δ/ℓ`.

use crate::Count;
use crate::params::{ParamError, check_delta};

/// Lemma 29: `M = ⌈(2/c)(n + ln(k/δ))⌉ ≥ 1` draws fill each of `k` categories of probability
/// at least `c` with `n` draws, with probability `≥ 1 − δ`.
///
/// # Errors
/// [`ParamError::OutOfRange`] unless `n ≥ 1`, `k ≥ 1` and `c ∈ (0, 1/2]` (the lemma needs each
/// category's probability `≤ 1/2`, so `c ≤ 1/2`); [`ParamError::Delta`] unless `δ ∈ (0, 1)`.
///
/// # Example
/// ```
/// // c = 1/4, k = 2, n = 10, δ = 0.1: M = ⌈8 (10 + ln 20)⌉ = ⌈103.97⌉ = 104
/// let m = logprune_bounds::buckets::lemma29_m(10, 2, 0.25, 0.1)?;
/// assert_eq!(m.as_u64(), Some(104));
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
pub fn lemma29_m(n: u64, k: u64, c: f64, delta: f64) -> Result<Count, ParamError> {
    if n == 0 {
        return Err(ParamError::OutOfRange {
            name: "n (Lemma 29)",
            value: 0.0,
            expected: "an integer ≥ 1",
        });
    }
    if k == 0 {
        return Err(ParamError::OutOfRange {
            name: "k (Lemma 29)",
            value: 0.0,
            expected: "an integer ≥ 1",
        });
    }
    if !(c > 0.0 && c <= 0.5) {
        return Err(ParamError::OutOfRange {
            name: "c (Lemma 29)",
            value: c,
            expected: "a probability in (0, 1/2]",
        });
    }
    check_delta(delta)?;
    Ok(Count::ceil_f64(
        2.0 / c * (n as f64 + (k as f64).ln() - delta.ln()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        assert_eq!(lemma29_m(10, 2, 0.25, 0.1).unwrap().as_u64(), Some(104));
        // c = 1/2, k = 1, n = 1, δ = 1/2: M = ⌈4 (1 + ln 2)⌉ = ⌈6.77⌉ = 7
        assert_eq!(lemma29_m(1, 1, 0.5, 0.5).unwrap().as_u64(), Some(7));
    }

    #[test]
    fn monotone() {
        let m = |n, k, c, d| lemma29_m(n, k, c, d).unwrap().value();
        assert!(m(10, 2, 0.25, 0.1) <= m(11, 2, 0.25, 0.1));
        assert!(m(10, 2, 0.25, 0.1) <= m(10, 3, 0.25, 0.1));
        assert!(m(10, 2, 0.25, 0.1) <= m(10, 2, 0.2, 0.1));
        assert!(m(10, 2, 0.25, 0.1) <= m(10, 2, 0.25, 0.01));
    }

    #[test]
    fn every_error_case() {
        assert!(matches!(
            lemma29_m(0, 2, 0.25, 0.1),
            Err(ParamError::OutOfRange { .. })
        ));
        assert!(matches!(
            lemma29_m(1, 0, 0.25, 0.1),
            Err(ParamError::OutOfRange { .. })
        ));
        assert!(
            matches!(lemma29_m(1, 1, 0.6, 0.1), Err(ParamError::OutOfRange { value, .. }) if value == 0.6)
        );
        assert!(lemma29_m(1, 1, 0.0, 0.1).is_err());
        assert!(lemma29_m(1, 1, f64::NAN, 0.1).is_err());
        assert_eq!(lemma29_m(1, 1, 0.5, 0.0), Err(ParamError::Delta(0.0)));
    }
}
