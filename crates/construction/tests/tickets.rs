//! Tickets end to end: written, read back, verified; shards merged byte for byte; the same
//! bytes on one and two threads; tampered tickets refused.
#![allow(clippy::unwrap_used)]

mod common;
use common::{cube, fixture, with_threads};

use logprune_construction::ticket::{TicketWriter, array_spec, merge, ticket_bytes};
use logprune_construction::{
    Construction, ConstructionError, Domain, Fingerprint, FingerprintPart, LargeNetwork, LayerSink,
    NoProgress, Plan, PruneConfig, PrunedLayer, Shard, ShardReaders, ShardTimings, SolverKind,
    TicketForm, TicketReader, TicketSpec, merge_into, prune, prune_into, prune_shard, read_ticket,
    verify, verify_merged, verify_reader,
};
use logprune_network::Network;
use std::io::Cursor;

fn configs() -> Vec<PruneConfig> {
    let mut v = Vec::new();
    for construction in Construction::ALL {
        v.push(PruneConfig {
            construction,
            ..PruneConfig::new(0.05)
        });
    }
    v.push(PruneConfig {
        construction: Construction::SharedInput,
        solver: SolverKind::BestFit,
        ..PruneConfig::new(0.05)
    });
    v
}

fn whole(f: &Network, domain: &Domain, cfg: &PruneConfig, form: TicketForm) -> Vec<u8> {
    let p = prune(f, domain, cfg, &NoProgress).unwrap();
    ticket_bytes(&p.ticket_spec(), &p.pruned, &p.stats, form).unwrap()
}

const FORMS: [TicketForm; 2] = [TicketForm::Compact, TicketForm::Weights];

#[test]
fn shards_merge_to_the_whole_ticket_byte_for_byte() {
    let (f, rows) = fixture("seq_bias");
    for domain in [cube(&f), Domain::points(rows).unwrap()] {
        for cfg in configs() {
            for form in FORMS {
                let want = whole(&f, &domain, &cfg, form);
                for n in 1..=3u32 {
                    // Through bytes, as a job array would pass them (each shard in its own
                    // form: merge reads either).
                    let files: Vec<Vec<u8>> = (1..=n)
                        .map(|k| {
                            let t = prune_shard(
                                &f,
                                &domain,
                                &cfg,
                                Shard::new(k, n).unwrap(),
                                &NoProgress,
                            )
                            .unwrap();
                            let shard_form = FORMS[k as usize % 2];
                            ticket_bytes(&t.spec, &t.pruned, &t.stats, shard_form).unwrap()
                        })
                        .collect();
                    let shards = files.iter().map(|b| read_ticket(b).unwrap()).collect();
                    let m = merge(shards).unwrap();
                    let got = ticket_bytes(&m.spec, &m.pruned, &m.stats, form).unwrap();
                    assert!(got == want, "{:?}, {n} shards, {form}", cfg.construction);
                    // Streamed: a layer of every shard at a time, checked and written as it
                    // comes; the same bytes, and verify_merged's report.
                    let mut readers = ShardReaders::new(
                        files
                            .iter()
                            .rev()
                            .map(|b| TicketReader::new(Cursor::new(b.as_slice())).unwrap())
                            .collect(),
                    )
                    .unwrap();
                    let mut sink = Merged(
                        Some(
                            TicketWriter::new(
                                Cursor::new(Vec::new()),
                                Cursor::new(Vec::new()),
                                readers.spec().clone(),
                                readers.depth(),
                                form,
                            )
                            .unwrap(),
                        ),
                        form,
                    );
                    let report =
                        merge_into(&mut readers, &f, &domain, None, &NoProgress, &mut sink)
                            .unwrap();
                    let stats = readers.stats().to_vec();
                    let streamed = sink.0.unwrap().finish(&stats).unwrap().into_inner();
                    assert!(
                        streamed == want,
                        "{:?}, {n} shards, {form}",
                        cfg.construction
                    );
                    let timings = ShardTimings::of_specs(readers.shards().iter().map(|r| r.spec()));
                    let mut whole_report = match &timings {
                        Some(t) => verify_merged(&m, t, &f, &domain, &NoProgress),
                        None => verify(&m, &f, &domain, &NoProgress),
                    }
                    .unwrap();
                    whole_report.ticket_form = Some(form);
                    whole_report.seconds = report.seconds;
                    if let Some(t) = timings {
                        assert_eq!(report.seconds.prune, t.prune_total);
                    }
                    assert_eq!(report, whole_report, "{:?}", cfg.construction);
                }
            }
        }
    }
}

/// A merged ticket written into memory as the merge hands its layers over.
struct Merged(Option<MemoryWriter>, TicketForm);

impl LayerSink for Merged {
    fn layer(&mut self, _t: usize, layer: PrunedLayer) -> Result<(), ConstructionError> {
        self.0.as_mut().unwrap().layer(&layer)
    }
    fn ticket_form(&self) -> Option<TicketForm> {
        Some(self.1)
    }
}

#[test]
fn a_streamed_verify_gives_the_whole_verifys_report_and_its_memory_check() {
    let (f, rows) = fixture("seq_bias");
    for domain in [cube(&f), Domain::points(rows).unwrap()] {
        for cfg in configs() {
            let p = prune(&f, &domain, &cfg, &NoProgress).unwrap();
            for form in FORMS {
                let bytes = ticket_bytes(&p.ticket_spec(), &p.pruned, &p.stats, form).unwrap();
                let whole =
                    verify(&read_ticket(&bytes).unwrap(), &f, &domain, &NoProgress).unwrap();
                let mut reader = TicketReader::new(Cursor::new(bytes.as_slice())).unwrap();
                let mut streamed =
                    verify_reader(&mut reader, &f, &domain, None, &NoProgress).unwrap();
                streamed.seconds = whole.seconds;
                assert_eq!(streamed, whole, "{:?}, {form}", cfg.construction);
                // The estimate: refused one byte below it, before any layer is read.
                let sizes = reader.layer_sizes();
                let need = logprune_construction::streamed_resources(
                    reader.spec(),
                    &sizes,
                    false,
                    &f,
                    &domain,
                )
                .unwrap()
                .memory;
                assert!(matches!(
                    verify_reader(&mut reader, &f, &domain, Some(need - 1), &NoProgress),
                    Err(ConstructionError::MemoryBudget { needed, .. }) if needed == need
                ));
                assert!(verify_reader(&mut reader, &f, &domain, Some(need), &NoProgress).is_ok());
            }
        }
    }
}

/// A ticket written into memory as the run hands its layers over.
type MemoryWriter = TicketWriter<Cursor<Vec<u8>>, Cursor<Vec<u8>>>;

struct Streamed(Option<MemoryWriter>, TicketForm);

impl LayerSink for Streamed {
    fn begin(&mut self, plan: &Plan, large: &LargeNetwork) -> Result<(), ConstructionError> {
        let spec = TicketSpec::of_run(plan, large, None);
        self.0 = Some(TicketWriter::new(
            Cursor::new(Vec::new()),
            Cursor::new(Vec::new()),
            spec,
            large.depth(),
            self.1,
        )?);
        Ok(())
    }
    fn layer(&mut self, _t: usize, layer: PrunedLayer) -> Result<(), ConstructionError> {
        self.0.as_mut().unwrap().layer(&layer)
    }
}

#[test]
fn a_streamed_run_writes_the_whole_runs_ticket_and_report() {
    let (f, rows) = fixture("seq_bias");
    for domain in [cube(&f), Domain::points(rows).unwrap()] {
        for cfg in configs() {
            let p = prune(&f, &domain, &cfg, &NoProgress).unwrap();
            for form in FORMS {
                let want = ticket_bytes(&p.ticket_spec(), &p.pruned, &p.stats, form).unwrap();
                let mut sink = Streamed(None, form);
                let run = prune_into(&f, &domain, &cfg, &NoProgress, false, &mut sink).unwrap();
                let got = sink.0.unwrap().finish(&run.stats).unwrap().into_inner();
                assert!(got == want, "{:?}, {form}", cfg.construction);
                // Everything but the wall-clock seconds.
                let mut streamed = run.report;
                streamed.seconds = p.report.seconds;
                assert_eq!(streamed, p.report, "{:?}", cfg.construction);
            }
        }
    }
}

#[test]
fn one_and_two_threads_write_the_same_ticket() {
    let (f, _) = fixture("seq_nobias");
    for cfg in configs() {
        for form in FORMS {
            let one = with_threads(1, || whole(&f, &cube(&f), &cfg, form));
            let two = with_threads(2, || whole(&f, &cube(&f), &cfg, form));
            assert!(one == two, "{:?}, {form}", cfg.construction);
        }
    }
}

#[test]
fn verify_passes_on_a_good_ticket_and_fails_on_a_tampered_one() {
    let (f, _) = fixture("seq_bias");
    let domain = cube(&f);
    let cfg = PruneConfig {
        construction: Construction::SharedInput,
        ..PruneConfig::new(0.05)
    };
    let p = prune(&f, &domain, &cfg, &NoProgress).unwrap();
    let ticket = read_ticket(
        &ticket_bytes(&p.ticket_spec(), &p.pruned, &p.stats, TicketForm::Weights).unwrap(),
    )
    .unwrap();
    let r = verify(&ticket, &f, &domain, &NoProgress).unwrap();
    assert_eq!(r.certified_bound, p.report.certified_bound);
    assert_eq!(r.empirical_max_error, p.report.empirical_max_error);
    assert_eq!(r.weights_verified, p.report.weights_verified);
    assert_eq!(r.products_consulted, p.report.products_consulted);

    // One weight changed by an ulp.
    let mut bad = ticket.clone();
    let mut parts = bad.pruned.layers()[1].parts().clone();
    parts.v[3] = parts.v[3].next_up();
    let rebuilt = |parts, t: &logprune_construction::Ticket| {
        let mut layers: Vec<_> = t.pruned.layers().to_vec();
        let l = &layers[1];
        layers[1] = logprune_construction::PrunedLayer::from_parts(
            l.n_in(),
            l.n_out(),
            l.activation(),
            parts,
        )
        .unwrap();
        logprune_construction::PrunedNetwork::new(layers).unwrap()
    };
    bad.pruned = rebuilt(parts, &ticket);
    let e = verify(&bad, &f, &domain, &NoProgress).unwrap_err();
    assert!(
        matches!(e, ConstructionError::WeightMismatch { layer: 2, .. }),
        "{e}"
    );
    // One index changed: the neuron's input.
    let mut bad = ticket.clone();
    let mut parts = bad.pruned.layers()[1].parts().clone();
    parts.input[0] = (parts.input[0] + 1) % ticket.pruned.layers()[1].n_in() as u32;
    bad.pruned = rebuilt(parts, &ticket);
    let e = verify(&bad, &f, &domain, &NoProgress).unwrap_err();
    assert!(
        matches!(e, ConstructionError::WeightMismatch { layer: 2, .. }),
        "{e}"
    );
    // Another target: refused by its fingerprint, before anything is recomputed.
    let (g, _) = fixture("seq_nobias");
    let e = verify(&ticket, &g, &cube(&g), &NoProgress).unwrap_err();
    assert!(
        matches!(
            e,
            ConstructionError::FingerprintMismatch {
                part: FingerprintPart::Target,
                ..
            }
        ),
        "{e}"
    );
    // A shard is refused.
    let s = prune_shard(&f, &domain, &cfg, Shard::new(1, 2).unwrap(), &NoProgress).unwrap();
    assert!(matches!(
        verify(&s, &f, &domain, &NoProgress),
        Err(ConstructionError::Ticket { .. })
    ));
}

#[test]
fn merge_refuses_shards_that_do_not_make_a_run() {
    let (f, _) = fixture("seq_nobias");
    let cfg = PruneConfig::new(0.05);
    let shard =
        |k, n| prune_shard(&f, &cube(&f), &cfg, Shard::new(k, n).unwrap(), &NoProgress).unwrap();
    assert!(merge(vec![shard(1, 2)]).is_err(), "missing shard");
    assert!(merge(vec![shard(1, 2), shard(1, 2)]).is_err(), "twice");
    assert!(
        merge(vec![shard(1, 2), shard(2, 3)]).is_err(),
        "other count"
    );
    let other = prune_shard(
        &f,
        &cube(&f),
        &PruneConfig { seed: 1, ..cfg },
        Shard::new(2, 2).unwrap(),
        &NoProgress,
    )
    .unwrap();
    assert!(merge(vec![shard(1, 2), other]).is_err(), "other seed");
    assert!(merge(vec![shard(1, 2), shard(2, 2)]).is_ok());
}

/// `f` with its first weight moved by `by`.
fn nudged(f: &Network, by: f64) -> Network {
    let mut layers = f.clone().into_layers();
    layers[0].weight[(0, 0)] += by;
    Network::new(layers).unwrap()
}

#[test]
fn the_fingerprint_ties_tickets_and_shards_to_their_target() {
    let (f, rows) = fixture("seq_bias");
    let domain = cube(&f);
    let cfg = PruneConfig::new(0.05);
    let p = prune(&f, &domain, &cfg, &NoProgress).unwrap();
    let spec = p.ticket_spec();
    assert_eq!(
        spec.fingerprint,
        Some(Fingerprint::new(&f, &domain, &cfg).unwrap())
    );
    let ticket =
        read_ticket(&ticket_bytes(&spec, &p.pruned, &p.stats, TicketForm::Compact).unwrap())
            .unwrap();
    assert_eq!(ticket.spec.fingerprint, spec.fingerprint, "read back");

    // A target one weight of which moved by 1e-7 has the same G, but another fingerprint.
    let g = nudged(&f, 1e-7);
    let e = verify(&ticket, &g, &domain, &NoProgress).unwrap_err();
    assert!(
        matches!(&e, ConstructionError::FingerprintMismatch { ticket, part: FingerprintPart::Target, .. } if ticket == "the ticket"),
        "{e}"
    );
    assert!(e.to_string().contains("weights or structure"), "{e}");
    // Another domain.
    let e = verify(
        &ticket,
        &f,
        &Domain::points(rows.clone()).unwrap(),
        &NoProgress,
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            ConstructionError::FingerprintMismatch {
                part: FingerprintPart::Domain,
                ..
            }
        ),
        "{e}"
    );
    // Accuracy settings edited in the metadata without their digest.
    let mut edited = ticket.clone();
    edited.spec.delta = 0.02;
    let e = verify(&edited, &f, &domain, &NoProgress).unwrap_err();
    assert!(
        matches!(
            e,
            ConstructionError::FingerprintMismatch {
                part: FingerprintPart::Settings,
                ..
            }
        ),
        "{e}"
    );

    // A ticket written before fingerprints still reads and verifies.
    let old_spec = TicketSpec {
        fingerprint: None,
        ..spec.clone()
    };
    let old =
        read_ticket(&ticket_bytes(&old_spec, &p.pruned, &p.stats, TicketForm::Weights).unwrap())
            .unwrap();
    assert_eq!(old.spec.fingerprint, None);
    let r = verify(&old, &f, &domain, &NoProgress).unwrap();
    assert_eq!(r.certified_bound, p.report.certified_bound);

    // Shards: each against the target, and against each other.
    let shard = |net: &Network, k| {
        prune_shard(net, &domain, &cfg, Shard::new(k, 3).unwrap(), &NoProgress).unwrap()
    };
    let given = Fingerprint::new(&f, &domain, &cfg).unwrap();
    let foreign = shard(&g, 2);
    assert!(shard(&f, 2).spec.check_fingerprint(&given).unwrap());
    let e = foreign.spec.check_fingerprint(&given).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("shard 2/3 was pruned for another target"),
        "{e}"
    );
    let e = merge(vec![shard(&f, 1), foreign, shard(&f, 3)]).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("shard 2/3 is not of the same run as shard 1/3")
            && msg.contains("weights or structure"),
        "{msg}"
    );
    // The merged ticket of the right shards is the whole run's, fingerprint included, and
    // its report keeps the shards' pruning time.
    let shards = vec![shard(&f, 1), shard(&f, 2), shard(&f, 3)];
    let timings = ShardTimings::of(&shards).unwrap();
    assert_eq!(timings.shards, 3);
    assert!(timings.prune_total > 0.0 && timings.slowest_seconds.prune <= timings.prune_total);
    let m = merge(shards).unwrap();
    assert_eq!(m.spec, spec);
    let r = verify_merged(&m, &timings, &f, &domain, &NoProgress).unwrap();
    assert_eq!(r.seconds.prune, timings.prune_total);
}

#[test]
fn merge_names_every_missing_shard_as_an_array_spec() {
    let (f, _) = fixture("seq_nobias");
    let cfg = PruneConfig::new(0.05);
    let shard =
        |k| prune_shard(&f, &cube(&f), &cfg, Shard::new(k, 8).unwrap(), &NoProgress).unwrap();
    let given: Vec<_> = [1, 2, 4, 5, 6, 8].into_iter().map(shard).collect();
    let e = merge(given).unwrap_err();
    assert_eq!(
        e,
        ConstructionError::ShardsMissing {
            count: 8,
            missing: vec![3, 7]
        }
    );
    assert!(e.to_string().contains("--array=3,7"), "{e}");
    let e = merge(vec![shard(1), shard(5), shard(6)]).unwrap_err();
    assert!(e.to_string().contains("--array=2-4,7,8"), "{e}");
    assert_eq!(array_spec(&[7, 3]), "3,7");
    assert_eq!(array_spec(&[2, 3, 4, 7]), "2-4,7");
    assert_eq!(array_spec(&[1, 2, 3, 4, 5, 6, 7, 8]), "1-8");
    assert_eq!(array_spec(&[]), "");
}

/// `bytes` with the little-endian unsigned entries of tensor `name` changed by `f`.
fn with_entries(bytes: &[u8], name: &str, f: impl FnOnce(&mut Vec<u64>)) -> Vec<u8> {
    let st = safetensors::SafeTensors::deserialize(bytes).unwrap();
    let view = st.tensor(name).unwrap();
    let size = view.dtype().bitsize() / 8;
    let start = view.data().as_ptr() as usize - bytes.as_ptr() as usize;
    let len = view.data().len();
    let mut xs: Vec<u64> = view
        .data()
        .chunks_exact(size)
        .map(|c| {
            let mut b = [0u8; 8];
            b[..size].copy_from_slice(c);
            u64::from_le_bytes(b)
        })
        .collect();
    f(&mut xs);
    let mut out = bytes.to_vec();
    for (i, x) in xs.iter().enumerate() {
        out[start + i * size..start + (i + 1) * size].copy_from_slice(&x.to_le_bytes()[..size]);
    }
    assert_eq!(xs.len() * size, len);
    out
}

#[test]
fn verify_names_the_neuron_of_a_changed_index_in_a_compact_ticket() {
    let (f, _) = fixture("seq_bias");
    let domain = cube(&f);
    for cfg in configs() {
        let p = prune(&f, &domain, &cfg, &NoProgress).unwrap();
        let good =
            ticket_bytes(&p.ticket_spec(), &p.pruned, &p.stats, TicketForm::Compact).unwrap();
        let ticket = read_ticket(&good).unwrap();
        let r = verify(&ticket, &f, &domain, &NoProgress).unwrap();
        assert_eq!(r.ticket_form, Some(TicketForm::Compact));
        assert_eq!(r.certified_bound, p.report.certified_bound);
        let what = format!("{:?}/{:?}", cfg.construction, cfg.solver);
        for t in 0..p.pruned.layers().len() {
            let i = t + 1;
            let layer = &p.pruned.layers()[t];
            let z: Vec<u64> = layer.neurons().map(|n| n.z).collect();
            // One neuron's z moved by one (its delta +1, the next one's −1 so that no other
            // neuron moves): the first neuron whose next one is at least two further on.
            if let Some(k) = (0..z.len()).find(|&k| k + 1 == z.len() || z[k + 1] - z[k] >= 2) {
                let name = format!("layer{i}.z_delta");
                let bad = with_entries(&good, &name, |d| {
                    d[k] += 1;
                    if k + 1 < d.len() {
                        d[k + 1] -= 1;
                    }
                });
                let bad = read_ticket(&bad).unwrap();
                assert_eq!(bad.pruned.layers()[t].neuron(k).z, z[k] + 1);
                let e = verify(&bad, &f, &domain, &NoProgress).unwrap_err();
                // Either the neuron breaks the class rule, or the weight it serves is off
                // tolerance and the error names the neurons serving it, this one among them.
                assert!(
                    match &e {
                        ConstructionError::MaskViolation {
                            layer,
                            position,
                            neuron,
                            ..
                        } => *layer == i && *position == k && *neuron == z[k] + 1,
                        ConstructionError::DecompositionOffTolerance {
                            layer, positions, ..
                        } => *layer == i && positions.contains(&k),
                        _ => false,
                    },
                    "{what}, layer {i}, z of neuron {k}: {e}"
                );
                assert!(e.to_string().starts_with(&format!("layer {i}: ")), "{e}");
            }
            // One neuron's input changed.
            let k = layer.len() / 2;
            let n_in = layer.n_in() as u64;
            let b = layer.neuron(k).input as u64;
            let bad = with_entries(&good, &format!("layer{i}.input"), |d| d[k] = (b + 1) % n_in);
            let bad = read_ticket(&bad).unwrap();
            let e = verify(&bad, &f, &domain, &NoProgress).unwrap_err();
            assert!(
                matches!(
                    &e,
                    ConstructionError::MaskViolation { layer, position, input, .. }
                        if *layer == i && *position == k && *input as u64 == (b + 1) % n_in
                ),
                "{what}, layer {i}, input of neuron {k}: {e}"
            );
        }
    }
}

#[test]
fn debug_recycling() {
    let (f, _) = fixture("seq_bias");
    let domain = cube(&f);
    let cfg = PruneConfig {
        construction: Construction::Recycling,
        ..PruneConfig::new(0.05)
    };
    let p = prune(&f, &domain, &cfg, &NoProgress).unwrap();
    let l = &p.pruned.layers()[2];
    for k in [43usize, 44, 58, 59, 62] {
        let n = l.neuron(k);
        eprintln!(
            "k {k} z {} b {} u {} edges {:?}",
            n.z,
            n.input,
            n.u,
            n.edges().collect::<Vec<_>>()
        );
    }
    eprintln!("n_in {}", l.n_in());
}
