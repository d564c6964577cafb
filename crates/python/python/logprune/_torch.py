"""Ĝ as a torch ``nn.Module`` (imported by :meth:`logprune.Ticket.to_torch` only: torch is
optional). Each layer is the literal sparse network of the ticket: ``h = relu(u · x[:, input])``
per kept neuron, then ``y[:, a] += v · h[:, neuron]`` per kept edge with ``index_add_``, then
σ_i. The arrays are the ticket's own (``Ticket.layers()``), registered as buffers, so
``.to(device)`` moves them."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F


def _activation(name: str):
    family, _, parameter = name.partition(":")
    if family == "relu":
        return torch.relu
    if family == "identity":
        return lambda t: t
    if family == "tanh":
        return torch.tanh
    if family == "sigmoid":
        return torch.sigmoid
    if family == "leaky-relu":
        slope = float(parameter)
        return lambda t: F.leaky_relu(t, slope)
    if family == "elu":
        alpha = float(parameter)
        return lambda t: F.elu(t, alpha)
    if family == "gelu":
        return F.gelu
    raise ValueError(f"activation `{name}` has no torch counterpart here")


class SparseLayer(torch.nn.Module):
    """One layer of Ĝ: ``σ(Σ_edges v · relu(u · x_b))`` with ``index_add_``."""

    def __init__(self, layer: dict, dtype: Any) -> None:
        super().__init__()
        self.n_in = int(layer["n_in"])
        self.n_out = int(layer["n_out"])
        self.activation = str(layer["activation"])
        self._sigma = _activation(self.activation)

        def long(a: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.asarray(a, dtype=np.int64))

        def real(a: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.array(a, dtype=np.float64)).to(dtype)

        self.register_buffer("input", long(layer["input"]))
        self.register_buffer("u", real(layer["u"]))
        self.register_buffer("edge_neuron", long(layer["edge_neuron"]))
        self.register_buffer("edge_output", long(layer["edge_output"]))
        self.register_buffer("edge_v", real(layer["edge_v"]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(x[:, self.input] * self.u)  # (batch, kept)
        y = x.new_zeros(x.shape[0], self.n_out)
        y.index_add_(1, self.edge_output, h[:, self.edge_neuron] * self.edge_v)
        return self._sigma(y)

    def extra_repr(self) -> str:
        return (
            f"n_in={self.n_in}, n_out={self.n_out}, kept={self.u.numel()}, "
            f"edges={self.edge_v.numel()}, activation={self.activation}"
        )


class TicketModule(torch.nn.Module):
    """Ĝ: the ticket's layers in order. Takes the target's input ``x`` (``(batch, n_0)`` or
    ``(n_0,)``); for a ticket with the bias unit the constant 1 is appended first (an input
    that already has it is taken as is)."""

    def __init__(self, ticket: Any, dtype: Any) -> None:
        super().__init__()
        self.bias_unit = bool(ticket.bias_unit)
        self.input_width = int(ticket.input_width)
        self.layers = torch.nn.ModuleList(SparseLayer(l, dtype) for l in ticket.layers())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        single = x.dim() == 1
        if single:
            x = x.unsqueeze(0)
        if self.bias_unit and x.shape[1] + 1 == self.input_width:
            x = torch.cat([x, x.new_ones(x.shape[0], 1)], dim=1)
        if x.shape[1] != self.input_width:
            raise ValueError(
                f"x has {x.shape[1]} coordinates, expected {self.input_width}"
                + (f" (or {self.input_width - 1})" if self.bias_unit else "")
            )
        for layer in self.layers:
            x = layer(x)
        return x[0] if single else x


def ticket_module(ticket: Any, dtype: Any = None, device: Any = None) -> TicketModule:
    """The :class:`TicketModule` of ``ticket`` in ``dtype`` (default float32) on ``device``."""
    module = TicketModule(ticket, torch.float32 if dtype is None else dtype)
    return module.to(device) if device is not None else module
