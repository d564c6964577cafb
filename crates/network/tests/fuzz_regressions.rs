//! Inputs found by the fuzz targets of `fuzz/` (see fuzz/README.md), each
//! kept as the exact bytes the fuzzer wrote and asserted to be a typed error.
#![allow(clippy::unwrap_used)]

mod common;

use common::raw_safetensors;
use logprune_network::{LoadOptions, SafetensorsError, load_network, read_tensors};

/// `fuzz/artifacts/read_tensors/timeout-ec74c161813df804c5421a65e786e81614a7abbe`
/// (83 bytes, the hand-made seed `empty_huge_dim.safetensors`): a 0-element
/// F32 tensor of shape `[0, 2^40]`. `read_tensors` accepts it (the format
/// allows 0 elements); `to_mat` used to hand it to `Mat::from_fn`, which
/// loops over 2^40 empty columns (a hang; a regression hangs this test).
#[test]
fn to_mat_of_zero_rows_and_huge_cols_is_an_error_not_a_hang() {
    let bytes = b"K\0\0\0\0\0\0\0{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[0,1099511627776],\"data_offsets\":[0,0]}}";
    assert_eq!(bytes.len(), 83);
    let t = read_tensors(bytes).unwrap();
    assert_eq!(t[0].shape, vec![0, 1 << 40]);
    assert_eq!(t[0].values_f64(), Vec::<f64>::new());
    let err = t[0].to_mat().unwrap_err();
    assert_eq!(
        err,
        SafetensorsError::EmptyTensor {
            tensor: "0.weight".to_owned(),
            shape: vec![0, 1 << 40],
        }
    );
    assert_eq!(
        err.to_string(),
        "tensor `0.weight` has shape [0, 1099511627776]; every dimension must be at least 1"
    );
    // load_network already refused it.
    assert!(matches!(
        load_network(bytes, &LoadOptions::default()),
        Err(SafetensorsError::EmptyTensor { .. })
    ));
}

/// The transposed case, found while minimizing the one above (the fuzzer did
/// not reach it in 6·10^6 runs): `[rows, 0]` with `rows ≥ 2^61` made faer's
/// allocation panic with `CapacityOverflow`.
#[test]
fn to_mat_of_huge_rows_and_zero_cols_is_an_error_not_a_panic() {
    for rows in [1u64 << 61, u64::MAX] {
        let header = format!(r#"{{"m":{{"dtype":"U8","shape":[{rows},0],"data_offsets":[0,0]}}}}"#);
        let t = read_tensors(&raw_safetensors(&header, &[])).unwrap();
        let rows = usize::try_from(rows).unwrap();
        assert_eq!(
            t[0].to_mat(),
            Err(SafetensorsError::EmptyTensor {
                tensor: "m".to_owned(),
                shape: vec![rows, 0],
            })
        );
    }
}
