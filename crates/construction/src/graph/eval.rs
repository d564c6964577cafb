//! Forward passes of Ĝ on a graph target: the graph's own nodes, with each linear node
//! replaced by its layer of Ĝ, literal (the kept neurons of G) or virtual (`Ŵ±`).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use logprune_network::Graph;

use super::{Stage, StageKind};
use crate::{ConstructionError, PrunedLayer};

/// The columns a stage reads, for a batch `x` (`len × N`, one input per column):
/// `n_cols × (P·N)`, row `b·taps + p` ([`logprune_network::im2col`] for a conv, `x` itself for
/// a dense node), then a row of ones for the bias (the constant channel, read at a tap inside
/// the image), column `k·P + o` for input `k` at output position `o`.
pub(crate) fn stage_columns(
    stage: &Stage,
    x: MatRef<'_, f64>,
    n_cols: usize,
) -> Result<Mat<f64>, ConstructionError> {
    let width = stage.positions() * x.ncols();
    let plain = n_cols - usize::from(stage.has_bias);
    let mut cols = Mat::<f64>::zeros(n_cols, width);
    match &stage.kind {
        StageKind::Dense => cols.as_mut().submatrix_mut(0, 0, plain, width).copy_from(x),
        StageKind::Conv { input, window, .. } => {
            let c = logprune_network::im2col(*input, window, x)?;
            cols.as_mut()
                .submatrix_mut(0, 0, plain, width)
                .copy_from(&c);
        }
    }
    if stage.has_bias {
        cols.as_mut().row_mut(plain).fill(1.0);
    }
    Ok(cols)
}

/// A stage's output `n_out × (P·N)` (columns `k·P + o`) as the node's value batch
/// `(n_out·P) × N` (row `a·P + o`, the graph's `C × H × W` order).
fn unfold(out: MatRef<'_, f64>, positions: usize, n: usize) -> Mat<f64> {
    Mat::from_fn(out.nrows() * positions, n, |r, k| {
        out[(r / positions, k * positions + r % positions)]
    })
}

/// The virtual layer of a stage: `Ŵ⁺ max(c, 0) + Ŵ⁻ min(c, 0)` on the stage's columns `c`.
pub(crate) fn virtual_stage(
    stage: &Stage,
    (plus, minus): (&Mat<f64>, &Mat<f64>),
    x: MatRef<'_, f64>,
    par: Par,
) -> Result<Mat<f64>, ConstructionError> {
    let cols = stage_columns(stage, x, plus.ncols())?;
    let pos = Mat::from_fn(cols.nrows(), cols.ncols(), |r, c| cols[(r, c)].max(0.0));
    let neg = Mat::from_fn(cols.nrows(), cols.ncols(), |r, c| cols[(r, c)].min(0.0));
    let mut out = Mat::<f64>::zeros(plus.nrows(), cols.ncols());
    matmul(
        out.as_mut(),
        Accum::Replace,
        plus.as_ref(),
        pos.as_ref(),
        1.0,
        par,
    );
    matmul(
        out.as_mut(),
        Accum::Add,
        minus.as_ref(),
        neg.as_ref(),
        1.0,
        par,
    );
    Ok(unfold(out.as_ref(), stage.positions(), x.ncols()))
}

/// The literal layer of a stage: G's kept neurons on the stage's columns.
pub(crate) fn literal_stage(
    stage: &Stage,
    layer: &PrunedLayer,
    x: MatRef<'_, f64>,
) -> Result<Mat<f64>, ConstructionError> {
    let cols = stage_columns(stage, x, layer.n_in())?;
    let width = cols.ncols();
    // The literal layer reads its inputs coordinate-major (row by row).
    let mut rows = Vec::with_capacity(cols.nrows() * width);
    for r in 0..cols.nrows() {
        rows.extend(cols.row(r).iter().copied());
    }
    let out = layer.forward_literal(&rows, width);
    let out = MatRef::from_row_major_slice(&out, layer.n_out(), width);
    Ok(unfold(out, stage.positions(), x.ncols()))
}

/// What [`run`] calls for linear node `t` on its input batch.
pub(crate) type LinearFn<'a> =
    dyn FnMut(usize, MatRef<'_, f64>) -> Result<Mat<f64>, ConstructionError> + 'a;

/// Runs `graph` on the batch `x` (one input per column) with every linear node `t` (in
/// order) computed by `linear(t, input)`, and every other node by the graph itself; each
/// value is freed after its last reader.
///
/// # Errors
/// The graph's, or `linear`'s.
pub(crate) fn run(
    graph: &Graph,
    x: Mat<f64>,
    par: Par,
    linear: &mut LinearFn<'_>,
) -> Result<Mat<f64>, ConstructionError> {
    let nodes = graph.nodes();
    let mut last_use = vec![0usize; nodes.len() + 1];
    for (k, node) in nodes.iter().enumerate() {
        for &i in &node.inputs {
            last_use[i] = k + 1;
        }
    }
    let mut values: Vec<Option<Mat<f64>>> = vec![None; nodes.len() + 1];
    values[0] = Some(x);
    let mut t = 0;
    for (k, node) in nodes.iter().enumerate() {
        let id = k + 1;
        let value = {
            let inputs: Vec<MatRef<'_, f64>> = node
                .inputs
                .iter()
                .map(|&i| {
                    values[i].as_ref().map(|m| m.as_ref()).ok_or(
                        ConstructionError::GraphUnsupported {
                            what: "a node read after its value was freed (a bug)",
                        },
                    )
                })
                .collect::<Result<_, _>>()?;
            if node.op.is_linear() {
                let v = linear(t, inputs[0])?;
                t += 1;
                v
            } else {
                graph.eval_node(id, &inputs, par)
            }
        };
        values[id] = Some(value);
        for &i in &node.inputs {
            if last_use[i] == id {
                values[i] = None;
            }
        }
    }
    values[nodes.len()]
        .take()
        .ok_or(ConstructionError::GraphUnsupported {
            what: "the output node has no value (a bug)",
        })
}
