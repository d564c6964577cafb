//! Raw bytes into the ticket reader of crates/construction (a safetensors
//! file of a pruned network, `logprune_construction::read_ticket`): `Ok` or
//! `Err`, never a panic. When it reads, the network it gives must be usable:
//! its virtual matrices and one forward pass.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = logprune_construction::read_ticket(data) {
        let _ = t.pruned.virtual_matrices();
        let x = vec![0.5; t.pruned.input_width()];
        let _ = t.pruned.forward(&x);
    }
});
