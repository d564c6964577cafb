//! `BatchNormalization` (inference form) → [`Op::Scale`] with `scale = γ/√(var + ε)` and
//! `shift = β − mean·scale`, computed in `f64`; a graph pass folds it into a preceding conv or
//! dense node whose value only the batch norm reads.

use logprune_network::Op;

use crate::attr::At;
use crate::builder::{Builder, Origin, Value};
use crate::error::OnnxError;

pub(crate) fn batch_norm(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    at.known_attributes(&["epsilon", "momentum", "training_mode"])?;
    at.int_in("training_mode", 0, &[0])?;
    if at.node.output.iter().skip(1).any(|o| !o.is_empty()) {
        return Err(at.err(
            "the running mean and variance outputs are training mode; only the inference form (one output) is supported",
        ));
    }
    let epsilon = at.float("epsilon")?.unwrap_or(1e-5);
    let (x, rank) = b.computed(at, 0)?;
    let channels = b.shape(x).c;
    let mut params = Vec::with_capacity(4);
    for (k, what) in [(1, "scale"), (2, "B"), (3, "input_mean"), (4, "input_var")] {
        let t = b.constant(at, k)?;
        if t.len() != channels || t.dims.len() != 1 {
            return Err(at.err(format!(
                "{what} has dims {:?}; expected [{channels}] (one per channel)",
                t.dims
            )));
        }
        params.push(t.floats().map_err(|e| at.err(format!("{what} {e}")))?);
    }
    let (gamma, beta, mean, var) = (&params[0], &params[1], &params[2], &params[3]);
    let mut scale = Vec::with_capacity(channels);
    let mut shift = Vec::with_capacity(channels);
    for c in 0..channels {
        let denom = var[c] + epsilon;
        // Written so that NaN fails too.
        if denom.is_nan() || denom <= 0.0 {
            return Err(at.err(format!(
                "channel {c}: var + epsilon = {denom}; a positive number is expected"
            )));
        }
        let s = gamma[c] / denom.sqrt();
        scale.push(s);
        shift.push(beta[c] - mean[c] * s);
    }
    let op = Op::Scale {
        scale,
        shift: Some(shift),
    };
    let id = b.push(at, op, vec![x], Origin::Foldable)?;
    b.bind(at, Value::Computed { id, rank })
}
