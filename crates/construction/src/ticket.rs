//! The ticket: Ĝ in `O(kept)` bytes, with everything needed to re-derive and check every
//! weight it keeps.
//!
//! A ticket is a safetensors file, so any language reads it: an 8-byte little-endian header
//! length `N`, `N` bytes of header JSON (padded with spaces), then the data section, every
//! array little-endian and one-dimensional. It comes in two forms ([`TicketForm`]), told apart
//! by the metadata's `format_version`; the reader takes both.
//!
//! # Format version 2: the mask (the default)
//!
//! Per layer `i = 1..ℓ` of the target, with `kept` its kept neurons and `edges` its kept
//! output edges, four flat tensors of unsigned integers:
//!
//! | tensor | dtype | shape | holds |
//! |---|---|---|---|
//! | `layer{i}.z_delta` | smallest holding the largest entry | `[kept]` | the kept neurons' indices `z` in G's intermediate layer `i`, delta-coded: entry 0 is `z_0` (a delta from 0), entry `k ≥ 1` is `z_k − z_{k−1} ≥ 1` (`z` strictly increases; every `z < M_i`) |
//! | `layer{i}.input` | smallest holding `n_{i−1} − 1` | `[kept]` | each kept neuron's one input `b < n_{i−1}` |
//! | `layer{i}.edges` | smallest holding the largest entry | `[kept]` | each kept neuron's number of kept output edges (they sum to `edges`) |
//! | `layer{i}.edge_output` | smallest holding `n_i − 1` | `[edges]` | each kept edge's output `a < n_i`: neuron 0's edges first, then neuron 1's, ...; increasing within a neuron |
//!
//! "Smallest" is the first of U8, U16, U32, U64 that holds the value (an empty tensor's
//! maximum is 0: U8); `n_{i−1}` and `n_i` are layer `i`'s fan-in and fan-out (for an MLP the
//! target widths of F′, with the bias unit; for a graph target `graph.fans[i−1]`). The
//! metadata key `dtypes` records them: a JSON array with one object per layer,
//! `{"edge_output": "U8", "edges": "U8", "input": "U16", "z_delta": "U16"}` (keys sorted),
//! and each tensor's header entry has that dtype.
//!
//! The weights are not stored: they are re-derived from G, whose generator, seed, laws and
//! fans the metadata gives ([`TicketSpec::large_network`]), as
//! `u = U_i[z, b] = G.u(t, z, b)` for each kept neuron and `v = V_i[a, z] = G.v(t, a, z)` for
//! each kept edge, `t = i − 1` ([`LargeNetwork::u`], [`LargeNetwork::v`]; ARCHITECTURE.md,
//! invariant 7). The reader does so, so a compact ticket reads back as the same Ĝ, with the
//! same `u` and `v` bit for bit, as the ticket with the weights.
//!
//! # Format version 1: the mask and the weights (`--store-weights`)
//!
//! Per layer `i`, six flat tensors:
//!
//! | tensor | dtype | shape | holds |
//! |---|---|---|---|
//! | `layer{i}.z` | U64 | `[kept]` | each kept neuron's index `z` in G's intermediate layer, increasing |
//! | `layer{i}.input` | U32 | `[kept]` | its one input `b` |
//! | `layer{i}.u` | F64 | `[kept]` | its input weight `U_i[z, b]` |
//! | `layer{i}.edge_neuron` | U32 | `[edges]` | each kept output edge's neuron, as a position in the arrays above (nondecreasing) |
//! | `layer{i}.edge_output` | U32 | `[edges]` | its output `a` (increasing within a neuron) |
//! | `layer{i}.edge_v` | F64 | `[edges]` | its weight `V_i[a, z]` |
//!
//! # Both versions
//!
//! The data section holds the tensors ordered by element size, 8-byte ones first, then 4-,
//! 2- and 1-byte ones; within one size in layer order, and within a layer in the order of the
//! tables above. So every tensor is aligned to its element size (numpy's `frombuffer` and
//! other safetensors readers need it); a reader should take each tensor's offsets from the
//! header rather than assume the order. The header is padded with spaces to a length that
//! depends only on the spec, the number of layers and the version (the header with every
//! number at its widest and every version-2 dtype at U64, rounded up to 8 bytes), so that a
//! run can stream Ĝ out layer by layer and write the header last ([`TicketWriter`]), with the
//! same bytes as [`write_ticket`]. Layer `i` of Ĝ computes `σ_i(Σ_edges v · relu(u · x_b))`
//! (the literal network), or equally `σ_i(Ŵ⁺ max(x, 0) + Ŵ⁻ min(x, 0))` with the virtual
//! matrices summed from the same arrays.
//!
//! The `__metadata__` holds `format = logprune-ticket`, `format_version` (`2` or `1`), for
//! version 2 `dtypes` (above), and, each as JSON text, the [`TicketSpec`] fields: G's
//! `generator` (name and counter-layout version), `seed`, `distribution` and `laws` (the law
//! of each layer and side with its parameters), G's widths `widths_g` (`M_i`); the target's
//! widths `target_widths` (of F', with the bias unit), `bias_unit`, `activations` (or, for a
//! graph target, `graph` with its nodes and the `fans` of its linear nodes); the `accuracy`
//! (`ε` or `T`), `tolerance_rule`, `delta`, `construction`, `solver` and the width options;
//! the [`Fingerprint`] of the target, domain and accuracy settings (`fingerprint`; tickets
//! written before it have none, and still read); and for a shard of a run, which one
//! (`shard`) and the wall-clock seconds of its stages (`shard_seconds`). `stats` holds the
//! oracle's per-layer counts.
//!
//! The writer is a pure function of its inputs (byte-identical for equal tickets) and streams
//! the arrays; the reader checks everything (names, dtypes, shapes, metadata, the layer
//! arrays' invariants, indices against G's widths and the layer's fans, naming the layer and
//! the tensor) and never panics on untrusted bytes. It reads a layer at a time
//! ([`TicketReader`]: the header checked when opened, any layer read on demand), so a ticket is
//! verified ([`crate::verify_reader`]) or merged ([`ShardReaders`], [`crate::merge_into`]) in
//! the memory of its largest layer; [`read_ticket`] reads every layer.

use std::collections::BTreeMap;
use std::io::{self, Write};

use logprune_network::{Activation, Architecture};
use rayon::prelude::*;
use safetensors::Dtype;
use serde::{Deserialize, Serialize};

use crate::fingerprint::Fingerprint;
use crate::oracle::LayerStats;
use crate::pruned::LayerParts;
use crate::{
    Accuracy, Construction, ConstructionError, GDistribution, Generator, LargeNetwork, Law, Plan,
    PrunedLayer, PrunedNetwork, Side, SolverKind,
};

/// The `format` metadata value of a ticket.
pub const TICKET_FORMAT: &str = "logprune-ticket";

/// The version of the compact ticket format (the mask only), which this code writes by
/// default; it reads this and [`TICKET_VERSION_WEIGHTS`].
pub const TICKET_VERSION: u32 = 2;

/// The version of the ticket format with the kept weights (`--store-weights`).
pub const TICKET_VERSION_WEIGHTS: u32 = 1;

/// One shard of a run: the work items whose global index is `index − 1` modulo `count`
/// (`1 ≤ index ≤ count`), written `index/count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    /// `K`, 1-based.
    pub index: u32,
    /// `N`.
    pub count: u32,
}

impl Shard {
    /// Shard `index` of `count`.
    ///
    /// # Errors
    /// [`ConstructionError::InvalidShard`] unless `1 ≤ index ≤ count`.
    pub fn new(index: u32, count: u32) -> Result<Self, ConstructionError> {
        if !(1..=count).contains(&index) {
            return Err(ConstructionError::InvalidShard { index, count });
        }
        Ok(Shard { index, count })
    }

    /// Whether the work item of global index `g` belongs to this shard.
    pub fn owns(self, g: u64) -> bool {
        g % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl core::fmt::Display for Shard {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl core::str::FromStr for Shard {
    type Err = ConstructionError;

    /// Parses `K/N`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ConstructionError::ShardSyntax { text: s.to_owned() };
        let (k, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let (k, n) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        Shard::new(k, n)
    }
}

/// What a ticket records about G, the target and the run (module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketSpec {
    /// G's generator (counter layout version).
    pub generator: Generator,
    /// G's seed.
    pub seed: u64,
    /// G's weight distribution, as chosen.
    pub distribution: GDistribution,
    /// The law of `[U_i, V_i]` for each layer, with their parameters.
    pub laws: Vec<[Law; 2]>,
    /// G's intermediate widths `M_i`.
    pub widths_g: Vec<u64>,
    /// The widths `n_0..n_ℓ` of the bias-free target F' (with the bias unit).
    pub target_widths: Vec<usize>,
    /// Whether F' carries F's biases by a constant unit (Ĝ takes `(x, 1)`).
    pub bias_unit: bool,
    /// `σ_1..σ_ℓ` by name.
    pub activations: Vec<String>,
    /// The accuracy asked for.
    pub accuracy: Accuracy,
    /// How `ε_w` followed from it.
    pub tolerance_rule: crate::ToleranceRule,
    /// `δ`.
    pub delta: f64,
    /// The construction.
    pub construction: Construction,
    /// The solver.
    pub solver: SolverKind,
    /// `--neurons-per-weight`, if given.
    pub neurons_per_weight: Option<u64>,
    /// `--neurons-per-input`, if given.
    pub neurons_per_input: Option<u64>,
    /// The width scale.
    pub width_scale: f64,
    /// `w_max`, if given.
    pub w_max: Option<f64>,
    /// For a shard of a run, which one; `None` for a whole ticket.
    pub shard: Option<Shard>,
    /// The fingerprint of the target, domain and accuracy settings ([`crate::fingerprint`]);
    /// `None` in a ticket written before fingerprints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Fingerprint>,
    /// For a shard, the wall-clock seconds of its stages (volatile; `None` for a whole
    /// ticket, so a merged ticket is the whole run's, byte for byte).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_seconds: Option<ShardSeconds>,
    /// For a graph target, its nodes and the fans of its linear nodes (G's layers); `None`
    /// for an MLP, whose layers are `target_widths` and `activations`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<crate::graph::GraphSpec>,
}

/// The wall-clock seconds of a shard's stages.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardSeconds {
    /// Planning.
    pub plan: f64,
    /// The oracle on the shard's work items.
    pub prune: f64,
}

/// The stage times of the shards of a merged run: summed, and the slowest shard's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ShardTimings {
    /// The number of shards.
    pub shards: u32,
    /// Their planning seconds, summed.
    pub plan_total: f64,
    /// Their pruning seconds, summed.
    pub prune_total: f64,
    /// The shard whose plan and prune took longest.
    pub slowest: Shard,
    /// Its seconds.
    pub slowest_seconds: ShardSeconds,
}

impl ShardTimings {
    /// The timings of `shards` (those that record their seconds); `None` if none does.
    pub fn of(shards: &[Ticket]) -> Option<Self> {
        Self::of_specs(shards.iter().map(|t| &t.spec))
    }

    /// The timings of the shards with these specs (those that record their seconds); `None`
    /// if none does.
    pub fn of_specs<'a>(specs: impl IntoIterator<Item = &'a TicketSpec>) -> Option<Self> {
        let timed: Vec<(Shard, ShardSeconds)> = specs
            .into_iter()
            .filter_map(|s| Some((s.shard?, s.shard_seconds?)))
            .collect();
        let total = |x: &(Shard, ShardSeconds)| x.1.plan + x.1.prune;
        let &(slowest, slowest_seconds) = timed
            .iter()
            .reduce(|a, b| if total(b) > total(a) { b } else { a })?;
        Some(ShardTimings {
            shards: timed.len() as u32,
            plan_total: timed.iter().map(|x| x.1.plan).sum(),
            prune_total: timed.iter().map(|x| x.1.prune).sum(),
            slowest,
            slowest_seconds,
        })
    }
}

impl TicketSpec {
    /// The spec of a run with `plan` on `large` (a whole ticket, or `shard`).
    pub fn of_run(plan: &Plan, large: &LargeNetwork, shard: Option<Shard>) -> Self {
        let arch = plan.network().architecture();
        TicketSpec {
            target_widths: arch.widths().to_vec(),
            bias_unit: plan.has_bias_unit(),
            activations: arch.activations().iter().map(|a| a.to_string()).collect(),
            ..Self::of_config(plan.config(), large, shard, Fingerprint::of_plan(plan))
        }
    }

    /// The spec of a run on a graph target (a whole ticket, or `shard`): the graph's nodes
    /// and fans instead of an MLP's widths and activations.
    pub fn of_graph_run(
        plan: &crate::GraphPlan,
        large: &LargeNetwork,
        shard: Option<Shard>,
    ) -> Self {
        TicketSpec {
            graph: Some(crate::graph::GraphSpec::of(plan.graph())),
            ..Self::of_config(
                plan.config(),
                large,
                shard,
                Fingerprint::of_graph_plan(plan),
            )
        }
    }

    /// What every spec records of the run's configuration and G; no target.
    fn of_config(
        c: &crate::PruneConfig,
        large: &LargeNetwork,
        shard: Option<Shard>,
        fingerprint: Fingerprint,
    ) -> Self {
        TicketSpec {
            generator: large.generator(),
            seed: large.seed(),
            distribution: c.distribution,
            laws: large.laws().to_vec(),
            widths_g: large.intermediate_widths().to_vec(),
            target_widths: Vec::new(),
            bias_unit: false,
            activations: Vec::new(),
            accuracy: c.accuracy,
            // As configured (the fingerprint covers it); a graph's ε_w always comes from the
            // recurrence rule, which its report says.
            tolerance_rule: c.tolerance_rule,
            delta: c.delta,
            construction: c.construction,
            solver: c.solver,
            neurons_per_weight: c.neurons_per_weight,
            neurons_per_input: c.neurons_per_input,
            width_scale: c.width_scale,
            w_max: c.w_max,
            shard,
            fingerprint: Some(fingerprint),
            shard_seconds: None,
            graph: None,
        }
    }

    /// `(n_in, n_out, σ)` of each layer of Ĝ: an MLP's from its widths and activations, a
    /// graph's from its fans (the graph applies the activations, so the layers none).
    ///
    /// # Errors
    /// As [`TicketSpec::architecture`].
    pub fn layer_shapes(&self) -> Result<Vec<(usize, usize, Activation)>, ConstructionError> {
        Ok(match &self.graph {
            Some(g) => g
                .fans
                .iter()
                .map(|f| (f[0], f[1], Activation::Identity))
                .collect(),
            None => {
                let arch = self.architecture()?;
                arch.widths()
                    .windows(2)
                    .zip(arch.activations())
                    .map(|(w, &a)| (w[0], w[1], a))
                    .collect()
            }
        })
    }

    /// `shard K/N`, or `the ticket` for a whole one.
    pub fn name(&self) -> String {
        match self.shard {
            Some(s) => format!("shard {s}"),
            None => "the ticket".to_owned(),
        }
    }

    /// Checks the recorded fingerprint against `given`, the fingerprint of the target and
    /// domain the ticket is checked against (its settings part is recomputed from this spec,
    /// so accuracy settings that do not match their digest are refused too). Returns whether
    /// the ticket has a fingerprint: one written before fingerprints passes unchecked.
    ///
    /// # Errors
    /// [`ConstructionError::FingerprintMismatch`] naming the ticket (or shard) and the first
    /// part that differs.
    pub fn check_fingerprint(&self, given: &Fingerprint) -> Result<bool, ConstructionError> {
        let Some(recorded) = self.fingerprint else {
            return Ok(false);
        };
        let expected = given.with_settings(&self.config(None));
        match expected.differs(&recorded) {
            None => Ok(true),
            Some(part) => {
                let pick = |f: &Fingerprint| match part {
                    crate::FingerprintPart::Target => f.target,
                    crate::FingerprintPart::Domain => f.domain,
                    crate::FingerprintPart::Settings => f.settings,
                };
                Err(ConstructionError::FingerprintMismatch {
                    ticket: self.name(),
                    part,
                    found: pick(&recorded),
                    expected: pick(&expected),
                })
            }
        }
    }

    /// The configuration of the run (with the given memory budget), to plan it again.
    pub fn config(&self, max_memory: Option<u64>) -> crate::PruneConfig {
        crate::PruneConfig {
            accuracy: self.accuracy,
            tolerance_rule: self.tolerance_rule,
            compare_rules: false,
            delta: self.delta,
            construction: self.construction,
            solver: self.solver,
            distribution: self.distribution,
            generator: self.generator,
            seed: self.seed,
            neurons_per_weight: self.neurons_per_weight,
            neurons_per_input: self.neurons_per_input,
            width_scale: self.width_scale,
            w_max: self.w_max,
            max_memory,
        }
    }

    /// The architecture of F'.
    ///
    /// # Errors
    /// [`ConstructionError::Ticket`] for an unknown activation or widths that do not make an
    /// architecture.
    pub fn architecture(&self) -> Result<Architecture, ConstructionError> {
        let acts = self
            .activations
            .iter()
            .map(|a| {
                a.parse::<Activation>()
                    .map_err(|e| ticket_error(format!("activations: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Architecture::new(self.target_widths.clone(), acts)
            .map_err(|e| ticket_error(format!("target_widths and activations: {e}")))
    }

    /// G as the ticket describes it.
    ///
    /// # Errors
    /// As [`TicketSpec::architecture`] and [`LargeNetwork::new`].
    pub fn large_network(&self) -> Result<LargeNetwork, ConstructionError> {
        LargeNetwork::with_fans(
            self.layer_shapes()?.iter().map(|s| [s.0, s.1]).collect(),
            self.widths_g.clone(),
            self.laws.clone(),
            self.generator,
            self.seed,
        )
    }
}

/// A ticket read back: its spec, Ĝ, and the oracle's per-layer counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticket {
    /// What it records about G, the target and the run.
    pub spec: TicketSpec,
    /// Ĝ.
    pub pruned: PrunedNetwork,
    /// The oracle's counts per layer (summed over shards when merged).
    pub stats: Vec<LayerStats>,
    /// The form it was read in (or is to be written in).
    pub form: TicketForm,
}

/// [`ConstructionError::Ticket`] with a message.
fn ticket_error(message: String) -> ConstructionError {
    ConstructionError::Ticket { message }
}

/// The form a ticket is written in (module docs): the mask alone, its weights re-derived from
/// G when read (format version 2, the default), or the mask with the kept weights (format
/// version 1, `--store-weights`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TicketForm {
    /// Format version 2: per layer `z_delta`, `input`, `edges`, `edge_output`, each in the
    /// smallest unsigned dtype that holds it.
    #[default]
    Compact,
    /// Format version 1: per layer `z`, `input`, `u`, `edge_neuron`, `edge_output`, `edge_v`.
    Weights,
}

impl TicketForm {
    /// The `format_version` this form is written with.
    pub fn version(self) -> u32 {
        match self {
            TicketForm::Compact => TICKET_VERSION,
            TicketForm::Weights => TICKET_VERSION_WEIGHTS,
        }
    }

    /// The form of `format_version` `version`, if any.
    pub fn of_version(version: u32) -> Option<Self> {
        match version {
            TICKET_VERSION => Some(TicketForm::Compact),
            TICKET_VERSION_WEIGHTS => Some(TicketForm::Weights),
            _ => None,
        }
    }

    /// `compact` or `weights`, as reports and summaries name it.
    pub fn name(self) -> &'static str {
        match self {
            TicketForm::Compact => "compact",
            TicketForm::Weights => "weights",
        }
    }

    /// The compact form unless `store_weights`.
    pub fn of_store_weights(store_weights: bool) -> Self {
        if store_weights {
            TicketForm::Weights
        } else {
            TicketForm::Compact
        }
    }

    /// The names of a layer's tensors (without the `layer{i}.` prefix), in the order the
    /// module docs list them.
    fn kinds(self) -> &'static [Kind] {
        match self {
            TicketForm::Weights => &[
                Kind::Z,
                Kind::U,
                Kind::EdgeV,
                Kind::Input,
                Kind::EdgeNeuron,
                Kind::EdgeOutput,
            ],
            TicketForm::Compact => &[Kind::ZDelta, Kind::Input, Kind::Edges, Kind::EdgeOutput],
        }
    }
}

impl core::fmt::Display for TicketForm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// One tensor of a layer (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Z,
    U,
    EdgeV,
    Input,
    EdgeNeuron,
    EdgeOutput,
    ZDelta,
    Edges,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Z => "z",
            Kind::U => "u",
            Kind::EdgeV => "edge_v",
            Kind::Input => "input",
            Kind::EdgeNeuron => "edge_neuron",
            Kind::EdgeOutput => "edge_output",
            Kind::ZDelta => "z_delta",
            Kind::Edges => "edges",
        }
    }

    /// Whether it has one entry per kept edge (else one per kept neuron).
    fn per_edge(self) -> bool {
        matches!(self, Kind::EdgeV | Kind::EdgeNeuron | Kind::EdgeOutput)
    }
}

/// The smallest of U8, U16, U32, U64 that holds `max`.
pub fn smallest_dtype(max: u64) -> Dtype {
    if max <= u64::from(u8::MAX) {
        Dtype::U8
    } else if max <= u64::from(u16::MAX) {
        Dtype::U16
    } else if max <= u64::from(u32::MAX) {
        Dtype::U32
    } else {
        Dtype::U64
    }
}

/// Bytes per element of a dtype.
fn dtype_size(d: Dtype) -> u64 {
    d.bitsize() as u64 / 8
}

/// What the header says of one layer: its kept neurons and edges, and the dtype of each of
/// its tensors (in [`TicketForm::kinds`] order).
#[derive(Clone, Debug, PartialEq)]
struct LayerShape {
    neurons: u64,
    edges: u64,
    dtypes: Vec<Dtype>,
}

impl LayerShape {
    /// The shape of `layer` in `form`: the compact form's dtypes are the smallest that hold
    /// the largest `z` delta, `n_in − 1`, the most edges of a neuron, and `n_out − 1`.
    fn of(layer: &PrunedLayer, form: TicketForm) -> Result<Self, ConstructionError> {
        let p = layer.parts();
        let dtypes = match form {
            TicketForm::Weights => {
                if layer.len() > u32::MAX as usize {
                    return Err(ConstructionError::TooLarge {
                        what: "kept neurons of one layer in a ticket",
                        value: layer.len() as f64,
                        limit: f64::from(u32::MAX),
                    });
                }
                vec![
                    Dtype::U64,
                    Dtype::F64,
                    Dtype::F64,
                    Dtype::U32,
                    Dtype::U32,
                    Dtype::U32,
                ]
            }
            TicketForm::Compact => {
                let mut prev = 0u64;
                let mut delta = 0u64;
                for &z in &p.z {
                    delta = delta.max(z - prev);
                    prev = z;
                }
                let edges = p.start.windows(2).map(|s| s[1] - s[0]).max().unwrap_or(0);
                vec![
                    smallest_dtype(delta),
                    smallest_dtype(layer.n_in().saturating_sub(1) as u64),
                    smallest_dtype(edges),
                    smallest_dtype(layer.n_out().saturating_sub(1) as u64),
                ]
            }
        };
        Ok(LayerShape {
            neurons: layer.len() as u64,
            edges: layer.edge_count() as u64,
            dtypes,
        })
    }

    /// The widest shape of any layer in `form` (every count at `u64::MAX`, every compact
    /// dtype U64): the header's room.
    fn widest(form: TicketForm) -> Self {
        let dtypes = match form {
            TicketForm::Weights => vec![
                Dtype::U64,
                Dtype::F64,
                Dtype::F64,
                Dtype::U32,
                Dtype::U32,
                Dtype::U32,
            ],
            TicketForm::Compact => vec![Dtype::U64; 4],
        };
        LayerShape {
            neurons: u64::MAX,
            edges: u64::MAX,
            dtypes,
        }
    }

    /// The data bytes of the layer.
    fn bytes(&self, form: TicketForm) -> u64 {
        form.kinds()
            .iter()
            .zip(&self.dtypes)
            .map(|(k, &d)| {
                let len = if k.per_edge() {
                    self.edges
                } else {
                    self.neurons
                };
                len.saturating_mul(dtype_size(d))
            })
            .fold(0u64, u64::saturating_add)
    }
}

/// Writes `xs` as little-endian integers of `size` bytes each (the low bytes of each).
fn put(w: &mut dyn Write, xs: impl Iterator<Item = u64>, size: usize) -> io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 16);
    for x in xs {
        buf.extend_from_slice(&x.to_le_bytes()[..size]);
        if buf.len() >= 1 << 16 {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)
}

/// Writes tensor `kind` of a layer `p` in `dtype` (module docs).
fn write_kind(w: &mut dyn Write, p: &LayerParts, kind: Kind, dtype: Dtype) -> io::Result<()> {
    let size = dtype_size(dtype) as usize;
    match kind {
        Kind::Z => put(w, p.z.iter().copied(), size),
        Kind::U => put(w, p.u.iter().map(|x| x.to_bits()), size),
        Kind::EdgeV => put(w, p.v.iter().map(|x| x.to_bits()), size),
        Kind::Input => put(w, p.input.iter().map(|&x| u64::from(x)), size),
        Kind::EdgeOutput => put(w, p.output.iter().map(|&x| u64::from(x)), size),
        Kind::EdgeNeuron => put(
            w,
            p.start
                .windows(2)
                .enumerate()
                .flat_map(|(k, s)| (s[0]..s[1]).map(move |_| k as u64)),
            size,
        ),
        Kind::ZDelta => put(
            w,
            p.z.iter()
                .scan(0u64, |prev, &z| Some(z - core::mem::replace(prev, z))),
            size,
        ),
        Kind::Edges => put(w, p.start.windows(2).map(|s| s[1] - s[0]), size),
    }
}

/// The metadata of a ticket: `format`, `format_version`, each spec field as JSON, `stats`,
/// and for the compact form `dtypes`.
fn metadata(
    spec: &TicketSpec,
    stats: &[LayerStats],
    form: TicketForm,
    shapes: &[LayerShape],
) -> Result<BTreeMap<String, String>, ConstructionError> {
    let json = |e: serde_json::Error| ConstructionError::Json {
        message: e.to_string(),
    };
    let mut meta = BTreeMap::new();
    meta.insert("format".to_owned(), TICKET_FORMAT.to_owned());
    meta.insert("format_version".to_owned(), form.version().to_string());
    let value = serde_json::to_value(spec).map_err(json)?;
    let serde_json::Value::Object(fields) = value else {
        return Err(ticket_error("the spec is not an object".to_owned()));
    };
    for (k, v) in fields {
        meta.insert(k, serde_json::to_string(&v).map_err(json)?);
    }
    meta.insert(
        "stats".to_owned(),
        serde_json::to_string(&stats.iter().map(StatsJson::from).collect::<Vec<_>>())
            .map_err(json)?,
    );
    if form == TicketForm::Compact {
        let dtypes: Vec<serde_json::Map<String, serde_json::Value>> = shapes
            .iter()
            .map(|s| {
                form.kinds()
                    .iter()
                    .zip(&s.dtypes)
                    .map(|(k, d)| (k.name().to_owned(), d.to_string().into()))
                    .collect()
            })
            .collect();
        meta.insert(
            "dtypes".to_owned(),
            serde_json::to_string(&dtypes).map_err(json)?,
        );
    }
    Ok(meta)
}

/// [`LayerStats`] as tickets write them.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct StatsJson {
    consulted: u64,
    weights: u64,
    empty_slots: u64,
    failed_weights: u64,
    width_needed: u64,
}

impl From<&LayerStats> for StatsJson {
    fn from(s: &LayerStats) -> Self {
        StatsJson {
            consulted: s.consulted,
            weights: s.weights,
            empty_slots: s.empty_slots,
            failed_weights: s.failed_weights,
            width_needed: s.width_needed,
        }
    }
}

impl From<StatsJson> for LayerStats {
    fn from(s: StatsJson) -> Self {
        LayerStats {
            consulted: s.consulted,
            weights: s.weights,
            empty_slots: s.empty_slots,
            failed_weights: s.failed_weights,
            width_needed: s.width_needed,
        }
    }
}

/// The number of bytes [`write_ticket`] writes for Ĝ in `form` (header excluded): 20 per
/// kept neuron and 16 per kept edge with the weights; with the compact form, per layer the
/// sizes of its four dtypes (module docs), typically 3 to 5 bytes per neuron and 1 or 2 per
/// edge.
pub fn ticket_data_bytes(pruned: &PrunedNetwork, form: TicketForm) -> u64 {
    pruned
        .layers()
        .iter()
        .map(|l| LayerShape::of(l, form).map_or(0, |s| s.bytes(form)))
        .fold(0u64, u64::saturating_add)
}

/// One tensor of a ticket: `(layer t, index in the form's kinds)`, its name, dtype, length
/// and offsets in the data section.
type TableEntry = ((usize, usize), String, Dtype, u64, u64, u64);

/// The tensors of a ticket in file order (module docs): by element size, 8 bytes first, then
/// 4, 2 and 1; within a size in layer order, and within a layer in the order of the module
/// docs' table.
fn tensor_table(form: TicketForm, shapes: &[LayerShape]) -> Vec<TableEntry> {
    let kinds = form.kinds();
    let mut items: Vec<((usize, usize), Dtype, u64)> =
        Vec::with_capacity(kinds.len() * shapes.len());
    for (t, s) in shapes.iter().enumerate() {
        for (j, (k, &d)) in kinds.iter().zip(&s.dtypes).enumerate() {
            items.push(((t, j), d, if k.per_edge() { s.edges } else { s.neurons }));
        }
    }
    // Stable: layer order, then the table's order, within each size.
    items.sort_by_key(|x| core::cmp::Reverse(dtype_size(x.1)));
    let mut offset = 0u64;
    items
        .into_iter()
        .map(|((t, j), d, len)| {
            let bytes = len.saturating_mul(dtype_size(d));
            let start = offset;
            offset = offset.saturating_add(bytes);
            (
                (t, j),
                format!("layer{}.{}", t + 1, kinds[j].name()),
                d,
                len,
                start,
                offset,
            )
        })
        .collect()
}

/// The header JSON of a ticket with the tensors of `table` and the metadata `meta`, unpadded.
fn header_json(
    table: &[TableEntry],
    meta: BTreeMap<String, String>,
) -> Result<String, ConstructionError> {
    let json = |e: serde_json::Error| ConstructionError::Json {
        message: e.to_string(),
    };
    let mut header = serde_json::Map::new();
    for (_, name, dtype, len, start, end) in table {
        header.insert(
            name.clone(),
            serde_json::json!({
                "dtype": dtype.to_string(),
                "shape": [len],
                "data_offsets": [start, end],
            }),
        );
    }
    header.insert(
        "__metadata__".to_owned(),
        serde_json::to_value(meta).map_err(json)?,
    );
    serde_json::to_string(&header).map_err(json)
}

/// The header of a ticket, padded with spaces to [`reserved_header`]'s length, so that it
/// depends on the layers' sizes, dtypes and stats but its length does not: a streaming writer
/// ([`TicketWriter`]) reserves it first and writes it last.
fn header_text(
    spec: &TicketSpec,
    stats: &[LayerStats],
    form: TicketForm,
    shapes: &[LayerShape],
) -> Result<String, ConstructionError> {
    let mut text = header_json(
        &tensor_table(form, shapes),
        metadata(spec, stats, form, shapes)?,
    )?;
    let reserved = reserved_header(spec, shapes.len(), form)?;
    debug_assert!(text.len() <= reserved);
    text.extend(std::iter::repeat_n(
        ' ',
        reserved.saturating_sub(text.len()),
    ));
    Ok(text)
}

/// The header length of any ticket of `spec` with `layers` layers in `form`: the header with
/// every size, offset and count at `u64::MAX` (the most digits any can have) and every
/// compact dtype at U64 (the longest name), rounded up to a multiple of 8 (so the data
/// section is aligned).
fn reserved_header(
    spec: &TicketSpec,
    layers: usize,
    form: TicketForm,
) -> Result<usize, ConstructionError> {
    let widest = LayerStats {
        consulted: u64::MAX,
        weights: u64::MAX,
        empty_slots: u64::MAX,
        failed_weights: u64::MAX,
        width_needed: u64::MAX,
    };
    let shapes = vec![LayerShape::widest(form); layers];
    let table: Vec<_> = tensor_table(form, &shapes)
        .into_iter()
        .map(|(key, name, dtype, ..)| (key, name, dtype, u64::MAX, u64::MAX, u64::MAX))
        .collect();
    let text = header_json(
        &table,
        metadata(spec, &vec![widest; layers], form, &shapes)?,
    )?;
    Ok(text.len().div_ceil(8) * 8)
}

fn io_error(e: io::Error) -> ConstructionError {
    ConstructionError::Io {
        message: e.to_string(),
    }
}

/// Writes the ticket of `pruned` with `spec` and `stats` to `w` in `form` (module docs),
/// streaming the arrays. The bytes are those [`TicketWriter`] writes for the same layers.
///
/// # Errors
/// [`ConstructionError::Io`] if writing fails; [`ConstructionError::TooLarge`] if a layer of
/// a ticket with the weights has more than `u32::MAX` kept neurons (positions are U32).
pub fn write_ticket(
    w: &mut dyn Write,
    spec: &TicketSpec,
    pruned: &PrunedNetwork,
    stats: &[LayerStats],
    form: TicketForm,
) -> Result<(), ConstructionError> {
    let layers = pruned.layers();
    let shapes = layers
        .iter()
        .map(|l| LayerShape::of(l, form))
        .collect::<Result<Vec<_>, _>>()?;
    let text = header_text(spec, stats, form, &shapes)?;
    w.write_all(&(text.len() as u64).to_le_bytes())
        .map_err(io_error)?;
    w.write_all(text.as_bytes()).map_err(io_error)?;
    let kinds = form.kinds();
    for ((t, j), _, dtype, ..) in tensor_table(form, &shapes) {
        write_kind(w, layers[t].parts(), kinds[j], dtype).map_err(io_error)?;
    }
    Ok(())
}

/// A ticket written layer by layer, as a run hands Ĝ over ([`crate::LayerSink`]), holding no
/// layer: the header's room is reserved first ([`reserved_header`]), each layer's 8-byte
/// arrays go to `out` at once and its narrower ones to `spill`, and [`TicketWriter::finish`]
/// appends the spilled arrays in file order (4-byte ones, then 2, then 1) and writes the
/// header. The bytes are those of [`write_ticket`].
#[derive(Debug)]
pub struct TicketWriter<W: Write + io::Seek, S: io::Read + Write + io::Seek> {
    out: W,
    spill: S,
    spec: TicketSpec,
    form: TicketForm,
    layers: usize,
    reserved: usize,
    shapes: Vec<LayerShape>,
    /// Per spilled array: its element size, `(layer, kind index)`, offset and bytes in
    /// `spill`.
    spilled: Vec<(u64, (usize, usize), u64, u64)>,
    spill_len: u64,
}

impl<W: Write + io::Seek, S: io::Read + Write + io::Seek> TicketWriter<W, S> {
    /// A ticket of `spec` with `layers` layers in `form` into `out` (at its start), with
    /// `spill` (empty) for the arrays narrower than 8 bytes.
    ///
    /// # Errors
    /// [`ConstructionError::Io`] if writing fails.
    pub fn new(
        mut out: W,
        spill: S,
        spec: TicketSpec,
        layers: usize,
        form: TicketForm,
    ) -> Result<Self, ConstructionError> {
        let reserved = reserved_header(&spec, layers, form)?;
        out.write_all(&vec![b' '; 8 + reserved]).map_err(io_error)?;
        Ok(TicketWriter {
            out,
            spill,
            spec,
            form,
            layers,
            reserved,
            shapes: Vec::with_capacity(layers),
            spilled: Vec::new(),
            spill_len: 0,
        })
    }

    /// Writes the next layer.
    ///
    /// # Errors
    /// As [`write_ticket`]; [`ConstructionError::Ticket`] beyond the announced layers.
    pub fn layer(&mut self, layer: &PrunedLayer) -> Result<(), ConstructionError> {
        if self.shapes.len() == self.layers {
            return Err(ticket_error(format!(
                "a ticket of {} layers was given one more",
                self.layers
            )));
        }
        let t = self.shapes.len();
        let shape = LayerShape::of(layer, self.form)?;
        for (j, (&kind, &dtype)) in self.form.kinds().iter().zip(&shape.dtypes).enumerate() {
            let size = dtype_size(dtype);
            if size == 8 {
                write_kind(&mut self.out, layer.parts(), kind, dtype).map_err(io_error)?;
            } else {
                let len = if kind.per_edge() {
                    shape.edges
                } else {
                    shape.neurons
                };
                write_kind(&mut self.spill, layer.parts(), kind, dtype).map_err(io_error)?;
                self.spilled
                    .push((size, (t, j), self.spill_len, len * size));
                self.spill_len += len * size;
            }
        }
        self.shapes.push(shape);
        Ok(())
    }

    /// Appends the spilled arrays and writes the header with `stats`; returns `out`.
    ///
    /// # Errors
    /// [`ConstructionError::Io`] if writing fails; [`ConstructionError::Ticket`] if not every
    /// layer was written.
    pub fn finish(mut self, stats: &[LayerStats]) -> Result<W, ConstructionError> {
        if self.shapes.len() != self.layers {
            return Err(ticket_error(format!(
                "a ticket of {} layers was given {}",
                self.layers,
                self.shapes.len()
            )));
        }
        // File order: by element size, then layer, then the table's order.
        let mut spilled = std::mem::take(&mut self.spilled);
        spilled.sort_by_key(|s| (core::cmp::Reverse(s.0), s.1));
        let mut next = u64::MAX;
        for (_, _, offset, bytes) in spilled {
            if offset != next {
                self.spill
                    .seek(io::SeekFrom::Start(offset))
                    .map_err(io_error)?;
            }
            let copied = io::copy(&mut io::Read::take(&mut self.spill, bytes), &mut self.out)
                .map_err(io_error)?;
            if copied != bytes {
                return Err(io_error(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the spill file is shorter than what was written to it",
                )));
            }
            next = offset + bytes;
        }
        let text = header_text(&self.spec, stats, self.form, &self.shapes)?;
        debug_assert_eq!(text.len(), self.reserved);
        self.out.seek(io::SeekFrom::Start(0)).map_err(io_error)?;
        self.out
            .write_all(&(text.len() as u64).to_le_bytes())
            .map_err(io_error)?;
        self.out.write_all(text.as_bytes()).map_err(io_error)?;
        self.out.seek(io::SeekFrom::End(0)).map_err(io_error)?;
        Ok(self.out)
    }
}

/// The ticket of `pruned` in `form` as bytes ([`write_ticket`] into memory).
///
/// # Errors
/// As [`write_ticket`].
pub fn ticket_bytes(
    spec: &TicketSpec,
    pruned: &PrunedNetwork,
    stats: &[LayerStats],
    form: TicketForm,
) -> Result<Vec<u8>, ConstructionError> {
    let mut out = Vec::new();
    write_ticket(&mut out, spec, pruned, stats, form)?;
    Ok(out)
}

/// Reads a ticket of either form (module docs), checking everything; never panics on
/// untrusted bytes. A compact ticket's weights are re-derived from G
/// ([`TicketSpec::large_network`]). This is [`TicketReader`] on the bytes, every layer read.
///
/// # Errors
/// [`ConstructionError::Ticket`] naming what is wrong: not safetensors, not a ticket, an
/// unsupported version, a missing or malformed metadata field or tensor (naming the layer and
/// the tensor), arrays that break the layer invariants, indices outside G's widths or the
/// layer's fans.
pub fn read_ticket(bytes: &[u8]) -> Result<Ticket, ConstructionError> {
    TicketReader::new(io::Cursor::new(bytes))?.read_all()
}

/// The largest header a ticket may have (safetensors' own limit).
const MAX_HEADER: u64 = 100_000_000;

/// Bytes read at a time when a tensor is decoded.
const READ_CHUNK: usize = 1 << 20;

/// Where one tensor of a layer is: its dtype, its number of entries, and its first byte in
/// the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TensorPlace {
    dtype: Dtype,
    len: u64,
    offset: u64,
}

/// A ticket file opened for reading layer by layer: [`TicketReader::new`] reads and checks
/// the header (the safetensors layout: tensors contiguous, within the file and not
/// overlapping, sizes matching shapes and dtypes; the metadata: format, version, spec,
/// stats, dtypes; every tensor of every layer present with its dtype) without reading any
/// data, and [`TicketReader::layer`] reads one layer, checks it as [`read_ticket`] does and,
/// for a compact ticket, re-derives its weights from G. So a ticket is checked or merged in
/// the memory of its largest layer. Never panics on untrusted bytes.
#[derive(Debug)]
pub struct TicketReader<R> {
    inner: R,
    spec: TicketSpec,
    stats: Vec<LayerStats>,
    form: TicketForm,
    /// `(n_in, n_out, σ)` of each layer.
    shapes: Vec<(usize, usize, Activation)>,
    /// Per layer, its tensors in [`TicketForm::kinds`] order.
    places: Vec<Vec<TensorPlace>>,
    /// G, for a compact ticket (its weights are re-derived).
    large: Option<LargeNetwork>,
}

impl<R: io::Read + io::Seek> TicketReader<R> {
    /// Opens the ticket in `inner` (from its start) and checks its header.
    ///
    /// # Errors
    /// [`ConstructionError::Ticket`] as [`read_ticket`] for everything the header says;
    /// [`ConstructionError::Io`] if reading fails.
    pub fn new(mut inner: R) -> Result<Self, ConstructionError> {
        let file_len = inner.seek(io::SeekFrom::End(0)).map_err(io_error)?;
        inner.seek(io::SeekFrom::Start(0)).map_err(io_error)?;
        let not_safetensors = |m: &str| ticket_error(format!("not a safetensors file: {m}"));
        if file_len < 8 {
            return Err(not_safetensors("shorter than its 8-byte header length"));
        }
        let mut n = [0u8; 8];
        inner.read_exact(&mut n).map_err(io_error)?;
        let n = u64::from_le_bytes(n);
        if n > MAX_HEADER {
            return Err(not_safetensors(&format!(
                "a header of {n} bytes is longer than {MAX_HEADER}"
            )));
        }
        if n > file_len - 8 {
            return Err(not_safetensors(&format!(
                "a header of {n} bytes does not fit in the file's {} bytes",
                file_len - 8
            )));
        }
        let mut header = vec![0u8; n as usize];
        inner.read_exact(&mut header).map_err(io_error)?;
        let header = std::str::from_utf8(&header)
            .map_err(|e| not_safetensors(&format!("the header is not UTF-8: {e}")))?;
        // Safetensors' own checks: tensors in offset order, contiguous from 0, each of the
        // size its shape and dtype give, ending where the file does.
        let layout: safetensors::tensor::Metadata = serde_json::from_str(header)
            .map_err(|e| not_safetensors(&format!("the header: {e}")))?;
        let data_len = file_len - 8 - n;
        if layout.data_len() as u64 != data_len {
            return Err(not_safetensors(&format!(
                "the tensors take {} bytes, but the data section has {data_len}",
                layout.data_len()
            )));
        }
        let data_start = 8 + n;
        let meta = layout
            .metadata()
            .as_ref()
            .ok_or_else(|| ticket_error("no __metadata__: not a logprune ticket".to_owned()))?;
        let get = |key: &str| {
            meta.get(key)
                .ok_or_else(|| ticket_error(format!("metadata `{key}` is missing")))
        };
        if get("format")? != TICKET_FORMAT {
            return Err(ticket_error(format!(
                "metadata `format` is `{}`, expected `{TICKET_FORMAT}`",
                get("format")?
            )));
        }
        let version = get("format_version")?;
        let form = version
            .parse::<u32>()
            .ok()
            .and_then(TicketForm::of_version)
            .ok_or_else(|| {
                ticket_error(format!(
                    "format version `{version}` is not supported: expected {TICKET_VERSION_WEIGHTS} or {TICKET_VERSION}"
                ))
            })?;
        let mut fields = serde_json::Map::new();
        // Sorted, so that the first malformed field named does not depend on hashing.
        let sorted: BTreeMap<&String, &String> = meta.iter().collect();
        for (k, v) in sorted {
            if k == "format" || k == "format_version" || k == "stats" || k == "dtypes" {
                continue;
            }
            let value: serde_json::Value = serde_json::from_str(v)
                .map_err(|e| ticket_error(format!("metadata `{k}` is not JSON: {e}")))?;
            fields.insert(k.clone(), value);
        }
        let spec: TicketSpec = serde_json::from_value(serde_json::Value::Object(fields))
            .map_err(|e| ticket_error(format!("metadata: {e}")))?;
        let stats: Vec<StatsJson> = serde_json::from_str(get("stats")?)
            .map_err(|e| ticket_error(format!("metadata `stats`: {e}")))?;
        let shapes = spec.layer_shapes()?;
        let ell = shapes.len();
        for (what, len) in [
            ("laws", spec.laws.len()),
            ("widths_g", spec.widths_g.len()),
            ("stats", stats.len()),
        ] {
            if len != ell {
                return Err(ticket_error(format!(
                    "metadata `{what}` has {len} entries, expected one per layer ({ell})"
                )));
            }
        }
        let dtypes = match form {
            TicketForm::Weights => vec![LayerShape::widest(form).dtypes; ell],
            TicketForm::Compact => compact_dtypes(get("dtypes")?, ell)?,
        };
        let tensors = layout.tensors();
        let kinds = form.kinds();
        let expected = kinds.len() * ell;
        if tensors.len() != expected {
            return Err(ticket_error(format!(
                "{} tensors, expected {expected} ({} per layer)",
                tensors.len(),
                kinds.len()
            )));
        }
        let large = match form {
            TicketForm::Weights => None,
            TicketForm::Compact => Some(spec.large_network()?),
        };
        let mut places = Vec::with_capacity(ell);
        for (t, dtypes) in dtypes.iter().enumerate() {
            let mut layer = Vec::with_capacity(kinds.len());
            for (kind, &dtype) in kinds.iter().zip(dtypes) {
                let name = format!("layer{}.{}", t + 1, kind.name());
                let info = tensors
                    .get(&name)
                    .ok_or_else(|| ticket_error(format!("tensor `{name}` is missing")))?;
                if info.dtype != dtype || info.shape.len() != 1 {
                    return Err(ticket_error(format!(
                        "tensor `{name}` is {:?} of shape {:?}, expected {dtype:?} of one dimension",
                        info.dtype, info.shape
                    )));
                }
                layer.push(TensorPlace {
                    dtype,
                    len: info.shape[0] as u64,
                    offset: data_start + info.data_offsets.0 as u64,
                });
            }
            places.push(layer);
        }
        Ok(TicketReader {
            inner,
            spec,
            stats: stats.into_iter().map(LayerStats::from).collect(),
            form,
            shapes,
            places,
            large,
        })
    }

    /// What the ticket records about G, the target and the run.
    pub fn spec(&self) -> &TicketSpec {
        &self.spec
    }

    /// The oracle's counts per layer.
    pub fn stats(&self) -> &[LayerStats] {
        &self.stats
    }

    /// The form of the ticket.
    pub fn form(&self) -> TicketForm {
        self.form
    }

    /// The number of layers.
    pub fn depth(&self) -> usize {
        self.shapes.len()
    }

    /// `(kept neurons, kept edges)` of each layer, as the header gives them (the lengths of
    /// its `z`/`z_delta` and `edge_output` tensors), for memory estimates.
    pub fn layer_sizes(&self) -> Vec<(u64, u64)> {
        let kinds = self.form.kinds();
        let at = |k: Kind| kinds.iter().position(|&x| x == k).unwrap_or(0);
        let (neurons, edges) = match self.form {
            TicketForm::Weights => (at(Kind::Z), at(Kind::EdgeOutput)),
            TicketForm::Compact => (at(Kind::ZDelta), at(Kind::EdgeOutput)),
        };
        self.places
            .iter()
            .map(|p| (p[neurons].len, p[edges].len))
            .collect()
    }

    /// Reads layer `t` (0-based) of Ĝ, checked as [`read_ticket`] checks it; a compact
    /// ticket's weights re-derived from G.
    ///
    /// # Errors
    /// As [`read_ticket`] for the layer (naming it and the tensor);
    /// [`ConstructionError::Ticket`] for a layer the ticket does not have;
    /// [`ConstructionError::Io`] if reading fails.
    pub fn layer(&mut self, t: usize) -> Result<PrunedLayer, ConstructionError> {
        let Some(&(n_in, n_out, activation)) = self.shapes.get(t) else {
            return Err(ticket_error(format!(
                "layer {} asked of a ticket of {} layers",
                t + 1,
                self.shapes.len()
            )));
        };
        let places = &self.places[t];
        let inner = &mut self.inner;
        let mut read = |j: usize| read_array(inner, places[j]);
        let parts = match &self.large {
            None => read_weights_layer(t, &mut read, self.spec.widths_g[t])?,
            Some(g) => read_compact_layer(t, &mut read, g, (n_in, n_out))?,
        };
        PrunedLayer::from_parts(n_in, n_out, activation, parts)
            .map_err(|e| ticket_error(format!("layer {}: {e}", t + 1)))
    }

    /// Reads every layer: the whole ticket.
    ///
    /// # Errors
    /// As [`TicketReader::layer`].
    pub fn read_all(mut self) -> Result<Ticket, ConstructionError> {
        let layers = (0..self.depth())
            .map(|t| self.layer(t))
            .collect::<Result<Vec<_>, _>>()?;
        let pruned = match self.spec.graph {
            Some(_) => PrunedNetwork::of_graph(layers)?,
            None => PrunedNetwork::new(layers)?,
        };
        Ok(Ticket {
            spec: self.spec,
            pruned,
            stats: self.stats,
            form: self.form,
        })
    }

    /// The reader it was opened on.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

/// The entries of the tensor at `place`, each widened to `u64`, decoded a chunk at a time.
fn read_array<R: io::Read + io::Seek>(
    r: &mut R,
    place: TensorPlace,
) -> Result<Vec<u64>, ConstructionError> {
    let size = dtype_size(place.dtype) as usize;
    let len = usize::try_from(place.len)
        .map_err(|_| ticket_error(format!("a tensor of {} entries", place.len)))?;
    r.seek(io::SeekFrom::Start(place.offset))
        .map_err(io_error)?;
    let mut out = Vec::new();
    out.try_reserve_exact(len)
        .map_err(|_| ConstructionError::OutOfMemory {
            what: "a tensor of a ticket",
            bytes: place.len.saturating_mul(8),
        })?;
    let mut buf = vec![0u8; READ_CHUNK.min(len.saturating_mul(size)).max(size)];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len() / size);
        let chunk = &mut buf[..n * size];
        r.read_exact(chunk).map_err(io_error)?;
        out.extend(chunk.chunks_exact(size).map(|c| {
            let mut b = [0u8; 8];
            b[..size].copy_from_slice(c);
            u64::from_le_bytes(b)
        }));
        left -= n;
    }
    Ok(out)
}

/// The `dtypes` metadata of a compact ticket: per layer an object naming the dtype of each of
/// its four tensors, each U8, U16, U32 or U64.
fn compact_dtypes(text: &str, ell: usize) -> Result<Vec<Vec<Dtype>>, ConstructionError> {
    let layers: Vec<BTreeMap<String, String>> =
        serde_json::from_str(text).map_err(|e| ticket_error(format!("metadata `dtypes`: {e}")))?;
    if layers.len() != ell {
        return Err(ticket_error(format!(
            "metadata `dtypes` has {} entries, expected one per layer ({ell})",
            layers.len()
        )));
    }
    let kinds = TicketForm::Compact.kinds();
    layers
        .iter()
        .enumerate()
        .map(|(t, m)| {
            if m.len() != kinds.len() {
                return Err(ticket_error(format!(
                    "layer {}: metadata `dtypes` names {} tensors, expected {}",
                    t + 1,
                    m.len(),
                    kinds.len()
                )));
            }
            kinds
                .iter()
                .map(|k| {
                    let name = m.get(k.name()).ok_or_else(|| {
                        ticket_error(format!(
                            "layer {}: metadata `dtypes` has no `{}`",
                            t + 1,
                            k.name()
                        ))
                    })?;
                    match name.as_str() {
                        "U8" => Ok(Dtype::U8),
                        "U16" => Ok(Dtype::U16),
                        "U32" => Ok(Dtype::U32),
                        "U64" => Ok(Dtype::U64),
                        other => Err(ticket_error(format!(
                            "tensor `layer{}.{}`: metadata `dtypes` says `{other}`, expected U8, U16, U32 or U64",
                            t + 1,
                            k.name()
                        ))),
                    }
                })
                .collect()
        })
        .collect()
}

/// The arrays of layer `t` of a ticket with the weights (format version 1), tensors read by
/// `read` (in [`TicketForm::kinds`] order).
fn read_weights_layer(
    t: usize,
    read: &mut dyn FnMut(usize) -> Result<Vec<u64>, ConstructionError>,
    width: u64,
) -> Result<LayerParts, ConstructionError> {
    let narrow = |xs: Vec<u64>| -> Vec<u32> { xs.into_iter().map(|x| x as u32).collect() };
    let floats = |xs: Vec<u64>| -> Vec<f64> { xs.into_iter().map(f64::from_bits).collect() };
    let z = read(0)?;
    let u = floats(read(1)?);
    let v = floats(read(2)?);
    let input = narrow(read(3)?);
    let positions = narrow(read(4)?);
    let output = narrow(read(5)?);
    if positions.len() != output.len() || v.len() != output.len() {
        return Err(ticket_error(format!(
            "layer {}: {} edge positions, {} outputs and {} weights: expected equal counts",
            t + 1,
            positions.len(),
            output.len(),
            v.len()
        )));
    }
    // Positions to offsets: nondecreasing, each < kept.
    let mut start = vec![0u64; z.len() + 1];
    for (e, &p) in positions.iter().enumerate() {
        if p as usize >= z.len() || (e > 0 && p < positions[e - 1]) {
            return Err(ticket_error(format!(
                "layer {}: edge {e} has neuron position {p}: expected nondecreasing positions below {}",
                t + 1,
                z.len()
            )));
        }
        start[p as usize + 1] += 1;
    }
    for k in 0..z.len() {
        start[k + 1] += start[k];
    }
    if let Some(&last) = z.last()
        && last >= width
    {
        return Err(ticket_error(format!(
            "layer {}: neuron {last} is outside G's width {width}",
            t + 1,
        )));
    }
    Ok(LayerParts {
        z,
        input,
        u,
        start,
        output,
        v,
    })
}

/// Neurons per rayon task when a compact ticket's weights are re-derived.
const DERIVE_CHUNK: usize = 4096;

/// The arrays of layer `t` of a compact ticket (format version 2), tensors read by `read`
/// (in [`TicketForm::kinds`] order): the mask checked against G's width and the layer's fans,
/// then `u` and `v` re-derived from `large`.
fn read_compact_layer(
    t: usize,
    read: &mut dyn FnMut(usize) -> Result<Vec<u64>, ConstructionError>,
    large: &LargeNetwork,
    (n_in, n_out): (usize, usize),
) -> Result<LayerParts, ConstructionError> {
    let i = t + 1;
    let bad = |tensor: &str, message: String| {
        ticket_error(format!("layer {i}: tensor layer{i}.{tensor}{message}"))
    };
    let deltas = read(0)?;
    let inputs = read(1)?;
    let counts = read(2)?;
    let outputs = read(3)?;
    let kept = deltas.len();
    for (name, len) in [("input", inputs.len()), ("edges", counts.len())] {
        if len != kept {
            return Err(bad(
                name,
                format!(" has {len} entries, expected one per kept neuron ({kept}, as `z_delta`)"),
            ));
        }
    }
    let width = large.intermediate_widths()[t];
    let mut z = Vec::with_capacity(kept);
    let mut prev = 0u64;
    for (k, &d) in deltas.iter().enumerate() {
        if k > 0 && d == 0 {
            return Err(bad(
                "z_delta",
                format!("[{k}] is 0: the kept neurons' z must strictly increase"),
            ));
        }
        let Some(x) = prev.checked_add(d).filter(|&x| x < width) else {
            return Err(bad(
                "z_delta",
                format!("[{k}] = {d} puts neuron {k} outside G's width {width}"),
            ));
        };
        z.push(x);
        prev = x;
    }
    let mut input = Vec::with_capacity(kept);
    for (k, &b) in inputs.iter().enumerate() {
        if b >= n_in as u64 {
            return Err(bad(
                "input",
                format!("[{k}] = {b} is not one of the layer's {n_in} inputs"),
            ));
        }
        input.push(b as u32);
    }
    let mut start = Vec::with_capacity(kept + 1);
    start.push(0u64);
    let mut total = 0u64;
    for &c in &counts {
        total = total.saturating_add(c);
        start.push(total);
    }
    if total != outputs.len() as u64 {
        return Err(bad(
            "edges",
            format!(
                " counts {total} edges in all, but `layer{i}.edge_output` has {}",
                outputs.len()
            ),
        ));
    }
    let mut output = Vec::with_capacity(outputs.len());
    for k in 0..kept {
        let (s, e) = (start[k] as usize, start[k + 1] as usize);
        for j in s..e {
            let a = outputs[j];
            if a >= n_out as u64 || (j > s && outputs[j - 1] >= a) {
                return Err(bad(
                    "edge_output",
                    format!(
                        "[{j}] = {a} (of neuron {k}): expected outputs below {n_out}, increasing within a neuron"
                    ),
                ));
            }
            output.push(a as u32);
        }
    }
    // The file's arrays are no longer needed: the layer's peak is its own arrays.
    drop((deltas, inputs, counts, outputs));
    // The weights, re-derived from G in parallel (a pure function of the indices).
    let derived: Vec<(Vec<f64>, Vec<f64>)> = (0..kept.div_ceil(DERIVE_CHUNK))
        .into_par_iter()
        .map(|c| {
            let ks = c * DERIVE_CHUNK..((c + 1) * DERIVE_CHUNK).min(kept);
            let (s, e) = (start[ks.start] as usize, start[ks.end] as usize);
            let ui: Vec<(u64, usize)> = ks.clone().map(|k| (z[k], input[k] as usize)).collect();
            let mut vi = Vec::with_capacity(e - s);
            for k in ks {
                for &a in &output[start[k] as usize..start[k + 1] as usize] {
                    vi.push((z[k], a as usize));
                }
            }
            let mut u = vec![0.0; ui.len()];
            let mut v = vec![0.0; vi.len()];
            large.weights_at(t, Side::Input, &ui, &mut u);
            large.weights_at(t, Side::Output, &vi, &mut v);
            (u, v)
        })
        .collect();
    let mut u = Vec::with_capacity(kept);
    let mut v = Vec::with_capacity(output.len());
    for (cu, cv) in derived {
        u.extend(cu);
        v.extend(cv);
    }
    Ok(LayerParts {
        z,
        input,
        u,
        start,
        output,
        v,
    })
}

/// `ks` (1-based shard indices) as a SLURM array spec, increasing, with runs of three or
/// more written as ranges: `[3, 7]` → `3,7`, `[2, 3, 4, 7]` → `2-4,7`, `[1, 2]` → `1,2`.
pub fn array_spec(ks: &[u32]) -> String {
    let mut ks = ks.to_vec();
    ks.sort_unstable();
    ks.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < ks.len() {
        let mut j = i;
        while j + 1 < ks.len() && ks[j + 1] == ks[j] + 1 {
            j += 1;
        }
        match j - i {
            0 => parts.push(ks[i].to_string()),
            1 => parts.extend([ks[i].to_string(), ks[j].to_string()]),
            _ => parts.push(format!("{}-{}", ks[i], ks[j])),
        }
        i = j + 1;
    }
    parts.join(",")
}

/// The fields in which two specs differ (the shard and its seconds aside), as messages:
/// for the fingerprint the part that differs, for the others both values.
fn spec_differences(a: &TicketSpec, b: &TicketSpec) -> Vec<String> {
    let plain = |s: &TicketSpec| {
        let mut v = serde_json::to_value(TicketSpec {
            shard: None,
            shard_seconds: None,
            ..s.clone()
        })
        .unwrap_or_default();
        if let Some(m) = v.as_object_mut() {
            m.remove("fingerprint");
        }
        v
    };
    let (va, vb) = (plain(a), plain(b));
    let mut out = Vec::new();
    match (a.fingerprint, b.fingerprint) {
        (Some(x), Some(y)) => {
            if let Some(part) = x.differs(&y) {
                out.push(format!("fingerprint: {part}"));
            }
        }
        (None, None) => {}
        (Some(_), None) => out.push(format!(
            "fingerprint: {} has one, {} has none",
            a.name(),
            b.name()
        )),
        (None, Some(_)) => out.push(format!(
            "fingerprint: {} has one, {} has none",
            b.name(),
            a.name()
        )),
    }
    if let (Some(ma), Some(mb)) = (va.as_object(), vb.as_object()) {
        for (k, x) in ma {
            let y = mb.get(k).unwrap_or(&serde_json::Value::Null);
            if x != y {
                out.push(format!("`{k}`: {x} vs {y}"));
            }
        }
    }
    out
}

/// Merges the shards of one run into the whole ticket: the same spec but for the shard, every
/// shard `1..=N` exactly once; each layer's kept edges united and regrouped exactly as the
/// oracle groups them (by `(z, output)`), so the result equals the unsharded run's; the stats
/// summed (widths needed: the largest). [`ShardReaders`] does the same a layer at a time.
///
/// # Errors
/// [`ConstructionError::Ticket`] if the tickets are not the shards of one run (naming the
/// shard and the fields in which it differs from the first, the fingerprint's part among
/// them), a shard is given twice, or two shards keep the same edge;
/// [`ConstructionError::ShardsMissing`] naming every missing shard.
pub fn merge(shards: Vec<Ticket>) -> Result<Ticket, ConstructionError> {
    let (spec, stats) = merged_spec(
        &shards
            .iter()
            .map(|s| (&s.spec, s.stats.as_slice()))
            .collect::<Vec<_>>(),
    )?;
    let form = shards.first().map_or(TicketForm::default(), |s| s.form);
    let mut layers = Vec::with_capacity(spec.widths_g.len());
    for t in 0..spec.widths_g.len() {
        let of_shards = shards
            .iter()
            .map(|s| {
                s.pruned.layers().get(t).ok_or_else(|| {
                    ticket_error(format!("{} has no layer {}", s.spec.name(), t + 1))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        layers.push(join_layers(t, &of_shards)?);
    }
    let pruned = match spec.graph {
        Some(_) => PrunedNetwork::of_graph(layers)?,
        None => PrunedNetwork::new(layers)?,
    };
    Ok(Ticket {
        spec,
        pruned,
        stats,
        form,
    })
}

/// The spec of the whole ticket merged from shards with these specs and stats (the first's
/// without its shard), and their stats summed; checks that they are the shards `1..=N` of
/// one run, each once ([`merge`]'s errors).
fn merged_spec(
    shards: &[(&TicketSpec, &[LayerStats])],
) -> Result<(TicketSpec, Vec<LayerStats>), ConstructionError> {
    let Some(&(first, _)) = shards.first() else {
        return Err(ticket_error("no shards to merge".to_owned()));
    };
    let Some(Shard { count, .. }) = first.shard else {
        return Err(ticket_error(
            "not a shard: the ticket has no `shard`".to_owned(),
        ));
    };
    let mut seen = vec![false; count as usize];
    let base = TicketSpec {
        shard: None,
        shard_seconds: None,
        ..first.clone()
    };
    for &(s, _) in shards {
        let Some(sh) = s.shard else {
            return Err(ticket_error("a ticket to merge is not a shard".to_owned()));
        };
        if sh.count != count {
            return Err(ticket_error(format!(
                "shard {sh} is not of the same run as {}: {} shards, expected {count}",
                first.name(),
                sh.count
            )));
        }
        let unsharded = TicketSpec {
            shard: None,
            shard_seconds: None,
            ..s.clone()
        };
        if unsharded != base {
            let differences = spec_differences(first, s);
            return Err(ticket_error(format!(
                "shard {sh} is not of the same run as {}: {}",
                first.name(),
                if differences.is_empty() {
                    "their specs differ".to_owned()
                } else {
                    differences.join("; ")
                }
            )));
        }
        if std::mem::replace(&mut seen[(sh.index - 1) as usize], true) {
            return Err(ticket_error(format!("shard {sh} is given twice")));
        }
    }
    let missing: Vec<u32> = (1..=count).filter(|&k| !seen[(k - 1) as usize]).collect();
    if !missing.is_empty() {
        return Err(ConstructionError::ShardsMissing { count, missing });
    }
    let ell = base.widths_g.len();
    let mut stats = vec![LayerStats::default(); ell];
    for &(s, st) in shards {
        if st.len() != ell {
            return Err(ticket_error(format!(
                "{} has stats for {} layers, expected {ell}",
                s.name(),
                st.len()
            )));
        }
        for (total, st) in stats.iter_mut().zip(st) {
            total.consulted += st.consulted;
            total.weights += st.weights;
            total.empty_slots += st.empty_slots;
            total.failed_weights += st.failed_weights;
            total.width_needed = total.width_needed.max(st.width_needed);
        }
    }
    Ok((base, stats))
}

/// Layer `t` of the whole run from the shards' layers `t`: their neurons merged in order of
/// `z` and, for a neuron kept by several shards (the same input and weight), its edges in
/// order of output. This is the oracle's grouping of the united edges sorted by
/// `(z, output)`, without holding them as edges.
///
/// # Errors
/// [`ConstructionError::Ticket`] if two shards keep one neuron with different inputs or
/// weights or keep the same edge; the layer's own checks ([`PrunedLayer::from_parts`]).
fn join_layers(t: usize, layers: &[&PrunedLayer]) -> Result<PrunedLayer, ConstructionError> {
    use core::cmp::Reverse;
    let Some(first) = layers.first() else {
        return Err(ticket_error("no shards to merge".to_owned()));
    };
    let neurons: usize = layers.iter().map(|l| l.len()).sum();
    let edges: usize = layers.iter().map(|l| l.edge_count()).sum();
    let mut p = LayerParts::default();
    p.z.try_reserve_exact(neurons)
        .and(p.input.try_reserve_exact(neurons))
        .and(p.u.try_reserve_exact(neurons))
        .and(p.start.try_reserve_exact(neurons + 1))
        .and(p.output.try_reserve_exact(edges))
        .and(p.v.try_reserve_exact(edges))
        .map_err(|_| ConstructionError::OutOfMemory {
            what: "the flat arrays of a merged layer",
            bytes: (neurons * 28 + edges * 12) as u64,
        })?;
    p.start.push(0);
    let mut pos = vec![0usize; layers.len()];
    let mut heap: std::collections::BinaryHeap<Reverse<(u64, usize)>> = layers
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(s, l)| Reverse((l.neuron(0).z, s)))
        .collect();
    let mut same = Vec::with_capacity(layers.len());
    let mut joined: Vec<(u32, f64)> = Vec::new();
    while let Some(Reverse((z, s))) = heap.pop() {
        same.clear();
        same.push(s);
        while let Some(&Reverse((z2, s2))) = heap.peek() {
            if z2 != z {
                break;
            }
            heap.pop();
            same.push(s2);
        }
        let n0 = layers[same[0]].neuron(pos[same[0]]);
        p.z.push(z);
        p.input.push(n0.input as u32);
        p.u.push(n0.u);
        if same.len() == 1 {
            p.output.extend_from_slice(n0.outputs);
            p.v.extend_from_slice(n0.weights);
        } else {
            joined.clear();
            for &s in &same {
                let n = layers[s].neuron(pos[s]);
                if n.input != n0.input || n.u.to_bits() != n0.u.to_bits() {
                    return Err(ticket_error(format!(
                        "layer {}: two shards keep neuron {z} with different inputs or weights ({} and {})",
                        t + 1,
                        n0.input,
                        n.input
                    )));
                }
                joined.extend(n.outputs.iter().copied().zip(n.weights.iter().copied()));
            }
            joined.sort_unstable_by_key(|e| e.0);
            if let Some(w) = joined.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(ticket_error(format!(
                    "layer {}: two shards keep the edge of neuron {z} to output {}",
                    t + 1,
                    w[0].0
                )));
            }
            p.output.extend(joined.iter().map(|e| e.0));
            p.v.extend(joined.iter().map(|e| e.1));
        }
        p.start.push(p.output.len() as u64);
        for &s in &same {
            pos[s] += 1;
            if pos[s] < layers[s].len() {
                heap.push(Reverse((layers[s].neuron(pos[s]).z, s)));
            }
        }
    }
    PrunedLayer::from_parts(first.n_in(), first.n_out(), first.activation(), p)
}

/// The shards of one run opened for a merge a layer at a time ([`merge`] streamed): the
/// specs checked and the stats summed when opened, then [`ShardReaders::layer`] reads layer
/// `t` of every shard and joins them. So a merge holds one layer of every shard and the
/// merged layer, never a whole ticket.
#[derive(Debug)]
pub struct ShardReaders<R> {
    readers: Vec<TicketReader<R>>,
    spec: TicketSpec,
    stats: Vec<LayerStats>,
}

impl<R: io::Read + io::Seek> ShardReaders<R> {
    /// The shards `readers`, which must be the shards `1..=N` of one run (in any order).
    ///
    /// # Errors
    /// As [`merge`] for the specs.
    pub fn new(readers: Vec<TicketReader<R>>) -> Result<Self, ConstructionError> {
        let (spec, stats) = merged_spec(
            &readers
                .iter()
                .map(|r| (r.spec(), r.stats()))
                .collect::<Vec<_>>(),
        )?;
        Ok(ShardReaders {
            readers,
            spec,
            stats,
        })
    }

    /// The merged ticket's spec (the first shard's without its shard).
    pub fn spec(&self) -> &TicketSpec {
        &self.spec
    }

    /// The merged ticket's stats (the shards', summed).
    pub fn stats(&self) -> &[LayerStats] {
        &self.stats
    }

    /// The shards.
    pub fn shards(&self) -> &[TicketReader<R>] {
        &self.readers
    }

    /// The number of layers.
    pub fn depth(&self) -> usize {
        self.spec.widths_g.len()
    }

    /// The shards' stage times ([`ShardTimings`]).
    pub fn timings(&self) -> Option<ShardTimings> {
        ShardTimings::of_specs(self.readers.iter().map(|r| r.spec()))
    }

    /// Per layer, `(kept neurons, kept edges)` summed over the shards (at least the merged
    /// layer's: a neuron kept by several shards counts once per shard).
    pub fn layer_sizes(&self) -> Vec<(u64, u64)> {
        let mut sizes = vec![(0u64, 0u64); self.depth()];
        for r in &self.readers {
            for (total, (n, e)) in sizes.iter_mut().zip(r.layer_sizes()) {
                total.0 = total.0.saturating_add(n);
                total.1 = total.1.saturating_add(e);
            }
        }
        sizes
    }

    /// Layer `t` of the whole run: layer `t` of every shard, read and joined as [`merge`]
    /// joins them.
    ///
    /// # Errors
    /// As [`TicketReader::layer`] (with the shard's name) and [`merge`].
    pub fn layer(&mut self, t: usize) -> Result<PrunedLayer, ConstructionError> {
        let mut layers = Vec::with_capacity(self.readers.len());
        for r in &mut self.readers {
            let name = r.spec().name();
            layers.push(r.layer(t).map_err(|e| match e {
                ConstructionError::Ticket { message } => ticket_error(format!("{name}: {message}")),
                e => e,
            })?);
        }
        join_layers(t, &layers.iter().collect::<Vec<_>>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Domain, NoProgress, PruneConfig, prune};
    use faer::mat;
    use logprune_network::Network;
    use safetensors::SafeTensors;

    fn run() -> crate::Pruning {
        let f = Network::from_weights(
            vec![mat![[0.5, -0.25], [0.125, 0.75]], mat![[1.0, -0.5]]],
            &[Activation::Relu, Activation::Identity],
        )
        .unwrap();
        let cfg = PruneConfig {
            construction: Construction::SharedInput,
            ..PruneConfig::new(0.1)
        };
        prune(&f, &Domain::cube(2, -1.0, 1.0).unwrap(), &cfg, &NoProgress).unwrap()
    }

    #[test]
    fn round_trip_and_layout() {
        let p = run();
        let spec = TicketSpec::of_run(&p.plan, &p.large, None);
        let stats = vec![LayerStats::default(); 2];
        for form in [TicketForm::Weights, TicketForm::Compact] {
            let bytes = ticket_bytes(&spec, &p.pruned, &stats, form).unwrap();
            let t = read_ticket(&bytes).unwrap();
            assert_eq!(t.spec, spec);
            assert_eq!(t.pruned, p.pruned);
            assert_eq!(t.form, form);
            assert_eq!(t.spec.large_network().unwrap(), p.large);
            let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
            assert_eq!(header % 8, 0);
            assert_eq!(
                (bytes.len() - 8 - header) as u64,
                ticket_data_bytes(&p.pruned, form)
            );
            // The safetensors crate reads it too, with the shapes and dtypes of the module
            // docs, every tensor aligned to its element size.
            let st = SafeTensors::deserialize(&bytes).unwrap();
            let kept = p.pruned.layers()[0].len();
            match form {
                TicketForm::Weights => {
                    let z = st.tensor("layer1.z").unwrap();
                    assert_eq!(z.dtype(), Dtype::U64);
                    assert_eq!(z.shape(), &[kept]);
                    // 20 bytes per neuron and 16 per edge.
                    assert_eq!(
                        ticket_data_bytes(&p.pruned, form),
                        p.pruned
                            .layers()
                            .iter()
                            .map(|l| 20 * l.len() as u64 + 16 * l.edge_count() as u64)
                            .sum::<u64>()
                    );
                }
                TicketForm::Compact => {
                    let d = st.tensor("layer1.z_delta").unwrap();
                    assert_eq!(d.shape(), &[kept]);
                    // Inputs 0..2 (with the bias unit: 3) and outputs 0..2 fit a byte.
                    assert_eq!(st.tensor("layer1.input").unwrap().dtype(), Dtype::U8);
                    assert_eq!(st.tensor("layer2.edge_output").unwrap().dtype(), Dtype::U8);
                    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
                    let m = meta.metadata().as_ref().unwrap();
                    assert_eq!(m["format_version"], "2");
                    assert!(m["dtypes"].contains("\"z_delta\""), "{}", m["dtypes"]);
                }
            }
            for (name, view) in st.tensors() {
                let offset = view.data().as_ptr() as usize - bytes.as_ptr() as usize;
                let size = view.dtype().bitsize() / 8;
                assert_eq!(offset % size, 0, "{name}");
            }
            // Deterministic.
            assert_eq!(bytes, ticket_bytes(&spec, &p.pruned, &stats, form).unwrap());
        }
    }

    #[test]
    fn the_smallest_dtypes() {
        assert_eq!(smallest_dtype(0), Dtype::U8);
        assert_eq!(smallest_dtype(255), Dtype::U8);
        assert_eq!(smallest_dtype(256), Dtype::U16);
        assert_eq!(smallest_dtype(65_535), Dtype::U16);
        assert_eq!(smallest_dtype(65_536), Dtype::U32);
        assert_eq!(smallest_dtype(u64::from(u32::MAX)), Dtype::U32);
        assert_eq!(smallest_dtype(u64::from(u32::MAX) + 1), Dtype::U64);
    }

    /// `bytes` with the data of tensor `name` changed by `f` (same length).
    fn with_tensor(bytes: &[u8], name: &str, f: impl FnOnce(&mut [u8])) -> Vec<u8> {
        let st = SafeTensors::deserialize(bytes).unwrap();
        let view = st.tensor(name).unwrap();
        let start = view.data().as_ptr() as usize - bytes.as_ptr() as usize;
        let len = view.data().len();
        let mut out = bytes.to_vec();
        f(&mut out[start..start + len]);
        out
    }

    #[test]
    fn bad_tickets_are_errors() {
        let p = run();
        let spec = TicketSpec::of_run(&p.plan, &p.large, None);
        let stats = vec![LayerStats::default(); 2];
        for form in [TicketForm::Weights, TicketForm::Compact] {
            let good = ticket_bytes(&spec, &p.pruned, &stats, form).unwrap();
            assert!(read_ticket(&[]).is_err());
            assert!(read_ticket(&good[..good.len() - 1]).is_err());
            // An index of the last neuron beyond G's width.
            let mut wide = spec.clone();
            wide.widths_g[0] = p.pruned.layers()[0].neurons().last().unwrap().z;
            let e =
                read_ticket(&ticket_bytes(&wide, &p.pruned, &stats, form).unwrap()).unwrap_err();
            assert!(e.to_string().contains("outside G's width"), "{e}");
            // Every single-byte change of the data or header is either refused or read back
            // as a different network (never a panic).
            for i in (0..good.len()).step_by(7) {
                let mut b = good.clone();
                b[i] ^= 0x5a;
                let _ = read_ticket(&b);
            }
        }
        // A dense pruned.safetensors is not a ticket.
        let dense = p.pruned.to_safetensors().unwrap();
        let e = read_ticket(&dense).unwrap_err().to_string();
        assert!(e.contains("format"), "{e}");
    }

    /// The spec and the layers of `bytes` read by a [`TicketReader`], the last layer first.
    fn read_backwards(bytes: &[u8]) -> Result<(TicketSpec, Vec<PrunedLayer>), ConstructionError> {
        let mut r = TicketReader::new(io::Cursor::new(bytes))?;
        let mut layers = (0..r.depth())
            .rev()
            .map(|t| r.layer(t))
            .collect::<Result<Vec<_>, _>>()?;
        layers.reverse();
        Ok((r.spec().clone(), layers))
    }

    /// `read_ticket` and the streaming reader (layers in reverse order) accept the same
    /// bytes, with the same Ĝ, and what they accept the safetensors crate accepts.
    fn agree(bytes: &[u8], what: &str) {
        match (read_ticket(bytes), read_backwards(bytes)) {
            (Ok(t), Ok((spec, layers))) => {
                assert_eq!(t.spec, spec, "{what}");
                assert_eq!(t.pruned.layers(), &layers[..], "{what}");
                assert!(SafeTensors::deserialize(bytes).is_ok(), "{what}");
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!("{what}: read_ticket {:?}, streamed {:?}", a.err(), b.err()),
        }
    }

    #[test]
    fn byte_flips_and_truncations_never_panic_and_both_readers_agree() {
        let p = run();
        let spec = TicketSpec::of_run(&p.plan, &p.large, None);
        let stats = vec![LayerStats::default(); 2];
        for form in [TicketForm::Weights, TicketForm::Compact] {
            let good = ticket_bytes(&spec, &p.pruned, &stats, form).unwrap();
            agree(&good, "the good ticket");
            assert!(read_ticket(&good).is_ok());
            for i in 0..good.len() {
                for flip in [0x01u8, 0x20, 0x80] {
                    let mut b = good.clone();
                    b[i] ^= flip;
                    agree(&b, &format!("{form}: byte {i} ^ {flip:#x}"));
                }
            }
            for len in 0..good.len() {
                agree(&good[..len], &format!("{form}: cut to {len} bytes"));
                assert!(read_ticket(&good[..len]).is_err());
            }
            let mut longer = good.clone();
            longer.push(0);
            agree(&longer, "one byte more");
            assert!(read_ticket(&longer).is_err());
        }
    }

    /// `bytes` with its header JSON changed by `f` and padded back to its length.
    fn with_header(bytes: &[u8], f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
        let n = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..n]).unwrap();
        f(&mut header);
        let mut text = serde_json::to_string(&header).unwrap();
        assert!(text.len() <= n - 8);
        text.extend(std::iter::repeat_n(' ', n - 8 - text.len()));
        [&bytes[..8], text.as_bytes(), &bytes[n..]].concat()
    }

    #[test]
    fn overlapping_and_outside_tensors_are_refused() {
        let p = run();
        let spec = TicketSpec::of_run(&p.plan, &p.large, None);
        let stats = vec![LayerStats::default(); 2];
        for form in [TicketForm::Weights, TicketForm::Compact] {
            let good = ticket_bytes(&spec, &p.pruned, &stats, form).unwrap();
            let names: Vec<String> = SafeTensors::deserialize(&good)
                .unwrap()
                .names()
                .into_iter()
                .map(str::to_owned)
                .collect();
            let offsets = |h: &serde_json::Value, name: &str| {
                let o = &h[name]["data_offsets"];
                (o[0].as_u64().unwrap(), o[1].as_u64().unwrap())
            };
            let refused = |b: Vec<u8>, what: &str| {
                let e = read_ticket(&b).unwrap_err().to_string();
                assert!(e.contains("not a safetensors file"), "{what}: {e}");
                assert!(read_backwards(&b).is_err(), "{what}");
            };
            for name in &names {
                // Overlapping the tensor before it (or starting before the data).
                refused(
                    with_header(&good, |h| {
                        let (s, e) = offsets(h, name);
                        h[name]["data_offsets"] = serde_json::json!([s.saturating_sub(1), e]);
                        h[name]["shape"] = serde_json::json!([0]);
                    }),
                    &format!("{form}: {name} moved back"),
                );
                // Past the end of the file.
                refused(
                    with_header(&good, |h| {
                        let (s, e) = offsets(h, name);
                        h[name]["data_offsets"] = serde_json::json!([s + (1 << 40), e + (1 << 40)]);
                    }),
                    &format!("{form}: {name} past the end"),
                );
            }
            // A header length beyond the file.
            let mut b = good.clone();
            b[..8].copy_from_slice(&(good.len() as u64).to_le_bytes());
            refused(b, "a header longer than the file");
        }
    }

    #[test]
    fn a_ticket_file_reads_a_layer_at_a_time() {
        let p = run();
        let spec = TicketSpec::of_run(&p.plan, &p.large, None);
        let stats = vec![LayerStats::default(); 2];
        let path = std::env::temp_dir().join(format!(
            "logprune-ticket-reader-{}.safetensors",
            std::process::id()
        ));
        for form in [TicketForm::Weights, TicketForm::Compact] {
            std::fs::write(&path, ticket_bytes(&spec, &p.pruned, &stats, form).unwrap()).unwrap();
            let file = io::BufReader::new(std::fs::File::open(&path).unwrap());
            let mut r = TicketReader::new(file).unwrap();
            assert_eq!((r.spec(), r.stats(), r.form()), (&spec, &stats[..], form));
            assert_eq!(
                r.layer_sizes(),
                p.pruned
                    .layers()
                    .iter()
                    .map(|l| (l.len() as u64, l.edge_count() as u64))
                    .collect::<Vec<_>>()
            );
            assert_eq!(r.layer(1).unwrap(), p.pruned.layers()[1]);
            assert_eq!(r.layer(0).unwrap(), p.pruned.layers()[0]);
            let e = r.layer(2).unwrap_err().to_string();
            assert!(e.contains("layer 3"), "{e}");
            assert_eq!(r.read_all().unwrap().pruned, p.pruned);
        }
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn bad_compact_arrays_name_the_layer_and_tensor() {
        let p = run();
        let spec = TicketSpec::of_run(&p.plan, &p.large, None);
        let stats = vec![LayerStats::default(); 2];
        let good = ticket_bytes(&spec, &p.pruned, &stats, TicketForm::Compact).unwrap();
        let err = |b: Vec<u8>| read_ticket(&b).unwrap_err().to_string();
        // A repeated neuron (a zero delta after the first).
        let e = err(with_tensor(&good, "layer1.z_delta", |d| d[1..].fill(0)));
        assert!(
            e.contains("layer 1")
                && e.contains("layer1.z_delta")
                && e.contains("strictly increase"),
            "{e}"
        );
        // A delta that leaves G (all bits set).
        let e = err(with_tensor(&good, "layer2.z_delta", |d| d.fill(0xff)));
        assert!(
            e.contains("layer2.z_delta") && e.contains("outside G's width"),
            "{e}"
        );
        // An input beyond the fan-in.
        let e = err(with_tensor(&good, "layer1.input", |d| d[0] = 200));
        assert!(e.contains("layer1.input[0]"), "{e}");
        // Edge counts that do not sum to the edges.
        let e = err(with_tensor(&good, "layer2.edges", |d| {
            d[0] = d[0].wrapping_add(1)
        }));
        assert!(
            e.contains("layer2.edges") && e.contains("edge_output"),
            "{e}"
        );
        // An output beyond the fan-out.
        let e = err(with_tensor(&good, "layer2.edge_output", |d| d[0] = 9));
        assert!(e.contains("layer2.edge_output[0]"), "{e}");
        // A dtype the metadata does not name.
        let n = 8 + u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
        let header = std::str::from_utf8(&good[8..n]).unwrap();
        let swapped = header.replacen("\\\"edges\\\":\\\"U8\\\"", "\\\"edges\\\":\\\"F8\\\"", 1);
        assert_ne!(swapped, header);
        let swapped = [&good[..8], swapped.as_bytes(), &good[n..]].concat();
        let e = err(swapped);
        assert!(
            e.contains("layer1.edges") && e.contains("expected U8, U16, U32 or U64"),
            "{e}"
        );
    }

    #[test]
    fn shards_parse() {
        assert_eq!("2/3".parse::<Shard>().unwrap(), Shard::new(2, 3).unwrap());
        for bad in ["0/3", "4/3", "1/0", "x/2", "3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let s = Shard::new(2, 3).unwrap();
        assert_eq!(
            (0..7).filter(|&g| s.owns(g)).collect::<Vec<_>>(),
            vec![1, 4]
        );
    }
}
