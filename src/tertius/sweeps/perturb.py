"""The perturbations live in :mod:`tertius.perturb`, below both the sweeps and the third parties'
robustness check; this name stays for code that imported it from here."""

from __future__ import annotations

from tertius.perturb import Override, Perturbation, apply, draw, widths

__all__ = ["Override", "Perturbation", "apply", "draw", "widths"]
