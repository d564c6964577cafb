//! The check and the certificate of a pruned network (ARCHITECTURE.md, invariant 7), and the
//! [`Report`] of a pruning run, built once from the oracle's output.
//!
//! [`check`] does four things:
//!
//! 1. recomputes every kept weight from G's generator and compares it bit for bit, and checks
//!    that every kept edge is an edge of G (indices in range; one input per kept neuron holds
//!    by construction of [`crate::KeptNeuron`]);
//! 2. measures `max |w* − ŵ⁺|` (all columns) and `max |w* − ŵ⁻|` (the columns that need
//!    `ŵ⁻`, [`crate::Plan::needs_minus`]);
//! 3. certifies `sup_x ‖F(x) − Ĝ(x)‖₂` with the actual matrices ([`crate::certificate`]): the
//!    recurrence (`certified_bound`), Corollary 27's closed form and Lemma 1's bound;
//! 4. measures the largest error of Ĝ against F over the domain: every data row of a finite
//!    domain (and nothing else: the domain is that set), or on a box its corners (all of them
//!    if `2^{n_0} ≤ 4096`, else 4096 random ones) and uniform samples, 10⁴ inputs in all,
//!    drawn from the seed with the counter-based generator. Ĝ is evaluated through its
//!    virtual matrices (`σ_i(Ŵ⁺ x⁺ + Ŵ⁻ x⁻)`, faer's matrix products: the cost of F's own
//!    forward pass, whatever Ĝ keeps), and its literal sparse network on a spread subset of
//!    at least 256 of the inputs (all of them if fewer); the two passes must agree to
//!    rounding ([`ConstructionError::LiteralVirtualMismatch`] otherwise), and both errors are
//!    reported.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use logprune_network::{Activation, Network, norms, rows_to_columns};
use logprune_sampling::{counter, negative_bit, unit_open};
use rayon::prelude::*;
use serde::Serialize;

use crate::certificate::{self, LayerTerms};
use crate::large::AUX_STREAM_BASE;
use crate::layout::Layout;
use crate::oracle::LayerStats;
use crate::pruned::PrunedLayer;
use crate::{
    Accuracy, Construction, ConstructionError, Domain, DomainKind, GDistribution, Generator,
    LargeNetwork, Plan, Progress, PrunedNetwork, Side, SolverKind,
};

/// The version of [`Report`]'s JSON layout; it changes whenever a field changes meaning or
/// goes away.
pub const REPORT_SCHEMA_VERSION: u32 = 2;

/// The number of inputs measured on a box domain.
pub const BOX_INPUTS: usize = 10_000;

/// The most box corners measured (all of them when `2^{n_0}` is at most this).
pub const MAX_CORNERS: usize = 4096;

/// The least number of inputs (all of them if fewer) on which the literal sparse Ĝ is run and
/// compared with the virtual one.
pub const LITERAL_INPUTS: usize = 256;

/// What [`check`] found for one layer `i`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerReport {
    /// The paper's layer number `i` (1-based).
    pub layer: usize,
    /// `n_{i-1}` (of F', the bias unit included).
    pub n_in: usize,
    /// `n_i`.
    pub n_out: usize,
    /// `σ_i`.
    #[serde(serialize_with = "activation_name")]
    pub activation: Activation,
    /// `M_i`, the intermediate width of G.
    pub intermediate_width: u64,
    /// The theorem's `M_i` for the construction ([`Layout::widths_theorem`]).
    pub intermediate_width_theorem: u64,
    /// Whether G's `M_i` sufficed: every target weight of the layer was decomposed (always
    /// true in the report of a successful run, which fails otherwise).
    pub width_sufficed: bool,
    /// Halves `(w*, ±)` that could not be decomposed: 0 when `width_sufficed`.
    pub empty_slots: u64,
    /// The width the same draws needed ([`crate::oracle::LayerStats::width_needed`]).
    pub width_needed: u64,
    /// Neurons of G consulted in this layer.
    pub products_consulted: u64,
    /// The kept intermediate neurons of Ĝ.
    pub kept_neurons: u64,
    /// The kept output edges of Ĝ (one per neuron except for shared-input).
    pub kept_edges: u64,
    /// `|N_i|`, the columns that need `ŵ⁻`.
    pub minus_columns: usize,
    /// `ν_i = ‖[W*_i W*_{i,N}]‖₂` (upper bound).
    pub target_norm: f64,
    /// `‖[Ŵ⁺ Ŵ⁻_N]‖₂` (upper bound).
    pub pruned_norm: f64,
    /// `‖[E⁺ E⁻_N]‖₂` with `E± = W* − Ŵ±` (upper bound).
    pub error_norm: f64,
    /// `S_{i-1} = sup_x ‖F_{i-1}(x)‖₂` (certified upper bound).
    pub input_norm: f64,
    /// `max |w* − ŵ⁺|` over the layer.
    pub max_weight_error_plus: f64,
    /// `max |w* − ŵ⁻|` over the columns that need it (`None` if none does).
    pub max_weight_error_minus: Option<f64>,
}

fn activation_name<S: serde::Serializer>(a: &Activation, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&a.to_string())
}

/// What a tolerance rule gives ([`crate::ToleranceRule`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleReport {
    /// The rule.
    pub rule: crate::ToleranceRule,
    /// Its `ε_w` (each half within `ε_w/2`).
    pub epsilon_w: f64,
    /// Its `k' = log_{3/2}(3 w_max/ε_w)`.
    pub k_prime: f64,
    /// Its per-weight block `m = 8⌈k' ln(k'/δ_w)⌉`.
    pub neurons_per_weight_theorem: u64,
    /// The kept neurons under it: this run's, or the other rule's if it was run
    /// ([`crate::PruneConfig::compare_rules`]).
    pub kept_neurons: Option<u64>,
}

/// Wall-clock seconds of the stages of a run (volatile).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Timings {
    /// [`Plan::new`]: certified bounds, norms, `ε_w`.
    pub plan: f64,
    /// The oracle.
    pub prune: f64,
    /// The check, certificate and measurement.
    pub check: f64,
    /// All of them.
    pub total: f64,
}

/// The report of a pruning run (serialized to `report.json` by the command line).
///
/// Layer lists are indexed by the paper's `i − 1`. Widths and counts are those of the
/// bias-free F' (with the constant unit when the target has biases).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// What the run asked for: the network accuracy `ε` or the weight tolerance `T`.
    pub accuracy: Accuracy,
    /// The failure probability `δ`.
    pub delta: f64,
    /// `ε_w`: chosen before pruning by the tolerance rule (each half within `ε_w/2`), or `2T`.
    pub epsilon_w: f64,
    /// The tolerance rule of the run.
    pub tolerance_rule: crate::ToleranceRule,
    /// What each tolerance rule gives (empty with a weight tolerance).
    pub rules: Vec<RuleReport>,
    /// `ε_eff = max_i √(1 + |N_i|/n_{i-1}) · max|E_i|`, Lemma 1's per-weight accuracy
    /// actually achieved ([`certificate::effective_epsilon_w`]).
    pub epsilon_w_effective: f64,
    /// `α` of Theorem 3's weight range.
    pub alpha: f64,
    /// `β` of Theorem 3's weight range.
    pub beta: f64,
    /// `k' = log_{3/2}(3 w_max/ε_w)` (Theorem 3).
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
    /// Whether Theorem 3's and Theorem 30's widths are proven for this distribution.
    pub theorem_applies: bool,
    /// What the reader should know about this run's widths and guarantees.
    pub notes: Vec<String>,
    /// The generator's counter layout.
    pub generator: Generator,
    /// The seed of G.
    pub seed: u64,
    /// The layout's width parameter ([`Layout::neurons_per_weight`]).
    pub neurons_per_weight: u64,
    /// The theorem's `m = 8⌈k' ln(k'/δ_w)⌉` of the per-weight block.
    pub neurons_per_weight_theorem: u64,
    /// `M_i`, the intermediate widths of G.
    pub widths: Vec<u64>,
    /// The theorem's (or rule's) `M_i` for the construction, unscaled.
    pub widths_theorem: Vec<u64>,
    /// The width scale of the run ([`crate::PruneConfig::width_scale`]).
    pub width_scale: f64,
    /// G's intermediate neurons per target weight, `Σ_i M_i / N*`.
    pub g_neurons_per_target_weight: f64,
    /// The same for the per-weight layout at the theorem's width, `m` (for comparison).
    pub per_weight_neurons_per_target_weight: f64,
    /// `k`, the golden-ratio intervals at `ε_w/2` ([`Plan::golden_ratio_steps`]).
    pub golden_ratio_steps: u64,
    /// `n_0, ..., n_ℓ` of F'.
    pub target_widths: Vec<usize>,
    /// Whether the target's biases are carried by a constant unit (Ĝ takes `(x, 1)`).
    pub has_bias_unit: bool,
    /// `N*`, the number of weights of F'.
    pub n_weights_target: u64,
    /// `N_G = Σ_i (n_{i-1} + n_i) M_i`.
    pub n_weights_large: f64,
    /// `log10 N_G`.
    pub log10_n_weights_large: f64,
    /// Kept intermediate neurons per layer.
    pub kept_neurons: Vec<u64>,
    /// Kept intermediate neurons in all.
    pub kept_neurons_total: u64,
    /// Kept output edges in all.
    pub kept_edges_total: u64,
    /// `max |w* − ŵ⁺|` over all layers.
    pub max_weight_error_plus: f64,
    /// `max |w* − ŵ⁻|` over the columns that need it (`None` if none does).
    pub max_weight_error_minus: Option<f64>,
    /// Certified upper bound on `F_max(X)` of F'.
    pub f_max: f64,
    /// The certificate: the per-layer recurrence iterated with the actual spectral norms.
    pub certified_bound: f64,
    /// Corollary 27's closed form of the same recurrence (`≥ certified_bound`).
    pub certified_bound_corollary27: f64,
    /// Lemma 1's bound with the actual entry errors and norms.
    pub certified_bound_lemma1: f64,
    /// The largest `‖F(x) − Ĝ(x)‖₂` measured, Ĝ through its virtual matrices.
    pub empirical_max_error: f64,
    /// The number of inputs measured.
    pub inputs_checked: u64,
    /// The largest `‖F(x) − Ĝ(x)‖₂` with the literal sparse Ĝ, on its subset of inputs.
    pub empirical_max_error_literal: f64,
    /// The number of inputs of the literal pass.
    pub literal_inputs_checked: u64,
    /// The largest `‖Ĝ_literal(x) − Ĝ_virtual(x)‖₂` on that subset (rounding only).
    pub literal_virtual_max_difference: f64,
    /// A box or a finite set.
    pub domain: DomainKind,
    /// Neurons of G consulted by the oracle.
    pub products_consulted: u64,
    /// `products_consulted / N*`.
    pub products_per_target_weight: f64,
    /// Kept weights recomputed from G's generator (all of them).
    pub weights_verified: u64,
    /// The form of the ticket this report goes with (`compact`: the mask only, its weights
    /// re-derived from G; `weights`: the mask and the kept weights), as the writer of the
    /// ticket or [`crate::verify`] says; absent when no ticket is involved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_form: Option<crate::TicketForm>,
    /// Wall-clock seconds (volatile).
    pub seconds: Timings,
    /// The width search that chose G's width (`--search-width`), if any.
    pub width_search: Option<crate::WidthSearch>,
    /// Per-layer details.
    pub layers: Vec<LayerReport>,
}

impl Report {
    /// The report as pretty-printed JSON (with a trailing newline).
    ///
    /// # Errors
    /// [`ConstructionError::Json`] if serde_json fails (not expected: every field is
    /// serializable, and a non-finite float is written as `null`).
    pub fn to_json(&self) -> Result<String, ConstructionError> {
        let mut s = serde_json::to_string_pretty(self).map_err(|e| ConstructionError::Json {
            message: e.to_string(),
        })?;
        s.push('\n');
        Ok(s)
    }

    /// `max |w* − ŵ±|` over both halves and all layers.
    pub fn max_weight_error(&self) -> f64 {
        self.max_weight_error_plus
            .max(self.max_weight_error_minus.unwrap_or(0.0))
    }

    /// Succeeds iff the run achieved what it asked for: with a network accuracy `ε`, both the
    /// certificate and the measurements (virtual and literal) are within `ε`; with a weight
    /// tolerance `T`, every half of every target weight is within `T`.
    ///
    /// # Errors
    /// [`ConstructionError::NotWithinEps`] or [`ConstructionError::NotWithinTolerance`] with
    /// the numbers.
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
                let worst = self.max_weight_error();
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

/// Recomputes every kept weight of `pruned` from `large` (ARCHITECTURE.md, invariant 7).
///
/// Returns the number of weights verified.
///
/// # Errors
/// [`ConstructionError::WidthCount`] / [`ConstructionError::ShapeMismatch`] if Ĝ does not
/// have G's layers; [`ConstructionError::NotAnEdge`] for an index out of range;
/// [`ConstructionError::WeightMismatch`] for a weight that differs from G's (the first in
/// layer and G order).
pub fn verify_against_generator(
    large: &LargeNetwork,
    pruned: &PrunedNetwork,
) -> Result<u64, ConstructionError> {
    if pruned.layers().len() != large.depth() {
        return Err(ConstructionError::WidthCount {
            what: "layers of the pruned network",
            expected: large.depth(),
            found: pruned.layers().len(),
        });
    }
    let mut count = 0;
    for (t, layer) in pruned.layers().iter().enumerate() {
        count += verify_layer(large, t, layer)?;
    }
    Ok(count)
}

/// Neurons per rayon task of [`verify_layer`].
const VERIFY_CHUNK: usize = 4096;

/// [`verify_against_generator`] for layer `t` of Ĝ, its neurons in parallel; the error
/// reported is the first in G's order, whatever the number of threads.
pub(crate) fn verify_layer(
    large: &LargeNetwork,
    t: usize,
    layer: &PrunedLayer,
) -> Result<u64, ConstructionError> {
    let (n_in, n_out) = (large.fan_in(t), large.fan_out(t));
    for (what, expected, found) in [
        ("inputs", n_in, layer.n_in()),
        ("outputs", n_out, layer.n_out()),
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
    let chunks: Vec<Result<u64, ConstructionError>> = (0..layer.len().div_ceil(VERIFY_CHUNK))
        .into_par_iter()
        .map(|c| {
            let ks = c * VERIFY_CHUNK..((c + 1) * VERIFY_CHUNK).min(layer.len());
            // Every index checked against G's shape first (a typed error, never a panic),
            // then the weights derived in batches (`LargeNetwork::weights_at`).
            let (mut ui, mut vi) = (Vec::with_capacity(ks.len()), Vec::new());
            let (mut us, mut vs) = (Vec::with_capacity(ks.len()), Vec::new());
            for k in ks {
                let n = layer.neuron(k);
                large.weight_index(t, Side::Input, n.z, n.input)?;
                ui.push((n.z, n.input));
                us.push(n.u);
                for (a, v) in n.edges() {
                    large.weight_index(t, Side::Output, n.z, a)?;
                    vi.push((n.z, a));
                    vs.push(v);
                }
            }
            let mut generated = vec![0.0; ui.len().max(vi.len())];
            for (side, items, stored) in [(Side::Input, &ui, &us), (Side::Output, &vi, &vs)] {
                let g = &mut generated[..items.len()];
                large.weights_at(t, side, items, g);
                if let Some(i) = (0..g.len()).find(|&i| g[i].to_bits() != stored[i].to_bits()) {
                    let (neuron, port) = items[i];
                    return Err(ConstructionError::WeightMismatch {
                        layer: t + 1,
                        side,
                        neuron,
                        port,
                        stored: stored[i],
                        generated: g[i],
                    });
                }
            }
            Ok((ui.len() + vi.len()) as u64)
        })
        .collect();
    chunks.into_iter().sum()
}

/// The out-of-tolerance halves per output row that [`verify_mask`] tries to complete with a
/// kept neuron whose input changed (a bound on the work of a failing check).
const MISSING_PIECE_CANDIDATES: usize = 16;

/// What [`verify_mask`] checks a layer of Ĝ against: the layer's target matrix `W*`
/// (`n_i × n_{i−1}`), which of its columns need `ŵ⁻`, the per-half bound on `|w* − ŵ±|`,
/// and whether the layout's solver may mix signs ([`Layout::mixes_signs`]).
#[derive(Clone, Copy)]
pub(crate) struct MaskRules<'a> {
    pub(crate) target: MatRef<'a, f64>,
    pub(crate) needs_minus: &'a [bool],
    pub(crate) bound: f64,
    pub(crate) mixed_signs: bool,
}

impl<'a> MaskRules<'a> {
    /// The rules of layer `t` of a run planned as `plan` (target matrix `target`) with a
    /// layout that does or does not mix signs. The bound is the per-half `ε_w/2` with room
    /// for the rounding of the sums (`64·2⁻⁵²·w_max` and `10⁻⁹` of it): a decomposition the
    /// solver accepted is within it, a changed mask is not, but by chance.
    pub(crate) fn new(
        plan: &'a crate::PlanCore,
        t: usize,
        target: MatRef<'a, f64>,
        mixed_signs: bool,
    ) -> Self {
        let half = plan.epsilon_w() / 2.0;
        MaskRules {
            target,
            needs_minus: &plan.needs_minus()[t],
            bound: half * (1.0 + 1e-9) + 64.0 * f64::EPSILON * plan.w_max().max(half),
            mixed_signs,
        }
    }
}

/// Checks the mask of layer `t` of Ĝ in `O(kept)` (its weights already re-derived from G,
/// [`verify_layer`]): every kept neuron obeys Theorem 3's class rule for each of its edges
/// ([`crate::kernel::classes`]: `ŵ⁺` takes `U > 0`, `ŵ⁻` takes `U < 0` where the column needs
/// it, and unless the layout mixes signs `V·U` has the sign of `w*`), and every target
/// weight's half `ŵ±[a, b] = Σ V·U` over its kept neurons is within the per-half bound.
///
/// # Errors
/// [`ConstructionError::MaskViolation`] naming the first neuron (in the layer's order) that
/// breaks the class rule, or else the first that, taken out, would bring an out-of-tolerance
/// half within the bound (a neuron moved to another target weight), or else the first whose
/// piece, with another input (re-derived from G), would complete such a half (its input was
/// changed);
/// [`ConstructionError::DecompositionOffTolerance`] for the first half out of tolerance with
/// no such neuron (a piece changed or missing), naming the kept neurons that serve it.
pub(crate) fn verify_mask(
    large: &LargeNetwork,
    t: usize,
    layer: &PrunedLayer,
    rules: &MaskRules<'_>,
) -> Result<(), ConstructionError> {
    let w = rules.target;
    let (n_out, n_in) = (w.nrows(), w.ncols());
    if layer.n_in() != n_in || layer.n_out() != n_out || rules.needs_minus.len() != n_in {
        return Err(ConstructionError::ShapeMismatch {
            layer: t + 1,
            what: "inputs",
            expected: n_in,
            found: layer.n_in(),
        });
    }
    let violation =
        |k: usize, z: u64, b: usize, a: usize, reason: String| ConstructionError::MaskViolation {
            layer: t + 1,
            position: k,
            neuron: z,
            input: b,
            output: a,
            reason,
        };
    // The class rule, neuron by neuron, and the halves' sums (as the virtual matrices).
    let mut sums = vec![[0.0f64; 2]; n_out * n_in];
    for k in 0..layer.len() {
        let n = layer.neuron(k);
        let b = n.input;
        let u_neg = n.u < 0.0;
        for (a, v) in n.edges() {
            let wt = w[(a, b)];
            let [plus, minus] = crate::kernel::classes(
                u64::from(u_neg),
                u64::from(v < 0.0),
                wt < 0.0,
                rules.needs_minus[b],
                rules.mixed_signs,
            );
            if (if u_neg { minus } else { plus }) & 1 == 0 {
                let reason = if u_neg && !rules.needs_minus[b] {
                    format!(
                        "breaks Theorem 3's class rule: U = {:e} < 0, but input {b} needs no ŵ⁻",
                        n.u
                    )
                } else {
                    format!(
                        "breaks Theorem 3's class rule: V·U = {:e} does not have the sign of w* = {wt:e}",
                        v * n.u
                    )
                };
                return Err(violation(k, n.z, b, a, reason));
            }
            sums[a * n_in + b][usize::from(u_neg)] += v * n.u;
        }
    }
    // The halves out of tolerance.
    let mut off = vec![[false; 2]; n_out * n_in];
    let mut first: Option<(usize, usize, usize)> = None;
    for a in 0..n_out {
        for b in 0..n_in {
            for h in 0..2 {
                if h == 1 && !rules.needs_minus[b] {
                    continue;
                }
                if (w[(a, b)] - sums[a * n_in + b][h]).abs() > rules.bound {
                    off[a * n_in + b][h] = true;
                    first.get_or_insert((a, b, h));
                }
            }
        }
    }
    let Some((a0, b0, h0)) = first else {
        return Ok(());
    };
    let half = |h: usize| crate::Half::BOTH[h];
    for k in 0..layer.len() {
        let n = layer.neuron(k);
        let (b, h) = (n.input, usize::from(n.u < 0.0));
        for (a, v) in n.edges() {
            let i = a * n_in + b;
            if off[i][h] && (w[(a, b)] - (sums[i][h] - v * n.u)).abs() <= rules.bound {
                return Err(violation(
                    k,
                    n.z,
                    b,
                    a,
                    format!(
                        "is not a piece of target weight ({a}, {b}): with it {} is off w* = {:e} by {:e} > the per-half tolerance {:e}, without it within",
                        half(h),
                        w[(a, b)],
                        (w[(a, b)] - sums[i][h]).abs(),
                        rules.bound
                    ),
                ));
            }
        }
    }
    // A piece missing because its neuron's input changed: a kept neuron with an edge to `a`
    // whose piece with input `b` instead (re-derived from G) would bring `(a, b)` within.
    let mut off_in_row: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n_out];
    for (a, row) in off_in_row.iter_mut().enumerate() {
        for b in 0..n_in {
            for (h, &is_off) in off[a * n_in + b].iter().enumerate() {
                if is_off && row.len() < MISSING_PIECE_CANDIDATES {
                    row.push((b, h));
                }
            }
        }
    }
    for k in 0..layer.len() {
        let n = layer.neuron(k);
        for (a, v) in n.edges() {
            for &(b, h) in &off_in_row[a] {
                if b == n.input {
                    continue;
                }
                let u = large.u(t, n.z, b);
                let i = a * n_in + b;
                if usize::from(u < 0.0) == h
                    && (w[(a, b)] - (sums[i][h] + v * u)).abs() <= rules.bound
                {
                    return Err(violation(
                        k,
                        n.z,
                        n.input,
                        a,
                        format!(
                            "has input {}, but it is the missing piece of target weight ({a}, {b}): {} is off w* = {:e} by {:e} > the per-half tolerance {:e}, and within with this neuron's input {b}",
                            n.input,
                            half(h),
                            w[(a, b)],
                            (w[(a, b)] - sums[i][h]).abs(),
                            rules.bound
                        ),
                    ));
                }
            }
        }
    }
    let serving: Vec<(usize, u64)> = (0..layer.len())
        .map(|k| layer.neuron(k))
        .enumerate()
        .filter(|(_, n)| {
            n.input == b0 && usize::from(n.u < 0.0) == h0 && n.edges().any(|(a, _)| a == a0)
        })
        .map(|(k, n)| (k, n.z))
        .collect();
    Err(ConstructionError::DecompositionOffTolerance {
        layer: t + 1,
        output: a0,
        input: b0,
        half: half(h0),
        error: (w[(a0, b0)] - sums[a0 * n_in + b0][h0]).abs(),
        tolerance: rules.bound,
        positions: serving.iter().map(|s| s.0).collect(),
        neurons: serving.iter().map(|s| s.1).collect(),
    })
}

/// The inputs measured on the user's domain (see the [module documentation](self)): the rows
/// of a finite domain; on a box, its corners (all if `2^{n_0} ≤ 4096`, else 4096 random
/// ones: coordinate `j` of corner `k` is `lo_j` or `hi_j` by bit 0 of the counter word
/// `(seed, AUX_STREAM_BASE, k·n_0 + j)`) followed by uniform samples
/// (`lo_j + u (hi_j − lo_j)`, `u` the open uniform of `(seed, AUX_STREAM_BASE + 1, k·n_0 + j)`),
/// [`BOX_INPUTS`] inputs in all.
pub fn check_inputs(domain: &Domain, seed: u64) -> Vec<Vec<f64>> {
    match domain {
        Domain::Points(rows) => rows.clone(),
        Domain::Box(b) => {
            let n0 = b.dim();
            let (lo, hi) = (b.lo(), b.hi());
            let all_corners = n0 < usize::BITS as usize && (1usize << n0) <= MAX_CORNERS;
            let mut inputs = Vec::with_capacity(BOX_INPUTS);
            if all_corners {
                for k in 0..(1usize << n0) {
                    inputs.push(
                        (0..n0)
                            .map(|j| if (k >> j) & 1 == 1 { hi[j] } else { lo[j] })
                            .collect(),
                    );
                }
            } else {
                for k in 0..MAX_CORNERS {
                    inputs.push(
                        (0..n0)
                            .map(|j| {
                                let bits =
                                    counter::bits(seed, AUX_STREAM_BASE, (k * n0 + j) as u64);
                                if negative_bit(bits) { hi[j] } else { lo[j] }
                            })
                            .collect(),
                    );
                }
            }
            let uniform = BOX_INPUTS.saturating_sub(inputs.len());
            for k in 0..uniform {
                inputs.push(
                    (0..n0)
                        .map(|j| {
                            let u = unit_open(counter::bits(
                                seed,
                                AUX_STREAM_BASE + 1,
                                (k * n0 + j) as u64,
                            ));
                            (lo[j] + u * (hi[j] - lo[j])).clamp(lo[j], hi[j])
                        })
                        .collect(),
                );
            }
            inputs
        }
    }
}

/// What [`check`] checks: the user's target and domain, the run's plan, layout and G, and
/// Ĝ with the oracle's counts and the seconds the plan and the oracle took.
#[derive(Clone)]
pub struct CheckInput<'a> {
    /// The user's network F (with its biases, if any).
    pub target: &'a Network,
    /// The domain in F's coordinates.
    pub domain: &'a Domain,
    /// The run's plan (its F' and domain).
    pub plan: &'a Plan,
    /// The layout.
    pub layout: &'a dyn Layout,
    /// G.
    pub large: &'a LargeNetwork,
    /// Ĝ.
    pub pruned: &'a PrunedNetwork,
    /// The oracle's per-layer counts.
    pub stats: &'a [LayerStats],
    /// Seconds the plan and the oracle took.
    pub seconds: (f64, f64),
    /// The kept neurons per layer under the other tolerance rule, if it was run.
    pub other_rule: Option<&'a (crate::ToleranceRule, Vec<u64>)>,
    /// The width search that chose this run's width, if any.
    pub width_search: Option<crate::WidthSearch>,
}

/// Checks and certifies the oracle's Ĝ against the target (see the
/// [module documentation](self)), and builds the whole [`Report`]. `progress` is told the
/// number of inputs to measure and advanced as they are done. It does not fail when the
/// bounds exceed `ε`: see [`Report::verify`].
///
/// # Errors
/// As [`verify_against_generator`]; [`ConstructionError::DomainDimension`] if the domain is
/// not in F's input dimension; [`ConstructionError::LiteralVirtualMismatch`] if the literal
/// and the virtual Ĝ disagree beyond rounding; a norm that cannot be computed; inputs
/// refused by F.
pub fn check(input: &CheckInput<'_>, progress: &dyn Progress) -> Result<Report, ConstructionError> {
    if input.pruned.layers().len() != input.large.depth() {
        return Err(ConstructionError::WidthCount {
            what: "layers of the pruned network",
            expected: input.large.depth(),
            found: input.pruned.layers().len(),
        });
    }
    let mut checker = Checker::new(
        input.target,
        input.domain,
        input.plan,
        input.large,
        input.layout,
    )?;
    for (t, layer) in input.pruned.layers().iter().enumerate() {
        checker.layer(t, layer)?;
    }
    checker.finish(
        &Finish {
            layout: input.layout,
            stats: input.stats,
            seconds: input.seconds,
            other_rule: input.other_rule,
            width_search: input.width_search.clone(),
        },
        progress,
    )
}

/// What [`Checker::finish`] needs besides the layers.
pub(crate) struct Finish<'a> {
    /// The layout.
    pub layout: &'a dyn Layout,
    /// The oracle's per-layer counts.
    pub stats: &'a [LayerStats],
    /// Seconds the plan and the oracle took.
    pub seconds: (f64, f64),
    /// The kept neurons per layer under the other tolerance rule, if it was run.
    pub other_rule: Option<&'a (crate::ToleranceRule, Vec<u64>)>,
    /// The width search that chose this run's width, if any.
    pub width_search: Option<crate::WidthSearch>,
}

/// What the check keeps of one layer of Ĝ once the layer itself is gone.
struct LayerNumbers {
    plus: Mat<f64>,
    minus: Mat<f64>,
    err_plus: f64,
    err_minus: Option<f64>,
    pruned_norm: f64,
    error_norm: f64,
    kept_neurons: u64,
    kept_edges: u64,
    activation: Activation,
}

/// The check of a run, fed Ĝ one layer at a time and in order, so that a streamed run
/// ([`crate::prune_into`]) never holds more than one layer of Ĝ: [`Checker::layer`]
/// re-derives the layer's weights from G, computes its weight errors and norms, keeps its
/// virtual matrices (`n_i × n_{i-1}`, whatever Ĝ keeps) and advances the literal pass of the
/// spread subset of inputs; [`Checker::finish`] certifies, measures through the virtual
/// matrices and builds the [`Report`]. [`check()`] is this on a whole Ĝ.
pub(crate) struct Checker<'a> {
    target: &'a Network,
    user_domain: &'a Domain,
    plan: &'a Plan,
    large: &'a LargeNetwork,
    inputs: Vec<Vec<f64>>,
    /// The literal pass: per group (one per thread), its inputs' indices and their values
    /// at the current layer, coordinate-major (`x[b·m + j]`).
    literal: Vec<(Vec<usize>, Vec<f64>)>,
    layers: Vec<LayerNumbers>,
    weights_verified: u64,
    seconds: f64,
    /// Whether the layout and solver may sum products of both signs ([`MaskRules`]).
    mixed_signs: bool,
}

impl<'a> Checker<'a> {
    /// The check of a run of `plan` on G `large` for the user's `target` on `user_domain`:
    /// the measured inputs ([`check_inputs`]) and the literal subset, every `⌊N/256⌋`-th
    /// input (at least [`LITERAL_INPUTS`], all if fewer), in one group per thread.
    ///
    /// # Errors
    /// [`ConstructionError::DomainDimension`] if the domain is not in F's input dimension.
    pub(crate) fn new(
        target: &'a Network,
        user_domain: &'a Domain,
        plan: &'a Plan,
        large: &'a LargeNetwork,
        layout: &dyn Layout,
    ) -> Result<Self, ConstructionError> {
        let start = std::time::Instant::now();
        if user_domain.dim() != target.input_width() {
            return Err(ConstructionError::DomainDimension {
                expected: target.input_width(),
                found: user_domain.dim(),
            });
        }
        let inputs = check_inputs(user_domain, plan.config().seed);
        let ng = plan.network().input_width();
        let stride = (inputs.len() / LITERAL_INPUTS).max(1);
        let picked: Vec<usize> = (0..inputs.len()).step_by(stride).collect();
        let groups = rayon::current_num_threads().clamp(1, picked.len().max(1));
        let per = picked.len().div_ceil(groups).max(1);
        let literal = picked
            .chunks(per)
            .map(|group| {
                let m = group.len();
                let mut x = vec![1.0; ng * m];
                for (j, &i) in group.iter().enumerate() {
                    for (b, &v) in inputs[i].iter().enumerate() {
                        x[b * m + j] = v;
                    }
                }
                (group.to_vec(), x)
            })
            .collect();
        Ok(Checker {
            target,
            user_domain,
            plan,
            large,
            inputs,
            literal,
            layers: Vec::with_capacity(large.depth()),
            weights_verified: 0,
            seconds: start.elapsed().as_secs_f64(),
            mixed_signs: layout.mixes_signs() && plan.config().solver.may_mix_signs(),
        })
    }

    /// Checks layer `t` of Ĝ (layers come in order): its weights re-derived from G
    /// ([`verify_layer`]), `max |w* − ŵ±|`, the norms of its split layer and error, and the
    /// literal pass through it.
    ///
    /// # Panics
    /// If `t` is not the next layer (a programmer error).
    ///
    /// # Errors
    /// As [`verify_layer`]; a norm that cannot be computed.
    pub(crate) fn layer(&mut self, t: usize, layer: &PrunedLayer) -> Result<(), ConstructionError> {
        let start = std::time::Instant::now();
        assert_eq!(t, self.layers.len(), "the check takes Ĝ's layers in order");
        self.weights_verified += verify_layer(self.large, t, layer)?;
        let f = self.plan.network();
        let widths = f.architecture().widths();
        let w = f.layers()[t].weight();
        verify_mask(
            self.large,
            t,
            layer,
            &MaskRules::new(self.plan, t, w, self.mixed_signs),
        )?;
        let (plus, minus) = layer.virtual_matrices();
        let cols: Vec<usize> = (0..widths[t])
            .filter(|&b| self.plan.needs_minus()[t][b])
            .collect();
        let n = widths[t];
        let split = Mat::from_fn(widths[t + 1], n + cols.len(), |a, c| {
            if c < n {
                plus[(a, c)]
            } else {
                minus[(a, cols[c - n])]
            }
        });
        let error = Mat::from_fn(widths[t + 1], n + cols.len(), |a, c| {
            if c < n {
                w[(a, c)] - plus[(a, c)]
            } else {
                w[(a, cols[c - n])] - minus[(a, cols[c - n])]
            }
        });
        let err_plus = norms::max_norm(error.as_ref().subcols(0, n));
        let err_minus =
            (!cols.is_empty()).then(|| norms::max_norm(error.as_ref().subcols(n, cols.len())));
        let (pruned_norm, error_norm) = rayon::join(
            || norms::spectral_norm_upper_bound(split.as_ref()),
            || norms::spectral_norm_upper_bound(error.as_ref()),
        );
        self.literal
            .par_iter_mut()
            .for_each(|(group, x)| *x = layer.forward_literal(x, group.len()));
        self.layers.push(LayerNumbers {
            plus,
            minus,
            err_plus,
            err_minus,
            pruned_norm: pruned_norm?,
            error_norm: error_norm?,
            kept_neurons: layer.len() as u64,
            kept_edges: layer.edge_count() as u64,
            activation: layer.activation(),
        });
        self.seconds += start.elapsed().as_secs_f64();
        Ok(())
    }

    /// Certifies and measures Ĝ once every layer is checked, and builds the [`Report`].
    ///
    /// # Panics
    /// If not every layer was checked (a programmer error).
    ///
    /// # Errors
    /// [`ConstructionError::LiteralVirtualMismatch`] if the literal and the virtual Ĝ
    /// disagree beyond rounding; inputs refused by F.
    pub(crate) fn finish(
        self,
        rest: &Finish<'_>,
        progress: &dyn Progress,
    ) -> Result<Report, ConstructionError> {
        let start = std::time::Instant::now();
        let Checker {
            target,
            user_domain,
            plan,
            large,
            inputs,
            literal,
            layers: numbers,
            weights_verified,
            seconds: layer_seconds,
            mixed_signs: _,
        } = self;
        let Finish {
            layout,
            stats,
            seconds: (plan_seconds, prune_seconds),
            other_rule,
            ref width_search,
        } = *rest;
        let f = plan.network();
        let arch = f.architecture();
        let widths = arch.widths();
        let ell = arch.depth();
        assert_eq!(numbers.len(), ell, "every layer of Ĝ is checked");
        let minus_columns = plan.minus_columns();
        let products_consulted: u64 = stats.iter().map(|s| s.consulted).sum();

        let terms: Vec<LayerTerms> = (0..ell)
            .map(|t| LayerTerms {
                lambda: arch.activations()[t].lipschitz(),
                pruned_norm: numbers[t].pruned_norm,
                error_norm: numbers[t].error_norm,
                input_norm: plan.input_norms()[t],
            })
            .collect();
        let certified_bound = certificate::recurrence_bound(&terms);
        let certified_bound_corollary27 = certificate::corollary27_bound(&terms);
        let max_errors: Vec<f64> = numbers
            .iter()
            .map(|n| n.err_plus.max(n.err_minus.unwrap_or(0.0)))
            .collect();
        let epsilon_w_effective =
            certificate::effective_epsilon_w(&max_errors, &minus_columns, &widths[..ell]);
        let lambda_pruned: Vec<f64> = terms.iter().map(|t| t.lambda * t.pruned_norm).collect();
        let certified_bound_lemma1 = certificate::lemma1_bound(
            epsilon_w_effective,
            ell,
            arch.lambda_max(),
            arch.n_max(),
            plan.f_max(),
            &lambda_pruned,
        );

        // The measurement.
        progress.start("check", inputs.len() as u64);
        let measured = measure(
            target,
            &numbers,
            &minus_columns,
            plan.has_bias_unit(),
            &inputs,
            &literal,
            progress,
        )?;

        let kept_neurons: Vec<u64> = numbers.iter().map(|n| n.kept_neurons).collect();
        let kept_edges: Vec<u64> = numbers.iter().map(|n| n.kept_edges).collect();
        let n_weights_target = arch.num_weights() as u64;
        let n_star = n_weights_target.max(1) as f64;
        let n_weights_large = large.num_weights();
        let layers = (0..ell)
            .map(|t| LayerReport {
                layer: t + 1,
                n_in: widths[t],
                n_out: widths[t + 1],
                activation: arch.activations()[t],
                intermediate_width: large.intermediate_widths()[t],
                intermediate_width_theorem: layout.widths_theorem().get(t).copied().unwrap_or(0),
                width_sufficed: stats[t].empty_slots == 0 && stats[t].failed_weights == 0,
                empty_slots: stats[t].empty_slots,
                width_needed: stats[t].width_needed,
                products_consulted: stats[t].consulted,
                kept_neurons: kept_neurons[t],
                kept_edges: kept_edges[t],
                minus_columns: minus_columns[t],
                target_norm: plan.target_norms()[t],
                pruned_norm: numbers[t].pruned_norm,
                error_norm: numbers[t].error_norm,
                input_norm: plan.input_norms()[t],
                max_weight_error_plus: numbers[t].err_plus,
                max_weight_error_minus: numbers[t].err_minus,
            })
            .collect();
        let max_minus = numbers.iter().filter_map(|n| n.err_minus).reduce(f64::max);
        let config = plan.config();
        let (alpha, beta) = plan.theorem3_range();
        let check_seconds = layer_seconds + start.elapsed().as_secs_f64();
        Ok(Report {
            schema_version: REPORT_SCHEMA_VERSION,
            accuracy: config.accuracy,
            delta: config.delta,
            epsilon_w: plan.epsilon_w(),
            tolerance_rule: config.tolerance_rule,
            rules: rule_reports(plan, kept_neurons.iter().sum(), other_rule)?,
            epsilon_w_effective,
            alpha,
            beta,
            k_prime: plan.k_prime(),
            w_max: plan.w_max(),
            delta_w: plan.delta_w(),
            construction: layout.construction(),
            solver: config.solver,
            distribution: config.distribution,
            theorem_applies: config.distribution.theorem_applies(),
            notes: notes(plan),
            generator: large.generator(),
            seed: config.seed,
            neurons_per_weight: layout.neurons_per_weight(),
            neurons_per_weight_theorem: plan.neurons_per_weight_theorem(),
            widths: large.intermediate_widths().to_vec(),
            widths_theorem: layout.widths_theorem().to_vec(),
            width_scale: config.width_scale,
            g_neurons_per_target_weight: large
                .intermediate_widths()
                .iter()
                .map(|&m| m as f64)
                .sum::<f64>()
                / n_star,
            per_weight_neurons_per_target_weight: plan.neurons_per_weight_theorem() as f64,
            golden_ratio_steps: plan.golden_ratio_steps(),
            target_widths: widths.to_vec(),
            has_bias_unit: plan.has_bias_unit(),
            n_weights_target,
            n_weights_large,
            log10_n_weights_large: n_weights_large.log10(),
            kept_neurons_total: kept_neurons.iter().sum(),
            kept_edges_total: kept_edges.iter().sum(),
            kept_neurons,
            max_weight_error_plus: numbers.iter().map(|n| n.err_plus).fold(0.0, f64::max),
            max_weight_error_minus: max_minus,
            f_max: plan.f_max(),
            certified_bound,
            certified_bound_corollary27,
            certified_bound_lemma1,
            empirical_max_error: measured.virtual_error,
            inputs_checked: inputs.len() as u64,
            empirical_max_error_literal: measured.literal_error,
            literal_inputs_checked: measured.literal_inputs,
            literal_virtual_max_difference: measured.difference,
            domain: user_domain.kind(),
            products_consulted,
            products_per_target_weight: products_consulted as f64 / n_star,
            weights_verified,
            ticket_form: None,
            seconds: Timings {
                plan: plan_seconds,
                prune: prune_seconds,
                check: check_seconds,
                total: plan_seconds + prune_seconds + check_seconds,
            },
            width_search: width_search.clone(),
            layers,
        })
    }
}

/// What each tolerance rule gives for `plan`'s target (module docs of [`crate::certificate`]).
fn rule_reports(
    plan: &Plan,
    kept: u64,
    other: Option<&(crate::ToleranceRule, Vec<u64>)>,
) -> Result<Vec<RuleReport>, ConstructionError> {
    let n_star = plan.network().architecture().num_weights() as f64;
    let delta_w = logprune_bounds::theorem30::delta_w(plan.config().delta, n_star)?;
    let mut out = Vec::new();
    for (rule, ew) in crate::ToleranceRule::ALL
        .into_iter()
        .zip(plan.epsilon_w_rules())
    {
        let Some(ew) = ew else { continue };
        let k_prime = logprune_bounds::theorem3::k_prime(
            logprune_bounds::LogNum::from_value(ew)?,
            plan.w_max(),
        )?;
        let m = 8.0 * (k_prime * (k_prime.ln() - delta_w.ln())).ceil();
        let kept_neurons = if rule == plan.config().tolerance_rule {
            Some(kept)
        } else {
            other
                .filter(|(r, _)| *r == rule)
                .map(|(_, k)| k.iter().sum())
        };
        out.push(RuleReport {
            rule,
            epsilon_w: ew,
            k_prime,
            neurons_per_weight_theorem: if m < u64::MAX as f64 {
                m as u64
            } else {
                u64::MAX
            },
            kept_neurons,
        });
    }
    Ok(out)
}

/// What the reader should know about a run's widths and guarantees.
pub(crate) fn notes(plan: &crate::PlanCore) -> Vec<String> {
    let c = plan.config();
    let mut notes = Vec::new();
    if !c.distribution.theorem_applies() {
        let width = if c.neurons_per_weight.is_some() || c.neurons_per_input.is_some() {
            "the width is the one given"
        } else {
            "the width used is the hyperbolic default, with no guarantee for this distribution"
        };
        notes.push(format!(
            "Theorem 3's and Theorem 30's widths are proven for the hyperbolic distribution only; G is {}: {width}; the certificate and the measurement decide success",
            c.distribution
        ));
    }
    if let Accuracy::WeightTolerance(tolerance) = c.accuracy {
        notes.push(format!(
            "weight-tolerance mode: every half within T = {tolerance:e} of its target weight; the network error that follows is certified and measured, not required"
        ));
    }
    notes
}

/// The inputs are measured in chunks of this many (one rayon task each).
const CHUNK: usize = 256;

/// The measurements of [`measure`].
struct Measured {
    virtual_error: f64,
    literal_error: f64,
    literal_inputs: u64,
    difference: f64,
}

/// Relative rounding allowance of the literal-vs-virtual comparison: both passes compute the
/// same sums of a few thousand terms in other orders.
pub(crate) const LITERAL_VIRTUAL_REL: f64 = 1e-9;

/// `max_x ‖F(x) − Ĝ(x)‖₂` over `inputs` (rows in F's coordinates; Ĝ gets `(x, 1)` when
/// `bias_unit`): F by faer's batch forward pass and Ĝ by the layers' virtual matrices
/// (`Ŵ⁺`, and `Ŵ⁻` where a column needs it), in chunks run with rayon and combined in index
/// order; and the literal Ĝ's outputs on the subset `literal` (already run through every
/// layer by [`Checker::layer`]), compared with the virtual ones.
fn measure(
    target: &Network,
    numbers: &[LayerNumbers],
    minus_columns: &[usize],
    bias_unit: bool,
    inputs: &[Vec<f64>],
    literal: &[(Vec<usize>, Vec<f64>)],
    progress: &dyn Progress,
) -> Result<Measured, ConstructionError> {
    let n0 = target.input_width();
    let ng = n0 + usize::from(bias_unit);
    let virtual_layers: Vec<(MatRef<'_, f64>, Option<MatRef<'_, f64>>)> = numbers
        .iter()
        .zip(minus_columns)
        .map(|(n, &m)| (n.plus.as_ref(), (m > 0).then(|| n.minus.as_ref())))
        .collect();
    let activations: Vec<Activation> = numbers.iter().map(|n| n.activation).collect();
    // Where each literal input is: (group, position in it).
    let mut picked = std::collections::BTreeMap::new();
    for (g, (group, _)) in literal.iter().enumerate() {
        for (j, &i) in group.iter().enumerate() {
            picked.insert(i, (g, j));
        }
    }
    let chunks: Vec<(usize, &[Vec<f64>])> = inputs
        .chunks(CHUNK)
        .enumerate()
        .map(|(c, rows)| (c * CHUNK, rows))
        .collect();
    // The virtual pass on every input, and the literal outputs compared where there are some.
    let per_chunk = chunks
        .par_iter()
        .map(
            |&(first, rows)| -> Result<(f64, f64, f64), ConstructionError> {
                let x = rows_to_columns(rows, n0)?;
                let fx = target.forward_batch(x.as_ref(), Par::Seq)?;
                let batch = rows.len();
                let xg = Mat::from_fn(ng, batch, |b, k| if b < n0 { x[(b, k)] } else { 1.0 });
                let gx = virtual_forward(&virtual_layers, &activations, xg);
                let (mut worst, mut lit, mut diff) = (0.0f64, 0.0f64, 0.0f64);
                for k in 0..batch {
                    worst = worst.max(col_distance(fx.as_ref(), k, |a| gx[(a, k)]));
                    let Some(&(g, j)) = picked.get(&(first + k)) else {
                        continue;
                    };
                    let (group, yl) = &literal[g];
                    let m = group.len();
                    let y = |a: usize| yl[a * m + j];
                    lit = lit.max(col_distance(fx.as_ref(), k, y));
                    let d = (0..gx.nrows())
                        .map(|a| (y(a) - gx[(a, k)]).powi(2))
                        .sum::<f64>()
                        .sqrt();
                    let scale = (0..gx.nrows())
                        .map(|a| gx[(a, k)].powi(2))
                        .sum::<f64>()
                        .sqrt();
                    if !(d <= LITERAL_VIRTUAL_REL * (1.0 + scale)) {
                        return Err(ConstructionError::LiteralVirtualMismatch {
                            input: first + k,
                            difference: d,
                            scale,
                        });
                    }
                    diff = diff.max(d);
                }
                progress.advance(batch as u64);
                Ok((worst, lit, diff))
            },
        )
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let max = |f: fn(&(f64, f64, f64)) -> f64| per_chunk.iter().map(f).fold(0.0, f64::max);
    Ok(Measured {
        virtual_error: max(|c| c.0),
        literal_error: max(|c| c.1),
        literal_inputs: picked.len() as u64,
        difference: max(|c| c.2),
    })
}

/// `‖F(x_k) − y‖₂` for column `k` of `fx` and `y_a = value(a)`.
fn col_distance(fx: MatRef<'_, f64>, k: usize, value: impl Fn(usize) -> f64) -> f64 {
    (0..fx.nrows())
        .map(|a| {
            let d = fx[(a, k)] - value(a);
            d * d
        })
        .sum::<f64>()
        .sqrt()
}

/// The virtual Ĝ on a batch (one input per column): per layer `σ_i(Ŵ⁺ x⁺ + Ŵ⁻ x⁻)` by faer's
/// matrix products (sequential: the caller parallelizes over chunks).
fn virtual_forward(
    layers: &[(MatRef<'_, f64>, Option<MatRef<'_, f64>>)],
    activations: &[Activation],
    x: Mat<f64>,
) -> Mat<f64> {
    let mut y = x;
    for (&(plus, minus), &act) in layers.iter().zip(activations) {
        let pos = Mat::from_fn(y.nrows(), y.ncols(), |i, j| y[(i, j)].max(0.0));
        let mut out = Mat::<f64>::zeros(plus.nrows(), y.ncols());
        matmul(
            out.as_mut(),
            Accum::Replace,
            plus,
            pos.as_ref(),
            1.0,
            Par::Seq,
        );
        if let Some(minus) = minus {
            let neg = Mat::from_fn(y.nrows(), y.ncols(), |i, j| y[(i, j)].min(0.0));
            matmul(out.as_mut(), Accum::Add, minus, neg.as_ref(), 1.0, Par::Seq);
        }
        act.apply_mat(out.as_mut());
        y = out;
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NoProgress, PruneConfig, Pruning, prune};
    use faer::mat;
    use logprune_network::{Activation, InputBox};

    fn tiny() -> Pruning {
        let f = Network::from_weights(
            vec![mat![[0.5, -0.25], [0.125, 0.75]], mat![[1.0, -0.5]]],
            &[Activation::Relu, Activation::Identity],
        )
        .unwrap();
        prune(
            &f,
            &Domain::cube(2, -1.0, 1.0).unwrap(),
            &PruneConfig::new(0.1),
            &NoProgress,
        )
        .unwrap()
    }

    #[test]
    fn tampered_weights_and_foreign_edges_are_caught() {
        let p = tiny();
        assert!(verify_against_generator(&p.large, &p.pruned).unwrap() > 0);

        let mut bad = p.pruned.clone();
        let parts = &mut bad.layers[0].parts;
        parts.u[0] = parts.u[0].next_up();
        let (z, b) = (parts.z[0], parts.input[0] as usize);
        assert!(matches!(
            verify_against_generator(&p.large, &bad),
            Err(ConstructionError::WeightMismatch { layer: 1, neuron, port, .. }) if neuron == z && port == b
        ));

        let mut bad = p.pruned.clone();
        let parts = &mut bad.layers[1].parts;
        parts.v[0] = -parts.v[0];
        assert!(matches!(
            verify_against_generator(&p.large, &bad),
            Err(ConstructionError::WeightMismatch {
                layer: 2,
                port: 0,
                ..
            })
        ));

        // A neuron beyond M_i is not an edge of G.
        let mut bad = p.pruned.clone();
        let last = bad.layers[1].len() - 1;
        bad.layers[1].parts.z[last] = p.large.intermediate_widths()[1];
        assert!(matches!(
            verify_against_generator(&p.large, &bad),
            Err(ConstructionError::NotAnEdge { layer: 2, .. })
        ));
    }

    #[test]
    fn report_verify_and_json() {
        let p = tiny();
        assert!(p.report.verify().is_ok());
        let json = p.report.to_json().unwrap();
        for key in [
            "\"schema_version\": 2",
            "\"accuracy\": {",
            "\"kind\": \"network\"",
            "\"domain\": \"box\"",
            "\"distribution\": {",
            "\"generator\": \"philox-v2\"",
            "\"activation\": \"relu\"",
            "\"delta\"",
            "\"epsilon_w\"",
            "\"alpha\"",
            "\"beta\"",
            "\"k_prime\"",
            "\"widths\"",
            "\"kept_neurons\"",
            "\"max_weight_error_plus\"",
            "\"max_weight_error_minus\"",
            "\"certified_bound\"",
            "\"certified_bound_lemma1\"",
            "\"empirical_max_error\"",
            "\"inputs_checked\"",
            "\"products_consulted\"",
            "\"construction\": \"per-weight\"",
            "\"solver\": \"golden-ratio\"",
            "\"seed\"",
            "\"seconds\"",
        ] {
            assert!(json.contains(key), "{key} missing");
        }
        let mut r = p.report.clone();
        r.empirical_max_error_literal = 0.2;
        assert!(
            matches!(r.verify(), Err(ConstructionError::NotWithinEps { eps, .. }) if eps == 0.1)
        );
        let mut r = p.report.clone();
        r.certified_bound = 0.1000001;
        assert!(r.verify().is_err());
    }

    #[test]
    fn box_inputs_are_corners_then_uniform() {
        let d = Domain::Box(InputBox::new(vec![-1.0, 0.0], vec![1.0, 2.0]).unwrap());
        let x = check_inputs(&d, 3);
        assert_eq!(x.len(), BOX_INPUTS);
        assert_eq!(
            &x[..4],
            &[
                vec![-1.0, 0.0],
                vec![1.0, 0.0],
                vec![-1.0, 2.0],
                vec![1.0, 2.0]
            ]
        );
        assert!(
            x[4..]
                .iter()
                .all(|r| (-1.0..=1.0).contains(&r[0]) && (0.0..=2.0).contains(&r[1]))
        );
        assert_eq!(x, check_inputs(&d, 3), "a pure function of the seed");
        assert_ne!(x, check_inputs(&d, 4));
        // 2^13 corners > 4096: 4096 random corners, then uniform samples.
        let d = Domain::cube(13, -1.0, 1.0).unwrap();
        let x = check_inputs(&d, 0);
        assert_eq!(x.len(), BOX_INPUTS);
        assert!(
            x[..MAX_CORNERS]
                .iter()
                .all(|r| r.iter().all(|&v| v == -1.0 || v == 1.0))
        );
        let distinct: std::collections::BTreeSet<Vec<u64>> = x[..MAX_CORNERS]
            .iter()
            .map(|r| r.iter().map(|v| v.to_bits()).collect())
            .collect();
        assert!(
            distinct.len() > 3000,
            "random corners are mostly distinct: {}",
            distinct.len()
        );
        assert!(
            x[MAX_CORNERS..]
                .iter()
                .all(|r| r.iter().all(|&v| v > -1.0 && v < 1.0))
        );
        // Finite domains: exactly the rows.
        let rows = vec![vec![0.5, 1.0], vec![2.0, -3.0]];
        assert_eq!(check_inputs(&Domain::Points(rows.clone()), 0), rows);
    }
}
