//! The ONNX schema (`proto/onnx.proto`, Apache-2.0, from onnx 1.23.2) as Rust types,
//! generated once by prost-build with protox and committed (`onnx.rs`); regenerate or
//! check it with `crates/onnx/codegen` (see the crate's README).

#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::pedantic, unreachable_pub)]
pub(crate) mod onnx;
