//! `cargo xtask scale`: the scale benchmarks. For each target (PyTorch's default
//! `nn.Linear` init, weights and biases U[±1/√fan_in], seeded; nothing trained), one
//! `logprune prune --eps 0.01 --input-box 0,1` in a child process (prune, certify, measure,
//! write the ticket), timed, with the child's peak resident memory (`VmHWM`). Wall-clock
//! figures go to `target/scale/`, never into `data/` or tests. Then one `logprune verify` of
//! the ticket and report just written, in a child process of its own, timed, with its peak
//! resident memory.
//!
//! - `100x100`, `300x300`: single layers (10^4 and 9·10^4 weights), where older builds can
//!   still run;
//! - `784-500-10`: the MNIST architecture Pensia et al. prune (397k weights);
//! - `10x1000`: ten layers of 1000 × 1000 (10^7 weights);
//! - `lenet5`, `resnet20`: the PyTorch-trained LeNet-5-style CNN and ResNet-20-style network
//!   of `data/models/` (ONNX), on the box `[0, 1]^784`; the ResNet with `--weight-tolerance
//!   1e-6` instead of `--eps`, since no `ε` is certifiable for it in `f64`.
//!
//! `--baseline BIN` also runs an older build's `BIN prune --target T --eps 0.01 --input-box 0,1
//! --quiet --out D` on the same target, right after the current code, and gives the ratios
//! (its peak memory is polled from `/proc/PID/status` while it runs).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use faer::Mat;
use logprune_network::{Activation, Layer, Network, network_to_safetensors};
use rand::{RngExt, SeedableRng};

use crate::project_root;

/// Arguments of `cargo xtask scale`.
#[derive(Debug, clap::Args)]
pub struct ScaleArgs {
    /// Run only this case (repeatable): 100x100, 300x300, 784-500-10, 10x1000, lenet5,
    /// resnet20.
    #[arg(long = "only", value_name = "CASE")]
    only: Vec<String>,
    /// An older build's binary (`logprune` or `xtask`) whose `prune` command is run on the
    /// same targets for the ratios to today's code.
    #[arg(long, value_name = "BIN")]
    baseline: Option<PathBuf>,
    /// Extra flags for `logprune prune` (e.g. `--construction shared-input`), after `--`.
    #[arg(last = true)]
    extra: Vec<String>,
}

/// Where a case's target comes from.
enum Source {
    /// A random MLP of these widths with PyTorch's default init.
    Mlp(&'static [usize]),
    /// A committed ONNX model under `data/models/`.
    Onnx(&'static str),
}

/// The cases: name, target, the accuracy flags of its `logprune prune`.
const CASES: &[(&str, Source, &[&str])] = &[
    ("100x100", Source::Mlp(&[100, 100]), EPS),
    ("300x300", Source::Mlp(&[300, 300]), EPS),
    ("784-500-10", Source::Mlp(&[784, 500, 10]), EPS),
    ("10x1000", Source::Mlp(&[1000; 11]), EPS),
    ("lenet5", Source::Onnx("lenet5_digits.onnx"), EPS),
    (
        "resnet20",
        Source::Onnx("resnet20_digits.onnx"),
        &["--weight-tolerance", "1e-6"],
    ),
];

/// `--eps 0.01`.
const EPS: &[&str] = &["--eps", "0.01"];

/// A target with PyTorch's default init: every layer's weights and biases U[±1/√fan_in],
/// ReLU between layers, identity output.
fn pytorch_default(widths: &[usize], seed: u64) -> Result<Network, String> {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let ell = widths.len() - 1;
    let layers = (0..ell)
        .map(|t| {
            let (n_in, n_out) = (widths[t], widths[t + 1]);
            let b = 1.0 / (n_in as f64).sqrt();
            let w = Mat::from_fn(n_out, n_in, |_, _| rng.random_range(-b..b));
            let bias = (0..n_out).map(|_| rng.random_range(-b..b)).collect();
            let act = if t + 1 == ell {
                Activation::Identity
            } else {
                Activation::Relu
            };
            Layer::with_bias(w, bias, act)
        })
        .collect();
    Network::new(layers).map_err(|e| e.to_string())
}

/// `cargo xtask target`: writes [`pytorch_default`] of `widths` with `seed` to `out`.
pub fn write_target(widths: &[usize], seed: u64, out: &Path) -> Result<String, String> {
    if widths.len() < 2 || widths.contains(&0) {
        return Err(format!(
            "--widths {widths:?}: expected at least two widths, each at least 1 (e.g. 784,500,10)"
        ));
    }
    let f = pytorch_default(widths, seed)?;
    let bytes = network_to_safetensors(&f).map_err(|e| e.to_string())?;
    logprune::fsutil::write_all_atomically(&[(out.to_path_buf(), bytes)])?;
    Ok(format!(
        "wrote {} ({} weights, widths {widths:?}, seed {seed})\n",
        out.display(),
        f.architecture().num_weights()
    ))
}

/// The child's peak resident memory in kB (`VmHWM` of `/proc/self/status`).
pub fn peak_rss_kb() -> Option<u64> {
    vm_hwm_kb("/proc/self/status")
}

/// `VmHWM` (peak resident memory, kB) of a `/proc/PID/status` file.
fn vm_hwm_kb(status: &str) -> Option<u64> {
    let s = std::fs::read_to_string(status).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the benchmarks; returns the table for stdout.
pub fn run(args: &ScaleArgs) -> Result<String, String> {
    for o in &args.only {
        if !CASES.iter().any(|c| c.0 == o) {
            return Err(format!(
                "--only {o}: no such case (expected one of: {})",
                CASES.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let dir = project_root().join("target").join("scale");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    if let Some(b) = &args.baseline
        && !b.is_file()
    {
        return Err(format!("--baseline {}: no such file", b.display()));
    }
    let mut table = String::from(
        "| target | target weights | wall (s) | plan / prune / check (s) | write (s) | peak RSS (GB) | ticket (MB) | kept | products per weight | prune (weights/s) | certified | measured | verify (s) | verify peak RSS (GB) |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let mut baseline_table = String::from(
        "| target | baseline wall (s) | baseline peak RSS (GB) | baseline output (MB) | wall: baseline / today | RSS: baseline / today |\n|---|---|---|---|---|---|\n",
    );
    for (name, source, accuracy) in CASES {
        let name = *name;
        if !args.only.is_empty() && !args.only.iter().any(|o| o == name) {
            continue;
        }
        let case = dir.join(name);
        std::fs::create_dir_all(&case).map_err(|e| e.to_string())?;
        let (target, n_weights) = match source {
            Source::Mlp(widths) => {
                let target = case.join("target.safetensors");
                let f = pytorch_default(widths, 2020)?;
                let bytes = network_to_safetensors(&f).map_err(|e| e.to_string())?;
                logprune::fsutil::write_all_atomically(&[(target.clone(), bytes)])?;
                (target, f.architecture().num_weights())
            }
            Source::Onnx(file) => {
                let target = project_root().join("data").join("models").join(file);
                let bytes =
                    std::fs::read(&target).map_err(|e| format!("{}: {e}", target.display()))?;
                let g = logprune_onnx::import(&bytes, &logprune_onnx::ImportOptions::default())
                    .map_err(|e| format!("{}: {e}", target.display()))?;
                (target, g.num_weights())
            }
        };
        let out = case.join("run");
        let _ = std::fs::remove_dir_all(&out);
        let start = Instant::now();
        let o = Command::new(&exe)
            .arg("scale-child")
            .arg(&target)
            .arg(&out)
            .arg("--")
            .args(accuracy.iter())
            .args(&args.extra)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        let wall = start.elapsed().as_secs_f64();
        let stdout = String::from_utf8_lossy(&o.stdout);
        if !o.status.success() {
            let _ = writeln!(
                table,
                "| {name} | {n_weights} | {wall:.1} | failed: {} | | | | | | | | | | |",
                String::from_utf8_lossy(&o.stderr).trim().replace('\n', " ")
            );
            continue;
        }
        let rss_kb: f64 = stdout
            .lines()
            .find_map(|l| l.strip_prefix("peak_rss_kb "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(f64::NAN);
        let report: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.join("report.json")).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        let ticket_mb = std::fs::metadata(out.join("ticket.safetensors"))
            .map(|m| m.len() as f64 / 1e6)
            .unwrap_or(f64::NAN);
        let s = &report["seconds"];
        let g = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
        let staged = g(&s["total"]);
        let weights = g(&report["n_weights_target"]);
        // `logprune verify` of the ticket just written, in a child of its own.
        let start = Instant::now();
        let v = Command::new(&exe)
            .arg("scale-verify-child")
            .arg(&target)
            .arg(&out)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        let verify_wall = start.elapsed().as_secs_f64();
        let verify = if v.status.success() {
            let kb: f64 = String::from_utf8_lossy(&v.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("peak_rss_kb "))
                .and_then(|x| x.trim().parse().ok())
                .unwrap_or(f64::NAN);
            format!("{verify_wall:.1} | {:.2}", kb / 1e6)
        } else {
            format!(
                "failed: {} | —",
                String::from_utf8_lossy(&v.stderr).trim().replace('\n', " ")
            )
        };
        let _ = writeln!(
            table,
            "| {name} | {n_weights} | {wall:.1} | {:.1} / {:.1} / {:.1} | {:.1} | {:.2} | {ticket_mb:.0} | {} | {:.0} | {:.0} | {:.2e} | {:.2e} | {verify} |",
            g(&s["plan"]),
            g(&s["prune"]),
            g(&s["check"]),
            wall - staged,
            rss_kb / 1e6,
            report["kept_neurons_total"],
            g(&report["products_per_target_weight"]),
            weights / g(&s["prune"]),
            g(&report["certified_bound"]),
            g(&report["empirical_max_error"]),
        );
        // An older build reads no ONNX: the baseline runs the MLP cases only.
        if let (Some(bin), Source::Mlp(_)) = (&args.baseline, source) {
            let bout = case.join("baseline");
            let _ = std::fs::remove_dir_all(&bout);
            let b = run_polled(
                Command::new(bin)
                    .arg("prune")
                    .arg("--target")
                    .arg(&target)
                    .args(accuracy.iter())
                    .args(["--input-box", "0,1", "--quiet", "--out"])
                    .arg(&bout),
                &case.join("baseline.stderr"),
            )?;
            let out_mb = dir_bytes(&bout) as f64 / 1e6;
            let _ = std::fs::remove_dir_all(&bout);
            let (outcome, ratios) = if b.ok {
                (
                    format!("{:.1}", b.wall),
                    format!("{:.1}× | {:.1}×", b.wall / wall, b.peak_kb as f64 / rss_kb),
                )
            } else {
                (
                    format!("{:.1} (failed: {})", b.wall, b.error),
                    "— | —".to_owned(),
                )
            };
            let _ = writeln!(
                baseline_table,
                "| {name} | {outcome} | {:.2} | {out_mb:.0} | {ratios} |",
                b.peak_kb as f64 / 1e6,
            );
        }
    }
    if args.baseline.is_some() {
        table.push('\n');
        table.push_str(&baseline_table);
    }
    std::fs::write(dir.join("scale.md"), &table).map_err(|e| e.to_string())?;
    let mut text = table;
    let _ = writeln!(
        text,
        "\nwrote {} (2 cores: RAYON_NUM_THREADS unset uses them all)",
        dir.join("scale.md").display()
    );
    Ok(text)
}

/// What a polled baseline run gave.
struct Polled {
    ok: bool,
    error: String,
    wall: f64,
    peak_kb: u64,
}

/// Runs `cmd` to completion, polling its peak resident memory (`VmHWM`) every 10 ms; its
/// standard error goes to the file `stderr` (not a pipe, which a chatty child could fill).
fn run_polled(cmd: &mut Command, stderr: &Path) -> Result<Polled, String> {
    let err_file = std::fs::File::create(stderr)
        .map_err(|e| format!("cannot create {}: {e}", stderr.display()))?;
    let start = Instant::now();
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(err_file)
        .spawn()
        .map_err(|e| format!("cannot run the baseline: {e}"))?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0;
    let status = loop {
        if let Some(kb) = vm_hwm_kb(&status_path) {
            peak_kb = peak_kb.max(kb);
        }
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(s) => break s,
            None => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    };
    let wall = start.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(stderr).unwrap_or_default();
    let error = format!(
        "{status}: {}",
        text.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .replace('|', "/")
    );
    Ok(Polled {
        ok: status.success(),
        error,
        wall,
        peak_kb,
    })
}

/// Total size of the files in `dir` (0 if it does not exist).
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// The child of one case: `logprune prune` on `target` into `out` with `extra` (the case's
/// accuracy flags first), then its peak memory.
pub fn child(target: &Path, out: &Path, extra: &[String]) -> Result<String, String> {
    use clap::Parser;
    let mut argv: Vec<String> = [
        "logprune",
        "prune",
        "--target",
        &target.display().to_string(),
        "--input-box",
        "0,1",
        "--quiet",
        "--out",
        &out.display().to_string(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    argv.extend(extra.iter().cloned());
    let cli = logprune::Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let summary = logprune::run(&cli.command)?;
    Ok(format!(
        "{summary}peak_rss_kb {}\n",
        peak_rss_kb().unwrap_or(0)
    ))
}

/// One `logprune verify --target T --input-box 0,1` of the run in `out`, in this process;
/// prints its summary and its peak resident memory.
///
/// # Errors
/// What failed.
pub fn verify_child(target: &Path, out: &Path) -> Result<String, String> {
    use clap::Parser;
    let argv = [
        "logprune".to_owned(),
        "verify".to_owned(),
        "--target".to_owned(),
        target.display().to_string(),
        "--input-box".to_owned(),
        "0,1".to_owned(),
        "--quiet".to_owned(),
        "--ticket".to_owned(),
        out.join("ticket.safetensors").display().to_string(),
        "--report".to_owned(),
        out.join("report.json").display().to_string(),
    ];
    let cli = logprune::Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let summary = logprune::run(&cli.command)?;
    Ok(format!(
        "{summary}peak_rss_kb {}\n",
        peak_rss_kb().unwrap_or(0)
    ))
}

/// `target/scale/<case>` paths, for the child's arguments.
pub fn case_paths(target: &str, out: &str) -> (PathBuf, PathBuf) {
    (PathBuf::from(target), PathBuf::from(out))
}
