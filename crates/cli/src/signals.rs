//! SIGINT and SIGTERM: a command stopped by either (Ctrl-C; `scancel` or a SLURM time limit)
//! removes its temporaries and the directories it created for them, leaves `--out` as it
//! was, says so in one line and exits with `128 + signal` (130 or 143).
//!
//! A thread waits for the signal ([`signal_hook::iterator::Signals`], which records it in
//! the handler and wakes the thread through a pipe: nothing but async-signal-safe work runs
//! in the handler) and then calls [`crate::fsutil::remove_pending_and_exit`], so the run
//! stops within milliseconds whatever stage it is in (planning, a long layer of the oracle,
//! the check, writing), without each stage having to poll a flag.

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// The name of a signal this module handles.
fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// Installs the handling of SIGINT and SIGTERM described in the [module docs](self).
///
/// # Errors
/// The operating system's message if the handlers or the thread cannot be set up (the
/// signals then keep their default action: the process ends at once).
pub fn install() -> Result<(), String> {
    let mut signals = Signals::new([SIGINT, SIGTERM])
        .map_err(|e| format!("cannot handle SIGINT and SIGTERM: {e}"))?;
    std::thread::Builder::new()
        .name("logprune-signals".to_owned())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let code = 128 + signal;
                crate::fsutil::remove_pending_and_exit(
                    &format!("error: stopped by {} (exit {code})", name(signal)),
                    code,
                );
            }
        })
        .map_err(|e| format!("cannot handle SIGINT and SIGTERM: {e}"))?;
    Ok(())
}
