//! Candidate sources drawn from G's generator: the neurons of a set (a range, a sorted list,
//! the unused neurons of a pool) offered to the kernel in chunks, with their weights'
//! generator words drawn a chunk at a time.

use logprune_sampling::LogWeight;

use crate::kernel::{CandidateSource, Chunk};
use crate::{LargeNetwork, Law, Side};

/// A set of neurons of G enumerated in increasing `z`, a chunk at a time.
pub trait NeuronSet {
    /// The next at most `max` (1..=64) neurons as `(base, lanes)`: the neurons `base + k` for
    /// the set bits `k` of `lanes` (nonempty), all after the previous chunk's; `None` when the
    /// set is exhausted.
    fn next(&mut self, max: u32) -> Option<(u64, u64)>;
}

/// The low `n` bits (`n ≤ 64`).
#[inline(always)]
pub(crate) fn low_bits(n: u32) -> u64 {
    if n >= 64 { !0 } else { (1u64 << n) - 1 }
}

impl NeuronSet for core::ops::Range<u64> {
    fn next(&mut self, max: u32) -> Option<(u64, u64)> {
        if self.start >= self.end {
            return None;
        }
        let n = (self.end - self.start).min(u64::from(max)) as u32;
        let base = self.start;
        self.start += u64::from(n);
        Some((base, low_bits(n)))
    }
}

/// The neurons of a strictly increasing list.
#[derive(Clone, Debug)]
pub struct SortedNeurons<'a> {
    list: &'a [u64],
    pos: usize,
}

impl<'a> SortedNeurons<'a> {
    /// The neurons of `list` (strictly increasing).
    pub fn new(list: &'a [u64]) -> Self {
        debug_assert!(list.windows(2).all(|p| p[0] < p[1]));
        SortedNeurons { list, pos: 0 }
    }
}

impl NeuronSet for SortedNeurons<'_> {
    fn next(&mut self, max: u32) -> Option<(u64, u64)> {
        let &base = self.list.get(self.pos)?;
        let mut lanes = 0u64;
        let mut n = 0;
        while n < max
            && let Some(&z) = self.list.get(self.pos)
            && z - base < 64
        {
            lanes |= 1 << (z - base);
            self.pos += 1;
            n += 1;
        }
        Some((base, lanes))
    }
}

/// The candidates of target weight `(a, b)` of layer `t` among the neurons of `set`, their
/// weights drawn from G's generator a chunk at a time.
pub struct GeneratorSource<'g, N> {
    large: &'g LargeNetwork,
    t: usize,
    a: usize,
    b: usize,
    set: N,
    u_law: Law,
    v_law: Law,
    u_words: [u64; 64],
    v_words: [u64; 64],
}

impl<'g, N: NeuronSet> GeneratorSource<'g, N> {
    /// The source of target weight `(a, b)` of layer `t` over `set`.
    pub fn new(large: &'g LargeNetwork, t: usize, a: usize, b: usize, set: N) -> Self {
        GeneratorSource {
            large,
            t,
            a,
            b,
            set,
            u_law: *large.law(t, Side::Input),
            v_law: *large.law(t, Side::Output),
            u_words: [0; 64],
            v_words: [0; 64],
        }
    }

    /// The neuron set (to look at what is left).
    pub fn set(&self) -> &N {
        &self.set
    }
}

impl<N: NeuronSet> CandidateSource for GeneratorSource<'_, N> {
    #[inline]
    fn next_chunk(&mut self, max: u32) -> Option<Chunk> {
        let (base, lanes) = self.set.next(max)?;
        let span = 64 - lanes.leading_zeros();
        let (mut u_neg, mut v_neg) = (0u64, 0u64);
        if 2 * lanes.count_ones() >= span {
            // Dense lanes: the whole span at once, the generator's blocks computed together.
            let n = span as usize;
            self.large
                .u_words(self.t, self.b, base, &mut self.u_words[..n]);
            self.large
                .v_words(self.t, self.a, base, &mut self.v_words[..n]);
            for k in 0..n {
                u_neg |= (self.u_words[k] & 1) << k;
                v_neg |= (self.v_words[k] & 1) << k;
            }
        } else {
            let mut bits = lanes;
            while bits != 0 {
                let k = bits.trailing_zeros();
                bits &= bits - 1;
                let z = base + u64::from(k);
                let (uw, vw) = (
                    self.large.u_word(self.t, z, self.b),
                    self.large.v_word(self.t, self.a, z),
                );
                self.u_words[k as usize] = uw;
                self.v_words[k as usize] = vw;
                u_neg |= (uw & 1) << k;
                v_neg |= (vw & 1) << k;
            }
        }
        // The sign bit of a word is the sign of its weight.
        Some(Chunk {
            base,
            lanes,
            u_neg: u_neg & lanes,
            v_neg: v_neg & lanes,
        })
    }

    #[inline]
    fn log_product(&mut self, k: u32) -> LogWeight {
        self.v_law.sample_log_bits(self.v_words[k as usize])
            * self.u_law.sample_log_bits(self.u_words[k as usize])
    }

    #[inline]
    fn weights(&self, z: u64) -> (f64, f64) {
        (
            self.large.u(self.t, z, self.b),
            self.large.v(self.t, self.a, z),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(mut s: impl NeuronSet, max: u32) -> Vec<u64> {
        let mut out = Vec::new();
        let mut last = None;
        while let Some((base, lanes)) = s.next(max) {
            assert!(lanes != 0 && lanes.count_ones() <= max);
            for k in 0..64 {
                if lanes >> k & 1 == 1 {
                    let z = base + k;
                    assert!(last.is_none_or(|l| l < z));
                    last = Some(z);
                    out.push(z);
                }
            }
        }
        out
    }

    #[test]
    fn sets_enumerate_in_order() {
        assert_eq!(drain(3..200u64, 16), (3..200).collect::<Vec<_>>());
        assert_eq!(drain(5..5u64, 16), Vec::<u64>::new());
        let list = [0u64, 1, 63, 64, 65, 200, 1000, 1063, 1064];
        for max in [1, 2, 16, 64] {
            assert_eq!(drain(SortedNeurons::new(&list), max), list);
        }
    }
}
