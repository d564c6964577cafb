//! Helpers shared by the construction's integration tests.
#![allow(clippy::unwrap_used, dead_code)]

pub mod python;

use logprune_construction::{Domain, Pruning, export_large};
use logprune_network::{LoadOptions, Network, load_network, read_input_rows, read_tensors};

/// A PyTorch-convention fixture of the network crate and its input rows.
pub fn fixture(name: &str) -> (Network, Vec<Vec<f64>>) {
    fixture_with(name, &LoadOptions::default())
}

/// [`fixture`] with the activations of `options`.
pub fn fixture_with(name: &str, options: &LoadOptions) -> (Network, Vec<Vec<f64>>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../network/tests/fixtures/");
    let bytes = std::fs::read(format!("{dir}{name}.safetensors")).unwrap();
    let f = load_network(&bytes, options).unwrap();
    let text = std::fs::read_to_string(format!("{dir}{name}.inputs.csv")).unwrap();
    let rows = read_input_rows(&text, f.input_width()).unwrap();
    (f, rows)
}

/// The default domain `[-1, 1]^{n_0}`.
pub fn cube(f: &Network) -> Domain {
    Domain::cube(f.input_width(), -1.0, 1.0).unwrap()
}

/// Runs `f` on a rayon pool of `n` threads.
pub fn with_threads<T: Send>(n: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
        .install(f)
}

/// The export identity of `cargo xtask prune --export-large`, checked on the bytes that would be
/// written: `large ⊙ masks`, with its all-zero intermediate neurons dropped, is exactly
/// `pruned.safetensors` (same keys, shapes and values), and masks are 0/1.
pub fn assert_large_times_masks_is_pruned(p: &Pruning, label: &str) {
    let (large_bytes, mask_bytes) = export_large(&p.large, &p.pruned).unwrap();
    let large = read_tensors(&large_bytes).unwrap();
    let masks = read_tensors(&mask_bytes).unwrap();
    let pruned = read_tensors(&p.pruned.to_safetensors().unwrap()).unwrap();
    let layers = p.large.intermediate_widths().len();
    assert_eq!(
        (large.len(), masks.len(), pruned.len()),
        (2 * layers, 2 * layers, 2 * layers)
    );
    for layer in 0..layers {
        let (lu, lv) = (&large[2 * layer], &large[2 * layer + 1]);
        let (mu, mv) = (&masks[2 * layer], &masks[2 * layer + 1]);
        let (pu, pv) = (&pruned[2 * layer], &pruned[2 * layer + 1]);
        assert_eq!(
            (lu.name.as_str(), mu.name.as_str()),
            (pu.name.as_str(), pu.name.as_str())
        );
        assert_eq!(
            (lv.name.as_str(), mv.name.as_str()),
            (pv.name.as_str(), pv.name.as_str())
        );
        assert_eq!(lu.shape, mu.shape);
        assert_eq!(lv.shape, mv.shape);
        let (m, n_in) = (lu.shape[0], lu.shape[1]);
        let n_out = lv.shape[0];
        assert_eq!(m as u64, p.large.intermediate_widths()[layer]);
        let (lu, lv, mu, mv) = (
            lu.values_f64(),
            lv.values_f64(),
            mu.values_f64(),
            mv.values_f64(),
        );
        assert!(mu.iter().chain(&mv).all(|&x| x == 0.0 || x == 1.0));
        let masked_u: Vec<f64> = lu.iter().zip(&mu).map(|(w, k)| w * k).collect();
        let masked_v: Vec<f64> = lv.iter().zip(&mv).map(|(w, k)| w * k).collect();
        // Drop the all-zero intermediate neurons.
        let alive: Vec<usize> = (0..m)
            .filter(|&z| {
                (0..n_in).any(|b| masked_u[z * n_in + b] != 0.0)
                    || (0..n_out).any(|a| masked_v[a * m + z] != 0.0)
            })
            .collect();
        let u: Vec<f64> = alive
            .iter()
            .flat_map(|&z| masked_u[z * n_in..(z + 1) * n_in].to_vec())
            .collect();
        let v: Vec<f64> = (0..n_out)
            .flat_map(|a| alive.iter().map(move |&z| (a, z)))
            .map(|(a, z)| masked_v[a * m + z])
            .collect();
        assert_eq!(pu.shape, vec![alive.len(), n_in]);
        assert_eq!(pv.shape, vec![n_out, alive.len()]);
        assert_eq!(pu.values_f64(), u, "{label}: layer {}: U", layer + 1);
        assert_eq!(pv.values_f64(), v, "{label}: layer {}: V", layer + 1);
    }
}

/// Named tolerances shared by the integration tests.
pub mod tol {
    /// Each half is within ε_w/2 up to the rounding of a sum of a few dozen terms.
    pub const HALF_TOLERANCE_REL: f64 = 1e-9;
    /// Literal vs virtual forward pass of Ĝ.
    pub const FORWARD: f64 = 1e-12;
}

/// The checks every successful run must pass, whatever the construction: certificate and
/// measurement within ε and ordered (measured ≤ recurrence ≤ Corollary 27; Lemma 1 ≤ ε), each
/// half within ε_w/2, the kept-neuron counts consistent, and on 20 inputs of the domain the
/// literal Ĝ within the certificate of F and equal to the virtual Ĝ.
pub fn assert_sound(p: &Pruning, f: &Network, domain: &Domain, eps: f64) {
    let r = &p.report;
    assert!(
        r.certified_bound <= eps,
        "certificate {} > ε {eps}",
        r.certified_bound
    );
    assert!(
        r.empirical_max_error <= r.certified_bound,
        "measured above the certificate"
    );
    assert!(r.certified_bound <= r.certified_bound_corollary27);
    assert!(
        r.certified_bound_lemma1 <= eps,
        "Lemma 1 with ε_w chosen by Lemma 1"
    );
    let half = r.epsilon_w / 2.0 * (1.0 + tol::HALF_TOLERANCE_REL);
    assert!(r.max_weight_error_plus <= half);
    assert!(r.max_weight_error_minus.is_none_or(|e| e <= half));
    assert_eq!(r.kept_neurons_total, r.kept_neurons.iter().sum::<u64>());
    assert_eq!(r.kept_neurons, p.pruned.kept_neurons());
    assert_eq!(
        r.weights_verified,
        r.kept_neurons_total + r.kept_edges_total,
        "one input each, and its outputs"
    );
    for k in 0..20 {
        let x: Vec<f64> = match domain {
            Domain::Box(b) => (0..f.input_width())
                .map(|j| b.lo()[j] + ((k * 7 + j * 3) % 11) as f64 / 10.0 * (b.hi()[j] - b.lo()[j]))
                .collect(),
            Domain::Points(rows) => rows[k % rows.len()].clone(),
        };
        let mut xg = x.clone();
        if r.has_bias_unit {
            xg.push(1.0);
        }
        let (fx, gx) = (f.forward(&x).unwrap(), p.pruned.forward(&xg).unwrap());
        let err = fx
            .iter()
            .zip(&gx)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        assert!(err <= r.certified_bound, "{err} at {x:?}");
        let gv = p.pruned.forward_virtual(&xg).unwrap();
        for (a, b) in gx.iter().zip(&gv) {
            assert!(
                (a - b).abs() <= tol::FORWARD * (1.0 + a.abs()),
                "literal {a} vs virtual {b}"
            );
        }
    }
}
