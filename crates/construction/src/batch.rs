//! The batch construction: Theorem 3 with batch sampling, with an honest assignment.
//!
//! Layer `i` of G is one pool of `M_i` neurons (Theorem 3's `M_i`, or as configured). Every
//! neuron may serve at most one target weight (and one half of it). Step 2' of the proof
//! counts each neuron as one sample of every `(target weight, half, interval)` category, but
//! a neuron's product `V[a,z]·U[z,b]` depends on the pair `(a, b)` it serves (DESIGN.md,
//! loose spots), so the theorem does not say how to assign neurons. We assign them greedily,
//! first fit:
//!
//! - the target weights in row-major order `(a, b)`; for each, both needed halves are
//!   decomposed in one scan of the pool's still-unused neurons in increasing `z` (a neuron
//!   with `U[z,b] > 0` is offered to `ŵ⁺`, one with `U[z,b] < 0` to `ŵ⁻`; since these classes
//!   are disjoint, this is the same as running `ŵ⁺` and then `ŵ⁻` on the pool), consulting
//!   `V[a,z]·U[z,b]`; the golden-ratio stream takes the first unused neuron in each interval
//!   it needs and the scan stops when every needed half is complete;
//! - the kept neurons become used; nothing else does (a neuron that was only looked at stays
//!   available to later target weights, which consult its other input and output weights).
//!
//! The pool is scanned through a bitset of used neurons, skipping 64 used neurons per word,
//! so the cost of a target weight is about the number of unused neurons it consults.
//! A layer is inherently sequential (a neuron taken by one weight is unavailable to the
//! next); layers run in parallel with rayon, collected in order, so Ĝ is bit-identical for
//! any number of threads (invariant 2).
//!
//! Per layer, [`crate::oracle::LayerStats`] records the failed halves (`empty_slots`: with the
//! golden-ratio solver, a needed interval that no unused neuron of the pool filled), the failed
//! target weights, and `width_needed`: one past the last pool neuron consulted (first fit
//! never looked further, so G's first `width_needed` neurons contain Ĝ and everything the
//! assignment consulted).

use logprune_decomposition::{Decomposition, GoldenRatio, Solver};
use rayon::prelude::*;

use crate::oracle::{
    ClassCandidates, OracleOutput, OracleSpec, RowResult, RowSolver, assemble, check_shapes,
    decompose_over, new_solver, solve_classes,
};
use crate::{Construction, ConstructionError, LargeNetwork, Progress};

/// The used neurons of a pool, one bit each.
pub(crate) struct Pool {
    used: Vec<u64>,
    len: u64,
}

impl Pool {
    /// A pool of `len` unused neurons.
    pub(crate) fn new(len: u64) -> Self {
        Pool {
            used: vec![0; len.div_ceil(64) as usize],
            len,
        }
    }

    /// Marks `z` used; returns whether it was unused.
    pub(crate) fn take(&mut self, z: u64) -> bool {
        let (w, bit) = ((z / 64) as usize, 1u64 << (z % 64));
        let was = self.used[w] & bit == 0;
        self.used[w] |= bit;
        was
    }

    /// The unused neurons in increasing order.
    pub(crate) fn unused(&self) -> impl Iterator<Item = u64> + '_ {
        let len = self.len;
        self.used.iter().enumerate().flat_map(move |(w, &word)| {
            let mut free = !word;
            let base = w as u64 * 64;
            std::iter::from_fn(move || {
                if free == 0 {
                    return None;
                }
                let z = base + u64::from(free.trailing_zeros());
                free &= free - 1;
                Some(z)
            })
            .take_while(move |&z| z < len)
        })
    }
}

/// Runs the batch construction (Theorem 3 with batch sampling and a first-fit assignment, see
/// the [module documentation](crate::batch)) on G, whose layer `t` is a pool of any size
/// `M_i ≥ 1`.
///
/// Returns Ĝ (kept neurons in G's order), the products consulted (unused neurons looked at,
/// summed over target weights), and per layer the stats of [`crate::oracle::LayerStats`].
/// `progress.advance(n_{i-1})` is called after each row of target weights.
///
/// # Example
/// ```
/// use faer::mat;
/// use logprune_construction::oracle::batch;
/// use logprune_construction::{Construction, Domain, NoProgress, Plan, PruneConfig};
/// use logprune_network::{Activation, Network};
///
/// let f = Network::from_weights(vec![mat![[0.5, -0.25], [0.0, 0.75]]], &[Activation::Identity])?;
/// let config = PruneConfig { construction: Construction::Batch, ..PruneConfig::new(0.01) };
/// let plan = Plan::new(&f, &Domain::cube(2, -1.0, 1.0)?, &config)?;
/// let g = plan.large_network()?;
/// // Theorem 3's M_1 = ⌈16k'(n_1 n_0 + ln(2ℓk'/δ))⌉.
/// let kp = plan.k_prime();
/// let m1 = (16.0 * kp * (4.0 + (2.0 * kp / 0.01f64).ln())).ceil() as u64;
/// assert!(g.intermediate_widths()[0].abs_diff(m1) <= 1);
/// let spec = plan.oracle_spec();
/// let out = batch(&g, &spec, &NoProgress)?;
/// let (plus, minus) = &out.pruned.virtual_matrices()[0];
/// for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
///     let w = f.layers()[0].weight()[(a, b)];
///     assert!((w - plus[(a, b)]).abs() <= plan.tolerance());
///     assert!((w - minus[(a, b)]).abs() <= plan.tolerance());
/// }
/// // First fit looked at only a prefix of the pool.
/// assert!(out.layers[0].width_needed < g.intermediate_widths()[0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`ConstructionError::Undecomposable`] counting the target weights with a half that could
/// not be decomposed from the unused neurons; [`ConstructionError::LayerCount`] if G does not
/// match the target or a pool is empty; [`ConstructionError::TooManyCandidates`] (exact
/// solver); a solver error.
pub fn batch(
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    progress: &dyn Progress,
) -> Result<OracleOutput, ConstructionError> {
    let ell = spec.target.depth();
    let expected: Vec<u64> = large
        .intermediate_widths()
        .iter()
        .map(|&m| m.max(1))
        .collect();
    check_shapes(large, spec, &expected)?;
    let schedule = GoldenRatio::new(spec.w_max)?.schedule(spec.tolerance)?;
    let results: Vec<Result<RowResult, ConstructionError>> = (0..ell)
        .into_par_iter()
        .map(|t| layer(large, spec, &schedule, t, progress))
        .collect();
    let items = results
        .into_iter()
        .enumerate()
        .map(|(t, r)| r.map(|r| (t, r)))
        .collect::<Result<Vec<_>, _>>()?;
    assemble(spec, Construction::Batch, items)
}

/// The first-fit assignment of layer `t` (module docs).
fn layer(
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    schedule: &logprune_decomposition::GoldenRatioSchedule,
    t: usize,
    progress: &dyn Progress,
) -> Result<RowResult, ConstructionError> {
    let mut solver = new_solver(spec, schedule)?;
    if let RowSolver::List(s) = &solver {
        let alpha = large.distribution().alpha();
        // |V·U| ≥ fl(α²) > 0, so the sign of every product is the XOR of its factors' signs.
        if alpha * alpha > 0.0 {
            return layer_list(large, spec, s.as_ref(), t, progress);
        }
    }
    layer_scan(large, spec, &mut solver, t, progress)
}

/// The first-fit assignment of layer `t` by [`decompose_over`] on the pool's unused neurons
/// (any solver).
fn layer_scan(
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    solver: &mut RowSolver<'_>,
    t: usize,
    progress: &dyn Progress,
) -> Result<RowResult, ConstructionError> {
    let (n_in, n_out) = (large.widths()[t], large.widths()[t + 1]);
    let mut pool = Pool::new(large.intermediate_widths()[t]);
    let mut out = RowResult::new();
    for a in 0..n_out {
        for b in 0..n_in {
            let (halves, last) = decompose_over(
                large,
                spec,
                solver,
                (t, a, b),
                pool.unused(),
                &mut out.consulted,
            )?;
            if let Some(z) = last {
                out.width_needed = out.width_needed.max(z + 1);
            }
            for z in out.record(large, t, a, b, halves) {
                let fresh = pool.take(z);
                debug_assert!(fresh, "neuron {z} used by two target weights");
            }
        }
        progress.advance(n_in as u64);
    }
    Ok(out)
}

/// The most values `U[z, b]` of a layer that [`layer_list`] keeps in memory (256 MiB).
const U_CACHE_MAX: u64 = 1 << 25;

/// The bits of `neg(z)` for `z < len`, 64 neurons per word (bit `z % 64` of word `z / 64`).
fn sign_bits(len: u64, neg: impl Fn(u64) -> bool) -> Vec<u64> {
    let mut bits = vec![0u64; len.div_ceil(64) as usize];
    for z in 0..len {
        if neg(z) {
            bits[(z / 64) as usize] |= 1 << (z % 64);
        }
    }
    bits
}

/// The first-fit assignment of layer `t` with a list solver (module docs), computing the same
/// candidates as [`decompose_over`] with less work: the signs of `U[·, b]` (bit 0 of the
/// generator word, no `exp`) once per layer and `V[a, ·]` once per row, so that the class and
/// the product's sign of 64 pool neurons are decided by word operations on the bitsets; the
/// values `U[·, b]` are drawn once per layer when at most [`U_CACHE_MAX`] (else `U[z, b]` is
/// drawn only for the neurons of a needed class whose product has `w*`'s sign).
/// The values `V[a,z]·U[z,b]` are the same `f64` products, in the same `z` order. Requires
/// `fl(α²) > 0` (no product rounds to zero, so its sign is the XOR of its factors' signs).
fn layer_list(
    large: &LargeNetwork,
    spec: &OracleSpec<'_>,
    solver: &dyn Solver,
    t: usize,
    progress: &dyn Progress,
) -> Result<RowResult, ConstructionError> {
    let (n_in, n_out) = (large.widths()[t], large.widths()[t + 1]);
    let len = large.intermediate_widths()[t];
    let mut pool = Pool::new(len);
    // The neurons z < len of each word.
    let valid = |k: usize| {
        let rest = len - 64 * k as u64;
        if rest >= 64 {
            !0u64
        } else {
            (1u64 << rest) - 1
        }
    };
    // U[·, b] for every column, if it fits in U_CACHE_MAX values (drawn once per layer
    // instead of once per candidate); else drawn per candidate.
    let u_cache: Option<Vec<Vec<f64>>> =
        (len.saturating_mul(n_in as u64) <= U_CACHE_MAX).then(|| {
            (0..n_in)
                .map(|b| (0..len).map(|z| large.u(t, z, b)).collect())
                .collect()
        });
    let u_neg: Vec<Vec<u64>> = (0..n_in)
        .map(|b| match &u_cache {
            // U ≠ 0 (|U| ≥ α), so `U < 0` is its sign bit.
            Some(cols) => sign_bits(len, |z| cols[b][z as usize] < 0.0),
            None => sign_bits(len, |z| large.u_log(t, z, b).negative),
        })
        .collect();
    let weights = spec.target.layers()[t].weight();
    let mut v_row = vec![0.0f64; len as usize];
    let mut cands: ClassCandidates = Default::default();
    let mut out = RowResult::new();
    for a in 0..n_out {
        for (z, v) in v_row.iter_mut().enumerate() {
            *v = large.v(t, a, z as u64);
        }
        // V ≠ 0 (|V| ≥ α), so `V < 0` is its sign bit.
        let v_neg = sign_bits(len, |z| v_row[z as usize] < 0.0);
        for b in 0..n_in {
            let w = weights[(a, b)];
            if w == 0.0 {
                // ŵ = 0 exactly, nothing to consult (as `decompose_over`).
                let empty = [Ok(Decomposition::empty(0.0)), Ok(Decomposition::empty(0.0))];
                let kept = out.record(large, t, a, b, empty);
                debug_assert!(kept.is_empty());
                continue;
            }
            let need_minus = spec.needs_minus[t][b];
            let w_neg = if w < 0.0 { !0u64 } else { 0 };
            for c in &mut cands {
                c.0.clear();
                c.1.clear();
            }
            let mut last = None;
            let u_col = u_cache.as_ref().map(|cols| cols[b].as_slice());
            for (k, &used) in pool.used.iter().enumerate() {
                let free = !used & valid(k);
                if free == 0 {
                    continue;
                }
                let base = 64 * k as u64;
                out.consulted += u64::from(free.count_ones());
                last = Some(base + 63 - u64::from(free.leading_zeros()));
                let un = u_neg[b][k];
                // Neurons whose product V·U has w*'s sign.
                let fits = !(un ^ v_neg[k] ^ w_neg);
                let plus = free & !un & fits;
                let minus = if need_minus { free & un & fits } else { 0 };
                for (class, mut bits) in [(0, plus), (1, minus)] {
                    while bits != 0 {
                        let z = base + u64::from(bits.trailing_zeros());
                        bits &= bits - 1;
                        let u = match u_col {
                            Some(col) => col[z as usize],
                            None => large.u(t, z, b),
                        };
                        let p = v_row[z as usize] * u;
                        debug_assert_eq!(p < 0.0, w < 0.0);
                        cands[class].0.push(p);
                        cands[class].1.push(z);
                    }
                }
            }
            if let Some(z) = last {
                out.width_needed = out.width_needed.max(z + 1);
            }
            let halves = solve_classes(spec, solver, (t, a, b), &cands)?;
            for z in out.record(large, t, a, b, halves) {
                let fresh = pool.take(z);
                debug_assert!(fresh, "neuron {z} used by two target weights");
            }
        }
        progress.advance(n_in as u64);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Domain, NoProgress, Plan, PruneConfig, SolverKind};
    use faer::mat;
    use logprune_decomposition::BestFit;
    use logprune_network::{Activation, Network};

    /// The bitset path of the list solvers gives exactly the per-neuron scan's result: the
    /// same kept neurons and weights, products consulted, widths and failures, on every layer.
    #[test]
    fn list_path_matches_the_scan() {
        let f = Network::from_weights(
            vec![
                mat![[0.5, -0.25, 0.0], [0.3, 0.75, -0.6], [-0.9, 0.1, 0.45]],
                mat![[0.2, -0.7, 0.35], [-0.05, 0.6, 0.8]],
            ],
            &[Activation::Relu, Activation::Identity],
        )
        .unwrap();
        for (eps, solver) in [(0.05, SolverKind::BestFit), (0.001, SolverKind::BestFit)] {
            let config = PruneConfig {
                construction: Construction::Batch,
                solver,
                ..PruneConfig::new(eps)
            };
            let plan = Plan::new(&f, &Domain::cube(3, -1.0, 1.0).unwrap(), &config).unwrap();
            let g = plan.large_network().unwrap();
            let spec = plan.oracle_spec();
            for t in 0..2 {
                let fast = layer_list(&g, &spec, &BestFit, t, &NoProgress).unwrap();
                let mut scan_solver = RowSolver::List(Box::new(BestFit));
                let scan = layer_scan(&g, &spec, &mut scan_solver, t, &NoProgress).unwrap();
                assert!(!fast.neurons.is_empty());
                assert_eq!(fast.neurons, scan.neurons, "eps {eps}, layer {t}");
                assert_eq!(fast.consulted, scan.consulted);
                assert!(fast.consulted > g.intermediate_widths()[t]);
                assert_eq!(fast.width_needed, scan.width_needed);
                assert_eq!(
                    (fast.failed_weights, fast.failed_halves, fast.failures.len()),
                    (scan.failed_weights, scan.failed_halves, scan.failures.len())
                );
            }
        }
    }

    #[test]
    fn pool_skips_used_neurons() {
        let mut p = Pool::new(130);
        assert_eq!(p.unused().count(), 130);
        for z in (0..64).chain([65, 127, 129]) {
            assert!(p.take(z));
        }
        assert!(!p.take(65), "taken twice");
        let free: Vec<u64> = p.unused().collect();
        let expect: Vec<u64> = (64..130).filter(|z| ![65, 127, 129].contains(z)).collect();
        assert_eq!(free, expect);
        assert_eq!(Pool::new(0).unused().count(), 0);
    }
}
