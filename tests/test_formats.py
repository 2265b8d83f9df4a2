"""Every format tertius reads, written and read back: JSON, the workbook, the folder of CSV
tables, the compact YAML stances, and the other programs' formats with their warnings."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tertius import bundled_scenarios, load_scenario
from tertius.cli import app
from tertius.errors import InputError
from tertius.io import render
from tertius.io.writers import lost_fields
from tests.test_hostile import COMPACT, YAML

runner = CliRunner()


def canonical(s) -> dict:
    """The scenario's data with stances in (actor, issue) order: a grid has no other order."""
    d = s.to_data()
    d["stances"] = sorted(d["stances"], key=lambda st: (st["actor"], st["issue"]))
    return d


def write(tmp_path: Path, s, fmt: str) -> Path:
    content = render(s, fmt)
    if fmt == "tables":
        folder = tmp_path / f"{s.id}-tables"
        folder.mkdir()
        for name, text in content.items():
            (folder / name).write_text(text)
        return folder
    path = tmp_path / f"{s.id}.{ {'yaml': 'yaml', 'json': 'json', 'xlsx': 'xlsx'}[fmt]}"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.mark.parametrize("sid", list(bundled_scenarios()))
@pytest.mark.parametrize("fmt", ["yaml", "json", "xlsx", "tables"])
def test_lossless_formats_round_trip_every_bundled_scenario(tmp_path, sid, fmt):
    s = load_scenario(sid)
    back = load_scenario(write(tmp_path, s, fmt))
    assert canonical(back) == canonical(s)
    assert lost_fields(s, fmt) == []


def test_the_compact_stance_notation_reads_as_the_long_one(tmp_path):
    long, short = tmp_path / "long.yaml", tmp_path / "short.yaml"
    long.write_text(YAML)
    short.write_text(COMPACT)
    assert canonical(load_scenario(short)) == canonical(load_scenario(long))


def test_a_json_list_holds_several_scenarios(tmp_path):
    path = tmp_path / "two.json"
    a, b = load_scenario("litigation").to_data(), load_scenario("greece-debt-2015").to_data()
    path.write_text(json.dumps([a, b]))
    r = runner.invoke(app, ["forecast", str(path), "--select", "litigation", "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["scenario"] == "litigation"


def test_misspelt_keys_get_a_suggestion(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text(YAML.replace("salience: 0.9}", "salince: 0.9}", 1))
    with pytest.raises(InputError) as e:
        load_scenario(path)
    assert "salince" in str(e.value) and "did you mean 'salience'" in str(e.value) and e.value.line == 15
    path.write_text(COMPACT.replace("salience: 0.9}", "salinece: 0.9}"))
    with pytest.raises(InputError) as e:
        load_scenario(path)
    assert "did you mean 'salience'" in str(e.value) and e.value.line == 18


def _workbook(tmp_path: Path, edit) -> Path:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(render(load_scenario("litigation"), "xlsx")))
    edit(book)
    path = tmp_path / "edited.xlsx"
    book.save(path)
    return path


def test_workbook_errors_name_the_sheet_row_and_column(tmp_path):
    def bad_salience(book):
        ws = book["stances"]
        for row in ws.iter_rows():
            if row[0].value == "salience":
                break
        ws.cell(row=row[0].row + 1, column=2, value="high")

    with pytest.raises(InputError) as e:
        load_scenario(_workbook(tmp_path, bad_salience))
    text = str(e.value)
    assert "edited.xlsx" in text and "sheet 'stances'" in text and "'high' is not a number" in text

    def bad_column(book):
        book["actors"].cell(row=1, column=3, value="capabilty")

    with pytest.raises(InputError) as e:
        load_scenario(_workbook(tmp_path, bad_column))
    assert "did you mean 'capability'" in str(e.value) and e.value.line == 1

    def negative(book):
        book["actors"].cell(row=2, column=3, value=-5)

    with pytest.raises(InputError) as e:
        load_scenario(_workbook(tmp_path, negative))
    assert "sheet 'actors'" in str(e.value) and e.value.line == 2


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 not really a zip", bytes(range(256)) * 20])
def test_a_damaged_workbook_is_one_line(tmp_path, data):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(data)
    r = runner.invoke(app, ["forecast", str(path)])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "broken.xlsx" in r.stderr


def test_a_tables_folder_missing_a_file_says_which(tmp_path):
    folder = write(tmp_path, load_scenario("litigation"), "tables")
    (folder / "stances.csv").unlink()
    r = runner.invoke(app, ["run", str(folder)])
    assert r.exit_code == 2 and "stances.csv" in r.stderr


@pytest.mark.parametrize("target, fmt", [("out.csv", "decide"), ("out.xdf", "xdf")])
def test_lossy_conversions_warn_naming_what_is_lost(tmp_path, target, fmt):
    r = runner.invoke(app, ["convert", "second-opium-war", str(tmp_path / target)])
    assert r.exit_code == 0
    warning = r.stderr
    for words in ("sources and assumptions", "observed outcomes", "conflict section", "perturbation section"):
        assert words in warning, (fmt, warning)
    assert load_scenario(tmp_path / target).issue_ids == load_scenario().issue_ids
    data = json.loads(runner.invoke(app, ["convert", "second-opium-war", str(tmp_path / target), "--format", "json"]).stdout)
    assert "the observed outcomes" in data["lost"]


def test_lossless_conversions_say_nothing(tmp_path):
    for target in ("out.yaml", "out.json", "out.xlsx", "out-tables"):
        r = runner.invoke(app, ["convert", "second-opium-war", str(tmp_path / target)])
        assert r.exit_code == 0 and "warning" not in r.stderr, target
        assert canonical(load_scenario(tmp_path / target)) == canonical(load_scenario())


def test_deu_and_actor_table_writers(tmp_path):
    r = runner.invoke(app, ["convert", "second-opium-war", str(tmp_path / "x.tsv")])
    assert r.exit_code == 2 and "EU actors" in r.stderr
    r = runner.invoke(app, ["convert", "second-opium-war", str(tmp_path / "x.csv"), "--to", "actors"])
    assert r.exit_code == 2 and "one issue" in r.stderr
    eu = load_scenario("eu-emissions-1994")
    one = eu.model_copy(update={})
    from tertius.scenario import Scenario

    single = Scenario.model_validate({**one.to_data(), "issues": [one.to_data()["issues"][0]],
                                      "stances": [st for st in one.to_data()["stances"] if st["issue"] == eu.issue_ids[0]],
                                      "conflict": None, "perturbation": None})
    (tmp_path / "single.yaml").write_text(render(single, "yaml"))
    r = runner.invoke(app, ["convert", str(tmp_path / "single.yaml"), str(tmp_path / "table.csv"), "--to", "actors"])
    assert r.exit_code == 0, r.output
    back = load_scenario(tmp_path / "table.csv")
    assert sorted(st.position.value for st in back.stances) == sorted(st.position.value for st in single.stances)
