//! Criterion benches for logprune-decomposition: targets per second.
//!
//! - `solvers/<solver>/<n>`: one target per element, `n ∈ {64, 256, 1024}` candidates drawn
//!   from the signed hyperbolic density on Corollary 10's range `[4ε/9, 2/3]` (`ε = 1e-3`),
//!   targets uniform on `[-1, 1]`. `golden-ratio` and `best-fit` through `Solver::decompose`
//!   (so best-fit sorts per target); `best-fit-prepared` through a `BestFitIndex` built once.
//!   Failures (an empty interval, a miss above `ε`) count as targets done.
//! - `exact/<form>/<n>`: the exact solver is only feasible up to 40 candidates (meet in the
//!   middle, `O(2^{n/2})` per target), so it runs at `n ∈ {16, 24, 32, 40}`: `index` is one
//!   scan of a prebuilt `ExactIndex` (both modes at once, `best_both`), `solver` is
//!   `Exact::decompose`, which also builds the index (`n ≤ 32`).
//! - `streaming/<n>`: the streaming golden-ratio decomposition on log-domain candidates
//!   `(index, ln|v|, sign)` (`ln|v|` drawn directly, Remark 11, no `exp`), offered until the
//!   stream is complete or the `n` candidates run out: what the pruning oracle does per
//!   target weight.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use logprune_decomposition::{BestFit, BestFitIndex, Exact, ExactIndex, GoldenRatio, Solver};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// Targets per iteration.
const TARGETS: usize = 256;
/// The tolerance of every bench.
const EPS: f64 = 1e-3;

/// `n` candidates from the signed hyperbolic density on `[4ε/9, 2/3]` (inverse cdf,
/// Remark 11), as `(value, ln|value|)`.
fn candidates(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let (lo, hi) = ((4.0 * EPS / 9.0_f64).ln(), (2.0_f64 / 3.0).ln());
    let mut values = Vec::with_capacity(n);
    let mut logs = Vec::with_capacity(n);
    for _ in 0..n {
        let l = lo + (hi - lo) * rng.random::<f64>();
        let v = if rng.random_bool(0.5) {
            -l.exp()
        } else {
            l.exp()
        };
        values.push(v);
        logs.push(l);
    }
    (values, logs)
}

fn targets(seed: u64) -> Vec<f64> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    (0..TARGETS).map(|_| rng.random_range(-1.0..=1.0)).collect()
}

fn solvers(c: &mut Criterion) {
    let mut g = c.benchmark_group("solvers");
    g.throughput(Throughput::Elements(TARGETS as u64));
    let ws = targets(7);
    let golden = GoldenRatio::new(1.0).expect("w_max = 1 is valid");
    for n in [64, 256, 1024] {
        let (cand, _) = candidates(n, n as u64);
        g.bench_with_input(BenchmarkId::new("golden-ratio", n), &cand, |b, cand| {
            b.iter(|| {
                for &w in &ws {
                    let _ = black_box(golden.decompose(cand, w, EPS));
                }
            })
        });
        g.bench_with_input(BenchmarkId::new("best-fit", n), &cand, |b, cand| {
            b.iter(|| {
                for &w in &ws {
                    let _ = black_box(BestFit.decompose(cand, w, EPS));
                }
            })
        });
        let index = BestFitIndex::new(&cand).expect("finite candidates");
        g.bench_with_input(
            BenchmarkId::new("best-fit-prepared", n),
            &index,
            |b, index| {
                b.iter(|| {
                    for &w in &ws {
                        let _ = black_box(index.decompose(w, EPS));
                    }
                })
            },
        );
    }
    g.finish();
}

fn exact(c: &mut Criterion) {
    let mut g = c.benchmark_group("exact");
    g.sample_size(10);
    let ws = targets(8);
    for n in [16, 24, 32, 40] {
        let (cand, _) = candidates(n, n as u64);
        let index = ExactIndex::new(&cand).expect("at most 40 finite candidates");
        let per_iter = if n >= 32 { 16 } else { TARGETS };
        g.throughput(Throughput::Elements(per_iter as u64));
        g.bench_with_input(BenchmarkId::new("index", n), &index, |b, index| {
            b.iter(|| {
                for &w in &ws[..per_iter] {
                    let _ = black_box(index.best_both(w));
                }
            })
        });
        if n <= 32 {
            let per_iter = if n >= 32 { 4 } else { 64 };
            g.throughput(Throughput::Elements(per_iter as u64));
            g.bench_with_input(BenchmarkId::new("solver", n), &cand, |b, cand| {
                b.iter(|| {
                    for &w in &ws[..per_iter] {
                        let _ = black_box(Exact::absolute().decompose(cand, w, EPS));
                    }
                })
            });
        }
    }
    g.finish();
}

fn streaming(c: &mut Criterion) {
    let mut g = c.benchmark_group("streaming");
    g.throughput(Throughput::Elements(TARGETS as u64));
    let ws = targets(9);
    let sched = GoldenRatio::new(1.0)
        .and_then(|s| s.schedule(EPS))
        .expect("valid schedule");
    for n in [64, 256, 1024] {
        let (values, logs) = candidates(n, n as u64);
        let negative: Vec<bool> = values.iter().map(|v| *v < 0.0).collect();
        let mut stream = sched.stream(0.0).expect("0 is a valid target");
        g.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                let mut kept = 0;
                for &w in &ws {
                    stream.reset(w).expect("|w| ≤ w_max");
                    for (i, (&l, &neg)) in logs.iter().zip(&negative).enumerate() {
                        if stream.offer(i, l, neg) {
                            break;
                        }
                    }
                    kept += stream.finish().map_or(0, |d| d.pieces());
                }
                black_box(kept)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, solvers, exact, streaming);
criterion_main!(benches);
