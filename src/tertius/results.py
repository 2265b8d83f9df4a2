"""The typed results of tertius's analyses: the dict of each one's JSON layout, with a short
``repr``, an HTML table for notebooks and pandas DataFrames. Data only; nothing here is computed
or drawn beyond formatting.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from tertius.scenario import OPTION_LABELS
from tertius.text import html_table, human

if TYPE_CHECKING:
    import pandas as pd


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




class ThirdPartyResult(dict):
    """:func:`tertius.third_parties`'s result: the dict of its JSON layout, with tables."""

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
        return f"<ThirdPartyResult {self['scenario']}: " + "; ".join(parts) + "; .to_frame() for the table>"

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


#: Keys of results.json renamed since 0.2.0, old → new (:func:`saved_results`).
RENAMED_KEYS = {"broker": "third_parties"}


def saved_results(data: dict[str, Any]) -> dict[str, Any]:
    """Saved results in today's layout, so that a results.json written by an older tertius still
    renders (``tertius report``): each key of :data:`RENAMED_KEYS` gets its new name. Nothing
    else is changed; the dict given is not touched."""
    out = dict(data)
    for old, new in RENAMED_KEYS.items():
        if old in out and new not in out:
            out[new] = out.pop(old)
    return out


#: The name of :class:`ThirdPartyResult` up to 0.2.0.
BrokerResult = ThirdPartyResult

__all__ = ["RENAMED_KEYS", "BrokerResult", "ThirdPartyResult", "ValidationResult", "saved_results"]
