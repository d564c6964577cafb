//! Writes exported ONNX files with their inputs and the graph's expected outputs, for
//! `python/fixtures/check_export.py` to run with onnxruntime (not part of CI, which has no
//! onnxruntime).
//!
//! For every fixture of `data/models` (but `ops_unsupported.onnx`), imported, and for one
//! small hand-built graph per operation, writes into the directory given (default
//! `target/export`): `<name>.onnx` (float32), `<name>.f64.onnx` (float64) and
//! `<name>.io.safetensors` holding `input` (`[N, …]`, the model's input dims) and `output`
//! (`[N, len]`, `Graph::forward_batch` in `f64`), both float64.
//!
//! ```text
//! cargo run -p logprune-onnx --example export_fixture -- target/export
//! /work/venv-torch/bin/python python/fixtures/check_export.py target/export
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::path::{Path, PathBuf};

use faer::{Mat, Par};
use logprune_network::{Activation, Conv2d, Graph, Node, Op, Pool2d, Shape, Window};
use logprune_onnx::{ExportOptions, ImportOptions, export, import};
use safetensors::tensor::{Dtype, TensorView};

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

type Res<T> = Result<T, Box<dyn Error>>;

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

fn node(name: &str, op: Op, inputs: &[usize]) -> Node {
    Node {
        name: name.into(),
        op,
        inputs: inputs.to_vec(),
    }
}

fn conv(c_in: usize, c_out: usize, window: Window, seed: u64) -> Op {
    Op::Conv(Conv2d {
        c_out,
        c_in,
        window,
        weight: vals(c_out * c_in * window.taps(), seed),
        bias: Some(vals(c_out, seed + 100)),
    })
}

fn dense(n_in: usize, n_out: usize, seed: u64) -> Op {
    let w = vals(n_in * n_out, seed);
    Op::Dense {
        weight: Mat::from_fn(n_out, n_in, |i, j| w[i * n_in + j]),
        bias: Some(vals(n_out, seed + 100)),
    }
}

fn win(
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

/// One graph per operation: a conv (3 channels, 6 × 7) then the operation. The `alpha` of
/// leaky ReLU and ELU is exact in `f32` (ONNX stores it as a float attribute), so that the
/// float64 files agree to `f64` rounding.
fn per_op_graphs() -> Res<Vec<(String, Graph)>> {
    let input = Shape::new(2, 6, 7);
    let first = || node("conv0", conv(2, 3, Window::square(1), 1), &[0]);
    let one =
        |op: Op| -> Res<Graph> { Ok(Graph::new(input, vec![first(), node("op", op, &[1])])?) };
    let act = |a: Activation| one(Op::Activation(a));
    let mut out = vec![
        (
            "op_conv".to_string(),
            Graph::new(
                input,
                vec![node(
                    "conv",
                    conv(2, 4, win([3, 2], [2, 1], [1, 0, 2, 1], [1, 2]), 2),
                    &[0],
                )],
            )?,
        ),
        (
            "op_scale".into(),
            one(Op::Scale {
                scale: vec![0.5, -2.0, 1.25],
                shift: Some(vec![0.1, -0.2, 0.3]),
            })?,
        ),
        ("op_relu".into(), act(Activation::Relu)?),
        ("op_tanh".into(), act(Activation::Tanh)?),
        ("op_sigmoid".into(), act(Activation::Sigmoid)?),
        ("op_leaky_relu".into(), act(Activation::LeakyRelu(0.125))?),
        ("op_elu".into(), act(Activation::Elu(0.75))?),
        ("op_gelu".into(), act(Activation::Gelu)?),
        ("op_identity".into(), act(Activation::Identity)?),
        (
            "op_max_pool".into(),
            one(Op::MaxPool(Pool2d {
                window: win([2, 3], [2, 1], [1, 1, 0, 1], [2, 1]),
                count_include_pad: false,
            }))?,
        ),
        (
            "op_avg_pool".into(),
            one(Op::AvgPool(Pool2d {
                window: win([3, 3], [2, 2], [1, 1, 1, 1], [1, 1]),
                count_include_pad: false,
            }))?,
        ),
        (
            "op_avg_pool_pad".into(),
            one(Op::AvgPool(Pool2d {
                window: win([3, 2], [1, 2], [1, 0, 1, 1], [1, 1]),
                count_include_pad: true,
            }))?,
        ),
        ("op_global_avg_pool".into(), one(Op::GlobalAvgPool)?),
        ("op_flatten".into(), one(Op::Flatten)?),
        ("op_dense_on_map".into(), one(dense(3 * 6 * 7, 5, 3))?),
        (
            "op_add".into(),
            Graph::new(
                input,
                vec![
                    first(),
                    node(
                        "conv1",
                        conv(3, 3, Window::square(3).with_padding(1), 4),
                        &[1],
                    ),
                    node("add", Op::Add, &[1, 2]),
                ],
            )?,
        ),
        (
            "op_dense_flat".into(),
            Graph::new(
                Shape::flat(5),
                vec![
                    node("dense", dense(5, 4, 5), &[0]),
                    node("conv", conv(4, 2, Window::square(1), 6), &[1]),
                ],
            )?,
        ),
        (
            // Only operations onnxruntime's CPU provider runs in double too.
            "op_mlp".into(),
            Graph::new(
                Shape::flat(5),
                vec![
                    node("dense1", dense(5, 6, 7), &[0]),
                    node("relu", Op::Activation(Activation::Relu), &[1]),
                    node("dense2", dense(6, 6, 8), &[2]),
                    node("tanh", Op::Activation(Activation::Tanh), &[3]),
                    node(
                        "scale",
                        Op::Scale {
                            scale: vals(6, 9),
                            shift: Some(vals(6, 10)),
                        },
                        &[4],
                    ),
                    node("sigmoid", Op::Activation(Activation::Sigmoid), &[5]),
                    node("add", Op::Add, &[2, 6]),
                    node("leaky", Op::Activation(Activation::LeakyRelu(0.125)), &[7]),
                    node(
                        "maxpool",
                        Op::MaxPool(Pool2d {
                            window: Window::square(1),
                            count_include_pad: false,
                        }),
                        &[8],
                    ),
                    node("flatten", Op::Flatten, &[9]),
                    node("dense3", dense(6, 3, 11), &[10]),
                ],
            )?,
        ),
    ];
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// `with_padding` for the per-op graphs.
trait Pad {
    fn with_padding(self, p: usize) -> Self;
}

impl Pad for Window {
    fn with_padding(mut self, p: usize) -> Self {
        self.padding = [p; 4];
        self
    }
}

fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn write(dir: &Path, name: &str, graph: &Graph, inputs: &Mat<f64>) -> Res<()> {
    std::fs::write(
        dir.join(format!("{name}.onnx")),
        export(graph, &ExportOptions::default())?,
    )?;
    std::fs::write(
        dir.join(format!("{name}.f64.onnx")),
        export(graph, &ExportOptions::default().with_float64(true))?,
    )?;
    let y = graph.forward_batch(inputs.as_ref(), Par::Seq)?;
    let n = inputs.ncols();
    let s = graph.input_shape();
    let in_dims = if s.positions() == 1 {
        vec![n, s.len()]
    } else {
        vec![n, s.c, s.h, s.w]
    };
    let x: Vec<f64> = (0..n)
        .flat_map(|j| inputs.col(j).iter().copied().collect::<Vec<_>>())
        .collect();
    let yv: Vec<f64> = (0..n)
        .flat_map(|j| y.col(j).iter().copied().collect::<Vec<_>>())
        .collect();
    let (xb, yb) = (f64_bytes(&x), f64_bytes(&yv));
    let views = vec![
        (
            "input".to_string(),
            TensorView::new(Dtype::F64, in_dims.clone(), &xb)?,
        ),
        (
            "output".to_string(),
            TensorView::new(Dtype::F64, vec![n, y.nrows()], &yb)?,
        ),
    ];
    let bytes = safetensors::tensor::serialize(views, None::<HashMap<String, String>>)?;
    std::fs::write(dir.join(format!("{name}.io.safetensors")), bytes)?;
    println!(
        "{name}: {} nodes, input {in_dims:?}, output [{n}, {}]",
        graph.nodes().len(),
        y.nrows()
    );
    Ok(())
}

/// The stored inputs of a fixture, one per column.
fn fixture_inputs(io: &[u8], len: usize) -> Res<Mat<f64>> {
    let st = safetensors::SafeTensors::deserialize(io)?;
    let t = st.tensor("input")?;
    let v: Vec<f64> = t
        .data()
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect();
    let n = v.len() / len;
    Ok(Mat::from_fn(len, n, |i, j| v[j * len + i]))
}

fn main() -> Res<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| root.join("target/export"), PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    let models = root.join("data/models");
    for name in FIXTURES {
        let graph = import(
            &std::fs::read(models.join(format!("{name}.onnx")))?,
            &ImportOptions::default(),
        )?;
        let io = std::fs::read(models.join(format!("{name}.io.safetensors")))?;
        let x = fixture_inputs(&io, graph.input_shape().len())?;
        write(&dir, name, &graph, &x)?;
    }
    for (name, graph) in per_op_graphs()? {
        let len = graph.input_shape().len();
        let v = vals(len * 8, 42);
        let x = Mat::from_fn(len, 8, |i, j| 2.0 * v[j * len + i]);
        write(&dir, &name, &graph, &x)?;
    }
    Ok(())
}
