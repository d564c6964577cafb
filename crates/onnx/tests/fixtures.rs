//! Every ONNX fixture of `data/models` imported and evaluated on its stored inputs against
//! onnxruntime's outputs (and the float64 torch model where the exporter left BN unfolded).

mod common;

use common::{max_rel_error, read, reference_forward, rows};
use logprune_onnx::{ImportOptions, import};

/// onnxruntime ran the float32 file in float32; the graph computes the same weights in f64.
const ORT_RTOL: f64 = 1e-4;

fn check(name: &str) -> f64 {
    let g = import(&read(&format!("{name}.onnx")), &ImportOptions::default()).unwrap();
    let io = read(&format!("{name}.io.safetensors"));
    let got: Vec<Vec<f64>> = rows(&io, "input")
        .iter()
        .map(|x| reference_forward(&g, x))
        .collect();
    let err = max_rel_error(&got, &rows(&io, "output_ort"));
    println!("{name}: max relative error vs onnxruntime {err:.3e}");
    assert!(err < ORT_RTOL, "{name}: {err}");
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
