//! Why a decomposition could not be made.

/// Why a solver refused its input or could not reach the tolerance.
///
/// Every variant names the offending value and what was expected (ARCHITECTURE.md,
/// invariant 11).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DecompositionError {
    /// The tolerance `ε` is not a finite positive number.
    #[error("tolerance ε = {tolerance} is invalid: expected a finite ε > 0")]
    InvalidTolerance {
        /// The value given.
        tolerance: f64,
    },
    /// The target `w` is not a finite number.
    #[error("target w = {target} is invalid: expected a finite number")]
    InvalidTarget {
        /// The value given.
        target: f64,
    },
    /// The target lies outside `[-w_max, w_max]` (Lemma 9 / Corollary 10 need `|w| ≤ w_max`).
    #[error("target w = {target} is out of range: expected |w| ≤ w_max = {w_max}")]
    TargetOutOfRange {
        /// The target.
        target: f64,
        /// The bound it exceeds.
        w_max: f64,
    },
    /// `w_max` is not a finite positive number.
    #[error("w_max = {w_max} is invalid: expected a finite w_max > 0")]
    InvalidWMax {
        /// The value given.
        w_max: f64,
    },
    /// `γ` is outside `[1/φ, 1)` (Lemma 9).
    #[error("γ = {gamma} is invalid: expected 1/φ = 0.6180339887498949 ≤ γ < 1 (Lemma 9)")]
    InvalidGamma {
        /// The value given.
        gamma: f64,
    },
    /// A candidate value is not a finite number.
    #[error("candidate {index} is {value}: expected a finite number")]
    InvalidCandidate {
        /// Position of the candidate in the slice.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// The golden-ratio greedy (Lemma 9) reached a step `s` at which it must subtract a sample
    /// of interval `I_s = (γ^{s+1}, γ^s]·w_max` (of the target's sign), and no candidate fell
    /// in that interval. This is the first such interval.
    #[error("{}", empty_interval_message(*step, *lower, *upper, *negative))]
    EmptyInterval {
        /// The step `s` (1-based), i.e. the interval `I_s`.
        step: usize,
        /// Lower (open) end of the interval's magnitudes, `γ^{s+1} w_max`.
        lower: f64,
        /// Upper (closed) end of the interval's magnitudes, `γ^s w_max`.
        upper: f64,
        /// Whether the target (and so the needed candidates) is negative.
        negative: bool,
    },
    /// `ε / w_max` is so small (or `γ` so close to 1) that the golden-ratio decomposition would
    /// need more intervals than the implementation allows.
    #[error(
        "the decomposition needs k = ⌈log_γ(ε/w_max)⌉ ≈ {steps} intervals: expected at most {max}"
    )]
    TooManySteps {
        /// `log_γ(ε/w_max)`, the number of intervals before rounding up.
        steps: f64,
        /// The limit.
        max: usize,
    },
    /// The magnitudes of the candidates sum to more than the largest `f64`, so sub-sums would
    /// overflow.
    #[error("the candidates' magnitudes sum to {sum}: expected a finite sum")]
    NonFiniteSum {
        /// The overflowing sum.
        sum: f64,
    },
    /// Too many candidates for an exhaustive solver.
    #[error("{n} candidates: expected at most {max} for this solver")]
    TooManyCandidates {
        /// Number of candidates given.
        n: usize,
        /// The limit.
        max: usize,
    },
    /// The best decomposition the solver found misses the target by more than the tolerance.
    #[error(
        "the best ŵ = {approximation} for target w = {target} has error {error} > tolerance ε = {tolerance}"
    )]
    NotWithinTolerance {
        /// The target `w`.
        target: f64,
        /// The best `ŵ` found.
        approximation: f64,
        /// Its error in the solver's sense (`|w| - |ŵ|` for one-sided solvers, `|w - ŵ|`
        /// otherwise).
        error: f64,
        /// The tolerance `ε`.
        tolerance: f64,
    },
}

fn empty_interval_message(step: usize, lower: f64, upper: f64, negative: bool) -> String {
    let interval = if negative {
        format!("[{}, {})", -upper, -lower)
    } else {
        format!("({lower}, {upper}]")
    };
    format!(
        "the golden-ratio greedy needs a candidate in interval I_{step} = {interval}, \
         but none fell in it: expected at least one sample per needed interval (Lemma 9)"
    )
}

/// Checks that the tolerance is finite and positive (refusing `NaN`).
pub(crate) fn check_tolerance(tolerance: f64) -> Result<(), DecompositionError> {
    if !(tolerance > 0.0 && tolerance.is_finite()) {
        return Err(DecompositionError::InvalidTolerance { tolerance });
    }
    Ok(())
}

/// Checks that the target is finite.
pub(crate) fn check_target(target: f64) -> Result<(), DecompositionError> {
    if !target.is_finite() {
        return Err(DecompositionError::InvalidTarget { target });
    }
    Ok(())
}

/// Checks that every candidate is finite.
pub(crate) fn check_candidates(candidates: &[f64]) -> Result<(), DecompositionError> {
    match candidates.iter().position(|c| !c.is_finite()) {
        Some(index) => Err(DecompositionError::InvalidCandidate {
            index,
            value: candidates[index],
        }),
        None => Ok(()),
    }
}

/// Checks that every candidate is finite and that their magnitudes have a finite sum.
pub(crate) fn check_summable(candidates: &[f64]) -> Result<(), DecompositionError> {
    check_candidates(candidates)?;
    let sum: f64 = candidates.iter().map(|c| c.abs()).sum();
    if !sum.is_finite() {
        return Err(DecompositionError::NonFiniteSum { sum });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_value_and_the_range() {
        let e = DecompositionError::InvalidTolerance { tolerance: -1.0 };
        assert_eq!(
            e.to_string(),
            "tolerance ε = -1 is invalid: expected a finite ε > 0"
        );
        let e = DecompositionError::EmptyInterval {
            step: 2,
            lower: 0.25,
            upper: 0.5,
            negative: true,
        };
        assert!(e.to_string().contains("I_2 = [-0.5, -0.25)"), "{e}");
        let e = DecompositionError::EmptyInterval {
            step: 2,
            lower: 0.25,
            upper: 0.5,
            negative: false,
        };
        assert!(e.to_string().contains("I_2 = (0.25, 0.5]"), "{e}");
    }

    #[test]
    fn checks_refuse_nan() {
        assert!(check_tolerance(f64::NAN).is_err());
        assert!(check_tolerance(0.0).is_err());
        assert!(check_tolerance(f64::INFINITY).is_err());
        assert!(check_tolerance(1e-300).is_ok());
        assert!(check_target(f64::INFINITY).is_err());
        assert!(matches!(
            check_candidates(&[1.0, f64::NAN]),
            Err(DecompositionError::InvalidCandidate { index: 1, value }) if value.is_nan()
        ));
        assert!(check_candidates(&[1.0, -2.0]).is_ok());
        assert_eq!(
            check_summable(&[f64::MAX, -f64::MAX]),
            Err(DecompositionError::NonFiniteSum { sum: f64::INFINITY })
        );
    }
}
