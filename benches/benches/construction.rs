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
use logprune_construction::{Construction, Domain, NoProgress, Plan, PruneConfig, oracle};
use logprune_network::{Activation, Architecture, random_spectral};
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

criterion_group!(benches, bench_per_weight, bench_constructions);
criterion_main!(benches);
