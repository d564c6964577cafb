//! Statistical tests of ARS-4x32-7 on generator v3's layout: one block per 4 consecutive
//! neurons at one port, `counter_words(stream, neuron / 4 + port·blocks_per_port, 0)` style
//! indices, the neuron's 32-bit word `neuron & 3` of its block, widened by `widen32` for the
//! weight laws. Same checks and thresholds as the Philox ones (`counter.rs`, `ks.rs`): KS
//! uniformity at level about 0.1% (`1.95/√n`), correlations within four standard errors
//! (false alarm about 6·10⁻⁵ each) and chi-squared within five standard deviations (about
//! 10⁻⁶ in the normal approximation), each at a fixed seed, so the tests are deterministic.

#![allow(clippy::unwrap_used)]

mod common;

use common::{
    N_SAMPLES, assert_ks, chi_squared_bound, chi_squared_uniform, correlation, correlation_bound,
};
use logprune_sampling::{
    Continuous, SampleBits, SignedGaussian, SignedHyperbolic, SignedUniform, counter, widen32,
};

/// The 32-bit words of neurons `0..n` at one `(seed, stream, port)` in the v2/v3 layout: block
/// `neuron / 4` of the port (index `port · ⌈n/4⌉ + neuron / 4`), word `neuron & 3`.
fn words(seed: u64, stream: u32, port: u64, n: usize) -> Vec<u32> {
    let blocks = n.div_ceil(4) as u64;
    let counters: Vec<[u32; 4]> = (0..blocks)
        .map(|b| counter::counter_words(stream, port * blocks + b, 0))
        .collect();
    let mut out = vec![[0u32; 4]; counters.len()];
    counter::ars_blocks(seed, &counters, &mut out);
    let mut w: Vec<u32> = out.into_iter().flatten().collect();
    w.truncate(n);
    w
}

/// The uniform in `(0, 1)` that the weight laws see for a word: the midpoint of its 31-bit
/// cell (`unit_open(widen32(word))`).
fn us(seed: u64, stream: u32, port: u64) -> Vec<f64> {
    words(seed, stream, port, N_SAMPLES)
        .into_iter()
        .map(|w| logprune_sampling::unit_open(widen32(w)))
        .collect()
}

#[test]
fn words_are_uniform() {
    let u = us(21, 0, 0);
    assert_ks("ars words, unit_open(widen32)", u, |x| x.clamp(0.0, 1.0));
    // Each word position of the block alone.
    let w = words(22, 1, 0, 4 * N_SAMPLES);
    for pos in 0..4 {
        let u: Vec<f64> = w
            .iter()
            .skip(pos)
            .step_by(4)
            .map(|&x| (f64::from(x) + 0.5) / 4_294_967_296.0)
            .collect();
        assert_ks(&format!("ars word {pos} of the block"), u, |x| {
            x.clamp(0.0, 1.0)
        });
    }
}

#[test]
fn neighbouring_neurons_ports_streams_and_seeds_are_uncorrelated() {
    let n = N_SAMPLES;
    let u = us(23, 5, 0);
    // Neighbouring neurons: lag 1 (mostly the same block), lag 4 (same word, next block).
    for lag in [1, 2, 3, 4] {
        let r = correlation(&u[..n - lag], &u[lag..]);
        eprintln!("r(neuron i, i+{lag}) = {r}");
        assert!(r.abs() < correlation_bound(n - lag), "lag {lag}: r = {r}");
    }
    for (name, other) in [
        ("next port", us(23, 5, 1)),
        ("next stream", us(23, 6, 0)),
        ("next seed", us(24, 5, 0)),
    ] {
        let r = correlation(&u, &other);
        eprintln!("r({name}) = {r}");
        assert!(r.abs() < correlation_bound(n), "{name}: r = {r}");
    }
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
    // Non-overlapping neighbour pairs (neurons 2k, 2k+1: words 0-1 and 2-3 of a block).
    let u: Vec<f64> = words(25, 0, 0, 2 * N_SAMPLES)
        .into_iter()
        .map(|w| logprune_sampling::unit_open(widen32(w)))
        .collect();
    let (x, y): (Vec<f64>, Vec<f64>) = u.chunks_exact(2).map(|c| (c[0], c[1])).unzip();
    let chi2 = grid_chi2(&x, &y);
    eprintln!("neuron pairs: chi2 = {chi2}");
    assert!(
        chi2 < chi_squared_bound(1023),
        "neuron pairs: chi2 = {chi2}"
    );
    // Words 0 and 3 of each block, and the same neuron at neighbouring streams.
    let w = words(26, 0, 0, 4 * N_SAMPLES);
    let (x, y): (Vec<f64>, Vec<f64>) = w
        .chunks_exact(4)
        .map(|b| {
            (
                f64::from(b[0]) / 4_294_967_296.0,
                f64::from(b[3]) / 4_294_967_296.0,
            )
        })
        .unzip();
    let chi2 = grid_chi2(&x, &y);
    eprintln!("words 0 and 3: chi2 = {chi2}");
    assert!(
        chi2 < chi_squared_bound(1023),
        "words 0 and 3: chi2 = {chi2}"
    );
    let chi2 = grid_chi2(&us(27, 100, 0), &us(27, 101, 0));
    eprintln!("stream pairs: chi2 = {chi2}");
    assert!(
        chi2 < chi_squared_bound(1023),
        "stream pairs: chi2 = {chi2}"
    );
}

#[test]
fn low_bits_are_balanced() {
    // The lowest byte of each word (bit 0 is the sign through widen32) over 256 cells.
    let mut counts = vec![0u64; 256];
    for w in words(28, 2, 0, 4 * N_SAMPLES) {
        counts[(w & 0xff) as usize] += 1;
    }
    let chi2 = chi_squared_uniform(&counts);
    eprintln!("low byte: chi2 = {chi2}");
    assert!(chi2 < chi_squared_bound(255), "low byte: chi2 = {chi2}");
}

#[test]
fn weight_laws_from_ars_words() {
    // Each weight law through sample_bits(widen32(word)) against its cdf (31-bit quantiles:
    // the law is exact to 2^-32, far below the critical value).
    let w: Vec<u64> = words(29, 7, 3, N_SAMPLES)
        .into_iter()
        .map(widen32)
        .collect();
    let h = SignedHyperbolic::theorem3(1e-3, 1.0).unwrap();
    assert_ks(
        "signed hyperbolic from ars words",
        w.iter().map(|&b| h.sample_bits(b)).collect(),
        |x| h.cdf(x),
    );
    let u = SignedUniform::new(1.0).unwrap();
    assert_ks(
        "signed uniform from ars words",
        w.iter().map(|&b| u.sample_bits(b)).collect(),
        |x| u.cdf(x),
    );
    let g = SignedGaussian::new(0.3).unwrap();
    assert_ks(
        "signed gaussian from ars words",
        w.iter().map(|&b| g.sample_bits(b)).collect(),
        |x| g.cdf(x),
    );
}
