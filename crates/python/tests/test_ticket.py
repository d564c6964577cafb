"""Ticket.load, .forward, .verify, .save, the dense forms, and tampered tickets."""

import json
import os
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

import logprune
from conftest import REPO, mlp

SD = mlp([5, 7, 3], seed=11)


@pytest.fixture(scope="module")
def ticket():
    return logprune.prune(SD, eps=0.05, input_box=(0.0, 1.0), progress=False)


def test_forward_approximates_the_target(ticket):
    x = np.random.default_rng(0).uniform(0, 1, (200, 5))
    f = logprune.target(SD).forward(x)
    g = ticket.forward(x)
    assert g.shape == (200, 3)
    assert np.linalg.norm(f - g, axis=1).max() <= ticket.report["certified_bound"] <= 0.05
    v = ticket.forward(x, virtual=True)
    assert np.abs(v - g).max() <= 1e-12 * max(1.0, np.abs(g).max())
    # One input, and the input with its bias unit already appended.
    assert np.array_equal(ticket.forward(x[0]), g[0])
    assert np.array_equal(ticket.forward(np.hstack([x, np.ones((200, 1))])), g)
    assert ticket.bias_unit and ticket.input_width == 6


def test_save_load_verify(ticket, tmp_path):
    path, report = tmp_path / "t.safetensors", tmp_path / "report.json"
    ticket.save(path, report=report)
    assert sorted(os.listdir(tmp_path)) == ["report.json", "t.safetensors"]  # no temporaries
    t = logprune.Ticket.load(path, report=report)
    assert t.to_bytes() == ticket.to_bytes()
    assert t.report == json.loads(report.read_text())
    x = np.random.default_rng(1).uniform(0, 1, (50, 5))
    assert np.array_equal(t.forward(x), ticket.forward(x))
    r = t.verify(SD, input_box=(0.0, 1.0), progress=False)
    assert r["weights_verified"] == sum(ticket.kept_neurons) + sum(ticket.kept_edges)
    assert r["certified_bound"] == ticket.report["certified_bound"]
    # Without a report, the ticket is still checked and the recomputed report returned.
    assert logprune.Ticket.load(path).verify(SD, input_box=(0.0, 1.0), progress=False)["seed"] == 0


def test_verify_refuses_another_target_or_domain(ticket):
    other = mlp([5, 7, 3], seed=12)
    with pytest.raises(logprune.VerificationError, match="another target"):
        ticket.verify(other, input_box=(0.0, 1.0), progress=False)
    with pytest.raises(logprune.VerificationError, match="domain"):
        ticket.verify(SD, input_box=(-1.0, 1.0), progress=False)


def test_verify_compares_the_report(ticket):
    report = dict(ticket.report, certified_bound=0.001)
    with pytest.raises(logprune.VerificationError, match="certified_bound"):
        ticket.verify(SD, input_box=(0.0, 1.0), report=report, progress=False)


def _tampered(data: bytes, tensor: str, index: int, factor: float) -> bytes:
    """``data`` with element ``index`` of the F64 tensor ``tensor`` multiplied by ``factor``."""
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    start = 8 + n + header[tensor]["data_offsets"][0] + 8 * index
    value = struct.unpack("<d", data[start : start + 8])[0]
    return data[:start] + struct.pack("<d", value * factor) + data[start + 8 :]


@pytest.mark.parametrize("tensor", ["layer1.u", "layer2.edge_v"])
def test_a_tampered_weight_fails_verify(ticket, tensor):
    # A ticket with the weights (store_weights=True): a stored weight that is not G's.
    data = ticket.to_bytes(store_weights=True)
    bad = logprune.Ticket.from_bytes(_tampered(data, tensor, 0, 1.0000001))
    with pytest.raises(logprune.VerificationError, match="G's generator gives"):
        bad.verify(SD, input_box=(0.0, 1.0), progress=False)


def test_a_changed_index_of_a_compact_ticket_fails_verify(ticket):
    """A compact ticket stores no weight: a changed index is caught by the mask's own checks,
    which name the layer and the kept neuron's position."""
    data = ticket.to_bytes()
    assert ticket.form == "compact"
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    entry = header["layer1.input"]
    assert entry["dtype"] == "U8"  # 6 inputs with the bias unit
    start = 8 + n + entry["data_offsets"][0]
    bad = bytearray(data)
    bad[start] = (bad[start] + 1) % 6
    t = logprune.Ticket.from_bytes(bytes(bad))
    with pytest.raises(logprune.VerificationError, match="layer 1: kept neuron at position 0"):
        t.verify(SD, input_box=(0.0, 1.0), progress=False)


def test_a_broken_ticket_is_refused_on_load(ticket, tmp_path):
    data = ticket.to_bytes()
    with pytest.raises(logprune.TicketError):
        logprune.Ticket.from_bytes(data[:-8])
    with pytest.raises(logprune.TicketError):
        logprune.Ticket.from_bytes(b"not a ticket at all")
    with pytest.raises(logprune.TicketError, match="finite"):
        logprune.Ticket.from_bytes(
            _tampered(ticket.to_bytes(store_weights=True), "layer1.u", 0, float("nan"))
        )
    p = tmp_path / "x.safetensors"
    p.write_bytes(b"\0" * 3)
    with pytest.raises(logprune.TicketError):
        logprune.Ticket.load(p)


def test_dense_forms(ticket):
    sd = ticket.dense_state_dict()
    assert sorted(sd) == ["0.weight", "2.weight", "4.weight", "6.weight"]
    x = np.hstack([np.random.default_rng(2).uniform(0, 1, (20, 5)), np.ones((20, 1))])
    h = x
    for k in range(2):
        h = np.maximum(h @ sd[f"{4 * k}.weight"].T, 0.0) @ sd[f"{4 * k + 2}.weight"].T
        if k == 0:
            h = np.maximum(h, 0.0)
    assert np.allclose(h, ticket.forward(x), rtol=1e-12, atol=1e-12)
    (p1, m1), (p2, m2) = ticket.virtual_weights()
    widths = ticket.spec["target_widths"]  # F′: the bias unit is carried through the layers
    assert p1.shape == (widths[1], widths[0]) and m2.shape == (widths[2], widths[1])
    w = SD["0.weight"].astype(np.float64)
    # Ŵ⁺ is within ε_w/2 of the target's weights (with the bias column; on [0, 1] no Ŵ⁻ is needed).
    eps_w = ticket.report["epsilon_w"]
    assert np.abs(p1[:7, :5] - w).max() <= eps_w / 2
    assert np.abs(p1[:7, 5] - SD["0.bias"]).max() <= eps_w / 2


def test_layers_arrays(ticket):
    layers = ticket.layers()
    assert [l["n_in"] for l in layers] == ticket.spec["target_widths"][:-1]
    assert [len(l["z"]) for l in layers] == ticket.kept_neurons
    assert [len(l["edge_v"]) for l in layers] == ticket.kept_edges
    assert layers[0]["activation"] == "relu" and layers[1]["activation"] == "identity"


def test_independent_numpy_reader_agrees(ticket, tmp_path):
    """python/logprune_ticket.py is kept as an independent reader (numpy and safetensors): it
    must read the package's tickets and compute the same Ĝ."""
    pytest.importorskip("safetensors", reason="the independent reader needs safetensors")
    sys.path.insert(0, str(REPO / "python"))
    try:
        import logprune_ticket
    finally:
        sys.path.pop(0)
    path = tmp_path / "t.safetensors"
    ticket.save(path)  # compact (format version 2): the reader re-derives the weights
    ref = logprune_ticket.Ticket.load(str(path))
    assert ref.format_version == 2
    x = np.random.default_rng(3).uniform(0, 1, (40, 5))
    assert np.array_equal(ref.forward(ref.append_bias_unit(x)), ticket.forward(x))
    for (p, m), (rp, rm) in zip(ticket.virtual_weights(), ref.virtual_matrices()):
        assert np.array_equal(p, rp) and np.array_equal(m, rm)
    dense = ref.dense_state_dict()
    for k, v in ticket.dense_state_dict().items():
        assert np.array_equal(v, dense[k])
