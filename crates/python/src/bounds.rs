//! `logprune.bounds`: the numbers `logprune bounds` prints, from
//! `logprune_bounds::Setting::report`, as a dict. Reals that may leave `f64` (ε_w, the
//! weight range, the ratios, Malach et al.'s counts) come with their exact `log10`.

use logprune_bounds::{Count, LogNum, NormModel, Setting};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::bad_argument;

/// Puts `name` (the value, `inf` or `0.0` beyond `f64`) and `log10_name`.
fn put_log(d: &Bound<'_, PyDict>, name: &str, x: LogNum) -> PyResult<()> {
    d.set_item(name, x.value())?;
    d.set_item(format!("log10_{name}"), x.log10())
}

/// A count: an `int` when it fits `u64`, else a `float`; with its `log10`.
fn put_count(d: &Bound<'_, PyDict>, name: &str, c: Count) -> PyResult<()> {
    match c.as_u64() {
        Some(v) => d.set_item(name, v)?,
        None => d.set_item(name, c.value())?,
    }
    d.set_item(format!("log10_{name}"), c.log10())
}

/// The bounds of the paper for widths `n_0..n_ℓ`, accuracy `eps`, failure probability
/// `delta`, `w_max`, `F_max` and a norm model (`norms` given, else the worst case with
/// `no_norm_assumption`, Example 2's with `max_width_norm`, else `‖Ŵ_i‖₂ ≤ 1`).
#[pyfunction]
#[pyo3(signature = (widths, eps, delta, w_max, f_max, no_norm_assumption, max_width_norm, norms))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn bounds<'py>(
    py: Python<'py>,
    widths: Vec<u64>,
    eps: f64,
    delta: f64,
    w_max: f64,
    f_max: f64,
    no_norm_assumption: bool,
    max_width_norm: bool,
    norms: Option<Vec<f64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let model = match (norms, no_norm_assumption, max_width_norm) {
        (Some(v), false, false) => NormModel::Given(v),
        (Some(_), _, _) => {
            return Err(bad_argument(
                "norms",
                "give either norms or no_norm_assumption, not both",
            ));
        }
        (None, true, true) => NormModel::WorstCaseMaxWidth,
        (None, true, false) => NormModel::WorstCase,
        (None, false, true) => {
            return Err(bad_argument(
                "max_width_norm",
                "applies only with no_norm_assumption=True",
            ));
        }
        (None, false, false) => NormModel::SpectralAtMostOne,
    };
    let setting = Setting::builder(widths, eps, delta)
        .w_max(w_max)
        .f_max(f_max)
        .norms(model)
        .check()
        .map_err(|e| bad_argument("bounds", e))?;
    let r = setting.report();
    let d = PyDict::new(py);
    d.set_item("widths", setting.widths().as_slice().to_vec())?;
    d.set_item("layers", setting.widths().layers())?;
    d.set_item("eps", setting.epsilon())?;
    d.set_item("delta", setting.delta())?;
    d.set_item("w_max", setting.w_max())?;
    d.set_item("f_max", setting.f_max())?;
    d.set_item("norms", setting.norms().describe())?;
    d.set_item("n_max", r.n_max)?;
    d.set_item("n_star", r.n_star)?;
    put_log(&d, "epsilon_w", r.epsilon_w)?;
    d.set_item("k_prime", r.k_prime)?;
    d.set_item("k", r.k)?;
    d.set_item("k_as_printed", r.k_as_printed)?;
    let w = &r.weight_range;
    put_log(&d, "alpha", w.alpha)?;
    put_log(&d, "beta", w.beta)?;
    put_log(&d, "alpha_prime", w.alpha_prime)?;
    put_log(&d, "beta_prime", w.beta_prime)?;
    put_log(&d, "ng_over_nstar_theorem3", r.ng_over_nstar_theorem3)?;
    put_log(&d, "ng_over_nstar_theorem30", r.ng_over_nstar_theorem30)?;
    put_log(&d, "ng_over_nstar_min", r.ng_over_nstar_min)?;
    d.set_item("corollary7_leading_term", r.corollary7_leading_term)?;
    d.set_item("remark8_max_kept_neurons_per_weight", 2 * r.k)?;
    put_log(&d, "remark8_neuron_ratio", r.remark8_neuron_ratio)?;
    let m = &r.malach_assumptions;
    d.set_item("malach_assumptions_hold", m.all_hold())?;
    d.set_item("malach_assumptions_failing", m.failures())?;
    let layers = r
        .layers
        .iter()
        .map(|l| {
            let e = PyDict::new(py);
            e.set_item("layer", l.layer)?;
            e.set_item("n_in", l.n_in)?;
            e.set_item("n_out", l.n_out)?;
            put_count(&e, "theorem3", l.theorem3)?;
            put_log(&e, "theorem3_per_weight", l.theorem3_per_weight)?;
            put_count(&e, "theorem30", l.theorem30)?;
            put_log(&e, "theorem30_per_weight", l.theorem30_per_weight)?;
            put_count(&e, "min", l.min)?;
            put_log(&e, "min_per_weight", l.min_per_weight)?;
            put_count(&e, "malach", l.malach)?;
            put_log(&e, "malach_per_weight", l.malach_per_weight)?;
            Ok(e)
        })
        .collect::<PyResult<Vec<_>>>()?;
    d.set_item("per_layer", layers)?;
    Ok(d)
}
