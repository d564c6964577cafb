//! Interval propagation on graphs: soundness on random convolutional graphs, and agreement
//! with the network rule on MLPs.

use faer::{Mat, Par};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::forward_tests::{node, random_batch, random_vec};
use super::*;
use crate::{InputBox, IntervalError, IntervalVector, Layer};

const ACTS: [Activation; 9] = [
    Activation::Relu,
    Activation::Identity,
    Activation::Tanh,
    Activation::Sigmoid,
    Activation::LeakyRelu(0.01),
    Activation::LeakyRelu(-0.5),
    Activation::Elu(1.0),
    Activation::Elu(-0.7),
    Activation::Gelu,
];

fn conv3(rng: &mut Pcg64Mcg, c_in: usize, c_out: usize, window: Window) -> Op {
    Op::Conv(Conv2d {
        c_out,
        c_in,
        window,
        weight: random_vec(rng, c_out * c_in * window.taps()),
        bias: Some(random_vec(rng, c_out)),
    })
}

/// A small residual CNN: conv, scale, σ, conv (dilated), add, max pool, avg pool, σ',
/// global average, flatten, dense.
fn random_cnn(seed: u64, s: Shape, act: Activation, act2: Activation, include: bool) -> Graph {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let c2 = 3;
    let same = Window {
        padding: [1; 4],
        ..Window::square(3)
    };
    let dilated = Window {
        padding: [2; 4],
        dilation: [2, 2],
        ..Window::square(3)
    };
    let nodes = vec![
        node("conv1", conv3(&mut rng, s.c, c2, same), vec![0]),
        node(
            "scale",
            Op::Scale {
                scale: vec![0.5, -1.5, 2.0],
                shift: Some(random_vec(&mut rng, c2)),
            },
            vec![1],
        ),
        node("act", Op::Activation(act), vec![2]),
        node("conv2", conv3(&mut rng, c2, c2, dilated), vec![3]),
        node("add", Op::Add, vec![4, 1]),
        node(
            "max",
            Op::MaxPool(Pool2d {
                window: Window {
                    kernel: [2, 2],
                    stride: [1, 1],
                    padding: [0, 0, 1, 1],
                    dilation: [1, 1],
                },
                count_include_pad: false,
            }),
            vec![5],
        ),
        node(
            "avg",
            Op::AvgPool(Pool2d {
                window: Window {
                    kernel: [3, 3],
                    stride: [2, 2],
                    padding: [1; 4],
                    dilation: [1, 1],
                },
                count_include_pad: include,
            }),
            vec![6],
        ),
        node("act2", Op::Activation(act2), vec![7]),
        node("gap", Op::GlobalAvgPool, vec![8]),
        node("flat", Op::Flatten, vec![9]),
        node(
            "fc",
            Op::Dense {
                weight: random_batch(&mut rng, 2, c2),
                bias: Some(random_vec(&mut rng, 2)),
            },
            vec![10],
        ),
    ];
    Graph::new(s, nodes).unwrap()
}

fn contains(e: &IntervalVector, v: faer::ColRef<'_, f64>) -> bool {
    e.lo.len() == v.nrows()
        && v.iter()
            .zip(e.lo.iter().zip(&e.hi))
            .all(|(x, (l, h))| l <= x && x <= h)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every node's value at inputs sampled in the box (corners and interior) lies in the
    /// node's enclosure; the bounds over a finite set hold too.
    #[test]
    fn box_enclosures_contain_samples(
        seed in any::<u64>(),
        (c, h, w) in (1usize..3, 2usize..7, 2usize..7),
        act in 0usize..ACTS.len(),
        act2 in 0usize..ACTS.len(),
        include in any::<bool>(),
        half_width in 0.0f64..1.5,
    ) {
        let s = Shape::new(c, h, w);
        let g = random_cnn(seed, s, ACTS[act], ACTS[act2], include);
        let mut rng = Pcg64Mcg::seed_from_u64(seed ^ 0x5eed);
        let center = random_vec(&mut rng, s.len());
        let lo: Vec<f64> = center.iter().map(|c| c - half_width).collect();
        let hi: Vec<f64> = center.iter().map(|c| c + half_width).collect();
        let domain = InputBox::new(lo.clone(), hi.clone()).unwrap();
        let enclosures = g.propagate_box(&domain).unwrap();
        prop_assert_eq!(enclosures.len(), g.nodes().len() + 1);
        let x = Mat::from_fn(s.len(), 48, |i, j| match j % 3 {
            0 => if rng.random::<bool>() { lo[i] } else { hi[i] },
            _ => lo[i] + rng.random::<f64>() * (hi[i] - lo[i]),
        });
        let values = g.values_batch(x.as_ref(), Par::Seq).unwrap();
        let bounds = g.certified_bounds_points(x.as_ref(), Par::Seq).unwrap();
        for (id, (v, e)) in values.iter().zip(&enclosures).enumerate() {
            for j in 0..v.ncols() {
                prop_assert!(contains(e, v.col(j)), "node {} input {}: {:?} not in {:?}", id, j, v.col(j), e);
                let norm = v.col(j).iter().map(|a| a * a).sum::<f64>().sqrt();
                prop_assert!(norm <= bounds.max_l2[id]);
                for &a in v.col(j).iter() {
                    prop_assert!(a.abs() <= bounds.max_abs[id] && a >= bounds.min_value[id]);
                }
            }
        }
        // Over a finite set the bounds are tight: within the rounding allowance of the values.
        for (id, v) in values.iter().enumerate() {
            let max_abs = (0..v.ncols()).flat_map(|j| v.col(j).iter().copied().collect::<Vec<_>>()).fold(0.0f64, |m, a| m.max(a.abs()));
            prop_assert!(bounds.max_abs[id] <= max_abs * (1.0 + 1e-9) + 1e-9, "node {}: {} vs {}", id, bounds.max_abs[id], max_abs);
        }
    }
}

/// On an MLP the graph rule is the network rule: the enclosures after each layer (its
/// activation node, or its dense node for the identity) are bit for bit
/// `Network::propagate_box`'s, and the bounds over a finite set are
/// `Network::certified_bounds_points`'.
#[test]
fn an_mlp_graph_gives_the_network_bounds() {
    let mut rng = Pcg64Mcg::seed_from_u64(5);
    for act in ACTS {
        let f = crate::Network::new(vec![
            Layer::with_bias(random_batch(&mut rng, 6, 4), random_vec(&mut rng, 6), act),
            Layer::new(random_batch(&mut rng, 5, 6), act),
            Layer::with_bias(
                random_batch(&mut rng, 2, 5),
                random_vec(&mut rng, 2),
                Activation::Identity,
            ),
        ])
        .unwrap();
        let g = Graph::from_network(&f);
        // The node that ends each layer.
        let mut ends = vec![0];
        for (k, n) in g.nodes().iter().enumerate() {
            let next_is_act = g
                .nodes()
                .get(k + 1)
                .is_some_and(|m| matches!(m.op, Op::Activation(_)));
            if matches!(n.op, Op::Activation(_)) || !next_is_act {
                ends.push(k + 1);
            }
        }
        assert_eq!(ends.len(), f.depth() + 1, "{act}");
        let domain = InputBox::uniform(4, -1.0, 0.5).unwrap();
        let want = f.propagate_box(&domain).unwrap();
        let got = g.propagate_box(&domain).unwrap();
        for (i, &id) in ends.iter().enumerate() {
            assert_eq!(got[id], want[i], "{act}, layer {i}");
        }
        let x = random_batch(&mut rng, 4, 300);
        let want = f.certified_bounds_points(x.as_ref(), Par::Seq).unwrap();
        let got = g.certified_bounds_points(x.as_ref(), Par::Seq).unwrap();
        for (i, &id) in ends.iter().enumerate() {
            assert_eq!(got.max_abs[id], want.max_abs[i], "{act}, layer {i}");
            assert_eq!(got.max_l2[id], want.max_l2[i], "{act}, layer {i}");
            assert_eq!(got.min_value[id], want.min_value[i], "{act}, layer {i}");
        }
    }
}

#[test]
fn interval_errors() {
    let g = random_cnn(
        1,
        Shape::new(1, 3, 3),
        Activation::Relu,
        Activation::Gelu,
        true,
    );
    assert_eq!(
        g.propagate_box(&InputBox::uniform(4, 0.0, 1.0).unwrap()),
        Err(IntervalError::DimensionMismatch {
            expected: 9,
            found: 4
        })
    );
    let empty = Mat::<f64>::zeros(9, 0);
    assert_eq!(
        g.certified_bounds_points(empty.as_ref(), Par::Seq),
        Err(IntervalError::NoInputs)
    );
    let mut bad = Mat::<f64>::zeros(9, 2);
    bad[(4, 1)] = f64::INFINITY;
    assert!(matches!(
        g.certified_bounds_points(bad.as_ref(), Par::Seq),
        Err(IntervalError::NonFiniteInput {
            input: 1,
            coordinate: 4,
            ..
        })
    ));
    let big = Graph::new(
        Shape::flat(2),
        vec![
            node(
                "s",
                Op::Scale {
                    scale: vec![1e300, 1.0],
                    shift: None,
                },
                vec![0],
            ),
            node(
                "fc",
                Op::Dense {
                    weight: faer::mat![[1e300, 1e300]],
                    bias: None,
                },
                vec![1],
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        big.propagate_box(&InputBox::uniform(2, -1.0, 1.0).unwrap()),
        Err(IntervalError::NodeOverflow { node: 2 })
    );
}

#[test]
fn outward_helpers_by_hand() {
    use super::interval::{add_outward, scale_outward};
    assert_eq!(add_outward(1.0, 2.0), (3.0, 3.0));
    let (l, h) = add_outward(1.0, 1e-20);
    assert_eq!((l, h), (1.0, 1.0f64.next_up()));
    let (l, h) = add_outward(1.0, -1e-20);
    assert_eq!((l, h), (1.0f64.next_down(), 1.0));
    let (l, h) = scale_outward(-2.0, 3.0, 1.0);
    assert!(l < -5.0 && -5.0 < h && h - l < 1e-14);
}
