//! Value-stability tests: fixed seeds give fixed values (tolerance 1e-14, relative), so that a
//! change of algorithm, of counter layout or of a dependency is noticed. The weights of G are
//! pinned exactly (DESIGN.md, invariant 1: stable from release to release).

#![allow(clippy::unwrap_used)]

mod common;

use common::prec;
use logprune_sampling::{
    CounterRng, DoublingSampler, DoublingSchedule, Gaussian, Hyperbolic, InvLogLogSquared,
    InvLogSquared, Product, SignedHyperbolic, Uniform, counter,
};
use rand::SeedableRng;
use rand_distr::Distribution;
use rand_pcg::Pcg64Mcg;

const SEED: u64 = 0x5eed;

fn assert_close(name: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= prec::STABLE * w.abs(),
            "{name}: got {got:?}, want {want:?}"
        );
    }
}

fn first3<D: Distribution<f64>>(d: &D) -> Vec<f64> {
    let mut rng = Pcg64Mcg::seed_from_u64(SEED);
    (0..3).map(|_| d.sample(&mut rng)).collect()
}

#[test]
fn distributions_with_a_fixed_seed() {
    let s = SignedHyperbolic::theorem3(1e-3, 1.0).unwrap();
    let u = Uniform::new(1.0).unwrap();
    let cases: [(&str, Vec<f64>, [f64; 3]); 8] = [
        (
            "hyperbolic",
            first3(&Hyperbolic::new(1e-3, 1.0).unwrap()),
            [
                0.005666677423711634,
                0.42396260928734364,
                0.003447009676699505,
            ],
        ),
        (
            "signed hyperbolic",
            first3(&s),
            [
                0.015040130300984715,
                -2.235075814950954,
                -0.008453392076051496,
            ],
        ),
        (
            "Remark 12 first",
            first3(&InvLogSquared::new(2.0 / 3.0).unwrap()),
            [0.19895145321308413, 0.6294063674391509, 0.10400636514495845],
        ),
        (
            "Remark 12 second",
            first3(&InvLogLogSquared::new(2.0 / 3.0).unwrap()),
            [0.20964719975678317, 0.6352895764912866, 0.08715730983588223],
        ),
        (
            "uniform",
            first3(&u),
            [-0.4977810059467097, 0.7515517042438531, -0.6417049982712514],
        ),
        (
            "gaussian",
            first3(&Gaussian::new(1.0).unwrap()),
            [-1.322247242523516, 1.3874079235130223, -0.5723078566189433],
        ),
        (
            "product of uniforms",
            first3(&Product::new(u, u)),
            [
                -0.3741081633594692,
                0.15879917015816183,
                -0.021194188935773368,
            ],
        ),
        (
            "product of signed hyperbolics",
            first3(&Product::new(s, s)),
            [
                -0.03361583148944195,
                0.0003463164583205243,
                -0.012856608456116733,
            ],
        ),
    ];
    for (name, got, want) in cases {
        assert_close(name, &got, &want);
    }
}

#[test]
fn log_domain_with_a_fixed_seed() {
    let s = SignedHyperbolic::theorem3(1e-3, 1.0).unwrap();
    let mut rng = Pcg64Mcg::seed_from_u64(SEED);
    let lw: Vec<_> = (0..3).map(|_| s.sample_log(&mut rng)).collect();
    assert_close(
        "log path",
        &lw.iter().map(|w| w.ln_abs).collect::<Vec<_>>(),
        &[-4.197033296868669, 0.8042751491684843, -4.773187489045647],
    );
    assert_eq!(
        lw.iter().map(|w| w.negative).collect::<Vec<_>>(),
        [false, true, true]
    );
    let q = InvLogLogSquared::new(2.0 / 3.0).unwrap();
    let mut rng = Pcg64Mcg::seed_from_u64(SEED);
    let ln: Vec<f64> = (0..3).map(|_| q.sample_ln(&mut rng)).collect();
    assert_close(
        "Remark 12 second, ln v",
        &ln,
        &[-1.562329162207331, -0.4536743580671574, -2.440040634046082],
    );
}

#[test]
fn counter_generator_bits_are_pinned_exactly() {
    // Block 0 of (0, 0, 0) is Random123's first known answer (words 0 and 1).
    assert_eq!(counter::bits(0, 0, 0), 0xe169c58d_6627e8d5);
    assert_eq!(counter::bits(42, 1, 7), 0x5281c34e_4c78c45f);
    assert_eq!(
        counter::bits(u64::MAX, u32::MAX, u64::MAX),
        0xe4c1e0f1_eec03824
    );
    assert_eq!(
        counter::bits_pair(42, 1, 7),
        (0x5281c34e_4c78c45f, 0xaed20ef5_1a41a83b)
    );
    assert_eq!(counter::uniform(42, 1, 7), 0.32229252492513455);
    assert_eq!(counter::uniform(2020, 3, 1 << 40), 0.5181347399022778);
}

#[test]
fn weights_of_g_are_pinned() {
    let s = SignedHyperbolic::theorem3(1e-3, 1.0).unwrap();
    let w: Vec<f64> = (0..3).map(|i| counter::weight(&s, 2020, 5, i)).collect();
    assert_close(
        "counter weights",
        &w,
        &[
            -0.005849279858338448,
            -0.018636220981271535,
            1.1087078852291044,
        ],
    );
    let g = Gaussian::new(1.0).unwrap();
    let w: Vec<f64> = (0..3)
        .map(|i| g.sample(&mut CounterRng::new(2020, 5, i)))
        .collect();
    assert_close(
        "gaussian via CounterRng",
        &w,
        &[-1.4398695619983264, -0.8416147404982047, 1.4808463158249145],
    );
    let d = DoublingSampler::new(1e-2, DoublingSchedule::paper()).unwrap();
    let w: Vec<f64> = (1..=4)
        .map(|s| d.sample_bits(s, counter::bits(2020, 0, s)).unwrap())
        .collect();
    assert_close(
        "doubling sampler",
        &w,
        &[
            -0.07696561780539558,
            2.6369669286750232,
            -0.03343882333539279,
            -0.02908627737813765,
        ],
    );
}
