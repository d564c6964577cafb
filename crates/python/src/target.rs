//! A target network F and its input domain, as the command line reads them: safetensors
//! bytes through `logprune_network::load_network`, or named arrays written to safetensors
//! bytes first (`write_tensors`) so that the same reader, with its layer order and its
//! checks, makes the network; ONNX bytes through `logprune_onnx::import` (an MLP, or a graph
//! with convolutions, pooling or residual adds).

use std::sync::Arc;

use logprune_construction::Domain;
use logprune_network::{
    Activation, Graph, LoadOptions, NamedTensor, Network, load_network, write_tensors,
};
use logprune_onnx::{ImportOptions, import};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray2, PyReadonlyArrayDyn};
use pyo3::prelude::*;

use crate::errors::bad_argument;

/// An activation by its command-line name, refused naming `argument`.
fn activation(argument: &str, name: &str) -> PyResult<Activation> {
    name.parse::<Activation>()
        .map_err(|e| bad_argument(argument, e))
}

/// The load options of the two activation names.
fn options(hidden: &str, output: &str) -> PyResult<LoadOptions> {
    Ok(LoadOptions {
        hidden_activation: activation("hidden_activation", hidden)?,
        output_activation: activation("output_activation", output)?,
    })
}

/// Rows of a 2-D array, refused naming `argument` when empty.
pub(crate) fn rows(argument: &str, x: &PyReadonlyArray2<'_, f64>) -> PyResult<Vec<Vec<f64>>> {
    let a = x.as_array();
    if a.ncols() == 0 {
        return Err(bad_argument(argument, "the rows have no coordinates"));
    }
    Ok(a.rows().into_iter().map(|r| r.to_vec()).collect())
}

/// A row-major `rows × cols` array.
pub(crate) fn matrix<'py>(
    py: Python<'py>,
    data: Vec<f64>,
    rows: usize,
    cols: usize,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyArray1::from_vec(py, data)
        .reshape([rows, cols])?
        .into_any())
}

/// What a target is: a chain of dense layers, or a graph (convolutions, pooling, residual
/// adds) from ONNX.
#[derive(Clone)]
pub(crate) enum Model {
    /// An MLP (`σ_i(W_i x + b_i)` per layer).
    Chain(Arc<Network>),
    /// A graph target.
    Graph(Arc<Graph>),
}

/// A target network F: an MLP (PyTorch `nn.Sequential` convention: layer `i` computes
/// `σ_i(W_i x + b_i)`), or a graph imported from ONNX.
#[pyclass(module = "logprune._core", frozen)]
pub struct Target {
    pub(crate) model: Model,
}

impl Target {
    fn chain(network: Network) -> Self {
        Target {
            model: Model::Chain(Arc::new(network)),
        }
    }

    /// `n_0`: the input width (a graph's flattened `C × H × W`).
    pub(crate) fn input_width(&self) -> usize {
        match &self.model {
            Model::Chain(n) => n.input_width(),
            Model::Graph(g) => g.input_shape().len(),
        }
    }

    /// The MLP, or a `ValueError` naming `argument` for a graph target.
    fn network(&self, what: &str) -> PyResult<&Arc<Network>> {
        match &self.model {
            Model::Chain(n) => Ok(n),
            Model::Graph(_) => Err(bad_argument(
                "target",
                format!(
                    "a graph target (convolutions, pooling or residual adds): {what} takes an MLP"
                ),
            )),
        }
    }
}

#[pymethods]
impl Target {
    /// The network in safetensors `data` (the bytes of a `state_dict` saved with
    /// `safetensors.torch.save_file`), with the given activations.
    #[staticmethod]
    fn from_safetensors(
        data: &[u8],
        hidden_activation: &str,
        output_activation: &str,
    ) -> PyResult<Self> {
        let options = options(hidden_activation, output_activation)?;
        let network = load_network(data, &options).map_err(|e| bad_argument("target", e))?;
        Ok(Target::chain(network))
    }

    /// The target in ONNX `data` (what `torch.onnx.export` writes): an MLP, or a graph.
    #[staticmethod]
    fn from_onnx(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let graph = py
            .detach(|| import(data, &ImportOptions::default()))
            .map_err(|e| bad_argument("target", e))?;
        Ok(match graph.to_network() {
            Ok(Some(network)) => Target::chain(network),
            _ => Target {
                model: Model::Graph(Arc::new(graph)),
            },
        })
    }

    /// The network of named float64 arrays (`0.weight` of shape `(out, in)`, optional
    /// `0.bias`, ...: a `state_dict`), with the given activations.
    #[staticmethod]
    fn from_tensors(
        tensors: Vec<(String, PyReadonlyArrayDyn<'_, f64>)>,
        hidden_activation: &str,
        output_activation: &str,
    ) -> PyResult<Self> {
        let options = options(hidden_activation, output_activation)?;
        let named = tensors
            .iter()
            .map(|(name, a)| {
                let a = a.as_array();
                NamedTensor::f64(
                    name.clone(),
                    a.shape().to_vec(),
                    a.iter().copied().collect(),
                )
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad_argument("target", e))?;
        let bytes = write_tensors(&named).map_err(|e| bad_argument("target", e))?;
        let network = load_network(&bytes, &options).map_err(|e| bad_argument("target", e))?;
        Ok(Target::chain(network))
    }

    /// Whether this is a graph target (from ONNX, with convolutions, pooling or residual adds).
    #[getter]
    fn is_graph(&self) -> bool {
        matches!(self.model, Model::Graph(_))
    }

    /// `n_0`, the input width (a graph's flattened `C × H × W`).
    #[getter]
    fn n_inputs(&self) -> usize {
        self.input_width()
    }

    /// `[n_0, ..., n_ℓ]` of an MLP.
    #[getter]
    fn widths(&self) -> PyResult<Vec<usize>> {
        Ok(self.network("widths")?.architecture().widths().to_vec())
    }

    /// The activation of each layer of an MLP, by name (`relu`, `leaky-relu:0.1`, ...).
    #[getter]
    fn activations(&self) -> PyResult<Vec<String>> {
        Ok(self
            .network("activations")?
            .architecture()
            .activations()
            .iter()
            .map(ToString::to_string)
            .collect())
    }

    /// Whether some layer of an MLP has a bias (Ĝ then takes `(x, 1)`).
    #[getter]
    fn has_bias(&self) -> PyResult<bool> {
        Ok(self.network("has_bias")?.has_bias())
    }

    /// F on each row of `x` (`(batch, n_0)`); returns `(batch, n_ℓ)`.
    fn forward<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rows = rows("x", &x)?;
        let network = Arc::clone(self.network("forward")?);
        let n = network.output_width();
        let out = py
            .detach(move || {
                rows.iter()
                    .map(|r| network.forward(r))
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| bad_argument("x", e))?;
        let batch = out.len();
        matrix(py, out.into_iter().flatten().collect(), batch, n)
    }
}

/// The domain of a run: `inputs` rows, or the box `[lo, hi]^{n_0}` (default `[-1, 1]`).
pub(crate) fn domain(
    n0: usize,
    input_box: Option<(f64, f64)>,
    inputs: Option<Vec<Vec<f64>>>,
) -> PyResult<(Domain, &'static str)> {
    match (inputs, input_box) {
        (Some(_), Some(_)) => Err(bad_argument(
            "inputs",
            "give either inputs or input_box, not both",
        )),
        (Some(rows), None) => {
            if let Some(r) = rows.first()
                && r.len() != n0
            {
                return Err(bad_argument(
                    "inputs",
                    format!(
                        "rows have {} coordinates, expected the target's input width n_0 = {n0}",
                        r.len()
                    ),
                ));
            }
            Ok((
                Domain::points(rows).map_err(|e| bad_argument("inputs", e))?,
                "inputs",
            ))
        }
        (None, b) => {
            let (lo, hi) = b.unwrap_or((-1.0, 1.0));
            Ok((
                Domain::cube(n0, lo, hi).map_err(|e| bad_argument("input_box", e))?,
                "input_box",
            ))
        }
    }
}
