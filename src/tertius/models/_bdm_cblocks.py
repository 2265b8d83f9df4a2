"""The C kernel of a bdm round (:mod:`tertius.models._bdm_c`, built from ``_bdm_c.pyx`` when the
package installs), each pass as a serial function and a ``<name>_parallel`` one, looked up by
name by ``bdm._kernel_passes`` (through :func:`bdm_kernel.functions`); imported only through
:mod:`tertius.models.bdm_kernel`, and fails to import when the extension was not built.

Threads without OpenMP: each ``<name>_parallel`` cuts its work (blocks of ``KERNEL_BLOCK`` rows,
columns or voters) into as many contiguous ranges of whole blocks as :func:`use_threads` was
given, and runs them at once on :func:`bdm_kernel.pool`'s threads, the caller waiting; the C
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

_COUNT = 1


def use_threads(count: int) -> None:
    """The thread count of the ``_parallel`` functions called next (by the holder of
    ``bdm_kernel``'s parallel lock)."""
    global _COUNT
    _COUNT = max(1, int(count))


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


def _midpoint(parts: int, xs: np.ndarray, grid: tuple[Any, ...], out: np.ndarray, r0: int) -> None:
    lo, scale, first, value, mixed = grid
    args = (xs, float(lo), float(scale), np.ascontiguousarray(first, dtype=np.int64), value,
            np.ascontiguousarray(mixed, dtype=bool).view(np.uint8), out, r0)
    _run(_bdm_c.midpoint_blocks, args, out.shape[0], parts)


def _risk(parts: int, xs: np.ndarray, ws: np.ndarray, W: np.ndarray, X2: np.ndarray, R: float, same: float,
          global_form: bool, coef: np.ndarray, table: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray, float]:
    n = xs.size
    pd, dsum, part = np.zeros(n), np.zeros(n), np.zeros(n)
    _run(_bdm_c.risk_blocks, (xs, ws, W, X2, R, same, global_form, coef, table, block, pd, dsum, part),
         _blocks(n, block), parts)
    return pd, dsum, _bdm_c.ordered_sum(part)


def _voters(parts: int, U: np.ndarray, k0: int, ws: np.ndarray, coef: np.ndarray, C: np.ndarray, stored: bool,
            global_form: bool, part: np.ndarray, sums: np.ndarray, block: int) -> None:
    _run(_bdm_c.voter_blocks, (U, k0, ws, coef, C, stored, global_form, part, sums, block),
         _blocks(U.shape[0], block), parts)


def _prefix(parts: int, C: np.ndarray, block: int) -> None:
    _run(_bdm_c.prefix_columns, (C, block), _blocks(C.shape[1], block), parts)


def _rows(parts: int, *args: Any) -> None:
    """``_bdm_c.row_blocks``'s arguments: (c0, xs, ..., LO (19th), ..., block (25th), new_s, partner_s)."""
    LO, block = args[18], args[24]
    _run(_bdm_c.row_blocks, args, _blocks(LO.shape[0], block), parts)


def _distances(parts: int, xs: np.ndarray, r0: int, R: float, out: np.ndarray, halves: bool) -> None:
    """``out``: (1 or 2, rows, n), each out[k] C-contiguous."""
    _run(_bdm_c.distance_rows, (xs, r0, R, out[0], out[1] if halves else out[0], halves), out.shape[1], parts)


def _window(parts: int, xs: np.ndarray, rs: np.ndarray, R: float, first: np.ndarray, width: np.ndarray,
            offset: np.ndarray, base: np.ndarray, expo: np.ndarray) -> None:
    _run(_bdm_c.window_bases, (xs, rs, R, first, width, offset, base, expo), first.shape[0], parts)


def _serial(function: Callable[..., Any]) -> Callable[..., Any]:
    def serial(*args: Any) -> Any:
        return function(1, *args)
    serial.__doc__ = function.__doc__
    return serial


def _parallel(function: Callable[..., Any]) -> Callable[..., Any]:
    def parallel(*args: Any) -> Any:
        return function(_COUNT, *args)
    parallel.__doc__ = function.__doc__
    return parallel


midpoint_blocks, midpoint_blocks_parallel = _serial(_midpoint), _parallel(_midpoint)
risk_blocks, risk_blocks_parallel = _serial(_risk), _parallel(_risk)
voter_blocks, voter_blocks_parallel = _serial(_voters), _parallel(_voters)
prefix_columns, prefix_columns_parallel = _serial(_prefix), _parallel(_prefix)
row_blocks, row_blocks_parallel = _serial(_rows), _parallel(_rows)
distance_rows, distance_rows_parallel = _serial(_distances), _parallel(_distances)
window_bases, window_bases_parallel = _serial(_window), _parallel(_window)

make_grid = _bdm_c.make_grid
exponents = _bdm_c.exponents
full_round = _bdm_c.full_round
batch_round = _bdm_c.batch_round
