//! Every ONNX fixture of `data/models` imported and evaluated on its stored inputs against
//! onnxruntime's outputs (and the float64 torch model where the exporter left BN unfolded).

#![allow(clippy::unwrap_used)]

mod common;

use common::{max_rel_error, read, reference_forward, rows};
use faer::{Mat, Par};
use logprune_network::{Activation, Graph, LoadOptions, Op, load_network, network_to_safetensors};
use logprune_onnx::{ImportOptions, OnnxError, import};

/// onnxruntime ran the float32 file in float32; the graph computes the same weights in f64.
const ORT_RTOL: f64 = 1e-4;

/// The graph's outputs on `rows` by `Graph::forward_batch` (one input per column).
fn forward(g: &Graph, rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = g.input_shape().len();
    let x = Mat::from_fn(n, rows.len(), |i, j| rows[j][i]);
    let y = g.forward_batch(x.as_ref(), Par::Seq).unwrap();
    (0..y.ncols())
        .map(|j| y.col(j).iter().copied().collect())
        .collect()
}

fn check(name: &str) -> f64 {
    let g = import(&read(&format!("{name}.onnx")), &ImportOptions::default()).unwrap();
    let io = read(&format!("{name}.io.safetensors"));
    let inputs = rows(&io, "input");
    let want = rows(&io, "output_ort");
    let err = max_rel_error(&forward(&g, &inputs), &want);
    println!("{name}: max relative error of forward_batch vs onnxruntime {err:.3e}");
    assert!(err < ORT_RTOL, "{name}: {err}");
    if !name.starts_with("resnet") {
        // The direct-loop evaluation too (the ResNets are slow that way).
        let direct: Vec<Vec<f64>> = inputs.iter().map(|x| reference_forward(&g, x)).collect();
        let err = max_rel_error(&direct, &want);
        assert!(err < ORT_RTOL, "{name}, direct loops: {err}");
    }
    err
}

#[test]
fn all_fixtures_match_onnxruntime() {
    for name in [
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
    ] {
        check(name);
    }
}

/// The float64 torch model against the file with BN left unfolded by the exporter: folded
/// here in f64 from the float32 weights, so only f64 rounding (and the float32 ε) remains.
const F64_RTOL: f64 = 1e-9;

#[test]
fn unfolded_batch_norm_matches_the_float64_model() {
    for name in ["resnet20_digits_nofold", "ops_misc"] {
        let g = import(&read(&format!("{name}.onnx")), &ImportOptions::default()).unwrap();
        assert!(
            !g.nodes()
                .iter()
                .any(|n| matches!(n.op, Op::Scale { shift: Some(_), .. })),
            "{name}: every BN folds into its conv"
        );
        let io = read(&format!("{name}.io.safetensors"));
        let got = forward(&g, &rows(&io, "input"));
        let err = max_rel_error(&got, &rows(&io, "output_f64"));
        println!("{name}: max relative error of forward_batch vs torch float64 {err:.3e}");
        assert!(err < F64_RTOL, "{name}: {err}");
    }
}

#[test]
fn resnet_folded_and_unfolded_give_the_same_graph_shape() {
    let a = import(&read("resnet20_digits.onnx"), &ImportOptions::default()).unwrap();
    let b = import(
        &read("resnet20_digits_nofold.onnx"),
        &ImportOptions::default(),
    )
    .unwrap();
    let names = |g: &logprune_network::Graph| {
        g.nodes()
            .iter()
            .map(|n| (n.op.name(), n.inputs.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&a), names(&b));
    assert_eq!(a.shapes(), b.shapes());
    assert_eq!(a.linear_nodes().len(), 22); // 21 convs and the dense layer
    assert_eq!(a.nodes().iter().filter(|n| n.op == Op::Add).count(), 9);
}

#[test]
fn ops_misc_maps_each_op() {
    let g = import(&read("ops_misc.onnx"), &ImportOptions::default()).unwrap();
    let ops: Vec<String> = g.nodes().iter().map(|n| n.op.name()).collect();
    // Conv+BN, Elu, Mul by `scale`, GELU (its erf form), conv1x1, Add, Sigmoid, Tanh,
    // ReduceMean → global average, Reshape → flatten, Gemm.
    assert_eq!(
        ops,
        [
            "conv",
            "elu:1",
            "scale",
            "gelu",
            "conv",
            "add",
            "sigmoid",
            "tanh",
            "global-avg-pool",
            "flatten",
            "dense"
        ]
    );
    assert_eq!(g.nodes()[1].op, Op::Activation(Activation::Elu(1.0)));
    let Op::Conv(c) = &g.nodes()[0].op else {
        panic!()
    };
    assert_eq!(
        (c.window.kernel, c.window.stride, c.window.padding),
        ([3, 5], [2, 1], [1, 2, 1, 2])
    );
    assert_eq!(g.nodes()[5].inputs, vec![4, 5]);
}

#[test]
fn grouped_and_depthwise_convs_are_expanded() {
    for (name, groups) in [("ops_grouped", 2), ("ops_depthwise", 4)] {
        let g = import(&read(&format!("{name}.onnx")), &ImportOptions::default()).unwrap();
        let Op::Conv(c) = &g.nodes()[0].op else {
            panic!()
        };
        assert_eq!((c.c_out, c.c_in), (4, 4));
        let (per_out, per_in) = (c.c_out / groups, c.c_in / groups);
        for a in 0..c.c_out {
            for b in 0..c.c_in {
                let block = &c.weight[(a * 4 + b) * 9..(a * 4 + b + 1) * 9];
                if a / per_out != b / per_in {
                    assert!(block.iter().all(|&w| w == 0.0), "{name}: {a} {b}");
                } else {
                    assert!(block.iter().any(|&w| w != 0.0), "{name}: {a} {b}");
                }
            }
        }
    }
}

#[test]
fn mlp_matmul_gives_dense_nodes_and_equals_its_safetensors_round_trip() {
    let g = import(&read("mlp_matmul.onnx"), &ImportOptions::default()).unwrap();
    let ops: Vec<String> = g.nodes().iter().map(|n| n.op.name()).collect();
    assert_eq!(ops, ["dense", "relu", "dense"]);
    for (k, (rows, cols)) in [(0, (12, 16)), (2, (4, 12))] {
        let Op::Dense { weight, bias } = &g.nodes()[k].op else {
            panic!()
        };
        assert_eq!((weight.nrows(), weight.ncols()), (rows, cols));
        assert_eq!(
            bias.as_ref().map(Vec::len),
            Some(rows),
            "MatMul + Add → dense with bias"
        );
    }
    // The same MLP through the safetensors convention (nn.Sequential of Linear layers).
    let net = g.to_network().unwrap().unwrap();
    let bytes = network_to_safetensors(&net).unwrap();
    let options = LoadOptions {
        hidden_activation: Activation::Relu,
        output_activation: Activation::Identity,
    };
    let back = Graph::from_network(&load_network(&bytes, &options).unwrap());
    let ops_of = |g: &Graph| {
        g.nodes()
            .iter()
            .map(|n| (n.op.clone(), n.inputs.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ops_of(&back), ops_of(&g));
}

#[test]
fn safetensors_mlps_and_their_graphs_agree() {
    // The safetensors MLPs have no ONNX file; their graph (an MLP is a chain graph) must
    // evaluate as the float64 torch model does.
    for (name, act) in [
        ("mlp_tanh_digits", Activation::Tanh),
        ("mlp_sigmoid_digits", Activation::Sigmoid),
        ("mlp_leakyrelu_digits", Activation::LeakyRelu(0.1)),
    ] {
        let options = LoadOptions {
            hidden_activation: act,
            output_activation: Activation::Identity,
        };
        let net = load_network(&read(&format!("{name}.safetensors")), &options).unwrap();
        let g = Graph::from_network(&net);
        let io = read(&format!("{name}.io.safetensors"));
        let got = forward(&g, &rows(&io, "input"));
        let err = max_rel_error(&got, &rows(&io, "output_f64"));
        println!("{name}: max relative error vs torch float64 {err:.3e}");
        assert!(err < F64_RTOL, "{name}: {err}");
    }
}

#[test]
fn unsupported_op_names_the_cumsum_node() {
    let e = import(&read("ops_unsupported.onnx"), &ImportOptions::default()).unwrap_err();
    match &e {
        OnnxError::UnsupportedOp { node, domain } => {
            assert_eq!(
                (node.index, node.name.as_str(), node.op_type.as_str()),
                (5, "/CumSum", "CumSum")
            );
            assert_eq!(domain, "");
        }
        other => panic!("{other}"),
    }
    assert!(
        e.to_string()
            .starts_with("node 5 `/CumSum` (CumSum): operator `CumSum`"),
        "{e}"
    );
}

#[test]
fn truncated_and_garbage_bytes_are_decode_errors() {
    let bytes = read("lenet5_digits.onnx");
    let half = &bytes[..bytes.len() / 2];
    let e = import(half, &ImportOptions::default()).unwrap_err();
    assert!(
        matches!(&e, OnnxError::Decode { len, .. } if *len == half.len()),
        "{e}"
    );
    // A deterministic pseudo-random buffer (64-bit LCG).
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let garbage: Vec<u8> = (0..4096)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect();
    let e = import(&garbage, &ImportOptions::default()).unwrap_err();
    assert!(matches!(e, OnnxError::Decode { len: 4096, .. }), "{e}");
    println!("{e}");
    // Empty bytes are a valid empty protobuf message: a model without an opset or graph.
    assert!(import(&[], &ImportOptions::default()).is_err());
}
