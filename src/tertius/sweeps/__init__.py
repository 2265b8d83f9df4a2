"""Uncertainty at scale: seeded Monte Carlo sweeps over perturbed inputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from tertius.models import get_model
from tertius.scenario import Perturbation, Scenario
from tertius.sweeps.engines import ENGINES, SweepJob, chunk_seed, run_chunk, run_sweep, summarise
from tertius.sweeps.perturb import draw

DEFAULT_CHUNK = 2000


def perturbation_from_options(scenario: Scenario, *, position: float | None = None, salience: float | None = None,
                              capability: float | None = None, distribution: str | None = None,
                              overrides: list[str] | tuple[str, ...] = (), source: str = "command line") -> Perturbation:
    """The scenario's perturbation section (or the default) with command-line values on top; an
    override is 'actor=ID,capability=0.5' or 'issue=ID,position=1'. Bad values are one InputError."""
    from tertius.errors import InputError

    base = (scenario.perturbation or Perturbation()).model_dump()
    for key, value in (("position", position), ("salience", salience), ("capability", capability),
                       ("distribution", distribution)):
        if value is not None:
            base[key] = value
    try:
        for text in overrides:
            fields = dict(item.split("=", 1) for item in text.split(",") if "=" in item)
            base["overrides"].append({k: (v if k in ("actor", "issue") else float(v)) for k, v in fields.items()})
        return Perturbation.model_validate(base)
    except Exception as e:
        raise InputError(f"bad perturbation: {str(e).splitlines()[0]}", file=source,
                         fix="e.g. --position 5 --distribution truncnorm --override actor=qing,capability=0.5") from None


def write_sweep(folder: Path, tables: dict[str, pd.DataFrame], summary: dict[str, Any], csv: bool = False
                ) -> dict[str, str]:
    """Write a finished sweep: the table (Parquet with the ``parquet`` extra, else CSV; CSV as
    well with ``csv``), summary.json and the report. Everything is rendered first, so a failing
    report leaves no summary behind."""
    import json

    from tertius.io.files import write_text_atomic
    from tertius.report.sweep import render_sweep_html
    from tertius.sweeps.engines import table_format, write_table_atomic

    summary_text = json.dumps(summary, indent=1) + "\n"
    report_text = render_sweep_html(summary, tables["table"])
    parquet = table_format() == "parquet"
    csv_text = tables["table"].to_csv(index=False) if csv or not parquet else None
    files = {}
    if parquet:
        write_table_atomic(tables["table"], folder / "sweep.parquet")
        files["table"] = str(folder / "sweep.parquet")
    if csv_text is not None:
        write_text_atomic(folder / "sweep.csv", csv_text)
        files["csv"] = str(folder / "sweep.csv")
        files.setdefault("table", str(folder / "sweep.csv"))
    write_text_atomic(folder / "summary.json", summary_text)
    write_text_atomic(folder / "report.html", report_text)
    files.update(summary=str(folder / "summary.json"), report=str(folder / "report.html"))
    return files


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
        frame = pd.DataFrame.from_dict(self.summary["quantiles"], orient="index")
        frame.index.name = "issue"
        frame["unperturbed"] = pd.Series(self.summary.get("unperturbed", {}))
        return frame

    def shares(self) -> pd.DataFrame:
        """Per phase and third party, the share of draws in which each option is the equilibrium."""
        rows = [{"phase": phase, "third_party": tp, **shares}
                for phase, parties in self.summary["broker_first"].items() for tp, shares in parties.items()]
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        s = self.summary
        return (f"<SweepResult {s['scenario']}: {s['model']} over {s['n']:,} draws (seed {s['seed']}), "
                f"{len(s['failed'])} failed; .quantiles() and .shares() for the tables>")

    def _repr_html_(self) -> str:
        from tertius.notebook import html_table

        q = self.quantiles()
        rows = [[i, r["q05"], r["q25"], r["q50"], r["q75"], r["q95"], r["unperturbed"]] for i, r in q.iterrows()]
        s = self.summary
        return html_table(["issue", "5 %", "25 %", "median", "75 %", "95 %", "unperturbed"], rows,
                          caption=f"{s['model']} over {s['n']:,} perturbed draws of {s['scenario']} (seed {s['seed']})")


def sweep(scenario: Scenario, model: str = "compromise", n: int = 1000, seed: int = 0,
          perturbation: Perturbation | None = None, params: dict[str, Any] | None = None,
          out: str | Path = "tertius-output/sweep", engine: str = "inprocess", workers: int = 1,
          scheduler: str | None = None, chunk_size: int = DEFAULT_CHUNK, resume: bool = False,
          overwrite: bool = False, broker: bool | None = None, progress: Callable[[int], None] | None = None
          ) -> SweepResult:
    """Run a sweep and return (job, tables, summary). ``perturbation`` defaults to the
    scenario's own ``perturbation:`` section, else to positions ±10, saliences ±20 %,
    capabilities ±25 %, uniform."""
    spec = perturbation or scenario.perturbation or Perturbation()
    get_model(model).params(params)  # fail early on unknown parameters
    job = SweepJob(scenario=scenario, model=model, params=dict(params or {}), spec=spec, seed=seed, n=n,
                   chunk_size=chunk_size, broker=scenario.conflict is not None if broker is None else broker)
    tables = run_sweep(job, Path(out), engine=engine, workers=workers, scheduler=scheduler, resume=resume,
                       overwrite=overwrite, progress=progress)
    return SweepResult(job, tables, summarise(job, tables["table"], tables["options"]))


__all__ = ["ENGINES", "Perturbation", "SweepJob", "SweepResult", "chunk_seed", "draw", "perturbation_from_options", "run_chunk",
           "run_sweep", "summarise", "sweep", "write_sweep"]
