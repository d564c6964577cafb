//! Raw bytes into the ONNX importer (`logprune_onnx::import`): `Ok` or `Err`, never a
//! panic. The last byte picks the options (a given input shape, a small expansion limit for
//! grouped convs), so those paths are exercised too. A graph that imports must be valid
//! (the importer returns only validated graphs): its shapes and weight count are read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logprune_onnx::{ImportOptions, import};

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
        let _ = graph.num_weights();
        let _ = graph.output_shape();
    }
});
