//! `logprune prune`, `verify` and `merge` end to end, through the built binary.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../network/tests/fixtures")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("logprune-cli-{}-{name}", std::process::id()));
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

fn prune(args: &[&str], threads: Option<&str>) -> Output {
    let mut all = vec!["prune"];
    all.extend_from_slice(args);
    logprune(&all, threads)
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

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn prunes_a_fixture_end_to_end() {
    let out = scratch("box");
    let o = prune(
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
    ok(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("certified"), "{stdout}");
    for f in [
        "ticket.safetensors",
        "pruned.safetensors",
        "report.json",
        "large.safetensors",
        "masks.safetensors",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let r = report(&out);
    assert_eq!(r["schema_version"], 2);
    assert_eq!(r["accuracy"]["kind"], "network");
    assert_eq!(r["accuracy"]["value"], 0.05);
    assert_eq!(r["delta"], 0.01);
    assert_eq!(r["construction"], "per-weight");
    assert_eq!(r["solver"], "golden-ratio");
    assert_eq!(r["generator"], "ars-v3");
    assert_eq!(r["distribution"]["name"], "hyperbolic");
    assert_eq!(r["seed"], 0);
    assert_eq!(r["inputs_checked"], 10_000);
    assert_eq!(r["domain"], "box");
    assert_eq!(r["has_bias_unit"], true);
    let cert = r["certified_bound"].as_f64().unwrap();
    let measured = r["empirical_max_error"].as_f64().unwrap();
    assert!(measured <= cert && cert <= 0.05, "{measured} {cert}");
    // The default tolerance rule is the recurrence's: its certificate meets ε, while Lemma 1's
    // bound, evaluated on the same run, need not (it is reported all the same).
    assert_eq!(r["tolerance_rule"], "recurrence");
    assert!(r["certified_bound_lemma1"].as_f64().unwrap() > 0.0);
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
    // The ticket holds the same network.
    let ticket =
        logprune_construction::read_ticket(&std::fs::read(out.join("ticket.safetensors")).unwrap())
            .unwrap();
    assert_eq!(ticket.pruned.kept_neurons(), kept);
    std::fs::remove_dir_all(&out).unwrap();

    // A CSV of data rows (with a header) is the domain; no dense file unless asked.
    let out = scratch("rows");
    let csv = fixtures()
        .join("seq_nobias.inputs.csv")
        .display()
        .to_string();
    let o = prune(
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
    ok(&o);
    let r = report(&out);
    assert_eq!(
        (r["domain"].as_str(), r["inputs_checked"].as_u64()),
        (Some("points"), Some(6))
    );
    assert_eq!(r["has_bias_unit"], false);
    assert!(!out.join("pruned.safetensors").exists());
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn one_and_two_threads_write_the_same_bytes() {
    for construction in ["per-weight", "recycling", "batch", "shared-input"] {
        let mut runs = Vec::new();
        for threads in ["1", "2"] {
            let out = scratch(&format!("threads{construction}{threads}"));
            let o = prune(
                &[
                    "--target",
                    &target("seq_bias"),
                    "--eps",
                    "0.05",
                    "--construction",
                    construction,
                    "--seed",
                    "5",
                    "--quiet",
                    "--out",
                    out.to_str().unwrap(),
                ],
                Some(threads),
            );
            ok(&o);
            let bytes = std::fs::read(out.join("ticket.safetensors")).unwrap();
            let mut r = report(&out);
            r["seconds"] = serde_json::Value::Null;
            runs.push((bytes, r));
            std::fs::remove_dir_all(&out).unwrap();
        }
        assert!(
            runs[0].0 == runs[1].0,
            "{construction}: the ticket differs between 1 and 2 threads"
        );
        assert_eq!(runs[0].1, runs[1].1);
    }
}

#[test]
fn bad_input_fails_with_a_message_and_writes_nothing() {
    let csv_dir = scratch("badcsv");
    std::fs::create_dir_all(&csv_dir).unwrap();
    let bad_csv = csv_dir.join("bad.csv");
    std::fs::write(&bad_csv, "x0,x1,x2\n1,2,oops\n").unwrap();
    let bad_csv = bad_csv.display().to_string();
    let t = target("seq_bias");
    // (flags, what stderr must name); clap refuses bad values with exit code 2, a failed run
    // exits with 1.
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--eps", "-1"], "'--eps <E>'"),
        (vec!["--eps", "abc"], "'--eps <E>'"),
        (vec!["--eps", "0.1", "--delta", "2"], "'--delta <D>'"),
        (
            vec!["--eps", "0.1", "--solver", "greedy"],
            "'--solver <NAME>'",
        ),
        (
            vec!["--eps", "0.1", "--construction", "matching"],
            "'--construction <NAME>'",
        ),
        (
            vec!["--eps", "0.1", "--distribution", "magic"],
            "'--distribution <NAME>'",
        ),
        (
            vec![
                "--eps",
                "0.1",
                "--construction",
                "shared-input",
                "--neurons-per-input",
                "0",
            ],
            "'--neurons-per-input <R>'",
        ),
        (vec!["--weight-tolerance", "-1"], "'--weight-tolerance <T>'"),
        (
            vec!["--eps", "0.1", "--weight-tolerance", "0.01"],
            "--weight-tolerance",
        ),
        (vec![], "--eps"),
        (
            vec!["--eps", "0.1", "--width-scale", "0"],
            "'--width-scale <S>'",
        ),
        (
            vec!["--eps", "0.1", "--input-box", "1,-1"],
            "'--input-box <LO,HI>'",
        ),
        (vec!["--eps", "0.1", "--input-box", "nope"], "LO,HI"),
        (vec!["--eps", "0.1", "--inputs", &bad_csv], "bad.csv"),
        (
            vec!["--eps", "0.1", "--inputs", &bad_csv, "--input-box", "0,1"],
            "--input-box",
        ),
        (vec!["--eps", "0.1", "--seed", "-3"], "'--seed <S>'"),
        (
            vec!["--eps", "0.1", "--max-memory", "lots"],
            "'--max-memory <SIZE>'",
        ),
        (vec!["--eps", "0.1", "--shard", "3/2"], "'--shard <K/N>'"),
        (
            vec!["--eps", "0.1", "--neurons-per-weight", "0"],
            "'--neurons-per-weight <K>'",
        ),
        (
            vec!["--eps", "0.1", "--neurons-per-input", "8"],
            "neurons per input = 8 does not apply to the per-weight construction",
        ),
        (
            vec!["--eps", "0.1", "--neurons-per-weight", "8"],
            "of 64 target weights could not be decomposed",
        ),
        (
            vec!["--eps", "0.1", "--max-memory", "1K"],
            "above the memory budget",
        ),
        (
            vec!["--eps", "0.1", "--output-activation", "swish"],
            "'--output-activation <NAME>'",
        ),
    ];
    for (i, (extra, needle)) in cases.into_iter().enumerate() {
        let out = scratch(&format!("bad{i}"));
        let mut args = vec!["--target", &t, "--quiet", "--out", out.to_str().unwrap()];
        args.extend(extra.iter().copied());
        let o = prune(&args, None);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            matches!(o.status.code(), Some(1 | 2)),
            "{extra:?}: {stderr}"
        );
        assert!(
            stderr.starts_with("error: ") && stderr.contains(needle),
            "{extra:?}: {stderr}"
        );
        assert!(!out.exists(), "{extra:?}: something was written");
    }
    // A missing target file.
    let out = scratch("missing");
    let o = prune(
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
fn layer_wide_constructions() {
    for name in ["recycling", "batch", "shared-input"] {
        let out = scratch(name);
        let o = prune(
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
            None,
        );
        ok(&o);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            stdout.contains(name) && stdout.contains("certified"),
            "{stdout}"
        );
        let r = report(&out);
        assert_eq!(r["construction"], name);
        let cert = r["certified_bound"].as_f64().unwrap();
        assert!(r["empirical_max_error"].as_f64().unwrap() <= cert && cert <= 0.05);
        let widths = r["widths"].as_array().unwrap();
        let theorem = r["widths_theorem"].as_array().unwrap();
        assert_eq!((widths.len(), theorem.len()), (3, 3));
        for ((layer, w), th) in r["layers"]
            .as_array()
            .unwrap()
            .iter()
            .zip(widths)
            .zip(theorem)
        {
            assert_eq!(layer["width_sufficed"], true);
            assert_eq!(layer["empty_slots"], 0);
            assert_eq!(&layer["intermediate_width_theorem"], th);
            assert!(layer["width_needed"].as_u64().unwrap() <= w.as_u64().unwrap());
        }
        for f in ["large.safetensors", "masks.safetensors"] {
            assert!(out.join(f).is_file(), "{f} missing");
        }
        std::fs::remove_dir_all(&out).unwrap();
    }
    // A too-small width fails, names the construction and writes nothing.
    let out = scratch("batch-small");
    let o = prune(
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
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("batch:") && stderr.contains("of 64 target weights"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written");
}

/// The data offsets `[begin, end)` of a tensor of a safetensors file, in the file.
fn tensor_range(bytes: &[u8], name: &str) -> (usize, usize) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let o = &header[name]["data_offsets"];
    let (b, e) = (
        o[0].as_u64().unwrap() as usize,
        o[1].as_u64().unwrap() as usize,
    );
    (8 + n + b, 8 + n + e)
}

#[test]
fn verify_passes_on_a_good_ticket_and_fails_on_a_changed_weight_or_index() {
    for store_weights in [true, false] {
        let out = scratch(if store_weights {
            "verify-weights"
        } else {
            "verify-compact"
        });
        let mut args = vec![
            "--target".to_owned(),
            target("seq_bias"),
            "--eps".to_owned(),
            "0.05".to_owned(),
            "--construction".to_owned(),
            "shared-input".to_owned(),
            "--quiet".to_owned(),
            "--out".to_owned(),
            out.display().to_string(),
        ];
        if store_weights {
            args.push("--store-weights".to_owned());
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = prune(&refs, None);
        ok(&o);
        let form = if store_weights { "weights" } else { "compact" };
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            stdout.contains(if store_weights {
                "ticket with the kept weights"
            } else {
                "compact ticket"
            }),
            "{stdout}"
        );
        assert_eq!(report(&out)["ticket_form"], form);
        let ticket = out.join("ticket.safetensors");
        let report_path = out.join("report.json");
        let verify = |ticket: &Path| {
            logprune(
                &[
                    "verify",
                    "--ticket",
                    ticket.to_str().unwrap(),
                    "--report",
                    report_path.to_str().unwrap(),
                    "--target",
                    &target("seq_bias"),
                    "--quiet",
                ],
                None,
            )
        };
        let o = verify(&ticket);
        ok(&o);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            stdout.contains("matches")
                && stdout.contains("re-derived from G")
                && stdout.contains(&format!("({form} ticket)")),
            "{stdout}"
        );
        let good = std::fs::read(&ticket).unwrap();
        let check = |bad: Vec<u8>, name: &str, wanted: &[&str]| {
            let path = out.join(format!("{name}.safetensors"));
            std::fs::write(&path, &bad).unwrap();
            let o = verify(&path);
            assert_eq!(o.status.code(), Some(1), "{name}");
            let stderr = String::from_utf8_lossy(&o.stderr);
            for w in wanted {
                assert!(stderr.contains(w), "{name}: {w}: {stderr}");
            }
        };
        if store_weights {
            // One weight changed (the last mantissa bit of an output weight of layer 2).
            let (b, _) = tensor_range(&good, "layer2.edge_v");
            let mut bad = good.clone();
            bad[b] ^= 1;
            check(bad, "bad-weight", &["layer 2", "G's generator gives"]);
            // One index changed: the input of the first kept neuron of layer 1.
            let (b, _) = tensor_range(&good, "layer1.input");
            let mut bad = good.clone();
            bad[b] ^= 1;
            check(bad, "bad-index", &["layer 1"]);
        } else {
            // One index changed: the input of the first kept neuron of layer 1 (its entries
            // are one byte: the layer has 3 inputs with the bias unit).
            let (b, _) = tensor_range(&good, "layer1.input");
            let mut bad = good.clone();
            bad[b] = (bad[b] + 1) % 3;
            check(bad, "bad-input", &["layer 1: ", "position 0"]);
            // The z of the last kept neuron of layer 2 moved by one.
            let (_, e) = tensor_range(&good, "layer2.z_delta");
            let mut bad = good.clone();
            bad[e - 1] ^= 1;
            check(bad, "bad-z", &["layer 2: "]);
        }
        // A report that says something else.
        let mut r = report(&out);
        r["certified_bound"] = serde_json::json!(1.0);
        std::fs::write(out.join("report.json"), r.to_string()).unwrap();
        let o = verify(&ticket);
        assert_eq!(o.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("certified_bound"), "{stderr}");
        std::fs::remove_dir_all(&out).unwrap();
    }
}

#[test]
fn shards_merge_into_the_whole_run() {
    let dir = scratch("shards");
    let whole = dir.join("whole");
    let args = |out: &Path, extra: &[&str]| {
        let mut a = vec![
            "--target".to_owned(),
            target("seq_nobias"),
            "--eps".to_owned(),
            "0.05".to_owned(),
            "--quiet".to_owned(),
            "--out".to_owned(),
            out.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let run = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        prune(&refs, None)
    };
    ok(&run(args(&whole, &[])));
    let parts = dir.join("parts");
    for k in ["1/3", "2/3", "3/3"] {
        ok(&run(args(&parts, &["--shard", k])));
    }
    let merged = dir.join("merged");
    let mut m = vec![
        "merge".to_owned(),
        "--target".to_owned(),
        target("seq_nobias"),
        "--quiet".to_owned(),
        "--out".to_owned(),
        merged.display().to_string(),
    ];
    for k in 1..=3 {
        m.push(
            parts
                .join(format!("shard-{k}-of-3.ticket.safetensors"))
                .display()
                .to_string(),
        );
    }
    let refs: Vec<&str> = m.iter().map(String::as_str).collect();
    ok(&logprune(&refs, None));
    assert!(
        std::fs::read(whole.join("ticket.safetensors")).unwrap()
            == std::fs::read(merged.join("ticket.safetensors")).unwrap(),
        "the merged ticket is the whole run's"
    );
    let (mut a, mut b) = (report(&whole), report(&merged));
    a["seconds"] = serde_json::Value::Null;
    b["seconds"] = serde_json::Value::Null;
    assert_eq!(a, b);
    // A missing shard is refused.
    let refs: Vec<&str> = m[..m.len() - 1].iter().map(String::as_str).collect();
    let o = logprune(&refs, None);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing"));
    std::fs::remove_dir_all(&dir).unwrap();
}
