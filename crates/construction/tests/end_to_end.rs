//! End-to-end tests of the pruning pipeline on small PyTorch-convention targets (the network
//! crate's fixtures, saved the way `safetensors.torch.save_file(model.state_dict())` does).
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_large_times_masks_is_pruned, cube, fixture, with_threads};

use std::sync::atomic::{AtomicU64, Ordering};

use faer::mat;
use logprune_construction::{
    ConstructionError, Domain, NoProgress, Progress, PruneConfig, Pruning, SolverKind, prune,
};
use logprune_network::{Activation, Layer, Network, read_tensors};

/// Named tolerances.
mod prec {
    /// F by one forward pass vs F by faer's batch product (another summation order): the
    /// same error up to this absolute amount.
    pub const SUMMATION_ORDER: f64 = 1e-12;
}

/// The checks every successful run must pass: the shared ones, and the per-weight widths.
fn assert_sound(p: &Pruning, f: &Network, domain: &Domain, eps: f64) {
    common::assert_sound(p, f, domain, eps);
    let r = &p.report;
    let widths = &r.target_widths;
    let m = r.neurons_per_weight;
    for (t, &mi) in r.widths.iter().enumerate() {
        assert_eq!(
            mi,
            (widths[t] * widths[t + 1]) as u64 * m,
            "M_i = n_i n_(i-1) m"
        );
    }
    assert!(r.products_consulted <= r.n_weights_target * m);
}

#[test]
fn pytorch_model_with_biases_on_a_box_and_on_rows() {
    let (f, rows) = fixture("seq_bias");
    assert!(f.has_bias());
    let eps = 0.05;
    let p = prune(&f, &cube(&f), &PruneConfig::new(eps), &NoProgress).unwrap();
    assert_sound(&p, &f, &cube(&f), eps);
    let r = &p.report;
    assert!(r.has_bias_unit);
    // F' = 3-5-4-2 with a constant unit on the input and both hidden layers.
    assert_eq!(r.target_widths, vec![4, 6, 5, 2]);
    assert_eq!(r.n_weights_target, 4 * 6 + 6 * 5 + 5 * 2);
    assert_eq!((r.inputs_checked, r.domain.name()), (10_000, "box"));
    // [-1, 1]³ × {1}: the first layer needs ŵ⁻ on the 3 real inputs, not on the unit; after
    // the ReLUs nothing does.
    let minus: Vec<usize> = r.layers.iter().map(|l| l.minus_columns).collect();
    assert_eq!(minus, vec![3, 0, 0]);

    let domain = Domain::points(rows.clone()).unwrap();
    let p = prune(&f, &domain, &PruneConfig::new(eps), &NoProgress).unwrap();
    assert_sound(&p, &f, &domain, eps);
    assert_eq!(
        (p.report.inputs_checked, p.report.domain.name()),
        (rows.len() as u64, "points")
    );
    for x in &rows {
        let mut xg = x.clone();
        xg.push(1.0);
        let (fx, gx) = (f.forward(x).unwrap(), p.pruned.forward(&xg).unwrap());
        let err: f64 = fx
            .iter()
            .zip(&gx)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        assert!(
            err <= p.report.empirical_max_error + prec::SUMMATION_ORDER,
            "the measurement covers every row"
        );
    }
}

#[test]
fn pytorch_model_without_biases() {
    let (f, rows) = fixture("seq_nobias");
    assert!(!f.has_bias());
    for domain in [cube(&f), Domain::points(rows).unwrap()] {
        let p = prune(&f, &domain, &PruneConfig::new(0.02), &NoProgress).unwrap();
        assert_sound(&p, &f, &domain, 0.02);
        assert!(!p.report.has_bias_unit);
        assert_eq!(p.report.target_widths, vec![4, 6, 3]);
        assert_eq!(p.report.layers[1].minus_columns, 0);
    }
}

#[test]
fn a_nonnegative_domain_needs_only_positive_halves() {
    let (f, _) = fixture("seq_nobias");
    let domain = Domain::cube(4, 0.0, 1.0).unwrap();
    let p = prune(&f, &domain, &PruneConfig::new(0.02), &NoProgress).unwrap();
    assert_sound(&p, &f, &domain, 0.02);
    assert_eq!(p.report.max_weight_error_minus, None);
    assert!(p.report.layers.iter().all(|l| l.minus_columns == 0));
    for layer in p.pruned.layers() {
        assert!(layer.neurons().all(|n| n.u > 0.0), "no ŵ⁻ neuron is kept");
    }
}

#[test]
fn identity_hidden_layers_need_both_halves() {
    // 2-3-1 with an identity hidden layer: the second layer's inputs can be negative.
    let f = Network::from_weights(
        vec![
            mat![[0.5, -0.25], [0.125, 0.75], [-0.5, 0.5]],
            mat![[1.0, -0.5, 0.25]],
        ],
        &[Activation::Identity, Activation::Identity],
    )
    .unwrap();
    let p = prune(&f, &cube(&f), &PruneConfig::new(0.05), &NoProgress).unwrap();
    assert_sound(&p, &f, &cube(&f), 0.05);
    assert_eq!(p.report.layers[1].minus_columns, 3);
    // A hidden neuron that is > 0 on the box needs only ŵ⁺ even after an identity layer.
    let g = Network::from_weights(
        vec![mat![[0.5, 0.25], [0.5, -0.5]], mat![[1.0, -0.5]]],
        &[Activation::Identity, Activation::Identity],
    )
    .unwrap();
    // (On [0, 1]² the first neuron's lower bound is exactly 0, which the certified rounding
    // allowance of interval propagation turns into a tiny negative number.)
    let d = Domain::cube(2, 0.5, 1.0).unwrap();
    let p = prune(&g, &d, &PruneConfig::new(0.05), &NoProgress).unwrap();
    assert_sound(&p, &g, &d, 0.05);
    assert_eq!(
        p.report.layers[1].minus_columns, 1,
        "only the neuron 0.5x₀ − 0.5x₁ can be negative"
    );
}

#[test]
fn large_times_masks_is_the_pruned_network() {
    let (f, _) = fixture("seq_bias");
    let p = prune(&f, &cube(&f), &PruneConfig::new(0.1), &NoProgress).unwrap();
    let pruned = read_tensors(&p.pruned.to_safetensors().unwrap()).unwrap();
    let names: Vec<&str> = pruned.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "0.weight",
            "2.weight",
            "4.weight",
            "6.weight",
            "8.weight",
            "10.weight"
        ]
    );
    assert_large_times_masks_is_pruned(&p, "per-weight");
}

#[test]
fn same_seed_on_one_and_two_threads_is_byte_identical() {
    let (f, _) = fixture("seq_bias");
    let config = PruneConfig {
        seed: 11,
        ..PruneConfig::new(0.05)
    };
    let run = |n| {
        with_threads(n, || {
            let p = prune(&f, &cube(&f), &config, &NoProgress).unwrap();
            let mut r = p.report.clone();
            r.seconds = Default::default();
            (p.pruned.to_safetensors().unwrap(), r)
        })
    };
    let (b1, r1) = run(1);
    let (b2, r2) = run(2);
    assert_eq!(b1, b2);
    assert_eq!(r1, r2);
    let other = prune(
        &f,
        &cube(&f),
        &PruneConfig { seed: 12, ..config },
        &NoProgress,
    )
    .unwrap();
    assert_ne!(
        other.pruned.to_safetensors().unwrap(),
        b1,
        "the seed matters"
    );
}

#[test]
fn too_few_neurons_per_weight_counts_the_undecomposable_weights() {
    let (f, _) = fixture("seq_bias");
    let config = PruneConfig {
        neurons_per_weight: Some(8),
        ..PruneConfig::new(0.05)
    };
    match prune(&f, &cube(&f), &config, &NoProgress) {
        Err(ConstructionError::Undecomposable {
            failed,
            total,
            neurons_per_weight,
            ..
        }) => {
            assert_eq!(total, 64);
            assert_eq!(neurons_per_weight, 8);
            // Zero weights (the unit's row) always succeed; most others cannot with 8 neurons.
            assert!(failed >= 32 && failed < total, "{failed}");
            let msg = prune(&f, &cube(&f), &config, &NoProgress)
                .unwrap_err()
                .to_string();
            assert!(
                msg.contains(&format!("{failed} of 64 target weights")),
                "{msg}"
            );
        }
        other => panic!("expected Undecomposable, got {other:?}"),
    }
}

#[test]
fn every_kept_weight_is_rederived_from_the_generator() {
    let (f, _) = fixture("seq_nobias");
    let p = prune(&f, &cube(&f), &PruneConfig::new(0.05), &NoProgress).unwrap();
    let m = p.report.neurons_per_weight;
    let mut count = 0;
    for (t, layer) in p.pruned.layers().iter().enumerate() {
        let n_in = layer.n_in() as u64;
        let mut last = None;
        for n in layer.neurons() {
            assert!(last < Some(n.z), "G's order, no neuron twice");
            last = Some(n.z);
            assert_eq!(n.u, p.large.u(t, n.z, n.input));
            assert_eq!(n.outputs.len(), 1, "per-weight: one output");
            let (a, v) = n.edges().next().unwrap();
            assert_eq!(v, p.large.v(t, a, n.z));
            // z lies in the block of target weight (a, input).
            assert_eq!(n.z / m, a as u64 * n_in + n.input as u64);
            // and in the class of its half: V·U has the sign of w*.
            let w = f.layers()[t].weight()[(a, n.input)];
            assert_eq!((v * n.u < 0.0), (w < 0.0));
            count += 1;
        }
    }
    assert_eq!(count, p.report.kept_neurons_total);
}

#[test]
fn other_solvers() {
    let (f, _) = fixture("seq_nobias");
    let config = PruneConfig {
        solver: SolverKind::BestFit,
        ..PruneConfig::new(0.05)
    };
    let p = prune(&f, &cube(&f), &config, &NoProgress).unwrap();
    assert_sound(&p, &f, &cube(&f), 0.05);
    assert_eq!(p.report.solver, SolverKind::BestFit);
    assert_eq!(
        p.report.products_consulted,
        p.report.n_weights_target * p.report.neurons_per_weight
    );
    // The exact solver refuses classes of more than 40 candidates...
    let config = PruneConfig {
        solver: SolverKind::Exact,
        ..PruneConfig::new(0.05)
    };
    let e = prune(&f, &cube(&f), &config, &NoProgress).unwrap_err();
    assert!(
        matches!(e, ConstructionError::TooManyCandidates { max: 40, .. }),
        "{e}"
    );
    // ... and works on small blocks (a loose ε, so ~20 candidates per half suffice).
    let small = Network::from_weights(
        vec![mat![[0.5, -0.25], [0.125, 0.75]], mat![[1.0, -0.5]]],
        &[Activation::Relu, Activation::Identity],
    )
    .unwrap();
    let config = PruneConfig {
        solver: SolverKind::Exact,
        neurons_per_weight: Some(100),
        ..PruneConfig::new(1.0)
    };
    let p = prune(&small, &cube(&small), &config, &NoProgress).unwrap();
    assert_sound(&p, &small, &cube(&small), 1.0);
    assert_eq!(p.report.solver, SolverKind::Exact);
}

#[derive(Default)]
struct Counter {
    stages: std::sync::Mutex<Vec<(String, u64)>>,
    done: AtomicU64,
}

impl Progress for Counter {
    fn start(&self, stage: &str, total: u64) {
        self.stages.lock().unwrap().push((stage.to_owned(), total));
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
}

#[test]
fn progress_is_reported_per_stage() {
    let (f, _) = fixture("seq_nobias");
    let c = Counter::default();
    prune(&f, &cube(&f), &PruneConfig::new(0.1), &c).unwrap();
    let stages = c.stages.lock().unwrap().clone();
    assert_eq!(
        stages,
        vec![("prune".to_owned(), 42), ("check".to_owned(), 10_000)]
    );
    assert_eq!(c.done.load(Ordering::Relaxed), 42 + 10_000);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let (f, rows) = fixture("seq_nobias");
    let d = cube(&f);
    let run = |c: PruneConfig| prune(&f, &d, &c, &NoProgress).unwrap_err();
    for eps in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            run(PruneConfig::new(eps)),
            ConstructionError::InvalidEps { .. }
        ));
    }
    for delta in [0.0, 1.0, -0.5, f64::NAN] {
        assert!(matches!(
            run(PruneConfig {
                delta,
                ..PruneConfig::new(0.1)
            }),
            ConstructionError::InvalidDelta { .. }
        ));
    }
    let e = run(PruneConfig {
        neurons_per_weight: Some(0),
        ..PruneConfig::new(0.1)
    });
    assert_eq!(e, ConstructionError::InvalidNeuronsPerWeight { value: 0 });
    let e = run(PruneConfig {
        w_max: Some(0.5),
        ..PruneConfig::new(0.1)
    });
    assert!(
        matches!(e, ConstructionError::WMaxBelowTarget { w_max, max_abs_weight } if w_max == 0.5 && max_abs_weight > 0.5),
        "{e}"
    );
    // A domain of the wrong dimension.
    let e = prune(
        &f,
        &Domain::cube(3, -1.0, 1.0).unwrap(),
        &PruneConfig::new(0.1),
        &NoProgress,
    )
    .unwrap_err();
    assert_eq!(
        e,
        ConstructionError::DomainDimension {
            expected: 4,
            found: 3
        }
    );
    let short: Vec<Vec<f64>> = rows.iter().map(|r| r[..2].to_vec()).collect();
    let e = prune(
        &f,
        &Domain::points(short).unwrap(),
        &PruneConfig::new(0.1),
        &NoProgress,
    )
    .unwrap_err();
    assert!(matches!(e, ConstructionError::DomainDimension { .. }));
    // An all-zero target.
    let zero =
        Network::from_weights(vec![faer::Mat::zeros(2, 2)], &[Activation::Identity]).unwrap();
    let e = prune(&zero, &cube(&zero), &PruneConfig::new(0.1), &NoProgress).unwrap_err();
    assert_eq!(e, ConstructionError::ZeroTarget);
    // Biases through a tanh hidden layer ride on a decaying constant unit (u_1 = tanh 1):
    // the run certifies and the measured error, against F itself, is within ε.
    let tanh = Network::new(vec![
        Layer::with_bias(mat![[1.0]], vec![0.5], Activation::Tanh),
        Layer::new(mat![[1.0]], Activation::Identity),
    ])
    .unwrap();
    let p = prune(&tanh, &cube(&tanh), &PruneConfig::new(0.1), &NoProgress).unwrap();
    assert!(
        p.report.certified_bound <= 0.1,
        "{}",
        p.report.certified_bound
    );
    assert!(p.report.empirical_max_error <= 0.1);
    // The bias column of F' is 0.5 (u_0 = 1); the second layer has none.
    assert_eq!(p.plan.network().layers()[0].weight[(0, 1)], 0.5);
}
