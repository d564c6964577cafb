//! The check and the certificate of a pruned network (DESIGN.md, invariant 3), and the
//! [`Report`] of a pruning run.
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
//! 4. measures the largest error of the literal Ĝ against F over the domain: every data row of
//!    a finite domain (and nothing else: the domain is that set), or on a box its corners (all
//!    of them if `2^{n_0} ≤ 4096`, else 4096 random ones) and uniform samples, 10⁴ inputs in
//!    all, drawn from the seed with the counter-based generator.

use faer::Mat;
use logprune_network::{Network, norms, rows_to_columns};
use logprune_sampling::{counter, negative_bit, unit_open};
use rayon::prelude::*;
use serde::Serialize;

use crate::certificate::{self, LayerTerms};
use crate::large::AUX_STREAM_BASE;
use crate::{ConstructionError, Domain, LargeNetwork, Plan, Progress, PrunedNetwork};

/// The number of inputs measured on a box domain.
pub const BOX_INPUTS: usize = 10_000;

/// The most box corners measured (all of them when `2^{n_0}` is at most this).
pub const MAX_CORNERS: usize = 4096;

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
    pub activation: String,
    /// `M_i`, the intermediate width of G.
    pub intermediate_width: u64,
    /// The theorem's `M_i` for the construction ([`Plan::intermediate_widths_theorem`]).
    pub intermediate_width_theorem: u64,
    /// Whether G's `M_i` sufficed: every target weight of the layer was decomposed
    /// (always true in the report of a successful [`crate::prune`], which fails otherwise).
    pub width_sufficed: bool,
    /// Halves `(w*, ±)` that could not be decomposed ([`crate::oracle::LayerStats`]): 0 when
    /// `width_sufficed`.
    pub empty_slots: u64,
    /// The width the same draws needed ([`crate::oracle::LayerStats::width_needed`];
    /// `None` until [`Report::set_oracle_stats`]).
    pub width_needed: Option<u64>,
    /// The kept intermediate neurons of Ĝ.
    pub kept_neurons: u64,
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

/// The report of a pruning run (serialized to `report.json` by `cargo xtask prune`).
///
/// Layer lists are indexed by the paper's `i − 1`. Widths and counts are those of the
/// bias-free F' (with the constant unit when the target has biases).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The accuracy `ε`.
    pub eps: f64,
    /// The failure probability `δ`.
    pub delta: f64,
    /// `ε_w`, chosen by Lemma 1 before pruning (each half within `ε_w/2`).
    pub epsilon_w: f64,
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
    /// `m`, neurons per target weight used.
    pub neurons_per_weight: u64,
    /// The theorem's `m = 8⌈k' ln(k'/δ_w)⌉`.
    pub neurons_per_weight_theorem: u64,
    /// `M_i`, the intermediate widths of G.
    pub widths: Vec<u64>,
    /// The theorem's `M_i` for the construction (per-weight: `n_i n_{i-1}` times the
    /// theorem's `m`; recycling: Theorem 30; batch: Theorem 3), unscaled.
    pub widths_theorem: Vec<u64>,
    /// The width scale of the run ([`crate::PruneConfig::width_scale`]).
    pub width_scale: f64,
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
    /// The largest `‖F(x) − Ĝ(x)‖₂` measured (literal Ĝ).
    pub empirical_max_error: f64,
    /// The number of inputs measured.
    pub inputs_checked: u64,
    /// `box` or `points`.
    pub domain: String,
    /// Neurons of G's blocks consulted by the oracle.
    pub products_consulted: u64,
    /// `products_consulted / N*`.
    pub products_per_target_weight: f64,
    /// Kept weights recomputed from G's generator (all of them).
    pub weights_verified: u64,
    /// The construction (`per-weight`, `recycling` or `batch`).
    pub construction: String,
    /// The solver.
    pub solver: String,
    /// The seed of G.
    pub seed: u64,
    /// Wall-clock seconds of the run (volatile).
    pub seconds: f64,
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

    /// Copies the oracle's per-layer stats into the layer reports (`empty_slots`,
    /// `width_needed`, and `width_sufficed = empty_slots == 0`). Ignores extra entries.
    pub fn set_oracle_stats(&mut self, stats: &[crate::oracle::LayerStats]) {
        for (l, s) in self.layers.iter_mut().zip(stats) {
            l.empty_slots = s.empty_slots;
            l.width_sufficed = s.empty_slots == 0 && s.failed_weights == 0;
            l.width_needed = Some(s.width_needed);
        }
    }

    /// Succeeds iff both the certificate and the measurement are within `ε`.
    ///
    /// # Errors
    /// [`ConstructionError::NotWithinEps`] with the numbers.
    pub fn verify(&self) -> Result<(), ConstructionError> {
        if self.certified_bound <= self.eps && self.empirical_max_error <= self.eps {
            Ok(())
        } else {
            Err(ConstructionError::NotWithinEps {
                eps: self.eps,
                certified_bound: self.certified_bound,
                empirical_max_error: self.empirical_max_error,
            })
        }
    }
}

/// Recomputes every kept weight of `pruned` from `large` (invariant 3).
///
/// Returns the number of weights verified.
///
/// # Errors
/// [`ConstructionError::LayerCount`] / [`ConstructionError::ShapeMismatch`] if Ĝ does not
/// have G's layers; [`ConstructionError::NotAnEdge`] for an index out of range;
/// [`ConstructionError::WeightMismatch`] for a weight that differs from G's.
pub fn verify_against_generator(
    large: &LargeNetwork,
    pruned: &PrunedNetwork,
) -> Result<u64, ConstructionError> {
    if pruned.layers().len() != large.depth() {
        return Err(ConstructionError::LayerCount {
            expected: large.depth(),
            found: pruned.layers().len(),
        });
    }
    let mut count = 0u64;
    for (t, layer) in pruned.layers().iter().enumerate() {
        let (n_in, n_out) = (large.widths()[t], large.widths()[t + 1]);
        if layer.n_in() != n_in || layer.n_out() != n_out {
            return Err(ConstructionError::ShapeMismatch {
                layer: t + 1,
                expected: n_in,
                found: layer.n_in(),
            });
        }
        for n in layer.neurons() {
            let g = large.weight(t, crate::Side::Input, n.z, n.input)?;
            if g.to_bits() != n.u.to_bits() {
                return Err(ConstructionError::WeightMismatch {
                    layer: t + 1,
                    neuron: n.z,
                    port: n.input,
                    stored: n.u,
                    generated: g,
                });
            }
            for &(a, v) in &n.outputs {
                let g = large.weight(t, crate::Side::Output, n.z, a)?;
                if g.to_bits() != v.to_bits() {
                    return Err(ConstructionError::WeightMismatch {
                        layer: t + 1,
                        neuron: n.z,
                        port: a,
                        stored: v,
                        generated: g,
                    });
                }
            }
            count += 1 + n.outputs.len() as u64;
        }
    }
    Ok(count)
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

/// Checks and certifies `pruned` against the target (see the [module documentation](self)).
///
/// `target` is the user's network F (with its biases, if any); `plan` the run's plan (its
/// F' and domain); `user_domain` the domain in F's coordinates; `products_consulted` is copied
/// into the report. `progress` is told the number of inputs to measure and advanced as they
/// are done. Returns the [`Report`] with `seconds = 0` (the caller times the run). It does not
/// fail when the bounds exceed `ε`: see [`Report::verify`].
///
/// # Errors
/// As [`verify_against_generator`]; [`ConstructionError::DomainDimension`] if `user_domain`
/// is not in F's input dimension; [`ConstructionError::ShapeMismatch`] if Ĝ's input width is
/// not F's (plus the constant unit); a norm that cannot be computed; inputs refused by F.
pub fn check(
    target: &Network,
    plan: &Plan,
    user_domain: &Domain,
    large: &LargeNetwork,
    pruned: &PrunedNetwork,
    products_consulted: u64,
    progress: &dyn Progress,
) -> Result<Report, ConstructionError> {
    if user_domain.dim() != target.input_width() {
        return Err(ConstructionError::DomainDimension {
            expected: target.input_width(),
            found: user_domain.dim(),
        });
    }
    let weights_verified = verify_against_generator(large, pruned)?;
    let f = plan.network();
    let arch = f.architecture();
    let widths = arch.widths();
    let ell = arch.depth();
    let minus_columns = plan.minus_columns();

    // Weight errors and the norms of the split layers, one layer per rayon task.
    struct LayerNumbers {
        err_plus: f64,
        err_minus: Option<f64>,
        pruned_norm: f64,
        error_norm: f64,
    }
    let numbers = (0..ell)
        .into_par_iter()
        .map(|t| -> Result<LayerNumbers, ConstructionError> {
            let w = f.layers()[t].weight();
            let (plus, minus) = pruned.layers()[t].virtual_matrices();
            let cols: Vec<usize> = (0..widths[t])
                .filter(|&b| plan.needs_minus()[t][b])
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
            Ok(LayerNumbers {
                err_plus,
                err_minus,
                pruned_norm: norms::spectral_norm_upper_bound(split.as_ref())?,
                error_norm: norms::spectral_norm_upper_bound(error.as_ref())?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

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
    let inputs = check_inputs(user_domain, plan.config().seed);
    progress.start("check", inputs.len() as u64);
    let empirical_max_error = measure(target, pruned, plan.has_bias_unit(), &inputs, progress)?;

    let kept_neurons = pruned.kept_neurons();
    let n_weights_target = arch.num_weights() as u64;
    let n_weights_large = large.num_weights();
    let layers = (0..ell)
        .map(|t| LayerReport {
            layer: t + 1,
            n_in: widths[t],
            n_out: widths[t + 1],
            activation: arch.activations()[t].name().to_owned(),
            intermediate_width: large.intermediate_widths()[t],
            intermediate_width_theorem: plan
                .intermediate_widths_theorem()
                .get(t)
                .copied()
                .unwrap_or(0),
            width_sufficed: true,
            empty_slots: 0,
            width_needed: None,
            kept_neurons: kept_neurons[t],
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
    Ok(Report {
        eps: plan.config().eps,
        delta: plan.config().delta,
        epsilon_w: plan.epsilon_w(),
        epsilon_w_effective,
        alpha: plan.distribution().alpha(),
        beta: plan.distribution().beta(),
        k_prime: plan.k_prime(),
        w_max: plan.w_max(),
        delta_w: plan.delta_w(),
        neurons_per_weight: plan.neurons_per_weight(),
        neurons_per_weight_theorem: plan.neurons_per_weight_theorem(),
        widths: large.intermediate_widths().to_vec(),
        widths_theorem: plan.intermediate_widths_theorem().to_vec(),
        width_scale: plan.config().width_scale,
        golden_ratio_steps: plan.golden_ratio_steps(),
        target_widths: widths.to_vec(),
        has_bias_unit: plan.has_bias_unit(),
        n_weights_target,
        n_weights_large,
        log10_n_weights_large: n_weights_large.log10(),
        kept_neurons_total: kept_neurons.iter().sum(),
        kept_neurons,
        max_weight_error_plus: numbers.iter().map(|n| n.err_plus).fold(0.0, f64::max),
        max_weight_error_minus: max_minus,
        f_max: plan.f_max(),
        certified_bound,
        certified_bound_corollary27,
        certified_bound_lemma1,
        empirical_max_error,
        inputs_checked: inputs.len() as u64,
        domain: user_domain.kind().to_owned(),
        products_consulted,
        products_per_target_weight: products_consulted as f64 / n_weights_target.max(1) as f64,
        weights_verified,
        construction: plan.config().construction.name().to_owned(),
        solver: plan.config().solver.name().to_owned(),
        seed: plan.config().seed,
        seconds: 0.0,
        layers,
    })
}

/// The inputs are measured in chunks of this many (one rayon task each).
const CHUNK: usize = 256;

/// `max_x ‖F(x) − Ĝ(x)‖₂` over `inputs` (rows in F's coordinates; Ĝ gets `(x, 1)` when
/// `bias_unit`), F by faer's batch forward pass and Ĝ by its literal forward pass, in chunks
/// run with rayon and combined in index order.
fn measure(
    target: &Network,
    pruned: &PrunedNetwork,
    bias_unit: bool,
    inputs: &[Vec<f64>],
    progress: &dyn Progress,
) -> Result<f64, ConstructionError> {
    let n0 = target.input_width();
    let ng = pruned.input_width();
    if ng != n0 + usize::from(bias_unit) {
        return Err(ConstructionError::ShapeMismatch {
            layer: 1,
            expected: n0 + usize::from(bias_unit),
            found: ng,
        });
    }
    let chunks: Vec<&[Vec<f64>]> = inputs.chunks(CHUNK).collect();
    let maxima = chunks
        .par_iter()
        .map(|rows| -> Result<f64, ConstructionError> {
            let x = rows_to_columns(rows, n0)?;
            let fx = target.forward_batch(x.as_ref(), faer::Par::Seq)?;
            let batch = rows.len();
            let mut xg = vec![1.0; ng * batch];
            for (k, r) in rows.iter().enumerate() {
                for (b, &v) in r.iter().enumerate() {
                    xg[b * batch + k] = v;
                }
            }
            let gx = pruned.forward_unchecked(&xg, batch);
            let mut worst = 0.0f64;
            for k in 0..batch {
                let e2: f64 = (0..fx.nrows())
                    .map(|a| {
                        let d = fx[(a, k)] - gx[a * batch + k];
                        d * d
                    })
                    .sum();
                worst = worst.max(e2.sqrt());
            }
            progress.advance(batch as u64);
            Ok(worst)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(maxima.into_iter().fold(0.0, f64::max))
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
        let n = &mut bad.layers[0].neurons[0];
        n.u = n.u.next_up();
        let (z, b) = (n.z, n.input);
        assert!(matches!(
            verify_against_generator(&p.large, &bad),
            Err(ConstructionError::WeightMismatch { layer: 1, neuron, port, .. }) if neuron == z && port == b
        ));

        let mut bad = p.pruned.clone();
        let n = &mut bad.layers[1].neurons[0];
        n.outputs[0].1 = -n.outputs[0].1;
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
        let last = bad.layers[1].neurons.len() - 1;
        bad.layers[1].neurons[last].z = p.large.intermediate_widths()[1];
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
            "\"eps\"",
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
        r.empirical_max_error = 0.2;
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
