"""Which kernel runs a bdm round: the compiled one (numba, the ``fast`` extra) or plain numpy.

``TERTIUS_KERNEL`` chooses: ``numba`` (refuses in one line when numba is not installed),
``numpy`` (always the vectorised numpy path), or unset / ``auto``: numba when it imports, else
numpy, except for the batch form of small issues (``bdm.bdm_batch_issue``, a sweep's or the
intervals' draws of issues up to ``bdm.BATCH_MAX_ACTORS`` actors), which ``auto`` leaves on numpy:
there the kernel saves about 0.1 s of CPU per 1,000 draws of a 17-actor issue, while importing
numba and loading the kernel costs every fresh process about 0.6 s of CPU and 120 MiB, so a
sweep's worker processes would pay more than they save (README, performance). The functions of
:mod:`tertius.models.bdm` also take ``kernel=`` with the same values.

The kernel is compiled on first use and cached on disk (numba's ``cache=True``): beside the
module when its folder is writable, else in ``NUMBA_CACHE_DIR``, which is set here (before numba
is imported) to ``$XDG_CACHE_HOME/tertius/numba`` (``~/.cache/tertius/numba``) when the package
folder is read-only and the variable is not set already.
"""

from __future__ import annotations

import importlib
import os
from functools import cache
from pathlib import Path
from types import ModuleType

from tertius.errors import InputError, require

CHOICES = ("auto", "numba", "numpy")


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


def choose(kernel: str | None = None, *, batch: bool = False) -> ModuleType | None:
    """The compiled kernel's module when ``kernel`` (else ``TERTIUS_KERNEL``, else ``auto``)
    asks for it and numba is installed; None for the numpy path. ``batch``: for the batch form
    of small issues, which ``auto`` leaves on numpy (see the module docstring)."""
    name = kernel or os.environ.get("TERTIUS_KERNEL") or "auto"
    if name not in CHOICES:
        raise InputError(f"TERTIUS_KERNEL={name!r} is not one of {', '.join(CHOICES)}",
                         fix="unset TERTIUS_KERNEL, or set it to numba or numpy")
    if name == "numpy" or (name == "auto" and batch):
        return None
    found = compiled()
    if found is None and name == "numba":
        raise InputError("the compiled bdm kernel (TERTIUS_KERNEL=numba) needs the package 'numba'",
                         fix="pip install 'tertius[fast]', or unset TERTIUS_KERNEL for the numpy path")
    return found
