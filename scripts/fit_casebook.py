"""Select the third parties' game setting on the bundled casebook and write it into the package.

    .venv/bin/python scripts/fit_casebook.py [--check]

The setting is the triple (fixed cost of taking up arms, pivotal deterrence, the prestige of
convening) of ``tertius.conflict.casebook.GRID`` that matches most recorded decisions of every
case in ``casebook/`` (on a tie: the smaller cost, then without pivotal deterrence, then without
convening): the selection that each fold of ``tertius validate casebook/ --cv K`` makes on its
training cases, made here on all of them (docs/casebook.md, "Scoring"), and the logit's
precision, join constant and broker constant fitted on the cases' decisions at that setting
(docs/casebook.md, "The logit of the selected setting"). Writes
``src/tertius/conflict/casebook_fit.json`` with each case file's sha256, so that
``tertius validate DIR`` can say which of a folder's cases the setting was selected on.
``--check`` selects again and fails if the shipped setting differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tertius.conflict.casebook import FITTED, case_files, file_sha256, select_setting
from tertius.io import load_scenario
from tertius.io.files import write_text_atomic

ROOT = Path(__file__).resolve().parents[1]


def refit(folder: Path) -> dict[str, object]:
    files = case_files(folder)
    (join_cost, pivotal, convening), summary = select_setting([load_scenario(f) for f in files])
    return {"join_cost": join_cost, "pivotal": pivotal, "convening": convening,
            "selected_on": f"casebook/ ({summary['cases']} cases, {summary['decisions']} decisions)",
            "matched": summary["matched"], "brokers_matched": summary["brokers_matched"],
            "decisions": summary["decisions"], "logit": summary["logit"],
            "cases": {load_scenario(f).id: file_sha256(f) for f in files},
            "method": "docs/casebook.md, 'Scoring': the setting of casebook.GRID that matches most recorded "
                      "decisions of the cases (in sample; the leave-one-case-out CV makes the same selection "
                      "inside each fold)"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="select again and compare with the shipped file")
    args = ap.parse_args()
    out = refit(ROOT / "casebook")
    if args.check:
        same = json.loads(FITTED.read_text(encoding="utf-8")) == out
        print("casebook_fit.json matches a new selection" if same else "casebook_fit.json differs from a new selection")
        return 0 if same else 1
    write_text_atomic(FITTED, json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(json.dumps({k: out[k] for k in ("join_cost", "pivotal", "convening", "matched", "decisions")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
