//! Criterion benches for logprune-sampling.
//!
//! - `distributions`: samples per second of every distribution, drawn from `Pcg64Mcg`.
//! - `product_interval`: deciding the golden-ratio interval `s` of a product weight `V·U`
//!   (Lemma 9's `I_s = (γ^{s+1}, γ^s]·w_max`, `γ = 2/3`) from two random words, on the `exp`
//!   path (two `exp`, a product, one `ln`) and on the log-domain path (two multiply-adds, no
//!   `exp`, no `ln`); plus the product value alone on both paths.
//! - `counter`: the counter-based generator (Philox4x32-10) per call, and a weight of G
//!   recomputed from `(seed, stream, index)`; `philox_blocks/n` is the batch form
//!   (`counter::blocks`, dispatched at run time to the widest SIMD the CPU has) on `n`
//!   counters, against `philox_scalar_loop/n`, the scalar function in a loop over the same
//!   counters (throughput in blocks). `ars_scalar` and `ars_blocks/n` are the same for
//!   ARS-4x32-7 (`counter::ars4x32_7`, `counter::ars_blocks`, generator v3), and
//!   `ars_blocks_<backend>/n` forces each AES backend available on the machine (`portable`,
//!   `hardware`), so ARS and Philox are compared within one run.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use logprune_sampling::{
    CounterRng, Gaussian, Hyperbolic, InvLogLogSquared, InvLogSquared, Product, SampleBits,
    SignedHyperbolic, Uniform, counter,
};
use rand::{Rng, SeedableRng};
use rand_distr::Distribution;
use rand_pcg::Pcg64Mcg;

/// Samples per iteration of the throughput benches.
const BATCH: usize = 1024;

fn bench_one<D: Distribution<f64>>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    d: &D,
) {
    let mut rng = Pcg64Mcg::seed_from_u64(1);
    c.bench_function(BenchmarkId::from_parameter(name), |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for _ in 0..BATCH {
                acc += d.sample(&mut rng);
            }
            black_box(acc)
        })
    });
}

fn distributions(c: &mut Criterion) {
    let mut g = c.benchmark_group("distributions");
    g.throughput(Throughput::Elements(BATCH as u64));
    let s = SignedHyperbolic::theorem3(1e-3, 1.0).expect("valid range");
    let u = Uniform::new(1.0).expect("valid half-width");
    bench_one(
        &mut g,
        "hyperbolic",
        &Hyperbolic::theorem3(1e-3, 1.0).expect("valid range"),
    );
    bench_one(&mut g, "signed_hyperbolic", &s);
    bench_one(&mut g, "uniform", &u);
    bench_one(
        &mut g,
        "gaussian",
        &Gaussian::new(1.0).expect("valid sigma"),
    );
    bench_one(&mut g, "product_uniform", &Product::new(u, u));
    bench_one(&mut g, "product_hyperbolic", &Product::new(s, s));
    bench_one(
        &mut g,
        "remark12_inv_log_squared",
        &InvLogSquared::new(2.0 / 3.0).expect("valid gamma"),
    );
    bench_one(
        &mut g,
        "remark12_inv_loglog_squared",
        &InvLogLogSquared::new(2.0 / 3.0).expect("valid gamma"),
    );
    // The raw generator, for scale.
    let mut rng = Pcg64Mcg::seed_from_u64(1);
    g.bench_function(BenchmarkId::from_parameter("pcg64mcg_next_u64"), |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for _ in 0..BATCH {
                acc ^= rng.next_u64();
            }
            black_box(acc)
        })
    });
    g.finish();
}

fn product_interval(c: &mut Criterion) {
    let mut g = c.benchmark_group("product_interval");
    g.throughput(Throughput::Elements(BATCH as u64));
    let s = SignedHyperbolic::theorem3(1e-3, 1.0).expect("valid range");
    let p = Product::new(s, s);
    let mut rng = Pcg64Mcg::seed_from_u64(2);
    let words: Vec<(u64, u64)> = (0..BATCH)
        .map(|_| (rng.next_u64(), rng.next_u64()))
        .collect();
    let w_max: f64 = 1.0;
    let ln_w_max = w_max.ln();
    let inv_ln_gamma = 1.0 / (2.0_f64 / 3.0).ln();
    // s = ⌊ln(|w|/w_max) / ln γ⌋: |w| ∈ (γ^{s+1}, γ^s]·w_max up to the boundary convention.
    g.bench_function(BenchmarkId::new("interval", "exp_path"), |b| {
        b.iter(|| {
            let mut acc = 0i64;
            for &(b1, b2) in &words {
                let w = p.sample_bits_pair(b1, b2);
                acc += ((w.abs().ln() - ln_w_max) * inv_ln_gamma).floor() as i64;
            }
            black_box(acc)
        })
    });
    g.bench_function(BenchmarkId::new("interval", "log_path"), |b| {
        b.iter(|| {
            let mut acc = 0i64;
            for &(b1, b2) in &words {
                let lw = p.sample_log_bits_pair(b1, b2);
                acc += ((lw.ln_abs - ln_w_max) * inv_ln_gamma).floor() as i64;
            }
            black_box(acc)
        })
    });
    g.bench_function(BenchmarkId::new("value", "exp_path"), |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for &(b1, b2) in &words {
                acc += p.sample_bits_pair(b1, b2);
            }
            black_box(acc)
        })
    });
    g.bench_function(BenchmarkId::new("value", "log_path"), |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for &(b1, b2) in &words {
                let lw = p.sample_log_bits_pair(b1, b2);
                acc += if lw.negative { -lw.ln_abs } else { lw.ln_abs };
            }
            black_box(acc)
        })
    });
    // Whole pipeline from the counter: one Philox call gives both factors.
    g.bench_function(BenchmarkId::new("interval_from_counter", "exp_path"), |b| {
        b.iter(|| {
            let mut acc = 0i64;
            for i in 0..BATCH as u64 {
                let (b1, b2) = counter::bits_pair(7, 0, i);
                let w = p.sample_bits_pair(b1, b2);
                acc += ((w.abs().ln() - ln_w_max) * inv_ln_gamma).floor() as i64;
            }
            black_box(acc)
        })
    });
    g.bench_function(BenchmarkId::new("interval_from_counter", "log_path"), |b| {
        b.iter(|| {
            let mut acc = 0i64;
            for i in 0..BATCH as u64 {
                let (b1, b2) = counter::bits_pair(7, 0, i);
                let lw = p.sample_log_bits_pair(b1, b2);
                acc += ((lw.ln_abs - ln_w_max) * inv_ln_gamma).floor() as i64;
            }
            black_box(acc)
        })
    });
    g.finish();
}

fn counter_generator(c: &mut Criterion) {
    let mut g = c.benchmark_group("counter");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function(BenchmarkId::from_parameter("philox_bits"), |b| {
        let mut start = 0u64;
        b.iter(|| {
            let mut acc = 0u64;
            for i in start..start + BATCH as u64 {
                acc ^= counter::bits(black_box(42), 3, i);
            }
            start += BATCH as u64;
            black_box(acc)
        })
    });
    for n in [16usize, 64] {
        g.throughput(Throughput::Elements(n as u64));
        let counters: Vec<[u32; 4]> = (0..n as u64)
            .map(|i| counter::counter_words(3, i, 0))
            .collect();
        let mut out = vec![[0u32; 4]; n];
        g.bench_with_input(BenchmarkId::new("philox_blocks", n), &counters, |b, cs| {
            b.iter(|| {
                counter::blocks(black_box(42), black_box(cs), &mut out);
                black_box(&out);
            })
        });
        g.bench_with_input(
            BenchmarkId::new("philox_scalar_loop", n),
            &counters,
            |b, cs| {
                b.iter(|| {
                    let key = [black_box(42u32), 0];
                    for (o, c) in out.iter_mut().zip(black_box(cs)) {
                        *o = counter::philox4x32_10(*c, key);
                    }
                    black_box(&out);
                })
            },
        );
    }
    // ARS-4x32-7 (generator v3), next to Philox so that the ratio comes from one run.
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function(BenchmarkId::from_parameter("ars_scalar"), |b| {
        let mut start = 0u64;
        b.iter(|| {
            let key = counter::ars_key(black_box(42));
            let mut acc = 0u32;
            for i in start..start + BATCH as u64 {
                acc ^= counter::ars4x32_7(counter::counter_words(3, i, 0), key)[0];
            }
            start += BATCH as u64;
            black_box(acc)
        })
    });
    for n in [16usize, 64] {
        g.throughput(Throughput::Elements(n as u64));
        let counters: Vec<[u32; 4]> = (0..n as u64)
            .map(|i| counter::counter_words(3, i, 0))
            .collect();
        let mut out = vec![[0u32; 4]; n];
        g.bench_with_input(BenchmarkId::new("ars_blocks", n), &counters, |b, cs| {
            b.iter(|| {
                counter::ars_blocks(black_box(42), black_box(cs), &mut out);
                black_box(&out);
            })
        });
        for backend in counter::AesBackend::all_available() {
            let name = format!("ars_blocks_{}", format!("{backend:?}").to_lowercase());
            g.bench_with_input(BenchmarkId::new(name, n), &counters, |b, cs| {
                b.iter(|| {
                    counter::ars_blocks_with(backend, black_box(42), black_box(cs), &mut out);
                    black_box(&out);
                })
            });
        }
    }
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function(BenchmarkId::from_parameter("uniform"), |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for i in 0..BATCH as u64 {
                acc += counter::uniform(black_box(42), 3, i);
            }
            black_box(acc)
        })
    });
    g.bench_function(BenchmarkId::from_parameter("counter_rng_next_u64"), |b| {
        let mut rng = CounterRng::new(42, 3, 0);
        b.iter(|| {
            let mut acc = 0u64;
            for _ in 0..BATCH {
                acc ^= rng.next_u64();
            }
            black_box(acc)
        })
    });
    let s = SignedHyperbolic::theorem3(1e-3, 1.0).expect("valid range");
    g.bench_function(
        BenchmarkId::from_parameter("weight_signed_hyperbolic"),
        |b| {
            b.iter(|| {
                let mut acc = 0.0;
                for i in 0..BATCH as u64 {
                    acc += counter::weight(&s, black_box(42), 3, i);
                }
                black_box(acc)
            })
        },
    );
    g.bench_function(
        BenchmarkId::from_parameter("log_weight_signed_hyperbolic"),
        |b| {
            b.iter(|| {
                let mut acc = 0.0;
                for i in 0..BATCH as u64 {
                    acc += counter::log_weight(&s, black_box(42), 3, i).ln_abs;
                }
                black_box(acc)
            })
        },
    );
    g.bench_function(BenchmarkId::from_parameter("weight_via_counter_rng"), |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for i in 0..BATCH as u64 {
                acc += s.sample(&mut CounterRng::new(black_box(42), 3, i));
            }
            black_box(acc)
        })
    });
    // sample_bits on a fixed word, to separate the exp from the generator.
    g.bench_function(BenchmarkId::from_parameter("sample_bits_only"), |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for i in 0..BATCH as u64 {
                acc += s.sample_bits(black_box(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
            }
            black_box(acc)
        })
    });
    g.finish();
}

criterion_group!(benches, distributions, product_interval, counter_generator);
criterion_main!(benches);
