//! Tickets end to end: written, read back, verified; shards merged byte for byte; the same
//! bytes on one and two threads; tampered tickets refused.
#![allow(clippy::unwrap_used)]

mod common;
use common::{cube, fixture, with_threads};

use logprune_construction::ticket::{TicketWriter, merge, ticket_bytes};
use logprune_construction::{
    Construction, ConstructionError, Domain, LargeNetwork, LayerSink, NoProgress, Plan,
    PruneConfig, PrunedLayer, Shard, SolverKind, TicketSpec, prune, prune_into, prune_shard,
    read_ticket, verify,
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

fn whole(f: &Network, domain: &Domain, cfg: &PruneConfig) -> Vec<u8> {
    let p = prune(f, domain, cfg, &NoProgress).unwrap();
    ticket_bytes(&p.ticket_spec(), &p.pruned, &p.stats).unwrap()
}

#[test]
fn shards_merge_to_the_whole_ticket_byte_for_byte() {
    let (f, rows) = fixture("seq_bias");
    for domain in [cube(&f), Domain::points(rows).unwrap()] {
        for cfg in configs() {
            let want = whole(&f, &domain, &cfg);
            for n in 1..=3u32 {
                let shards: Vec<_> = (1..=n)
                    .map(|k| {
                        let t =
                            prune_shard(&f, &domain, &cfg, Shard::new(k, n).unwrap(), &NoProgress)
                                .unwrap();
                        // Through bytes, as a job array would pass them.
                        read_ticket(&ticket_bytes(&t.spec, &t.pruned, &t.stats).unwrap()).unwrap()
                    })
                    .collect();
                let m = merge(shards).unwrap();
                let got = ticket_bytes(&m.spec, &m.pruned, &m.stats).unwrap();
                assert!(got == want, "{:?}, {n} shards", cfg.construction);
            }
        }
    }
}

/// A ticket written into memory as the run hands its layers over.
type MemoryWriter = TicketWriter<Cursor<Vec<u8>>, Cursor<Vec<u8>>>;

#[derive(Default)]
struct Streamed(Option<MemoryWriter>);

impl LayerSink for Streamed {
    fn begin(&mut self, plan: &Plan, large: &LargeNetwork) -> Result<(), ConstructionError> {
        let spec = TicketSpec::of_run(plan, large, None);
        self.0 = Some(TicketWriter::new(
            Cursor::new(Vec::new()),
            Cursor::new(Vec::new()),
            spec,
            large.depth(),
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
            let want = ticket_bytes(&p.ticket_spec(), &p.pruned, &p.stats).unwrap();
            let mut sink = Streamed::default();
            let run = prune_into(&f, &domain, &cfg, &NoProgress, false, &mut sink).unwrap();
            let got = sink.0.unwrap().finish(&run.stats).unwrap().into_inner();
            assert!(got == want, "{:?}", cfg.construction);
            // Everything but the wall-clock seconds.
            let mut streamed = run.report;
            streamed.seconds = p.report.seconds;
            assert_eq!(streamed, p.report, "{:?}", cfg.construction);
        }
    }
}

#[test]
fn one_and_two_threads_write_the_same_ticket() {
    let (f, _) = fixture("seq_nobias");
    for cfg in configs() {
        let one = with_threads(1, || whole(&f, &cube(&f), &cfg));
        let two = with_threads(2, || whole(&f, &cube(&f), &cfg));
        assert!(one == two, "{:?}", cfg.construction);
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
    let ticket =
        read_ticket(&ticket_bytes(&p.ticket_spec(), &p.pruned, &p.stats).unwrap()).unwrap();
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
    // Another target: its G is not the ticket's.
    let (g, _) = fixture("seq_nobias");
    let e = verify(&ticket, &g, &cube(&g), &NoProgress).unwrap_err();
    assert!(matches!(e, ConstructionError::Ticket { .. }), "{e}");
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
