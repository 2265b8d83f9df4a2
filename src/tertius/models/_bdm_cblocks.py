"""The C kernel of a bdm round (:mod:`tertius.models._bdm_c`, built from ``_bdm_c.pyx`` when the
package installs), each pass a function whose first argument is the number of threads it runs on
(``parts``), looked up by name by ``bdm._kernel_passes`` (through :func:`bdm_kernel.functions`,
which binds ``parts``); imported only through :mod:`tertius.models.bdm_kernel`, and fails to
import when the extension was not built.

Threads without OpenMP: each pass cuts its work (blocks of ``KERNEL_BLOCK`` rows, columns or
voters) into ``parts`` contiguous ranges of whole blocks, and runs them at once on
:func:`bdm_kernel.pool`'s threads, the caller waiting (one range: on the caller's thread); the C
functions let go of the GIL for their loops. (Running one range on the calling thread instead
left numpy's powers, which share the pool, unscaled: at 1,000 actors on 2 threads the powers
took 0.061-0.075 s instead of 0.033 s a run, and the run 0.206-0.221 s instead of 0.162-0.168 s.) Every block
is written by one call from inputs that do not depend on the split, and the sums across blocks
are taken afterwards in block order, so the bytes are the same for any number of threads. Idle
pool threads sleep (unlike GNU OpenMP's, which spin), and a forked process makes its pool anew.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import tertius.models._bdm_c as _bdm_c  # the compiled extension; ImportError when it was not built
from tertius.models import bdm_kernel


def _cuts(units: int, parts: int) -> list[tuple[int, int]]:
    """``units`` blocks in at most ``parts`` contiguous ranges (a, b), none empty."""
    ends = [units * k // parts for k in range(parts + 1)]
    return [(a, b) for a, b in zip(ends, ends[1:], strict=False) if b > a]


def _run(function: Callable[..., Any], args: tuple[Any, ...], units: int, parts: int) -> None:
    """function(*args, b0, b1) over the blocks 0 .. units − 1, in ``parts`` ranges at once on the pool."""
    cuts = _cuts(units, parts)
    if len(cuts) <= 1:
        function(*args, 0, units)
        return
    pool = bdm_kernel.pool(parts)
    jobs = [pool.submit(function, *args, a, b) for a, b in cuts]
    for job in jobs:
        job.result()


def _blocks(size: int, block: int) -> int:
    return -(-size // block)


def midpoint_blocks(parts: int, xs: np.ndarray, grid: tuple[Any, ...], out: np.ndarray, r0: int) -> None:
    lo, scale, first, value, mixed = grid
    args = (xs, float(lo), float(scale), np.ascontiguousarray(first, dtype=np.int64), value,
            np.ascontiguousarray(mixed, dtype=bool).view(np.uint8), out, r0)
    _run(_bdm_c.midpoint_blocks, args, out.shape[0], parts)


def risk_blocks(parts: int, xs: np.ndarray, ws: np.ndarray, W: np.ndarray, X2: np.ndarray, R: float, same: float,
          global_form: bool, coef: np.ndarray, table: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray, float]:
    n = xs.size
    pd, dsum, part = np.zeros(n), np.zeros(n), np.zeros(n)
    _run(_bdm_c.risk_blocks, (xs, ws, W, X2, R, same, global_form, coef, table, block, pd, dsum, part),
         _blocks(n, block), parts)
    return pd, dsum, _bdm_c.ordered_sum(part)


def voter_blocks(parts: int, U: np.ndarray, k0: int, ws: np.ndarray, coef: np.ndarray, C: np.ndarray, stored: bool,
            global_form: bool, part: np.ndarray, sums: np.ndarray, block: int) -> None:
    _run(_bdm_c.voter_blocks, (U, k0, ws, coef, C, stored, global_form, part, sums, block),
         _blocks(U.shape[0], block), parts)


def prefix_columns(parts: int, C: np.ndarray, block: int) -> None:
    _run(_bdm_c.prefix_columns, (C, block), _blocks(C.shape[1], block), parts)


def row_blocks(parts: int, *args: Any) -> None:
    """``_bdm_c.row_blocks``'s arguments: (c0, xs, ..., LO (19th), ..., block (25th), new_s, partner_s)."""
    LO, block = args[18], args[24]
    _run(_bdm_c.row_blocks, args, _blocks(LO.shape[0], block), parts)


def distance_rows(parts: int, xs: np.ndarray, r0: int, R: float, out: np.ndarray, halves: bool) -> None:
    """``out``: (1 or 2, rows, n), each out[k] C-contiguous."""
    _run(_bdm_c.distance_rows, (xs, r0, R, out[0], out[1] if halves else out[0], halves), out.shape[1], parts)


def window_bases(parts: int, xs: np.ndarray, rs: np.ndarray, R: float, first: np.ndarray, width: np.ndarray,
            offset: np.ndarray, base: np.ndarray, expo: np.ndarray) -> None:
    _run(_bdm_c.window_bases, (xs, rs, R, first, width, offset, base, expo), first.shape[0], parts)


make_grid = _bdm_c.make_grid
exponents = _bdm_c.exponents
full_round = _bdm_c.full_round
batch_round = _bdm_c.batch_round
