//! The layouts, G's weight distributions and the weight-tolerance mode on the real-data
//! target: the bias-free 64-32-10 network trained on the digits, on the finite domain of its
//! 1797 rows.
#![allow(clippy::unwrap_used)]

use logprune_construction::{
    Construction, ConstructionError, Domain, GDistribution, NoProgress, PruneConfig, Pruning,
    SolverKind, prune,
};
use logprune_experiments::digits::{TrainConfig, load_digits, train};
use logprune_network::Network;

fn digits_target() -> (Network, Domain) {
    let data = load_digits().unwrap();
    let split = data.split(0.2, 5);
    let f = train(&split.train_x, &split.train_y, &TrainConfig::full()).unwrap();
    let rows: Vec<Vec<f64>> = split.train_x.iter().chain(&split.test_x).cloned().collect();
    (f, Domain::points(rows).unwrap())
}

fn assert_within(p: &Pruning, eps: f64) {
    let r = &p.report;
    assert!(r.certified_bound <= eps, "{}", r.certified_bound);
    assert!(r.empirical_max_error <= r.certified_bound);
    assert!(r.empirical_max_error_literal <= r.certified_bound);
    assert_eq!(r.inputs_checked, 1797);
    assert_eq!(
        r.weights_verified,
        r.kept_neurons_total + r.kept_edges_total
    );
}

#[test]
fn explore() {
    let (f, domain) = digits_target();
    for name in ["kaiming-uniform", "uniform", "gaussian", "remark15"] {
        for r in [12800u64, 51200, 204800] {
            let cfg = PruneConfig {
                construction: Construction::SharedInput,
                solver: SolverKind::BestFit,
                distribution: GDistribution::from_name(name, Some(1.0)).unwrap(),
                neurons_per_input: Some(r),
                ..PruneConfig::new(0.1)
            };
            match prune(&f, &domain, &cfg, &NoProgress) {
                Ok(p) => {
                    eprintln!(
                        "{name} r={r}: ok cert {:.3e} meas {:.3e}",
                        p.report.certified_bound, p.report.empirical_max_error
                    );
                    break;
                }
                Err(ConstructionError::Undecomposable { failed, total, .. }) => {
                    eprintln!("{name} r={r}: {failed} of {total} failed")
                }
                Err(e) => eprintln!("{name} r={r}: {e}"),
            }
        }
    }
    let _ = assert_within;
    panic!()
}
