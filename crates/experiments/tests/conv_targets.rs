//! The conv targets' table on the small digits CNN: certified at ε = 0.01 on the 360 test
//! digits, Ĝ classifying every one of them as F does; and Burkholz et al.'s layout counted.
#![allow(clippy::unwrap_used)]

use logprune_experiments::Ctx;
use logprune_experiments::conv_targets::{
    ConvTarget, ConvTargetsConfig, burkholz_channels, conv_targets_table, models_dir,
};
use logprune_experiments::table::Cell;

#[test]
fn the_small_cnn_is_certified_and_g_hat_classifies_as_f_does() {
    let cfg = ConvTargetsConfig {
        targets: vec![ConvTarget {
            file: "cnn_small_relu.onnx",
            activation: "relu",
            upsampled: false,
        }],
        ..ConvTargetsConfig::full()
    };
    let table = conv_targets_table(&cfg, &Ctx::default()).unwrap();
    assert_eq!(table.rows().len(), 1);
    let col = |name: &str| {
        let i = table.columns().iter().position(|c| c == name).unwrap();
        table.rows()[0][i].clone()
    };
    assert_eq!(col("status"), Cell::from("ok"));
    let num = |name: &str| match col(name) {
        Cell::Float(v) => v,
        Cell::Int(v) => v as f64,
        other => panic!("{name}: {other:?}"),
    };
    assert!(num("certified") <= 0.01);
    assert!(num("measured") <= num("certified"));
    assert_eq!(num("inputs_checked"), 360.0);
    let (f, g) = (num("test_accuracy_f"), num("test_accuracy_g"));
    assert!(f > 0.9, "{f}");
    assert_eq!(f, g);
}

#[test]
fn burkholz_layout_counts_their_channels() {
    let bytes = std::fs::read(models_dir().join("cnn_small_relu.onnx")).unwrap();
    let g = logprune_onnx::import(&bytes, &logprune_onnx::ImportOptions::default()).unwrap();
    // conv 1→8, conv 8→16, dense → 10 with ρ = 15: ρ(1+1) + ρ(8+1) + ρ(16+1).
    assert_eq!(burkholz_channels(&g, 15), 15 * 2 + 15 * 9 + 15 * 17);
}
