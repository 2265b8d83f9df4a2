from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TERTIUS_SHARED", REPO.parent / "shared"))
DECIDE_INPUT = SHARED / "data" / "decide" / "input"
DEU_TRAIN = SHARED / "data" / "deu" / "deu_train.tsv"
BDM_DATA = SHARED / "data" / "bdm"

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def need(path: Path) -> Path:
    """Skip a test whose shared data is missing (the data live beside the repository)."""
    if not path.exists():
        pytest.skip(f"shared data not found: {path}")
    return path
