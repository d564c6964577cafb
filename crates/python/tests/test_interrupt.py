"""Ctrl-C during a long prune: KeyboardInterrupt within about a second, the run stopped (no
CPU burnt after it), nothing written, and the next prune works."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import logprune
from conftest import mlp

#: A run of well over a minute on 2 cores (per-weight at the theorem's width, four layers of
#: 512, ε = 1e-5: a 256-wide target at 1e-4 finished in under 2 s on an idle machine); the
#: tests stop it.
LONG = dict(eps=1e-5, construction="per-weight", progress=False)
LONG_SD = mlp([512, 512, 512, 512, 10], seed=31)


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs POSIX signals")
def test_keyboard_interrupt_stops_a_long_prune_promptly(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a run that wrote anything would write here
    sent = []

    def interrupt():
        sent.append(time.monotonic())
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    # Python's own SIGINT handler, even where the process inherited SIGINT ignored (a CI
    # runner's non-interactive shell may start it so).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _interrupt_a_long_prune(tmp_path, interrupt, sent)
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupt_a_long_prune(tmp_path, interrupt, sent):
    timer = threading.Timer(1.0, interrupt)
    start = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        logprune.prune(LONG_SD, threads=2, **LONG)
    raised = time.monotonic()
    timer.join()
    assert sent, "the run ended before the signal: make LONG longer"
    latency = raised - sent[0]
    print(f"KeyboardInterrupt {latency * 1000:.0f} ms after SIGINT ({raised - start:.2f} s into the run)")
    assert latency < 1.0
    # The worker stops at its next progress report (the stretches without one, e.g. a
    # layer's assembly and check, last about a second here on an idle machine, a few on a busy
    # one): then the process is idle.
    idle = None
    while time.monotonic() - raised < 15.0:
        cpu = time.process_time()
        time.sleep(0.25)
        if time.process_time() - cpu < 0.025:
            idle = time.monotonic() - 0.25 - raised
            break
    assert idle is not None, "the cancelled run still burns CPU 15 s after KeyboardInterrupt"
    print(f"worker idle {idle:.2f} s after KeyboardInterrupt")
    assert os.listdir(tmp_path) == []
    # The package still works after a cancelled run.
    t = logprune.prune(mlp([3, 4, 2]), eps=0.1, progress=False)
    assert t.report["certified_bound"] <= 0.1


def test_the_long_run_is_long():
    """The interrupt test is meaningful only if LONG takes longer than its timer."""
    seen = []
    start = time.monotonic()

    def stop(stage, done, total):
        seen.append(stage)
        if time.monotonic() - start > 2.0:
            raise RuntimeError("still running after 2 s")

    with pytest.raises(RuntimeError, match="still running"):
        logprune.prune(LONG_SD, eps=LONG["eps"], construction=LONG["construction"], threads=2, progress=stop)
    assert "prune" in seen
