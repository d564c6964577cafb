//! The pruning oracle: runs a layout's work items in parallel and assembles Ĝ.
//!
//! Layers run in parallel, and the work items of each layer in parallel within it (rayon);
//! each item is a pure function of its index ([`crate::layout::Layout::run_item`]), results
//! are collected in index order and each layer's kept edges are sorted by `(z, output)`, so Ĝ
//! is bit-identical for any number of threads and for any split of the items into shards
//! (ARCHITECTURE.md, invariant 10). A layer is assembled into its flat arrays as soon as its
//! items are done.

use std::time::Instant;

use faer::{Mat, MatRef};
use logprune_network::{Activation, Network};
use rayon::prelude::*;

use crate::kernel::Kernel;
use crate::layout::{Edge, Failure, ItemOutput, Layout, Work, schedule};
use crate::pruned::LayerParts;
use crate::{ConstructionError, LargeNetwork, Progress, PrunedLayer, PrunedNetwork, SolverKind};

/// The target matrices of the layers G approximates.
#[derive(Clone, Copy, Debug)]
pub enum Targets<'a> {
    /// The layers of a bias-free MLP F' (each followed by its activation in Ĝ).
    Chain(&'a Network),
    /// The linear nodes of a graph target, each as its `n_out × n_in` target matrix (a conv's
    /// columns are its `(input channel, tap)` pairs, then a bias column); the graph applies
    /// the activations, so Ĝ's layer applies none.
    Matrices(&'a [Mat<f64>]),
}

impl<'a> Targets<'a> {
    /// The number of target layers.
    pub fn depth(&self) -> usize {
        match self {
            Targets::Chain(f) => f.depth(),
            Targets::Matrices(m) => m.len(),
        }
    }

    /// The target matrix `W*` of layer `t` (`n_out × n_in`).
    pub fn weight(&self, t: usize) -> MatRef<'a, f64> {
        match *self {
            Targets::Chain(f) => f.layers()[t].weight(),
            Targets::Matrices(m) => m[t].as_ref(),
        }
    }

    /// The activation Ĝ's layer `t` applies.
    pub fn activation(&self, t: usize) -> Activation {
        match self {
            Targets::Chain(f) => f.architecture().activations()[t],
            Targets::Matrices(_) => Activation::Identity,
        }
    }

    /// `[n_in, n_out]` of layer `t`.
    pub fn fan(&self, t: usize) -> [usize; 2] {
        let w = self.weight(t);
        [w.ncols(), w.nrows()]
    }

    /// The number of target weights.
    pub fn num_weights(&self) -> usize {
        (0..self.depth())
            .map(|t| {
                let [i, o] = self.fan(t);
                i * o
            })
            .sum()
    }
}

/// What the oracle needs besides G and the layout.
#[derive(Clone, Copy, Debug)]
pub struct OracleSpec<'a> {
    /// The target matrices (the weights `w*`).
    pub target: Targets<'a>,
    /// `needs_minus[t][b]`: whether column `b` of layer `t` needs `ŵ⁻`.
    pub needs_minus: &'a [Vec<bool>],
    /// The per-half tolerance (`ε_w/2`, or `T`).
    pub tolerance: f64,
    /// `w_max` of the golden-ratio intervals.
    pub w_max: f64,
    /// The solver.
    pub solver: SolverKind,
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
    /// the last pool neuron consulted; shared-input, `n_{i-1}` times the longest block prefix.
    /// Always `≤ M_i`. It says how far below `M_i` the same draws would have sufficed. G's
    /// weights do not depend on `M_i` (a narrower G is a prefix of a wider one), so for batch,
    /// G built with exactly this width gives the same Ĝ; for the other layouts the blocks and
    /// windows are laid out from `m` or `r`, so a smaller one moves them. The list solvers
    /// consult every neuron they are offered.
    pub width_needed: u64,
    /// Neurons consulted in this layer.
    pub consulted: u64,
    /// Target weights decomposed in this layer (all of them, or a shard's).
    pub weights: u64,
}

/// The result of the oracle: Ĝ and how much of G it consulted.
#[derive(Clone, Debug, PartialEq)]
pub struct OracleOutput {
    /// The pruned network.
    pub pruned: PrunedNetwork,
    /// Neurons consulted (each a product `V·U`), over all layers.
    pub products_consulted: u64,
    /// What each layer used of G (`[t]` is the paper's layer `t + 1`).
    pub layers: Vec<LayerStats>,
    /// Wall-clock seconds of the oracle.
    pub seconds: f64,
}

/// Runs `layout`'s oracle on G (see the [module documentation](self)).
///
/// Returns Ĝ with the kept neurons of each layer in G's order, the products consulted and
/// per-layer stats. `progress` gets the stage `"prune"` with the number of target weights.
///
/// # Panics
/// If G's widths are not the layout's for the target of `spec`, or `spec.needs_minus` does
/// not have the target's shape (programmer errors: build G with
/// [`crate::Plan::large_network`] of the same layout).
///
/// # Errors
/// [`ConstructionError::Undecomposable`] counting the target weights with a half that could
/// not be decomposed (no partial result); [`ConstructionError::TooManyCandidates`] for the
/// exact solver on a half of more than 40 candidates; a solver error for invalid parameters.
///
/// # Example
/// ```
/// use faer::mat;
/// use logprune_construction::{oracle, Construction, Domain, NoProgress, Plan, PruneConfig};
/// use logprune_network::{Activation, Network};
///
/// let f = Network::from_weights(vec![mat![[0.5, -0.25], [0.0, 0.75]]], &[Activation::Identity])?;
/// let plan = Plan::new(&f, &Domain::cube(2, -1.0, 1.0)?, &PruneConfig::new(0.01))?;
/// let layout = Construction::PerWeight.layout(&plan)?;
/// let g = plan.large_network(&*layout)?;
/// let out = oracle::run(&*layout, &g, &plan.oracle_spec(), &NoProgress)?;
/// let (plus, minus) = &out.pruned.virtual_matrices()[0];
/// for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
///     let w = f.layers()[0].weight()[(a, b)];
///     assert!((w - plus[(a, b)]).abs() <= plan.tolerance());
///     assert!((w - minus[(a, b)]).abs() <= plan.tolerance());
/// }
/// // The zero weight consults nothing; the others stop early.
/// assert!(out.products_consulted < 3 * layout.neurons_per_weight());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run(
    layout: &dyn Layout,
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    progress: &dyn Progress,
) -> Result<OracleOutput, ConstructionError> {
    let mut layers = Vec::with_capacity(large.depth());
    let run = run_items(
        layout,
        large,
        spec,
        progress,
        &|_, _| true,
        &mut |_, layer| {
            layers.push(layer);
            Ok(())
        },
    )?;
    Ok(OracleOutput {
        pruned: match spec.target {
            Targets::Chain(_) => PrunedNetwork::new(layers)?,
            Targets::Matrices(_) => PrunedNetwork::of_graph(layers)?,
        },
        products_consulted: run.layers.iter().map(|s| s.consulted).sum(),
        layers: run.layers,
        seconds: run.seconds,
    })
}

/// What [`run_items`] returns besides the layers it hands over.
pub(crate) struct OracleRun {
    /// What each layer used of G.
    pub layers: Vec<LayerStats>,
    /// Wall-clock seconds of the oracle, the time spent in the sink excluded.
    pub seconds: f64,
}

/// [`run_items`] on the work items shard `shard` owns (every `N`-th of the work items of all
/// layers, numbered in layer order), keeping Ĝ's layers: a shard's part of Ĝ.
///
/// # Errors
/// As [`run_items`].
pub(crate) fn run_shard(
    layout: &dyn Layout,
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    shard: crate::Shard,
    progress: &dyn Progress,
) -> Result<(Vec<PrunedLayer>, OracleRun), ConstructionError> {
    let mut offsets = Vec::with_capacity(large.depth());
    let mut g = 0u64;
    for t in 0..large.depth() {
        offsets.push(g);
        g += layout.items(large, t) as u64;
    }
    let select = |t: usize, j: usize| shard.owns(offsets[t] + j as u64);
    let mut layers = Vec::with_capacity(large.depth());
    let out = run_items(layout, large, spec, progress, &select, &mut |_, layer| {
        layers.push(layer);
        Ok(())
    })?;
    Ok((layers, out))
}

/// [`run`] on the work items `(t, item)` that `select` accepts (the others keep nothing and
/// consult nothing), handing each layer of Ĝ to `sink` in order as soon as it is assembled
/// (when every layer has work for every thread, layers run one after another so only one is
/// alive at a time; otherwise in parallel, handed over in order at the end). After a layer
/// fails, the later layers are still run, for the counts of the error, but not handed over.
pub(crate) fn run_items(
    layout: &dyn Layout,
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    progress: &dyn Progress,
    select: &(dyn Fn(usize, usize) -> bool + Sync),
    sink: &mut dyn FnMut(usize, PrunedLayer) -> Result<(), ConstructionError>,
) -> Result<OracleRun, ConstructionError> {
    let start = Instant::now();
    let target = spec.target;
    let ell = target.depth();
    let fans: Vec<[usize; 2]> = (0..ell).map(|t| target.fan(t)).collect();
    assert_eq!(
        large.fans(),
        fans,
        "G and the target differ in their widths"
    );
    assert_eq!(
        layout.widths(&fans).ok().as_deref(),
        Some(large.intermediate_widths()),
        "G's intermediate widths are not the layout's"
    );
    assert!(
        spec.needs_minus.len() == ell
            && spec
                .needs_minus
                .iter()
                .zip(&fans)
                .all(|(c, f)| c.len() == f[0]),
        "needs_minus does not have the target's shape"
    );
    let total = target.num_weights() as u64;
    progress.start("prune", total);
    let sched = schedule(spec)?;
    let mixed = layout.mixes_signs();
    let work = Work {
        large,
        spec,
        progress,
    };
    let layer = |t: usize| -> Result<AssembledLayer, ConstructionError> {
        let items: Vec<Result<ItemOutput, ConstructionError>> = (0..layout.items(large, t))
            .into_par_iter()
            .map(|j| {
                let mut out = ItemOutput::default();
                if select(t, j) {
                    let mut kernel = Kernel::new(spec.solver, spec.tolerance, &sched, mixed)?;
                    layout.run_item(&work, &mut kernel, (t, j), &mut out)?;
                }
                Ok(out)
            })
            .collect();
        let items = items.into_iter().collect::<Result<Vec<_>, _>>()?;
        assemble_layer(target, t, items)
    };
    let mut stats = Vec::with_capacity(ell);
    let mut first: Option<Failure> = None;
    let mut sink_seconds = 0.0;
    let mut hand_over = |t: usize, assembled: AssembledLayer| -> Result<(), ConstructionError> {
        let (layer, s, f) = assembled;
        stats.push(s);
        if first.is_none() {
            first = f;
            if first.is_none() {
                let at = Instant::now();
                sink(t, layer)?;
                sink_seconds += at.elapsed().as_secs_f64();
            }
        }
        Ok(())
    };
    if one_layer_at_a_time(layout, large) {
        for t in 0..ell {
            hand_over(t, layer(t)?)?;
        }
    } else {
        let layers: Vec<Result<AssembledLayer, ConstructionError>> =
            (0..ell).into_par_iter().map(layer).collect();
        for (t, r) in layers.into_iter().enumerate() {
            hand_over(t, r?)?;
        }
    }
    if let Some(f) = first {
        return Err(ConstructionError::Undecomposable {
            construction: layout.construction(),
            empty_slots: stats.iter().map(|s| s.empty_slots).sum(),
            failed: stats.iter().map(|s| s.failed_weights).sum(),
            total,
            neurons_per_weight: layout.neurons_per_weight(),
            tolerance: spec.tolerance,
            first_layer: f.t + 1,
            first_row: f.a,
            first_col: f.b,
            first_half: f.half,
            first_reason: f.reason,
        });
    }
    Ok(OracleRun {
        layers: stats,
        seconds: start.elapsed().as_secs_f64() - sink_seconds,
    })
}

/// Whether [`run_items`] runs the layers one after another (every layer has at least four
/// work items per thread), so that only one layer of Ĝ is alive at a time, rather than in
/// parallel.
pub(crate) fn one_layer_at_a_time(layout: &dyn Layout, large: &LargeNetwork) -> bool {
    let threads = rayon::current_num_threads();
    (0..large.depth()).all(|t| layout.items(large, t) >= 4 * threads)
}

/// An assembled layer, its stats and its first failure.
type AssembledLayer = (PrunedLayer, LayerStats, Option<Failure>);

/// Layer `t` of Ĝ from its items' outputs (in item order): the edges sorted by
/// `(z, output)` and grouped into neurons; the layer's stats and its first failure.
fn assemble_layer(
    target: Targets<'_>,
    t: usize,
    mut items: Vec<ItemOutput>,
) -> Result<AssembledLayer, ConstructionError> {
    let mut stats = LayerStats::default();
    let mut first = None;
    let key = |e: &Edge| (e.z, e.output);
    for item in &mut items {
        stats.consulted += item.consulted;
        stats.weights += item.weights;
        stats.empty_slots += item.failed_halves;
        stats.failed_weights += item.failed_weights;
        stats.width_needed = stats.width_needed.max(item.width_needed);
        if first.is_none() {
            first = item.failure.take();
        }
        item.edges.sort_unstable_by_key(key);
    }
    // Items over increasing ranges of G (per-weight, recycling, batch) are already in order:
    // their edges go straight into the flat arrays; otherwise (shared-input) they are
    // merged by one sort.
    let in_order = items
        .iter()
        .filter_map(|i| Some((i.edges.first()?, i.edges.last()?)))
        .collect::<Vec<_>>()
        .windows(2)
        .all(|p| key(p[0].1) < key(p[1].0));
    let parts = if in_order {
        layer_parts(items.into_iter().map(|i| i.edges).collect())?
    } else {
        let total: usize = items.iter().map(|i| i.edges.len()).sum();
        let mut edges: Vec<Edge> = Vec::new();
        edges
            .try_reserve_exact(total)
            .map_err(|_| ConstructionError::OutOfMemory {
                what: "the kept edges of a layer",
                bytes: (total * size_of::<Edge>()) as u64,
            })?;
        for item in items {
            edges.extend(item.edges);
        }
        edges.par_sort_unstable_by_key(key);
        layer_parts(vec![edges])?
    };
    let [n_in, n_out] = target.fan(t);
    let layer = PrunedLayer::from_parts(n_in, n_out, target.activation(t), parts)?;
    Ok((layer, stats, first))
}

/// The flat arrays of a layer from runs of edges that are, concatenated, sorted by
/// `(z, output)`; each run is freed once copied, so the edges are never held twice.
pub(crate) fn layer_parts(runs: Vec<Vec<Edge>>) -> Result<LayerParts, ConstructionError> {
    let mut neurons = 0usize;
    let mut edges = 0usize;
    let mut prev: Option<u64> = None;
    for e in runs.iter().flatten() {
        neurons += usize::from(prev != Some(e.z));
        prev = Some(e.z);
        edges += 1;
    }
    let mut p = LayerParts::default();
    let bytes = (neurons * 28 + edges * 12) as u64;
    p.z.try_reserve_exact(neurons)
        .and(p.input.try_reserve_exact(neurons))
        .and(p.u.try_reserve_exact(neurons))
        .and(p.start.try_reserve_exact(neurons + 1))
        .and(p.output.try_reserve_exact(edges))
        .and(p.v.try_reserve_exact(edges))
        .map_err(|_| ConstructionError::OutOfMemory {
            what: "the flat arrays of a layer",
            bytes,
        })?;
    p.start.push(0);
    let mut count = 0u64;
    for run in runs {
        for e in run {
            if p.z.last() != Some(&e.z) {
                if count > 0 {
                    p.start.push(count);
                }
                p.z.push(e.z);
                p.input.push(e.input);
                p.u.push(e.u);
            } else {
                debug_assert_eq!((p.input.last(), p.u.last()), (Some(&e.input), Some(&e.u)));
            }
            p.output.push(e.output);
            p.v.push(e.v);
            count += 1;
        }
    }
    if count > 0 {
        p.start.push(count);
    }
    Ok(p)
}
