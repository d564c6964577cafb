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

use logprune_sampling::{LogWeight, SampleBits, SignedHyperbolic};
use serde::Serialize;

use crate::ConstructionError;

/// The weight distribution of G, as a run chooses it.
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize)]
#[serde(rename_all = "kebab-case", tag = "name")]
#[non_exhaustive]
pub enum GDistribution {
    /// The signed hyperbolic `p_w` on Theorem 3's `[α, β]` (Section 5): the paper's.
    #[default]
    Hyperbolic,
}

impl GDistribution {
    /// The name on the command line and in reports.
    pub fn name(&self) -> &'static str {
        match self {
            GDistribution::Hyperbolic => "hyperbolic",
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
        Ok(())
    }

    /// The laws of `[U_i, V_i]` for every layer of G with target widths `widths` and
    /// intermediate widths `intermediate`, given Theorem 3's range `[α, β]`.
    ///
    /// # Errors
    /// [`ConstructionError::Sampling`] if a law cannot be built (e.g. an empty range).
    pub fn laws(
        &self,
        range: (f64, f64),
        widths: &[usize],
        intermediate: &[u64],
    ) -> Result<Vec<[Law; 2]>, ConstructionError> {
        let _ = widths;
        match self {
            GDistribution::Hyperbolic => {
                let law = Law::Hyperbolic(SignedHyperbolic::new(range.0, range.1)?);
                Ok(vec![[law; 2]; intermediate.len()])
            }
        }
    }
}

impl fmt::Display for GDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The law of the weights of one side of one layer of G: a symmetric distribution read from
/// one 64-bit word, magnitude from its top bits and sign from bit 0.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "law")]
#[non_exhaustive]
pub enum Law {
    /// The signed hyperbolic density on `[-β, -α] ∪ [α, β]`.
    Hyperbolic(#[serde(serialize_with = "hyperbolic_range")] SignedHyperbolic),
}

fn hyperbolic_range<S: serde::Serializer>(d: &SignedHyperbolic, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("range", 2)?;
    st.serialize_field("alpha", &d.alpha())?;
    st.serialize_field("beta", &d.beta())?;
    st.end()
}

impl Law {
    /// The weight the word `bits` encodes.
    #[inline(always)]
    pub fn sample_bits(&self, bits: u64) -> f64 {
        match self {
            Law::Hyperbolic(d) => d.sample_bits(bits),
        }
    }

    /// The same weight in the log domain (no `exp` for the hyperbolic law).
    #[inline(always)]
    pub fn sample_log_bits(&self, bits: u64) -> LogWeight {
        match self {
            Law::Hyperbolic(d) => d.sample_log_bits(bits),
        }
    }

    /// The smallest and largest magnitude the law can give.
    pub fn magnitude_range(&self) -> (f64, f64) {
        match self {
            Law::Hyperbolic(d) => (d.alpha(), d.beta()),
        }
    }
}
