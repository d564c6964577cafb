//! `logprune prune --hidden-activation` on the PyTorch-trained digits MLPs of `data/models/`
//! (tanh and sigmoid hidden layers, with biases): certified tickets that `verify` accepts
//! only with the activation they were pruned for.
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
    let dir = std::env::temp_dir().join(format!("logprune-act-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn logprune(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logprune"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn tanh_and_sigmoid_mlps_prune_to_certified_tickets() {
    for act in ["tanh", "sigmoid"] {
        let out = scratch(act);
        let target = model(&format!("mlp_{act}_digits.safetensors"));
        let dir = out.to_str().unwrap();
        let common = ["--target", &target, "--input-box", "0,1", "--quiet"];
        let mut args = vec![
            "prune",
            "--eps",
            "0.01",
            "--hidden-activation",
            act,
            "--out",
            dir,
        ];
        args.extend_from_slice(&common);
        let o = logprune(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        let certified = report["certified_bound"].as_f64().unwrap();
        let measured = report["empirical_max_error"].as_f64().unwrap();
        assert!(
            certified <= 0.01 && measured <= certified,
            "{act}: {certified} {measured}"
        );
        let ticket = out.join("ticket.safetensors");
        let rep = out.join("report.json");
        let (ticket, rep) = (ticket.to_str().unwrap(), rep.to_str().unwrap());
        let verify = |hidden: &str| {
            let mut v = vec!["verify", "--ticket", ticket, "--report", rep];
            v.extend_from_slice(&["--hidden-activation", hidden]);
            v.extend_from_slice(&common);
            logprune(&v)
        };
        let o = verify(act);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        // The same weights read with ReLU hidden layers are another target.
        let o = verify("relu");
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let _ = std::fs::remove_dir_all(&out);
    }
}

#[test]
fn an_unknown_activation_names_the_flag() {
    let o = logprune(&[
        "prune",
        "--target",
        &model("mlp_tanh_digits.safetensors"),
        "--eps",
        "0.01",
        "--hidden-activation",
        "swish",
        "--out",
        scratch("bad").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--hidden-activation") && err.contains("swish"),
        "{err}"
    );
    assert!(!scratch("bad").exists());
}
