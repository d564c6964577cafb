//! Shared helpers of the integration tests.
#![allow(dead_code)]

/// Named tolerances (statrs style): no magic epsilons in the tests.
pub mod prec {
    /// Relative agreement of two f64 evaluations of the same network that sum
    /// in different orders (numpy/BLAS vs ours, batch vs single): a few
    /// hundred ulps covers depth 12 and width 9 with room to spare.
    pub const FORWARD_REL: f64 = 1e-12;
    /// Absolute floor for the same comparison, for outputs near 0.
    pub const FORWARD_ABS: f64 = 1e-13;
    /// How far a certified bound over a finite set may exceed the computed
    /// value: the rounding allowance of interval propagation, relative.
    pub const CERTIFIED_SLACK_REL: f64 = 1e-10;

    /// `|a - b| ≤ FORWARD_REL·max(|a|, |b|) + FORWARD_ABS`.
    pub fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= FORWARD_REL * a.abs().max(b.abs()) + FORWARD_ABS
    }
}

/// A safetensors file from a raw JSON header and data bytes (header length as
/// 8 little-endian bytes, then the header, then the data).
pub fn raw_safetensors(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// Little-endian bytes of f32 values.
pub fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}
