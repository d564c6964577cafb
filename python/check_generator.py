"""Checks python/logprune_generator.py: Random123's known answers, and Rust's vectors bit for bit.

    python python/check_generator.py [vectors.json]

Without an argument: the known-answer tests of Philox4x32-10 and ARS-4x32 (7 and 10 rounds)
below, plus self-consistency checks (``run_words`` against ``words``, ``weights`` against
``sample(words)``, chunking, error messages). With a JSON file written by
``crates/construction/tests/python_generator.rs``: also every word and weight in it, weights
compared by their float64 bit patterns. Exits 0 on success; on the first mismatch prints what
differs and exits 1.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import logprune_generator as lg  # noqa: E402

# Known answers from Random123 (github.com/DEShawResearch/random123): each line is the
# algorithm, the rounds, the counter words, the key words and the expected output words, in
# hex, in the column order of tests/kat_main.h (ctr[0..N], ukey[0..K], expected[0..N]).
# - philox4x32 10: the 3 lines of tests/kat_vectors and 8 lines of tests/old_kat_vectors;
# - ars4x32 7: 8 lines of tests/old_kat_vectors (7 is ARS's default, and ars-v3's rounds);
# - ars4x32 10: the 3 lines of tests/kat_vectors and 8 lines of tests/old_kat_vectors.
KAT = """
philox4x32 10 00000000 00000000 00000000 00000000 00000000 00000000 6627e8d5 e169c58d bc57ac4c 9b00dbd8
philox4x32 10 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff 408f276d 41c83b0e a20bc7c6 6d5451fd
philox4x32 10 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0 d16cfe09 94fdcceb 5001e420 24126ea1
philox4x32 10 00000001 00000000 00000000 00000000 00000001 00000000 ac08141b dfc5ccbe 79c07a47 a7f66093
philox4x32 10 00000000 00000000 00000000 ffffffff 00000001 00000000 f50c9398 b36cdab2 436bdc89 cc49431b
philox4x32 10 00000000 00000000 00000000 00000001 00000000 00000001 96b27e8c 28826d0f 66d958ef 081509dc
philox4x32 10 a4093822 299f31d0 082efa98 ec4e6c89 00000000 00000001 1c28fa3f 8c5bf977 bb989783 0c1a3737
philox4x32 10 00000000 00000000 ffffffff 00000000 00000000 ffffffff 07678411 9e524307 ba634e67 94ee8cb7
philox4x32 10 00000000 00000001 00000000 00000000 00000000 80000000 94f419f8 1116c316 99f2fa30 bc048ad6
philox4x32 10 00000000 00000000 00000000 80000000 00000000 80000000 f7a0b371 e51dc93d 56ce135d 1d4b5580
philox4x32 10 452821e6 38d01377 be5466cf 34e90c6c 00000000 80000000 94ca5566 14924b2f 28214292 59faeaee
ars4x32 7 00000001 00000000 00000000 00000000 00000001 00000000 00000000 00000000 3523162b dc14d20c 79184077 72184193
ars4x32 7 00000000 00000000 0000ff00 00000000 00000000 01000000 00000000 00000000 da4eb391 01bc628b 38c604a2 07535efe
ars4x32 7 00000000 00000000 00000000 01000000 00000000 00000000 00000000 01000000 fb5a5d93 3ed97d61 039e3770 f3d0f902
ars4x32 7 223809a4 d0319f29 98fa2e08 896c4eec 00000000 000000ff 00000000 00000000 1a623015 87f931a8 16b04922 f155907a
ars4x32 7 00000000 00000000 000000ff 00000000 00000000 00000000 000000ff 00000000 52fd0dfd 15561258 c6ab328b f9557afc
ars4x32 7 00000000 00000000 00000000 00000100 00000000 00000000 00000000 000000ff 1ca7f47f 54b6924e ccd09f94 ca3b2c0e
ars4x32 7 00000000 00000000 00000000 80000000 00000000 00000000 00000000 80000000 b6c08c48 52962db9 88508917 4dd4aaff
ars4x32 7 e6212845 7713d038 cf6654be 6c0ce934 00000000 00000000 00000000 80000000 394a7bc3 4d049c56 b0e3d5a5 dcb070b5
ars4x32 10 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 8d73ee19 506401ef 13c2dbe4 0cbe9c0d
ars4x32 10 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0 082efa98 ec4e6c89 a516e7d6 8357ad74 5b59b3ec 8763fff3
ars4x32 10 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff 00000000 00000000 bb3743b1 9f635551 ecbc87fc a19478a9
ars4x32 10 00000001 00000000 00000000 00000000 00000001 00000000 00000000 00000000 3789b2f9 cf3e7bfc 51bafd66 e5c2f16c
ars4x32 10 00000000 00000000 0000ff00 00000000 00000000 01000000 00000000 00000000 8bce1a3d 8f055227 cde20b9e 282de09d
ars4x32 10 00000000 00000000 00000000 01000000 00000000 00000000 00000000 01000000 fbba385e 31fadaba 7cb9fb23 d890b40a
ars4x32 10 223809a4 d0319f29 98fa2e08 896c4eec 00000000 000000ff 00000000 00000000 8ba8b541 1e8abc5e 2fb4912b 4d0f6dc1
ars4x32 10 00000000 00000000 000000ff 00000000 00000000 00000000 000000ff 00000000 4597e89c 63d67111 e9b252a1 9a190af6
ars4x32 10 00000000 00000000 00000000 00000100 00000000 00000000 00000000 000000ff ee0a121c e2605764 b4441611 2f6213f9
ars4x32 10 00000000 00000000 00000000 80000000 00000000 00000000 00000000 80000000 a0e70327 7caee527 6a428c61 3c4f3840
ars4x32 10 e6212845 7713d038 cf6654be 6c0ce934 00000000 00000000 00000000 80000000 d45af446 218fe8d8 47653a38 a1d863e2
"""


# ars-v3's blocks ARS-4x32-7(counter_words(stream, index, 0), [seed lo, seed hi, 0, 0]) as
# pinned by the Rust ARS implementation's `values_are_stable` test (crates/sampling, commit
# 06240f9 on branch `ars`, not yet on main when this was written): (seed, stream, index, block).
ARS_V3_BLOCKS = (
    (0, 0, 0, (0xDACF61FF, 0xC45798F3, 0x113C7EEB, 0x101E27F3)),
    (42, 3, 17, (0x4D42AC13, 0x76C03DC5, 0x76591633, 0x2D2D6AD4)),
    (0x0123_4567_89AB_CDEF, 0xFFFF_FFFF, 0x1_0000_0002,
     (0x41FDF90F, 0xA5E4D326, 0x2AAE4525, 0x7132367F)),
    (2**64 - 1, 7, 2**64 - 1, (0x542272A0, 0x1DC26A95, 0xBE2BEC64, 0xAB331A72)),
)


class Mismatch(Exception):
    pass


def hexs(words) -> str:
    return " ".join(f"{int(w):08x}" for w in words)


def check_kat() -> dict:
    counts: dict = {}
    for line in KAT.strip().splitlines():
        f = line.split()
        name, rounds = f[0], int(f[1])
        x = [int(h, 16) for h in f[2:]]
        ctr = np.array([x[:4]], dtype=np.uint32)
        nkey = 2 if name == "philox4x32" else 4
        key = np.array(x[4 : 4 + nkey], dtype=np.uint32)
        want = x[4 + nkey :]
        if name == "philox4x32":
            got = lg.philox4x32_10(ctr, key)[0]
        else:
            got = lg.ars4x32(ctr, key, rounds)[0]
        if [int(g) for g in got] != want:
            raise Mismatch(f"known answer {line!r}: computed {hexs(got)}")
        counts[f"{name} {rounds}"] = counts.get(f"{name} {rounds}", 0) + 1
    # Batches: every KAT counter at once, under each key, agrees with the one-row calls.
    rng = np.random.default_rng(7)
    ctr = rng.integers(0, 2**32, size=(1000, 4), dtype=np.uint64).astype(np.uint32)
    for fn, key in ((lg.philox4x32_10, [5, 6]), (lg.ars4x32, [5, 6, 7, 8])):
        batch = fn(ctr, np.array(key, dtype=np.uint32))
        for i in (0, 1, 499, 999):
            if not np.array_equal(batch[i], fn(ctr[i : i + 1], np.array(key, dtype=np.uint32))[0]):
                raise Mismatch(f"{fn.__name__}: batch row {i} differs from the single call")
    return counts


def bits_of(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).view(np.uint64)


def first_difference(got: np.ndarray, want: np.ndarray) -> int:
    diff = np.nonzero(got != want)[0]
    return int(diff[0]) if diff.size else -1


def expect(ok, what: str) -> None:
    """Raises ``Mismatch`` naming ``what`` unless ``ok`` (not ``assert``: ``python -O`` would
    skip it)."""
    if not ok:
        raise Mismatch(f"expected {what}")


def check_self() -> None:
    """Consistency of the helpers (no Rust needed)."""
    # widen32 and unit_open: the documented values of crates/sampling/src/lib.rs.
    for got, want, what in (
        (lg.unit_open(np.uint64(0)), 2.0**-54, "unit_open(0)"),
        (lg.unit_open(np.uint64((1 << 63) - 1)), 0.5 - 2.0**-54, "unit_open(2^63 - 1)"),
        (lg.unit_open(np.uint64(1 << 63)), 0.5, "unit_open(2^63)"),
        (lg.unit_open(np.uint64(2**64 - 1)), 1.0, "unit_open(u64::MAX)"),
        (lg.unit_open(lg.widen32(0)), 2.0**-32 + 2.0**-54, "unit_open(widen32(0))"),
        (lg.unit_open(lg.widen32(3)), 1.5 * 2.0**-31 + 2.0**-54, "unit_open(widen32(3))"),
        (lg.unit_open(lg.widen32(2**32 - 1)), 1.0 - 2.0**-32, "unit_open(widen32(u32::MAX))"),
        # Philox block 0 of (0, 0, 0) is the first known answer.
        (int(lg.words("philox-v1", 0, 0, 0, 0, 1)), 0xE169C58D_6627E8D5, "philox-v1 word 0"),
    ):
        expect(got == want, f"{what} = {want!r}, not {got!r}")
    # ars-v3's layout: the block of index (z >> 2)·fan + port, word z & 3, widened.
    for seed, stream, index, block in ARS_V3_BLOCKS:
        fan = 1 if index < 2**62 else 2**62
        z = np.arange(4, dtype=np.uint64) + np.uint64(4 * (index // fan))
        port = index % fan
        got = lg.words("ars-v3", seed, stream, z, port, fan)
        want = lg.widen32(np.array(block, dtype=np.uint32))
        expect(np.array_equal(got, want), f"ars-v3 block of ({seed}, {stream}, {index}) = "
               f"{hexs(block)}, not {[hex(int(g)) for g in got]}")
    # run_words (one block per four neurons) equals words (one per neuron), across chunk and
    # block boundaries, with a small chunk.
    saved = lg.CHUNK
    try:
        lg.CHUNK = 64
        for g in lg.GENERATORS:
            for z0, count in ((0, 1), (3, 2), (5, 300), ((1 << 32) - 7, 41), (2**40 + 2, 257)):
                a = lg.run_words(g, 99, 4, z0, count, 2, 5)
                b = lg.words(g, 99, 4, np.uint64(z0) + np.arange(count, dtype=np.uint64), 2, 5)
                if not np.array_equal(a, b):
                    raise Mismatch(f"run_words({g}, z0={z0}, count={count}) differs from words")
        law = {"law": "gaussian", "sigma": 0.5}
        z = np.arange(500, dtype=np.uint64).reshape(50, 10)
        p = np.arange(10, dtype=np.uint64)
        w = lg.words("ars-v3", 3, 1, z, p, 10)
        lg.CHUNK = saved
        if not np.array_equal(w, lg.words("ars-v3", 3, 1, z, p, 10)):
            raise Mismatch("words depends on the chunk size")
        x = lg.weights("ars-v3", 3, law, 1, z, p, 10)
        if x.shape != (50, 10) or not np.array_equal(bits_of(x), bits_of(lg.sample(law, w))):
            raise Mismatch("weights differs from sample(words)")
    finally:
        lg.CHUNK = saved
    # Clear errors.
    for bad, what in (
        (lambda: lg.words("philox-v9", 0, 0, 0, 0, 1), "philox-v9"),
        (lambda: lg.sample({"law": "cauchy", "gamma": 1.0}, [1]), "cauchy"),
        (lambda: lg.sample({"law": "uniform", "a": -1.0}, [1]), "uniform"),
    ):
        try:
            bad()
        except ValueError as e:
            if what not in str(e):
                raise Mismatch(f"error message {e!s} does not name {what!r}") from None
        else:
            raise Mismatch(f"{what!r} was not refused")


def check_vectors(path: str) -> tuple:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    n_words = n_weights = 0
    for i, v in enumerate(data["vectors"]):
        where = (
            f"vector {i} ({v['generator']}, seed {v['seed']}, stream {v['stream']}, "
            f"fan {v['fan']}, law {v['law']})"
        )
        neurons = np.array(v["neurons"], dtype=np.uint64)
        ports = np.array(v["ports"], dtype=np.uint64)
        want = np.array(v["words"], dtype=np.uint64)
        got = lg.words(v["generator"], v["seed"], v["stream"], neurons, ports, v["fan"])
        j = first_difference(got, want)
        if j >= 0:
            raise Mismatch(
                f"{where}: word of (neuron {neurons[j]}, port {ports[j]}) is "
                f"{int(got[j]):#018x}, Rust's {int(want[j]):#018x}"
            )
        wb = np.array(v["weight_bits"], dtype=np.uint64)
        x = bits_of(lg.weights(v["generator"], v["seed"], v["law"], v["stream"], neurons, ports,
                               v["fan"]))
        j = first_difference(x, wb)
        if j >= 0:
            raise Mismatch(
                f"{where}: weight of (neuron {neurons[j]}, port {ports[j]}) is "
                f"{x[j:j+1].view(np.float64)[0]!r} ({int(x[j]):#018x}), Rust's "
                f"{wb[j:j+1].view(np.float64)[0]!r} ({int(wb[j]):#018x})"
            )
        n_words += want.size
        n_weights += wb.size
    for i, s in enumerate(data.get("samples", [])):
        w = np.array(s["words"], dtype=np.uint64)
        wb = np.array(s["weight_bits"], dtype=np.uint64)
        x = bits_of(lg.sample(s["law"], w))
        j = first_difference(x, wb)
        if j >= 0:
            raise Mismatch(
                f"sample {i} (law {s['law']}): word {int(w[j]):#018x} gives "
                f"{x[j:j+1].view(np.float64)[0]!r} ({int(x[j]):#018x}), Rust's "
                f"{wb[j:j+1].view(np.float64)[0]!r} ({int(wb[j]):#018x})"
            )
        n_weights += wb.size
    gens = sorted({v["generator"] for v in data["vectors"]})
    return len(data["vectors"]), n_words, n_weights, gens


def main(argv: list) -> int:
    try:
        counts = check_kat()
        print("known answers: " + ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())))
        check_self()
        print("self-consistency: ok")
        if len(argv) > 1:
            nv, nw, nx, gens = check_vectors(argv[1])
            print(
                f"Rust vectors: {nv} vectors, {nw} words and {nx} weights bit-identical "
                f"({', '.join(gens)})"
            )
    except Mismatch as e:
        print(f"MISMATCH: {e}", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
