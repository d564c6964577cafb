//! The pruning oracle of the per-weight construction: for every target weight and every
//! needed half, choose kept neurons from the weight's block of G.
//!
//! Target weight `(a, b)` of layer `i` owns the block of `m` neurons
//! `z ∈ [(a·n_{i-1} + b)·m, +m)`. In it, a neuron serves `ŵ⁺` if `U[z,b] > 0` and
//! `sgn V[a,z] = sgn w*`, and `ŵ⁻` if `U[z,b] < 0` and `sgn V[a,z] = −sgn w*` (each a quarter of
//! the neurons; the two classes are disjoint, Theorem 3's proof, step 1); in both classes the
//! product `V·U` has the sign of `w*`. Each half is decomposed to tolerance `ε_w/2` with
//! `w_max` (Theorem 3's proof, step 2), by
//!
//! - golden ratio (streaming): the block's neurons are consulted lazily in `z` order, `U` in
//!   the log domain first (its sign decides the class; a `U < 0` neuron is skipped without
//!   drawing `V` when `ŵ⁻` is not needed), then `ln|V·U| = ln|V| + ln|U|` is offered to the
//!   half's [`GoldenRatioStream`]; consulting stops as soon as every needed half is complete.
//!   A kept candidate's magnitude is the `f64` product `|V·U|` of G's weights. (The weights
//!   are drawn eight neurons at a time so that the generator calls overlap in the CPU; up to
//!   seven neurons past the completing one may be drawn, but they are neither offered nor
//!   counted.)
//! - best fit, exact: every neuron of the block is consulted; each half's class products
//!   `V·U` (in `z` order) are the candidate list.
//!
//! `products_consulted` counts the neurons of blocks looked at. Work is split by (layer,
//! output neuron `a`) and run with rayon; results are collected in index order, so the
//! output is bit-identical for any number of threads (invariant 2).
//!
//! The layer-wide constructions share the same per-weight step (both halves from one ordered
//! list of neurons, golden ratio streaming or list solvers) but differ in which neurons each
//! target weight may use: [`recycling`] (Algorithm 1 of Appendix D) and [`batch`] (Theorem 3
//! with batch sampling).

use logprune_decomposition::{
    BestFit, Decomposition, DecompositionError, Exact, GoldenRatio, GoldenRatioSchedule,
    GoldenRatioStream, MAX_EXACT_CANDIDATES, Solver,
};
use logprune_network::Network;
use logprune_sampling::LogWeight;
use rayon::prelude::*;

pub use crate::batch::batch;
pub use crate::recycling::recycling;
use crate::{
    Construction, ConstructionError, KeptNeuron, LargeNetwork, Progress, PrunedLayer,
    PrunedNetwork, SolverKind,
};

/// What the oracle needs besides G.
#[derive(Clone, Copy, Debug)]
pub struct OracleSpec<'a> {
    /// The bias-free target F' (its weights are the targets `w*`).
    pub target: &'a Network,
    /// `needs_minus[t][b]`: whether column `b` of layer `t` needs `ŵ⁻`.
    pub needs_minus: &'a [Vec<bool>],
    /// The per-half tolerance `ε_w/2`.
    pub tolerance: f64,
    /// `w_max` of the golden-ratio intervals.
    pub w_max: f64,
    /// The neurons per target weight `m` (G must be `LargeNetwork::per_weight` with this `m`).
    pub neurons_per_weight: u64,
    /// The solver.
    pub solver: SolverKind,
}

/// The result of the oracle: Ĝ and how much of G it consulted.
#[derive(Clone, Debug, PartialEq)]
pub struct OracleOutput {
    /// The pruned network.
    pub pruned: PrunedNetwork,
    /// Neurons of blocks looked at (each a product `V·U`, or only `U` when its sign already
    /// rules the neuron out).
    pub products_consulted: u64,
    /// What each layer used of G (`[t]` is the paper's layer `t + 1`).
    pub layers: Vec<LayerStats>,
}

/// What one layer of the oracle used of G.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LayerStats {
    /// Halves `(w*, ±)` that failed (0 in a successful output): with the golden-ratio
    /// solver each stopped on a needed interval slot that no available neuron filled.
    pub empty_slots: u64,
    /// Target weights with at least one failed half (0 in a successful output).
    pub failed_weights: u64,
    /// How much of G this run looked at, as a width: per-weight, `n_i n_{i-1}` times the
    /// longest block prefix consulted; recycling, `max{n_i, n_{i-1}}` times the longest
    /// window-range prefix consulted (its `m` plus the refills it reached); batch, one past
    /// the last pool neuron consulted. Always `≤ M_i`. It says how far below `M_i` the same
    /// draws would have sufficed. G's weights do not depend on `M_i` (a narrower G is a prefix
    /// of a wider one), so for batch, G built with exactly this width gives the same Ĝ; for
    /// per-weight and recycling the blocks and windows are laid out from `m`, so a smaller `m`
    /// moves them. The list solvers consult every neuron they are offered.
    pub width_needed: u64,
}

/// One failed half, for the error message.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    pub(crate) row: usize,
    pub(crate) col: usize,
    pub(crate) half: &'static str,
    pub(crate) reason: String,
}

/// The outcome of one work item (layer `t`, output `a` for per-weight; one window for
/// recycling; one layer for batch).
pub(crate) struct RowResult {
    pub(crate) neurons: Vec<KeptNeuron>,
    pub(crate) consulted: u64,
    pub(crate) failures: Vec<Failure>,
    /// Target weights of this item with at least one failed half.
    pub(crate) failed_weights: u64,
    /// Halves of this item that failed.
    pub(crate) failed_halves: u64,
    /// The item's contribution to [`LayerStats::width_needed`] (combined by `max`).
    pub(crate) width_needed: u64,
}

impl RowResult {
    pub(crate) fn new() -> Self {
        RowResult {
            neurons: Vec::new(),
            consulted: 0,
            failures: Vec::new(),
            failed_weights: 0,
            failed_halves: 0,
            width_needed: 0,
        }
    }

    /// Records the outcome of the two halves of target weight `(a, b)` of layer `t`: the
    /// kept neurons (their indices in `halves` are G's `z`), or the failures. Returns the
    /// kept `z`s (unsorted).
    pub(crate) fn record(
        &mut self,
        large: &LargeNetwork,
        t: usize,
        a: usize,
        b: usize,
        halves: Halves,
    ) -> Vec<u64> {
        let mut kept = Vec::new();
        let mut weight_failed = false;
        for (class, h) in halves.into_iter().enumerate() {
            match h {
                Ok(d) => {
                    for &z in &d.indices {
                        let z = z as u64;
                        kept.push(z);
                        self.neurons.push(KeptNeuron {
                            z,
                            input: b,
                            u: large.u(t, z, b),
                            outputs: vec![(a, large.v(t, a, z))],
                        });
                    }
                }
                Err(e) => {
                    weight_failed = true;
                    self.failed_halves += 1;
                    if self.failures.is_empty() {
                        self.failures.push(Failure {
                            row: a,
                            col: b,
                            half: HALF_NAMES[class],
                            reason: e.to_string(),
                        });
                    }
                }
            }
        }
        if weight_failed {
            self.failed_weights += 1;
        }
        kept
    }
}

/// Combines the work items (in order, each with its layer `t`) into Ĝ, sorting each layer's
/// kept neurons by `z`; or the [`ConstructionError::Undecomposable`] error counting the
/// failures.
pub(crate) fn assemble(
    spec: &OracleSpec<'_>,
    construction: Construction,
    items: Vec<(usize, RowResult)>,
) -> Result<OracleOutput, ConstructionError> {
    let target = spec.target;
    let widths = target.architecture().widths();
    let ell = target.depth();
    let mut layers: Vec<Vec<KeptNeuron>> = vec![Vec::new(); ell];
    let mut stats = vec![LayerStats::default(); ell];
    let mut consulted = 0u64;
    let (mut failed, mut halves) = (0u64, 0u64);
    let mut first: Option<(usize, Failure)> = None;
    for (t, r) in items {
        consulted += r.consulted;
        failed += r.failed_weights;
        halves += r.failed_halves;
        stats[t].empty_slots += r.failed_halves;
        stats[t].failed_weights += r.failed_weights;
        stats[t].width_needed = stats[t].width_needed.max(r.width_needed);
        if first.is_none()
            && let Some(f) = r.failures.into_iter().next()
        {
            first = Some((t, f));
        }
        layers[t].extend(r.neurons);
    }
    if let Some((t, f)) = first {
        return Err(ConstructionError::Undecomposable {
            construction: construction.name(),
            empty_slots: halves,
            failed,
            total: target.architecture().num_weights() as u64,
            neurons_per_weight: spec.neurons_per_weight,
            tolerance: spec.tolerance,
            first_layer: t + 1,
            first_row: f.row,
            first_col: f.col,
            first_half: f.half,
            first_reason: f.reason,
        });
    }
    let pruned_layers = layers
        .into_iter()
        .enumerate()
        .map(|(t, mut neurons)| {
            neurons.sort_unstable_by_key(|n| n.z);
            PrunedLayer::new(
                widths[t],
                widths[t + 1],
                target.architecture().activations()[t],
                neurons,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(OracleOutput {
        pruned: PrunedNetwork::new(pruned_layers)?,
        products_consulted: consulted,
        layers: stats,
    })
}

/// Checks that `spec` matches G's layers, `expected` its intermediate widths.
pub(crate) fn check_shapes(
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    expected: &[u64],
) -> Result<(), ConstructionError> {
    let widths = spec.target.architecture().widths();
    let ell = spec.target.depth();
    if large.widths() != widths || large.intermediate_widths() != expected {
        return Err(ConstructionError::LayerCount {
            expected: ell,
            found: large.depth(),
        });
    }
    if spec.needs_minus.len() != ell
        || spec
            .needs_minus
            .iter()
            .zip(widths)
            .any(|(c, &n)| c.len() != n)
    {
        return Err(ConstructionError::LayerCount {
            expected: ell,
            found: spec.needs_minus.len(),
        });
    }
    Ok(())
}

/// A fresh solver state for one work item.
pub(crate) fn new_solver<'s>(
    spec: &OracleSpec<'_>,
    schedule: &'s GoldenRatioSchedule,
) -> Result<RowSolver<'s>, ConstructionError> {
    Ok(match spec.solver {
        SolverKind::GoldenRatio => RowSolver::Golden(schedule.stream(0.0)?, schedule.stream(0.0)?),
        SolverKind::BestFit => RowSolver::List(Box::new(BestFit)),
        SolverKind::Exact => RowSolver::List(Box::new(Exact::absolute())),
    })
}

/// Decomposes both needed halves of `w* = W*_{t+1}[a, b]` from the neurons `zs` of G,
/// offered in the iterator's order (see the module docs of each construction): a neuron with
/// `U[z, b] > 0` serves `ŵ⁺`, one with `U[z, b] < 0` serves `ŵ⁻` (if the column needs it), and
/// only products `V[a, z]·U[z, b]` of `w*`'s sign are candidates. The golden-ratio solver
/// consults lazily and stops when every needed half is complete; the list solvers consult
/// all of `zs`. The decompositions' indices are G's `z`. Adds the neurons looked at to
/// `consulted`; returns the halves and the last `z` looked at (if any).
///
/// # Errors
/// [`ConstructionError::TooManyCandidates`] (exact solver); a solver error.
pub(crate) fn decompose_over(
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    solver: &mut RowSolver<'_>,
    (t, a, b): (usize, usize, usize),
    zs: impl Iterator<Item = u64>,
    consulted: &mut u64,
) -> Result<(Halves, Option<u64>), ConstructionError> {
    let w = spec.target.layers()[t].weight()[(a, b)];
    let need_minus = spec.needs_minus[t][b];
    if w == 0.0 {
        // ŵ = 0 exactly, nothing to consult.
        return Ok((
            [Ok(Decomposition::empty(0.0)), Ok(Decomposition::empty(0.0))],
            None,
        ));
    }
    let mut last = None;
    match solver {
        RowSolver::Golden(plus, minus) => {
            plus.reset(w)?;
            minus.reset(w)?;
            let mut zs = zs;
            // Completeness is checked before the next neuron is drawn from `zs`, so the
            // iterator yields exactly the neurons consulted.
            while !(plus.is_complete() && (!need_minus || minus.is_complete())) {
                let Some(z) = zs.next() else { break };
                *consulted += 1;
                last = Some(z);
                let lu = large.u_log(t, z, b);
                let stream = if !lu.negative {
                    &mut *plus
                } else if need_minus {
                    &mut *minus
                } else {
                    continue;
                };
                let p = large.v_log(t, a, z) * lu;
                stream.offer_with(z as usize, p.ln_abs, p.negative, |zz, _| {
                    let zz = zz as u64;
                    (large.v(t, a, zz) * large.u(t, zz, b)).abs()
                });
            }
            let minus = if need_minus {
                minus.finish()
            } else {
                Ok(Decomposition::empty(w))
            };
            Ok(([plus.finish(), minus], last))
        }
        RowSolver::List(s) => list_over(large, spec, s.as_ref(), (t, a, b), zs, consulted),
    }
}

/// A list solver (best fit, exact) on each needed half's class products of the neurons `zs`,
/// in the iterator's order: consults all of `zs`. The decompositions' indices are G's `z`, in
/// increasing order. Returns the halves and the last `z` looked at (if any).
fn list_over(
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    solver: &dyn Solver,
    (t, a, b): (usize, usize, usize),
    zs: impl Iterator<Item = u64>,
    consulted: &mut u64,
) -> Result<(Halves, Option<u64>), ConstructionError> {
    let w = spec.target.layers()[t].weight()[(a, b)];
    let need_minus = spec.needs_minus[t][b];
    let mut last = None;
    // cands[0]: ŵ⁺'s class (U > 0), cands[1]: ŵ⁻'s (U < 0); both with V·U of w*'s sign.
    let mut cands: ClassCandidates = Default::default();
    for z in zs {
        *consulted += 1;
        last = Some(z);
        let u = large.u(t, z, b);
        let class = usize::from(u < 0.0);
        if class == 1 && !need_minus {
            continue;
        }
        let p = large.v(t, a, z) * u;
        if (p < 0.0) == (w < 0.0) {
            cands[class].0.push(p);
            cands[class].1.push(z);
        }
    }
    let halves = solve_classes(spec, solver, (t, a, b), &cands)?;
    Ok((halves, last))
}

/// Candidates of the two halves of one target weight: `[0]` is `ŵ⁺`'s class (`U > 0`), `[1]`
/// `ŵ⁻`'s (`U < 0`); each the products `V·U` of `w*`'s sign and their neurons `z`, in
/// increasing `z`.
pub(crate) type ClassCandidates = [(Vec<f64>, Vec<u64>); 2];

/// Runs the list solver on each needed half's class candidates `cands` of target weight
/// `w* = W*_{t+1}[a, b]` (see [`ClassCandidates`]). Returns the halves, whose indices are G's
/// `z` in increasing order (`ŵ⁻` is the empty decomposition when column `b` does not need it).
///
/// # Errors
/// [`ConstructionError::TooManyCandidates`] (exact solver); a solver error.
pub(crate) fn solve_classes(
    spec: &OracleSpec<'_>,
    solver: &dyn Solver,
    (t, a, b): (usize, usize, usize),
    cands: &ClassCandidates,
) -> Result<Halves, ConstructionError> {
    let w = spec.target.layers()[t].weight()[(a, b)];
    let need_minus = spec.needs_minus[t][b];
    let mut halves: Halves = [Ok(Decomposition::empty(w)), Ok(Decomposition::empty(w))];
    for (class, half) in halves.iter_mut().enumerate() {
        if class == 1 && !need_minus {
            continue;
        }
        let (values, zs) = &cands[class];
        if spec.solver == SolverKind::Exact && values.len() > MAX_EXACT_CANDIDATES {
            return Err(ConstructionError::TooManyCandidates {
                layer: t + 1,
                row: a,
                col: b,
                half: HALF_NAMES[class],
                candidates: values.len(),
                max: MAX_EXACT_CANDIDATES,
                suggest: 4 * MAX_EXACT_CANDIDATES,
            });
        }
        *half = solver.decompose(values, w, spec.tolerance).map(|mut d| {
            for i in &mut d.indices {
                *i = zs[*i] as usize;
            }
            d.indices.sort_unstable();
            d
        });
    }
    Ok(halves)
}

/// The solver state of one work item.
pub(crate) enum RowSolver<'s> {
    /// Two streams, for `ŵ⁺` and `ŵ⁻`, reset for each target weight.
    Golden(GoldenRatioStream<'s>, GoldenRatioStream<'s>),
    /// A list solver (best fit, exact).
    List(Box<dyn Solver>),
}

/// Runs the per-weight oracle on G (see the [module documentation](self)).
///
/// Returns Ĝ with the kept neurons of each layer in G's order and the products consulted.
/// `progress.advance(n)` is called with the number of target weights done after each row.
///
/// # Example
/// ```
/// use faer::mat;
/// use logprune_construction::oracle::per_weight;
/// use logprune_construction::{Domain, NoProgress, Plan, PruneConfig};
/// use logprune_network::{Activation, Network};
///
/// let f = Network::from_weights(vec![mat![[0.5, -0.25], [0.0, 0.75]]], &[Activation::Identity])?;
/// let plan = Plan::new(&f, &Domain::cube(2, -1.0, 1.0)?, &PruneConfig::new(0.01))?;
/// let g = plan.large_network()?;
/// let spec = plan.oracle_spec();
/// let out = per_weight(&g, &spec, &NoProgress)?;
/// let (plus, minus) = &out.pruned.virtual_matrices()[0];
/// for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
///     let w = f.layers()[0].weight()[(a, b)];
///     assert!((w - plus[(a, b)]).abs() <= plan.tolerance());
///     assert!((w - minus[(a, b)]).abs() <= plan.tolerance());
/// }
/// // The zero weight consults nothing; the others stop early.
/// assert!(out.products_consulted < 3 * plan.neurons_per_weight());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`ConstructionError::Undecomposable`] counting the target weights with a half that could
/// not be decomposed (no partial result); [`ConstructionError::TooManyCandidates`] for the
/// exact solver on a class of more than 40 candidates; [`ConstructionError::LayerCount`] if G
/// does not match the target; a solver error for invalid parameters.
pub fn per_weight(
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    progress: &dyn Progress,
) -> Result<OracleOutput, ConstructionError> {
    let target = spec.target;
    let widths = target.architecture().widths();
    let ell = target.depth();
    let m = spec.neurons_per_weight;
    let expected: Vec<u64> = widths
        .windows(2)
        .map(|p| p[0] as u64 * p[1] as u64 * m)
        .collect();
    check_shapes(large, spec, &expected)?;
    let schedule = GoldenRatio::new(spec.w_max)?.schedule(spec.tolerance)?;
    // Work items: (t, a) for every layer and output neuron, in order.
    let items: Vec<(usize, usize)> = (0..ell)
        .flat_map(|t| (0..widths[t + 1]).map(move |a| (t, a)))
        .collect();
    let results: Vec<Result<RowResult, ConstructionError>> = items
        .par_iter()
        .map(|&(t, a)| {
            let r = new_solver(spec, &schedule)
                .and_then(|mut solver| row(large, spec, &mut solver, t, a));
            progress.advance(widths[t] as u64);
            r
        })
        .collect();

    let items = items
        .iter()
        .zip(results)
        .map(|(&(t, _), r)| {
            r.map(|mut r| {
                // The width these draws needed: n_i n_{i-1} times the longest block prefix.
                r.width_needed *= (widths[t] * widths[t + 1]) as u64;
                (t, r)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    assemble(spec, Construction::PerWeight, items)
}

/// One target weight `w* = W*_{t+1}[a, b]` and its block of G.
#[derive(Clone, Copy)]
struct Target {
    t: usize,
    a: usize,
    b: usize,
    w: f64,
    need_minus: bool,
    /// The first neuron of the block.
    z0: u64,
}

/// The outcome of the two halves `ŵ⁺`, `ŵ⁻` of one target weight.
pub(crate) type Halves = [Result<Decomposition, DecompositionError>; 2];

/// All target weights `(a, b)` of row `a` of layer `t`.
fn row(
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    solver: &mut RowSolver<'_>,
    t: usize,
    a: usize,
) -> Result<RowResult, ConstructionError> {
    let w_row = spec.target.layers()[t].weight();
    let m = spec.neurons_per_weight;
    let mut out = RowResult::new();
    for b in 0..w_row.ncols() {
        let x = Target {
            t,
            a,
            b,
            w: w_row[(a, b)],
            need_minus: spec.needs_minus[t][b],
            z0: large.block(t, a, b, m),
        };
        let before = out.consulted;
        let mut halves = if x.w == 0.0 {
            // ŵ = 0 exactly, nothing to consult.
            [Ok(Decomposition::empty(0.0)), Ok(Decomposition::empty(0.0))]
        } else {
            match solver {
                RowSolver::Golden(plus, minus) => {
                    golden_halves(large, m, &x, plus, minus, &mut out.consulted)?
                }
                RowSolver::List(s) => list_halves(large, spec, s.as_ref(), &x, &mut out.consulted)?,
            }
        };
        // The block prefix consulted (the per-weight stats count it per block).
        out.width_needed = out.width_needed.max(out.consulted - before);
        // Block offsets to G's z.
        for d in halves.iter_mut().flatten() {
            for j in &mut d.indices {
                *j += x.z0 as usize;
            }
        }
        out.record(large, t, a, b, halves);
    }
    Ok(out)
}

/// The streaming golden-ratio decomposition of both needed halves of `x` (module docs):
/// consults the block in `z` order, `U` first in the log domain, and stops as soon as every
/// needed half is complete; adds the neurons consulted to `consulted`.
fn golden_halves<'s>(
    large: &LargeNetwork,
    m: u64,
    x: &Target,
    plus: &mut GoldenRatioStream<'s>,
    minus: &mut GoldenRatioStream<'s>,
    consulted: &mut u64,
) -> Result<Halves, ConstructionError> {
    let Target {
        t,
        a,
        b,
        w,
        need_minus,
        z0,
    } = *x;
    plus.reset(w)?;
    minus.reset(w)?;
    let done = |p: &GoldenRatioStream<'_>, q: &GoldenRatioStream<'_>| {
        p.is_complete() && (!need_minus || q.is_complete())
    };
    // The block is drawn in chunks of LANES neurons: first their U's, then the V's of those in
    // a needed class, so the generator calls of a chunk are independent and overlap in the
    // CPU; then the chunk is offered in z order, exactly as one neuron at a time would be.
    const LANES: usize = 8;
    let zero = LogWeight {
        ln_abs: 0.0,
        negative: false,
    };
    let mut j = 0u64;
    'block: while j < m && !done(plus, minus) {
        let len = (m - j).min(LANES as u64) as usize;
        let mut lu = [zero; LANES];
        for (k, l) in lu.iter_mut().enumerate().take(len) {
            *l = large.u_log(t, z0 + j + k as u64, b);
        }
        let mut lv = [zero; LANES];
        for (k, l) in lv.iter_mut().enumerate().take(len) {
            if !lu[k].negative || need_minus {
                *l = large.v_log(t, a, z0 + j + k as u64);
            }
        }
        for k in 0..len {
            if done(plus, minus) {
                // Neurons after the completing one are not consulted.
                j += k as u64;
                break 'block;
            }
            // U > 0 serves ŵ⁺, U < 0 serves ŵ⁻ (if needed); the stream itself keeps only
            // products of w*'s sign, i.e. the right sign of V.
            let stream = if !lu[k].negative {
                &mut *plus
            } else if need_minus {
                &mut *minus
            } else {
                continue;
            };
            let p = lv[k] * lu[k];
            // A kept candidate's value is the f64 product of G's weights, as in Ŵ±.
            stream.offer_with((j + k as u64) as usize, p.ln_abs, p.negative, |jj, _| {
                let zz = z0 + jj as u64;
                (large.v(t, a, zz) * large.u(t, zz, b)).abs()
            });
        }
        j += len as u64;
    }
    *consulted += j;
    let minus = if need_minus {
        minus.finish()
    } else {
        Ok(Decomposition::empty(w))
    };
    Ok([plus.finish(), minus])
}

/// A list solver (best fit, exact) on each needed half's class products, in `z` order;
/// consults the whole block.
fn list_halves(
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    solver: &dyn Solver,
    x: &Target,
    consulted: &mut u64,
) -> Result<Halves, ConstructionError> {
    let Target { t, a, b, z0, .. } = *x;
    let block = z0..z0 + spec.neurons_per_weight;
    let (mut halves, _) = list_over(large, spec, solver, (t, a, b), block, consulted)?;
    // Map G's neuron indices back to block offsets.
    for d in halves.iter_mut().flatten() {
        for i in &mut d.indices {
            *i -= z0 as usize;
        }
    }
    Ok(halves)
}

pub(crate) const HALF_NAMES: [&str; 2] = ["⁺", "⁻"];
