//! The hand-built models of the fuzz seed corpus (`python/fixtures/make_onnx_seeds.py`):
//! auto_pad, an unfolded batch norm on a branch, Sub/Div by constants, padded max pooling,
//! ReduceMean with axes as an input, a grouped conv, the Gelu op, Slice/Cast/Squeeze, Gemm
//! with alpha/beta and transB = 0, Mul/Elu/Dropout/Identity, float16 and float64 models.
//! Expected values: onnxruntime 1.32 (CPU, optimisations off) on the same inputs, printed to
//! 6 decimals.
#![allow(clippy::unwrap_used)]

use logprune_onnx::{ImportOptions, import};

/// The printed precision of the expected values (and float16's for that model).
const PRINTED: f64 = 2e-6;

fn check(name: &str, batch: usize, per_sample: usize, want: &[f64], tol: f64) {
    let path = format!(
        "{}/../../fuzz/seeds/import_onnx/{name}.onnx",
        env!("CARGO_MANIFEST_DIR")
    );
    let g = import(&std::fs::read(path).unwrap(), &ImportOptions::default()).unwrap();
    let mut got = Vec::new();
    for s in 0..batch {
        // sin(0.37·i) in float32, as fed to onnxruntime.
        let x: Vec<f64> = (0..per_sample)
            .map(|i| f64::from(((s * per_sample + i) as f32 * 0.37f32).sin()))
            .collect();
        got.extend(g.forward(&x).unwrap());
    }
    assert_eq!(got.len(), want.len(), "{name}");
    for (k, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= tol, "{name}[{k}]: {a} vs {b}");
    }
}

#[test]
fn seed_models_match_onnxruntime() {
    check(
        "seed_same_bn_branch",
        2,
        98,
        &[
            3.707538, 4.008635, 0.787897, 0.898448, 3.825941, 4.290339, 0.975214, 1.088876,
        ],
        PRINTED,
    );
    check(
        "seed_group_gelu_squeeze",
        1,
        100,
        &[0.813190, 0.808084, 0.993343],
        PRINTED,
    );
    check(
        "seed_mlp_matmul_mul",
        2,
        6,
        &[
            0.523974, -0.265436, 0.406461, 0.414719, -0.031677, -0.386299,
        ],
        PRINTED,
    );
    check(
        "seed_f64_gemm",
        2,
        4,
        &[
            -1.039169, 0.206022, -0.635069, -1.248780, -0.677085, -0.812725,
        ],
        PRINTED,
    );
    // onnxruntime computed this one in float16.
    check(
        "seed_f16_matmul",
        2,
        4,
        &[0.435547, 0.783203, 0.300293, 0.650879, 0.753418, 0.312256],
        1e-3,
    );
}
