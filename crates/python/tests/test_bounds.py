"""logprune.bounds against the numbers `logprune bounds` prints."""

import re

import pytest

import logprune
from conftest import run_cli


def cli_numbers(text):
    eps_w = float(re.search(r"ε_w \(Lemma 1\)\s+(\S+)", text).group(1))
    k_prime = float(re.search(r"k' \(Theorem 3\)\s+(\S+)", text).group(1))
    k = int(re.search(r"\nk\s+(\d+) =", text).group(1))
    rows = []
    table = text.split("Intermediate neurons")[1].splitlines()[2:]
    for line in table:
        cells = line.split()
        if cells:
            rows.append(cells)
    return eps_w, k_prime, k, rows


def sci(x):
    """The command line's 4-digit scientific notation, as a float."""
    return float(f"{x:.4e}")


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ([], {}),
        (["--widths", "784,300,100,10", "--no-norm-assumption"], dict(widths=[784, 300, 100, 10], no_norm_assumption=True)),
        (["--n", "5", "--layers", "2", "--norms", "0.5,3", "--eps", "0.001"], dict(n=5, layers=2, norms=[0.5, 3], eps=0.001)),
    ],
)
def test_bounds_match_the_command_line(cli, args, kwargs):
    text = run_cli(cli, "bounds", *args)
    eps_w, k_prime, k, rows = cli_numbers(text)
    b = logprune.bounds(**kwargs)
    assert sci(b["epsilon_w"]) == eps_w
    assert round(b["k_prime"], 4) == k_prime
    assert b["k"] == k
    assert 10 ** b["log10_epsilon_w"] == pytest.approx(b["epsilon_w"], rel=1e-12)
    # Per layer: the command line merges equal consecutive layers into one row.
    layers = b["per_layer"]
    i = 0
    for cells in rows:
        first = int(cells[0].split("-")[0])
        layer = layers[first - 1]
        assert layer["layer"] == first
        assert int(cells[1]) == layer["n_in"] and int(cells[2]) == layer["n_out"]
        assert int(cells[3]) == layer["theorem3"]
        assert int(cells[5]) == layer["theorem30"]
        assert int(cells[7]) == layer["min"]
        i += 1
    assert i >= 1


def test_example5_values():
    b = logprune.bounds(n=100, layers=10, eps=0.01, delta=0.01)
    assert b["per_layer"][0]["theorem3"] == 6286927
    assert b["per_layer"][0]["theorem30"] == 1428075
    assert not b["malach_assumptions_hold"]


def test_values_beyond_float64_have_exact_log10():
    b = logprune.bounds(n=1_000_000, layers=10_000, eps=1e-300, delta=1e-300, no_norm_assumption=True)
    assert b["epsilon_w"] == 0.0  # below float64
    assert b["log10_epsilon_w"] < -60000


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(eps=-1), "ε = -1"),
        (dict(delta=2), "δ = 2"),
        (dict(widths=[3, 0, 2]), "widths"),
        (dict(widths=[7]), "widths"),
        (dict(n=0), "n=0"),
        (dict(layers=0), "layers=0"),
        (dict(layers=2, norms=[1]), "norms"),
        (dict(max_width_norm=True), "max_width_norm"),
        (dict(eps="x"), "eps"),
    ],
)
def test_bad_arguments_name_the_value(kwargs, name):
    with pytest.raises(ValueError, match=re.escape(name)):
        logprune.bounds(**kwargs)
