//! A validated setting of Theorem 3 (linfa style: a builder checked into [`Setting`]).

use crate::lemma1::{self, NormModel};
use crate::params::{ParamError, check_delta, check_epsilon, check_f_max, check_w_max};
use crate::report::Report;
use crate::{LogNum, Widths, theorem3};

/// Widths as given: explicit, or `ℓ` layers of width `n` (built only once `ℓ` is checked).
#[derive(Debug, Clone, PartialEq)]
enum WidthSpec {
    Explicit(Vec<u64>),
    Uniform { n: u64, layers: usize },
}

/// The unchecked parameters of a [`Setting`]; [`SettingBuilder::check`] validates them.
///
/// Defaults: `w_max = 1`, `F_max = 1`, [`NormModel::SpectralAtMostOne`] (the assumptions of
/// Remark 4 and Example 5).
#[derive(Debug, Clone, PartialEq)]
pub struct SettingBuilder {
    widths: WidthSpec,
    epsilon: f64,
    delta: f64,
    w_max: f64,
    f_max: f64,
    norms: NormModel,
}

impl SettingBuilder {
    /// Sets the weight bound `w_max` (target weights lie in `[-w_max, w_max]`).
    #[must_use]
    pub fn w_max(mut self, w_max: f64) -> Self {
        self.w_max = w_max;
        self
    }

    /// Sets the activation bound `F_max(X)` of Lemma 1.
    #[must_use]
    pub fn f_max(mut self, f_max: f64) -> Self {
        self.f_max = f_max;
        self
    }

    /// Sets what is assumed about `‖Ŵ_i‖₂` (Lemma 1).
    #[must_use]
    pub fn norms(mut self, norms: NormModel) -> Self {
        self.norms = norms;
        self
    }

    /// Validates the parameters and computes every bound of the [`Report`].
    ///
    /// # Errors
    /// The first failing check, in the order: widths ([`ParamError::TooFewWidths`],
    /// [`ParamError::Width`]), [`ParamError::Epsilon`], [`ParamError::Delta`],
    /// [`ParamError::WMax`], [`ParamError::FMax`], the norm model ([`ParamError::PerLayerCount`],
    /// [`ParamError::Norm`]), and [`ParamError::AccuracyTooLoose`] when Lemma 1's
    /// `ε_w ≥ 2 w_max`.
    pub fn check(self) -> Result<Setting, ParamError> {
        let widths = match self.widths {
            WidthSpec::Explicit(w) => Widths::new(w)?,
            WidthSpec::Uniform { n, layers } => Widths::uniform(n, layers)?,
        };
        check_epsilon(self.epsilon)?;
        check_delta(self.delta)?;
        check_w_max(self.w_max)?;
        check_f_max(self.f_max)?;
        self.norms.validate(&widths)?;
        let epsilon_w =
            lemma1::epsilon_w_relu(self.epsilon, &widths, self.f_max, self.w_max, &self.norms)?;
        theorem3::check_epsilon_w(epsilon_w, self.w_max)?;
        let report = Report::compute(&Inputs {
            widths: &widths,
            epsilon: self.epsilon,
            delta: self.delta,
            w_max: self.w_max,
            f_max: self.f_max,
            norms: &self.norms,
            epsilon_w,
        })?;
        Ok(Setting {
            widths,
            epsilon: self.epsilon,
            delta: self.delta,
            w_max: self.w_max,
            f_max: self.f_max,
            norms: self.norms,
            epsilon_w,
            report,
        })
    }
}

/// A validated setting: a ReLU target architecture `A(ℓ, n, ReLU)` with widths `n_0..n_ℓ`,
/// output accuracy `ε`, failure probability `δ`, weight bound `w_max`, activation bound
/// `F_max` and a [`NormModel`], with the bounds of Theorems 3 and 30, Corollary 7 and
/// Malach et al. computed once ([`Setting::report`]).
///
/// # Example
/// ```
/// use logprune_bounds::{NormModel, Setting};
/// // Example 6: Example 5 without the norm assumption.
/// let s = Setting::uniform(100, 10, 0.01, 0.01).norms(NormModel::WorstCaseMaxWidth).check()?;
/// assert!((s.epsilon_w().log10() - (-26.4343)).abs() < 1e-4);
/// assert!(s.report().layers[0].theorem3_per_weight.value() <= 2450.0);
/// // Bad input is refused with the value and the expected range:
/// let err = Setting::uniform(100, 10, -1.0, 0.01).check().unwrap_err();
/// assert_eq!(err.to_string(), "accuracy ε = -1 is invalid: expected a finite number > 0");
/// # Ok::<(), logprune_bounds::ParamError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    widths: Widths,
    epsilon: f64,
    delta: f64,
    w_max: f64,
    f_max: f64,
    norms: NormModel,
    epsilon_w: LogNum,
    report: Report,
}

/// The validated inputs from which [`Report::compute`] derives every bound.
pub(crate) struct Inputs<'a> {
    pub(crate) widths: &'a Widths,
    pub(crate) epsilon: f64,
    pub(crate) delta: f64,
    pub(crate) w_max: f64,
    pub(crate) f_max: f64,
    pub(crate) norms: &'a NormModel,
    pub(crate) epsilon_w: LogNum,
}

impl Setting {
    /// Starts a setting with widths `n_0, ..., n_ℓ`, accuracy `ε` and failure probability `δ`.
    pub fn builder(widths: Vec<u64>, epsilon: f64, delta: f64) -> SettingBuilder {
        SettingBuilder {
            widths: WidthSpec::Explicit(widths),
            epsilon,
            delta,
            w_max: 1.0,
            f_max: 1.0,
            norms: NormModel::SpectralAtMostOne,
        }
    }

    /// Starts a setting with `ℓ = layers` layers all of width `n` (`n_0 = ... = n_ℓ = n`, the
    /// setting of Remark 4). `layers = 0` or above [`crate::params::MAX_LAYERS`] is refused by
    /// [`SettingBuilder::check`].
    pub fn uniform(n: u64, layers: usize, epsilon: f64, delta: f64) -> SettingBuilder {
        SettingBuilder {
            widths: WidthSpec::Uniform { n, layers },
            ..Self::builder(Vec::new(), epsilon, delta)
        }
    }

    /// The widths `n_0..n_ℓ`.
    pub fn widths(&self) -> &Widths {
        &self.widths
    }

    /// The output accuracy `ε > 0`.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The failure probability `δ ∈ (0, 1)`.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// The weight bound `w_max > 0`.
    pub fn w_max(&self) -> f64 {
        self.w_max
    }

    /// The activation bound `F_max > 0`.
    pub fn f_max(&self) -> f64 {
        self.f_max
    }

    /// The norm model.
    pub fn norms(&self) -> &NormModel {
        &self.norms
    }

    /// Lemma 1's `ε_w` for ReLU (`λ_i = 1`), `0 < ε_w < 2 w_max`.
    pub fn epsilon_w(&self) -> LogNum {
        self.epsilon_w
    }

    /// Every bound for this setting (computed by [`SettingBuilder::check`]).
    pub fn report(&self) -> &Report {
        &self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_defaults_and_errors_in_order() {
        let s = Setting::uniform(10, 2, 0.1, 0.1).check().unwrap();
        assert_eq!(s.w_max(), 1.0);
        assert_eq!(s.f_max(), 1.0);
        assert_eq!(s.norms(), &NormModel::SpectralAtMostOne);
        assert_eq!(s.widths().layers(), 2);
        assert_eq!(s.epsilon(), 0.1);
        assert_eq!(s.delta(), 0.1);
        assert_eq!(
            Setting::uniform(10, 0, 0.1, 0.1).check(),
            Err(ParamError::TooFewWidths { got: 1 })
        );
        assert_eq!(
            Setting::uniform(10, usize::MAX, 0.1, 0.1).check(),
            Err(ParamError::TooManyLayers { layers: usize::MAX })
        );
        assert_eq!(
            Setting::uniform(0, 3, 0.1, 0.1).check(),
            Err(ParamError::Width { index: 0, value: 0 })
        );
        assert_eq!(
            Setting::builder(vec![3, 0, 2], -1.0, 2.0).check(),
            Err(ParamError::Width { index: 1, value: 0 })
        );
        assert_eq!(
            Setting::uniform(10, 2, -1.0, 2.0).check(),
            Err(ParamError::Epsilon(-1.0))
        );
        assert_eq!(
            Setting::uniform(10, 2, 0.1, 2.0).check(),
            Err(ParamError::Delta(2.0))
        );
        assert_eq!(
            Setting::uniform(10, 2, 0.1, 0.1).w_max(-2.0).check(),
            Err(ParamError::WMax(-2.0))
        );
        assert!(matches!(
            Setting::uniform(10, 2, 0.1, 0.1).f_max(f64::NAN).check(),
            Err(ParamError::FMax(_))
        ));
        assert!(matches!(
            Setting::uniform(10, 2, 0.1, 0.1)
                .norms(NormModel::Given(vec![1.0]))
                .check(),
            Err(ParamError::PerLayerCount { .. })
        ));
        assert!(matches!(
            Setting::uniform(10, 2, 0.1, 0.1)
                .norms(NormModel::Given(vec![1.0, -1.0]))
                .check(),
            Err(ParamError::Norm { layer: 2, .. })
        ));
        // Huge w_max stays finite in log domain.
        let s = Setting::uniform(10, 2, 0.1, 0.1)
            .w_max(1e308)
            .check()
            .unwrap();
        assert!(s.report().weight_range.beta.ln().is_finite());
        assert!(s.report().k_prime.is_finite());
        // ε so large that ε_w ≥ 2 w_max: ε_w = 1e6/(e · 2 · 10^{1.5}) ≈ 5816.
        assert!(matches!(
            Setting::uniform(10, 2, 1e6, 0.1).check(),
            Err(ParamError::AccuracyTooLoose { .. })
        ));
        let msg = Setting::uniform(10, 2, 1e6, 0.1)
            .check()
            .unwrap_err()
            .to_string();
        assert!(msg.contains("2·w_max = 2"), "{msg}");
    }
}
