//! The progress bar of long runs: one stage at a time (`prune` in target weights, `check` in
//! inputs, `write` in bytes), with an ETA, drawn on stderr once a run has taken a second, and
//! never with `--quiet`.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use logprune_construction::Progress;

/// The bar (see the [module documentation](self)).
pub struct Bar {
    bar: ProgressBar,
    start: Instant,
    quiet: bool,
    shown: AtomicBool,
}

impl Bar {
    /// A hidden bar that shows itself after a second, unless `quiet`.
    pub fn new(quiet: bool) -> Self {
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>6} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar {
            bar,
            start: Instant::now(),
            quiet,
            shown: AtomicBool::new(false),
        }
    }

    fn maybe_show(&self) {
        if !self.quiet
            && self.start.elapsed() > Duration::from_secs(1)
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn start(&self, stage: &str, total: u64) {
        self.bar.set_message(stage.to_owned());
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.bar.reset_eta();
        self.maybe_show();
    }

    fn advance(&self, n: u64) {
        self.bar.inc(n);
        self.maybe_show();
    }
}

/// A writer that advances a [`Progress`] by the bytes it writes.
pub struct Counting<'a, W> {
    inner: W,
    progress: &'a dyn Progress,
}

impl<'a, W: Write> Counting<'a, W> {
    /// Counts the bytes written to `inner` on `progress`.
    pub fn new(inner: W, progress: &'a dyn Progress) -> Self {
        Counting { inner, progress }
    }
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
