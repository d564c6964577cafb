//! `logprune` runs that must not mix up targets or leave files behind, through the built
//! binary: fingerprints refused by `merge` and `verify`, every missing shard named, the merged
//! report's stage times, `--print-resources`, and SIGTERM / SIGINT sent to a running prune.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use logprune_network::{
    LoadOptions, NamedTensor, load_network, network_to_safetensors, sequential_bias_name,
    sequential_weight_name, write_tensors,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../network/tests/fixtures/{name}.safetensors"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("logprune-runs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn logprune(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logprune"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn failed(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The fixture `seq_nobias` with its first weight moved by `by`, written into `dir`.
fn nudged(dir: &Path, by: f64) -> PathBuf {
    let f = load_network(
        &std::fs::read(fixture("seq_nobias")).unwrap(),
        &LoadOptions::default(),
    )
    .unwrap();
    let mut layers = f.into_layers();
    layers[0].weight[(0, 0)] += by;
    let g = logprune_network::Network::new(layers).unwrap();
    let path = dir.join(format!("nudged-{by}.safetensors"));
    std::fs::write(&path, network_to_safetensors(&g).unwrap()).unwrap();
    path
}

/// Prunes shards `ks` of `n` of `target` into `dir`; returns their files.
fn shards(target: &Path, dir: &Path, ks: &[u32], n: u32) -> Vec<PathBuf> {
    ks.iter()
        .map(|k| {
            let shard = format!("{k}/{n}");
            ok(&logprune(&[
                "prune",
                "--target",
                s(target),
                "--eps",
                "0.05",
                "--quiet",
                "--shard",
                &shard,
                "--out",
                s(dir),
            ]));
            dir.join(format!("shard-{k}-of-{n}.ticket.safetensors"))
        })
        .collect()
}

fn merge(target: &Path, out: &Path, files: &[PathBuf]) -> Output {
    let mut args = vec!["merge", "--target", s(target), "--quiet", "--out", s(out)];
    args.extend(files.iter().map(|p| s(p)));
    logprune(&args)
}

#[test]
fn merge_and_verify_refuse_another_target_naming_the_shard() {
    let dir = scratch("fingerprint");
    let f = fixture("seq_nobias");
    let g = nudged(&dir, 1e-7);
    let parts = dir.join("parts");
    let files = shards(&f, &parts, &[1, 2, 3], 3);

    // The target given to merge differs in one weight by 1e-7.
    let out = dir.join("merged-g");
    let e = failed(&merge(&g, &out, &files));
    assert!(
        e.contains("shard-1-of-3.ticket.safetensors: shard 1/3 was pruned for another target")
            && e.contains("weights or structure"),
        "{e}"
    );
    assert!(!out.exists(), "nothing written");

    // One shard was pruned for that other target.
    let other = dir.join("other");
    let foreign = shards(&g, &other, &[2], 3).remove(0);
    let mixed = [files[0].clone(), foreign.clone(), files[2].clone()];
    let e = failed(&merge(&f, &out, &mixed));
    assert!(
        e.contains(&format!(
            "{}: shard 2/3 was pruned for another target",
            foreign.display()
        )),
        "{e}"
    );
    assert!(!out.exists(), "nothing written");

    // The right shards merge, and the merged report keeps the shards' stage times.
    let merged = dir.join("merged");
    let o = merge(&f, &merged, &files);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("slowest shard"));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(merged.join("report.json")).unwrap()).unwrap();
    let sec = &r["seconds"];
    assert_eq!(sec["shards"]["shards"], 3);
    let prune = sec["prune"].as_f64().unwrap();
    assert!(prune > 0.0, "{sec}");
    assert_eq!(sec["shards"]["prune_total"].as_f64().unwrap(), prune);
    assert!(sec["shards"]["slowest"]["index"].as_u64().unwrap() >= 1);

    // verify: the merged ticket against the right target passes (with its report), against
    // the nudged one fails before recomputing anything.
    let verify = |target: &Path| {
        logprune(&[
            "verify",
            "--ticket",
            s(&merged.join("ticket.safetensors")),
            "--report",
            s(&merged.join("report.json")),
            "--target",
            s(target),
            "--quiet",
        ])
    };
    let o = verify(&f);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("fingerprint matches"));
    let e = failed(&verify(&g));
    assert!(
        e.contains(
            "the ticket was pruned for another target: the target's weights or structure differ"
        ),
        "{e}"
    );
    // Another domain, too.
    let e = failed(&logprune(&[
        "verify",
        "--ticket",
        s(&merged.join("ticket.safetensors")),
        "--report",
        s(&merged.join("report.json")),
        "--target",
        s(&f),
        "--input-box",
        "0,1",
        "--quiet",
    ]));
    assert!(e.contains("the domain differs"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_ticket_without_a_fingerprint_still_verifies_and_the_output_says_so() {
    let dir = scratch("old");
    let f = fixture("seq_nobias");
    let run = dir.join("run");
    ok(&logprune(&[
        "prune",
        "--target",
        s(&f),
        "--eps",
        "0.05",
        "--quiet",
        "--out",
        s(&run),
    ]));
    // The same ticket as written before fingerprints.
    let path = run.join("ticket.safetensors");
    let mut t = logprune_construction::read_ticket(&std::fs::read(&path).unwrap()).unwrap();
    assert!(t.spec.fingerprint.is_some());
    t.spec.fingerprint = None;
    let old = dir.join("old.ticket.safetensors");
    std::fs::write(
        &old,
        logprune_construction::ticket::ticket_bytes(&t.spec, &t.pruned, &t.stats, t.form).unwrap(),
    )
    .unwrap();
    let o = logprune(&[
        "verify",
        "--ticket",
        s(&old),
        "--report",
        s(&run.join("report.json")),
        "--target",
        s(&f),
        "--quiet",
    ]);
    ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("note: the ticket has no fingerprint") && out.contains("verified"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn merge_names_every_missing_shard_as_an_array_spec() {
    let dir = scratch("missing");
    let f = fixture("seq_nobias");
    let files = shards(&f, &dir.join("parts"), &[1, 3, 5], 5);
    let out = dir.join("merged");
    let e = failed(&merge(&f, &out, &files));
    assert!(
        e.contains("2 of 5 shards missing: 2,4 (resubmit them with --array=2,4)"),
        "{e}"
    );
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn print_resources_gives_sbatch_flags_and_prunes_nothing() {
    let dir = scratch("resources");
    let out = dir.join("out");
    let run = |threads: &str, extra: &[&str]| {
        let mut args: Vec<String> = vec![
            "prune".into(),
            "--target".into(),
            fixture("seq_bias").to_str().unwrap().to_owned(),
            "--eps".into(),
            "0.05".into(),
            "--print-resources".into(),
        ];
        args.extend(extra.iter().map(|x| (*x).to_owned()));
        Command::new(env!("CARGO_BIN_EXE_logprune"))
            .args(&args)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap()
    };
    let o = run("3", &["--shard", "2/8", "--out", s(&out)]);
    ok(&o);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let words: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(words.len(), 2, "{text}");
    let mib: u64 = words[0]
        .strip_prefix("--mem=")
        .and_then(|m| m.strip_suffix('M'))
        .unwrap()
        .parse()
        .unwrap();
    assert!(mib >= 128, "{text}");
    assert_eq!(words[1], "--cpus-per-task=3");
    assert!(!out.exists(), "nothing pruned or written");
    // No --out needed; a whole run too.
    let o = run("1", &[]);
    ok(&o);
    assert!(
        String::from_utf8_lossy(&o.stdout).ends_with("--cpus-per-task=1\n"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // Without --print-resources, --out is still required.
    let o = logprune(&[
        "prune",
        "--target",
        s(&fixture("seq_bias")),
        "--eps",
        "0.05",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--out"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A random 784-500-10 target with biases (deterministic, splitmix64), as a file.
fn mnist_sized_target(path: &Path) {
    let mut state = 2020u64;
    let mut uniform = |b: f64| {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        b * (2.0 * (z >> 11) as f64 / (1u64 << 53) as f64 - 1.0)
    };
    let widths = [784usize, 500, 10];
    let mut tensors = Vec::new();
    for k in 0..2 {
        let (n_in, n_out) = (widths[k], widths[k + 1]);
        let b = 1.0 / (n_in as f64).sqrt();
        let w = (0..n_in * n_out).map(|_| uniform(b)).collect();
        let bias = (0..n_out).map(|_| uniform(b)).collect();
        tensors.push(NamedTensor::f64(sequential_weight_name(k), vec![n_out, n_in], w).unwrap());
        tensors.push(NamedTensor::f64(sequential_bias_name(k), vec![n_out], bias).unwrap());
    }
    std::fs::write(path, write_tensors(&tensors).unwrap()).unwrap();
}

/// The names in `dir` (empty if it does not exist), sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Starts `logprune prune` on `target` into `out` (784-500-10, ε = 0.01 on [0, 1]^784).
fn start_prune(target: &Path, out: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_logprune"))
        .args([
            "prune",
            "--target",
            s(target),
            "--eps",
            "0.01",
            "--input-box",
            "0,1",
            "--quiet",
            "--out",
            s(out),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn kill(child: &std::process::Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal}");
}

#[test]
fn sigterm_and_sigint_stop_a_run_and_leave_out_as_it_was() {
    let dir = scratch("signals");
    let target = dir.join("784-500-10.safetensors");
    mnist_sized_target(&target);

    // SIGTERM 1 s in: --out did not exist and does not.
    let out = dir.join("term");
    let child = start_prune(&target, &out);
    std::thread::sleep(Duration::from_secs(1));
    kill(&child, "TERM");
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(143), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("stopped by SIGTERM"), "{stderr}");
    assert!(!out.exists(), "{:?}", listing(&out));

    // SIGINT 1 s in: --out held a file, and holds just it.
    let out = dir.join("int");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.txt"), b"mine").unwrap();
    let child = start_prune(&target, &out);
    std::thread::sleep(Duration::from_secs(1));
    kill(&child, "INT");
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped by SIGINT"), "{stderr}");
    assert_eq!(listing(&out), ["keep.txt"]);
    assert_eq!(std::fs::read(out.join("keep.txt")).unwrap(), b"mine");

    // SIGTERM once the ticket's temporaries exist (while layer 2, the check or the write
    // run): they are removed.
    let out = dir.join("temps");
    let mut child = start_prune(&target, &out);
    let start = Instant::now();
    let seen = loop {
        let names = listing(&out);
        if names.iter().any(|n| n.contains(".tmp-")) {
            break names;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before its temporaries were seen"
        );
        assert!(start.elapsed() < Duration::from_secs(600), "no temporaries");
        std::thread::sleep(Duration::from_millis(2));
    };
    kill(&child, "TERM");
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(143), "{stderr} (had {seen:?})");
    assert!(!out.exists(), "{:?} (had {seen:?})", listing(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}
