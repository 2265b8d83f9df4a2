"""tertius: forecast multi-party negotiations and conflicts, and advise third parties.

The public API mirrors the command line::

    from tertius import load_scenario, forecast, validate
    s = load_scenario()                      # the bundled default, 'second-opium-war'
    f = forecast(s, "compromise")            # a Forecast; f.to_frame() is a tidy table
    validate(load_scenarios("deu_train.tsv"))  # MAE per model
    third_parties(s)                         # third parties: join, stay out or broker
    sweep(s, "compromise", n=1000, seed=0)   # seeded Monte Carlo over perturbed inputs
    compare(s)                               # a DataFrame: issues x models, beside the outcome

In a notebook every result shows as a table (``_repr_html_``); ``f.outcomes`` is the forecast
labelled by issue, ``validate(...).to_frame()``, ``third_parties(s).to_frame()`` and
``sweep(...).quantiles()`` are DataFrames. ``broker`` is the former name of ``third_parties``.
"""

from tertius.forecast import Forecast
from tertius.io import bundled_scenarios, load_scenario, load_scenarios
from tertius.models import MODELS, run_model
from tertius.notebook import compare
from tertius.scenario import Scenario
from tertius.scoring import validate
from tertius.version import __version__


def __getattr__(name: str):  # third_parties (broker) and sweep load their (heavier) modules on first use
    if name in ("third_parties", "broker"):
        from tertius.conflict import third_parties
        return third_parties
    if name == "sweep":
        from tertius.sweeps import sweep
        return sweep
    raise AttributeError(f"module 'tertius' has no attribute {name!r}")

forecast = run_model

__all__ = [
    "MODELS", "Forecast", "Scenario", "broker", "bundled_scenarios", "compare", "forecast", "load_scenario",
    "load_scenarios", "run_model", "sweep", "third_parties", "validate", "__version__",
]
