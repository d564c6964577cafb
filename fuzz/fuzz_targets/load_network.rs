//! Raw bytes into `load_network`: it must return `Ok` or `Err`, never panic.
//! The last byte picks the two activations, so every option is exercised.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logprune_network::{Activation, LoadOptions, load_network};

fuzz_target!(|data: &[u8]| {
    let selector = data.last().copied().unwrap_or(0);
    let options = LoadOptions {
        hidden_activation: Activation::ALL[usize::from(selector & 3)],
        output_activation: Activation::ALL[usize::from((selector >> 2) & 3)],
    };
    if let Ok(net) = load_network(data, &options) {
        // A loaded network must be usable: one forward pass on zeros.
        let n0 = net.architecture().widths()[0];
        let _ = net.forward(&vec![0.0; n0]);
    }
});
