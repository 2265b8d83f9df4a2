"""Uncertainty at scale: seeded Monte Carlo sweeps over perturbed inputs."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from tertius.errors import InputError
from tertius.models import get_model
from tertius.perturb import draw
from tertius.scenario import Perturbation, Scenario
from tertius.sweeps.engines import ENGINES, SweepJob, chunk_seed, run_chunk, run_sweep, summarise
from tertius.text import html_table

if TYPE_CHECKING:  # pandas is imported where a table is built, not by every command that imports the package
    import pandas as pd

DEFAULT_CHUNK = 2000


class SweepResult(NamedTuple):
    """What :func:`sweep` returns: the job, the tables (``table``: one row per draw and issue;
    ``options``: each third party's equilibrium option per draw) and the summary (its JSON layout).
    Unpacks as ``job, tables, summary``."""

    job: SweepJob
    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]

    def quantiles(self) -> pd.DataFrame:
        """Issues as rows; the 5/25/50/75/95 % quantiles, the mean, the unperturbed forecast and
        the number of draws as columns."""
        import pandas as pd

        frame = pd.DataFrame.from_dict(self.summary["quantiles"], orient="index")
        frame.index.name = "issue"
        frame["unperturbed"] = pd.Series(self.summary.get("unperturbed", {}))
        return frame

    def shares(self) -> pd.DataFrame:
        """Per phase and third party, the share of draws in which each option is the equilibrium."""
        import pandas as pd

        rows = [{"phase": phase, "third_party": tp, **shares}
                for phase, parties in self.summary["third_party_shares"].items() for tp, shares in parties.items()]
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        s = self.summary
        return (f"<SweepResult {s['scenario']}: {s['model']} over {s['n']:,} draws (seed {s['seed']}), "
                f"{len(s['failed'])} failed; .quantiles() and .shares() for the tables>")

    def _repr_html_(self) -> str:
        q = self.quantiles()
        rows = [[i, r["q05"], r["q25"], r["q50"], r["q75"], r["q95"], r["unperturbed"]] for i, r in q.iterrows()]
        s = self.summary
        return html_table(["issue", "5 %", "25 %", "median", "75 %", "95 %", "unperturbed"], rows,
                          caption=f"{s['model']} over {s['n']:,} perturbed draws of {s['scenario']} (seed {s['seed']})")


def sweep(scenario: Scenario, model: str = "compromise", n: int = 1000, seed: int = 0,
          perturbation: Perturbation | None = None, params: dict[str, Any] | None = None,
          out: str | Path | None = None, engine: str = "inprocess", workers: int = 1,
          scheduler: str | None = None, chunk_size: int = DEFAULT_CHUNK, resume: bool = False,
          overwrite: bool = False, broker: bool | None = None, progress: Callable[[int], None] | None = None,
          executor: Executor | None = None) -> SweepResult:
    """Run a sweep and return (job, tables, summary). ``perturbation`` defaults to the
    scenario's own ``perturbation:`` section, else to positions ±10, saliences ±20 %,
    capabilities ±25 %, uniform. ``out`` is the folder for the chunks (kept for ``resume``); by
    default they go to a private temporary folder that is removed afterwards, so the same call
    can be repeated (from a notebook, say) and the result lives in memory only. ``executor`` (a
    :class:`concurrent.futures.Executor`) runs the chunks in place of ``engine``, with the same
    results."""
    spec = perturbation or scenario.perturbation or Perturbation()
    get_model(model).params(params)  # fail early on unknown parameters
    job = SweepJob(scenario=scenario, model=model, params=dict(params or {}), spec=spec, seed=seed, n=n,
                   chunk_size=chunk_size, broker=scenario.conflict is not None if broker is None else broker)
    if out is None:
        if resume:
            raise InputError("resume needs the folder of the earlier sweep", file="sweep()",
                             fix="pass out= the folder the sweep was written to")
        with tempfile.TemporaryDirectory(prefix="tertius-sweep-") as tmp:
            tables = run_sweep(job, Path(tmp), engine=engine, workers=workers, scheduler=scheduler,
                               progress=progress, executor=executor)
    else:
        tables = run_sweep(job, Path(out), engine=engine, workers=workers, scheduler=scheduler, resume=resume,
                           overwrite=overwrite, progress=progress, executor=executor)
    return SweepResult(job, tables, summarise(job, tables["table"], tables["options"]))


__all__ = ["ENGINES", "Perturbation", "SweepJob", "SweepResult", "chunk_seed", "draw", "run_chunk",
           "run_sweep", "summarise", "sweep"]
