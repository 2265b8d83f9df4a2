"""What a notebook shows: short ``repr`` and ``_repr_html_`` for tertius's results, and pandas
DataFrames of them.

The results of :func:`tertius.validate` and :func:`tertius.third_parties` are dicts (their JSON layout,
unchanged) of the classes below, which add a table view; :func:`compare` puts every model's
forecast of a scenario side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tertius.errors import InputError
from tertius.models import MODELS, run_model
from tertius.results import BrokerResult, ThirdPartyResult, ValidationResult
from tertius.text import html_table

if TYPE_CHECKING:
    import pandas as pd

    from tertius.scenario import Scenario

def compare(scenario: Scenario, models: Sequence[str] | None = None, seed: int = 0) -> pd.DataFrame:
    """Every model's forecast of every issue: issues as rows, models as columns, with the
    observed outcome where the scenario has one."""
    import pandas as pd

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


__all__ = ["BrokerResult", "ThirdPartyResult", "ValidationResult", "compare", "html_table"]
