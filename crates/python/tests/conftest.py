"""Shared helpers of the logprune Python tests: numpy only (torch tests skip without it)."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]


def write_safetensors(path: Path, tensors: Dict[str, np.ndarray]) -> None:
    """A safetensors file of ``tensors`` (little-endian, row-major), written with numpy only
    (the format: an 8-byte header length, a JSON header of dtypes, shapes and offsets, the
    data)."""
    names = {"f4": "F32", "f8": "F64", "f2": "F16"}
    header, blobs, offset = {}, [], 0
    for key in sorted(tensors):
        a = np.ascontiguousarray(tensors[key])
        a = a.astype(a.dtype.newbyteorder("<"))
        data = a.tobytes()
        header[key] = {
            "dtype": names[f"{a.dtype.kind}{a.dtype.itemsize}"],
            "shape": list(a.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def mlp(widths: List[int], seed: int = 0, bias: bool = True, dtype=np.float32) -> Dict[str, np.ndarray]:
    """The state_dict of an ``nn.Sequential(Linear, ReLU, ..., Linear)`` with PyTorch's
    default init (U[±1/√fan_in])."""
    rng = np.random.default_rng(seed)
    out = {}
    for k, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        s = 1.0 / np.sqrt(n_in)
        out[f"{2 * k}.weight"] = rng.uniform(-s, s, (n_out, n_in)).astype(dtype)
        if bias:
            out[f"{2 * k}.bias"] = rng.uniform(-s, s, n_out).astype(dtype)
    return out


def _find_cli() -> Optional[str]:
    given = os.environ.get("LOGPRUNE_CLI")
    if given:
        return given
    for profile in ("debug", "release"):
        p = REPO / "target" / profile / "logprune"
        if p.exists():
            return str(p)
    return shutil.which("logprune")


@pytest.fixture(scope="session")
def cli() -> str:
    """The ``logprune`` binary: ``LOGPRUNE_CLI``, else ``target/{debug,release}/logprune``
    (``cargo build -p logprune``), else on PATH. Missing: skipped, or failed when
    ``LOGPRUNE_REQUIRE_CLI=1`` (CI)."""
    path = _find_cli()
    if path is None or not os.path.exists(path):
        message = "the logprune binary was not found (set LOGPRUNE_CLI or cargo build -p logprune)"
        if os.environ.get("LOGPRUNE_REQUIRE_CLI") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_cli(cli: str, *args: str) -> str:
    r = subprocess.run([cli, *args], capture_output=True, text=True)
    assert r.returncode == 0, f"logprune {' '.join(args)} failed:\n{r.stderr}"
    return r.stdout
