//! safetensors import/export: layout, ordering, round trips, and every bad
//! input as a typed error.
#![allow(clippy::unwrap_used)]

mod common;

use common::{f32_bytes, raw_safetensors};
use faer::{Mat, mat};
use logprune_network::{
    Activation, Layer, LoadOptions, NamedTensor, Network, SafetensorsError, TensorData,
    load_network, network_to_safetensors, read_tensors, sequential_weight_name, write_tensors,
};

fn load(bytes: &[u8]) -> Result<Network, SafetensorsError> {
    load_network(bytes, &LoadOptions::default())
}

#[test]
fn row_major_non_square_layer_by_hand() {
    // A 2×3 weight [[1, 2, 3], [4, 5, 6]] stored row-major as F32, and a 1×2
    // weight [[10, -1]], bias on the first layer.
    let header = r#"{"0.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"0.bias":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},"2.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[32,40]}}"#;
    let mut data = f32_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    data.extend(f32_bytes(&[0.5, -100.0]));
    data.extend(f32_bytes(&[10.0, -1.0]));
    let net = load(&raw_safetensors(header, &data)).unwrap();
    assert_eq!(net.architecture().widths(), &[3, 2, 1]);
    let w = net.layers()[0].weight();
    assert_eq!((w[(0, 0)], w[(0, 1)], w[(0, 2)]), (1.0, 2.0, 3.0));
    assert_eq!((w[(1, 0)], w[(1, 1)], w[(1, 2)]), (4.0, 5.0, 6.0));
    assert_eq!(net.layers()[0].bias.as_deref(), Some(&[0.5, -100.0][..]));
    assert_eq!(net.layers()[0].activation, Activation::Relu);
    assert_eq!(net.layers()[1].activation, Activation::Identity);
    // x = (1, 0, -1): z = (1-3+0.5, 4-6-100) = (-1.5, -102) -> ReLU 0, 0 -> 0.
    assert_eq!(net.forward(&[1.0, 0.0, -1.0]).unwrap(), vec![0.0]);
    // x = (1, 1, 1): z = (6.5, -85) -> (6.5, 0) -> 65.
    assert_eq!(net.forward(&[1.0, 1.0, 1.0]).unwrap(), vec![65.0]);

    // Export writes the same row-major order, as F64.
    let bytes = network_to_safetensors(&net).unwrap();
    let tensors = read_tensors(&bytes).unwrap();
    let names: Vec<&str> = tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["0.bias", "0.weight", "2.weight"]);
    assert_eq!(tensors[1].shape, vec![2, 3]);
    assert_eq!(
        tensors[1].data,
        TensorData::F64(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    );
    assert_eq!(load(&bytes).unwrap(), net);
}

#[test]
fn numeric_layer_order_with_more_than_ten_layers() {
    // Widths 1..=13 make every wrong order fail to chain.
    let widths: Vec<usize> = (1..=13).collect();
    let layers: Vec<Layer> = widths
        .windows(2)
        .enumerate()
        .map(|(k, w)| {
            let m = Mat::from_fn(w[1], w[0], |r, c| (k + r + c) as f64 / 10.0);
            Layer::with_bias(m, vec![k as f64; w[1]], Activation::Relu)
        })
        .collect();
    let mut layers = layers;
    layers.last_mut().unwrap().activation = Activation::Identity;
    let net = Network::new(layers).unwrap();
    let bytes = network_to_safetensors(&net).unwrap();
    let back = load(&bytes).unwrap();
    assert_eq!(back, net);
    assert_eq!(sequential_weight_name(11), "22.weight");
    let names: Vec<String> = read_tensors(&bytes)
        .unwrap()
        .into_iter()
        .filter(|t| t.name.ends_with("weight"))
        .map(|t| t.name)
        .collect();
    assert_eq!(names[5], "10.weight");
    assert_eq!(names[11], "22.weight");
}

#[test]
fn nested_names_and_options() {
    let t = |name: &str, m: Mat<f64>| NamedTensor::from_mat(name, m.as_ref());
    let bytes = write_tensors(&[
        t("net.10.weight", mat![[2.0, 0.0]]),
        t("net.2.weight", mat![[1.0, 1.0], [1.0, -1.0]]),
        t("net.0.weight", mat![[1.0], [0.5]]),
    ])
    .unwrap();
    let opts = LoadOptions {
        hidden_activation: Activation::Identity,
        output_activation: Activation::Relu,
    };
    let net = load_network(&bytes, &opts).unwrap();
    assert_eq!(net.architecture().widths(), &[1, 2, 2, 1]);
    assert_eq!(
        net.architecture().activations(),
        &[Activation::Identity, Activation::Identity, Activation::Relu]
    );
    // x = 2: (2, 1) -> (3, 1) -> relu(6) = 6; x = -2 -> relu(-6) = 0.
    assert_eq!(net.forward(&[2.0]).unwrap(), vec![6.0]);
    assert_eq!(net.forward(&[-2.0]).unwrap(), vec![0.0]);
}

#[test]
fn single_linear_without_prefix() {
    let bytes = write_tensors(&[
        NamedTensor::from_mat("weight", mat![[1.0, 2.0]].as_ref()),
        NamedTensor::f64("bias", vec![1], vec![-1.0]).unwrap(),
    ])
    .unwrap();
    let net = load(&bytes).unwrap();
    assert_eq!(net.forward(&[1.0, 1.0]).unwrap(), vec![2.0]);
}

#[test]
fn export_is_deterministic_f64_with_metadata() {
    let net = Network::from_weights(vec![mat![[0.1, -0.2], [0.3, 0.4]]], &[Activation::Identity])
        .unwrap();
    let a = network_to_safetensors(&net).unwrap();
    let b = network_to_safetensors(&net.clone()).unwrap();
    assert_eq!(a, b);
    let header_len = u64::from_le_bytes(a[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&a[8..8 + header_len]).unwrap();
    assert!(header.contains(r#""dtype":"F64""#), "{header}");
    assert!(header.contains(r#""format":"pt""#), "{header}");
    // Raw data: 0.1, -0.2, 0.3, 0.4 as little-endian f64 (row-major).
    let data = &a[8 + header_len..];
    let v: Vec<f64> = data
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(v, vec![0.1, -0.2, 0.3, 0.4]);
}

#[test]
fn general_writer_and_reader_masks() {
    // The pruned-network layout: U_1 (kept × n_0), V_1 (n_1 × kept), ... and
    // masks of the same shapes, so that large ⊙ masks can be checked.
    let large = mat![[0.5, -1.0, 2.0], [3.0, 0.25, -4.0]];
    let mask = NamedTensor::mask("0.weight", 2, 3, |r, c| (r + c) % 2 == 0);
    let masks = write_tensors(std::slice::from_ref(&mask)).unwrap();
    let big = write_tensors(&[NamedTensor::from_mat("0.weight", large.as_ref())]).unwrap();
    let m = &read_tensors(&masks).unwrap()[0];
    assert_eq!(m.data, TensorData::U8(vec![1, 0, 1, 0, 1, 0]));
    let l = &read_tensors(&big).unwrap()[0];
    let product: Vec<f64> = l
        .values_f64()
        .iter()
        .zip(m.values_f64())
        .map(|(a, b)| a * b)
        .collect();
    assert_eq!(product, vec![0.5, 0.0, 2.0, 0.0, 0.25, 0.0]);
    let as_mat = m.to_mat().unwrap();
    assert_eq!((as_mat.nrows(), as_mat.ncols()), (2, 3));
    assert_eq!(as_mat[(1, 1)], 1.0);

    // BOOL masks read as U8 0/1.
    let header = r#"{"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}"#;
    let t = read_tensors(&raw_safetensors(header, &[1, 0, 1])).unwrap();
    assert_eq!(t[0].data, TensorData::U8(vec![1, 0, 1]));
    assert!(matches!(
        t[0].to_mat(),
        Err(SafetensorsError::NotTwoD { .. })
    ));
}

#[test]
fn writer_errors() {
    let a = NamedTensor::from_mat("0.weight", mat![[1.0]].as_ref());
    assert_eq!(
        write_tensors(&[a.clone(), a]),
        Err(SafetensorsError::DuplicateName {
            name: "0.weight".into()
        })
    );
    assert!(matches!(
        NamedTensor::f64("x", vec![2, 2], vec![1.0; 3]),
        Err(SafetensorsError::DataLength {
            expected: 4,
            found: 3,
            ..
        })
    ));
    let bad = NamedTensor {
        name: "x".into(),
        shape: vec![2],
        data: TensorData::U8(vec![1]),
    };
    assert!(matches!(
        write_tensors(&[bad]),
        Err(SafetensorsError::DataLength { .. })
    ));
}

#[test]
fn f16_and_bf16_weights() {
    // F16 1.0 = 0x3c00, -2.0 = 0xc000; BF16 0.5 = 0x3f00, 3.0 = 0x4040.
    let header = r#"{"0.weight":{"dtype":"F16","shape":[1,2],"data_offsets":[0,4]},"2.weight":{"dtype":"BF16","shape":[2,1],"data_offsets":[4,8]}}"#;
    let data = [0x00, 0x3c, 0x00, 0xc0, 0x00, 0x3f, 0x40, 0x40];
    let net = load(&raw_safetensors(header, &data)).unwrap();
    assert_eq!(net.layers()[0].weight()[(0, 1)], -2.0);
    assert_eq!(net.layers()[1].weight()[(1, 0)], 3.0);
    // x = (3, 1): relu(3 - 2) = 1 -> (0.5, 3).
    assert_eq!(net.forward(&[3.0, 1.0]).unwrap(), vec![0.5, 3.0]);
}

// ---- every bad input is a typed error ----

#[test]
fn empty_file() {
    assert_eq!(load(&[]), Err(SafetensorsError::Empty));
    assert_eq!(read_tensors(&[]), Err(SafetensorsError::Empty));
}

#[test]
fn garbage_bytes() {
    for bytes in [
        &b"not a safetensors file at all"[..],
        &[0xff; 7][..],
        &[1, 0, 0, 0, 0, 0, 0, 0, b'{'][..],
        &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0][..],
    ] {
        assert!(
            matches!(load(bytes), Err(SafetensorsError::Format { .. })),
            "{bytes:?}"
        );
    }
    // Valid header, data shorter than the offsets claim.
    let header = r#"{"0.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#;
    assert!(matches!(
        load(&raw_safetensors(header, &[0; 8])),
        Err(SafetensorsError::Format { .. })
    ));
}

#[test]
fn unknown_dtype() {
    let header = r#"{"0.weight":{"dtype":"Q7","shape":[1,1],"data_offsets":[0,1]}}"#;
    match load(&raw_safetensors(header, &[0])) {
        Err(SafetensorsError::UnknownDtype { message }) => {
            assert!(message.contains("Q7"), "{message}")
        }
        other => panic!("expected UnknownDtype, got {other:?}"),
    }
}

#[test]
fn unsupported_dtype() {
    let header = r#"{"0.weight":{"dtype":"I32","shape":[1,1],"data_offsets":[0,4]}}"#;
    assert_eq!(
        load(&raw_safetensors(header, &[1, 0, 0, 0])),
        Err(SafetensorsError::UnsupportedDtype {
            tensor: "0.weight".into(),
            dtype: "I32".into()
        })
    );
}

#[test]
fn no_layers() {
    assert_eq!(
        load(&raw_safetensors("{}", &[])),
        Err(SafetensorsError::NoLayers)
    );
    let meta_only = r#"{"__metadata__":{"format":"pt"}}"#;
    assert_eq!(
        load(&raw_safetensors(meta_only, &[])),
        Err(SafetensorsError::NoLayers)
    );
}

#[test]
fn non_finite_weights_and_biases() {
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let header = r#"{"0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#;
        let r = load(&raw_safetensors(header, &f32_bytes(&[1.0, bad])));
        assert!(
            matches!(&r, Err(SafetensorsError::NonFinite { tensor, index: 1, .. }) if tensor == "0.weight"),
            "{r:?}"
        );
    }
    let header = r#"{"0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"0.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#;
    let r = load(&raw_safetensors(header, &f32_bytes(&[1.0, f32::NAN])));
    assert!(
        matches!(&r, Err(SafetensorsError::NonFinite { tensor, index: 0, .. }) if tensor == "0.bias")
    );
}

#[test]
fn shapes_that_do_not_chain() {
    let bytes = write_tensors(&[
        NamedTensor::from_mat("0.weight", Mat::<f64>::zeros(3, 2).as_ref()),
        NamedTensor::from_mat("2.weight", Mat::<f64>::zeros(1, 4).as_ref()),
    ])
    .unwrap();
    assert_eq!(
        load(&bytes),
        Err(SafetensorsError::ShapeMismatch {
            tensor: "2.weight".into(),
            previous: "0.weight".into(),
            expected: 3,
            found: 4
        })
    );
}

#[test]
fn non_2d_and_empty_weights() {
    let w3 = NamedTensor::f64("0.weight", vec![1, 1, 2], vec![1.0, 2.0]).unwrap();
    assert_eq!(
        load(&write_tensors(&[w3]).unwrap()),
        Err(SafetensorsError::NotTwoD {
            tensor: "0.weight".into(),
            shape: vec![1, 1, 2]
        })
    );
    let w1 = NamedTensor::f64("0.weight", vec![2], vec![1.0, 2.0]).unwrap();
    assert!(matches!(
        load(&write_tensors(&[w1]).unwrap()),
        Err(SafetensorsError::NotTwoD { .. })
    ));
    let w0 = NamedTensor::f64("0.weight", vec![0, 3], vec![]).unwrap();
    assert_eq!(
        load(&write_tensors(&[w0]).unwrap()),
        Err(SafetensorsError::EmptyTensor {
            tensor: "0.weight".into(),
            shape: vec![0, 3]
        })
    );
}

#[test]
fn bias_without_weight() {
    let bytes = write_tensors(&[
        NamedTensor::from_mat("0.weight", mat![[1.0]].as_ref()),
        NamedTensor::f64("2.bias", vec![1], vec![1.0]).unwrap(),
    ])
    .unwrap();
    assert_eq!(
        load(&bytes),
        Err(SafetensorsError::BiasWithoutWeight {
            tensor: "2.bias".into(),
            weight: "2.weight".into()
        })
    );
}

#[test]
fn bias_of_the_wrong_shape() {
    let w = NamedTensor::from_mat("0.weight", Mat::<f64>::zeros(3, 2).as_ref());
    let short = NamedTensor::f64("0.bias", vec![2], vec![0.0; 2]).unwrap();
    assert_eq!(
        load(&write_tensors(&[w.clone(), short]).unwrap()),
        Err(SafetensorsError::BiasShape {
            tensor: "0.bias".into(),
            shape: vec![2],
            expected: 3
        })
    );
    let two_d = NamedTensor::f64("0.bias", vec![3, 1], vec![0.0; 3]).unwrap();
    assert!(matches!(
        load(&write_tensors(&[w, two_d]).unwrap()),
        Err(SafetensorsError::BiasShape { expected: 3, .. })
    ));
}

#[test]
fn unexpected_tensor() {
    let bytes = write_tensors(&[
        NamedTensor::from_mat("0.weight", mat![[1.0]].as_ref()),
        NamedTensor::f64("1.running_mean", vec![1], vec![0.0]).unwrap(),
    ])
    .unwrap();
    assert_eq!(
        load(&bytes),
        Err(SafetensorsError::UnexpectedTensor {
            tensor: "1.running_mean".into()
        })
    );
}

#[test]
fn error_messages_name_the_value() {
    let e = SafetensorsError::ShapeMismatch {
        tensor: "2.weight".into(),
        previous: "0.weight".into(),
        expected: 3,
        found: 4,
    };
    let s = e.to_string();
    assert!(
        s.contains("2.weight") && s.contains('3') && s.contains('4'),
        "{s}"
    );
}
