//! The Python reference loader (`python/logprune_ticket.py`) against Rust: tickets of small
//! pruned targets are written with Rust's literal and virtual outputs on a set of inputs, and
//! `python/check_loader.py` loads each ticket and compares its literal, virtual and dense
//! forward passes (to 1e-12 relative), virtual matrices and dense weights with Rust's, and checks
//! that tampered tickets are refused.
//!
//! The interpreter is `$LOGPRUNE_PYTHON` (a venv's python with numpy and safetensors; `.ci/run`
//! makes one). Unset, the tests say so on stderr and pass; set, they fail if numpy or
//! safetensors cannot be imported or any comparison fails.
#![allow(clippy::unwrap_used)]

mod common;
use common::{cube, fixture, fixture_with};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use logprune_construction::ticket::ticket_bytes;
use logprune_construction::{Construction, Domain, NoProgress, PruneConfig, Pruning, prune};
use logprune_network::{Activation, LoadOptions, NamedTensor, Network, write_tensors};

/// The interpreter, or `None` (after saying so on stderr, past the test harness's capture)
/// when `LOGPRUNE_PYTHON` is unset.
fn python(test: &str) -> Option<PathBuf> {
    let Some(py) = std::env::var_os("LOGPRUNE_PYTHON") else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: LOGPRUNE_PYTHON is unset, so the Python ticket loader is not \
             compared with Rust (set it to a python with numpy and safetensors, as .ci/run does)"
        );
        return None;
    };
    Some(PathBuf::from(py))
}

/// `python/` at the workspace root.
fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python")
}

/// A temporary directory, removed when dropped (also when the test fails).
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "logprune-python-loader-{}-{label}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `py` with `args` (no bytecode written into the source tree), panicking with its output
/// unless it succeeds; returns its stdout.
fn run(py: &Path, args: &[&std::ffi::OsStr], what: &str) -> String {
    let out = Command::new(py)
        .arg("-B")
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("LOGPRUNE_PYTHON={} cannot be run: {e}", py.display()));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "{what} failed ({}) with LOGPRUNE_PYTHON={}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status,
        py.display()
    );
    stdout
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

/// Prunes `f` on `domain` with `cfg`, writes the ticket, the inputs and Rust's outputs, and
/// runs the Python check and the loader's summary on them (nothing when `LOGPRUNE_PYTHON` is
/// unset).
fn check(label: &str, f: &Network, rows: &[Vec<f64>], domain: &Domain, cfg: &PruneConfig) {
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
    let dir = TempDir::new(label);
    let ticket = dir.0.join("ticket.safetensors");
    std::fs::write(
        &ticket,
        ticket_bytes(&p.ticket_spec(), &p.pruned, &p.stats).unwrap(),
    )
    .unwrap();
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

    let script = python_dir().join("check_loader.py");
    let figures = run(
        &py,
        &[
            script.as_os_str(),
            "--ticket".as_ref(),
            ticket.as_os_str(),
            "--io".as_ref(),
            io.as_os_str(),
            "--dense".as_ref(),
            dense.as_os_str(),
            "--label".as_ref(),
            label.as_ref(),
        ],
        "python/check_loader.py",
    );
    println!("{label}: {}", figures.trim());
    let figures: serde_json::Value = serde_json::from_str(figures.trim()).unwrap();
    assert_eq!(figures["ok"], true, "{figures}");
    assert_eq!(figures["inputs"], batch);
    assert_eq!(
        figures["kept"],
        serde_json::json!(p.pruned.kept_neurons()),
        "{label}"
    );

    // The script's summary of the ticket.
    let summary = run(
        &py,
        &[
            python_dir().join("logprune_ticket.py").as_os_str(),
            ticket.as_os_str(),
        ],
        "python/logprune_ticket.py (summary)",
    );
    assert!(summary.contains("logprune-ticket version 1"), "{summary}");
    for (t, layer) in p.pruned.layers().iter().enumerate() {
        let line = format!("layer {}: {} -> {}", t + 1, layer.n_in(), layer.n_out());
        assert!(summary.contains(&line), "{line} not in\n{summary}");
        assert!(
            summary.contains(&format!("{} kept neurons", layer.len())),
            "{summary}"
        );
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

#[test]
fn biases_on_a_box_shared_input() {
    let (f, rows) = fixture("seq_bias");
    check("seq_bias-box-shared", &f, &rows, &cube(&f), &shared(0.05));
}

#[test]
fn biases_on_rows_per_weight() {
    let (f, rows) = fixture("seq_bias");
    let domain = Domain::points(rows.clone()).unwrap();
    check(
        "seq_bias-rows-per-weight",
        &f,
        &rows,
        &domain,
        &PruneConfig::new(0.05),
    );
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
    );
}
