"""The example notebook (docs/example.ipynb) runs from top to bottom, and its results show as
tables; the short reprs stay short."""

from __future__ import annotations

from pathlib import Path

import pytest

import tertius

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "example.ipynb"


def test_the_example_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    html = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if "data" in o and "text/html" in o["data"]]
    assert len(html) >= 8
    assert any("Actors" in h and "Stances" in h for h in html)  # the scenario
    assert any("equilibrium" in h for h in html)  # the third parties
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []


def test_reprs_are_short_and_labelled():
    s = tertius.load_scenario()
    assert len(repr(s)) < 200 and "8 issues" in repr(s)
    f = tertius.forecast(s, "compromise")
    assert "amur" in repr(f) and len(repr(f)) < 200
    assert f.outcomes["amur"] == f["amur"] == f.outcome_of("amur")
    with pytest.raises(KeyError, match="no issue"):
        f["nowhere"]
    frame = tertius.compare(s, ["mean", "compromise"])
    assert list(frame.columns) == ["observed", "mean", "compromise"] and list(frame.index) == s.issue_ids
    b = tertius.third_parties(s, draws=20)
    assert "stay out" in repr(b) and repr(b).startswith("<ThirdPartyResult") and len(b.to_frame()) == 2 * 2 * 4
    v = tertius.validate(s, ["mean", "compromise"])
    assert v.to_frame().loc["compromise", "n"] == 8 and "lowest MAE" in repr(v)
    for obj in (s, f, b, v):
        assert "<table" in obj._repr_html_()


def test_the_names_of_the_third_party_analysis_up_to_0_2_0_still_work():
    """``tertius.broker`` and ``BrokerResult``, the analysis's names up to 0.2.0, are the same
    function and class as ``tertius.third_parties`` and ``ThirdPartyResult``; the old module
    ``tertius.contract`` still gives ``Forecast``."""
    from tertius.contract import Forecast as OldForecast
    from tertius.notebook import BrokerResult, ThirdPartyResult

    assert tertius.broker is tertius.third_parties and BrokerResult is ThirdPartyResult
    assert OldForecast is tertius.Forecast
    assert isinstance(tertius.third_parties(tertius.load_scenario(), draws=0), ThirdPartyResult)
