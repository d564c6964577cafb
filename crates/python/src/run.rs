//! Long work off the calling thread: the library runs on a worker thread (in a rayon pool
//! of `threads` threads when asked), with the GIL released; the calling thread waits on a
//! channel in slices of [`POLL`], and between slices takes the GIL to report progress to a
//! Python callback and to run Python's signal handlers (`Python::check_signals`), so Ctrl-C
//! raises `KeyboardInterrupt` within a slice.
//!
//! Cancelling: the library's `Progress` hook cannot return an error, so on `KeyboardInterrupt`
//! (or an exception from the callback) the caller returns at once and sets a flag that the
//! worker's [`Shared::advance`] and [`Shared::start`] answer by unwinding with a
//! [`Cancelled`] payload (`std::panic::resume_unwind`, which runs no panic hook and prints
//! nothing). The unwinding stops the run at its next progress report, whichever thread
//! (rayon propagates it to the worker, which catches it); nothing the run made is kept and
//! nothing was written (the library writes no file).

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use logprune_construction::{ConstructionError, Progress};
use pyo3::prelude::*;

use crate::errors::{LogpruneError, bad_argument};

/// How long the calling thread waits for the worker between two looks at signals and
/// progress.
const POLL: Duration = Duration::from_millis(50);

/// The payload of the unwinding that stops a cancelled run.
struct Cancelled;

/// What the worker and the calling thread share: the current stage and its counts, and the
/// cancel flag.
#[derive(Default)]
pub(crate) struct Shared {
    stage: Mutex<(String, u64)>,
    done: AtomicU64,
    /// Incremented at each stage start, so the caller sees a new stage even with equal counts.
    generation: AtomicU64,
    cancel: AtomicBool,
}

impl Shared {
    fn stop_if_cancelled(&self) {
        if self.cancel.load(Ordering::Relaxed) {
            resume_unwind(Box::new(Cancelled));
        }
    }

    /// `(generation, stage, done, total)`.
    fn snapshot(&self) -> (u64, String, u64, u64) {
        let generation = self.generation.load(Ordering::Acquire);
        let (stage, total) = self
            .stage
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        (generation, stage, self.done.load(Ordering::Relaxed), total)
    }
}

impl Progress for Shared {
    fn start(&self, stage: &str, total: u64) {
        self.stop_if_cancelled();
        *self
            .stage
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = (stage.to_owned(), total);
        self.done.store(0, Ordering::Relaxed);
        self.generation.fetch_add(1, Ordering::Release);
    }

    fn advance(&self, n: u64) {
        self.stop_if_cancelled();
        self.done.fetch_add(n, Ordering::Relaxed);
    }
}

/// The message of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Runs `work` on a worker thread (in a pool of `threads` threads if given) while the calling
/// thread, GIL released, waits for it; calls `progress(stage, done, total)` when the counts
/// change and checks for signals every [`POLL`]. Returns `work`'s result, its error mapped by
/// `to_py`, or the `KeyboardInterrupt` (or the callback's exception) that stopped it.
pub(crate) fn run<T, W, M>(
    py: Python<'_>,
    threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
    work: W,
    to_py: M,
) -> PyResult<T>
where
    T: Send + 'static,
    W: FnOnce(&Shared) -> Result<T, ConstructionError> + Send + 'static,
    M: FnOnce(ConstructionError) -> PyErr,
{
    let pool = match threads {
        Some(0) => return Err(bad_argument("threads", "0 is invalid: expected at least 1")),
        Some(n) => Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .thread_name(|k| format!("logprune-{k}"))
                .build()
                .map_err(|e| LogpruneError::new_err(format!("cannot start {n} threads: {e}")))?,
        ),
        None => None,
    };
    let shared = Arc::new(Shared::default());
    let (tx, rx) = channel();
    let worker_shared = Arc::clone(&shared);
    std::thread::Builder::new()
        .name("logprune-run".to_owned())
        .spawn(move || {
            let s = &*worker_shared;
            let result = catch_unwind(AssertUnwindSafe(|| match &pool {
                Some(p) => p.install(|| work(s)),
                None => work(s),
            }));
            // The caller may have gone (cancelled): nobody to tell then.
            let _ = tx.send(result);
        })
        .map_err(|e| LogpruneError::new_err(format!("cannot start the worker thread: {e}")))?;
    let cancel = |e: PyErr| {
        shared.cancel.store(true, Ordering::Relaxed);
        e
    };
    let mut seen = (0, 0);
    let mut rx = rx;
    loop {
        // The receiver goes into the GIL-free closure and back (it is not `Sync`).
        let (got, back) = py.detach(move || (rx.recv_timeout(POLL), rx));
        rx = back;
        match got {
            Ok(Ok(Ok(value))) => {
                // The last counts, so a short run still shows its stages.
                if let Some(callback) = progress {
                    let (generation, stage, done, total) = shared.snapshot();
                    if (generation, done) != seen && !stage.is_empty() {
                        callback.call1((stage, done, total))?;
                    }
                }
                return Ok(value);
            }
            Ok(Ok(Err(e))) => return Err(to_py(e)),
            Ok(Err(payload)) => {
                if payload.downcast_ref::<Cancelled>().is_some() {
                    return Err(LogpruneError::new_err("the run was cancelled"));
                }
                return Err(LogpruneError::new_err(format!(
                    "internal error (a bug in logprune, please report it): {}",
                    panic_message(&*payload)
                )));
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(LogpruneError::new_err(
                    "internal error: the worker thread ended without a result",
                ));
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        py.check_signals().map_err(cancel)?;
        if let Some(callback) = progress {
            let (generation, stage, done, total) = shared.snapshot();
            if (generation, done) != seen && !stage.is_empty() {
                seen = (generation, done);
                callback.call1((stage, done, total)).map_err(cancel)?;
            }
        }
    }
}
