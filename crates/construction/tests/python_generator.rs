//! The numpy weight generator (`python/logprune_generator.py`) against Rust: a JSON file of
//! vectors is written from [`Generator::word`] and [`Law::sample_bits`] (seeds including 0 and
//! near `u64::MAX`, several streams, neurons around multiples of 4 and above `2^32`, ports,
//! fans, the three laws with several parameter sets), and `python/check_generator.py` recomputes
//! every word and every weight and compares them bit for bit (weights by their `f64` bit
//! patterns), after checking Philox and ARS on Random123's known answers.
//!
//! The interpreter is `$LOGPRUNE_PYTHON` (a venv's python with numpy; `.ci/run` makes one), as
//! in `python_loader.rs`: unset, the test says so on stderr and passes; set, it fails if the
//! script cannot run or any vector differs.
#![allow(clippy::unwrap_used)]

mod common;
use common::python::{TempDir, python_dir, run};

use std::io::Write;
use std::path::PathBuf;

use logprune_construction::{Generator, Law};
use logprune_sampling::{SignedGaussian, SignedHyperbolic, SignedUniform};
use serde_json::{Value, json};

/// The generators whose words are compared with Python's: every version.
const GENERATORS: &[Generator] = &Generator::ALL;

/// The interpreter, or `None` when `LOGPRUNE_PYTHON` is unset (said on stderr).
fn python(test: &str) -> Option<PathBuf> {
    common::python::python(test, "the numpy weight generator", "numpy")
}

/// The laws compared: each of the three with several parameter sets (extreme ranges, scales
/// far from 1), as tickets write them.
fn laws() -> Vec<Law> {
    vec![
        Law::Hyperbolic(SignedHyperbolic::theorem3(1e-3, 1.0).unwrap()),
        Law::Hyperbolic(SignedHyperbolic::new(1e-300, 1e300).unwrap()),
        Law::Hyperbolic(SignedHyperbolic::new(0.37, 0.370001).unwrap()),
        Law::Hyperbolic(SignedHyperbolic::new(2.0 / 9.0 * 1e-5, 2.0 / 3.0).unwrap()),
        Law::Uniform(SignedUniform::new(1.0).unwrap()),
        Law::Uniform(SignedUniform::new(0.125).unwrap()),
        Law::Uniform(SignedUniform::new(1.0 / 3f64.sqrt()).unwrap()),
        Law::Gaussian(SignedGaussian::new(1.0).unwrap()),
        Law::Gaussian(SignedGaussian::new(0.01).unwrap()),
        Law::Gaussian(SignedGaussian::new(1e10).unwrap()),
    ]
}

/// The `(neuron, port)` pairs of one vector: neurons on both sides of multiples of 4 (small,
/// near `2^32` and above it), at every port of a few fans' ends, and a spread of others.
fn cells(fan: usize, base: u64) -> (Vec<u64>, Vec<u64>) {
    let mut neurons = Vec::new();
    let mut ports = Vec::new();
    let port_list: Vec<usize> = [0, 1, fan / 2, fan.saturating_sub(2), fan - 1]
        .into_iter()
        .filter(|&p| p < fan)
        .collect();
    for z in (base..base + 10).chain([base + 63, base + 64, base + 65]) {
        for &p in &port_list {
            neurons.push(z);
            ports.push(p as u64);
        }
    }
    // A spread: a multiplicative walk over neurons below 2^20 (times base's scale) and ports.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ base;
    for _ in 0..20 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        neurons.push(base + (x >> 44));
        ports.push((x >> 7) % fan as u64);
    }
    (neurons, ports)
}

/// Every vector: for each generator, seed, stream, fan and neuron base, the words of the cells
/// and each law's weights of those words.
fn vectors() -> Value {
    let seeds: [u64; 5] = [0, 1, 42, 0x299f_31d0_a409_3822, u64::MAX - 1];
    let streams: [u32; 4] = [0, 1, 6, 0xFFFF_FF7F];
    // Neuron bases: small, just below 2^32 (the blocks' indices straddle a word boundary for
    // fan 1), and far above 2^32 (kept small enough that neuron·fan fits a u64).
    let bases: [u64; 3] = [0, (1 << 32) - 6, 0x0000_1234_5678_9ABC];
    let fans: [usize; 4] = [1, 3, 784, 100_003];
    let laws = laws();
    let mut out = Vec::new();
    for &g in GENERATORS {
        for (i, &seed) in seeds.iter().enumerate() {
            for (j, &stream) in streams.iter().enumerate() {
                // Not every combination: each (seed, stream) gets two fans and one base, so
                // all of them are covered without tens of thousands of words.
                for k in 0..2 {
                    let fan = fans[(i + j + k) % fans.len()];
                    let base = bases[(i + 2 * j + k) % bases.len()];
                    let (neurons, ports) = cells(fan, base);
                    let words: Vec<u64> = neurons
                        .iter()
                        .zip(&ports)
                        .map(|(&z, &p)| g.word(seed, stream, z, p as usize, fan))
                        .collect();
                    let law = &laws[(i * 7 + j * 3 + k) % laws.len()];
                    let bits: Vec<u64> = words
                        .iter()
                        .map(|&w| law.sample_bits(w).to_bits())
                        .collect();
                    out.push(json!({
                        "generator": g.name(),
                        "seed": seed,
                        "stream": stream,
                        "fan": fan,
                        "neurons": neurons,
                        "ports": ports,
                        "words": words,
                        "law": serde_json::to_value(law).unwrap(),
                        "weight_bits": bits,
                    }));
                }
            }
        }
    }
    // Every law on words chosen to hit their edges (the top and bottom words, the Gaussian's
    // central/tail boundary u = 0.85 and its far tail, words widened from 32 bits), with no
    // generator: checks `sample` alone.
    let mut edge_words: Vec<u64> = vec![
        0,
        1,
        2,
        3,
        u64::MAX,
        u64::MAX - 1,
        (1 << 63) - 1,
        1 << 63,
        (1 << 63) | 1,
        !0x7ff,
        !(1 << 11),
        0x7ff,
        1 << 11,
    ];
    // Around u = 0.85 (k = 0.85·2^53) and the r = 5 switch of the tail (1 − u = 2e^-25).
    for centre in [0.85f64, 1.0 - 2.0 * (-25f64).exp()] {
        let k = (centre * (1u64 << 53) as f64) as u64;
        for k2 in k - 4..k + 4 {
            edge_words.push(k2 << 11);
            edge_words.push((k2 << 11) | 0x7ff);
        }
    }
    for w in [
        0u32,
        1,
        2,
        3,
        u32::MAX,
        u32::MAX - 1,
        1 << 31,
        (1 << 31) - 1,
        1 << 30,
    ] {
        edge_words.push(logprune_sampling::widen32(w));
    }
    let mut x: u64 = 12345;
    for _ in 0..200 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        edge_words.push(x);
    }
    let mut samples = Vec::new();
    for law in &laws {
        let bits: Vec<u64> = edge_words
            .iter()
            .map(|&w| law.sample_bits(w).to_bits())
            .collect();
        samples.push(json!({
            "law": serde_json::to_value(law).unwrap(),
            "words": edge_words,
            "weight_bits": bits,
        }));
    }
    json!({ "vectors": out, "samples": samples })
}

#[test]
fn numpy_generator_matches_rust_bit_for_bit() {
    let Some(py) = python("numpy_generator_matches_rust_bit_for_bit") else {
        return;
    };
    let v = vectors();
    let n_words: usize = v["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["words"].as_array().unwrap().len())
        .sum();
    assert!(n_words >= 2000, "only {n_words} words");
    let dir = TempDir::new("generator", "vectors");
    let path = dir.0.join("vectors.json");
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    let script = python_dir().join("check_generator.py");
    let stdout = run(
        &py,
        &[script.as_os_str(), path.as_os_str()],
        "python/check_generator.py",
    );
    let _ = writeln!(std::io::stderr(), "{stdout}");
}
