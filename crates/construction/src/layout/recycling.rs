//! The recycling layout: Algorithm 1 of Appendix D (sample recycling, Theorem 30).
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
//! window's order (below), through the kernel as every layout does ([`crate::kernel`]);
//! `K⁺ ∪ K⁻` leave the window (they are kept neurons of Ĝ); the other
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
//! The work items are the windows `(layer, j)`. `m` is Theorem 30's `⌈8k' ln(k'/δ_w)⌉` or
//! `--neurons-per-weight K`, times the width scale; `width_needed` is `n_big` times the
//! longest window-range prefix consulted.

use logprune_bounds::theorem30;

use crate::kernel::Kernel;
use crate::layout::{ItemOutput, Layout, Work, count_u64, scaled, target_weight, too_large};
use crate::oracle::OracleSpec;
use crate::source::{GeneratorSource, SortedNeurons};
use crate::{Construction, ConstructionError, LargeNetwork, PlanCore};

/// The recycling layout (see the [module documentation](self)).
#[derive(Clone, Debug, PartialEq)]
pub struct Recycling {
    m: u64,
    k: u64,
    theorem: Vec<u64>,
}

/// The window geometry of a layer with `n_in` inputs and `n_out` outputs, window `m` and `k`
/// golden-ratio intervals: `(n_big, n_small, R)` with `R = m + 2k·n_small`.
///
/// Returns `None` if `R` overflows `u64`.
pub fn geometry(n_in: usize, n_out: usize, m: u64, k: u64) -> Option<(u64, u64, u64)> {
    let (big, small) = (n_in.max(n_out) as u64, n_in.min(n_out) as u64);
    let r = k.checked_mul(2)?.checked_mul(small)?.checked_add(m)?;
    Some((big, small, r))
}

/// The target weight `(a, b)` (output, input) that window `j` handles at step `d` of a layer
/// with `n_in` inputs and `n_out` outputs (module docs).
#[inline]
pub fn diagonal(n_in: usize, n_out: usize, j: usize, d: usize) -> (usize, usize) {
    if n_out >= n_in {
        ((d + j) % n_out, d)
    } else {
        (d, (d + j) % n_in)
    }
}

/// The neurons a window consulted, as `(z, idx_in, idx_out)`.
type Trace = Vec<(u64, usize, usize)>;

impl Recycling {
    /// The layout of `plan`: the window `m` of Theorem 30 or `--neurons-per-weight`, scaled,
    /// and the refill allowance `k` ([`Plan::golden_ratio_steps`]).
    ///
    /// # Errors
    /// [`ConstructionError::TooLarge`] for a width beyond `u64`; a bound that cannot be
    /// computed.
    pub fn new(plan: &PlanCore) -> Result<Self, ConstructionError> {
        let c = plan.config();
        let n_star = plan.num_target_weights() as f64;
        let delta_w = theorem30::delta_w(c.delta, n_star)?;
        let base = match c.neurons_per_weight {
            Some(k) => k,
            None => {
                let m = theorem30::m(plan.k_prime(), delta_w)?;
                m.as_u64()
                    .ok_or_else(|| too_large("window m of Theorem 30", m.value()))?
            }
        };
        let m = scaled(base, c.width_scale)?;
        let theorem = plan
            .fans()
            .iter()
            .map(|p| {
                theorem30::m_i(plan.k_prime(), p[1] as u64, p[0] as u64, n_star, c.delta)
                    .map(count_u64)
            })
            .collect::<Result<_, _>>()?;
        Ok(Recycling {
            m,
            k: plan.golden_ratio_steps(),
            theorem,
        })
    }

    /// The window range `R` of layer `t` of `large` (`M_i / n_big`).
    fn range(large: &LargeNetwork, t: usize) -> u64 {
        let big = large.fan_in(t).max(large.fan_out(t)) as u64;
        large.intermediate_widths()[t] / big
    }

    /// Window `j` of layer `t` (module docs). With `trace`, every neuron consulted is
    /// recorded as `(z, idx_in, idx_out)` (tests).
    fn window(
        &self,
        large: &LargeNetwork,
        spec: &OracleSpec<'_>,
        kernel: &mut Kernel<'_>,
        (t, j): (usize, usize),
        out: &mut ItemOutput,
        mut trace: Option<&mut Trace>,
    ) -> Result<(), ConstructionError> {
        let (n_in, n_out) = (large.fan_in(t), large.fan_out(t));
        let n_small = n_in.min(n_out);
        debug_assert!(
            {
                // The diagonal never revisits an input or an output index within a window, so
                // no spent weight is consulted (Algorithm 1, lines 6-9 and 24-28).
                let (mut ins, mut outs) = (vec![false; n_in], vec![false; n_out]);
                (0..n_small).all(|d| {
                    let (a, b) = diagonal(n_in, n_out, j, d);
                    !std::mem::replace(&mut ins[b], true) && !std::mem::replace(&mut outs[a], true)
                })
            },
            "window {j}: the diagonal revisits an index"
        );
        let range = Self::range(large, t);
        let start = j as u64 * range;
        let end = start + range;
        let m = self.m.min(range);
        let mut list: Vec<u64> = (start..start + m).collect();
        let mut next = start + m;
        let mut longest = 0u64;
        for d in 0..n_small {
            let (a, b) = diagonal(n_in, n_out, j, d);
            let x = target_weight(spec, t, a, b);
            let mut source = GeneratorSource::new(large, t, a, b, SortedNeurons::new(&list));
            let outcome = kernel.decompose(&x, &mut source, false)?;
            if let Some(tr) = trace.as_deref_mut() {
                tr.extend(
                    list[..outcome.consulted as usize]
                        .iter()
                        .map(|&z| (z, b, a)),
                );
            }
            if let Some(z) = outcome.last {
                longest = longest.max(z - start + 1);
            }
            let kept = out.record(&x, &outcome, kernel.weights());
            if kept.is_empty() {
                continue;
            }
            // M = M \ (K⁺ ∪ K⁻), survivors in order; refill with |K⁺| + |K⁻| fresh neurons
            // (as far as the range goes).
            let refill = (kept.len() as u64).min(end - next);
            list.retain(|z| !kept.contains(z));
            list.extend(next..next + refill);
            next += refill;
        }
        out.width_needed = longest * n_in.max(n_out) as u64;
        Ok(())
    }
}

impl Layout for Recycling {
    fn construction(&self) -> Construction {
        Construction::Recycling
    }

    fn neurons_per_weight(&self) -> u64 {
        self.m
    }

    /// `M_i = n_big·R`, `R = m + 2k·n_small` ([`geometry`]).
    fn widths(&self, fans: &[[usize; 2]]) -> Result<Vec<u64>, ConstructionError> {
        fans.iter()
            .map(|p| {
                let (big, _, r) = geometry(p[0], p[1], self.m, self.k)
                    .ok_or_else(|| too_large("window range R = m + 2k n_small", f64::MAX))?;
                big.checked_mul(r).ok_or_else(|| {
                    too_large("intermediate width M_i = n_big R", big as f64 * r as f64)
                })
            })
            .collect()
    }

    fn widths_theorem(&self) -> &[u64] {
        &self.theorem
    }

    fn items(&self, large: &LargeNetwork, t: usize) -> usize {
        large.fan_in(t).max(large.fan_out(t))
    }

    fn run_item(
        &self,
        work: &Work<'_>,
        kernel: &mut Kernel<'_>,
        (t, j): (usize, usize),
        out: &mut ItemOutput,
    ) -> Result<(), ConstructionError> {
        let (large, spec, progress) = (work.large, work.spec, work.progress);
        self.window(large, spec, kernel, (t, j), out, None)?;
        progress.advance(large.fan_in(t).min(large.fan_out(t)) as u64);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::schedule;
    use crate::{Domain, Plan, PruneConfig, SolverKind};
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
    fn traced(f: &Network, config: &PruneConfig) -> (LargeNetwork, Vec<Trace>, Vec<ItemOutput>) {
        let domain = Domain::cube(f.input_width(), -1.0, 1.0).unwrap();
        let plan = Plan::new(f, &domain, config).unwrap();
        let layout = Recycling::new(&plan).unwrap();
        let g = plan.large_network(&layout).unwrap();
        let spec = plan.oracle_spec();
        let sched = schedule(&spec).unwrap();
        let big = f.input_width().max(f.output_width());
        let mut traces = Vec::new();
        let mut results = Vec::new();
        for j in 0..big {
            let mut k = Kernel::new(spec.solver, spec.tolerance, &sched, false).unwrap();
            let mut tr = Vec::new();
            let mut out = ItemOutput::default();
            layout
                .window(&g, &spec, &mut k, (0, j), &mut out, Some(&mut tr))
                .unwrap();
            traces.push(tr);
            results.push(out);
        }
        (g, traces, results)
    }

    #[test]
    fn spent_weights_are_never_consulted_again() {
        for (n_in, n_out) in [(3, 5), (5, 3)] {
            let f = target(n_in, n_out);
            let config = PruneConfig {
                construction: Construction::Recycling,
                ..PruneConfig::new(0.01)
            };
            let (g, traces, results) = traced(&f, &config);
            let range = Recycling::range(&g, 0);
            let mut kept_total = 0;
            for (j, (tr, r)) in traces.iter().zip(&results).enumerate() {
                assert!(r.failure.is_none());
                let (mut ins, mut outs) = (BTreeSet::new(), BTreeSet::new());
                for &(z, b, a) in tr {
                    // Each neuron's input weight at b and output weight at a: at most once.
                    assert!(ins.insert((z, b)), "U[{z}, {b}] consulted twice");
                    assert!(outs.insert((z, a)), "V[{a}, {z}] consulted twice");
                    // Inside the window's own range.
                    assert_eq!(z / range, j as u64);
                }
                // Kept neurons serve the weight on the diagonal they were consulted for.
                for e in &r.edges {
                    assert!(tr.contains(&(e.z, e.input as usize, e.output as usize)));
                }
                kept_total += r.edges.len();
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
            solver: SolverKind::BestFit,
            neurons_per_weight: Some(40),
            ..PruneConfig::new(0.5)
        };
        let (g, traces, results) = traced(&f, &config);
        let range = Recycling::range(&g, 0);
        for (j, (tr, r)) in traces.iter().zip(&results).enumerate() {
            let start = j as u64 * range;
            // Best fit consults the whole window at each step.
            let first: Vec<u64> = tr[..40].iter().map(|c| c.0).collect();
            assert_eq!(first, (start..start + 40).collect::<Vec<_>>());
            let kept_first: BTreeSet<u64> = r
                .edges
                .iter()
                .filter(|e| e.input == 0)
                .map(|e| e.z)
                .collect();
            let second: Vec<u64> = tr[40..].iter().map(|c| c.0).collect();
            let mut expect: Vec<u64> = (start..start + 40)
                .filter(|z| !kept_first.contains(z))
                .collect();
            expect.extend(start + 40..start + 40 + kept_first.len() as u64);
            assert_eq!(second, expect);
        }
        // Exhaustion: a range of exactly m leaves no room for refills; the window shrinks.
        let domain = Domain::cube(2, -1.0, 1.0).unwrap();
        let plan = Plan::new(&f, &domain, &config).unwrap();
        let layout = Recycling {
            m: 40,
            k: 0,
            theorem: Vec::new(),
        };
        let large = plan.large_network(&layout).unwrap();
        assert_eq!(large.intermediate_widths(), &[80]);
        let spec = plan.oracle_spec();
        let sched = schedule(&spec).unwrap();
        let mut k = Kernel::new(spec.solver, spec.tolerance, &sched, false).unwrap();
        let mut tr = Vec::new();
        let mut out = ItemOutput::default();
        layout
            .window(&large, &spec, &mut k, (0, 0), &mut out, Some(&mut tr))
            .unwrap();
        assert!(tr.iter().all(|c| c.0 < 40));
        assert!(tr.len() < 80, "the second step sees fewer than 40 neurons");
    }
}
