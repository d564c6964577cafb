//! Random target generators, the constant bias unit on random networks, and
//! batch/single forward agreement.
#![allow(clippy::unwrap_used)]

mod common;

use common::prec;
use faer::{Mat, Par};
use logprune_network::{
    Activation, Architecture, Layer, Network, RandomError, random_spectral, random_uniform,
    rows_to_columns,
};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

fn arch(widths: Vec<usize>) -> Architecture {
    Architecture::with_hidden(widths, Activation::Relu, Activation::Identity).unwrap()
}

#[test]
fn uniform_weights_in_range_and_reproducible() {
    let a = arch(vec![7, 5, 3]);
    let f = random_uniform(&a, 0.25, &mut Pcg64Mcg::seed_from_u64(3)).unwrap();
    let g = random_uniform(&a, 0.25, &mut Pcg64Mcg::seed_from_u64(3)).unwrap();
    assert_eq!(f, g);
    assert!(f.max_abs_weight() <= 0.25);
    assert!(f.max_abs_weight() > 0.2); // 50 draws: the max is close to w_max
    assert!(!f.has_bias());
    let h = random_uniform(&a, 0.25, &mut Pcg64Mcg::seed_from_u64(4)).unwrap();
    assert_ne!(f, h);
    // Mean near 0 and variance near w_max²/3 over 10^4 draws: the standard
    // error of the mean is 0.25/√(3·10^4) ≈ 1.4e-3, so 5e-3 is > 3.5 sigma.
    let big = random_uniform(&arch(vec![100, 100]), 0.25, &mut Pcg64Mcg::seed_from_u64(5)).unwrap();
    let w = big.layers()[0].weight();
    let mut sum = 0.0;
    let mut sq = 0.0;
    for j in 0..100 {
        for i in 0..100 {
            sum += w[(i, j)];
            sq += w[(i, j)] * w[(i, j)];
        }
    }
    let mean = sum / 1e4;
    let var = sq / 1e4 - mean * mean;
    assert!(mean.abs() < 5e-3, "{mean}");
    assert!((var - 0.0625 / 3.0).abs() < 2e-3, "{var}");
}

#[test]
fn value_stability() {
    // Pinned draws (Pcg64Mcg seed 0, row-major per layer): a change in the
    // sampling order or in rand's Uniform shows here.
    let f = random_uniform(&arch(vec![2, 2, 1]), 1.0, &mut Pcg64Mcg::seed_from_u64(0)).unwrap();
    let w1 = f.layers()[0].weight();
    let got = [
        w1[(0, 0)],
        w1[(0, 1)],
        w1[(1, 0)],
        w1[(1, 1)],
        f.layers()[1].weight()[(0, 0)],
    ];
    let pinned = [
        -0.328_004_567_766_598_9,
        0.675_914_700_102_809_2,
        -0.295_811_567_718_871_85,
        0.358_538_910_323_995_76,
        -0.697_453_408_110_460_4,
    ];
    for (g, p) in got.iter().zip(pinned) {
        assert!((g - p).abs() <= 1e-14, "{got:?}");
    }
}

#[test]
fn spectral_targets_have_norm_at_most_one() {
    let a = arch(vec![30, 30, 20, 10]);
    let f = random_spectral(&a, 1.0, &mut Pcg64Mcg::seed_from_u64(11)).unwrap();
    let g = random_uniform(&a, 1.0, &mut Pcg64Mcg::seed_from_u64(11)).unwrap();
    for ((s, lf), lg) in f
        .spectral_norms()
        .unwrap()
        .iter()
        .zip(f.layers())
        .zip(g.layers())
    {
        assert!(*s <= 1.0 + 1e-12, "{s}");
        // Uniform [-1,1] 30×30 has norm ≈ 2√(30/3) ≫ 1, so every layer was
        // rescaled, and to norm 1 exactly (up to rounding).
        assert!(*s >= 1.0 - 1e-12, "{s}");
        // Same draws, divided by one positive number per layer.
        let ratio = lg.weight()[(0, 0)] / lf.weight()[(0, 0)];
        for j in 0..lf.fan_in() {
            for i in 0..lf.fan_out() {
                let r = lg.weight()[(i, j)] / lf.weight()[(i, j)];
                assert!((r - ratio).abs() <= 1e-12 * ratio);
            }
        }
    }
    // A layer already of norm ≤ 1 is left alone.
    let tiny = random_spectral(&arch(vec![3, 3]), 0.01, &mut Pcg64Mcg::seed_from_u64(1)).unwrap();
    let same = random_uniform(&arch(vec![3, 3]), 0.01, &mut Pcg64Mcg::seed_from_u64(1)).unwrap();
    assert_eq!(tiny, same);
}

#[test]
fn invalid_w_max() {
    let a = arch(vec![2, 2]);
    let mut rng = Pcg64Mcg::seed_from_u64(0);
    for w in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = random_uniform(&a, w, &mut rng).unwrap_err();
        assert!(matches!(e, RandomError::InvalidWMax { .. }), "{w}");
        assert!(matches!(
            random_spectral(&a, w, &mut rng),
            Err(RandomError::InvalidWMax { .. })
        ));
    }
}

fn biased(seed: u64, widths: Vec<usize>, output: Activation) -> Network {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let a = Architecture::with_hidden(widths, Activation::Relu, output).unwrap();
    let layers = random_uniform(&a, 1.0, &mut rng)
        .unwrap()
        .into_layers()
        .into_iter()
        .map(|l| {
            let b = (0..l.fan_out())
                .map(|_| rng.random_range(-1.0..=1.0))
                .collect();
            Layer::with_bias(l.weight, b, l.activation)
        })
        .collect();
    Network::new(layers).unwrap()
}

#[test]
fn bias_unit_is_exact_on_random_networks() {
    for (seed, output) in [
        (1, Activation::Identity),
        (2, Activation::Relu),
        (3, Activation::Sigmoid),
    ] {
        let f = biased(seed, vec![5, 9, 4, 7, 3], output);
        let fp = f.with_bias_unit().unwrap();
        assert_eq!(fp.architecture().widths(), &[6, 10, 5, 8, 3]);
        let mut rng = Pcg64Mcg::seed_from_u64(seed + 100);
        for _ in 0..200 {
            let x: Vec<f64> = (0..5).map(|_| rng.random_range(-2.0..=2.0)).collect();
            let mut x1 = x.clone();
            x1.push(1.0);
            // Bit-identical: same operations in the same order.
            assert_eq!(fp.forward(&x1).unwrap(), f.forward(&x).unwrap());
            let acts = fp.activations(&x1).unwrap();
            for (i, a) in acts.iter().enumerate().take(fp.depth()) {
                assert_eq!(a[a.len() - 1], 1.0, "unit of layer {i}");
            }
        }
        // Weight bound of F' = max(w_max, max|b|, 1).
        assert_eq!(fp.max_abs_weight(), 1.0);
        // Certified bounds of F' on box × {1} contain F's: same neurons plus
        // the unit, enclosed to within the rounding allowance of 1.
        let domain = logprune_network::InputBox::uniform(5, -1.0, 1.0).unwrap();
        let bf = f.certified_bounds_box(&domain).unwrap();
        let bfp = fp.propagate_box(&domain.with_unit()).unwrap();
        for (i, e) in bfp.iter().enumerate().take(fp.depth()) {
            let (lo, hi) = (e.lo[e.lo.len() - 1], e.hi[e.hi.len() - 1]);
            assert!(lo <= 1.0 && 1.0 <= hi, "layer {i}");
            assert!(hi - lo <= prec::CERTIFIED_SLACK_REL, "layer {i}");
            assert!(e.max_abs() >= bf.max_abs[i]);
        }
    }
}

#[test]
fn batch_and_single_agree_and_par_is_close() {
    let f = biased(7, vec![16, 32, 32, 4], Activation::Identity);
    let mut rng = Pcg64Mcg::seed_from_u64(8);
    let rows: Vec<Vec<f64>> = (0..100)
        .map(|_| (0..16).map(|_| rng.random_range(-1.0..=1.0)).collect())
        .collect();
    let x = rows_to_columns(&rows, 16).unwrap();
    let seq = f.forward_batch(x.as_ref(), Par::Seq).unwrap();
    let seq2 = f.forward_batch(x.as_ref(), Par::Seq).unwrap();
    assert_eq!(seq, seq2);
    let par = f.forward_batch(x.as_ref(), Par::rayon(2)).unwrap();
    let single = f.forward_rows(&rows).unwrap();
    for (k, y) in single.iter().enumerate() {
        for (j, v) in y.iter().enumerate() {
            assert!(prec::close(seq[(j, k)], *v));
            assert!(prec::close(par[(j, k)], *v));
        }
    }
    let acts = f.activations_batch(x.as_ref(), Par::Seq).unwrap();
    assert_eq!(acts.len(), 4);
    assert_eq!(acts[3], seq);
    let fmax_batch = f.f_max(x.as_ref(), Par::Seq).unwrap();
    assert!(prec::close(fmax_batch, f.f_max_rows(&rows).unwrap()));
    let empty: Mat<f64> = Mat::zeros(16, 0);
    assert_eq!(
        f.forward_batch(empty.as_ref(), Par::Seq).unwrap().ncols(),
        0
    );
}
