//! The x86-64 kernels of ARS: the AES instructions called directly.
//!
//! The only `unsafe` code of the workspace (ARCHITECTURE.md, invariant 17). Each kernel is a
//! safe function compiled with the target features it needs (`#[target_feature]`): inside it
//! the intrinsics are safe calls, except the unaligned loads and stores of whole blocks (16
//! bytes, or 64 for four), each on a slice of exactly that many blocks. Calling a kernel is `unsafe` only
//! because the CPU must have its features; each entry point checks them at run time
//! (`is_x86_feature_detected!`, cached by the standard library) right before its one call,
//! and answers `false` without calling when they are missing, so the caller takes another
//! path. The tests run every kernel the CPU has against the portable rounds and Random123's
//! known answers, for every batch length from 0 to 70.
//!
//! Both kernels compute exactly Random123's `ars1xm128i_R`: the counter xor the key,
//! `rounds − 1` AESENC and one AESENCLAST, with the round keys `key + r·kweyl`.
#![allow(unsafe_code)]

use core::arch::x86_64::*;

/// The number of round keys.
const N: usize = super::MAX_ROUNDS + 1;

/// The round keys as little-endian words: `rk[r]` is round key `r`.
pub(super) type RoundKeys = [[u32; 4]; N];

/// ARS of every counter with AES-NI on 128-bit registers (eight blocks interleaved, so that
/// the AES unit's latency is hidden), or `false`, leaving `out` alone, on a CPU without AES-NI
/// and SSE4.1.
pub(super) fn aesni(
    rounds: usize,
    rk: &RoundKeys,
    counters: &[[u32; 4]],
    out: &mut [[u32; 4]],
) -> bool {
    if !(is_x86_feature_detected!("aes") && is_x86_feature_detected!("sse4.1")) {
        return false;
    }
    // SAFETY: the CPU has AES-NI and SSE4.1, the kernel's target features (checked above).
    unsafe { aesni_kernel(rounds, rk, counters, out) };
    true
}

/// ARS of every counter with VAES on 512-bit registers (four blocks per instruction, four
/// registers interleaved), or `false`, leaving `out` alone, on a CPU without AVX-512F and
/// VAES.
pub(super) fn vaes(
    rounds: usize,
    rk: &RoundKeys,
    counters: &[[u32; 4]],
    out: &mut [[u32; 4]],
) -> bool {
    if !(is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("vaes")) {
        return false;
    }
    if counters.len() < 16 {
        // Too few for a 512-bit group: AES-NI, which every CPU with VAES has, without
        // broadcasting the round keys.
        return aesni(rounds, rk, counters, out);
    }
    // SAFETY: the CPU has AVX-512F and VAES, the kernel's target features (checked above).
    unsafe { vaes_kernel(rounds, rk, counters, out) };
    true
}

#[target_feature(enable = "sse2")]
fn xmm(w: [u32; 4]) -> __m128i {
    _mm_set_epi32(w[3] as i32, w[2] as i32, w[1] as i32, w[0] as i32)
}

#[target_feature(enable = "aes,sse4.1")]
fn aesni_kernel(rounds: usize, rk: &RoundKeys, counters: &[[u32; 4]], out: &mut [[u32; 4]]) {
    let keys: [__m128i; N] = core::array::from_fn(|r| xmm(rk[r]));
    for (cs, os) in counters.chunks(8).zip(out.chunks_mut(8)) {
        let mut v = [_mm_setzero_si128(); 8];
        let v = &mut v[..cs.len()];
        for (x, c) in v.iter_mut().zip(cs) {
            // SAFETY: `c` is one block of 16 bytes, what an unaligned load reads.
            let c = unsafe { _mm_loadu_si128((c as *const [u32; 4]).cast()) };
            *x = _mm_xor_si128(c, keys[0]);
        }
        for k in &keys[1..rounds] {
            for x in v.iter_mut() {
                *x = _mm_aesenc_si128(*x, *k);
            }
        }
        for (o, x) in os.iter_mut().zip(v.iter()) {
            let y = _mm_aesenclast_si128(*x, keys[rounds]);
            // SAFETY: `o` is one block of 16 bytes, what an unaligned store writes.
            unsafe { _mm_storeu_si128((o as *mut [u32; 4]).cast(), y) };
        }
    }
}

#[target_feature(enable = "avx512f,vaes,sse4.1")]
fn vaes_kernel(rounds: usize, rk: &RoundKeys, counters: &[[u32; 4]], out: &mut [[u32; 4]]) {
    let keys: [__m512i; N] = core::array::from_fn(|r| _mm512_broadcast_i32x4(xmm(rk[r])));
    // Sixteen blocks at a time, four per register (block j of a group in 128-bit lane j),
    // moved by unaligned loads and stores of whole groups.
    let mut cs = counters.chunks_exact(16);
    let mut os = out.chunks_exact_mut(16);
    for (c16, o16) in (&mut cs).zip(&mut os) {
        let mut v = [_mm512_setzero_si512(); 4];
        for (x, c4) in v.iter_mut().zip(c16.chunks_exact(4)) {
            // SAFETY: `c4` is 4 blocks of 16 bytes, the 64 bytes an unaligned load reads.
            let c = unsafe { _mm512_loadu_si512(c4.as_ptr().cast()) };
            *x = _mm512_xor_si512(c, keys[0]);
        }
        for k in &keys[1..rounds] {
            for x in &mut v {
                *x = _mm512_aesenc_epi128(*x, *k);
            }
        }
        for (o4, x) in o16.chunks_exact_mut(4).zip(v) {
            let y = _mm512_aesenclast_epi128(x, keys[rounds]);
            // SAFETY: `o4` is 4 blocks of 16 bytes, the 64 bytes an unaligned store writes.
            unsafe { _mm512_storeu_si512(o4.as_mut_ptr().cast(), y) };
        }
    }
    // The last 0 to 15 blocks: the AES-NI kernel (VAES implies AES-NI).
    aesni_kernel(rounds, rk, cs.remainder(), os.into_remainder());
}
