//! The shared-input layout (Pensia et al. 2020) end to end, G's other weight distributions,
//! and the weight-tolerance mode.
#![allow(clippy::unwrap_used)]

mod common;
use common::{cube, fixture};

use logprune_construction::{
    Construction, ConstructionError, Domain, GDistribution, NoProgress, PruneConfig, Pruning,
    SolverKind, prune,
};
use logprune_network::{Activation, Architecture, Network, random_uniform};
use rand::SeedableRng;

fn shared(eps: f64) -> PruneConfig {
    PruneConfig {
        construction: Construction::SharedInput,
        ..PruneConfig::new(eps)
    }
}

/// The checks of a shared-input run: the shared ones, `M_i = n_{i-1} r`, neurons with
/// several outputs, and every output edge of a kept neuron going to a weight of its column.
fn assert_shared_sound(p: &Pruning, f: &Network, domain: &Domain, eps: f64) {
    common::assert_sound(p, f, domain, eps);
    let r = &p.report;
    assert_eq!(r.construction, Construction::SharedInput);
    let rr = r.neurons_per_weight;
    for (t, layer) in p.pruned.layers().iter().enumerate() {
        assert_eq!(r.widths[t], layer.n_in() as u64 * rr, "M_i = n_(i-1) r");
        for n in layer.neurons() {
            // Neuron z belongs to the block of its input.
            assert_eq!(n.z / rr, n.input as u64);
        }
    }
}

#[test]
fn shared_input_on_a_random_64_64_64_target() {
    let arch = Architecture::with_hidden(vec![64, 64, 64], Activation::Relu, Activation::Identity)
        .unwrap();
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(64);
    let f = random_uniform(&arch, 1.0 / 8.0, &mut rng).unwrap();
    let domain = cube(&f);
    let eps = 0.01;
    let p = prune(&f, &domain, &shared(eps), &NoProgress).unwrap();
    assert_shared_sound(&p, &f, &domain, eps);
    let r = &p.report;
    // The default r is the per-weight block m, and G is n_i = 64 times narrower than the
    // per-weight G at the theorem's width.
    assert_eq!(r.neurons_per_weight, r.neurons_per_weight_theorem);
    let ratio = r.per_weight_neurons_per_target_weight / r.g_neurons_per_target_weight;
    assert!((ratio - 64.0).abs() < 1e-9, "{ratio}");
    // One kept neuron serves several outputs somewhere.
    assert!(r.kept_edges_total > r.kept_neurons_total);
    assert_eq!(
        r.weights_verified,
        r.kept_neurons_total + r.kept_edges_total
    );
}

#[test]
fn shared_input_on_the_fixtures_box_and_rows_with_every_solver() {
    let (f, rows) = fixture("seq_bias");
    for domain in [cube(&f), Domain::points(rows).unwrap()] {
        for solver in [SolverKind::GoldenRatio, SolverKind::BestFit] {
            let cfg = PruneConfig {
                solver,
                ..shared(0.05)
            };
            let p = prune(&f, &domain, &cfg, &NoProgress).unwrap();
            assert_shared_sound(&p, &f, &domain, 0.05);
        }
    }
    // The exact solver with a block small enough for its 40 candidates per half (both signs
    // of product are candidates: about r/2 per half), in Pensia et al.'s setting: uniform
    // weights, every half within 0.01.
    let cfg = PruneConfig {
        construction: Construction::SharedInput,
        solver: SolverKind::Exact,
        distribution: GDistribution::Uniform { c: 1.0 },
        neurons_per_input: Some(60),
        ..PruneConfig::weight_tolerance(0.01)
    };
    let arch =
        Architecture::with_hidden(vec![8, 8, 4], Activation::Relu, Activation::Identity).unwrap();
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(8);
    let g = random_uniform(&arch, 0.5, &mut rng).unwrap();
    let p = prune(&g, &cube(&g), &cfg, &NoProgress).unwrap();
    assert!(p.report.max_weight_error() <= 0.01);
    // Too many candidates is refused, naming the half.
    let cfg = PruneConfig {
        solver: SolverKind::Exact,
        neurons_per_input: Some(400),
        ..shared(0.1)
    };
    let e = prune(&f, &cube(&f), &cfg, &NoProgress).unwrap_err();
    assert!(
        matches!(e, ConstructionError::TooManyCandidates { max: 40, .. }),
        "{e}"
    );
}

#[test]
fn shared_input_best_fit_mixes_signs() {
    // With mixed signs a half has about twice the candidates of the one-sided rule: at the same
    // narrow width (Pensia et al.'s setting, every half within 0.01), fewer target weights
    // fail than with the one-sided per-weight blocks.
    let (f, _) = fixture("seq_nobias");
    let narrow = |construction, k| PruneConfig {
        construction,
        solver: SolverKind::BestFit,
        neurons_per_weight: (construction == Construction::PerWeight).then_some(k),
        neurons_per_input: (construction == Construction::SharedInput).then_some(k),
        ..PruneConfig::weight_tolerance(0.01)
    };
    let failed = |c, k| match prune(&f, &cube(&f), &narrow(c, k), &NoProgress) {
        Ok(_) => 0,
        Err(ConstructionError::Undecomposable { failed, .. }) => failed,
        Err(e) => panic!("{e}"),
    };
    // Measured: 10 against 22 of the 42 target weights fail at 60 neurons per weight.
    let (pw, si) = (
        failed(Construction::PerWeight, 60),
        failed(Construction::SharedInput, 60),
    );
    assert!(
        0 < si && si < pw,
        "shared-input {si} vs per-weight {pw} failed weights"
    );
}

#[test]
fn every_distribution_runs_end_to_end_or_fails_honestly() {
    let (f, _) = fixture("seq_nobias");
    for d in GDistribution::NAMES {
        let distribution = GDistribution::from_name(d, Some(0.5)).unwrap();
        let cfg = PruneConfig {
            distribution,
            solver: SolverKind::BestFit,
            neurons_per_input: Some(300),
            ..shared(0.1)
        };
        match prune(&f, &cube(&f), &cfg, &NoProgress) {
            Ok(p) => {
                assert_shared_sound(&p, &f, &cube(&f), 0.1);
                assert_eq!(p.report.distribution, distribution);
                assert_eq!(p.report.theorem_applies, d == "hyperbolic");
                assert_eq!(p.report.notes.is_empty(), d == "hyperbolic");
            }
            Err(ConstructionError::Undecomposable { failed, total, .. }) => {
                assert!(failed > 0 && failed <= total, "{d}");
            }
            Err(e) => panic!("{d}: {e}"),
        }
    }
}

#[test]
fn weight_tolerance_bounds_every_half() {
    let (f, rows) = fixture("seq_bias");
    let domain = Domain::points(rows).unwrap();
    for construction in [Construction::PerWeight, Construction::SharedInput] {
        let cfg = PruneConfig {
            construction,
            ..PruneConfig::weight_tolerance(0.01)
        };
        let p = prune(&f, &domain, &cfg, &NoProgress).unwrap();
        let r = &p.report;
        assert!(r.max_weight_error() <= 0.01, "{}", r.max_weight_error());
        assert_eq!(r.epsilon_w, 0.02);
        // The network error that follows is still certified and measured.
        assert!(r.empirical_max_error <= r.certified_bound);
        assert!(r.certified_bound.is_finite() && r.certified_bound > 0.0);
        // Every virtual weight, directly.
        for (t, (plus, minus)) in p.pruned.virtual_matrices().iter().enumerate() {
            let w = p.plan.network().layers()[t].weight();
            for a in 0..w.nrows() {
                for b in 0..w.ncols() {
                    assert!((w[(a, b)] - plus[(a, b)]).abs() <= 0.01);
                    if p.plan.needs_minus()[t][b] {
                        assert!((w[(a, b)] - minus[(a, b)]).abs() <= 0.01);
                    }
                }
            }
        }
    }
}
