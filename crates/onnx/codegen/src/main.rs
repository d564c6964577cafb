//! Writes `crates/onnx/src/proto/onnx.rs` from the vendored `crates/onnx/proto/onnx.proto`
//! (`cargo run --manifest-path crates/onnx/codegen/Cargo.toml`), or with `--check` fails
//! when the committed file differs from what the schema generates.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().skip(1).any(|a| a == "--check");
    match run(check) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!(
                "crates/onnx/src/proto/onnx.rs is stale: run `cargo run --manifest-path crates/onnx/codegen/Cargo.toml`"
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(check: bool) -> Result<bool, Box<dyn std::error::Error>> {
    let crate_dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("codegen has no parent directory")?
        .to_path_buf();
    let proto_dir = crate_dir.join("proto");
    let target = crate_dir.join("src").join("proto").join("onnx.rs");
    let fds = protox::compile(["onnx.proto"], [&proto_dir])?;
    let out = std::env::temp_dir().join(format!("logprune-onnx-codegen-{}", std::process::id()));
    std::fs::create_dir_all(&out)?;
    prost_build::Config::new()
        // The schema's comments hold indented text that rustdoc would run as doctests.
        .disable_comments(["."])
        .out_dir(&out)
        .compile_fds(fds)?;
    let generated = std::fs::read_to_string(out.join("onnx.rs"))?;
    std::fs::remove_dir_all(&out)?;
    if check {
        let committed = std::fs::read_to_string(&target).unwrap_or_default();
        return Ok(committed == generated);
    }
    std::fs::create_dir_all(target.parent().ok_or("no parent")?)?;
    std::fs::write(&target, generated)?;
    println!("wrote {}", target.display());
    Ok(true)
}
