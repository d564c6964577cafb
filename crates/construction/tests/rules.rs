//! The recurrence tolerance rule and the width search.
#![allow(clippy::unwrap_used)]

mod common;
use common::{cube, fixture};

use logprune_construction::certificate::recurrence_prior;
use logprune_construction::{
    Construction, Domain, NoProgress, Plan, PruneConfig, SolverKind, ToleranceRule, prune,
    search_width, smallest_width, start_width,
};

#[test]
fn the_recurrence_rule_certifies_eps_with_a_larger_tolerance() {
    let (f, rows) = fixture("seq_bias");
    for domain in [cube(&f), Domain::points(rows).unwrap()] {
        for construction in [Construction::PerWeight, Construction::SharedInput] {
            let eps = 0.05;
            let cfg = PruneConfig {
                construction,
                tolerance_rule: ToleranceRule::Recurrence,
                compare_rules: true,
                ..PruneConfig::new(eps)
            };
            let p = prune(&f, &domain, &cfg, &NoProgress).unwrap();
            let r = &p.report;
            // The chosen tolerance certifies ε: a priori, and after pruning.
            assert!(r.certified_bound <= eps, "{}", r.certified_bound);
            assert!(r.empirical_max_error <= r.certified_bound);
            assert!(r.max_weight_error() <= r.epsilon_w / 2.0 * (1.0 + 1e-9));
            // Both rules are reported, with their kept neurons.
            assert_eq!(r.rules.len(), 2);
            let (l1, rec) = (&r.rules[0], &r.rules[1]);
            assert_eq!(
                (l1.rule, rec.rule),
                (ToleranceRule::Lemma1, ToleranceRule::Recurrence)
            );
            assert_eq!(rec.epsilon_w, r.epsilon_w);
            assert!(
                rec.epsilon_w > l1.epsilon_w,
                "{} vs {}",
                rec.epsilon_w,
                l1.epsilon_w
            );
            assert!(rec.k_prime < l1.k_prime);
            let (kl, kr) = (l1.kept_neurons.unwrap(), rec.kept_neurons.unwrap());
            assert_eq!(kr, r.kept_neurons_total);
            assert!(kr < kl, "recurrence keeps {kr}, Lemma 1 {kl}");
        }
    }
}

#[test]
fn the_recurrence_tolerance_is_the_largest_that_certifies_a_priori() {
    let (f, _) = fixture("seq_nobias");
    let cfg = PruneConfig {
        tolerance_rule: ToleranceRule::Recurrence,
        ..PruneConfig::new(0.02)
    };
    let plan = Plan::new(&f, &cube(&f), &cfg).unwrap();
    let tau = plan.epsilon_w() / 2.0;
    let arch = plan.network().architecture();
    let priors: Vec<_> = (0..arch.depth())
        .map(|t| logprune_construction::certificate::LayerPrior {
            lambda: arch.activations()[t].lipschitz(),
            target_norm: plan.target_norms()[t],
            perturbation: plan.perturbations()[t],
        })
        .collect();
    assert!(recurrence_prior(tau, &priors, plan.input_norms()) <= 0.02);
    assert!(recurrence_prior(tau * (1.0 + 1e-9), &priors, plan.input_norms()) > 0.02);
}

#[test]
fn the_width_search_finds_a_certified_width_with_a_failing_one_below() {
    let (f, _) = fixture("seq_nobias");
    for (construction, solver) in [
        (Construction::PerWeight, SolverKind::GoldenRatio),
        (Construction::SharedInput, SolverKind::BestFit),
        (Construction::Batch, SolverKind::GoldenRatio),
    ] {
        let cfg = PruneConfig {
            construction,
            solver,
            ..PruneConfig::new(0.05)
        };
        let p = search_width(&f, &cube(&f), &cfg, &NoProgress).unwrap();
        let s = p.report.width_search.clone().unwrap();
        assert!(p.report.certified_bound <= 0.05);
        assert_eq!(p.report.neurons_per_weight, s.found);
        assert!(
            s.found < s.start,
            "{construction:?}: {} vs {}",
            s.found,
            s.start
        );
        assert!(s.probes.contains(&(s.found, true)));
        assert!(
            s.found == 1 || s.probes.contains(&(s.found - 1, false)),
            "{:?}",
            s.probes
        );
    }
}

#[test]
fn smallest_width_is_the_search_of_search_width_and_stops_at_its_doubling_limit() {
    let (f, _) = fixture("seq_nobias");
    let domain = cube(&f);
    let cfg = PruneConfig {
        construction: Construction::SharedInput,
        solver: SolverKind::BestFit,
        ..PruneConfig::new(0.05)
    };
    let s = smallest_width(&f, &domain, &cfg, 20, &NoProgress)
        .unwrap()
        .unwrap();
    let p = search_width(&f, &domain, &cfg, &NoProgress).unwrap();
    assert_eq!(Some(&s), p.report.width_search.as_ref());
    assert_eq!(s.start, start_width(&f, &domain, &cfg).unwrap());
    // From a start of 1 with no doubling allowed, only width 1 is probed; it fails.
    let tiny = PruneConfig {
        neurons_per_input: Some(1),
        ..cfg
    };
    assert_eq!(
        smallest_width(&f, &domain, &tiny, 0, &NoProgress).unwrap(),
        None
    );
    // With doublings, the search climbs from 1 past the width found and bisects back to it.
    let climbed = smallest_width(&f, &domain, &tiny, 20, &NoProgress)
        .unwrap()
        .unwrap();
    assert_eq!(climbed.start, 1);
    assert!(climbed.probes.contains(&(climbed.found, true)));
    assert!(climbed.probes.contains(&(climbed.found - 1, false)));
}
