"""The one source of randomness: a child seed for every unit of work, derived from the user's seed.

``child_seed(seed, "broker", phase, ...)`` hashes the path with :class:`numpy.random.SeedSequence`,
so two different paths never share a stream, and the same seed and path always give the same
numbers, whichever process computes them.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _word(part: object) -> int:
    if isinstance(part, (int, np.integer)) and not isinstance(part, bool) and part >= 0:
        return int(part)
    digest = hashlib.sha256(repr(part).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "little")


def child_seed(seed: int, *path: object) -> int:
    """A 64-bit seed for the unit of work named by ``path`` under ``seed``."""
    return int(np.random.SeedSequence([_word(seed), *(_word(p) for p in path)]).generate_state(1, dtype=np.uint64)[0])


# SeedSequence's hash constants (O'Neill's seed_seq mixing, as numpy documents and uses), for
# :func:`child_seeds`, which reproduces ``child_seed`` for many indices at once.
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R, _POOL = 0xCA01F9DD, 0x4973F715, 4
_M32 = np.uint64(0xFFFFFFFF)


def _words32(value: int) -> list[int]:
    """An entropy integer as SeedSequence splits it: 32-bit words, least significant first."""
    words = [value & 0xFFFFFFFF]
    value >>= 32
    while value:
        words.append(value & 0xFFFFFFFF)
        value >>= 32
    return words


def child_seeds(seed: int, *path: object, indices: np.ndarray) -> np.ndarray:
    """``child_seed(seed, *path, i)`` for every i in ``indices`` (non-negative, below 2**32), as
    uint64, computed together: the same mixing as :class:`numpy.random.SeedSequence` on arrays,
    so a sweep of 100,000 draws does not build 100,000 SeedSequence objects."""
    idx = np.asarray(indices, dtype=np.uint64)
    if idx.size and int(idx.max()) >= 2**32:
        return np.array([child_seed(seed, *path, int(i)) for i in idx], dtype=np.uint64)
    prefix = [w for part in (seed, *path) for w in _words32(_word(part))]
    entropy = [np.full(idx.shape, w, dtype=np.uint64) for w in prefix] + [idx]
    while len(entropy) < _POOL:
        entropy.append(np.zeros(idx.shape, dtype=np.uint64))
    hash_const = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal hash_const
        value = value ^ np.uint64(hash_const)
        hash_const = (hash_const * _MULT_A) & 0xFFFFFFFF
        value = (value * np.uint64(hash_const)) & _M32
        return value ^ (value >> np.uint64(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = np.subtract(x * np.uint64(_MIX_L), y * np.uint64(_MIX_R), dtype=np.uint64) & _M32
        return result ^ (result >> np.uint64(16))

    mixer = [hashmix(entropy[i]) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                mixer[dst] = mix(mixer[dst], hashmix(mixer[src]))
    for src in range(_POOL, len(entropy)):
        for dst in range(_POOL):
            mixer[dst] = mix(mixer[dst], hashmix(entropy[src]))
    out = []
    const = _INIT_B
    for i in range(2):  # two 32-bit words make the uint64 state
        value = mixer[i] ^ np.uint64(const)
        const = (const * _MULT_B) & 0xFFFFFFFF
        value = (value * np.uint64(const)) & _M32
        out.append(value ^ (value >> np.uint64(16)))
    return out[0] | (out[1] << np.uint64(32))


def child_rng(seed: int, *path: object) -> np.random.Generator:
    """A generator for the unit of work named by ``path`` under ``seed``."""
    return np.random.default_rng(child_seed(seed, *path))


__all__ = ["child_rng", "child_seed", "child_seeds"]
