//! The Python reference loader (`python/logprune_ticket.py`) against Rust: tickets of small
//! pruned targets are written with Rust's literal and virtual outputs on a set of inputs, and
//! `python/check_loader.py` loads each ticket and compares its literal, virtual and dense
//! forward passes (to 1e-12 relative; the literal pass bit for bit on ReLU and identity
//! layers), virtual matrices and dense weights with Rust's, and checks that tampered tickets
//! are refused. Every ticket is written in both forms: compact (format version 2, the default:
//! the loader re-derives the weights with `python/logprune_generator.py`, and they must be the
//! ones the other form stores, bit for bit) and with the weights (version 1), with G drawn by
//! philox-v1, philox-v2 or ars-v3 from the hyperbolic, uniform or Gaussian law. Graph targets
//! (conv, pooling, scale, residual adds) are pruned with `prune_graph`, their tickets written
//! with `TicketSpec::of_graph_run`, and the loader's graph forward passes compared with
//! `GraphPruning::forward_literal` and `forward_virtual`.
//!
//! The interpreter is `$LOGPRUNE_PYTHON` (a venv's python with numpy and safetensors; `.ci/run`
//! makes one). Unset, the tests say so on stderr and pass; set, they fail if numpy or
//! safetensors cannot be imported or any comparison fails. `$LOGPRUNE_BIN` (a built `logprune`
//! binary) adds tickets the binary writes on ONNX fixtures; unset, that test says so and passes.
#![allow(clippy::unwrap_used)]

mod common;
use common::python::{TempDir, python_dir, run};
use common::{cube, fixture, fixture_with};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use faer::Mat;
use logprune_construction::TicketForm;
use logprune_construction::ticket::ticket_bytes;
use logprune_construction::{
    Construction, Domain, GDistribution, Generator, GraphPruning, NoProgress, PruneConfig, Pruning,
    TicketSpec, prune, prune_graph,
};
use logprune_network::graph::NodeId;
use logprune_network::{
    Activation, Conv2d, Graph, LoadOptions, NamedTensor, Network, Node, Op, Pool2d, Shape, Window,
    write_tensors,
};
use rand::{RngExt, SeedableRng};

/// The interpreter, or `None` when `LOGPRUNE_PYTHON` is unset (said on stderr).
fn python(test: &str) -> Option<PathBuf> {
    common::python::python(test, "the Python ticket loader", "numpy and safetensors")
}

/// Inputs of width `n`: the fixture's rows, then 58 points of `[-1.5, 1.5]^n` (inside and
/// outside the domain, every sign pattern represented).
fn inputs(rows: &[Vec<f64>], n: usize) -> Vec<Vec<f64>> {
    let mut xs = rows.to_vec();
    for k in 0..58usize {
        xs.push(
            (0..n)
                .map(|j| -1.5 + 3.0 * ((k * 7 + j * 3 + k * j) % 13) as f64 / 12.0)
                .collect(),
        );
    }
    xs
}

/// A row-major matrix of a faer one.
fn row_major(m: &faer::Mat<f64>) -> Vec<f64> {
    (0..m.nrows())
        .flat_map(|a| (0..m.ncols()).map(move |b| m[(a, b)]))
        .collect()
}

/// The two forms of a ticket, each written to `dir` by `bytes`: the compact one (format
/// version 2, the default) first, then the one with the weights (version 1).
fn write_both_forms(
    dir: &Path,
    bytes: impl Fn(TicketForm) -> Vec<u8>,
) -> Vec<(TicketForm, PathBuf)> {
    [TicketForm::Compact, TicketForm::Weights]
        .into_iter()
        .map(|form| {
            let path = dir.join(format!("ticket-{}.safetensors", form.name()));
            std::fs::write(&path, bytes(form)).unwrap();
            (form, path)
        })
        .collect()
}

/// Runs `python/check_loader.py` on each form of the ticket with `args` (the compact one also
/// with `--same-as` the one with the weights: every re-derived weight must be the one Rust
/// stored, bit for bit), and the loader's summary; returns each form's figures, checked for
/// `ok`, the format version, and at least `tampered[0]` refused tampered compact tickets
/// (`tampered[1]` with the weights).
fn check_forms(
    py: &Path,
    label: &str,
    tickets: &[(TicketForm, PathBuf)],
    args: &[&std::ffi::OsStr],
    tampered: [u64; 2],
) -> Vec<serde_json::Value> {
    let weights = &tickets
        .iter()
        .find(|(f, _)| *f == TicketForm::Weights)
        .unwrap()
        .1;
    let script = python_dir().join("check_loader.py");
    tickets
        .iter()
        .map(|(form, ticket)| {
            let label = format!("{label} ({form})");
            let mut all: Vec<&std::ffi::OsStr> = vec![
                script.as_os_str(),
                "--ticket".as_ref(),
                ticket.as_os_str(),
                "--label".as_ref(),
                label.as_ref(),
            ];
            all.extend_from_slice(args);
            if *form == TicketForm::Compact {
                all.extend(["--same-as".as_ref(), weights.as_os_str()]);
            }
            let figures = run(py, &all, "python/check_loader.py");
            println!("{label}: {}", figures.trim());
            let figures: serde_json::Value = serde_json::from_str(figures.trim()).unwrap();
            assert_eq!(figures["ok"], true, "{figures}");
            assert_eq!(figures["format_version"], form.version(), "{figures}");
            if *form == TicketForm::Compact {
                assert_eq!(figures["same_as_bit_identical"], true, "{figures}");
            }
            let refused = figures["tampered_tickets_refused"].as_u64().unwrap();
            let least = tampered[usize::from(*form == TicketForm::Weights)];
            assert!(
                refused >= least,
                "{label}: {refused} tampered tickets\n{figures}"
            );
            let summary = run(
                py,
                &[
                    python_dir().join("logprune_ticket.py").as_os_str(),
                    ticket.as_os_str(),
                ],
                "python/logprune_ticket.py (summary)",
            );
            assert!(
                summary.contains(&format!("logprune-ticket version {}", form.version())),
                "{summary}"
            );
            (figures, summary)
        })
        .map(|(mut figures, summary)| {
            figures["summary"] = summary.into();
            figures
        })
        .collect()
}

/// Prunes `f` on `domain` with `cfg`, writes the ticket in both forms, the inputs and Rust's
/// outputs, and runs the Python check and the loader's summary on each form (nothing when
/// `LOGPRUNE_PYTHON` is unset). With `bit_identical` (ReLU, leaky-ReLU and identity layers),
/// the loader's literal pass must be Rust's bit for bit.
fn check(
    label: &str,
    f: &Network,
    rows: &[Vec<f64>],
    domain: &Domain,
    cfg: &PruneConfig,
    bit_identical: bool,
) {
    let Some(py) = python(label) else {
        return;
    };
    run(
        &py,
        &["-c".as_ref(), "import numpy, safetensors".as_ref()],
        "LOGPRUNE_PYTHON is set, but importing numpy and safetensors",
    );
    let p = prune(f, domain, cfg, &NoProgress).unwrap();
    premises(label, &p);
    let dir = TempDir::new("loader", label);
    let spec = p.ticket_spec();
    assert_eq!(
        (spec.generator, spec.distribution),
        (cfg.generator, cfg.distribution)
    );
    let tickets = write_both_forms(&dir.0, |form| {
        ticket_bytes(&spec, &p.pruned, &p.stats, form).unwrap()
    });
    let dense = dir.0.join("pruned.safetensors");
    std::fs::write(&dense, p.pruned.to_safetensors().unwrap()).unwrap();

    let xs: Vec<Vec<f64>> = inputs(rows, f.input_width())
        .into_iter()
        .map(|mut x| {
            if p.report.has_bias_unit {
                x.push(1.0);
            }
            x
        })
        .collect();
    let literal = p.pruned.forward_batch(&xs).unwrap();
    let virt: Vec<Vec<f64>> = xs
        .iter()
        .map(|x| p.pruned.forward_virtual(x).unwrap())
        .collect();
    let (batch, n0, nl) = (xs.len(), p.pruned.input_width(), p.pruned.output_width());
    let mut tensors = vec![
        NamedTensor::f64("inputs", vec![batch, n0], xs.concat()).unwrap(),
        NamedTensor::f64("literal", vec![batch, nl], literal.concat()).unwrap(),
        NamedTensor::f64("virtual", vec![batch, nl], virt.concat()).unwrap(),
    ];
    for (t, (plus, minus)) in p.pruned.virtual_matrices().iter().enumerate() {
        let shape = vec![plus.nrows(), plus.ncols()];
        tensors.push(
            NamedTensor::f64(
                format!("layer{}.wplus", t + 1),
                shape.clone(),
                row_major(plus),
            )
            .unwrap(),
        );
        tensors.push(
            NamedTensor::f64(format!("layer{}.wminus", t + 1), shape, row_major(minus)).unwrap(),
        );
    }
    let io = dir.0.join("io.safetensors");
    std::fs::write(&io, write_tensors(&tensors).unwrap()).unwrap();

    let args = [
        "--io".as_ref(),
        io.as_os_str(),
        "--dense".as_ref(),
        dense.as_os_str(),
    ];
    // 26 tampered compact tickets (27 with a neuron of two edges), 17 with the weights.
    for figures in check_forms(&py, label, &tickets, &args, [26, 17]) {
        assert_eq!(figures["inputs"], batch);
        assert_eq!(
            figures["kept"],
            serde_json::json!(p.pruned.kept_neurons()),
            "{label}"
        );
        if bit_identical {
            assert_eq!(figures["literal_bit_identical"], true, "{figures}");
        }
        // The script's summary of the ticket.
        let summary = figures["summary"].as_str().unwrap();
        for (t, layer) in p.pruned.layers().iter().enumerate() {
            let line = format!("layer {}: {} -> {}", t + 1, layer.n_in(), layer.n_out());
            assert!(summary.contains(&line), "{line} not in\n{summary}");
            assert!(
                summary.contains(&format!("{} kept neurons", layer.len())),
                "{summary}"
            );
        }
    }
}

/// What every case relies on: some layer-1 neuron has `u < 0` (so the negative side is
/// exercised) and, for shared-input runs, some neuron has several outputs.
fn premises(label: &str, p: &Pruning) {
    let layers = p.pruned.layers();
    assert!(
        layers[0].parts().u.iter().any(|&u| u < 0.0),
        "{label}: no neuron with u < 0 in layer 1"
    );
    if p.report.construction == Construction::SharedInput {
        assert!(
            layers.iter().any(|l| l.edge_count() > l.len()),
            "{label}: no neuron with several outputs"
        );
    }
}

fn shared(eps: f64) -> PruneConfig {
    PruneConfig {
        construction: Construction::SharedInput,
        ..PruneConfig::new(eps)
    }
}

/// Hyperbolic G, philox-v2 (the library's default generator).
#[test]
fn biases_on_a_box_shared_input() {
    let (f, rows) = fixture("seq_bias");
    let cfg = shared(0.05);
    assert_eq!(cfg.generator, Generator::PhiloxV2);
    check("seq_bias-box-shared", &f, &rows, &cube(&f), &cfg, true);
}

/// Hyperbolic G, ars-v3 (what `logprune prune` uses).
#[test]
fn biases_on_rows_per_weight_ars_v3() {
    let (f, rows) = fixture("seq_bias");
    let domain = Domain::points(rows.clone()).unwrap();
    let cfg = PruneConfig {
        generator: Generator::ArsV3,
        ..PruneConfig::new(0.05)
    };
    check("seq_bias-rows-per-weight", &f, &rows, &domain, &cfg, true);
}

/// Uniform G with ars-v3 and Gaussian G with philox-v2 and philox-v1, at Pensia et al.'s
/// weight tolerance (the laws whose widths no theorem gives).
#[test]
fn uniform_and_gaussian_g_shared_input() {
    let (f, rows) = fixture("seq_bias");
    for (label, distribution, generator) in [
        (
            "seq_bias-uniform-ars-v3",
            GDistribution::Uniform { c: 1.0 },
            Generator::ArsV3,
        ),
        (
            "seq_bias-gaussian-philox-v2",
            GDistribution::Gaussian { sigma: 1.0 },
            Generator::PhiloxV2,
        ),
        (
            "seq_bias-gaussian-philox-v1",
            GDistribution::Gaussian { sigma: 1.0 },
            Generator::PhiloxV1,
        ),
    ] {
        let cfg = PruneConfig {
            construction: Construction::SharedInput,
            solver: logprune_construction::SolverKind::BestFit,
            distribution,
            generator,
            neurons_per_input: Some(800),
            ..PruneConfig::weight_tolerance(0.01)
        };
        check(label, &f, &rows, &cube(&f), &cfg, true);
    }
}

#[test]
fn tanh_hidden_and_sigmoid_output_shared_input() {
    let options = LoadOptions {
        hidden_activation: Activation::Tanh,
        output_activation: Activation::Sigmoid,
    };
    let (f, rows) = fixture_with("seq_nobias", &options);
    check(
        "seq_nobias-tanh-sigmoid-shared",
        &f,
        &rows,
        &cube(&f),
        &shared(0.05),
        false,
    );
}

/// Leaky ReLU (PyTorch's default slope, which the ticket names `leaky-relu`) and ELU (α = 1).
#[test]
fn leaky_relu_hidden_and_elu_output_per_weight() {
    let options = LoadOptions {
        hidden_activation: Activation::LeakyRelu(0.01),
        output_activation: Activation::Elu(1.0),
    };
    let (f, rows) = fixture_with("seq_bias", &options);
    check(
        "seq_bias-leaky-elu",
        &f,
        &rows,
        &cube(&f),
        &PruneConfig::new(0.05),
        false,
    );
}

// ------------------------------------------------------------------------------ graph targets

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

fn dense(n_in: usize, n_out: usize, bias: bool, seed: u64) -> Op {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let scale = 1.0 / (n_in as f64).sqrt();
    Op::Dense {
        weight: Mat::from_fn(n_out, n_in, |_, _| rng.random_range(-scale..scale)),
        bias: bias.then(|| (0..n_out).map(|_| rng.random_range(-0.5..0.5)).collect()),
    }
}

fn window(kernel: usize, stride: usize, padding: [usize; 4], dilation: usize) -> Window {
    Window {
        kernel: [kernel, kernel],
        stride: [stride, stride],
        padding,
        dilation: [dilation, dilation],
    }
}

/// conv(2→3, 3×3, pad 1, bias) relu maxpool(3×3, stride 1, pad 1: overlapping windows)
/// conv(3→3, 3×3, pad 1) add relu GAP flatten dense(3→2, bias).
fn residual() -> Graph {
    let pool = Pool2d {
        window: window(3, 1, [1; 4], 1),
        count_include_pad: false,
    };
    Graph::new(
        Shape::new(2, 5, 5),
        vec![
            node(
                "stem",
                conv(2, 3, window(3, 1, [1; 4], 1), true, 1),
                vec![0],
            ),
            node("relu1", Op::Activation(Activation::Relu), vec![1]),
            node("pool", Op::MaxPool(pool), vec![2]),
            node(
                "block",
                conv(3, 3, window(3, 1, [1; 4], 1), false, 2),
                vec![3],
            ),
            node("skip", Op::Add, vec![3, 4]),
            node("relu2", Op::Activation(Activation::Relu), vec![5]),
            node("gap", Op::GlobalAvgPool, vec![6]),
            node("flat", Op::Flatten, vec![7]),
            node("head", dense(3, 2, true, 3), vec![8]),
        ],
    )
    .unwrap()
}

/// conv(1→2, 3×3, stride 2, dilation 2, padding [1, 2, 0, 1], bias) relu avgpool(2×2,
/// stride 1, padding [1, 1, 0, 0], count_include_pad) conv(2→2, 2×2, stride 2) flatten
/// dense(→3).
fn strided_dilated() -> Graph {
    let pool = Pool2d {
        window: window(2, 1, [1, 1, 0, 0], 1),
        count_include_pad: true,
    };
    let g = Graph::new(
        Shape::new(1, 9, 9),
        vec![
            node(
                "c1",
                conv(1, 2, window(3, 2, [1, 2, 0, 1], 2), true, 4),
                vec![0],
            ),
            node("r1", Op::Activation(Activation::Relu), vec![1]),
            node("avg", Op::AvgPool(pool), vec![2]),
            node("c2", conv(2, 2, window(2, 2, [0; 4], 1), false, 5), vec![3]),
            node("flat", Op::Flatten, vec![4]),
        ],
    )
    .unwrap();
    let n = g.output_shape().len();
    let mut nodes = g.nodes().to_vec();
    nodes.push(node("head", dense(n, 3, false, 6), vec![5]));
    Graph::new(g.input_shape(), nodes).unwrap()
}

/// conv(2→3, 3×3, pad 1, bias) scale(with shift) tanh avgpool(3×3, stride 2, pad 1, not
/// counting the padding) conv(3→2, 2×2, bias) leaky-relu:0.1 flatten dense(→4, bias) gelu
/// dense(4→2) elu.
fn smooth() -> Graph {
    let pool = Pool2d {
        window: window(3, 2, [1; 4], 1),
        count_include_pad: false,
    };
    let g = Graph::new(
        Shape::new(2, 6, 6),
        vec![
            node("c1", conv(2, 3, window(3, 1, [1; 4], 1), true, 7), vec![0]),
            node(
                "bn",
                Op::Scale {
                    scale: vec![1.5, -0.75, 0.5],
                    shift: Some(vec![0.25, 0.0, -0.125]),
                },
                vec![1],
            ),
            node("t", Op::Activation(Activation::Tanh), vec![2]),
            node("avg", Op::AvgPool(pool), vec![3]),
            node("c2", conv(3, 2, window(2, 1, [0; 4], 1), true, 8), vec![4]),
            node("lr", Op::Activation(Activation::LeakyRelu(0.1)), vec![5]),
            node("flat", Op::Flatten, vec![6]),
        ],
    )
    .unwrap();
    let n = g.output_shape().len();
    let mut nodes = g.nodes().to_vec();
    nodes.extend([
        node("d1", dense(n, 4, true, 9), vec![7]),
        node("g", Op::Activation(Activation::Gelu), vec![8]),
        node("d2", dense(4, 2, false, 10), vec![9]),
        node("e", Op::Activation(Activation::Elu(1.0)), vec![10]),
    ]);
    Graph::new(g.input_shape(), nodes).unwrap()
}

/// `count` inputs of width `n` (one per column): points of `[-1.5, 1.5]^n` (inside and outside
/// the domain `[-1, 1]^n`, every sign represented), then an all-zero image.
fn graph_inputs(n: usize, count: usize, seed: u64) -> Mat<f64> {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    Mat::from_fn(n, count, |_, k| {
        if k + 1 == count {
            0.0
        } else {
            rng.random_range(-1.5..1.5)
        }
    })
}

/// A batch (one input per column) as rows, row-major `[N, len]`.
fn rows_of(m: &Mat<f64>) -> Vec<f64> {
    (0..m.ncols())
        .flat_map(|k| (0..m.nrows()).map(move |r| m[(r, k)]))
        .collect()
}

/// Prunes the graph `g` on `[-1, 1]^n` with `cfg`, writes the ticket, inputs and Rust's
/// literal and virtual outputs and virtual matrices, and runs the Python check and summary on
/// them, for each form of the ticket (compact, then with the weights). Returns the check's
/// figures of each form (nothing when `LOGPRUNE_PYTHON` is unset).
fn check_graph(label: &str, g: &Graph, cfg: &PruneConfig) -> Option<Vec<serde_json::Value>> {
    let py = python(label)?;
    run(
        &py,
        &["-c".as_ref(), "import numpy, safetensors".as_ref()],
        "LOGPRUNE_PYTHON is set, but importing numpy and safetensors",
    );
    let n0 = g.input_shape().len();
    let domain = Domain::cube(n0, -1.0, 1.0).unwrap();
    let p: GraphPruning = prune_graph(g, &domain, cfg, &NoProgress).unwrap();
    assert!(
        p.pruned.layers()[0].parts().u.iter().any(|&u| u < 0.0),
        "{label}: no neuron with u < 0 in layer 1"
    );
    let dir = TempDir::new("loader", label);
    let spec = TicketSpec::of_graph_run(&p.plan, &p.large, None);
    assert_eq!(
        (spec.generator, spec.distribution),
        (cfg.generator, cfg.distribution)
    );
    let tickets = write_both_forms(&dir.0, |form| {
        ticket_bytes(&spec, &p.pruned, &p.stats, form).unwrap()
    });

    let x = graph_inputs(n0, 40, 11);
    let literal = p.forward_literal(x.as_ref()).unwrap();
    let virt = p.forward_virtual(x.as_ref()).unwrap();
    let out = g.output_shape().len();
    assert_eq!((literal.nrows(), literal.ncols()), (out, x.ncols()));
    let batch = x.ncols();
    let mut tensors = vec![
        NamedTensor::f64("inputs", vec![batch, n0], rows_of(&x)).unwrap(),
        NamedTensor::f64("literal", vec![batch, out], rows_of(&literal)).unwrap(),
        NamedTensor::f64("virtual", vec![batch, out], rows_of(&virt)).unwrap(),
    ];
    for (t, layer) in p.pruned.layers().iter().enumerate() {
        let (plus, minus) = layer.virtual_matrices();
        let shape = vec![plus.nrows(), plus.ncols()];
        tensors.push(
            NamedTensor::f64(
                format!("layer{}.wplus", t + 1),
                shape.clone(),
                row_major(&plus),
            )
            .unwrap(),
        );
        tensors.push(
            NamedTensor::f64(format!("layer{}.wminus", t + 1), shape, row_major(&minus)).unwrap(),
        );
    }
    let io = dir.0.join("io.safetensors");
    std::fs::write(&io, write_tensors(&tensors).unwrap()).unwrap();

    let kept: Vec<usize> = p.pruned.layers().iter().map(|l| l.len()).collect();
    let ops: Vec<String> = g.nodes().iter().map(|n| n.op.name()).collect();
    // The graph's tampered tickets, and for the compact form the mask's too.
    let all = check_forms(
        &py,
        label,
        &tickets,
        &["--io".as_ref(), io.as_os_str()],
        [35, 16],
    );
    for figures in &all {
        assert_eq!(figures["inputs"], batch);
        assert_eq!(figures["graph"], true, "{figures}");
        assert_eq!(figures["kept"], serde_json::json!(kept), "{label}");
        assert_eq!(figures["ops"], serde_json::json!(ops), "{label}");
        let summary = figures["summary"].as_str().unwrap();
        assert!(summary.contains("graph target"), "{summary}");
        for (t, layer) in p.pruned.layers().iter().enumerate() {
            let line = format!("layer {}: {} -> {}", t + 1, layer.n_in(), layer.n_out());
            assert!(summary.contains(&line), "{line} not in\n{summary}");
            assert!(
                summary.contains(&format!("{} kept neurons", layer.len())),
                "{summary}"
            );
        }
    }
    // Both forms run the same Ĝ: the same outputs, bit for bit.
    assert_eq!(all[0]["max_rel_literal"], all[1]["max_rel_literal"]);
    assert_eq!(
        all[0]["literal_bit_identical"],
        all[1]["literal_bit_identical"]
    );
    Some(all)
}

/// Hyperbolic G, philox-v2.
#[test]
fn graph_conv_relu_maxpool_residual_gap_dense() {
    let Some(all) = check_graph("graph-residual", &residual(), &PruneConfig::new(0.05)) else {
        return;
    };
    // ReLU, max pooling, adds and averages, summed in Rust's order: bit for bit.
    for f in all {
        assert_eq!(f["literal_bit_identical"], true, "{f}");
    }
}

/// Hyperbolic G, ars-v3.
#[test]
fn graph_stride_dilation_asymmetric_padding_shared_input() {
    let cfg = PruneConfig {
        generator: Generator::ArsV3,
        ..shared(0.05)
    };
    let Some(all) = check_graph("graph-strided-dilated", &strided_dilated(), &cfg) else {
        return;
    };
    for f in all {
        assert_eq!(f["literal_bit_identical"], true, "{f}");
    }
}

/// Uniform G, ars-v3, on the residual graph at a weight tolerance (no theorem gives the width).
#[test]
fn graph_uniform_g_ars_v3() {
    let cfg = PruneConfig {
        construction: Construction::SharedInput,
        solver: logprune_construction::SolverKind::BestFit,
        distribution: GDistribution::Uniform { c: 1.0 },
        generator: Generator::ArsV3,
        neurons_per_input: Some(400),
        ..PruneConfig::weight_tolerance(0.01)
    };
    let Some(all) = check_graph("graph-residual-uniform", &residual(), &cfg) else {
        return;
    };
    for f in all {
        assert_eq!(f["literal_bit_identical"], true, "{f}");
    }
}

#[test]
fn graph_tanh_scale_avgpool_leaky_gelu_elu() {
    check_graph("graph-smooth", &smooth(), &PruneConfig::new(0.05));
}

/// Tickets written by the `logprune` binary named by `$LOGPRUNE_BIN` (not built by this test:
/// the construction crate does not depend on the ONNX importer or the CLI; unset, the test
/// says so and passes) on ONNX fixtures of `data/models/`, in the binary's default form
/// (compact, format version 2) and with `--store-weights` (version 1): the loader runs each on
/// the fixture's inputs within the run's certified bound of the model's float64 outputs, and
/// re-derives from the compact ticket the weights the other stores, bit for bit.
#[test]
fn binary_made_tickets_of_onnx_fixtures() {
    let Some(py) = python("binary_made_tickets_of_onnx_fixtures") else {
        return;
    };
    let Some(bin) = std::env::var_os("LOGPRUNE_BIN") else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED binary_made_tickets_of_onnx_fixtures: LOGPRUNE_BIN is unset (set it to a \
             built logprune binary to check its graph tickets from Python)"
        );
        return;
    };
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/models");
    let dir = TempDir::new("loader", "binary");
    let script = python_dir().join("check_loader.py");
    // (fixture, input box): the box its reference inputs lie in.
    for (name, input_box) in [
        ("cnn_small_relu", "0,1"),
        ("ops_pool", "-1,1"),
        ("ops_misc", "-1,1"),
    ] {
        // The default (a compact ticket, format version 2) and `--store-weights` (version 1).
        let mut outs = Vec::new();
        for (form, extra) in [
            (TicketForm::Compact, None),
            (TicketForm::Weights, Some("--store-weights")),
        ] {
            let out = dir.0.join(format!("{name}-{form}"));
            let status = Command::new(&bin)
                .args(["prune", "--target"])
                .arg(models.join(format!("{name}.onnx")))
                .args([
                    "--input-box",
                    input_box,
                    "--eps",
                    "0.05",
                    "--quiet",
                    "--out",
                ])
                .arg(&out)
                .args(extra)
                .output()
                .unwrap_or_else(|e| panic!("LOGPRUNE_BIN cannot be run: {e}"));
            assert!(
                status.status.success(),
                "logprune prune on {name}: {}",
                String::from_utf8_lossy(&status.stderr)
            );
            outs.push((form, out));
        }
        let weights_ticket = outs[1].1.join("ticket.safetensors");
        for (form, out) in &outs {
            let ticket = out.join("ticket.safetensors");
            let label = format!("{name} ({form})");
            let mut args: Vec<&std::ffi::OsStr> = vec![
                script.as_os_str(),
                "--ticket".as_ref(),
                ticket.as_os_str(),
                "--reference".as_ref(),
            ];
            let reference = models.join(format!("{name}.io.safetensors"));
            let report = out.join("report.json");
            args.extend([
                reference.as_os_str(),
                "--report".as_ref(),
                report.as_os_str(),
                "--label".as_ref(),
                label.as_ref(),
            ]);
            if *form == TicketForm::Compact {
                // The re-derived weights are the ones the binary stores with --store-weights.
                args.extend(["--same-as".as_ref(), weights_ticket.as_os_str()]);
            }
            let figures = run(&py, &args, "python/check_loader.py --reference");
            println!("{label}: {}", figures.trim());
            let figures: serde_json::Value = serde_json::from_str(figures.trim()).unwrap();
            assert_eq!(figures["ok"], true, "{figures}");
            assert_eq!(figures["format_version"], form.version(), "{figures}");
            if *form == TicketForm::Compact {
                assert_eq!(figures["same_as_bit_identical"], true, "{figures}");
            }
        }
    }
}
