"""Reference tests: published or documented numbers, each with its citation and tolerance."""

from __future__ import annotations

import pytest

from tertius.io import load_scenarios
from tertius.scoring import validate
from tests.conftest import DEU_TRAIN, need


@pytest.fixture(scope="module")
def deu_scores():
    return validate(load_scenarios(need(DEU_TRAIN)), ["compromise", "mean", "weighted-median"])


def test_deu_salience_weighted_mean_mae(deu_scores):
    """shared/data/deu/SOURCE.md: on deu_train.tsv (233 scorable issues) the salience-weighted
    mean has MAE 24.4 and the unweighted mean 24.1 (0-100 scale; Thomson et al. 2006 data).
    With equal capabilities the compromise model is the salience-weighted mean. Tolerance:
    the rounding of the published figure, 0.05."""
    assert deu_scores["models"]["compromise"]["n"] == 233
    assert deu_scores["models"]["compromise"]["mae"] == pytest.approx(24.4, abs=0.05)
    assert deu_scores["models"]["mean"]["mae"] == pytest.approx(24.1, abs=0.05)


def test_deu_weighted_median_mae(deu_scores):
    """SOURCE.md gives 28.6 for the salience-weighted median. Our median takes the midpoint
    at an exact 50 % tie (documented in tertius.models.central.weighted_median); the folder's
    figure used another tie rule, so the tolerance is 0.2 and our value is 28.71."""
    assert deu_scores["models"]["weighted-median"]["mae"] == pytest.approx(28.6, abs=0.2)
