//! The ticket: Ĝ in `O(kept)` bytes, with everything needed to re-derive and check every
//! weight it keeps.
//!
//! # Format (version 1)
//!
//! A safetensors file, so any language reads it. Per layer `i = 1..ℓ` of the target, six flat
//! tensors:
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
//! The 8-byte tensors come first, then the 4-byte ones, each group in layer order, so every
//! tensor is aligned to its element size. The header is padded with spaces to a length that
//! depends only on the spec and the number of layers (the header with every number at its
//! widest, rounded up to 8 bytes), so that a run can stream Ĝ out layer by layer and write
//! the header last ([`TicketWriter`]), with the same bytes as [`write_ticket`]. Layer `i` of Ĝ computes
//! `σ_i(Σ_edges v · relu(u · x_b))` (the literal network), or equally
//! `σ_i(Ŵ⁺ max(x, 0) + Ŵ⁻ min(x, 0))` with the virtual matrices summed from the same arrays.
//!
//! The `__metadata__` holds `format = logprune-ticket`, `format_version = 1`, and, each as
//! JSON text, the [`TicketSpec`] fields: G's generator (name and counter-layout version),
//! seed, distribution and the law of each layer and side with its parameters, G's widths
//! `M_i`; the target's widths (of F', with the bias unit), whether it has the bias unit, its
//! activations; the accuracy (`ε` or `T`), `δ`, construction, solver and width options; the
//! [`Fingerprint`] of the target, domain and accuracy settings (tickets written before it
//! have none, and still read); and for a shard of a run, which one and the wall-clock seconds
//! of its stages. `stats` holds the oracle's per-layer counts.
//!
//! The writer is a pure function of its inputs (byte-identical for equal tickets) and streams
//! the arrays; the reader checks everything (names, dtypes, shapes, metadata, the layer
//! arrays' invariants, indices against G's widths) and never panics on untrusted bytes.

use std::collections::BTreeMap;
use std::io::{self, Write};

use logprune_network::{Activation, Architecture};
use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};

use crate::fingerprint::Fingerprint;
use crate::oracle::LayerStats;
use crate::pruned::LayerParts;
use crate::{
    Accuracy, Construction, ConstructionError, GDistribution, Generator, LargeNetwork, Law, Plan,
    PrunedLayer, PrunedNetwork, SolverKind,
};

/// The `format` metadata value of a ticket.
pub const TICKET_FORMAT: &str = "logprune-ticket";

/// The version of the ticket format this code writes and reads.
pub const TICKET_VERSION: u32 = 1;

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
        let timed: Vec<(Shard, ShardSeconds)> = shards
            .iter()
            .filter_map(|t| Some((t.spec.shard?, t.spec.shard_seconds?)))
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
}

/// [`ConstructionError::Ticket`] with a message.
fn ticket_error(message: String) -> ConstructionError {
    ConstructionError::Ticket { message }
}

/// The tensor names of layer `i` (1-based) with their dtypes, in the order of the module docs
/// (8-byte ones first).
fn layer_tensors(i: usize) -> [(String, Dtype); 6] {
    [
        (format!("layer{i}.z"), Dtype::U64),
        (format!("layer{i}.u"), Dtype::F64),
        (format!("layer{i}.edge_v"), Dtype::F64),
        (format!("layer{i}.input"), Dtype::U32),
        (format!("layer{i}.edge_neuron"), Dtype::U32),
        (format!("layer{i}.edge_output"), Dtype::U32),
    ]
}

/// One array to write, as little-endian bytes.
enum Data<'a> {
    U64(&'a [u64]),
    F64(&'a [f64]),
    U32(&'a [u32]),
    /// Edge positions, expanded from the offsets.
    Positions(&'a [u64]),
}

impl Data<'_> {
    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut buf = Vec::with_capacity(1 << 16);
        macro_rules! chunks {
            ($xs:expr) => {
                for chunk in $xs.chunks(8192) {
                    buf.clear();
                    for x in chunk {
                        buf.extend_from_slice(&x.to_le_bytes());
                    }
                    w.write_all(&buf)?;
                }
            };
        }
        match self {
            Data::U64(xs) => chunks!(xs),
            Data::F64(xs) => chunks!(xs),
            Data::U32(xs) => chunks!(xs),
            Data::Positions(start) => {
                for (k, p) in start.windows(2).enumerate() {
                    for _ in p[0]..p[1] {
                        buf.extend_from_slice(&(k as u32).to_le_bytes());
                        if buf.len() >= 1 << 16 {
                            w.write_all(&buf)?;
                            buf.clear();
                        }
                    }
                }
                w.write_all(&buf)?;
            }
        }
        Ok(())
    }
}

/// The metadata of a ticket: `format`, `format_version`, and each spec field as JSON.
fn metadata(
    spec: &TicketSpec,
    stats: &[LayerStats],
) -> Result<BTreeMap<String, String>, ConstructionError> {
    let json = |e: serde_json::Error| ConstructionError::Json {
        message: e.to_string(),
    };
    let mut meta = BTreeMap::new();
    meta.insert("format".to_owned(), TICKET_FORMAT.to_owned());
    meta.insert("format_version".to_owned(), TICKET_VERSION.to_string());
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

/// The number of bytes [`write_ticket`] writes for Ĝ (header excluded): 20 per kept neuron
/// and 16 per kept edge.
pub fn ticket_data_bytes(pruned: &PrunedNetwork) -> u64 {
    pruned
        .layers()
        .iter()
        .map(|l| 20 * l.len() as u64 + 16 * l.edge_count() as u64)
        .sum()
}

/// The tensors of a ticket in file order (module docs): per entry its name, dtype, length and
/// offsets in the data section, for layers of `(neurons, edges)` = `sizes`.
fn tensor_table(sizes: &[(u64, u64)]) -> Vec<(String, Dtype, u64, u64, u64)> {
    let mut out = Vec::with_capacity(6 * sizes.len());
    let mut offset = 0u64;
    for pass in 0..2 {
        for (t, &(n, e)) in sizes.iter().enumerate() {
            let [z, u, v, input, edge_neuron, edge_output] = layer_tensors(t + 1);
            let group = if pass == 0 {
                [(z, n), (u, n), (v, e)]
            } else {
                [(input, n), (edge_neuron, e), (edge_output, e)]
            };
            for ((name, dtype), len) in group {
                let bytes = len.saturating_mul(dtype.bitsize() as u64 / 8);
                out.push((name, dtype, len, offset, offset.saturating_add(bytes)));
                offset = offset.saturating_add(bytes);
            }
        }
    }
    out
}

/// The header JSON of a ticket with the tensors of `table` and the metadata of `spec` and
/// `stats`, unpadded.
fn header_json(
    table: &[(String, Dtype, u64, u64, u64)],
    meta: BTreeMap<String, String>,
) -> Result<String, ConstructionError> {
    let json = |e: serde_json::Error| ConstructionError::Json {
        message: e.to_string(),
    };
    let mut header = serde_json::Map::new();
    for (name, dtype, len, start, end) in table {
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
/// depends on the layers' sizes and stats but its length does not: a streaming writer
/// ([`TicketWriter`]) reserves it first and writes it last.
fn header_text(
    spec: &TicketSpec,
    stats: &[LayerStats],
    sizes: &[(u64, u64)],
) -> Result<String, ConstructionError> {
    let mut text = header_json(&tensor_table(sizes), metadata(spec, stats)?)?;
    let reserved = reserved_header(spec, sizes.len())?;
    debug_assert!(text.len() <= reserved);
    text.extend(std::iter::repeat_n(
        ' ',
        reserved.saturating_sub(text.len()),
    ));
    Ok(text)
}

/// The header length of any ticket of `spec` with `layers` layers: the header with every
/// size, offset and count at `u64::MAX` (the most digits any can have), rounded up to a
/// multiple of 8 (so the data section is aligned).
fn reserved_header(spec: &TicketSpec, layers: usize) -> Result<usize, ConstructionError> {
    let widest = LayerStats {
        consulted: u64::MAX,
        weights: u64::MAX,
        empty_slots: u64::MAX,
        failed_weights: u64::MAX,
        width_needed: u64::MAX,
    };
    let table: Vec<_> = tensor_table(&vec![(0, 0); layers])
        .into_iter()
        .map(|(name, dtype, ..)| (name, dtype, u64::MAX, u64::MAX, u64::MAX))
        .collect();
    let text = header_json(&table, metadata(spec, &vec![widest; layers])?)?;
    Ok(text.len().div_ceil(8) * 8)
}

/// `(neurons, edges)` of a layer, refusing more than `u32::MAX` neurons (positions are U32).
fn layer_size(layer: &PrunedLayer) -> Result<(u64, u64), ConstructionError> {
    if layer.len() > u32::MAX as usize {
        return Err(ConstructionError::TooLarge {
            what: "kept neurons of one layer in a ticket",
            value: layer.len() as f64,
            limit: f64::from(u32::MAX),
        });
    }
    Ok((layer.len() as u64, layer.edge_count() as u64))
}

/// The 8-byte arrays of a layer (`z`, `u`, `edge_v`) or its 4-byte ones (`input`,
/// `edge_neuron`, `edge_output`), in file order.
fn layer_data(p: &LayerParts, pass: usize) -> [Data<'_>; 3] {
    if pass == 0 {
        [Data::U64(&p.z), Data::F64(&p.u), Data::F64(&p.v)]
    } else {
        [
            Data::U32(&p.input),
            Data::Positions(&p.start),
            Data::U32(&p.output),
        ]
    }
}

fn io_error(e: io::Error) -> ConstructionError {
    ConstructionError::Io {
        message: e.to_string(),
    }
}

/// Writes the ticket of `pruned` with `spec` and `stats` to `w` (module docs), streaming the
/// arrays. The bytes are those [`TicketWriter`] writes for the same layers.
///
/// # Errors
/// [`ConstructionError::Io`] if writing fails; [`ConstructionError::TooLarge`] if a layer has
/// more than `u32::MAX` kept neurons (positions are U32).
pub fn write_ticket(
    w: &mut dyn Write,
    spec: &TicketSpec,
    pruned: &PrunedNetwork,
    stats: &[LayerStats],
) -> Result<(), ConstructionError> {
    let layers = pruned.layers();
    let sizes = layers
        .iter()
        .map(layer_size)
        .collect::<Result<Vec<_>, _>>()?;
    let text = header_text(spec, stats, &sizes)?;
    w.write_all(&(text.len() as u64).to_le_bytes())
        .map_err(io_error)?;
    w.write_all(text.as_bytes()).map_err(io_error)?;
    for pass in 0..2 {
        for layer in layers {
            for data in layer_data(layer.parts(), pass) {
                data.write(w).map_err(io_error)?;
            }
        }
    }
    Ok(())
}

/// A ticket written layer by layer, as a run hands Ĝ over ([`crate::LayerSink`]), holding no
/// layer: the header's room is reserved first ([`reserved_header`]), each layer's 8-byte
/// arrays go to `out` at once and its 4-byte ones to `spill`, and [`TicketWriter::finish`]
/// appends the spill and writes the header. The bytes are those of [`write_ticket`].
#[derive(Debug)]
pub struct TicketWriter<W: Write + io::Seek, S: io::Read + Write + io::Seek> {
    out: W,
    spill: S,
    spec: TicketSpec,
    layers: usize,
    reserved: usize,
    sizes: Vec<(u64, u64)>,
}

impl<W: Write + io::Seek, S: io::Read + Write + io::Seek> TicketWriter<W, S> {
    /// A ticket of `spec` with `layers` layers into `out` (at its start), with `spill` (empty)
    /// for the 4-byte arrays.
    ///
    /// # Errors
    /// [`ConstructionError::Io`] if writing fails.
    pub fn new(
        mut out: W,
        spill: S,
        spec: TicketSpec,
        layers: usize,
    ) -> Result<Self, ConstructionError> {
        let reserved = reserved_header(&spec, layers)?;
        out.write_all(&vec![b' '; 8 + reserved]).map_err(io_error)?;
        Ok(TicketWriter {
            out,
            spill,
            spec,
            layers,
            reserved,
            sizes: Vec::with_capacity(layers),
        })
    }

    /// Writes the next layer.
    ///
    /// # Errors
    /// As [`write_ticket`]; [`ConstructionError::Ticket`] beyond the announced layers.
    pub fn layer(&mut self, layer: &PrunedLayer) -> Result<(), ConstructionError> {
        if self.sizes.len() == self.layers {
            return Err(ticket_error(format!(
                "a ticket of {} layers was given one more",
                self.layers
            )));
        }
        self.sizes.push(layer_size(layer)?);
        let [a, b, c] = layer_data(layer.parts(), 0);
        for data in [a, b, c] {
            data.write(&mut self.out).map_err(io_error)?;
        }
        for data in layer_data(layer.parts(), 1) {
            data.write(&mut self.spill).map_err(io_error)?;
        }
        Ok(())
    }

    /// Appends the spilled arrays and writes the header with `stats`; returns `out`.
    ///
    /// # Errors
    /// [`ConstructionError::Io`] if writing fails; [`ConstructionError::Ticket`] if not every
    /// layer was written.
    pub fn finish(mut self, stats: &[LayerStats]) -> Result<W, ConstructionError> {
        if self.sizes.len() != self.layers {
            return Err(ticket_error(format!(
                "a ticket of {} layers was given {}",
                self.layers,
                self.sizes.len()
            )));
        }
        self.spill.seek(io::SeekFrom::Start(0)).map_err(io_error)?;
        io::copy(&mut self.spill, &mut self.out).map_err(io_error)?;
        let text = header_text(&self.spec, stats, &self.sizes)?;
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

/// The ticket of `pruned` as bytes ([`write_ticket`] into memory).
///
/// # Errors
/// As [`write_ticket`].
pub fn ticket_bytes(
    spec: &TicketSpec,
    pruned: &PrunedNetwork,
    stats: &[LayerStats],
) -> Result<Vec<u8>, ConstructionError> {
    let mut out = Vec::new();
    write_ticket(&mut out, spec, pruned, stats)?;
    Ok(out)
}

/// Reads a ticket (module docs), checking everything; never panics on untrusted bytes.
///
/// # Errors
/// [`ConstructionError::Ticket`] naming what is wrong: not safetensors, not a ticket, an
/// unsupported version, a missing or malformed metadata field or tensor, arrays that break
/// the layer invariants, indices outside G's widths.
pub fn read_ticket(bytes: &[u8]) -> Result<Ticket, ConstructionError> {
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| ticket_error(format!("not a safetensors file: {e}")))?;
    let meta = header
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
    if version != &TICKET_VERSION.to_string() {
        return Err(ticket_error(format!(
            "format version `{version}` is not supported: expected {TICKET_VERSION}"
        )));
    }
    let mut fields = serde_json::Map::new();
    for (k, v) in meta {
        if k == "format" || k == "format_version" || k == "stats" {
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
    let tensors = SafeTensors::deserialize(bytes)
        .map_err(|e| ticket_error(format!("not a safetensors file: {e}")))?;
    let expected: usize = 6 * ell;
    if tensors.len() != expected {
        return Err(ticket_error(format!(
            "{} tensors, expected {expected} (six per layer)",
            tensors.len()
        )));
    }
    let mut layers = Vec::with_capacity(ell);
    for (t, &(n_in, n_out, activation)) in shapes.iter().enumerate() {
        let names = layer_tensors(t + 1);
        let read = |k: usize| -> Result<&[u8], ConstructionError> {
            let (name, dtype) = &names[k];
            let view = tensors
                .tensor(name)
                .map_err(|_| ticket_error(format!("tensor `{name}` is missing")))?;
            if view.dtype() != *dtype || view.shape().len() != 1 {
                return Err(ticket_error(format!(
                    "tensor `{name}` is {:?} of shape {:?}, expected {dtype:?} of one dimension",
                    view.dtype(),
                    view.shape()
                )));
            }
            Ok(view.data())
        };
        let u64s = |b: &[u8]| -> Vec<u64> {
            b.chunks_exact(8)
                .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect()
        };
        let f64s = |b: &[u8]| -> Vec<f64> { u64s(b).into_iter().map(f64::from_bits).collect() };
        let u32s = |b: &[u8]| -> Vec<u32> {
            b.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        };
        let z = u64s(read(0)?);
        let u = f64s(read(1)?);
        let v = f64s(read(2)?);
        let input = u32s(read(3)?);
        let positions = u32s(read(4)?);
        let output = u32s(read(5)?);
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
            && last >= spec.widths_g[t]
        {
            return Err(ticket_error(format!(
                "layer {}: neuron {last} is outside G's width {}",
                t + 1,
                spec.widths_g[t]
            )));
        }
        let parts = LayerParts {
            z,
            input,
            u,
            start,
            output,
            v,
        };
        layers.push(
            PrunedLayer::from_parts(n_in, n_out, activation, parts)
                .map_err(|e| ticket_error(format!("layer {}: {e}", t + 1)))?,
        );
    }
    let pruned = match spec.graph {
        Some(_) => PrunedNetwork::of_graph(layers)?,
        None => PrunedNetwork::new(layers)?,
    };
    Ok(Ticket {
        spec,
        pruned,
        stats: stats.into_iter().map(LayerStats::from).collect(),
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
/// oracle groups them, so the result equals the unsharded run's; the stats summed (widths
/// needed: the largest).
///
/// # Errors
/// [`ConstructionError::Ticket`] if the tickets are not the shards of one run (naming the
/// shard and the fields in which it differs from the first, the fingerprint's part among
/// them) or a shard is given twice; [`ConstructionError::ShardsMissing`] naming every missing
/// shard.
pub fn merge(shards: Vec<Ticket>) -> Result<Ticket, ConstructionError> {
    let Some(first) = shards.first() else {
        return Err(ticket_error("no shards to merge".to_owned()));
    };
    let Some(Shard { count, .. }) = first.spec.shard else {
        return Err(ticket_error(
            "not a shard: the ticket has no `shard`".to_owned(),
        ));
    };
    let mut seen = vec![false; count as usize];
    let base = TicketSpec {
        shard: None,
        shard_seconds: None,
        ..first.spec.clone()
    };
    for s in &shards {
        let Some(sh) = s.spec.shard else {
            return Err(ticket_error("a ticket to merge is not a shard".to_owned()));
        };
        if sh.count != count {
            return Err(ticket_error(format!(
                "shard {sh} is not of the same run as {}: {} shards, expected {count}",
                first.spec.name(),
                sh.count
            )));
        }
        let unsharded = TicketSpec {
            shard: None,
            shard_seconds: None,
            ..s.spec.clone()
        };
        if unsharded != base {
            let differences = spec_differences(&first.spec, &s.spec);
            return Err(ticket_error(format!(
                "shard {sh} is not of the same run as {}: {}",
                first.spec.name(),
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
    let mut layers = Vec::with_capacity(ell);
    let mut stats = vec![LayerStats::default(); ell];
    for (t, total) in stats.iter_mut().enumerate() {
        let mut edges = Vec::new();
        for s in &shards {
            let l = &s.pruned.layers()[t];
            for n in l.neurons() {
                for (a, v) in n.edges() {
                    edges.push(crate::layout::Edge {
                        z: n.z,
                        u: n.u,
                        v,
                        input: n.input as u32,
                        output: a as u32,
                    });
                }
            }
            let st = &s.stats[t];
            total.consulted += st.consulted;
            total.weights += st.weights;
            total.empty_slots += st.empty_slots;
            total.failed_weights += st.failed_weights;
            total.width_needed = total.width_needed.max(st.width_needed);
        }
        edges.sort_unstable_by_key(|e| (e.z, e.output));
        let l0 = &first.pruned.layers()[t];
        layers.push(PrunedLayer::from_parts(
            l0.n_in(),
            l0.n_out(),
            l0.activation(),
            crate::oracle::layer_parts(vec![edges])?,
        )?);
    }
    let pruned = match base.graph {
        Some(_) => PrunedNetwork::of_graph(layers)?,
        None => PrunedNetwork::new(layers)?,
    };
    Ok(Ticket {
        spec: base,
        pruned,
        stats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Domain, NoProgress, PruneConfig, prune};
    use faer::mat;
    use logprune_network::Network;

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
        let bytes = ticket_bytes(&spec, &p.pruned, &stats).unwrap();
        let t = read_ticket(&bytes).unwrap();
        assert_eq!(t.spec, spec);
        assert_eq!(t.pruned, p.pruned);
        assert_eq!(t.spec.large_network().unwrap(), p.large);
        // The data bytes are 20 per neuron and 16 per edge.
        let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        assert_eq!(header % 8, 0);
        assert_eq!(
            (bytes.len() - 8 - header) as u64,
            ticket_data_bytes(&p.pruned)
        );
        // The safetensors crate reads it too, with the shapes of the module docs.
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let z = st.tensor("layer1.z").unwrap();
        assert_eq!(z.dtype(), Dtype::U64);
        assert_eq!(z.shape(), &[p.pruned.layers()[0].len()]);
        // Deterministic.
        assert_eq!(bytes, ticket_bytes(&spec, &p.pruned, &stats).unwrap());
    }

    #[test]
    fn bad_tickets_are_errors() {
        let p = run();
        let spec = TicketSpec::of_run(&p.plan, &p.large, None);
        let stats = vec![LayerStats::default(); 2];
        let good = ticket_bytes(&spec, &p.pruned, &stats).unwrap();
        assert!(read_ticket(&[]).is_err());
        assert!(read_ticket(&good[..good.len() - 1]).is_err());
        // A dense pruned.safetensors is not a ticket.
        let dense = p.pruned.to_safetensors().unwrap();
        let e = read_ticket(&dense).unwrap_err().to_string();
        assert!(e.contains("format"), "{e}");
        // An index of the last neuron beyond G's width.
        let mut wide = spec.clone();
        wide.widths_g[0] = p.pruned.layers()[0].neurons().last().unwrap().z;
        let e = read_ticket(&ticket_bytes(&wide, &p.pruned, &stats).unwrap()).unwrap_err();
        assert!(e.to_string().contains("outside G's width"), "{e}");
        // Every single-byte change of the data or header is either refused or read back as a
        // different network (never a panic).
        for i in (0..good.len()).step_by(7) {
            let mut b = good.clone();
            b[i] ^= 0x5a;
            let _ = read_ticket(&b);
        }
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
