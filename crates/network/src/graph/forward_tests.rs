//! Forward passes against naive references.

use faer::{Mat, Par, mat};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::*;
use crate::Layer;

pub(crate) fn node(name: &str, op: Op, inputs: Vec<NodeId>) -> Node {
    Node {
        name: name.into(),
        op,
        inputs,
    }
}

pub(crate) fn random_vec(rng: &mut Pcg64Mcg, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

pub(crate) fn random_batch(rng: &mut Pcg64Mcg, rows: usize, cols: usize) -> Mat<f64> {
    Mat::from_fn(rows, cols, |_, _| rng.random_range(-2.0..2.0))
}

/// The input value at signed coordinates, `None` in the padding.
fn at(x: &[f64], s: Shape, c: usize, y: isize, xx: isize) -> Option<f64> {
    if y < 0 || xx < 0 || y as usize >= s.h || xx as usize >= s.w {
        return None;
    }
    Some(x[(c * s.h + y as usize) * s.w + xx as usize])
}

fn tap(o: usize, i: usize, w: &Window, axis: usize) -> isize {
    (o * w.stride[axis] + i * w.dilation[axis]) as isize - w.padding[axis] as isize
}

/// A convolution by its definition: seven nested loops (input, output channel, y, x, input
/// channel, tap row, tap column).
fn naive_conv(conv: &Conv2d, s: Shape, out: Shape, x: &Mat<f64>) -> Mat<f64> {
    let (kh, kw) = (conv.window.kernel[0], conv.window.kernel[1]);
    let mut y = Mat::<f64>::zeros(out.len(), x.ncols());
    for n in 0..x.ncols() {
        let xn: Vec<f64> = x.col(n).iter().copied().collect();
        for a in 0..conv.c_out {
            for oy in 0..out.h {
                for ox in 0..out.w {
                    let mut sum = conv.bias.as_ref().map_or(0.0, |b| b[a]);
                    for b in 0..conv.c_in {
                        for i in 0..kh {
                            for j in 0..kw {
                                let iy = tap(oy, i, &conv.window, 0);
                                let ix = tap(ox, j, &conv.window, 1);
                                if let Some(v) = at(&xn, s, b, iy, ix) {
                                    sum += conv.weight[((a * conv.c_in + b) * kh + i) * kw + j] * v;
                                }
                            }
                        }
                    }
                    y[((a * out.h + oy) * out.w + ox, n)] = sum;
                }
            }
        }
    }
    y
}

fn naive_pool(pool: &Pool2d, max: bool, s: Shape, out: Shape, x: &Mat<f64>) -> Mat<f64> {
    let w = &pool.window;
    let mut y = Mat::<f64>::zeros(out.len(), x.ncols());
    for n in 0..x.ncols() {
        let xn: Vec<f64> = x.col(n).iter().copied().collect();
        for c in 0..s.c {
            for oy in 0..out.h {
                for ox in 0..out.w {
                    let mut vals = Vec::new();
                    for i in 0..w.kernel[0] {
                        for j in 0..w.kernel[1] {
                            if let Some(v) = at(&xn, s, c, tap(oy, i, w, 0), tap(ox, j, w, 1)) {
                                vals.push(v);
                            }
                        }
                    }
                    let v = if max {
                        vals.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                    } else {
                        let d = if pool.count_include_pad {
                            w.taps()
                        } else {
                            vals.len()
                        };
                        vals.iter().sum::<f64>() / d as f64
                    };
                    y[((c * out.h + oy) * out.w + ox, n)] = v;
                }
            }
        }
    }
    y
}

fn assert_close(a: &Mat<f64>, b: &Mat<f64>, scale: f64) {
    assert_eq!(a.shape(), b.shape());
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            let (x, y) = (a[(i, j)], b[(i, j)]);
            assert!((x - y).abs() <= 1e-12 * scale, "({i}, {j}): {x} vs {y}");
        }
    }
}

fn window_strategy() -> impl Strategy<Value = (Shape, usize, Window)> {
    (
        (1usize..4, 1usize..9, 1usize..9, 1usize..4),
        (1usize..4, 1usize..4, 1usize..3, 1usize..3),
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
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// im2col + GEMM against the definition, for random shapes, strides, paddings and
    /// dilations, with and without bias, on a batch.
    #[test]
    fn conv_matches_the_definition((s, c_out, window) in window_strategy(), seed in any::<u64>(), bias in any::<bool>(), n in 1usize..4) {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let conv = Conv2d {
            c_out,
            c_in: s.c,
            window,
            weight: random_vec(&mut rng, c_out * s.c * window.taps()),
            bias: bias.then(|| random_vec(&mut rng, c_out)),
        };
        let Ok(g) = Graph::new(s, vec![node("conv", Op::Conv(conv.clone()), vec![0])]) else {
            // The window does not fit this input: nothing to compare.
            return Ok(());
        };
        let x = random_batch(&mut rng, s.len(), n);
        let got = g.forward_batch(x.as_ref(), Par::Seq).unwrap();
        let want = naive_conv(&conv, s, g.output_shape(), &x);
        assert_close(&got, &want, (s.c * window.taps()) as f64 * 2.0);
        // One input at a time gives the same values.
        for j in 0..n {
            let xj: Vec<f64> = x.col(j).iter().copied().collect();
            let yj = g.forward(&xj).unwrap();
            for (i, v) in yj.iter().enumerate() {
                prop_assert!((v - got[(i, j)]).abs() <= 1e-12 * (s.c * window.taps()) as f64 * 2.0);
            }
        }
    }

    /// Max and average pooling (both count_include_pad settings) against the definition.
    #[test]
    fn pooling_matches_the_definition((s, _c, window) in window_strategy(), seed in any::<u64>(), include in any::<bool>()) {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let pool = Pool2d { window, count_include_pad: include };
        let x = random_batch(&mut rng, s.len(), 2);
        if let Ok(g) = Graph::new(s, vec![node("mp", Op::MaxPool(pool), vec![0])]) {
            let got = g.forward_batch(x.as_ref(), Par::Seq).unwrap();
            let want = naive_pool(&pool, true, s, g.output_shape(), &x);
            prop_assert_eq!(got, want);
        }
        let avg = Pool2d { window: Window { dilation: [1, 1], ..window }, count_include_pad: include };
        if let Ok(g) = Graph::new(s, vec![node("ap", Op::AvgPool(avg), vec![0])]) {
            let got = g.forward_batch(x.as_ref(), Par::Seq).unwrap();
            let want = naive_pool(&avg, false, s, g.output_shape(), &x);
            assert_close(&got, &want, 4.0);
        }
    }
}

#[test]
fn an_mlp_graph_is_bit_identical_to_the_network() {
    let mut rng = Pcg64Mcg::seed_from_u64(3);
    for act in Activation::ALL {
        let f = crate::Network::new(vec![
            Layer::with_bias(random_batch(&mut rng, 7, 5), random_vec(&mut rng, 7), act),
            Layer::new(random_batch(&mut rng, 6, 7), act),
            Layer::with_bias(
                random_batch(&mut rng, 3, 6),
                random_vec(&mut rng, 3),
                Activation::Identity,
            ),
        ])
        .unwrap();
        let g = Graph::from_network(&f);
        let x = random_batch(&mut rng, 5, 33);
        for par in [Par::Seq, Par::rayon(2)] {
            let want = f.forward_batch(x.as_ref(), par).unwrap();
            assert_eq!(g.forward_batch(x.as_ref(), par).unwrap(), want, "{act}");
        }
        let all = g.values_batch(x.as_ref(), Par::Seq).unwrap();
        let layers = f.activations_batch(x.as_ref(), Par::Seq).unwrap();
        assert_eq!(all.len(), g.nodes().len() + 1);
        assert_eq!(all[0], layers[0]);
        assert_eq!(*all.last().unwrap(), layers[3]);
    }
}

/// A small residual graph worked by hand: conv 1×1 (×2), scale, add, relu, global average,
/// flatten, dense.
#[test]
fn a_residual_graph_by_hand() {
    let s = Shape::new(1, 2, 2);
    let g = Graph::new(
        s,
        vec![
            node(
                "c",
                Op::Conv(Conv2d {
                    c_out: 1,
                    c_in: 1,
                    window: Window::square(1),
                    weight: vec![2.0],
                    bias: Some(vec![-1.0]),
                }),
                vec![0],
            ),
            node(
                "s",
                Op::Scale {
                    scale: vec![-1.0],
                    shift: Some(vec![0.5]),
                },
                vec![0],
            ),
            node("add", Op::Add, vec![1, 2]),
            node("relu", Op::Activation(Activation::Relu), vec![3]),
            node("gap", Op::GlobalAvgPool, vec![4]),
            node("flat", Op::Flatten, vec![5]),
            node(
                "fc",
                Op::Dense {
                    weight: mat![[4.0]],
                    bias: None,
                },
                vec![6],
            ),
        ],
    )
    .unwrap();
    // x = (1, 2, -3, 0): conv 2x − 1 = (1, 3, −7, −1); scale −x + .5 = (−.5, −1.5, 3.5, .5);
    // add = (.5, 1.5, −3.5, −.5); relu = (.5, 1.5, 0, 0); mean = .5; fc = 2.
    assert_eq!(g.forward(&[1.0, 2.0, -3.0, 0.0]).unwrap(), vec![2.0]);
    assert_eq!(g.last_uses(), vec![2, 3, 3, 4, 5, 6, 7, 7]);
    let mut seen = Vec::new();
    g.forward_visit(
        mat![[1.0], [2.0], [-3.0], [0.0]].as_ref(),
        Par::Seq,
        |id, v| seen.push((id, v.nrows())),
    )
    .unwrap();
    assert_eq!(
        seen,
        vec![
            (0, 4),
            (1, 4),
            (2, 4),
            (3, 4),
            (4, 4),
            (5, 1),
            (6, 1),
            (7, 1)
        ]
    );
}

#[test]
fn bad_inputs_are_typed_errors() {
    let g = Graph::new(
        Shape::new(1, 2, 2),
        vec![node("gap", Op::GlobalAvgPool, vec![0])],
    )
    .unwrap();
    assert_eq!(
        g.forward(&[1.0, 2.0]),
        Err(ForwardError::InputLength {
            expected: 4,
            found: 2
        })
    );
    let x = mat![[1.0, 1.0], [1.0, 1.0], [1.0, f64::NAN], [1.0, 1.0]];
    let err = g.forward_batch(x.as_ref(), Par::Seq).unwrap_err();
    assert!(matches!(
        err,
        ForwardError::NonFiniteInput {
            input: 1,
            coordinate: 2,
            ..
        }
    ));
    assert!(err.to_string().contains("input 1, coordinate 2"), "{err}");
    assert!(matches!(
        im2col(Shape::new(1, 2, 2), &Window::square(3), x.as_ref()),
        Err(ForwardError::Window { .. })
    ));
    assert!(matches!(
        im2col(Shape::new(1, 3, 2), &Window::square(1), x.as_ref()),
        Err(ForwardError::InputLength {
            expected: 6,
            found: 4
        })
    ));
}

#[test]
fn im2col_layout_by_hand() {
    // One 1×2×2 input (1, 2, 3, 4), a 2×2 window with padding 1 on the left only.
    let w = Window {
        kernel: [2, 2],
        stride: [1, 1],
        padding: [0, 1, 0, 0],
        dilation: [1, 1],
    };
    let x = mat![[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]];
    let cols = im2col(Shape::new(1, 2, 2), &w, x.as_ref()).unwrap();
    // Output 1×2; rows are the taps (0,0), (0,1), (1,0), (1,1); columns (input, position).
    assert_eq!((cols.nrows(), cols.ncols()), (4, 4));
    let col = |j: usize| -> Vec<f64> { cols.col(j).iter().copied().collect() };
    assert_eq!(col(0), vec![0.0, 1.0, 0.0, 3.0]);
    assert_eq!(col(1), vec![1.0, 2.0, 3.0, 4.0]);
    assert_eq!(col(3), vec![10.0, 20.0, 30.0, 40.0]);
}

#[test]
fn a_pool_window_wholly_in_the_padding_is_refused() {
    // Taps at −1 and 2 of an axis of length 2: the first window reads only padding.
    let pool = Pool2d {
        window: Window {
            kernel: [1, 2],
            stride: [1, 1],
            padding: [0, 1, 0, 1],
            dilation: [1, 3],
        },
        count_include_pad: false,
    };
    let err = Graph::new(
        Shape::new(1, 1, 2),
        vec![node("mp", Op::MaxPool(pool), vec![0])],
    )
    .unwrap_err();
    assert!(err.to_string().contains("only padding"), "{err}");
}

/// A batch larger than one im2col chunk matches the definition on both sides of the chunk
/// boundaries.
#[test]
fn chunked_convolution_is_consistent() {
    let mut rng = Pcg64Mcg::seed_from_u64(11);
    let s = Shape::new(4, 28, 28);
    let conv = Conv2d {
        c_out: 4,
        c_in: 4,
        window: Window {
            padding: [1; 4],
            ..Window::square(3)
        },
        weight: random_vec(&mut rng, 4 * 4 * 9),
        bias: Some(random_vec(&mut rng, 4)),
    };
    let g = Graph::new(s, vec![node("c", Op::Conv(conv.clone()), vec![0])]).unwrap();
    // 4·9·784 = 28224 entries per input: four inputs per im2col chunk of 2^17 entries
    // (eight with two threads), so 83 inputs take 21 chunks, the last one partial.
    let x = random_batch(&mut rng, s.len(), 83);
    let picked = [0, 3, 4, 7, 8, 79, 80, 82];
    let sub = Mat::from_fn(s.len(), picked.len(), |i, k| x[(i, picked[k])]);
    let want = naive_conv(&conv, s, g.output_shape(), &sub);
    for par in [Par::Seq, Par::rayon(2)] {
        let y = g.forward_batch(x.as_ref(), par).unwrap();
        let got = Mat::from_fn(y.nrows(), picked.len(), |i, k| y[(i, picked[k])]);
        assert_close(&got, &want, 4.0 * 9.0 * 2.0);
    }
}
