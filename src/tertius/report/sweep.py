"""The sweep report: one self-contained HTML file with the distribution of every issue."""

from __future__ import annotations

import html
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from tertius.report.charts import _svg

BROKER_HEAD = ("<h2>Third parties: share of draws in which each option is the equilibrium choice</h2><table><tr>"
               "<th>phase</th><th>third party</th><th>join A</th><th>join B</th><th>neutral</th><th>broker</th></tr>")

def distribution_chart(issue: str, values: pd.Series, q: dict[str, Any]) -> str:
    fig, ax = plt.subplots(figsize=(6.5, 2.2))
    ax.hist(values.to_numpy(), bins=40, color="#4c78a8", alpha=0.85)
    for key, style in (("q05", ":"), ("q50", "-"), ("q95", ":")):
        if q[key] is not None:
            ax.axvline(q[key], color="black", ls=style, lw=1.2)
    ax.set_title(f"{issue}: median {q['q50']:.4g}, 90 % interval [{q['q05']:.4g}, {q['q95']:.4g}]",
                 fontsize=10, loc="left")
    ax.set_xlabel("forecast")
    ax.set_ylabel("draws")
    return _svg(fig)


def render_sweep_html(summary: dict[str, Any], table: pd.DataFrame) -> str:
    ok = table[table["error"] == ""]
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(i)}</td>" + "".join(f"<td>{'–' if q[k] is None else f'{q[k]:.4g}'}</td>"
                                         for k in ("q05", "q25", "q50", "q75", "q95")) + f"<td>{q['n']}</td></tr>"
        for i, q in summary["quantiles"].items())
    charts = "".join(
        f"<div class='chart'>{distribution_chart(i, ok.loc[ok['issue'] == i, 'outcome'], q)}</div>"
        for i, q in summary["quantiles"].items() if q["n"])
    broker = "".join(
        f"<tr><td>{e(phase)}</td><td>{e(tp)}</td>" + "".join(f"<td>{v:.1%}</td>" for v in shares.values()) + "</tr>"
        for phase, parties in summary["broker_first"].items() for tp, shares in parties.items())
    failed = "".join(f"<li>draw {f['draw']} (seed {f['seed']}, chunk {f['chunk']}, chunk seed {f['chunk_seed']}): "
                     f"{e(f['error'])}</li>" for f in summary["failed"][:50])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>tertius sweep: {e(summary['scenario'])}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem;color:#222}}
table{{border-collapse:collapse;margin:.8rem 0}}td,th{{border:1px solid #ddd;padding:.3rem .55rem;text-align:right}}
td:first-child,th:first-child{{text-align:left}}th{{background:#f4f4f4}}.chart svg{{max-width:100%;height:auto}}
.muted{{color:#666}}</style></head><body>
<h1>Sweep of {e(summary['scenario'])}</h1>
<p class="muted">model {e(summary['model'])} · {summary['n']} draws · seed {summary['seed']} · chunk size
{summary['chunk_size']} · perturbation {e(str(summary['perturbation']))}</p>
<h2>Forecast quantiles</h2>
<table><tr><th>issue</th><th>5 %</th><th>25 %</th><th>50 %</th><th>75 %</th><th>95 %</th><th>draws</th></tr>{rows}</table>
{charts}
{BROKER_HEAD + broker + '</table>' if broker else ''}
{'<h2>Failed draws</h2><ul>' + failed + '</ul>' if failed else ''}
</body></html>
"""
