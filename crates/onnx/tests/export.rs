//! Export round trips: every ONNX fixture of `data/models` (but `ops_unsupported.onnx`) and
//! hand-built graphs covering every operation and activation are exported, imported back,
//! and compared with the original graph (forward passes, and the node list where the
//! exporter preserves it).

#![allow(clippy::unwrap_used)]

mod common;

use common::{read, rows};
use faer::{Mat, Par};
use logprune_network::{Activation, Conv2d, Graph, Node, Op, Pool2d, Shape, Window};
use logprune_onnx::{ExportError, ExportOptions, ImportOptions, export, import};

/// float32 export: to f32 rounding of the weights and of onnx's float attributes.
const F32_RTOL: f64 = 1e-5;
/// float64 export: the weights are kept exactly.
const F64_RTOL: f64 = 1e-12;

const FIXTURES: &[&str] = &[
    "lenet5_digits",
    "resnet20_digits",
    "resnet20_digits_nofold",
    "cnn_small_relu",
    "cnn_small_leakyrelu",
    "cnn_small_tanh",
    "cnn_small_sigmoid",
    "ops_pool",
    "ops_misc",
    "ops_depthwise",
    "ops_grouped",
    "mlp_matmul",
];

/// The graph's outputs on the columns of `x`.
fn forward(g: &Graph, x: &Mat<f64>) -> Mat<f64> {
    g.forward_batch(x.as_ref(), Par::Seq).unwrap()
}

/// max |a − b| over max |a|.
fn rel_diff(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()));
    let mut scale = 0.0f64;
    let mut diff = 0.0f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            scale = scale.max(a[(i, j)].abs());
            diff = diff.max((a[(i, j)] - b[(i, j)]).abs());
        }
    }
    diff / scale.max(f64::MIN_POSITIVE)
}

/// Each node's op name, inputs and shape.
fn structure(g: &Graph) -> Vec<(String, Vec<usize>, Shape)> {
    g.nodes()
        .iter()
        .zip(&g.shapes()[1..])
        .map(|(n, s)| (n.op.name(), n.inputs.clone(), *s))
        .collect()
}

/// Exports `g`, imports it back, and returns the new graph and the relative difference of
/// the forward passes on the columns of `x`.
fn round_trip(g: &Graph, x: &Mat<f64>, float64: bool) -> (Graph, f64) {
    let bytes = export(g, &ExportOptions::default().with_float64(float64)).unwrap();
    let back = import(&bytes, &ImportOptions::default()).unwrap();
    assert_eq!(back.input_shape(), g.input_shape());
    assert_eq!(back.output_shape(), g.output_shape());
    let d = rel_diff(&forward(g, x), &forward(&back, x));
    (back, d)
}

#[test]
fn every_fixture_round_trips() {
    for name in FIXTURES {
        let g = import(&read(&format!("{name}.onnx")), &ImportOptions::default()).unwrap();
        let io = read(&format!("{name}.io.safetensors"));
        let inputs = rows(&io, "input");
        let x = Mat::from_fn(g.input_shape().len(), inputs.len(), |i, j| inputs[j][i]);
        for (float64, tol) in [(false, F32_RTOL), (true, F64_RTOL)] {
            let (back, d) = round_trip(&g, &x, float64);
            println!("{name} (float64 {float64}): max |Δ| / max |y| = {d:.3e}");
            assert!(d <= tol, "{name} (float64 {float64}): {d}");
            assert_eq!(structure(&back), structure(&g), "{name}");
        }
    }
}

fn node(name: &str, op: Op, inputs: &[usize]) -> Node {
    Node {
        name: name.into(),
        op,
        inputs: inputs.to_vec(),
    }
}

/// Deterministic values in [−1, 1).
fn vals(n: usize, seed: u64) -> Vec<f64> {
    (0..n as u64)
        .map(|k| {
            let h = (k + 1)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add(seed.wrapping_mul(0xD1B5_4A32_D192_ED69));
            let h = (h ^ (h >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            ((h >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

fn conv(c_in: usize, c_out: usize, window: Window, bias: bool, seed: u64) -> Op {
    Op::Conv(Conv2d {
        c_out,
        c_in,
        window,
        weight: vals(c_out * c_in * window.taps(), seed),
        bias: bias.then(|| vals(c_out, seed + 100)),
    })
}

fn dense(n_in: usize, n_out: usize, bias: bool, seed: u64) -> Op {
    let w = vals(n_in * n_out, seed);
    Op::Dense {
        weight: Mat::from_fn(n_out, n_in, |i, j| w[i * n_in + j]),
        bias: bias.then(|| vals(n_out, seed + 100)),
    }
}

fn window(
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 4],
    dilation: [usize; 2],
) -> Window {
    Window {
        kernel,
        stride,
        padding,
        dilation,
    }
}

/// Conv with padding and dilation, scale with shift, ELU, max pooling with dilation and
/// padding, average pooling without counting the padding, GELU, a residual add, leaky ReLU,
/// an identity, a dense node reading a `C × H × W` value, sigmoid.
fn map_graph() -> Graph {
    let nodes = vec![
        node(
            "conv1",
            conv(2, 3, window([3, 2], [1, 1], [1, 0, 1, 1], [1, 2]), true, 1),
            &[0],
        ),
        node(
            "scale",
            Op::Scale {
                scale: vec![0.5, -2.0, 1.25],
                shift: Some(vec![0.1, -0.2, 0.3]),
            },
            &[1],
        ),
        node("elu", Op::Activation(Activation::Elu(0.5)), &[2]),
        node(
            "maxpool",
            Op::MaxPool(Pool2d {
                window: window([2, 2], [1, 2], [1, 0, 0, 1], [2, 1]),
                count_include_pad: false,
            }),
            &[3],
        ),
        node(
            "avgpool",
            Op::AvgPool(Pool2d {
                window: window([3, 3], [2, 1], [1, 1, 1, 1], [1, 1]),
                count_include_pad: false,
            }),
            &[4],
        ),
        node("gelu", Op::Activation(Activation::Gelu), &[5]),
        node("conv2", conv(3, 3, Window::square(1), false, 2), &[6]),
        node("add", Op::Add, &[6, 7]),
        node("leaky", Op::Activation(Activation::LeakyRelu(0.125)), &[8]),
        node("identity", Op::Activation(Activation::Identity), &[9]),
        node(
            "avgpool_pad",
            Op::AvgPool(Pool2d {
                window: window([2, 2], [1, 1], [1, 1, 0, 0], [1, 1]),
                count_include_pad: true,
            }),
            &[10],
        ),
        node("dense1", dense(0, 0, true, 3), &[11]),
        node("sigmoid", Op::Activation(Activation::Sigmoid), &[12]),
    ];
    // The dense node's fan-in depends on the shapes before it.
    let probe = Graph::new(Shape::new(2, 7, 6), nodes[..11].to_vec()).unwrap();
    let n_in = probe.output_shape().len();
    let mut nodes = nodes;
    nodes[11].op = dense(n_in, 5, true, 3);
    Graph::new(Shape::new(2, 7, 6), nodes).unwrap()
}

/// A flat input: dense, tanh, scale without shift, relu, a conv and a max pool reading a flat
/// value, global average pooling, flatten, an add of a flat and an `N × C × 1 × 1` value.
fn flat_graph() -> Graph {
    let nodes = vec![
        node("dense1", dense(6, 4, true, 4), &[0]),
        node("tanh", Op::Activation(Activation::Tanh), &[1]),
        node(
            "scale",
            Op::Scale {
                scale: vec![1.5, -0.5, 2.0, 0.25],
                shift: None,
            },
            &[2],
        ),
        node("relu", Op::Activation(Activation::Relu), &[3]),
        node("conv", conv(4, 3, Window::square(1), true, 5), &[4]),
        node(
            "maxpool",
            Op::MaxPool(Pool2d {
                window: Window::square(1),
                count_include_pad: false,
            }),
            &[5],
        ),
        node("gap", Op::GlobalAvgPool, &[6]),
        node("dense2", dense(4, 3, false, 6), &[4]),
        node("add", Op::Add, &[7, 8]),
        node("flatten", Op::Flatten, &[9]),
        node("elu", Op::Activation(Activation::Elu(1.0)), &[10]),
    ];
    Graph::new(Shape::flat(6), nodes).unwrap()
}

/// A map input ending in global average pooling (an `N × C × 1 × 1` output written as
/// `N × C`), a flatten node, and a dense node without bias.
fn gap_graph() -> Graph {
    let nodes = vec![
        node(
            "conv",
            conv(3, 4, window([2, 2], [2, 2], [0, 0, 1, 1], [1, 1]), false, 7),
            &[0],
        ),
        node("flatten", Op::Flatten, &[1]),
        node("dense", dense(4 * 3 * 3, 4 * 9, false, 8), &[2]),
        node("gelu", Op::Activation(Activation::Gelu), &[3]),
        node("conv2", conv(36, 2, Window::square(1), true, 9), &[4]),
        node("gap", Op::GlobalAvgPool, &[5]),
    ];
    Graph::new(Shape::new(3, 5, 5), nodes).unwrap()
}

fn inputs(g: &Graph, n: usize) -> Mat<f64> {
    let v = vals(g.input_shape().len() * n, 99);
    let len = g.input_shape().len();
    Mat::from_fn(len, n, |i, j| 2.0 * v[j * len + i])
}

#[test]
fn hand_built_graphs_round_trip() {
    for (label, g) in [
        ("map", map_graph()),
        ("flat", flat_graph()),
        ("gap", gap_graph()),
    ] {
        let x = inputs(&g, 16);
        for (float64, tol) in [(false, F32_RTOL), (true, F64_RTOL)] {
            let (back, d) = round_trip(&g, &x, float64);
            println!("{label} (float64 {float64}): max |Δ| / max |y| = {d:.3e}");
            assert!(d <= tol, "{label} (float64 {float64}): {d}");
            // Every operation and activation comes back (a scale with a shift as two
            // scales, flattens where a dense node or the output reads a feature map).
            let ops = |g: &Graph| {
                let mut v: Vec<String> = g
                    .nodes()
                    .iter()
                    .map(|n| n.op.name())
                    .filter(|n| n != "flatten" && n != "identity" && n != "scale")
                    .collect();
                v.sort();
                v
            };
            assert_eq!(ops(&back), ops(&g), "{label}");
        }
    }
}

#[test]
fn the_node_list_survives_when_nothing_is_inserted() {
    let g = gap_graph();
    let back = import(
        &export(&g, &ExportOptions::default()).unwrap(),
        &ImportOptions::default(),
    )
    .unwrap();
    // Only the flatten of the N × C × 1 × 1 output is added.
    let mut want = structure(&g);
    want.push(("flatten".into(), vec![6], Shape::flat(2)));
    assert_eq!(structure(&back), want);
    assert_eq!(back.nodes()[0].name, "conv");
}

#[test]
fn the_byte_limit_is_a_typed_error() {
    let g = map_graph();
    let err = export(&g, &ExportOptions::default().with_max_bytes(100)).unwrap_err();
    let ExportError::TooLarge { bytes, limit } = err else {
        panic!("{err:?}");
    };
    assert_eq!(limit, 100);
    assert!(bytes > 100);
    let err64 = export(
        &g,
        &ExportOptions::default()
            .with_float64(true)
            .with_max_bytes(100),
    )
    .unwrap_err();
    assert!(matches!(err64, ExportError::TooLarge { bytes: b, .. } if b == 2 * bytes));
    assert!(export(&g, &ExportOptions::default().with_max_bytes(bytes)).is_ok());
    assert!(err.to_string().contains("max_bytes"));
}

#[test]
fn float32_overflow_is_refused_and_float64_keeps_it() {
    let g = Graph::new(
        Shape::flat(2),
        vec![node(
            "d",
            Op::Dense {
                weight: Mat::from_fn(1, 2, |_, j| if j == 0 { 1e300 } else { 1.0 }),
                bias: None,
            },
            &[0],
        )],
    )
    .unwrap();
    let err = export(&g, &ExportOptions::default()).unwrap_err();
    assert!(
        matches!(&err, ExportError::Node { reason, .. } if reason.contains("float32")),
        "{err:?}"
    );
    let back = import(
        &export(&g, &ExportOptions::default().with_float64(true)).unwrap(),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(back, g);
}
