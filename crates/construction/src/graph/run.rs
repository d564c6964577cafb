//! A pruning run on a graph target: plan, layout, G, the oracle on the stages, then the
//! check (weights re-derived, the certificate of the module docs, the measurement through
//! the virtual and the literal Ĝ) and the report.

use std::time::Instant;

use faer::{Mat, Par};
use logprune_network::Graph;
use rayon::prelude::*;
use serde::Serialize;

use super::eval::{literal_stage, run, virtual_stage};
use super::{GraphPlan, StageKind, graph_recurrence, split, stage_norm};
use crate::check::{
    LITERAL_INPUTS, LITERAL_VIRTUAL_REL, Timings, check_inputs, notes, verify_against_generator,
};
use crate::oracle::LayerStats;
use crate::{
    Accuracy, Construction, ConstructionError, Domain, DomainKind, GDistribution, Generator,
    LargeNetwork, Progress, PruneConfig, PrunedNetwork, SolverKind, ToleranceRule, memory,
};

/// The version of the graph report's layout.
pub const GRAPH_REPORT_SCHEMA_VERSION: u32 = 1;

/// The flops the measurement may spend on F and the virtual Ĝ (each input costs about
/// twice the graph's multiply-adds): the number of measured inputs is cut to fit, never below
/// [`LITERAL_INPUTS`] or the domain's size.
const MEASURE_FLOPS: f64 = 2e9;

/// The flops the literal pass may spend (its cost is the kept edges times the positions).
const LITERAL_FLOPS: f64 = 2.5e8;

/// One linear node of a graph target in the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GraphStageReport {
    /// The node's name.
    pub node: String,
    /// `dense` or `conv`.
    pub op: &'static str,
    /// Columns of the target matrix (`c_in·kh·kw`, plus one for a bias).
    pub fan_in: usize,
    /// Rows of the target matrix.
    pub fan_out: usize,
    /// Output positions (1 for a dense node).
    pub positions: usize,
    /// Whether the last column is a bias on the constant channel.
    pub has_bias: bool,
    /// Columns that need `ŵ⁻`.
    pub minus_columns: usize,
    /// `M_t`, G's intermediate width (channels, for a conv).
    pub intermediate_width: u64,
    /// Kept intermediate neurons (channels).
    pub kept_neurons: u64,
    /// Kept output edges.
    pub kept_edges: u64,
    /// `max |w* − ŵ⁺|`.
    pub max_weight_error_plus: f64,
    /// `max |w* − ŵ⁻|` over the columns that need it.
    pub max_weight_error_minus: Option<f64>,
    /// `ν_t`, the bound on the split target operator.
    pub target_norm: f64,
    /// The bound on the split pruned operator `[Ŵ⁺ Ŵ⁻_N]`.
    pub pruned_norm: f64,
    /// The bound on the split error operator `[E⁺ E⁻_N]`.
    pub error_norm: f64,
}

/// The report of a pruning run on a graph target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GraphReport {
    /// [`GRAPH_REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Always `graph`.
    pub target_kind: &'static str,
    /// The number of nodes of F.
    pub nodes: usize,
    /// F's input shape `[C, H, W]`.
    pub input_shape: [usize; 3],
    /// F's output shape `[C, H, W]`.
    pub output_shape: [usize; 3],
    /// The network accuracy `ε`, or a weight tolerance `T` (then the certificate and the
    /// measurement are reported, not required).
    pub accuracy: Accuracy,
    /// `δ`.
    pub delta: f64,
    /// `ε_w` of the recurrence rule (each half within `ε_w/2`).
    pub epsilon_w: f64,
    /// The recurrence rule (graph targets); with a weight tolerance `ε_w = 2T`.
    pub tolerance_rule: ToleranceRule,
    /// `α` of Theorem 3's range.
    pub alpha: f64,
    /// `β` of Theorem 3's range.
    pub beta: f64,
    /// `k'` (Theorem 3).
    pub k_prime: f64,
    /// `w_max`.
    pub w_max: f64,
    /// `δ_w = δ/(2N*)`.
    pub delta_w: f64,
    /// The construction.
    pub construction: Construction,
    /// The solver.
    pub solver: SolverKind,
    /// G's weight distribution.
    pub distribution: GDistribution,
    /// Whether the theorems' widths are proven for this distribution.
    pub theorem_applies: bool,
    /// What the reader should know about this run.
    pub notes: Vec<String>,
    /// The generator.
    pub generator: Generator,
    /// The seed of G.
    pub seed: u64,
    /// The layout's width parameter.
    pub neurons_per_weight: u64,
    /// The theorem's `m`.
    pub neurons_per_weight_theorem: u64,
    /// `M_t` per stage.
    pub widths: Vec<u64>,
    /// `N*`, the target weights (biases included).
    pub n_weights_target: u64,
    /// G's weights `Σ_t (n_in + n_out) M_t` (a conv's U weights counted per tap).
    pub n_weights_large: f64,
    /// G's intermediate neurons per target weight.
    pub g_neurons_per_target_weight: f64,
    /// Kept intermediate neurons in all.
    pub kept_neurons_total: u64,
    /// Kept neurons per target weight.
    pub kept_neurons_per_target_weight: f64,
    /// Kept output edges in all.
    pub kept_edges_total: u64,
    /// `max |w* − ŵ⁺|` over all stages.
    pub max_weight_error_plus: f64,
    /// `max |w* − ŵ⁻|` over the columns that need it.
    pub max_weight_error_minus: Option<f64>,
    /// Certified bound on F's largest activation.
    pub f_max: f64,
    /// The certificate: the node recurrence with the actual operator bounds.
    pub certified_bound: f64,
    /// The largest `‖F(x) − Ĝ(x)‖₂` measured through the virtual Ĝ.
    pub empirical_max_error: f64,
    /// Inputs of that measurement.
    pub inputs_checked: u64,
    /// The largest `‖F(x) − Ĝ(x)‖₂` through the literal Ĝ, on its subset.
    pub empirical_max_error_literal: f64,
    /// Inputs of the literal pass.
    pub literal_inputs_checked: u64,
    /// The largest `‖Ĝ_literal(x) − Ĝ_virtual(x)‖₂` (rounding only).
    pub literal_virtual_max_difference: f64,
    /// A box or a finite set.
    pub domain: DomainKind,
    /// Neurons of G consulted.
    pub products_consulted: u64,
    /// `products_consulted / N*`.
    pub products_per_target_weight: f64,
    /// Kept weights re-derived from G's generator.
    pub weights_verified: u64,
    /// The form of the ticket this report goes with (as [`crate::Report::ticket_form`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_form: Option<crate::TicketForm>,
    /// Wall-clock seconds (volatile).
    pub seconds: Timings,
    /// Per stage.
    pub stages: Vec<GraphStageReport>,
}

impl GraphReport {
    /// The report as pretty-printed JSON with a trailing newline.
    ///
    /// # Errors
    /// [`ConstructionError::Json`] (not expected).
    pub fn to_json(&self) -> Result<String, ConstructionError> {
        let mut s = serde_json::to_string_pretty(self).map_err(|e| ConstructionError::Json {
            message: e.to_string(),
        })?;
        s.push('\n');
        Ok(s)
    }

    /// `Ok` if the certified bound and the measured errors are within `ε`.
    ///
    /// # Errors
    /// [`ConstructionError::NotWithinEps`] with the numbers.
    pub fn verify(&self) -> Result<(), ConstructionError> {
        match self.accuracy {
            Accuracy::Network(eps) => {
                let measured = self
                    .empirical_max_error
                    .max(self.empirical_max_error_literal);
                if self.certified_bound <= eps && measured <= eps {
                    Ok(())
                } else {
                    Err(ConstructionError::NotWithinEps {
                        eps,
                        certified_bound: self.certified_bound,
                        empirical_max_error: measured,
                    })
                }
            }
            Accuracy::WeightTolerance(tolerance) => {
                let worst = self
                    .max_weight_error_plus
                    .max(self.max_weight_error_minus.unwrap_or(0.0));
                if worst <= tolerance {
                    Ok(())
                } else {
                    Err(ConstructionError::NotWithinTolerance {
                        tolerance,
                        max_weight_error: worst,
                    })
                }
            }
        }
    }
}

/// A pruning run on a graph target: the plan, G, Ĝ (one layer per stage), the oracle's
/// counts and the report.
#[derive(Clone, Debug)]
pub struct GraphPruning {
    /// The plan.
    pub plan: GraphPlan,
    /// G.
    pub large: LargeNetwork,
    /// Ĝ, one layer per linear node.
    pub pruned: PrunedNetwork,
    /// The oracle's per-stage counts.
    pub stats: Vec<LayerStats>,
    /// The report.
    pub report: GraphReport,
}

impl GraphPruning {
    /// The literal Ĝ (G's kept neurons, [`crate::graph`]) on a batch, one input per column
    /// in the graph's flattened `C × H × W` order.
    ///
    /// # Errors
    /// [`ConstructionError::InputLength`] for a batch of the wrong height.
    pub fn forward_literal(&self, x: faer::MatRef<'_, f64>) -> Result<Mat<f64>, ConstructionError> {
        let graph = self.plan.graph();
        check_batch(graph, x)?;
        let stages = self.plan.stages();
        run(graph, x.to_owned(), Par::Seq, &mut |t, xin| {
            literal_stage(&stages[t], &self.pruned.layers()[t], xin)
        })
    }

    /// The virtual Ĝ (each linear node's `Ŵ±`) on a batch, as [`GraphPruning::forward_literal`].
    ///
    /// # Errors
    /// As [`GraphPruning::forward_literal`].
    pub fn forward_virtual(&self, x: faer::MatRef<'_, f64>) -> Result<Mat<f64>, ConstructionError> {
        let graph = self.plan.graph();
        check_batch(graph, x)?;
        let stages = self.plan.stages();
        let virtuals: Vec<(Mat<f64>, Mat<f64>)> = self
            .pruned
            .layers()
            .iter()
            .map(|l| l.virtual_matrices())
            .collect();
        run(graph, x.to_owned(), Par::Seq, &mut |t, xin| {
            virtual_stage(&stages[t], (&virtuals[t].0, &virtuals[t].1), xin, Par::Seq)
        })
    }
}

impl GraphPruning {
    /// Ĝ as a graph of ordinary operations ([`super::pruned_graph`]), below `limit` bytes.
    ///
    /// # Errors
    /// As [`super::pruned_graph`].
    pub fn to_graph(&self, limit: f64) -> Result<Graph, ConstructionError> {
        super::pruned_graph(self.plan.graph(), self.plan.stages(), &self.pruned, limit)
    }
}

/// A batch of `graph`'s input height with finite values.
fn check_batch(graph: &Graph, x: faer::MatRef<'_, f64>) -> Result<(), ConstructionError> {
    let n0 = graph.input_shape().len();
    if x.nrows() != n0 {
        return Err(ConstructionError::InputLength {
            expected: n0,
            found: x.nrows(),
        });
    }
    for k in 0..x.ncols() {
        for b in 0..n0 {
            if !x[(b, k)].is_finite() {
                return Err(ConstructionError::NonFiniteInput {
                    input: k,
                    coordinate: b,
                    value: x[(b, k)],
                });
            }
        }
    }
    Ok(())
}

/// The plan, the layout and G of a graph run, with the memory estimate (all of Ĝ held)
/// against `config.max_memory`.
fn set_up(
    graph: &Graph,
    domain: &Domain,
    config: &PruneConfig,
) -> Result<(GraphPlan, Box<dyn crate::layout::Layout>, LargeNetwork), ConstructionError> {
    let plan = GraphPlan::new(graph, domain, config)?;
    let layout = config.construction.layout(&plan)?;
    let large = plan.large_network(&*layout)?;
    if let Some(limit) = config.max_memory {
        memory::estimate(&plan, &large, true).check(limit)?;
    }
    Ok((plan, layout, large))
}

/// Prunes G to a Ĝ within `ε` of the graph target `graph` on `domain` (module docs of
/// [`crate::graph`]): [`GraphPlan::new`], the layout, G, the memory estimate, the oracle, then
/// [`verify_graph`]'s check.
///
/// # Errors
/// As [`GraphPlan::new`]; [`ConstructionError::MemoryBudget`]; the oracle's; the check's;
/// [`ConstructionError::NotWithinEps`] when the run did not achieve `ε`.
pub fn prune_graph(
    graph: &Graph,
    domain: &Domain,
    config: &PruneConfig,
    progress: &dyn Progress,
) -> Result<GraphPruning, ConstructionError> {
    let start = Instant::now();
    let (plan, layout, large) = set_up(graph, domain, config)?;
    let plan_seconds = start.elapsed().as_secs_f64();
    let out = crate::oracle::run(&*layout, &large, &plan.oracle_spec(), progress)?;
    let mut report = verify_graph(&plan, &large, &out.pruned, &out.layers, progress)?;
    report.neurons_per_weight = layout.neurons_per_weight();
    report.seconds.plan = plan_seconds;
    report.seconds.prune = out.seconds;
    report.seconds.total = start.elapsed().as_secs_f64();
    report.verify()?;
    Ok(GraphPruning {
        plan,
        large,
        pruned: out.pruned,
        stats: out.layers,
        report,
    })
}

/// Checks Ĝ against the graph target of `plan` and builds the report: every kept weight
/// re-derived from G, the weight errors and operator bounds of each stage, the certificate,
/// and `‖F(x) − Ĝ(x)‖₂` measured through the virtual Ĝ on the domain's inputs (cut to a
/// flop budget on a box) and through the literal Ĝ on a spread subset. It does not fail when
/// the bounds exceed `ε` ([`GraphReport::verify`] does).
///
/// # Errors
/// [`ConstructionError::WeightMismatch`] (and the other re-derivation errors) for a weight
/// that is not G's; [`ConstructionError::LiteralVirtualMismatch`] if the literal and the
/// virtual Ĝ disagree beyond rounding; the graph's errors.
pub fn verify_graph(
    plan: &GraphPlan,
    large: &LargeNetwork,
    pruned: &PrunedNetwork,
    stats: &[LayerStats],
    progress: &dyn Progress,
) -> Result<GraphReport, ConstructionError> {
    let start = Instant::now();
    let weights_verified = verify_against_generator(large, pruned)?;
    // The mask itself: the class rule and each half within tolerance, layer by layer.
    let mixed_signs = plan.config().construction.layout(plan)?.mixes_signs()
        && plan.config().solver.may_mix_signs();
    for (t, layer) in pruned.layers().iter().enumerate() {
        let w = plan.matrices()[t].as_ref();
        crate::check::verify_mask(
            large,
            t,
            layer,
            &crate::check::MaskRules::new(plan, t, w, mixed_signs),
        )?;
    }
    let graph = plan.graph();
    let stages = plan.stages();
    // Per stage: virtual matrices, weight errors, operator bounds.
    struct Numbers {
        plus: Mat<f64>,
        minus: Mat<f64>,
        err_plus: f64,
        err_minus: Option<f64>,
        pruned_norm: f64,
        error_norm: f64,
    }
    let numbers: Vec<Numbers> = stages
        .par_iter()
        .enumerate()
        .map(|(t, stage)| {
            let layer = &pruned.layers()[t];
            let w = plan.matrices()[t].as_ref();
            let (plus, minus) = layer.virtual_matrices();
            let cols: Vec<usize> = (0..w.ncols())
                .filter(|&c| plan.needs_minus()[t][c])
                .collect();
            let sp = split(plus.as_ref(), minus.as_ref(), &cols);
            let e_plus = Mat::from_fn(w.nrows(), w.ncols(), |a, c| w[(a, c)] - plus[(a, c)]);
            let e_minus = Mat::from_fn(w.nrows(), w.ncols(), |a, c| w[(a, c)] - minus[(a, c)]);
            let err = split(e_plus.as_ref(), e_minus.as_ref(), &cols);
            let err_plus = logprune_network::max_norm(e_plus.as_ref());
            let err_minus = (!cols.is_empty()).then(|| {
                cols.iter()
                    .flat_map(|&c| (0..w.nrows()).map(move |a| (a, c)))
                    .map(|(a, c)| e_minus[(a, c)].abs())
                    .fold(0.0, f64::max)
            });
            Ok(Numbers {
                pruned_norm: stage_norm(stage, sp.as_ref(), w.ncols(), &cols)?,
                error_norm: stage_norm(stage, err.as_ref(), w.ncols(), &cols)?,
                plus,
                minus,
                err_plus,
                err_minus,
            })
        })
        .collect::<Result<_, ConstructionError>>()?;
    let certified_bound = graph_recurrence(
        graph,
        stages,
        plan.node_norms(),
        |t| numbers[t].pruned_norm,
        |t| numbers[t].error_norm,
    )?;

    // Measurement: F and the virtual Ĝ on the domain's inputs, cut to the flop budget.
    let all = check_inputs(plan.domain(), plan.config().seed);
    let flops_per_input = 2.0 * graph_flops(plan).max(1.0);
    let budget = ((MEASURE_FLOPS / flops_per_input) as usize).max(LITERAL_INPUTS);
    let stride = all.len().div_ceil(budget).max(1);
    let inputs: Vec<&Vec<f64>> = all.iter().step_by(stride).collect();
    progress.start("check", inputs.len() as u64);
    let n0 = graph.input_shape().len();
    let chunk = 64;
    let errors: Vec<f64> = inputs
        .par_chunks(chunk)
        .map(|rows| -> Result<Vec<f64>, ConstructionError> {
            let x = Mat::from_fn(n0, rows.len(), |b, k| rows[k][b]);
            let f = graph.forward_batch(x.as_ref(), Par::Seq)?;
            let g = run(graph, x, Par::Seq, &mut |t, xin| {
                virtual_stage(
                    &stages[t],
                    (&numbers[t].plus, &numbers[t].minus),
                    xin,
                    Par::Seq,
                )
            })?;
            progress.advance(rows.len() as u64);
            Ok((0..rows.len())
                .map(|k| distance(f.col(k).iter(), g.col(k).iter()))
                .collect())
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let empirical_max_error = errors.iter().copied().fold(0.0, f64::max);

    // The literal Ĝ on a spread subset, as many inputs as its budget allows.
    let literal_cost: f64 = stages
        .iter()
        .zip(pruned.layers())
        .map(|(s, l)| (l.edge_count() + l.len()) as f64 * s.positions() as f64)
        .sum();
    let n_literal = ((LITERAL_FLOPS / literal_cost.max(1.0)) as usize).clamp(1, LITERAL_INPUTS);
    let lstride = (inputs.len() / n_literal).max(1);
    let picked: Vec<&Vec<f64>> = inputs
        .iter()
        .step_by(lstride)
        .take(n_literal)
        .copied()
        .collect();
    let (literal_error, difference) = picked
        .par_chunks(8)
        .enumerate()
        .map(|(chunk, rows)| -> Result<(f64, f64), ConstructionError> {
            let x = Mat::from_fn(n0, rows.len(), |b, k| rows[k][b]);
            let f = graph.forward_batch(x.as_ref(), Par::Seq)?;
            let v = run(graph, x.clone(), Par::Seq, &mut |t, xin| {
                virtual_stage(
                    &stages[t],
                    (&numbers[t].plus, &numbers[t].minus),
                    xin,
                    Par::Seq,
                )
            })?;
            let l = run(graph, x, Par::Seq, &mut |t, xin| {
                literal_stage(&stages[t], &pruned.layers()[t], xin)
            })?;
            let mut worst = (0.0f64, 0.0f64);
            for k in 0..rows.len() {
                worst.0 = worst.0.max(distance(f.col(k).iter(), l.col(k).iter()));
                let d = distance(v.col(k).iter(), l.col(k).iter());
                let scale = v.col(k).iter().map(|y| y * y).sum::<f64>().sqrt();
                if !(d <= LITERAL_VIRTUAL_REL * (1.0 + scale)) {
                    return Err(ConstructionError::LiteralVirtualMismatch {
                        input: (chunk * 8 + k) * lstride,
                        difference: d,
                        scale,
                    });
                }
                worst.1 = worst.1.max(d);
            }
            Ok(worst)
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .fold((0.0f64, 0.0f64), |a, b| (a.0.max(b.0), a.1.max(b.1)));

    let core = &**plan;
    let c = core.config();
    let kept_neurons_total: u64 = pruned.layers().iter().map(|l| l.len() as u64).sum();
    let kept_edges_total: u64 = pruned.layers().iter().map(|l| l.edge_count() as u64).sum();
    let n_star = core.num_target_weights() as u64;
    let widths = large.intermediate_widths().to_vec();
    let stage_reports = stages
        .iter()
        .enumerate()
        .map(|(t, s)| GraphStageReport {
            node: graph.nodes()[s.node - 1].name.clone(),
            op: match s.kind {
                StageKind::Dense => "dense",
                StageKind::Conv { .. } => "conv",
            },
            fan_in: large.fan_in(t),
            fan_out: large.fan_out(t),
            positions: s.positions(),
            has_bias: s.has_bias,
            minus_columns: core.minus_columns()[t],
            intermediate_width: widths[t],
            kept_neurons: pruned.layers()[t].len() as u64,
            kept_edges: pruned.layers()[t].edge_count() as u64,
            max_weight_error_plus: numbers[t].err_plus,
            max_weight_error_minus: numbers[t].err_minus,
            target_norm: plan.target_norms()[t],
            pruned_norm: numbers[t].pruned_norm,
            error_norm: numbers[t].error_norm,
        })
        .collect();
    let shape = |s: logprune_network::Shape| [s.c, s.h, s.w];
    let (alpha, beta) = core.theorem3_range();
    Ok(GraphReport {
        schema_version: GRAPH_REPORT_SCHEMA_VERSION,
        target_kind: "graph",
        nodes: graph.nodes().len(),
        input_shape: shape(graph.input_shape()),
        output_shape: shape(graph.output_shape()),
        accuracy: c.accuracy,
        delta: c.delta,
        epsilon_w: core.epsilon_w(),
        tolerance_rule: ToleranceRule::Recurrence,
        alpha,
        beta,
        k_prime: core.k_prime(),
        w_max: core.w_max(),
        delta_w: core.delta_w(),
        construction: c.construction,
        solver: c.solver,
        distribution: c.distribution,
        theorem_applies: c.distribution.theorem_applies(),
        notes: {
            let mut n = notes(core);
            if c.tolerance_rule == ToleranceRule::Lemma1
                && matches!(c.accuracy, Accuracy::Network(_))
            {
                n.push(
                    "Lemma 1 bounds a chain of layers: ε_w of this graph target comes from the recurrence rule (module docs of logprune_construction::graph)".into(),
                );
            }
            n
        },
        generator: large.generator(),
        seed: large.seed(),
        neurons_per_weight: 0,
        neurons_per_weight_theorem: core.neurons_per_weight_theorem(),
        n_weights_target: n_star,
        n_weights_large: large.num_weights(),
        g_neurons_per_target_weight: widths.iter().map(|&m| m as f64).sum::<f64>() / n_star as f64,
        widths,
        kept_neurons_total,
        kept_neurons_per_target_weight: kept_neurons_total as f64 / n_star as f64,
        kept_edges_total,
        max_weight_error_plus: numbers.iter().map(|n| n.err_plus).fold(0.0, f64::max),
        max_weight_error_minus: numbers.iter().filter_map(|n| n.err_minus).reduce(f64::max),
        f_max: plan.f_max(),
        certified_bound,
        empirical_max_error,
        inputs_checked: inputs.len() as u64,
        empirical_max_error_literal: literal_error,
        literal_inputs_checked: picked.len() as u64,
        literal_virtual_max_difference: difference,
        domain: match plan.domain() {
            Domain::Box(_) => DomainKind::Box,
            Domain::Points(_) => DomainKind::Points,
        },
        products_consulted: stats.iter().map(|s| s.consulted).sum(),
        products_per_target_weight: stats.iter().map(|s| s.consulted).sum::<u64>() as f64
            / n_star as f64,
        weights_verified,
        ticket_form: None,
        seconds: Timings {
            plan: 0.0,
            prune: 0.0,
            check: start.elapsed().as_secs_f64(),
            total: 0.0,
        },
        stages: stage_reports,
    })
}

/// The multiply-adds of one forward pass of F's linear nodes.
fn graph_flops(plan: &GraphPlan) -> f64 {
    plan.stages()
        .iter()
        .zip(plan.matrices())
        .map(|(s, m)| (m.nrows() * m.ncols()) as f64 * s.positions() as f64)
        .sum()
}

/// `‖a − b‖₂`.
fn distance<'a>(a: impl Iterator<Item = &'a f64>, b: impl Iterator<Item = &'a f64>) -> f64 {
    a.zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
}

/// Checks a whole ticket of a graph target against the graph and domain: its fingerprint
/// first, then plans the run again from the ticket's spec, requires the same G, re-derives
/// every kept weight and recomputes the report ([`verify_graph`]; its timings are the
/// check's).
///
/// # Errors
/// [`ConstructionError::FingerprintMismatch`] before anything is recomputed;
/// [`ConstructionError::Ticket`] for a shard, an MLP ticket, or a G that is not the one the
/// spec and the graph give; the errors of [`GraphPlan::new`] and [`verify_graph`].
pub fn verify_graph_ticket(
    ticket: &crate::Ticket,
    graph: &Graph,
    domain: &Domain,
    progress: &dyn Progress,
) -> Result<GraphReport, ConstructionError> {
    let ticket_error = |message: String| ConstructionError::Ticket { message };
    if ticket.spec.graph.is_none() {
        return Err(ticket_error(
            "the ticket is an MLP's, not a graph target's".to_owned(),
        ));
    }
    let start = Instant::now();
    let config = ticket.spec.config(None);
    let plan = GraphPlan::new(graph, domain, &config)?;
    ticket
        .spec
        .check_fingerprint(&crate::Fingerprint::of_graph_plan(&plan))?;
    if let Some(s) = ticket.spec.shard {
        return Err(ticket_error(format!(
            "shard {s} is part of a run: merge the shards first"
        )));
    }
    let layout = config.construction.layout(&plan)?;
    let large = plan.large_network(&*layout)?;
    let described = ticket.spec.large_network()?;
    if described != large || ticket.spec.graph.as_ref() != Some(&super::GraphSpec::of(graph)) {
        return Err(ticket_error(format!(
            "the ticket's G ({} with widths {:?}) is not the one its spec gives for this graph and domain ({} with widths {:?}): another target, domain or version?",
            described.generator(),
            described.intermediate_widths(),
            large.generator(),
            large.intermediate_widths(),
        )));
    }
    let plan_seconds = start.elapsed().as_secs_f64();
    let mut report = verify_graph(&plan, &large, &ticket.pruned, &ticket.stats, progress)?;
    report.neurons_per_weight = layout.neurons_per_weight();
    report.ticket_form = Some(ticket.form);
    report.seconds.plan = plan_seconds;
    report.seconds.total = start.elapsed().as_secs_f64();
    Ok(report)
}

/// One shard of a graph target's run ([`crate::prune_shard`] for a graph): the oracle on the
/// work items shard `shard` owns, as a partial ticket; [`crate::ticket::merge`] of all the
/// shards is the whole run's Ĝ, byte for byte.
///
/// # Errors
/// As [`prune_graph`] up to the oracle.
pub fn prune_graph_shard(
    graph: &Graph,
    domain: &Domain,
    config: &PruneConfig,
    shard: crate::Shard,
    progress: &dyn Progress,
) -> Result<crate::Ticket, ConstructionError> {
    let start = Instant::now();
    let (plan, layout, large) = set_up(graph, domain, config)?;
    let plan_seconds = start.elapsed().as_secs_f64();
    let (layers, out) =
        crate::oracle::run_shard(&*layout, &large, &plan.oracle_spec(), shard, progress)?;
    Ok(crate::Ticket {
        spec: crate::TicketSpec {
            shard_seconds: Some(crate::ticket::ShardSeconds {
                plan: plan_seconds,
                prune: out.seconds,
            }),
            ..crate::TicketSpec::of_graph_run(&plan, &large, Some(shard))
        },
        pruned: PrunedNetwork::of_graph(layers)?,
        stats: out.layers,
        form: crate::TicketForm::default(),
    })
}

/// The target graph's structure as a ticket records it ([`super::GraphSpec`]): every node
/// with its op, window and shape, the per-channel scales, and the linear nodes with zero
/// weights (Ĝ's forward pass reads only their shapes and windows: its weights are the kept
/// neurons').
///
/// # Errors
/// [`ConstructionError::Ticket`] for an op or activation the spec cannot name, a missing
/// window or scale; [`ConstructionError::Graph`] for shapes that do not fit.
pub fn graph_of_spec(spec: &super::GraphSpec) -> Result<Graph, ConstructionError> {
    use logprune_network::{Conv2d, Node, Op, Pool2d, Shape, Window};
    let bad = |k: usize, what: String| ConstructionError::Ticket {
        message: format!("graph node {}: {what}", k + 1),
    };
    let shape = |s: [usize; 3]| Shape::new(s[0], s[1], s[2]);
    let input = shape(spec.input);
    let mut shapes = vec![input];
    let mut nodes = Vec::with_capacity(spec.nodes.len());
    for (k, n) in spec.nodes.iter().enumerate() {
        let window = || {
            n.window
                .map(|(kernel, stride, padding, dilation)| Window {
                    kernel,
                    stride,
                    padding,
                    dilation,
                })
                .ok_or_else(|| bad(k, format!("`{}` without a window", n.op)))
        };
        let first = *n
            .inputs
            .first()
            .and_then(|&i| shapes.get(i))
            .ok_or_else(|| bad(k, "an input that is not an earlier node".to_owned()))?;
        let out = shape(n.shape);
        let zeros = |len: usize| vec![0.0; len];
        let op = match n.op.as_str() {
            "dense" => Op::Dense {
                weight: Mat::zeros(out.len(), first.len()),
                bias: n.bias.unwrap_or(false).then(|| zeros(out.len())),
            },
            "conv" => {
                let w = window()?;
                Op::Conv(Conv2d {
                    c_out: out.c,
                    c_in: first.c,
                    window: w,
                    weight: zeros(out.c.saturating_mul(first.c).saturating_mul(w.taps())),
                    bias: n.bias.unwrap_or(false).then(|| zeros(out.c)),
                })
            }
            "scale" => {
                let (scale, shift) = n
                    .scale
                    .clone()
                    .ok_or_else(|| bad(k, "`scale` without its factors".to_owned()))?;
                Op::Scale { scale, shift }
            }
            "max-pool" => Op::MaxPool(Pool2d {
                window: window()?,
                count_include_pad: false,
            }),
            "avg-pool" => Op::AvgPool(Pool2d {
                window: window()?,
                count_include_pad: n.count_include_pad.unwrap_or(true),
            }),
            "global-avg-pool" => Op::GlobalAvgPool,
            "flatten" => Op::Flatten,
            "add" => Op::Add,
            other => Op::Activation(
                other
                    .parse()
                    .map_err(|e| bad(k, format!("unknown op `{other}`: {e}")))?,
            ),
        };
        nodes.push(Node {
            name: n.name.clone(),
            op,
            inputs: n.inputs.clone(),
        });
        shapes.push(out);
    }
    let graph = Graph::new(input, nodes)?;
    if super::GraphSpec::of(&graph) != *spec {
        return Err(ConstructionError::Ticket {
            message: "the graph in the ticket's metadata is not consistent (shapes or fans)"
                .to_owned(),
        });
    }
    Ok(graph)
}

/// Ĝ of a graph ticket on a batch (one input per column, the graph's flattened `C × H × W`),
/// from the ticket alone: literal (G's kept neurons) or virtual (`Ŵ±`).
///
/// # Errors
/// As [`graph_of_spec`]; [`ConstructionError::WidthCount`] or
/// [`ConstructionError::ShapeMismatch`] when Ĝ's layers do not fit the graph;
/// [`ConstructionError::InputLength`] or [`ConstructionError::NonFiniteInput`].
pub fn forward_graph_ticket(
    spec: &super::GraphSpec,
    pruned: &PrunedNetwork,
    x: faer::MatRef<'_, f64>,
    r#virtual: bool,
) -> Result<Mat<f64>, ConstructionError> {
    let graph = graph_of_spec(spec)?;
    check_batch(&graph, x)?;
    let (stages, matrices) = super::stages(&graph)?;
    if pruned.layers().len() != stages.len() {
        return Err(ConstructionError::WidthCount {
            what: "layers of the pruned network",
            expected: stages.len(),
            found: pruned.layers().len(),
        });
    }
    for (t, (l, m)) in pruned.layers().iter().zip(&matrices).enumerate() {
        for (what, expected, found) in [
            ("inputs", m.ncols(), l.n_in()),
            ("outputs", m.nrows(), l.n_out()),
        ] {
            if expected != found {
                return Err(ConstructionError::ShapeMismatch {
                    layer: t + 1,
                    what,
                    expected,
                    found,
                });
            }
        }
    }
    let virtuals: Vec<(Mat<f64>, Mat<f64>)> = if r#virtual {
        pruned
            .layers()
            .iter()
            .map(|l| l.virtual_matrices())
            .collect()
    } else {
        Vec::new()
    };
    run(&graph, x.to_owned(), Par::Seq, &mut |t, xin| {
        if r#virtual {
            virtual_stage(&stages[t], (&virtuals[t].0, &virtuals[t].1), xin, Par::Seq)
        } else {
            literal_stage(&stages[t], &pruned.layers()[t], xin)
        }
    })
}
