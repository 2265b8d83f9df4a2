"""The page's break-even values ("What would have to be true") are ``tertius run``'s: the
``/api/breakeven`` answer against results.json and the report written by the command line for
the same scenario, number for number and word for word, and one-line errors for bad requests."""

from __future__ import annotations

import html
import json

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient
from typer.testing import CliRunner

from tertius import load_scenario
from tertius.cli import app as cli
from tertius.web.app import create_app

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), base_url="http://127.0.0.1:8765") as c:
        yield c


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory) -> tuple[dict, str]:
    """results.json and report.html of ``tertius run`` on the default scenario."""
    out = tmp_path_factory.mktemp("run")
    r = CliRunner().invoke(cli, ["run", "--draws", "20", "--out", str(out), "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads((out / "results.json").read_text()), (out / "report.html").read_text()


@pytest.fixture(scope="module")
def page(client) -> dict:
    r = client.post("/api/breakeven", content=json.dumps({"scenario": load_scenario().to_data(), "seed": 0}),
                    headers=JSON)
    assert r.status_code == 200, r.text
    return r.json()


def test_what_would_move_the_forecasts_is_the_results_and_the_reports(page, cli_run):
    results, report = cli_run
    moves = page["moves"]
    found = {(q["model"], q["name"]): q for q in results["breakeven_forecasts"]["questions"]}
    assert moves["model"] in results["breakeven_forecasts"]["models"]
    assert f"moves {moves['model']}&#39;s forecast" in report or f"moves {moves['model']}'s forecast" in report
    shown = 0
    for row in moves["rows"]:
        q = found[(moves["model"], row["issue"])]
        assert row["forecast"] == q["forecast"] and row["safe"] == q["safe"]
        for x in row["inputs"]:
            ref = q["inputs"][0]  # the report's row: the nearest input
            assert x["label"] == ref["label"].replace(f" on {q['name']}", "") and x["value"] == ref["value"]
            assert x["at"] in [f["at"] for f in ref["flips"]]
            # word for word as the report's table prints the row
            cells = [html.escape(x["label"]), x["text"]["value"], x["text"]["at"], x["text"]["to"]]
            assert "</td><td>".join(cells) in report.replace('<td class="text">', "<td>"), cells
            shown += 1
        if not row["inputs"]:
            assert f"safe: none of the {row['n']} assumed inputs" in report
    assert shown >= 3  # the default scenario has forecasts that an assumption moves


def test_what_would_change_the_choices_is_the_results(page, cli_run):
    results, report = cli_run
    questions = results["breakeven"]["questions"]
    assert [c["question"] for c in page["choices"]] == [q["question"] for q in questions]
    for c, q in zip(page["choices"], questions, strict=True):
        flipping = [r for r in q["inputs"] if not r["safe"]]
        assert [r["input"] for r in c["inputs"]] == [r["input"] for r in flipping][:8]
        for r, ref in zip(c["inputs"], flipping, strict=False):
            assert [f["at"] for f in r["flips"]] == [f["at"] for f in ref["flips"]]
            for words in r["text"]["flips"]:  # the words of the report's tornado bars
                assert html.escape(f"{r['label']}: {words} (assumed {r['text']['value']})") in report, words
        assert c["safe"] == len(q["safe"]) and c["n"] == len(q["inputs"])
        if c["inputs"]:
            assert c["chart"].startswith("<svg") and f"{c['safe']} of {c['n']} assumed inputs cannot change it" in report
        else:
            assert c["chart"] is None


def test_the_page_sends_model_parameters_to_the_search(client):
    from tertius.breakeven import forecast_search

    s = load_scenario()
    body = {"scenario": s.to_data(), "params": {"bdm": {"rounds": 3}}}
    r = client.post("/api/breakeven", content=json.dumps(body), headers=JSON)
    assert r.status_code == 200, r.text
    moves = r.json()["moves"]
    found = forecast_search(s, [moves["model"]], params={"bdm": {"rounds": 3}})
    assert [row["forecast"] for row in moves["rows"]] == [q["forecast"] for q in found["questions"]]


@pytest.mark.parametrize("body,needle", [
    ({"scenario": {"id": "x"}}, "actors"),
    ({"scenario": None}, "scenario"),
    ({"scenario": "second-opium-war"}, "scenario"),
    ("PARAMS", "params"),
    ("SEED", "seed"),
])
def test_bad_requests_get_one_line_errors(client, body, needle):
    data = load_scenario().to_data()
    if body == "PARAMS":
        body = {"scenario": data, "params": {"bdm": {"rounds": "many"}}}
    elif body == "SEED":
        body = {"scenario": data, "seed": -1}
    r = client.post("/api/breakeven", content=json.dumps(body), headers=JSON)
    assert r.status_code == 400, r.text
    text = r.json()["error"]
    assert "\n" not in text and "Traceback" not in text and needle in text, text
    assert client.post("/api/breakeven", content="{", headers=JSON).status_code == 400
    assert client.post("/api/breakeven", content="{}", headers={"content-type": "text/plain"}).status_code == 415
