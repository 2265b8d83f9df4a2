"""Charts as inline SVG (matplotlib, no network needed to view them)."""

from __future__ import annotations

import io
import re
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt

plt.rcParams["svg.fonttype"] = "none"
plt.rcParams["svg.hashsalt"] = "tertius"  # deterministic element ids

_MODEL_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]


def _svg(fig: plt.Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text[text.index("<svg"):], flags=re.S)
    return text


def issue_chart(issue: dict[str, Any], stances: list[dict[str, Any]], actors: dict[str, dict[str, Any]],
                forecasts: dict[str, float], observed: float | None, salience_scale: float = 1.0) -> str:
    """Actors' positions on one issue (marker area ∝ capability × salience), each model's
    forecast as a vertical line, and the observed outcome as a black star."""
    lo, hi = issue["scale"]["min"], issue["scale"]["max"]
    rows = [s for s in stances if s["issue"] == issue["id"]]
    names = [actors[s["actor"]].get("name") or s["actor"] for s in rows]
    height = 1.1 + 0.32 * (len(rows) + len(forecasts) + 1)
    fig, ax = plt.subplots(figsize=(7.5, height))
    weights = []
    for s in rows:
        cap = actors[s["actor"]]["capability"]
        cap = cap["value"] if isinstance(cap, dict) else cap
        sal = s["salience"]["value"] if isinstance(s["salience"], dict) else s["salience"]
        weights.append(cap * sal / salience_scale)
    wmax = max(weights) if weights and max(weights) > 0 else 1.0
    for y, (s, w) in enumerate(zip(rows, weights, strict=True)):
        pos = s["position"]["value"] if isinstance(s["position"], dict) else s["position"]
        ax.scatter([pos], [y], s=40 + 900 * w / wmax, color="#888888", alpha=0.55, edgecolor="#333333", zorder=3)
    ticks, labels = [float(y) for y in range(len(rows))], list(names)
    if observed is not None:
        ticks.append(-0.9)
        labels.append("observed")
    ax.set_yticks(ticks, labels)
    for k, (model, value) in enumerate(forecasts.items()):
        if value is None:
            continue
        ax.axvline(value, color=_MODEL_COLOURS[k % len(_MODEL_COLOURS)], lw=2, ls="--", label=f"{model}: {value:.3g}",
                   zorder=2)
    if observed is not None:
        ax.scatter([observed], [-0.9], marker="*", s=260, color="black", zorder=4, label=f"observed: {observed:.3g}")
    ax.set_xlim(lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo))
    ax.set_ylim(-1.5, len(rows) - 0.4)
    ax.invert_yaxis()
    ax.set_xlabel(f"position on the issue scale [{lo:g}, {hi:g}]")
    ax.set_title(issue.get("name") or issue["id"], fontsize=11, loc="left")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return _svg(fig)


def mae_chart(scores: dict[str, dict[str, Any]]) -> str:
    """Mean absolute error per model, in percent of each issue's scale."""
    items = [(m, v["mae"]) for m, v in scores.items() if v["mae"] is not None]
    fig, ax = plt.subplots(figsize=(6.5, 0.6 + 0.4 * len(items)))
    ax.barh([m for m, _ in items], [v for _, v in items],
            color=[_MODEL_COLOURS[k % len(_MODEL_COLOURS)] for k in range(len(items))])
    for y, (_, v) in enumerate(items):
        ax.text(v, y, f" {v:.1f}", va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("mean absolute error, % of scale")
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig)


def trajectory_chart(title: str, rounds: list[dict[str, float]], names: dict[str, str],
                     median: list[float] | None, lo: float, hi: float, label: str = "weighted median") -> str:
    """Each actor's position over rounds (round 0: the inputs), with the forecast line
    (the weighted median for bdm, the voting outcome for the exchange model)."""
    actors = list(dict.fromkeys(a for snap in rounds for a in snap))
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    steps = list(range(len(rounds)))
    for a in actors:
        ax.plot(steps, [np.nan if snap.get(a) is None else snap[a] for snap in rounds], marker="o", ms=3, lw=1, alpha=0.7,
                label=names.get(a, a) if len(actors) <= 12 else None)
    if median:
        ax.plot(list(range(len(median))), median, color="black", lw=2.5, ls="--", label=label)
    ax.set_xlabel("round")
    ax.set_ylabel("position")
    ax.set_ylim(lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo))
    ax.set_title(title, fontsize=11, loc="left")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return _svg(fig)


def options_chart(title: str, labels: list[str], utilities: list[float], probabilities: list[float],
                  shares: list[float] | None) -> str:
    """Expected utility of each option (bars), its logit probability and, where perturbed draws
    were run, the share of draws in which it is the third party's equilibrium option."""
    panels = 3 if shares else 2
    fig, axes = plt.subplots(1, panels, figsize=(9.5, 2.4), squeeze=False)
    ax = axes[0][0]
    bars = ax.barh(labels, utilities, color="#4c78a8")
    for bar, u in zip(bars, utilities, strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {u:.3f}", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("expected utility")
    ax.set_title(title, fontsize=10, loc="left")
    extra = [("probability (fitted logit), %", probabilities, "#54a24b")]
    if shares:
        extra.append(("% of perturbed draws: equilibrium", shares, "#f58518"))
    for k, (label, values, colour) in enumerate(extra, start=1):
        axk = axes[0][k]
        axk.barh(labels, [100 * x for x in values], color=colour)
        axk.invert_yaxis()
        axk.set_xlim(0, 100)
        axk.set_xlabel(label)
        axk.set_yticklabels([])
    fig.tight_layout()
    return _svg(fig)
