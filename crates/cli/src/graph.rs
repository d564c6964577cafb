//! Targets from ONNX (`--target model.onnx`): an MLP (a chain of Gemm/MatMul and
//! activations) is pruned as a safetensors MLP is; a graph with convolutions, pooling or
//! residual adds is pruned node by node ([`logprune_construction::graph`]), written as a
//! graph ticket, and verified the same way.

use std::path::Path;

use logprune_construction::{
    Domain, Fingerprint, GraphPlan, GraphReport, PruneConfig, Ticket, TicketForm, TicketSpec,
    prune_graph, prune_graph_shard, read_ticket,
    ticket::{merge, ticket_bytes},
    verify_graph_ticket,
};
use logprune_network::{Graph, Network};
use logprune_onnx::{ExportOptions, ImportOptions, export, import};

use crate::fsutil::{Contents, write_streams_atomically};
use crate::progress::Bar;
use crate::prune::{MergeArgs, PruneArgs, TargetArgs, read};

/// A target as loaded: an MLP (safetensors, or an ONNX chain) or a graph.
#[derive(Debug, Clone)]
pub enum Target {
    /// A chain of dense layers.
    Chain(Network),
    /// A graph with convolutions, pooling or residual adds.
    Graph(Graph),
}

/// Whether `path` names an ONNX file (by its extension).
pub fn is_onnx(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
}

/// The ONNX target of `a`: its graph, or the MLP it is.
///
/// # Errors
/// The file cannot be read, or the importer refuses it (its message names the node, its op
/// type and what is supported, or the byte length of an undecodable file).
pub fn load_onnx(a: &TargetArgs) -> Result<Target, String> {
    let bytes = read(&a.target, "target")?;
    let graph = import(&bytes, &ImportOptions::default())
        .map_err(|e| format!("target {}: {e}", a.target.display()))?;
    Ok(match graph.to_network() {
        Ok(Some(network)) => Target::Chain(network),
        _ => Target::Graph(graph),
    })
}

/// The flags of `logprune prune` that a graph target does not support yet, by name.
fn unsupported_flags(args: &PruneArgs) -> Option<&'static str> {
    [
        (args.search_width, "--search-width"),
        (args.dense, "--dense"),
        (args.export_large, "--export-large"),
        (args.compare_rules, "--compare-rules"),
    ]
    .into_iter()
    .find_map(|(given, flag)| given.then_some(flag))
}

/// `logprune prune` of a graph target: prune, certify, measure, and write the ticket and the
/// report (both or neither).
///
/// # Errors
/// A flag graph targets do not support yet (named), or the run's error.
pub fn run_prune_graph(
    args: &PruneArgs,
    out: &Path,
    graph: &Graph,
    domain: &Domain,
    config: &PruneConfig,
) -> Result<String, String> {
    if let Some(flag) = unsupported_flags(args) {
        return Err(format!(
            "{flag}: not supported for a graph target ({}) yet; it is for an MLP target",
            args.target.target.display()
        ));
    }
    let form = TicketForm::of_store_weights(args.store_weights);
    let bar = Bar::new(args.quiet);
    if let Some(s) = args.shard {
        let result = prune_graph_shard(graph, domain, config, s, &bar);
        bar.finish();
        let t = result.map_err(|e| e.to_string())?;
        let path = out.join(format!(
            "shard-{}-of-{}.ticket.safetensors",
            s.index, s.count
        ));
        let bytes = ticket_bytes(&t.spec, &t.pruned, &t.stats, form).map_err(|e| e.to_string())?;
        write_streams_atomically(vec![(path.clone(), Contents::Bytes(bytes))])?;
        let kept: u64 = t.pruned.kept_neurons().iter().sum();
        return Ok(format!(
            "shard {s}: kept {kept} intermediate neurons; wrote {} ({})\n",
            path.display(),
            crate::prune::form_words(form, &path)
        ));
    }
    let result = prune_graph(graph, domain, config, &bar);
    bar.finish();
    let mut p = result.map_err(|e| e.to_string())?;
    p.report.ticket_form = Some(form);
    let spec = TicketSpec::of_graph_run(&p.plan, &p.large, None);
    let ticket = ticket_bytes(&spec, &p.pruned, &p.stats, form).map_err(|e| e.to_string())?;
    let report = p.report.to_json().map_err(|e| e.to_string())?;
    let (ticket_path, report_path) = (out.join("ticket.safetensors"), out.join("report.json"));
    let mut files = vec![
        (ticket_path.clone(), Contents::Bytes(ticket)),
        (report_path.clone(), Contents::Bytes(report.into_bytes())),
    ];
    if args.onnx {
        let options = ExportOptions::default();
        // Ĝ's dense weights in f64 are twice their float32 export.
        let dense = p
            .to_graph(2.0 * options.max_bytes as f64)
            .map_err(|e| format!("--onnx: {e}"))?;
        let bytes = export(&dense, &options).map_err(|e| format!("--onnx: {e}"))?;
        files.push((out.join("pruned.onnx"), Contents::Bytes(bytes)));
    }
    let paths: Vec<std::path::PathBuf> = files.iter().map(|f| f.0.clone()).collect();
    write_streams_atomically(files)?;
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    Ok(summary(&args.target.target, &p.report, &refs))
}

/// `logprune verify` of a graph ticket: the report recomputed, to be compared with the one
/// the run wrote.
///
/// # Errors
/// The verification's error, with the ticket's path.
pub fn verify_graph(
    ticket: &Ticket,
    ticket_path: &Path,
    graph: &Graph,
    domain: &Domain,
    quiet: bool,
) -> Result<GraphReport, String> {
    let bar = Bar::new(quiet);
    let result = verify_graph_ticket(ticket, graph, domain, &bar);
    bar.finish();
    result.map_err(|e| format!("{}: {e}", ticket_path.display()))
}

/// `logprune merge` of a graph target's shards: each shard's fingerprint checked against
/// the graph and domain, the shards merged, the result verified like a whole run's, and the
/// ticket and report written (both or neither).
///
/// # Errors
/// A shard that cannot be read, of another target or run, missing shards, or the
/// verification's error.
pub fn run_merge_graph(args: &MergeArgs, graph: &Graph, domain: &Domain) -> Result<String, String> {
    let out = args
        .out
        .as_deref()
        .ok_or("--out DIR is required (unless --print-resources)")?;
    let mut shards: Vec<Ticket> = Vec::with_capacity(args.shards.len());
    let mut given: Option<Fingerprint> = None;
    for p in &args.shards {
        let t = read_ticket(&read(p, "shard")?).map_err(|e| format!("{}: {e}", p.display()))?;
        let fingerprint = match given {
            Some(f) => f,
            None => {
                let plan = GraphPlan::new(graph, domain, &t.spec.config(None))
                    .map_err(|e| format!("target {}: {e}", args.target.target.display()))?;
                *given.insert(Fingerprint::of_graph_plan(&plan))
            }
        };
        t.spec
            .check_fingerprint(&fingerprint)
            .map_err(|e| format!("{}: {e}", p.display()))?;
        shards.push(t);
    }
    let ticket = merge(shards).map_err(|e| e.to_string())?;
    let mut report = verify_graph(&ticket, out, graph, domain, args.quiet)?;
    report.verify().map_err(|e| e.to_string())?;
    let form = TicketForm::of_store_weights(args.store_weights);
    report.ticket_form = Some(form);
    let bytes = ticket_bytes(&ticket.spec, &ticket.pruned, &ticket.stats, form)
        .map_err(|e| e.to_string())?;
    let json = report.to_json().map_err(|e| e.to_string())?;
    let (ticket_path, report_path) = (out.join("ticket.safetensors"), out.join("report.json"));
    write_streams_atomically(vec![
        (ticket_path.clone(), Contents::Bytes(bytes)),
        (report_path.clone(), Contents::Bytes(json.into_bytes())),
    ])?;
    Ok(summary(
        &args.target.target,
        &report,
        &[&ticket_path, &report_path],
    ))
}

/// What a graph run prints.
fn summary(target: &Path, r: &GraphReport, paths: &[&Path]) -> String {
    let mut out = format!(
        "target {} (graph of {} nodes, {} linear, {} weights), domain {}\n",
        target.display(),
        r.nodes,
        r.stages.len(),
        r.n_weights_target,
        r.domain
    );
    out += &format!(
        "G: {} intermediate channels or neurons ({:.1} per target weight, {:.3e} weights); kept {} ({:.2} per target weight), {} edges\n",
        r.widths.iter().sum::<u64>(),
        r.g_neurons_per_target_weight,
        r.n_weights_large,
        r.kept_neurons_total,
        r.kept_neurons_per_target_weight,
        r.kept_edges_total
    );
    let rule = match r.accuracy {
        logprune_construction::Accuracy::Network(_) => "recurrence rule".to_owned(),
        logprune_construction::Accuracy::WeightTolerance(t) => format!("2T, T = {t:e}"),
    };
    out += &format!(
        "ε_w = {:.3e} ({rule}); certified sup ‖F − Ĝ‖₂ ≤ {:.4e}; measured max {:.4e} over {} inputs (literal Ĝ {:.4e} over {})\n",
        r.epsilon_w,
        r.certified_bound,
        r.empirical_max_error,
        r.inputs_checked,
        r.empirical_max_error_literal,
        r.literal_inputs_checked
    );
    for note in &r.notes {
        out += &format!("note: {note}\n");
    }
    for p in paths {
        match r.ticket_form {
            Some(form) if crate::prune::is_ticket(p) => {
                out += &format!(
                    "wrote {} ({})\n",
                    p.display(),
                    crate::prune::form_words(form, p)
                );
            }
            _ => out += &format!("wrote {}\n", p.display()),
        }
    }
    out += &format!(
        "{:.2} s (plan {:.2}, prune {:.2}, check {:.2})\n",
        r.seconds.total, r.seconds.plan, r.seconds.prune, r.seconds.check
    );
    out
}
