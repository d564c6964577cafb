//! What to build: the construction, the solver, the weight distribution of G, the accuracy
//! asked for, the input domain and the parameters of a pruning run.

use core::fmt;
use core::str::FromStr;

use logprune_network::InputBox;
use serde::{Deserialize, Serialize};

use crate::{ConstructionError, GDistribution, Generator};

/// How G is laid out and which neurons may serve which target weight: the layouts of
/// [`crate::layout`] (one file each, behind the [`crate::layout::Layout`] trait).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Construction {
    /// Theorem 3 without batch sampling, i.e. Corollary 10 applied to each target weight with
    /// its own block of `m` neurons (`M_i = n_i n_{i-1} m`). One block serves both halves
    /// `ŵ⁺`, `ŵ⁻`: their sign classes are disjoint (Theorem 3's proof, step 1).
    #[default]
    PerWeight,
    /// Sample recycling (Algorithm 1 of Appendix D, Theorem 30): a window of `m` neurons per
    /// diagonal `j` of the layer's weight matrix, refilled after each target weight, on
    /// `M_i = max{n_i, n_{i-1}}·R`, `R = m + 2k·min{n_i, n_{i-1}}`.
    Recycling,
    /// Batch sampling (Theorem 3 as stated): one pool of `M_i` neurons for the whole layer,
    /// each neuron used by at most one target weight, assigned greedily (first fit).
    Batch,
    /// The layout of Pensia et al. 2020: a block of `r` neurons per input `b`, each kept
    /// neuron keeping its one input edge and any number of output edges, so one neuron
    /// serves many target weights of its column (`M_i = n_{i-1} r`).
    SharedInput,
}

impl Construction {
    /// Every construction, in the order of tables.
    pub const ALL: [Construction; 4] = [
        Construction::PerWeight,
        Construction::Recycling,
        Construction::Batch,
        Construction::SharedInput,
    ];

    /// The name used on the command line and in reports (`per-weight`, `recycling`,
    /// `batch`, `shared-input`).
    pub fn name(self) -> &'static str {
        match self {
            Construction::PerWeight => "per-weight",
            Construction::Recycling => "recycling",
            Construction::Batch => "batch",
            Construction::SharedInput => "shared-input",
        }
    }

    /// The command-line flag that sets this layout's width: `neurons-per-input` (the
    /// shared-input `r`) or `neurons-per-weight` (the per-weight block `m`, the recycling
    /// window, the batch pool per target weight). [`PruneConfig::at_width`] sets it.
    pub fn width_parameter(self) -> &'static str {
        match self {
            Construction::SharedInput => "neurons-per-input",
            _ => "neurons-per-weight",
        }
    }
}

impl fmt::Display for Construction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a name ([`Construction`], [`SolverKind`], ...).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("unknown {what} `{name}`: expected one of {expected}")]
pub struct ParseNameError {
    /// What was being parsed.
    pub what: &'static str,
    /// The name given.
    pub name: String,
    /// The accepted names.
    pub expected: String,
}

/// Parses one of `all` by its `name`.
pub(crate) fn parse_name<T: Copy>(
    what: &'static str,
    s: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, ParseNameError> {
    all.iter()
        .copied()
        .find(|&x| name(x) == s.trim())
        .ok_or_else(|| ParseNameError {
            what,
            name: s.to_owned(),
            expected: all.iter().map(|&x| name(x)).collect::<Vec<_>>().join(", "),
        })
}

impl FromStr for Construction {
    type Err = ParseNameError;

    /// Parses `per-weight`, `recycling`, `batch` or `shared-input`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name("construction", s, &Construction::ALL, Construction::name)
    }
}

/// Which subset-sum solver chooses the kept neurons of each half `ŵ⁺`, `ŵ⁻`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SolverKind {
    /// The paper's golden-ratio decomposition (Lemma 9, Corollary 10) in streaming form: the
    /// candidates are consulted lazily in G's order, in the log domain, and consulting stops
    /// as soon as every needed half is complete.
    #[default]
    GoldenRatio,
    /// Best-fit greedy on the half's candidates (all consulted).
    BestFit,
    /// Exact subset sum (meet in the middle, best in absolute error) on the half's
    /// candidates; refused when a half has more than 40 candidates.
    Exact,
}

impl SolverKind {
    /// Every solver, in the order of tables.
    pub const ALL: [SolverKind; 3] = [
        SolverKind::GoldenRatio,
        SolverKind::BestFit,
        SolverKind::Exact,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            SolverKind::GoldenRatio => "golden-ratio",
            SolverKind::BestFit => "best-fit",
            SolverKind::Exact => "exact",
        }
    }

    /// Whether the solver may sum products of both signs (best-fit's two-sided form and the
    /// exact solver do; the golden-ratio decomposition is one-sided, as Lemma 9 requires).
    pub fn may_mix_signs(self) -> bool {
        !matches!(self, SolverKind::GoldenRatio)
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
        parse_name("solver", s, &SolverKind::ALL, SolverKind::name)
    }
}

/// What accuracy a run asks for.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Accuracy {
    /// The paper's objective (Section 3): `sup_x ‖F(x) − Ĝ(x)‖₂ ≤ ε`, with the per-weight
    /// accuracy `ε_w` chosen by Lemma 1 before pruning (each half within `ε_w/2`).
    Network(f64),
    /// Pensia et al.'s setting: every half within `T` of its target weight,
    /// `|w* − ŵ⁺| ≤ T` and `|w* − ŵ⁻| ≤ T` (so `ε_w = 2T` in Theorem 3's formulas). The
    /// certified and measured network error that follows is reported, not required.
    WeightTolerance(f64),
}

impl Accuracy {
    /// The number given (`ε` or `T`).
    pub fn value(self) -> f64 {
        match self {
            Accuracy::Network(x) | Accuracy::WeightTolerance(x) => x,
        }
    }
}

/// How the per-weight accuracy `ε_w` is chosen for a network accuracy `ε`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ToleranceRule {
    /// Lemma 1 ([`crate::certificate::choose_epsilon_w`]): the paper's.
    #[default]
    Lemma1,
    /// The per-layer recurrence certificate meets `ε` a priori
    /// ([`crate::certificate::recurrence_tolerance`]): every half within `τ`, `ε_w = 2τ`.
    Recurrence,
}

impl ToleranceRule {
    /// Both rules.
    pub const ALL: [ToleranceRule; 2] = [ToleranceRule::Lemma1, ToleranceRule::Recurrence];

    /// `lemma1` or `recurrence`.
    pub fn name(self) -> &'static str {
        match self {
            ToleranceRule::Lemma1 => "lemma1",
            ToleranceRule::Recurrence => "recurrence",
        }
    }
}

impl FromStr for ToleranceRule {
    type Err = ParseNameError;

    /// Parses `lemma1` or `recurrence`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name(
            "tolerance rule",
            s,
            &ToleranceRule::ALL,
            ToleranceRule::name,
        )
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

/// The kind of a [`Domain`], as reports name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DomainKind {
    /// A box.
    Box,
    /// A finite set of points.
    Points,
}

impl DomainKind {
    /// `box` or `points`.
    pub fn name(self) -> &'static str {
        match self {
            DomainKind::Box => "box",
            DomainKind::Points => "points",
        }
    }
}

impl fmt::Display for DomainKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
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

    /// Whether this is a box or a finite set.
    pub fn kind(&self) -> DomainKind {
        match self {
            Domain::Box(_) => DomainKind::Box,
            Domain::Points(_) => DomainKind::Points,
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
    /// What the run must achieve (default [`Accuracy::Network`]).
    pub accuracy: Accuracy,
    /// How `ε_w` follows from a network accuracy (default [`ToleranceRule::Lemma1`]; ignored
    /// with a weight tolerance).
    pub tolerance_rule: ToleranceRule,
    /// Also run the oracle under the other tolerance rule, to report its kept neurons next to
    /// this run's (default false; network accuracy only).
    pub compare_rules: bool,
    /// The failure probability `δ ∈ (0, 1)` of Theorem 3 (default 0.01).
    pub delta: f64,
    /// The construction (default [`Construction::PerWeight`]).
    pub construction: Construction,
    /// The solver (default [`SolverKind::GoldenRatio`]).
    pub solver: SolverKind,
    /// The weight distribution of G (default [`GDistribution::Hyperbolic`] on Theorem 3's
    /// range).
    pub distribution: GDistribution,
    /// The counter layout of G's generator (default [`Generator::default`]).
    pub generator: Generator,
    /// The seed of G (default 0).
    pub seed: u64,
    /// Replaces the theorem's width by `K` neurons per target weight: per-weight, a block of
    /// `m = K` neurons per target weight (`M_i = K n_i n_{i-1}`); recycling, a window of
    /// `m = K` neurons (`M_i = max{n_i, n_{i-1}}(K + 2k min{n_i, n_{i-1}})`); batch, a pool of
    /// `M_i = K n_i n_{i-1}` neurons. Not for shared-input (see `neurons_per_input`).
    pub neurons_per_weight: Option<u64>,
    /// Shared-input only: `r` neurons per input, `M_i = n_{i-1} r` (default: the rule of
    /// [`crate::layout::shared_input`]).
    pub neurons_per_input: Option<u64>,
    /// Scales the width (default 1): the block, window, pool or `r` (see each layout),
    /// applied to the theorem's value or to the configured one (at least 1). For
    /// width-sufficiency studies: run G at a fraction `s < 1` of the theorem's width.
    pub width_scale: f64,
    /// The weight bound `w_max` (default: `max |w*|` of the bias-free target).
    pub w_max: Option<f64>,
    /// The most bytes the run may allocate for Ĝ and its check (default: no limit). A run
    /// whose estimate exceeds it is refused before pruning
    /// ([`ConstructionError::MemoryBudget`]).
    pub max_memory: Option<u64>,
}

impl PruneConfig {
    /// The defaults for the network accuracy `eps`: `δ = 0.01`, per-weight, golden-ratio,
    /// hyperbolic G with the default generator and seed 0, the theorem's width
    /// (`width_scale = 1`), `w_max = max |w*|`, no memory limit.
    pub fn new(eps: f64) -> Self {
        PruneConfig {
            accuracy: Accuracy::Network(eps),
            tolerance_rule: ToleranceRule::Lemma1,
            compare_rules: false,
            delta: 0.01,
            construction: Construction::PerWeight,
            solver: SolverKind::GoldenRatio,
            distribution: GDistribution::Hyperbolic,
            generator: Generator::default(),
            seed: 0,
            neurons_per_weight: None,
            neurons_per_input: None,
            w_max: None,
            width_scale: 1.0,
            max_memory: None,
        }
    }

    /// The defaults of [`PruneConfig::new`] with every half within `tolerance` of its target
    /// weight instead of a network accuracy ([`Accuracy::WeightTolerance`]).
    pub fn weight_tolerance(tolerance: f64) -> Self {
        PruneConfig {
            accuracy: Accuracy::WeightTolerance(tolerance),
            ..PruneConfig::new(1.0)
        }
    }

    /// This configuration at width `k` of its layout's width parameter: `neurons_per_input = k`
    /// for the shared-input layout, `neurons_per_weight = k` for the others, at scale 1 and
    /// without the comparison of tolerance rules. The configuration of each probe of a width
    /// search.
    pub fn at_width(&self, k: u64) -> PruneConfig {
        let shared = self.construction == Construction::SharedInput;
        PruneConfig {
            neurons_per_weight: (!shared).then_some(k),
            neurons_per_input: shared.then_some(k),
            width_scale: 1.0,
            compare_rules: false,
            ..*self
        }
    }

    /// Validates the parameters that do not depend on the target.
    ///
    /// # Errors
    /// [`ConstructionError::InvalidEps`] or [`ConstructionError::InvalidWeightTolerance`],
    /// [`ConstructionError::InvalidDelta`], [`ConstructionError::InvalidNeuronsPerWeight`],
    /// [`ConstructionError::InvalidNeuronsPerInput`] (0, or given for another layout than
    /// shared-input, or `neurons_per_weight` given for shared-input),
    /// [`ConstructionError::InvalidWMax`] (not finite and positive; the comparison with the
    /// target comes later), [`ConstructionError::InvalidWidthScale`] (not finite and
    /// positive), a distribution parameter that is not finite and positive.
    pub fn check(&self) -> Result<(), ConstructionError> {
        match self.accuracy {
            Accuracy::Network(eps) if !(eps > 0.0 && eps.is_finite()) => {
                return Err(ConstructionError::InvalidEps { eps });
            }
            Accuracy::WeightTolerance(tolerance) if !(tolerance > 0.0 && tolerance.is_finite()) => {
                return Err(ConstructionError::InvalidWeightTolerance { tolerance });
            }
            _ => {}
        }
        if !(self.delta > 0.0 && self.delta < 1.0) {
            return Err(ConstructionError::InvalidDelta { delta: self.delta });
        }
        if self.neurons_per_weight == Some(0) {
            return Err(ConstructionError::InvalidNeuronsPerWeight { value: 0 });
        }
        if self.neurons_per_input == Some(0) {
            return Err(ConstructionError::InvalidNeuronsPerInput { value: 0 });
        }
        let shared = self.construction == Construction::SharedInput;
        if let (Some(k), true) = (self.neurons_per_weight, shared) {
            return Err(ConstructionError::WidthOption {
                option: "neurons per weight",
                value: k,
                construction: self.construction,
            });
        }
        if let (Some(r), false) = (self.neurons_per_input, shared) {
            return Err(ConstructionError::WidthOption {
                option: "neurons per input",
                value: r,
                construction: self.construction,
            });
        }
        if !(self.width_scale > 0.0 && self.width_scale.is_finite()) {
            return Err(ConstructionError::InvalidWidthScale {
                value: self.width_scale,
            });
        }
        if let Some(w) = self.w_max
            && !(w > 0.0 && w.is_finite())
        {
            return Err(ConstructionError::InvalidWMax { w_max: w });
        }
        self.distribution.check()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in SolverKind::ALL {
            assert_eq!(s.name().parse::<SolverKind>(), Ok(s));
            assert_eq!(s.to_string(), s.name());
        }
        for c in Construction::ALL {
            assert_eq!(c.name().parse::<Construction>(), Ok(c));
            assert_eq!(c.to_string(), c.name());
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.name())
            );
        }
        let e = "matching".parse::<Construction>().unwrap_err();
        assert!(e.to_string().contains("`matching`") && e.to_string().contains("shared-input"));
        assert!("greedy".parse::<SolverKind>().is_err());
        assert_eq!(
            serde_json::to_string(&DomainKind::Points).unwrap(),
            "\"points\""
        );
    }

    #[test]
    fn config_checks() {
        assert!(PruneConfig::new(0.1).check().is_ok());
        for eps in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                PruneConfig::new(eps).check(),
                Err(ConstructionError::InvalidEps { .. })
            ));
            assert!(matches!(
                PruneConfig::weight_tolerance(eps).check(),
                Err(ConstructionError::InvalidWeightTolerance { .. })
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
        let c = PruneConfig {
            construction: Construction::SharedInput,
            neurons_per_input: Some(0),
            ..PruneConfig::new(0.1)
        };
        assert_eq!(
            c.check(),
            Err(ConstructionError::InvalidNeuronsPerInput { value: 0 })
        );
        let c = PruneConfig {
            neurons_per_input: Some(8),
            ..PruneConfig::new(0.1)
        };
        assert!(matches!(
            c.check(),
            Err(ConstructionError::WidthOption {
                construction: Construction::PerWeight,
                ..
            })
        ));
        let c = PruneConfig {
            construction: Construction::SharedInput,
            neurons_per_weight: Some(8),
            ..PruneConfig::new(0.1)
        };
        assert!(matches!(
            c.check(),
            Err(ConstructionError::WidthOption { .. })
        ));
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
        assert_eq!(
            c.check(),
            Err(ConstructionError::InvalidWMax { w_max: -1.0 })
        );
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
        assert_eq!((d.dim(), d.kind()), (2, DomainKind::Points));
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
