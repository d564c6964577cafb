//! Graph targets: convolutional, residual and pooling networks ([`logprune_network::Graph`]).
//! Every linear node (dense or conv) of the target is one layer of G, built by the paper's
//! identity applied to its target matrix; everything else is carried as it is.
//!
//! # The conv identity
//!
//! A conv with kernel `K` (`c_out × c_in × kh × kw`) computes
//! `y[a, o] = Σ_{b,p} K[a,b,p] x[b, o·s − pad + p·d] (+ β_a)`, with `x = 0` in the padding.
//! G inserts a `kh × kw` conv from `c_in` to `M` intermediate channels with the target's
//! stride, padding and dilation, then ReLU, then a `1 × 1` conv from `M` to `c_out`. A kept
//! intermediate channel `z` keeps one input edge, channel `b` at tap `p`, of weight `u_z`: it
//! computes `h_z[o] = relu(u_z x[b, o·s − pad + p·d])`, which is 0 in the padding exactly as
//! the target's term is, and output channel `a` receives `Σ_z v_{a,z} h_z[o]`. At every
//! output position this is Theorem 3's construction for the target matrix
//! `W = K` reshaped to `c_out × (c_in·kh·kw)` (column `b·kh·kw + p`) applied to the column of
//! `x` that the conv reads at `o` (im2col). So the layouts, solvers, distributions, the class
//! rule, the width search and shards apply to `W` unchanged, and the virtual kernel is
//! `Ŵ±` reshaped. A dense node is the case of one position and one tap.
//!
//! **Biases** ride on a constant channel, 1 at every input position, read at one tap that lies
//! in the image for every output position (the centre tap when it does): its column is `W`'s
//! last, and the bias is exact at the image border.
//!
//! # The certificate
//!
//! The per-layer recurrence of [`crate::certificate`] holds node by node: with `e_k` a bound
//! on `sup_x ‖F_k(x) − Ĝ_k(x)‖₂` and `S_k` on `sup_x ‖F_k(x)‖₂`,
//!
//! - a linear node reading node `i`: `e_k ≤ ‖[Ŵ⁺ Ŵ⁻_N]‖ e_i + ‖[E⁺ E⁻_N]‖ S'_i` (the split
//!   layer's identity, with the operators unrolled over positions; `S'_i = √(S_i² + P_i)`
//!   with a bias, the constant channel counted);
//! - an activation, pooling, scale or flatten node: `e_k ≤ L_k e_i` with its Lipschitz
//!   factor ([`logprune_network::Graph::lipschitz`]);
//! - a residual add: `e_k ≤ e_a + e_b`.
//!
//! The operator norm of an unrolled conv (any stride, padding and dilation) is bounded by
//! Schur's test `√(max row sum · max column sum)` of its absolute entries: a row (an output
//! value) reads each `(channel, tap)` at most once, and a column (an input value) is read by
//! at most one output position per tap, so the column sums are bounded by the kernel's sums
//! over `(output channel, tap)` for each input channel
//! ([`logprune_network::schur_bound_grouped`]). Before pruning, with
//! every entry error at most `ε_w/2`, the same recurrence with `‖Ŵ‖ ≤ ν + s ε_w` and
//! `‖E‖ ≤ s ε_w` gives the output error as an increasing function of `ε_w`; the tolerance rule
//! takes the largest `ε_w` whose bound is `ε` ([`recurrence_epsilon_w`]). Lemma 1 is a chain's
//! bound and is not used for graphs.

mod dense;
mod eval;
mod run;

pub use dense::{pruned_graph, pruned_graph_bytes};

pub use run::{
    GRAPH_REPORT_SCHEMA_VERSION, GraphPruning, GraphReport, GraphStageReport, forward_graph_ticket,
    graph_of_spec, prune_graph, prune_graph_shard, verify_graph, verify_graph_ticket,
};

use faer::{Mat, MatRef, Par};
use logprune_network::{Graph, NodeId, Op, Shape, Window, norms};
use serde::{Deserialize, Serialize};

use crate::plan::PlanCore;
use crate::{Accuracy, ConstructionError, Domain, PruneConfig};

/// How a linear node reads its input.
#[derive(Clone, Debug, PartialEq)]
pub enum StageKind {
    /// A dense node on the flattened input.
    Dense,
    /// A conv: its input shape, window and output shape.
    Conv {
        /// The input's shape.
        input: Shape,
        /// Kernel, stride, padding and dilation.
        window: Window,
        /// The output's shape.
        output: Shape,
    },
}

/// One linear node of a graph target: one layer of G.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// The node's id in the graph.
    pub node: NodeId,
    /// The id of the node it reads.
    pub input: NodeId,
    /// Dense or conv.
    pub kind: StageKind,
    /// Whether the last column of the target matrix is a bias (read from the constant
    /// channel).
    pub has_bias: bool,
    /// For a conv with a bias, the tap at which the constant channel is read (a tap inside
    /// the image for every output position).
    pub bias_tap: usize,
}

impl Stage {
    /// The number of output positions (1 for a dense node).
    pub fn positions(&self) -> usize {
        match &self.kind {
            StageKind::Dense => 1,
            StageKind::Conv { output, .. } => output.positions(),
        }
    }

    /// The number of taps (1 for a dense node).
    pub fn taps(&self) -> usize {
        match &self.kind {
            StageKind::Dense => 1,
            StageKind::Conv { window, .. } => window.taps(),
        }
    }

    /// The number of input positions the constant channel covers (1 for a dense node).
    fn input_positions(&self) -> usize {
        match &self.kind {
            StageKind::Dense => 1,
            StageKind::Conv { input, .. } => input.positions(),
        }
    }

    /// The column group of each column of a split matrix `[W | W_N]` for Schur's test: for
    /// a conv, the taps of one input channel (and of its `⁻` copy) form one group, the bias
    /// column its own; for a dense node every column is its own group.
    fn column_groups(&self, n_cols: usize, minus: &[usize]) -> Vec<usize> {
        let taps = self.taps();
        let plain = n_cols - usize::from(self.has_bias);
        let channels = plain / taps;
        let mut groups: Vec<usize> = (0..n_cols)
            .map(|c| if c < plain { c / taps } else { channels })
            .collect();
        groups.extend(minus.iter().map(|&c| channels + 1 + c / taps));
        groups
    }
}

/// A tap of `window` that reads inside an `input` image for every output position, the one
/// nearest the centre, or `None`.
fn inside_tap(input: Shape, window: &Window, output: Shape) -> Option<usize> {
    let inside = |i: usize, axis: usize, n: usize, out: usize| {
        let lo = i * window.dilation[axis];
        let pad = window.padding[axis];
        let last = (out - 1) * window.stride[axis] + lo;
        lo >= pad && last < n + pad
    };
    let [kh, kw] = window.kernel;
    let mut taps: Vec<usize> = (0..kh * kw).collect();
    let centre = |p: usize| {
        let (i, j) = ((p / kw) as f64, (p % kw) as f64);
        let (ci, cj) = ((kh as f64 - 1.0) / 2.0, (kw as f64 - 1.0) / 2.0);
        (i - ci).abs() + (j - cj).abs()
    };
    taps.sort_by(|&a, &b| centre(a).total_cmp(&centre(b)).then(a.cmp(&b)));
    taps.into_iter()
        .find(|&p| inside(p / kw, 0, input.h, output.h) && inside(p % kw, 1, input.w, output.w))
}

/// The linear nodes of a graph as layers of G: their stages and target matrices.
///
/// # Errors
/// [`ConstructionError::GraphBias`] for a conv with a bias whose every tap falls in the
/// padding for some output position.
pub fn stages(graph: &Graph) -> Result<(Vec<Stage>, Vec<Mat<f64>>), ConstructionError> {
    let shapes = graph.shapes();
    let mut stages = Vec::new();
    let mut matrices = Vec::new();
    for (k, node) in graph.nodes().iter().enumerate() {
        let id = k + 1;
        let input = node.inputs[0];
        match &node.op {
            Op::Dense { weight, bias } => {
                let (rows, cols) = (weight.nrows(), weight.ncols());
                let extra = usize::from(bias.is_some());
                matrices.push(Mat::from_fn(rows, cols + extra, |a, c| {
                    if c < cols {
                        weight[(a, c)]
                    } else {
                        bias.as_ref().map_or(0.0, |b| b[a])
                    }
                }));
                stages.push(Stage {
                    node: id,
                    input,
                    kind: StageKind::Dense,
                    has_bias: bias.is_some(),
                    bias_tap: 0,
                });
            }
            Op::Conv(conv) => {
                let (x, y) = (shapes[input], shapes[id]);
                let bias_tap = match &conv.bias {
                    Some(_) => inside_tap(x, &conv.window, y).ok_or_else(|| {
                        ConstructionError::GraphBias {
                            node: node.name.clone(),
                            kernel: conv.window.kernel,
                            padding: conv.window.padding,
                        }
                    })?,
                    None => 0,
                };
                let cols = conv.c_in * conv.window.taps();
                let extra = usize::from(conv.bias.is_some());
                matrices.push(Mat::from_fn(conv.c_out, cols + extra, |a, c| {
                    if c < cols {
                        conv.weight[a * cols + c]
                    } else {
                        conv.bias.as_ref().map_or(0.0, |b| b[a])
                    }
                }));
                stages.push(Stage {
                    node: id,
                    input,
                    kind: StageKind::Conv {
                        input: x,
                        window: conv.window,
                        output: y,
                    },
                    has_bias: conv.bias.is_some(),
                    bias_tap,
                });
            }
            _ => {}
        }
    }
    Ok((stages, matrices))
}

/// The split matrix `[M_plus | M_minus restricted to the columns `minus`]`.
pub(crate) fn split(
    plus: MatRef<'_, f64>,
    minus_mat: MatRef<'_, f64>,
    minus: &[usize],
) -> Mat<f64> {
    let n = plus.ncols();
    Mat::from_fn(plus.nrows(), n + minus.len(), |a, c| {
        if c < n {
            plus[(a, c)]
        } else {
            minus_mat[(a, minus[c - n])]
        }
    })
}

/// A bound on the operator norm of a stage's split matrix: faer's spectral upper bound for a
/// dense stage, Schur's test on the unrolled operator for a conv.
pub(crate) fn stage_norm(
    stage: &Stage,
    m: MatRef<'_, f64>,
    n_cols: usize,
    minus: &[usize],
) -> Result<f64, ConstructionError> {
    Ok(match stage.kind {
        StageKind::Dense => norms::spectral_norm_upper_bound(m)?,
        StageKind::Conv { .. } => {
            logprune_network::schur_bound_grouped(m, &stage.column_groups(n_cols, minus))?
        }
    })
}

/// The error recurrence of the module docs over the graph's nodes: `gain(t)` and
/// `error(t)` are stage `t`'s `‖[Ŵ⁺ Ŵ⁻_N]‖` and `‖[E⁺ E⁻_N]‖` (bounds), `norms[k]` bounds
/// `‖F_k‖₂`. Returns the bound on the output node's error, every step rounded up.
///
/// # Errors
/// A node's Lipschitz factor that cannot be computed.
pub fn graph_recurrence(
    graph: &Graph,
    stages: &[Stage],
    norms: &[f64],
    gain: impl Fn(usize) -> f64,
    error: impl Fn(usize) -> f64,
) -> Result<f64, ConstructionError> {
    let mut e = vec![0.0f64; graph.nodes().len() + 1];
    let mut t = 0;
    for (k, node) in graph.nodes().iter().enumerate() {
        let id = k + 1;
        let i = node.inputs[0];
        e[id] = if node.op.is_linear() {
            let stage = &stages[t];
            let s = norms[i];
            let s_in = if stage.has_bias {
                (s * s + stage.input_positions() as f64)
                    .next_up()
                    .sqrt()
                    .next_up()
            } else {
                s
            };
            let v = ((gain(t) * e[i]).next_up() + (error(t) * s_in).next_up()).next_up();
            t += 1;
            v
        } else if let Op::Add = node.op {
            (e[i] + e[node.inputs[1]]).next_up()
        } else {
            (graph.lipschitz(id)? * e[i]).next_up()
        };
    }
    Ok(e[graph.nodes().len()])
}

/// The largest `ε_w` (to a relative `2^-40`) whose a-priori bound ([`graph_recurrence`] with
/// `‖Ŵ‖ ≤ ν_t + s_t ε_w`, `‖E‖ ≤ s_t ε_w`) is at most `eps`, searched on `(0, w_max]`; `None`
/// if none is above `f64::MIN_POSITIVE`.
///
/// # Errors
/// As [`graph_recurrence`].
pub fn recurrence_epsilon_w(
    graph: &Graph,
    stages: &[Stage],
    norms: &[f64],
    target_norms: &[f64],
    perturbations: &[f64],
    eps: f64,
    w_max: f64,
) -> Result<Option<f64>, ConstructionError> {
    let bound = |ew: f64| {
        graph_recurrence(
            graph,
            stages,
            norms,
            |t| (target_norms[t] + (perturbations[t] * ew).next_up()).next_up(),
            |t| (perturbations[t] * ew).next_up(),
        )
    };
    if bound(w_max)? <= eps {
        return Ok(Some(w_max));
    }
    let (mut lo, mut hi) = (f64::MIN_POSITIVE.ln(), w_max.ln());
    if bound(lo.exp())? > eps {
        return Ok(None);
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if bound(mid.exp())? <= eps {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    Ok(Some(lo.exp()))
}

/// The smallest per-half tolerance `f64` can honour for weights up to `w_max`: `64·2^-52·w_max`
/// (a golden-ratio sum of a few dozen products, each rounded, stays within it). Below it a
/// certificate would certify rounding noise.
pub fn rounding_floor(w_max: f64) -> f64 {
    64.0 * f64::EPSILON * w_max
}

/// The decisions of a pruning run of a graph target: the lowering into stages, certified
/// node bounds, which columns need `ŵ⁻`, the norms, `ε_w` by the recurrence rule, and the
/// [`PlanCore`] the layouts, G and the oracle read.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphPlan {
    core: PlanCore,
    graph: Graph,
    domain: Domain,
    stages: Vec<Stage>,
    matrices: Vec<Mat<f64>>,
    node_norms: Vec<f64>,
    f_max: f64,
    target_norms: Vec<f64>,
    perturbations: Vec<f64>,
}

impl core::ops::Deref for GraphPlan {
    type Target = PlanCore;

    fn deref(&self) -> &PlanCore {
        &self.core
    }
}

/// Whether node `k`'s value is nonnegative by construction (after a ReLU or sigmoid, through
/// pooling and flatten).
fn nonnegative(graph: &Graph, k: NodeId) -> bool {
    if k == 0 {
        return false;
    }
    let node = &graph.nodes()[k - 1];
    match &node.op {
        Op::Activation(a) => a.is_nonnegative(),
        Op::MaxPool(_) | Op::AvgPool(_) | Op::GlobalAvgPool | Op::Flatten => {
            nonnegative(graph, node.inputs[0])
        }
        Op::Add => node.inputs.iter().all(|&i| nonnegative(graph, i)),
        _ => false,
    }
}

impl GraphPlan {
    /// Plans the pruning of `graph` on `domain` (in the graph's flattened input coordinates)
    /// with `config`.
    ///
    /// # Errors
    /// Invalid configuration, a domain of the wrong dimension, an all-zero target, interval
    /// propagation that overflows, no `ε_w` that certifies `ε`, and
    /// [`ConstructionError::BelowFloatingPoint`] when the `ε_w` needed is below what `f64`
    /// resolves for the target's weights.
    pub fn new(
        graph: &Graph,
        domain: &Domain,
        config: &PruneConfig,
    ) -> Result<Self, ConstructionError> {
        config.check()?;
        let n0 = graph.input_shape().len();
        if domain.dim() != n0 {
            return Err(ConstructionError::DomainDimension {
                expected: n0,
                found: domain.dim(),
            });
        }
        let (stages, matrices) = stages(graph)?;
        let shapes = graph.shapes();
        // Certified bounds per node: ‖F_k‖₂ and the lower bound of each channel.
        let (node_norms, max_abs, channel_lo): (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) = match domain {
            Domain::Box(b) => {
                let values = graph.propagate_box(b)?;
                let lo = values
                    .iter()
                    .zip(shapes)
                    .map(|(v, s)| {
                        let p = s.positions();
                        (0..s.c)
                            .map(|c| {
                                v.lo[c * p..(c + 1) * p]
                                    .iter()
                                    .copied()
                                    .fold(f64::INFINITY, f64::min)
                            })
                            .collect()
                    })
                    .collect();
                (
                    values.iter().map(|v| v.l2_upper()).collect(),
                    values.iter().map(|v| v.max_abs()).collect(),
                    lo,
                )
            }
            Domain::Points(rows) => {
                let x = logprune_network::rows_to_columns(rows, n0)?;
                let b = graph.certified_bounds_points(x.as_ref(), Par::Seq)?;
                let lo = b
                    .min_value
                    .iter()
                    .zip(shapes)
                    .map(|(&m, s)| vec![m; s.c])
                    .collect();
                (b.max_l2.clone(), b.max_abs.clone(), lo)
            }
        };
        let needs_minus: Vec<Vec<bool>> = stages
            .iter()
            .zip(&matrices)
            .map(|(stage, m)| {
                let nonneg = nonnegative(graph, stage.input);
                let taps = stage.taps();
                let plain = m.ncols() - usize::from(stage.has_bias);
                (0..m.ncols())
                    .map(|c| {
                        c < plain
                            && !nonneg
                            && match stage.kind {
                                // A dense node reads its input flattened: coordinate `c`
                                // is in channel `c / (H·W)`.
                                StageKind::Dense => {
                                    let p = shapes[stage.input].positions().max(1);
                                    channel_lo[stage.input][c / p] < 0.0
                                }
                                StageKind::Conv { .. } => channel_lo[stage.input][c / taps] < 0.0,
                            }
                    })
                    .collect()
            })
            .collect();
        let w_max = matrices
            .iter()
            .flat_map(|m| {
                (0..m.ncols()).flat_map(move |c| (0..m.nrows()).map(move |a| m[(a, c)].abs()))
            })
            .fold(0.0f64, f64::max);
        let w_max = match config.w_max {
            Some(w) if w >= w_max => w,
            Some(w) => {
                return Err(ConstructionError::WMaxBelowTarget {
                    w_max: w,
                    max_abs_weight: w_max,
                });
            }
            None => w_max,
        };
        if !(w_max > 0.0) {
            return Err(ConstructionError::ZeroTarget);
        }
        let mut target_norms = Vec::with_capacity(stages.len());
        let mut perturbations = Vec::with_capacity(stages.len());
        for ((stage, m), needs) in stages.iter().zip(&matrices).zip(&needs_minus) {
            let minus: Vec<usize> = (0..m.ncols()).filter(|&c| needs[c]).collect();
            let sp = split(m.as_ref(), m.as_ref(), &minus);
            target_norms.push(stage_norm(stage, sp.as_ref(), m.ncols(), &minus)?);
            // Schur's test on an error of entries ≤ ε_w/2: rows hold n_cols + |N| entries,
            // an input value is read by at most c_out·taps of them.
            let rows = (m.ncols() + minus.len()) as f64;
            let cols = (m.nrows() * stage.taps()) as f64;
            perturbations.push(((rows * cols).next_up().sqrt() / 2.0).next_up());
        }
        let floor = rounding_floor(w_max);
        let epsilon_w = match config.accuracy {
            // Lemma 1 bounds a chain of layers: a graph target always takes the recurrence
            // rule (the report says so).
            Accuracy::Network(eps) => {
                let epsilon_w = recurrence_epsilon_w(
                    graph,
                    &stages,
                    &node_norms,
                    &target_norms,
                    &perturbations,
                    eps,
                    w_max,
                )?
                .unwrap_or(0.0);
                if epsilon_w / 2.0 < floor {
                    // The smallest ε the recurrence certifies with ε_w at the floor.
                    let at_floor = 2.0 * floor;
                    let eps_needed = graph_recurrence(
                        graph,
                        &stages,
                        &node_norms,
                        |t| (target_norms[t] + (perturbations[t] * at_floor).next_up()).next_up(),
                        |t| (perturbations[t] * at_floor).next_up(),
                    )?;
                    return Err(ConstructionError::BelowFloatingPoint {
                        epsilon_w,
                        floor: at_floor,
                        eps,
                        eps_needed,
                        w_max,
                    });
                }
                epsilon_w
            }
            // Each half within T: Theorem 3's per-weight accuracy is ε_w = 2T.
            Accuracy::WeightTolerance(t) => 2.0 * t,
        };
        let fans = matrices.iter().map(|m| [m.ncols(), m.nrows()]).collect();
        let num_weights = matrices.iter().map(|m| m.nrows() * m.ncols()).sum();
        let core = PlanCore::new(
            *config,
            fans,
            num_weights,
            needs_minus,
            (
                epsilon_w,
                match config.accuracy {
                    Accuracy::Network(_) => [None, Some(epsilon_w)],
                    Accuracy::WeightTolerance(_) => [None, None],
                },
            ),
            w_max,
        )?;
        let f_max = max_abs[..max_abs.len() - 1]
            .iter()
            .copied()
            .fold(0.0, f64::max);
        Ok(GraphPlan {
            core,
            graph: graph.clone(),
            domain: domain.clone(),
            stages,
            matrices,
            node_norms,
            f_max,
            target_norms,
            perturbations,
        })
    }

    /// The target graph F.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The domain, in the graph's flattened input coordinates.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The linear nodes as layers of G.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The target matrix of each stage (module docs).
    pub fn matrices(&self) -> &[Mat<f64>] {
        &self.matrices
    }

    /// Certified upper bounds on `sup_x ‖F_k(x)‖₂` for every node `k` (`[0]` the input).
    pub fn node_norms(&self) -> &[f64] {
        &self.node_norms
    }

    /// The certified upper bound on the largest activation of F (the output excluded).
    pub fn f_max(&self) -> f64 {
        self.f_max
    }

    /// `ν_t`, the bounds on each stage's split target operator.
    pub fn target_norms(&self) -> &[f64] {
        &self.target_norms
    }

    /// `s_t`: each stage's error operator is at most `s_t ε_w`.
    pub fn perturbations(&self) -> &[f64] {
        &self.perturbations
    }

    /// What the oracle needs of this plan.
    pub fn oracle_spec(&self) -> crate::oracle::OracleSpec<'_> {
        crate::oracle::OracleSpec {
            target: crate::oracle::Targets::Matrices(&self.matrices),
            needs_minus: self.needs_minus(),
            tolerance: self.tolerance(),
            w_max: self.w_max(),
            solver: self.config().solver,
        }
    }
}

/// A window as a ticket records it: kernel, stride, padding `[top, left, bottom, right]`
/// and dilation.
pub type WindowSpec = ([usize; 2], [usize; 2], [usize; 4], [usize; 2]);

/// A node of a graph ticket: what Ĝ's forward pass needs besides the kept neurons (no
/// weights: the target's linear nodes are Ĝ's layers, its scales come from the target).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeSpec {
    /// The node's name.
    pub name: String,
    /// The operation (`dense`, `conv`, `scale`, an activation as `Activation` prints it,
    /// `max-pool`, `avg-pool`, `global-avg-pool`, `flatten`, `add`).
    pub op: String,
    /// Its inputs' ids.
    pub inputs: Vec<NodeId>,
    /// The shape of its value, `[C, H, W]`.
    pub shape: [usize; 3],
    /// Kernel, stride, padding `[top, left, bottom, right]` and dilation of a conv or pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowSpec>,
    /// Average pooling: whether padding counts in the divisor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_include_pad: Option<bool>,
    /// A linear node: whether its last column is a bias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias: Option<bool>,
    /// A scale node: its factors and shifts per channel (carried exactly from the target,
    /// so the ticket runs Ĝ on its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<(Vec<f64>, Option<Vec<f64>>)>,
}

/// The graph a ticket's layers belong to: its input shape and nodes, and each layer's
/// `[n_in, n_out]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphSpec {
    /// The input shape `[C, H, W]`.
    pub input: [usize; 3],
    /// The nodes in order.
    pub nodes: Vec<NodeSpec>,
    /// `[n_in, n_out]` of each linear node (G's layers).
    pub fans: Vec<[usize; 2]>,
}

impl GraphSpec {
    /// The spec of `graph`.
    pub fn of(graph: &Graph) -> Self {
        let shape = |s: Shape| [s.c, s.h, s.w];
        let window = |w: &Window| Some((w.kernel, w.stride, w.padding, w.dilation));
        let nodes = graph
            .nodes()
            .iter()
            .enumerate()
            .map(|(k, n)| {
                let scale = match &n.op {
                    Op::Scale { scale, shift } => Some((scale.clone(), shift.clone())),
                    _ => None,
                };
                let (window, count_include_pad, bias) = match &n.op {
                    Op::Dense { bias, .. } => (None, None, Some(bias.is_some())),
                    Op::Conv(c) => (window(&c.window), None, Some(c.bias.is_some())),
                    Op::MaxPool(p) => (window(&p.window), None, None),
                    Op::AvgPool(p) => (window(&p.window), Some(p.count_include_pad), None),
                    _ => (None, None, None),
                };
                NodeSpec {
                    name: n.name.clone(),
                    op: match &n.op {
                        Op::Activation(a) => a.to_string(),
                        op => op.name(),
                    },
                    inputs: n.inputs.clone(),
                    shape: shape(graph.shapes()[k + 1]),
                    window,
                    count_include_pad,
                    bias,
                    scale,
                }
            })
            .collect();
        let fans = graph
            .nodes()
            .iter()
            .filter_map(|n| match &n.op {
                Op::Dense { weight, bias } => {
                    Some([weight.ncols() + usize::from(bias.is_some()), weight.nrows()])
                }
                Op::Conv(c) => Some([
                    c.c_in * c.window.taps() + usize::from(c.bias.is_some()),
                    c.c_out,
                ]),
                _ => None,
            })
            .collect();
        GraphSpec {
            input: shape(graph.input_shape()),
            nodes,
            fans,
        }
    }
}
