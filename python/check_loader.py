#!/usr/bin/env python3
"""Checks the reference loader (logprune_ticket.py) against Rust's outputs on one ticket.

Run by the Rust test ``crates/construction/tests/python_loader.rs``, which writes:

- ``--ticket``: the ticket (``logprune_construction::ticket::ticket_bytes``);
- ``--io``: a safetensors file with ``inputs`` (``[batch, n0]``, the 1 of the bias unit
  appended), Rust's literal outputs ``literal`` (``PrunedNetwork::forward_batch``), Rust's
  virtual outputs ``virtual`` (``PrunedNetwork::forward_virtual``, per row) and Rust's virtual
  matrices ``layer{i}.wplus`` / ``layer{i}.wminus`` (``n_i × n_{i-1}``);
- ``--dense`` (optional): Rust's dense export ``pruned.safetensors``.

For a graph ticket (metadata ``graph``), ``inputs`` are ``[batch, C·H·W]``, ``literal`` and
``virtual`` are ``GraphPruning::forward_literal`` / ``forward_virtual`` (one output per row), and
there is no dense export; the figures add ``graph``, ``ops``, ``fans`` and whether the virtual
passes are bit-identical, and the tampered tickets include bad ``graph`` metadata and fans that
do not fit the tensors.

With ``--reference`` (a fixture's ``data/models/<name>.io.safetensors``: ``input`` and the
model's float64 outputs ``output_f64``) and ``--report`` (the run's ``report.json``) instead of
``--io``, a graph ticket written by ``logprune prune`` on that fixture is run on the fixture's
inputs: each output must be within the run's ``certified_bound`` of ``output_f64`` (ℓ2), and
the literal and virtual passes within ``--tol`` of each other; tampered copies are refused.

It loads the ticket, runs ``forward``, ``forward_virtual`` and the dense ``nn.Sequential``
weights, compares each with Rust's literal outputs by the largest relative difference
``max |a − b| / max(1, |a|)`` (``a`` Rust's), compares the virtual matrices and the dense
weights, checks that tampered tickets are refused with a ``ValueError``, prints one JSON line of
figures, and exits 1 if a difference exceeds ``--tol`` (default 1e-12) or a check fails, 2 if
numpy or safetensors cannot be imported.
"""

import argparse
import json
import os
import sys
import tempfile

try:
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file
except ImportError as e:  # the Rust test fails on this, it does not skip
    print(f"check_loader: cannot import numpy and safetensors: {e}", file=sys.stderr)
    sys.exit(2)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import logprune_ticket  # noqa: E402
from logprune_ticket import Ticket  # noqa: E402

FAILURES = []


def fail(message):
    FAILURES.append(message)
    print(f"check_loader: FAIL: {message}", file=sys.stderr)


def max_rel(reference, value):
    """max |a − b| / max(1, |a|) over all entries (a: the reference)."""
    reference, value = np.asarray(reference), np.asarray(value)
    if reference.shape != value.shape:
        fail(f"shapes differ: {reference.shape} vs {value.shape}")
        return float("inf")
    if reference.size == 0:
        return 0.0
    return float(np.max(np.abs(reference - value) / np.maximum(1.0, np.abs(reference))))


def dense_forward(weights, activations, x):
    """The dense nn.Sequential(Linear(bias=False), ReLU(), Linear(bias=False), σ, ...) on x."""
    y = x
    for k, act in enumerate(activations):
        U, V = weights[2 * k], weights[2 * k + 1]
        y = logprune_ticket.activation(act)(np.maximum(y @ U.T, 0.0) @ V.T)
    return y


def expect_refused(path, needle, what):
    """Ticket.load(path) must raise ValueError whose message contains needle (a string, or a
    tuple of strings that must all be in it)."""
    needles = needle if isinstance(needle, tuple) else (needle,)
    try:
        Ticket.load(path)
    except ValueError as e:
        for n in needles:
            if n not in str(e):
                fail(f"{what}: refused, but the message `{e}` does not say `{n}`")
        return
    fail(f"{what}: not refused")


_UNSIGNED = ((np.uint8, "U8"), (np.uint16, "U16"), (np.uint32, "U32"), (np.uint64, "U64"))


def put(tensors, meta, name, values):
    """Copies of ``tensors`` and ``meta`` with tensor ``name`` set to ``values``: in a compact
    ticket in the smallest unsigned dtype that holds them, the metadata ``dtypes`` following
    (so only the rule the values break is broken); in a ticket with the weights in the tensor's
    own dtype."""
    ts, md = dict(tensors), dict(meta)
    values = np.asarray(values)
    if "dtypes" not in md:
        ts[name] = values.astype(tensors[name].dtype)
        return ts, md
    top = int(values.max()) if values.size else 0
    dtype, st = next((d, st) for d, st in _UNSIGNED if top <= np.iinfo(d).max)
    ts[name] = values.astype(dtype)
    layer, suffix = name.split(".", 1)
    dtypes = json.loads(md["dtypes"])
    dtypes[int(layer[len("layer"):]) - 1][suffix] = st
    md["dtypes"] = json.dumps(dtypes)
    return ts, md


def compact_tampered(ticket_path, tmp, t):
    """Writes tampered copies of a compact ticket (format version 2), one per rule of the mask
    and of the metadata that re-derives the weights, and checks each is refused naming the
    layer and the tensor."""
    with safe_open(ticket_path, framework="np") as f:
        meta = dict(f.metadata())
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    n = [0]

    def write(ts, md):
        n[0] += 1
        p = os.path.join(tmp, f"cbad{n[0]}.safetensors")
        save_file({k: np.ascontiguousarray(v) for k, v in ts.items()}, p, metadata=md)
        return p

    def with_meta(key, edit):
        v = json.loads(meta[key])
        v = edit(v)
        return write(tensors, {**meta, key: json.dumps(v)})

    def with_tensor(name, edit):
        a = tensors[name].astype(np.uint64)
        return write(*put(tensors, meta, name, edit(a.copy())))

    l1 = t.layers[0]
    n0, n1 = l1.n_in, l1.n_out
    in_name = f"n_in = {n0} (fans[0][0])" if t.is_graph else f"n_0 = {n0}"
    out_name = f"n_out = {n1} (fans[0][1])" if t.is_graph else f"n_1 = {n1}"
    dtypes = json.loads(meta["dtypes"])
    d1 = dtypes[0]["edges"]
    wider = {"U8": np.uint16, "U16": np.uint32, "U32": np.uint64, "U64": np.uint8}[d1]
    ell = len(t.layers)

    def set_at(k, value):
        def edit(a):
            a[k] = value
            return a
        return edit

    def swap_first_two_outputs(a):
        # The first neuron with two edges: its outputs no longer increase.
        k = int(np.flatnonzero(np.bincount(l1.edge_neuron, minlength=l1.kept) >= 2)[0])
        e = int(np.flatnonzero(l1.edge_neuron == k)[0])
        a[[e, e + 1]] = a[[e + 1, e]]
        return a

    def pop_dtypes(d):
        d.pop()
        return d

    cases = [
        (write(tensors, {**meta, "format_version": "3"}), "format version", "version 3"),
        (write(tensors, {**meta, "format": "pt"}), "`format`", "format pt"),
        (write(tensors, {k: v for k, v in meta.items() if k != "widths_g"}),
         "`widths_g` is missing", "no widths_g"),
        # The dtypes.
        (write({**tensors, "layer1.edges": tensors["layer1.edges"].astype(wider)}, meta),
         ("tensor `layer1.edges` is", f"expected {d1} of one dimension (metadata `dtypes`)"),
         "edges wider than `dtypes` says"),
        (with_meta("dtypes", lambda d: [{**d[0], "edges": "F8"}] + d[1:]),
         ("tensor `layer1.edges`", "expected U8, U16, U32 or U64"), "`dtypes` says F8"),
        (write(tensors, {k: v for k, v in meta.items() if k != "dtypes"}),
         "metadata `dtypes` is missing", "no dtypes"),
        (with_meta("dtypes", pop_dtypes), "metadata `dtypes` has", "dtypes one layer short"),
        (write({**tensors, "layer1.z_delta": tensors["layer1.z_delta"].reshape(1, -1)}, meta),
         "of one dimension", "z_delta of two dimensions"),
        (write({k: v for k, v in tensors.items() if k != "layer1.z_delta"}, meta),
         "`layer1.z_delta` is missing", "no layer1.z_delta"),
        (write({**tensors, "extra": np.zeros(1, dtype=np.uint8)}, meta), "unexpected tensor",
         "an extra tensor"),
        # The mask.
        (with_tensor("layer1.z_delta", set_at(1, 0)),
         ("layer 1: tensor layer1.z_delta[1] is 0", "strictly increase"), "a zero delta"),
        (with_meta("widths_g", lambda wg: [int(l1.z[-1])] + wg[1:]),
         (f"layer1.z_delta[{l1.kept - 1}]", f"outside G's width {int(l1.z[-1])}"),
         "z beyond G's width"),
        (with_tensor("layer1.z_delta", set_at(-1, 2**64 - 1)),
         (f"layer1.z_delta[{l1.kept - 1}]", "outside G's width"), "a delta past 2^64"),
        (with_tensor("layer1.input", set_at(0, n0)),
         ("layer 1: tensor layer1.input[0]", f"expected below {in_name}"), "input out of range"),
        (with_tensor("layer1.input", lambda a: a[:-1]),
         ("layer1.input has", "expected one per kept neuron"), "one input short"),
        (with_tensor("layer1.edges", lambda a: a[:-1]),
         ("layer1.edges has", "expected one per kept neuron"), "one edge count short"),
        (with_tensor("layer1.edges", set_at(0, int(l1.edges) + 1)),
         ("layer 1: tensor layer1.edges counts", "`layer1.edge_output` has"),
         "edge counts that do not sum"),
        (with_tensor("layer1.edge_output", set_at(-1, n1)),
         ("layer 1: tensor layer1.edge_output[", f"expected below {out_name}"),
         "output out of range"),
        # What re-derives the weights.
        (write(tensors, {**meta, "generator": json.dumps("philox-v9")}),
         ("metadata `generator`", "philox-v9"), "an unknown generator"),
        (write(tensors, {k: v for k, v in meta.items() if k != "seed"}), "`seed` is missing",
         "no seed"),
        (write(tensors, {**meta, "seed": json.dumps(2**64)}), "metadata `seed`",
         "a seed past 2^64"),
        (with_meta("laws", lambda laws: [[{"law": "cauchy", "gamma": 1.0}, laws[0][1]]]
                   + laws[1:]), ("layer 1", "the U law", "unknown law 'cauchy'"),
         "an unknown law"),
        (with_meta("laws", lambda laws: [[laws[0][0], {"law": "uniform", "a": -1.0}]]
                   + laws[1:]), ("layer 1", "the V law", "uniform"),
         "a law with a bad parameter"),
        (write(tensors, {k: v for k, v in meta.items() if k != "laws"}), "`laws` is missing",
         "no laws"),
    ]
    if np.any(np.bincount(l1.edge_neuron, minlength=l1.kept) >= 2):
        cases.append((with_tensor("layer1.edge_output", swap_first_two_outputs),
                      ("layer 1: tensor layer1.edge_output[",
                       "expected increasing outputs within a neuron"),
                      "outputs not increasing within a neuron"))
    if not t.is_graph:
        cases.append((write(tensors, {**meta, "activations": json.dumps(["swish"] * ell)}),
                      "unknown activation", "activation swish"))
    garbage = os.path.join(tmp, "garbage.safetensors")
    with open(garbage, "wb") as f:
        f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    cases.append((garbage, "not a safetensors file", "garbage bytes"))
    for path, needle, what in cases:
        expect_refused(path, needle, what)
    return len(cases)


def same_as(t, other_path):
    """Every array of every layer of ``t`` equals the ticket at ``other_path``'s bit for bit
    (a compact ticket's re-derived weights against the weights Rust stored)."""
    other = Ticket.load(other_path)
    if len(other.layers) != len(t.layers):
        fail(f"{other_path}: {len(other.layers)} layers, the ticket {len(t.layers)}")
        return False
    ok = True
    for a, b in zip(t.layers, other.layers):
        for field in ("z", "input", "u", "edge_neuron", "edge_output", "edge_v"):
            x, y = getattr(a, field), getattr(b, field)
            if x.dtype.kind == "f":
                x, y = x.view(np.uint64), y.view(np.uint64)
            if x.dtype != y.dtype or not np.array_equal(x, y):
                fail(f"layer {a.index}: `{field}` differs from the one of {other_path}")
                ok = False
    return ok


def tampered(ticket_path, tmp, t):
    """Writes tampered copies of the ticket and checks each is refused."""
    if t.format_version == logprune_ticket.TICKET_VERSION:
        return compact_tampered(ticket_path, tmp, t)
    with safe_open(ticket_path, framework="np") as f:
        meta = dict(f.metadata())
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    spec = {k: v for k, v in meta.items()}
    n = [0]

    def write(ts, md):
        n[0] += 1
        p = os.path.join(tmp, f"bad{n[0]}.safetensors")
        save_file({k: np.ascontiguousarray(v) for k, v in ts.items()}, p, metadata=md)
        return p

    cases = []
    cases.append((write(tensors, {**meta, "format_version": "3"}), "format version", "version 3"))
    cases.append((write(tensors, {**meta, "format": "pt"}), "`format`", "format pt"))
    cases.append((write(tensors, {k: v for k, v in meta.items() if k != "widths_g"}),
                  "`widths_g` is missing", "no widths_g"))
    cases.append((write(tensors, {**meta, "activations": json.dumps(["swish"] * (
        len(json.loads(spec["activations"]))))}), "unknown activation", "activation swish"))
    cases.append((write(tensors, {**meta, "activations": json.dumps(["elu:nan"] * (
        len(json.loads(spec["activations"]))))}), "not a finite number", "activation elu:nan"))
    ts = dict(tensors)
    ts["layer1.u"] = tensors["layer1.u"].astype(np.float32)
    cases.append((write(ts, meta), "expected F64", "u as F32"))
    ts = dict(tensors)
    ts["layer1.z"] = tensors["layer1.z"].reshape(1, -1)
    cases.append((write(ts, meta), "of one dimension", "z of two dimensions"))
    ts = {k: v for k, v in tensors.items() if k != "layer1.z"}
    cases.append((write(ts, meta), "`layer1.z` is missing", "no layer1.z"))
    widths = json.loads(meta["target_widths"])
    ts = dict(tensors)
    eo = tensors["layer1.edge_output"].copy()
    eo[-1] = widths[1]
    ts["layer1.edge_output"] = eo
    cases.append((write(ts, meta), "expected below n_1", "output out of range"))
    ts = dict(tensors)
    inp = tensors["layer1.input"].copy()
    inp[0] = widths[0]
    ts["layer1.input"] = inp
    cases.append((write(ts, meta), "expected below n_0", "input out of range"))
    ts = dict(tensors)
    en = tensors["layer1.edge_neuron"].copy()
    en[-1] = tensors["layer1.z"].shape[0]
    ts["layer1.edge_neuron"] = en
    cases.append((write(ts, meta), "neuron position", "edge neuron out of range"))
    ts = dict(tensors)
    ts["layer1.edge_v"] = tensors["layer1.edge_v"][:-1]
    cases.append((write(ts, meta), "expected equal counts", "edge arrays of unequal lengths"))
    ts = dict(tensors)
    z = tensors["layer1.z"].copy()
    z[[0, -1]] = z[[-1, 0]]
    ts["layer1.z"] = z
    cases.append((write(ts, meta), "strictly increasing", "z not increasing"))
    ts = dict(tensors)
    u = tensors["layer1.u"].copy()
    u[0] = np.nan
    ts["layer1.u"] = u
    cases.append((write(ts, meta), "finite and nonzero", "NaN weight"))
    wg = json.loads(meta["widths_g"])
    wg[0] = int(tensors["layer1.z"][-1])
    cases.append((write(tensors, {**meta, "widths_g": json.dumps(wg)}), "outside G's width",
                  "z beyond G's width"))
    ts = dict(tensors)
    ts["extra"] = np.zeros(1)
    cases.append((write(ts, meta), "unexpected tensor", "an extra tensor"))
    garbage = os.path.join(tmp, "garbage.safetensors")
    with open(garbage, "wb") as f:
        f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    cases.append((garbage, "not a safetensors file", "garbage bytes"))
    for path, needle, what in cases:
        expect_refused(path, needle, what)
    return len(cases)


def graph_tampered(ticket_path, tmp, t):
    """Writes tampered copies of a graph ticket and checks each is refused."""
    with safe_open(ticket_path, framework="np") as f:
        meta = dict(f.metadata())
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    graph = json.loads(meta["graph"])
    ell = len(graph["fans"])
    n = [0]

    def write(ts, md):
        n[0] += 1
        p = os.path.join(tmp, f"gbad{n[0]}.safetensors")
        save_file({k: np.ascontiguousarray(v) for k, v in ts.items()}, p, metadata=md)
        return p

    def with_graph(edit):
        g = json.loads(meta["graph"])
        edit(g)
        return write(tensors, {**meta, "graph": json.dumps(g)})

    def set_in(path_value):
        def edit(g):
            *path, value = path_value
            obj = g
            for key in path[:-1]:
                obj = obj[key]
            obj[path[-1]] = value
        return edit

    first_plain = next(k for k, nd in enumerate(graph["nodes"]) if nd["op"] not in ("dense", "conv"))
    first_conv = next((k for k, nd in enumerate(graph["nodes"]) if nd["op"] == "conv"), None)
    cases = [
        (write(tensors, {**meta, "graph": "{not json"}), "metadata `graph` is not JSON",
         "graph not JSON"),
        (write(tensors, {**meta, "graph": "[1, 2]"}), "expected an object", "graph a list"),
        (with_graph(lambda g: g.pop("nodes")), "`nodes` is missing", "no nodes"),
        (with_graph(set_in(["input", [0, 1, 1]])), "`input` is", "an empty input"),
        (with_graph(set_in(["nodes", 0, "inputs", [1]])), "is not an earlier node",
         "node 1 reads itself"),
        (with_graph(set_in(["nodes", 1, "op", "softmax"])), "unknown activation",
         "an unknown op"),
        (with_graph(set_in(["nodes", first_plain, "shape",
                            [graph["nodes"][first_plain]["shape"][0] + 1]
                            + graph["nodes"][first_plain]["shape"][1:]])),
         "but its inputs make it", "a non-linear node's shape"),
        (with_graph(lambda g: g["fans"][0].__setitem__(0, g["fans"][0][0] + 1)),
         "fans[0] is", "fans[0] off by one"),
        (with_graph(lambda g: g["fans"].append([1, 1])), f"`fans` has {ell + 1} entries",
         "one fan too many"),
        (with_graph(set_in(["nodes", 0, "bias", None])), "`bias` is", "no bias flag"),
        (write(tensors, {**meta, "target_widths": "[4, 2]"}), "a graph ticket has",
         "target widths in a graph ticket"),
        (write(tensors, {**meta, "widths_g": json.dumps(json.loads(meta["widths_g"])[:-1])}),
         "`widths_g`", "widths_g one short"),
    ]
    if first_conv is not None:
        cases.append((with_graph(set_in(["nodes", first_conv, "window", 0, [0, 3]])),
                      "`window` is", "a kernel of 0"))
        cases.append((with_graph(set_in(["nodes", first_conv, "window", 1, [50, 50]])),
                      "but its inputs make it", "a stride that changes the shape"))
    for k, nd in enumerate(graph["nodes"]):
        if nd["op"] == "scale":
            cases.append((with_graph(set_in(["nodes", k, "scale", [nd["scale"][0][:-1], None]])),
                          "`scale` is", "a scale one factor short"))
        if nd["op"] == "avg-pool":
            cases.append((with_graph(lambda g, k=k: g["nodes"][k].pop("count_include_pad")),
                          "`count_include_pad` is", "avg-pool without count_include_pad"))
    # Fans that fit the graph, but tensors that do not fit the fans.
    n_in, n_out = graph["fans"][0]
    inp = tensors["layer1.input"].astype(np.uint64)
    inp[0] = n_in
    cases.append((write(*put(tensors, meta, "layer1.input", inp)),
                  f"expected below n_in = {n_in} (fans[0][0])", "an input beyond fans[0][0]"))
    eo = tensors["layer1.edge_output"].astype(np.uint64)
    eo[-1] = n_out
    cases.append((write(*put(tensors, meta, "layer1.edge_output", eo)),
                  f"expected below n_out = {n_out} (fans[0][1])", "an output beyond fans[0][1]"))
    first = "z_delta" if "dtypes" in meta else "z"
    ts = {k: v for k, v in tensors.items() if not k.startswith(f"layer{ell}.")}
    cases.append((write(ts, meta), f"`layer{ell}.{first}` is missing",
                  "the last layer's tensors gone"))
    ts = dict(tensors)
    for k in [k for k in tensors if k.startswith("layer1.")]:
        ts[k.replace("layer1.", f"layer{ell + 1}.")] = tensors[k]
    cases.append((write(ts, meta), "unexpected tensor", "a layer beyond the fans"))
    cases.append((write(tensors, {**meta, "format_version": "3"}), "format version",
                  "version 3"))
    for path, needle, what in cases:
        expect_refused(path, needle, what)
    n_cases = len(cases)
    if "dtypes" in meta:
        # And every rule of the compact mask and of what re-derives the weights.
        n_cases += compact_tampered(ticket_path, tmp, t)
    # What a graph ticket cannot do.
    try:
        t.dense_sequential()
        fail("dense_sequential of a graph ticket was not refused")
    except ValueError as e:
        if "not a sequential network" not in str(e):
            fail(f"dense_sequential's refusal `{e}` does not say why")
    return n_cases


def check_graph(t, io, args):
    """The checks of a graph ticket; returns the figures."""
    x, rust_literal, rust_virtual = io["inputs"], io["literal"], io["virtual"]
    if (t.input_width, t.output_width) != (x.shape[1], rust_literal.shape[1]):
        fail(f"widths {t.input_width} -> {t.output_width} but inputs {x.shape}, "
             f"outputs {rust_literal.shape}")
    literal = t.forward(x)
    virtual = t.forward_virtual(x)
    one = t.forward(x[3])
    if not (one.shape == (t.output_width,) and np.array_equal(one, literal[3])):
        fail("forward of one input is not row 3 of the batch forward")
    # A batch split in two halves gives the same rows (chunking does not change a value).
    halves = np.concatenate([t.forward(x[: len(x) // 2]), t.forward(x[len(x) // 2 :])])
    if not np.array_equal(halves, literal):
        fail("forward on two halves of the batch differs from forward on the batch")
    g = t.graph
    figures = {
        "label": args.label,
        "graph": True,
        "inputs": int(x.shape[0]),
        "input_shape": list(g.input),
        "output_shape": list(g.shapes[-1]),
        "ops": [n.op for n in g.nodes],
        "fans": [list(f) for f in g.fans],
        "kept": [l.kept for l in t.layers],
        "edges": [l.edges for l in t.layers],
        "minus_neurons": [int(np.sum(l.u < 0)) for l in t.layers],
        "max_rel_literal": max_rel(rust_literal, literal),
        "literal_bit_identical": bool(np.array_equal(rust_literal, literal)),
        "max_rel_virtual": max_rel(rust_literal, virtual),
        "max_rel_virtual_vs_rust_virtual": max_rel(rust_virtual, virtual),
        "virtual_bit_identical": bool(np.array_equal(rust_virtual, virtual)),
        "max_rel_rust_virtual_vs_rust_literal": max_rel(rust_literal, rust_virtual),
    }
    vm = t.virtual_matrices()
    figures["max_abs_virtual_matrices"] = max(
        max(float(np.max(np.abs(io[f"layer{i}.wplus"] - p), initial=0.0)),
            float(np.max(np.abs(io[f"layer{i}.wminus"] - m), initial=0.0)))
        for i, (p, m) in enumerate(vm, start=1)
    )
    for bad, what in [(x[:, :-1], "one coordinate short"), (x[:, :, None], "three dimensions")]:
        try:
            t.forward(bad)
            fail(f"forward on an input {what} was not refused")
        except ValueError:
            pass
    nan = x[:2].copy()
    nan[1, 0] = np.nan
    try:
        t.forward_virtual(nan)
        fail("forward_virtual on a NaN input was not refused")
    except ValueError as e:
        if "input 1, coordinate 0" not in str(e):
            fail(f"the NaN refusal `{e}` does not name input 1, coordinate 0")
    with tempfile.TemporaryDirectory() as tmp:
        figures["tampered_tickets_refused"] = graph_tampered(args.ticket, tmp, t)
    return figures


def check_reference(t, args):
    """A binary-made graph ticket against its fixture's float64 outputs; returns the figures."""
    ref = load_file(args.reference)
    with open(args.report) as f:
        report = json.load(f)
    x = ref["input"].reshape(ref["input"].shape[0], -1)
    want = ref["output_f64"].reshape(x.shape[0], -1)
    literal = t.forward(x)
    virtual = t.forward_virtual(x)
    bound = float(report["certified_bound"])
    figures = {
        "label": args.label,
        "graph": t.is_graph,
        "inputs": int(x.shape[0]),
        "ops": [n.op for n in t.graph.nodes] if t.is_graph else None,
        "kept": [l.kept for l in t.layers],
        "certified_bound": bound,
        "rust_empirical_max_error_literal": report.get("empirical_max_error_literal"),
        "max_l2_literal_vs_model": float(np.max(np.linalg.norm(literal - want, axis=1))),
        "max_l2_virtual_vs_model": float(np.max(np.linalg.norm(virtual - want, axis=1))),
        "max_rel_virtual_vs_literal": max_rel(literal, virtual),
    }
    if not t.is_graph:
        fail("the ticket is not a graph ticket")
    for key in ("max_l2_literal_vs_model", "max_l2_virtual_vs_model"):
        if not figures[key] <= bound:
            fail(f"{key} = {figures[key]:.3e} above the certified bound {bound:.3e}")
    if not figures["max_rel_virtual_vs_literal"] <= args.tol:
        fail(f"max_rel_virtual_vs_literal = {figures['max_rel_virtual_vs_literal']:.3e} above "
             f"the tolerance {args.tol:.0e}")
    with tempfile.TemporaryDirectory() as tmp:
        figures["tampered_tickets_refused"] = graph_tampered(args.ticket, tmp, t)
    return figures


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ticket", required=True)
    ap.add_argument("--io")
    ap.add_argument("--reference")
    ap.add_argument("--report")
    ap.add_argument("--dense")
    ap.add_argument("--same-as", help="a ticket whose arrays the ticket's must equal bit for bit "
                    "(the same Ĝ with the weights: a compact ticket's re-derived weights "
                    "against Rust's)")
    ap.add_argument("--label", default="")
    ap.add_argument("--tol", type=float, default=1e-12)
    args = ap.parse_args()

    if (args.io is None) == (args.reference is None) or (args.reference is None) != (
        args.report is None
    ):
        ap.error("give --io, or --reference with --report")
    t = Ticket.load(args.ticket)
    common = {"format_version": t.format_version}
    if args.same_as is not None:
        common["same_as_bit_identical"] = same_as(t, args.same_as)
    if args.reference is not None:
        figures = {**check_reference(t, args), **common}
        figures["ok"] = not FAILURES
        print(json.dumps(figures))
        return 0 if not FAILURES else 1
    io = load_file(args.io)
    if t.is_graph:
        figures = {**check_graph(t, io, args), **common}
        for key in ("max_rel_literal", "max_rel_virtual", "max_rel_virtual_vs_rust_virtual",
                    "max_abs_virtual_matrices"):
            if not figures[key] <= args.tol:
                fail(f"{key} = {figures[key]:.3e} above the tolerance {args.tol:.0e}")
        figures["ok"] = not FAILURES
        print(json.dumps(figures))
        return 0 if not FAILURES else 1
    x, rust_literal, rust_virtual = io["inputs"], io["literal"], io["virtual"]
    if (t.input_width, t.output_width) != (x.shape[1], rust_literal.shape[1]):
        fail(f"widths {t.input_width} -> {t.output_width} but inputs {x.shape}, "
             f"outputs {rust_literal.shape}")

    literal = t.forward(x)
    virtual = t.forward_virtual(x)
    one = t.forward(x[0])
    if not (one.shape == (t.output_width,) and np.array_equal(one, literal[0])):
        fail("forward of one input is not row 0 of the batch forward")

    figures = {
        "label": args.label,
        **common,
        "inputs": int(x.shape[0]),
        "widths": t.spec["target_widths"],
        "bias_unit": t.bias_unit,
        "activations": t.spec["activations"],
        "kept": [l.kept for l in t.layers],
        "edges": [l.edges for l in t.layers],
        "max_outputs_per_neuron": [
            int(np.bincount(l.edge_neuron).max()) if l.edges else 0 for l in t.layers
        ],
        "max_rel_literal": max_rel(rust_literal, literal),
        "literal_bit_identical": bool(np.array_equal(rust_literal, literal)),
        "max_rel_virtual": max_rel(rust_literal, virtual),
        "max_rel_virtual_vs_rust_virtual": max_rel(rust_virtual, virtual),
    }
    vm = t.virtual_matrices()
    figures["max_abs_virtual_matrices"] = max(
        max(float(np.max(np.abs(io[f"layer{i}.wplus"] - p), initial=0.0)),
            float(np.max(np.abs(io[f"layer{i}.wminus"] - m), initial=0.0)))
        for i, (p, m) in enumerate(vm, start=1)
    )

    if args.dense:
        dense = load_file(args.dense)
        mine = t.dense_state_dict()
        if sorted(dense) != sorted(mine):
            fail(f"dense keys {sorted(mine)} differ from Rust's {sorted(dense)}")
        else:
            for k in dense:
                if dense[k].shape != mine[k].shape:
                    fail(f"dense tensor {k}: shape {mine[k].shape}, Rust's {dense[k].shape}")
                elif not np.array_equal(dense[k], mine[k]):
                    fail(f"dense tensor {k}: values differ from Rust's")
        ws = t.dense_sequential()
        figures["max_rel_dense"] = max_rel(
            rust_literal, dense_forward(ws, t.spec["activations"], x))
        try:
            t.dense_sequential(max_bytes=t.dense_bytes() - 1)
            fail("dense_sequential above its cap was not refused")
        except ValueError as e:
            if f"{t.dense_bytes()} bytes" not in str(e):
                fail(f"dense_sequential's refusal `{e}` does not name the bytes")

    # Bad inputs are ValueErrors.
    for bad, what in [(x[:, :-1], "one coordinate short"), (x[:, :, None], "three dimensions")]:
        try:
            t.forward(bad)
            fail(f"forward on an input {what} was not refused")
        except ValueError:
            pass
    nan = x[:2].copy()
    nan[1, 0] = np.nan
    try:
        t.forward(nan)
        fail("forward on a NaN input was not refused")
    except ValueError as e:
        if "input 1, coordinate 0" not in str(e):
            fail(f"the NaN refusal `{e}` does not name input 1, coordinate 0")

    with tempfile.TemporaryDirectory() as tmp:
        figures["tampered_tickets_refused"] = tampered(args.ticket, tmp, t)

    for key in ("max_rel_literal", "max_rel_virtual", "max_rel_virtual_vs_rust_virtual",
                "max_rel_dense", "max_abs_virtual_matrices"):
        if key in figures and not figures[key] <= args.tol:
            fail(f"{key} = {figures[key]:.3e} above the tolerance {args.tol:.0e}")
    figures["ok"] = not FAILURES
    print(json.dumps(figures))
    return 0 if not FAILURES else 1


if __name__ == "__main__":
    sys.exit(main())
