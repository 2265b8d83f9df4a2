"""What a model returns: the outcome on each issue and each actor's utility for it.

The class is :class:`Forecast`; the function ``tertius.forecast(scenario, model)`` (the package's
name for :func:`~tertius.models.registry.run_model`) returns one. Import the class with
``from tertius.forecast import Forecast`` (``import tertius.forecast`` names the function).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tertius.scenario import Scenario, ScenarioArrays
from tertius.text import html_table, human

if TYPE_CHECKING:
    import pandas as pd


def closeness(position: np.ndarray, outcome: np.ndarray, span: np.ndarray) -> np.ndarray:
    """The utility of one issue's outcome to an actor: 1 - |position - outcome| / scale span.

    Broadcasts over any leading axes (position (..., actors, issues), outcome (..., 1 or actors,
    issues), span (issues,)). NaN where the actor takes no position. This is the one utility
    function of tertius: the models' forecasts and the conflict analysis both use it.
    """
    return 1.0 - np.abs(position - outcome) / span


def utilities(arrays: ScenarioArrays, outcome: np.ndarray) -> np.ndarray:
    """Each actor's utility for the outcome on each issue (:func:`closeness`).

    It lies in [0, 1]; NaN where the actor takes no position. Weight it by salience to add it up
    over issues (:meth:`Forecast.total_utility`).
    """
    return closeness(arrays.position, outcome[None, :], arrays.span[None, :])


@dataclass(frozen=True)
class Line:
    """A series over the rounds for every issue, drawn beside the actors' trajectories: what the
    model forecasts after each round (round 0: the inputs), with its label."""

    label: str
    values: dict[str, list[float]]


@dataclass(frozen=True)
class Column:
    """An extra per-issue value shown beside the outcome (e.g. the round-1 voting outcome)."""

    label: str
    values: dict[str, float]


@dataclass(frozen=True)
class Forecast:
    """A model's forecast for one scenario: the output contract every model fills.

    ``outcome`` has one value per issue, on the issue's own scale. ``utility`` has shape
    (actors, issues). A model that runs in rounds fills ``rounds`` with the positions
    (actors x issues) after each round, round 0 being the inputs, and may give a ``line`` (its
    forecast after each round) and extra per-issue ``columns``; the CLI and the report render
    all of these for any model. ``details`` holds further model-specific results as plain
    JSON-able data.
    """

    scenario_id: str
    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    outcome: np.ndarray
    utility: np.ndarray
    #: The registered name of the model, filled in by :func:`~tertius.models.registry.run_model`
    #: (a model function leaves it empty).
    model: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    rounds: tuple[np.ndarray, ...] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    line: Line | None = None
    columns: dict[str, Column] = field(default_factory=dict)

    def outcome_of(self, issue_id: str) -> float:
        return float(self.outcome[self.issue_ids.index(issue_id)])

    @property
    def outcomes(self) -> pd.Series:
        """The outcome per issue, labelled by issue id (``f.outcomes["amur"]``)."""
        import pandas as pd

        return pd.Series(self.outcome, index=pd.Index(self.issue_ids, name="issue"), name=self.model)

    def __getitem__(self, issue_id: str) -> float:
        """``f["amur"]``: the outcome of one issue."""
        if issue_id not in self.issue_ids:
            raise KeyError(f"no issue '{issue_id}' in the forecast (issues: {', '.join(self.issue_ids[:10])})")
        return self.outcome_of(issue_id)

    def __repr__(self) -> str:
        shown = ", ".join(f"{i} {human(v)}" for i, v in zip(self.issue_ids[:6], self.outcome[:6], strict=False))
        more = f", … {len(self.issue_ids) - 6} more" if len(self.issue_ids) > 6 else ""
        return f"<Forecast {self.model} of {self.scenario_id}: {shown}{more}>"

    def _repr_html_(self) -> str:
        rows = [[i, float(v), *([self.columns[k].values.get(i) for k in self.columns])]
                for i, v in zip(self.issue_ids, self.outcome, strict=True)]
        return html_table(["issue", "outcome", *[c.label for c in self.columns.values()]], rows,
                          caption=f"{self.model} forecast of {self.scenario_id}")

    def total_utility(self, salience: np.ndarray) -> np.ndarray:
        """Salience-weighted utility summed over issues, one value per actor."""
        return np.nansum(np.where(np.isnan(self.utility), 0.0, self.utility) * salience, axis=1)

    def to_frame(self, scenario: Scenario | None = None) -> pd.DataFrame:
        """A tidy table: one row per actor and issue (issue-level columns repeat)."""
        import pandas as pd
        n, m = len(self.actor_ids), len(self.issue_ids)
        frame = pd.DataFrame({
            "scenario": self.scenario_id,
            "model": self.model,
            "issue": np.repeat(self.issue_ids, n),
            "actor": np.tile(self.actor_ids, m),
            "outcome": np.repeat(self.outcome, n),
            "utility": self.utility.T.reshape(-1),
        })
        if scenario is not None:
            arr = scenario.arrays
            frame["position"] = arr.position.T.reshape(-1)
            frame["salience"] = arr.salience.T.reshape(-1)
            frame["capability"] = np.tile(arr.capability, m)
            frame["observed"] = np.repeat(arr.observed, n)
        return frame

    def to_dict(self) -> dict[str, Any]:
        """The forecast as JSON-able data (the ``--format json`` layout)."""
        issues = []
        for k, issue_id in enumerate(self.issue_ids):
            item: dict[str, Any] = {
                "id": issue_id,
                "outcome": _num(self.outcome[k]),
                "utility": {a: _num(self.utility[j, k]) for j, a in enumerate(self.actor_ids)
                            if not np.isnan(self.utility[j, k])},
            }
            for key, col in self.columns.items():
                if issue_id in col.values:
                    item[key] = _num(col.values[issue_id])
            if self.rounds is not None:
                item["rounds"] = [
                    {a: _num(r[j, k]) for j, a in enumerate(self.actor_ids) if not np.isnan(r[j, k])}
                    for r in self.rounds
                ]
            issues.append(item)
        out = {
            "model": self.model,
            "scenario": self.scenario_id,
            "params": self.params,
            "issues": issues,
            "details": self.details,
            "columns": {k: c.label for k, c in self.columns.items()},
        }
        if self.line is not None:
            out["line"] = {"label": self.line.label, "values": self.line.values}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Forecast:
        issues = data["issues"]
        actor_ids: list[str] = []
        for item in issues:
            for a in item["utility"]:
                if a not in actor_ids:
                    actor_ids.append(a)
            for r in item.get("rounds", []):
                for a in r:
                    if a not in actor_ids:
                        actor_ids.append(a)
        n, m = len(actor_ids), len(issues)
        utility = np.full((n, m), np.nan)
        n_rounds = len(issues[0].get("rounds", [])) if issues else 0
        rounds = [np.full((n, m), np.nan) for _ in range(n_rounds)]
        for k, item in enumerate(issues):
            for a, u in item["utility"].items():
                utility[actor_ids.index(a), k] = np.nan if u is None else u
            for r, snap in enumerate(item.get("rounds", [])):
                for a, x in snap.items():
                    rounds[r][actor_ids.index(a), k] = np.nan if x is None else x
        return cls(
            model=data["model"], scenario_id=data["scenario"], actor_ids=tuple(actor_ids),
            issue_ids=tuple(i["id"] for i in issues),
            outcome=np.array([np.nan if i["outcome"] is None else i["outcome"] for i in issues], dtype=float),
            utility=utility, params=data.get("params", {}),
            rounds=tuple(rounds) if n_rounds else None, details=data.get("details", {}),
            line=Line(data["line"]["label"], data["line"]["values"]) if data.get("line") else None,
            columns={k: Column(label, {i["id"]: i[k] for i in issues if i.get(k) is not None})
                     for k, label in data.get("columns", {}).items()},
        )


def _num(x: float) -> float | None:
    x = float(x)
    return None if np.isnan(x) else round(x, 10)
