//! CSV text into `read_input_rows`: the first byte gives `n0` (0..=7, so the
//! `n0 = 0` error is reached too); the rest is decoded lossily as UTF-8.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logprune_network::read_input_rows;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let n0 = usize::from(first % 8);
    let text = String::from_utf8_lossy(rest);
    if let Ok(rows) = read_input_rows(&text, n0) {
        assert!(!rows.is_empty());
        for row in &rows {
            assert_eq!(row.len(), n0);
            assert!(row.iter().all(|v| v.is_finite()));
        }
    }
});
