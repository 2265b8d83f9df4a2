"""Fit the ``best`` ensemble on the DEU training file and write it into the package.

    .venv/bin/python scripts/fit_best.py [--shared ../shared]

Components are computed once for every issue. Nested 5-fold cross-validation grouped by
proposal (seed 0) scores ``best`` with everything it chooses (stacking weights, shrinkage towards
``compromise``, interval) chosen inside each outer fold; ``best`` is declared the default forecast
only if its nested CV MAE beats ``compromise``'s. The shipped weights, shrinkage and half-width
are then chosen the same way on the whole file (:func:`fit_shrunk`). Writes
``src/tertius/models/best.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from tertius.io import load_scenarios
from tertius.models.ensemble import (
    COMPONENTS,
    COVERAGE,
    component_forecasts,
    cross_validate,
    default_model,
    fit_shrunk,
    groups_of,
)

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "tertius" / "models" / "best.json"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    args = ap.parse_args()
    path = Path(args.shared) / "data" / "deu" / "deu_train.tsv"
    scenarios = load_scenarios(path)
    f = np.concatenate([component_forecasts(s) for s in scenarios])
    y = np.concatenate([(s.arrays.observed - s.arrays.lo) / s.arrays.span * 100 for s in scenarios])
    groups = [g for s, g in zip(scenarios, groups_of(scenarios), strict=True) for _ in s.issues]
    cv = cross_validate(f, y, groups, k=5, seed=0)
    ok = ~np.isnan(y)
    final = fit_shrunk(f, y, groups, k=5, seed=0)
    default, why = default_model(cv)
    out = {
        "components": [list(c) for c in COMPONENTS],
        "weights": [round(float(w), 8) for w in final["weights"]],
        "shrink": final["shrink"],
        "half_width": final["half_width"],
        "coverage_target": COVERAGE,
        "default": default,
        "default_why": why,
        "fitted_on": {"file": "shared/data/deu/deu_train.tsv",
                      "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "issues": int(ok.sum())},
        "cross_validation": {
            "k": 5, "seed": 0, "groups": "proposal", "nested": True, "cv_mae": cv["cv_mae"],
            "compromise_mae": cv["compromise_mae"], "coverage": cv["coverage"],
            "shrink_by_fold": cv["shrink"],
            "components": {f"{m} ({c})": float(np.mean(np.abs(f[ok, j] - y[ok])))
                           for j, (m, c) in enumerate(COMPONENTS)},
        },
    }
    TARGET.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
