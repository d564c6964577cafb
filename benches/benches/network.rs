//! Criterion benches for logprune-network: forward-pass throughput (a batch of
//! 1024 inputs through 64-64-64 and 256-256-10 networks), the spectral norm of
//! a 256×256 matrix, and certified interval propagation (over a box and over
//! 1024 points).
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use faer::{Mat, Par};
use logprune_network::{
    Activation, Architecture, InputBox, Network, random_uniform, spectral_norm,
};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

const BATCH: usize = 1024;

/// The two benchmarked shapes: widths and a label.
const SHAPES: [(&str, &[usize]); 2] =
    [("64-64-64", &[64, 64, 64]), ("256-256-10", &[256, 256, 10])];

fn network(widths: &[usize], seed: u64) -> Network {
    let arch =
        Architecture::with_hidden(widths.to_vec(), Activation::Relu, Activation::Identity).unwrap();
    // w_max = 1/√n_0 keeps activations O(1), as nn.Linear's default init.
    let w_max = 1.0 / (widths[0] as f64).sqrt();
    random_uniform(&arch, w_max, &mut Pcg64Mcg::seed_from_u64(seed)).unwrap()
}

fn inputs(n0: usize, seed: u64) -> Mat<f64> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    Mat::from_fn(n0, BATCH, |_, _| rng.random_range(-1.0..=1.0))
}

fn forward(c: &mut Criterion) {
    let mut group = c.benchmark_group("network/forward");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (label, widths) in SHAPES {
        let net = network(widths, 1);
        let x = inputs(widths[0], 2);
        group.bench_with_input(BenchmarkId::new("batch_seq", label), &x, |b, x| {
            b.iter(|| net.forward_batch(black_box(x.as_ref()), Par::Seq).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("batch_rayon2", label), &x, |b, x| {
            b.iter(|| {
                net.forward_batch(black_box(x.as_ref()), Par::rayon(2))
                    .unwrap()
            })
        });
        let rows: Vec<Vec<f64>> = (0..BATCH)
            .map(|j| x.col(j).iter().copied().collect())
            .collect();
        group.bench_with_input(BenchmarkId::new("single", label), &rows, |b, rows| {
            b.iter(|| net.forward_rows(black_box(rows)).unwrap())
        });
    }
    group.finish();
}

fn spectral(c: &mut Criterion) {
    let mut group = c.benchmark_group("network/spectral_norm");
    let mut rng = Pcg64Mcg::seed_from_u64(3);
    let m = Mat::<f64>::from_fn(256, 256, |_, _| rng.random_range(-1.0..=1.0));
    group.throughput(Throughput::Elements(1));
    group.bench_with_input(BenchmarkId::new("svd", "256x256"), &m, |b, m| {
        b.iter(|| spectral_norm(black_box(m.as_ref())).unwrap())
    });
    group.finish();
}

fn interval(c: &mut Criterion) {
    let mut group = c.benchmark_group("network/interval");
    for (label, widths) in SHAPES {
        let net = network(widths, 4);
        let domain = InputBox::uniform(widths[0], -1.0, 1.0).unwrap();
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::new("box", label), &domain, |b, d| {
            b.iter(|| net.certified_f_max_box(black_box(d)).unwrap())
        });
        let x = inputs(widths[0], 5);
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_with_input(BenchmarkId::new("points", label), &x, |b, x| {
            b.iter(|| {
                net.certified_f_max_points(black_box(x.as_ref()), Par::Seq)
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: criterion's KDE plots of the bootstrap distributions cost far
    // more CPU than the measurements on a 2-core machine; the figures print.
    config = Criterion::default()
        .without_plots()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = forward, spectral, interval
}
criterion_main!(benches);
