//! Certified interval propagation contains every computed activation, and is
//! tight where it should be.
#![allow(clippy::unwrap_used)]

mod common;

use common::prec;
use faer::{Mat, Par, mat};
use logprune_network::{
    Activation, Architecture, InputBox, Layer, Network, random_uniform, rows_to_columns,
};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

fn random_net(
    seed: u64,
    widths: Vec<usize>,
    hidden: Activation,
    output: Activation,
    bias: bool,
) -> Network {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let arch = Architecture::with_hidden(widths, hidden, output).unwrap();
    let f = random_uniform(&arch, 1.0, &mut rng).unwrap();
    if !bias {
        return f;
    }
    let layers = f
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

fn sample_box(rng: &mut Pcg64Mcg, lo: &[f64], hi: &[f64], corner: bool) -> Vec<f64> {
    lo.iter()
        .zip(hi)
        .map(|(&l, &h)| {
            if corner {
                if rng.random::<bool>() { h } else { l }
            } else {
                rng.random_range(l..=h)
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// For random networks of every activation and random boxes, every
    /// activation of every sampled input (corners included) lies in the
    /// certified enclosure of its layer.
    #[test]
    fn box_enclosures_contain_samples(
        seed in any::<u64>(),
        widths in proptest::collection::vec(1usize..6, 2..5),
        act in 0usize..Activation::ALL.len(),
        out in 0usize..Activation::ALL.len(),
        bias in any::<bool>(),
        half_width in 0.0f64..2.0,
    ) {
        let hidden = Activation::ALL[act];
        let output = Activation::ALL[out];
        let net = random_net(seed, widths.clone(), hidden, output, bias);
        let mut rng = Pcg64Mcg::seed_from_u64(seed ^ 0x9e37_79b9);
        let center: Vec<f64> = (0..widths[0]).map(|_| rng.random_range(-1.0..=1.0)).collect();
        let lo: Vec<f64> = center.iter().map(|c| c - half_width).collect();
        let hi: Vec<f64> = center.iter().map(|c| c + half_width).collect();
        let domain = InputBox::new(lo.clone(), hi.clone()).unwrap();
        let enclosures = net.propagate_box(&domain).unwrap();
        prop_assert_eq!(enclosures.len(), net.depth() + 1);
        let bounds = net.certified_bounds_box(&domain).unwrap();
        for s in 0..64 {
            let x = sample_box(&mut rng, &lo, &hi, s % 2 == 0);
            let acts = net.activations(&x).unwrap();
            for (i, (a, e)) in acts.iter().zip(&enclosures).enumerate() {
                prop_assert!(e.contains(a), "layer {} {:?} not in {:?}", i, a, e);
                let norm = a.iter().map(|v| v * v).sum::<f64>().sqrt();
                prop_assert!(norm <= bounds.max_l2[i]);
                prop_assert!(a.iter().all(|v| *v >= bounds.min_value[i]));
            }
            let fmax = net.f_max_rows(std::slice::from_ref(&x)).unwrap();
            prop_assert!(fmax <= bounds.f_max());
        }
    }

    /// Over a finite set, the certified bounds contain the computed values
    /// and exceed them only by the rounding allowance.
    #[test]
    fn point_bounds_are_tight(
        seed in any::<u64>(),
        widths in proptest::collection::vec(1usize..8, 2..6),
        act in 0usize..Activation::ALL.len(),
        bias in any::<bool>(),
        n in 1usize..40,
    ) {
        let hidden = Activation::ALL[act];
        let net = random_net(seed, widths.clone(), hidden, Activation::Identity, bias);
        let mut rng = Pcg64Mcg::seed_from_u64(seed.wrapping_add(1));
        let rows: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..widths[0]).map(|_| rng.random_range(-3.0..=3.0)).collect())
            .collect();
        let cols = rows_to_columns(&rows, widths[0]).unwrap();
        let computed = net.f_max_rows(&rows).unwrap();
        let bounds = net.certified_bounds_points(cols.as_ref(), Par::Seq).unwrap();
        let certified = bounds.f_max();
        prop_assert!(certified >= computed);
        prop_assert!(certified <= computed * (1.0 + prec::CERTIFIED_SLACK_REL) + 1e-300);
        for x in &rows {
            for (i, a) in net.activations(x).unwrap().iter().enumerate() {
                prop_assert!(a.iter().all(|v| v.abs() <= bounds.max_abs[i]));
            }
        }
    }
}

#[test]
fn single_layer_box_is_exact_by_hand() {
    // W = [[2, -1], [1, 1]], b = (0.5, -3) on [0, 1] × [-1, 2]:
    // neuron 1: 2x - y + 0.5 ranges over [0 - 2 + 0.5, 2 + 1 + 0.5] = [-1.5, 3.5]
    // neuron 2: x + y - 3 ranges over [-4, 0].
    let net = Network::new(vec![Layer::with_bias(
        mat![[2.0, -1.0], [1.0, 1.0]],
        vec![0.5, -3.0],
        Activation::Identity,
    )])
    .unwrap();
    let e = net
        .propagate_box(&InputBox::new(vec![0.0, -1.0], vec![1.0, 2.0]).unwrap())
        .unwrap();
    let tol = 1e-13;
    assert!(e[1].lo[0] <= -1.5 && e[1].lo[0] > -1.5 - tol);
    assert!(e[1].hi[0] >= 3.5 && e[1].hi[0] < 3.5 + tol);
    assert!(e[1].lo[1] <= -4.0 && e[1].lo[1] > -4.0 - tol);
    assert!(e[1].hi[1] >= 0.0 && e[1].hi[1] < tol);
    // F_max excludes the outputs: only the box itself counts here (|y| ≤ 2).
    let f = net
        .certified_f_max_box(&InputBox::new(vec![0.0, -1.0], vec![1.0, 2.0]).unwrap())
        .unwrap();
    assert_eq!(f, 2.0);
}

#[test]
fn relu_network_on_unit_box_by_hand() {
    // Layer 1: h = ReLU(x1 + x2), ReLU(x1 - x2) on [-1, 1]^2: both in [0, 2].
    // Layer 2: y = h1 + h2 (output, excluded). F_max = 2 (attained at (1, 1)).
    let net = Network::from_weights(
        vec![mat![[1.0, 1.0], [1.0, -1.0]], mat![[1.0, 1.0]]],
        &[Activation::Relu, Activation::Identity],
    )
    .unwrap();
    let domain = InputBox::uniform(2, -1.0, 1.0).unwrap();
    let b = net.certified_bounds_box(&domain).unwrap();
    assert!(b.f_max() >= 2.0 && b.f_max() < 2.0 + 1e-12);
    assert_eq!(b.min_value[1], 0.0); // layer 2 never sees a negative input
    assert!(b.min_value[0] < 0.0);
    // The interval bound on y is [0, 4], looser than the true range [0, 2]
    // (h1 + h2 ≤ 2·max(x1, 0) ≤ 2): interval arithmetic forgets that h1 and
    // h2 cannot both be 2.
    assert!(b.max_abs[2] >= 4.0 && b.max_abs[2] < 4.0 + 1e-12);
    // The corners' certified F_max is exact up to rounding.
    let corners = rows_to_columns(
        &[
            vec![1.0, 1.0],
            vec![1.0, -1.0],
            vec![-1.0, 1.0],
            vec![-1.0, -1.0],
        ],
        2,
    )
    .unwrap();
    let p = net
        .certified_f_max_points(corners.as_ref(), Par::Seq)
        .unwrap();
    assert!((2.0..2.0 + 1e-12).contains(&p));
}

#[test]
fn points_bounds_independent_of_par_and_chunking() {
    let net = random_net(
        5,
        vec![6, 16, 16, 3],
        Activation::Relu,
        Activation::Identity,
        true,
    );
    let mut rng = Pcg64Mcg::seed_from_u64(9);
    // 600 inputs: three chunks of 256, 256 and 88.
    let x = Mat::<f64>::from_fn(6, 600, |_, _| rng.random_range(-1.0..=1.0));
    let a = net.certified_bounds_points(x.as_ref(), Par::Seq).unwrap();
    let b = net
        .certified_bounds_points(x.as_ref(), Par::rayon(2))
        .unwrap();
    let computed = net.f_max(x.as_ref(), Par::Seq).unwrap();
    for bounds in [&a, &b] {
        assert!(bounds.f_max() >= computed);
        assert!(bounds.f_max() <= computed * (1.0 + prec::CERTIFIED_SLACK_REL));
    }
    // Both are rigorous; they agree to the rounding allowance.
    assert!((a.f_max() - b.f_max()).abs() <= prec::CERTIFIED_SLACK_REL * computed);
}

#[test]
fn dead_relu_neurons_have_exact_zero_enclosures() {
    // Neuron 2 of layer 1 is -x1 - x2 - 5 < 0 on [-1, 1]^2: ReLU keeps it at 0
    // exactly, and the enclosure must be the point {0} (a radius rounded up
    // to the smallest subnormal would make every later product subnormal, and
    // slow).
    let net = Network::from_weights(
        vec![
            mat![[1.0, 1.0], [-1.0, -1.0]],
            mat![[0.5, 3.0], [1.0, 1.0]],
            mat![[1.0, 1.0]],
        ],
        &[Activation::Relu, Activation::Relu, Activation::Identity],
    )
    .unwrap();
    let with_bias = Network::new(
        net.layers()
            .iter()
            .enumerate()
            .map(|(k, l)| {
                let b = if k == 0 {
                    vec![0.0, -5.0]
                } else {
                    vec![0.0; l.fan_out()]
                };
                Layer::with_bias(l.weight.clone(), b, l.activation)
            })
            .collect(),
    )
    .unwrap();
    for domain in [
        InputBox::uniform(2, -1.0, 1.0).unwrap(),
        InputBox::point(&[0.25, -0.5]).unwrap(),
    ] {
        let e = with_bias.propagate_box(&domain).unwrap();
        assert_eq!((e[1].lo[1], e[1].hi[1]), (0.0, 0.0));
        for v in e.iter().flat_map(|v| v.lo.iter().chain(&v.hi)) {
            assert!(*v == 0.0 || v.is_normal(), "subnormal bound {v:e}");
        }
    }
}
