//! End-to-end tests of the recycling (Algorithm 1, Theorem 30) and batch (Theorem 3)
//! constructions on the network crate's PyTorch fixtures: the same checks as the per-weight
//! construction's (tests/end_to_end.rs), plus each construction's own rule.
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_large_times_masks_is_pruned, cube, fixture, with_threads};

use std::collections::BTreeSet;

use logprune_construction::{
    Construction, ConstructionError, Domain, NoProgress, PruneConfig, Pruning, SolverKind, prune,
};
use logprune_network::Network;

const BOTH: [Construction; 2] = [Construction::Recycling, Construction::Batch];

fn config(c: Construction, eps: f64) -> PruneConfig {
    PruneConfig {
        construction: c,
        ..PruneConfig::new(eps)
    }
}

/// The checks every successful run must pass: the shared ones, and each construction's widths.
fn assert_sound(p: &Pruning, f: &Network, domain: &Domain, eps: f64, c: Construction) {
    common::assert_sound(p, f, domain, eps);
    let r = &p.report;
    assert_eq!(r.construction, c);
    assert_eq!(r.widths, p.large.intermediate_widths());
    let k = r.golden_ratio_steps;
    for (t, l) in r.layers.iter().enumerate() {
        assert!(l.width_sufficed && l.empty_slots == 0);
        let needed = l.width_needed;
        assert!(0 < needed && needed <= l.intermediate_width, "layer {t}");
        let (n_in, n_out) = (l.n_in as u64, l.n_out as u64);
        if r.solver == SolverKind::GoldenRatio {
            // At most k neurons per half, two halves per target weight.
            assert!(l.kept_neurons <= 2 * k * n_in * n_out);
        }
        match c {
            Construction::Recycling => {
                let (big, small) = (n_in.max(n_out), n_in.min(n_out));
                assert_eq!(
                    l.intermediate_width,
                    big * (r.neurons_per_weight + 2 * k * small),
                    "M_i = n_big (m + 2k n_small)"
                );
                // Theorem 30's M_i bounds it up to the rounding of m (k ≤ k', but
                // n_big ⌈8k' ln(k'/δ_w)⌉ may exceed ⌈8 n_big k' ln(k'/δ_w)⌉ by < n_big).
                assert!(l.intermediate_width <= l.intermediate_width_theorem + big);
            }
            Construction::Batch => {
                // Theorem 3's M_i, exactly.
                assert_eq!(l.intermediate_width, l.intermediate_width_theorem);
            }
            _ => unreachable!(),
        }
    }
}

#[test]
fn both_constructions_on_the_fixtures_box_and_rows() {
    for c in BOTH {
        for (name, eps) in [("seq_bias", 0.05), ("seq_nobias", 0.02)] {
            let (f, rows) = fixture(name);
            for domain in [cube(&f), Domain::points(rows).unwrap()] {
                let p = prune(&f, &domain, &config(c, eps), &NoProgress).unwrap();
                assert_sound(&p, &f, &domain, eps, c);
            }
        }
    }
}

#[test]
fn best_fit_works_for_both() {
    let (f, _) = fixture("seq_nobias");
    for c in BOTH {
        let cfg = PruneConfig {
            solver: SolverKind::BestFit,
            ..config(c, 0.05)
        };
        let p = prune(&f, &cube(&f), &cfg, &NoProgress).unwrap();
        assert_sound(&p, &f, &cube(&f), 0.05, c);
        assert_eq!(p.report.solver, SolverKind::BestFit);
    }
}

#[test]
fn large_times_masks_is_the_pruned_network() {
    let (f, _) = fixture("seq_bias");
    for c in BOTH {
        let p = prune(&f, &cube(&f), &config(c, 0.1), &NoProgress).unwrap();
        assert_large_times_masks_is_pruned(&p, c.name());
    }
}

#[test]
fn one_and_two_threads_are_byte_identical() {
    let (f, _) = fixture("seq_bias");
    for c in BOTH {
        let cfg = PruneConfig {
            seed: 7,
            ..config(c, 0.05)
        };
        let run = |n| {
            with_threads(n, || {
                let p = prune(&f, &cube(&f), &cfg, &NoProgress).unwrap();
                let mut r = p.report.clone();
                r.seconds = Default::default();
                (p.pruned.to_safetensors().unwrap(), r)
            })
        };
        let (b1, r1) = run(1);
        let (b2, r2) = run(2);
        assert_eq!(b1, b2, "{c}");
        assert_eq!(r1, r2, "{c}");
    }
}

#[test]
fn kept_weights_come_from_the_generator_and_the_right_neurons() {
    let (f, _) = fixture("seq_bias");
    for c in BOTH {
        let p = prune(&f, &cube(&f), &config(c, 0.05), &NoProgress).unwrap();
        let r = &p.report;
        for (t, layer) in p.pruned.layers().iter().enumerate() {
            let (n_in, n_out) = (layer.n_in(), layer.n_out());
            let w = p.plan.network().layers()[t].weight();
            let mut seen = BTreeSet::new();
            for n in layer.neurons() {
                // Each neuron of G serves at most one target weight (one input, one output).
                assert!(seen.insert(n.z), "{c}: neuron {} kept twice", n.z);
                assert_eq!(n.outputs.len(), 1);
                let (a, v) = n.edges().next().unwrap();
                assert_eq!(n.u, p.large.u(t, n.z, n.input));
                assert_eq!(v, p.large.v(t, a, n.z));
                // Its product has the sign of w*.
                assert_eq!(v * n.u < 0.0, w[(a, n.input)] < 0.0);
                if c == Construction::Recycling {
                    // z lies in the range of the window whose diagonal holds (a, b).
                    let big = n_in.max(n_out);
                    let range = r.widths[t] / big as u64;
                    let j = if n_out >= n_in {
                        (a + n_out - n.input % n_out) % n_out
                    } else {
                        (n.input + n_in - a) % n_in
                    };
                    assert_eq!(n.z / range, j as u64, "{c}: ({a}, {})", n.input);
                }
            }
        }
    }
}

#[test]
fn batch_uses_a_prefix_of_the_pool() {
    // First fit looks at the pool in z order: every kept neuron lies before `width_needed`,
    // which is well below Theorem 3's M_i.
    let (f, _) = fixture("seq_nobias");
    let p = prune(
        &f,
        &cube(&f),
        &config(Construction::Batch, 0.05),
        &NoProgress,
    )
    .unwrap();
    for (l, layer) in p.report.layers.iter().zip(p.pruned.layers()) {
        let needed = l.width_needed;
        assert!(needed < l.intermediate_width);
        let last = layer.neurons().last().unwrap().z;
        assert!(last < needed && needed <= l.intermediate_width);
    }
}

#[test]
fn too_small_a_width_fails_with_counts() {
    let (f, _) = fixture("seq_bias");
    for c in BOTH {
        let cfg = PruneConfig {
            width_scale: 0.02,
            ..config(c, 0.05)
        };
        match prune(&f, &cube(&f), &cfg, &NoProgress) {
            Err(ConstructionError::Undecomposable {
                construction,
                empty_slots,
                failed,
                total,
                ..
            }) => {
                assert_eq!(construction, c);
                assert_eq!(total, 64);
                assert!(
                    failed > 0 && failed < total && empty_slots >= failed,
                    "{failed}"
                );
                let msg = prune(&f, &cube(&f), &cfg, &NoProgress)
                    .unwrap_err()
                    .to_string();
                assert!(msg.starts_with(c.name()), "{msg}");
                assert!(
                    msg.contains(&format!("{failed} of 64 target weights")),
                    "{msg}"
                );
            }
            other => panic!("{c}: expected Undecomposable, got {other:?}"),
        }
    }
    // --neurons-per-weight: recycling m = K, batch pool K n_i n_{i-1}.
    for (c, k) in [(Construction::Recycling, 50u64), (Construction::Batch, 50)] {
        let cfg = PruneConfig {
            neurons_per_weight: Some(k),
            ..config(c, 0.5)
        };
        let p = Plan::new(&f, &cube(&f), &cfg).unwrap();
        let widths_g = c.layout(&p).unwrap().widths(p.fans()).unwrap();
        let w = p.network().architecture().widths().to_vec();
        for t in 0..3 {
            let (n_in, n_out) = (w[t] as u64, w[t + 1] as u64);
            let expect = match c {
                Construction::Recycling => {
                    n_in.max(n_out) * (k + 2 * p.golden_ratio_steps() * n_in.min(n_out))
                }
                _ => k * n_in * n_out,
            };
            assert_eq!(widths_g[t], expect);
        }
    }
}

use logprune_construction::Plan;
