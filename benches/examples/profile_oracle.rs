//! Runs the per-weight golden-ratio oracle on a 1000×1000 layer (PyTorch's
//! default init, ε = 0.01, [0, 1]^1000) on one thread, for profilers (`perf record`,
//! `valgrind --tool=callgrind`). `LOGPRUNE_PROFILE_N` replaces 1000 (a smaller layer for
//! callgrind). `LOGPRUNE_PROFILE_GENERATOR` (`ars-v3`, `philox-v2`, `philox-v1`) and
//! `LOGPRUNE_PROFILE_RULE` (`recurrence`, `lemma1`) replace the library's defaults.
use logprune_construction::{Construction, Domain, NoProgress, Plan, PruneConfig, oracle};
use logprune_network::{Activation, Architecture, random_uniform};
use rand::SeedableRng;

fn main() {
    let n: usize = std::env::var("LOGPRUNE_PROFILE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let arch = Architecture::new(vec![n, n], vec![Activation::Identity]).expect("architecture");
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1000);
    let target = random_uniform(&arch, 1.0 / (n as f64).sqrt(), &mut rng).expect("target");
    let domain = Domain::cube(n, 0.0, 1.0).expect("box");
    let mut config = PruneConfig::new(0.01);
    if let Ok(g) = std::env::var("LOGPRUNE_PROFILE_GENERATOR") {
        config.generator = g
            .parse()
            .expect("LOGPRUNE_PROFILE_GENERATOR: a generator name");
    }
    if let Ok(r) = std::env::var("LOGPRUNE_PROFILE_RULE") {
        config.tolerance_rule = match r.as_str() {
            "lemma1" => logprune_construction::ToleranceRule::Lemma1,
            "recurrence" => logprune_construction::ToleranceRule::Recurrence,
            other => panic!("LOGPRUNE_PROFILE_RULE: lemma1 or recurrence, not {other}"),
        };
    }
    let plan = Plan::new(&target, &domain, &config).expect("plan");
    let layout = Construction::PerWeight.layout(&plan).expect("layout");
    let large = plan.large_network(&*layout).expect("G");
    let spec = plan.oracle_spec();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let start = std::time::Instant::now();
    let out = pool.install(|| oracle::run(&*layout, &large, &spec, &NoProgress).expect("prunable"));
    let s = start.elapsed().as_secs_f64();
    println!(
        "{:.2} s, {:.0} weights/s, {:.1} products per weight",
        s,
        (n * n) as f64 / s,
        out.products_consulted as f64 / (n * n) as f64
    );
}
