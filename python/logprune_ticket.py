#!/usr/bin/env python3
"""Reference reader of logprune tickets (format versions 2 and 1), with numpy and safetensors
only.

A *ticket* is the pruned network Ĝ that ``logprune prune`` writes: a safetensors file in one of
two forms, told apart by the metadata's ``format_version``. The Rust module
``crates/construction/src/ticket.rs`` is the specification.

**Format version 2** (compact, the default): the mask alone. Per layer ``i = 1..ℓ`` of the
target, four flat tensors of unsigned integers, each in the smallest of U8, U16, U32, U64 that
holds it (the metadata ``dtypes`` names them, one object per layer):

==========================  ==========  ====================================================
tensor                      shape       holds
==========================  ==========  ====================================================
``layer{i}.z_delta``        [kept]      the kept neurons' indices ``z`` in G's layer,
                                        delta-coded: entry 0 is ``z_0``, entry ``k ≥ 1`` is
                                        ``z_k − z_{k−1} ≥ 1``; every ``z < M_i``
``layer{i}.input``          [kept]      each kept neuron's one input ``b < n_in``
``layer{i}.edges``          [kept]      its number of kept output edges (they sum to
                                        ``edges``)
``layer{i}.edge_output``    [edges]     each edge's output ``a < n_out``: neuron 0's edges
                                        first, increasing within a neuron
==========================  ==========  ====================================================

The weights are not stored: the loader re-derives them from G with
``logprune_generator.py`` (which must sit beside this file), bit for bit as Rust does: with
``t = i − 1``, ``u = U_i[z, b]`` is G's weight on stream ``2t`` at port ``b`` with fan
``n_in`` and ``v = V_i[a, z]`` on stream ``2t + 1`` at port ``a`` with fan ``n_out``, drawn from
the ticket's ``generator`` (``philox-v1``, ``philox-v2`` or ``ars-v3``), ``seed`` and
``laws[t]`` (``[U law, V law]``: hyperbolic, uniform or Gaussian).

**Format version 1** (``--store-weights``): the mask and the weights. Per layer six flat
tensors:

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

Both read to the same :class:`TicketLayer` arrays (a compact ticket's ``u`` and ``v`` are the
ones the other form stores, bit for bit). The ``__metadata__`` has ``format =
"logprune-ticket"``, ``format_version`` and the run's spec, each field as JSON text
(``target_widths``, ``bias_unit``, ``activations``, ``widths_g``, ``generator``, ``seed``,
``laws``, ``accuracy``, ``stats``, ...). (``n_in``, ``n_out``) are ``(n_{i−1}, n_i)``, the
target widths with the bias unit, for an MLP, and ``graph.fans[i−1]`` for a graph target.

Layer ``i`` of Ĝ computes ``σ_i(Σ_edges v · relu(u · x_b))``, summed into output ``a`` (the
literal network), or equally ``σ_i(Ŵ⁺ max(x, 0) + Ŵ⁻ min(x, 0))`` with
``Ŵ⁺[a, b] = Σ_{edges, u > 0} v·u`` and ``Ŵ⁻[a, b] = Σ_{edges, u < 0} v·u`` (the virtual
matrices). If ``spec["bias_unit"]`` is true the target's biases are carried by a constant
unit: Ĝ's input is ``(x, 1)``, so append a 1 to every input (:meth:`Ticket.append_bias_unit`).

Example::

    from logprune_ticket import Ticket
    t = Ticket.load("run/ticket.safetensors")
    y = t.forward(t.append_bias_unit(x))      # x: (batch, n0) or (n0,), float64

A ticket of a *graph* target (convolutions, pooling, residual adds, imported from ONNX) has
the metadata ``graph``: ``input`` ``[C, H, W]``, ``nodes`` (``name``, ``op``, ``inputs`` as node
ids, 0 the input, ``shape``, and ``window`` ``[kernel, stride, padding [top, left, bottom,
right], dilation]``, ``count_include_pad``, ``bias``, ``scale`` ``[factors, shifts or null]``
where they apply) and ``fans`` (``[n_in, n_out]`` per linear node); ``target_widths`` and
``activations`` are empty. Each linear node (dense or conv, in node order) is one layer of Ĝ
whose columns are ``(input channel b, tap p)`` at ``b·kh·kw + p`` (a dense node's: its input
coordinates), plus a last column reading a constant 1 if the node has a bias; the layer runs
at every output position on the column the node reads there. :meth:`Ticket.forward` takes
``(batch, C·H·W)`` inputs (``x.reshape(batch, -1)`` of ``C × H × W`` images) and runs the
graph node by node (:class:`TicketGraph`)::

    t = Ticket.load("run/ticket.safetensors")     # t.graph is not None
    y = t.forward(images.reshape(len(images), -1))

Every check of the Rust reader that concerns Ĝ is made here too (names, dtypes, shapes,
metadata, the layer arrays' invariants, indices against G's and the target's widths; for a
compact ticket the ``dtypes``, the deltas, the edge counts, and a generator and laws that
``logprune_generator`` implements); a bad file raises :class:`ValueError` naming what is wrong
(the layer and the tensor).

Speed: a compact ticket costs the re-derivation of its weights, one generator block per weight
(about 3 M weights/s for ars-v3 on one core, plus the law: ``logprune_generator``'s docstring);
a 784-500-10 ticket of 3.45M kept neurons and as many edges loads in about 3.5 s, against
0.1 s with the weights.

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
import math
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
from safetensors import safe_open

#: The ``format`` metadata value of a ticket.
TICKET_FORMAT = "logprune-ticket"

#: The compact ticket format version (the mask alone; the weights re-derived from G), which
#: ``logprune prune`` writes by default.
TICKET_VERSION = 2

#: The ticket format version with the kept weights (``--store-weights``).
TICKET_VERSION_WEIGHTS = 1

#: The format versions this module reads.
TICKET_VERSIONS = (TICKET_VERSION_WEIGHTS, TICKET_VERSION)

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
    """The function ``σ`` of an activation name as Rust reads it (``relu``, ``identity``,
    ``tanh``, ``sigmoid``, ``gelu``, ``leaky-relu[:slope]``, ``elu[:alpha]``, or the aliases
    ``linear``, ``none``, ``logistic``; :func:`graph_activation`), applied elementwise to an
    array.

    Raises :class:`ValueError` for an unknown name."""
    return graph_activation_fn(name)


def canonical_activation(name: str) -> str:
    """An activation name with its family canonical (``linear`` → ``identity``, ...) and its
    parameter, if any, as written (``leaky-relu:0.1``).

    Raises :class:`ValueError` for an unknown name."""
    family, _ = graph_activation(name)
    _, sep, param = str(name).partition(":")
    return f"{family}:{param.strip()}" if sep else family


@dataclass(frozen=True)
class TicketLayer:
    """One layer of Ĝ: the kept intermediate neurons between target layers ``i-1`` and ``i``.

    Attributes:
        index: ``i``, 1-based.
        n_in: ``n_{i-1}``, the layer's input width.
        n_out: ``n_i``, its output width.
        activation: ``σ_i``'s canonical name (``relu``, ``identity``, ``tanh``, ``sigmoid``,
            ``gelu``, ``leaky-relu[:slope]``, ``elu[:alpha]``; always ``identity`` in a graph
            ticket, whose graph applies the activations).
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


# ----------------------------------------------------------------------------- graph tickets

#: ``1/√2`` as Rust's ``FRAC_1_SQRT_2``.
_FRAC_1_SQRT_2 = 0.7071067811865476

#: A number as Rust's ``f64::from_str`` reads an activation's parameter (no ``_``, no words).
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")

#: The operations of a graph node besides the activations, with their arity.
_GRAPH_OPS = {
    "dense": 1,
    "conv": 1,
    "scale": 1,
    "max-pool": 1,
    "avg-pool": 1,
    "global-avg-pool": 1,
    "flatten": 1,
    "add": 2,
}


def _leaky_relu(slope: float):
    return lambda y: np.where(y >= 0.0, y, slope * y)


def _elu(alpha: float):
    # a·(e^y − 1) for y ≤ 0 (expm1 of min(y, 0): no overflow where it is not used).
    return lambda y: np.where(y > 0.0, y, alpha * np.expm1(np.minimum(y, 0.0)))


_ERFC = np.frompyfunc(math.erfc, 1, 1)


def _gelu(y: np.ndarray) -> np.ndarray:
    """``0.5·y·erfc(−y/√2)``, as Rust computes it (``math.erfc`` elementwise)."""
    y = np.asarray(y, dtype=np.float64)
    return 0.5 * y * _ERFC(-y * _FRAC_1_SQRT_2).astype(np.float64)


def graph_activation(name: str) -> Tuple[str, Optional[float]]:
    """An activation node's op name, as Rust prints and reads it, to ``(family, parameter)``:
    ``relu``, ``identity`` (or ``linear``, ``none``), ``tanh``, ``sigmoid`` (or
    ``logistic``), ``gelu``, ``leaky-relu`` (slope 0.01) or ``leaky-relu:<slope>``, ``elu``
    (α = 1) or ``elu:<alpha>``, ignoring ASCII case and surrounding spaces.
    :func:`graph_activation_fn` gives its function.

    Raises :class:`ValueError` for an unknown name or a parameter that is not a finite number
    or not taken."""
    text = str(name)
    lower = text.strip().lower()
    family, sep, param = lower.partition(":")
    family = family.strip()
    family = {"linear": "identity", "none": "identity", "logistic": "sigmoid"}.get(family, family)
    if family in ("leaky-relu", "elu"):
        if not sep:
            return family, 0.01 if family == "leaky-relu" else 1.0
        p = param.strip()
        value = float(p) if _NUMBER.fullmatch(p) else math.nan
        if not math.isfinite(value):
            raise ValueError(f"activation `{text}`: the parameter `{p}` of {family} is not a "
                             "finite number")
        return family, value
    if family in ("relu", "identity", "tanh", "sigmoid", "gelu"):
        if sep:
            raise ValueError(f"activation `{text}`: {family} takes no parameter, got "
                             f"`{param.strip()}`")
        return family, None
    raise ValueError(
        f"unknown activation `{text}`: expected one of relu, identity, tanh, sigmoid, "
        "leaky-relu[:slope], elu[:alpha], gelu"
    )


def graph_activation_fn(name: str):
    """The function ``σ`` of an activation node's op name (:func:`graph_activation`), applied
    elementwise to an array as Rust's ``Activation::apply``."""
    family, p = graph_activation(name)
    if family == "leaky-relu":
        return _leaky_relu(p)
    if family == "elu":
        return _elu(p)
    if family == "gelu":
        return _gelu
    return _ACTIVATIONS[family]


@dataclass(frozen=True)
class GraphWindow:
    """A conv or pooling window: ``kernel`` ``(kh, kw)``, ``stride`` ``(sh, sw)``, zero
    ``padding`` ``(top, left, bottom, right)`` and ``dilation`` ``(dh, dw)``."""

    kernel: Tuple[int, int]
    stride: Tuple[int, int]
    padding: Tuple[int, int, int, int]
    dilation: Tuple[int, int]

    @property
    def taps(self) -> int:
        """``kh·kw``."""
        return self.kernel[0] * self.kernel[1]

    def out_len(self, n: int, axis: int) -> Optional[int]:
        """The output length along ``axis`` (0: height, 1: width) of an input of length
        ``n``, or ``None`` if the window does not fit: ``⌊(n + pads − d·(k − 1) − 1)/s⌋ + 1``."""
        span = self.dilation[axis] * (self.kernel[axis] - 1) + 1
        padded = n + self.padding[axis] + self.padding[axis + 2]
        if padded < span:
            return None
        return (padded - span) // self.stride[axis] + 1

    def sources(self, n: int, out: int, axis: int) -> np.ndarray:
        """``(out, k)``: the padded coordinate ``o·s + i·d`` that tap ``i`` reads at output
        ``o`` (the input coordinate plus the leading padding)."""
        o = np.arange(out, dtype=np.int64) * self.stride[axis]
        i = np.arange(self.kernel[axis], dtype=np.int64) * self.dilation[axis]
        return o[:, None] + i[None, :]

    def in_range(self, n: int, out: int, axis: int) -> np.ndarray:
        """``(out, k)``: whether that tap reads inside the input (not the padding)."""
        s = self.sources(n, out, axis)
        pad = self.padding[axis]
        return (s >= pad) & (s < pad + n)


@dataclass(frozen=True)
class GraphNode:
    """A node of a graph ticket (``graph.nodes[id - 1]``), checked.

    Attributes:
        id: its id (1-based; 0 is the graph's input).
        name: its name.
        op: ``dense``, ``conv``, ``scale``, ``max-pool``, ``avg-pool``, ``global-avg-pool``,
            ``flatten``, ``add``, or an activation as recorded (``relu``, ``leaky-relu:0.1``, ...).
        inputs: the ids it reads (two for ``add``).
        shape: ``(C, H, W)`` of its value.
        window: a conv's or pool's :class:`GraphWindow`, else ``None``.
        count_include_pad: average pooling: whether padding counts in the divisor.
        bias: a linear node: whether its last column is a bias (read from a constant 1).
        scale, shift: a scale node's factors and shifts (``None`` if none) per channel.
        layer: a linear node's layer of Ĝ (0-based index into :attr:`Ticket.layers`), else
            ``None``.
    """

    id: int
    name: str
    op: str
    inputs: Tuple[int, ...]
    shape: Tuple[int, int, int]
    window: Optional[GraphWindow] = None
    count_include_pad: Optional[bool] = None
    bias: Optional[bool] = None
    scale: Optional[np.ndarray] = None
    shift: Optional[np.ndarray] = None
    layer: Optional[int] = None

    @property
    def is_linear(self) -> bool:
        """Whether it is a layer of Ĝ (dense or conv)."""
        return self.op in ("dense", "conv")

    @property
    def is_activation(self) -> bool:
        """Whether it applies an activation."""
        return self.op not in _GRAPH_OPS


@dataclass(frozen=True)
class TicketGraph:
    """The graph of a graph ticket (metadata ``graph``), checked: every node's shape follows
    from its inputs, and the fans are those of the linear nodes.

    Attributes:
        input: ``(C, H, W)`` of the input.
        nodes: the :class:`GraphNode` s in order (node ``k`` is ``nodes[k - 1]``).
        fans: ``(n_in, n_out)`` of each linear node (``c_in·kh·kw`` columns plus one for a bias,
            by ``c_out`` rows for a conv), the layers of Ĝ in order.
        shapes: ``shapes[k]`` is node ``k``'s shape (``shapes[0]`` the input's).
    """

    input: Tuple[int, int, int]
    nodes: Tuple[GraphNode, ...]
    fans: Tuple[Tuple[int, int], ...]
    shapes: Tuple[Tuple[int, int, int], ...]

    @property
    def input_width(self) -> int:
        """``C·H·W`` of the input."""
        return int(np.prod(self.input))

    @property
    def output_width(self) -> int:
        """``C·H·W`` of the output (the last node)."""
        return int(np.prod(self.shapes[-1]))

    @property
    def linear_nodes(self) -> List[GraphNode]:
        """The linear nodes, the layers of Ĝ in order."""
        return [n for n in self.nodes if n.is_linear]


def _int_list(v: Any, n: int, lo: int) -> Optional[Tuple[int, ...]]:
    if isinstance(v, list) and len(v) == n and all(_is_int(x) and lo <= x < 2**32 for x in v):
        return tuple(v)
    return None


def _parse_window(v: Any, where: str) -> GraphWindow:
    bad = ValueError(
        f"{where}: `window` is {v!r}: expected [kernel [kh, kw], stride [sh, sw], padding "
        "[top, left, bottom, right], dilation [dh, dw]], kernel, stride and dilation at least 1"
    )
    if not isinstance(v, list) or len(v) != 4:
        raise bad
    parts = (_int_list(v[0], 2, 1), _int_list(v[1], 2, 1), _int_list(v[2], 4, 0),
             _int_list(v[3], 2, 1))  # fmt: skip
    if any(p is None for p in parts):
        raise bad
    return GraphWindow(*parts)  # type: ignore[arg-type]


def _window_shape(x: Tuple[int, int, int], win: GraphWindow, c: int, where: str):
    h, w = win.out_len(x[1], 0), win.out_len(x[2], 1)
    if h is None or w is None:
        raise ValueError(f"{where}: the window {win} does not fit an input of shape {list(x)}")
    return (c, h, w)


def _parse_graph(g: Any) -> TicketGraph:
    """The checked graph of a ticket's ``graph`` metadata (JSON already parsed)."""
    where = "metadata `graph`"
    if not isinstance(g, dict):
        raise ValueError(f"{where} is {type(g).__name__}: expected an object with `input`, "
                         "`nodes` and `fans`")
    for key in ("input", "nodes", "fans"):
        if key not in g:
            raise ValueError(f"{where}: `{key}` is missing")
    inp = _int_list(g["input"], 3, 1)
    if inp is None or inp[0] * inp[1] * inp[2] >= 2**32:
        raise ValueError(f"{where}: `input` is {g['input']!r}: expected [C, H, W], each at least "
                         "1, with C·H·W below 2^32")
    raw = g["nodes"]
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}: `nodes` is {raw!r}: expected a nonempty list of nodes")
    shapes: List[Tuple[int, int, int]] = [inp]
    nodes: List[GraphNode] = []
    fans: List[Tuple[int, int]] = []
    for k, n in enumerate(raw, start=1):
        at = f"{where}: node {k}"
        if not isinstance(n, dict):
            raise ValueError(f"{at} is {n!r}: expected an object")
        for key in ("name", "op", "inputs", "shape"):
            if key not in n:
                raise ValueError(f"{at}: `{key}` is missing")
        name, op = n["name"], n["op"]
        if not isinstance(name, str) or not isinstance(op, str):
            raise ValueError(f"{at}: `name` and `op` must be strings")
        at = f"{where}: node {k} ({name}, {op})"
        if op not in _GRAPH_OPS:
            try:
                graph_activation(op)
            except ValueError as e:
                raise ValueError(f"{at}: {e}") from None
        arity = _GRAPH_OPS.get(op, 1)
        ins = n["inputs"]
        if not isinstance(ins, list) or not all(_is_int(i) for i in ins) or len(ins) != arity:
            raise ValueError(f"{at}: `inputs` is {ins!r}: expected {arity} node id(s)")
        bad = [i for i in ins if not 0 <= i < k]
        if bad:
            raise ValueError(f"{at}: input {bad[0]} is not an earlier node (ids 0..{k - 1})")
        shape = _int_list(n["shape"], 3, 1)
        if shape is None or shape[0] * shape[1] * shape[2] >= 2**32:
            raise ValueError(f"{at}: `shape` is {n['shape']!r}: expected [C, H, W], each at least "
                             "1, with C·H·W below 2^32")
        x = shapes[ins[0]]
        fields: Dict[str, Any] = {}
        if op in ("dense", "conv"):
            bias = n.get("bias")
            if not isinstance(bias, bool):
                raise ValueError(f"{at}: `bias` is {bias!r}: expected true or false")
            fields["bias"] = bias
            fields["layer"] = len(fans)
            if op == "dense":
                expected = (shape[0], 1, 1)
                fans.append((x[0] * x[1] * x[2] + int(bias), shape[0]))
            else:
                win = _parse_window(n.get("window"), at)
                fields["window"] = win
                expected = _window_shape(x, win, shape[0], at)
                fans.append((x[0] * win.taps + int(bias), shape[0]))
        elif op == "scale":
            sc = n.get("scale")
            ok = isinstance(sc, list) and len(sc) == 2
            factors = shifts = None
            if ok:
                factors = _float_list(sc[0], x[0])
                shifts = None if sc[1] is None else _float_list(sc[1], x[0])
                ok = factors is not None and (sc[1] is None or shifts is not None)
            if not ok:
                raise ValueError(
                    f"{at}: `scale` is {sc!r}: expected [factors, shifts or null], {x[0]} "
                    "finite numbers each (one per channel)"
                )
            fields["scale"], fields["shift"] = factors, shifts
            expected = x
        elif op in ("max-pool", "avg-pool"):
            win = _parse_window(n.get("window"), at)
            fields["window"] = win
            (kh, kw), (pt, pl, pb, pr) = win.kernel, win.padding
            if max(pt, pb) >= kh or max(pl, pr) >= kw:
                raise ValueError(f"{at}: padding {list(win.padding)} must be smaller than the "
                                 f"kernel {list(win.kernel)}")
            if op == "avg-pool":
                cip = n.get("count_include_pad")
                if not isinstance(cip, bool):
                    raise ValueError(f"{at}: `count_include_pad` is {cip!r}: expected true or false")
                if win.dilation != (1, 1):
                    raise ValueError(f"{at}: average pooling with dilation {list(win.dilation)}; "
                                     "only dilation 1 is supported")
                fields["count_include_pad"] = cip
            expected = _window_shape(x, win, x[0], at)
            if shape == expected:  # (else refused below)
                for axis in (0, 1):
                    if not win.in_range(x[axis + 1], expected[axis + 1], axis).any(axis=1).all():
                        raise ValueError(f"{at}: some window reads only padding")
        elif op == "global-avg-pool":
            expected = (x[0], 1, 1)
        elif op == "flatten":
            expected = (x[0] * x[1] * x[2], 1, 1)
        elif op == "add":
            if shapes[ins[1]] != x:
                raise ValueError(f"{at}: adds {list(x)} to {list(shapes[ins[1]])}; the shapes "
                                 "must agree")
            expected = x
        else:  # an activation
            expected = x
        if shape != expected:
            raise ValueError(f"{at}: `shape` is {list(shape)}, but its inputs make it "
                             f"{list(expected)}")
        shapes.append(shape)
        nodes.append(GraphNode(k, name, op, tuple(ins), shape, **fields))
    rf = g["fans"]
    if not isinstance(rf, list) or not all(_int_list(f, 2, 1) is not None for f in rf):
        raise ValueError(f"{where}: `fans` is {rf!r}: expected [n_in, n_out] pairs")
    if len(rf) != len(fans):
        raise ValueError(f"{where}: `fans` has {len(rf)} entries, but the graph has "
                         f"{len(fans)} linear nodes")
    linear = [n for n in nodes if n.is_linear]
    for t, (f, node) in enumerate(zip(rf, linear)):
        if tuple(f) != fans[t]:
            raise ValueError(
                f"{where}: fans[{t}] is {f}, but node {node.id} ({node.name}, {node.op}) has "
                f"{list(fans[t])} (columns, rows)"
            )
    if not fans:
        raise ValueError(f"{where}: no dense or conv node: a graph ticket has one layer per "
                         "linear node")
    return TicketGraph(inp, tuple(nodes), tuple(fans), tuple(shapes))


def _float_list(v: Any, n: int) -> Optional[np.ndarray]:
    if not isinstance(v, list) or len(v) != n:
        return None
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        return None
    a = np.array(v, dtype=np.float64)
    return a if np.all(np.isfinite(a)) else None


def _parse_graph_metadata(spec: Dict[str, Any]) -> TicketGraph:
    """A graph ticket's graph, with its other metadata checked against it."""
    graph = _parse_graph(spec["graph"])
    for key, empty in (("target_widths", []), ("activations", []), ("bias_unit", False)):
        if spec[key] != empty or type(spec[key]) is not type(empty):
            raise ValueError(f"metadata `{key}` is {spec[key]!r}: a graph ticket has "
                             f"{json.dumps(empty)} (its layers are the graph's linear nodes)")
    _check_per_layer(spec, len(graph.fans))
    return graph


def _gather(x: np.ndarray, win: GraphWindow, out_hw: Tuple[int, int], fill: float) -> np.ndarray:
    """``(N, C, oh, ow, kh, kw)``: the value each tap of ``win`` reads at each output position
    of ``x`` (``(N, C, H, W)``), ``fill`` in the padding (index arrays on the padded input)."""
    n, c, h, w = x.shape
    oh, ow = out_hw
    iy = win.sources(h, oh, 0)
    ix = win.sources(w, ow, 1)
    pt, pl = win.padding[0], win.padding[1]
    # Pad at least as far as the last tap reads (the window fits, so within the padding).
    pb = max(0, int(iy.max()) + 1 - pt - h)
    pr = max(0, int(ix.max()) + 1 - pl - w)
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=fill)
    return xp[:, :, iy[:, None, :, None], ix[None, :, None, :]]


def _sequential_sum(a: np.ndarray) -> np.ndarray:
    """The sum over the last axis, left to right as Rust's loops add (``cumsum`` is sequential;
    numpy's ``sum`` is pairwise)."""
    if a.shape[-1] == 0:
        return np.zeros(a.shape[:-1])
    return np.cumsum(a, axis=-1)[..., -1]


def _stage_columns(node: GraphNode, x: np.ndarray) -> np.ndarray:
    """The columns a linear node reads, ``(N·P, n_in)``: row ``k·P + o`` for input ``k`` at
    output position ``o``, column ``b·kh·kw + p`` (channel ``b``, tap ``p``; the input
    coordinate for a dense node), then a column of ones for the bias (Rust's
    ``stage_columns``)."""
    n = x.shape[0]
    if node.op == "dense":
        cols = x.reshape(n, -1)
    else:
        assert node.window is not None
        g = _gather(x, node.window, node.shape[1:], 0.0)  # (N, C, oh, ow, kh, kw)
        cols = g.transpose(0, 2, 3, 1, 4, 5).reshape(n * node.shape[1] * node.shape[2], -1)
    if node.bias:
        cols = np.hstack([cols, np.ones((cols.shape[0], 1))])
    return cols


def _unfold(out: np.ndarray, node: GraphNode, n: int) -> np.ndarray:
    """A stage's output ``(N·P, c_out)`` as the node's value ``(N, c_out, oh, ow)``."""
    c, oh, ow = node.shape
    return np.ascontiguousarray(out.reshape(n, oh * ow, c).transpose(0, 2, 1)).reshape(n, c, oh, ow)


def _apply_node(node: GraphNode, ins: List[np.ndarray]) -> np.ndarray:
    """A non-linear node's value ``(N, C, H, W)`` from its inputs' (Rust's ``apply_node``)."""
    x = ins[0]
    n = x.shape[0]
    op = node.op
    if op == "scale":
        assert node.scale is not None
        shift = np.zeros_like(node.scale) if node.shift is None else node.shift
        return x * node.scale[None, :, None, None] + shift[None, :, None, None]
    if op == "max-pool":
        assert node.window is not None
        # Padding never wins: it reads −∞.
        return _gather(x, node.window, node.shape[1:], -np.inf).max(axis=(4, 5))
    if op == "avg-pool":
        win = node.window
        assert win is not None
        g = _gather(x, win, node.shape[1:], 0.0)
        # The taps in row-major order, left to right (a padded tap adds 0).
        s = _sequential_sum(g.reshape(g.shape[:4] + (-1,)))
        if node.count_include_pad:
            return s / float(win.taps)
        h, w = x.shape[2], x.shape[3]
        cy = win.in_range(h, node.shape[1], 0).sum(axis=1)
        cx = win.in_range(w, node.shape[2], 1).sum(axis=1)
        return s / (cy[:, None] * cx[None, :]).astype(np.float64)
    if op == "global-avg-pool":
        c, h, w = x.shape[1:]
        return (_sequential_sum(x.reshape(n, c, h * w)) / float(h * w)).reshape(n, c, 1, 1)
    if op == "flatten":
        return x.reshape(n, -1, 1, 1)
    if op == "add":
        return x + ins[1]
    return graph_activation_fn(op)(x)


def _graph_elements_per_input(graph: TicketGraph) -> int:
    """The largest temporary a node makes per input, in elements (im2col or a pool's taps)."""
    most = 1
    for node, h in zip(graph.nodes, graph.shapes[1:]):
        p = h[1] * h[2]
        if node.is_linear and node.layer is not None:
            most = max(most, p * graph.fans[node.layer][0])
        elif node.window is not None:
            most = max(most, p * h[0] * node.window.taps)
    return most


def _run_graph(graph: TicketGraph, x: np.ndarray, linear) -> np.ndarray:
    """Runs ``graph`` on a checked batch ``x`` (``(N, C·H·W)``), each linear node by
    ``linear(node, columns)`` (``(N·P, n_in)`` to ``(N·P, n_out)``) and every other node as the
    graph says; each value is dropped after its last reader. Returns ``(N, out)``."""
    n = x.shape[0]
    last = {}
    for node in graph.nodes:
        for i in node.inputs:
            last[i] = node.id
    values: Dict[int, np.ndarray] = {0: x.reshape((n,) + graph.input)}
    for node in graph.nodes:
        ins = [values[i] for i in node.inputs]
        if node.is_linear:
            out = linear(node, _stage_columns(node, ins[0]))
            values[node.id] = _unfold(out, node, n)
        else:
            values[node.id] = _apply_node(node, ins)
        for i in set(node.inputs):
            if last[i] == node.id:
                del values[i]
    return values[graph.nodes[-1].id].reshape(n, -1)


class Ticket:
    """A ticket read and checked: its spec, Ĝ's layers, and forward passes.

    A ticket of an MLP target chains its layers; a ticket of a graph target (metadata
    ``graph``: convolutions, pooling, residual adds, ...) has one layer per linear node of the
    graph, which :meth:`forward` runs node by node (:attr:`graph`).

    Attributes:
        path: the file it was read from.
        format_version: the ticket format version: 2 (compact: the mask, the weights
            re-derived from G when read) or 1 (with the weights, ``--store-weights``).
        data_bytes: the bytes of the file's tensors.
        spec: every ``__metadata__`` field but ``format`` and ``format_version``, parsed from
            JSON (``target_widths``, ``bias_unit``, ``activations``, ``widths_g``, ``generator``,
            ``seed``, ``laws``, ``accuracy``, ``stats``, ``graph`` for a graph target, ...).
        layers: the :class:`TicketLayer` of each target layer (each linear node of a graph),
            in order.
        graph: for a graph target, its checked :class:`TicketGraph`; ``None`` for an MLP.
        input_width: ``n_0``, Ĝ's input width (with the bias unit if there is one; a graph's
            ``C·H·W``).
        output_width: ``n_ℓ`` (a graph's output ``C·H·W``).
        bias_unit: whether Ĝ's input is ``(x, 1)`` (never for a graph: its biases are read
            from a constant 1 by each linear node).
    """

    def __init__(
        self,
        path: str,
        spec: Dict[str, Any],
        layers: List[TicketLayer],
        graph: Optional[TicketGraph] = None,
        format_version: int = TICKET_VERSION_WEIGHTS,
        data_bytes: Optional[int] = None,
    ):
        self.path = path
        self.format_version = format_version
        self.data_bytes: int = (
            data_bytes if data_bytes is not None
            else sum(20 * l.kept + 16 * l.edges for l in layers)
        )
        self.spec = spec
        self.layers = layers
        self.graph = graph
        if graph is not None:
            self.input_width: int = graph.input_width
            self.output_width: int = graph.output_width
        else:
            widths = spec["target_widths"]
            self.input_width = widths[0]
            self.output_width = widths[-1]
        self.bias_unit: bool = spec["bias_unit"]

    @property
    def is_graph(self) -> bool:
        """Whether this is a graph target's ticket."""
        return self.graph is not None

    def __repr__(self) -> str:
        kept = [l.kept for l in self.layers]
        if self.graph is not None:
            return (
                f"Ticket({self.path!r}, graph input={list(self.graph.input)}, "
                f"nodes={len(self.graph.nodes)}, kept={kept})"
            )
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
        version = int(meta["format_version"])
        graph = _parse_graph_metadata(spec) if "graph" in spec else None
        layers = _parse_layers(spec, tensors, graph, version)
        data_bytes = sum(int(a.nbytes) for a in tensors.values())
        return cls(path, spec, layers, graph, version, data_bytes)

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

        For a graph ticket, ``x`` is ``(batch, C·H·W)`` (each input ``C × H × W`` row-major, as
        ``x.reshape(batch, -1)`` flattens it) or ``(C·H·W,)``; the graph runs node by node, each
        linear node by its layer of Ĝ on the columns it reads at every output position
        (``(input channel b, tap p)`` at ``b·kh·kw + p``, then a 1 for a bias), every other
        node as the graph says (bit for bit as Rust's ``GraphPruning::forward_literal`` on
        ReLU, leaky ReLU, identity, pooling, scale and add nodes).

        Returns ``(batch, n_ℓ)``, or ``(n_ℓ,)`` for one input. Raises :class:`ValueError` for a
        wrong shape or a non-finite input."""
        y, single = self._check_input(x)
        if self.graph is not None:
            layers = self.layers
            y = self._run_graph(y, lambda node, cols: layers[node.layer].forward(cols))
            return y[0] if single else y
        for layer in self.layers:
            y = layer.forward(y)
        return y[0] if single else y

    def _run_graph(self, x: np.ndarray, linear) -> np.ndarray:
        """The graph on a checked batch, in chunks of inputs whose largest temporary (an
        im2col or a pool's taps) stays under about ``_CHUNK_ELEMENTS`` values."""
        assert self.graph is not None
        chunk = max(1, _CHUNK_ELEMENTS // _graph_elements_per_input(self.graph))
        if x.shape[0] <= chunk:
            return _run_graph(self.graph, x, linear)
        return np.concatenate(
            [_run_graph(self.graph, x[s : s + chunk], linear) for s in range(0, x.shape[0], chunk)]
        )

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
        products; equal to :meth:`forward` up to rounding); for a graph ticket, each linear node
        computes ``Ŵ⁺ max(c, 0) + Ŵ⁻ min(c, 0)`` on its columns ``c`` at every output position,
        as Rust's ``GraphPruning::forward_virtual``. Shapes and errors as :meth:`forward` and
        :meth:`virtual_matrices`."""
        y, single = self._check_input(x)
        if self.graph is not None:
            vm = self.virtual_matrices(max_bytes)

            def virtual(node: GraphNode, cols: np.ndarray) -> np.ndarray:
                plus, minus = vm[node.layer]
                return np.maximum(cols, 0.0) @ plus.T + np.minimum(cols, 0.0) @ minus.T

            y = self._run_graph(y, virtual)
            return y[0] if single else y
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

        Raises :class:`ValueError` naming the bytes needed if above ``max_bytes``, and for a
        graph ticket (its layers are wired by the graph, not in sequence: each layer's ``(U, V)``
        is ``t.layers[i].dense()``)."""
        if self.graph is not None:
            raise ValueError(
                "a graph ticket is not a sequential network: its layers are the graph's linear "
                "nodes (use forward(), or layers[i].dense() for one layer's U and V)"
            )
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
        form = ("compact: the weights re-derived from G" if self.format_version == TICKET_VERSION
                else "with the weights")
        lines = [f"{self.path}: {TICKET_FORMAT} version {self.format_version} ({form})"]
        g = self.graph
        if g is None:
            lines.append(
                f"  target widths {s['target_widths']} (bias unit: {self.bias_unit}), "
                f"activations {s['activations']}"
            )
        else:
            lines.append(
                f"  graph target: input {list(g.input)}, {len(g.nodes)} nodes, "
                f"{len(g.fans)} linear, output {list(g.shapes[-1])}"
            )
            for node in g.nodes:
                extra = ""
                if node.window is not None:
                    w = node.window
                    extra = (f" kernel {list(w.kernel)} stride {list(w.stride)} "
                             f"padding {list(w.padding)} dilation {list(w.dilation)}")
                if node.bias:
                    extra += " bias"
                if node.layer is not None:
                    extra += f" (layer {node.layer + 1})"
                lines.append(
                    f"    node {node.id} {node.name}: {node.op} of {list(node.inputs)} -> "
                    f"{list(node.shape)}{extra}"
                )
        lines.append(
            f"  G: widths {s['widths_g']}, generator {json.dumps(s.get('generator'))}, "
            f"seed {s.get('seed')}"
        )
        for key in ("accuracy", "delta", "construction", "solver", "shard", "fingerprint"):
            if key in s:
                lines.append(f"  {key}: {json.dumps(s[key])}")
        names = [f"{n.name}, {n.op}" for n in g.linear_nodes] if g is not None else None
        for l in self.layers:
            per = np.bincount(l.edge_neuron, minlength=l.kept) if l.kept else np.zeros(1)
            what = l.activation if names is None else f"node {names[l.index - 1]}"
            lines.append(
                f"  layer {l.index}: {l.n_in} -> {l.n_out} ({what}), "
                f"{l.kept} kept neurons of {s['widths_g'][l.index - 1]}, {l.edges} edges "
                f"(up to {int(per.max())} per neuron), {int(np.sum(l.u > 0))} with u > 0"
            )
        total = self.data_bytes
        if g is None:
            lines.append(f"  data: {total} bytes; dense nn.Sequential: {self.dense_bytes()} bytes")
        else:
            lines.append(f"  data: {total} bytes")
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
    if version not in [str(v) for v in TICKET_VERSIONS]:
        raise ValueError(
            f"format version `{version}` is not supported: expected "
            f"{TICKET_VERSION_WEIGHTS} or {TICKET_VERSION}"
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
    if "graph" in spec:
        # A graph target: its layers are the graph's (checked by _parse_graph_metadata).
        return spec
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
    spec["activations"] = [canonical_activation(a) for a in acts]
    _check_per_layer(spec, ell)
    return spec


def _check_per_layer(spec: Dict[str, Any], ell: int) -> None:
    """``widths_g``, ``laws`` and ``stats`` have one entry per layer."""
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


def _layer_shapes(
    spec: Dict[str, Any], graph: Optional[TicketGraph]
) -> List[Tuple[int, int, str]]:
    """``(n_in, n_out, σ)`` of each layer: an MLP's from its widths and activations, a graph's
    from its fans (the graph applies the activations, so the layers none), as Rust's
    ``TicketSpec::layer_shapes``."""
    if graph is not None:
        return [(n_in, n_out, "identity") for n_in, n_out in graph.fans]
    widths, acts = spec["target_widths"], spec["activations"]
    return [(widths[i - 1], widths[i], acts[i - 1]) for i in range(1, len(widths))]


def _parse_layers(
    spec: Dict[str, Any],
    tensors: Dict[str, np.ndarray],
    graph: Optional[TicketGraph] = None,
    version: int = TICKET_VERSION_WEIGHTS,
) -> List[TicketLayer]:
    """The checked layers from a ticket's tensors (a graph ticket's shapes from ``graph``), of
    format ``version`` (1: with the weights; 2: compact, the weights re-derived from G)."""
    if version == TICKET_VERSION:
        return _parse_compact_layers(spec, tensors, graph)
    return _parse_weights_layers(spec, tensors, graph)


def _parse_weights_layers(
    spec: Dict[str, Any], tensors: Dict[str, np.ndarray], graph: Optional[TicketGraph] = None
) -> List[TicketLayer]:
    """The checked layers of a ticket with the weights (format version 1)."""
    shapes = _layer_shapes(spec, graph)
    wg = spec["widths_g"]
    ell = len(shapes)
    # An MLP's layer i reads n_{i-1} and writes n_i; a graph's layers are named by their fans.
    is_graph = graph is not None
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
        n_in, n_out, act = shapes[i - 1]
        in_name = f"n_in = {n_in} (fans[{i - 1}][0])" if is_graph else f"n_{i - 1} = {n_in}"
        out_name = f"n_out = {n_out} (fans[{i - 1}][1])" if is_graph else f"n_{i} = {n_out}"
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
                f"{where}: neuron z = {z[k]} has input {inp[k]}: expected below {in_name}"
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
                f"{where}: edge {e} has output {eo[e]}: expected below {out_name}"
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
        layers.append(TicketLayer(i, n_in, n_out, act, z, inp, u, en, eo, ev))
    return layers


# ------------------------------------------------------------------- compact tickets (v2)

#: The four tensors of a layer of a compact ticket, in the order of the Rust module docs.
_COMPACT_TENSORS = ("z_delta", "input", "edges", "edge_output")

#: The dtypes a compact tensor may have (the smallest that holds its entries), to numpy's.
_COMPACT_DTYPES = {
    "U8": np.dtype("<u1"), "U16": np.dtype("<u2"), "U32": np.dtype("<u4"), "U64": np.dtype("<u8"),
}  # fmt: skip


def _generator_module():
    """``logprune_generator`` (next to this file), which re-derives G's weights."""
    try:
        import logprune_generator  # noqa: PLC0415
    except ImportError:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "logprune_generator.py")
        if not os.path.isfile(path):
            raise ValueError(
                "a compact ticket (format version 2) stores no weights: reading it needs "
                f"logprune_generator.py, which is not beside this file ({here}) nor importable"
            ) from None
        import importlib.util  # noqa: PLC0415

        spec = importlib.util.spec_from_file_location("logprune_generator", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        sys.modules["logprune_generator"] = module
        logprune_generator = module
    return logprune_generator


def _compact_dtypes(spec: Dict[str, Any], ell: int) -> List[Dict[str, str]]:
    """The checked ``dtypes`` metadata of a compact ticket: per layer, each tensor's dtype."""
    if "dtypes" not in spec:
        raise ValueError("metadata `dtypes` is missing (a compact ticket, format version 2, "
                         "names the dtype of each layer's tensors there)")
    d = spec["dtypes"]
    if not isinstance(d, list) or len(d) != ell:
        n = len(d) if isinstance(d, list) else "not a list of"
        raise ValueError(f"metadata `dtypes` has {n} entries, expected one per layer ({ell})")
    for i, m in enumerate(d, start=1):
        if not isinstance(m, dict):
            raise ValueError(f"layer {i}: metadata `dtypes` entry is {m!r}: expected an object "
                             f"naming the dtypes of {', '.join(_COMPACT_TENSORS)}")
        if len(m) != len(_COMPACT_TENSORS):
            raise ValueError(f"layer {i}: metadata `dtypes` names {len(m)} tensors, expected "
                             f"{len(_COMPACT_TENSORS)}")
        for suffix in _COMPACT_TENSORS:
            if suffix not in m:
                raise ValueError(f"layer {i}: metadata `dtypes` has no `{suffix}`")
            if m[suffix] not in _COMPACT_DTYPES:
                raise ValueError(f"tensor `layer{i}.{suffix}`: metadata `dtypes` says "
                                 f"`{m[suffix]}`, expected U8, U16, U32 or U64")
    return d


def _compact_generator(spec: Dict[str, Any], shapes: List[Tuple[int, int, str]]):
    """The checked ``(module, generator, seed, laws)`` that re-derive a compact ticket's
    weights: the generator is one ``logprune_generator`` implements, the seed a 64-bit unsigned
    integer, each layer's laws ``[U law, V law]`` ones it implements, and ``M_i · max(n_in,
    n_out)`` below 2^64 (as Rust's ``LargeNetwork`` requires of the generator's index)."""
    lg = _generator_module()
    for key in ("generator", "seed", "laws"):
        if key not in spec:
            raise ValueError(f"metadata `{key}` is missing (a compact ticket, format version 2, "
                             "stores no weights: they are re-derived from G's generator, seed "
                             "and laws)")
    gen = spec["generator"]
    if gen not in lg.GENERATORS:
        raise ValueError(f"metadata `generator` is {gen!r}: this loader re-derives the weights "
                         f"of {', '.join(lg.GENERATORS)} only")
    seed = spec["seed"]
    if not _is_int(seed) or not 0 <= seed < 2**64:
        raise ValueError(f"metadata `seed` is {seed!r}: expected an integer in [0, 2^64)")
    laws = spec["laws"]
    for t, pair in enumerate(laws):
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(f"layer {t + 1}: metadata `laws` entry is {pair!r}: expected "
                             "[U law, V law]")
        for side, law in zip(("U", "V"), pair):
            try:
                lg.sample(law, np.zeros(0, dtype=np.uint64))
            except (ValueError, TypeError) as e:
                raise ValueError(f"layer {t + 1}: metadata `laws`, the {side} law: {e}") from None
    for t, (n_in, n_out, _) in enumerate(shapes):
        m = spec["widths_g"][t]
        if m * max(n_in, n_out) >= 2**64:
            raise ValueError(f"layer {t + 1}: G's width {m} times the layer's width "
                             f"{max(n_in, n_out)} does not fit the generator's 64-bit index")
    return lg, gen, seed, laws


def _sum_u64(a: np.ndarray) -> int:
    """The exact sum of a uint64 array (as its high and low 32-bit halves: no wrap below 2^32
    entries)."""
    a = a.astype(np.uint64, copy=False)
    lo = int(np.sum(a & np.uint64(0xFFFF_FFFF), dtype=np.uint64))
    hi = int(np.sum(a >> np.uint64(32), dtype=np.uint64))
    return (hi << 32) + lo


def _parse_compact_layers(
    spec: Dict[str, Any], tensors: Dict[str, np.ndarray], graph: Optional[TicketGraph] = None
) -> List[TicketLayer]:
    """The checked layers of a compact ticket (format version 2): per layer the mask
    (``z_delta``, ``input``, ``edges``, ``edge_output``) checked against the ``dtypes``
    metadata, G's width and the layer's fans, then ``u`` and ``v`` re-derived from G with
    ``logprune_generator`` (stream ``2t`` with port ``b`` and fan ``n_in`` for ``u``, ``2t + 1``
    with port ``a`` and fan ``n_out`` for ``v``, ``t = i − 1``)."""
    shapes = _layer_shapes(spec, graph)
    wg = spec["widths_g"]
    ell = len(shapes)
    is_graph = graph is not None
    dtypes = _compact_dtypes(spec, ell)
    expected = {f"layer{i}.{s}" for i in range(1, ell + 1) for s in _COMPACT_TENSORS}
    extra = sorted(set(tensors) - expected)
    if extra:
        raise ValueError(
            f"unexpected tensor `{extra[0]}`: a compact ticket of {ell} layers has exactly the "
            f"{4 * ell} tensors layer{{1..{ell}}}.{{{', '.join(_COMPACT_TENSORS)}}}"
        )
    lg, gen, seed, laws = _compact_generator(spec, shapes)
    layers = []
    for i in range(1, ell + 1):
        arrays = {}
        for suffix in _COMPACT_TENSORS:
            name = f"layer{i}.{suffix}"
            if name not in tensors:
                raise ValueError(f"tensor `{name}` is missing")
            a = tensors[name]
            st = dtypes[i - 1][suffix]
            dtype = _COMPACT_DTYPES[st]
            if a.dtype.kind != dtype.kind or a.dtype.itemsize != dtype.itemsize or a.ndim != 1:
                raise ValueError(
                    f"tensor `{name}` is {_st_dtype(a)} of shape {list(a.shape)}, expected {st} "
                    "of one dimension (metadata `dtypes`)"
                )
            arrays[suffix] = np.ascontiguousarray(a, dtype=dtype.newbyteorder("=")).astype(
                np.uint64, copy=False)
        n_in, n_out, act = shapes[i - 1]
        in_name = f"n_in = {n_in} (fans[{i - 1}][0])" if is_graph else f"n_{i - 1} = {n_in}"
        out_name = f"n_out = {n_out} (fans[{i - 1}][1])" if is_graph else f"n_{i} = {n_out}"
        deltas, inp, counts, eo = (arrays[s] for s in _COMPACT_TENSORS)
        kept = deltas.shape[0]
        where = f"layer {i}: tensor layer{i}"
        for suffix, a in (("input", inp), ("edges", counts)):
            if a.shape[0] != kept:
                raise ValueError(f"{where}.{suffix} has {a.shape[0]} entries, expected one per "
                                 f"kept neuron ({kept}, as `z_delta`)")
        # z: the running sums of the deltas; each after the first at least 1, each z below M_i
        # (and no wrap past 2^64: a sum that wraps is smaller than the one before).
        width = wg[i - 1]
        z = np.cumsum(deltas, dtype=np.uint64)
        zero = _first(deltas[1:] == 0)
        zero = None if zero is None else zero + 1
        beyond = _first(np.concatenate([[False], z[1:] < z[:-1]]) | (z >= np.uint64(width)))
        if zero is not None and (beyond is None or zero <= beyond):
            raise ValueError(f"{where}.z_delta[{zero}] is 0: the kept neurons' z must strictly "
                             "increase")
        if beyond is not None:
            raise ValueError(f"{where}.z_delta[{beyond}] = {deltas[beyond]} puts neuron "
                             f"{beyond} outside G's width {width}")
        k = _first(inp >= np.uint64(n_in))
        if k is not None:
            raise ValueError(f"{where}.input[{k}] = {inp[k]} (neuron z = {z[k]}): expected "
                             f"below {in_name}")
        edges = eo.shape[0]
        total = _sum_u64(counts)
        if total != edges:
            raise ValueError(f"{where}.edges counts {total} edges in all, but "
                             f"`layer{i}.edge_output` has {edges}")
        en = np.repeat(np.arange(kept, dtype=np.uint32), counts.astype(np.int64))
        e = _first(eo >= np.uint64(n_out))
        if e is not None:
            raise ValueError(f"{where}.edge_output[{e}] = {eo[e]} (of neuron {en[e]}): expected "
                             f"below {out_name}")
        e = _first(np.concatenate([[False], (en[1:] == en[:-1]) & (eo[1:] <= eo[:-1])]))
        if e is not None:
            raise ValueError(f"{where}.edge_output[{e}] = {eo[e]} (of neuron {en[e]}) after "
                             f"{eo[e - 1]}: expected increasing outputs within a neuron")
        # The weights, re-derived from G (the mask is checked: every index is in range).
        t = i - 1
        u = lg.weights(gen, seed, laws[t][0], 2 * t, z, inp, n_in)
        v = lg.weights(gen, seed, laws[t][1], 2 * t + 1, z[en], eo, n_out)
        narrow = np.uint32 if max(n_in, n_out) <= 2**32 else np.uint64
        layers.append(TicketLayer(i, n_in, n_out, act, z, inp.astype(narrow), u, en,
                                  eo.astype(narrow), v))
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
