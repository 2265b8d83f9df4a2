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


def child_rng(seed: int, *path: object) -> np.random.Generator:
    """A generator for the unit of work named by ``path`` under ``seed``."""
    return np.random.default_rng(child_seed(seed, *path))


__all__ = ["child_rng", "child_seed"]
