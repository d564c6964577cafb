//! The layouts of G: how wide each intermediate layer is and which of its neurons each target
//! weight may use. One file per layout, each implementing [`Layout`]:
//!
//! - [`per_weight`]: Theorem 3 without batch sampling (a block of `m` neurons per target
//!   weight);
//! - [`recycling`]: Algorithm 1 of Appendix D (sample recycling, Theorem 30);
//! - [`batch`]: Theorem 3 with batch sampling (one pool per layer, first fit);
//! - [`shared_input`]: Pensia et al. 2020's layout (a block of `r` neurons per input, each
//!   serving every output of its column).
//!
//! A layout owns its widths `M_i` ([`Layout::widths`]: each width formula is written in its
//! file and nowhere else) and its candidate sources: which neurons a target weight `(a, b)`
//! may use, in which order, and what is spent once a neuron is used. It hands each target
//! weight to the [`Kernel`], which applies Theorem 3's class rule and calls the solver, and
//! records the outcome in an [`ItemOutput`]. The oracle ([`crate::oracle::run`]) runs the
//! layout's work items in parallel and assembles Ĝ.
//!
//! # Adding a layout
//!
//! Write one file with a type implementing [`Layout`] (see [`shared_input`] for a short one):
//! its widths from the [`Plan`], its work items, and for each item a loop over its target
//! weights that builds a [`CandidateSource`] and calls [`Kernel::decompose`] then
//! [`ItemOutput::record`]. Then add a variant to [`Construction`] and one arm to
//! [`Construction::layout`], the only place that dispatches on the construction.

pub mod batch;
pub mod per_weight;
pub mod recycling;
pub mod shared_input;

use logprune_decomposition::GoldenRatioSchedule;

use crate::kernel::{Half, Kernel, TargetWeight, WeightOutcome};
use crate::oracle::OracleSpec;
use crate::{Construction, ConstructionError, LargeNetwork, PlanCore, Progress};

/// A layout of G (see the [module documentation](self)).
pub trait Layout: Send + Sync {
    /// Which construction this is.
    fn construction(&self) -> Construction;

    /// The width parameter of this run, as reports give it: per-weight the block `m`,
    /// recycling the window `m`, batch `max_i ⌈M_i/(n_i n_{i-1})⌉`, shared-input `r`.
    fn neurons_per_weight(&self) -> u64;

    /// G's intermediate widths `M_i` for target layers of fan-in and fan-out
    /// `fans[t] = [n_in, n_out]` ([`crate::PlanCore::fans`]).
    ///
    /// # Errors
    /// [`ConstructionError::TooLarge`] if a width overflows `u64`.
    fn widths(&self, fans: &[[usize; 2]]) -> Result<Vec<u64>, ConstructionError>;

    /// The theorem's `M_i` (or the documented rule's) for this layout, unscaled and
    /// saturating at `u64::MAX` (it is only reported).
    fn widths_theorem(&self) -> &[u64];

    /// Whether a list solver's half may sum products of both signs here (the class rule's
    /// `mixed_signs`, [`crate::kernel::classes`]). Default: no.
    fn mixes_signs(&self) -> bool {
        false
    }

    /// The number of independent work items of layer `t` (run in parallel, in any order,
    /// each a pure function of its index).
    fn items(&self, large: &LargeNetwork, t: usize) -> usize;

    /// Runs work item `layer_item = (t, item)`, item `item` of layer `t`: decomposes each of its target weights with
    /// `kernel` and records them in `out`. `work.progress.advance` is told the target weights
    /// done.
    ///
    /// # Errors
    /// A kernel error ([`ConstructionError::TooManyCandidates`], a solver error).
    fn run_item(
        &self,
        work: &Work<'_>,
        kernel: &mut Kernel<'_>,
        layer_item: (usize, usize),
        out: &mut ItemOutput,
    ) -> Result<(), ConstructionError>;
}

/// What every work item reads: G, the oracle's spec, and where to report progress.
#[derive(Clone, Copy)]
pub struct Work<'a> {
    /// G.
    pub large: &'a LargeNetwork,
    /// The targets, halves, tolerance, `w_max` and solver.
    pub spec: &'a OracleSpec<'a>,
    /// Progress, in target weights.
    pub progress: &'a dyn Progress,
}

impl Construction {
    /// The layout of this construction for `plan` (its widths from the plan's `k'`, `m`,
    /// `δ` and the configuration's width options): the one place that dispatches on the
    /// construction.
    ///
    /// # Errors
    /// [`ConstructionError::TooLarge`] if a width does not fit `u64`; a bound that cannot be
    /// computed.
    pub fn layout(self, plan: &PlanCore) -> Result<Box<dyn Layout>, ConstructionError> {
        Ok(match self {
            Construction::PerWeight => Box::new(per_weight::PerWeight::new(plan)?),
            Construction::Recycling => Box::new(recycling::Recycling::new(plan)?),
            Construction::Batch => Box::new(batch::Batch::new(plan)?),
            Construction::SharedInput => Box::new(shared_input::SharedInput::new(plan)?),
        })
    }
}

/// One failed half, for the error message.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// Layer `t` (the paper's `i = t + 1`).
    pub t: usize,
    /// Output `a`.
    pub a: usize,
    /// Input `b`.
    pub b: usize,
    /// Which half.
    pub half: Half,
    /// The solver's reason.
    pub reason: String,
}

/// One kept output edge of Ĝ as a work item records it: neuron `z` with input `b` and weight
/// `u`, output `a` and weight `v`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Edge {
    /// The neuron of G.
    pub z: u64,
    /// `U[z, b]`.
    pub u: f64,
    /// `V[a, z]`.
    pub v: f64,
    /// The input `b`.
    pub input: u32,
    /// The output `a`.
    pub output: u32,
}

/// What one work item found: its kept edges, the neurons it consulted, its failures, and
/// its contribution to [`crate::oracle::LayerStats::width_needed`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItemOutput {
    /// The kept edges, in the order recorded.
    pub edges: Vec<Edge>,
    /// Neurons consulted (each a product `V·U`).
    pub consulted: u64,
    /// Target weights recorded.
    pub weights: u64,
    /// The first failed half of this item.
    pub failure: Option<Failure>,
    /// Target weights of this item with at least one failed half.
    pub failed_weights: u64,
    /// Halves of this item that failed.
    pub failed_halves: u64,
    /// How much of G this item looked at, as a width (combined over a layer's items by
    /// `max`; see [`crate::oracle::LayerStats::width_needed`]).
    pub width_needed: u64,
    kept: Vec<u64>,
}

impl ItemOutput {
    /// Records the outcome of target weight `x` (its kept neurons with their weights from
    /// `weights`, the kernel's [`Kernel::weights`], or its failures) and adds its consulted
    /// neurons. Returns the kept neurons `z` (both halves), for the layout to mark spent.
    pub fn record(
        &mut self,
        x: &TargetWeight,
        outcome: &WeightOutcome,
        weights: &[(u64, f64, f64)],
    ) -> &[u64] {
        self.consulted += outcome.consulted;
        self.weights += 1;
        self.kept.clear();
        let mut failed = false;
        for (h, half) in outcome.halves.iter().enumerate() {
            match half {
                Ok(d) => {
                    for &z in &d.indices {
                        let z = z as u64;
                        let &(_, u, v) = weights
                            .iter()
                            .find(|w| w.0 == z)
                            .expect("the kernel gives the weights of every kept neuron");
                        self.kept.push(z);
                        self.edges.push(Edge {
                            z,
                            u,
                            v,
                            input: x.b as u32,
                            output: x.a as u32,
                        });
                    }
                }
                Err(e) => {
                    failed = true;
                    self.failed_halves += 1;
                    if self.failure.is_none() {
                        self.failure = Some(Failure {
                            t: x.t,
                            a: x.a,
                            b: x.b,
                            half: Half::BOTH[h],
                            reason: e.to_string(),
                        });
                    }
                }
            }
        }
        self.failed_weights += u64::from(failed);
        &self.kept
    }
}

/// The golden-ratio schedule of a spec (`w_max`, the per-half tolerance).
pub(crate) fn schedule(spec: &OracleSpec<'_>) -> Result<GoldenRatioSchedule, ConstructionError> {
    Ok(logprune_decomposition::GoldenRatio::new(spec.w_max)?.schedule(spec.tolerance)?)
}

/// `⌈s·x⌉ ≥ 1` (exactly `x.max(1)` for `s = 1`).
pub(crate) fn scaled(x: u64, s: f64) -> Result<u64, ConstructionError> {
    if s == 1.0 {
        return Ok(x.max(1));
    }
    let v = (x as f64 * s).ceil().max(1.0);
    if !(v < u64::MAX as f64) {
        return Err(too_large("scaled width", v));
    }
    Ok(v as u64)
}

/// A theorem's width as `u64` (saturating: it is only reported).
pub(crate) fn count_u64(c: logprune_bounds::Count) -> u64 {
    c.as_u64().unwrap_or(u64::MAX)
}

/// [`ConstructionError::TooLarge`] against `u64::MAX`.
pub(crate) fn too_large(what: &'static str, value: f64) -> ConstructionError {
    ConstructionError::TooLarge {
        what,
        value,
        limit: u64::MAX as f64,
    }
}

/// `Σ`-free helper: `n_in · n_out · m` checked.
pub(crate) fn product3(
    what: &'static str,
    a: u64,
    b: u64,
    c: u64,
) -> Result<u64, ConstructionError> {
    a.checked_mul(b)
        .and_then(|x| x.checked_mul(c))
        .ok_or_else(|| too_large(what, a as f64 * b as f64 * c as f64))
}

/// The target weight `(a, b)` of layer `t` of the spec.
#[inline]
pub(crate) fn target_weight(spec: &OracleSpec<'_>, t: usize, a: usize, b: usize) -> TargetWeight {
    TargetWeight {
        t,
        a,
        b,
        w: spec.target.weight(t)[(a, b)],
        need_minus: spec.needs_minus[t][b],
    }
}
