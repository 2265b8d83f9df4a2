from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

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
    """Skip a test whose shared data is missing (the data live beside the repository); with
    TERTIUS_REQUIRE_SHARED=1 (as .ci/run sets it) fail instead."""
    if not path.exists():
        if os.environ.get("TERTIUS_REQUIRE_SHARED") == "1":
            pytest.fail(f"shared data not found: {path} (CI needs ../shared beside the repository)")
        pytest.skip(f"shared data not found: {path}")
    return path


def load_script(name: str) -> ModuleType:
    """A script of scripts/ imported as a module (the scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
