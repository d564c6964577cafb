//! Criterion benches for logprune-bounds.
//!
//! - `report`: validating a setting and computing its full report (Lemma 1's `ε_w`, Theorem 3's
//!   `k'`, `[α, β]`, per-layer `M_i` of Theorems 3 and 30, their minimum, Malach et al., and
//!   Corollary 7's `N_G/N*`), as `cargo xtask bounds` does; throughput in layers.
//! - `sweep`: the whole grid of `data/bounds_sweep.csv` (480 settings, `ℓ` up to 1000), i.e. the
//!   per-setting cost of that table; throughput in settings.
//! - `closed_forms`: single formulas (Lemma 1, Theorem 3's and 30's `M_i`, Malach et al.,
//!   Lemma 9's `m`, Lemma 18 on a sequence of 1000 terms).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use logprune_bounds::golden::GoldenRatio;
use logprune_bounds::sequence::{self, Factor};
use logprune_bounds::{NormModel, Setting, Widths, lemma1, malach, theorem3, theorem30};

fn report(c: &mut Criterion) {
    let mut g = c.benchmark_group("report");
    let cases: [(&str, u64, usize, NormModel); 4] = [
        ("example5_n100_l10", 100, 10, NormModel::SpectralAtMostOne),
        ("example6_n100_l10", 100, 10, NormModel::WorstCaseMaxWidth),
        ("n1000_l100_no_norm", 1000, 100, NormModel::WorstCase),
        ("n1e6_l1e4_no_norm", 1_000_000, 10_000, NormModel::WorstCase),
    ];
    for (name, n, l, norms) in cases {
        g.throughput(Throughput::Elements(l as u64));
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                let s = Setting::uniform(black_box(n), black_box(l), 0.01, 0.01)
                    .norms(norms.clone())
                    .check()
                    .expect("valid setting");
                black_box(s.report().ng_over_nstar_min.ln())
            })
        });
    }
    g.finish();
}

/// The grid of `bounds_sweep.csv` (crates/experiments/src/bounds_tables.rs, `sweep_config`).
fn sweep(c: &mut Criterion) {
    let ns = [10u64, 100, 1000, 10_000];
    let layers = [1usize, 2, 10, 100, 1000];
    let eps = [1e-1, 1e-2, 1e-4, 1e-8];
    let deltas = [1e-1, 1e-2, 1e-6];
    let norms = [NormModel::SpectralAtMostOne, NormModel::WorstCase];
    let settings = norms.len() * ns.len() * layers.len() * eps.len() * deltas.len();
    let mut g = c.benchmark_group("sweep");
    g.throughput(Throughput::Elements(settings as u64));
    g.sample_size(10);
    g.bench_function("bounds_sweep_grid", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for m in &norms {
                for &n in &ns {
                    for &l in &layers {
                        for &e in &eps {
                            for &d in &deltas {
                                let s = Setting::uniform(n, l, e, d)
                                    .norms(m.clone())
                                    .check()
                                    .expect("valid setting");
                                acc += s.report().layers[0].min_per_weight.ln();
                            }
                        }
                    }
                }
            }
            black_box(acc)
        })
    });
    g.finish();
}

fn closed_forms(c: &mut Criterion) {
    let mut g = c.benchmark_group("closed_forms");
    g.throughput(Throughput::Elements(1));
    let w = Widths::uniform(100, 10).expect("valid widths");
    let lambdas = lemma1::relu_lambdas(10);
    g.bench_function("lemma1_epsilon_w", |b| {
        b.iter(|| {
            lemma1::epsilon_w(
                black_box(0.01),
                &w,
                &lambdas,
                1.0,
                1.0,
                &NormModel::WorstCase,
            )
            .expect("valid")
        })
    });
    let kp = 39.249_056_277_333_324;
    g.bench_function("theorem3_m_i", |b| {
        b.iter(|| theorem3::m_i(black_box(kp), 100, 100, 10, 0.01).expect("valid"))
    });
    g.bench_function("theorem30_m_i", |b| {
        b.iter(|| theorem30::m_i(black_box(kp), 100, 100, 1e5, 0.01).expect("valid"))
    });
    g.bench_function("malach_per_weight", |b| {
        b.iter(|| malach::per_weight(black_box(100), 10, 0.01, 0.01).expect("valid"))
    });
    g.bench_function("lemma9_m", |b| {
        b.iter(|| {
            GoldenRatio::new(black_box(0.01), 2.0 / 3.0)
                .expect("valid")
                .m(0.01)
                .expect("valid")
        })
    });
    let a: Vec<f64> = (0..1000).map(|i| 0.5 + f64::from(i % 7) * 0.3).collect();
    let bs: Vec<f64> = (0..1000).map(|i| 0.01 * f64::from(i % 5)).collect();
    g.throughput(Throughput::Elements(1000));
    g.bench_function("lemma18_bound_T1000", |b| {
        b.iter(|| {
            let tau = sequence::remark24_tau(black_box(&a));
            sequence::lemma18_bound(0.0, &a, &bs, tau, Factor::Tight).expect("feasible")
        })
    });
    g.finish();
}

criterion_group!(benches, report, sweep, closed_forms);
criterion_main!(benches);
