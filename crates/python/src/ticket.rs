//! `prune` and the ticket: Ĝ pruned as the command line prunes it (`prune_into`, the ticket
//! spec taken when the run begins, the bytes of `write_ticket`), read back with the checked
//! reader, run forward (literal or virtual), expanded to dense arrays for a small Ĝ, and
//! verified against its target (`logprune_construction::verify`).

use std::sync::Arc;

use logprune_construction::ticket::{read_ticket, ticket_bytes};
use logprune_construction::{
    Accuracy, Construction, ConstructionError, DENSE_PRUNED_LIMIT, GDistribution, Generator,
    LargeNetwork, LayerSink, Plan, PruneConfig, PrunedLayer, PrunedNetwork, SolverKind, TicketForm,
    TicketSpec, ToleranceRule, prune_into, verify,
};
use logprune_construction::{GraphPruning, prune_graph, verify_graph_ticket};
use numpy::{PyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use rayon::prelude::*;

use crate::errors::{bad_argument, to_py};
use crate::run::run;
use crate::target::{Model, Target, domain, matrix, rows};

/// A sink that keeps Ĝ's layers and the ticket spec of the run, taken when it begins (as the
/// command line's ticket file does), for a ticket in `form`.
#[derive(Default)]
struct Keep {
    spec: Option<TicketSpec>,
    layers: Vec<PrunedLayer>,
    form: TicketForm,
}

impl LayerSink for Keep {
    fn holds_layers(&self) -> bool {
        true
    }
    fn begin(&mut self, plan: &Plan, large: &LargeNetwork) -> Result<(), ConstructionError> {
        self.spec = Some(TicketSpec::of_run(plan, large, None));
        Ok(())
    }
    fn layer(&mut self, _t: usize, layer: PrunedLayer) -> Result<(), ConstructionError> {
        self.layers.push(layer);
        Ok(())
    }
    fn ticket_form(&self) -> Option<TicketForm> {
        Some(self.form)
    }
}

/// A name parsed by the library's parser, refused naming `argument`.
fn parse<T: core::str::FromStr>(argument: &str, name: &str) -> PyResult<T>
where
    T::Err: std::fmt::Display,
{
    name.parse::<T>().map_err(|e| bad_argument(argument, e))
}

/// Prunes G to a Ĝ within `eps` (or every weight within `weight_tolerance`) of `target` on
/// its domain, as `logprune prune` does with the same arguments; returns the ticket with its
/// report. See the Python `logprune.prune` for the arguments.
#[pyfunction]
#[pyo3(signature = (
    target, *, eps=None, weight_tolerance=None, input_box=None, inputs=None, delta=0.01,
    construction="per-weight", solver="golden-ratio", distribution="hyperbolic",
    dist_scale=None, tolerance_rule="recurrence", compare_rules=false, generator="ars-v3",
    seed=0, neurons_per_weight=None, neurons_per_input=None, width_scale=1.0,
    max_memory=None, search_width=false, threads=None, progress=None, store_weights=false
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn prune(
    py: Python<'_>,
    target: &Target,
    eps: Option<f64>,
    weight_tolerance: Option<f64>,
    input_box: Option<(f64, f64)>,
    inputs: Option<PyReadonlyArray2<'_, f64>>,
    delta: f64,
    construction: &str,
    solver: &str,
    distribution: &str,
    dist_scale: Option<f64>,
    tolerance_rule: &str,
    compare_rules: bool,
    generator: &str,
    seed: u64,
    neurons_per_weight: Option<u64>,
    neurons_per_input: Option<u64>,
    width_scale: f64,
    max_memory: Option<u64>,
    search_width: bool,
    threads: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
    store_weights: bool,
) -> PyResult<Ticket> {
    let form = TicketForm::of_store_weights(store_weights);
    let accuracy = match (eps, weight_tolerance) {
        (Some(e), None) => Accuracy::Network(e),
        (None, Some(t)) => Accuracy::WeightTolerance(t),
        (Some(_), Some(_)) => {
            return Err(bad_argument(
                "eps",
                "give either eps or weight_tolerance, not both",
            ));
        }
        (None, None) => {
            return Err(bad_argument(
                "eps",
                "give the accuracy: eps (network) or weight_tolerance (per weight)",
            ));
        }
    };
    let config = PruneConfig {
        accuracy,
        tolerance_rule: parse::<ToleranceRule>("tolerance_rule", tolerance_rule)?,
        compare_rules,
        delta,
        construction: parse::<Construction>("construction", construction)?,
        solver: parse::<SolverKind>("solver", solver)?,
        distribution: GDistribution::from_name(distribution, dist_scale)
            .map_err(|e| to_py(e, "input_box"))?,
        generator: parse::<Generator>("generator", generator)?,
        seed,
        neurons_per_weight,
        neurons_per_input,
        width_scale,
        w_max: None,
        max_memory,
    };
    config.check().map_err(|e| to_py(e, "input_box"))?;
    let rows = inputs.as_ref().map(|x| rows("inputs", x)).transpose()?;
    let (domain, domain_argument) = domain(target.input_width(), input_box, rows)?;
    let network = match &target.model {
        Model::Chain(n) => Arc::clone(n),
        Model::Graph(g) => {
            for (given, argument) in [
                (search_width, "search_width"),
                (compare_rules, "compare_rules"),
            ] {
                if given {
                    return Err(bad_argument(
                        argument,
                        "not supported for a graph target yet; it is for an MLP target",
                    ));
                }
            }
            let graph = Arc::clone(g);
            let mut p = run(
                py,
                threads,
                progress.as_ref(),
                move |progress| prune_graph(&graph, &domain, &config, progress),
                |e| to_py(e, domain_argument),
            )?;
            p.report.ticket_form = Some(form);
            let report = p.report.to_json().map_err(|e| to_py(e, domain_argument))?;
            let ticket = logprune_construction::Ticket {
                spec: TicketSpec::of_graph_run(&p.plan, &p.large, None),
                pruned: p.pruned.clone(),
                stats: p.stats.clone(),
                form,
            };
            return Ok(Ticket {
                inner: Arc::new(ticket),
                report: Some(report),
                graph: Some(Arc::new(p)),
            });
        }
    };
    let (run_result, spec, layers) = run(
        py,
        threads,
        progress.as_ref(),
        move |progress| {
            let mut sink = Keep {
                form,
                ..Keep::default()
            };
            let r = prune_into(
                &network,
                &domain,
                &config,
                progress,
                search_width,
                &mut sink,
            )?;
            Ok((r, sink.spec, sink.layers))
        },
        |e| to_py(e, domain_argument),
    )?;
    let spec = spec.ok_or_else(|| {
        crate::errors::LogpruneError::new_err("internal error: the run never began")
    })?;
    let report = run_result
        .report
        .to_json()
        .map_err(|e| to_py(e, domain_argument))?;
    let ticket = logprune_construction::Ticket {
        spec,
        pruned: PrunedNetwork::new(layers).map_err(|e| to_py(e, domain_argument))?,
        stats: run_result.stats,
        form,
    };
    Ok(Ticket {
        inner: Arc::new(ticket),
        report: Some(report),
        graph: None,
    })
}

/// A pruned network Ĝ with what its ticket file records (G's spec, the fingerprint, the
/// oracle's counts) and, after a run, its report as JSON.
#[pyclass(module = "logprune._core", frozen)]
pub struct Ticket {
    inner: Arc<logprune_construction::Ticket>,
    report: Option<String>,
    /// A graph target's run, whose plan runs Ĝ forward.
    graph: Option<Arc<GraphPruning>>,
}

#[pymethods]
impl Ticket {
    /// Reads a ticket from its bytes, with every check of the format.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let ticket = py
            .detach(|| read_ticket(data))
            .map_err(|e| to_py(e, "input_box"))?;
        Ok(Ticket {
            inner: Arc::new(ticket),
            report: None,
            graph: None,
        })
    }

    /// The ticket file's bytes (those `logprune prune` writes for the same run), in the form
    /// the ticket was created or read in, or with the kept weights (format version 1) if
    /// `store_weights` is true, the mask alone (version 2) if false.
    #[pyo3(signature = (store_weights=None))]
    fn to_bytes<'py>(
        &self,
        py: Python<'py>,
        store_weights: Option<bool>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let t = Arc::clone(&self.inner);
        let form = store_weights.map_or(t.form, TicketForm::of_store_weights);
        let bytes = py
            .detach(move || ticket_bytes(&t.spec, &t.pruned, &t.stats, form))
            .map_err(|e| to_py(e, "input_box"))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// `compact` (format version 2, the mask alone) or `weights` (version 1): the form the
    /// ticket was created or read in, which `to_bytes` writes by default.
    #[getter]
    fn form(&self) -> &'static str {
        self.inner.form.name()
    }

    /// The run's report as JSON (`report.json`'s text), or None for a ticket read from bytes.
    #[getter]
    fn report_json(&self) -> Option<String> {
        self.report.clone()
    }

    /// The ticket's spec (its metadata) as JSON.
    #[getter]
    fn spec_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner.spec)
            .map_err(|e| crate::errors::LogpruneError::new_err(e.to_string()))
    }

    /// `n_0` of Ĝ (with the bias unit if the target has biases).
    #[getter]
    fn input_width(&self) -> usize {
        self.inner.pruned.input_width()
    }

    /// `n_ℓ`.
    #[getter]
    fn output_width(&self) -> usize {
        self.inner.pruned.output_width()
    }

    /// Whether Ĝ takes `(x, 1)` (the target's biases carried by a constant unit).
    #[getter]
    fn bias_unit(&self) -> bool {
        self.inner.spec.bias_unit
    }

    /// Whether Ĝ approximates a graph target (its layers are the graph's linear nodes).
    #[getter]
    fn is_graph(&self) -> bool {
        self.inner.spec.graph.is_some()
    }

    /// Kept intermediate neurons per layer.
    #[getter]
    fn kept_neurons(&self) -> Vec<u64> {
        self.inner.pruned.kept_neurons()
    }

    /// Kept output edges per layer.
    #[getter]
    fn kept_edges(&self) -> Vec<u64> {
        self.inner.pruned.kept_edges()
    }

    /// Ĝ on each row of `x` (`(batch, n_0)`, or `(batch, n_0 − 1)` for a ticket with the
    /// bias unit, which then gets its 1 appended): the literal network, or with
    /// `virtual=True` the virtual matrices. Returns `(batch, n_ℓ)`.
    #[pyo3(signature = (x, r#virtual=false))]
    fn forward<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
        r#virtual: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut rows = rows("x", &x)?;
        if self.inner.spec.graph.is_some() {
            return self.forward_graph(py, rows, r#virtual);
        }
        let n0 = self.inner.pruned.input_width();
        let given = rows.first().map_or(n0, Vec::len);
        if self.inner.spec.bias_unit && given + 1 == n0 {
            // Ĝ approximates F' = F with its biases carried by a constant input 1.
            for r in &mut rows {
                r.push(1.0);
            }
        } else if given != n0 {
            let unit = if self.inner.spec.bias_unit {
                format!(" (or {} without the bias unit)", n0 - 1)
            } else {
                String::new()
            };
            return Err(bad_argument(
                "x",
                format!("rows have {given} coordinates, expected {n0}{unit}"),
            ));
        }
        let t = Arc::clone(&self.inner);
        let out = py
            .detach(move || -> Result<Vec<Vec<f64>>, ConstructionError> {
                if r#virtual {
                    rows.par_iter()
                        .map(|r| t.pruned.forward_virtual(r))
                        .collect()
                } else {
                    // Rows are independent: chunks give the same values as one batch.
                    let chunks = rows
                        .par_chunks(256)
                        .map(|c| t.pruned.forward_batch(c))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(chunks.into_iter().flatten().collect())
                }
            })
            .map_err(|e| to_py(e, "x"))?;
        let batch = out.len();
        let n = self.inner.pruned.output_width();
        matrix(py, out.into_iter().flatten().collect(), batch, n)
    }

    /// `[(Ŵ⁺_1, Ŵ⁻_1), ...]`, dense `n_i × n_{i-1}` arrays (refused above 2 GiB).
    fn virtual_weights<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
        let layers = self.inner.pruned.layers();
        let bytes: f64 = layers
            .iter()
            .map(|l| 16.0 * l.n_in() as f64 * l.n_out() as f64)
            .sum();
        if bytes > DENSE_PRUNED_LIMIT {
            return Err(to_py(
                ConstructionError::DenseTooLarge {
                    what: "the virtual matrices",
                    bytes,
                    limit: DENSE_PRUNED_LIMIT,
                },
                "x",
            ));
        }
        let t = Arc::clone(&self.inner);
        let mats = py.detach(move || t.pruned.virtual_matrices());
        let row_major = |m: &dyn Fn(usize, usize) -> f64, r: usize, c: usize| {
            (0..r)
                .flat_map(|i| (0..c).map(move |j| (i, j)))
                .map(|(i, j)| m(i, j))
                .collect::<Vec<f64>>()
        };
        mats.iter()
            .map(|(p, m)| {
                let (r, c) = (p.nrows(), p.ncols());
                Ok((
                    matrix(py, row_major(&|i, j| p[(i, j)], r, c), r, c)?,
                    matrix(py, row_major(&|i, j| m[(i, j)], r, c), r, c)?,
                ))
            })
            .collect()
    }

    /// Ĝ as the `state_dict` of a bias-free `nn.Sequential(Linear, ReLU, Linear, σ_1, ...)`:
    /// `[(name, array), ...]` (refused above 2 GiB).
    fn dense_state_dict<'py>(&self, py: Python<'py>) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
        let tensors = self
            .inner
            .pruned
            .dense_tensors(DENSE_PRUNED_LIMIT)
            .map_err(|e| to_py(e, "x"))?;
        tensors
            .into_iter()
            .map(|(name, r, c, data)| Ok((name, matrix(py, data, r, c)?)))
            .collect()
    }

    /// Each layer's arrays, as the ticket file holds them: a dict with `n_in`, `n_out`,
    /// `activation` and the arrays `z`, `input`, `u` (per kept neuron), `edge_neuron`,
    /// `edge_output`, `edge_v` (per kept edge).
    fn layers<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.inner
            .pruned
            .layers()
            .iter()
            .map(|l| {
                let p = l.parts();
                let d = PyDict::new(py);
                d.set_item("n_in", l.n_in())?;
                d.set_item("n_out", l.n_out())?;
                d.set_item("activation", l.activation().to_string())?;
                d.set_item("z", PyArray1::from_slice(py, &p.z))?;
                d.set_item("input", PyArray1::from_slice(py, &p.input))?;
                d.set_item("u", PyArray1::from_slice(py, &p.u))?;
                let neuron: Vec<u32> = p
                    .start
                    .windows(2)
                    .enumerate()
                    .flat_map(|(k, w)| (w[0]..w[1]).map(move |_| k as u32))
                    .collect();
                d.set_item("edge_neuron", PyArray1::from_vec(py, neuron))?;
                d.set_item("edge_output", PyArray1::from_slice(py, &p.output))?;
                d.set_item("edge_v", PyArray1::from_slice(py, &p.v))?;
                Ok(d)
            })
            .collect()
    }

    /// Checks the ticket against `target` on its domain (`logprune_construction::verify`:
    /// the fingerprint, every kept weight re-derived from G, the certificate and the
    /// measurement recomputed, the accuracy required); returns the recomputed report as JSON.
    #[pyo3(signature = (target, *, input_box=None, inputs=None, threads=None, progress=None))]
    fn verify(
        &self,
        py: Python<'_>,
        target: &Target,
        input_box: Option<(f64, f64)>,
        inputs: Option<PyReadonlyArray2<'_, f64>>,
        threads: Option<usize>,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let rows = inputs.as_ref().map(|x| rows("inputs", x)).transpose()?;
        let (domain, domain_argument) = domain(target.input_width(), input_box, rows)?;
        let t = Arc::clone(&self.inner);
        let network = match &target.model {
            Model::Chain(n) => Arc::clone(n),
            Model::Graph(g) => {
                let graph = Arc::clone(g);
                let report = run(
                    py,
                    threads,
                    progress.as_ref(),
                    move |progress| {
                        let report = verify_graph_ticket(&t, &graph, &domain, progress)?;
                        report.verify()?;
                        Ok(report)
                    },
                    |e| to_py(e, domain_argument),
                )?;
                return report.to_json().map_err(|e| to_py(e, domain_argument));
            }
        };
        let report = run(
            py,
            threads,
            progress.as_ref(),
            move |progress| {
                let report = verify(&t, &network, &domain, progress)?;
                report.verify()?;
                Ok(report)
            },
            |e| to_py(e, domain_argument),
        )?;
        report.to_json().map_err(|e| to_py(e, domain_argument))
    }
}

impl Ticket {
    /// Ĝ of a graph target on rows (flattened `C × H × W`), through the run's plan.
    fn forward_graph<'py>(
        &self,
        py: Python<'py>,
        rows: Vec<Vec<f64>>,
        r#virtual: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let run = self.graph.as_ref().map(Arc::clone);
        let t = Arc::clone(&self.inner);
        let n0 = rows.first().map_or(0, Vec::len);
        let y = py
            .detach(move || {
                let x = faer::Mat::from_fn(n0, rows.len(), |b, k| rows[k][b]);
                match (&run, &t.spec.graph) {
                    // The run's plan is at hand.
                    (Some(p), _) if r#virtual => p.forward_virtual(x.as_ref()),
                    (Some(p), _) => p.forward_literal(x.as_ref()),
                    // A ticket read from a file: the graph from its metadata.
                    (None, Some(spec)) => logprune_construction::forward_graph_ticket(
                        spec,
                        &t.pruned,
                        x.as_ref(),
                        r#virtual,
                    ),
                    (None, None) => Err(ConstructionError::Ticket {
                        message: "not a graph ticket".to_owned(),
                    }),
                }
            })
            .map_err(|e| to_py(e, "x"))?;
        let (n, batch) = (y.nrows(), y.ncols());
        let data = (0..batch)
            .flat_map(|k| (0..n).map(move |a| (k, a)))
            .map(|(k, a)| y[(a, k)])
            .collect();
        matrix(py, data, batch, n)
    }
}
