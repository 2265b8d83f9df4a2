"""Benchmark: the logit QRE's path follower against the damped corrector it replaced, same games.

Run: ``python benchmarks/bench_qre.py`` (``--quick``: fewer draws). On a casebook phase where
iterated best response cycles (the first Balkan war's ``war-1912``, seven third parties), the
equilibrium search (:func:`tertius.conflict.equilibrium.solve`) runs on perturbed draws of the
phase (drawn as ``tertius broker`` draws them) and every game whose QRE it traces is recorded.
The same games, batched by size, are then traced twice in this process: by the predictor-corrector
path follower (:func:`tertius.conflict.equilibrium.qre`, to λ = 10^4 / the range of the payoffs)
and by the damped fixed-point corrector alone (:func:`tertius.conflict.equilibrium.qre_damped`,
the method before it, which stops where it no longer converges). It prints both times, the
ratio, the largest fixed-point residual of the path follower at its λ, and the largest
difference between the two where the damped corrector converged (the path stopped at that λ).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_bdm import best_of

from tertius.conflict import equilibrium
from tertius.conflict.draws import war_draws
from tertius.conflict.war import phases_of
from tertius.io import load_scenario
from tertius.perturb import draw
from tertius.scenario import Perturbation
from tertius.seeds import child_rng

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "casebook" / "first-balkan-war-london-1912.yaml"


def games(draws: int) -> list[np.ndarray]:
    """The games (Dg, 4, ..., 4, s) whose QRE the equilibrium search traces on ``draws`` perturbed
    draws of the phase, batched by size."""
    s = load_scenario(CASE)
    phase = phases_of(s)[0]
    rng = child_rng(0, "broker", phase.id)
    groups, _ = war_draws(s, phase, draw(s, s.perturbation or Perturbation(), rng, draws), rng)
    seen: list[np.ndarray] = []
    trace = equilibrium._trace

    def spy(grid: np.ndarray, top: object = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        seen.append(grid)
        return trace(grid, top)  # type: ignore[arg-type]

    equilibrium._trace = spy  # type: ignore[assignment]
    try:
        for _, war in groups:
            equilibrium.solve(war)
    finally:
        equilibrium._trace = trace  # type: ignore[assignment]
    shapes = sorted({g.shape[1:] for g in seen})
    return [np.concatenate([g for g in seen if g.shape[1:] == shape]) for shape in shapes]


def residual(grid: np.ndarray, sigma: np.ndarray, lam: np.ndarray) -> float:
    """max |σ - logit(λ u(σ))| over the games."""
    u = equilibrium.expected(grid, sigma)
    z = lam[:, None, None] * (u - u.max(-1, keepdims=True))
    return float(np.abs(np.exp(z) / np.exp(z).sum(-1, keepdims=True) - sigma).max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer draws")
    args = ap.parse_args()
    print(run(args.quick)["line"])


def run(quick: bool) -> dict:
    draws = 20 if quick else 100
    batches = games(draws)
    n = sum(len(g) for g in batches)
    fast = best_of(lambda: [equilibrium.qre(g) for g in batches], 3)
    slow = best_of(lambda: [equilibrium.qre_damped(g) for g in batches], 1)
    worst, apart = 0.0, 0.0
    for g in batches:
        sigma, lam = equilibrium.qre(g)
        worst = max(worst, residual(g, sigma, lam))
        ref, lam_ref = equilibrium.qre_damped(g)
        span = np.where(g > equilibrium.UNAVAILABLE / 2, g, np.nan).reshape(len(g), -1)
        at, _ = equilibrium.qre(g, top=lam_ref * (np.nanmax(span, -1) - np.nanmin(span, -1)))
        apart = max(apart, float(np.abs(at - ref).max()))
    line = (f"logit QRE, first Balkan war 1912 (war-1912), {n} games traced in {draws} perturbed draws "
            f"({', '.join(f'{len(g)} of {g.shape[-1]} players' for g in batches)}): path follower {fast:.3f} s, "
            f"damped corrector {slow:.3f} s, ratio {slow / fast:.1f}x; residual at λ {worst:.1e}, "
            f"largest difference where the damped corrector converged {apart:.1e}")
    return {"work": f"logit QRE, war-1912, {n} games", "time_s": fast, "baseline": "damped corrector (before)",
            "baseline_s": slow, "ratio": slow / fast, "residual": worst, "difference": apart, "line": line}


if __name__ == "__main__":
    main()
