//! Kolmogorov–Smirnov tests of every distribution of the crate against its analytic cdf, in
//! the style of rand_distr's `distr_test`: 10^6 samples, fixed seeds, critical value 1.95/√n.

#![allow(clippy::unwrap_used)]

mod common;

use common::{N_SAMPLES, assert_ks, ks_critical, ks_statistic};
use logprune_sampling::{
    Continuous, CounterRng, DoublingSampler, DoublingSchedule, Gaussian, Hyperbolic,
    InvLogLogSquared, InvLogSquared, LogSampleBits, Product, SampleBits, SignedGaussian,
    SignedHyperbolic, SignedUniform, Uniform, WeightDistribution, counter, theorem3_range, widen32,
};
use rand::SeedableRng;
use rand_distr::Distribution;
use rand_pcg::Pcg64Mcg;

fn samples<D: Distribution<f64>>(d: &D, seed: u64) -> Vec<f64> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    (0..N_SAMPLES).map(|_| d.sample(&mut rng)).collect()
}

fn ks<D: Distribution<f64> + Continuous>(name: &str, d: &D, seed: u64) {
    assert_ks(name, samples(d, seed), |x| d.cdf(x));
}

#[test]
fn hyperbolic() {
    ks(
        "hyperbolic [1e-3, 1]",
        &Hyperbolic::new(1e-3, 1.0).unwrap(),
        1,
    );
    ks(
        "hyperbolic, Theorem 3 range (1e-4, 1)",
        &Hyperbolic::theorem3(1e-4, 1.0).unwrap(),
        2,
    );
    // A narrow range too: ln(β/α) small.
    ks(
        "hyperbolic [1, 1.01]",
        &Hyperbolic::new(1.0, 1.01).unwrap(),
        3,
    );
}

#[test]
fn signed_hyperbolic() {
    let p = SignedHyperbolic::theorem3(1e-3, 1.0).unwrap();
    ks("signed hyperbolic, Theorem 3 range (1e-3, 1)", &p, 4);
    // Through the counter-based generator: weights (seed, stream, index) for index = 0..n.
    let xs = (0..N_SAMPLES as u64)
        .map(|i| counter::weight(&p, 5, 3, i))
        .collect();
    assert_ks("signed hyperbolic via counter::weight", xs, |x| p.cdf(x));
    // And via CounterRng (same words, hence the same values).
    let w0 = p.sample(&mut CounterRng::new(5, 3, 0));
    assert_eq!(w0, counter::weight(&p, 5, 3, 0));
}

#[test]
fn log_domain_path() {
    // ln|w| is uniform on [ln α, ln β]; the sign is fair and independent of the magnitude.
    let (alpha, beta) = theorem3_range(1e-3, 1.0).unwrap();
    let p = SignedHyperbolic::new(alpha, beta).unwrap();
    let mut rng = Pcg64Mcg::seed_from_u64(6);
    let draws: Vec<_> = (0..N_SAMPLES).map(|_| p.sample_log(&mut rng)).collect();
    let (la, lb) = (alpha.ln(), beta.ln());
    assert_ks(
        "ln|w| of the log-domain path",
        draws.iter().map(|d| d.ln_abs).collect(),
        |y| ((y - la) / (lb - la)).clamp(0.0, 1.0),
    );
    // Signed value (w = ±exp(ln|w|)) against p_w's cdf.
    assert_ks(
        "value of the log-domain path",
        draws.iter().map(|d| d.value()).collect(),
        |x| p.cdf(x),
    );
}

#[test]
fn remark12_first_density() {
    let p = InvLogSquared::new(2.0 / 3.0).unwrap();
    // In v: underflow puts mass ≈ 5.4e-4 at 0 (below the critical value 1.95e-3).
    ks("Remark 12 first density, v", &p, 7);
    // In ln v: exact.
    let mut rng = Pcg64Mcg::seed_from_u64(8);
    let xs = (0..N_SAMPLES).map(|_| p.sample_ln(&mut rng)).collect();
    assert_ks("Remark 12 first density, ln v", xs, |y| p.cdf_ln(y));
}

#[test]
fn remark12_second_density() {
    let p = InvLogLogSquared::new(2.0 / 3.0).unwrap();
    // In ln v (v itself underflows to 0 for about 3% of the samples); ln v = −inf for about
    // 2.8e-4 of them, which the statistic counts against us (cdf_ln(−inf) = 0).
    let mut rng = Pcg64Mcg::seed_from_u64(9);
    let xs: Vec<f64> = (0..N_SAMPLES).map(|_| p.sample_ln(&mut rng)).collect();
    let below = xs.iter().filter(|&&y| y < -300.0 * 10f64.ln()).count() as f64;
    let frac = below / N_SAMPLES as f64;
    let want = p.cdf_ln(-300.0 * 10f64.ln());
    assert!(
        (frac - want).abs() < 4.0 * (want / N_SAMPLES as f64).sqrt(),
        "P(v < 1e-300): {frac} vs {want}"
    );
    assert_ks("Remark 12 second density, ln v", xs, |y| p.cdf_ln(y));
}

#[test]
fn uniform_and_gaussian() {
    ks("uniform [-1, 1]", &Uniform::new(1.0).unwrap(), 10);
    ks("uniform [-0.1, 0.1]", &Uniform::new(0.1).unwrap(), 11);
    ks("gaussian sigma 1", &Gaussian::new(1.0).unwrap(), 12);
    ks("gaussian sigma 0.3", &Gaussian::new(0.3).unwrap(), 13);
}

#[test]
fn signed_uniform_and_signed_gaussian() {
    let u1 = SignedUniform::new(1.0).unwrap();
    ks("signed uniform [-1, 1]", &u1, 50);
    ks(
        "signed uniform [-0.1, 0.1]",
        &SignedUniform::new(0.1).unwrap(),
        51,
    );
    let g1 = SignedGaussian::new(1.0).unwrap();
    ks("signed gaussian sigma 1", &g1, 52);
    let g3 = SignedGaussian::new(0.3).unwrap();
    ks("signed gaussian sigma 0.3", &g3, 53);
    // Weights of G through the counter-based generator, index = 0..n.
    let xs = (0..N_SAMPLES as u64)
        .map(|i| counter::weight(&u1, 54, 1, i))
        .collect();
    assert_ks("signed uniform via counter::weight", xs, |x| u1.cdf(x));
    let xs = (0..N_SAMPLES as u64)
        .map(|i| counter::weight(&g1, 55, 1, i))
        .collect();
    assert_ks("signed gaussian via counter::weight", xs, |x| g1.cdf(x));
    // The log-domain path: value() against the same cdf, and ln|w| = ln σ + ln|Z| against the
    // half-normal cdf of |Z| = exp(ln|w| − ln σ).
    let mut rng = Pcg64Mcg::seed_from_u64(56);
    let draws: Vec<_> = (0..N_SAMPLES).map(|_| g3.sample_log(&mut rng)).collect();
    assert_ks(
        "signed gaussian log path, value",
        draws.iter().map(|d| d.value()).collect(),
        |x| g3.cdf(x),
    );
    assert_ks(
        "signed gaussian log path, ln|w|",
        draws.iter().map(|d| d.ln_abs).collect(),
        |y| (2.0 * g3.cdf(y.exp()) - 1.0).clamp(0.0, 1.0),
    );
    // The sign is fair and independent of the magnitude: |w| of the negative samples alone
    // follows the half-normal law.
    let neg: Vec<f64> = draws
        .iter()
        .filter(|d| d.negative)
        .map(|d| d.abs())
        .collect();
    assert!(
        (neg.len() as f64 / N_SAMPLES as f64 - 0.5).abs() < 4.0 * 0.5 / (N_SAMPLES as f64).sqrt(),
        "P(negative) = {}",
        neg.len() as f64 / N_SAMPLES as f64
    );
    assert_ks("|w| of the negative signed gaussians", neg, |x| {
        (2.0 * g3.cdf(x) - 1.0).clamp(0.0, 1.0)
    });
}

#[test]
fn one_word_distributions_from_32_bit_words() {
    // widen32 of the four 32-bit words of each Philox block, through counter::blocks: the
    // quantile has 31 bits, so the law is exact to 2^-32, far below the critical value.
    let n_blocks = N_SAMPLES / 4;
    let counters: Vec<[u32; 4]> = (0..n_blocks as u64)
        .map(|i| counter::counter_words(7, i, 0))
        .collect();
    let mut out = vec![[0u32; 4]; n_blocks];
    counter::blocks(60, &counters, &mut out);
    let words: Vec<u64> = out.iter().flatten().map(|&w| widen32(w)).collect();
    // Each sample is the same increasing map of (sign, u) composed with its own cdf, so the
    // three statistics coincide; each checks that distribution's map and cdf agree.
    let g = SignedGaussian::new(1.0).unwrap();
    assert_ks(
        "signed gaussian from widen32 words",
        words.iter().map(|&b| g.sample_bits(b)).collect(),
        |x| g.cdf(x),
    );
    let h = SignedHyperbolic::theorem3(1e-3, 1.0).unwrap();
    assert_ks(
        "signed hyperbolic from widen32 words",
        words.iter().map(|&b| h.sample_bits(b)).collect(),
        |x| h.cdf(x),
    );
    let u = SignedUniform::new(1.0).unwrap();
    assert_ks(
        "signed uniform from widen32 words",
        words.iter().map(|&b| u.sample_bits(b)).collect(),
        |x| u.cdf(x),
    );
}

#[test]
fn products() {
    let u = Uniform::new(1.0).unwrap();
    ks("product of two uniforms [-1, 1]", &Product::new(u, u), 14);
    ks(
        "product of uniforms [-2, 2] x [-0.5, 0.5]",
        &Product::new(Uniform::new(2.0).unwrap(), Uniform::new(0.5).unwrap()),
        15,
    );
    let h = Hyperbolic::theorem3(1e-3, 1.0).unwrap();
    ks("product of two hyperbolics", &Product::new(h, h), 16);
    ks(
        "product of hyperbolics on different ranges",
        &Product::new(
            Hyperbolic::new(1e-3, 1.0).unwrap(),
            Hyperbolic::new(0.5, 4.0).unwrap(),
        ),
        17,
    );
    let s = SignedHyperbolic::theorem3(1e-3, 1.0).unwrap();
    let ps = Product::new(s, s);
    ks("product of two signed hyperbolics", &ps, 18);
    // Log-domain products from one Philox call each (counter::bits_pair).
    let xs = (0..N_SAMPLES as u64)
        .map(|i| {
            let (b1, b2) = counter::bits_pair(19, 0, i);
            ps.sample_log_bits_pair(b1, b2).value()
        })
        .collect();
    assert_ks("log-domain product via counter::bits_pair", xs, |x| {
        ps.cdf(x)
    });
}

#[test]
fn weight_distribution_enum() {
    for (k, d) in WeightDistribution::paper_baselines(1e-2, 1.0)
        .unwrap()
        .into_iter()
        .enumerate()
    {
        ks(d.name(), &d, 20 + k as u64);
    }
}

#[test]
fn doubling_sampler_mixture() {
    // Samples s = 1..=n of Remark 14's schedule: a mixture of Theorem 3's ranges for
    // w_max = 2^j with weights count_with_exponent(n, j)/n.
    let d = DoublingSampler::new(1e-2, DoublingSchedule::paper()).unwrap();
    let n = N_SAMPLES as u64;
    let xs = (1..=n)
        .map(|s| d.sample_bits(s, counter::bits(30, 0, s)).unwrap())
        .collect();
    let sched = *d.schedule();
    let parts: Vec<(f64, SignedHyperbolic)> = (0..64u32)
        .filter(|&j| sched.count_with_exponent(n, j) > 0)
        .map(|j| {
            let s = 1u64 << j; // a sample with exponent j
            (
                sched.count_with_exponent(n, j) as f64 / n as f64,
                *d.distribution(s).unwrap(),
            )
        })
        .collect();
    assert_ks("Remark 14 doubling sampler", xs, |x| {
        parts
            .iter()
            .map(|(w, p)| w * p.cdf(x))
            .sum::<f64>()
            .clamp(0.0, 1.0)
    });
}

#[test]
fn counter_uniform() {
    let xs = (0..N_SAMPLES as u64)
        .map(|i| counter::uniform(2020, 0, i))
        .collect();
    assert_ks("counter::uniform", xs, |u| u.clamp(0.0, 1.0));
    // The second 64-bit word of the block, too.
    let xs = (0..N_SAMPLES as u64)
        .map(|i| logprune_sampling::unit_open(counter::bits_pair(2020, 0, i).1))
        .collect();
    assert_ks("second word of the block", xs, |u| u.clamp(0.0, 1.0));
    // The uniform of Hyperbolic::sample_bits is the same word.
    let h = Hyperbolic::new(1.0, std::f64::consts::E).unwrap();
    let u = counter::uniform(2020, 0, 5);
    assert!((h.sample_bits(counter::bits(2020, 0, 5)).ln() - u).abs() < 1e-15);
}

#[test]
fn the_test_has_power() {
    // Samples of [1e-3, 1] against the cdf of [1.1e-3, 1]: the cdfs differ by up to
    // ln(1.1)/ln(1000) ≈ 0.0138, seven times the critical value.
    let h = Hyperbolic::new(1e-3, 1.0).unwrap();
    let wrong = Hyperbolic::new(1.1e-3, 1.0).unwrap();
    let d = ks_statistic(samples(&h, 40), |x| wrong.cdf(x));
    assert!(d > 5.0 * ks_critical(N_SAMPLES), "D = {d}");
    // The product of two hyperbolics is not hyperbolic (Lemma 28 only bounds its density).
    let p = Product::new(h, h);
    let single = Hyperbolic::new(1e-6, 1.0).unwrap();
    let d = ks_statistic(samples(&p, 41), |x| single.cdf(x));
    assert!(d > 5.0 * ks_critical(N_SAMPLES), "D = {d}");
    // A 2% error in σ (max cdf difference ≈ 0.02·φ(1) ≈ 0.0048) is caught.
    let g = SignedGaussian::new(1.0).unwrap();
    let wider = SignedGaussian::new(1.02).unwrap();
    let d = ks_statistic(samples(&g, 42), |x| wider.cdf(x));
    assert!(d > 2.0 * ks_critical(N_SAMPLES), "D = {d}");
}
