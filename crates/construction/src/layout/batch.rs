//! The batch layout: Theorem 3 with batch sampling, with an honest assignment.
//!
//! Layer `i` of G is one pool of `M_i` neurons (Theorem 3's `M_i`, or as configured). Every
//! neuron may serve at most one target weight (and one half of it). Step 2' of the proof
//! counts each neuron as one sample of every `(target weight, half, interval)` category, but
//! a neuron's product `V[a,z]·U[z,b]` depends on the pair `(a, b)` it serves (README,
//! "Where the paper is loose"), so the theorem does not say how to assign neurons. We assign them greedily,
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
//! next): its one work item is the whole layer. With a list solver the candidate source keeps
//! the signs of `U[·, b]` (per layer) and `V[a, ·]` (per row) as bitsets and their values in
//! caches, so 64 pool neurons are classified by a few word operations.
//!
//! Per layer, [`crate::oracle::LayerStats`] records the failed halves (`empty_slots`: with the
//! golden-ratio solver, a needed interval that no unused neuron of the pool filled), the failed
//! target weights, and `width_needed`: one past the last pool neuron consulted (first fit
//! never looked further, so G's first `width_needed` neurons contain Ĝ and everything the
//! assignment consulted).

use logprune_bounds::theorem3;

use crate::kernel::{CandidateSource, Chunk, Kernel};
use crate::layout::{ItemOutput, Layout, Work, count_u64, scaled, target_weight, too_large};
use crate::source::{GeneratorSource, NeuronSet, low_bits};
use crate::{Construction, ConstructionError, LargeNetwork, PlanCore, SolverKind};
use logprune_sampling::LogWeight;

/// The batch layout (see the [module documentation](self)).
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pools: Vec<u64>,
    per_weight: u64,
    theorem: Vec<u64>,
}

impl Batch {
    /// The layout of `plan`: per layer Theorem 3's pool `M_i = ⌈16k'(n_i n_{i-1} +
    /// ln(2ℓk'/δ))⌉`, or `K n_i n_{i-1}` with `--neurons-per-weight K`, scaled.
    ///
    /// # Errors
    /// [`ConstructionError::TooLarge`] for a pool beyond `u64`; a bound that cannot be
    /// computed.
    pub fn new(plan: &PlanCore) -> Result<Self, ConstructionError> {
        let c = plan.config();
        let ell = plan.fans().len();
        let (mut pools, mut theorem) = (Vec::with_capacity(ell), Vec::with_capacity(ell));
        let mut per_weight = 1u64;
        for p in plan.fans() {
            let (n_in, n_out) = (p[0] as u64, p[1] as u64);
            let th = theorem3::m_i(plan.k_prime(), n_out, n_in, ell, c.delta)?;
            let base = match c.neurons_per_weight {
                Some(k) => k.checked_mul(n_in * n_out).ok_or_else(|| {
                    too_large("pool K n_i n_{i-1}", k as f64 * (n_in * n_out) as f64)
                })?,
                None => th
                    .as_u64()
                    .ok_or_else(|| too_large("pool M_i of Theorem 3", th.value()))?,
            };
            let pool = scaled(base, c.width_scale)?;
            per_weight = per_weight.max(pool.div_ceil(n_in * n_out));
            pools.push(pool);
            theorem.push(count_u64(th));
        }
        Ok(Batch {
            pools,
            per_weight,
            theorem,
        })
    }
}

impl Layout for Batch {
    fn construction(&self) -> Construction {
        Construction::Batch
    }

    /// `max_i ⌈M_i/(n_i n_{i-1})⌉`, the pool per target weight.
    fn neurons_per_weight(&self) -> u64 {
        self.per_weight
    }

    /// The pools.
    fn widths(&self, fans: &[[usize; 2]]) -> Result<Vec<u64>, ConstructionError> {
        debug_assert_eq!(fans.len(), self.pools.len());
        Ok(self.pools.clone())
    }

    fn widths_theorem(&self) -> &[u64] {
        &self.theorem
    }

    fn items(&self, _large: &LargeNetwork, _t: usize) -> usize {
        1
    }

    fn run_item(
        &self,
        work: &Work<'_>,
        kernel: &mut Kernel<'_>,
        (t, _item): (usize, usize),
        out: &mut ItemOutput,
    ) -> Result<(), ConstructionError> {
        let (large, spec, progress) = (work.large, work.spec, work.progress);
        let (n_in, n_out) = (large.fan_in(t), large.fan_out(t));
        let len = large.intermediate_widths()[t];
        let mut pool = Pool::new(len);
        let cache = (spec.solver != SolverKind::GoldenRatio).then(|| Cache::new(large, t));
        let mut v_row = Vec::new();
        let mut v_neg = Vec::new();
        let mut last_seen = 0u64;
        for a in 0..n_out {
            if let Some(c) = &cache {
                c.row(large, t, a, &mut v_row, &mut v_neg);
            }
            for b in 0..n_in {
                let x = target_weight(spec, t, a, b);
                let (outcome, kept) = match &cache {
                    None => {
                        let mut s = GeneratorSource::new(large, t, a, b, pool.unused());
                        let o = kernel.decompose(&x, &mut s, false)?;
                        let kept = out.record(&x, &o, kernel.weights()).to_vec();
                        (o, kept)
                    }
                    Some(c) => {
                        let mut s = CachedSource {
                            large,
                            t,
                            b,
                            set: pool.unused(),
                            u_col: c.u_col(b),
                            u_neg: &c.u_neg[b],
                            v_row: &v_row,
                            v_neg: &v_neg,
                        };
                        let o = kernel.decompose(&x, &mut s, false)?;
                        let kept = out.record(&x, &o, kernel.weights()).to_vec();
                        (o, kept)
                    }
                };
                if let Some(z) = outcome.last {
                    last_seen = last_seen.max(z + 1);
                }
                for z in kept {
                    let fresh = pool.take(z);
                    debug_assert!(fresh, "neuron {z} used by two target weights");
                }
            }
            progress.advance(n_in as u64);
        }
        out.width_needed = last_seen;
        Ok(())
    }
}

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
    pub(crate) fn unused(&self) -> Unused<'_> {
        Unused {
            pool: self,
            word: 0,
            pending: None,
        }
    }
}

/// The unused neurons of a [`Pool`], a word at a time.
pub(crate) struct Unused<'p> {
    pool: &'p Pool,
    word: usize,
    /// The free bits of the current word not yet offered.
    pending: Option<u64>,
}

impl NeuronSet for Unused<'_> {
    fn next(&mut self, max: u32) -> Option<(u64, u64)> {
        loop {
            let free = match self.pending.take() {
                Some(f) => f,
                None => {
                    let &used = self.pool.used.get(self.word)?;
                    let rest = self.pool.len - 64 * self.word as u64;
                    !used & low_bits(rest.min(64) as u32)
                }
            };
            let base = 64 * self.word as u64;
            if free == 0 {
                self.word += 1;
                continue;
            }
            if free.count_ones() <= max {
                self.word += 1;
                return Some((base, free));
            }
            // The lowest `max` free bits now, the rest next time.
            let mut take = 0u64;
            let mut f = free;
            for _ in 0..max {
                let low = f & f.wrapping_neg();
                take |= low;
                f &= f - 1;
            }
            self.pending = Some(f);
            return Some((base, take));
        }
    }
}

/// The most values `U[z, b]` of a layer that the list solvers' cache keeps (256 MiB).
const U_CACHE_MAX: u64 = 1 << 25;

/// The sign bits of `neg(z)` for `z < len`, 64 neurons per word (bit `z % 64` of word `z / 64`).
fn sign_bits(len: u64, neg: impl Fn(u64) -> bool) -> Vec<u64> {
    let mut bits = vec![0u64; len.div_ceil(64) as usize];
    for z in 0..len {
        if neg(z) {
            bits[(z / 64) as usize] |= 1 << (z % 64);
        }
    }
    bits
}

/// Per layer: the values `U[·, b]` of every column (if at most [`U_CACHE_MAX`]) and their
/// sign bits.
struct Cache {
    u: Option<Vec<Vec<f64>>>,
    u_neg: Vec<Vec<u64>>,
}

impl Cache {
    fn new(large: &LargeNetwork, t: usize) -> Self {
        let (n_in, len) = (large.fan_in(t), large.intermediate_widths()[t]);
        let u: Option<Vec<Vec<f64>>> =
            (len.saturating_mul(n_in as u64) <= U_CACHE_MAX).then(|| {
                (0..n_in)
                    .map(|b| (0..len).map(|z| large.u(t, z, b)).collect())
                    .collect()
            });
        // The sign bit of a word is the sign of its weight.
        let u_neg = (0..n_in)
            .map(|b| sign_bits(len, |z| large.u_word(t, z, b) & 1 == 1))
            .collect();
        Cache { u, u_neg }
    }

    fn u_col(&self, b: usize) -> Option<&[f64]> {
        self.u.as_ref().map(|cols| cols[b].as_slice())
    }

    /// `V[a, ·]` of row `a` and its sign bits.
    fn row(&self, large: &LargeNetwork, t: usize, a: usize, v: &mut Vec<f64>, neg: &mut Vec<u64>) {
        let len = large.intermediate_widths()[t];
        v.clear();
        v.extend((0..len).map(|z| large.v(t, a, z)));
        *neg = sign_bits(len, |z| large.v_word(t, a, z) & 1 == 1);
    }
}

/// The list solvers' candidate source: the pool's unused neurons with signs from the
/// bitsets and values from the caches.
struct CachedSource<'c> {
    large: &'c LargeNetwork,
    t: usize,
    b: usize,
    set: Unused<'c>,
    u_col: Option<&'c [f64]>,
    u_neg: &'c [u64],
    v_row: &'c [f64],
    v_neg: &'c [u64],
}

impl CandidateSource for CachedSource<'_> {
    fn next_chunk(&mut self, max: u32) -> Option<Chunk> {
        let (base, lanes) = self.set.next(max)?;
        let w = (base / 64) as usize;
        Some(Chunk {
            base,
            lanes,
            u_neg: self.u_neg[w],
            v_neg: self.v_neg[w],
        })
    }

    fn log_product(&mut self, _k: u32) -> LogWeight {
        // Only the golden-ratio streams ask, and they use the generator source.
        unreachable!("the cached source serves list solvers only")
    }

    fn weights(&self, z: u64) -> (f64, f64) {
        let u = match self.u_col {
            Some(col) => col[z as usize],
            None => self.large.u(self.t, z, self.b),
        };
        (u, self.v_row[z as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_skips_used_neurons() {
        let mut p = Pool::new(130);
        let all = |p: &Pool, max: u32| {
            let mut u = p.unused();
            let mut out = Vec::new();
            while let Some((base, lanes)) = u.next(max) {
                assert!(lanes.count_ones() <= max);
                out.extend((0..64).filter(|k| lanes >> k & 1 == 1).map(|k| base + k));
            }
            out
        };
        assert_eq!(all(&p, 64).len(), 130);
        for z in (0..64).chain([65, 127, 129]) {
            assert!(p.take(z));
        }
        assert!(!p.take(65), "taken twice");
        let expect: Vec<u64> = (64..130).filter(|z| ![65, 127, 129].contains(z)).collect();
        for max in [1, 5, 16, 64] {
            assert_eq!(all(&p, max), expect);
        }
        assert_eq!(all(&Pool::new(0), 64).len(), 0);
    }
}
