//! The forward pass of a ResNet-20 on 28×28 inputs (run with `--ignored`; prints the time).
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use faer::{Mat, Par};
use logprune_network::{Activation, Conv2d, Graph, Node, NodeId, Op, Shape, Window};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

struct Builder {
    nodes: Vec<Node>,
    rng: Pcg64Mcg,
}

impl Builder {
    fn push(&mut self, op: Op, inputs: Vec<NodeId>) -> NodeId {
        self.nodes.push(Node {
            name: format!("n{}", self.nodes.len() + 1),
            op,
            inputs,
        });
        self.nodes.len()
    }

    fn conv(&mut self, x: NodeId, c_in: usize, c_out: usize, k: usize, stride: usize) -> NodeId {
        let pad = k / 2;
        let scale = (2.0 / (c_in * k * k) as f64).sqrt();
        let weight = (0..c_out * c_in * k * k)
            .map(|_| self.rng.random_range(-scale..scale))
            .collect();
        let conv = self.push(
            Op::Conv(Conv2d {
                c_out,
                c_in,
                window: Window {
                    kernel: [k, k],
                    stride: [stride, stride],
                    padding: [pad; 4],
                    dilation: [1, 1],
                },
                weight,
                bias: None,
            }),
            vec![x],
        );
        let scale = (0..c_out)
            .map(|_| self.rng.random_range(0.5..1.5))
            .collect();
        let shift = (0..c_out)
            .map(|_| self.rng.random_range(-0.1..0.1))
            .collect();
        self.push(
            Op::Scale {
                scale,
                shift: Some(shift),
            },
            vec![conv],
        )
    }
}

fn resnet20() -> Graph {
    let mut b = Builder {
        nodes: Vec::new(),
        rng: Pcg64Mcg::seed_from_u64(1),
    };
    let relu = Op::Activation(Activation::Relu);
    let mut x = b.conv(0, 1, 16, 3, 1);
    x = b.push(relu.clone(), vec![x]);
    let mut c = 16;
    for (stage, width) in [16, 32, 64].into_iter().enumerate() {
        for block in 0..3 {
            let stride = if stage > 0 && block == 0 { 2 } else { 1 };
            let y = b.conv(x, c, width, 3, stride);
            let y = b.push(relu.clone(), vec![y]);
            let y = b.conv(y, width, width, 3, 1);
            let short = if stride == 1 && c == width {
                x
            } else {
                b.conv(x, c, width, 1, stride)
            };
            let s = b.push(Op::Add, vec![y, short]);
            x = b.push(relu.clone(), vec![s]);
            c = width;
        }
    }
    let g = b.push(Op::GlobalAvgPool, vec![x]);
    let f = b.push(Op::Flatten, vec![g]);
    let weight = Mat::from_fn(10, 64, |i, j| ((i * 64 + j) % 7) as f64 * 0.1 - 0.3);
    b.push(Op::Dense { weight, bias: None }, vec![f]);
    Graph::new(Shape::new(1, 28, 28), b.nodes).unwrap()
}

#[test]
#[ignore = "timing; run with --ignored"]
fn resnet20_forward_speed() {
    let g = resnet20();
    let n = 4096;
    let mut rng = Pcg64Mcg::seed_from_u64(2);
    let x = Mat::from_fn(784, n, |_, _| rng.random_range(0.0..1.0));
    let t = Instant::now();
    let y = g.forward_batch(x.as_ref(), Par::rayon(2)).unwrap();
    println!(
        "ResNet-20 ({} nodes) on {n} inputs of 28×28: {:.2} s",
        g.nodes().len(),
        t.elapsed().as_secs_f64()
    );
    assert_eq!((y.nrows(), y.ncols()), (10, n));
    let t = Instant::now();
    let b = g
        .certified_bounds_points(x.subcols(0, 512), Par::rayon(2))
        .unwrap();
    println!(
        "certified bounds on 512 inputs: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    assert!(b.max_abs.iter().all(|v| v.is_finite()));
}

#[test]
#[ignore = "timing; run with --ignored"]
fn one_conv_split() {
    let s = Shape::new(16, 28, 28);
    let w = Window {
        padding: [1; 4],
        ..Window::square(3)
    };
    let mut rng = Pcg64Mcg::seed_from_u64(2);
    let x = Mat::from_fn(s.len(), 512, |_, _| rng.random_range(0.0..1.0));
    let t = Instant::now();
    let mut total = 0.0;
    for j in 0..256 {
        let c = logprune_network::im2col(s, &w, x.subcols(2 * j, 2)).unwrap();
        total += c[(0, 0)];
    }
    println!(
        "im2col of 512 inputs: {:.3} s ({total})",
        t.elapsed().as_secs_f64()
    );
    let k = Mat::from_fn(16, 144, |i, j| ((i + j) % 5) as f64);
    let c = logprune_network::im2col(s, &w, x.subcols(0, 2)).unwrap();
    let t = Instant::now();
    for _ in 0..256 {
        let mut y = Mat::<f64>::zeros(16, c.ncols());
        faer::linalg::matmul::matmul(
            y.as_mut(),
            faer::Accum::Replace,
            k.as_ref(),
            c.as_ref(),
            1.0,
            Par::Seq,
        );
        total += y[(0, 0)];
    }
    println!(
        "GEMM of 512 inputs: {:.3} s ({total})",
        t.elapsed().as_secs_f64()
    );
    let ct = c.transpose().to_owned();
    let t = Instant::now();
    for _ in 0..256 {
        let mut y = Mat::<f64>::zeros(ct.nrows(), 16);
        faer::linalg::matmul::matmul(
            y.as_mut(),
            faer::Accum::Replace,
            ct.as_ref(),
            k.transpose(),
            1.0,
            Par::Seq,
        );
        total += y[(0, 0)];
    }
    println!(
        "transposed GEMM of 512 inputs: {:.3} s ({total})",
        t.elapsed().as_secs_f64()
    );
    let g = Graph::new(
        s,
        vec![Node {
            name: "c".into(),
            op: Op::Conv(Conv2d {
                c_out: 16,
                c_in: 16,
                window: w,
                weight: vec![0.1; 16 * 144],
                bias: None,
            }),
            inputs: vec![0],
        }],
    )
    .unwrap();
    let t = Instant::now();
    let y = g.forward_batch(x.as_ref(), Par::Seq).unwrap();
    println!(
        "conv node on 512 inputs: {:.3} s ({})",
        t.elapsed().as_secs_f64(),
        y[(0, 0)]
    );
}
