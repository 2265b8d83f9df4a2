"""What a notebook shows: short ``repr`` and ``_repr_html_`` for tertius's results, and pandas
DataFrames of them.

The results of :func:`tertius.validate` and :func:`tertius.broker` are dicts (their JSON layout,
unchanged) of the classes below, which add a table view; :func:`compare` puts every model's
forecast of a scenario side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from tertius.report.console import OPTION_LABELS
from tertius.report.numbers import human

if TYPE_CHECKING:
    import pandas as pd

    from tertius.scenario import Scenario

STYLE = "border-collapse:collapse;font-size:12px"
CELL = "border:1px solid #ddd;padding:2px 6px"


def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "", limit: int = 40) -> str:
    """A small HTML table; numbers formatted for people; long tables cut with a note."""
    def cell(x: Any, tag: str = "td") -> str:
        text = human(x) if isinstance(x, float) else ("–" if x is None else str(x))
        align = "right" if isinstance(x, (int, float)) and not isinstance(x, bool) else "left"
        return f'<{tag} style="{CELL};text-align:{align}">{escape(text)}</{tag}>'

    head = "".join(cell(h, "th") for h in headers)
    body = "".join("<tr>" + "".join(cell(x) for x in row) + "</tr>" for row in rows[:limit])
    more = (f'<tr><td colspan="{len(headers)}" style="{CELL};color:#666">… {len(rows) - limit} more rows</td></tr>'
            if len(rows) > limit else "")
    cap = f'<caption style="text-align:left;font-weight:600">{escape(caption)}</caption>' if caption else ""
    return f'<table style="{STYLE}">{cap}<tr>{head}</tr>{body}{more}</table>'


def compare(scenario: Scenario, models: Sequence[str] | None = None, seed: int = 0) -> pd.DataFrame:
    """Every model's forecast of every issue: issues as rows, models as columns, with the
    observed outcome where the scenario has one."""
    import pandas as pd

    from tertius.errors import InputError
    from tertius.models import MODELS, run_model

    columns: dict[str, Any] = {}
    for m in models or list(MODELS):
        try:
            columns[m] = run_model(scenario, m, seed=seed).outcomes
        except InputError:  # a model that refuses the scenario gets no column
            continue
    frame = pd.DataFrame(columns, index=pd.Index(scenario.issue_ids, name="issue"))
    observed = [i.observed.value if i.observed is not None else None for i in scenario.issues]
    if any(v is not None for v in observed):
        frame.insert(0, "observed", pd.Series(observed, index=frame.index, dtype="Float64"))
    return frame


class ValidationResult(dict):
    """:func:`tertius.validate`'s result: the dict of its JSON layout, with tables."""

    def to_frame(self) -> pd.DataFrame:
        """One row per model: MAE (% of scale), the number of scored issues, and the
        cross-validated MAE when it was run."""
        import pandas as pd

        frame = pd.DataFrame.from_dict(self["models"], orient="index")
        frame.index.name = "model"
        return frame

    def issues_frame(self) -> pd.DataFrame:
        """One row per scenario, issue and model: the forecast, the observed outcome and the error."""
        import pandas as pd

        return pd.DataFrame(self["issues"])

    def __repr__(self) -> str:
        best = min(((m, v["mae"]) for m, v in self["models"].items() if v["mae"] is not None),
                   key=lambda x: x[1], default=None)
        n = max((v["n"] for v in self["models"].values()), default=0)
        lowest = f", lowest MAE {best[0]} {human(best[1])}" if best else ""
        return f"<ValidationResult: {len(self['models'])} models on {n} issues{lowest}; .to_frame() for the table>"

    def _repr_html_(self) -> str:
        cv = any("cv_mae" in v for v in self["models"].values())
        rows = [[m, v["mae"], v["n"], *([v.get("cv_mae")] if cv else [])] for m, v in self["models"].items()]
        return html_table(["model", "MAE, % of scale", "issues", *(["cross-validated MAE"] if cv else [])], rows,
                          caption="Validation against observed outcomes")




class BrokerResult(dict):
    """:func:`tertius.broker`'s result: the dict of its JSON layout, with tables."""

    def to_frame(self) -> pd.DataFrame:
        """One row per phase, third party and option: expected utility, rank, logit probability,
        share of perturbed draws in which it is the equilibrium option, and whether it is the
        selected equilibrium."""
        import pandas as pd

        rows = []
        for phase in self["phases"]:
            a, b = phase["sides"]
            for t in phase["third_parties"]:
                first = t["perturbation"].get("first") or {}
                for o in self["options"]:
                    rows.append({"phase": phase["id"] or "", "third_party": t["third_party"], "option": o,
                                 "label": OPTION_LABELS[o].format(a=a, b=b),
                                 "expected_utility": t["options"][o]["expected_utility"],
                                 "rank": t["ranking"].index(o) + 1, "probability": t["probabilities"][o],
                                 "share_first": first.get(o), "equilibrium": t["equilibrium"] == o})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        parts = []
        for phase in self["phases"]:
            a, b = phase["sides"]
            choice = ", ".join(f"{t['name']}: {OPTION_LABELS[t['equilibrium']].format(a=a, b=b)}"
                               for t in phase["third_parties"])
            parts.append(f"{phase['id'] or 'conflict'}: {choice}")
        return f"<BrokerResult {self['scenario']}: " + "; ".join(parts) + "; .to_frame() for the table>"

    def _repr_html_(self) -> str:
        out = []
        for phase in self["phases"]:
            a, b = phase["sides"]
            rows = []
            for t in phase["third_parties"]:
                first = t["perturbation"].get("first") or {}
                for o in self["options"]:
                    mark = " ◀ equilibrium" if t["equilibrium"] == o else ""
                    rows.append([t["name"], OPTION_LABELS[o].format(a=a, b=b) + mark,
                                 t["options"][o]["expected_utility"], t["ranking"].index(o) + 1,
                                 f"{100 * t['probabilities'][o]:.0f} %",
                                 f"{100 * first[o]:.0f} %" if first else "–"])
            out.append(html_table(["third party", "option", "expected utility", "rank", "probability",
                                   "first in perturbed draws"], rows, caption=phase["name"] or phase["id"] or "conflict"))
            out.extend(f"<p style='max-width:60em'><b>{escape(t['name'])}</b>: {escape(t['explanation'])}</p>"
                       for t in phase["third_parties"])
        return "".join(out)


__all__ = ["BrokerResult", "ValidationResult", "compare", "html_table"]
