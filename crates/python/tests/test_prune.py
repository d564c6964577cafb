"""logprune.prune against `logprune prune`: the same ticket, byte for byte, and the same
report (timings aside)."""

import json

import numpy as np
import pytest

import logprune
from conftest import mlp, run_cli, write_safetensors


def cli_prune(cli, tmp_path, sd, *flags):
    model = tmp_path / "model.safetensors"
    write_safetensors(model, sd)
    out = tmp_path / "out"
    run_cli(cli, "prune", "--target", str(model), "--out", str(out), "--quiet", *flags)
    return (out / "ticket.safetensors").read_bytes(), json.loads((out / "report.json").read_text())


def without_seconds(report):
    return {k: v for k, v in report.items() if k != "seconds"}


CASES = [
    # (flags, kwargs)
    (["--eps", "0.05"], dict(eps=0.05)),
    (
        ["--eps", "0.02", "--input-box", "0,1", "--construction", "shared-input", "--solver", "best-fit",
         "--tolerance-rule", "recurrence", "--seed", "3"],
        dict(eps=0.02, input_box=(0, 1), construction="shared-input", solver="best-fit",
             tolerance_rule="recurrence", seed=3),
    ),
    (
        ["--weight-tolerance", "0.01", "--construction", "batch", "--distribution", "uniform",
         "--dist-scale", "0.5", "--solver", "best-fit"],
        dict(weight_tolerance=0.01, construction="batch", distribution="uniform", dist_scale=0.5,
             solver="best-fit"),
    ),
    (
        ["--eps", "0.05", "--construction", "recycling", "--search-width", "--generator", "philox-v1"],
        dict(eps=0.05, construction="recycling", search_width=True, generator="philox-v1"),
    ),
    (["--eps", "0.05", "--store-weights"], dict(eps=0.05, store_weights=True)),
]


@pytest.mark.parametrize(
    "flags, kwargs", CASES, ids=["default", "shared-input", "weight-tolerance", "search-width", "store-weights"]
)
def test_state_dict_gives_the_command_lines_ticket(cli, tmp_path, flags, kwargs):
    sd = mlp([5, 6, 3], seed=1)
    expected, report = cli_prune(cli, tmp_path, sd, *flags)
    t = logprune.prune(sd, progress=False, **kwargs)
    assert t.to_bytes() == expected
    assert without_seconds(t.report) == without_seconds(report)
    # And through a file, as the command line reads it.
    t2 = logprune.prune(tmp_path / "model.safetensors", progress=False, **kwargs)
    assert t2.to_bytes() == expected


def test_inputs_rows_give_the_command_lines_ticket(cli, tmp_path):
    sd = mlp([4, 5, 2], seed=2, bias=False, dtype=np.float64)
    rows = np.random.default_rng(7).uniform(-1, 1, (30, 4))
    csv = tmp_path / "rows.csv"
    csv.write_text("\n".join(",".join(repr(float(v)) for v in r) for r in rows) + "\n")
    expected, _ = cli_prune(cli, tmp_path, sd, "--eps", "0.05", "--inputs", str(csv), "--hidden-activation", "tanh")
    t = logprune.prune(sd, eps=0.05, inputs=rows, hidden_activation="tanh", progress=False)
    assert t.to_bytes() == expected
    assert t.report["domain"] == "points"


def test_threads_do_not_change_the_ticket():
    sd = mlp([6, 8, 3], seed=4)
    one = logprune.prune(sd, eps=0.05, threads=1, progress=False).to_bytes()
    two = logprune.prune(sd, eps=0.05, threads=2, progress=False).to_bytes()
    assert one == two


def test_progress_callback_sees_the_stages():
    seen = []
    sd = mlp([8, 16, 4], seed=5)
    logprune.prune(sd, eps=0.01, progress=lambda s, d, t: seen.append((s, d, t)))
    stages = {s for s, _, _ in seen}
    assert stages <= {"prune", "check", "search"} and stages, seen
    for s, d, t in seen:
        assert 0 <= d <= t


def test_progress_default_draws_without_tqdm_or_with(capsys):
    sd = mlp([3, 4, 2], seed=6)
    logprune.prune(sd, eps=0.1)  # the default bar: must not fail, whatever is installed
    logprune.prune(sd, eps=0.1, progress=False)
    assert capsys.readouterr().out == ""


def test_the_gil_is_released_while_rust_works():
    import threading
    import time

    ticks, stop = [], threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    th = threading.Thread(target=spin)
    th.start()
    start = time.monotonic()
    logprune.prune(mlp([64, 64, 64, 10], seed=8), eps=1e-4, threads=1, progress=False)
    seconds = time.monotonic() - start
    stop.set()
    th.join()
    during = [t for t in ticks if start <= t <= start + seconds]
    # A Python thread keeps running: at least one tick per 10 ms of the run.
    assert seconds > 0.1 and len(during) >= seconds / 0.01, (len(during), seconds)


def test_the_form_follows_store_weights_and_save_keeps_it(cli, tmp_path):
    sd = mlp([5, 6, 3], seed=1)
    compact, report = cli_prune(cli, tmp_path, sd, "--eps", "0.05")
    assert report["ticket_form"] == "compact"
    t = logprune.prune(sd, eps=0.05, progress=False)
    assert t.form == "compact" and t.report["ticket_form"] == "compact"
    weights = t.to_bytes(store_weights=True)
    assert len(compact) < len(weights)
    assert t.to_bytes(store_weights=False) == t.to_bytes() == compact
    # Loaded tickets keep their form when saved; store_weights switches it, the report too.
    for data, form in [(compact, "compact"), (weights, "weights")]:
        loaded = logprune.Ticket.from_bytes(data)
        assert loaded.form == form and loaded.to_bytes() == data
        assert np.array_equal(loaded.forward(np.ones((2, 5))), t.forward(np.ones((2, 5))))
    t.save(tmp_path / "w.safetensors", report=tmp_path / "w.json", store_weights=True)
    assert (tmp_path / "w.safetensors").read_bytes() == weights
    assert json.loads((tmp_path / "w.json").read_text())["ticket_form"] == "weights"
    w = logprune.Ticket.load(tmp_path / "w.safetensors", report=tmp_path / "w.json")
    w.verify(sd, progress=False)
