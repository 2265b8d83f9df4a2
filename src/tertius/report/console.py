"""Console tables (rich) rendered from saved results."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _fmt(x: float | None, digits: int = 4) -> str:
    return "–" if x is None else f"{x:.{digits}g}"


def forecast_table(results: dict[str, Any]) -> Table:
    """For every issue: each model's forecast and error beside the observed outcome."""
    scenario = results["scenario"]
    models = list(results["forecasts"])
    rows = {(r["issue"], r["model"]): r for r in results["scores"]["issues"]}
    table = Table(title=scenario.get("title") or scenario["id"], title_justify="left")
    table.add_column("issue")
    table.add_column("observed", justify="right")
    for m in models:
        table.add_column(f"{m}\nforecast (error)", justify="right")
    for issue in scenario["issues"]:
        obs = issue.get("observed")
        obs = obs["value"] if isinstance(obs, dict) else obs
        cells = []
        for m in models:
            r = rows[(issue["id"], m)]
            cells.append(f"{_fmt(r['forecast'])} ({_fmt(r['error'], 3)})")
        table.add_row(issue["id"], _fmt(obs), *cells)
    maes = results["scores"]["models"]
    table.add_section()
    table.add_row("MAE, % of scale", "", *[f"{_fmt(maes[m]['mae'], 3)} (n={maes[m]['n']})" for m in models])
    return table


def scores_table(scores: dict[str, Any], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("model")
    table.add_column("MAE (% of scale)", justify="right")
    table.add_column("n", justify="right")
    for m, v in scores["models"].items():
        table.add_row(m, _fmt(v["mae"], 4), str(v["n"]))
    return table


def print_tables(*tables: Table, console: Console | None = None) -> None:
    console = console or Console()
    for t in tables:
        console.print(t)
