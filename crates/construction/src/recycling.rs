//! The recycling construction: Algorithm 1 of Appendix D (sample recycling, Theorem 30).
//!
//! Layer `i` with `n_i ≥ n_{i-1}` (else the loops are exchanged, as the algorithm's caption
//! says) is split into `n_big = max{n_i, n_{i-1}}` *windows* `j = 0..n_big`, run
//! independently. Window `j` owns G's neurons `[j·R, (j+1)·R)` with
//! `R = m + 2k·n_small`, `n_small = min{n_i, n_{i-1}}` (the proof's count: the `m` neurons of
//! Corollary 10 plus at most `2k` refills per target weight; `k` is the number of
//! golden-ratio intervals at `ε_w/2`, Theorem 30's `k`), so `M_i = n_big·R`. It starts with
//! the window `M = [j·R, j·R + m)` and, for `d = 0..n_small`, takes the target weight on the
//! `j`-th wrapped diagonal:
//!
//! ```text
//! n_i ≥ n_{i-1}:  idx_in = d,  idx_out = (d + j) mod n_i       (Algorithm 1, lines 10-11)
//! n_i < n_{i-1}:  idx_out = d, idx_in = (d + j) mod n_{i-1}    (loops exchanged)
//! ```
//!
//! so the `n_big` windows cover every target weight exactly once, and within a window no two
//! target weights share an input or an output index. For `w* = W*[idx_out, idx_in]`,
//! `K⁺ = GRD⁺`, `K⁻ = GRD⁻` (the latter only where the column needs `ŵ⁻`) decompose it using
//! only the products `V[idx_out, z]·U[z, idx_in]` of the window's neurons, offered in the
//! window's order (below), exactly as the per-weight construction offers a block
//! ([`crate::oracle`]); `K⁺ ∪ K⁻` leave the window (they are kept neurons of Ĝ); the other
//! window neurons' weights at `idx_in` and `idx_out` are spent (Algorithm 1, lines 24-28: never
//! consulted again — the diagonal indexing never revisits an input or output index within a
//! window, which is checked in debug builds and by the tests); the window is refilled with
//! `|K⁺| + |K⁻|` fresh neurons, the next ones of the window's range.
//!
//! **Order.** The window is an ordered list: the survivors keep their order and refills are
//! appended, so the neurons are offered in the order they entered the window (oldest first,
//! which is also increasing `z`).
//!
//! **Running out.** With the golden-ratio solver `|K±| ≤ k`, so the range never runs out. The
//! list solvers (best fit, exact) may keep more than `k` neurons per half; when the range is
//! exhausted the window is refilled only as far as the range goes (it shrinks below `m`), and
//! a later target weight that the smaller window cannot decompose is counted in
//! [`crate::ConstructionError::Undecomposable`].
//!
//! Windows run in parallel with rayon over `(layer, j)`, collected in index order, so Ĝ is
//! bit-identical for any number of threads (invariant 2).

use logprune_decomposition::GoldenRatio;
use rayon::prelude::*;

use crate::oracle::{
    OracleOutput, OracleSpec, RowResult, RowSolver, assemble, check_shapes, decompose_over,
    new_solver,
};
use crate::{Construction, ConstructionError, LargeNetwork, Progress};

/// The window geometry of layer `t` for the recycling construction with window `m` and `k`
/// golden-ratio intervals: `(n_big, n_small, R)` with `R = m + 2k·n_small`.
///
/// Returns `None` if `R` overflows `u64`.
pub(crate) fn geometry(n_in: usize, n_out: usize, m: u64, k: u64) -> Option<(u64, u64, u64)> {
    let (big, small) = (n_in.max(n_out) as u64, n_in.min(n_out) as u64);
    let r = k.checked_mul(2)?.checked_mul(small)?.checked_add(m)?;
    Some((big, small, r))
}

/// The target weight `(a, b)` (output, input) that window `j` handles at step `d` of a layer
/// with `n_in` inputs and `n_out` outputs (module docs).
#[inline]
pub(crate) fn diagonal(n_in: usize, n_out: usize, j: usize, d: usize) -> (usize, usize) {
    if n_out >= n_in {
        ((d + j) % n_out, d)
    } else {
        (d, (d + j) % n_in)
    }
}

/// Runs the recycling construction (Algorithm 1 of Appendix D, see the
/// [module documentation](crate::recycling)) on G, whose layer `t` must have
/// `M_i = max{n_i, n_{i-1}}·R` neurons with `R ≥ m = spec.neurons_per_weight`.
///
/// Returns Ĝ (kept neurons in G's order), the products consulted, and per layer
/// `width_needed = n_big ×` the largest window range prefix consulted.
/// `progress.advance(n_small)` is called after each window.
///
/// # Example
/// ```
/// use faer::mat;
/// use logprune_construction::oracle::recycling;
/// use logprune_construction::{Construction, Domain, NoProgress, Plan, PruneConfig};
/// use logprune_network::{Activation, Network};
///
/// let f = Network::from_weights(vec![mat![[0.5, -0.25], [0.0, 0.75]]], &[Activation::Identity])?;
/// let config = PruneConfig { construction: Construction::Recycling, ..PruneConfig::new(0.01) };
/// let plan = Plan::new(&f, &Domain::cube(2, -1.0, 1.0)?, &config)?;
/// let g = plan.large_network()?;
/// // Two windows of R = m + 2k·2 neurons each.
/// let r = plan.intermediate_widths()[0] / 2;
/// assert_eq!(r, plan.neurons_per_weight() + 4 * plan.golden_ratio_steps());
/// let spec = plan.oracle_spec();
/// let out = recycling(&g, &spec, &NoProgress)?;
/// let (plus, minus) = &out.pruned.virtual_matrices()[0];
/// for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
///     let w = f.layers()[0].weight()[(a, b)];
///     assert!((w - plus[(a, b)]).abs() <= plan.tolerance());
///     assert!((w - minus[(a, b)]).abs() <= plan.tolerance());
/// }
/// assert!(out.layers[0].width_needed <= plan.intermediate_widths()[0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`ConstructionError::Undecomposable`] counting the target weights with a half that could
/// not be decomposed; [`ConstructionError::LayerCount`] if G's widths are not of this form;
/// [`ConstructionError::TooManyCandidates`] (exact solver); a solver error.
pub fn recycling(
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    progress: &dyn Progress,
) -> Result<OracleOutput, ConstructionError> {
    let widths = spec.target.architecture().widths();
    let ell = spec.target.depth();
    let m = spec.neurons_per_weight;
    // R from G's widths: M_i = n_big·R with R ≥ m.
    let mut ranges = Vec::with_capacity(ell);
    for t in 0..ell.min(large.depth()) {
        let big = widths[t].max(widths[t + 1]) as u64;
        let mi = large.intermediate_widths()[t];
        ranges.push(if mi.is_multiple_of(big) && mi / big >= m {
            mi / big
        } else {
            0
        });
    }
    let expected: Vec<u64> = ranges
        .iter()
        .enumerate()
        .map(|(t, r)| r * widths[t].max(widths[t + 1]) as u64)
        .collect();
    check_shapes(large, spec, &expected)?;
    if m == 0 {
        return Err(ConstructionError::InvalidNeuronsPerWeight { value: m });
    }
    if ranges.contains(&0) {
        return Err(ConstructionError::LayerCount {
            expected: ell,
            found: large.depth(),
        });
    }
    let schedule = GoldenRatio::new(spec.w_max)?.schedule(spec.tolerance)?;
    let items: Vec<(usize, usize)> = (0..ell)
        .flat_map(|t| (0..widths[t].max(widths[t + 1])).map(move |j| (t, j)))
        .collect();
    let results: Vec<Result<RowResult, ConstructionError>> = items
        .par_iter()
        .map(|&(t, j)| {
            let r = new_solver(spec, &schedule)
                .and_then(|mut s| window(large, spec, &mut s, t, j, ranges[t], None));
            progress.advance(widths[t].min(widths[t + 1]) as u64);
            r
        })
        .collect();
    let items = items
        .iter()
        .zip(results)
        .map(|(&(t, _), r)| {
            r.map(|mut r| {
                r.width_needed *= widths[t].max(widths[t + 1]) as u64;
                (t, r)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    assemble(spec, Construction::Recycling, items)
}

/// A consulted product: `(z, idx_in, idx_out)`.
pub(crate) type Consulted = (u64, usize, usize);

/// Window `j` of layer `t` with range `R = range` (module docs). Returns its kept neurons,
/// failures and `width_needed` = one past the last range offset consulted. With `trace`, every
/// product consulted is recorded (tests).
pub(crate) fn window(
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    solver: &mut RowSolver<'_>,
    t: usize,
    j: usize,
    range: u64,
    mut trace: Option<&mut Vec<Consulted>>,
) -> Result<RowResult, ConstructionError> {
    let (n_in, n_out) = (large.widths()[t], large.widths()[t + 1]);
    let n_small = n_in.min(n_out);
    debug_assert!(
        {
            // The diagonal never revisits an input or an output index within a window, so no
            // spent weight is consulted (Algorithm 1, lines 6-9 and 24-28).
            let (mut ins, mut outs) = (vec![false; n_in], vec![false; n_out]);
            (0..n_small).all(|d| {
                let (a, b) = diagonal(n_in, n_out, j, d);
                !std::mem::replace(&mut ins[b], true) && !std::mem::replace(&mut outs[a], true)
            })
        },
        "window {j}: the diagonal revisits an index"
    );
    let start = j as u64 * range;
    let end = start + range;
    let m = spec.neurons_per_weight.min(range);
    let mut list: Vec<u64> = (start..start + m).collect();
    let mut next = start + m;
    let mut out = RowResult::new();
    for d in 0..n_small {
        let (a, b) = diagonal(n_in, n_out, j, d);
        let (halves, last) = {
            let zs = list.iter().copied().inspect(|&z| {
                if let Some(tr) = trace.as_deref_mut() {
                    tr.push((z, b, a));
                }
            });
            decompose_over(large, spec, solver, (t, a, b), zs, &mut out.consulted)?
        };
        if let Some(z) = last {
            out.width_needed = out.width_needed.max(z - start + 1);
        }
        let kept = out.record(large, t, a, b, halves);
        if kept.is_empty() {
            continue;
        }
        // M = M \ (K⁺ ∪ K⁻), survivors in order; refill with |K⁺| + |K⁻| fresh neurons
        // (as far as the range goes).
        list.retain(|z| !kept.contains(z));
        let refill = (kept.len() as u64).min(end - next);
        list.extend(next..next + refill);
        next += refill;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Domain, Plan, PruneConfig};
    use faer::Mat;
    use logprune_network::{Activation, Network};
    use std::collections::BTreeSet;

    #[test]
    fn diagonals_cover_every_weight_once() {
        for (n_in, n_out) in [(3, 5), (5, 3), (4, 4), (1, 6), (6, 1)] {
            let big = n_in.max(n_out);
            let small = n_in.min(n_out);
            let mut seen = BTreeSet::new();
            for j in 0..big {
                let (mut ins, mut outs) = (BTreeSet::new(), BTreeSet::new());
                for d in 0..small {
                    let (a, b) = diagonal(n_in, n_out, j, d);
                    assert!(a < n_out && b < n_in);
                    assert!(ins.insert(b) && outs.insert(a), "window {j} revisits");
                    assert!(seen.insert((a, b)), "({a}, {b}) twice");
                }
            }
            assert_eq!(seen.len(), n_in * n_out);
        }
        // By hand: 2 inputs, 3 outputs, window 2: d = 0 → (out 2, in 0), d = 1 → (out 0, in 1).
        assert_eq!(diagonal(2, 3, 2, 0), (2, 0));
        assert_eq!(diagonal(2, 3, 2, 1), (0, 1));
        // 3 inputs, 2 outputs (exchanged): window 2: d = 0 → (out 0, in 2), d = 1 → (1, 0).
        assert_eq!(diagonal(3, 2, 2, 0), (0, 2));
        assert_eq!(diagonal(3, 2, 2, 1), (1, 0));
        assert_eq!(geometry(3, 5, 100, 7), Some((5, 3, 142)));
    }

    fn target(n_in: usize, n_out: usize) -> Network {
        let w = Mat::from_fn(n_out, n_in, |a, b| {
            (((a * 7 + b * 3) % 11) as f64 - 5.0) / 12.0
        });
        Network::from_weights(vec![w], &[Activation::Identity]).unwrap()
    }

    /// Runs every window of the single layer with a trace.
    fn traced(f: &Network, config: &PruneConfig) -> (Plan, Vec<Vec<Consulted>>, Vec<RowResult>) {
        let domain = Domain::cube(f.input_width(), -1.0, 1.0).unwrap();
        let plan = Plan::new(f, &domain, config).unwrap();
        let g = plan.large_network().unwrap();
        let spec = plan.oracle_spec();
        let (n_in, n_out) = (f.input_width(), f.output_width());
        let big = n_in.max(n_out);
        let range = plan.intermediate_widths()[0] / big as u64;
        let schedule = GoldenRatio::new(spec.w_max)
            .unwrap()
            .schedule(spec.tolerance)
            .unwrap();
        let mut traces = Vec::new();
        let mut results = Vec::new();
        for j in 0..big {
            let mut s = new_solver(&spec, &schedule).unwrap();
            let mut tr = Vec::new();
            results.push(window(&g, &spec, &mut s, 0, j, range, Some(&mut tr)).unwrap());
            traces.push(tr);
        }
        (plan, traces, results)
    }

    #[test]
    fn spent_weights_are_never_consulted_again() {
        for (n_in, n_out) in [(3, 5), (5, 3)] {
            let f = target(n_in, n_out);
            let config = PruneConfig {
                construction: Construction::Recycling,
                ..PruneConfig::new(0.01)
            };
            let (plan, traces, results) = traced(&f, &config);
            let big = n_in.max(n_out) as u64;
            let range = plan.intermediate_widths()[0] / big;
            let mut kept_total = 0;
            for (j, (tr, r)) in traces.iter().zip(&results).enumerate() {
                assert!(r.failures.is_empty());
                let (mut ins, mut outs) = (BTreeSet::new(), BTreeSet::new());
                for &(z, b, a) in tr {
                    // Each neuron's input weight at b and output weight at a: at most once.
                    assert!(ins.insert((z, b)), "U[{z}, {b}] consulted twice");
                    assert!(outs.insert((z, a)), "V[{a}, {z}] consulted twice");
                    // Inside the window's own range.
                    assert_eq!(z / range, j as u64);
                }
                // Kept neurons serve the weight on the diagonal they were consulted for.
                for n in &r.neurons {
                    assert!(tr.contains(&(n.z, n.input, n.outputs[0].0)));
                }
                kept_total += r.neurons.len();
            }
            assert!(kept_total > 0);
        }
    }

    #[test]
    fn refills_are_appended_and_kept_neurons_leave() {
        // With a tiny window the refills are visible: after the first weight kept K neurons,
        // the second weight's scan offers the survivors first, then the refills in z order.
        let f = target(2, 2);
        let config = PruneConfig {
            construction: Construction::Recycling,
            solver: crate::SolverKind::BestFit,
            neurons_per_weight: Some(40),
            ..PruneConfig::new(0.5)
        };
        let (plan, traces, results) = traced(&f, &config);
        let range = plan.intermediate_widths()[0] / 2;
        for (j, (tr, r)) in traces.iter().zip(&results).enumerate() {
            let start = j as u64 * range;
            // Best fit consults the whole window at each step.
            let first: Vec<u64> = tr[..40].iter().map(|c| c.0).collect();
            assert_eq!(first, (start..start + 40).collect::<Vec<_>>());
            let kept_first: BTreeSet<u64> = r
                .neurons
                .iter()
                .filter(|n| n.input == 0)
                .map(|n| n.z)
                .collect();
            let second: Vec<u64> = tr[40..].iter().map(|c| c.0).collect();
            let mut expect: Vec<u64> = (start..start + 40)
                .filter(|z| !kept_first.contains(z))
                .collect();
            expect.extend(start + 40..start + 40 + kept_first.len() as u64);
            assert_eq!(second, expect);
        }
        // Exhaustion: a range of exactly m leaves no room for refills; the window shrinks.
        let large = plan.large_network().unwrap();
        let spec = OracleSpec {
            target: plan.network(),
            needs_minus: plan.needs_minus(),
            tolerance: plan.tolerance(),
            w_max: plan.w_max(),
            neurons_per_weight: 40,
            solver: config.solver,
        };
        let schedule = GoldenRatio::new(1.0).unwrap().schedule(0.1).unwrap();
        let mut s = new_solver(&spec, &schedule).unwrap();
        let mut tr = Vec::new();
        window(&large, &spec, &mut s, 0, 0, 40, Some(&mut tr)).unwrap();
        assert!(tr.iter().all(|c| c.0 < 40));
        assert!(tr.len() < 80, "the second step sees fewer than 40 neurons");
    }
}
