//! Synthetic models built with the prost types: each error path and mapping rule on the
//! smallest model that shows it.

use logprune_network::{Activation, Op, Shape};
use prost::Message;

use crate::proto::onnx::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, tensor_shape_proto, type_proto,
};
use crate::{ImportOptions, OnnxError, import};

fn value_info(name: &str, dims: &[Option<i64>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| tensor_shape_proto::Dimension {
            denotation: None,
            value: Some(match d {
                Some(v) => tensor_shape_proto::dimension::Value::DimValue(*v),
                None => tensor_shape_proto::dimension::Value::DimParam("N".into()),
            }),
        })
        .collect();
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            denotation: None,
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: Some(1),
                shape: Some(TensorShapeProto { dim }),
            })),
        }),
        ..Default::default()
    }
}

enum A {
    I(i64),
    Is(Vec<i64>),
    F(f32),
    S(&'static str),
}

fn node(op: &str, inputs: &[&str], output: &str, attrs: Vec<(&str, A)>) -> NodeProto {
    NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        name: Some(format!("n_{output}")),
        op_type: Some(op.into()),
        attribute: attrs
            .into_iter()
            .map(|(name, a)| {
                let mut p = AttributeProto {
                    name: Some(name.into()),
                    ..Default::default()
                };
                match a {
                    A::I(v) => (p.r#type, p.i) = (Some(2), Some(v)),
                    A::Is(v) => (p.r#type, p.ints) = (Some(7), v),
                    A::F(v) => (p.r#type, p.f) = (Some(1), Some(v)),
                    A::S(v) => (p.r#type, p.s) = (Some(3), Some(v.as_bytes().to_vec())),
                }
                p
            })
            .collect(),
        ..Default::default()
    }
}

fn init(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims: dims.to_vec(),
        data_type: Some(1),
        float_data: values.to_vec(),
        ..Default::default()
    }
}

fn model_bytes(
    opset: i64,
    input: &[Option<i64>],
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
) -> Vec<u8> {
    ModelProto {
        ir_version: Some(8),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(opset),
        }],
        graph: Some(GraphProto {
            node: nodes,
            initializer: inits,
            input: vec![value_info("x", input)],
            output: vec![value_info("y", &[])],
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

const MAP: &[Option<i64>] = &[None, Some(2), Some(4), Some(4)];

fn run(
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
) -> Result<logprune_network::Graph, OnnxError> {
    import(
        &model_bytes(17, MAP, nodes, inits),
        &ImportOptions::default(),
    )
}

fn conv_weight(c_out: usize, c_in: usize, k: usize) -> TensorProto {
    let n = c_out * c_in * k * k;
    let v: Vec<f32> = (0..n).map(|i| (i as f32 + 1.0) / n as f32).collect();
    init("w", &[c_out as i64, c_in as i64, k as i64, k as i64], &v)
}

#[test]
fn opsets_inputs_outputs() {
    let relu = || vec![node("Relu", &["x"], "y", vec![])];
    for (opset, ok) in [(12, false), (13, true), (21, true), (22, false)] {
        let r = import(
            &model_bytes(opset, MAP, relu(), vec![]),
            &ImportOptions::default(),
        );
        assert_eq!(r.is_ok(), ok, "opset {opset}: {r:?}");
    }
    let mut m = ModelProto::decode(model_bytes(17, MAP, relu(), vec![]).as_slice()).unwrap();
    m.opset_import.clear();
    assert_eq!(
        import(&m.encode_to_vec(), &ImportOptions::default()),
        Err(OnnxError::Opset { version: None })
    );
    let g = m.graph.as_mut().unwrap();
    g.input.push(value_info("x2", MAP));
    m.opset_import.push(OperatorSetIdProto {
        domain: None,
        version: Some(17),
    });
    assert!(matches!(
        import(&m.encode_to_vec(), &ImportOptions::default()),
        Err(OnnxError::Inputs { count: 2, .. })
    ));
    let g = m.graph.as_mut().unwrap();
    g.input.pop();
    g.output.push(value_info("z", &[]));
    assert!(matches!(
        import(&m.encode_to_vec(), &ImportOptions::default()),
        Err(OnnxError::Outputs { count: 2, .. })
    ));
    m.graph = None;
    assert_eq!(
        import(&m.encode_to_vec(), &ImportOptions::default()),
        Err(OnnxError::NoGraph)
    );
}

#[test]
fn unknown_attribute_and_unsupported_values_are_named() {
    let e = run(
        vec![node("Relu", &["x"], "y", vec![("alpha", A::F(0.5))])],
        vec![],
    )
    .unwrap_err();
    assert!(
        matches!(&e, OnnxError::Attribute { attribute, .. } if attribute == "alpha"),
        "{e}"
    );
    let pool = |ceil| {
        node(
            "AveragePool",
            &["x"],
            "y",
            vec![
                ("kernel_shape", A::Is(vec![2, 2])),
                ("ceil_mode", A::I(ceil)),
            ],
        )
    };
    assert!(run(vec![pool(0)], vec![]).is_ok());
    let e = run(vec![pool(1)], vec![]).unwrap_err();
    assert!(
        matches!(&e, OnnxError::Attribute { attribute, value, .. } if attribute == "ceil_mode" && value == "1"),
        "{e}"
    );
    assert!(e.to_string().contains("node 0 `n_y` (AveragePool)"), "{e}");
    let e = run(
        vec![node(
            "Gelu",
            &["x"],
            "y",
            vec![("approximate", A::S("tanh"))],
        )],
        vec![],
    )
    .unwrap_err();
    assert!(
        matches!(&e, OnnxError::Attribute { attribute, .. } if attribute == "approximate"),
        "{e}"
    );
    let e = run(vec![node("Erf", &["x"], "y", vec![])], vec![]).unwrap_err();
    assert!(matches!(&e, OnnxError::Node { .. }), "{e}");
    let e = run(vec![node("Softmax", &["x"], "y", vec![])], vec![]).unwrap_err();
    assert!(
        matches!(&e, OnnxError::UnsupportedOp { node, .. } if node.op_type == "Softmax" && node.index == 0),
        "{e}"
    );
}

#[test]
fn activations() {
    for (op, attrs, want) in [
        (
            "LeakyRelu",
            vec![("alpha", A::F(0.25))],
            Activation::LeakyRelu(0.25),
        ),
        ("LeakyRelu", vec![], Activation::LeakyRelu(0.01)),
        ("Elu", vec![], Activation::Elu(1.0)),
        ("Gelu", vec![], Activation::Gelu),
        ("Tanh", vec![], Activation::Tanh),
    ] {
        let g = run(vec![node(op, &["x"], "y", attrs)], vec![]).unwrap();
        assert_eq!(g.nodes()[0].op, Op::Activation(want));
    }
    let e = run(
        vec![node("Elu", &["x"], "y", vec![("alpha", A::F(f32::NAN))])],
        vec![],
    )
    .unwrap_err();
    assert!(matches!(e, OnnxError::Attribute { .. }), "{e}");
}

#[test]
fn auto_pad_same_and_valid() {
    for (input, mode, want) in [
        (5, "SAME_UPPER", [1, 1, 1, 1]),
        (6, "SAME_UPPER", [0, 0, 1, 1]),
        (6, "SAME_LOWER", [1, 1, 0, 0]),
        (6, "VALID", [0, 0, 0, 0]),
    ] {
        let bytes = model_bytes(
            17,
            &[None, Some(2), Some(input), Some(input)],
            vec![node(
                "Conv",
                &["x", "w"],
                "y",
                vec![("auto_pad", A::S(mode)), ("strides", A::Is(vec![2, 2]))],
            )],
            vec![conv_weight(3, 2, 3)],
        );
        let g = import(&bytes, &ImportOptions::default()).unwrap();
        let Op::Conv(c) = &g.nodes()[0].op else {
            panic!()
        };
        assert_eq!(c.window.padding, want, "{input} {mode}");
    }
}

#[test]
fn grouped_conv_is_expanded_exactly_or_refused_above_the_limit() {
    let w = conv_weight(4, 1, 3);
    let nodes = || {
        vec![node(
            "Conv",
            &["x", "w"],
            "y",
            vec![("group", A::I(2)), ("pads", A::Is(vec![1, 1, 1, 1]))],
        )]
    };
    let bytes = model_bytes(17, MAP, nodes(), vec![w.clone()]);
    let g = import(&bytes, &ImportOptions::default()).unwrap();
    let Op::Conv(c) = &g.nodes()[0].op else {
        panic!()
    };
    assert_eq!((c.c_out, c.c_in), (4, 2));
    // Output channels 0, 1 read input channel 0; 2, 3 read input channel 1.
    for a in 0..4 {
        for b in 0..2 {
            let block = &c.weight[(a * 2 + b) * 9..(a * 2 + b + 1) * 9];
            if b == a / 2 {
                assert_eq!(
                    block,
                    &w.float_data[a * 9..(a + 1) * 9]
                        .iter()
                        .map(|&v| f64::from(v))
                        .collect::<Vec<_>>()[..]
                );
            } else {
                assert!(block.iter().all(|&v| v == 0.0));
            }
        }
    }
    let e = import(
        &bytes,
        &ImportOptions::default().with_max_expanded_weights(71),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            OnnxError::GroupExpansion {
                weights: 72,
                limit: 71,
                groups: 2,
                ..
            }
        ),
        "{e}"
    );
    let bad = model_bytes(
        17,
        MAP,
        vec![node("Conv", &["x", "w"], "y", vec![("group", A::I(3))])],
        vec![w],
    );
    assert!(matches!(
        import(&bad, &ImportOptions::default()),
        Err(OnnxError::Attribute { .. })
    ));
}

#[test]
fn batch_norm_folds_only_into_a_linear_node_read_by_nothing_else() {
    let bn_inits = || {
        vec![
            conv_weight(2, 2, 1),
            init("s", &[2], &[2.0, 3.0]),
            init("b", &[2], &[0.5, -0.5]),
            init("m", &[2], &[1.0, -1.0]),
            init("v", &[2], &[3.0, 8.0]),
        ]
    };
    let bn = |x: &str, y: &str| {
        node(
            "BatchNormalization",
            &[x, "s", "b", "m", "v"],
            y,
            vec![("epsilon", A::F(1.0))],
        )
    };
    let g = run(
        vec![node("Conv", &["x", "w"], "c", vec![]), bn("c", "y")],
        bn_inits(),
    )
    .unwrap();
    assert_eq!(g.nodes().len(), 1);
    let Op::Conv(c) = &g.nodes()[0].op else {
        panic!()
    };
    // scale = γ/√(var + ε) = [1, 1], shift = β − mean·scale = [−0.5, 0.5].
    assert_eq!(c.bias, Some(vec![-0.5, 0.5]));
    // The conv's value is also read by the Add: the BN stays a scale.
    let g = run(
        vec![
            node("Conv", &["x", "w"], "c", vec![]),
            bn("c", "n"),
            node("Add", &["n", "c"], "y", vec![]),
        ],
        bn_inits(),
    )
    .unwrap();
    let ops: Vec<String> = g.nodes().iter().map(|n| n.op.name()).collect();
    assert_eq!(ops, ["conv", "scale", "add"]);
    assert_eq!(
        g.nodes()[1].op,
        Op::Scale {
            scale: vec![1.0, 1.0],
            shift: Some(vec![-0.5, 0.5])
        }
    );
    let e = run(
        vec![node(
            "BatchNormalization",
            &["x", "s", "b", "m", "v"],
            "y",
            vec![("training_mode", A::I(1))],
        )],
        bn_inits(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, OnnxError::Attribute { attribute, .. } if attribute == "training_mode"),
        "{e}"
    );
}

#[test]
fn constants_per_channel_and_gemm_forms() {
    let flat = &[None, Some(3)];
    let w = init("w", &[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    // Gemm transB = 0: W = alpha·Bᵀ; bias beta·C; then Sub of a constant folds into the bias.
    let bytes = model_bytes(
        17,
        flat,
        vec![
            node(
                "Gemm",
                &["x", "w", "c"],
                "g",
                vec![("alpha", A::F(2.0)), ("beta", A::F(0.5))],
            ),
            node("Sub", &["g", "k"], "y", vec![]),
        ],
        vec![
            w.clone(),
            init("c", &[2], &[2.0, 4.0]),
            init("k", &[], &[1.0]),
        ],
    );
    let g = import(&bytes, &ImportOptions::default()).unwrap();
    assert_eq!(g.nodes().len(), 1);
    let Op::Dense { weight, bias } = &g.nodes()[0].op else {
        panic!()
    };
    assert_eq!((weight.nrows(), weight.ncols()), (2, 3));
    assert_eq!(
        (weight[(0, 0)], weight[(0, 1)], weight[(1, 2)]),
        (2.0, 6.0, 12.0)
    );
    assert_eq!(bias, &Some(vec![0.0, 1.0]));
    // Mul by a per-feature constant stays a scale; Div by one is its inverse.
    let bytes = model_bytes(
        17,
        flat,
        vec![
            node("Mul", &["k", "x"], "m", vec![]),
            node("Div", &["m", "k"], "y", vec![]),
        ],
        vec![init("k", &[1, 3], &[1.0, 2.0, 4.0])],
    );
    let g = import(&bytes, &ImportOptions::default()).unwrap();
    assert_eq!(
        g.nodes()[1].op,
        Op::Scale {
            scale: vec![1.0, 0.5, 0.25],
            shift: None
        }
    );
    let bytes = model_bytes(
        17,
        flat,
        vec![node("Mul", &["x", "k"], "y", vec![])],
        vec![init("k", &[2, 3], &[1.0; 6])],
    );
    assert!(matches!(
        import(&bytes, &ImportOptions::default()),
        Err(OnnxError::Node { .. })
    ));
    let bytes = model_bytes(
        17,
        flat,
        vec![node("Gemm", &["x", "w"], "y", vec![("transA", A::I(1))])],
        vec![w.clone()],
    );
    assert!(matches!(
        import(&bytes, &ImportOptions::default()),
        Err(OnnxError::Attribute { .. })
    ));
    let mut nan = w;
    nan.float_data[3] = f32::NAN;
    let bytes = model_bytes(
        17,
        flat,
        vec![node("Gemm", &["x", "w"], "y", vec![])],
        vec![nan],
    );
    assert!(matches!(
        import(&bytes, &ImportOptions::default()),
        Err(OnnxError::Graph { .. })
    ));
}

#[test]
fn input_shapes_from_the_file_or_the_options() {
    let relu = || vec![node("Relu", &["x"], "y", vec![])];
    let sym = &[None, Some(2), None, None];
    let e = import(
        &model_bytes(17, sym, relu(), vec![]),
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, OnnxError::Input { .. }), "{e}");
    let opts = ImportOptions::default().with_input_shape(vec![2, 5, 7]);
    let g = import(&model_bytes(17, sym, relu(), vec![]), &opts).unwrap();
    assert_eq!(g.input_shape(), Shape::new(2, 5, 7));
    let wrong = ImportOptions::default().with_input_shape(vec![3, 5, 7]);
    assert!(matches!(
        import(&model_bytes(17, sym, relu(), vec![]), &wrong),
        Err(OnnxError::Input { .. })
    ));
    let e = import(
        &model_bytes(17, &[None, Some(2), Some(3)], relu(), vec![]),
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, OnnxError::Input { .. }), "{e}");
}

#[test]
fn tensors_outputs_and_reshapes() {
    let mut ext = init("w", &[2, 2, 1, 1], &[1.0; 4]);
    ext.data_location = Some(1);
    let e = run(vec![node("Conv", &["x", "w"], "y", vec![])], vec![ext]).unwrap_err();
    assert_eq!(e, OnnxError::ExternalData { tensor: "w".into() });
    let half = TensorProto {
        name: Some("w".into()),
        dims: vec![2, 2, 1, 1],
        data_type: Some(10),
        int32_data: vec![0x3c00, 0x4000, 0xbc00, 0x3800],
        ..Default::default()
    };
    let g = run(vec![node("Conv", &["x", "w"], "y", vec![])], vec![half]).unwrap();
    let Op::Conv(c) = &g.nodes()[0].op else {
        panic!()
    };
    assert_eq!(c.weight, vec![1.0, 2.0, -1.0, 0.5]);
    let e = run(
        vec![node("Constant", &[], "y", vec![("value_float", A::F(1.0))])],
        vec![],
    )
    .unwrap_err();
    assert!(matches!(e, OnnxError::Output { .. }), "{e}");
    let e = run(vec![node("Identity", &["x"], "y", vec![])], vec![]).unwrap_err();
    assert!(matches!(e, OnnxError::Output { .. }), "{e}");
    let shape = |v: &[i64]| TensorProto {
        name: Some("s".into()),
        dims: vec![v.len() as i64],
        data_type: Some(7),
        int64_data: v.to_vec(),
        ..Default::default()
    };
    for (target, ok) in [
        (vec![0, -1], true),
        (vec![-1, 32], true),
        (vec![0, 2, 4, 4], true),
        (vec![0, 32, 1, 1], true),
        (vec![0, 4, 8], false),
        (vec![1, -1], false),
        (vec![0, 2, -1, 2], false),
    ] {
        let r = run(
            vec![
                node("Reshape", &["x", "s"], "r", vec![]),
                node("Relu", &["r"], "y", vec![]),
            ],
            vec![shape(&target)],
        );
        assert_eq!(r.is_ok(), ok, "{target:?}: {r:?}");
    }
    // Squeeze of a 1×1 map, via the interpreter's Slice and Cast on the way.
    let g = run(
        vec![
            node("GlobalAveragePool", &["x"], "p", vec![]),
            node(
                "Constant",
                &[],
                "ax",
                vec![("value_ints", A::Is(vec![1, 2, 3, 4]))],
            ),
            node("Slice", &["ax", "st", "en"], "ax2", vec![]),
            node("Cast", &["ax2"], "ax3", vec![("to", A::I(7))]),
            node("Squeeze", &["p", "ax3"], "y", vec![]),
        ],
        vec![
            TensorProto {
                name: Some("st".into()),
                dims: vec![1],
                data_type: Some(7),
                int64_data: vec![1],
                ..Default::default()
            },
            TensorProto {
                name: Some("en".into()),
                dims: vec![1],
                data_type: Some(7),
                int64_data: vec![3],
                ..Default::default()
            },
        ],
    )
    .unwrap();
    assert_eq!(g.output_shape(), Shape::flat(2));
}

#[test]
fn gelu_erf_form_in_either_order_with_its_constants_checked() {
    let scalar = |name: &str, v: f32| init(name, &[], &[v]);
    let form = |half: f32, start: NodeProto| {
        run(
            vec![
                start,
                node("Erf", &["d"], "e", vec![]),
                node("Add", &["one", "e"], "a", vec![]),
                node("Mul", &["a", "x"], "m", vec![]),
                node("Mul", &["h", "m"], "y", vec![]),
            ],
            vec![
                scalar("r2", std::f32::consts::SQRT_2),
                scalar("ir2", std::f32::consts::FRAC_1_SQRT_2),
                scalar("one", 1.0),
                scalar("h", half),
            ],
        )
    };
    let g = form(0.5, node("Div", &["x", "r2"], "d", vec![])).unwrap();
    assert_eq!(g.nodes().len(), 1);
    assert_eq!(g.nodes()[0].op, Op::Activation(Activation::Gelu));
    let g = form(0.5, node("Mul", &["ir2", "x"], "d", vec![])).unwrap();
    assert_eq!(g.nodes()[0].op, Op::Activation(Activation::Gelu));
    let e = form(0.4, node("Div", &["x", "r2"], "d", vec![])).unwrap_err();
    assert!(
        matches!(&e, OnnxError::Node { node, .. } if node.index == 4),
        "{e}"
    );
    // Divided by 2 instead of √2: not the form, so the Erf is refused.
    let e = run(
        vec![
            node("Div", &["x", "two"], "d", vec![]),
            node("Erf", &["d"], "y", vec![]),
        ],
        vec![scalar("two", 2.0)],
    )
    .unwrap_err();
    assert!(
        matches!(&e, OnnxError::Node { node, .. } if node.op_type == "Erf"),
        "{e}"
    );
}
