//! `logprune prune`, `verify` and `merge` on ONNX targets (the PyTorch-made fixtures of
//! `data/models/`): conv tickets certified and verified, deterministic on 1 and 2 threads and
//! across shards, and refused inputs that leave nothing behind.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn model(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/models")
        .join(name)
        .display()
        .to_string()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("logprune-onnx-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn logprune(args: &[&str], threads: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logprune"));
    cmd.args(args);
    if let Some(n) = threads {
        cmd.env("RAYON_NUM_THREADS", n);
    }
    cmd.output().unwrap()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn tensor_range(bytes: &[u8], name: &str) -> (usize, usize) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let o = &header[name]["data_offsets"];
    (
        8 + n + o[0].as_u64().unwrap() as usize,
        8 + n + o[1].as_u64().unwrap() as usize,
    )
}

/// The small CNN's prune arguments into `out`.
fn cnn_args(out: &Path) -> Vec<String> {
    [
        "prune",
        "--target",
        &model("cnn_small_relu.onnx"),
        "--eps",
        "0.01",
        "--input-box",
        "0,1",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

fn run(args: &[String], threads: Option<&str>) -> Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    logprune(&refs, threads)
}

#[test]
fn a_conv_ticket_is_certified_verified_and_tamper_evident() {
    let out = scratch("cnn");
    ok(&run(&cnn_args(&out), None));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["target_kind"], "graph");
    let certified = report["certified_bound"].as_f64().unwrap();
    let measured = report["empirical_max_error"].as_f64().unwrap();
    assert!(
        certified <= 0.01 && measured <= certified,
        "{certified} {measured}"
    );
    assert_eq!(report["stages"][0]["op"], "conv");
    assert!(!out.join("pruned.onnx").exists());
    let ticket = out.join("ticket.safetensors");
    let verify = |ticket: &Path| {
        logprune(
            &[
                "verify",
                "--ticket",
                ticket.to_str().unwrap(),
                "--report",
                out.join("report.json").to_str().unwrap(),
                "--target",
                &model("cnn_small_relu.onnx"),
                "--input-box",
                "0,1",
                "--quiet",
            ],
            None,
        )
    };
    let o = verify(&ticket);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("matches"));
    // One index changed: the (input channel, tap) column of the first kept neuron of the
    // first conv.
    let good = std::fs::read(&ticket).unwrap();
    let (b, _) = tensor_range(&good, "layer1.input");
    let mut bad = good.clone();
    bad[b] ^= 1;
    let path = out.join("bad-index.safetensors");
    std::fs::write(&path, &bad).unwrap();
    let o = verify(&path);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("layer 1"), "{stderr}");
    // The same ticket against another graph (the tanh CNN: same shapes, other weights).
    let o = logprune(
        &[
            "verify",
            "--ticket",
            ticket.to_str().unwrap(),
            "--report",
            out.join("report.json").to_str().unwrap(),
            "--target",
            &model("cnn_small_tanh.onnx"),
            "--input-box",
            "0,1",
            "--quiet",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("another target"));
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn conv_tickets_are_the_same_on_1_and_2_threads_and_from_3_shards() {
    let dir = scratch("det");
    let (one, two) = (dir.join("one"), dir.join("two"));
    ok(&run(&cnn_args(&one), Some("1")));
    ok(&run(&cnn_args(&two), Some("2")));
    let whole = std::fs::read(one.join("ticket.safetensors")).unwrap();
    assert_eq!(
        whole,
        std::fs::read(two.join("ticket.safetensors")).unwrap()
    );
    let shards = dir.join("shards");
    for k in 1..=3 {
        let mut a = cnn_args(&shards);
        a.extend(["--shard".to_owned(), format!("{k}/3")]);
        ok(&run(&a, None));
    }
    let merged = dir.join("merged");
    let mut a: Vec<String> = [
        "merge",
        "--target",
        &model("cnn_small_relu.onnx"),
        "--input-box",
        "0,1",
        "--quiet",
        "--out",
        merged.to_str().unwrap(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for k in 1..=3 {
        a.push(
            shards
                .join(format!("shard-{k}-of-3.ticket.safetensors"))
                .display()
                .to_string(),
        );
    }
    ok(&run(&a, None));
    assert_eq!(
        whole,
        std::fs::read(merged.join("ticket.safetensors")).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn refused_models_exit_1_name_the_problem_and_write_nothing() {
    let dir = scratch("bad");
    let truncated = dir.with_extension("truncated.onnx");
    let garbage = dir.with_extension("garbage.onnx");
    let lenet = std::fs::read(model("lenet5_digits.onnx")).unwrap();
    std::fs::write(&truncated, &lenet[..lenet.len() / 2]).unwrap();
    std::fs::write(&garbage, b"\xff\xfe not a protobuf at all \x00\x01\x02\x03").unwrap();
    for (path, expect) in [
        (model("ops_unsupported.onnx"), "CumSum"),
        (truncated.display().to_string(), "decode"),
        (garbage.display().to_string(), "decode"),
    ] {
        let o = logprune(
            &[
                "prune",
                "--target",
                &path,
                "--eps",
                "0.01",
                "--quiet",
                "--out",
                dir.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(o.status.code(), Some(1), "{path}");
        let stderr = String::from_utf8_lossy(&o.stderr).to_lowercase();
        assert!(stderr.contains(&expect.to_lowercase()), "{path}: {stderr}");
        assert!(!dir.exists() || std::fs::read_dir(&dir).unwrap().next().is_none());
    }
    // A flag graph targets do not take yet is named.
    let o = logprune(
        &[
            "prune",
            "--target",
            &model("cnn_small_relu.onnx"),
            "--eps",
            "0.01",
            "--dense",
            "--out",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--dense"));
    let _ = std::fs::remove_file(truncated);
    let _ = std::fs::remove_file(garbage);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An MLP exported to ONNX (MatMul + Add) goes the MLP path: the same ticket as the same
/// network given as safetensors would give is not needed here; it prunes and certifies.
#[test]
fn an_onnx_mlp_prunes_as_an_mlp() {
    let out = scratch("mlp");
    let o = logprune(
        &[
            "prune",
            "--target",
            &model("mlp_matmul.onnx"),
            "--eps",
            "0.01",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    ok(&o);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert!(report.get("target_kind").is_none(), "an MLP report");
    assert!(report["target_widths"].as_array().unwrap().len() >= 3);
    std::fs::remove_dir_all(&out).unwrap();
}

/// `--onnx` writes Ĝ as an ONNX model that the importer reads back into a graph whose forward
/// pass is the literal Ĝ's, to the float32 rounding of its weights.
#[test]
fn onnx_writes_the_pruned_network_as_a_model() {
    let out = scratch("export");
    let mut a = cnn_args(&out);
    a.push("--onnx".to_owned());
    ok(&run(&a, None));
    let bytes = std::fs::read(out.join("pruned.onnx")).unwrap();
    let g_hat = logprune_onnx::import(&bytes, &logprune_onnx::ImportOptions::default()).unwrap();
    let f_bytes = std::fs::read(model("cnn_small_relu.onnx")).unwrap();
    let f = logprune_onnx::import(&f_bytes, &logprune_onnx::ImportOptions::default()).unwrap();
    // Per conv or dense node of F: U, ReLU, V in Ĝ.
    assert_eq!(
        g_hat.nodes().len(),
        f.nodes().len() + 2 * f.linear_nodes().len()
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let certified = report["certified_bound"].as_f64().unwrap();
    let x = faer::Mat::from_fn(64, 4, |r, k| ((r * 7 + k * 13) % 17) as f64 / 16.0);
    let yf = f.forward_batch(x.as_ref(), faer::Par::Seq).unwrap();
    let yg = g_hat.forward_batch(x.as_ref(), faer::Par::Seq).unwrap();
    for k in 0..4 {
        let d: f64 = (0..yf.nrows())
            .map(|a| (yf[(a, k)] - yg[(a, k)]).powi(2))
            .sum::<f64>()
            .sqrt();
        // Within the certificate, plus the float32 rounding of Ĝ's weights.
        assert!(d <= certified + 1e-4, "input {k}: {d} vs {certified}");
    }
    std::fs::remove_dir_all(&out).unwrap();
}
