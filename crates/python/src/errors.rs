//! The exceptions of `logprune` and the mapping of the library's errors onto them: bad
//! arguments become `ValueError` with the argument's name in front of the library's message;
//! run failures become a subclass of `LogpruneError`, with the library's message.

use logprune_construction::ConstructionError;
use pyo3::exceptions::{PyException, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::{PyErr, create_exception};

create_exception!(
    logprune,
    LogpruneError,
    PyException,
    "A pruning run or a check failed (the message is the library's)."
);
create_exception!(
    logprune,
    MemoryBudgetError,
    LogpruneError,
    "The run's memory estimate exceeds `max_memory`, or an output would be too large; refused before any large allocation."
);
create_exception!(
    logprune,
    UndecomposableError,
    LogpruneError,
    "Some target weights could not be decomposed from the neurons G gives them: G is too small for this seed (a larger width, or `search_width=True`)."
);
create_exception!(
    logprune,
    NotWithinAccuracyError,
    LogpruneError,
    "The pruned network is not certified within ε (or not within the weight tolerance): nothing is returned."
);
create_exception!(
    logprune,
    TicketError,
    LogpruneError,
    "A ticket file was refused: not a logprune ticket, an unsupported version, or arrays that break the format's invariants."
);
create_exception!(
    logprune,
    VerificationError,
    LogpruneError,
    "A ticket failed its verification: pruned for another target (fingerprint), a kept weight that is not G's, or a recomputed report that differs."
);

/// Adds the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("LogpruneError", py.get_type::<LogpruneError>())?;
    m.add("MemoryBudgetError", py.get_type::<MemoryBudgetError>())?;
    m.add("UndecomposableError", py.get_type::<UndecomposableError>())?;
    m.add(
        "NotWithinAccuracyError",
        py.get_type::<NotWithinAccuracyError>(),
    )?;
    m.add("TicketError", py.get_type::<TicketError>())?;
    m.add("VerificationError", py.get_type::<VerificationError>())?;
    Ok(())
}

/// `ValueError("{argument}: {message}")`.
pub(crate) fn bad_argument(argument: &str, message: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{argument}: {message}"))
}

/// The Python exception of a library error. `domain` names the argument that gave the
/// domain (`inputs` or `input_box`), for the errors about it.
pub(crate) fn to_py(e: ConstructionError, domain: &str) -> PyErr {
    use ConstructionError as E;
    let message = e.to_string();
    let argument = match &e {
        E::InvalidEps { .. } => Some("eps"),
        E::InvalidDelta { .. } => Some("delta"),
        E::InvalidWeightTolerance { .. } => Some("weight_tolerance"),
        E::InvalidNeuronsPerWeight { .. } => Some("neurons_per_weight"),
        E::InvalidNeuronsPerInput { .. } => Some("neurons_per_input"),
        E::WidthOption { option, .. } if option.contains("input") => Some("neurons_per_input"),
        E::WidthOption { .. } => Some("neurons_per_weight"),
        E::InvalidDistributionParameter { .. } => Some("dist_scale"),
        E::InvalidWidthScale { .. } => Some("width_scale"),
        E::InvalidWMax { .. } | E::WMaxBelowTarget { .. } => Some("w_max"),
        E::ZeroTarget | E::Network(_) => Some("target"),
        E::EmptyDomain | E::DomainDimension { .. } | E::Interval(_) => Some(domain),
        E::InputLength { .. } | E::NonFiniteInput { .. } => Some(domain),
        E::ParseName(p) => Some(match p.what {
            "construction" => "construction",
            "solver" => "solver",
            "distribution" => "distribution",
            "tolerance rule" => "tolerance_rule",
            "generator" => "generator",
            _ => "argument",
        }),
        _ => None,
    };
    if let Some(argument) = argument {
        return bad_argument(argument, message);
    }
    match e {
        E::MemoryBudget { .. }
        | E::OutOfMemory { .. }
        | E::DenseTooLarge { .. }
        | E::TooLarge { .. } => MemoryBudgetError::new_err(message),
        E::Undecomposable { .. } | E::TooManyCandidates { .. } => {
            UndecomposableError::new_err(message)
        }
        E::NotWithinEps { .. } | E::NotWithinTolerance { .. } => {
            NotWithinAccuracyError::new_err(message)
        }
        E::Ticket { .. } => TicketError::new_err(message),
        E::FingerprintMismatch { .. }
        | E::WeightMismatch { .. }
        | E::NotAnEdge { .. }
        | E::MaskViolation { .. }
        | E::DecompositionOffTolerance { .. }
        | E::InvalidKeptNeuron { .. } => VerificationError::new_err(message),
        E::Io { .. } => PyOSError::new_err(message),
        _ => LogpruneError::new_err(message),
    }
}
