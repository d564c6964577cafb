//! Criterion benches for logprune-construction: target weights pruned per second by the
//! per-weight oracle (golden-ratio, streaming) for one 64×64 and one 256×256 layer at
//! ε = 0.01 (target uniform in [-1, 1], rescaled to ‖W‖₂ ≤ 1, domain [-1, 1]^n), on rayon pools
//! of 1 and 2 threads. The plan (certified F_max, norms, ε_w, m) is made once outside the
//! timing; each iteration runs the oracle. Products consulted per target weight are printed.
//!
//! `construction/layer_64x64`: target weights per second of each construction (per-weight,
//! recycling, batch; golden-ratio solver) on the same 64×64 layer at ε = 0.01, one thread
//! (batch is sequential within a layer). Widths of G against the theorem's, kept neurons and
//! products consulted per target weight are printed for a 16×16 and the 64×64 layer.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use logprune_construction::{
    Construction, Domain, Generator, NoProgress, Plan, PruneConfig, ToleranceRule, oracle,
};
use logprune_network::{Activation, Architecture, random_spectral, random_uniform};
use rand::SeedableRng;

fn bench_per_weight(c: &mut Criterion) {
    let mut group = c.benchmark_group("construction/per_weight_golden_ratio");
    group.sample_size(10);
    for n in [64usize, 256] {
        let arch = Architecture::with_hidden(vec![n, n], Activation::Relu, Activation::Identity)
            .expect("valid architecture");
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(n as u64);
        let target = random_spectral(&arch, 1.0, &mut rng).expect("random target");
        let domain = Domain::cube(n, -1.0, 1.0).expect("box");
        let plan = Plan::new(&target, &domain, &PruneConfig::new(0.01)).expect("plan");
        let layout = Construction::PerWeight.layout(&plan).expect("layout");
        let large = plan.large_network(&*layout).expect("G");
        let spec = plan.oracle_spec();
        let weights = (n * n) as u64;
        let once = oracle::run(&*layout, &large, &spec, &NoProgress).expect("prunable");
        println!(
            "{n}×{n}: ε_w = {:.3e}, m = {}, {:.1} products consulted per target weight, {} kept neurons",
            plan.epsilon_w(),
            layout.neurons_per_weight(),
            once.products_consulted as f64 / weights as f64,
            once.pruned.kept_neurons()[0],
        );
        group.throughput(Throughput::Elements(weights));
        for threads in [1usize, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("rayon pool");
            group.bench_with_input(
                BenchmarkId::new(format!("{n}x{n}"), format!("{threads}threads")),
                &threads,
                |b, _| {
                    b.iter(|| {
                        pool.install(|| {
                            black_box(
                                oracle::run(&*layout, &large, &spec, &NoProgress)
                                    .expect("prunable"),
                            )
                        })
                    });
                },
            );
        }
    }
    group.finish();
}

fn bench_constructions(c: &mut Criterion) {
    let constructions = Construction::ALL;
    let mut group = c.benchmark_group("construction/layer_64x64");
    group.sample_size(10);
    for n in [16usize, 64] {
        let arch = Architecture::with_hidden(vec![n, n], Activation::Relu, Activation::Identity)
            .expect("valid architecture");
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(n as u64);
        let target = random_spectral(&arch, 1.0, &mut rng).expect("random target");
        let domain = Domain::cube(n, -1.0, 1.0).expect("box");
        let weights = (n * n) as u64;
        for cons in constructions {
            let config = PruneConfig {
                construction: cons,
                ..PruneConfig::new(0.01)
            };
            let plan = Plan::new(&target, &domain, &config).expect("plan");
            let layout = cons.layout(&plan).expect("layout");
            let large = plan.large_network(&*layout).expect("G");
            let spec = plan.oracle_spec();
            let run = || oracle::run(&*layout, &large, &spec, &NoProgress).expect("prunable");
            let once = run();
            println!(
                "{n}×{n} {cons}: M_1 = {} (theorem {}, needed {}), m = {}, k = {}, {} kept neurons, {:.1} products consulted per target weight",
                large.intermediate_widths()[0],
                layout.widths_theorem()[0],
                once.layers[0].width_needed,
                layout.neurons_per_weight(),
                plan.golden_ratio_steps(),
                once.pruned.kept_neurons()[0],
                once.products_consulted as f64 / weights as f64,
            );
            if n != 64 {
                continue;
            }
            group.throughput(Throughput::Elements(weights));
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .expect("rayon pool");
            group.bench_with_input(BenchmarkId::new(cons.name(), "1thread"), &cons, |b, _| {
                b.iter(|| pool.install(|| black_box(run())));
            });
        }
    }
    group.finish();
}

/// The oracle on a 1000×1000 layer (PyTorch's default init U[±1/√1000], ε = 0.01, domain
/// [0, 1]^1000, per-weight, golden-ratio, `logprune prune`'s default recurrence tolerance
/// rule) on 2 threads, for generator versions 2 (Philox4x32-10) and 3 (ARS-4x32-7), each
/// against its generator floor measured in the same run: the blocks of the words the oracle
/// consults (each target weight's block prefix of the mean number of neurons consulted,
/// rounded up to the oracle's chunks of 32), and nothing else.
fn bench_oracle_at_scale(c: &mut Criterion) {
    let n = 1000usize;
    let arch = Architecture::new(vec![n, n], vec![Activation::Identity]).expect("architecture");
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1000);
    let target = random_uniform(&arch, 1.0 / (n as f64).sqrt(), &mut rng).expect("target");
    let domain = Domain::cube(n, 0.0, 1.0).expect("box");
    let weights = (n * n) as u64;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("rayon pool");
    let mut group = c.benchmark_group("construction/oracle_1000x1000");
    group.sample_size(10);
    group.throughput(Throughput::Elements(weights));
    for generator in [Generator::PhiloxV2, Generator::ArsV3] {
        let mut config = PruneConfig::new(0.01);
        config.generator = generator;
        config.tolerance_rule = ToleranceRule::Recurrence;
        let plan = Plan::new(&target, &domain, &config).expect("plan");
        let layout = Construction::PerWeight.layout(&plan).expect("layout");
        let large = plan.large_network(&*layout).expect("G");
        let spec = plan.oracle_spec();
        let once =
            pool.install(|| oracle::run(&*layout, &large, &spec, &NoProgress).expect("prunable"));
        let per_weight = once.products_consulted as f64 / weights as f64;
        let prefix = (per_weight / 32.0).ceil() as usize * 32;
        let m = layout.neurons_per_weight();
        println!(
            "1000×1000, {generator}: ε_w = {:.3e}, m = {m}, {per_weight:.1} products consulted per target weight (floor: {prefix}), {} kept neurons",
            plan.epsilon_w(),
            once.pruned.kept_neurons()[0],
        );
        group.bench_function(
            BenchmarkId::new("per_weight_golden_ratio_2threads", generator),
            |b| {
                b.iter(|| {
                    pool.install(|| {
                        black_box(
                            oracle::run(&*layout, &large, &spec, &NoProgress).expect("prunable"),
                        )
                    })
                });
            },
        );
        group.bench_function(
            BenchmarkId::new("generator_floor_2threads", generator),
            |b| {
                b.iter(|| {
                    pool.install(|| {
                        use rayon::prelude::*;
                        (0..n)
                            .into_par_iter()
                            .map(|a| {
                                let mut words = vec![0u64; prefix];
                                let mut acc = 0u64;
                                for bb in 0..n {
                                    let z0 = (a as u64 * n as u64 + bb as u64) * m;
                                    large.u_words(0, bb, z0, &mut words);
                                    acc ^= words[prefix - 1];
                                    large.v_words(0, a, z0, &mut words);
                                    acc ^= words[prefix - 1];
                                }
                                acc
                            })
                            .reduce(|| 0, |x, y| x ^ y)
                    })
                });
            },
        );
    }
    group.finish();
}

criterion_group!(
    benches,
    bench_per_weight,
    bench_constructions,
    bench_oracle_at_scale
);
criterion_main!(benches);
