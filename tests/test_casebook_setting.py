"""The game setting selected on the bundled casebook (scripts/fit_casebook.py) and how
``tertius validate DIR`` scores a folder of cases with it (docs/casebook.md, "Scoring")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from tertius.cli import app
from tertius.conflict.casebook import (
    FITTED,
    GRID,
    _select,
    case_files,
    file_sha256,
    fitted_setting,
    score_case,
    validate_casebook,
)
from tertius.io import load_scenario
from tests.conftest import load_script

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "casebook"


def test_the_shipped_setting_is_what_the_selection_gives_on_the_bundled_casebook():
    """casebook_fit.json is what scripts/fit_casebook.py selects on casebook/ (every case file
    with its sha256, the setting, its in-sample matches)."""
    assert load_script("fit_casebook").refit(BOOK) == json.loads(FITTED.read_text(encoding="utf-8"))


def test_the_selection_takes_the_setting_with_the_most_matches_and_the_simpler_one_on_a_tie():
    runs = {g: [[{"matched": False}]] for g in GRID}
    assert _select(runs) == (0.0, False, False)  # all tied: the smallest cost, neither variant
    runs[(0.5, True, False)] = [[{"matched": True}]]
    runs[(0.3, True, True)] = [[{"matched": True}]]
    assert _select(runs) == (0.3, True, True)  # tied on matches: the smaller cost first
    assert _select(runs, skip=0) == (0.0, False, False)  # the skipped case's matches do not count


def test_validate_scores_at_the_shipped_setting_and_names_the_cases_it_was_selected_on(tmp_path):
    fit = fitted_setting()
    case = BOOK / "second-opium-war.yaml"
    shutil.copy(case, tmp_path / case.name)
    out = validate_casebook(tmp_path)
    s = load_scenario(case)
    assert out["decisions"] == score_case(s, s.id, fit["join_cost"], fit["pivotal"], fit["convening"])
    assert out["plain_game"]["matched"] == sum(r["matched"] for r in score_case(s, s.id))
    assert out["setting"]["in_sample"] == ["second-opium-war"]
    assert fit["cases"]["second-opium-war"] == file_sha256(case)


def test_a_case_with_other_inputs_under_a_known_id_is_out_of_sample(tmp_path):
    text = (BOOK / "second-opium-war.yaml").read_text(encoding="utf-8")
    (tmp_path / "case.yaml").write_text(text + "\n# edited\n", encoding="utf-8")
    assert validate_casebook(tmp_path)["setting"]["in_sample"] == []


def test_the_cli_says_at_which_setting_it_scored(tmp_path):
    shutil.copy(BOOK / "second-opium-war.yaml", tmp_path / "a.yaml")
    res = CliRunner().invoke(app, ["validate", str(tmp_path)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "selected on the bundled casebook/" in res.output
    assert "the plain game" in res.output
    assert "1 of the 1 cases here was among them (scored in sample)" in res.output


def test_every_bundled_case_file_is_in_the_shipped_setting():
    fit = fitted_setting()
    assert {load_scenario(f).id: file_sha256(f) for f in case_files(BOOK)} == fit["cases"]
