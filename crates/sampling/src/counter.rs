//! The counter-based weight generator of the large network G (ARCHITECTURE.md, invariant 3).
//!
//! Every weight of G is a pure function of `(seed, stream, index)`: the construction packs the
//! layer and side into `stream` and the neuron and port into `index`, so any weight is
//! recomputed in O(1), in any order, on any thread, and any shard of G is built alone.
//!
//! # Algorithm: Philox4x32-10
//!
//! Philox4x32 with 10 rounds (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as
//! 1, 2, 3", SC 2011) maps a 128-bit counter and a 64-bit key to 128 bits. It is a keyed
//! bijection of the counter built from 32×32→64-bit multiplications, designed to be used
//! exactly this way (counter = position, key = seed), passes TestU01's BigCrush with 7 rounds
//! and more (the authors' Table 2; we use the recommended 10, a safety margin of 3 rounds),
//! and is the generator of Random123, cuRAND, TensorFlow, JAX and PyTorch for the same reason:
//! parallel, reproducible streams with no state to share. Non-cryptographic; G does not need
//! unpredictability, only statistical quality, which the tests of this crate check again
//! (KS uniformity, neighbour correlations, 2-D chi-squared) on our counter layout.
//!
//! Layout (fixed: changing it changes every network ever generated):
//!
//! ```text
//! key     = [seed as u32, (seed >> 32) as u32]
//! counter = [index as u32, (index >> 32) as u32, stream, block]
//! ```
//!
//! `block` numbers the consecutive 128-bit outputs of one `(seed, stream, index)`: the pure
//! functions ([`block`], [`bits`], [`bits_pair`], [`uniform`]) read block 0, and
//! [`CounterRng`] reads blocks 0, 1, 2, ... for distributions that need more than 128 bits.
//! So `stream` is 32 bits (4·10⁹ streams: layers × sides) and `index` 64 bits.
//!
//! Known-answer tests pin the implementation to Random123's published vectors
//! (`kat_vectors`, philox4x32 10 rounds).
//!
//! Cost: 10 rounds of two 32×32→64-bit multiplications and a few xors, fully inlined, no
//! allocation, no table: 20 multiplications per 128 bits, against 3 for one step of
//! `Pcg64Mcg`. Measured (`benches/benches/sampling.rs`, `counter/philox_bits`) at about 8
//! `Pcg64Mcg` steps per call, i.e. 14 ns per call on a loaded 2-core machine (load ≈ 4 on 2
//! cores; a few ns on an idle core).
//!
//! # Batches
//!
//! [`blocks`] computes many blocks under one seed, bit-identical to [`philox4x32_10`] on each
//! counter ([`counter_words`] gives the counter of `(stream, index, block)`). The blocks are
//! independent, so the compiler vectorizes a plain loop over them across SIMD lanes (the
//! 32×32→64-bit products become `vpmuludq`); the loop is compiled for AVX-512, AVX2 and
//! SSE4.1 besides the baseline, and the best one the CPU supports is chosen at run time (the
//! `multiversion` crate), so a binary built for any x86-64 uses the wide registers where they
//! exist. Measured (`counter/philox_blocks`, AVX-512 chosen, 2 shared cores at load ≈ 4):
//! 3.7 ns per block on a batch of 16 and 2.7 ns on 64, against 8.1 and 8.4 ns for the scalar
//! function in a loop over the same counters. Forcing each kernel in turn (same machine, load
//! ≈ 5, batch of 16): AVX-512 3.9 ns, AVX2 4.3 ns, SSE4.1 6.1 ns, baseline 15 ns per block.
//!
//! # ARS
//!
//! The submodule [`ars`] holds a second generator on the same counter layout, ARS-4x32-7
//! (Random123's AES-round generator): [`ars4x32_7`], [`ars_key`] and the batch [`ars_blocks`]
//! (re-exported here), with a portable and a hardware AES path ([`AesBackend`]) that give the
//! same bits. Through the safe `aes::hazmat` API it is about twice as slow as [`blocks`] on
//! this project's machines (figures in [`ars`]).

use core::convert::Infallible;

pub mod ars;
pub use ars::{AesBackend, ars_blocks, ars_blocks_with, ars_key, ars4x32_7};

use multiversion::multiversion;

use rand::TryRng;
use rand::rand_core::utils::fill_bytes_via_next_word;

use crate::{LogWeight, SampleBits, SignedHyperbolic, unit_open};

/// Philox's first round multiplier (for counter word 0).
const M0: u32 = 0xD251_1F53;
/// Philox's second round multiplier (for counter word 2).
const M1: u32 = 0xCD9E_8D57;
/// Weyl increment of key word 0 (golden ratio).
const W0: u32 = 0x9E37_79B9;
/// Weyl increment of key word 1 (√3 − 1).
const W1: u32 = 0xBB67_AE85;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = u64::from(a) * u64::from(b);
    ((p >> 32) as u32, p as u32)
}

#[inline(always)]
fn round(c: [u32; 4], k: [u32; 2]) -> [u32; 4] {
    let (hi0, lo0) = mulhilo(M0, c[0]);
    let (hi1, lo1) = mulhilo(M1, c[2]);
    [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
}

/// Philox4x32-10: the 128-bit output for `counter` under `key` (Salmon et al. 2011, as in
/// Random123's `philox4x32_R(10, ctr, key)`).
///
/// Contract: a bijection of `counter` for each `key`; pure; matches Random123's known-answer
/// vectors.
///
/// ```
/// use logprune_sampling::counter::philox4x32_10;
/// assert_eq!(philox4x32_10([0; 4], [0; 2]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
/// ```
#[inline(always)]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    c = round(c, k);
    for _ in 0..9 {
        k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        c = round(c, k);
    }
    c
}

#[inline(always)]
fn key_of(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

#[inline(always)]
fn counter_of(stream: u32, index: u64, block: u32) -> [u32; 4] {
    [index as u32, (index >> 32) as u32, stream, block]
}

/// The first 128 bits (block 0) of `(seed, stream, index)`, as four 32-bit words.
#[inline(always)]
pub fn block(seed: u64, stream: u32, index: u64) -> [u32; 4] {
    philox4x32_10(counter_of(stream, index, 0), key_of(seed))
}

/// 64 random bits for `(seed, stream, index)`: words 0 and 1 of [`block`], little-endian
/// (`w0 | w1 << 32`).
///
/// Contract: pure; equal to the first `next_u64()` of `CounterRng::new(seed, stream, index)`.
///
/// ```
/// use logprune_sampling::{counter, CounterRng};
/// use rand::Rng;
/// assert_eq!(counter::bits(7, 1, 99), CounterRng::new(7, 1, 99).next_u64());
/// ```
#[inline(always)]
pub fn bits(seed: u64, stream: u32, index: u64) -> u64 {
    let w = block(seed, stream, index);
    u64::from(w[0]) | (u64::from(w[1]) << 32)
}

/// All 128 bits of block 0 as two words: `(w0 | w1 << 32, w2 | w3 << 32)`, the first and
/// second `next_u64()` of `CounterRng::new(seed, stream, index)`. One Philox call gives both
/// factors of a product weight.
#[inline(always)]
pub fn bits_pair(seed: u64, stream: u32, index: u64) -> (u64, u64) {
    let w = block(seed, stream, index);
    (
        u64::from(w[0]) | (u64::from(w[1]) << 32),
        u64::from(w[2]) | (u64::from(w[3]) << 32),
    )
}

/// A uniform in the open interval `(0, 1)` for `(seed, stream, index)`: [`unit_open`] of
/// [`bits`], one of the `2^53` values `(k + 1/2)·2^-53`, so in `[2^-54, 1 − 2^-54]`.
#[inline(always)]
pub fn uniform(seed: u64, stream: u32, index: u64) -> f64 {
    unit_open(bits(seed, stream, index))
}

/// The weight `(seed, stream, index)` drawn from `dist`: `dist.sample_bits(bits(seed, stream,
/// index))`.
///
/// ```
/// use logprune_sampling::{counter, SignedHyperbolic};
/// let p = SignedHyperbolic::new(1e-3, 1.0)?;
/// let w = counter::weight(&p, 42, 0, 17);
/// assert_eq!(w, counter::weight(&p, 42, 0, 17)); // pure
/// assert!((1e-3..=1.0).contains(&w.abs()));
/// # Ok::<(), logprune_sampling::SamplingError>(())
/// ```
#[inline(always)]
pub fn weight<D: SampleBits + ?Sized>(dist: &D, seed: u64, stream: u32, index: u64) -> f64 {
    dist.sample_bits(bits(seed, stream, index))
}

/// The weight `(seed, stream, index)` of the hyperbolic `dist` in the log domain, no `exp`:
/// `dist.sample_log_bits(bits(seed, stream, index))`; its `value()` is
/// [`weight`]`(dist, seed, stream, index)` up to an ulp or two.
#[inline(always)]
pub fn log_weight(dist: &SignedHyperbolic, seed: u64, stream: u32, index: u64) -> LogWeight {
    dist.sample_log_bits(bits(seed, stream, index))
}

/// The counter of block `block` of `(stream, index)` in this module's layout:
/// `[index as u32, (index >> 32) as u32, stream, block]`, so that
/// `philox4x32_10(counter_words(stream, index, 0), key)` is [`block`]`(seed, stream, index)`
/// for the key of `seed`, and [`blocks`] computes many of them at once.
///
/// ```
/// use logprune_sampling::counter;
/// let c = counter::counter_words(3, 0x1_0000_0002, 5);
/// assert_eq!(c, [2, 1, 3, 5]);
/// ```
#[inline(always)]
pub fn counter_words(stream: u32, index: u64, block: u32) -> [u32; 4] {
    counter_of(stream, index, block)
}

/// Philox4x32-10 of many counters under the key of one seed: `out[i] = philox4x32_10(
/// counters[i], [seed as u32, (seed >> 32) as u32])`, bit-identical to the scalar function
/// (and so to [`block`] for the counters of [`counter_words`]`(stream, index, 0)`).
///
/// Fast on batches: the loop over the counters is compiled for several instruction sets
/// (AVX-512, AVX2, SSE4.1 and the baseline) and the best one the CPU has is chosen at run time,
/// once; the kernels differ only in how many blocks they compute per instruction, never in
/// the result. 16 to 64 counters per call already reach most of the speed (see the [module
/// documentation](self)).
///
/// # Panics
/// If `counters` and `out` differ in length: the caller sizes both.
///
/// # Example
/// ```
/// use logprune_sampling::counter;
/// let counters: Vec<[u32; 4]> = (0..20).map(|i| counter::counter_words(2, i, 0)).collect();
/// let mut out = vec![[0u32; 4]; counters.len()];
/// counter::blocks(42, &counters, &mut out);
/// for (i, o) in out.iter().enumerate() {
///     assert_eq!(*o, counter::block(42, 2, i as u64));
/// }
/// ```
pub fn blocks(seed: u64, counters: &[[u32; 4]], out: &mut [[u32; 4]]) {
    assert_eq!(
        counters.len(),
        out.len(),
        "counter::blocks: {} counters but room for {} blocks",
        counters.len(),
        out.len()
    );
    philox_batch(key_of(seed), counters, out);
}

/// The loop of [`blocks`], one clone per target (first match wins at run time). A plain loop
/// over whole blocks (array of blocks) vectorized best of the shapes tried: it was faster
/// than a structure-of-arrays kernel over chunks of 8, 16 or 32 blocks (with or without the
/// multiplied words widened to `u64` up front), and as fast as a loop over fixed chunks of 16
/// on whole chunks but faster on the remainders.
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl+avx512dq",
    "x86_64+avx2",
    "x86_64+sse4.1"
))]
fn philox_batch(key: [u32; 2], counters: &[[u32; 4]], out: &mut [[u32; 4]]) {
    for (o, c) in out.iter_mut().zip(counters) {
        *o = philox4x32_10(*c, key);
    }
}

/// A generator for one `(seed, stream, index)`: the 32-bit words of blocks 0, 1, 2, ... of
/// Philox4x32-10 (see the [module documentation](self)), so that any `rand_distr`
/// distribution, including rejection samplers that use a variable number of words, is
/// sampled deterministically per weight.
///
/// It implements rand 0.10's `TryRng` with `Error = Infallible`, hence `rand::Rng` (the core
/// trait, formerly `RngCore`) and `rand::RngExt`. `next_u32` returns the words in order;
/// `next_u64` returns two consecutive words little-endian (`first | second << 32`), as
/// `rand_core::utils::next_u64_via_u32`. The sequence has period `2^34` words (`2^32` blocks);
/// after that it repeats.
///
/// # Example
/// ```
/// use logprune_sampling::{counter, CounterRng};
/// use rand::{Rng, RngExt};
///
/// let mut rng = CounterRng::new(1, 2, 3);
/// let (a, b) = counter::bits_pair(1, 2, 3);
/// assert_eq!(rng.next_u64(), a);
/// assert_eq!(rng.next_u64(), b);
/// let x: f64 = rng.random(); // block 1 and beyond
/// assert!((0.0..1.0).contains(&x));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterRng {
    key: [u32; 2],
    counter: [u32; 4],
    buffer: [u32; 4],
    /// Next word of `buffer` to return; 4 means the buffer is used up.
    pos: usize,
}

impl CounterRng {
    /// The generator of `(seed, stream, index)`, positioned at word 0 of block 0.
    #[inline]
    pub fn new(seed: u64, stream: u32, index: u64) -> Self {
        CounterRng {
            key: key_of(seed),
            counter: counter_of(stream, index, 0),
            buffer: [0; 4],
            pos: 4,
        }
    }

    #[inline(always)]
    fn next_word(&mut self) -> u32 {
        if self.pos == 4 {
            self.buffer = philox4x32_10(self.counter, self.key);
            self.counter[3] = self.counter[3].wrapping_add(1);
            self.pos = 0;
        }
        let w = self.buffer[self.pos];
        self.pos += 1;
        w
    }
}

impl TryRng for CounterRng {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.next_word())
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let lo = u64::from(self.next_word());
        let hi = u64::from(self.next_word());
        Ok(lo | (hi << 32))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        fill_bytes_via_next_word(dst, || self.try_next_u32())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn random123_known_answers() {
        // Random123 kat_vectors, philox4x32 10 rounds: counter words, key words, expected.
        assert_eq!(
            philox4x32_10([0; 4], [0; 2]),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
        assert_eq!(
            philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0]
            ),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn layout_maps_seed_stream_index_to_key_and_counter() {
        // seed = 0x299f31d0_a4093822, index = 0x85a308d3_243f6a88, stream = 0x13198a2e, and
        // block 0x03707344 is the third known-answer vector.
        let mut rng = CounterRng::new(0x299f31d0_a4093822, 0x13198a2e, 0x85a308d3_243f6a88);
        rng.counter[3] = 0x03707344;
        assert_eq!(rng.next_u32(), 0xd16cfe09);
        assert_eq!(rng.next_u64(), 0x5001e420_94fdcceb);
        assert_eq!(rng.next_u32(), 0x24126ea1);
        // Block 0 of (0, 0, 0) is the first vector.
        assert_eq!(bits(0, 0, 0), 0xe169c58d_6627e8d5);
        assert_eq!(bits_pair(0, 0, 0).1, 0x9b00dbd8_bc57ac4c);
    }

    #[test]
    fn rng_continues_into_later_blocks() {
        let mut rng = CounterRng::new(5, 6, 7);
        let first: Vec<u32> = (0..12).map(|_| rng.next_u32()).collect();
        for b in 0..3u32 {
            let want = philox4x32_10(counter_of(6, 7, b), key_of(5));
            assert_eq!(&first[4 * b as usize..4 * b as usize + 4], &want);
        }
        let mut bytes = [0u8; 6];
        let mut rng = CounterRng::new(5, 6, 7);
        rng.fill_bytes(&mut bytes);
        assert_eq!(&bytes[..4], &first[0].to_le_bytes());
        assert_eq!(&bytes[4..], &first[1].to_le_bytes()[..2]);
    }

    #[test]
    fn uniform_is_open() {
        for (s, t, i) in [(0, 0, 0), (1, 2, 3), (u64::MAX, u32::MAX, u64::MAX)] {
            let u = uniform(s, t, i);
            assert!(u > 0.0 && u < 1.0);
        }
    }

    #[test]
    fn blocks_give_the_known_answers() {
        // Random123's vectors, each repeated so that every SIMD lane and the remainder see them.
        let cases = [
            (
                0u64,
                [0u32; 4],
                [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
            ),
            (
                u64::MAX,
                [u32::MAX; 4],
                [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
            ),
            (
                0x299f31d0_a4093822,
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
            ),
        ];
        for (seed, counter, want) in cases {
            for n in [1, 7, 16, 17, 64, 67] {
                let counters = vec![counter; n];
                let mut out = vec![[0u32; 4]; n];
                blocks(seed, &counters, &mut out);
                assert!(out.iter().all(|&o| o == want), "seed {seed:#x}, n = {n}");
            }
        }
    }

    #[test]
    fn blocks_equal_the_scalar_function_for_every_length() {
        use rand::SeedableRng;
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(0xb10c);
        for n in 0..=70 {
            let seed = rng.next_u64();
            let counters: Vec<[u32; 4]> = (0..n)
                .map(|_| core::array::from_fn(|_| rng.next_u32()))
                .collect();
            let mut out = vec![[0u32; 4]; n];
            blocks(seed, &counters, &mut out);
            for (c, o) in counters.iter().zip(&out) {
                assert_eq!(
                    *o,
                    philox4x32_10(*c, key_of(seed)),
                    "n = {n}, counter {c:x?}"
                );
            }
        }
        // A long batch with distinct outputs (the counters are distinct and Philox is a
        // bijection), so a kernel that mixed up lanes would be caught.
        let seed = 0x5eed_0000_0000_0001;
        let counters: Vec<[u32; 4]> = (0..1000).map(|i| counter_words(9, i * 3, 0)).collect();
        let mut out = vec![[0u32; 4]; counters.len()];
        blocks(seed, &counters, &mut out);
        for (i, o) in out.iter().enumerate() {
            assert_eq!(*o, block(seed, 9, i as u64 * 3));
        }
        let mut sorted = out.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), out.len());
    }

    #[test]
    fn blocks_follow_the_layout_of_the_pure_functions() {
        // Blocks 0, 1, 2 of (seed, stream, index) are what CounterRng reads, and block 0 is
        // what bits and bits_pair read.
        let (seed, stream) = (2020, 5);
        let counters: Vec<[u32; 4]> = (0..40)
            .map(|k| counter_words(stream, k / 3, (k % 3) as u32))
            .collect();
        let mut out = vec![[0u32; 4]; counters.len()];
        blocks(seed, &counters, &mut out);
        for index in 0..13u64 {
            let mut rng = CounterRng::new(seed, stream, index);
            for b in 0..3 {
                let o = out[(3 * index + b) as usize];
                if b == 0 {
                    assert_eq!(
                        bits_pair(seed, stream, index),
                        (
                            u64::from(o[0]) | u64::from(o[1]) << 32,
                            u64::from(o[2]) | u64::from(o[3]) << 32
                        )
                    );
                }
                for w in o {
                    assert_eq!(rng.next_u32(), w);
                }
            }
        }
    }

    #[test]
    fn blocks_refuse_slices_of_different_lengths() {
        let counters = [[0u32; 4]; 3];
        let mut out = [[0u32; 4]; 2];
        let err = std::panic::catch_unwind(move || blocks(1, &counters, &mut out))
            .expect_err("lengths 3 and 2 must panic");
        let msg = err
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or_default();
        assert!(msg.contains("3 counters but room for 2 blocks"), "{msg}");
        // Empty batches are fine.
        blocks(1, &[], &mut []);
    }
}
