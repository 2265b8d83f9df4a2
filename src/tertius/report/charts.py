"""The reports' charts, as inline SVG drawn with :mod:`tertius.report.svg` (no network, no
plotting library). Each is at most 760 pixels wide, so a report fits an 800-pixel window."""

from __future__ import annotations

from typing import Any

import numpy as np

from tertius.report.numbers import human
from tertius.report.svg import PALETTE, Plot, nice_ticks

WIDTH = 760


def value_of(q: Any) -> float:
    """A number of the scenario's data, bare or with its source: ``0.4`` or ``{value: 0.4, ...}``."""
    return float(q["value"]) if isinstance(q, dict) else float(q)


def _name_width(names: list[str]) -> int:
    return int(min(200, max(60, 12 + 6.4 * max((len(n) for n in names), default=4))))


def issue_chart(issue: dict[str, Any], stances: list[dict[str, Any]], actors: dict[str, dict[str, Any]],
                forecasts: dict[str, float], observed: float | None, salience_scale: float = 1.0) -> str:
    """Actors' positions on one issue (circle area ∝ capability × salience), each model's
    forecast as a dashed vertical line, and the observed outcome as a black star."""
    lo, hi = float(issue["scale"]["min"]), float(issue["scale"]["max"])
    rows = [s for s in stances if s["issue"] == issue["id"]]
    names = [actors[s["actor"]].get("name") or s["actor"] for s in rows]
    labels = names + (["observed"] if observed is not None else [])
    pad = 0.04 * (hi - lo)
    plot = Plot(WIDTH, 70 + 26 * max(len(labels), 1), lo - pad, hi + pad, rows=labels, left=_name_width(labels),
                title=issue.get("name") or issue["id"])
    shown = [(m, v) for m, v in forecasts.items() if v is not None]
    for k, (model, value) in enumerate(shown):
        plot.legend(f"{model}: {human(value)}", PALETTE[k % len(PALETTE)])
    if observed is not None:
        plot.legend(f"observed: {human(observed)}", "#000", "star")
    plot.make_room()
    plot.axes(xlabel=f"position on the issue's scale, {human(lo)} to {human(hi)}", xticks=nice_ticks(lo, hi))
    weights = [value_of(actors[s["actor"]]["capability"]) * value_of(s["salience"]) / salience_scale for s in rows]
    top = max(weights) if weights and max(weights) > 0 else 1.0
    for k, (s, w, name) in enumerate(zip(rows, weights, names, strict=True)):
        pos = value_of(s["position"])
        plot.circle(plot.x(pos), plot.row(k), 3 + 13 * np.sqrt(max(w, 0) / top), "#888888",
                    f"{name}: position {human(pos)}, salience {human(value_of(s['salience']))}, "
                    f"capability × salience {human(w)}")
    for k, (model, value) in enumerate(shown):
        px = plot.x(value)
        plot.line(px, plot.top, px, plot.height - plot.bottom, PALETTE[k % len(PALETTE)], f"{model}: {human(value)}",
                  width=2, dash="6 4")
    if observed is not None:
        plot.star(plot.x(observed), plot.row(len(labels) - 1), 9, "#000", f"observed: {human(observed)}")
    return plot.render()


def mae_chart(scores: dict[str, dict[str, Any]]) -> str:
    """Mean absolute error per model, in percent of each issue's scale."""
    items = [(m, v["mae"]) for m, v in scores.items() if v["mae"] is not None]
    top = max([v for _, v in items] + [1e-9])
    plot = Plot(WIDTH, 60 + 24 * max(len(items), 1), 0, top * 1.12, rows=[m for m, _ in items],
                left=_name_width([m for m, _ in items]), title="Mean absolute error by model")
    plot.axes(xlabel="mean absolute error, % of each issue's scale")
    for k, (model, value) in enumerate(items):
        y = plot.row(k)
        plot.rect(plot.x(0), y - 8, plot.x(value) - plot.x(0), 16, PALETTE[k % len(PALETTE)], f"{model}: {human(value)}")
        plot.text(plot.x(value) + 4, y + 4, human(value), size=10)
    return plot.render()


def trajectory_chart(title: str, rounds: list[dict[str, float]], names: dict[str, str],
                     median: list[float] | None, lo: float, hi: float, label: str = "weighted median") -> str:
    """Each actor's position over rounds (round 0: the inputs), with the forecast line
    (the weighted median for bdm, the voting outcome for the exchange model)."""
    actors = list(dict.fromkeys(a for snap in rounds for a in snap))
    steps = max(len(rounds), len(median or [])) - 1
    pad = 0.04 * (hi - lo)
    plot = Plot(WIDTH, 320, 0, max(steps, 1), y0=lo - pad, y1=hi + pad, left=56, title=title)
    colours = {a: PALETTE[k % len(PALETTE)] for k, a in enumerate(actors)}
    if len(actors) <= 12:
        for a in actors:
            plot.legend(names.get(a, a), colours[a])
    if median:
        plot.legend(label, "#000")
    plot.make_room()
    plot.axes(xlabel="round", ylabel="position", xticks=[t for t in nice_ticks(0, max(steps, 1)) if float(t).is_integer()],
              yticks=nice_ticks(lo, hi, 5))
    for a in actors:
        points = [(plot.x(r), plot.y(snap[a])) for r, snap in enumerate(rounds) if snap.get(a) is not None]
        plot.polyline(points, colours[a], f"{names.get(a, a)}: " + ", ".join(
            human(snap.get(a)) for snap in rounds), width=1.2)
    if median:
        plot.polyline([(plot.x(r), plot.y(v)) for r, v in enumerate(median)], "#000",
                      f"{label}: " + ", ".join(human(v) for v in median), width=2.5, dash="6 4", dots=False)
    return plot.render()


def options_chart(title: str, labels: list[str], utilities: list[float], probabilities: list[float],
                  shares: list[float] | None) -> str:
    """Expected utility of each option (bars), its probability (the choice model's or the fitted
    logit's, as the third party's ``probability_model`` says) and, where perturbed draws
    were run, the share of draws in which it is the third party's equilibrium option."""
    panels = [("expected utility", utilities, "#4c78a8", False), ("probability", probabilities, "#54a24b", True)]
    if shares:
        panels.append(("share of perturbed draws: equilibrium", shares, "#f58518", True))
    left = _name_width(labels)
    # the panels' headings sit below the title (top 42: title baseline 15, headings at 36)
    plot = Plot(WIDTH, 80 + 26 * len(labels), 0, 1, rows=labels, left=left, title=title, top=42, bottom=30)
    for k, name in enumerate(labels):
        plot.text(left - 6, plot.row(k) + 4, name, anchor="end")
    span = (WIDTH - left - 16) / len(panels)
    lo_u, hi_u = min([0.0, *utilities]), max([1e-9, *utilities])
    for p, (heading, values, colour, share) in enumerate(panels):
        x0 = left + p * span + 8
        width = span - 40
        plot.text(x0, plot.top - 6, heading, size=10, fill="#444")
        for k, v in enumerate(values):
            y = plot.row(k)
            frac = v if share else (v - lo_u) / (hi_u - lo_u)
            plot.rect(x0, y - 8, width * max(frac, 0), 16, colour, f"{labels[k]}: {heading} {human(v)}")
            plot.text(x0 + width * max(frac, 0) + 3, y + 4, f"{100 * v:.0f} %" if share else human(v), size=10)
    return plot.render()


def histogram_chart(title: str, values: np.ndarray, lo: float, hi: float, marks: dict[str, float | None],
                    bins: int = 30) -> str:
    """A histogram of a sweep's outcomes on one issue, with the quantiles and the unperturbed
    forecast marked."""
    values = values[np.isfinite(values)]
    if hi <= lo:
        lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    if values.size:
        counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
    else:
        counts, edges = np.zeros(bins), np.linspace(lo, hi, bins + 1)
    top = max(int(counts.max()), 1)
    plot = Plot(WIDTH, 240, lo, hi, y0=0, y1=top * 1.08, left=56, title=title)
    styles = {"median": ("#d62728", ""), "5 %": ("#555", "4 3"), "95 %": ("#555", "4 3"), "unperturbed": ("#1f77b4", "2 2")}
    for name, value in marks.items():
        if value is not None:
            plot.legend(f"{name}: {human(value)}", styles.get(name, ("#555", ""))[0])
    plot.make_room()
    plot.axes(xlabel="forecast", ylabel="draws")
    for k, c in enumerate(counts):
        x0, x1 = plot.x(edges[k]), plot.x(edges[k + 1])
        plot.rect(x0 + 0.5, plot.y(c), x1 - x0 - 1, plot.y(0) - plot.y(c), "#4c78a8",
                  f"{human(edges[k])} to {human(edges[k + 1])}: {int(c)} draws")
    for name, value in marks.items():
        if value is not None:
            colour, dash = styles.get(name, ("#555", ""))
            plot.line(plot.x(value), plot.top, plot.x(value), plot.y(0), colour, f"{name}: {human(value)}", width=2, dash=dash)
    return plot.render()


def tornado_chart(question: dict[str, Any], top: int = 8) -> str:
    """What would change one answer (:func:`tertius.breakeven.search`): for the ``top`` inputs
    closest to flipping it (the safe ones are left out), a bar over the input's range drawn on a common scale (the range's low
    end at -1, the assumed value at 0, its high end at +1); red: the part of the range where the
    answer changes, grey: where it holds."""
    rows = [r for r in question["inputs"] if not r["safe"]][:top]
    names = [r["label"] if len(r["label"]) <= 36 else r["label"][:35] + "…" for r in rows]
    where = f", {question['phase']}" if question.get("phase") else ""
    plot = Plot(WIDTH, 70 + 24 * max(len(rows), 1), -1.0, 1.0, rows=names, left=_name_width(names),
                title=f"{question.get('name', question['third_party'])}{where}: {question.get('answer_words', '')}")
    plot.legend("answer holds", "#bbbbbb", "bar")
    plot.legend("answer changes", "#c0392b", "bar")
    plot.make_room()
    plot.axes(xlabel="position in the input's range: low end −1, assumed value 0, high end +1",
              xticks=[-1.0, -0.5, 0.0, 0.5, 1.0])
    h = 12
    for k, r in enumerate(rows):
        lo, hi, v = r["range"][0], r["range"][1], r["value"]

        def rel(x: float, lo: float = lo, hi: float = hi, v: float = v) -> float:
            if x < v:
                return -(v - x) / (v - lo) if v > lo else 0.0
            return (x - v) / (hi - v) if hi > v else 0.0

        y = plot.row(k) - h / 2
        plot.rect(plot.x(-1.0), y, plot.x(1.0) - plot.x(-1.0), h, "#bbbbbb",
                  f"{r['label']}: assumed {human(v)}, range {human(lo)} to {human(hi)}"
                  + (": the answer holds over the whole range" if r["safe"] else ""))
        for f in r["flips"]:
            a = rel(f["at"])
            x0, x1 = (plot.x(-1.0), plot.x(a)) if a < 0 else (plot.x(a), plot.x(1.0))
            plot.rect(x0, y, max(x1 - x0, 1.0), h, "#c0392b",
                      f"{r['label']}: {f['to_words']} at {'≤' if a < 0 else '≥'} {human(f['at'])} (assumed {human(v)})")
    plot.line(plot.x(0.0), plot.top, plot.x(0.0), plot.height - plot.bottom, "#222", "assumed values", width=1)
    return plot.render()
