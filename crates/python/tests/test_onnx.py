"""ONNX targets (the committed fixtures of data/models/): an ONNX MLP and a small CNN pruned
from Python give the command line's ticket byte for byte; the CNN's ticket verifies, and a
tampered one does not."""

import json

import numpy as np
import pytest

import logprune
from conftest import REPO, run_cli

MODELS = REPO / "data" / "models"


def cli_prune(cli, tmp_path, model, *flags):
    out = tmp_path / "out"
    run_cli(cli, "prune", "--target", str(model), "--out", str(out), "--quiet", *flags)
    return (out / "ticket.safetensors").read_bytes(), json.loads((out / "report.json").read_text())


def test_onnx_mlp_gives_the_command_lines_ticket(cli, tmp_path):
    model = MODELS / "mlp_matmul.onnx"
    expected, report = cli_prune(cli, tmp_path, model, "--eps", "0.01")
    t = logprune.prune(model, eps=0.01, progress=False)
    assert not t.is_graph
    assert t.to_bytes() == expected
    assert {k: v for k, v in t.report.items() if k != "seconds"} == {
        k: v for k, v in report.items() if k != "seconds"
    }


@pytest.fixture(scope="module")
def cnn():
    return logprune.prune(MODELS / "cnn_small_relu.onnx", eps=0.01, input_box=(0.0, 1.0), progress=False)


def test_onnx_cnn_gives_the_command_lines_ticket(cli, tmp_path, cnn):
    expected, report = cli_prune(cli, tmp_path, MODELS / "cnn_small_relu.onnx", "--eps", "0.01", "--input-box", "0,1")
    assert cnn.is_graph
    assert cnn.to_bytes() == expected
    assert cnn.report["target_kind"] == "graph"
    assert cnn.report["certified_bound"] == report["certified_bound"]


def test_onnx_cnn_forward_verify_and_tamper(cnn):
    target = logprune.target(MODELS / "cnn_small_relu.onnx")
    assert target.is_graph
    x = np.random.default_rng(0).uniform(0, 1, (8, target.n_inputs))
    y = cnn.forward(x)
    v = cnn.forward(x, virtual=True)
    assert y.shape[0] == 8 and np.abs(y - v).max() <= 1e-9 * max(1.0, np.abs(y).max())
    r = logprune.Ticket.from_bytes(cnn.to_bytes()).verify(
        MODELS / "cnn_small_relu.onnx", input_box=(0.0, 1.0), report=cnn.report, progress=False
    )
    assert r["certified_bound"] <= 0.01
    # A ticket read back runs Ĝ from its own metadata: the same outputs as the run's.
    loaded = logprune.Ticket.from_bytes(cnn.to_bytes())
    assert np.array_equal(loaded.forward(x), y)
    assert np.array_equal(loaded.forward(x, virtual=True), v)
    with pytest.raises(logprune.VerificationError):
        cnn.verify(MODELS / "cnn_small_tanh.onnx", input_box=(0.0, 1.0), progress=False)
    with pytest.raises(ValueError, match="^search_width"):
        logprune.prune(MODELS / "cnn_small_relu.onnx", eps=0.01, search_width=True, progress=False)
    with pytest.raises(ValueError, match="^to_torch"):
        cnn.to_torch()


def test_bad_onnx_is_a_value_error(tmp_path):
    p = tmp_path / "bad.onnx"
    p.write_bytes(b"\x08\x07garbage")
    with pytest.raises(ValueError, match="^target"):
        logprune.prune(p, eps=0.01, progress=False)
