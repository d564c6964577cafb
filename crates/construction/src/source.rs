//! Candidate sources drawn from G's generator: the neurons of a set (a range, a sorted list,
//! the unused neurons of a pool) offered to the kernel in chunks, with their weights'
//! generator words drawn a chunk at a time.

use logprune_sampling::{LogWeight, SignedHyperbolic};

use crate::kernel::{CandidateSource, Chunk, log_products_by_lane};
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

/// The candidates of target weight `(a, b)` of layer `t` among a range of consecutive neurons
/// (a per-weight or shared-input block): the words of both weights are drawn 64 neurons at a
/// time in one batch ([`LargeNetwork::pair_words`]), kept for the weight's later lookups, and
/// offered in chunks of at most the size the kernel asks for. Reuse one source for the target
/// weights of a work item ([`RangeSource::reset`]).
pub struct RangeSource<'g> {
    large: &'g LargeNetwork,
    t: usize,
    a: usize,
    b: usize,
    start: u64,
    end: u64,
    u_law: Law,
    v_law: Law,
    /// The words drawn so far, of neurons `start..start + len` (the vectors only grow, so
    /// that a reset costs nothing).
    u_words: Vec<u64>,
    v_words: Vec<u64>,
    len: usize,
    /// Sign bits of the last 64-neuron batch (bit `k`: neuron `batch + k`).
    batch: u64,
    u_neg: u64,
    v_neg: u64,
    /// The next neuron to offer, and the first of the last chunk.
    pos: u64,
    chunk: u64,
}

impl<'g> RangeSource<'g> {
    /// The source of target weight `(a, b)` of layer `t` over the neurons `range`.
    pub fn new(
        large: &'g LargeNetwork,
        t: usize,
        (a, b): (usize, usize),
        range: core::ops::Range<u64>,
    ) -> Self {
        let mut s = RangeSource {
            large,
            t,
            a,
            b,
            start: 0,
            end: 0,
            u_law: *large.law(t, Side::Input),
            v_law: *large.law(t, Side::Output),
            u_words: Vec::new(),
            v_words: Vec::new(),
            len: 0,
            batch: 0,
            u_neg: 0,
            v_neg: 0,
            pos: 0,
            chunk: 0,
        };
        s.reset((a, b), range);
        s
    }

    /// Starts over with target weight `(a, b)` of the same layer and the neurons `range`,
    /// keeping the buffers.
    pub fn reset(&mut self, (a, b): (usize, usize), range: core::ops::Range<u64>) {
        (self.a, self.b) = (a, b);
        self.start = range.start;
        self.end = range.end.max(range.start);
        self.len = 0;
        self.pos = range.start;
        self.batch = range.start;
        (self.u_neg, self.v_neg) = (0, 0);
    }

    /// Draws the next batch of up to 64 neurons.
    fn refill(&mut self) {
        let len = self.len;
        let first = self.start + len as u64;
        let n = (self.end - first).min(64) as usize;
        if self.u_words.len() < len + n {
            self.u_words.resize(len + 64, 0);
            self.v_words.resize(len + 64, 0);
        }
        let (u, v) = (
            &mut self.u_words[len..len + n],
            &mut self.v_words[len..len + n],
        );
        let (u_neg, v_neg) = self.large.pair_words(self.t, (self.a, self.b), first, u, v);
        (self.batch, self.u_neg, self.v_neg) = (first, u_neg, v_neg);
        self.len = len + n;
    }
}

impl CandidateSource for RangeSource<'_> {
    #[inline]
    fn next_chunk(&mut self, max: u32) -> Option<Chunk> {
        if self.pos >= self.end {
            return None;
        }
        if self.pos == self.start + self.len as u64 {
            self.refill();
        }
        let drawn = self.start + self.len as u64;
        let len = (drawn - self.pos).min(u64::from(max.clamp(1, 64))) as u32;
        let off = self.pos - self.batch;
        self.chunk = self.pos;
        self.pos += u64::from(len);
        let lanes = low_bits(len);
        // The sign bit of a word is the sign of its weight.
        Some(Chunk {
            base: self.chunk,
            lanes,
            u_neg: (self.u_neg >> off) & lanes,
            v_neg: (self.v_neg >> off) & lanes,
        })
    }

    #[inline]
    fn log_product(&mut self, k: u32) -> LogWeight {
        let j = (self.chunk - self.start) as usize + k as usize;
        self.v_law.sample_log_bits(self.v_words[j]) * self.u_law.sample_log_bits(self.u_words[j])
    }

    #[inline]
    fn log_products(&mut self, lanes: u64, ln: &mut [f64; 64]) -> u64 {
        let (Law::Hyperbolic(hu), Law::Hyperbolic(hv)) = (self.u_law, self.v_law) else {
            return log_products_by_lane(self, lanes, ln);
        };
        // Every lane up to the last one asked for, at once: the same sums as `log_product`.
        let j = (self.chunk - self.start) as usize;
        let n = 64 - lanes.leading_zeros() as usize;
        let (u, v) = (&self.u_words[j..j + n], &self.v_words[j..j + n]);
        hyperbolic_log_products(&hu, &hv, u, v, &mut ln[..n]);
        // A product's sign is the exclusive-or of its factors' sign bits (bit 0 of each word).
        let off = self.chunk - self.batch;
        ((self.u_neg ^ self.v_neg) >> off) & lanes
    }

    #[inline]
    fn weights(&self, z: u64) -> (f64, f64) {
        match self.u_words.get(z.wrapping_sub(self.start) as usize) {
            Some(&u) => (
                self.u_law.sample_bits(u),
                self.v_law
                    .sample_bits(self.v_words[(z - self.start) as usize]),
            ),
            None => (
                self.large.u(self.t, z, self.b),
                self.large.v(self.t, self.a, z),
            ),
        }
    }
}

/// `ln[k] = ln|V_k| + ln|U_k|` of hyperbolic weights from their words (the sum
/// [`LogWeight`]'s product takes, in its order), for every `k`. A plain loop compiled for
/// AVX-512 and AVX2 besides the baseline and chosen at run time (the `multiversion` crate);
/// every clone gives the same bits (no fused operations).
#[multiversion::multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx512dq", "x86_64+avx2"))]
fn hyperbolic_log_products(
    hu: &SignedHyperbolic,
    hv: &SignedHyperbolic,
    u: &[u64],
    v: &[u64],
    ln: &mut [f64],
) {
    for ((l, &wu), &wv) in ln.iter_mut().zip(u).zip(v) {
        *l = hv.sample_log_bits(wv).ln_abs + hu.sample_log_bits(wu).ln_abs;
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

    /// The range source offers the same neurons, signs, products and weights as the generator
    /// source over the same range, for any chunk sizes and both generator versions.
    #[test]
    fn range_source_equals_the_generator_source() {
        use crate::Generator;
        use logprune_network::{Activation, Architecture};
        use logprune_sampling::SignedHyperbolic;
        let arch = Architecture::new(vec![3, 5], vec![Activation::Identity]).unwrap();
        let law = Law::Hyperbolic(SignedHyperbolic::new(1e-3, 2.0).unwrap());
        for generator in crate::Generator::ALL {
            let g = LargeNetwork::new(&arch, vec![1000], vec![[law; 2]], generator, 3).unwrap();
            let _ = Generator::PhiloxV1;
            for (range, max) in [(0..200u64, 16u32), (5..137, 64), (3..4, 7), (9..9, 16)] {
                let mut r = RangeSource::new(&g, 0, (4, 2), range.clone());
                let mut s = GeneratorSource::new(&g, 0, 4, 2, range.clone());
                loop {
                    let (a, b) = (r.next_chunk(max), s.next_chunk(max));
                    assert_eq!(a, b);
                    let Some(c) = a else { break };
                    for k in 0..64 {
                        if c.lanes >> k & 1 == 1 {
                            let z = c.base + u64::from(k);
                            assert_eq!(r.log_product(k), s.log_product(k));
                            assert_eq!(r.weights(z), s.weights(z));
                            assert_eq!(r.weights(z), (g.u(0, z, 2), g.v(0, 4, z)));
                        }
                    }
                }
            }
        }
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
