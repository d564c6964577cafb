"""Bad arguments raise ValueError naming the argument; failed runs raise LogpruneError
subclasses with the library's message."""

import numpy as np
import pytest

import logprune
from conftest import mlp

SD = mlp([3, 4, 2], seed=21)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        (dict(eps=-1), "eps"),
        (dict(eps=float("nan")), "eps"),
        (dict(eps=0.1, weight_tolerance=0.1), "eps"),
        (dict(), "eps"),
        (dict(weight_tolerance=0), "weight_tolerance"),
        (dict(eps=0.1, delta=2), "delta"),
        (dict(eps=0.1, construction="nope"), "construction"),
        (dict(eps=0.1, solver="nope"), "solver"),
        (dict(eps=0.1, distribution="nope"), "distribution"),
        (dict(eps=0.1, distribution="uniform", dist_scale=-1), "dist_scale"),
        (dict(eps=0.1, tolerance_rule="nope"), "tolerance_rule"),
        (dict(eps=0.1, generator="nope"), "generator"),
        (dict(eps=0.1, input_box=(1, 0)), "input_box"),
        (dict(eps=0.1, input_box=(0, float("inf"))), "input_box"),
        (dict(eps=0.1, input_box="0,1,2"), "input_box"),
        (dict(eps=0.1, inputs=np.zeros((4, 5))), "inputs"),
        (dict(eps=0.1, inputs=np.full((2, 3), np.nan)), "inputs"),
        (dict(eps=0.1, inputs=np.zeros((0, 3))), "inputs"),
        (dict(eps=0.1, inputs=np.zeros((2, 3)), input_box=(0, 1)), "inputs"),
        (dict(eps=0.1, seed=-1), "seed"),
        (dict(eps=0.1, neurons_per_weight=0), "neurons_per_weight"),
        (dict(eps=0.1, neurons_per_input=5), "neurons_per_input"),
        (dict(eps=0.1, width_scale=0), "width_scale"),
        (dict(eps=0.1, max_memory="lots"), "max_memory"),
        (dict(eps=0.1, threads=0), "threads"),
        (dict(eps=0.1, progress="yes"), "progress"),
        (dict(eps=0.1, hidden_activation="nope"), "hidden_activation"),
        (dict(eps=0.1, output_activation="softmax"), "output_activation"),
    ],
)
def test_bad_prune_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=rf"^{argument}\b"):
        logprune.prune(SD, **{"progress": False, **kwargs})


@pytest.mark.parametrize(
    "target, message",
    [
        ("/nonexistent/model.safetensors", "cannot read"),
        ({"0.weight": np.zeros((2, 3))}, "0"),
        ({"0.weight": np.ones((2, 3)), "2.weight": np.ones((1, 5))}, "2.weight"),
        ({"0.weight": np.ones((2, 3)), "running_mean": np.ones(2)}, "running_mean"),
        ({"0.weight": np.array([[1.0, np.nan]])}, "NaN"),
        ({"0.bias": np.ones(2)}, "0.bias"),
        ({}, "target"),
        (42, "not a model"),
    ],
)
def test_bad_targets(target, message):
    with pytest.raises(ValueError, match="^target") as e:
        logprune.prune(target, eps=0.1, progress=False)
    assert message in str(e.value)


def test_bad_forward_input():
    t = logprune.prune(SD, eps=0.1, progress=False)
    with pytest.raises(ValueError, match="^x"):
        t.forward(np.zeros((2, 7)))
    with pytest.raises(ValueError, match="^x"):
        t.forward(np.array([[0.0, np.inf, 0.0]]))
    with pytest.raises(ValueError, match="^x"):
        t.forward(np.zeros((2, 2, 2)))


def test_run_failures_are_logprune_errors():
    with pytest.raises(logprune.UndecomposableError, match="could not be decomposed") as e:
        logprune.prune(SD, eps=0.01, neurons_per_weight=1, progress=False)
    assert isinstance(e.value, logprune.LogpruneError)
    with pytest.raises(logprune.MemoryBudgetError, match="memory budget"):
        logprune.prune(SD, eps=0.01, max_memory=1000, progress=False)
    with pytest.raises(logprune.MemoryBudgetError):
        logprune.prune(SD, eps=0.01, max_memory="1K", progress=False)


def test_verify_bad_arguments():
    t = logprune.prune(SD, eps=0.1, progress=False)
    with pytest.raises(ValueError, match="^input_box"):
        t.verify(SD, input_box=(2, 1), progress=False)
    with pytest.raises(ValueError, match="^report"):
        t.verify(SD, report="/nonexistent/report.json", progress=False)
    with pytest.raises(ValueError, match="^path"):
        logprune.Ticket.load("/nonexistent/ticket.safetensors")
