//! Ĝ of a graph target as a graph of ordinary operations ([`pruned_graph`]), for a small Ĝ:
//! what PyTorch or onnxruntime run directly (the ONNX exporter writes it).

use faer::Mat;
use logprune_network::{Activation, Conv2d, Graph, Node, NodeId, Op, Window};

use super::{Stage, StageKind};
use crate::{ConstructionError, PrunedNetwork};

/// The bytes of the dense weights of [`pruned_graph`] (its U and V layers, `f64`).
pub fn pruned_graph_bytes(stages: &[Stage], pruned: &PrunedNetwork) -> f64 {
    stages
        .iter()
        .zip(pruned.layers())
        .map(|(s, l)| {
            let k = l.len() as f64;
            let plain = (l.n_in() - usize::from(s.has_bias)) as f64;
            8.0 * k * (plain + 1.0 + l.n_out() as f64)
        })
        .sum()
}

/// Ĝ of the graph target `graph` as a [`Graph`]: each linear node `t` (stage `t`, Ĝ's layer
/// `t`) becomes its layer of G restricted to the kept neurons: a conv (or dense) node from
/// the node's input to the `K` kept channels, each with its one input weight `u` at its
/// `(input channel, tap)` (a neuron on the bias column gets no input weight and the bias
/// `u`: `relu(0·x + u) = relu(u·1)`, the constant channel), a ReLU, and a `1 × 1` conv (or
/// dense) node from the `K` channels to the outputs with the kept edges' `v`; every other node
/// is the target's. Its forward pass is the literal Ĝ's, up to the order of the sums. For a
/// small Ĝ only: the weights are dense, `K × c_in·kh·kw` per layer.
///
/// # Errors
/// [`ConstructionError::DenseTooLarge`] above `limit` bytes ([`pruned_graph_bytes`]), before
/// anything is allocated; [`ConstructionError::Graph`] if the result is not a valid graph (a
/// bug); [`ConstructionError::WidthCount`] if `pruned` is not one layer per stage.
pub fn pruned_graph(
    graph: &Graph,
    stages: &[Stage],
    pruned: &PrunedNetwork,
    limit: f64,
) -> Result<Graph, ConstructionError> {
    if pruned.layers().len() != stages.len() {
        return Err(ConstructionError::WidthCount {
            what: "layers of the pruned network",
            expected: stages.len(),
            found: pruned.layers().len(),
        });
    }
    let bytes = pruned_graph_bytes(stages, pruned);
    if bytes > limit {
        return Err(ConstructionError::DenseTooLarge {
            what: "the pruned graph (dense U and V weights of the kept neurons)",
            bytes,
            limit,
        });
    }
    // new_id[k]: the id in the new graph of target node k's value.
    let mut new_id: Vec<NodeId> = vec![0; graph.nodes().len() + 1];
    let mut nodes: Vec<Node> = Vec::new();
    let mut t = 0;
    for (k, node) in graph.nodes().iter().enumerate() {
        let inputs: Vec<NodeId> = node.inputs.iter().map(|&i| new_id[i]).collect();
        if !node.op.is_linear() {
            nodes.push(Node {
                name: node.name.clone(),
                op: node.op.clone(),
                inputs,
            });
            new_id[k + 1] = nodes.len();
            continue;
        }
        let stage = &stages[t];
        let layer = &pruned.layers()[t];
        t += 1;
        let kept = layer.len();
        let plain = layer.n_in() - usize::from(stage.has_bias);
        let mut u = vec![0.0; kept * plain];
        let mut bias = vec![0.0; kept];
        let mut has_bias = false;
        let mut v = Mat::<f64>::zeros(layer.n_out(), kept);
        for (z, n) in layer.neurons().enumerate() {
            if n.input < plain {
                u[z * plain + n.input] = n.u;
            } else {
                bias[z] = n.u;
                has_bias = true;
            }
            for (a, w) in n.edges() {
                v[(a, z)] += w;
            }
        }
        let bias = has_bias.then_some(bias);
        let (first, second) = match &stage.kind {
            StageKind::Dense => (
                Op::Dense {
                    weight: Mat::from_fn(kept, plain, |z, c| u[z * plain + c]),
                    bias,
                },
                Op::Dense {
                    weight: v,
                    bias: None,
                },
            ),
            StageKind::Conv { input, window, .. } => (
                Op::Conv(Conv2d {
                    c_out: kept,
                    c_in: input.c,
                    window: *window,
                    weight: u,
                    bias,
                }),
                Op::Conv(Conv2d {
                    c_out: layer.n_out(),
                    c_in: kept,
                    window: Window::square(1),
                    weight: (0..layer.n_out())
                        .flat_map(|a| (0..kept).map(move |z| (a, z)))
                        .map(|(a, z)| v[(a, z)])
                        .collect(),
                    bias: None,
                }),
            ),
        };
        nodes.push(Node {
            name: format!("{}.u", node.name),
            op: first,
            inputs,
        });
        nodes.push(Node {
            name: format!("{}.relu", node.name),
            op: Op::Activation(Activation::Relu),
            inputs: vec![nodes.len()],
        });
        nodes.push(Node {
            name: format!("{}.v", node.name),
            op: second,
            inputs: vec![nodes.len()],
        });
        new_id[k + 1] = nodes.len();
    }
    Ok(Graph::new(graph.input_shape(), nodes)?)
}
