"""logprune from Python: prune a large random network G to a subnetwork Ĝ certified within ε of
your model ("Logarithmic Pruning is All You Need", Orseau, Hutter, Rivasplata 2020), and get
the certified ticket back.

Example::

    import numpy as np, logprune
    ticket = logprune.prune(model, eps=0.01, input_box=(0.0, 1.0))   # an nn.Sequential
    ticket.report["certified_bound"] <= 0.01
    y = ticket.forward(x)                 # Ĝ(x), x of shape (batch, n_0)
    ticket.save("run/ticket.safetensors", report="run/report.json")
    t = logprune.Ticket.load("run/ticket.safetensors")
    t.verify(model, input_box=(0.0, 1.0))  # every kept weight re-derived from G's seed
    g = t.to_torch()                      # an nn.Module computing Ĝ (needs torch)

Everything that computes is the Rust library's (``logprune._core``): the bounds, the pruning,
the ticket's reader and writer, Ĝ's forward passes and the verification. This module converts
arguments, shows progress and writes files atomically.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._core import (
    LogpruneError,
    MemoryBudgetError,
    NotWithinAccuracyError,
    TicketError,
    UndecomposableError,
    VerificationError,
)

__version__: str = _core.__version__

__all__ = [
    "__version__",
    "bounds",
    "prune",
    "Ticket",
    "Target",
    "target",
    "LogpruneError",
    "MemoryBudgetError",
    "UndecomposableError",
    "NotWithinAccuracyError",
    "TicketError",
    "VerificationError",
]

PathLike = Union[str, "os.PathLike[str]"]
Target = _core.Target

# ----------------------------------------------------------------------------- arguments


def _positive(name: str, value: Any, *, allow_none: bool = True) -> Optional[float]:
    if value is None and allow_none:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} is not a number: expected a finite number > 0") from None
    if not (x > 0.0 and np.isfinite(x)):
        raise ValueError(f"{name}={value!r} is invalid: expected a finite number > 0")
    return x


def _count(name: str, value: Any, *, minimum: int = 1) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}={value!r} is invalid: expected an integer ≥ {minimum}")
    if int(value) < minimum:
        raise ValueError(f"{name}={value!r} is invalid: expected an integer ≥ {minimum}")
    return int(value)


def _name(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name}={value!r} is invalid: expected a name (a str)")
    return value


def _input_box(value: Any) -> Optional[Tuple[float, float]]:
    if value is None:
        return None
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(
            f"input_box={value!r} is invalid: expected (lo, hi), two finite numbers"
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
        raise ValueError(f"input_box={value!r} is invalid: expected finite lo ≤ hi")
    return lo, hi


def _rows(name: str, value: Any) -> Optional[np.ndarray]:
    if value is None:
        return None
    try:
        a = np.ascontiguousarray(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name}: not an array of numbers: {e}") from None
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name}: shape {a.shape}: expected (rows, n_0) with at least one row")
    return a


_SIZE = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _max_memory(value: Any) -> int:
    """Bytes: an int, or a str with an optional suffix K, M, G, T; None gives 3/4 of the
    machine's memory (the command line's default)."""
    if value is None:
        try:
            return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 4 * 3
        except (ValueError, OSError, AttributeError):
            return 1 << 62
    if isinstance(value, str):
        t = value.strip()
        suffix = t[-1:].upper() if t[-1:].isalpha() else ""
        try:
            x = float(t[: len(t) - len(suffix)]) * _SIZE[suffix]
        except (ValueError, KeyError):
            raise ValueError(f"max_memory={value!r} is not a size (e.g. '4G', '512M', 10**9)") from None
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        x = float(value)
    else:
        raise ValueError(f"max_memory={value!r} is not a size (e.g. '4G', '512M', 10**9)")
    if not (x > 0 and x < 2.0**64):
        raise ValueError(f"max_memory={value!r} is invalid: expected a size > 0")
    return int(x)


def _threads(value: Any) -> Optional[int]:
    return _count("threads", value)


# ------------------------------------------------------------------------------ progress


class _Progress:
    """Draws the run's stages (``prune`` in target weights, ``check`` in inputs, ``search`` in
    probes): a tqdm bar when tqdm is installed (``tqdm.auto``: a widget in Jupyter), else one
    plain line per stage on stderr, redrawn at most twice a second."""

    def __init__(self) -> None:
        try:
            from tqdm.auto import tqdm  # noqa: PLC0415
        except ImportError:
            tqdm = None
        self._tqdm = tqdm
        self._bar: Any = None
        self._stage: Optional[str] = None
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self.close()
            self._stage = stage
            if self._tqdm is not None:
                self._bar = self._tqdm(total=total, desc=stage, unit="", leave=False)
        if self._bar is not None:
            self._bar.update(done - self._bar.n)
        else:
            now = time.monotonic()
            if now - self._last >= 0.5 or done >= total:
                self._last = now
                pct = 100.0 * done / total if total else 100.0
                sys.stderr.write(f"\r{stage:>6}: {done}/{total} ({pct:.0f}%)")
                sys.stderr.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._stage is not None:
            sys.stderr.write("\n")
            sys.stderr.flush()
        self._stage = None


def _progress(progress: Any) -> Tuple[Optional[Callable[[str, int, int], Any]], Callable[[], None]]:
    """The callback for ``progress`` (True: the default bars; False/None: none; a callable
    ``f(stage, done, total)``: that) and what closes it."""
    if progress is True:
        p = _Progress()
        return p, p.close
    if progress is False or progress is None:
        return None, lambda: None
    if callable(progress):
        return progress, lambda: None
    raise ValueError(f"progress={progress!r} is invalid: expected True, False or a callable")


# -------------------------------------------------------------------------------- target

_TORCH_ACTIVATIONS = {
    "ReLU": lambda m: "relu",
    "Identity": lambda m: "identity",
    "Tanh": lambda m: "tanh",
    "Sigmoid": lambda m: "sigmoid",
    "GELU": lambda m: "gelu" if getattr(m, "approximate", "none") == "none" else None,
    "LeakyReLU": lambda m: f"leaky-relu:{m.negative_slope!r}",
    "ELU": lambda m: f"elu:{m.alpha!r}",
}


def _module_activations(module: Any) -> Optional[Tuple[str, str]]:
    """``(hidden, output)`` read from an ``nn.Sequential`` of ``Linear`` layers and
    activation modules, or None for another module. Raises ValueError for a Sequential that
    logprune cannot take (another kind of layer, different hidden activations)."""
    if type(module).__name__ != "Sequential":
        return None
    hint = " (for a convolutional or residual network, give input_shape=(C, H, W): it is read through an ONNX export)"
    acts: List[Optional[str]] = []  # the activation after each Linear (None: identity)
    for child in module.children():
        kind = type(child).__name__
        if kind == "Linear":
            acts.append(None)
        elif kind in _TORCH_ACTIVATIONS and acts and acts[-1] is None:
            name = _TORCH_ACTIVATIONS[kind](child)
            if name is None:
                raise ValueError(f"target: {child!r} has no logprune activation")
            acts[-1] = name
        elif kind in ("Dropout", "Flatten") or (kind == "Identity" and acts):
            continue
        else:
            raise ValueError(
                f"target: the nn.Sequential holds {child!r}: expected Linear layers each followed "
                "by at most one activation (ReLU, Tanh, Sigmoid, Identity, LeakyReLU, ELU, GELU)"
                + hint
            )
    if not acts:
        raise ValueError("target: the nn.Sequential has no Linear layer")
    hidden = {a or "identity" for a in acts[:-1]}
    if len(hidden) > 1:
        raise ValueError(
            f"target: the hidden layers have different activations {sorted(hidden)}: expected "
            "the same after every hidden Linear"
        )
    return (hidden.pop() if hidden else "relu"), (acts[-1] or "identity")


def _state_dict_arrays(state: Mapping) -> List[Tuple[str, np.ndarray]]:
    out = []
    for key, value in state.items():
        if not isinstance(key, str):
            raise ValueError(f"target: key {key!r} is not a str (expected a state_dict)")
        if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
            value = value.detach().cpu().double().numpy()
        try:
            a = np.ascontiguousarray(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError) as e:
            raise ValueError(f"target: `{key}` is not an array of numbers: {e}") from None
        out.append((key, a))
    return out


def _onnx_export(module: Any, input_shape: Sequence[int]) -> bytes:
    """``module`` exported to ONNX bytes as ``torch.onnx.export`` does (TorchScript exporter,
    eval mode, one input ``(N, *input_shape)`` with a symbolic batch)."""
    import io  # noqa: PLC0415

    import torch  # noqa: PLC0415: torch only for a module

    try:
        shape = [int(d) for d in input_shape]
    except (TypeError, ValueError):
        raise ValueError(f"input_shape={input_shape!r} is invalid: expected (C, H, W) or (F,)") from None
    if not shape or any(d < 1 for d in shape):
        raise ValueError(f"input_shape={input_shape!r} is invalid: expected positive dims")
    f = io.BytesIO()
    was_training = module.training
    try:
        torch.onnx.export(
            module.eval(),
            torch.zeros(1, *shape, dtype=next(module.parameters()).dtype),
            f,
            dynamo=False,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
        )
    except Exception as e:  # noqa: BLE001: the exporter's own message
        raise ValueError(f"target: the ONNX export failed: {e}") from None
    finally:
        module.train(was_training)
    return f.getvalue()


def _target(
    target: Any,
    hidden_activation: Optional[str],
    output_activation: Optional[str],
    input_shape: Optional[Sequence[int]] = None,
) -> "_core.Target":
    """The :class:`Target` of a path (safetensors, or ONNX by its ``.onnx`` extension), a
    state_dict (a mapping of arrays or tensors), an ``nn.Module`` (its ``state_dict()``, or
    with ``input_shape`` an ONNX export) or a Target."""
    if isinstance(target, _core.Target):
        if hidden_activation is not None or output_activation is not None:
            raise ValueError(
                "hidden_activation: a Target already has its activations: give them to "
                "logprune.Target.from_* instead"
            )
        return target
    inferred = None
    is_module = not isinstance(target, (Mapping, str, bytes, os.PathLike)) and hasattr(
        target, "state_dict"
    )
    if input_shape is not None:
        if not is_module:
            raise ValueError("input_shape: only for an nn.Module target (read through an ONNX export)")
        if hidden_activation is not None or output_activation is not None:
            raise ValueError("hidden_activation: an exported module names its own activations: give none")
        return _core.Target.from_onnx(_onnx_export(target, input_shape))
    if is_module:
        inferred = _module_activations(target)
        if inferred is not None:
            for arg, given, found in (
                ("hidden_activation", hidden_activation, inferred[0]),
                ("output_activation", output_activation, inferred[1]),
            ):
                if given is not None and given != found:
                    raise ValueError(
                        f"{arg}={given!r}, but the nn.Sequential has {found!r} there"
                    )
        target = target.state_dict()
    hidden = hidden_activation or (inferred[0] if inferred else "relu")
    output = output_activation or (inferred[1] if inferred else "identity")
    _name("hidden_activation", hidden)
    _name("output_activation", output)
    if isinstance(target, Mapping):
        return _core.Target.from_tensors(_state_dict_arrays(target), hidden, output)
    if isinstance(target, (str, os.PathLike)):
        path = os.fspath(target)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ValueError(f"target: cannot read {path}: {e.strerror or e}") from None
        if str(path).lower().endswith(".onnx"):
            if hidden_activation is not None or output_activation is not None:
                raise ValueError(
                    "hidden_activation: an ONNX file names its own activations: give none"
                )
            return _core.Target.from_onnx(data)
        return _core.Target.from_safetensors(data, hidden, output)
    raise ValueError(
        f"target: {type(target).__name__} is not a model: expected a path to a safetensors file, "
        "a state_dict (a mapping of arrays), an nn.Module or a logprune.Target"
    )


def target(
    model: Any,
    *,
    hidden_activation: Optional[str] = None,
    output_activation: Optional[str] = None,
    input_shape: Optional[Sequence[int]] = None,
) -> "_core.Target":
    """The target network F of ``model`` (a path to safetensors or ONNX, a state_dict, an
    ``nn.Module``), as :func:`prune` reads it. ``Target.forward(x)`` gives an MLP's F on rows
    of ``x`` (to compare with :meth:`Ticket.forward`)."""
    return _target(model, hidden_activation, output_activation, input_shape)


# -------------------------------------------------------------------------------- bounds


def bounds(
    widths: Optional[Sequence[int]] = None,
    *,
    n: Optional[int] = None,
    layers: Optional[int] = None,
    eps: float = 0.01,
    delta: float = 0.01,
    w_max: float = 1.0,
    f_max: float = 1.0,
    no_norm_assumption: bool = False,
    max_width_norm: bool = False,
    norms: Optional[Sequence[float]] = None,
) -> Dict[str, Any]:
    """The paper's bounds for a setting: what ``logprune bounds`` prints, as a dict.

    ``widths`` is ``[n_0, ..., n_ℓ]``; or give ``n`` (every width, default 100) and ``layers``
    (ℓ, default 10). ``eps`` (ε > 0) and ``delta`` (δ ∈ (0, 1)) are the accuracy and failure
    probability, ``w_max`` and ``f_max`` bound the weights and activations. The norm model is
    ``‖Ŵ_i‖₂ ≤ 1`` by default (Remark 4), the worst case with ``no_norm_assumption=True``
    (Example 2's looser one with ``max_width_norm=True`` too), or given spectral ``norms``.

    Returns ``epsilon_w`` (Lemma 1), ``k_prime``, ``k``, ``k_as_printed``, ``alpha``,
    ``beta``, ``alpha_prime``, ``beta_prime`` (Theorem 3's range), ``ng_over_nstar_theorem3``
    / ``_theorem30`` / ``_min`` (Corollary 7), ``corollary7_leading_term``,
    ``remark8_neuron_ratio``, ``malach_assumptions_hold``, and ``per_layer``: per layer
    ``theorem3``, ``theorem30``, ``min``, ``malach`` (``M_i``) and each ``..._per_weight``
    (``M_i/n_max²``). Every real that may leave float64 has a ``log10_...`` twin, exact.

    Raises ValueError naming the bad value.
    """
    if widths is not None:
        if n is not None or layers is not None:
            raise ValueError("widths: give either widths or n and layers, not both")
        try:
            ws = [int(w) for w in widths]
        except (TypeError, ValueError):
            raise ValueError(f"widths={widths!r} is invalid: expected integers ≥ 1") from None
        if len(ws) < 2:
            raise ValueError(f"widths has {len(ws)} value(s): expected at least 2 (n_0, ..., n_ℓ)")
        for i, w in enumerate(ws):
            if w < 1:
                raise ValueError(f"widths: n_{i} = {w} is invalid: expected an integer ≥ 1")
    else:
        nn = _count("n", 100 if n is None else n)
        ell = _count("layers", 10 if layers is None else layers)
        if ell > 100_000:
            raise ValueError(f"layers={ell} is invalid: expected an integer in [1, 100000]")
        ws = [nn] * (ell + 1)
    for name, value in (("eps", eps), ("delta", delta), ("w_max", w_max), ("f_max", f_max)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{name}={value!r} is not a number")
    if norms is not None:
        try:
            norms = [float(v) for v in norms]
        except (TypeError, ValueError):
            raise ValueError(f"norms={norms!r} is invalid: expected one number per layer") from None
    return _core.bounds(
        ws,
        float(eps),
        float(delta),
        float(w_max),
        float(f_max),
        bool(no_norm_assumption),
        bool(max_width_norm),
        norms,
    )


# --------------------------------------------------------------------------------- prune


def prune(
    target: Any,
    *,
    eps: Optional[float] = None,
    weight_tolerance: Optional[float] = None,
    input_box: Optional[Tuple[float, float]] = None,
    inputs: Optional[Any] = None,
    delta: float = 0.01,
    construction: str = "per-weight",
    solver: str = "golden-ratio",
    distribution: str = "hyperbolic",
    dist_scale: Optional[float] = None,
    tolerance_rule: str = "recurrence",
    compare_rules: bool = False,
    generator: str = "ars-v3",
    seed: int = 0,
    neurons_per_weight: Optional[int] = None,
    neurons_per_input: Optional[int] = None,
    width_scale: float = 1.0,
    max_memory: Optional[Union[int, str]] = None,
    search_width: bool = False,
    threads: Optional[int] = None,
    progress: Union[bool, Callable[[str, int, int], Any]] = True,
    hidden_activation: Optional[str] = None,
    output_activation: Optional[str] = None,
    input_shape: Optional[Sequence[int]] = None,
    store_weights: bool = False,
) -> "Ticket":
    """Prunes the large random network G to a subnetwork Ĝ within ``eps`` of ``target`` on
    its domain, as ``logprune prune`` does with the same arguments (the same ticket, byte for
    byte), and returns the :class:`Ticket` with its report.

    ``target``: a path to a safetensors file (an ``nn.Sequential`` of ``Linear`` layers'
    ``state_dict``) or to an ONNX file (``torch.onnx.export``'s: an MLP, or a convolutional
    or residual network with batch norm; its activations are the file's), a state_dict (a mapping of numpy arrays or torch tensors: ``0.weight`` of
    shape ``(out, in)``, optional ``0.bias``, ...), an ``nn.Module`` (read through its
    ``state_dict()``; an ``nn.Sequential``'s activations are read from its modules), or a
    :class:`Target`. ``hidden_activation`` (default ``relu``) follows every hidden layer,
    ``output_activation`` (default ``identity``) the last; names as on the command line
    (``relu``, ``identity``, ``tanh``, ``sigmoid``, ``leaky-relu:0.01``, ``elu:1``, ``gelu``).
    A module that is not an ``nn.Sequential`` of ``Linear`` layers (a CNN, a ResNet) is read
    through an ONNX export when ``input_shape`` (one sample's ``(C, H, W)``) is given.

    The accuracy: ``eps`` (sup_x ‖F(x) − Ĝ(x)‖₂ ≤ ε, certified and measured) or
    ``weight_tolerance`` (every half of every weight within T). The domain: ``input_box=(lo,
    hi)`` (the box [lo, hi]^{n_0}, default (-1, 1)) or ``inputs``, an array of rows
    ``(rows, n_0)``. The other arguments are the command line's flags of the same names
    (``--delta``, ``--construction`` per-weight | recycling | batch | shared-input,
    ``--solver`` golden-ratio | best-fit | exact, ``--distribution`` hyperbolic | uniform |
    gaussian | kaiming-uniform | remark15, ``--dist-scale``, ``--tolerance-rule`` lemma1 |
    recurrence, ``--compare-rules``, ``--generator``, ``--seed``, ``--neurons-per-weight``,
    ``--neurons-per-input``, ``--width-scale``, ``--max-memory`` (bytes, or a str like
    ``"4G"``; default 3/4 of the machine's memory), ``--search-width``, ``--store-weights``:
    ``store_weights=True`` makes the ticket carry the kept weights (format version 1) instead
    of the compact mask alone (version 2, whose weights are re-derived from G when read)).

    ``threads`` bounds the threads of this call (default: rayon's, all CPUs).
    ``progress``: True draws a bar (tqdm when installed), False draws nothing, a callable
    ``f(stage, done, total)`` is called instead. The GIL is released while Rust works, and
    Ctrl-C raises KeyboardInterrupt within a fraction of a second.

    Raises ValueError naming the argument for a bad argument; :class:`MemoryBudgetError`,
    :class:`UndecomposableError`, :class:`NotWithinAccuracyError` (subclasses of
    :class:`LogpruneError`) when the run fails.
    """
    if (eps is None) == (weight_tolerance is None):
        raise ValueError("eps: give exactly one of eps and weight_tolerance")
    eps = _positive("eps", eps)
    weight_tolerance = _positive("weight_tolerance", weight_tolerance)
    if not (isinstance(delta, (int, float, np.floating)) and 0.0 < float(delta) < 1.0):
        raise ValueError(f"delta={delta!r} is invalid: expected a probability 0 < δ < 1")
    box = _input_box(input_box)
    rows = _rows("inputs", inputs)
    if box is not None and rows is not None:
        raise ValueError("inputs: give either inputs or input_box, not both")
    seed_ = _count("seed", seed, minimum=0)
    if seed_ is None or seed_ >= 2**64:
        raise ValueError(f"seed={seed!r} is invalid: expected an integer in [0, 2^64)")
    t = _target(target, hidden_activation, output_activation, input_shape)
    callback, close = _progress(progress)
    try:
        core = _core.prune(
            t,
            eps=eps,
            weight_tolerance=weight_tolerance,
            input_box=box,
            inputs=rows,
            delta=float(delta),
            construction=_name("construction", construction),
            solver=_name("solver", solver),
            distribution=_name("distribution", distribution),
            dist_scale=_positive("dist_scale", dist_scale),
            tolerance_rule=_name("tolerance_rule", tolerance_rule),
            compare_rules=bool(compare_rules),
            generator=_name("generator", generator),
            seed=seed_,
            neurons_per_weight=_count("neurons_per_weight", neurons_per_weight),
            neurons_per_input=_count("neurons_per_input", neurons_per_input),
            width_scale=_positive("width_scale", width_scale, allow_none=False),
            max_memory=_max_memory(max_memory),
            search_width=bool(search_width),
            threads=_threads(threads),
            progress=callback,
            store_weights=bool(store_weights),
        )
    finally:
        close()
    return Ticket(core)


# -------------------------------------------------------------------------------- ticket


def _write_atomically(path: PathLike, data: bytes) -> None:
    """Writes ``data`` to a temporary file beside ``path`` and renames it over ``path``:
    nothing is left half-written, whatever stops the write (an error, KeyboardInterrupt)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".logprune-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _report_differences(a: Any, b: Any, path: str = "") -> List[str]:
    """The fields of two reports that differ, as ``path: a vs b`` (the timings excluded)."""
    out: List[str] = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            if not path and k == "seconds":
                continue
            p = f"{path}.{k}" if path else k
            if k in b:
                out += _report_differences(a[k], b[k], p)
            else:
                out.append(f"{p}: missing from the report")
        for k in b:
            if k not in a and not (not path and k == "seconds"):
                out.append(f"{path}.{k}: not recomputed" if path else f"{k}: not recomputed")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            out += _report_differences(x, y, f"{path}[{i}]")
    elif a != b:
        out.append(f"{path}: recomputed {a!r}, report says {b!r}")
    return out


class Ticket:
    """A pruned network Ĝ and what its ticket records: G's generator, seed, distribution and
    widths, the fingerprint of the target, domain and accuracy, and (after :func:`prune`, or
    when loaded with one) the run's report.

    Ĝ keeps intermediate neurons of G, each with one input edge (weight ``u``) and some
    output edges (weights ``v``); layer ``i`` computes ``σ_i(Σ_edges v·relu(u·x_b))``. Made by
    :func:`prune` or :meth:`Ticket.load`.
    """

    def __init__(self, core: "_core.Ticket", report: Optional[Dict[str, Any]] = None) -> None:
        if not isinstance(core, _core.Ticket):
            raise ValueError("core: use logprune.prune() or Ticket.load() to make a Ticket")
        self._core = core
        self._report_json: Optional[str] = core.report_json
        if report is not None:
            self._report: Optional[Dict[str, Any]] = report
        elif self._report_json is not None:
            self._report = json.loads(self._report_json)
        else:
            self._report = None
        self.spec: Dict[str, Any] = json.loads(core.spec_json)

    # --------------------------------------------------------------------------- reading

    @classmethod
    def load(cls, path: PathLike, *, report: Union[None, PathLike, Dict[str, Any]] = None) -> "Ticket":
        """Reads a ticket file (``ticket.safetensors``, as :meth:`save` or ``logprune prune``
        write it), with every check of the format (:class:`TicketError` if one fails).
        ``report`` (the run's ``report.json``, or its dict) is attached as :attr:`report` and
        compared by :meth:`verify`."""
        try:
            with open(os.fspath(path), "rb") as f:
                data = f.read()
        except OSError as e:
            raise ValueError(f"path: cannot read {os.fspath(path)}: {e.strerror or e}") from None
        rep = None
        if report is not None and not isinstance(report, dict):
            try:
                with open(os.fspath(report), "rb") as f:
                    rep = json.loads(f.read())
            except (OSError, json.JSONDecodeError) as e:
                raise ValueError(f"report: cannot read {os.fspath(report)}: {e}") from None
        elif isinstance(report, dict):
            rep = report
        return cls(_core.Ticket.from_bytes(data), rep)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Ticket":
        """A ticket from a ticket file's bytes (checked as by :meth:`load`)."""
        return cls(_core.Ticket.from_bytes(bytes(data)))

    def to_bytes(self, store_weights: Optional[bool] = None) -> bytes:
        """The ticket file's bytes: those ``logprune prune`` writes for the same run, in the
        ticket's :attr:`form` (the one it was created or loaded in), or with the kept weights
        (format version 1, ``--store-weights``) if ``store_weights`` is True, the compact mask
        alone (version 2) if False."""
        if store_weights is not None and not isinstance(store_weights, bool):
            raise ValueError(f"store_weights={store_weights!r} is invalid: expected True, False or None")
        return self._core.to_bytes(store_weights)

    @property
    def form(self) -> str:
        """``"compact"`` (format version 2: the mask alone, its weights re-derived from G when
        read) or ``"weights"`` (version 1, with the kept weights): the form the ticket was
        created or loaded in, which :meth:`save` and :meth:`to_bytes` write by default."""
        return self._core.form

    def save(
        self,
        path: PathLike,
        *,
        report: Optional[PathLike] = None,
        store_weights: Optional[bool] = None,
    ) -> None:
        """Writes the ticket to ``path`` (and the report, as ``logprune prune``'s
        ``report.json``, to ``report`` if given), each atomically: a temporary file beside it,
        renamed when complete, so nothing is half-written. The ticket keeps its :attr:`form`
        unless ``store_weights`` says otherwise (True: with the kept weights; False: the
        compact mask); the report's ``ticket_form`` names the form written."""
        data = self.to_bytes(store_weights)
        text = None
        if report is not None:
            if self._report_json is None and self._report is None:
                raise ValueError("report: this ticket has no report to write")
            written = self.form if store_weights is None else ("weights" if store_weights else "compact")
            rep = self._report
            if rep is not None and rep.get("ticket_form", written) != written:
                rep = dict(rep, ticket_form=written)
                text = json.dumps(rep, indent=2, ensure_ascii=False) + "\n"
            else:
                text = self._report_json or json.dumps(self._report, indent=2) + "\n"
        _write_atomically(path, data)
        if text is not None:
            _write_atomically(report, text.encode())

    # ------------------------------------------------------------------------- properties

    @property
    def report(self) -> Optional[Dict[str, Any]]:
        """The run's report (``report.json`` as a dict): ε or T, ε_w, G's widths, kept
        neurons, the certificates and measured errors, timings. None for a ticket loaded
        without one."""
        return self._report

    @property
    def input_width(self) -> int:
        """``n_0`` of Ĝ (with the bias unit when the target has biases)."""
        return self._core.input_width

    @property
    def output_width(self) -> int:
        """``n_ℓ``."""
        return self._core.output_width

    @property
    def bias_unit(self) -> bool:
        """Whether Ĝ takes ``(x, 1)``: the target's biases carried by a constant unit."""
        return self._core.bias_unit

    @property
    def is_graph(self) -> bool:
        """Whether Ĝ approximates a graph target (an ONNX CNN or ResNet): its layers are the
        graph's linear nodes, and its forward pass runs the graph (recorded in the ticket's
        metadata, so a loaded ticket runs too)."""
        return self._core.is_graph

    @property
    def kept_neurons(self) -> List[int]:
        """Kept intermediate neurons per layer."""
        return list(self._core.kept_neurons)

    @property
    def kept_edges(self) -> List[int]:
        """Kept output edges per layer."""
        return list(self._core.kept_edges)

    def __repr__(self) -> str:
        s = self.spec
        return (
            f"<logprune.Ticket widths={s['target_widths']} G={s['widths_g']} "
            f"kept={self.kept_neurons} seed={s['seed']}>"
        )

    # ---------------------------------------------------------------------------- compute

    def forward(self, x: Any, virtual: bool = False) -> np.ndarray:
        """Ĝ(x) for ``x`` of shape ``(batch, n_0)`` or ``(n_0,)``: the literal sparse network,
        or with ``virtual=True`` its virtual matrices ``σ_i(Ŵ⁺ max(x,0) + Ŵ⁻ min(x,0))``
        (equal up to rounding). ``x`` holds the target's inputs; for a ticket with the bias
        unit the 1 is appended (passing it already appended works too). Returns float64
        ``(batch, n_ℓ)`` or ``(n_ℓ,)``. For a graph target, ``x`` holds flattened ``C × H × W``
        inputs (``x.reshape(len(x), -1)``)."""
        a = np.asarray(x, dtype=np.float64)
        single = a.ndim == 1
        if single:
            a = a[None, :]
        if a.ndim != 2 or a.shape[0] == 0:
            raise ValueError(f"x: shape {np.shape(x)}: expected (batch, n_0) or (n_0,)")
        y = self._core.forward(np.ascontiguousarray(a), bool(virtual))
        return y[0] if single else y

    __call__ = forward

    def virtual_weights(self) -> List[Tuple[np.ndarray, np.ndarray]]:
        """``[(Ŵ⁺_1, Ŵ⁻_1), ...]``: each layer's virtual matrices, dense ``n_i × n_{i-1}``
        (:class:`MemoryBudgetError` above 2 GiB). ``Ŵ⁺ + Ŵ⁻`` approximates the target's
        weights (with the bias column for a target with biases)."""
        return [(p, m) for p, m in self._core.virtual_weights()]

    def dense_state_dict(self) -> Dict[str, np.ndarray]:
        """Ĝ as the ``state_dict`` of a bias-free ``nn.Sequential(Linear(n_0, kept_1),
        ReLU(), Linear(kept_1, n_1), σ_1, ...)``: keys ``0.weight`` (U_1), ``2.weight`` (V_1),
        ``4.weight`` (U_2), ...; the arrays of ``logprune prune --dense``'s
        ``pruned.safetensors``. For a small Ĝ (:class:`MemoryBudgetError` above 2 GiB) of an
        MLP target."""
        if self.is_graph:
            raise ValueError("dense_state_dict: a graph target's Ĝ is not an nn.Sequential")
        return dict(self._core.dense_state_dict())

    def layers(self) -> List[Dict[str, Any]]:
        """Each layer's arrays as the ticket file holds them: ``n_in``, ``n_out``,
        ``activation``, and ``z``, ``input``, ``u`` per kept neuron, ``edge_neuron``,
        ``edge_output``, ``edge_v`` per kept edge."""
        return list(self._core.layers())

    def to_torch(self, dtype: Any = None, device: Any = None) -> Any:
        """An ``nn.Module`` computing Ĝ with ``index_add_`` (CPU or CUDA): its input is the
        target's ``x`` (``(batch, n_0)``; the bias unit is appended inside), its output
        ``(batch, n_ℓ)``. Matches :meth:`forward` to rounding (bit for bit in float64 on
        ReLU/identity layers on the CPU). ``dtype`` defaults to ``torch.float32``. Needs
        torch. For an MLP target."""
        if self.is_graph:
            raise ValueError("to_torch: a graph target's Ĝ is not supported yet (MLP targets only)")
        from ._torch import ticket_module  # noqa: PLC0415: torch only when asked

        return ticket_module(self, dtype=dtype, device=device)

    # ----------------------------------------------------------------------------- verify

    def verify(
        self,
        target: Any,
        *,
        input_box: Optional[Tuple[float, float]] = None,
        inputs: Optional[Any] = None,
        report: Union[None, PathLike, Dict[str, Any]] = None,
        threads: Optional[int] = None,
        progress: Union[bool, Callable[[str, int, int], Any]] = True,
        hidden_activation: Optional[str] = None,
        output_activation: Optional[str] = None,
        input_shape: Optional[Sequence[int]] = None,
    ) -> Dict[str, Any]:
        """Checks this ticket against ``target`` on the domain it was pruned for
        (``input_box`` or ``inputs``, as given to :func:`prune`), as ``logprune verify``: the
        fingerprint of the target, domain and accuracy first, then every kept weight
        re-derived from G's seed, the certificate and the measurement recomputed, and the
        accuracy required; then the recomputed report is compared field by field (timings
        aside) with ``report`` (a path or a dict), or with :attr:`report` if there is one.

        Returns the recomputed report. Raises :class:`VerificationError` when the ticket was
        pruned for another target, a kept weight is not G's, or a field differs;
        :class:`NotWithinAccuracyError` when the recomputed certificate misses ε.
        """
        box = _input_box(input_box)
        rows = _rows("inputs", inputs)
        if box is not None and rows is not None:
            raise ValueError("inputs: give either inputs or input_box, not both")
        if report is not None and not isinstance(report, dict):
            try:
                with open(os.fspath(report), "rb") as f:
                    report = json.loads(f.read())
            except (OSError, json.JSONDecodeError) as e:
                raise ValueError(f"report: cannot read {os.fspath(report)}: {e}") from None
        expected = report if report is not None else self._report
        t = _target(target, hidden_activation, output_activation, input_shape)
        callback, close = _progress(progress)
        try:
            text = self._core.verify(
                t, input_box=box, inputs=rows, threads=_threads(threads), progress=callback
            )
        finally:
            close()
        recomputed = json.loads(text)
        if expected is not None:
            diffs = _report_differences(recomputed, expected)
            if diffs:
                raise VerificationError(
                    f"the ticket does not match its report: {len(diffs)} field(s) differ:\n  "
                    + "\n  ".join(diffs)
                )
        return recomputed
