//! Statistical tests of the counter-based generator (Philox4x32-10 on our counter layout):
//! no visible correlation between neighbouring indices, streams or seeds; 2-D uniformity of
//! neighbouring pairs; balanced low bits (the sign bit). KS uniformity is in `ks.rs`.

#![allow(clippy::unwrap_used)]

mod common;

use common::{chi_squared_bound, chi_squared_uniform, correlation, correlation_bound};
use logprune_sampling::{counter, negative_bit, unit_open};

const N: usize = 1_000_000;

fn us(seed: u64, stream: u32, start: u64) -> Vec<f64> {
    (start..start + N as u64)
        .map(|i| counter::uniform(seed, stream, i))
        .collect()
}

#[test]
fn neighbouring_indices_are_uncorrelated() {
    let u = us(11, 0, 0);
    let r = correlation(&u[..N - 1], &u[1..]);
    eprintln!("r(u_i, u_i+1) = {r}");
    assert!(r.abs() < correlation_bound(N - 1), "r(u_i, u_i+1) = {r}");
    // Lag 2 and a far lag, too.
    let r2 = correlation(&u[..N - 2], &u[2..]);
    eprintln!("r(u_i, u_i+2) = {r2}");
    assert!(r2.abs() < correlation_bound(N - 2), "r(u_i, u_i+2) = {r2}");
    // Indices that differ in the high word only (i and i + 2^32).
    let far: Vec<f64> = (0..N as u64)
        .map(|i| counter::uniform(11, 0, i + (1 << 32)))
        .collect();
    let r3 = correlation(&u, &far);
    eprintln!("r(u_i, u_i+2^32) = {r3}");
    assert!(r3.abs() < correlation_bound(N), "r(u_i, u_i+2^32) = {r3}");
}

#[test]
fn neighbouring_streams_and_seeds_are_uncorrelated() {
    let a = us(12, 7, 0);
    let b = us(12, 8, 0);
    let r = correlation(&a, &b);
    eprintln!("r(stream s, s+1) = {r}");
    assert!(r.abs() < correlation_bound(N), "r(stream s, s+1) = {r}");
    let c = us(13, 7, 0);
    let r = correlation(&a, &c);
    eprintln!("r(seed k, k+1) = {r}");
    assert!(r.abs() < correlation_bound(N), "r(seed k, k+1) = {r}");
    // The two 64-bit words of one block.
    let (x, y): (Vec<f64>, Vec<f64>) = (0..N as u64)
        .map(|i| {
            let (p, q) = counter::bits_pair(12, 7, i);
            (unit_open(p), unit_open(q))
        })
        .unzip();
    let r = correlation(&x, &y);
    eprintln!("r(word 0-1, word 2-3) = {r}");
    assert!(
        r.abs() < correlation_bound(N),
        "r(word 0-1, word 2-3) = {r}"
    );
}

/// Chi-squared on a 32 × 32 grid of pairs `(x_k, y_k)`.
fn grid_chi2(x: &[f64], y: &[f64]) -> f64 {
    const K: usize = 32;
    let mut counts = vec![0u64; K * K];
    for (a, b) in x.iter().zip(y) {
        let i = ((a * K as f64) as usize).min(K - 1);
        let j = ((b * K as f64) as usize).min(K - 1);
        counts[i * K + j] += 1;
    }
    chi_squared_uniform(&counts)
}

#[test]
fn pairs_are_uniform_in_the_square() {
    // Non-overlapping pairs (u_2k, u_2k+1): 10^6 pairs in 1024 cells.
    let u: Vec<f64> = (0..2 * N as u64)
        .map(|i| counter::uniform(14, 0, i))
        .collect();
    let (x, y): (Vec<f64>, Vec<f64>) = u.chunks_exact(2).map(|c| (c[0], c[1])).unzip();
    let chi2 = grid_chi2(&x, &y);
    eprintln!("index pairs: chi2 = {chi2}");
    assert!(chi2 < chi_squared_bound(1023), "index pairs: chi2 = {chi2}");
    // Same index, neighbouring streams.
    let a = us(14, 100, 0);
    let b = us(14, 101, 0);
    let chi2 = grid_chi2(&a, &b);
    eprintln!("stream pairs: chi2 = {chi2}");
    assert!(
        chi2 < chi_squared_bound(1023),
        "stream pairs: chi2 = {chi2}"
    );
}

#[test]
fn low_bits_are_balanced() {
    // The lowest byte (bit 0 is the sign of symmetric distributions) over 256 cells, and the
    // sign's independence from the magnitude's uniform.
    let mut counts = vec![0u64; 256];
    let mut neg = 0usize;
    let (mut s, mut u_all) = (Vec::with_capacity(N), Vec::with_capacity(N));
    for i in 0..N as u64 {
        let b = counter::bits(15, 2, i);
        counts[(b & 0xff) as usize] += 1;
        let n = negative_bit(b);
        neg += usize::from(n);
        s.push(if n { 1.0 } else { 0.0 });
        u_all.push(unit_open(b));
    }
    let chi2 = chi_squared_uniform(&counts);
    eprintln!("low byte: chi2 = {chi2}");
    assert!(chi2 < chi_squared_bound(255), "low byte: chi2 = {chi2}");
    let frac = neg as f64 / N as f64;
    assert!(
        (frac - 0.5).abs() < 4.0 * 0.5 / (N as f64).sqrt(),
        "P(sign) = {frac}"
    );
    let r = correlation(&s, &u_all);
    eprintln!("r(sign, u) = {r}");
    assert!(r.abs() < correlation_bound(N), "r(sign, u) = {r}");
}
