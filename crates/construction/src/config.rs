//! What to build: the construction, the solver, the input domain and the parameters of a
//! pruning run.

use core::fmt;
use core::str::FromStr;

use logprune_network::InputBox;

use crate::ConstructionError;

/// How G is laid out and which neurons may serve which target weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Construction {
    /// Theorem 3 without batch sampling, i.e. Corollary 10 applied to each target weight with
    /// its own block of `m` neurons (`M_i = n_i n_{i-1} m`). One block serves both halves
    /// `ŵ⁺`, `ŵ⁻`: their sign classes are disjoint (Theorem 3's proof, step 1).
    #[default]
    PerWeight,
    /// Sample recycling (Algorithm 1 of Appendix D, Theorem 30): a window of `m` neurons per
    /// diagonal `j` of the layer's weight matrix, refilled after each target weight, on
    /// `M_i = max{n_i, n_{i-1}}·R`, `R = m + 2k·min{n_i, n_{i-1}}` ([`crate::oracle::recycling`]).
    Recycling,
    /// Batch sampling (Theorem 3 as stated): one pool of `M_i` neurons for the whole layer,
    /// each neuron used by at most one target weight, assigned greedily (first fit,
    /// [`crate::oracle::batch`]).
    Batch,
}

impl Construction {
    /// The name used on the command line and in reports (`per-weight`, `recycling`,
    /// `batch`).
    pub fn name(self) -> &'static str {
        match self {
            Construction::PerWeight => "per-weight",
            Construction::Recycling => "recycling",
            Construction::Batch => "batch",
        }
    }
}

impl fmt::Display for Construction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`Construction`] or a [`SolverKind`] from its name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("unknown {what} `{name}`: expected one of {expected}")]
pub struct ParseNameError {
    /// What was being parsed.
    pub what: &'static str,
    /// The name given.
    pub name: String,
    /// The accepted names.
    pub expected: &'static str,
}

impl FromStr for Construction {
    type Err = ParseNameError;

    /// Parses `per-weight`, `recycling` or `batch`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "per-weight" => Ok(Construction::PerWeight),
            "recycling" => Ok(Construction::Recycling),
            "batch" => Ok(Construction::Batch),
            _ => Err(ParseNameError {
                what: "construction",
                name: s.to_owned(),
                expected: "per-weight, recycling, batch",
            }),
        }
    }
}

/// Which subset-sum solver chooses the kept neurons of each half `ŵ⁺`, `ŵ⁻`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SolverKind {
    /// The paper's golden-ratio decomposition (Lemma 9, Corollary 10) in streaming form: the
    /// block's products are consulted lazily in `z` order, in the log domain, and consulting
    /// stops as soon as every needed half is complete.
    #[default]
    GoldenRatio,
    /// Best-fit greedy on the block's products of the half's class (all consulted).
    BestFit,
    /// Exact subset sum (meet in the middle, best in absolute error) on the block's products
    /// of the half's class; refused when a class has more than 40 candidates.
    Exact,
}

impl SolverKind {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            SolverKind::GoldenRatio => "golden-ratio",
            SolverKind::BestFit => "best-fit",
            SolverKind::Exact => "exact",
        }
    }
}

impl fmt::Display for SolverKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SolverKind {
    type Err = ParseNameError;

    /// Parses `golden-ratio`, `best-fit` or `exact`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "golden-ratio" => Ok(SolverKind::GoldenRatio),
            "best-fit" => Ok(SolverKind::BestFit),
            "exact" => Ok(SolverKind::Exact),
            _ => Err(ParseNameError {
                what: "solver",
                name: s.to_owned(),
                expected: "golden-ratio, best-fit, exact",
            }),
        }
    }
}

/// The input domain `X` of the target (Section 2): a box, or a finite set of data rows.
#[derive(Clone, Debug, PartialEq)]
pub enum Domain {
    /// The box `∏_j [lo_j, hi_j]`: certified by interval propagation, measured on its corners
    /// and uniform samples.
    Box(InputBox),
    /// A finite set of inputs (e.g. a data set's rows): certified and measured on exactly
    /// these points.
    Points(Vec<Vec<f64>>),
}

impl Domain {
    /// The cube `[lo, hi]^{n0}` (the default domain is `[-1, 1]^{n_0}`).
    ///
    /// # Errors
    /// [`ConstructionError::Interval`] unless `lo ≤ hi` are finite and `n0 ≥ 1`.
    pub fn cube(n0: usize, lo: f64, hi: f64) -> Result<Self, ConstructionError> {
        Ok(Domain::Box(InputBox::uniform(n0, lo, hi)?))
    }

    /// A finite set of input rows.
    ///
    /// # Errors
    /// [`ConstructionError::EmptyDomain`] for no rows, [`ConstructionError::InputLength`] if the
    /// rows do not all have the first row's length (or it is 0),
    /// [`ConstructionError::NonFiniteInput`] for a NaN or infinite entry.
    pub fn points(rows: Vec<Vec<f64>>) -> Result<Self, ConstructionError> {
        let Some(first) = rows.first() else {
            return Err(ConstructionError::EmptyDomain);
        };
        let n0 = first.len();
        for (input, row) in rows.iter().enumerate() {
            if row.len() != n0 || n0 == 0 {
                return Err(ConstructionError::InputLength {
                    expected: n0.max(1),
                    found: row.len(),
                });
            }
            if let Some(coordinate) = row.iter().position(|v| !v.is_finite()) {
                return Err(ConstructionError::NonFiniteInput {
                    input,
                    coordinate,
                    value: row[coordinate],
                });
            }
        }
        Ok(Domain::Points(rows))
    }

    /// The dimension `n_0` of the inputs.
    pub fn dim(&self) -> usize {
        match self {
            Domain::Box(b) => b.dim(),
            Domain::Points(rows) => rows.first().map_or(0, Vec::len),
        }
    }

    /// A short name for reports: `box` or `points`.
    pub fn kind(&self) -> &'static str {
        match self {
            Domain::Box(_) => "box",
            Domain::Points(_) => "points",
        }
    }

    /// The same domain with a trailing coordinate fixed to 1 (the constant bias unit):
    /// `[lo, hi] × [1, 1]`, or each row followed by 1.
    pub(crate) fn with_unit(&self) -> Result<Self, ConstructionError> {
        Ok(match self {
            Domain::Box(b) => {
                let mut lo = b.lo().to_vec();
                let mut hi = b.hi().to_vec();
                lo.push(1.0);
                hi.push(1.0);
                Domain::Box(InputBox::new(lo, hi)?)
            }
            Domain::Points(rows) => Domain::Points(
                rows.iter()
                    .map(|r| {
                        let mut r = r.clone();
                        r.push(1.0);
                        r
                    })
                    .collect(),
            ),
        })
    }
}

/// The parameters of a pruning run (validated by [`PruneConfig::check`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PruneConfig {
    /// The accuracy `ε > 0` of `sup_x ‖F(x) − Ĝ(x)‖₂ ≤ ε`.
    pub eps: f64,
    /// The failure probability `δ ∈ (0, 1)` of Theorem 3 (default 0.01).
    pub delta: f64,
    /// The construction (default [`Construction::PerWeight`]).
    pub construction: Construction,
    /// The solver (default [`SolverKind::GoldenRatio`]).
    pub solver: SolverKind,
    /// The seed of G (default 0).
    pub seed: u64,
    /// Replaces the theorem's width by `K` neurons per target weight: per-weight, a block of
    /// `m = K` neurons per target weight (`M_i = K n_i n_{i-1}`); recycling, a window of
    /// `m = K` neurons (`M_i = max{n_i, n_{i-1}}(K + 2k min{n_i, n_{i-1}})`); batch, a pool of
    /// `M_i = K n_i n_{i-1}` neurons.
    pub neurons_per_weight: Option<u64>,
    /// Scales the width (default 1): per-weight, `m → ⌈s·m⌉`; recycling, the window
    /// `m → ⌈s·m⌉` (and hence `R`); batch, the pool `M_i → ⌈s·M_i⌉`; applied to the theorem's
    /// value or to `neurons_per_weight` (at least 1). For width-sufficiency studies: run G at a
    /// fraction `s < 1` of the theorem's width.
    pub width_scale: f64,
    /// The weight bound `w_max` (default: `max |w*|` of the bias-free target).
    pub w_max: Option<f64>,
}

impl PruneConfig {
    /// The defaults for accuracy `eps`: `δ = 0.01`, per-weight, golden-ratio, seed 0, the
    /// theorem's width (`width_scale = 1`), `w_max = max |w*|`.
    pub fn new(eps: f64) -> Self {
        PruneConfig {
            eps,
            delta: 0.01,
            construction: Construction::PerWeight,
            solver: SolverKind::GoldenRatio,
            seed: 0,
            neurons_per_weight: None,
            w_max: None,
            width_scale: 1.0,
        }
    }

    /// Validates the parameters that do not depend on the target.
    ///
    /// # Errors
    /// [`ConstructionError::InvalidEps`], [`ConstructionError::InvalidDelta`],
    /// [`ConstructionError::InvalidNeuronsPerWeight`], [`ConstructionError::InvalidWMax`] (not
    /// finite and positive; the comparison with the target comes later),
    /// [`ConstructionError::InvalidWidthScale`] (not finite and positive).
    pub fn check(&self) -> Result<(), ConstructionError> {
        if !(self.eps > 0.0 && self.eps.is_finite()) {
            return Err(ConstructionError::InvalidEps { eps: self.eps });
        }
        if !(self.delta > 0.0 && self.delta < 1.0) {
            return Err(ConstructionError::InvalidDelta { delta: self.delta });
        }
        if self.neurons_per_weight == Some(0) {
            return Err(ConstructionError::InvalidNeuronsPerWeight { value: 0 });
        }
        if !(self.width_scale > 0.0 && self.width_scale.is_finite()) {
            return Err(ConstructionError::InvalidWidthScale {
                value: self.width_scale,
            });
        }
        if let Some(w) = self.w_max
            && !(w > 0.0 && w.is_finite())
        {
            return Err(ConstructionError::InvalidWMax {
                w_max: w,
                max_abs_weight: f64::NAN,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in [
            SolverKind::GoldenRatio,
            SolverKind::BestFit,
            SolverKind::Exact,
        ] {
            assert_eq!(s.name().parse::<SolverKind>(), Ok(s));
            assert_eq!(s.to_string(), s.name());
        }
        assert_eq!(
            "per-weight".parse::<Construction>(),
            Ok(Construction::PerWeight)
        );
        for c in [
            Construction::PerWeight,
            Construction::Recycling,
            Construction::Batch,
        ] {
            assert_eq!(c.name().parse::<Construction>(), Ok(c));
            assert_eq!(c.to_string(), c.name());
        }
        let e = "matching".parse::<Construction>().unwrap_err();
        assert!(e.to_string().contains("`matching`") && e.to_string().contains("recycling"));
        assert!("greedy".parse::<SolverKind>().is_err());
    }

    #[test]
    fn config_checks() {
        assert!(PruneConfig::new(0.1).check().is_ok());
        for eps in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                PruneConfig::new(eps).check(),
                Err(ConstructionError::InvalidEps { .. })
            ));
        }
        for delta in [0.0, 1.0, f64::NAN, 2.0] {
            let c = PruneConfig {
                delta,
                ..PruneConfig::new(0.1)
            };
            assert!(matches!(
                c.check(),
                Err(ConstructionError::InvalidDelta { .. })
            ));
        }
        let c = PruneConfig {
            neurons_per_weight: Some(0),
            ..PruneConfig::new(0.1)
        };
        assert_eq!(
            c.check(),
            Err(ConstructionError::InvalidNeuronsPerWeight { value: 0 })
        );
        for width_scale in [0.0, -0.5, f64::NAN, f64::INFINITY] {
            let c = PruneConfig {
                width_scale,
                ..PruneConfig::new(0.1)
            };
            assert!(matches!(
                c.check(),
                Err(ConstructionError::InvalidWidthScale { .. })
            ));
        }
        let c = PruneConfig {
            w_max: Some(-1.0),
            ..PruneConfig::new(0.1)
        };
        assert!(matches!(
            c.check(),
            Err(ConstructionError::InvalidWMax { .. })
        ));
    }

    #[test]
    fn domains() {
        assert_eq!(Domain::points(vec![]), Err(ConstructionError::EmptyDomain));
        assert!(matches!(
            Domain::points(vec![vec![1.0, 2.0], vec![1.0]]),
            Err(ConstructionError::InputLength {
                expected: 2,
                found: 1
            })
        ));
        assert!(matches!(
            Domain::points(vec![vec![1.0, f64::NAN]]),
            Err(ConstructionError::NonFiniteInput {
                input: 0,
                coordinate: 1,
                ..
            })
        ));
        let d = Domain::points(vec![vec![1.0, 2.0]]).unwrap();
        assert_eq!((d.dim(), d.kind()), (2, "points"));
        assert_eq!(
            d.with_unit().unwrap(),
            Domain::Points(vec![vec![1.0, 2.0, 1.0]])
        );
        let b = Domain::cube(2, -1.0, 0.5).unwrap();
        let Domain::Box(bu) = b.with_unit().unwrap() else {
            panic!("box")
        };
        assert_eq!(
            (bu.lo(), bu.hi()),
            (&[-1.0, -1.0, 1.0][..], &[0.5, 0.5, 1.0][..])
        );
        assert!(matches!(
            Domain::cube(2, 1.0, -1.0),
            Err(ConstructionError::Interval(_))
        ));
    }
}
