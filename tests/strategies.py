"""Hypothesis strategies: random but valid scenarios."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tertius.scenario import Scenario


@st.composite
def scenario_data(draw: st.DrawFn, max_actors: int = 6, max_issues: int = 3, status_quo: bool | None = None) -> dict[str, Any]:
    n = draw(st.integers(1, max_actors))
    m = draw(st.integers(1, max_issues))
    lo = draw(st.integers(-50, 50))
    span = draw(st.integers(1, 200))
    actors = [{"id": f"a{k}", "capability": draw(st.floats(0.01, 1.0))} for k in range(n)]
    issues, stances = [], []
    grid = st.integers(0, 20).map(lambda v: lo + span * v / 20)
    for i in range(m):
        issue: dict[str, Any] = {"id": f"i{i}", "scale": {"min": lo, "max": lo + span}}
        with_sq = draw(st.booleans()) if status_quo is None else status_quo
        if with_sq:
            issue["status_quo"] = draw(grid)
        issues.append(issue)
        takers = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        takers[draw(st.integers(0, n - 1))] = True
        for a in range(n):
            if takers[a]:
                stances.append({"actor": f"a{a}", "issue": f"i{i}", "position": draw(grid),
                                "salience": draw(st.floats(0.05, 1.0))})
    return {"id": "generated", "actors": actors, "issues": issues, "stances": stances}


def build(data: dict[str, Any]) -> Scenario:
    return Scenario.model_validate(data)
