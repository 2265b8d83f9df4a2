"""Which kernel runs a bdm round: the compiled one (numba, the ``fast`` extra) or plain numpy.

``TERTIUS_KERNEL`` chooses: ``numba`` (refuses in one line when numba is not installed),
``numpy`` (always the vectorised numpy path), or unset / ``auto``: the kernel for an issue of at
least :data:`KERNEL_FROM` actors when numba imports, else numpy. The choice depends on the issue
alone, never on what the process has loaded, so the same input gives the same bytes in a fresh
command, a sweep's worker or the web server. Below that size the kernel saves less than it costs:
importing numba and loading the kernel cost a fresh process about 0.6 s of CPU and 120 MiB, while
the kernel saves about 0.4 s of CPU per 10 rounds at 1,000 actors (n² pairs a round: about 0.04 s
at 300 actors, 0.1 ms per draw of a 17-actor issue); at 200 actors and more a scenario is large,
and its forecast intervals run the issue over many draws. The functions of
:mod:`tertius.models.bdm` also take ``kernel=`` with the same values.

The kernel's O(n²) passes run on :func:`threads` threads (``TERTIUS_THREADS``, else every CPU
this process may use, at most numba's ``NUMBA_NUM_THREADS``), over fixed blocks of rows, with
the same bytes for any number of threads. One thread runs the serial compilation, which never
starts numba's threading layer: a sweep's worker processes call :func:`one_thread` first (they
already use every core between them, and a process forked from one that started GNU OpenMP's
threads must not use them).

The kernel is compiled on first use and cached on disk (numba's ``cache=True``): beside the
module when its folder is writable, else in ``NUMBA_CACHE_DIR``, which is set here (before numba
is imported) to ``$XDG_CACHE_HOME/tertius/numba`` (``~/.cache/tertius/numba``) when the package
folder is read-only and the variable is not set already.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from tertius.errors import InputError, require

CHOICES = ("auto", "numba", "numpy")

#: ``auto`` runs the compiled kernel on issues of at least this many actors (module docstring).
KERNEL_FROM = 200


def _cache_dir() -> None:
    here = Path(__file__).resolve().parent
    if "NUMBA_CACHE_DIR" in os.environ or os.access(here, os.W_OK):
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    os.environ["NUMBA_CACHE_DIR"] = str(base / "tertius" / "numba")


@cache
def compiled() -> ModuleType | None:
    """The compiled kernel's module, or None when numba is not installed."""
    _cache_dir()
    try:
        require("numba", "run the compiled bdm kernel")
    except InputError:
        return None
    return importlib.import_module("tertius.models._bdm_jit")


def choose(kernel: str | None = None, *, actors: int = KERNEL_FROM) -> ModuleType | None:
    """The compiled kernel's module when ``kernel`` (else ``TERTIUS_KERNEL``, else ``auto``)
    asks for it and numba is installed; None for the numpy path. ``actors``: the issue's size,
    which decides under ``auto`` (:data:`KERNEL_FROM`)."""
    name = kernel or os.environ.get("TERTIUS_KERNEL") or "auto"
    if name not in CHOICES:
        raise InputError(f"TERTIUS_KERNEL={name!r} is not one of {', '.join(CHOICES)}",
                         fix="unset TERTIUS_KERNEL, or set it to numba or numpy")
    if name == "numpy" or (name == "auto" and actors < KERNEL_FROM):
        return None
    found = compiled()
    if found is None and name == "numba":
        raise InputError("the compiled bdm kernel (TERTIUS_KERNEL=numba) needs the package 'numba'",
                         fix="pip install 'tertius[fast]', or unset TERTIUS_KERNEL for the numpy path")
    return found


#: Held by the thread running the parallel functions (:func:`functions`).
_PARALLEL = threading.Lock()

#: Set by :func:`one_thread` (a sweep's worker processes): overrides ``TERTIUS_THREADS``.
_THREADS: int | None = None


def one_thread() -> None:
    """Run the kernel on one thread in this process from now on (a worker process's initializer)."""
    global _THREADS
    _THREADS = 1


def threads(jit: ModuleType) -> int:
    """The kernel's threads: :func:`one_thread`'s 1, else ``TERTIUS_THREADS``, else the CPUs this
    process may use; at most numba's ``NUMBA_NUM_THREADS`` (``jit.MAX_THREADS``)."""
    if _THREADS is not None:
        return _THREADS
    text = os.environ.get("TERTIUS_THREADS", "").strip()
    if text:
        if not text.isdigit() or int(text) < 1:
            raise InputError(f"TERTIUS_THREADS={text!r} is not a whole number of threads of at least 1",
                             fix="unset TERTIUS_THREADS (every CPU), or set it to 1, 2, ...")
        wanted = int(text)
    else:
        try:
            wanted = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            wanted = os.cpu_count() or 1
    return max(1, min(wanted, int(jit.MAX_THREADS)))


@contextmanager
def functions(jit: ModuleType) -> Iterator[tuple[Callable[[str], Any], int]]:
    """(a look-up of the kernel's functions by name, the threads for numpy's part) for one round:
    the ``parallel=True`` functions (``<name>_parallel``) on :func:`threads` threads, else the
    serial ones and 1: for one thread, and while another thread of this process is in a parallel
    round (numba's ``workqueue`` layer takes one caller at a time; the serial functions give the
    same bytes)."""
    count = threads(jit)
    if count > 1 and _PARALLEL.acquire(blocking=False):
        try:
            jit.use_threads(count)
            yield (lambda name: getattr(jit, name + "_parallel")), count
        finally:
            _PARALLEL.release()
    else:
        yield (lambda name: getattr(jit, name)), 1


_POOL: tuple[int, int, ThreadPoolExecutor] | None = None


def pool(count: int) -> ThreadPoolExecutor:
    """A pool of ``count`` threads for the kernel's numpy part (made again after a fork or for
    another count; used only by the caller holding the parallel lock)."""
    global _POOL
    if _POOL is None or _POOL[:2] != (os.getpid(), count):
        _POOL = (os.getpid(), count, ThreadPoolExecutor(max_workers=count, thread_name_prefix="tertius-bdm"))
    return _POOL[2]
