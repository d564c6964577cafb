//! Raw bytes into `read_tensors`, the general reader behind `load_network`
//! (and what a mask or ticket reader builds on), then every tensor through
//! `values_f64` and `to_mat`: `Ok` or `Err`, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logprune_network::read_tensors;

fuzz_target!(|data: &[u8]| {
    let Ok(tensors) = read_tensors(data) else {
        return;
    };
    for t in &tensors {
        let n = t.values_f64().len();
        assert_eq!(
            Some(n),
            t.shape.iter().try_fold(1usize, |a, &b| a.checked_mul(b))
        );
        if let Ok(m) = t.to_mat() {
            assert_eq!(m.nrows() * m.ncols(), n);
        }
    }
});
