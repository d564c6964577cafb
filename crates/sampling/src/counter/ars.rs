//! ARS-4x32-7, Random123's counter-based generator built from AES rounds: an alternative to
//! [`philox4x32_10`](super::philox4x32_10) on the same counter layout, faster where the CPU
//! has AES instructions (2.55× per block with VAES: see [Cost](#cost)). Generator v3 of G.
//!
//! # Algorithm
//!
//! ARS ("Advanced Randomization System"; Salmon, Moraes, Dror, Shaw, "Parallel random numbers:
//! as easy as 1, 2, 3", SC 2011) is AES-128 with its key schedule replaced by a Weyl sequence:
//! the 128-bit key `k` is advanced by adding `kweyl` in two 64-bit lanes, so every round key is
//! one addition away from the last. With the 128-bit counter `c` and `R` rounds:
//!
//! ```text
//! kweyl = (lo 64 bits 0x9E3779B97F4A7C15, hi 64 bits 0xBB67AE8584CAA73B)
//! kk = k;  v = c ^ kk
//! R − 1 times:  kk = kk + kweyl (two 64-bit lanes);  v = aesenc(v, kk)
//! kk = kk + kweyl;  v = aesenclast(v, kk)
//! ```
//!
//! `aesenc` is one AES round (SubBytes, ShiftRows, MixColumns, then AddRoundKey) and
//! `aesenclast` the last one (no MixColumns), as the x86 instructions of the same names. The
//! four 32-bit words of a counter or key are the 128-bit register little-endian (word 0 is
//! bits 0..32, as Random123's `_mm_set_epi32(c[3], c[2], c[1], c[0])`), and so is the output.
//! This is exactly Random123's `ars4x32_R(R, ctr, key)` (`include/Random123/ars.h`); the
//! known-answer tests below pin it to Random123's vectors (`old_kat_vectors` for 7 rounds,
//! `kat_vectors` for 10).
//!
//! Why 7 rounds: the authors report ARS passing TestU01's BigCrush from 5 rounds on, and 7
//! is Random123's default, "a considerable safety margin over the minimum number of rounds
//! with no known statistical flaws" (a margin of 2 rounds; Philox4x32-10 keeps 3 over its 7).
//! Like Philox it is a keyed bijection of the counter and non-cryptographic (the key schedule
//! is not AES's); G needs statistical quality only, which the crate's tests check again on
//! generator v3's layout (`tests/ars.rs`: KS uniformity, neighbour correlations, 2-D
//! chi-squared, and each weight law through [`widen32`](crate::widen32)).
//!
//! # Layout
//!
//! The counter is [`counter_words`](super::counter_words)`(stream, index, block)` as for
//! Philox, and the key of a seed is [`ars_key`]: `[seed as u32, (seed >> 32) as u32, 0, 0]`.
//! Both are fixed: changing either changes every network drawn with ARS (generator v3).
//!
//! # Paths
//!
//! [`AesBackend`] names the implementations of the AES round, which give the same bits:
//!
//! - [`AesBackend::Vaes`]: x86-64's VAES on 512-bit registers (AVX-512F), four blocks per
//!   instruction, four registers interleaved; and [`AesBackend::AesNi`]: AES-NI on 128-bit
//!   registers, eight blocks interleaved. Both are the intrinsics called directly, in the
//!   submodule `x86`, the workspace's one module allowed `unsafe` (ARCHITECTURE.md, invariant
//!   17): the calls of its `#[target_feature]` kernels after the CPU's features are checked,
//!   and whole-block unaligned loads and stores.
//! - [`AesBackend::Hardware`]: the AES instructions (AES-NI on x86-64, the ARMv8 crypto
//!   extension on aarch64) through RustCrypto's `aes` crate (`aes::hazmat`, version 0.9),
//!   which detects them at run time behind a safe API. A batch goes through
//!   `cipher_round_par`, eight blocks per call; `aesenclast(v, k)` is computed as
//!   `InvMixColumns(aesenc(v, 0)) ^ k`. The path for other architectures.
//! - [`AesBackend::Portable`]: this module's own software round (an S-box table, byte-wise
//!   ShiftRows and MixColumns). Readable and the same on every machine, but slow. Not
//!   constant-time, which G does not need.
//!
//! [`ars4x32_7`] and [`ars_blocks`] choose [`AesBackend::fastest`] (VAES, else AES-NI, else
//! the `aes` crate where the CPU has AES, else portable) at run time; [`ars_blocks_with`] runs
//! a given path, for tests and benches. The tests check every path the CPU has bit for bit
//! against the known answers and against the portable one, for every batch length 0 to 70.
//!
//! # Cost
//!
//! Measured with Philox in the same run (`benches/benches/sampling.rs`, `counter/ars_*` and
//! `counter/philox_*`, criterion medians, AMD EPYC with VAES, 2 cores shared with other
//! builds), in ns per 128-bit block on batches of 64: ARS-7 with [`AesBackend::Vaes`] 1.0,
//! [`AesBackend::AesNi`] 1.6, [`AesBackend::Hardware`] 6.5, [`AesBackend::Portable`] 89;
//! Philox4x32-10 [`blocks`](super::blocks) (AVX-512) 2.6. Through `aes::hazmat` every round
//! call goes through memory (loads and stores eight blocks and keys), hence its slower path;
//! batches under 16 blocks (and single blocks) take AES-NI, without the 512-bit key
//! broadcast.

use aes::hazmat;

/// The Weyl increment of ARS's key, low 64-bit lane: the golden ratio, `2^64 (√5 − 1)/2`.
const KWEYL_LO: u64 = 0x9E37_79B9_7F4A_7C15;
/// The Weyl increment of ARS's key, high 64-bit lane: `2^64 (√3 − 1)`.
const KWEYL_HI: u64 = 0xBB67_AE85_84CA_A73B;

/// Random123's default number of ARS rounds, the one G uses.
pub const ARS_ROUNDS: usize = 7;

/// The ARS key of a seed: `[seed as u32, (seed >> 32) as u32, 0, 0]` (the 64-bit seed in the
/// low half of the 128-bit key, little-endian; the high half zero).
///
/// Fixed: changing it changes every network drawn with ARS (generator v3).
///
/// ```
/// use logprune_sampling::counter::ars_key;
/// assert_eq!(ars_key(0x0123_4567_89ab_cdef), [0x89ab_cdef, 0x0123_4567, 0, 0]);
/// ```
#[inline(always)]
pub fn ars_key(seed: u64) -> [u32; 4] {
    [seed as u32, (seed >> 32) as u32, 0, 0]
}

/// The 16 bytes of four little-endian words (byte `i` of the 128-bit register).
#[inline(always)]
fn to_bytes(w: [u32; 4]) -> [u8; 16] {
    let mut b = [0u8; 16];
    for (chunk, x) in b.chunks_exact_mut(4).zip(w) {
        chunk.copy_from_slice(&x.to_le_bytes());
    }
    b
}

/// The four little-endian words of 16 bytes (the inverse of [`to_bytes`]).
#[inline(always)]
fn to_words(b: [u8; 16]) -> [u32; 4] {
    core::array::from_fn(|i| {
        u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
    })
}

/// The most rounds ARS is defined for (Random123 asserts `Nrounds <= 10`).
const MAX_ROUNDS: usize = 10;

/// The round keys of ARS for `key`, as little-endian words: `key`, then `key + r·kweyl` in
/// two 64-bit lanes for `r = 1..=MAX_ROUNDS` (ARS with `R` rounds reads the first `R + 1`).
#[inline(always)]
fn round_key_words(key: [u32; 4]) -> [[u32; 4]; MAX_ROUNDS + 1] {
    let mut lo = u64::from(key[0]) | (u64::from(key[1]) << 32);
    let mut hi = u64::from(key[2]) | (u64::from(key[3]) << 32);
    core::array::from_fn(|r| {
        if r > 0 {
            lo = lo.wrapping_add(KWEYL_LO);
            hi = hi.wrapping_add(KWEYL_HI);
        }
        [lo as u32, (lo >> 32) as u32, hi as u32, (hi >> 32) as u32]
    })
}

/// [`round_key_words`] as bytes, for the portable and `aes::hazmat` paths.
#[inline(always)]
fn round_keys(key: [u32; 4]) -> [[u8; 16]; MAX_ROUNDS + 1] {
    round_key_words(key).map(to_bytes)
}

#[cfg(target_arch = "x86_64")]
mod x86;

#[inline(always)]
fn xor16(a: [u8; 16], b: [u8; 16]) -> [u8; 16] {
    core::array::from_fn(|i| a[i] ^ b[i])
}

/// The portable AES round functions: FIPS 197's SubBytes, ShiftRows, MixColumns and
/// AddRoundKey on the 16-byte state, byte `r + 4c` being row `r` of column `c`.
mod soft {
    /// The AES S-box, computed at compile time from its definition: the inverse in GF(2^8)
    /// modulo `x^8 + x^4 + x^3 + x + 1` (0 for 0), then the affine map
    /// `b ^ rotl(b, 1) ^ rotl(b, 2) ^ rotl(b, 3) ^ rotl(b, 4) ^ 0x63`.
    pub(super) const SBOX: [u8; 256] = sbox();

    /// Multiplication in GF(2^8) by `x` (the `xtime` of FIPS 197).
    #[inline(always)]
    const fn xtime(a: u8) -> u8 {
        (a << 1) ^ if a & 0x80 != 0 { 0x1b } else { 0 }
    }

    /// Multiplication in GF(2^8).
    const fn gmul(mut a: u8, mut b: u8) -> u8 {
        let mut p = 0;
        while b != 0 {
            if b & 1 != 0 {
                p ^= a;
            }
            a = xtime(a);
            b >>= 1;
        }
        p
    }

    const fn sbox() -> [u8; 256] {
        let mut t = [0u8; 256];
        let mut x = 0usize;
        while x < 256 {
            // x^254 = x^-1 in GF(2^8) (and 0 for 0): square-and-multiply over 254 = 0b11111110.
            let mut inv = 1u8;
            let mut base = x as u8;
            let mut e = 254u32;
            while e != 0 {
                if e & 1 != 0 {
                    inv = gmul(inv, base);
                }
                base = gmul(base, base);
                e >>= 1;
            }
            if x == 0 {
                inv = 0;
            }
            t[x] = inv
                ^ inv.rotate_left(1)
                ^ inv.rotate_left(2)
                ^ inv.rotate_left(3)
                ^ inv.rotate_left(4)
                ^ 0x63;
            x += 1;
        }
        t
    }

    /// SubBytes then ShiftRows: row `r` rotates left by `r` columns, so byte `r + 4c` of the
    /// result is the S-box of byte `r + 4((c + r) mod 4)`.
    #[inline(always)]
    fn sub_shift(s: [u8; 16]) -> [u8; 16] {
        core::array::from_fn(|i| {
            let (r, c) = (i % 4, i / 4);
            SBOX[usize::from(s[r + 4 * ((c + r) % 4)])]
        })
    }

    /// MixColumns: each column `(a0, a1, a2, a3)` times the circulant matrix `(2 3 1 1)`.
    #[inline(always)]
    fn mix_columns(s: [u8; 16]) -> [u8; 16] {
        let mut out = [0u8; 16];
        for c in 0..4 {
            let a = [s[4 * c], s[4 * c + 1], s[4 * c + 2], s[4 * c + 3]];
            let all = a[0] ^ a[1] ^ a[2] ^ a[3];
            for r in 0..4 {
                // 2·a_r ^ 3·a_{r+1} ^ a_{r+2} ^ a_{r+3} = a_r ^ all ^ 2·(a_r ^ a_{r+1}).
                out[4 * c + r] = a[r] ^ all ^ xtime(a[r] ^ a[(r + 1) % 4]);
            }
        }
        out
    }

    /// One AES round, as x86's `aesenc`.
    #[inline(always)]
    pub(super) fn aesenc(s: [u8; 16], k: [u8; 16]) -> [u8; 16] {
        super::xor16(mix_columns(sub_shift(s)), k)
    }

    /// The last AES round (no MixColumns), as x86's `aesenclast`.
    #[inline(always)]
    pub(super) fn aesenclast(s: [u8; 16], k: [u8; 16]) -> [u8; 16] {
        super::xor16(sub_shift(s), k)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn sbox_matches_fips_197() {
            // FIPS 197, Figure 7 (and the example S(0x53) = 0xed of Section 5.1.1).
            assert_eq!(
                &SBOX[..8],
                &[0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5]
            );
            assert_eq!(SBOX[0x53], 0xed);
            assert_eq!(SBOX[0xff], 0x16);
            let mut seen = [false; 256];
            for &s in &SBOX {
                seen[usize::from(s)] = true;
            }
            assert!(seen.iter().all(|&b| b), "the S-box is a permutation");
        }

        #[test]
        fn mix_columns_matches_fips_197() {
            // FIPS 197 Appendix B, round 1: after ShiftRows, then after MixColumns.
            let shifted = [
                0xd4, 0xbf, 0x5d, 0x30, 0xe0, 0xb4, 0x52, 0xae, 0xb8, 0x41, 0x11, 0xf1, 0x1e, 0x27,
                0x98, 0xe5,
            ];
            let mixed = [
                0x04, 0x66, 0x81, 0xe5, 0xe0, 0xcb, 0x19, 0x9a, 0x48, 0xf8, 0xd3, 0x7a, 0x28, 0x06,
                0x26, 0x4c,
            ];
            assert_eq!(mix_columns(shifted), mixed);
        }
    }
}

/// How the AES rounds of ARS are computed. Every backend gives the same bits.
///
/// ```
/// use logprune_sampling::counter::{self, AesBackend};
/// let counters: Vec<[u32; 4]> = (0..10).map(|i| counter::counter_words(1, i, 0)).collect();
/// let mut a = vec![[0u32; 4]; 10];
/// let mut b = vec![[0u32; 4]; 10];
/// counter::ars_blocks_with(AesBackend::Portable, 42, &counters, &mut a);
/// counter::ars_blocks_with(AesBackend::fastest(), 42, &counters, &mut b);
/// assert_eq!(a, b);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AesBackend {
    /// This module's software AES round: the same on every machine, slow.
    Portable,
    /// The CPU's AES instructions (AES-NI on x86-64, the crypto extension on aarch64) through
    /// `aes::hazmat`. On a CPU without them (see [`AesBackend::available`]) it still gives the
    /// right bits, through that crate's own software rounds, only slowly.
    Hardware,
    /// x86-64's AES-NI called directly, eight blocks interleaved on 128-bit registers.
    AesNi,
    /// x86-64's VAES on 512-bit registers (AVX-512F): four blocks per instruction.
    Vaes,
}

impl AesBackend {
    /// Every backend, in the order of this enum.
    pub const ALL: [AesBackend; 4] = [
        AesBackend::Portable,
        AesBackend::Hardware,
        AesBackend::AesNi,
        AesBackend::Vaes,
    ];

    /// Whether this backend runs at its intended speed on this CPU: always for
    /// [`AesBackend::Portable`]; for [`AesBackend::Hardware`], whether the CPU has AES
    /// instructions (detected at run time, once).
    pub fn available(self) -> bool {
        match self {
            AesBackend::Portable => true,
            AesBackend::Hardware => has_aes_instructions(),
            AesBackend::AesNi => has_aesni(),
            AesBackend::Vaes => has_vaes(),
        }
    }

    /// The backends [`available`](Self::available) on this CPU, portable first.
    pub fn all_available() -> Vec<AesBackend> {
        Self::ALL.into_iter().filter(|b| b.available()).collect()
    }

    /// The fastest backend on this CPU: [`AesBackend::Hardware`] if it is available, else
    /// [`AesBackend::Portable`]. What [`ars4x32_7`] and [`ars_blocks`] use.
    pub fn fastest() -> AesBackend {
        if has_vaes() {
            AesBackend::Vaes
        } else if has_aesni() {
            AesBackend::AesNi
        } else if has_aes_instructions() {
            AesBackend::Hardware
        } else {
            AesBackend::Portable
        }
    }
}

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
fn has_aes_instructions() -> bool {
    std::arch::is_x86_feature_detected!("aes")
}

#[cfg(target_arch = "x86_64")]
fn has_aesni() -> bool {
    std::arch::is_x86_feature_detected!("aes") && std::arch::is_x86_feature_detected!("sse4.1")
}

#[cfg(target_arch = "x86_64")]
fn has_vaes() -> bool {
    std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("vaes")
}

#[cfg(not(target_arch = "x86_64"))]
fn has_aesni() -> bool {
    false
}

#[cfg(not(target_arch = "x86_64"))]
fn has_vaes() -> bool {
    false
}

#[cfg(target_arch = "aarch64")]
fn has_aes_instructions() -> bool {
    std::arch::is_aarch64_feature_detected!("aes")
}

#[cfg(not(any(target_arch = "x86", target_arch = "x86_64", target_arch = "aarch64")))]
fn has_aes_instructions() -> bool {
    false
}

/// ARS-4x32 with `rounds` rounds of one counter on the portable path.
#[inline(always)]
fn block_portable(rounds: usize, counter: [u32; 4], rk: &[[u8; 16]; MAX_ROUNDS + 1]) -> [u32; 4] {
    let mut v = xor16(to_bytes(counter), rk[0]);
    for k in &rk[1..rounds] {
        v = soft::aesenc(v, *k);
    }
    to_words(soft::aesenclast(v, rk[rounds]))
}

/// The last round from the hardware's `aesenc(v, 0)` of it: `aesenclast(v, k) =
/// InvMixColumns(aesenc(v, 0)) ^ k` (`aes::hazmat` has no `aesenclast`; its `inv_mix_columns`
/// is x86's `aesimc`).
#[inline(always)]
fn last_round_from_aesenc(mixed: &mut hazmat::Block, k: [u8; 16]) -> [u32; 4] {
    hazmat::inv_mix_columns(mixed);
    to_words(xor16((*mixed).into(), k))
}

/// ARS-4x32 with `rounds` rounds of one counter through `aes::hazmat`.
#[inline(always)]
fn block_hardware(rounds: usize, counter: [u32; 4], rk: &[[u8; 16]; MAX_ROUNDS + 1]) -> [u32; 4] {
    let mut v = hazmat::Block::from(xor16(to_bytes(counter), rk[0]));
    for k in &rk[1..rounds] {
        hazmat::cipher_round(&mut v, &hazmat::Block::from(*k));
    }
    hazmat::cipher_round(&mut v, &hazmat::Block::default());
    last_round_from_aesenc(&mut v, rk[rounds])
}

/// Up to eight counters (`counters.len() == out.len() <= 8`) through `aes::hazmat`'s
/// eight-block round, `rk8[r]` being round key `r` repeated eight times.
#[inline(always)]
fn chunk_hardware(
    rounds: usize,
    counters: &[[u32; 4]],
    out: &mut [[u32; 4]],
    rk: &[[u8; 16]; MAX_ROUNDS + 1],
    rk8: &[hazmat::Block8; MAX_ROUNDS + 1],
) {
    let mut v = hazmat::Block8::default();
    for (b, c) in v.iter_mut().zip(counters) {
        *b = hazmat::Block::from(xor16(to_bytes(*c), rk[0]));
    }
    for k8 in &rk8[1..rounds] {
        hazmat::cipher_round_par(&mut v, k8);
    }
    hazmat::cipher_round_par(&mut v, &hazmat::Block8::default());
    for (o, b) in out.iter_mut().zip(v.iter_mut()) {
        *o = last_round_from_aesenc(b, rk[rounds]);
    }
}

/// ARS-4x32 with `rounds` (1 to 10) rounds of every counter under `key`, on `backend`: the
/// rounds-generic form behind [`ars4x32_7`], [`ars_blocks`] and [`ars_blocks_with`].
fn blocks_rounds(
    backend: AesBackend,
    rounds: usize,
    key: [u32; 4],
    counters: &[[u32; 4]],
    out: &mut [[u32; 4]],
) {
    assert!(
        (1..=MAX_ROUNDS).contains(&rounds),
        "ARS has 1 to 10 rounds, not {rounds}"
    );
    assert_eq!(
        counters.len(),
        out.len(),
        "counter::ars_blocks: {} counters but room for {} blocks",
        counters.len(),
        out.len()
    );
    #[cfg(target_arch = "x86_64")]
    {
        let done = match backend {
            AesBackend::Vaes => x86::vaes(rounds, &round_key_words(key), counters, out),
            AesBackend::AesNi => x86::aesni(rounds, &round_key_words(key), counters, out),
            _ => false,
        };
        if done {
            return;
        }
    }
    let rk = round_keys(key);
    match backend {
        AesBackend::Portable => {
            for (o, c) in out.iter_mut().zip(counters) {
                *o = block_portable(rounds, *c, &rk);
            }
        }
        // On a CPU without them, the x86-64 kernels' bits come from the portable rounds.
        AesBackend::AesNi | AesBackend::Vaes => {
            for (o, c) in out.iter_mut().zip(counters) {
                *o = block_portable(rounds, *c, &rk);
            }
        }
        AesBackend::Hardware if counters.len() == 1 => {
            out[0] = block_hardware(rounds, counters[0], &rk);
        }
        AesBackend::Hardware => {
            let mut rk8 = [hazmat::Block8::default(); MAX_ROUNDS + 1];
            for (k8, k) in rk8.iter_mut().zip(&rk).take(rounds) {
                *k8 = hazmat::Block8::from([hazmat::Block::from(*k); 8]);
            }
            for (cs, os) in counters.chunks(8).zip(out.chunks_mut(8)) {
                chunk_hardware(rounds, cs, os, &rk, &rk8);
            }
        }
    }
}

/// ARS-4x32-7: the 128-bit output for `counter` under `key` (Salmon et al. 2011, as in
/// Random123's `ars4x32_R(7, ctr, key)`), on the [fastest](AesBackend::fastest) path.
///
/// Contract: a bijection of `counter` for each `key`; pure; the same bits on every backend and
/// machine; matches Random123's known-answer vectors. For many counters use [`ars_blocks`].
///
/// ```
/// use logprune_sampling::counter::ars4x32_7;
/// // Random123's old_kat_vectors, ars4x32 7 rounds.
/// assert_eq!(ars4x32_7([1, 0, 0, 0], [1, 0, 0, 0]), [0x3523162b, 0xdc14d20c, 0x79184077, 0x72184193]);
/// ```
#[inline]
pub fn ars4x32_7(counter: [u32; 4], key: [u32; 4]) -> [u32; 4] {
    let mut out = [[0u32; 4]];
    blocks_rounds(AesBackend::fastest(), ARS_ROUNDS, key, &[counter], &mut out);
    out[0]
}

/// ARS-4x32-7 of many counters under the key of one seed: `out[i] = ars4x32_7(counters[i],
/// ars_key(seed))`, bit-identical to the scalar function, on the [fastest](AesBackend::fastest)
/// path the CPU has (chosen at run time). With [`counter_words`](super::counter_words)`(stream,
/// index, 0)` as counters, block `i` is generator v3's block of `(seed, stream, index)`.
///
/// The hardware path computes eight blocks per AES call, so batches of a multiple of 8 waste
/// nothing; a shorter last chunk costs as much as a full one.
///
/// # Panics
/// If `counters` and `out` differ in length: the caller sizes both.
///
/// # Example
/// ```
/// use logprune_sampling::counter;
/// let counters: Vec<[u32; 4]> = (0..20).map(|i| counter::counter_words(2, i, 0)).collect();
/// let mut out = vec![[0u32; 4]; counters.len()];
/// counter::ars_blocks(42, &counters, &mut out);
/// for (c, o) in counters.iter().zip(&out) {
///     assert_eq!(*o, counter::ars4x32_7(*c, counter::ars_key(42)));
/// }
/// ```
pub fn ars_blocks(seed: u64, counters: &[[u32; 4]], out: &mut [[u32; 4]]) {
    ars_blocks_with(AesBackend::fastest(), seed, counters, out);
}

/// [`ars_blocks`] on a given backend, for tests and benches: the same bits on every backend
/// (an [`AesBackend::Hardware`] that is not [available](AesBackend::available) is slow, not
/// wrong).
///
/// # Panics
/// If `counters` and `out` differ in length.
pub fn ars_blocks_with(
    backend: AesBackend,
    seed: u64,
    counters: &[[u32; 4]],
    out: &mut [[u32; 4]],
) {
    blocks_rounds(backend, ARS_ROUNDS, ars_key(seed), counters, out);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::counter::counter_words;
    use rand::{Rng, SeedableRng};

    /// Random123 `tests/old_kat_vectors`, `ars4x32 7`: counter words, key words, expected.
    const KAT7: [([u32; 4], [u32; 4], [u32; 4]); 8] = [
        (
            [0x00000001, 0x00000000, 0x00000000, 0x00000000],
            [0x00000001, 0x00000000, 0x00000000, 0x00000000],
            [0x3523162b, 0xdc14d20c, 0x79184077, 0x72184193],
        ),
        (
            [0x886a3f24, 0xd308a385, 0x2e8a1913, 0x44737003],
            [0x00000001, 0x00000000, 0x00000000, 0x00000000],
            [0xbb4006c7, 0x33dbc0db, 0x1ea0a1c9, 0x7f9541e3],
        ),
        (
            [0x00000000, 0x00000000, 0x00000000, 0x80000000],
            [0x00000000, 0xff000000, 0x00000000, 0x00000000],
            [0x7fab47bb, 0xfcd840f2, 0xcda838c4, 0x6ae55be9],
        ),
        (
            [0xe6212845, 0x7713d038, 0xcf6654be, 0x6c0ce934],
            [0x00000000, 0x00000000, 0x80000000, 0x00000000],
            [0x40b825de, 0xa60b3b62, 0xf4ebf400, 0x0e825cbf],
        ),
        (
            [0x223809a4, 0xd0319f29, 0x98fa2e08, 0x896c4eec],
            [0x00000000, 0x00000000, 0x00000000, 0x0000ff00],
            [0xb82755f4, 0x19593fe3, 0xcff17ba6, 0x7dac57d4],
        ),
        (
            [0x00000000, 0x00000000, 0x00ff0000, 0x00000000],
            [0x00000000, 0x00000000, 0x00000000, 0xff000000],
            [0x762f673f, 0x5b94c0b2, 0x2085a682, 0x02705419],
        ),
        (
            [0xff000000, 0x00000000, 0x00000000, 0x00000000],
            [0x00000000, 0x00000000, 0x00010000, 0x00000000],
            [0x866c2aae, 0x210efb54, 0xf1dd4928, 0x15276ee1],
        ),
        (
            [0x00000000, 0x00008000, 0x00000000, 0x00000000],
            [0x00000000, 0x00000080, 0x00000000, 0x00000000],
            [0x3437e471, 0x971e2660, 0x9de12fcc, 0x9e719dee],
        ),
    ];

    /// Random123 `tests/kat_vectors`, `ars4x32 10`: counter words, key words, expected.
    const KAT10: [([u32; 4], [u32; 4], [u32; 4]); 3] = [
        (
            [0x00000000, 0x00000000, 0x00000000, 0x00000000],
            [0x00000000, 0x00000000, 0x00000000, 0x00000000],
            [0x8d73ee19, 0x506401ef, 0x13c2dbe4, 0x0cbe9c0d],
        ),
        (
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0, 0x082efa98, 0xec4e6c89],
            [0xa516e7d6, 0x8357ad74, 0x5b59b3ec, 0x8763fff3],
        ),
        (
            [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
            [0xffffffff, 0xffffffff, 0x00000000, 0x00000000],
            [0xbb3743b1, 0x9f635551, 0xecbc87fc, 0xa19478a9],
        ),
    ];

    /// Batch lengths that put a vector in every lane of an eight-block chunk and in a short
    /// last chunk.
    const LENGTHS: [usize; 8] = [1, 7, 8, 9, 16, 17, 64, 67];

    #[test]
    fn random123_known_answers_7_rounds() {
        for (c, k, want) in KAT7 {
            assert_eq!(ars4x32_7(c, k), want, "counter {c:08x?}, key {k:08x?}");
            for backend in AesBackend::ALL {
                for n in LENGTHS {
                    let mut out = vec![[0u32; 4]; n];
                    blocks_rounds(backend, 7, k, &vec![c; n], &mut out);
                    assert!(
                        out.iter().all(|&o| o == want),
                        "{backend:?}, n = {n}, {c:08x?}"
                    );
                }
            }
        }
    }

    #[test]
    fn random123_known_answers_10_rounds() {
        for (c, k, want) in KAT10 {
            for backend in AesBackend::ALL {
                for n in LENGTHS {
                    let mut out = vec![[0u32; 4]; n];
                    blocks_rounds(backend, 10, k, &vec![c; n], &mut out);
                    assert!(
                        out.iter().all(|&o| o == want),
                        "{backend:?}, n = {n}, {c:08x?}"
                    );
                }
            }
        }
    }

    #[test]
    fn known_answers_in_mixed_batches() {
        // The eight 7-round vectors whose keys are seeds (high half zero) side by side in one
        // batch, rotated so that each meets every lane of a chunk.
        let seeded: Vec<_> = KAT7
            .iter()
            .filter(|(_, k, _)| k[2] == 0 && k[3] == 0)
            .collect();
        assert!(seeded.len() >= 4);
        for (c, k, want) in &seeded {
            let seed = u64::from(k[0]) | (u64::from(k[1]) << 32);
            assert_eq!(ars_key(seed), *k);
            for backend in AesBackend::ALL {
                for lane in 0..9 {
                    let mut counters = vec![[lane as u32; 4]; 17];
                    counters[lane] = *c;
                    let mut out = vec![[0u32; 4]; 17];
                    ars_blocks_with(backend, seed, &counters, &mut out);
                    assert_eq!(out[lane], *want, "{backend:?}, lane {lane}");
                }
            }
        }
    }

    #[test]
    fn every_backend_equals_the_portable_one() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(0xae5);
        for backend in AesBackend::ALL {
            for n in 0..=70 {
                let seed = rng.next_u64();
                let counters: Vec<[u32; 4]> = (0..n)
                    .map(|_| core::array::from_fn(|_| rng.next_u32()))
                    .collect();
                let (mut a, mut b) = (vec![[0u32; 4]; n], vec![[0u32; 4]; n]);
                ars_blocks_with(AesBackend::Portable, seed, &counters, &mut a);
                ars_blocks_with(backend, seed, &counters, &mut b);
                assert_eq!(a, b, "{backend:?}, n = {n}");
                ars_blocks(seed, &counters, &mut b);
                assert_eq!(a, b, "ars_blocks, n = {n}");
                for (c, o) in counters.iter().zip(&a) {
                    assert_eq!(ars4x32_7(*c, ars_key(seed)), *o);
                }
            }
            // A long batch with distinct outputs (distinct counters, a bijection), so that a
            // path that mixed up lanes or chunks would be caught.
            let seed = 0x5eed_0000_0000_0003;
            let counters: Vec<[u32; 4]> = (0..1000).map(|i| counter_words(9, i * 3, 0)).collect();
            let (mut a, mut b) = (vec![[0u32; 4]; 1000], vec![[0u32; 4]; 1000]);
            ars_blocks_with(AesBackend::Portable, seed, &counters, &mut a);
            ars_blocks_with(backend, seed, &counters, &mut b);
            assert_eq!(a, b, "{backend:?}");
            let mut sorted = b.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), b.len());
        }
    }

    #[test]
    fn values_are_stable() {
        // Generator v3's blocks: ars_blocks(seed, counter_words(stream, index, 0)). Changing
        // these values changes every network G drawn with generator v3.
        let cases: [(u64, u32, u64, [u32; 4]); 4] = [
            (0, 0, 0, [0xdacf61ff, 0xc45798f3, 0x113c7eeb, 0x101e27f3]),
            (42, 3, 17, [0x4d42ac13, 0x76c03dc5, 0x76591633, 0x2d2d6ad4]),
            (
                0x0123_4567_89ab_cdef,
                0xffff_ffff,
                0x1_0000_0002,
                [0x41fdf90f, 0xa5e4d326, 0x2aae4525, 0x7132367f],
            ),
            (
                u64::MAX,
                7,
                u64::MAX,
                [0x542272a0, 0x1dc26a95, 0xbe2bec64, 0xab331a72],
            ),
        ];
        for (seed, stream, index, want) in cases {
            for backend in AesBackend::ALL {
                let mut out = [[0u32; 4]];
                ars_blocks_with(backend, seed, &[counter_words(stream, index, 0)], &mut out);
                assert_eq!(
                    out[0], want,
                    "{backend:?}: seed {seed:#x}, stream {stream}, index {index}"
                );
            }
        }
    }

    #[test]
    fn backends_are_reported() {
        assert!(AesBackend::Portable.available());
        assert!(AesBackend::fastest().available());
        let all = AesBackend::all_available();
        assert_eq!(all[0], AesBackend::Portable);
        assert!(all.contains(&AesBackend::fastest()));
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let want = if has!("avx512f") && has!("vaes") {
                AesBackend::Vaes
            } else if has!("aes") && has!("sse4.1") {
                AesBackend::AesNi
            } else {
                AesBackend::Portable
            };
            assert_eq!(AesBackend::fastest(), want);
            // Every kernel this CPU has is among the backends the tests run.
            assert_eq!(
                AesBackend::Vaes.available(),
                has!("avx512f") && has!("vaes")
            );
            assert_eq!(AesBackend::AesNi.available(), has!("aes") && has!("sse4.1"));
        }
    }

    #[test]
    fn ars_blocks_refuse_slices_of_different_lengths() {
        let counters = [[0u32; 4]; 3];
        let mut out = [[0u32; 4]; 2];
        let err = std::panic::catch_unwind(move || ars_blocks(1, &counters, &mut out))
            .expect_err("lengths 3 and 2 must panic");
        let msg = err
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or_default();
        assert!(msg.contains("3 counters but room for 2 blocks"), "{msg}");
        ars_blocks(1, &[], &mut []);
    }
}
