//! The weight distribution of G: the choice a run makes ([`GDistribution`]) and the law of
//! each layer and side it resolves to ([`Law`]).
//!
//! Theorem 3 and Theorem 30 hold for the signed hyperbolic density `p_w` on Theorem 3's range
//! `[α, β]` (Section 5). Every other distribution is an experiment: Remark 16 and the
//! Conclusion conjecture that uniform or Gaussian weights work nearly as well, and PyTorch's
//! own initialization is what users' networks start from. Their widths are the user's, or
//! the hyperbolic default with a note ([`GDistribution::theorem_applies`]); every kept weight
//! is still re-derived from G and the certificate and the measurement decide success.

use core::fmt;

use logprune_sampling::{
    LogSampleBits, LogWeight, SampleBits, SignedGaussian, SignedHyperbolic, SignedUniform,
};
use serde::{Deserialize, Serialize};

use crate::{ConstructionError, ParseNameError};

/// The weight distribution of G, as a run chooses it.
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "name")]
#[non_exhaustive]
pub enum GDistribution {
    /// The signed hyperbolic `p_w` on Theorem 3's `[α, β]` (Section 5): the paper's.
    #[default]
    Hyperbolic,
    /// The uniform law on `[−c, c]` (Malach et al.'s choice; Remark 16's conjecture).
    Uniform {
        /// The half-width `c`.
        c: f64,
    },
    /// The Gaussian `N(0, σ²)` (Remark 16's conjecture).
    Gaussian {
        /// The standard deviation `σ`.
        sigma: f64,
    },
    /// PyTorch's default `nn.Linear` initialization, `U[−1/√fan_in, 1/√fan_in]`, for each
    /// layer of G with that layer's own fan-in: `n_{i-1}` for `U_i`, `M_i` for `V_i`.
    KaimingUniform,
    /// Remark 15: the signed hyperbolic law restricted to `[α, c/√fan_in]` (the fan-in of the
    /// layer of G, as for [`GDistribution::KaimingUniform`]), so that no weight of G is large.
    Remark15 {
        /// The constant `c` of `c/√fan_in`.
        c: f64,
    },
}

impl GDistribution {
    /// The name on the command line and in reports.
    pub fn name(&self) -> &'static str {
        match self {
            GDistribution::Hyperbolic => "hyperbolic",
            GDistribution::Uniform { .. } => "uniform",
            GDistribution::Gaussian { .. } => "gaussian",
            GDistribution::KaimingUniform => "kaiming-uniform",
            GDistribution::Remark15 { .. } => "remark15",
        }
    }

    /// Whether Theorem 3's and Theorem 30's widths are proven for this distribution (only
    /// for the hyperbolic one).
    pub fn theorem_applies(&self) -> bool {
        matches!(self, GDistribution::Hyperbolic)
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`ConstructionError::InvalidDistributionParameter`] for a parameter that is not finite
    /// and positive.
    pub fn check(&self) -> Result<(), ConstructionError> {
        let (parameter, value) = match *self {
            GDistribution::Uniform { c } => ("c", c),
            GDistribution::Gaussian { sigma } => ("sigma", sigma),
            GDistribution::Remark15 { c } => ("c", c),
            GDistribution::Hyperbolic | GDistribution::KaimingUniform => return Ok(()),
        };
        if !(value > 0.0 && value.is_finite()) {
            return Err(ConstructionError::InvalidDistributionParameter {
                distribution: self.name(),
                parameter,
                value,
                expected: "a finite number > 0",
            });
        }
        Ok(())
    }

    /// The laws of `[U_i, V_i]` for every layer of G with target fans `fans` (`[n_in, n_out]`) and
    /// intermediate widths `intermediate`, given Theorem 3's range `[α, β]`.
    ///
    /// # Errors
    /// [`ConstructionError::Sampling`] if a law cannot be built;
    /// [`ConstructionError::InvalidDistributionParameter`] if Remark 15's cap `c/√fan_in` is
    /// not above Theorem 3's `α`.
    pub fn laws(
        &self,
        range: (f64, f64),
        fans: &[[usize; 2]],
        intermediate: &[u64],
    ) -> Result<Vec<[Law; 2]>, ConstructionError> {
        self.check()?;
        let fan_ins = |t: usize| [fans[t][0] as f64, intermediate[t] as f64];
        (0..intermediate.len())
            .map(|t| {
                let side = |fan_in: f64| -> Result<Law, ConstructionError> {
                    Ok(match *self {
                        GDistribution::Hyperbolic => {
                            Law::Hyperbolic(SignedHyperbolic::new(range.0, range.1)?)
                        }
                        GDistribution::Uniform { c } => Law::Uniform(SignedUniform::new(c)?),
                        GDistribution::Gaussian { sigma } => {
                            Law::Gaussian(SignedGaussian::new(sigma)?)
                        }
                        GDistribution::KaimingUniform => {
                            Law::Uniform(SignedUniform::new(1.0 / fan_in.sqrt())?)
                        }
                        GDistribution::Remark15 { c } => {
                            let cap = c / fan_in.sqrt();
                            if !(cap > range.0) {
                                return Err(ConstructionError::InvalidDistributionParameter {
                                    distribution: self.name(),
                                    parameter: "c/√fan_in",
                                    value: cap,
                                    expected: "a cap above Theorem 3's α (a larger c)",
                                });
                            }
                            Law::Hyperbolic(SignedHyperbolic::new(range.0, cap.min(range.1))?)
                        }
                    })
                };
                let [u, v] = fan_ins(t);
                Ok([side(u)?, side(v)?])
            })
            .collect()
    }

    /// The distribution named `name` with its scale `scale` (`c` of uniform and Remark 15,
    /// `σ` of Gaussian; default 1; ignored by the others).
    ///
    /// # Errors
    /// [`ParseNameError`] for an unknown name;
    /// [`ConstructionError::InvalidDistributionParameter`] for a bad scale.
    pub fn from_name(name: &str, scale: Option<f64>) -> Result<Self, ConstructionError> {
        let c = scale.unwrap_or(1.0);
        let d = match name.trim() {
            "hyperbolic" => GDistribution::Hyperbolic,
            "uniform" => GDistribution::Uniform { c },
            "gaussian" => GDistribution::Gaussian { sigma: c },
            "kaiming-uniform" => GDistribution::KaimingUniform,
            "remark15" => GDistribution::Remark15 { c },
            _ => {
                return Err(ConstructionError::ParseName(ParseNameError {
                    what: "distribution",
                    name: name.to_owned(),
                    expected: GDistribution::NAMES.join(", "),
                }));
            }
        };
        d.check()?;
        Ok(d)
    }

    /// The names of the distributions.
    pub const NAMES: [&'static str; 5] = [
        "hyperbolic",
        "uniform",
        "gaussian",
        "kaiming-uniform",
        "remark15",
    ];
}

impl fmt::Display for GDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The law of the weights of one side of one layer of G: a symmetric distribution read from
/// one 64-bit word, magnitude from its top bits and sign from bit 0. Serialized with its
/// parameters ([`LawSpec`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "LawSpec", try_from = "LawSpec")]
#[non_exhaustive]
pub enum Law {
    /// The signed hyperbolic density on `[-β, -α] ∪ [α, β]`.
    Hyperbolic(SignedHyperbolic),
    /// The uniform law on `[-a, a]`.
    Uniform(SignedUniform),
    /// The Gaussian `N(0, σ²)`.
    Gaussian(SignedGaussian),
}

/// A [`Law`] by its parameters, as reports and tickets write it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "law")]
pub enum LawSpec {
    /// [`Law::Hyperbolic`] on `[-β, -α] ∪ [α, β]`.
    Hyperbolic {
        /// `α`.
        alpha: f64,
        /// `β`.
        beta: f64,
    },
    /// [`Law::Uniform`] on `[-a, a]`.
    Uniform {
        /// `a`.
        a: f64,
    },
    /// [`Law::Gaussian`] `N(0, σ²)`.
    Gaussian {
        /// `σ`.
        sigma: f64,
    },
}

impl From<Law> for LawSpec {
    fn from(l: Law) -> Self {
        match l {
            Law::Hyperbolic(d) => LawSpec::Hyperbolic {
                alpha: d.alpha(),
                beta: d.beta(),
            },
            Law::Uniform(d) => LawSpec::Uniform { a: d.half_width() },
            Law::Gaussian(d) => LawSpec::Gaussian { sigma: d.sigma() },
        }
    }
}

impl TryFrom<LawSpec> for Law {
    type Error = logprune_sampling::SamplingError;

    fn try_from(s: LawSpec) -> Result<Self, Self::Error> {
        Ok(match s {
            LawSpec::Hyperbolic { alpha, beta } => {
                Law::Hyperbolic(SignedHyperbolic::new(alpha, beta)?)
            }
            LawSpec::Uniform { a } => Law::Uniform(SignedUniform::new(a)?),
            LawSpec::Gaussian { sigma } => Law::Gaussian(SignedGaussian::new(sigma)?),
        })
    }
}

impl Law {
    /// The weight the word `bits` encodes.
    #[inline(always)]
    pub fn sample_bits(&self, bits: u64) -> f64 {
        match self {
            Law::Hyperbolic(d) => d.sample_bits(bits),
            Law::Uniform(d) => d.sample_bits(bits),
            Law::Gaussian(d) => d.sample_bits(bits),
        }
    }

    /// The same weight in the log domain (no `exp` for the hyperbolic law).
    #[inline(always)]
    pub fn sample_log_bits(&self, bits: u64) -> LogWeight {
        match self {
            Law::Hyperbolic(d) => d.sample_log_bits(bits),
            Law::Uniform(d) => d.sample_log_bits(bits),
            Law::Gaussian(d) => d.sample_log_bits(bits),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parameters_and_fan_ins() {
        for name in GDistribution::NAMES {
            let d = GDistribution::from_name(name, Some(0.5)).unwrap();
            assert_eq!(d.name(), name);
            assert_eq!(d.theorem_applies(), name == "hyperbolic");
        }
        assert!(matches!(
            GDistribution::from_name("magic", None),
            Err(ConstructionError::ParseName(_))
        ));
        assert!(matches!(
            GDistribution::from_name("gaussian", Some(-1.0)),
            Err(ConstructionError::InvalidDistributionParameter {
                parameter: "sigma",
                ..
            })
        ));
        // Kaiming: U[±1/√fan_in] with G's own fan-ins n_{i-1} (for U) and M_i (for V).
        let laws = GDistribution::KaimingUniform
            .laws((1e-3, 1.0), &[[4, 9]], &[100])
            .unwrap();
        let [Law::Uniform(u), Law::Uniform(v)] = laws[0] else {
            panic!("{laws:?}")
        };
        assert_eq!((u.half_width(), v.half_width()), (0.5, 0.1));
        // Remark 15: the hyperbolic law capped at c/√fan_in.
        let laws = GDistribution::Remark15 { c: 1.0 }
            .laws((1e-3, 1.0), &[[4, 9]], &[100])
            .unwrap();
        let [Law::Hyperbolic(u), Law::Hyperbolic(v)] = laws[0] else {
            panic!("{laws:?}")
        };
        assert_eq!((u.alpha(), u.beta(), v.beta()), (1e-3, 0.5, 0.1));
        assert!(matches!(
            GDistribution::Remark15 { c: 1e-4 }.laws((1e-3, 1.0), &[[4, 9]], &[100]),
            Err(ConstructionError::InvalidDistributionParameter { .. })
        ));
        // Serialized with its parameters.
        assert_eq!(
            serde_json::to_string(&GDistribution::Uniform { c: 0.5 }).unwrap(),
            r#"{"name":"uniform","c":0.5}"#
        );
    }

    /// Value stability of G's laws from one word (ARCHITECTURE.md, invariant 3): each law
    /// reads the sampling crate's distributions, whose values are pinned there; here the
    /// mapping from the distribution to the law is pinned.
    #[test]
    fn laws_read_the_sampling_distributions() {
        let word = 0x0123_4567_89ab_cdef_u64;
        let u = SignedUniform::new(0.25).unwrap();
        let g = SignedGaussian::new(2.0).unwrap();
        let h = SignedHyperbolic::new(1e-3, 0.5).unwrap();
        for (law, want) in [
            (Law::Uniform(u), u.sample_bits(word)),
            (Law::Gaussian(g), g.sample_bits(word)),
            (Law::Hyperbolic(h), h.sample_bits(word)),
        ] {
            assert_eq!(law.sample_bits(word), want);
            let l = law.sample_log_bits(word);
            assert_eq!(l.negative, want < 0.0);
            assert!((l.value() - want).abs() <= 1e-14 * want.abs());
        }
    }
}
