//! Why a construction, a check or a certificate failed.

use logprune_bounds::ParamError;
use logprune_decomposition::DecompositionError;
use logprune_network::{IntervalError, NetworkError, NormError, SafetensorsError};
use logprune_sampling::SamplingError;

/// The errors of this crate. Every variant names the offending value and what was expected
/// (DESIGN.md, invariant 5). Layers are numbered as in the paper (`i = 1..ℓ`).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConstructionError {
    /// `ε` is not a finite positive number.
    #[error("ε = {eps} is invalid: expected a finite accuracy ε > 0")]
    InvalidEps {
        /// The value given.
        eps: f64,
    },
    /// `δ` is not in `(0, 1)`.
    #[error("δ = {delta} is invalid: expected a failure probability 0 < δ < 1")]
    InvalidDelta {
        /// The value given.
        delta: f64,
    },
    /// The number of neurons per target weight is 0.
    #[error("neurons per weight = {value} is invalid: expected at least 1")]
    InvalidNeuronsPerWeight {
        /// The value given.
        value: u64,
    },
    /// The width scale is not a finite positive number.
    #[error(
        "width scale = {value} is invalid: expected a finite factor > 0 (1 = the theorem's width)"
    )]
    InvalidWidthScale {
        /// The value given.
        value: f64,
    },
    /// `w_max` is not a finite positive number, or is below the largest target weight.
    #[error(
        "w_max = {w_max} is invalid: expected a finite number ≥ the largest |weight| of the target ({max_abs_weight}) and > 0"
    )]
    InvalidWMax {
        /// The value given.
        w_max: f64,
        /// `max |w*|` of the (bias-free) target.
        max_abs_weight: f64,
    },
    /// Every weight of the target is zero: there is nothing to approximate and no scale for
    /// the weight distribution.
    #[error("every weight of the target is 0: expected at least one nonzero weight (w_max > 0)")]
    ZeroTarget,
    /// The input domain is empty (no data rows).
    #[error("the input domain is empty: expected at least one input row")]
    EmptyDomain,
    /// The domain's dimension is not the target's input width.
    #[error(
        "the input domain has dimension {found}, expected the target's input width n_0 = {expected}"
    )]
    DomainDimension {
        /// `n_0` of the target.
        expected: usize,
        /// Dimension of the domain.
        found: usize,
    },
    /// An input has the wrong length.
    #[error("input has length {found}, expected n_0 = {expected}")]
    InputLength {
        /// `n_0`.
        expected: usize,
        /// Length given.
        found: usize,
    },
    /// An input coordinate is NaN or infinite.
    #[error("input {input}, coordinate {coordinate} is {value}: expected a finite number")]
    NonFiniteInput {
        /// Index of the input (0-based).
        input: usize,
        /// Coordinate (0-based).
        coordinate: usize,
        /// The value.
        value: f64,
    },
    /// Lemma 1's `ε_w` underflows `f64` (Example 2's exponential regime: deep target, large
    /// norms or `F_max`).
    #[error(
        "Lemma 1 gives ε_w = 10^{log10_epsilon_w:.1}, below the smallest f64: expected a target with smaller norms, F_max, depth, or a larger ε"
    )]
    EpsilonWUnderflow {
        /// `log10 ε_w`.
        log10_epsilon_w: f64,
    },
    /// A list has the wrong number of layers, or a layer index is out of range.
    #[error("expected {expected} layers, got {found}")]
    LayerCount {
        /// The number expected.
        expected: usize,
        /// The number given (or the 1-based layer asked for).
        found: usize,
    },
    /// Consecutive layers do not chain.
    #[error("layer {layer} has {found} inputs but the previous layer has {expected} outputs")]
    ShapeMismatch {
        /// Layer `i` (1-based).
        layer: usize,
        /// `n_{i-1}` of the previous layer.
        expected: usize,
        /// Inputs of layer `i`.
        found: usize,
    },
    /// A size exceeds what the implementation supports.
    #[error("{what} is {value:e}: expected at most {limit:e}")]
    TooLarge {
        /// What is too large.
        what: &'static str,
        /// Its value.
        value: f64,
        /// The limit.
        limit: f64,
    },
    /// A kept weight is not an edge of G (index out of range): invariant 3.
    #[error("layer {layer}: neuron {neuron}, port {port} is not an edge of G (index out of range)")]
    NotAnEdge {
        /// Layer `i` (1-based).
        layer: usize,
        /// Intermediate neuron `z`.
        neuron: u64,
        /// Input `b` (for `U`) or output `a` (for `V`).
        port: usize,
    },
    /// A kept neuron of Ĝ is malformed.
    #[error("kept neuron z = {z} is invalid: {reason}")]
    InvalidKeptNeuron {
        /// Its index in G.
        z: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// A kept weight differs from the weight G's generator gives for the same edge
    /// (invariant 3).
    #[error(
        "layer {layer}: kept weight of neuron {neuron}, port {port} is {stored:e} but G's generator gives {generated:e}"
    )]
    WeightMismatch {
        /// Layer `i` (1-based).
        layer: usize,
        /// Intermediate neuron `z`.
        neuron: u64,
        /// Input `b` (for `U`) or output `a` (for `V`).
        port: usize,
        /// The weight stored in Ĝ.
        stored: f64,
        /// The weight recomputed from G.
        generated: f64,
    },
    /// Some target weights could not be decomposed within `ε_w/2` from the neurons of G the
    /// construction gives them (G too small, e.g. `--neurons-per-weight` or a width scale
    /// below the theorem's width).
    #[error(
        "{construction}: {failed} of {total} target weights could not be decomposed within ε_w/2 = {tolerance:e} with {neurons_per_weight} neurons per weight \
         ({empty_slots} halves ŵ± failed; first: layer {first_layer}, weight ({first_row}, {first_col}), ŵ{first_half}: {first_reason}); expected a larger G"
    )]
    Undecomposable {
        /// The construction's name.
        construction: &'static str,
        /// The number of halves `(w*, ±)` that failed: with the golden-ratio solver, each
        /// stopped on a needed interval slot that no available neuron filled.
        empty_slots: u64,
        /// Number of target weights with a half that failed.
        failed: u64,
        /// Number of target weights.
        total: u64,
        /// `m`, the neurons per target weight ([`crate::Plan::neurons_per_weight`]).
        neurons_per_weight: u64,
        /// The per-half tolerance `ε_w/2`.
        tolerance: f64,
        /// Layer `i` (1-based) of the first failure (in G's order).
        first_layer: usize,
        /// Its output `a`.
        first_row: usize,
        /// Its input `b`.
        first_col: usize,
        /// `"⁺"` or `"⁻"`.
        first_half: &'static str,
        /// The solver's reason.
        first_reason: String,
    },
    /// The exact solver was given more candidates than it accepts.
    #[error(
        "layer {layer}, weight ({row}, {col}): ŵ{half} has {candidates} candidates, but the exact solver accepts at most {max}; use --neurons-per-weight ≤ about {suggest} or another solver"
    )]
    TooManyCandidates {
        /// Layer `i` (1-based).
        layer: usize,
        /// Output `a`.
        row: usize,
        /// Input `b`.
        col: usize,
        /// `"⁺"` or `"⁻"`.
        half: &'static str,
        /// Number of candidates in the block's class.
        candidates: usize,
        /// The solver's limit.
        max: usize,
        /// A block size whose classes are expected to fit (`4·max`).
        suggest: usize,
    },
    /// The certificate or the measurement exceeds `ε`: the run fails.
    #[error(
        "the pruned network is not certified within ε = {eps:e}: certified bound {certified_bound:e}, measured max error {empirical_max_error:e} (both must be ≤ ε)"
    )]
    NotWithinEps {
        /// `ε`.
        eps: f64,
        /// The best certified bound on `sup_x ‖F(x) − Ĝ(x)‖₂`.
        certified_bound: f64,
        /// The largest error measured.
        empirical_max_error: f64,
    },
    /// The target network or its inputs were refused.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// Interval propagation failed.
    #[error(transparent)]
    Interval(#[from] IntervalError),
    /// A spectral norm could not be computed.
    #[error(transparent)]
    Norm(#[from] NormError),
    /// The weight distribution was refused.
    #[error(transparent)]
    Sampling(#[from] SamplingError),
    /// A solver refused its input.
    #[error(transparent)]
    Decomposition(#[from] DecompositionError),
    /// A closed-form bound was refused.
    #[error(transparent)]
    Bounds(#[from] ParamError),
    /// Writing JSON failed.
    #[error("JSON serialization failed: {message}")]
    Json {
        /// serde_json's message.
        message: String,
    },
    /// Writing safetensors failed.
    #[error(transparent)]
    Safetensors(#[from] SafetensorsError),
}
