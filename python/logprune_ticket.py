#!/usr/bin/env python3
"""Reference reader of logprune tickets (format version 1), with numpy and safetensors only.

A *ticket* is the pruned network Ĝ that ``logprune prune`` writes: a safetensors file with, per
layer ``i = 1..ℓ`` of the target, six flat tensors

==========================  =====  ==========  ==============================================
tensor                      dtype  shape       holds
==========================  =====  ==========  ==============================================
``layer{i}.z``              U64    [kept]      each kept neuron's index in G's layer, increasing
``layer{i}.input``          U32    [kept]      its one input ``b``
``layer{i}.u``              F64    [kept]      its input weight ``U_i[z, b]``
``layer{i}.edge_neuron``    U32    [edges]     each output edge's neuron (a position into the
                                               three arrays above, nondecreasing)
``layer{i}.edge_output``    U32    [edges]     its output ``a`` (increasing within a neuron)
``layer{i}.edge_v``         F64    [edges]     its weight ``V_i[a, z]``
==========================  =====  ==========  ==============================================

and a ``__metadata__`` with ``format = "logprune-ticket"``, ``format_version = "1"`` and the
run's spec, each field as JSON text (``target_widths``, ``bias_unit``, ``activations``,
``widths_g``, ``generator``, ``seed``, ``laws``, ``accuracy``, ``stats``, ...). The Rust
module ``crates/construction/src/ticket.rs`` is the specification.

Layer ``i`` of Ĝ computes ``σ_i(Σ_edges v · relu(u · x_b))``, summed into output ``a`` (the
literal network), or equally ``σ_i(Ŵ⁺ max(x, 0) + Ŵ⁻ min(x, 0))`` with
``Ŵ⁺[a, b] = Σ_{edges, u > 0} v·u`` and ``Ŵ⁻[a, b] = Σ_{edges, u < 0} v·u`` (the virtual
matrices). If ``spec["bias_unit"]`` is true the target's biases are carried by a constant
unit: Ĝ's input is ``(x, 1)``, so append a 1 to every input (:meth:`Ticket.append_bias_unit`).

Example::

    from logprune_ticket import Ticket
    t = Ticket.load("run/ticket.safetensors")
    y = t.forward(t.append_bias_unit(x))      # x: (batch, n0) or (n0,), float64

Every check of the Rust reader that concerns Ĝ is made here too (names, dtypes, shapes,
metadata, the layer arrays' invariants, indices against G's and the target's widths); a bad
file raises :class:`ValueError` naming what is wrong.

Run as a script, it prints a summary of each ticket given::

    python3 logprune_ticket.py run/ticket.safetensors

Turning a ticket into a PyTorch module (not run here: this module needs only numpy)::

    import numpy as np
    import torch
    from logprune_ticket import Ticket

    ACT = {"relu": torch.relu, "identity": lambda t: t,
           "tanh": torch.tanh, "sigmoid": torch.sigmoid}

    class SparseLayer(torch.nn.Module):
        # sigma(sum_edges v * relu(u * x_b)), the literal layer, with index_add_.
        def __init__(self, layer):
            super().__init__()
            self.n_out, self.activation = layer.n_out, layer.activation
            as_long = lambda a: torch.from_numpy(a.astype(np.int64))
            self.register_buffer("input", as_long(layer.input))
            self.register_buffer("u", torch.from_numpy(layer.u.copy()))
            self.register_buffer("edge_neuron", as_long(layer.edge_neuron))
            self.register_buffer("edge_output", as_long(layer.edge_output))
            self.register_buffer("edge_v", torch.from_numpy(layer.edge_v.copy()))

        def forward(self, x):                                # x: (batch, n_in), float64
            h = torch.relu(x[:, self.input] * self.u)        # (batch, kept)
            y = x.new_zeros(x.shape[0], self.n_out)
            y.index_add_(1, self.edge_output, h[:, self.edge_neuron] * self.edge_v)
            return ACT[self.activation](y)

    t = Ticket.load("run/ticket.safetensors")
    model = torch.nn.Sequential(*[SparseLayer(l) for l in t.layers])
    y = model(torch.from_numpy(t.append_bias_unit(x)))

    # Or with a sparse V (n_out x kept): replace the last two lines of forward by
    #     V = torch.sparse_coo_tensor(torch.stack([self.edge_output, self.edge_neuron]),
    #                                 self.edge_v, (self.n_out, len(self.u)))
    #     return ACT[self.activation](torch.sparse.mm(V, h.T).T)

    # A small ticket as a dense nn.Sequential(Linear(bias=False), ReLU(), ...):
    mods = {"relu": torch.nn.ReLU, "identity": torch.nn.Identity,
            "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}
    seq = torch.nn.Sequential(*[m for l in t.layers for m in (
        torch.nn.Linear(l.n_in, l.kept, bias=False), torch.nn.ReLU(),
        torch.nn.Linear(l.kept, l.n_out, bias=False), mods[l.activation]())]).double()
    seq.load_state_dict({k: torch.from_numpy(w) for k, w in t.dense_state_dict().items()})
"""

from __future__ import annotations

import errno
import json
import os
import sys
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
from safetensors import safe_open

#: The ``format`` metadata value of a ticket.
TICKET_FORMAT = "logprune-ticket"

#: The ticket format version this module reads.
TICKET_VERSION = 1

#: Default cap, in bytes, of :meth:`Ticket.dense_sequential` and
#: :meth:`Ticket.virtual_matrices` (2 GiB, the limit of the Rust dense export).
DENSE_LIMIT_BYTES = 2 * 2**30

#: Elements of the temporary ``(batch, edges)`` array of one chunk of the literal pass.
_CHUNK_ELEMENTS = 1 << 22

#: Spec fields the loader needs.
_REQUIRED_FIELDS = ("target_widths", "bias_unit", "activations", "widths_g")

#: Activation names as the Rust reader accepts them (ASCII case and surrounding spaces
#: ignored), to their canonical names.
_ACTIVATION_NAMES = {
    "relu": "relu",
    "identity": "identity",
    "linear": "identity",
    "none": "identity",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "logistic": "sigmoid",
}

PathLike = Union[str, "os.PathLike[str]"]


def _sigmoid(y: np.ndarray) -> np.ndarray:
    """``1/(1+e^{-y})`` for ``y ≥ 0`` and ``e^y/(1+e^y)`` for ``y < 0`` (no overflow), as Rust."""
    e = np.exp(-np.abs(y))
    return np.where(y >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _relu(y: np.ndarray) -> np.ndarray:
    """``y`` where ``y > 0``, else ``+0.0`` (as Rust's ``if y > 0 { y } else { 0 }``)."""
    return np.where(y > 0.0, y, 0.0)


_ACTIVATIONS = {
    "relu": _relu,
    "identity": lambda y: y,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
}


def activation(name: str):
    """The function ``σ`` of an activation name (``relu``, ``identity``, ``tanh``, ``sigmoid``,
    or the aliases ``linear``, ``none``, ``logistic``), applied elementwise to an array.

    Raises :class:`ValueError` for an unknown name."""
    canonical = _ACTIVATION_NAMES.get(str(name).strip().lower())
    if canonical is None:
        raise ValueError(
            f"unknown activation `{name}`: expected one of relu, identity, tanh, sigmoid"
        )
    return _ACTIVATIONS[canonical]


@dataclass(frozen=True)
class TicketLayer:
    """One layer of Ĝ: the kept intermediate neurons between target layers ``i-1`` and ``i``.

    Attributes:
        index: ``i``, 1-based.
        n_in: ``n_{i-1}``, the layer's input width.
        n_out: ``n_i``, its output width.
        activation: ``σ_i``'s canonical name (``relu``, ``identity``, ``tanh``, ``sigmoid``).
        z: uint64 ``[kept]``, each kept neuron's index in G's intermediate layer, increasing.
        input: uint32 ``[kept]``, its input ``b``.
        u: float64 ``[kept]``, its input weight.
        edge_neuron: uint32 ``[edges]``, each edge's neuron (position in ``z``/``input``/``u``).
        edge_output: uint32 ``[edges]``, its output ``a``.
        edge_v: float64 ``[edges]``, its weight.
    """

    index: int
    n_in: int
    n_out: int
    activation: str
    z: np.ndarray
    input: np.ndarray
    u: np.ndarray
    edge_neuron: np.ndarray
    edge_output: np.ndarray
    edge_v: np.ndarray

    @property
    def kept(self) -> int:
        """The number of kept neurons."""
        return int(self.z.shape[0])

    @property
    def edges(self) -> int:
        """The number of kept output edges."""
        return int(self.edge_v.shape[0])

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The literal layer on a checked batch ``x`` of shape ``(batch, n_in)``:
        ``σ_i(Σ_edges v · relu(u · x_b))``, each output summed over its edges in file order
        (G's order, as Rust sums), by a scatter over the edges."""
        batch = x.shape[0]
        out = np.zeros((batch, self.n_out))
        if self.edges > 0 and batch > 0:
            chunk = max(1, _CHUNK_ELEMENTS // self.edges)
            for s in range(0, batch, chunk):
                xs = x[s : s + chunk]
                c = xs.shape[0]
                h = _relu(xs[:, self.input] * self.u)  # (c, kept)
                contrib = h[:, self.edge_neuron] * self.edge_v  # (c, edges)
                # One bincount for the chunk: row k's outputs live at k·n_out + a.
                idx = self.edge_output.astype(np.int64)[None, :] + (
                    self.n_out * np.arange(c, dtype=np.int64)
                )[:, None]
                out[s : s + c] = np.bincount(
                    idx.ravel(), weights=contrib.ravel(), minlength=c * self.n_out
                ).reshape(c, self.n_out)
        return activation(self.activation)(out)

    def virtual_matrices(self) -> Tuple[np.ndarray, np.ndarray]:
        """``(Ŵ⁺, Ŵ⁻)``, both dense ``n_out × n_in``: ``Ŵ±[a, b]`` sums ``v·u`` over the edges
        into ``a`` of the neurons with input ``b`` and ``u > 0`` (resp. ``u < 0``), in file
        order."""
        u = self.u[self.edge_neuron]
        w = self.edge_v * u
        flat = self.edge_output.astype(np.int64) * self.n_in + self.input[self.edge_neuron]
        size = self.n_out * self.n_in
        # (bincount of no indices gives int64 zeros: hence the cast.)
        plus = np.bincount(flat[u > 0], weights=w[u > 0], minlength=size).astype(np.float64)
        minus = np.bincount(flat[u < 0], weights=w[u < 0], minlength=size).astype(np.float64)
        return plus.reshape(self.n_out, self.n_in), minus.reshape(self.n_out, self.n_in)

    def dense(self) -> Tuple[np.ndarray, np.ndarray]:
        """``(U, V)``: ``U`` is ``kept × n_in`` (row ``r`` holds ``u`` of neuron ``r`` at its
        input), ``V`` is ``n_out × kept`` (column ``r`` holds its output weights)."""
        U = np.zeros((self.kept, self.n_in))
        U[np.arange(self.kept), self.input] = self.u
        V = np.zeros((self.n_out, self.kept))
        V[self.edge_output, self.edge_neuron] = self.edge_v
        return U, V


class Ticket:
    """A ticket read and checked: its spec, Ĝ's layers, and forward passes.

    Attributes:
        path: the file it was read from.
        format_version: the ticket format version (1).
        spec: every ``__metadata__`` field but ``format`` and ``format_version``, parsed from
            JSON (``target_widths``, ``bias_unit``, ``activations``, ``widths_g``, ``generator``,
            ``seed``, ``laws``, ``accuracy``, ``stats``, ...).
        layers: the :class:`TicketLayer` of each target layer, in order.
        input_width: ``n_0``, Ĝ's input width (with the bias unit if there is one).
        output_width: ``n_ℓ``.
        bias_unit: whether Ĝ's input is ``(x, 1)``.
    """

    def __init__(self, path: str, spec: Dict[str, Any], layers: List[TicketLayer]):
        self.path = path
        self.format_version = TICKET_VERSION
        self.spec = spec
        self.layers = layers
        widths = spec["target_widths"]
        self.input_width: int = widths[0]
        self.output_width: int = widths[-1]
        self.bias_unit: bool = spec["bias_unit"]

    def __repr__(self) -> str:
        kept = [l.kept for l in self.layers]
        return (
            f"Ticket({self.path!r}, widths={self.spec['target_widths']}, "
            f"bias_unit={self.bias_unit}, kept={kept})"
        )

    # ----------------------------------------------------------------------------- reading

    @classmethod
    def load(cls, path: PathLike) -> "Ticket":
        """Reads and checks the ticket at ``path``.

        Raises :class:`ValueError` naming what is wrong: not a safetensors file, not a ticket,
        an unsupported version, a missing or malformed metadata field or tensor, arrays that
        break the layer invariants, indices outside the target's or G's widths.
        :class:`OSError` if the file cannot be read."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(errno.ENOENT, "no such file", path)
        try:
            with safe_open(path, framework="np") as f:
                meta = f.metadata()
                names = list(f.keys())
                tensors = {name: f.get_tensor(name) for name in names}
        except Exception as e:  # safetensors raises its own error type for bad bytes
            raise ValueError(f"not a safetensors file: {e}") from e
        spec = _parse_metadata(meta)
        return cls(path, spec, _parse_layers(spec, tensors))

    # ------------------------------------------------------------------------ forward passes

    def append_bias_unit(self, x: np.ndarray) -> np.ndarray:
        """``x`` with a 1 appended to each input if the ticket has the bias unit, else ``x``
        (as float64). ``x`` is ``(batch, n0 - 1)`` or ``(n0 - 1,)`` for a ticket with the unit."""
        x = np.asarray(x, dtype=np.float64)
        if not self.bias_unit:
            return x
        if x.ndim == 1:
            return np.append(x, 1.0)
        if x.ndim == 2:
            return np.hstack([x, np.ones((x.shape[0], 1))])
        raise ValueError(f"inputs have shape {x.shape}: expected (batch, n) or (n,)")

    def _check_input(self, x: np.ndarray) -> Tuple[np.ndarray, bool]:
        x = np.asarray(x, dtype=np.float64)
        single = x.ndim == 1
        if single:
            x = x[None, :]
        if x.ndim != 2:
            raise ValueError(
                f"inputs have shape {x.shape}: expected (batch, {self.input_width}) "
                f"or ({self.input_width},)"
            )
        if x.shape[1] != self.input_width:
            hint = ""
            if self.bias_unit and x.shape[1] == self.input_width - 1:
                hint = " (the ticket has the bias unit: append a 1, see append_bias_unit)"
            raise ValueError(
                f"inputs have {x.shape[1]} coordinates, expected {self.input_width}{hint}"
            )
        bad = np.argwhere(~np.isfinite(x))
        if bad.size:
            k, b = bad[0]
            raise ValueError(f"input {k}, coordinate {b} is {x[k, b]}: expected a finite value")
        return x, single

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The literal Ĝ on ``x`` (``(batch, n0)`` or ``(n0,)``, float64): per layer
        ``h = relu(u · x[input])`` for every kept neuron, then ``y_a = σ_i(Σ_edges v · h)``,
        each sum in G's order (so it equals Rust's ``PrunedNetwork::forward_batch`` up to the
        rounding of ``exp``/``tanh``; bit for bit for ReLU and identity layers).

        Returns ``(batch, n_ℓ)``, or ``(n_ℓ,)`` for one input. Raises :class:`ValueError` for a
        wrong shape or a non-finite input."""
        y, single = self._check_input(x)
        for layer in self.layers:
            y = layer.forward(y)
        return y[0] if single else y

    def virtual_matrices(
        self, max_bytes: float = DENSE_LIMIT_BYTES
    ) -> List[Tuple[np.ndarray, np.ndarray]]:
        """``(Ŵ⁺, Ŵ⁻)`` of each layer, dense ``n_i × n_{i-1}`` (:meth:`TicketLayer.virtual_matrices`).

        Raises :class:`ValueError` if they would take more than ``max_bytes`` bytes
        (``16 · n_i · n_{i-1}`` per layer)."""
        need = sum(16.0 * l.n_out * l.n_in for l in self.layers)
        if need > max_bytes:
            raise ValueError(
                f"the virtual matrices would take {need:.0f} bytes, above the limit of "
                f"{max_bytes:.0f} bytes"
            )
        return [l.virtual_matrices() for l in self.layers]

    def forward_virtual(
        self, x: np.ndarray, max_bytes: float = DENSE_LIMIT_BYTES
    ) -> np.ndarray:
        """The virtual Ĝ on ``x``: per layer ``σ_i(Ŵ⁺ max(x, 0) + Ŵ⁻ min(x, 0))`` (dense matrix
        products; equal to :meth:`forward` up to rounding). Shapes and errors as
        :meth:`forward` and :meth:`virtual_matrices`."""
        y, single = self._check_input(x)
        for layer, (plus, minus) in zip(self.layers, self.virtual_matrices(max_bytes)):
            pre = np.maximum(y, 0.0) @ plus.T + np.minimum(y, 0.0) @ minus.T
            y = activation(layer.activation)(pre)
        return y[0] if single else y

    # ------------------------------------------------------------------------------- dense

    def dense_bytes(self) -> int:
        """Bytes of :meth:`dense_sequential`: ``8 · kept · (n_{i-1} + n_i)`` summed."""
        return sum(8 * l.kept * (l.n_in + l.n_out) for l in self.layers)

    def dense_sequential(self, max_bytes: float = DENSE_LIMIT_BYTES) -> List[np.ndarray]:
        """Ĝ as the dense weights ``[U_1, V_1, U_2, V_2, ...]`` of a bias-free
        ``nn.Sequential(Linear(n_0, kept_1, bias=False), ReLU(), Linear(kept_1, n_1,
        bias=False), σ_1, ...)``: ``U_i`` is ``kept_i × n_{i-1}``, ``V_i`` is ``n_i × kept_i``
        (PyTorch's ``Linear.weight`` layout, ``out × in``). For a small ticket only.

        Raises :class:`ValueError` naming the bytes needed if above ``max_bytes``."""
        need = self.dense_bytes()
        if need > max_bytes:
            raise ValueError(
                f"the dense network would take {need} bytes, above the limit of "
                f"{max_bytes:.0f} bytes: use forward() on the sparse ticket"
            )
        out: List[np.ndarray] = []
        for layer in self.layers:
            out.extend(layer.dense())
        return out

    def dense_state_dict(self, max_bytes: float = DENSE_LIMIT_BYTES) -> Dict[str, np.ndarray]:
        """:meth:`dense_sequential` keyed as that ``nn.Sequential``'s ``state_dict``:
        ``0.weight`` (``U_1``), ``2.weight`` (``V_1``), ``4.weight`` (``U_2``), ...,
        ``{4ℓ-2}.weight``; the keys and values of the Rust dense export
        (``pruned.safetensors``)."""
        ws = self.dense_sequential(max_bytes)
        return {f"{2 * k}.weight": w for k, w in enumerate(ws)}

    # ----------------------------------------------------------------------------- summary

    def summary(self) -> str:
        """A few lines describing the ticket."""
        s = self.spec
        lines = [
            f"{self.path}: {TICKET_FORMAT} version {self.format_version}",
            f"  target widths {s['target_widths']} (bias unit: {self.bias_unit}), "
            f"activations {s['activations']}",
            f"  G: widths {s['widths_g']}, generator {json.dumps(s.get('generator'))}, "
            f"seed {s.get('seed')}",
        ]
        for key in ("accuracy", "delta", "construction", "solver", "shard", "fingerprint"):
            if key in s:
                lines.append(f"  {key}: {json.dumps(s[key])}")
        for l in self.layers:
            per = np.bincount(l.edge_neuron, minlength=l.kept) if l.kept else np.zeros(1)
            lines.append(
                f"  layer {l.index}: {l.n_in} -> {l.n_out} ({l.activation}), "
                f"{l.kept} kept neurons of {s['widths_g'][l.index - 1]}, {l.edges} edges "
                f"(up to {int(per.max())} per neuron), {int(np.sum(l.u > 0))} with u > 0"
            )
        total = sum(20 * l.kept + 16 * l.edges for l in self.layers)
        lines.append(f"  data: {total} bytes; dense nn.Sequential: {self.dense_bytes()} bytes")
        return "\n".join(lines)


# --------------------------------------------------------------------------------- checks


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _parse_metadata(meta: Optional[Dict[str, str]]) -> Dict[str, Any]:
    """The checked spec from a ticket's ``__metadata__``."""
    if not meta:
        raise ValueError("no __metadata__: not a logprune ticket")
    fmt = meta.get("format")
    if fmt is None:
        raise ValueError("metadata `format` is missing: not a logprune ticket")
    if fmt != TICKET_FORMAT:
        raise ValueError(f"metadata `format` is `{fmt}`, expected `{TICKET_FORMAT}`")
    version = meta.get("format_version")
    if version is None:
        raise ValueError("metadata `format_version` is missing")
    if version != str(TICKET_VERSION):
        raise ValueError(
            f"format version `{version}` is not supported: expected {TICKET_VERSION}"
        )
    spec: Dict[str, Any] = {}
    for key, text in meta.items():
        if key in ("format", "format_version"):
            continue
        try:
            spec[key] = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"metadata `{key}` is not JSON: {e}") from e
    for key in _REQUIRED_FIELDS:
        if key not in spec:
            raise ValueError(f"metadata `{key}` is missing")
    widths = spec["target_widths"]
    if (
        not isinstance(widths, list)
        or len(widths) < 2
        or not all(_is_int(w) and 1 <= w < 2**32 for w in widths)
    ):
        raise ValueError(
            f"metadata `target_widths` is {widths!r}: expected a list of at least two "
            "integers in [1, 2^32)"
        )
    ell = len(widths) - 1
    if not isinstance(spec["bias_unit"], bool):
        raise ValueError(f"metadata `bias_unit` is {spec['bias_unit']!r}: expected true or false")
    acts = spec["activations"]
    if not isinstance(acts, list) or len(acts) != ell:
        raise ValueError(
            f"metadata `activations` is {acts!r}: expected a list of {ell} names, one per layer"
        )
    for a in acts:
        try:
            activation(a)
        except ValueError as e:
            raise ValueError(f"metadata `activations`: {e}") from None
    spec["activations"] = [_ACTIVATION_NAMES[str(a).strip().lower()] for a in acts]
    wg = spec["widths_g"]
    if not isinstance(wg, list) or len(wg) != ell or not all(_is_int(w) and w >= 0 for w in wg):
        raise ValueError(
            f"metadata `widths_g` is {wg!r}: expected {ell} nonnegative integers, one per layer"
        )
    for key in ("laws", "stats"):
        if key in spec and (not isinstance(spec[key], list) or len(spec[key]) != ell):
            n = len(spec[key]) if isinstance(spec[key], list) else "not a list of"
            raise ValueError(
                f"metadata `{key}` has {n} entries, expected one per layer ({ell})"
            )
    return spec


#: The six tensors of a layer: suffix, numpy dtype, safetensors dtype name.
_LAYER_TENSORS = (
    ("z", np.dtype("<u8"), "U64"),
    ("input", np.dtype("<u4"), "U32"),
    ("u", np.dtype("<f8"), "F64"),
    ("edge_neuron", np.dtype("<u4"), "U32"),
    ("edge_output", np.dtype("<u4"), "U32"),
    ("edge_v", np.dtype("<f8"), "F64"),
)

_NP_TO_ST = {
    "u1": "U8", "u2": "U16", "u4": "U32", "u8": "U64",
    "i1": "I8", "i2": "I16", "i4": "I32", "i8": "I64",
    "f2": "F16", "f4": "F32", "f8": "F64", "b1": "BOOL",
}  # fmt: skip


def _st_dtype(a: np.ndarray) -> str:
    return _NP_TO_ST.get(f"{a.dtype.kind}{a.dtype.itemsize}", str(a.dtype))


def _first(mask: np.ndarray) -> Optional[int]:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _parse_layers(spec: Dict[str, Any], tensors: Dict[str, np.ndarray]) -> List[TicketLayer]:
    """The checked layers from a ticket's tensors."""
    widths, acts, wg = spec["target_widths"], spec["activations"], spec["widths_g"]
    ell = len(widths) - 1
    expected = {f"layer{i}.{s}" for i in range(1, ell + 1) for s, _, _ in _LAYER_TENSORS}
    extra = sorted(set(tensors) - expected)
    if extra:
        raise ValueError(
            f"unexpected tensor `{extra[0]}`: a ticket of {ell} layers has exactly the "
            f"{6 * ell} tensors layer{{1..{ell}}}.{{z, input, u, edge_neuron, edge_output, edge_v}}"
        )
    layers = []
    for i in range(1, ell + 1):
        arrays = {}
        for suffix, dtype, st in _LAYER_TENSORS:
            name = f"layer{i}.{suffix}"
            if name not in tensors:
                raise ValueError(f"tensor `{name}` is missing")
            a = tensors[name]
            if a.dtype.kind != dtype.kind or a.dtype.itemsize != dtype.itemsize or a.ndim != 1:
                raise ValueError(
                    f"tensor `{name}` is {_st_dtype(a)} of shape {list(a.shape)}, "
                    f"expected {st} of one dimension"
                )
            arrays[suffix] = np.ascontiguousarray(a, dtype=dtype.newbyteorder("="))
        n_in, n_out = widths[i - 1], widths[i]
        z, inp, u = arrays["z"], arrays["input"], arrays["u"]
        en, eo, ev = arrays["edge_neuron"], arrays["edge_output"], arrays["edge_v"]
        kept = z.shape[0]
        where = f"layer {i}"
        if inp.shape[0] != kept or u.shape[0] != kept:
            raise ValueError(
                f"{where}: {kept} neurons, {inp.shape[0]} inputs and {u.shape[0]} input "
                "weights: expected equal counts"
            )
        if en.shape[0] != eo.shape[0] or ev.shape[0] != eo.shape[0]:
            raise ValueError(
                f"{where}: {en.shape[0]} edge positions, {eo.shape[0]} outputs and "
                f"{ev.shape[0]} weights: expected equal counts"
            )
        k = _first(z[1:] <= z[:-1])
        if k is not None:
            raise ValueError(
                f"{where}: neuron {k + 1} has z = {z[k + 1]} after {z[k]}: expected strictly "
                "increasing z"
            )
        if kept and int(z[-1]) >= wg[i - 1]:
            raise ValueError(
                f"{where}: neuron {int(z[-1])} is outside G's width {wg[i - 1]}"
            )
        k = _first(inp >= n_in)
        if k is not None:
            raise ValueError(
                f"{where}: neuron z = {z[k]} has input {inp[k]}: expected below n_{i - 1} = {n_in}"
            )
        k = _first(~np.isfinite(u) | (u == 0.0))
        if k is not None:
            raise ValueError(
                f"{where}: neuron z = {z[k]} has input weight {u[k]}: expected finite and nonzero"
            )
        e = _first((en >= kept) | np.concatenate([[False], en[1:] < en[:-1]]))
        if e is not None:
            raise ValueError(
                f"{where}: edge {e} has neuron position {en[e]}: expected nondecreasing "
                f"positions below {kept}"
            )
        e = _first(eo >= n_out)
        if e is not None:
            raise ValueError(
                f"{where}: edge {e} has output {eo[e]}: expected below n_{i} = {n_out}"
            )
        e = _first(np.concatenate([[False], (en[1:] == en[:-1]) & (eo[1:] <= eo[:-1])]))
        if e is not None:
            raise ValueError(
                f"{where}: edge {e} has output {eo[e]} after {eo[e - 1]} for the same neuron: "
                "expected increasing outputs within a neuron"
            )
        e = _first(~np.isfinite(ev) | (ev == 0.0))
        if e is not None:
            raise ValueError(
                f"{where}: edge {e} has weight {ev[e]}: expected finite and nonzero"
            )
        layers.append(TicketLayer(i, n_in, n_out, acts[i - 1], z, inp, u, en, eo, ev))
    return layers


def main(argv: List[str]) -> int:
    """Prints the summary of each ticket named in ``argv``; 1 if one cannot be read."""
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python3 logprune_ticket.py TICKET.safetensors [...]", file=sys.stderr)
        return 0 if argv else 2
    status = 0
    for path in argv:
        try:
            print(Ticket.load(path).summary())
        except ValueError as e:
            print(f"error: {path}: {e}", file=sys.stderr)
            status = 1
        except OSError as e:
            print(f"error: {e}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
