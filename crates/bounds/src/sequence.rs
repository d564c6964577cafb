//! Lemma 18 (bound on positive sequences), Remarks 19–26, Corollary 22 (feasible `τ`) and
//! Corollary 27 (the simpler bound used in the proof of Lemma 1).
//!
//! Lemma 18: if `x_0 ≥ 0` and `x_t ≤ a_t x_{t-1} + b_t` with `a_t, b_t ≥ 0`, then for every
//! `τ` with `|{t ∈ [T] : a_t < 1 + 1/τ}| ≤ τ` ("feasible"),
//!
//! ```text
//! x_T ≤ e (x_0 + c) ∏_{t : a_t ≥ 1 + 1/τ} a_t,    c = max_t b_t / max{1/τ, a_t − 1}.
//! ```
//!
//! The product can overflow for long sequences, so bounds are returned in log domain
//! ([`SequenceBound`]).
//!
//! # Notes (where the paper is loose)
//! - The statement writes `c = min{τ max_t b_t, max_t b_t/(a_t − 1)}`; the proof uses (and
//!   proves the bound with) `c = max_t b_t / max{1/τ, a_t − 1}`, which is never larger (a max
//!   of minima is at most the min of maxima, so the statement's "=" is a "≥"). Read literally,
//!   the statement's second term is negative when every `a_t < 1` and would give a negative
//!   "bound"; it must be read with `b_t/(a_t − 1) = +∞` for `a_t ≤ 1`. [`lemma18_c`] is the
//!   proof's `c`, [`lemma18_c_as_stated`] the statement's under that reading.
//! - Remark 23 as printed ("if `1 < min_t a_t ≤ x` then `τ = 1/(x−1)` is feasible") is false:
//!   with `a = (1.5, 1.5, 1.5)` and `x = 2`, `τ = 1` but all three `a_t < 1 + 1/τ = 2`, and the
//!   bound `e x_0` is below `x_3 = 3.375 x_0`. The condition must be `1 < x ≤ min_t a_t`
//!   (of which Remark 26 is the case `x = min_t a_t`); [`remark23_tau`] uses that.

/// Why a sequence bound could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SequenceError {
    /// `a` and `b` have different lengths.
    #[error("a has {a} terms and b has {b}: expected the same length T")]
    LengthMismatch {
        /// Length of `a`.
        a: usize,
        /// Length of `b`.
        b: usize,
    },
    /// A term `a_t` or `b_t` is negative or not finite.
    #[error("{name}_{t} = {value} is invalid: expected a finite number ≥ 0")]
    Term {
        /// `"a"` or `"b"`.
        name: &'static str,
        /// The index `t ∈ [1, T]`.
        t: usize,
        /// The value given.
        value: f64,
    },
    /// `x_0` is negative or not finite.
    #[error("x_0 = {0} is invalid: expected a finite number ≥ 0")]
    X0(f64),
    /// `τ` is not feasible for Lemma 18.
    #[error(
        "τ = {tau} is not feasible: {count} of the a_t are below 1 + 1/τ, expected at most τ \
         (τ must be finite, > 0 when T ≥ 1, and ≥ that count)"
    )]
    InfeasibleTau {
        /// The `τ` given.
        tau: f64,
        /// `|{t : a_t < 1 + 1/τ}|`.
        count: usize,
    },
}

fn check_terms(a: &[f64], b: &[f64]) -> Result<(), SequenceError> {
    if a.len() != b.len() {
        return Err(SequenceError::LengthMismatch {
            a: a.len(),
            b: b.len(),
        });
    }
    for (name, v) in [("a", a), ("b", b)] {
        for (i, &x) in v.iter().enumerate() {
            if !(x >= 0.0 && x.is_finite()) {
                return Err(SequenceError::Term {
                    name,
                    t: i + 1,
                    value: x,
                });
            }
        }
    }
    Ok(())
}

/// `|{t ∈ [T] : a_t < x}|`.
pub fn count_below(a: &[f64], x: f64) -> usize {
    a.iter().filter(|&&v| v < x).count()
}

/// Whether `τ` is feasible for Lemma 18: finite, `≥ 0` (`> 0` unless `T = 0`), and
/// `|{t : a_t < 1 + 1/τ}| ≤ τ`.
pub fn is_feasible(a: &[f64], tau: f64) -> bool {
    if a.is_empty() {
        return tau >= 0.0 && tau.is_finite();
    }
    tau > 0.0 && tau.is_finite() && count_below(a, 1.0 + 1.0 / tau) as f64 <= tau
}

fn check_tau(a: &[f64], tau: f64) -> Result<(), SequenceError> {
    if !is_feasible(a, tau) {
        let count = if tau > 0.0 {
            count_below(a, 1.0 + 1.0 / tau)
        } else {
            a.len()
        };
        return Err(SequenceError::InfeasibleTau { tau, count });
    }
    Ok(())
}

/// The constant `c = max_t b_t / max{1/τ, a_t − 1}` of the proof of Lemma 18 (`0` for
/// `T = 0`); finite and `≥ 0`.
///
/// # Errors
/// [`SequenceError`] for bad terms or an infeasible `τ`.
pub fn lemma18_c(a: &[f64], b: &[f64], tau: f64) -> Result<f64, SequenceError> {
    check_terms(a, b)?;
    check_tau(a, tau)?;
    Ok(c_unchecked(a, b, tau))
}

fn c_unchecked(a: &[f64], b: &[f64], tau: f64) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&at, &bt)| bt / (1.0 / tau).max(at - 1.0))
        .fold(0.0, f64::max)
}

/// Lemma 18's statement form `c = min{τ max_t b_t, max_t b_t/(a_t − 1)}`, reading
/// `b_t/(a_t − 1)` as `+∞` when `a_t ≤ 1` and `b_t > 0` (and as `0` when `b_t = 0`);
/// `≥` [`lemma18_c`] (see the module notes). Finite and `≥ 0`.
///
/// # Errors
/// As [`lemma18_c`].
pub fn lemma18_c_as_stated(a: &[f64], b: &[f64], tau: f64) -> Result<f64, SequenceError> {
    check_terms(a, b)?;
    check_tau(a, tau)?;
    let b_max = b.iter().copied().fold(0.0, f64::max);
    let ratio_max = a
        .iter()
        .zip(b)
        .map(|(&at, &bt)| {
            if bt == 0.0 {
                0.0
            } else if at <= 1.0 {
                f64::INFINITY
            } else {
                bt / (at - 1.0)
            }
        })
        .fold(0.0, f64::max);
    Ok((tau * b_max).min(ratio_max))
}

/// Which factor multiplies Lemma 18's bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    /// `e`, as stated.
    E,
    /// Remark 19: `1` when `min_t a_t ≥ 1 + 1/τ` (no term is raised to `1 + 1/τ`), else `e`.
    Remark19,
    /// The proof's `(1 + 1/τ)^{|{t : a_t < 1 + 1/τ}|}` (`≤ e` for feasible `τ`), the tightest.
    Tight,
}

/// A bound `x_T ≤ B` in log domain, with its parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SequenceBound {
    /// `ln B`; `-inf` exactly when `B = 0` (`x_0 = 0` and every `b_t = 0`), never `NaN`.
    pub ln_bound: f64,
    /// The constant `c`.
    pub c: f64,
    /// `ln` of the product of the `a_t` that are `≥ 1 + 1/τ` (Lemma 18) or of
    /// `max{1, a_t}` (Corollary 27); finite and `≥ 0`.
    pub ln_product: f64,
    /// The factor used (`e`, `1`, or `(1 + 1/τ)^count`).
    pub factor: f64,
}

impl SequenceBound {
    /// `B` as an `f64` (`inf` if it overflows).
    pub fn value(&self) -> f64 {
        self.ln_bound.exp()
    }

    /// `log10 B` (`-inf` when `B = 0`).
    pub fn log10(&self) -> f64 {
        self.ln_bound / std::f64::consts::LN_10
    }
}

/// Lemma 18: `x_T ≤ factor · (x_0 + c) ∏_{t : a_t ≥ 1 + 1/τ} a_t` for a feasible `τ`, with `c`
/// from [`lemma18_c`] and the factor chosen by [`Factor`].
///
/// # Errors
/// [`SequenceError`] for bad terms, a bad `x_0` or an infeasible `τ`.
///
/// # Example
/// ```
/// use logprune_bounds::sequence::{lemma18_bound, remark24_tau, Factor};
/// let (a, b) = ([3.0, 0.5, 2.0], [1.0, 1.0, 1.0]);
/// let tau = remark24_tau(&a); // max{1, |{a_t < 2}|} = 1
/// let bound = lemma18_bound(0.0, &a, &b, tau, Factor::E)?;
/// // c = max(1/2, 1/1, 1/1) = 1, product over a_t ≥ 2: 3 · 2 = 6, bound e · 6
/// assert!((bound.value() - 6.0 * std::f64::consts::E).abs() < 1e-12);
/// // actual: x = 1, 1.5, 4
/// assert!(bound.value() >= 4.0);
/// # Ok::<(), logprune_bounds::sequence::SequenceError>(())
/// ```
pub fn lemma18_bound(
    x0: f64,
    a: &[f64],
    b: &[f64],
    tau: f64,
    factor: Factor,
) -> Result<SequenceBound, SequenceError> {
    if !(x0 >= 0.0 && x0.is_finite()) {
        return Err(SequenceError::X0(x0));
    }
    check_terms(a, b)?;
    check_tau(a, tau)?;
    let c = c_unchecked(a, b, tau);
    let threshold = if a.is_empty() {
        f64::INFINITY
    } else {
        1.0 + 1.0 / tau
    };
    let ln_product: f64 = a.iter().filter(|&&v| v >= threshold).map(|v| v.ln()).sum();
    let small = count_below(a, threshold);
    let f = match factor {
        Factor::E => std::f64::consts::E,
        Factor::Remark19 | Factor::Tight if small == 0 => 1.0,
        Factor::Remark19 => std::f64::consts::E,
        // (1 + 1/τ)^count ≤ (1 + 1/τ)^τ ≤ e for a feasible τ.
        Factor::Tight => threshold.powf(small as f64),
    };
    Ok(SequenceBound {
        ln_bound: (x0 + c).ln() + f.ln() + ln_product,
        c,
        ln_product,
        factor: f,
    })
}

/// Corollary 27: with `x_0 = 0`, `x_T ≤ e T max_t b_t ∏_t max{1, a_t}` (Lemma 18 with
/// `τ = T`), as used in step (f) of the proof of Lemma 1.
///
/// # Errors
/// [`SequenceError`] for bad terms.
///
/// # Example
/// ```
/// use logprune_bounds::sequence::corollary27_bound;
/// let b = corollary27_bound(&[2.0, 0.5, 3.0], &[1.0, 0.1, 0.2])?;
/// // e · 3 · 1 · (2 · 1 · 3)
/// assert!((b.value() - std::f64::consts::E * 18.0).abs() < 1e-12);
/// # Ok::<(), logprune_bounds::sequence::SequenceError>(())
/// ```
pub fn corollary27_bound(a: &[f64], b: &[f64]) -> Result<SequenceBound, SequenceError> {
    check_terms(a, b)?;
    let t = a.len() as f64;
    let b_max = b.iter().copied().fold(0.0, f64::max);
    let ln_product: f64 = a.iter().map(|&v| v.max(1.0).ln()).sum();
    let c = t * b_max;
    Ok(SequenceBound {
        ln_bound: c.ln() + 1.0 + ln_product,
        c,
        ln_product,
        factor: std::f64::consts::E,
    })
}

/// The exact `x_T` of the recurrence `x_t = a_t x_{t-1} + b_t` (the equality case of
/// Lemma 18's hypothesis), computed by direct iteration; `inf` if it overflows.
///
/// # Errors
/// [`SequenceError`] for bad terms or a bad `x_0`.
pub fn iterate(x0: f64, a: &[f64], b: &[f64]) -> Result<f64, SequenceError> {
    if !(x0 >= 0.0 && x0.is_finite()) {
        return Err(SequenceError::X0(x0));
    }
    check_terms(a, b)?;
    Ok(a.iter().zip(b).fold(x0, |x, (&at, &bt)| at * x + bt))
}

fn min_a(a: &[f64]) -> Option<f64> {
    a.iter().copied().reduce(f64::min)
}

/// Remark 20: `τ = T` is always feasible.
pub fn remark20_tau(a: &[f64]) -> f64 {
    a.len() as f64
}

/// Remark 21: if `min_t a_t ≥ 2`, `τ = 1` is feasible; `None` otherwise (or if `T = 0`).
pub fn remark21_tau(a: &[f64]) -> Option<f64> {
    min_a(a).filter(|&m| m >= 2.0).map(|_| 1.0)
}

/// `τ = 1/(x − 1)` for `x > 1`, raised by a few ulps if rounding would make `1 + 1/τ`
/// exceed `x` (so that `{t : a_t < 1 + 1/τ} ⊆ {t : a_t < x}` holds in floating point too).
fn tau_for_threshold(x: f64) -> f64 {
    let mut tau = 1.0 / (x - 1.0);
    while 1.0 + 1.0 / tau > x {
        tau = tau.next_up();
    }
    tau
}

fn corollary22_unchecked(a: &[f64], x: f64) -> f64 {
    tau_for_threshold(x).max(count_below(a, x) as f64)
}

/// Corollary 22: for any `x > 1`, `τ = max{1/(x − 1), |{t : a_t < x}|}` is feasible; `None`
/// if `x` is not a finite number `> 1`.
pub fn corollary22_tau(a: &[f64], x: f64) -> Option<f64> {
    (x > 1.0 && x.is_finite()).then(|| corollary22_unchecked(a, x))
}

/// Remark 23, corrected: if `1 < x ≤ min_t a_t`, then `τ = 1/(x − 1)` is feasible (no
/// `a_t < 1 + 1/τ = x`). `None` when the condition fails or `T = 0`. The remark as printed
/// asks `1 < min_t a_t ≤ x`, which does not make `τ` feasible (see the module notes).
pub fn remark23_tau(a: &[f64], x: f64) -> Option<f64> {
    let m = min_a(a)?;
    (x > 1.0 && x <= m && x.is_finite()).then(|| tau_for_threshold(x))
}

/// Remark 24: `τ = max{1, |{t : a_t < 2}|}` is feasible (Corollary 22 with `x = 2`).
pub fn remark24_tau(a: &[f64]) -> f64 {
    corollary22_unchecked(a, 2.0)
}

/// Remark 25: `τ = max{φ, |{t : a_t < φ}|}` with the golden ratio `φ = (1 + √5)/2` is
/// feasible (Corollary 22 with `x = φ`, since `1/(φ − 1) = φ`).
pub fn remark25_tau(a: &[f64]) -> f64 {
    corollary22_unchecked(a, 1.0 / crate::INV_GOLDEN_RATIO)
}

/// Remark 26: if `min_t a_t > 1`, `τ = 1/(min_t a_t − 1)` is feasible; `None` otherwise (or
/// if `T = 0`).
pub fn remark26_tau(a: &[f64]) -> Option<f64> {
    min_a(a)
        .filter(|&m| m > 1.0 && m.is_finite())
        .map(tau_for_threshold)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prec::{SAME_FORMULA, assert_rel};
    use proptest::prelude::*;
    use std::f64::consts::E;

    #[test]
    fn by_hand() {
        // a = (3, 0.5, 2), b = (1, 1, 1), x0 = 0: x = 1, 1.5, 4.
        let (a, b) = ([3.0, 0.5, 2.0], [1.0, 1.0, 1.0]);
        assert_eq!(iterate(0.0, &a, &b).unwrap(), 4.0);
        // τ = 3 (Remark 20): 1 + 1/τ = 4/3; small: 0.5 → count 1 ≤ 3. c = max(1/2, 3, 1) = 3.
        assert_eq!(lemma18_c(&a, &b, 3.0).unwrap(), 3.0);
        let bd = lemma18_bound(0.0, &a, &b, 3.0, Factor::E).unwrap();
        assert_rel(bd.value(), E * 3.0 * 6.0, SAME_FORMULA);
        let tight = lemma18_bound(0.0, &a, &b, 3.0, Factor::Tight).unwrap();
        assert_rel(tight.value(), (4.0 / 3.0) * 3.0 * 6.0, SAME_FORMULA);
        assert_eq!(
            lemma18_bound(0.0, &a, &b, 3.0, Factor::Remark19)
                .unwrap()
                .factor,
            E
        );
        // Remark 19: a = (3, 2), τ = 1: every a_t ≥ 2, factor 1; c = max(1/2, 1/1) = 1.
        let r19 = lemma18_bound(1.0, &[3.0, 2.0], &[1.0, 1.0], 1.0, Factor::Remark19).unwrap();
        assert_rel(r19.value(), 2.0 * 6.0, SAME_FORMULA);
        assert!(r19.value() >= iterate(1.0, &[3.0, 2.0], &[1.0, 1.0]).unwrap()); // 9
        // Corollary 27 = e T max b ∏ max{1, a}
        let c27 = corollary27_bound(&a, &b).unwrap();
        assert_rel(c27.value(), E * 3.0 * 6.0, SAME_FORMULA);
        // Stated c ≥ proof c: min{τ max b, max b/(a−1)} = min{3, +∞} = 3.
        assert_eq!(lemma18_c_as_stated(&a, &b, 3.0).unwrap(), 3.0);
        // Zero bound.
        let z = lemma18_bound(0.0, &a, &[0.0; 3], 3.0, Factor::E).unwrap();
        assert_eq!(z.ln_bound, f64::NEG_INFINITY);
        assert_eq!(z.value(), 0.0);
        // T = 0: the bound is x0 (times the factor).
        let t0 = lemma18_bound(2.0, &[], &[], 0.0, Factor::Remark19).unwrap();
        assert_rel(t0.value(), 2.0, SAME_FORMULA);
    }

    #[test]
    fn feasible_taus_by_hand() {
        let a = [3.0, 0.5, 2.0, 1.2];
        assert_eq!(remark20_tau(&a), 4.0);
        assert_eq!(remark21_tau(&a), None);
        assert_eq!(remark21_tau(&[2.0, 5.0]), Some(1.0));
        // x = 1.5: 1/(x−1) = 2, |{a_t < 1.5}| = 2 (0.5, 1.2) → τ = 2
        assert_eq!(corollary22_tau(&a, 1.5), Some(2.0));
        assert_eq!(corollary22_tau(&a, 1.0), None);
        assert_eq!(remark23_tau(&[1.5, 3.0], 1.25), Some(4.0));
        assert_eq!(remark23_tau(&[1.5, 3.0], 2.0), None);
        assert_eq!(remark24_tau(&a), 2.0); // 0.5 and 1.2 are below 2
        assert_eq!(remark25_tau(&a), 2.0); // max{φ, |{0.5, 1.2}|}
        assert_rel(remark26_tau(&[1.5, 3.0]).unwrap(), 2.0, SAME_FORMULA);
        assert_eq!(remark26_tau(&a), None);
        assert_eq!(remark26_tau(&[]), None);
        for tau in [
            remark20_tau(&a),
            remark24_tau(&a),
            remark25_tau(&a),
            corollary22_tau(&a, 1.5).unwrap(),
        ] {
            assert!(is_feasible(&a, tau), "τ = {tau}");
        }
        assert!(!is_feasible(&a, 1.0)); // 1 + 1/1 = 2: three a_t < 2
    }

    #[test]
    fn remark23_as_printed_is_false() {
        // 1 < min a = 1.5 ≤ x = 2, τ = 1/(x − 1) = 1: three a_t < 2 > τ.
        let a = [1.5, 1.5, 1.5];
        let (x0, b) = (1.0, [0.0; 3]);
        let tau = 1.0;
        assert!(!is_feasible(&a, tau));
        assert_eq!(
            lemma18_bound(x0, &a, &b, tau, Factor::E),
            Err(SequenceError::InfeasibleTau { tau: 1.0, count: 3 })
        );
        // The formula evaluated anyway would give e · x0 < x_3 = 3.375.
        let would_be = E * (x0 + c_unchecked(&a, &b, tau));
        assert!(would_be < iterate(x0, &a, &b).unwrap());
        // Corrected: x ≤ min a.
        assert_eq!(remark23_tau(&a, 2.0), None);
        assert!(is_feasible(&a, remark23_tau(&a, 1.5).unwrap()));
    }

    #[test]
    fn literal_statement_c_would_be_negative() {
        // All a_t < 1: b_t/(a_t − 1) < 0 literally; our reading gives +∞ and c = τ max b.
        let (a, b) = ([0.5, 0.5], [1.0, 1.0]);
        assert_eq!(lemma18_c_as_stated(&a, &b, 2.0).unwrap(), 2.0);
        assert_eq!(lemma18_c(&a, &b, 2.0).unwrap(), 2.0);
    }

    #[test]
    fn long_sequences_stay_finite() {
        let a = vec![1e6; 10_000];
        let b = vec![1.0; 10_000];
        let bd = corollary27_bound(&a, &b).unwrap();
        assert!(bd.ln_bound.is_finite());
        assert_rel(
            bd.log10(),
            60_000.0 + 4.0 + std::f64::consts::LOG10_E,
            SAME_FORMULA,
        );
        let l18 = lemma18_bound(0.0, &a, &b, 1.0, Factor::Remark19).unwrap();
        assert!(l18.ln_bound.is_finite() && l18.factor == 1.0);
    }

    #[test]
    fn every_error_case() {
        assert_eq!(
            lemma18_bound(0.0, &[1.0], &[], 1.0, Factor::E),
            Err(SequenceError::LengthMismatch { a: 1, b: 0 })
        );
        assert_eq!(
            lemma18_bound(0.0, &[1.0, -1.0], &[0.0, 0.0], 2.0, Factor::E),
            Err(SequenceError::Term {
                name: "a",
                t: 2,
                value: -1.0
            })
        );
        assert!(matches!(
            corollary27_bound(&[1.0], &[f64::NAN]),
            Err(SequenceError::Term {
                name: "b",
                t: 1,
                ..
            })
        ));
        assert_eq!(
            lemma18_bound(-1.0, &[1.0], &[1.0], 1.0, Factor::E),
            Err(SequenceError::X0(-1.0))
        );
        assert!(matches!(
            lemma18_bound(0.0, &[1.0], &[1.0], 0.0, Factor::E),
            Err(SequenceError::InfeasibleTau { .. })
        ));
        assert!(matches!(
            lemma18_c(&[1.0], &[1.0], f64::NAN),
            Err(SequenceError::InfeasibleTau { .. })
        ));
        assert!(matches!(
            lemma18_c(&[1.0], &[1.0], f64::INFINITY),
            Err(SequenceError::InfeasibleTau { .. })
        ));
        assert!(matches!(iterate(f64::NAN, &[], &[]), Err(SequenceError::X0(v)) if v.is_nan()));
        let msg = SequenceError::InfeasibleTau { tau: 1.0, count: 3 }.to_string();
        assert!(msg.contains("τ = 1") && msg.contains('3'), "{msg}");
    }

    fn seq() -> impl Strategy<Value = (f64, Vec<(f64, f64)>)> {
        (
            0.0..2.0f64,
            prop::collection::vec((0.0..3.0f64, 0.0..2.0f64), 0..30),
        )
    }

    proptest! {
        #[test]
        fn every_feasible_tau_bounds_the_iteration((x0, ab) in seq(), x in 1.01..4.0f64) {
            let a: Vec<f64> = ab.iter().map(|p| p.0).collect();
            let b: Vec<f64> = ab.iter().map(|p| p.1).collect();
            let actual = iterate(x0, &a, &b).unwrap();
            let mut taus = vec![remark20_tau(&a), remark24_tau(&a), remark25_tau(&a)];
            taus.extend(corollary22_tau(&a, x));
            taus.extend(remark21_tau(&a));
            taus.extend(remark23_tau(&a, x));
            taus.extend(remark26_tau(&a));
            for tau in taus {
                prop_assert!(is_feasible(&a, tau), "τ = {} infeasible for {:?}", tau, a);
                for f in [Factor::E, Factor::Remark19, Factor::Tight] {
                    let bd = lemma18_bound(x0, &a, &b, tau, f).unwrap();
                    prop_assert!(bd.value() >= actual * (1.0 - 1e-12), "τ = {} {:?}: {} < {}", tau, f, bd.value(), actual);
                }
                prop_assert!(lemma18_c(&a, &b, tau).unwrap() <= lemma18_c_as_stated(&a, &b, tau).unwrap() * (1.0 + 1e-12) + 0.0);
            }
            let c27 = corollary27_bound(&a, &b).unwrap();
            let from_zero = iterate(0.0, &a, &b).unwrap();
            prop_assert!(c27.value() >= from_zero * (1.0 - 1e-12));
        }
    }
}
