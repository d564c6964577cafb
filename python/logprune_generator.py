"""The weights of logprune's large random network G, recomputed with numpy alone.

What it reproduces
------------------
Every weight of G is a pure function of ``(seed, stream, neuron, port)``: a counter-based
random number generator (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as
1, 2, 3", SC 2011; the Random123 library) maps a counter built from the weight's position and
a key built from the seed to 128 random bits, a 64-bit word is taken from them, and the
layer's law turns the word into the weight. This module recomputes those words and weights
bit for bit as the Rust crates do (``crates/sampling/src/counter.rs``,
``crates/construction/src/large.rs`` ``Generator::word``, and the laws' ``sample_bits`` in
``crates/sampling/src/{lib,hyperbolic,symmetric,special}.rs``), vectorized over arrays of
weights, with numpy and the Python standard library only (no compiled code of its own).

Layout (fixed by the Rust code; changing it would change every network ever generated)::

    key      = [seed mod 2^32, seed >> 32]                        (Philox, 2 words)
             = [seed mod 2^32, seed >> 32, 0, 0]                  (ARS, 4 words)
    counter  = [index mod 2^32, index >> 32, stream, 0]
    stream   = 2t for U_{t+1} (port = input b, fan = fan-in),
               2t + 1 for V_{t+1} (port = output a, fan = fan-out); neuron = G's index z

    philox-v1: index = neuron*fan + port; word = w0 | w1 << 32 of Philox4x32-10's block
    philox-v2: index = (neuron >> 2)*fan + port; word = widen32(w[neuron & 3]) of the block
    ars-v3:    as philox-v2 with ARS-4x32 (7 rounds) in place of Philox4x32-10

``widen32(w) = (w >> 1) << 33 | 1 << 32 | (w & 1)``; the laws read ``u = unit_open(word) =
((word >> 11) + 1/2)·2^-53`` and the sign from bit 0:

    hyperbolic (alpha, beta): ±clamp(exp(ln alpha + (ln beta − ln alpha)·u), alpha, beta)
    uniform (a):              ±a·u
    gaussian (sigma):         ±sigma·Φ⁻¹((1 + u)/2) by Wichura's AS241, the tail
                              (u > 0.85) from 1 − u = unit_open(~word) exactly

Laws are given as the ticket's JSON ``LawSpec``: ``{"law": "hyperbolic", "alpha": .., "beta":
..}``, ``{"law": "uniform", "a": ..}``, ``{"law": "gaussian", "sigma": ..}``.

Bit identity
------------
Integer steps (Philox's 32×32→64-bit products, ARS's AES rounds by table lookups, the index
and word arithmetic) are exact in numpy's unsigned integer types (wrapping modulo 2^32 or
2^64 as Rust's ``wrapping_*`` and ``as`` casts do). Floating-point steps are done one IEEE
operation at a time in the same order as the Rust code (no fused multiply-add: Rust does not
contract ``a * b + c``); +, −, ×, ÷ and sqrt are correctly rounded, so numpy gives the same
bits. ``exp`` and ``log`` are not correctly rounded and numpy's SIMD kernels may differ from
the C library by an ulp, whereas Rust's ``f64::exp``/``f64::ln`` call the platform's libm
(glibc on Linux): those two are therefore computed with Python's ``math.exp``/``math.log``,
which call the same libm, element by element. So the weights are bit-identical to Rust's when
both run against the same libm (the normal case on one machine; glibc's ``exp`` and ``log``
have been stable, and correctly rounded in practice, across recent versions).

Tested by ``python/check_generator.py``: Random123's known-answer vectors for Philox4x32-10
and ARS-4x32 (7 and 10 rounds), and, with a JSON file of vectors written by Rust
(``crates/construction/tests/python_generator.rs``, run with ``LOGPRUNE_PYTHON`` set), every
word and every weight compared bit for bit (weights by their 64-bit patterns).

Memory: ``words``/``weights`` work in chunks of ``CHUNK`` elements, so the temporaries are a
few ``CHUNK``-sized arrays whatever the size of the request; only the result is full-size.

Speed (10^6 weights, numpy 2 on one core of a shared 2-core machine): ``words`` (one block per
weight) about 6 M words/s for Philox and 2.3 M/s for ARS, whose AES rounds are 16 table
lookups each; ``run_words`` (a run of neurons at one port, one block per four neurons for the
v2/v3 layouts) about 20 M/s for philox-v2 and 12 M/s for ars-v3. ``sample`` runs at about
90 M/s for the uniform law but about 12 M/s for the hyperbolic and Gaussian ones, bound by the
element-by-element ``math.exp`` (10 M/s, against 10^9/s for ``np.exp``, which is not
bit-identical to libm) and AS241's rational functions.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "GENERATORS",
    "LAWS",
    "philox4x32_10",
    "ars4x32",
    "widen32",
    "unit_open",
    "words",
    "run_words",
    "sample",
    "weights",
]

#: The generator names ``words`` accepts (``Generator::name`` in Rust).
GENERATORS = ("philox-v1", "philox-v2", "ars-v3")
#: The law names ``sample`` accepts (the ``law`` tag of Rust's ``LawSpec``).
LAWS = ("hyperbolic", "uniform", "gaussian")

#: Elements per chunk in ``words``, ``weights`` and ``sample``.
CHUNK = 1 << 20

_U32 = np.uint32
_U64 = np.uint64
_MASK32 = 0xFFFF_FFFF
_MASK64 = 0xFFFF_FFFF_FFFF_FFFF

# ---------------------------------------------------------------------------------------------
# Philox4x32-10
# ---------------------------------------------------------------------------------------------

_PHILOX_M0 = _U64(0xD251_1F53)  # multiplier of counter word 0
_PHILOX_M1 = _U64(0xCD9E_8D57)  # multiplier of counter word 2
_PHILOX_W0 = 0x9E37_79B9  # Weyl increment of key word 0 (golden ratio)
_PHILOX_W1 = 0xBB67_AE85  # Weyl increment of key word 1 (sqrt(3) - 1)


def _counters(counters) -> np.ndarray:
    c = np.asarray(counters)
    if c.ndim != 2 or c.shape[1] != 4:
        raise ValueError(f"counters must have shape (N, 4), not {c.shape}")
    if c.dtype != _U32:
        if not np.issubdtype(c.dtype, np.integer):
            raise ValueError(f"counters must be unsigned 32-bit integers, not {c.dtype}")
        c = c.astype(_U32)
    return c


def _philox_words(c0, c1, c2, c3, k0: int, k1: int):
    """Philox4x32-10 on four uint32 arrays (the counter's words), key words ``k0, k1``."""
    x0, x1, x2, x3 = (np.asarray(w, dtype=_U64) for w in (c0, c1, c2, c3))
    for r in range(10):
        if r:
            k0 = (k0 + _PHILOX_W0) & _MASK32
            k1 = (k1 + _PHILOX_W1) & _MASK32
        p0 = x0 * _PHILOX_M0  # exact: < 2^64
        p1 = x2 * _PHILOX_M1
        x0, x1, x2, x3 = (
            (p1 >> _U64(32)) ^ x1 ^ _U64(k0),
            p1 & _U64(_MASK32),
            (p0 >> _U64(32)) ^ x3 ^ _U64(k1),
            p0 & _U64(_MASK32),
        )
    return x0.astype(_U32), x1.astype(_U32), x2.astype(_U32), x3.astype(_U32)


def philox4x32_10(counters, key) -> np.ndarray:
    """Philox4x32 with 10 rounds of each row of ``counters`` (uint32, shape (N, 4)) under
    ``key`` (two uint32 words): uint32 (N, 4), as Random123's ``philox4x32_R(10, ctr, key)``
    and Rust's ``counter::philox4x32_10``."""
    c = _counters(counters)
    k = [int(x) & _MASK32 for x in np.asarray(key).ravel()]
    if len(k) != 2:
        raise ValueError(f"a Philox4x32 key has 2 words, not {len(k)}")
    out = _philox_words(c[:, 0], c[:, 1], c[:, 2], c[:, 3], k[0], k[1])
    return np.stack(out, axis=1)


# ---------------------------------------------------------------------------------------------
# ARS-4x32 (AES round function, Weyl key schedule)
# ---------------------------------------------------------------------------------------------


def _aes_sbox() -> np.ndarray:
    """The AES S-box (FIPS-197 5.1.1): multiplicative inverse in GF(2^8) then the affine map."""
    sbox = [0] * 256
    p = q = 1
    while True:
        # p runs over the multiplicative group by powers of 3, q over the inverses (by 3^-1).
        p = p ^ ((p << 1) & 0xFF) ^ (0x1B if p & 0x80 else 0)
        q ^= q << 1
        q ^= q << 2
        q ^= q << 4
        q &= 0xFF
        if q & 0x80:
            q ^= 0x09
        rot = lambda x, s: ((x << s) | (x >> (8 - s))) & 0xFF  # noqa: E731
        sbox[p] = q ^ rot(q, 1) ^ rot(q, 2) ^ rot(q, 3) ^ rot(q, 4) ^ 0x63
        if p == 1:
            break
    sbox[0] = 0x63
    return np.array(sbox, dtype=_U32)


_SBOX = _aes_sbox()
_XT = ((_SBOX << _U32(1)) ^ np.where(_SBOX & _U32(0x80), _U32(0x1B), _U32(0))) & _U32(0xFF)
# T0[x]: the column MixColumns makes of byte S[x] in row 0, as a little-endian word (rows
# 0..3 = bytes 0..3): (2·S, S, S, 3·S). A byte in row r contributes T0 rotated left by 8r bits.
_T0 = _XT | (_SBOX << _U32(8)) | (_SBOX << _U32(16)) | ((_XT ^ _SBOX) << _U32(24))
_T = [((_T0 << _U32(8 * r)) | (_T0 >> _U32((32 - 8 * r) % 32))) if r else _T0 for r in range(4)]
_ARS_WEYL = (0x9E37_79B9_7F4A_7C15, 0xBB67_AE85_84CA_A73B)  # 64-bit lanes: lo, hi


def _aes_round(v, rk, last: bool):
    """Intel's AESENC (``last``: AESENCLAST) of the 128-bit state ``v`` (four uint32 arrays,
    the register's little-endian words, so word c is AES column c and its byte r is row r)
    with round key ``rk`` (four ints): ShiftRows (row r of column c comes from column
    c + r), SubBytes, MixColumns (not in the last round), xor the round key."""
    out = []
    for c in range(4):
        b = [(v[(c + r) % 4] >> _U32(8 * r)) & _U32(0xFF) for r in range(4)]
        if last:
            w = (
                np.take(_SBOX, b[0])
                | (np.take(_SBOX, b[1]) << _U32(8))
                | (np.take(_SBOX, b[2]) << _U32(16))
                | (np.take(_SBOX, b[3]) << _U32(24))
            )
        else:
            # np.take: a third faster than fancy indexing for these 256-entry tables.
            w = np.take(_T[0], b[0]) ^ np.take(_T[1], b[1])
            w ^= np.take(_T[2], b[2])
            w ^= np.take(_T[3], b[3])
        out.append(w ^ _U32(rk[c]))
    return out


def _ars_words(c0, c1, c2, c3, key, rounds: int):
    """ARS-4x32 with ``rounds`` rounds on four uint32 arrays, key four ints (Random123's
    ``ars1xm128i_R``: ``v = ctr ^ k``, then ``rounds − 1`` AESENC and one AESENCLAST, the key
    advanced by the 64-bit Weyl lanes before each)."""
    if not 1 <= rounds <= 10:
        raise ValueError(f"ARS takes 1 to 10 rounds, not {rounds}")
    lo = key[0] | (key[1] << 32)
    hi = key[2] | (key[3] << 32)
    v = [np.asarray(w, dtype=_U32) ^ _U32(k) for w, k in zip((c0, c1, c2, c3), key)]
    for r in range(rounds):
        lo = (lo + _ARS_WEYL[0]) & _MASK64
        hi = (hi + _ARS_WEYL[1]) & _MASK64
        rk = (lo & _MASK32, lo >> 32, hi & _MASK32, hi >> 32)
        v = _aes_round(v, rk, last=(r == rounds - 1))
    return v


def ars4x32(counters, key, rounds: int = 7) -> np.ndarray:
    """ARS-4x32 with ``rounds`` rounds (default 7, Random123's default and ``ars-v3``'s) of each
    row of ``counters`` (uint32, shape (N, 4)) under ``key`` (four uint32 words): uint32 (N, 4),
    as Random123's ``ars4x32_R(rounds, ctr, key)`` (the words are the 128-bit register's,
    little-endian)."""
    c = _counters(counters)
    k = [int(x) & _MASK32 for x in np.asarray(key).ravel()]
    if len(k) != 4:
        raise ValueError(f"an ARS-4x32 key has 4 words, not {len(k)}")
    return np.stack(_ars_words(c[:, 0], c[:, 1], c[:, 2], c[:, 3], k, rounds), axis=1)


# ---------------------------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------------------------


def widen32(word) -> np.ndarray:
    """The 64-bit word the laws read for a 32-bit generator word:
    ``(w >> 1) << 33 | 1 << 32 | (w & 1)`` (Rust's ``logprune_sampling::widen32``)."""
    w = np.asarray(word).astype(_U64)
    return ((w >> _U64(1)) << _U64(33)) | _U64(1 << 32) | (w & _U64(1))


def unit_open(bits) -> np.ndarray:
    """``((bits >> 11) + 1/2)·2^-53`` in float64, in ``[2^-54, 1]`` (Rust's
    ``logprune_sampling::unit_open``; the conversion of a 53-bit integer is exact, the sum
    rounds half to even as Rust's does)."""
    b = np.asarray(bits, dtype=_U64)
    return ((b >> _U64(11)).astype(np.float64) + 0.5) * (1.0 / float(1 << 53))


def _seed_stream(seed: int, stream: int):
    seed, stream = int(seed), int(stream)
    if not 0 <= seed <= _MASK64:
        raise ValueError(f"seed {seed} is not a 64-bit unsigned integer")
    if not 0 <= stream <= _MASK32:
        raise ValueError(f"stream {stream} is not a 32-bit unsigned integer")
    return seed, stream


def _block_words(generator: str, seed: int, stream: int, index: np.ndarray):
    """The four 32-bit words of block 0 of ``(seed, stream, index)`` for ``generator``."""
    lo = (index & _U64(_MASK32)).astype(_U32)
    hi = (index >> _U64(32)).astype(_U32)
    st = np.full(index.shape, stream, dtype=_U32)
    zero = np.zeros(index.shape, dtype=_U32)
    if generator == "ars-v3":
        return _ars_words(lo, hi, st, zero, (seed & _MASK32, seed >> 32, 0, 0), 7)
    return _philox_words(lo, hi, st, zero, seed & _MASK32, seed >> 32)


def _check_generator(generator: str) -> None:
    if generator not in GENERATORS:
        raise ValueError(
            f"unknown generator {generator!r}: this module implements {', '.join(GENERATORS)}"
        )


def _words_flat(generator: str, seed: int, stream: int, z: np.ndarray, p: np.ndarray, fan):
    if generator == "philox-v1":
        w = _block_words(generator, seed, stream, z * fan + p)
        return w[0].astype(_U64) | (w[1].astype(_U64) << _U64(32))
    w = _block_words(generator, seed, stream, (z >> _U64(2)) * fan + p)
    lane = (z & _U64(3)).astype(np.intp)
    picked = np.choose(lane, w)
    return widen32(picked)


def words(generator: str, seed: int, stream: int, neurons, ports, fan: int) -> np.ndarray:
    """The 64-bit words of the weights ``(neuron, port)`` of ``stream``, for a side whose ports
    number ``fan`` (Rust's ``Generator::word``), ``neurons`` and ``ports`` broadcast together;
    uint64 of their broadcast shape. ``generator`` is ``philox-v1``, ``philox-v2`` or
    ``ars-v3``. Indices wrap modulo 2^64 like Rust's release build (``LargeNetwork`` refuses
    widths for which ``neuron·fan`` would overflow).

    One block is computed per weight; for a run of consecutive neurons at one port,
    ``run_words`` computes each v2/v3 block once (four times less work)."""
    _check_generator(generator)
    seed, stream = _seed_stream(seed, stream)
    fan = int(fan)
    if fan <= 0:
        raise ValueError(f"fan must be positive, not {fan}")
    z, p = np.broadcast_arrays(np.asarray(neurons, dtype=_U64), np.asarray(ports, dtype=_U64))
    out = np.empty(z.shape, dtype=_U64)
    flat = out.reshape(-1)
    fan64 = _U64(fan)
    for start in range(0, flat.size, CHUNK):
        stop = min(start + CHUNK, flat.size)
        flat[start:stop] = _words_flat(
            generator, seed, stream, z.flat[start:stop], p.flat[start:stop], fan64
        )
    return out


def run_words(
    generator: str, seed: int, stream: int, z0: int, count: int, port: int, fan: int
) -> np.ndarray:
    """The words of ``(z0 + j, port)``, ``j = 0..count``: ``words(generator, seed, stream,
    z0 + arange(count), port, fan)`` (Rust's ``Generator::words``), computing each block of
    ``philox-v2``/``ars-v3`` once for its four neurons."""
    _check_generator(generator)
    seed, stream = _seed_stream(seed, stream)
    z0, count, port, fan = int(z0), int(count), int(port), int(fan)
    if generator == "philox-v1" or count <= 0:
        return words(generator, seed, stream, _U64(z0) + np.arange(max(count, 0), dtype=_U64),
                     port, fan)
    out = np.empty(count, dtype=_U64)
    first = z0 >> 2
    last = (z0 + count - 1) >> 2
    # Blocks in chunks of CHUNK/4, so that a chunk is CHUNK neurons.
    step = CHUNK // 4
    for g0 in range(first, last + 1, step):
        g1 = min(g0 + step, last + 1)
        groups = np.arange(g0, g1, dtype=_U64)
        w = _block_words(generator, seed, stream, groups * _U64(fan) + _U64(port))
        wide = widen32(np.stack(w, axis=1)).reshape(-1)  # neurons 4·g0 .. 4·g1 − 1
        lo = max(4 * g0, z0)
        hi = min(4 * g1, z0 + count)
        out[lo - z0 : hi - z0] = wide[lo - 4 * g0 : hi - 4 * g0]
    return out


# ---------------------------------------------------------------------------------------------
# Laws
# ---------------------------------------------------------------------------------------------

# Wichura's AS241 (PPND16), M. J. Wichura, "The percentage points of the normal distribution",
# Applied Statistics 37(3), 477–484 (1988): the coefficients of crates/sampling/src/special.rs,
# increasing degree.
_AS241_A = (
    3.3871328727963666080e0,
    1.3314166789178437745e2,
    1.9715909503065514427e3,
    1.3731693765509461125e4,
    4.5921953931549871457e4,
    6.7265770927008700853e4,
    3.3430575583588128105e4,
    2.5090809287301226727e3,
)
_AS241_B = (
    1.0,
    4.2313330701600911252e1,
    6.8718700749205790830e2,
    5.3941960214247511077e3,
    2.1213794301586595867e4,
    3.9307895800092710610e4,
    2.8729085735721942674e4,
    5.2264952788528545610e3,
)
_AS241_C = (
    1.42343711074968357734e0,
    4.63033784615654529590e0,
    5.76949722146069140550e0,
    3.64784832476320460504e0,
    1.27045825245236838258e0,
    2.41780725177450611770e-1,
    2.27238449892691845833e-2,
    7.74545014278341407640e-4,
)
_AS241_D = (
    1.0,
    2.05319162663775882187e0,
    1.67638483018380384940e0,
    6.89767334985100004550e-1,
    1.48103976427480074590e-1,
    1.51986665636164571966e-2,
    5.47593808499534494600e-4,
    1.05075007164441684324e-9,
)
_AS241_E = (
    6.65790464350110377720e0,
    5.46378491116411436990e0,
    1.78482653991729133580e0,
    2.96560571828504891230e-1,
    2.65321895265761230930e-2,
    1.24266094738807843860e-3,
    2.71155556874348757815e-5,
    2.01033439929228813265e-7,
)
_AS241_F = (
    1.0,
    5.99832206555887937690e-1,
    1.36929880922735805310e-1,
    1.48753612908506148525e-2,
    7.86869131145613259100e-4,
    1.84631831751005468180e-5,
    1.42151175831644588870e-7,
    2.04426310338993978564e-15,
)


def _horner(c, x: np.ndarray) -> np.ndarray:
    """``Σ c_i x^i`` as Rust's ``horner``: ``acc = acc·x + c_i`` from the top, from 0."""
    acc = np.zeros_like(x)
    for ci in reversed(c):
        acc = acc * x + ci
    return acc


def _libm(f, x: np.ndarray) -> np.ndarray:
    """``f`` (``math.exp`` or ``math.log``, the C library's, as Rust's ``f64::exp``/``ln``)
    element by element: numpy's own SIMD ``exp``/``log`` may differ from libm by an ulp."""
    return np.fromiter(map(f, x.tolist()), dtype=np.float64, count=x.size).reshape(x.shape)


def _half_normal(bits: np.ndarray) -> np.ndarray:
    """``Φ⁻¹((1 + u)/2)`` of ``u = unit_open(bits)``, as Rust's ``half_normal_of_bits``."""
    q = 0.5 * unit_open(bits)
    out = np.empty(q.shape, dtype=np.float64)
    central = q <= 0.425
    if central.any():
        qc = q[central]
        r = 0.180625 - qc * qc
        out[central] = qc * _horner(_AS241_A, r) / _horner(_AS241_B, r)
    tail = ~central
    if tail.any():
        t = 0.5 * unit_open(~bits[tail])
        r = np.sqrt(-_libm(math.log, t))
        near = r <= 5.0
        res = np.empty(r.shape, dtype=np.float64)
        rn = r[near] - 1.6
        res[near] = _horner(_AS241_C, rn) / _horner(_AS241_D, rn)
        rf = r[~near] - 5.0
        res[~near] = _horner(_AS241_E, rf) / _horner(_AS241_F, rf)
        out[tail] = res
    return out


def _param(law: dict, name: str) -> float:
    if name not in law:
        raise ValueError(f"law {law.get('law')!r} needs the parameter {name!r}: {law!r}")
    return float(law[name])


def _check_scale(law: dict, name: str) -> float:
    x = _param(law, name)
    if not (x > 0.0 and math.isfinite(x)):
        raise ValueError(f"law {law['law']!r}: {name} = {x} must be finite and positive")
    return x


def _sample_flat(kind: str, law: dict, params, b: np.ndarray) -> np.ndarray:
    if kind == "uniform":
        m = params * unit_open(b)
    elif kind == "gaussian":
        m = params * _half_normal(b)
    else:
        alpha, beta, ln_alpha, ln_ratio = params
        m = _libm(math.exp, ln_alpha + ln_ratio * unit_open(b))
        # Rust's f64::clamp(alpha, beta) (no NaN can occur here).
        m = np.minimum(np.maximum(m, alpha), beta)
    return np.where((b & _U64(1)) == _U64(1), -m, m)


def _law_params(law: dict):
    if not isinstance(law, dict) or "law" not in law:
        raise ValueError(f"a law is a dict with a 'law' key (a ticket's LawSpec), not {law!r}")
    kind = law["law"]
    if kind == "uniform":
        return kind, _check_scale(law, "a")
    if kind == "gaussian":
        return kind, _check_scale(law, "sigma")
    if kind == "hyperbolic":
        alpha, beta = _param(law, "alpha"), _param(law, "beta")
        if not (alpha > 0.0 and math.isfinite(beta) and alpha < beta):
            raise ValueError(f"law 'hyperbolic': need 0 < alpha < beta finite, not {law!r}")
        ln_alpha = math.log(alpha)
        ln_ratio = math.log(beta) - ln_alpha
        if not ln_ratio > 0.0:
            raise ValueError(f"law 'hyperbolic': ln beta - ln alpha is not positive: {law!r}")
        return kind, (alpha, beta, ln_alpha, ln_ratio)
    raise ValueError(f"unknown law {kind!r}: this module implements {', '.join(LAWS)}")


def sample(law: dict, words) -> np.ndarray:
    """The weights the 64-bit ``words`` encode under ``law`` (a ticket's ``LawSpec`` dict),
    float64 of the words' shape, bit-identical to Rust's ``Law::sample_bits``."""
    kind, params = _law_params(law)
    w = np.asarray(words, dtype=_U64)
    out = np.empty(w.shape, dtype=np.float64)
    src, dst = w.reshape(-1), out.reshape(-1)
    for start in range(0, src.size, CHUNK):
        stop = min(start + CHUNK, src.size)
        dst[start:stop] = _sample_flat(kind, law, params, src[start:stop])
    return out


def weights(
    generator: str, seed: int, law: dict, stream: int, neurons, ports, fan: int
) -> np.ndarray:
    """The weights ``(neuron, port)`` of ``stream``: ``sample(law, words(generator, seed,
    stream, neurons, ports, fan))``, chunk by chunk; float64 of the broadcast shape."""
    _check_generator(generator)
    kind, params = _law_params(law)
    seed, stream = _seed_stream(seed, stream)
    fan = int(fan)
    if fan <= 0:
        raise ValueError(f"fan must be positive, not {fan}")
    z, p = np.broadcast_arrays(np.asarray(neurons, dtype=_U64), np.asarray(ports, dtype=_U64))
    out = np.empty(z.shape, dtype=np.float64)
    flat = out.reshape(-1)
    fan64 = _U64(fan)
    for start in range(0, flat.size, CHUNK):
        stop = min(start + CHUNK, flat.size)
        w = _words_flat(generator, seed, stream, z.flat[start:stop], p.flat[start:stop], fan64)
        flat[start:stop] = _sample_flat(kind, law, params, w)
    return out
