//! Activations → [`Op::Activation`]: `Relu`, `Tanh`, `Sigmoid`, `LeakyRelu(alpha)`,
//! `Elu(alpha)`, `Gelu` (exact form), and GELU's erf form as exporters write it for opsets
//! without `Gelu`: `Div(x, √2) → Erf → Add(1) → Mul(x) → Mul(0.5)` (or `Mul(x, 1/√2)` first;
//! operands in either order; constants checked to [`GELU_RTOL`] relative).

use logprune_network::{Activation, Op};

use crate::attr::At;
use crate::builder::{Absorbed, Builder, Origin, Value};
use crate::error::OnnxError;

/// Relative tolerance on the constants of GELU's erf form (they are stored as float32).
pub(crate) const GELU_RTOL: f64 = 1e-6;

fn close(x: f64, expected: f64) -> bool {
    (x - expected).abs() <= GELU_RTOL * expected.abs()
}

/// The activation of an activation node (attributes checked).
fn activation_of(at: &At) -> Result<Activation, OnnxError> {
    match at.op_type() {
        "Relu" | "Tanh" | "Sigmoid" => {
            at.known_attributes(&[])?;
            Ok(match at.op_type() {
                "Relu" => Activation::Relu,
                "Tanh" => Activation::Tanh,
                _ => Activation::Sigmoid,
            })
        }
        "LeakyRelu" => {
            at.known_attributes(&["alpha"])?;
            leaky_relu(at, at.float("alpha")?.unwrap_or(0.01))
        }
        "Elu" => {
            at.known_attributes(&["alpha"])?;
            elu(at, at.float("alpha")?.unwrap_or(1.0))
        }
        _ => {
            at.known_attributes(&["approximate"])?;
            match at.string("approximate")?.as_deref() {
                None | Some("none") => gelu(at),
                Some(other) => Err(at.attr_err("approximate", other, "none (the exact, erf form)")),
            }
        }
    }
}

fn finite(at: &At, alpha: f64) -> Result<f64, OnnxError> {
    if alpha.is_finite() {
        Ok(alpha)
    } else {
        Err(at.attr_err("alpha", alpha.to_string(), "a finite number"))
    }
}

fn leaky_relu(at: &At, alpha: f64) -> Result<Activation, OnnxError> {
    Ok(Activation::LeakyRelu(finite(at, alpha)?))
}

fn elu(at: &At, alpha: f64) -> Result<Activation, OnnxError> {
    Ok(Activation::Elu(finite(at, alpha)?))
}

fn gelu(_at: &At) -> Result<Activation, OnnxError> {
    Ok(Activation::Gelu)
}

pub(crate) fn activation(b: &mut Builder, at: &At) -> Result<(), OnnxError> {
    let act = activation_of(at)?;
    let (x, rank) = b.computed(at, 0)?;
    let id = b.push(at, Op::Activation(act), vec![x], Origin::Fixed)?;
    b.bind(at, Value::Computed { id, rank })
}

/// The one node reading output 0 of node `index`, if it has operator `op_type`.
fn single_consumer(b: &Builder, index: usize, op_type: &str) -> Option<usize> {
    match b.only_consumers(index)? {
        [k] if b.proto_nodes[*k].op_type.as_deref() == Some(op_type)
            && matches!(
                b.proto_nodes[*k].domain.as_deref(),
                None | Some("" | "ai.onnx")
            ) =>
        {
            Some(*k)
        }
        _ => None,
    }
}

/// The other input of a two-input node, given one of its inputs by name.
fn other_input(b: &Builder, index: usize, name: &str) -> Option<String> {
    match b.proto_nodes[index].input.as_slice() {
        [p, q] if p == name => Some(q.clone()),
        [p, q] if q == name => Some(p.clone()),
        _ => None,
    }
}

/// Tries GELU's erf form at node `at` (a `Div` by √2 or a `Mul` by 1/√2 of a computed value
/// `x`). On a match, pushes one GELU node, binds the last `Mul`'s output to it, and marks
/// the other four nodes absorbed (their constants are checked when they are reached, as
/// exporters may define those constants after the `Div`). Returns whether it matched.
pub(crate) fn try_gelu_erf(b: &mut Builder, at: &At) -> Result<bool, OnnxError> {
    let div = at.op_type() == "Div";
    let inputs = &at.node.input;
    if inputs.len() != 2 || !at.node.attribute.is_empty() {
        return Ok(false);
    }
    // x / √2, x · (1/√2) or (1/√2) · x.
    let candidates: &[(usize, usize)] = if div { &[(0, 1)] } else { &[(0, 1), (1, 0)] };
    let expected = if div {
        core::f64::consts::SQRT_2
    } else {
        core::f64::consts::FRAC_1_SQRT_2
    };
    let mut x_name = None;
    for &(xi, ci) in candidates {
        let (Some(Value::Computed { .. }), Some(Value::Const(c))) =
            (b.values.get(&inputs[xi]), b.values.get(&inputs[ci]))
        else {
            continue;
        };
        if c.scalar().is_ok_and(|v| close(v, expected)) {
            x_name = Some(inputs[xi].clone());
        }
    }
    let Some(x_name) = x_name else {
        return Ok(false);
    };
    let Some(erf) = single_consumer(b, at.index, "Erf") else {
        return Ok(false);
    };
    let Some(add) = single_consumer(b, erf, "Add") else {
        return Ok(false);
    };
    let erf_out = b.proto_nodes[erf]
        .output
        .first()
        .cloned()
        .unwrap_or_default();
    let Some(one) = other_input(b, add, &erf_out) else {
        return Ok(false);
    };
    let Some(mul) = single_consumer(b, add, "Mul") else {
        return Ok(false);
    };
    let add_out = b.proto_nodes[add]
        .output
        .first()
        .cloned()
        .unwrap_or_default();
    if other_input(b, mul, &add_out).as_deref() != Some(x_name.as_str()) {
        return Ok(false);
    }
    let Some(half_mul) = single_consumer(b, mul, "Mul") else {
        return Ok(false);
    };
    let mul_out = b.proto_nodes[mul]
        .output
        .first()
        .cloned()
        .unwrap_or_default();
    let Some(half) = other_input(b, half_mul, &mul_out) else {
        return Ok(false);
    };
    let Some(out) = b.proto_nodes[half_mul].output.first().cloned() else {
        return Ok(false);
    };
    let Some(Value::Computed { id: x, rank }) = b.values.get(&x_name).cloned() else {
        return Ok(false);
    };
    let act = gelu(at)?;
    let id = b.push(at, Op::Activation(act), vec![x], Origin::Fixed)?;
    b.bind_name(at, out, Value::Computed { id, rank })?;
    b.absorbed.insert(erf, Absorbed { constant: None });
    b.absorbed.insert(
        add,
        Absorbed {
            constant: Some((one, 1.0)),
        },
    );
    b.absorbed.insert(mul, Absorbed { constant: None });
    b.absorbed.insert(
        half_mul,
        Absorbed {
            constant: Some((half, 0.5)),
        },
    );
    Ok(true)
}

/// Checks an absorbed node's constant operand once it is defined.
pub(crate) fn check_absorbed(b: &Builder, at: &At, absorbed: &Absorbed) -> Result<(), OnnxError> {
    if let Some((name, expected)) = &absorbed.constant {
        let ok = match b.values.get(name) {
            Some(Value::Const(c)) => c.scalar().is_ok_and(|v| close(v, *expected)),
            _ => false,
        };
        if !ok {
            return Err(at.err(format!(
                "this node completes GELU's erf form x·0.5·(1 + erf(x/√2)) except that `{name}` is not the constant {expected}; only that form of Erf is supported"
            )));
        }
    }
    Ok(())
}
