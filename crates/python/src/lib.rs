//! `logprune._core`: the Rust extension under the Python package `logprune` (its Python
//! layer is `python/logprune/__init__.py`). It converts types and errors and calls the
//! library crates; no rule of the paper lives here:
//!
//! - [`bounds`]: `logprune bounds`'s numbers, from `logprune_bounds::Setting::report`;
//! - [`target`]: a target network from safetensors bytes or from named arrays in the
//!   `nn.Sequential` state_dict form, through `logprune_network::load_network`, and its
//!   domain;
//! - [`ticket`]: `prune` (through `logprune_construction::prune_into`, as the command line),
//!   and a ticket's reading, writing, forward passes, dense forms and verification;
//! - [`run`]: long work on a worker thread with the GIL released, progress reported to a
//!   Python callback from the calling thread, and Ctrl-C (`KeyboardInterrupt`) answered
//!   within a poll interval;
//! - [`errors`]: the exception classes and the mapping of the library's errors onto them.

mod bounds;
mod errors;
mod run;
mod target;
mod ticket;

use pyo3::prelude::*;

/// The module `logprune._core`.
#[pymodule]
#[pyo3(name = "_core")]
fn logprune_python(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(bounds::bounds, m)?)?;
    m.add_function(wrap_pyfunction!(ticket::prune, m)?)?;
    m.add_class::<target::Target>()?;
    m.add_class::<ticket::Ticket>()?;
    Ok(())
}
