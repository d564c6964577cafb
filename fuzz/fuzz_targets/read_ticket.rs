//! Raw bytes into the ticket reader of crates/construction (a safetensors
//! file of a pruned network): `Ok` or `Err`, never a panic.
//!
//! Built only with `--features ticket`, because
//! `logprune_construction::ticket::read_ticket` is still being written:
//! `cargo fuzz run read_ticket --features ticket -- -runs=1000000`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = logprune_construction::ticket::read_ticket(data);
});
