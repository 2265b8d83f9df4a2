"""The sweep report: one self-contained HTML file with the distribution of every issue, rendered
from the same templates as the run report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tertius.report.charts import histogram_chart
from tertius.report.console import OPTION_LABELS, perturbation_words
from tertius.report.html import environment

if TYPE_CHECKING:
    import pandas as pd


def render_sweep_html(summary: dict[str, Any], table: pd.DataFrame) -> str:
    ok = table[table["error"] == ""]
    issues = summary.get("issues") or {i: {"name": i, "min": 0.0, "max": 0.0} for i in summary["quantiles"]}
    unperturbed = summary.get("unperturbed", {})
    charts = []
    for issue, q in summary["quantiles"].items():
        if not q["n"]:
            continue
        info = issues.get(issue, {"name": issue, "min": 0.0, "max": 0.0})
        charts.append({"id": issue, "svg": histogram_chart(
            info["name"], ok.loc[ok["issue"] == issue, "outcome"].to_numpy(dtype=float), info["min"], info["max"],
            {"5 %": q["q05"], "median": q["q50"], "95 %": q["q95"], "unperturbed": unperturbed.get(issue)})})
    shares = []
    names = summary.get("names", {})
    for phase, parties in summary["third_party_shares"].items():
        info = summary.get("phases", {}).get(phase, {"name": phase, "sides": ["side A", "side B"]})
        a, b = info["sides"]
        for tp, by_option in parties.items():
            shares.append({"phase": info["name"] or phase, "third_party": names.get(tp, tp),
                           "options": {OPTION_LABELS[o].format(a=a, b=b): v for o, v in by_option.items()}})
    return environment().get_template("sweep.html.j2").render(
        summary=summary, issues=issues, charts=charts, shares=shares, unperturbed=unperturbed,
        perturbation=perturbation_words(summary["perturbation"], {i: v["name"] for i, v in issues.items()}, names),
        failed=summary["failed"][:50])
