//! The error type of every constructor and checked function of this crate.

/// Why a distribution or a schedule could not be built, or a checked function refused its
/// argument. Each variant names the bad value and the expected range.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SamplingError {
    /// The range `[alpha, beta]` of a hyperbolic density is not finite `0 < alpha < beta`
    /// (or so narrow that `ln(beta / alpha)` rounds to 0).
    #[error(
        "hyperbolic range [{alpha}, {beta}] is invalid: expected finite 0 < alpha < beta with ln(beta/alpha) > 0"
    )]
    Range {
        /// The lower end given.
        alpha: f64,
        /// The upper end given.
        beta: f64,
    },
    /// A scale parameter (half-width `a`, standard deviation `sigma`, schedule base, ...) is not
    /// finite and positive.
    #[error("{name} = {value} is invalid: expected a finite value > 0")]
    Scale {
        /// Which parameter.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// The `gamma` of a Remark 12 density is not in `(0, 1)`.
    #[error("gamma = {gamma} is invalid: expected 0 < gamma < 1")]
    Gamma {
        /// The value given.
        gamma: f64,
    },
    /// Theorem 3's range was refused by `logprune-bounds` (`theorem3::weight_range`), which
    /// needs finite `0 < epsilon_w < 2 w_max` (so that `k' = log_{3/2}(3 w_max/ε_w) > 1`).
    #[error("Theorem 3 range for epsilon_w = {epsilon_w}, w_max = {w_max}: {source}")]
    Theorem3 {
        /// The accuracy per weight given.
        epsilon_w: f64,
        /// The weight bound given.
        w_max: f64,
        /// Why the bounds crate refused them.
        #[source]
        source: logprune_bounds::ParamError,
    },
    /// A probability given to an inverse cdf is not in `[0, 1]`.
    #[error("probability u = {u} is invalid: expected 0 <= u <= 1")]
    Probability {
        /// The value given.
        u: f64,
    },
    /// Remark 14's samples are numbered from 1; 0 has no `w_max`.
    #[error("sample number s = {s} is invalid: Remark 14's samples are numbered from 1")]
    SampleNumber {
        /// The value given.
        s: u64,
    },
}

/// Checks `0 < value < inf` (NaN refused), naming the parameter in the error.
pub(crate) fn check_scale(name: &'static str, value: f64) -> Result<f64, SamplingError> {
    if !(value > 0.0 && value.is_finite()) {
        return Err(SamplingError::Scale { name, value });
    }
    Ok(value)
}

/// Checks `0 <= u <= 1` (NaN refused).
pub(crate) fn check_probability(u: f64) -> Result<f64, SamplingError> {
    if !((0.0..=1.0).contains(&u)) {
        return Err(SamplingError::Probability { u });
    }
    Ok(u)
}

/// Checks `0 < gamma < 1` (NaN refused).
pub(crate) fn check_gamma(gamma: f64) -> Result<f64, SamplingError> {
    if !(gamma > 0.0 && gamma < 1.0) {
        return Err(SamplingError::Gamma { gamma });
    }
    Ok(gamma)
}
