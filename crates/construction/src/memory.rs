//! The memory a run needs, estimated before anything large is allocated (ARCHITECTURE.md,
//! invariant 13): a run whose estimate exceeds its budget is refused with
//! [`ConstructionError::MemoryBudget`] instead of dying in the allocator.
//!
//! Ĝ keeps, per target weight and needed half, at most `k` neurons with the golden-ratio
//! solver (one per interval of Lemma 9; `k` = [`PlanCore::golden_ratio_steps`]); the list solvers
//! have no such bound and are estimated with the same `k`. So layer `i` keeps at most
//! `E_i = n_i (n_{i-1} + |N_i|) k` output edges on at most `min(E_i, M_i)` neurons. The
//! estimate adds
//!
//! - Ĝ's flat arrays: 28 bytes per neuron and 12 per edge ([`crate::pruned`]), for all of Ĝ,
//!   or for its largest layer when the run streams Ĝ out layer by layer
//!   ([`crate::prune_into`] with a sink that does not hold the layers);
//! - the oracle's transient edges (32 bytes each, twice, for two layers at a time);
//! - the check: the virtual matrices and their split copies, the measured inputs and the
//!   batch forward passes;
//! - the target F and F'.
//!
//! It is an upper bound for the golden-ratio solver, up to the allocator's overhead, and
//! nothing in the run allocates kept × width (the dense exports are refused separately by
//! their own limits). The bound counts `k` pieces per half; a decomposition keeps about a third
//! of that, so when the bound exceeds the budget, [`sampled`] measures the kept edges per
//! target weight on the first work item of each layer and extrapolates with a margin of 25 %
//! (capped by the bound) before refusing the run.

use crate::check::{BOX_INPUTS, LITERAL_INPUTS};
use crate::{ConstructionError, LargeNetwork, PlanCore};

/// What [`estimate`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// The bound on Ĝ's kept output edges.
    pub kept_edges: u64,
    /// The bound on Ĝ's kept neurons.
    pub kept_neurons: u64,
    /// Bytes of Ĝ's arrays (all of them, or the largest layer's for a streamed run).
    pub pruned_bytes: u64,
    /// Bytes of the oracle's transient buffers.
    pub oracle_bytes: u64,
    /// Bytes of the check.
    pub check_bytes: u64,
    /// All of it.
    pub total: u64,
}

/// A GiB in bytes, for messages.
const GIB: f64 = (1u64 << 30) as f64;

impl MemoryEstimate {
    /// Refuses the run if the estimate exceeds `limit` bytes.
    ///
    /// # Errors
    /// [`ConstructionError::MemoryBudget`] with the need and the limit.
    pub fn check(&self, limit: u64) -> Result<(), ConstructionError> {
        self.check_for(
            limit,
            "the pruning run (Ĝ's arrays, the oracle's buffers and the check)",
        )
    }

    /// [`MemoryEstimate::check`] for `what` (named in the error).
    ///
    /// # Errors
    /// [`ConstructionError::MemoryBudget`] with the need and the limit.
    pub fn check_for(&self, limit: u64, what: &'static str) -> Result<(), ConstructionError> {
        if self.total > limit {
            return Err(ConstructionError::MemoryBudget {
                what,
                needed: self.total,
                needed_gib: self.total as f64 / GIB,
                limit,
                limit_gib: limit as f64 / GIB,
            });
        }
        Ok(())
    }

    /// The bound on the bytes of Ĝ's dense tensors (`8 · kept · (n_{i-1} + n_i)` summed
    /// over layers) for the target widths `widths`.
    pub fn dense_bytes(&self, per_layer_neurons: &[u64], widths: &[usize]) -> f64 {
        per_layer_neurons
            .iter()
            .enumerate()
            .map(|(t, &k)| 8.0 * k as f64 * (widths[t] + widths[t + 1]) as f64)
            .sum()
    }
}

/// The per-layer bounds `(E_i, min(E_i, M_i))` on kept edges and neurons (module docs).
pub fn kept_bounds(plan: &PlanCore, large: &LargeNetwork) -> Vec<(u64, u64)> {
    let k = plan.golden_ratio_steps();
    plan.minus_columns()
        .iter()
        .enumerate()
        .map(|(t, &minus)| {
            let edges = (large.fan_out(t) as u64)
                .saturating_mul((large.fan_in(t) + minus) as u64)
                .saturating_mul(k);
            (edges, edges.min(large.intermediate_widths()[t]))
        })
        .collect()
}

/// The memory a run of `plan` on `large` needs at most (module docs): with all of Ĝ held
/// if `whole`, else with its largest layer (a run that streams Ĝ out layer by layer,
/// [`crate::prune_into`]).
pub fn estimate(plan: &PlanCore, large: &LargeNetwork, whole: bool) -> MemoryEstimate {
    estimate_from(plan, large, &kept_bounds(plan, large), whole)
}

/// The memory a run needs, with the kept edges per target weight measured on the first work
/// item of each layer (`1 + 25 %` of the sampled rate, capped by the bound; layers with a
/// single work item keep the bound), and whether a sample was taken.
///
/// # Errors
/// An error of the sampled oracle other than an undecomposable weight (which leaves the
/// bound).
pub fn sampled(
    plan: &PlanCore,
    spec: &crate::oracle::OracleSpec<'_>,
    layout: &dyn crate::layout::Layout,
    large: &LargeNetwork,
    whole: bool,
) -> Result<MemoryEstimate, ConstructionError> {
    let bounds = kept_bounds(plan, large);
    let select = |t: usize, j: usize| j == 0 && layout.items(large, t) > 1;
    let mut edge_counts = Vec::with_capacity(large.depth());
    let out = match crate::oracle::run_items(
        layout,
        large,
        spec,
        &crate::NoProgress,
        &select,
        &mut |_, layer| {
            edge_counts.push(layer.edge_count());
            Ok(())
        },
    ) {
        Ok(out) => out,
        Err(ConstructionError::Undecomposable { .. }) => return Ok(estimate(plan, large, whole)),
        Err(e) => return Err(e),
    };
    let sampled: Vec<(u64, u64)> = bounds
        .iter()
        .enumerate()
        .map(|(t, &(edges_bound, neurons_bound))| {
            let s = &out.layers[t];
            if s.weights == 0 {
                return (edges_bound, neurons_bound);
            }
            let rate = edge_counts[t] as f64 / s.weights as f64;
            let weights = (large.fan_in(t) * large.fan_out(t)) as f64;
            let edges = ((rate * 1.25 * weights).ceil() as u64 + 64).min(edges_bound);
            (edges, edges.min(neurons_bound))
        })
        .collect();
    Ok(estimate_from(plan, large, &sampled, whole))
}

/// The estimate for per-layer `(edges, neurons)` counts, all of Ĝ held if `whole`, else
/// its largest layer.
fn estimate_from(
    plan: &PlanCore,
    large: &LargeNetwork,
    bounds: &[(u64, u64)],
    whole: bool,
) -> MemoryEstimate {
    let kept_edges = bounds.iter().map(|b| b.0).fold(0u64, u64::saturating_add);
    let kept_neurons = bounds.iter().map(|b| b.1).fold(0u64, u64::saturating_add);
    let bytes = |b: &(u64, u64)| {
        b.1.saturating_mul(28)
            .saturating_add(b.0.saturating_mul(12))
    };
    let pruned_bytes = if whole {
        bounds.iter().map(bytes).fold(0u64, u64::saturating_add)
    } else {
        bounds.iter().map(bytes).max().unwrap_or(0)
    };
    let mut largest = [0u64; 2];
    for b in bounds {
        if b.0 > largest[0] {
            largest = [b.0, largest[0]];
        } else if b.0 > largest[1] {
            largest[1] = b.0;
        }
    }
    let oracle_bytes = (largest[0].saturating_add(largest[1])).saturating_mul(64);
    let check_bytes = check_bytes(plan, large);
    MemoryEstimate {
        kept_edges,
        kept_neurons,
        pruned_bytes,
        oracle_bytes,
        check_bytes,
        total: pruned_bytes
            .saturating_add(oracle_bytes)
            .saturating_add(check_bytes),
    }
}

/// Bytes per kept neuron and per kept edge a streamed verify holds of the layer it reads
/// ([`crate::ticket::TicketReader::layer`]): the file's arrays widened to 8 bytes and the
/// layer's flat arrays (with the weights re-derived for a compact ticket) at once.
pub const VERIFY_LAYER_BYTES: (u64, u64) = (48, 24);

/// Bytes per kept neuron and per kept edge (each counted once per shard that keeps it) a
/// streamed merge holds of a layer ([`crate::ticket::ShardReaders::layer`]): every shard's
/// layer, one of them being read, and the merged layer.
pub const MERGE_LAYER_BYTES: (u64, u64) = (80, 48);

/// The memory a streamed verify (or, if `merge`, a streamed merge) of a ticket whose layers
/// keep `sizes` (`(neurons, edges)` per layer, summed over the shards for a merge) needs:
/// the largest layer's reading ([`VERIFY_LAYER_BYTES`], [`MERGE_LAYER_BYTES`]) and the
/// check's state (as [`estimate`]'s: the virtual matrices of every layer, the inputs and the
/// passes), nothing of the oracle.
pub fn streamed(
    plan: &PlanCore,
    large: &LargeNetwork,
    sizes: &[(u64, u64)],
    merge: bool,
) -> MemoryEstimate {
    let (per_neuron, per_edge) = if merge {
        MERGE_LAYER_BYTES
    } else {
        VERIFY_LAYER_BYTES
    };
    let pruned_bytes = sizes
        .iter()
        .map(|&(n, e)| {
            n.saturating_mul(per_neuron)
                .saturating_add(e.saturating_mul(per_edge))
        })
        .max()
        .unwrap_or(0);
    // The check of a layer also sums its mask's halves (`verify_mask`: 18 bytes per target
    // weight, rounded up).
    let sums = (0..large.depth())
        .map(|t| 24 * large.fan_out(t) as u64 * large.fan_in(t) as u64)
        .max()
        .unwrap_or(0);
    let check_bytes = check_bytes(plan, large) + sums;
    MemoryEstimate {
        kept_edges: sizes.iter().map(|s| s.1).fold(0u64, u64::saturating_add),
        kept_neurons: sizes.iter().map(|s| s.0).fold(0u64, u64::saturating_add),
        pruned_bytes,
        oracle_bytes: 0,
        check_bytes,
        total: pruned_bytes.saturating_add(check_bytes),
    }
}

/// Bytes of the check: the virtual matrices and their split copies of every layer, the measured inputs, the batch forward passes, and F and F'.
fn check_bytes(plan: &PlanCore, large: &LargeNetwork) -> u64 {
    let minus = plan.minus_columns();
    let matrices: u64 = (0..large.depth())
        .map(|t| 8 * large.fan_out(t) as u64 * (4 * large.fan_in(t) + 2 * minus[t]) as u64)
        .sum();
    let n0 = large.fans().first().map_or(1, |f| f[0]) as u64;
    let n_max = large.fans().iter().flatten().copied().max().unwrap_or(1) as u64;
    let inputs = 16 * BOX_INPUTS as u64 * n0;
    let passes = 8 * 256 * n_max * 6 * 2 + 8 * LITERAL_INPUTS as u64 * n_max * 2;
    let targets: u64 = 2 * 8 * plan.num_target_weights() as u64;
    matrices + inputs + passes + targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Domain, NoProgress, PruneConfig, prune};
    use faer::mat;
    use logprune_network::{Activation, Network};

    #[test]
    fn the_bound_holds_and_the_budget_refuses() {
        let f = Network::from_weights(
            vec![mat![[0.5, -0.25], [0.125, 0.75]], mat![[1.0, -0.5]]],
            &[Activation::Relu, Activation::Identity],
        )
        .unwrap();
        let domain = Domain::cube(2, -1.0, 1.0).unwrap();
        let p = prune(&f, &domain, &PruneConfig::new(0.01), &NoProgress).unwrap();
        let e = estimate(&p.plan, &p.large, true);
        for ((edges, neurons), layer) in kept_bounds(&p.plan, &p.large)
            .into_iter()
            .zip(p.pruned.layers())
        {
            assert!(layer.edge_count() as u64 <= edges && layer.len() as u64 <= neurons);
        }
        assert!(e.pruned_bytes >= p.pruned.heap_bytes());
        assert!(e.total > e.pruned_bytes);
        // Over the bound, the sampled estimate decides: it is at most the bound, and a budget
        // below it refuses the run with it as the need.
        let layout = p.plan.config().construction.layout(&p.plan).unwrap();
        let s = sampled(&p.plan, &p.plan.oracle_spec(), &*layout, &p.large, true).unwrap();
        assert!(s.total <= e.total && s.kept_edges <= e.kept_edges);
        let cfg = PruneConfig {
            max_memory: Some(s.total - 1),
            ..PruneConfig::new(0.01)
        };
        assert!(matches!(
            prune(&f, &domain, &cfg, &NoProgress),
            Err(ConstructionError::MemoryBudget { needed, limit, .. }) if needed == s.total && limit == s.total - 1
        ));
        let cfg = PruneConfig {
            max_memory: Some(s.total),
            ..PruneConfig::new(0.01)
        };
        assert!(prune(&f, &domain, &cfg, &NoProgress).is_ok());
    }
}
