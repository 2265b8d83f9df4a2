"""``tertius serve``: the API the page calls, its limits and its safety, without a browser.

The page's numbers must be the public API's numbers; every hostile request must get a 4xx with a
one-line error and leave the server answering."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient
from typer.testing import CliRunner

from tertius import load_scenario, run_model
from tertius.cli import app as cli
from tertius.conflict import third_parties
from tertius.sweeps import Perturbation, SweepJob, run_chunk
from tertius.web import api
from tertius.web.app import STATIC, create_app
from tests.test_hostile import BASES, YAML_SPECIALS, _mutants
from tests.webserver import free_port, live_server

BASE = "http://127.0.0.1:8765"
JSON = {"content-type": "application/json"}


#: These tests check what the page does, not how fast: a machine under load may take longer than the
#: page's 20 s limit for one analysis, so they give it more (the limit itself has its own test).
ROOMY = api.Limits(run_seconds=300.0)


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(limits=ROOMY), base_url=BASE) as c:
        yield c


@pytest.fixture(scope="module")
def default():
    return load_scenario().to_data()


def post(client, url, body, **headers):
    return client.post(url, content=json.dumps(body), headers={**JSON, **headers})


def one_line(response) -> str:
    text = response.json()["error"]
    assert "\n" not in text and "Traceback" not in text
    return text


# ------------------------------------------------------------------ the page and its numbers
def test_page_and_assets_are_served_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and "<title>tertius</title>" in page.text
    assert "http" not in page.text.replace('href="data:,"', "")  # nothing from another host
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name in STATIC:
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and len(r.content) > 1000, name
    assert b"plotly" in client.get("/static/plotly.min.js").content[:5000].lower()


def test_info_starts_on_the_default_scenario_with_every_model(client, default):
    info = client.get("/api/info").json()
    assert info["initial"] == json.loads(json.dumps(default))
    assert {m["id"] for m in info["models"]} >= {"compromise", "bdm", "exchange", "nash"}
    assert "second-opium-war" in {b["id"] for b in info["bundled"]}


def test_run_gives_the_public_apis_forecasts(client, default):
    out = post(client, "/api/run", {"scenario": default, "seed": 0}).json()
    s = load_scenario()
    for model in ("compromise", "bdm", "exchange", "nash", "best"):
        f = run_model(s, model, seed=0)
        for k, issue in enumerate(f.issue_ids):
            assert out["forecasts"][model][issue] == pytest.approx(f.outcome[k], abs=1e-9), (model, issue)
    amur = s.issue("amur").observed.value
    assert out["errors"]["amur"]["compromise"]["error"] == pytest.approx(out["forecasts"]["compromise"]["amur"] - amur)
    assert set(out["rounds"]) == {"bdm", "exchange"}
    bdm = out["rounds"]["bdm"]
    assert len(bdm["values"]["legations"]) == 11 and len(bdm["moves"]) == 10
    assert any(m["size"] > 0 for m in bdm["moves"][0])


@pytest.mark.parametrize("sid", ["second-opium-war", "eu-emissions-1994", "greece-debt-2015"])
def test_the_page_shows_the_clis_numbers(client, sid, tmp_path):
    """Every number the page shows (forecasts, errors on the scale and in % of span, MAE, the
    third-party probabilities and shares) is the number ``tertius run --format json`` prints."""
    data = client.get(f"/api/bundled/{sid}").json()["scenario"]
    page = post(client, "/api/run", {"scenario": data, "seed": 0}).json()
    r = CliRunner().invoke(cli, ["run", sid, "--format", "json", "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    cli_out = json.loads(r.stdout)
    assert set(page["forecasts"]) == set(cli_out["forecasts"])
    assert page["refused"] == cli_out["refused"]
    for m, f in cli_out["forecasts"].items():
        for issue in f["issues"]:
            assert page["forecasts"][m][issue["id"]] == pytest.approx(issue["outcome"], abs=1e-12), (m, issue["id"])
    assert page["scores"] == cli_out["scores"]["models"]
    scored = [row for row in cli_out["scores"]["issues"] if row["observed"] is not None]
    assert scored or sid != "second-opium-war"
    for row in scored:
        shown = page["errors"][row["issue"]][row["model"]]
        assert shown["error"] == pytest.approx(row["error"], abs=1e-12)
        assert shown["pct"] == pytest.approx(row["abs_error_pct"], abs=1e-12)
    assert sum(len(v) for v in page["errors"].values()) == len(scored)
    if cli_out["third_parties"] is not None:
        from tertius.conflict import DEFAULT_DRAWS

        body = {"scenario": data, "seed": 0, "draws": DEFAULT_DRAWS}
        shown = post(client, "/api/third-parties", body).json()["third_parties"]
        assert shown == cli_out["third_parties"]


def test_model_parameters_reach_the_run_as_the_cli_gives_them(client, default, tmp_path):
    """Each model's parameters are listed from the registry's declarations, and a changed one gives
    the numbers of ``tertius forecast -p``, per round included."""
    info = client.get("/api/info").json()
    declared = {m["id"]: m["params"] for m in info["models"]}
    assert declared["bdm"]["rounds"] == 10 and declared["bdm"]["settle"] == "last"
    assert set(declared["exchange"]) >= {"rounds", "fixed_weight", "salience_weight"}
    assert declared["compromise"] == {}
    page = post(client, "/api/run", {"scenario": default, "seed": 0, "models": ["bdm", "exchange"],
                                     "params": {"bdm": {"rounds": 3}, "exchange": {"rounds": 2}}}).json()
    for model, rounds in (("bdm", 3), ("exchange", 2)):
        r = CliRunner().invoke(cli, ["forecast", "-m", model, "-p", f"rounds={rounds}", "--format", "json"])
        assert r.exit_code == 0, r.output
        cli_out = json.loads(r.stdout)
        for issue in cli_out["issues"]:
            assert page["forecasts"][model][issue["id"]] == pytest.approx(issue["outcome"], abs=1e-12)
            assert page["rounds"][model]["positions"][issue["id"]] == issue["rounds"]
        assert len(page["rounds"][model]["positions"]["ports"]) == rounds + 1
    plain = post(client, "/api/run", {"scenario": default, "seed": 0, "models": ["bdm"]}).json()
    assert plain["forecasts"]["bdm"] != page["forecasts"]["bdm"]  # three rounds are not ten on this scenario
    bad = post(client, "/api/run", {"scenario": default, "params": {"bdm": {"roundz": 3}}})
    assert bad.status_code == 400 and "no parameter roundz" in one_line(bad) and "rounds" in bad.json()["fix"]
    bad = post(client, "/api/run", {"scenario": default, "params": {"bdm": {"rounds": "many"}}})
    assert bad.status_code == 400 and "rounds" in one_line(bad)


def test_the_default_mae_is_in_percent_of_scale(client, default):
    """The page's MAE is the library's (% of each issue's span), not a mean of raw units: on the
    default scenario the raw-unit mean differs from it."""
    out = post(client, "/api/run", {"scenario": default, "seed": 0}).json()
    for m, score in out["scores"].items():
        pcts = [e[m]["pct"] for e in out["errors"].values() if e[m]["pct"] is not None]
        raw = [abs(e[m]["error"]) for e in out["errors"].values() if e[m]["error"] is not None]
        assert score["mae"] == pytest.approx(sum(pcts) / len(pcts)) and score["n"] == len(pcts)
        assert score["mae"] != pytest.approx(sum(raw) / len(raw))


def test_an_edited_salience_changes_the_forecast(client, default):
    before = post(client, "/api/run", {"scenario": default}).json()["forecasts"]["compromise"]["amur"]
    edited = json.loads(json.dumps(default))
    for st in edited["stances"]:
        if st["actor"] == "russia" and st["issue"] == "amur":
            st["salience"] = 1.0 if not isinstance(st["salience"], dict) else {**st["salience"], "value": 1.0}
    after = post(client, "/api/run", {"scenario": edited}).json()["forecasts"]["compromise"]["amur"]
    assert after > before


def test_third_parties_gives_the_public_apis_analysis(client, default):
    body = {"scenario": default, "seed": 3, "draws": 50}
    out = post(client, "/api/third-parties", body).json()
    assert out == {"third_parties": json.loads(json.dumps(third_parties(load_scenario(), draws=50, seed=3)))}
    assert post(client, "/api/broker", body).json() == out  # the route's name up to 0.2.0 answers the same


def test_a_bad_field_gets_the_clis_words_and_its_place(client, default):
    bad = json.loads(json.dumps(default))
    bad["stances"][2]["salience"] = -1
    r = post(client, "/api/run", {"scenario": bad})
    assert r.status_code == 400
    body = r.json()
    assert body["path"].startswith("stances[2].salience"), body
    assert body["fix"] and body["message"] in one_line(r)
    from tertius.errors import InputError
    from tertius.io.yaml_io import scenario_from_data

    with pytest.raises(InputError) as cli_error:
        scenario_from_data(bad, file="the page's scenario")
    assert body["error"] == str(cli_error.value)


def test_exports_are_the_files_the_cli_writes(client, default):
    yaml_text = post(client, "/api/export/yaml", {"scenario": default}).text
    from tertius.io.yaml_io import dump_yaml

    assert yaml_text == dump_yaml(load_scenario())
    csv = post(client, "/api/export/decide", {"scenario": default})
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    results = post(client, "/api/export/results", {"scenario": default}).json()
    assert results["forecasts"]["compromise"]["issues"][0]["id"] == "legations"
    report = post(client, "/api/export/report", {"scenario": default})
    assert report.status_code == 200 and "<html" in report.text.lower()


# ------------------------------------------------------------------ uploads
def test_the_workbook_export_reads_back_as_the_same_scenario(client, default, tmp_path):
    from tertius.io import load_scenario as load_file

    r = post(client, "/api/export/xlsx", {"scenario": default})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert 'filename="second-opium-war.xlsx"' in r.headers["content-disposition"]
    path = tmp_path / "s.xlsx"
    path.write_bytes(r.content)
    back, want = load_file(path).to_data(), load_scenario().to_data()
    for d in (back, want):  # the workbook's stance sheet is a grid: its order is the grid's
        d["stances"] = sorted(d["stances"], key=lambda st: (st["actor"], st["issue"]))
    assert back == want


def test_upload_reads_every_format(client):
    for name, text in BASES.items():
        if name == "wars.csv":  # a decision table: scored by 'tertius validate', not a scenario
            r = client.post(f"/api/upload?name={name}", content=text.encode())
            assert r.status_code == 400 and "tertius validate wars.csv" in one_line(r)
            continue
        r = client.post(f"/api/upload?name={name}", content=text.encode(), headers={"content-type": "application/octet-stream"})
        assert r.status_code == 200, (name, r.text[:300])
        body = r.json()
        assert "scenario" in body or body.get("choices"), name


def test_the_uploads_the_page_offers_are_the_format_table_s(client):
    """The file box's suffixes and an unknown suffix's fix both come from tertius.io.formats:
    a format added there is offered, read and named without touching the page."""
    from tertius.io.formats import FORMATS

    offered = client.get("/api/info").json()["uploads"]
    table = {s for f in FORMATS.values() for s in f.suffixes}
    assert set(offered) == table and len(offered) == len(table)
    r = client.post("/api/upload?name=notes.odt", content=b"x")
    assert r.status_code == 400
    line = one_line(r)
    assert "notes.odt" in line and "'.odt'" in line
    for f in FORMATS.values():
        if not f.folder and f.shown:
            assert f.shown in line, f.name


def test_upload_of_several_scenarios_offers_a_choice(client):
    r = client.post("/api/upload?name=small.tsv", content=BASES["small.tsv"].encode())
    body = r.json()
    if "choices" in body:
        first = body["choices"][0]
        picked = client.post(f"/api/upload?name=small.tsv&select={first}", content=BASES["small.tsv"].encode()).json()
        assert picked["scenario"]["id"] == first


HOSTILE_UPLOADS = [(name, label, data) for name, text in BASES.items() for label, data in _mutants(name, text, 24)] + [
    ("hostile.yaml", label, data) for label, data in YAML_SPECIALS]


def test_hostile_uploads_get_one_line_errors_naming_the_file(client):
    assert len(HOSTILE_UPLOADS) > 150
    for name, label, data in HOSTILE_UPLOADS:
        r = client.post(f"/api/upload?name={name}", content=data, headers={"content-type": "application/octet-stream"})
        assert r.status_code in (200, 400, 413), (name, label, r.status_code, r.text[:300])
        if r.status_code == 400:
            assert name in one_line(r), (name, label, r.text[:300])
    assert client.get("/api/info").status_code == 200


def test_an_uploaded_name_is_never_a_path(client, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text(BASES["hostile.yaml"])
    r = client.post(f"/api/upload?name={secret}", content=b"id: [unclosed")
    assert r.status_code == 400
    assert str(tmp_path) not in r.text and "secret.yaml" in r.text  # the bytes sent were read, not the file named
    r = client.post("/api/upload?name=../../etc/passwd", content=b"root:x:0:0")
    assert r.status_code == 400 and "unknown file type" in r.text


# ------------------------------------------------------------------ safety
TRAVERSALS = [
    "/static/../../etc/passwd", "/static/..%2f..%2fetc%2fpasswd", "/static/%2e%2e/app.py", "/static/app.py",
    "/static/..", "/static/%2e%2e", "/static/plotly.min.js%00.css", "/static//etc/passwd", "/static/..\\..\\app.py",
    "/api/bundled/..%2f..%2fetc%2fpasswd", "/api/bundled/%2fetc%2fpasswd", "/api/bundled/../../pyproject",
    "/api/bundled/..", "/etc/passwd", "/api/sweep/..%2f..", "/src/tertius/web/app.py", "/../../../../etc/passwd",
]


def raw_get(url: str, path: str) -> tuple[int, bytes]:
    """GET ``path`` exactly as written (an HTTP client would normalise the dots away)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{parts.port}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data


def test_path_traversal_gets_404():
    with live_server(create_app()) as url:
        for path in TRAVERSALS:
            status, data = raw_get(url, path)
            assert status in (400, 404), (path, status, data[:200])
            assert b"root:" not in data and b"import " not in data, path
        assert raw_get(url, "/static/app.css")[0] == 200


def test_foreign_origins_cannot_change_state(client, default):
    body = {"scenario": default}
    assert post(client, "/api/run", body, origin="http://evil.example").status_code == 403
    assert post(client, "/api/run", body, origin="null").status_code == 403
    assert post(client, "/api/run", body, **{"sec-fetch-site": "cross-site"}).status_code == 403
    assert post(client, "/api/sweep", {**body, "n": 10}, origin="http://127.0.0.1:9").status_code == 403
    assert post(client, "/api/run", body, origin=BASE, **{"sec-fetch-site": "same-origin"}).status_code == 200
    # a form post (what a foreign page can send without a preflight) is not JSON: refused
    r = client.post("/api/run", content=json.dumps(body), headers={"content-type": "text/plain"})
    assert r.status_code == 415


def test_unknown_hosts_are_refused(client):
    assert client.get("/api/info", headers={"host": "evil.example:8765"}).status_code == 400
    assert client.get("/api/info", headers={"host": "localhost:8765"}).status_code == 200


def test_bodies_over_the_limit_get_413(default):
    limits = api.Limits(max_body=10_000)
    with TestClient(create_app(limits=limits), base_url=BASE) as c:
        big = b"x" * 20_000
        assert c.post("/api/upload?name=a.yaml", content=big).status_code == 413
        assert post(c, "/api/run", {"scenario": default, "pad": "x" * 20_000}).status_code == 413

        def stream():  # no Content-Length: counted as it arrives
            for _ in range(20):
                yield b"x" * 1000

        assert c.post("/api/upload?name=a.yaml", content=stream()).status_code == 413
        assert c.post("/api/upload?name=a.yaml", content=b"x", headers={"content-length": "-5"}).status_code in (400, 413)
        assert c.get("/api/info").status_code == 200


def test_sizes_draws_and_sweeps_have_limits(client, default):
    big = {"id": "big", "actors": [{"id": f"a{k}", "capability": 1} for k in range(201)],
           "issues": [{"id": "i"}], "stances": [{"actor": f"a{k}", "issue": "i", "position": k % 100, "salience": 1}
                                               for k in range(201)]}
    r = post(client, "/api/run", {"scenario": big})
    assert r.status_code == 400 and "at most 200 actors" in one_line(r)
    assert post(client, "/api/third-parties", {"scenario": default, "draws": 10**6}).status_code == 400
    assert post(client, "/api/sweep", {"scenario": default, "n": 10**6}).status_code == 400
    assert post(client, "/api/sweep", {"scenario": default, "n": "many"}).status_code == 400
    assert post(client, "/api/sweep", {"scenario": default, "model": "../x"}).status_code == 400
    assert post(client, "/api/run", {"scenario": default, "seed": -1}).status_code == 400
    assert post(client, "/api/run", {"scenario": default, "models": ["nope"]}).status_code == 400
    assert client.post("/api/run", content=b"{not json", headers=JSON).status_code == 400
    assert client.post("/api/run", content=b"[1, 2]", headers=JSON).status_code == 400


def test_a_model_run_past_its_time_limit_is_stopped_for_the_page(default):
    with TestClient(create_app(limits=api.Limits(run_seconds=0.0001)), base_url=BASE) as c:
        r = post(c, "/api/run", {"scenario": default})
        assert r.status_code == 503 and "limit" in one_line(r)


def test_a_pooled_task_past_its_limit_is_a_timeout_and_one_still_waiting_is_busy():
    """In the worker pool, a task that has started and runs past the limit raises TimeoutError
    (503: the computation is too slow); one still waiting for a worker is withdrawn and reported
    busy (429: the server is loaded), and never runs."""
    import asyncio
    import threading

    from tertius.web.pool import Busy, HeavyPool

    pool = HeavyPool(workers=1, capacity=3, processes=False)
    ran: list[str] = []

    async def scenario() -> None:
        started = threading.Event()

        def slow() -> None:
            started.set()
            time.sleep(0.6)
            ran.append("slow")

        first = asyncio.ensure_future(pool.run(slow, timeout=0.3))
        await asyncio.to_thread(started.wait, 10)
        with pytest.raises(Busy) as busy:
            await pool.run(ran.append, "queued", timeout=0.1)
        assert busy.value.retry_after >= 1
        with pytest.raises(TimeoutError):
            await first

    try:
        asyncio.run(scenario())
        time.sleep(0.8)
        assert ran == ["slow"] and pool.in_flight == 0
    finally:
        pool.shutdown(wait=True)


def test_a_failure_inside_is_a_500_and_the_server_stays_up(monkeypatch, default):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "run", broken)
    with TestClient(create_app(), base_url=BASE, raise_server_exceptions=False) as c:
        r = post(c, "/api/run", {"scenario": default})
        assert r.status_code == 500 and "boom" in one_line(r)
        assert c.get("/api/info").status_code == 200


# ------------------------------------------------------------------ sweeps
def wait(client, key, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = client.get(f"/api/sweep/{key}").json()
        if st["state"] != "running":
            return st
        time.sleep(0.05)
    raise AssertionError("the sweep did not finish")


def test_a_sweep_runs_to_the_same_draws_as_the_sweep_engine(client, default):
    r = post(client, "/api/sweep", {"scenario": default, "model": "compromise", "n": 250, "seed": 7, "position": 5})
    assert r.status_code == 200
    st = wait(client, r.json()["id"])
    assert st["state"] == "done" and st["done"] == 250
    s = load_scenario()
    spec = (s.perturbation or Perturbation()).model_copy(update={"position": 5.0})
    job = SweepJob(scenario=s, model="compromise", params={}, spec=spec, seed=7, n=250, chunk_size=api.SWEEP_CHUNK)
    import numpy as np
    import pandas as pd

    table = pd.concat([run_chunk(job, i)["table"] for i in range(job.chunks)])
    expected = np.quantile(table.loc[table["issue"] == "amur", "outcome"], 0.5)
    assert st["result"]["summary"]["quantiles"]["amur"]["q50"] == pytest.approx(expected)
    assert len(st["result"]["values"]["amur"]) == 250
    unperturbed = run_model(s, "compromise").outcome[s.issue_ids.index("amur")]
    assert st["result"]["summary"]["unperturbed"]["amur"] == pytest.approx(unperturbed)


def test_a_sweep_shows_the_third_party_shares_of_tertius_sweep(client, default, tmp_path):
    """With a conflict, the page's sweep carries the library's shares (``third_party_shares``) and runs
    with the model's parameters as ``-p`` gives them."""
    from tertius.sweeps import sweep

    r = post(client, "/api/sweep", {"scenario": default, "model": "bdm", "n": 200, "seed": 3,
                                    "params": {"bdm": {"rounds": 4}}})
    assert r.status_code == 200
    st = wait(client, r.json()["id"])
    assert st["state"] == "done", st
    s = load_scenario()
    lib = sweep(s, "bdm", n=200, seed=3, params={"rounds": 4}, out=tmp_path / "sweep",
                chunk_size=api.SWEEP_CHUNK)
    shown = st["result"]["summary"]
    assert shown["third_party_shares"] == lib.summary["third_party_shares"] and shown["third_party_shares"]
    assert shown["params"] == {"rounds": 4}
    assert shown["quantiles"] == lib.summary["quantiles"]


def test_a_sweep_can_be_cancelled_and_sweeps_at_once_are_capped(default):
    with TestClient(create_app(limits=api.Limits(max_sweeps=1)), base_url=BASE) as c:
        first = post(c, "/api/sweep", {"scenario": default, "model": "best", "n": 5000}).json()["id"]
        second = post(c, "/api/sweep", {"scenario": default, "n": 10})
        assert second.status_code == 429 and "running already" in one_line(second)
        assert c.post(f"/api/sweep/{first}/cancel", headers=JSON, content=b"{}").status_code == 200
        st = wait(c, first)
        assert st["state"] == "cancelled" and st["done"] < 5000
        assert c.get("/api/sweep/not-a-sweep").status_code == 404


def test_a_sweep_past_its_time_limit_fails_with_a_message(default):
    with TestClient(create_app(limits=api.Limits(sweep_seconds=0.0)), base_url=BASE) as c:
        key = post(c, "/api/sweep", {"scenario": default, "n": 500}).json()["id"]
        st = wait(c, key)
        assert st["state"] == "failed" and "limit" in st["error"]


# ------------------------------------------------------------------ the worker pool of heavy requests
def test_a_full_pool_refuses_heavy_requests_with_429_and_retry_after_and_runs_still_answer(default):
    """Heavy requests that find the worker pool full are refused at once with 429 and a Retry-After
    (never queued into a 5xx), while /api/run, which does not use the pool, still answers; once the
    pool has room the same requests go through."""
    import threading

    from tertius.web.pool import HeavyPool

    pool = HeavyPool(workers=1, capacity=1, processes=False)
    release = threading.Event()
    with TestClient(create_app(limits=ROOMY, pool=pool), base_url=BASE) as c:
        blocker = pool.submit(release.wait, 60)  # one task in flight: the pool is full
        try:
            for url, body in [("/api/third-parties", {"scenario": default, "draws": 20}),
                              ("/api/breakeven", {"scenario": default}),
                              ("/api/export/results", {"scenario": default}),
                              ("/api/sweep", {"scenario": default, "n": 10})]:
                r = post(c, url, body)
                assert r.status_code == 429, (url, r.status_code)
                assert int(r.headers["retry-after"]) >= 1 and "busy" in one_line(r) and "\n" not in one_line(r)
            assert post(c, "/api/run", {"scenario": default}).status_code == 200
            assert post(c, "/api/export/yaml", {"scenario": default}).status_code == 200  # cheap: not pooled
        finally:
            release.set()
            blocker.result(timeout=60)
        deadline = time.monotonic() + 30
        while pool.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        r = post(c, "/api/third-parties", {"scenario": default, "draws": 20})
        assert r.status_code == 200 and r.json()["third_parties"] is not None
        assert pool.in_flight == 0


def test_the_pool_falls_back_to_threads_where_processes_cannot_start(monkeypatch, default):
    from tertius.web import pool as pool_module

    def no_processes(*args, **kwargs):
        raise OSError("no semaphores here")

    monkeypatch.setattr(pool_module, "ProcessPoolExecutor", no_processes)
    pool = pool_module.HeavyPool(workers=1)
    with TestClient(create_app(limits=ROOMY, pool=pool), base_url=BASE) as c:
        r = post(c, "/api/third-parties", {"scenario": default, "draws": 20, "seed": 1})
        assert r.status_code == 200 and pool.kind == "threads"
        assert c.get("/api/info").json()["pool"] == {"workers": 1, "kind": "threads",
                                                     "fallback": "OSError: no semaphores here"}
    assert r.json()["third_parties"] == json.loads(json.dumps(third_parties(load_scenario(), draws=20, seed=1)))


def test_heavy_requests_in_worker_processes_give_the_librarys_numbers_and_sweeps_its_bytes(default, tmp_path):
    """In worker processes, the third-party analysis is the library's, and a sweep run through the
    pool (the sweep engine's ``executor=``) writes the same tables, byte for byte, as in-process."""
    from tertius.sweeps import sweep
    from tertius.web.pool import HeavyPool

    pool = HeavyPool(workers=2)
    try:
        with TestClient(create_app(limits=ROOMY, pool=pool), base_url=BASE) as c:
            r = post(c, "/api/third-parties", {"scenario": default, "draws": 50, "seed": 4})
            assert r.status_code == 200
        assert pool.kind == "processes"
        s = load_scenario()
        assert r.json()["third_parties"] == json.loads(json.dumps(third_parties(s, draws=50, seed=4)))
        pooled = sweep(s, "bdm", n=250, seed=5, chunk_size=100, executor=pool, out=tmp_path / "pooled")
        plain = sweep(s, "bdm", n=250, seed=5, chunk_size=100, out=tmp_path / "plain")
        for name in ("table", "options"):
            assert pooled.tables[name].to_csv().encode() == plain.tables[name].to_csv().encode()
        assert sorted(p.read_bytes() for p in (tmp_path / "pooled" / "chunks").glob("*-*")) == sorted(
            p.read_bytes() for p in (tmp_path / "plain" / "chunks").glob("*-*"))
        assert pooled.summary == plain.summary
    finally:
        pool.shutdown(wait=True)


def test_heavy_work_runs_at_a_lower_priority_than_the_server():
    """The worker processes are niced below the server, so an edit's /api/run (answered in the
    server) goes before the previous edit's third-party analysis still running in a worker."""
    import os

    from tertius.web.pool import WORKER_NICE, HeavyPool

    pool = HeavyPool(workers=1)
    try:
        worker = pool.executor().submit(os.nice, 0).result(timeout=120)
        assert pool.kind == "processes"
        assert WORKER_NICE > 0 and worker == min(19, os.nice(0) + WORKER_NICE)
    finally:
        pool.shutdown(wait=True)
    unniced = HeavyPool(workers=1, nice=0)
    try:
        assert unniced.executor().submit(os.nice, 0).result(timeout=120) == os.nice(0)
    finally:
        unniced.shutdown(wait=True)


# ------------------------------------------------------------------ on a real socket, and the command
def test_hostile_requests_in_a_loop_leave_a_live_server_answering(default):
    import httpx

    with live_server(create_app(limits=api.Limits(max_body=50_000))) as url, httpx.Client(base_url=url, timeout=30) as c:
        for k in range(40):
            kind = k % 5
            if kind == 0:
                c.post("/api/upload?name=x.yaml", content=b"x" * 60_000)
            elif kind == 1:
                c.post("/api/run", content=b"\xff\xfe garbage", headers=JSON)
            elif kind == 2:
                c.get("/static/..%2f..%2fetc%2fpasswd")
            elif kind == 3:
                c.post("/api/run", json={"scenario": default}, headers={"origin": "http://evil.example"})
            else:
                c.post(f"/api/upload?name=m{k}.yaml", content=HOSTILE_UPLOADS[k][2][:40_000])
        assert c.get("/api/info").status_code == 200
        assert c.post("/api/run", json={"scenario": default}).status_code == 200


def test_serve_refuses_bad_arguments_in_one_line(tmp_path):
    runner = CliRunner()
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [\n")
    for args in (["serve", str(bad)], ["serve", "--port", "70000"], ["serve", str(tmp_path / "missing.yaml")]):
        r = runner.invoke(cli, args)
        assert r.exit_code == 2, (args, r.output)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, r.stderr)


def test_serve_on_a_port_in_use_says_so(tmp_path):
    import socket

    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        r = CliRunner().invoke(cli, ["serve", "--port", str(port)])
    assert r.exit_code == 2 and "--port" in r.stderr and "Traceback" not in r.output


def test_the_static_table_names_files_that_ship(tmp_path):
    root = Path(__file__).resolve().parents[1] / "src" / "tertius" / "web" / "static"
    assert {p.name for p in root.iterdir()} == {"index.html", "app.js", "app.css"}


# Machado, Oliveira and Fernandes (2009), "A physiologically-based model for simulation of color
# vision deficiency", IEEE TVCG 15(6): the deuteranopia matrix at severity 1, on linear RGB.
DEUTERANOPIA = ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881))


def _lab(rgb_hex: str, matrix=None) -> tuple[float, float, float]:
    import numpy as np

    c = np.array([int(rgb_hex.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)])
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    if matrix is not None:
        linear = np.clip(np.array(matrix) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    return (116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2]))


def test_the_charts_colours_stay_apart_for_deuteranopes():
    """Every model's colour, the actors' and the observed outcome's differ by at least 15 (CIE76
    delta E) in normal vision and in a simulation of deuteranopia, and each model has its own
    marker as well."""
    import itertools
    import math
    import re

    from tertius import MODELS

    js = (Path(api.__file__).parent / "static" / "app.js").read_text()
    palette = re.findall(r"#[0-9A-Fa-f]{6}", re.search(r"const PALETTE = \[([^\]]*)\]", js).group(1))
    symbols = re.findall(r'"([a-z-]+)"', re.search(r"const SYMBOLS = \[([^\]]*)\]", js).group(1))
    actors = re.search(r'const ACTOR_COLOUR = "(#[0-9A-Fa-f]{6})"', js).group(1)
    observed = re.search(r'const OBSERVED_COLOUR = "(#[0-9A-Fa-f]{6})"', js).group(1)
    assert len(palette) >= len(MODELS) and len(set(symbols)) >= len(MODELS)
    colours = [*palette[: len(MODELS)], actors, observed]
    for matrix in (None, DEUTERANOPIA):
        for a, b in itertools.combinations(colours, 2):
            assert math.dist(_lab(a, matrix), _lab(b, matrix)) >= 15, (a, b, matrix is not None)
    # the check can fail: the page's old blues (mean against best) are 1 apart for a deuteranope
    assert math.dist(_lab("#1b6ca8", DEUTERANOPIA), _lab("#30638e", DEUTERANOPIA)) < 15
