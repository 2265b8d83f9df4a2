"""Which kernel runs a bdm round: the compiled one (C) or plain numpy.

``TERTIUS_KERNEL`` chooses: ``c`` (the C kernel, :mod:`tertius.models._bdm_c`, built from
``_bdm_c.pyx`` when the package installs with a C compiler; refuses in one line when it was not
built), ``numpy`` (always the vectorised numpy path), or unset / ``auto``: for an issue of at
least :data:`KERNEL_FROM` actors the C kernel when it was built, else numpy. Any other value,
``numba`` included (numba's bdm kernel was removed: the C kernel is its translation, with the
same bytes and CPU time and without LLVM's memory), is refused in one line naming the valid
values. The choice depends on the issue and the install alone, never on what the process has
loaded, so the same input gives the same bytes in a fresh command, a sweep's worker or the web
server. The C kernel loads no LLVM (its module takes about 1 MiB), so a 3,000-actor issue runs
within 100 MiB. Below :data:`KERNEL_FROM` the compiled kernel saves little (about 0.4 s of CPU
per 10 rounds at 1,000 actors, n² pairs a round: about 0.04 s at 300 actors, 0.1 ms per draw of
a 17-actor issue), and the numpy path is the one the tests compare every kernel against; at 200
actors and more a scenario is large, and its forecast intervals run the issue over many draws.
The functions of :mod:`tertius.models.bdm` also take ``kernel=`` with the same values. The
kernel runs the same equations as numpy with its sums in another order, so the numbers may
differ in the last digits (tests/test_bdm_kernel.py: within 1e-9 of the scale range); within the
kernel of one install they are the same bytes for any number of threads.

The kernel's O(n²) passes run on :func:`threads` threads (``TERTIUS_THREADS``, else every CPU
this process may use), over fixed blocks of rows, with the same bytes for any number of threads:
its blocks on Python threads (:func:`pool`) while its loops let go of the GIL
(:mod:`tertius.models._bdm_cblocks`; no OpenMP). One thread runs the serial functions, which
start no threads: a sweep's worker processes, Dask tasks and the page's pool call
:func:`one_thread` first (they already use every core between them).
"""
from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache, partial
from types import ModuleType
from typing import Any

from tertius.errors import InputError

CHOICES = ("auto", "c", "numpy")

#: The compiled kernel's module (:mod:`tertius.models._bdm_cblocks` wraps the C extension).
MODULE = "tertius.models._bdm_cblocks"

#: ``auto`` runs the compiled kernel on issues of at least this many actors (module docstring).
KERNEL_FROM = 200


@cache
def compiled() -> ModuleType | None:
    """The C kernel's module, or None when the extension was not built (or does not import)."""
    try:
        return importlib.import_module(MODULE)
    except ImportError:
        return None


def name(module: ModuleType | None) -> str:
    """The kernel's name in ``TERTIUS_KERNEL``'s terms: ``c``, or ``numpy`` for None."""
    return "numpy" if module is None else "c"


def choose(kernel: str | None = None, *, actors: int = KERNEL_FROM) -> ModuleType | None:
    """The compiled kernel's module if ``kernel`` (else ``TERTIUS_KERNEL``, else ``auto``) asks
    for it; None for the numpy path. ``actors``: the issue's size, which decides under ``auto``
    (:data:`KERNEL_FROM`): the C kernel when built, else None."""
    kind = kernel or os.environ.get("TERTIUS_KERNEL") or "auto"
    if kind not in CHOICES:
        raise InputError(f"TERTIUS_KERNEL={kind!r} is not one of {', '.join(CHOICES)}",
                         fix="unset TERTIUS_KERNEL, or set it to c or numpy")
    if kind == "numpy" or (kind == "auto" and actors < KERNEL_FROM):
        return None
    found = compiled()
    if found is None and kind == "c":
        raise InputError("the C bdm kernel (TERTIUS_KERNEL=c) was not built in this install",
                         fix="reinstall with a C compiler (pip install -e . in the repository), "
                             "or unset TERTIUS_KERNEL")
    return found


#: Held by the thread running the parallel functions (:func:`functions`).
_PARALLEL = threading.Lock()

#: Set by :func:`one_thread` (a sweep's worker processes): overrides ``TERTIUS_THREADS``.
_THREADS: int | None = None


def one_thread() -> None:
    """Run the kernel on one thread in this process from now on (a worker process's initializer)."""
    global _THREADS
    _THREADS = 1


def threads() -> int:
    """The kernel's threads: :func:`one_thread`'s 1, else ``TERTIUS_THREADS``, else the CPUs this
    process may use."""
    if _THREADS is not None:
        return _THREADS
    text = os.environ.get("TERTIUS_THREADS", "").strip()
    if text:
        if not text.isdigit() or int(text) < 1:
            raise InputError(f"TERTIUS_THREADS={text!r} is not a whole number of threads of at least 1",
                             fix="unset TERTIUS_THREADS (every CPU), or set it to 1, 2, ...")
        return int(text)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@contextmanager
def functions(jit: ModuleType) -> Iterator[tuple[Callable[[str], Any], int]]:
    """(a look-up of the kernel's functions by name, bound to their thread count; that count, for
    numpy's part) for one round: :func:`threads` threads, else 1: for one thread, and while
    another thread of this process is in a parallel round (the passes on several threads share
    :func:`pool`; on one thread they give the same bytes)."""
    count = threads()
    if count > 1 and _PARALLEL.acquire(blocking=False):
        try:
            yield (lambda name: partial(getattr(jit, name), count)), count
        finally:
            _PARALLEL.release()
    else:
        yield (lambda name: partial(getattr(jit, name), 1)), 1


_POOL: tuple[int, int, ThreadPoolExecutor] | None = None


def pool(count: int) -> ThreadPoolExecutor:
    """A pool of ``count`` threads for the kernel's numpy part and its C blocks (made again
    after a fork or for another count; used only by the caller holding the parallel lock)."""
    global _POOL
    if _POOL is None or _POOL[:2] != (os.getpid(), count):
        _POOL = (os.getpid(), count, ThreadPoolExecutor(max_workers=count, thread_name_prefix="tertius-bdm"))
    return _POOL[2]
