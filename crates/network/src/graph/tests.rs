use faer::mat;

use super::*;
use crate::Layer;

#[test]
fn an_mlp_round_trips_through_a_graph() {
    let f = Network::new(vec![
        Layer::with_bias(
            mat![[0.5, -0.25], [0.125, 0.75]],
            vec![0.1, -0.2],
            Activation::Relu,
        ),
        Layer::new(mat![[1.0, -0.5]], Activation::Identity),
    ])
    .unwrap();
    let g = Graph::from_network(&f);
    assert_eq!(g.nodes().len(), 3);
    assert_eq!(g.linear_nodes(), vec![1, 3]);
    assert_eq!(g.output_shape(), Shape::flat(1));
    assert_eq!(g.num_weights(), 8);
    assert_eq!(g.to_network().unwrap(), Some(f));
}

fn conv(c_in: usize, c_out: usize, window: Window) -> Op {
    Op::Conv(Conv2d {
        c_out,
        c_in,
        window,
        weight: vec![0.5; c_out * c_in * window.taps()],
        bias: None,
    })
}

fn node(name: &str, op: Op, inputs: Vec<NodeId>) -> Node {
    Node {
        name: name.into(),
        op,
        inputs,
    }
}

#[test]
fn shapes_follow_stride_padding_and_dilation() {
    let w = Window {
        kernel: [3, 5],
        stride: [2, 1],
        padding: [1, 2, 1, 2],
        dilation: [1, 1],
    };
    let dil = Window {
        kernel: [3, 3],
        stride: [1, 1],
        padding: [2, 2, 2, 2],
        dilation: [2, 2],
    };
    let pool = Pool2d {
        window: Window {
            kernel: [3, 3],
            stride: [2, 2],
            padding: [1, 1, 1, 1],
            dilation: [1, 1],
        },
        count_include_pad: true,
    };
    let g = Graph::new(
        Shape::new(3, 10, 10),
        vec![
            node("c1", conv(3, 4, w), vec![0]),
            node("c2", conv(4, 4, dil), vec![1]),
            node("add", Op::Add, vec![1, 2]),
            node("mp", Op::MaxPool(pool), vec![3]),
            node("gap", Op::GlobalAvgPool, vec![4]),
            node("flat", Op::Flatten, vec![5]),
        ],
    )
    .unwrap();
    assert_eq!(g.shapes()[1], Shape::new(4, 5, 10));
    assert_eq!(g.shapes()[2], Shape::new(4, 5, 10));
    assert_eq!(g.shapes()[4], Shape::new(4, 3, 5));
    assert_eq!(g.output_shape(), Shape::flat(4));
    assert_eq!(g.to_network().unwrap(), None);
}

#[test]
fn invalid_graphs_name_the_node() {
    let err = Graph::new(
        Shape::new(3, 4, 4),
        vec![node("c1", conv(2, 4, Window::square(3)), vec![0])],
    )
    .unwrap_err();
    assert!(err.to_string().contains("c1"), "{err}");
    let err = Graph::new(
        Shape::new(3, 4, 4),
        vec![node("big", conv(3, 4, Window::square(5)), vec![0])],
    )
    .unwrap_err();
    assert!(matches!(err, GraphError::Shape { node: 1, .. }), "{err}");
    let err = Graph::new(Shape::new(3, 4, 4), vec![node("a", Op::Add, vec![0, 1])]).unwrap_err();
    assert!(matches!(err, GraphError::Order { input: 1, .. }), "{err}");
    let err = Graph::new(Shape::new(3, 4, 4), vec![node("a", Op::Add, vec![0])]).unwrap_err();
    assert!(matches!(err, GraphError::Arity { found: 1, .. }), "{err}");
    let mut c = conv(3, 1, Window::square(1));
    if let Op::Conv(k) = &mut c {
        k.weight[2] = f64::NAN;
    }
    let err = Graph::new(Shape::new(3, 4, 4), vec![node("nan", c, vec![0])]).unwrap_err();
    assert!(
        matches!(err, GraphError::NonFinite { index: 2, .. }),
        "{err}"
    );
    assert_eq!(
        Graph::new(Shape::new(3, 4, 4), vec![]).unwrap_err(),
        GraphError::NoNodes
    );
}

#[test]
fn the_conv_matrix_has_one_column_per_channel_and_tap() {
    let c = Conv2d {
        c_out: 2,
        c_in: 2,
        window: Window::square(2),
        weight: (0..16).map(f64::from).collect(),
        bias: None,
    };
    let m = c.matrix();
    assert_eq!((m.nrows(), m.ncols()), (2, 8));
    assert_eq!(m[(1, 5)], 13.0);
}

#[test]
fn a_non_finite_activation_parameter_is_refused() {
    let err = Graph::new(
        Shape::flat(3),
        vec![node(
            "leaky",
            Op::Activation(Activation::LeakyRelu(f64::NAN)),
            vec![0],
        )],
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            GraphError::NonFinite {
                node: 1,
                what: "parameter",
                ..
            }
        ),
        "{err}"
    );
    let g = Graph::new(
        Shape::flat(3),
        vec![node("gelu", Op::Activation(Activation::Gelu), vec![0])],
    )
    .unwrap();
    assert_eq!(g.nodes()[0].op.name(), "gelu");
}
