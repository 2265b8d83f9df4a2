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


OPTION_LABELS = {"join-a": "join {a}", "join-b": "join {b}", "neutral": "stay neutral", "broker": "broker"}


def broker_tables(result: dict[str, Any]) -> list[Table | str]:
    """Per phase and third party: a row per option, the settlements each leads to, and the
    explanation of why the best option wins."""
    out: list[Table | str] = []
    for phase in result["phases"]:
        a, b = phase["sides"]
        for t in phase["third_parties"]:
            opts = t["options"]
            title = f"{phase['name'] or 'conflict'} · third party: {t['third_party']}"
            table = Table(title=title, title_justify="left")
            for col in ("option", "rank", "expected utility", f"P({a} wins)", "first in perturbed draws"):
                table.add_column(col, justify="left" if col == "option" else "right")
            shares = t["perturbation"].get("first", {})
            for o in result["options"]:
                r = opts[o]
                rank = str(t["ranking"].index(o) + 1) if o in t["ranking"] else "infeasible"
                table.add_row(OPTION_LABELS[o].format(a=a, b=b), rank, _fmt(r["expected_utility"]),
                              _fmt(r["p_a_wins"], 3), f"{shares[o]:.1%}" if shares else "–")
            out.append(table)
            settle = Table(title="settlements each option leads to", title_justify="left")
            settle.add_column("issue")
            columns = []
            for o in ("join-a", "join-b", "neutral"):
                for w, who in (("a wins", a), ("b wins", b)):
                    settle.add_column(f"{OPTION_LABELS[o].format(a='A', b='B')}\n{who} wins", justify="right")
                    columns.append(opts[o]["settlements"][w])
            settle.add_column("broker\ndeal", justify="right")
            deal = opts["broker"]["settlements"].get("deal")
            for issue in columns[0]:
                settle.add_row(issue, *[f"{c[issue]:.3g}" for c in columns],
                               "–" if deal is None else f"{deal[issue]:.3g}")
            out.append(settle)
            out.append(t["explanation"])
            if t.get("actual"):
                act = t["actual"]
                out.append(f"Actually taken: {act['option']}. Its settlement against the treaties: MAE "
                           f"{_fmt(act['mae'], 3)} % of scale (" + ", ".join(
                               f"{r['issue']} {r['forecast']:.3g} vs {_fmt(r['observed'], 3)}"
                               for r in act["settlement"] if r["observed"] is not None) + ").")
    return out


def print_broker(result: dict[str, Any], console: Console) -> None:
    wide = Console(width=max(console.width, 120), file=console.file, highlight=False)
    for item in broker_tables(result):
        wide.print(item)
        wide.print()
