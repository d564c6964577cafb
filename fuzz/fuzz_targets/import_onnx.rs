//! Raw bytes into the ONNX importer (`logprune_onnx::import`): `Ok` or `Err`, never a
//! panic. The last byte picks the options (a given input shape, a small expansion limit for
//! grouped convs), so those paths are exercised too. A graph that imports must be usable:
//! when its forward pass is cheap (at most 10^7 multiply-adds) it runs once on zeros.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logprune_network::{Graph, Op};
use logprune_onnx::{ImportOptions, import};

/// Multiply-adds of one forward pass (saturating).
fn cost(graph: &Graph) -> usize {
    graph
        .nodes()
        .iter()
        .enumerate()
        .map(|(k, node)| {
            let out = graph.shapes()[k + 1].len();
            let per = match &node.op {
                Op::Dense { weight, .. } => weight.ncols(),
                Op::Conv(c) => c.c_in.saturating_mul(c.window.taps()),
                Op::MaxPool(p) | Op::AvgPool(p) => p.window.taps(),
                Op::GlobalAvgPool => graph.shapes()[node.inputs[0]].positions(),
                _ => 1,
            };
            out.saturating_mul(per)
        })
        .fold(graph.input_shape().len(), usize::saturating_add)
}

fuzz_target!(|data: &[u8]| {
    let selector = data.last().copied().unwrap_or(0);
    let mut options = ImportOptions::default();
    if selector & 1 == 1 {
        options = options.with_input_shape(vec![1, 8, 8]);
    }
    if selector & 2 == 2 {
        options = options.with_max_expanded_weights(64);
    }
    if let Ok(graph) = import(data, &options) {
        assert_eq!(graph.shapes().len(), graph.nodes().len() + 1);
        if cost(&graph) <= 10_000_000 {
            let x = vec![0.0; graph.input_shape().len()];
            let y = graph.forward(&x).expect("zeros are a valid input");
            assert_eq!(y.len(), graph.output_shape().len());
        }
    }
});
