//! Why a construction, a check or a certificate failed.

use logprune_bounds::ParamError;
use logprune_decomposition::DecompositionError;
use logprune_network::{IntervalError, NetworkError, NormError, SafetensorsError};
use logprune_sampling::SamplingError;

use crate::{Construction, Half, Side};

/// The errors of this crate. Every variant names the offending value and what was expected
/// (ARCHITECTURE.md, invariant 11). Layers are numbered as in the paper (`i = 1..ℓ`).
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
    /// The per-weight tolerance `T` is not a finite positive number.
    #[error("weight tolerance T = {tolerance} is invalid: expected a finite tolerance T > 0")]
    InvalidWeightTolerance {
        /// The value given.
        tolerance: f64,
    },
    /// The number of neurons per target weight is 0.
    #[error("neurons per weight = {value} is invalid: expected at least 1")]
    InvalidNeuronsPerWeight {
        /// The value given.
        value: u64,
    },
    /// The number of neurons per input is 0.
    #[error("neurons per input = {value} is invalid: expected at least 1")]
    InvalidNeuronsPerInput {
        /// The value given.
        value: u64,
    },
    /// A width option was given to a construction that does not have it.
    #[error(
        "{option} = {value} does not apply to the {construction} construction: neurons per input is for shared-input, neurons per weight for the others"
    )]
    WidthOption {
        /// The option.
        option: &'static str,
        /// Its value.
        value: u64,
        /// The construction of the run.
        construction: Construction,
    },
    /// A parameter of G's weight distribution is invalid.
    #[error("{distribution} distribution: {parameter} = {value} is invalid: expected {expected}")]
    InvalidDistributionParameter {
        /// The distribution.
        distribution: &'static str,
        /// The parameter.
        parameter: &'static str,
        /// Its value.
        value: f64,
        /// What was expected.
        expected: &'static str,
    },
    /// The width scale is not a finite positive number.
    #[error(
        "width scale = {value} is invalid: expected a finite factor > 0 (1 = the theorem's width)"
    )]
    InvalidWidthScale {
        /// The value given.
        value: f64,
    },
    /// `w_max` is not a finite positive number.
    #[error("w_max = {w_max} is invalid: expected a finite number > 0")]
    InvalidWMax {
        /// The value given.
        w_max: f64,
    },
    /// `w_max` is below the largest target weight.
    #[error(
        "w_max = {w_max} is below the largest |weight| of the target ({max_abs_weight}): expected w_max ≥ {max_abs_weight}"
    )]
    WMaxBelowTarget {
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
    /// A per-layer list has the wrong number of entries.
    #[error("{what}: expected one per layer ({expected}), got {found}")]
    WidthCount {
        /// What the list holds.
        what: &'static str,
        /// ℓ.
        expected: usize,
        /// Its length.
        found: usize,
    },
    /// A layer index is out of range.
    #[error("layer {layer} does not exist: expected 1..={layers}")]
    NoSuchLayer {
        /// Layer `i` (1-based) asked for.
        layer: usize,
        /// ℓ.
        layers: usize,
    },
    /// A pruned network without layers.
    #[error("a pruned network needs at least one layer")]
    NoLayers,
    /// A layer's inputs or outputs are not the widths they should be.
    #[error("layer {layer} has {found} {what}, expected {expected}")]
    ShapeMismatch {
        /// Layer `i` (1-based).
        layer: usize,
        /// `inputs` or `outputs`.
        what: &'static str,
        /// The width expected.
        expected: usize,
        /// The width found.
        found: usize,
    },
    /// The flat arrays of a pruned layer have inconsistent lengths.
    #[error(
        "inconsistent layer arrays: {neurons} neurons with {inputs} inputs, {input_weights} input weights and {starts} edge offsets (expected neurons + 1, from 0 to the edge count); {outputs} edge outputs and {output_weights} edge weights"
    )]
    InvalidLayerArrays {
        /// Neuron indices `z`.
        neurons: usize,
        /// Inputs `b`.
        inputs: usize,
        /// Input weights `u`.
        input_weights: usize,
        /// Edge offsets.
        starts: usize,
        /// Edge outputs `a`.
        outputs: usize,
        /// Edge weights `v`.
        output_weights: usize,
    },
    /// A dense output would be too large.
    #[error(
        "{what} would need {bytes:.3e} bytes, above the limit of {limit:.3e} bytes: write the ticket instead (it holds Ĝ in O(kept) bytes)"
    )]
    DenseTooLarge {
        /// What was asked for.
        what: &'static str,
        /// The bytes it needs.
        bytes: f64,
        /// The limit.
        limit: f64,
    },
    /// The run's memory estimate exceeds the budget.
    #[error(
        "{what} needs about {needed} bytes ({needed_gib:.2} GiB), above the memory budget of {limit} bytes ({limit_gib:.2} GiB): expected a larger --max-memory, a smaller target or a looser accuracy"
    )]
    MemoryBudget {
        /// What needs the memory.
        what: &'static str,
        /// Bytes needed (estimate).
        needed: u64,
        /// `needed` in GiB.
        needed_gib: f64,
        /// The budget.
        limit: u64,
        /// `limit` in GiB.
        limit_gib: f64,
    },
    /// An allocation failed.
    #[error("out of memory allocating {bytes} bytes for {what}")]
    OutOfMemory {
        /// What was being allocated.
        what: &'static str,
        /// Its size.
        bytes: u64,
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
    /// A kept weight is not an edge of G (index out of range): ARCHITECTURE.md, invariant 7.
    #[error(
        "layer {layer}: neuron {neuron}, port {port} ({side:?} side) is not an edge of G (index out of range)"
    )]
    NotAnEdge {
        /// Layer `i` (1-based).
        layer: usize,
        /// Which side of the neuron.
        side: Side,
        /// Intermediate neuron `z`.
        neuron: u64,
        /// Input `b` (for `U`) or output `a` (for `V`).
        port: usize,
    },
    /// A kept neuron of Ĝ that the construction could not have kept (a ticket's mask was
    /// changed): it breaks Theorem 3's class rule for one of its edges, or it is the piece
    /// that puts a target weight's decomposition outside the per-half tolerance.
    #[error(
        "layer {layer}: kept neuron at position {position} (z = {neuron}, input {input}, output {output}) {reason}"
    )]
    MaskViolation {
        /// Layer `i` (1-based).
        layer: usize,
        /// The neuron's position in the layer's arrays (`z`, `input`, ...; 0-based).
        position: usize,
        /// Its `z` in G.
        neuron: u64,
        /// Its input `b`.
        input: usize,
        /// The output `a` of the edge concerned.
        output: usize,
        /// What is wrong, with the numbers.
        reason: String,
    },
    /// A target weight's half, as Ĝ's kept neurons decompose it, is outside the per-half
    /// tolerance, and no single kept neuron is to blame by being there (a piece changed or is
    /// missing): the error names the kept neurons that serve it.
    #[error(
        "layer {layer}: target weight ({output}, {input}): {half} = Σ V·U of its kept neurons is off w* by {error:e} > the per-half tolerance {tolerance:e}; the kept neurons serving it are at positions {positions:?} (z {neurons:?})"
    )]
    DecompositionOffTolerance {
        /// Layer `i` (1-based).
        layer: usize,
        /// The output `a`.
        output: usize,
        /// The input `b`.
        input: usize,
        /// Which half.
        half: crate::Half,
        /// `|w* − ŵ±|`.
        error: f64,
        /// The per-half tolerance it exceeds.
        tolerance: f64,
        /// The positions (in the layer's arrays) of the kept neurons serving that half.
        positions: Vec<usize>,
        /// Their `z`.
        neurons: Vec<u64>,
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
    /// (ARCHITECTURE.md, invariant 7).
    #[error(
        "layer {layer}: kept weight of neuron {neuron}, port {port} ({side:?} side) is {stored:e} but G's generator gives {generated:e}"
    )]
    WeightMismatch {
        /// Layer `i` (1-based).
        layer: usize,
        /// Which side of the neuron.
        side: Side,
        /// Intermediate neuron `z`.
        neuron: u64,
        /// Input `b` (for `U`) or output `a` (for `V`).
        port: usize,
        /// The weight stored in Ĝ.
        stored: f64,
        /// The weight recomputed from G.
        generated: f64,
    },
    /// Some target weights could not be decomposed within the per-half tolerance from the
    /// neurons of G the construction gives them (G too small, e.g. `--neurons-per-weight` or
    /// a width scale below the theorem's width).
    #[error(
        "{construction}: {failed} of {total} target weights could not be decomposed within the per-half tolerance {tolerance:e} with {neurons_per_weight} neurons per weight \
         ({empty_slots} halves ŵ± failed; first: layer {first_layer}, weight ({first_row}, {first_col}), {first_half}: {first_reason}); expected a larger G"
    )]
    Undecomposable {
        /// The construction.
        construction: Construction,
        /// The number of halves `(w*, ±)` that failed: with the golden-ratio solver, each
        /// stopped on a needed interval slot that no available neuron filled.
        empty_slots: u64,
        /// Number of target weights with a half that failed.
        failed: u64,
        /// Number of target weights.
        total: u64,
        /// The layout's width parameter ([`crate::layout::Layout::neurons_per_weight`]).
        neurons_per_weight: u64,
        /// The per-half tolerance (`ε_w/2`, or `T`).
        tolerance: f64,
        /// Layer `i` (1-based) of the first failure (in G's order).
        first_layer: usize,
        /// Its output `a`.
        first_row: usize,
        /// Its input `b`.
        first_col: usize,
        /// Its half.
        first_half: Half,
        /// The solver's reason.
        first_reason: String,
    },
    /// The exact solver was given more candidates than it accepts.
    #[error(
        "layer {layer}, weight ({row}, {col}): {half} has {candidates} candidates, but the exact solver accepts at most {max}: expected a smaller width (--neurons-per-weight or --neurons-per-input) or another solver"
    )]
    TooManyCandidates {
        /// Layer `i` (1-based).
        layer: usize,
        /// Output `a`.
        row: usize,
        /// Input `b`.
        col: usize,
        /// Which half.
        half: Half,
        /// Number of candidates of the half.
        candidates: usize,
        /// The solver's limit.
        max: usize,
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
    /// In weight-tolerance mode, a half is farther than `T` from its target weight.
    #[error(
        "the pruned network is not within the weight tolerance T = {tolerance:e}: the largest |w* − ŵ±| is {max_weight_error:e}"
    )]
    NotWithinTolerance {
        /// `T`.
        tolerance: f64,
        /// `max |w* − ŵ±|`.
        max_weight_error: f64,
    },
    /// The literal sparse Ĝ and its virtual matrices disagree beyond rounding on an input
    /// (an internal inconsistency: a bug, never expected).
    #[error(
        "the literal and the virtual pruned network differ by {difference:e} on input {input} (outputs of norm {scale:e}): expected agreement up to rounding"
    )]
    LiteralVirtualMismatch {
        /// The input's index.
        input: usize,
        /// `‖Ĝ_literal(x) − Ĝ_virtual(x)‖₂`.
        difference: f64,
        /// `‖Ĝ_virtual(x)‖₂`.
        scale: f64,
    },
    /// A shard's index is not in `1..=count`.
    #[error("shard {index}/{count} is invalid: expected K/N with 1 ≤ K ≤ N")]
    InvalidShard {
        /// `K`.
        index: u32,
        /// `N`.
        count: u32,
    },
    /// A shard is not written `K/N`.
    #[error("shard `{text}` is invalid: expected K/N, e.g. 2/3")]
    ShardSyntax {
        /// The text given.
        text: String,
    },
    /// A ticket was refused.
    #[error("ticket: {message}")]
    Ticket {
        /// What is wrong.
        message: String,
    },
    /// Writing failed.
    #[error("write failed: {message}")]
    Io {
        /// The operating system's message.
        message: String,
    },
    /// A name was not recognized.
    #[error(transparent)]
    ParseName(#[from] crate::ParseNameError),
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
    /// A ticket's fingerprint is not the one of the target and domain it is checked against
    /// (ARCHITECTURE.md, invariant 15).
    #[error(
        "{ticket} was pruned for another target: {part} (digest {}… in the ticket, {}… for the target and domain given)",
        .found.short(),
        .expected.short()
    )]
    FingerprintMismatch {
        /// `shard K/N` or `the ticket`.
        ticket: String,
        /// Which part differs.
        part: crate::FingerprintPart,
        /// That part's digest in the ticket.
        found: crate::Sha256Digest,
        /// That part's digest for the target, domain and settings given.
        expected: crate::Sha256Digest,
    },
    /// Shards of a run are missing from a merge.
    #[error(
        "{} of {count} shards missing: {} (resubmit them with --array={})",
        .missing.len(),
        crate::ticket::array_spec(.missing),
        crate::ticket::array_spec(.missing)
    )]
    ShardsMissing {
        /// `N`.
        count: u32,
        /// The missing `K`s (1-based, as `--shard K/N`), increasing.
        missing: Vec<u32>,
    },
    /// A conv with a bias has no tap inside the image for every output position, so the
    /// constant channel that carries the bias cannot be read exactly at the border.
    #[error(
        "node {node}: a conv with a bias, kernel {kernel:?} and padding {padding:?} has no tap that reads inside the image at every output position; the bias cannot ride on a constant channel"
    )]
    GraphBias {
        /// The node's name.
        node: String,
        /// Its kernel.
        kernel: [usize; 2],
        /// Its padding `[top, left, bottom, right]`.
        padding: [usize; 4],
    },
    /// A setting that graph targets do not support.
    #[error("graph target: {what}")]
    GraphUnsupported {
        /// What, and what to use instead.
        what: &'static str,
    },
    /// The `ε_w` that certifies `ε` is below what `f64` resolves for the target's weights.
    #[error(
        "ε = {eps:e} needs a per-weight accuracy ε_w = {epsilon_w:e}, below the floating-point floor {floor:e} for weights up to w_max = {w_max:e} (64·2^-52·w_max per half): the certificate would certify rounding noise. The error recurrence through this graph (the product of its layers' operator bounds) certifies no ε below {eps_needed:e} in f64; ask for at least that, or prune to a per-weight tolerance (--weight-tolerance) and read the measured error"
    )]
    BelowFloatingPoint {
        /// The `ε_w` the tolerance rule gave (0 if none is positive).
        epsilon_w: f64,
        /// The smallest `ε_w` `f64` supports here.
        floor: f64,
        /// The network accuracy asked for.
        eps: f64,
        /// The smallest `ε` the recurrence certifies with `ε_w` at the floor.
        eps_needed: f64,
        /// `w_max`.
        w_max: f64,
    },
    /// The graph target was refused.
    #[error(transparent)]
    Graph(#[from] logprune_network::GraphError),
    /// The graph refused its inputs.
    #[error(transparent)]
    Forward(#[from] logprune_network::ForwardError),
}
