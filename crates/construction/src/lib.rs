//! The implicit large network G of "Logarithmic Pruning is All You Need" (Orseau, Hutter,
//! Rivasplata 2020, Section 5), the pruning oracle that reveals a subnetwork Ĝ within `ε` of a
//! target F, and the check and certificate of Ĝ.
//!
//! - [`LargeNetwork`]: G, a seed plus a shape; every weight recomputed on demand from the
//!   counter-based generator (ARCHITECTURE.md, invariant 6).
//! - [`Plan`]: what is decided before pruning, whatever the construction: F' (biases carried
//!   by a constant unit), which columns need `ŵ⁻`, the certified `F_max` and layer norms,
//!   `ε_w` by Lemma 1 ([`certificate::choose_epsilon_w`]) or from a weight tolerance,
//!   Theorem 3's `[α, β]`, `k'` and Corollary 10's `m`.
//! - [`layout`]: the layouts of G behind one trait — per-weight (Theorem 3 without batch
//!   sampling), recycling (Algorithm 1, Theorem 30), batch (Theorem 3), shared-input
//!   (Pensia et al. 2020) — each owning its widths and candidate sources;
//!   [`Construction::layout`] is the one dispatch.
//! - [`kernel`]: Theorem 3's class rule, written once, and the call of the solver
//!   (golden-ratio streaming, best-fit, exact) on the candidates a layout offers.
//! - [`oracle::run`]: a layout's work items in parallel, bit-identical for any thread count
//!   (ARCHITECTURE.md, invariant 10), assembled into Ĝ.
//! - [`PrunedNetwork`]: Ĝ's kept neurons in flat arrays, its virtual matrices `Ŵ⁺`, `Ŵ⁻`,
//!   its literal and virtual forward passes, and its export as a bias-free `nn.Sequential`.
//! - [`check()`]: every kept weight recomputed from G (ARCHITECTURE.md, invariant 7), the weight errors, the
//!   certificate ([`certificate`]: the per-layer recurrence, Corollary 27, Lemma 1) and the
//!   measured error, in a serializable [`Report`] built once.
//! - [`prune`]: all of the above in one call; fails unless the run achieved its accuracy.
//!
//! # Example
//! ```
//! use faer::mat;
//! use logprune_construction::{prune, Domain, NoProgress, PruneConfig};
//! use logprune_network::{Activation, Network};
//!
//! // A 2-2-1 ReLU target on [-1, 1]².
//! let f = Network::from_weights(
//!     vec![mat![[0.5, -0.25], [0.125, 0.75]], mat![[1.0, -0.5]]],
//!     &[Activation::Relu, Activation::Identity],
//! )?;
//! let domain = Domain::cube(2, -1.0, 1.0)?;
//! let result = prune(&f, &domain, &PruneConfig::new(0.05), &NoProgress)?;
//! let r = &result.report;
//! assert!(r.certified_bound <= 0.05 && r.empirical_max_error <= r.certified_bound);
//! // Ĝ approximates F on the domain.
//! let x = [0.3, -0.8];
//! let (fx, gx) = (f.forward(&x)?, result.pruned.forward(&x)?);
//! assert!((fx[0] - gx[0]).abs() <= 0.05);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]
// Parameters are validated as `if !(x > 0.0)` so that NaN is refused too.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

pub mod certificate;
pub mod check;
mod config;
mod distribution;
mod error;
pub mod fingerprint;
pub mod graph;
pub mod kernel;
pub mod large;
pub mod layout;
pub mod memory;
pub mod oracle;
mod plan;
mod pruned;
pub mod source;
pub mod ticket;

use std::borrow::Cow;
use std::time::Instant;

use logprune_network::{NamedTensor, Network, write_tensors};

pub use check::{CheckInput, LayerReport, Report, RuleReport, Timings, check};
pub use config::{
    Accuracy, Construction, Domain, DomainKind, ParseNameError, PruneConfig, SolverKind,
    ToleranceRule,
};
pub use distribution::{GDistribution, Law, LawSpec};
pub use error::ConstructionError;
pub use fingerprint::{Fingerprint, FingerprintPart, Sha256Digest};
pub use graph::{
    GraphPlan, GraphPruning, GraphReport, GraphSpec, forward_graph_ticket, graph_of_spec,
    prune_graph, prune_graph_shard, verify_graph, verify_graph_ticket,
};
pub use kernel::Half;
pub use large::{Generator, LargeNetwork, Side};
pub use plan::{Plan, PlanCore};
pub use pruned::{DenseTensor, KeptNeuron, LayerParts, NeuronRef, PrunedLayer, PrunedNetwork};
pub use ticket::{
    Shard, ShardReaders, ShardTimings, Ticket, TicketForm, TicketReader, TicketSpec, read_ticket,
    write_ticket,
};

/// The most bytes [`PrunedNetwork::to_safetensors`] writes (the dense Ĝ allocates kept ×
/// width): 2 GiB.
pub const DENSE_PRUNED_LIMIT: f64 = 2.0 * (1u64 << 30) as f64;

/// Progress of a long computation, e.g. to draw a progress bar. Called from several threads.
///
/// A run has stages (`"prune"`: the oracle, counted in target weights; `"check"`: the
/// measurement, counted in inputs); each [`Progress::start`] gives the new stage's total, and
/// [`Progress::advance`] adds work done to it. Both default to doing nothing.
pub trait Progress: Sync {
    /// A new stage begins with `total` units of work.
    fn start(&self, stage: &str, total: u64) {
        let _ = (stage, total);
    }
    /// `n` more units of the current stage are done.
    fn advance(&self, n: u64) {
        let _ = n;
    }
}

/// A [`Progress`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// The result of [`prune`].
#[derive(Clone, Debug, PartialEq)]
pub struct Pruning {
    /// The decisions made before pruning.
    pub plan: Plan,
    /// G.
    pub large: LargeNetwork,
    /// Ĝ.
    pub pruned: PrunedNetwork,
    /// The oracle's per-layer counts.
    pub stats: Vec<oracle::LayerStats>,
    /// The check, certificate and measurement.
    pub report: Report,
}

impl Pruning {
    /// The spec of this run's ticket ([`ticket`]).
    pub fn ticket_spec(&self) -> TicketSpec {
        TicketSpec::of_run(&self.plan, &self.large, None)
    }

    /// The run of `run` with the layers its sink kept.
    fn of(run: Run, layers: Vec<PrunedLayer>) -> Result<Self, ConstructionError> {
        Ok(Pruning {
            plan: run.plan,
            large: run.large,
            pruned: PrunedNetwork::new(layers)?,
            stats: run.stats,
            report: run.report,
        })
    }
}

/// The result of [`prune_into`]: a [`Pruning`] without Ĝ, whose layers went to the sink.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// The decisions made before pruning.
    pub plan: Plan,
    /// G.
    pub large: LargeNetwork,
    /// The oracle's per-layer counts.
    pub stats: Vec<oracle::LayerStats>,
    /// The check, certificate and measurement.
    pub report: Report,
}

/// Where a run puts Ĝ: each layer in order, once pruned and checked against G. A sink that
/// does not hold the layers (a ticket file, [`ticket::TicketWriter`]) makes the run hold one
/// layer of Ĝ at a time (ARCHITECTURE.md, cost model); `Vec<PrunedLayer>` keeps them all.
pub trait LayerSink {
    /// Whether the sink keeps every layer in memory (the memory estimate counts all of Ĝ
    /// then, else its largest layer).
    fn holds_layers(&self) -> bool {
        false
    }
    /// Called once with the run's plan and G, before the first layer.
    ///
    /// # Errors
    /// The sink's own, e.g. a file that cannot be created.
    fn begin(&mut self, plan: &Plan, large: &LargeNetwork) -> Result<(), ConstructionError> {
        let _ = (plan, large);
        Ok(())
    }
    /// Layer `t` (0-based: the paper's layer `t + 1`) of Ĝ.
    ///
    /// # Errors
    /// The sink's own, e.g. a failed write.
    fn layer(&mut self, t: usize, layer: PrunedLayer) -> Result<(), ConstructionError>;
    /// The form of the ticket the sink writes, if it writes one: the run's report records it
    /// ([`Report::ticket_form`]). Default: none.
    fn ticket_form(&self) -> Option<TicketForm> {
        None
    }
}

impl LayerSink for Vec<PrunedLayer> {
    fn holds_layers(&self) -> bool {
        true
    }
    fn layer(&mut self, _t: usize, layer: PrunedLayer) -> Result<(), ConstructionError> {
        self.push(layer);
        Ok(())
    }
}

/// The plan, the layout and G of a run, with the memory check of
/// [`memory::estimate`] against `config.max_memory` (all of Ĝ if `whole` or if the oracle
/// runs the layers in parallel, else its largest layer).
fn set_up(
    target: &Network,
    domain: &Domain,
    config: &PruneConfig,
    whole: bool,
) -> Result<(Plan, Box<dyn layout::Layout>, LargeNetwork, f64), ConstructionError> {
    let start = Instant::now();
    let plan = Plan::new(target, domain, config)?;
    let plan_seconds = start.elapsed().as_secs_f64();
    let layout = config.construction.layout(&plan)?;
    let large = plan.large_network(&*layout)?;
    let whole = whole || !oracle::one_layer_at_a_time(&*layout, &large);
    if let Some(limit) = config.max_memory
        && memory::estimate(&plan, &large, whole).check(limit).is_err()
    {
        memory::sampled(&plan, &plan.oracle_spec(), &*layout, &large, whole)?.check(limit)?;
    }
    Ok((plan, layout, large, plan_seconds))
}

/// Prunes G to a Ĝ within the configured accuracy of `target` on `domain`: [`Plan::new`],
/// the construction's layout ([`Construction::layout`]), G ([`Plan::large_network`]), the
/// memory estimate ([`memory::estimate`], against [`PruneConfig::max_memory`]), the oracle
/// ([`oracle::run`]), then [`check()`], each timed.
///
/// `target` is the user's network (biases allowed: Ĝ then approximates the bias-free F' and
/// takes `(x, 1)`; see `Network::with_bias_unit`). Returns the plan, G, Ĝ and the report.
///
/// # Errors
/// Any error of the steps above, notably [`ConstructionError::MemoryBudget`] before pruning,
/// [`ConstructionError::Undecomposable`] when G is too small, and
/// [`ConstructionError::NotWithinEps`] (or [`ConstructionError::NotWithinTolerance`]) when
/// the run did not achieve its accuracy.
pub fn prune(
    target: &Network,
    domain: &Domain,
    config: &PruneConfig,
    progress: &dyn Progress,
) -> Result<Pruning, ConstructionError> {
    prune_with(target, domain, config, progress, &|_, _| Ok(()))
}

/// [`prune`] with a check of the plan and G before the oracle runs: `preflight` may refuse
/// the run (e.g. because an output asked for would be too large) before any pruning work.
///
/// # Errors
/// As [`prune`], and `preflight`'s error.
pub fn prune_with(
    target: &Network,
    domain: &Domain,
    config: &PruneConfig,
    progress: &dyn Progress,
    preflight: &dyn Fn(&Plan, &LargeNetwork) -> Result<(), ConstructionError>,
) -> Result<Pruning, ConstructionError> {
    let mut layers = Vec::new();
    let run = prune_inner(
        target,
        domain,
        config,
        progress,
        preflight,
        None,
        &mut layers,
    )?;
    Pruning::of(run, layers)
}

/// [`prune`] with Ĝ handed to `sink` layer by layer instead of kept: each layer is pruned,
/// checked against G (its weights re-derived, its virtual matrices and the literal pass
/// advanced, [`check()`]) and handed over before the next one is pruned, so with a sink that
/// writes it out (a ticket file) the run holds one layer of Ĝ at a time. With `search_width`
/// the width is first searched as by [`search_width`]. The report is the one [`prune`] gives
/// for the same configuration.
///
/// # Errors
/// As [`prune`] (and [`search_width`]), and the sink's own. On an error the sink may have
/// received some layers: it is up to it to discard them (the command line writes to a
/// temporary file).
pub fn prune_into(
    target: &Network,
    domain: &Domain,
    config: &PruneConfig,
    progress: &dyn Progress,
    search_width: bool,
    sink: &mut dyn LayerSink,
) -> Result<Run, ConstructionError> {
    if search_width {
        let (config, search) = search(target, domain, config, progress)?;
        prune_inner(
            target,
            domain,
            &config,
            progress,
            &|_, _| Ok(()),
            search,
            sink,
        )
    } else {
        prune_inner(target, domain, config, progress, &|_, _| Ok(()), None, sink)
    }
}

/// [`prune_into`], after `preflight`, recording a width search in the report.
fn prune_inner(
    target: &Network,
    domain: &Domain,
    config: &PruneConfig,
    progress: &dyn Progress,
    preflight: &dyn Fn(&Plan, &LargeNetwork) -> Result<(), ConstructionError>,
    width_search: Option<WidthSearch>,
    sink: &mut dyn LayerSink,
) -> Result<Run, ConstructionError> {
    let (plan, layout, large, plan_seconds) = set_up(target, domain, config, sink.holds_layers())?;
    preflight(&plan, &large)?;
    sink.begin(&plan, &large)?;
    let mut checker = check::Checker::new(target, domain, &plan, &large, &*layout)?;
    let oracle = oracle::run_items(
        &*layout,
        &large,
        &plan.oracle_spec(),
        progress,
        &|_, _| true,
        &mut |t, layer| {
            checker.layer(t, &layer)?;
            sink.layer(t, layer)
        },
    )?;
    let other_rule = match (config.compare_rules, config.accuracy) {
        (true, Accuracy::Network(_)) => {
            let rule = match config.tolerance_rule {
                ToleranceRule::Lemma1 => ToleranceRule::Recurrence,
                ToleranceRule::Recurrence => ToleranceRule::Lemma1,
            };
            let other = PruneConfig {
                tolerance_rule: rule,
                compare_rules: false,
                ..*config
            };
            let (p2, l2, g2, _) = set_up(target, domain, &other, false)?;
            let mut kept = Vec::with_capacity(g2.depth());
            oracle::run_items(
                &*l2,
                &g2,
                &p2.oracle_spec(),
                &NoProgress,
                &|_, _| true,
                &mut |_, layer| {
                    kept.push(layer.len() as u64);
                    Ok(())
                },
            )?;
            Some((rule, kept))
        }
        _ => None,
    };
    let report = checker.finish(
        &check::Finish {
            layout: &*layout,
            stats: &oracle.layers,
            seconds: (plan_seconds, oracle.seconds),
            other_rule: other_rule.as_ref(),
            width_search,
        },
        progress,
    )?;
    report.verify()?;
    let report = Report {
        ticket_form: sink.ticket_form(),
        ..report
    };
    Ok(Run {
        plan,
        large,
        stats: oracle.layers,
        report,
    })
}

/// What [`search_width`] found: the layout's width parameter (`neurons-per-weight` or
/// `neurons-per-input`), the width it started from, the smallest width found, and every
/// probe `(width, decomposed)` in order.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WidthSearch {
    /// `neurons-per-weight` (per-weight block, recycling window, batch pool per target
    /// weight) or `neurons-per-input` (shared-input `r`).
    pub parameter: &'static str,
    /// The width the search started from: the configured one, or the theorem's.
    pub start: u64,
    /// The smallest width found at which every target weight decomposes.
    pub found: u64,
    /// The probes, in order.
    pub probes: Vec<(u64, bool)>,
}

/// The smallest G for the given seed: bisects the layout's width parameter (the per-weight
/// block `m`, the recycling window `m`, the batch pool per target weight, the shared-input
/// `r`) down to the smallest width at which every target weight decomposes, then runs
/// [`prune`] there (so the certificate and the measurement still decide success) and
/// returns that run with the search in its report.
///
/// It starts from the configured width (times the scale) or the theorem's; if that fails, it
/// doubles it (at most 20 times). Each probe runs the oracle only. Success need not be
/// monotone in the width (the blocks and windows are laid out from it), so the result is the
/// smallest width of the bisection's bracket whose lower end failed: a width at which a
/// certified Ĝ exists, and one below it at which G did not decompose.
///
/// # Errors
/// [`ConstructionError::Undecomposable`] if even the largest width tried fails; the errors
/// of [`prune`].
pub fn search_width(
    target: &Network,
    domain: &Domain,
    config: &PruneConfig,
    progress: &dyn Progress,
) -> Result<Pruning, ConstructionError> {
    let mut layers = Vec::new();
    let run = prune_into(target, domain, config, progress, true, &mut layers)?;
    Pruning::of(run, layers)
}

/// The width search of [`search_width`]: the configuration at the width found, and the
/// search (`None` when even the largest width tried failed: the configuration is then at
/// that width, so the run reports its undecomposable weights).
fn search(
    target: &Network,
    domain: &Domain,
    config: &PruneConfig,
    progress: &dyn Progress,
) -> Result<(PruneConfig, Option<WidthSearch>), ConstructionError> {
    const DOUBLINGS: u32 = 20;
    let found = smallest_width(target, domain, config, DOUBLINGS, progress)?;
    let k = match &found {
        Some(s) => s.found,
        None => start_width(target, domain, config)?.saturating_mul(1 << DOUBLINGS),
    };
    Ok((config.at_width(k), found))
}

/// The width [`smallest_width`] starts from: the layout's width parameter for `config` (the
/// configured width times the scale, or the theorem's), at least 1.
///
/// # Errors
/// As [`Plan::new`] and the layout's.
pub fn start_width(
    target: &Network,
    domain: &Domain,
    config: &PruneConfig,
) -> Result<u64, ConstructionError> {
    let (_, layout, _, _) = set_up(target, domain, config, false)?;
    Ok(layout.neurons_per_weight().max(1))
}

/// The bisection of [`search_width`] without the run at the end: the smallest width of the
/// layout's parameter at which every target weight decomposes for `config`'s seed (each probe
/// runs the oracle only), starting from [`start_width`] and doubling it at most
/// `max_doublings` times. `None` when even `start_width · 2^max_doublings` failed.
///
/// # Errors
/// The errors of the oracle other than an undecomposable weight (e.g.
/// [`ConstructionError::TooManyCandidates`] for the exact solver on a wide G).
pub fn smallest_width(
    target: &Network,
    domain: &Domain,
    config: &PruneConfig,
    max_doublings: u32,
    progress: &dyn Progress,
) -> Result<Option<WidthSearch>, ConstructionError> {
    let parameter = config.construction.width_parameter();
    let start = start_width(target, domain, config)?;
    let mut probes = Vec::new();
    let mut probe = |k: u64| -> Result<bool, ConstructionError> {
        let (plan, layout, large, _) = set_up(target, domain, &config.at_width(k), false)?;
        let ok = match oracle::run_items(
            &*layout,
            &large,
            &plan.oracle_spec(),
            &NoProgress,
            &|_, _| true,
            &mut |_, _| Ok(()),
        ) {
            Ok(_) => true,
            Err(ConstructionError::Undecomposable { .. }) => false,
            Err(e) => return Err(e),
        };
        probes.push((k, ok));
        progress.advance(1);
        Ok(ok)
    };
    progress.start("search", 1 + 2 * u64::from(64 - start.leading_zeros()));
    let mut hi = start;
    let mut doublings = 0;
    while !probe(hi)? {
        if doublings >= max_doublings || hi > u64::MAX / 2 {
            return Ok(None);
        }
        doublings += 1;
        hi *= 2;
    }
    let mut lo = 0u64;
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if probe(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Some(WidthSearch {
        parameter,
        start,
        found: hi,
        probes,
    }))
}

/// Prunes one shard of the run [`prune`] would do: the same plan and G, the work items of
/// `shard` only ([`Shard::owns`] their global index, layer after layer), no check. Returns the
/// shard's ticket; [`ticket::merge`] of all the shards is the whole run's ticket, byte for
/// byte.
///
/// # Errors
/// As [`prune`] up to the oracle.
pub fn prune_shard(
    target: &Network,
    domain: &Domain,
    config: &PruneConfig,
    shard: Shard,
    progress: &dyn Progress,
) -> Result<Ticket, ConstructionError> {
    let (plan, layout, large, plan_seconds) = set_up(target, domain, config, true)?;
    let (layers, out) = oracle::run_shard(&*layout, &large, &plan.oracle_spec(), shard, progress)?;
    Ok(Ticket {
        spec: TicketSpec {
            shard_seconds: Some(ticket::ShardSeconds {
                plan: plan_seconds,
                prune: out.seconds,
            }),
            ..TicketSpec::of_run(&plan, &large, Some(shard))
        },
        pruned: PrunedNetwork::new(layers)?,
        stats: out.layers,
        form: ticket::TicketForm::default(),
    })
}

/// What one run (or one shard of it) needs of a machine: the memory the run's check against
/// its budget accepts ([`memory::estimate`], or [`memory::sampled`] when the bound exceeds
/// [`PruneConfig::max_memory`], as the run itself decides) and the threads it runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resources {
    /// The estimate's bytes.
    pub memory: u64,
    /// The threads the oracle and the check run on (rayon's pool: `RAYON_NUM_THREADS` or
    /// the CPUs this process may use).
    pub threads: usize,
}

/// The [`Resources`] of the run [`prune_shard`] (with `shard`) or [`prune_into`] (with a
/// sink that does not hold the layers, `shard = None`) would do, without pruning: the plan,
/// the layout, G and the memory estimate only.
///
/// # Errors
/// As [`Plan::new`], the layout's, and [`memory::sampled`]'s; not
/// [`ConstructionError::MemoryBudget`] (the estimate is what is asked for).
pub fn resources(
    target: &Network,
    domain: &Domain,
    config: &PruneConfig,
    shard: Option<Shard>,
) -> Result<Resources, ConstructionError> {
    let unlimited = PruneConfig {
        max_memory: None,
        ..*config
    };
    let (plan, layout, large, _) = set_up(target, domain, &unlimited, shard.is_some())?;
    let whole = shard.is_some() || !oracle::one_layer_at_a_time(&*layout, &large);
    let mut estimate = memory::estimate(&plan, &large, whole);
    if let Some(limit) = config.max_memory
        && estimate.check(limit).is_err()
    {
        estimate = memory::sampled(&plan, &plan.oracle_spec(), &*layout, &large, whole)?;
    }
    Ok(Resources {
        memory: estimate.total,
        threads: rayon::current_num_threads(),
    })
}

/// Checks a whole ticket against its target and domain: plans the run again from the
/// ticket's spec, requires the same G (generator, seed, laws, widths), re-derives every kept
/// weight from it, and recomputes the certificate and the measurement ([`check()`]).
///
/// First of all, a ticket's fingerprint ([`fingerprint`]) must be the one of `target`,
/// `domain` and its own accuracy settings (a ticket written before fingerprints has none and
/// skips this step; [`TicketSpec::check_fingerprint`]).
///
/// Returns the recomputed report (its timings are the check's).
///
/// # Errors
/// [`ConstructionError::FingerprintMismatch`] before anything is recomputed, naming the part
/// that differs; [`ConstructionError::Ticket`] for a shard or a ticket whose G is not the one
/// its spec and the target give; [`ConstructionError::WeightMismatch`] or
/// [`ConstructionError::NotAnEdge`] for a kept weight that is not G's; the errors of
/// [`Plan::new`] and [`check()`].
pub fn verify(
    ticket: &Ticket,
    target: &Network,
    domain: &Domain,
    progress: &dyn Progress,
) -> Result<Report, ConstructionError> {
    verify_with(ticket, target, domain, 0.0, progress)
}

/// [`verify`] of a ticket merged from shards ([`ticket::merge`]), whose report keeps the
/// shards' pruning seconds, summed, as its `prune` time (the plan and check times are the
/// verification's own).
///
/// # Errors
/// As [`verify`].
pub fn verify_merged(
    ticket: &Ticket,
    shards: &ShardTimings,
    target: &Network,
    domain: &Domain,
    progress: &dyn Progress,
) -> Result<Report, ConstructionError> {
    verify_with(ticket, target, domain, shards.prune_total, progress)
}

/// [`verify`] with the oracle's seconds to report.
fn verify_with(
    ticket: &Ticket,
    target: &Network,
    domain: &Domain,
    prune_seconds: f64,
    progress: &dyn Progress,
) -> Result<Report, ConstructionError> {
    let layers = ticket.pruned.layers();
    verify_layers(
        &Source {
            spec: &ticket.spec,
            stats: &ticket.stats,
            form: Some(ticket.form),
            depth: layers.len(),
            budget: None,
        },
        target,
        domain,
        prune_seconds,
        progress,
        &mut |t| Ok(Cow::Borrowed(&layers[t])),
        None,
    )
}

/// What [`verify_layers`] checks, but for the layers themselves.
struct Source<'s> {
    spec: &'s TicketSpec,
    stats: &'s [oracle::LayerStats],
    /// The form the report records, if any.
    form: Option<TicketForm>,
    /// The number of layers.
    depth: usize,
    /// For a streamed verify or merge: the memory budget, the layers' `(neurons, edges)`,
    /// and whether it merges ([`memory::streamed`]).
    budget: Option<Budget<'s>>,
}

/// A streamed verify's or merge's memory budget, its layers' `(neurons, edges)` and whether
/// it merges.
type Budget<'s> = (u64, &'s [(u64, u64)], bool);

/// What a streamed verify or merge refuses when its estimate exceeds the budget.
const STREAMED_WHAT: [&str; 2] = [
    "verifying the ticket (its largest layer and the check)",
    "merging the shards (their largest layer, the merged layer and the check)",
];

/// [`verify`] on layers handed over by `layer` one at a time (and, if given, to `sink` once
/// checked): the fingerprint, the plan and G, the memory estimate if the source has a
/// budget, then each layer checked ([`check::Checker`]) and dropped.
#[allow(clippy::too_many_arguments)]
fn verify_layers<'a>(
    source: &Source<'_>,
    target: &Network,
    domain: &Domain,
    prune_seconds: f64,
    progress: &dyn Progress,
    layer: &mut dyn FnMut(usize) -> Result<Cow<'a, PrunedLayer>, ConstructionError>,
    mut sink: Option<&mut dyn LayerSink>,
) -> Result<Report, ConstructionError> {
    let spec = source.spec;
    spec.check_fingerprint(&Fingerprint::new(target, domain, &spec.config(None))?)?;
    if let Some(s) = spec.shard {
        return Err(ConstructionError::Ticket {
            message: format!("shard {s} is part of a run: merge the shards first"),
        });
    }
    let config = spec.config(None);
    let (plan, layout, large, plan_seconds) = set_up(target, domain, &config, true)?;
    let described = spec.large_network()?;
    if described != large
        || spec.target_widths != plan.network().architecture().widths()
        || spec.bias_unit != plan.has_bias_unit()
    {
        return Err(ConstructionError::Ticket {
            message: format!(
                "the ticket's G ({} with widths {:?}) is not the one its spec gives for this target and domain ({} with widths {:?}): another target, domain or version?",
                described.generator(),
                described.intermediate_widths(),
                large.generator(),
                large.intermediate_widths(),
            ),
        });
    }
    if source.depth != large.depth() {
        return Err(ConstructionError::WidthCount {
            what: "layers of the pruned network",
            expected: large.depth(),
            found: source.depth,
        });
    }
    if let Some((limit, sizes, merge)) = source.budget {
        memory::streamed(&plan, &large, sizes, merge)
            .check_for(limit, STREAMED_WHAT[usize::from(merge)])?;
    }
    let mut checker = check::Checker::new(target, domain, &plan, &large, &*layout)?;
    for t in 0..source.depth {
        let l = layer(t)?;
        checker.layer(t, &l)?;
        if let Some(sink) = sink.as_deref_mut() {
            sink.layer(t, l.into_owned())?;
        }
    }
    let report = checker.finish(
        &check::Finish {
            layout: &*layout,
            stats: source.stats,
            seconds: (plan_seconds, prune_seconds),
            other_rule: None,
            width_search: None,
        },
        progress,
    )?;
    Ok(Report {
        ticket_form: source.form,
        ..report
    })
}

/// [`verify`] of a ticket file read one layer at a time ([`ticket::TicketReader`]): each
/// layer is read (a compact ticket's weights re-derived from G), checked as [`verify`] checks
/// it and dropped, so the verification holds one layer of Ĝ and the check's state (its
/// virtual matrices), whatever the ticket's size. The report is [`verify`]'s of the whole
/// ticket.
///
/// With `max_memory`, the estimate of that peak ([`memory::streamed`], from the layers'
/// sizes in the header) is checked against it before any layer is read.
///
/// # Errors
/// As [`verify`]; the ticket's reading errors (naming the layer and the tensor);
/// [`ConstructionError::MemoryBudget`] above `max_memory`.
pub fn verify_reader<R: std::io::Read + std::io::Seek>(
    ticket: &mut ticket::TicketReader<R>,
    target: &Network,
    domain: &Domain,
    max_memory: Option<u64>,
    progress: &dyn Progress,
) -> Result<Report, ConstructionError> {
    let spec = ticket.spec().clone();
    let stats = ticket.stats().to_vec();
    let sizes = ticket.layer_sizes();
    verify_layers(
        &Source {
            spec: &spec,
            stats: &stats,
            form: Some(ticket.form()),
            depth: ticket.depth(),
            budget: max_memory.map(|m| (m, sizes.as_slice(), false)),
        },
        target,
        domain,
        0.0,
        progress,
        &mut |t| ticket.layer(t).map(Cow::Owned),
        None,
    )
}

/// [`ticket::merge`] and [`verify_merged`] a layer at a time: for each layer, the shards'
/// layers are read and joined ([`ticket::ShardReaders::layer`]), checked as [`verify`]
/// checks a layer, and handed to `sink` (e.g. a [`ticket::TicketWriter`], whose bytes are
/// then [`ticket::merge`]'s ticket written whole). Returns the report [`verify_merged`]
/// gives for the merged ticket (with the shards' summed pruning seconds, if they record
/// them), its `ticket_form` the sink's.
///
/// With `max_memory`, the estimate of the peak ([`memory::streamed`]) is checked against it
/// before any layer is read.
///
/// # Errors
/// As [`verify`] and [`ticket::merge`]; the sink's own;
/// [`ConstructionError::MemoryBudget`] above `max_memory`.
pub fn merge_into<R: std::io::Read + std::io::Seek>(
    shards: &mut ticket::ShardReaders<R>,
    target: &Network,
    domain: &Domain,
    max_memory: Option<u64>,
    progress: &dyn Progress,
    sink: &mut dyn LayerSink,
) -> Result<Report, ConstructionError> {
    let spec = shards.spec().clone();
    let stats = shards.stats().to_vec();
    let sizes = shards.layer_sizes();
    let prune_seconds = shards.timings().map_or(0.0, |t| t.prune_total);
    verify_layers(
        &Source {
            spec: &spec,
            stats: &stats,
            form: sink.ticket_form(),
            depth: shards.depth(),
            budget: max_memory.map(|m| (m, sizes.as_slice(), true)),
        },
        target,
        domain,
        prune_seconds,
        progress,
        &mut |t| shards.layer(t).map(Cow::Owned),
        Some(sink),
    )
}

/// The memory estimate ([`memory::streamed`]) of a streamed verify ([`verify_reader`]) or,
/// if `merge`, merge ([`merge_into`]) of a ticket with `spec` whose layers keep `sizes`
/// (`(neurons, edges)`, summed over the shards for a merge), and the threads it runs on;
/// plans the run again but reads no layer.
///
/// # Errors
/// As [`Plan::new`], the layout's and G's.
pub fn streamed_resources(
    spec: &TicketSpec,
    sizes: &[(u64, u64)],
    merge: bool,
    target: &Network,
    domain: &Domain,
) -> Result<Resources, ConstructionError> {
    let (plan, _, large, _) = set_up(target, domain, &spec.config(None), true)?;
    Ok(Resources {
        memory: memory::streamed(&plan, &large, sizes, merge).total,
        threads: rayon::current_num_threads(),
    })
}

impl PrunedNetwork {
    /// Ĝ as safetensors bytes: the tensors of [`PrunedNetwork::dense_tensors`] (F64,
    /// row-major, keys `0.weight` ... `{4ℓ-2}.weight`), loadable into
    /// `nn.Sequential(Linear(n_0, kept_1, bias=False), ReLU(), Linear(kept_1, n_1, bias=False),
    /// σ_1, ...)`. A pure function of Ĝ (byte-identical for equal networks). For a small Ĝ
    /// only: it allocates kept × width.
    ///
    /// # Errors
    /// [`ConstructionError::DenseTooLarge`] above [`DENSE_PRUNED_LIMIT`] bytes;
    /// [`ConstructionError::Safetensors`] (not expected for a valid Ĝ).
    pub fn to_safetensors(&self) -> Result<Vec<u8>, ConstructionError> {
        let tensors = self
            .dense_tensors(DENSE_PRUNED_LIMIT)?
            .into_iter()
            .map(|(name, rows, cols, data)| NamedTensor::f64(name, vec![rows, cols], data))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(write_tensors(&tensors)?)
    }
}

/// G dense and Ĝ's masks, as two safetensors files with the keys of
/// [`PrunedNetwork::to_safetensors`]: `large` holds `U_i` (`M_i × n_{i-1}`) and `V_i`
/// (`n_i × M_i`) in F64; `masks` the same shapes in U8, 1 exactly on Ĝ's kept edges. So
/// `large ⊙ masks`, with its all-zero intermediate neurons dropped, is exactly Ĝ's tensors.
///
/// Returns `(large, masks)` bytes.
///
/// # Errors
/// [`ConstructionError::TooLarge`] if G has more than [`large::DENSE_LIMIT`] weights; an
/// error if Ĝ does not have G's layers.
///
/// # Example
/// ```
/// use faer::mat;
/// use logprune_construction::{export_large, prune, Domain, NoProgress, PruneConfig};
/// use logprune_network::{read_tensors, Activation, Network};
///
/// let f = Network::from_weights(vec![mat![[0.5, -0.25]]], &[Activation::Identity])?;
/// let p = prune(&f, &Domain::cube(2, -1.0, 1.0)?, &PruneConfig::new(0.1), &NoProgress)?;
/// let (large, masks) = export_large(&p.large, &p.pruned)?;
/// let (large, masks) = (read_tensors(&large)?, read_tensors(&masks)?);
/// let m = p.large.intermediate_widths()[0] as usize;
/// assert_eq!(large[0].shape, vec![m, 2]); // U_1: M_1 × n_0
/// assert_eq!(masks[1].shape, vec![1, m]); // V_1's mask: n_1 × M_1
/// let kept = masks[1].values_f64().iter().filter(|&&x| x == 1.0).count();
/// assert_eq!(kept as u64, p.report.kept_neurons_total);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn export_large(
    large: &LargeNetwork,
    pruned: &PrunedNetwork,
) -> Result<(Vec<u8>, Vec<u8>), ConstructionError> {
    large.dense_size_check()?;
    check::verify_against_generator(large, pruned)?;
    let mut weights = Vec::with_capacity(2 * large.depth());
    let mut masks = Vec::with_capacity(2 * large.depth());
    for (t, layer) in pruned.layers().iter().enumerate() {
        let (n_in, n_out) = (large.fan_in(t), large.fan_out(t));
        let m = large.intermediate_widths()[t] as usize;
        let (u, v) = large.dense_layer(t)?;
        weights.push(NamedTensor::from_mat(
            format!("{}.weight", 4 * t),
            u.as_ref(),
        ));
        weights.push(NamedTensor::from_mat(
            format!("{}.weight", 4 * t + 2),
            v.as_ref(),
        ));
        let mut mu = vec![0u8; m * n_in];
        let mut mv = vec![0u8; n_out * m];
        for n in layer.neurons() {
            let z = n.z as usize;
            mu[z * n_in + n.input] = 1;
            for (a, _) in n.edges() {
                mv[a * m + z] = 1;
            }
        }
        masks.push(NamedTensor::u8(
            format!("{}.weight", 4 * t),
            vec![m, n_in],
            mu,
        )?);
        masks.push(NamedTensor::u8(
            format!("{}.weight", 4 * t + 2),
            vec![n_out, m],
            mv,
        )?);
    }
    Ok((write_tensors(&weights)?, write_tensors(&masks)?))
}

/// Named tolerances of this crate's tests (statrs style).
#[cfg(test)]
pub(crate) mod prec {
    /// A bound rounded up with a few `next_up`s: within this relative distance of the exact
    /// value.
    pub const ROUNDED_UP: f64 = 1e-14;
    /// Literal vs virtual forward pass of Ĝ: a handful of sums of a few terms.
    pub const FORWARD: f64 = 1e-12;
    /// Value-stability tests (rand_distr style).
    pub const VALUE_STABILITY: f64 = 1e-14;

    /// Relative difference `|a − b| / max(|a|, |b|)` (0 when both are 0).
    pub fn rel(a: f64, b: f64) -> f64 {
        let m = a.abs().max(b.abs());
        if m == 0.0 { 0.0 } else { (a - b).abs() / m }
    }
}
