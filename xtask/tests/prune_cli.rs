//! `cargo xtask prune` end to end, through the built binary.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/network/tests/fixtures")
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("logprune-prune-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn xtask(args: &[&str], threads: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.arg("prune").args(args);
    if let Some(n) = threads {
        cmd.env("RAYON_NUM_THREADS", n);
    }
    cmd.output().unwrap()
}

fn target(name: &str) -> String {
    fixtures()
        .join(format!("{name}.safetensors"))
        .display()
        .to_string()
}

fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

#[test]
fn prunes_a_fixture_end_to_end() {
    let out = scratch("box");
    let o = xtask(
        &[
            "--target",
            &target("seq_bias"),
            "--eps",
            "0.05",
            "--quiet",
            "--export-large",
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("certified"), "{stdout}");
    for f in [
        "pruned.safetensors",
        "report.json",
        "large.safetensors",
        "masks.safetensors",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let r = report(&out);
    assert_eq!(r["accuracy"]["value"], 0.05);
    assert_eq!(r["delta"], 0.01);
    assert_eq!(r["construction"], "per-weight");
    assert_eq!(r["solver"], "golden-ratio");
    assert_eq!(r["seed"], 0);
    assert_eq!(r["inputs_checked"], 10_000);
    assert_eq!(r["domain"], "box");
    assert_eq!(r["has_bias_unit"], true);
    let cert = r["certified_bound"].as_f64().unwrap();
    let measured = r["empirical_max_error"].as_f64().unwrap();
    assert!(measured <= cert && cert <= 0.05, "{measured} {cert}");
    assert!(r["certified_bound_lemma1"].as_f64().unwrap() <= 0.05);
    for key in [
        "epsilon_w",
        "alpha",
        "beta",
        "k_prime",
        "max_weight_error_plus",
        "max_weight_error_minus",
    ] {
        assert!(r[key].as_f64().is_some(), "{key}");
    }
    assert!(r["seconds"]["total"].as_f64().is_some());
    assert!(r["products_consulted"].as_u64().unwrap() > 0);
    let kept: Vec<u64> = r["kept_neurons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(kept.len(), 3);
    assert_eq!(r["widths"].as_array().unwrap().len(), 3);
    // pruned.safetensors: alternating U_i (kept × n_{i-1}) and V_i (n_i × kept), F' widths 4-6-5-2.
    let pruned =
        logprune_network::read_tensors(&std::fs::read(out.join("pruned.safetensors")).unwrap())
            .unwrap();
    let shapes: Vec<(String, Vec<usize>)> = pruned.into_iter().map(|t| (t.name, t.shape)).collect();
    let n = [4usize, 6, 5, 2];
    let expected: Vec<(String, Vec<usize>)> = (0..3)
        .flat_map(|i| {
            let k = kept[i] as usize;
            [
                (format!("{}.weight", 4 * i), vec![k, n[i]]),
                (format!("{}.weight", 4 * i + 2), vec![n[i + 1], k]),
            ]
        })
        .collect();
    assert_eq!(shapes, expected);
    std::fs::remove_dir_all(&out).unwrap();

    // A CSV of data rows (with a header) is the domain.
    let out = scratch("rows");
    let csv = fixtures()
        .join("seq_nobias.inputs.csv")
        .display()
        .to_string();
    let o = xtask(
        &[
            "--target",
            &target("seq_nobias"),
            "--eps",
            "0.05",
            "--inputs",
            &csv,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = report(&out);
    assert_eq!(
        (r["domain"].as_str(), r["inputs_checked"].as_u64()),
        (Some("points"), Some(6))
    );
    assert_eq!(r["has_bias_unit"], false);
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn one_and_two_threads_write_the_same_bytes() {
    let mut runs = Vec::new();
    for threads in ["1", "2"] {
        let out = scratch(&format!("threads{threads}"));
        let o = xtask(
            &[
                "--target",
                &target("seq_bias"),
                "--eps",
                "0.05",
                "--seed",
                "5",
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ],
            Some(threads),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let bytes = std::fs::read(out.join("pruned.safetensors")).unwrap();
        let mut r = report(&out);
        r["seconds"] = serde_json::Value::Null;
        runs.push((bytes, r));
        std::fs::remove_dir_all(&out).unwrap();
    }
    assert_eq!(
        runs[0].0, runs[1].0,
        "pruned.safetensors differs between 1 and 2 threads"
    );
    assert_eq!(runs[0].1, runs[1].1);
}

#[test]
fn bad_input_fails_with_a_message_and_writes_nothing() {
    let csv_dir = scratch("badcsv");
    std::fs::create_dir_all(&csv_dir).unwrap();
    let bad_csv = csv_dir.join("bad.csv");
    std::fs::write(&bad_csv, "x0,x1,x2\n1,2,oops\n").unwrap();
    let bad_csv = bad_csv.display().to_string();
    let t = target("seq_bias");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--eps", "-1"], "ε = -1"),
        (vec!["--eps", "abc"], "--eps `abc`"),
        (vec!["--eps", "0.1", "--delta", "2"], "δ = 2"),
        (
            vec!["--eps", "0.1", "--solver", "greedy"],
            "golden-ratio, best-fit, exact",
        ),
        (
            vec!["--eps", "0.1", "--construction", "matching"],
            "per-weight, recycling, batch",
        ),
        (
            vec!["--eps", "0.1", "--width-scale", "0"],
            "width scale = 0",
        ),
        (vec!["--eps", "0.1", "--input-box", "1,-1"], "--input-box"),
        (vec!["--eps", "0.1", "--input-box", "nope"], "LO,HI"),
        (vec!["--eps", "0.1", "--inputs", &bad_csv], "bad.csv"),
        (
            vec!["--eps", "0.1", "--inputs", &bad_csv, "--input-box", "0,1"],
            "both given",
        ),
        (vec!["--eps", "0.1", "--seed", "-3"], "--seed `-3`"),
        (
            vec!["--eps", "0.1", "--neurons-per-weight", "0"],
            "neurons per weight = 0",
        ),
        (
            vec!["--eps", "0.1", "--neurons-per-weight", "8"],
            "of 64 target weights could not be decomposed",
        ),
        (vec!["--eps", "0.1", "--output-activation", "gelu"], "gelu"),
    ];
    for (i, (extra, needle)) in cases.into_iter().enumerate() {
        let out = scratch(&format!("bad{i}"));
        let mut args = vec!["--target", &t, "--quiet", "--out", out.to_str().unwrap()];
        args.extend(extra.iter().copied());
        let o = xtask(&args, None);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{extra:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(needle),
            "{extra:?}: {stderr}"
        );
        assert!(!out.exists(), "{extra:?}: something was written");
    }
    // A missing target file.
    let out = scratch("missing");
    let o = xtask(
        &[
            "--target",
            "/nonexistent/model.safetensors",
            "--eps",
            "0.1",
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/model.safetensors"));
    assert!(!out.exists());
    std::fs::remove_dir_all(&csv_dir).unwrap();
}

#[test]
fn recycling_and_batch_constructions() {
    for name in ["recycling", "batch"] {
        let mut runs = Vec::new();
        for threads in ["1", "2"] {
            let out = scratch(&format!("{name}{threads}"));
            let o = xtask(
                &[
                    "--target",
                    &target("seq_bias"),
                    "--eps",
                    "0.05",
                    "--construction",
                    name,
                    "--quiet",
                    "--export-large",
                    "--out",
                    out.to_str().unwrap(),
                ],
                Some(threads),
            );
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let stdout = String::from_utf8_lossy(&o.stdout);
            assert!(
                stdout.contains(name) && stdout.contains("certified"),
                "{stdout}"
            );
            let r = report(&out);
            assert_eq!(r["construction"], name);
            let cert = r["certified_bound"].as_f64().unwrap();
            assert!(r["empirical_max_error"].as_f64().unwrap() <= cert && cert <= 0.05);
            assert_eq!(r["width_scale"], 1.0);
            let widths = r["widths"].as_array().unwrap();
            let theorem = r["widths_theorem"].as_array().unwrap();
            assert_eq!((widths.len(), theorem.len()), (3, 3));
            let layers = r["layers"].as_array().unwrap();
            for ((layer, w), th) in layers.iter().zip(widths).zip(theorem) {
                assert_eq!(layer["width_sufficed"], true);
                assert_eq!(layer["empty_slots"], 0);
                assert_eq!(&layer["intermediate_width_theorem"], th);
                assert!(layer["width_needed"].as_u64().unwrap() <= w.as_u64().unwrap());
            }
            for f in ["large.safetensors", "masks.safetensors"] {
                assert!(out.join(f).is_file(), "{f} missing");
            }
            let bytes = std::fs::read(out.join("pruned.safetensors")).unwrap();
            let mut r = r;
            r["seconds"] = serde_json::Value::Null;
            runs.push((bytes, r));
            std::fs::remove_dir_all(&out).unwrap();
        }
        assert_eq!(runs[0].0, runs[1].0, "{name}: 1 vs 2 threads");
        assert_eq!(runs[0].1, runs[1].1, "{name}: 1 vs 2 threads");
    }
    // A too-small width fails, names the construction and writes nothing.
    let out = scratch("batch-small");
    let o = xtask(
        &[
            "--target",
            &target("seq_bias"),
            "--eps",
            "0.05",
            "--construction",
            "batch",
            "--width-scale",
            "0.02",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("batch:") && stderr.contains("of 64 target weights"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written");
}
