//! Certified norms against the actual operators.

use faer::{Mat, Par};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

use super::forward_tests::{node, random_batch, random_vec};
use super::norms::max_overlap;
use super::*;
use crate::norms::{NormError, spectral_norm};

/// The unrolled matrix of a one-node graph's map (its value on the unit vectors).
fn unrolled(g: &Graph) -> Mat<f64> {
    let n = g.input_shape().len();
    let eye = Mat::<f64>::from_fn(n, n, |i, j| if i == j { 1.0 } else { 0.0 });
    g.forward_batch(eye.as_ref(), Par::Seq).unwrap()
}

fn l2(v: impl Iterator<Item = f64>) -> f64 {
    v.map(|x| x * x).sum::<f64>().sqrt()
}

/// `‖f(x) − f(y)‖ ≤ L‖x − y‖` on random pairs (columns).
fn lipschitz_holds_on_pairs(g: &Graph, lip: f64, seed: u64) {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let n = g.input_shape().len();
    let x = random_batch(&mut rng, n, 64);
    // Pairs at all scales, including nearby points.
    let y = Mat::from_fn(n, 64, |i, j| {
        x[(i, j)] + random_batch(&mut rng, 1, 1)[(0, 0)] * 10f64.powi(-((j % 4) as i32))
    });
    let fx = g.forward_batch(x.as_ref(), Par::Seq).unwrap();
    let fy = g.forward_batch(y.as_ref(), Par::Seq).unwrap();
    for j in 0..64 {
        let d_in = l2((0..n).map(|i| x[(i, j)] - y[(i, j)]));
        let d_out = l2((0..fx.nrows()).map(|i| fx[(i, j)] - fy[(i, j)]));
        // The bound is on the exact maps; the computed outputs carry an evaluation error of
        // at most (K+4)·ε·Σ|w·x| ≤ 31·ε·108 < 1e-12 per coordinate here (|w| ≤ 1, |x| ≤ 4,
        // at most 27 taps), which matters only for nearby pairs.
        let evaluation = 2.0 * 1e-12 * (fx.nrows() as f64).sqrt();
        assert!(
            d_out <= lip * d_in * (1.0 + 1e-12) + evaluation,
            "{d_out} > {lip}·{d_in}"
        );
    }
}

fn window_strategy() -> impl Strategy<Value = (Shape, usize, Window)> {
    (
        (1usize..3, 1usize..8, 1usize..8, 1usize..4),
        (1usize..4, 1usize..4, 1usize..4, 1usize..4),
        (
            0usize..3,
            0usize..3,
            0usize..3,
            0usize..3,
            1usize..3,
            1usize..3,
        ),
    )
        .prop_map(
            |((c, h, w, c_out), (kh, kw, sh, sw), (pt, pl, pb, pr, dh, dw))| {
                (
                    Shape::new(c, h, w),
                    c_out,
                    Window {
                        kernel: [kh, kw],
                        stride: [sh, sw],
                        padding: [pt, pl, pb, pr],
                        dilation: [dh, dw],
                    },
                )
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    /// The Schur bound is at least the spectral norm of the unrolled convolution, for any
    /// stride, padding and dilation; so is the operator norm of the node.
    #[test]
    fn conv_bound_dominates_the_unrolled_operator((s, c_out, window) in window_strategy(), seed in any::<u64>()) {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let conv = Conv2d {
            c_out,
            c_in: s.c,
            window,
            weight: random_vec(&mut rng, c_out * s.c * window.taps()),
            bias: None,
        };
        let Ok(g) = Graph::new(s, vec![node("conv", Op::Conv(conv.clone()), vec![0])]) else {
            return Ok(());
        };
        let a = unrolled(&g);
        let exact = spectral_norm(a.as_ref()).unwrap();
        let bound = g.operator_norm_bound(1).unwrap();
        prop_assert!(exact <= bound, "{} > {}", exact, bound);
        prop_assert_eq!(g.lipschitz(1).unwrap(), bound);
        prop_assert_eq!(bound, conv_operator_norm_bound(conv.matrix().as_ref(), s.c, window.taps()).unwrap());
        // ‖Ax‖ ≤ bound·‖x‖ on random x (through the node, not the unrolled matrix).
        lipschitz_holds_on_pairs(&g, bound, seed);
    }

    /// Max pooling: the overlap count is the brute-force one, and the Lipschitz factor holds
    /// on random pairs. Average pooling: the bound dominates the unrolled operator.
    #[test]
    fn pooling_bounds_hold((s, _c, window) in window_strategy(), seed in any::<u64>(), include in any::<bool>()) {
        let pool = Pool2d { window, count_include_pad: include };
        if let Ok(g) = Graph::new(s, vec![node("mp", Op::MaxPool(pool), vec![0])]) {
            let out = g.output_shape();
            let mut count = vec![0usize; s.h * s.w];
            for oy in 0..out.h {
                for ox in 0..out.w {
                    for i in 0..window.kernel[0] {
                        for j in 0..window.kernel[1] {
                            let y = (oy * window.stride[0] + i * window.dilation[0]) as isize - window.padding[0] as isize;
                            let x = (ox * window.stride[1] + j * window.dilation[1]) as isize - window.padding[1] as isize;
                            if y >= 0 && x >= 0 && (y as usize) < s.h && (x as usize) < s.w {
                                count[y as usize * s.w + x as usize] += 1;
                            }
                        }
                    }
                }
            }
            let brute = count.into_iter().max().unwrap();
            prop_assert_eq!(max_overlap(s, &pool, (out.h, out.w)), brute);
            if window.dilation == [1, 1] {
                let ceil = window.kernel[0].div_ceil(window.stride[0]) * window.kernel[1].div_ceil(window.stride[1]);
                prop_assert!(brute <= ceil);
            }
            lipschitz_holds_on_pairs(&g, g.lipschitz(1).unwrap(), seed);
            let not_linear = matches!(g.operator_norm_bound(1), Err(NormError::NotLinear { node: 1, .. }));
            prop_assert!(not_linear);
        }
        let avg = Pool2d { window: Window { dilation: [1, 1], ..window }, count_include_pad: include };
        if let Ok(g) = Graph::new(s, vec![node("ap", Op::AvgPool(avg), vec![0])]) {
            let exact = spectral_norm(unrolled(&g).as_ref()).unwrap();
            let bound = g.lipschitz(1).unwrap();
            prop_assert!(exact <= bound, "{} > {}", exact, bound);
        }
    }
}

#[test]
fn parameter_free_and_scale_nodes() {
    let s = Shape::new(2, 3, 4);
    let g = Graph::new(
        s,
        vec![
            node(
                "scale",
                Op::Scale {
                    scale: vec![0.5, -3.0],
                    shift: Some(vec![1.0, 2.0]),
                },
                vec![0],
            ),
            node("gelu", Op::Activation(Activation::Gelu), vec![1]),
            node("add", Op::Add, vec![1, 2]),
            node("gap", Op::GlobalAvgPool, vec![3]),
            node("flat", Op::Flatten, vec![4]),
            node(
                "fc",
                Op::Dense {
                    weight: faer::mat![[3.0, 0.0], [4.0, 5.0]],
                    bias: None,
                },
                vec![5],
            ),
        ],
    )
    .unwrap();
    assert_eq!(g.lipschitz(1).unwrap(), 3.0);
    assert_eq!(g.lipschitz(2).unwrap(), crate::GELU_LIPSCHITZ);
    assert_eq!(g.lipschitz(3).unwrap(), 1.0);
    let gap = g.lipschitz(4).unwrap();
    assert!(gap >= 1.0 / 12f64.sqrt() && gap <= 1.0 / 12f64.sqrt() * (1.0 + 1e-15));
    assert_eq!(g.lipschitz(5).unwrap(), 1.0);
    let fc = g.operator_norm_bound(6).unwrap();
    assert!(fc >= 45f64.sqrt() && fc <= 45f64.sqrt() * (1.0 + 1e-13));
    assert_eq!(
        g.lipschitz(7),
        Err(NormError::NoSuchNode { node: 7, nodes: 6 })
    );
    assert!(matches!(g.lipschitz(0), Err(NormError::NoSuchNode { .. })));
    // Each one-node map against random pairs.
    for (k, op) in [
        Op::Scale {
            scale: vec![0.5, -3.0],
            shift: None,
        },
        Op::Activation(Activation::Gelu),
        Op::Activation(Activation::Elu(2.0)),
        Op::GlobalAvgPool,
    ]
    .into_iter()
    .enumerate()
    {
        let one = Graph::new(s, vec![node("n", op, vec![0])]).unwrap();
        lipschitz_holds_on_pairs(&one, one.lipschitz(1).unwrap(), k as u64);
    }
}

#[test]
fn conv_bound_by_hand_and_errors() {
    // One channel in and out, kernel (1, −2, 3): ‖A‖_1 = ‖A‖_∞ ≤ 6, so the bound is 6.
    let k = faer::mat![[1.0, -2.0, 3.0]];
    let b = conv_operator_norm_bound(k.as_ref(), 1, 3).unwrap();
    assert!((6.0..6.0 * (1.0 + 1e-14)).contains(&b));
    // Two input channels of two taps: the rows sum to 10 and 4; the channel blocks (columns
    // 0–1 and 2–3, over both output channels) to 3 and 3 + 4 + 4 = 11.
    let k = faer::mat![[1.0, -2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 4.0]];
    let b = conv_operator_norm_bound(k.as_ref(), 2, 2).unwrap();
    let want = (10.0f64 * 11.0).sqrt();
    assert!(b >= want && b <= want * (1.0 + 1e-14));
    assert_eq!(
        conv_operator_norm_bound(k.as_ref(), 3, 2),
        Err(NormError::KernelShape {
            cols: 4,
            c_in: 3,
            taps: 2
        })
    );
    let bad = faer::mat![[f64::NAN]];
    assert!(matches!(
        conv_operator_norm_bound(bad.as_ref(), 1, 1),
        Err(NormError::NonFinite { .. })
    ));
}
