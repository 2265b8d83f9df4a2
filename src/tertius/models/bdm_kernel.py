"""Which kernel runs a bdm round: a compiled one (C, or numba's) or plain numpy.

``TERTIUS_KERNEL`` chooses: ``c`` (the C kernel, :mod:`tertius.models._bdm_c`, built from
``_bdm_c.pyx`` when the package installs with a C compiler; refuses in one line when it was not
built), ``numba`` (the numba kernel, the ``fast`` extra; refuses in one line when numba is not
installed), ``numpy`` (always the vectorised numpy path), or unset / ``auto``: for an issue of at
least :data:`KERNEL_FROM` actors the C kernel when it was built, else numba's when numba imports,
else numpy. The choice depends on the issue and the install alone, never on what the process has
loaded, so the same input gives the same bytes in a fresh command, a sweep's worker or the web
server. The C kernel is numba's translated function for function: it loads no LLVM (importing
numba alone takes about 96 MiB of memory, loading its kernel 175 MiB at 3,000 actors; the C
module about 1 MiB), so a 3,000-actor issue runs within 100 MiB. Below :data:`KERNEL_FROM` a
compiled kernel saves less than numba's import and cache load cost a fresh process (about 0.6 s
of CPU and 120 MiB; it saves about 0.4 s of CPU per 10 rounds at 1,000 actors, n² pairs a round:
about 0.04 s at 300 actors, 0.1 ms per draw of a 17-actor issue); at 200 actors and more a
scenario is large, and its forecast intervals run the issue over many draws. The functions of
:mod:`tertius.models.bdm` also take ``kernel=`` with the same values. The kernels run the same
equations with their sums in the same order, but each compiler rounds its own way (numba's LLVM
and the C compiler; numpy's path sums in another order), so across kernels the numbers may differ
in the last digits (tests/test_bdm_kernel.py: within 1e-9 of the scale range); within one kernel
of one install they are the same bytes for any number of threads.

A compiled kernel's O(n²) passes run on :func:`threads` threads (``TERTIUS_THREADS``, else every
CPU this process may use; for numba's at most ``NUMBA_NUM_THREADS``), over fixed blocks of rows,
with the same bytes for any number of threads: the C kernel's blocks on Python threads
(:func:`pool`) while its loops let go of the GIL (:mod:`tertius.models._bdm_cblocks`; no OpenMP),
numba's on its ``workqueue`` threading layer. One thread runs the serial functions, which start
no threads: a sweep's worker processes call :func:`one_thread` first (they already use every core
between them, and a process forked from one that started GNU OpenMP's threads must not use them).

The numba kernel is compiled on first use and cached on disk (numba's ``cache=True``): beside the
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

CHOICES = ("auto", "c", "numba", "numpy")

#: The compiled kernels' modules (same function names; :mod:`tertius.models._bdm_cblocks` wraps the C one).
MODULES = {"c": "tertius.models._bdm_cblocks", "numba": "tertius.models._bdm_jit"}

#: ``auto`` runs the compiled kernel on issues of at least this many actors (module docstring).
KERNEL_FROM = 200


def _cache_dir() -> None:
    here = Path(__file__).resolve().parent
    if "NUMBA_CACHE_DIR" in os.environ or os.access(here, os.W_OK):
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    os.environ["NUMBA_CACHE_DIR"] = str(base / "tertius" / "numba")


@cache
def compiled(kind: str = "numba") -> ModuleType | None:
    """The compiled kernel's module (``kind``: ``c`` or ``numba``), or None when the C extension
    was not built (or does not import) or numba is not installed."""
    if kind == "c":
        try:
            return importlib.import_module(MODULES["c"])
        except ImportError:
            return None
    _cache_dir()
    try:
        require("numba", "run the compiled bdm kernel")
    except InputError:
        return None
    return importlib.import_module(MODULES["numba"])


def name(module: ModuleType | None) -> str:
    """The kernel's name in ``TERTIUS_KERNEL``'s terms: ``c``, ``numba``, or ``numpy`` for None."""
    return next((kind for kind, path in MODULES.items() if module is not None and module.__name__ == path), "numpy")


def choose(kernel: str | None = None, *, actors: int = KERNEL_FROM) -> ModuleType | None:
    """The compiled kernel's module that ``kernel`` (else ``TERTIUS_KERNEL``, else ``auto``) asks
    for; None for the numpy path. ``actors``: the issue's size, which decides under ``auto``
    (:data:`KERNEL_FROM`): the C kernel when built, else numba's when installed, else None."""
    kind = kernel or os.environ.get("TERTIUS_KERNEL") or "auto"
    if kind not in CHOICES:
        raise InputError(f"TERTIUS_KERNEL={kind!r} is not one of {', '.join(CHOICES)}",
                         fix="unset TERTIUS_KERNEL, or set it to c, numba or numpy")
    if kind == "numpy" or (kind == "auto" and actors < KERNEL_FROM):
        return None
    if kind == "auto":
        return compiled("c") or compiled("numba")
    found = compiled(kind)
    if found is None and kind == "c":
        raise InputError("the C bdm kernel (TERTIUS_KERNEL=c) was not built in this install",
                         fix="reinstall with a C compiler (pip install -e . in the repository), "
                             "or unset TERTIUS_KERNEL")
    if found is None:
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
    process may use; at most the kernel's ``jit.MAX_THREADS`` (numba's ``NUMBA_NUM_THREADS``)."""
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
    round (numba's ``workqueue`` layer takes one caller at a time, and the C kernel's parallel
    functions share :func:`pool`; the serial functions give the same bytes)."""
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
    """A pool of ``count`` threads for the kernel's numpy part and the C kernel's blocks (made again
    after a fork or for another count; used only by the caller holding the parallel lock)."""
    global _POOL
    if _POOL is None or _POOL[:2] != (os.getpid(), count):
        _POOL = (os.getpid(), count, ThreadPoolExecutor(max_workers=count, thread_name_prefix="tertius-bdm"))
    return _POOL[2]
