//! Graph targets (conv, pooling, residual add, global average pooling) pruned end to end:
//! certified, measured, deterministic, and exact on the bias at the image border.
#![allow(clippy::unwrap_used)]

use faer::Mat;
use logprune_construction::{
    ConstructionError, Domain, GraphPruning, NoProgress, PruneConfig, ToleranceRule, prune_graph,
};
use logprune_network::{Activation, Conv2d, Graph, Node, Op, Pool2d, Shape, Window, graph::NodeId};
use rand::{RngExt, SeedableRng};

fn node(name: &str, op: Op, inputs: Vec<NodeId>) -> Node {
    Node {
        name: name.into(),
        op,
        inputs,
    }
}

fn conv(c_in: usize, c_out: usize, window: Window, bias: bool, seed: u64) -> Op {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let scale = 1.0 / ((c_in * window.taps()) as f64).sqrt();
    Op::Conv(Conv2d {
        c_out,
        c_in,
        window,
        weight: (0..c_out * c_in * window.taps())
            .map(|_| rng.random_range(-scale..scale))
            .collect(),
        bias: bias.then(|| (0..c_out).map(|_| rng.random_range(-0.5..0.5)).collect()),
    })
}

fn same3() -> Window {
    Window {
        kernel: [3, 3],
        stride: [1, 1],
        padding: [1, 1, 1, 1],
        dilation: [1, 1],
    }
}

/// conv(1→3, 3×3, pad 1, bias) relu maxpool(3, stride 2, pad 1) conv(3→3, same) add relu
/// conv(3→2, 2×2, stride 2) GAP flatten dense(2→2, bias).
fn small_resnet() -> Graph {
    let pool = Pool2d {
        window: Window {
            kernel: [3, 3],
            stride: [2, 2],
            padding: [1, 1, 1, 1],
            dilation: [1, 1],
        },
        count_include_pad: false,
    };
    let down = Window {
        kernel: [2, 2],
        stride: [2, 2],
        padding: [0; 4],
        dilation: [1, 1],
    };
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(9);
    Graph::new(
        Shape::new(1, 8, 8),
        vec![
            node("stem", conv(1, 3, same3(), true, 1), vec![0]),
            node("relu1", Op::Activation(Activation::Relu), vec![1]),
            node("pool", Op::MaxPool(pool), vec![2]),
            node("block", conv(3, 3, same3(), false, 2), vec![3]),
            node("skip", Op::Add, vec![3, 4]),
            node("relu2", Op::Activation(Activation::Relu), vec![5]),
            node("down", conv(3, 2, down, true, 3), vec![6]),
            node("gap", Op::GlobalAvgPool, vec![7]),
            node("flat", Op::Flatten, vec![8]),
            node(
                "head",
                Op::Dense {
                    weight: Mat::from_fn(2, 2, |_, _| rng.random_range(-1.0..1.0)),
                    bias: Some(vec![0.1, -0.2]),
                },
                vec![9],
            ),
        ],
    )
    .unwrap()
}

fn unit_box(g: &Graph) -> Domain {
    Domain::cube(g.input_shape().len(), 0.0, 1.0).unwrap()
}

#[test]
fn a_small_residual_conv_net_is_certified_and_measured() {
    let g = small_resnet();
    let eps = 0.05;
    let p = prune_graph(&g, &unit_box(&g), &PruneConfig::new(eps), &NoProgress).unwrap();
    let r = &p.report;
    assert_eq!(r.stages.len(), 4);
    assert!(r.certified_bound <= eps, "{}", r.certified_bound);
    assert!(r.empirical_max_error <= r.certified_bound);
    assert!(r.empirical_max_error_literal <= r.certified_bound);
    assert!(r.literal_inputs_checked >= 1 && r.inputs_checked >= r.literal_inputs_checked);
    assert_eq!(
        r.weights_verified,
        p.pruned
            .layers()
            .iter()
            .map(|l| (l.len() + l.edge_count()) as u64)
            .sum::<u64>()
    );
    // The stem's columns are (input channel, tap) pairs and a bias; its input is the box
    // [0, 1] (no ŵ⁻); the block reads a max pool of a ReLU (none either).
    assert_eq!(r.stages[0].fan_in, 10);
    assert_eq!(r.stages[0].minus_columns, 0);
    assert_eq!(r.stages[1].minus_columns, 0);
    // F and the literal Ĝ agree within the certificate on fresh inputs.
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(4);
    let x = Mat::from_fn(64, 16, |_, _| rng.random_range(0.0..1.0));
    let f = g.forward_batch(x.as_ref(), faer::Par::Seq).unwrap();
    let gl = p.forward_literal(x.as_ref()).unwrap();
    for k in 0..16 {
        let d: f64 = (0..f.nrows())
            .map(|a| (f[(a, k)] - gl[(a, k)]).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(d <= r.certified_bound, "input {k}: {d}");
    }
}

/// One conv with a bias, padded: on an all-zero image F is the bias at every position, and
/// so is Ĝ (the constant channel is read at a tap inside the image), at the border too.
#[test]
fn the_bias_is_exact_at_the_border() {
    let g = Graph::new(
        Shape::new(2, 5, 5),
        vec![node("c", conv(2, 3, same3(), true, 5), vec![0])],
    )
    .unwrap();
    let p: GraphPruning =
        prune_graph(&g, &unit_box(&g), &PruneConfig::new(0.01), &NoProgress).unwrap();
    let zero = Mat::<f64>::zeros(50, 1);
    let lit = p.forward_literal(zero.as_ref()).unwrap();
    let virt = p.forward_virtual(zero.as_ref()).unwrap();
    let Op::Conv(c) = &g.nodes()[0].op else {
        unreachable!()
    };
    let bias = c.bias.as_ref().unwrap();
    let tol = p.report.epsilon_w / 2.0;
    for a in 0..3 {
        let first = lit[(a * 25, 0)];
        assert!(
            (first - bias[a]).abs() <= tol,
            "channel {a}: {first} vs {}",
            bias[a]
        );
        for o in 0..25 {
            // Every position, the four corners and the edges included, gets the same value.
            assert_eq!(lit[(a * 25 + o, 0)], first, "channel {a}, position {o}");
            assert!((virt[(a * 25 + o, 0)] - first).abs() <= 1e-12);
        }
    }
    // An image that is 1 on its border pixels only: the literal Ĝ is within ε of F.
    let border = Mat::from_fn(50, 1, |r, _| {
        let (y, x) = ((r % 25) / 5, r % 5);
        if y == 0 || y == 4 || x == 0 || x == 4 {
            1.0
        } else {
            0.0
        }
    });
    let f = g.forward_batch(border.as_ref(), faer::Par::Seq).unwrap();
    let gl = p.forward_literal(border.as_ref()).unwrap();
    let d: f64 = (0..75)
        .map(|r| (f[(r, 0)] - gl[(r, 0)]).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!(d <= p.report.certified_bound && d > 0.0, "{d}");
}

#[test]
fn one_and_two_threads_give_the_same_pruned_network() {
    let g = small_resnet();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| prune_graph(&g, &unit_box(&g), &PruneConfig::new(0.05), &NoProgress))
            .unwrap()
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a.pruned, b.pruned);
    assert_eq!(a.report.certified_bound, b.report.certified_bound);
    assert_eq!(a.report.empirical_max_error, b.report.empirical_max_error);
}

#[test]
fn weight_tolerance_lemma1_and_an_uncertifiable_eps() {
    let g = small_resnet();
    // A weight tolerance: every half within T, the network error reported, not required.
    let tolerance = PruneConfig {
        accuracy: logprune_construction::Accuracy::WeightTolerance(0.01),
        ..PruneConfig::new(0.05)
    };
    let p = prune_graph(&g, &unit_box(&g), &tolerance, &NoProgress).unwrap();
    assert!(p.report.max_weight_error_plus <= 0.01);
    assert!(p.report.empirical_max_error <= p.report.certified_bound);
    // Lemma 1 (the default) is a chain's rule: the recurrence rule decides, and the report
    // says so.
    let p = prune_graph(&g, &unit_box(&g), &PruneConfig::new(0.05), &NoProgress).unwrap();
    assert_eq!(p.report.tolerance_rule, ToleranceRule::Recurrence);
    assert!(p.report.notes.iter().any(|n| n.contains("recurrence rule")));
    let e = prune_graph(
        &g,
        &Domain::cube(3, 0.0, 1.0).unwrap(),
        &PruneConfig::new(0.05),
        &NoProgress,
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            ConstructionError::DomainDimension {
                expected: 64,
                found: 3
            }
        ),
        "{e}"
    );
    // An ε below what f64 resolves for these weights.
    let e = prune_graph(&g, &unit_box(&g), &PruneConfig::new(1e-14), &NoProgress).unwrap_err();
    assert!(
        matches!(e, ConstructionError::BelowFloatingPoint { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("--weight-tolerance"), "{e}");
    let ConstructionError::BelowFloatingPoint { eps_needed, .. } = e else {
        unreachable!()
    };
    // ε at the smallest certifiable value goes through.
    let p = prune_graph(
        &g,
        &unit_box(&g),
        &PruneConfig::new(eps_needed * 1.01),
        &NoProgress,
    );
    assert!(p.is_ok(), "{:?}", p.err());
}

/// Ĝ as a graph of ordinary operations runs as the literal Ĝ does, to rounding.
#[test]
fn the_pruned_graph_runs_as_the_literal_pruned_network() {
    let g = small_resnet();
    let p = prune_graph(&g, &unit_box(&g), &PruneConfig::new(0.05), &NoProgress).unwrap();
    let dense = p.to_graph(1e9).unwrap();
    // Each linear node became three (U, ReLU, V); the others are the target's.
    assert_eq!(dense.nodes().len(), g.nodes().len() + 2 * 4);
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(12);
    let x = Mat::from_fn(64, 8, |_, _| rng.random_range(0.0..1.0));
    let lit = p.forward_literal(x.as_ref()).unwrap();
    let d = dense.forward_batch(x.as_ref(), faer::Par::Seq).unwrap();
    for k in 0..8 {
        for a in 0..lit.nrows() {
            let (l, v) = (lit[(a, k)], d[(a, k)]);
            assert!(
                (l - v).abs() <= 1e-12 * (1.0 + l.abs()),
                "{k},{a}: {l} vs {v}"
            );
        }
    }
    let e = p.to_graph(10.0).unwrap_err();
    assert!(matches!(e, ConstructionError::DenseTooLarge { .. }), "{e}");
}

/// A graph ticket runs Ĝ from the ticket alone, as the run does.
#[test]
fn a_graph_ticket_runs_from_its_own_metadata() {
    let g = small_resnet();
    let p = prune_graph(&g, &unit_box(&g), &PruneConfig::new(0.05), &NoProgress).unwrap();
    let spec = logprune_construction::TicketSpec::of_graph_run(&p.plan, &p.large, None);
    let weights = logprune_construction::ticket::ticket_bytes(
        &spec,
        &p.pruned,
        &p.stats,
        logprune_construction::TicketForm::Weights,
    )
    .unwrap();
    let compact = logprune_construction::ticket::ticket_bytes(
        &spec,
        &p.pruned,
        &p.stats,
        logprune_construction::TicketForm::Compact,
    )
    .unwrap();
    assert!(compact.len() < weights.len());
    // The compact ticket's weights are re-derived from G: the same Ĝ.
    let t = logprune_construction::read_ticket(&compact).unwrap();
    assert_eq!(
        t.pruned,
        logprune_construction::read_ticket(&weights).unwrap().pruned
    );
    let gs = t.spec.graph.as_ref().unwrap();
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(21);
    let x = Mat::from_fn(64, 5, |_, _| rng.random_range(0.0..1.0));
    for virt in [false, true] {
        let from_ticket =
            logprune_construction::forward_graph_ticket(gs, &t.pruned, x.as_ref(), virt).unwrap();
        let from_run = if virt {
            p.forward_virtual(x.as_ref()).unwrap()
        } else {
            p.forward_literal(x.as_ref()).unwrap()
        };
        assert_eq!(from_ticket, from_run, "virtual = {virt}");
    }
    // A spec whose shapes were tampered with is refused.
    let mut bad = gs.clone();
    bad.nodes[0].shape[0] += 1;
    assert!(
        logprune_construction::forward_graph_ticket(&bad, &t.pruned, x.as_ref(), false).is_err()
    );
}
