"""Uncertainty at scale: seeded Monte Carlo sweeps over perturbed inputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from tertius.models import get_model
from tertius.scenario import Perturbation, Scenario
from tertius.sweeps.engines import ENGINES, SweepJob, chunk_seed, run_chunk, run_sweep, summarise
from tertius.sweeps.perturb import draw

DEFAULT_CHUNK = 2000


def sweep(scenario: Scenario, model: str = "compromise", n: int = 1000, seed: int = 0,
          perturbation: Perturbation | None = None, params: dict[str, Any] | None = None,
          out: str | Path = "tertius-output/sweep", engine: str = "inprocess", workers: int = 1,
          scheduler: str | None = None, chunk_size: int = DEFAULT_CHUNK, resume: bool = False,
          broker: bool | None = None, progress: Callable[[int], None] | None = None
          ) -> tuple[SweepJob, dict[str, pd.DataFrame], dict[str, Any]]:
    """Run a sweep and return (job, tables, summary). ``perturbation`` defaults to the
    scenario's own ``perturbation:`` section, else to positions ±10, saliences ±20 %,
    capabilities ±25 %, uniform."""
    spec = perturbation or scenario.perturbation or Perturbation()
    get_model(model).params(params)  # fail early on unknown parameters
    job = SweepJob(scenario=scenario, model=model, params=dict(params or {}), spec=spec, seed=seed, n=n,
                   chunk_size=chunk_size, broker=scenario.conflict is not None if broker is None else broker)
    tables = run_sweep(job, Path(out), engine=engine, workers=workers, scheduler=scheduler, resume=resume,
                       progress=progress)
    return job, tables, summarise(job, tables["table"], tables["options"])


__all__ = ["ENGINES", "Perturbation", "SweepJob", "chunk_seed", "draw", "run_chunk", "run_sweep", "summarise",
           "sweep"]
