//! Graph passes after mapping: per-channel affine maps folded into the conv or dense node
//! before them, then the nodes the output does not read dropped and the rest renumbered.

use logprune_network::{Node, NodeId, Op};

use crate::builder::Origin;

/// Folds `x ↦ scale·x + shift` (per output channel) into a conv or dense operation:
/// `W[a, ·] ← scale[a]·W[a, ·]`, `b[a] ← scale[a]·b[a] + shift[a]`, in `f64`. Returns
/// whether `op` is linear (and so was changed).
fn fold_into(op: &mut Op, scale: &[f64], shift: Option<&[f64]>) -> bool {
    let new_bias = |bias: &Option<Vec<f64>>| -> Option<Vec<f64>> {
        match (bias, shift) {
            (None, None) => None,
            (b, t) => Some(
                (0..scale.len())
                    .map(|a| scale[a] * b.as_ref().map_or(0.0, |b| b[a]) + t.map_or(0.0, |t| t[a]))
                    .collect(),
            ),
        }
    };
    match op {
        Op::Dense { weight, bias } if weight.nrows() == scale.len() => {
            for j in 0..weight.ncols() {
                for (a, &s) in scale.iter().enumerate() {
                    weight[(a, j)] *= s;
                }
            }
            *bias = new_bias(bias);
            true
        }
        Op::Conv(conv) if conv.c_out == scale.len() => {
            let per = conv.weight.len() / conv.c_out.max(1);
            for (a, &s) in scale.iter().enumerate() {
                for w in &mut conv.weight[a * per..(a + 1) * per] {
                    *w *= s;
                }
            }
            conv.bias = new_bias(&conv.bias);
            true
        }
        _ => false,
    }
}

/// Folds every foldable scale node whose input is a conv or dense node read by nothing
/// else, drops the nodes `output` does not depend on, and renumbers the rest (the output
/// becomes the last node).
pub(crate) fn finish(nodes: Vec<Node>, origins: &[Origin], output: NodeId) -> Vec<Node> {
    let n = nodes.len();
    let mut nodes: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    let mut alias: Vec<NodeId> = (0..=n).collect();
    let mut uses = vec![0usize; n + 1];
    for node in nodes.iter().flatten() {
        for &i in &node.inputs {
            uses[i] += 1;
        }
    }
    uses[output] += 1;
    for k in 0..n {
        let id = k + 1;
        let Some(node) = nodes[k].as_mut() else {
            continue;
        };
        for i in &mut node.inputs {
            *i = alias[*i];
        }
        let Op::Scale { scale, shift } = &node.op else {
            continue;
        };
        let p = node.inputs[0];
        if origins[k] != Origin::Foldable || p == 0 || uses[p] != 1 {
            continue;
        }
        let (scale, shift) = (scale.clone(), shift.clone());
        let folded = nodes[p - 1]
            .as_mut()
            .is_some_and(|prev| fold_into(&mut prev.op, &scale, shift.as_deref()));
        if folded {
            nodes[k] = None;
            alias[id] = p;
            uses[p] = uses[id];
        }
    }
    let output = alias[output];
    let mut keep = vec![false; n + 1];
    keep[output] = true;
    for id in (1..=n).rev() {
        if let (true, Some(node)) = (keep[id], &nodes[id - 1]) {
            for &i in &node.inputs {
                keep[i] = true;
            }
        }
    }
    let mut new_id = vec![0; n + 1];
    let mut out = Vec::new();
    for id in 1..=n {
        if !keep[id] {
            continue;
        }
        if let Some(mut node) = nodes[id - 1].take() {
            for i in &mut node.inputs {
                *i = new_id[*i];
            }
            out.push(node);
            new_id[id] = out.len();
        }
    }
    out
}
