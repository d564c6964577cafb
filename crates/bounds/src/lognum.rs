//! Positive quantities carried by their logarithm (ARCHITECTURE.md, invariant 2).

use crate::ParamError;

/// A positive real number carried by its natural logarithm, together with its plain `f64`
/// value (which is `0.0` or `inf` when the number is outside the range of `f64`).
///
/// [`LogNum::ln`] and [`LogNum::log10`] are always finite; [`LogNum::value`] is exact where the
/// number was computed directly and `exp(ln)` otherwise. Use [`LogNum::finite_value`] when a
/// plain number is needed and its absence must be handled.
///
/// # Example
/// ```
/// use logprune_bounds::LogNum;
/// let tiny = LogNum::from_ln(-100_000.0)?; // e^{-100000}: far below f64's range
/// assert_eq!(tiny.value(), 0.0);
/// assert!((tiny.log10() + 100_000.0 / std::f64::consts::LN_10).abs() < 1e-9);
/// assert_eq!(tiny.finite_value(), None);
/// let x = LogNum::from_value(0.25)?;
/// assert_eq!(x.value(), 0.25);
/// assert_eq!((x * x).value(), 0.0625);
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogNum {
    ln: f64,
    value: f64,
}

impl LogNum {
    /// The number `v`.
    ///
    /// # Errors
    /// [`ParamError::OutOfRange`] unless `v` is finite and `> 0`.
    pub fn from_value(v: f64) -> Result<Self, ParamError> {
        if !(v > 0.0 && v.is_finite()) {
            return Err(ParamError::OutOfRange {
                name: "LogNum value",
                value: v,
                expected: "a finite number > 0",
            });
        }
        Ok(LogNum {
            ln: v.ln(),
            value: v,
        })
    }

    /// The number `e^ln`.
    ///
    /// # Errors
    /// [`ParamError::OutOfRange`] unless `ln` is finite.
    pub fn from_ln(ln: f64) -> Result<Self, ParamError> {
        if !ln.is_finite() {
            return Err(ParamError::OutOfRange {
                name: "LogNum logarithm",
                value: ln,
                expected: "a finite number",
            });
        }
        Ok(Self::from_ln_unchecked(ln))
    }

    /// The number `10^log10`.
    ///
    /// # Errors
    /// [`ParamError::OutOfRange`] unless `log10` is finite.
    pub fn from_log10(log10: f64) -> Result<Self, ParamError> {
        if !log10.is_finite() {
            return Err(ParamError::OutOfRange {
                name: "LogNum logarithm",
                value: log10,
                expected: "a finite number",
            });
        }
        Ok(Self::from_ln_unchecked(log10 * std::f64::consts::LN_10))
    }

    /// Caller guarantees `ln` is finite.
    pub(crate) fn from_ln_unchecked(ln: f64) -> Self {
        debug_assert!(ln.is_finite());
        LogNum {
            ln,
            value: ln.exp(),
        }
    }

    /// Caller guarantees `v` is finite and `> 0`.
    pub(crate) fn from_value_unchecked(v: f64) -> Self {
        debug_assert!(v > 0.0 && v.is_finite());
        LogNum {
            ln: v.ln(),
            value: v,
        }
    }

    /// The pair `(ln, value)`, with `value` recomputed as `exp(ln)` when the direct value left
    /// the normal range of `f64` (so that `0 · inf` never yields `NaN`).
    fn combine(ln: f64, direct: f64) -> Self {
        if direct.is_normal() {
            LogNum { ln, value: direct }
        } else {
            LogNum {
                ln,
                value: ln.exp(),
            }
        }
    }

    /// Natural logarithm of the number; always finite.
    pub fn ln(self) -> f64 {
        self.ln
    }

    /// Base-10 logarithm of the number; always finite.
    pub fn log10(self) -> f64 {
        self.ln / std::f64::consts::LN_10
    }

    /// The number as an `f64`: `≥ 0`, never `NaN`, `0.0` when it underflows and `inf` when it
    /// overflows.
    pub fn value(self) -> f64 {
        self.value
    }

    /// The number as a finite, positive `f64`, or `None` when it is outside `f64`'s range.
    pub fn finite_value(self) -> Option<f64> {
        (self.value > 0.0 && self.value.is_finite()).then_some(self.value)
    }

    /// The power `self^p` for a finite `p`.
    #[must_use]
    pub fn powf(self, p: f64) -> LogNum {
        Self::combine(self.ln * p, self.value.powf(p))
    }

    /// Scientific notation with `digits` digits after the point, computed from the logarithm
    /// so that it works beyond `f64`'s range, e.g. `"3.6788e-7"` or `"1.2346e+400"`.
    pub fn to_sci(self, digits: usize) -> String {
        sci_from_log10(self.log10(), digits)
    }
}

/// The product, added in log domain (the plain value is recomputed from the log when it
/// leaves `f64`'s normal range, so `0 · inf` never gives `NaN`).
impl std::ops::Mul for LogNum {
    type Output = LogNum;
    fn mul(self, other: LogNum) -> LogNum {
        LogNum::combine(self.ln + other.ln, self.value * other.value)
    }
}

/// The quotient, subtracted in log domain.
impl std::ops::Div for LogNum {
    type Output = LogNum;
    fn div(self, other: LogNum) -> LogNum {
        LogNum::combine(self.ln - other.ln, self.value / other.value)
    }
}

/// Scientific notation of `10^log10` with `digits` digits after the point.
pub(crate) fn sci_from_log10(log10: f64, digits: usize) -> String {
    let mut exponent = log10.floor();
    let mut mantissa = 10f64.powf(log10 - exponent);
    // Rounding the mantissa to `digits` can carry into the exponent (9.99995 → 10.0000).
    let scale = 10f64.powi(i32::try_from(digits).unwrap_or(16).min(16));
    if (mantissa * scale).round() / scale >= 10.0 {
        mantissa /= 10.0;
        exponent += 1.0;
    }
    format!("{mantissa:.digits$}e{exponent:+}")
}

/// A positive integer count (a number of neurons or samples) that may exceed `f64`.
///
/// Built as the ceiling `⌈x⌉` of a positive real: when `x` is within `f64`'s range the count
/// is the exact `f64` ceiling (an integer-valued `f64`, exactly representable up to `2^53`);
/// beyond it only the logarithm is kept (the ceiling changes nothing at that scale).
///
/// # Example
/// ```
/// use logprune_bounds::{Count, LogNum};
/// let c = Count::ceil(LogNum::from_value(628.2)?);
/// assert_eq!(c.value(), 629.0);
/// assert_eq!(c.as_u64(), Some(629));
/// let huge = Count::ceil(LogNum::from_log10(400.0)?);
/// assert_eq!(huge.as_u64(), None);
/// assert!((huge.log10() - 400.0).abs() < 1e-12);
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Count {
    ln: f64,
    value: f64,
}

impl Count {
    /// `⌈x⌉`: at least 1, exact when `x` is a finite `f64`.
    pub fn ceil(x: LogNum) -> Count {
        match x.finite_value() {
            Some(v) => {
                let c = v.ceil().max(1.0);
                Count {
                    ln: c.ln(),
                    value: c,
                }
            }
            None if x.ln() < 0.0 => Count {
                ln: 0.0,
                value: 1.0,
            },
            None => Count {
                ln: x.ln(),
                value: f64::INFINITY,
            },
        }
    }

    /// `⌈v⌉` for a finite `v > 0` (caller guarantees it).
    pub(crate) fn ceil_f64(v: f64) -> Count {
        Count::ceil(LogNum::from_value_unchecked(v))
    }

    /// Natural logarithm of the count; finite and `≥ 0`.
    pub fn ln(self) -> f64 {
        self.ln
    }

    /// Base-10 logarithm of the count; finite and `≥ 0`.
    pub fn log10(self) -> f64 {
        self.ln / std::f64::consts::LN_10
    }

    /// The count as an integer-valued `f64` `≥ 1`, or `inf` when it exceeds `f64`'s range.
    /// Integers above `2^53` are the nearest `f64`.
    pub fn value(self) -> f64 {
        self.value
    }

    /// The count as a `u64` when it is below `2^64`, else `None`.
    pub fn as_u64(self) -> Option<u64> {
        // 2^64 as f64; every integer-valued f64 below it converts exactly.
        const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        (self.value < TWO_POW_64).then_some(self.value as u64)
    }

    /// The count as a [`LogNum`].
    pub fn as_lognum(self) -> LogNum {
        LogNum::combine(self.ln, self.value)
    }

    /// The ratio `count / d` for a finite `d > 0` (e.g. `M_i / n_max²`, the number of sampled
    /// neurons per target weight, Remark 4): exact division when the count is finite.
    ///
    /// # Errors
    /// [`ParamError::OutOfRange`] unless `d` is finite and `> 0`.
    pub fn per(self, d: f64) -> Result<LogNum, ParamError> {
        Ok(self.as_lognum() / LogNum::from_value(d)?)
    }

    /// The smaller of two counts.
    #[must_use]
    pub fn min(self, other: Count) -> Count {
        if other.less_than(self) { other } else { self }
    }

    /// Whether `self < other`.
    pub fn less_than(self, other: Count) -> bool {
        if self.value.is_finite() && other.value.is_finite() {
            self.value < other.value
        } else {
            self.ln < other.ln
        }
    }

    /// Scientific notation with `digits` digits after the point, computed from the logarithm
    /// (see [`LogNum::to_sci`]).
    pub fn to_sci(self, digits: usize) -> String {
        sci_from_log10(self.log10(), digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prec::{SAME_FORMULA, assert_rel};

    #[test]
    fn lognum_round_trips_and_refuses_bad_input() {
        let x = LogNum::from_value(3.5).unwrap();
        assert_eq!(x.value(), 3.5);
        assert_rel(x.ln(), 3.5f64.ln(), SAME_FORMULA);
        assert_rel(
            LogNum::from_log10(2.0).unwrap().value(),
            100.0,
            SAME_FORMULA,
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                LogNum::from_value(bad),
                Err(ParamError::OutOfRange { .. })
            ));
        }
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(LogNum::from_ln(bad).is_err());
            assert!(LogNum::from_log10(bad).is_err());
        }
    }

    #[test]
    fn lognum_arithmetic_never_gives_nan() {
        let tiny = LogNum::from_ln(-1000.0).unwrap();
        let huge = LogNum::from_ln(1000.0).unwrap();
        assert_eq!(tiny.value(), 0.0);
        assert_eq!(huge.value(), f64::INFINITY);
        let one = tiny * huge;
        assert_eq!(one.ln(), 0.0);
        assert_eq!(one.value(), 1.0);
        let q = huge / huge;
        assert_eq!(q.value(), 1.0);
        assert_rel(huge.powf(0.5).ln(), 500.0, SAME_FORMULA);
    }

    #[test]
    fn sci_formatting_carries_and_goes_beyond_f64() {
        assert_eq!(sci_from_log10(0.0, 3), "1.000e+0");
        assert_eq!(sci_from_log10(1000f64.log10(), 2), "1.00e+3");
        assert_eq!(sci_from_log10(400.0 + 2f64.log10(), 1), "2.0e+400");
        // 9.99999e2 rounds to 1.0000e3 with 4 digits.
        assert_eq!(sci_from_log10(999.999f64.log10(), 4), "1.0000e+3");
        assert_eq!(sci_from_log10(3.678_794e-7f64.log10(), 4), "3.6788e-7");
    }

    #[test]
    fn count_ceils_exactly_and_keeps_logs_beyond_range() {
        let c = Count::ceil_f64(6_286_926.9);
        assert_eq!(c.value(), 6_286_927.0);
        assert_eq!(c.as_u64(), Some(6_286_927));
        assert_eq!(c.per(10_000.0).unwrap().value(), 628.6927);
        let small = Count::ceil(LogNum::from_ln(-800.0).unwrap());
        assert_eq!(small.value(), 1.0);
        let huge = Count::ceil(LogNum::from_ln(800.0).unwrap());
        assert_eq!(huge.value(), f64::INFINITY);
        assert_eq!(huge.ln(), 800.0);
        assert_eq!(huge.as_u64(), None);
        assert!(c.less_than(huge));
        assert_eq!(huge.min(c), c);
        assert_eq!(c.min(huge), c);
        assert_rel(
            huge.per(1e10).unwrap().ln(),
            800.0 - 1e10f64.ln(),
            SAME_FORMULA,
        );
        assert!(c.per(0.0).is_err());
    }
}
