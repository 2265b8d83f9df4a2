"""``tertius serve`` driven in a real headless Chromium (Debian's, through Playwright's
``executable_path``; nothing is downloaded). Skipped where no Chromium or Playwright is installed,
except under ``TERTIUS_REQUIRE_BROWSER=1``, which ``.ci/run`` sets after installing Chromium.

A screenshot of the main view is kept in ``test-artifacts/serve-main.png`` (or under
``TERTIUS_ARTIFACTS``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.webserver import CHROMIUM_ARGS, chromium_path, live_server

REQUIRED = os.environ.get("TERTIUS_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(os.environ.get("TERTIUS_ARTIFACTS", Path(__file__).resolve().parents[1] / "test-artifacts"))


def _need_browser() -> str:
    path = chromium_path()
    try:
        import playwright.sync_api  # noqa: F401
        import starlette  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        if REQUIRED:
            pytest.fail("browser tests need Chromium (apt-get install chromium) and pip install -e '.[test]'")
        pytest.skip("no Chromium or Playwright here")
    return path


@pytest.fixture(scope="module")
def browser():
    executable = _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(browser):
    from tertius.web import api
    from tertius.web.app import create_app

    # The page's behaviour is under test, not its speed: a loaded machine may pass the 20 s limit.
    with live_server(create_app(limits=api.Limits(run_seconds=300.0))) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("dialog", lambda d: d.accept())  # confirmations (removing an actor in the conflict…) say yes
        pg.goto(url + "/")
        pg.wait_for_selector("body[data-runs]")
        pg.wait_for_selector("#thirdparty table")
        pg.errors = errors  # type: ignore[attr-defined]
        yield pg
        context.close()


def runs(pg) -> int:
    return int(pg.evaluate("document.body.dataset.runs || 0"))


def cell(pg, issue: str, model: str) -> str:
    return pg.inner_text(f'#forecast-table tr[data-issue="{issue}"] td[data-model="{model}"]')


def test_the_default_scenario_shows_every_models_forecast(page):
    from tertius import MODELS, load_scenario

    s = load_scenario()
    headers = page.locator("#forecast-table tr").first.inner_text()
    for model in MODELS:
        assert model in headers
    assert page.locator("#forecast-table tr[data-issue]").count() == len(s.issues)
    assert page.locator("figure.chart .main-svg").count() >= len(s.issues)
    assert "Russian Empire" in page.inner_text("#thirdparty") and "stay out" in page.inner_text("#thirdparty")
    assert "join the Allies" in page.inner_text("#thirdparty")  # the Option table's labels, sides filled in
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "serve-main.png"))
    assert (ARTIFACTS / "serve-main.png").stat().st_size > 10_000
    assert page.errors == []


def test_changing_a_salience_moves_the_table_and_the_chart(page):
    chart = '[data-chart="chart-amur"] .plot'
    before_cell = cell(page, "amur", "compromise")
    forecast = (f"(f => f.x[f.text.indexOf('compromise')])"  # the forecasts trace: a point per model
                f"(document.querySelector('{chart}').data.find(t => t.name === 'forecasts'))")
    before_x = page.evaluate(forecast)
    before_size = page.evaluate(f"document.querySelector('{chart}').data[0].marker.size.slice()")
    n = runs(page)
    box = page.get_by_label("Russian Empire salience on amur")
    box.fill("1")
    box.press("Enter")
    page.wait_for_function("n => Number(document.body.dataset.runs) > n", arg=n)
    assert cell(page, "amur", "compromise") != before_cell
    after_x = page.evaluate(forecast)
    after_size = page.evaluate(f"document.querySelector('{chart}').data[0].marker.size")
    assert after_x > before_x and after_size != before_size
    assert page.evaluate("window.tertiusTimings.length") >= 1


def test_a_bad_value_shows_the_clis_error_beside_the_field(page):
    box = page.get_by_label("France salience on ports")
    box.fill("-3")
    box.press("Enter")
    note = page.locator(".field-error")
    note.wait_for()
    assert "salience" in page.inner_text("#scenario-error") and "fix" in note.inner_text()
    box = page.get_by_label("France salience on ports")
    box.fill("0.5")
    box.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('.field-error').length === 0")


def test_the_source_of_a_number_shows_and_can_be_edited(page):
    page.get_by_label("United Kingdom capability").focus()
    assert page.locator("#source-panel").is_visible()
    assert page.input_value("#source-text") or page.input_value("#assumption-text")


def _russia_amur(data: dict) -> dict:
    return next(st for st in data["stances"] if st["actor"] == "russia" and st["issue"] == "amur")


def _export_yaml(pg, tmp_path) -> dict:
    import yaml

    with pg.expect_download(timeout=60_000) as info:
        pg.click('[data-export="yaml"]')
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return yaml.safe_load(path.read_text())


def test_an_edited_number_loses_its_old_source_in_the_export(page, tmp_path):
    """Provenance stays true: the old source described the old number, so an edited number is
    exported with what the user gave for it, never with the old source."""
    from tertius import load_scenario
    from tertius.io import load_scenario as load_file

    old = _russia_amur(load_scenario().to_data())
    old_sal = old["salience"]
    assert isinstance(old_sal, dict) and (old_sal.get("source") or old_sal.get("assumption"))
    n = runs(page)
    box = page.get_by_label("Russian Empire salience on amur")
    box.fill("0.1")
    box.press("Enter")
    page.wait_for_function("n => Number(document.body.dataset.runs) > n", arg=n)
    assert "edited" in (box.get_attribute("class") or "")
    assert "edited here" in page.inner_text("#source-label")
    exported = _russia_amur(_export_yaml(page, tmp_path))
    assert exported["salience"] == 0.1  # a bare number: no source and no assumption was given
    assert exported["position"] == old["position"]  # the untouched number keeps its own
    page.fill("#assumption-text", "my own reading of the 1858 talks")
    page.dispatch_event("#assumption-text", "change")
    exported = _russia_amur(_export_yaml(page, tmp_path))
    assert exported["salience"] == {"value": 0.1, "assumption": "my own reading of the 1858 talks"}
    path = tmp_path / "exported.yaml"
    import yaml

    path.write_text(yaml.safe_dump(_export_yaml(page, tmp_path)))
    assert load_file(path).to_data()["stances"] == _export_yaml(page, tmp_path)["stances"]


def test_the_pages_mae_is_the_clis(page, tmp_path):
    import json

    from typer.testing import CliRunner

    from tertius.cli import app as cli

    data = page.evaluate("JSON.stringify(S.scenario)")
    path = tmp_path / "now.json"
    path.write_text(data)
    r = CliRunner().invoke(cli, ["run", str(path), "--format", "json", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    scores = json.loads(r.stdout)["scores"]["models"]
    row = page.locator("#forecast-table tr.mae")
    for m, score in scores.items():
        shown = row.locator(f'td[data-model="{m}"]').inner_text()
        assert float(shown) == pytest.approx(score["mae"], abs=0.051), m


def scenario_now(pg) -> dict:
    import json

    return json.loads(pg.evaluate("JSON.stringify(S.scenario)"))


def wait_run(pg, n: int) -> None:
    pg.wait_for_function("n => Number(document.body.dataset.runs || 0) > n", arg=n)


def test_removing_an_actor_in_the_conflict_asks_and_undo_brings_it_back(page):
    before = scenario_now(page)
    assert "russia" in before["conflict"]["third_parties"]
    messages: list[str] = []
    page.once("dialog", lambda d: messages.append(d.message))
    n = runs(page)
    page.get_by_label("remove actor russia", exact=True).click()
    wait_run(page, n)
    after = scenario_now(page)
    assert messages and "conflict.third_parties" in messages[0] and "stances" in messages[0]
    assert "russia" not in {a["id"] for a in after["actors"]}
    assert "russia" not in after["conflict"]["third_parties"]
    assert "russia" not in after["conflict"]["costs"]
    assert all(sp["beneficiary"] != "russia" for sp in after["conflict"]["spillovers"])
    assert not page.locator("#scenario-error").inner_text()  # the scenario stays valid: no dangling id
    n = runs(page)
    page.click("#undo")
    wait_run(page, n)
    assert scenario_now(page) == before
    n = runs(page)
    page.click("#redo")
    wait_run(page, n)
    assert scenario_now(page) == after
    page.click("#undo")


def test_work_is_autosaved_and_survives_a_reload(page):
    n = runs(page)
    page.get_by_label("scenario title").fill("My working copy")
    page.get_by_label("scenario title").press("Enter")
    wait_run(page, n)
    kept = scenario_now(page)
    page.reload()
    page.wait_for_selector("body[data-runs]")
    assert scenario_now(page) == kept
    assert "restored" in page.inner_text("#status") or page.get_by_label("scenario title").input_value() == "My working copy"
    page.fill("#project-name", "opium")
    page.click("#project-save")
    assert "opium" in page.locator("#projects option").all_inner_texts()
    assert "saved" in page.inner_text("#project-state")


def test_a_conflict_built_from_an_empty_scenario_runs_the_broker_and_exports(page, tmp_path):
    import json

    n = runs(page)
    page.select_option("#pick", "")
    page.wait_for_function("() => S.scenario.actors.length === 0")
    for _ in range(3):
        page.click("#add-actor")
    page.click("#add-issue")
    for j, cap in enumerate((3, 2, 1)):
        box = page.locator(f'input[data-path="actors[{j}].capability"]')
        box.fill(str(cap))
        box.press("Enter")
    for j, miles in enumerate((300, 900, 500)):  # the War Trap's distance to the theatre
        page.locator("details.more summary").nth(j).click()
        page.get_by_title(f"add actor-{j + 1} distance").click()
        box = page.get_by_label(f"actor-{j + 1} distance")
        box.fill(str(miles))
        box.press("Enter")
    for k in range(3):  # each click redraws the grid: the next empty cell is the first one left
        page.locator("#stances button.add").first.click()
        page.wait_for_function("k => S.scenario.stances.length === k", arg=k + 1)
    for j, pos in enumerate((0, 100, 70)):
        box = page.locator(f'input[data-path="stances[{j}].position"]')
        box.fill(str(pos))
        box.press("Enter")
    page.click("#add-conflict")
    page.get_by_label("conflict side a name").fill("West")
    page.get_by_label("conflict side a name").press("Enter")
    page.get_by_label("conflict side b name").fill("East")
    page.get_by_label("conflict side b name").press("Enter")
    page.get_by_label("conflict side a actors").select_option("actor-1")
    page.get_by_label("conflict side b actors").select_option("actor-2")
    page.get_by_label("conflict stakes").select_option("issue-1")
    n = int(page.evaluate("document.body.dataset.thirdParties || 0"))
    page.get_by_label("conflict third parties").select_option("actor-3")
    page.wait_for_function("n => Number(document.body.dataset.thirdParties || 0) > n", arg=n)
    page.wait_for_selector("#thirdparty table")
    assert not page.locator("#scenario-error").inner_text()
    shown = json.loads(page.evaluate("JSON.stringify(S.thirdParties)"))
    assert [tp["third_party"] for tp in shown["phases"][0]["third_parties"]] == ["actor-3"]
    _the_cli_on_the_export_gives(page, tmp_path, _export_yaml(page, tmp_path), shown)
    page.wait_for_function("() => S.scenario.id === 'second-opium-war'")


def _the_cli_on_the_export_gives(page, tmp_path, exported: dict, shown: dict) -> None:
    """`tertius broker` on the page's export gives the page's third-party analysis; then the page
    goes back to the default scenario, which the tests after this one work on."""
    import json

    import yaml
    from typer.testing import CliRunner

    from tertius.cli import app as cli

    path = tmp_path / "exported.yaml"
    path.write_text(yaml.safe_dump(exported, sort_keys=False))  # the draws follow the inputs' order
    r = CliRunner().invoke(cli, ["broker", str(path), "--format", "json", "--draws", "200", "--seed", "0"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == shown
    n = runs(page)
    page.select_option("#pick", "second-opium-war")
    wait_run(page, n)


def test_the_games_setting_is_edited_on_the_page_and_played_as_the_cli_plays_it(page, tmp_path):
    """The conflict's join cost and its two switches (pivotal deterrence, the prestige of
    convening) are fields of the page's conflict editor: set to the casebook's setting, the page's
    third-party analysis is `tertius broker`'s on the exported scenario, and says it plays there."""
    import json

    from tertius.conflict.casebook import fitted_setting
    from tertius.conflict.thirdparty import setting_words

    shipped = fitted_setting()  # casebook_fit.json's setting, with both switches on
    cost = shipped["join_cost"]
    assert shipped["pivotal"] and shipped["convening"]
    page.wait_for_function("() => S.scenario.id === 'second-opium-war' && S.thirdParties")
    page.get_by_title("add conflict join cost").click()
    box = page.get_by_label("conflict join cost")
    box.fill(f"{cost:g}")
    box.press("Enter")
    for switch in ("pivotal", "convening"):
        page.get_by_title(f"add conflict {switch}").click()
        n = int(page.evaluate("document.body.dataset.thirdParties || 0"))
        page.get_by_label(f"conflict {switch}").check()
        page.wait_for_function("n => Number(document.body.dataset.thirdParties || 0) > n", arg=n)
    page.wait_for_function("() => S.thirdParties.params.setting.convening === true")
    shown = json.loads(page.evaluate("JSON.stringify(S.thirdParties)"))
    assert shown["params"]["setting"] == {"join_cost": cost, "pivotal": True, "convening": True}
    answers = [t["answer"] for p in shown["phases"] for t in p["third_parties"]]
    assert all(a.endswith(f"The game is played at the setting selected on the casebook ({setting_words(shipped)}).")
               for a in answers)
    exported = _export_yaml(page, tmp_path)
    edited = exported["conflict"]["join_cost"]  # an edited number: bare until a source is given
    assert exported["conflict"]["pivotal"] is True
    assert (edited["value"] if isinstance(edited, dict) else edited) == cost
    _the_cli_on_the_export_gives(page, tmp_path, exported, shown)
    page.wait_for_function("() => S.scenario.conflict && S.scenario.conflict.pivotal === undefined")


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_forecast_table_and_stance_grid_fit_without_scrolling(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    try:
        for table in ("#forecast-table", "#stances"):
            box = page.evaluate(f"""() => {{ const t = document.querySelector('{table}'); const s = t.parentElement;
                return [t.getBoundingClientRect().right, s.clientWidth, s.scrollWidth,
                        document.documentElement.clientWidth]; }}""")
            right, client, scroll, viewport = box
            assert scroll <= client + 1 and right <= viewport, (table, width, box)
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    finally:
        page.set_viewport_size({"width": 1400, "height": 1000})


def test_no_request_leaves_the_origin_and_no_chart_offers_to_share(browser, tmp_path):
    """The page works with no network: using every control sends requests to its own origin
    only, and no plotly toolbar has an entry that could upload a chart."""
    from tertius.web import api
    from tertius.web.app import create_app

    # The page's behaviour is under test, not its speed: a loaded machine may pass the 20 s limit.
    with live_server(create_app(limits=api.Limits(run_seconds=300.0))) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        pg = context.new_page()
        requests: list[str] = []
        pg.on("request", lambda r: requests.append(r.url))
        pg.on("dialog", lambda d: d.accept())
        pg.goto(url + "/")
        pg.wait_for_selector("#thirdparty table")
        n = runs(pg)
        box = pg.get_by_label("France salience on ports")
        box.fill("0.3")
        box.press("Enter")
        wait_run(pg, n)
        pg.focus('input[data-path="actors[0].capability"]')
        pg.fill("#source-text", "a source")
        pg.dispatch_event("#source-text", "change")
        pg.click("#undo")
        pg.click("#redo")
        pg.fill("#project-name", "p")
        pg.click("#project-save")
        pg.select_option("#rounds-model", "exchange")
        pg.fill("#rounds-slider", "1")
        pg.dispatch_event("#rounds-slider", "input")
        for kind in ("yaml", "xlsx", "results"):
            try:
                with pg.expect_download(timeout=60_000):
                    pg.click(f'[data-export="{kind}"]')
            except Exception:
                raise AssertionError(kind + ": " + pg.inner_text("#status")) from None
        with pg.expect_download():
            pg.locator('[data-chart="chart-ports"] figcaption button', has_text="PNG").click()
        plot = pg.locator('[data-chart="chart-ports"] .plot')
        plot.hover()
        titles = pg.eval_on_selector_all(".modebar-btn", "bs => bs.map(b => b.getAttribute('data-title') || '')")
        assert titles and not [t for t in titles if "share" in t.lower() or "cloud" in t.lower()], titles
        for i in range(pg.locator('[data-chart="chart-ports"] .modebar-btn').count()):
            button = pg.locator('[data-chart="chart-ports"] .modebar-btn').nth(i)
            if not (button.get_attribute("data-title") or "").lower().startswith("download"):
                button.click()  # the PNG download is the figcaption's, above
        pg.fill("#sweep-n", "200")
        pg.click("#sweep-run")
        pg.wait_for_function("() => document.getElementById('sweep-state').textContent.startsWith('done')", timeout=60_000)
        pg.get_by_label("conflict third parties").select_option("qing")
        pg.wait_for_timeout(300)
        pg.select_option("#pick", "eu-emissions-1994")
        pg.wait_for_function("() => S.scenario.id === 'eu-emissions-1994'")
        pg.wait_for_timeout(500)
        context.close()
    foreign = [u for u in requests if not (u.startswith(url + "/") or u.startswith(("data:", "blob:")))]
    assert requests and not foreign, foreign


def test_a_pinned_baseline_shows_changed_inputs_and_forecasts(page):
    page.click("#pin")
    assert "no input differs" in page.inner_text("#compare")
    n = runs(page)
    box = page.get_by_label("Qing China salience on amur")
    old = box.input_value()
    box.fill("0.95")
    box.press("Enter")
    wait_run(page, n)
    rows = page.locator("#compare-inputs tr.changed").all_inner_texts()
    assert any("qing/amur.salience" in r and "0.95" in r for r in rows), rows
    changed = page.locator("#compare-forecasts td.changed").all_inner_texts()
    assert changed and all("→" in c for c in changed)
    n = runs(page)
    box.fill(old)
    box.press("Enter")
    wait_run(page, n)


def test_a_sweep_runs_to_completion(page):
    page.fill("#sweep-n", "300")
    page.click("#sweep-run")
    page.wait_for_function("() => document.getElementById('sweep-state').textContent.startsWith('done')",
                           timeout=60_000)
    assert page.locator("#sweep-table tr").count() == 1 + 8
    assert page.locator("#sweep-chart .main-svg").count() >= 1
    assert "Russian Empire" in page.inner_text("#sweep-shares")  # the third parties' shares beside it
    # one axis per issue, on that issue's scale (ports 0-11 and indemnity 0-16 are not squashed onto 0-100)
    from tertius import load_scenario

    s = load_scenario()
    ranges = page.evaluate("""() => { const l = document.getElementById('sweep-chart').layout;
        return Object.keys(l).filter((k) => k.startsWith('xaxis')).map((k) => l[k].range); }""")
    assert sorted(round((hi - lo) / 1.06, 6) for lo, hi in ranges) == sorted(i.scale.max - i.scale.min for i in s.issues)
    labels = page.evaluate("document.getElementById('sweep-chart').layout.annotations.map((a) => a.text)")
    assert sorted(labels) == sorted(i.name for i in s.issues)  # every issue's whole name


def test_the_rounds_slider_lists_the_moves(page):
    page.select_option("#rounds-model", "bdm")
    page.fill("#rounds-slider", "1")
    page.dispatch_event("#rounds-slider", "input")
    assert page.locator("#rounds-moves li").count() >= 1
    assert "moves on" in page.inner_text("#rounds-moves")


def test_the_rounds_chart_draws_each_issues_positions_per_round(page):
    page.select_option("#rounds-model", "bdm")
    page.dispatch_event("#rounds-model", "change")
    page.wait_for_selector("#rounds-chart .main-svg")
    traces = page.evaluate("document.getElementById('rounds-chart').data.length")
    from tertius import load_scenario

    s = load_scenario()
    assert traces == len(s.stances) + len(s.issues)  # a line per stance and the forecast per issue


def test_the_rounds_chart_out_of_view_waits_and_is_drawn_from_the_latest_run_in_view(page):
    shown = """() => { const gd = document.getElementById('rounds-chart');
        const r = S.result.rounds[document.getElementById('rounds-model').value];
        return [gd.data.filter((t) => t.name === r.label).map((t) => t.y),
                Object.keys(r.positions).map((id) => r.values[id])]; }"""
    page.locator("#rounds").scroll_into_view_if_needed()
    page.wait_for_selector("#rounds-chart .main-svg")
    drawn, latest = page.evaluate(shown)
    assert drawn == latest  # in view: drawn with every run
    n, deferred = runs(page), int(page.evaluate("document.body.dataset.roundsDrawn || 0"))
    box = page.get_by_label("Qing China salience on amur")  # far above the rounds: the chart goes out of view
    box.fill("0.15" if box.input_value() != "0.15" else "0.85")
    box.press("Enter")
    page.wait_for_function("n => Number(document.body.dataset.runs) > n", arg=n)
    stale, latest = page.evaluate(shown)
    assert stale == drawn and latest != drawn  # the new run's rounds are not drawn yet, the old ones stay
    page.locator("#rounds").scroll_into_view_if_needed()
    page.wait_for_function("n => Number(document.body.dataset.roundsDrawn || 0) > n", arg=deferred)
    now, latest = page.evaluate(shown)
    assert now == latest
    assert page.evaluate("window.tertiusDeferred.length") >= 1


def test_a_changed_model_parameter_is_run_and_shown(page, tmp_path):
    from typer.testing import CliRunner

    from tertius.cli import app as cli

    n = runs(page)
    box = page.locator('#params fieldset[data-model="bdm"] input[data-param="rounds"]')
    box.fill("3")
    box.press("Enter")
    page.wait_for_function("n => Number(document.body.dataset.runs) > n", arg=n)
    r = CliRunner().invoke(cli, ["forecast", "-m", "bdm", "-p", "rounds=3", "--format", "json"])
    ports = next(i["outcome"] for i in json.loads(r.stdout)["issues"] if i["id"] == "ports")
    assert float(cell(page, "ports", "bdm").split()[0]) == pytest.approx(ports, abs=0.01)
    page.select_option("#rounds-model", "bdm")
    page.dispatch_event("#rounds-model", "change")
    assert page.evaluate("document.getElementById('rounds-slider').max") == "3"
    n = runs(page)
    page.click('#params fieldset[data-model="bdm"] button')
    page.wait_for_function("n => Number(document.body.dataset.runs) > n", arg=n)
    assert page.evaluate("document.getElementById('rounds-slider').max") == "10"


def test_the_file_box_accepts_the_format_table_s_suffixes(page):
    from tertius.io.formats import SUFFIXES

    assert page.evaluate("document.getElementById('upload').accept").split(",") == list(SUFFIXES)


def test_a_malformed_upload_shows_a_one_line_error(page):
    page.set_input_files("#upload", files=[{"name": "broken.yaml", "mimeType": "application/yaml",
                                            "buffer": b"id: [unclosed\nactors: 3\n"}])
    page.wait_for_function("() => document.getElementById('upload-error').textContent.length > 0")
    text = page.inner_text("#upload-error")
    assert "broken.yaml" in text and "\n" not in text.strip()


def test_a_chart_and_the_report_can_be_downloaded(page, tmp_path):
    for fmt, magic in (("PNG", b"\x89PNG"), ("SVG", b"<svg")):
        with page.expect_download() as info:
            page.locator('[data-chart="chart-legations"] figcaption button', has_text=fmt).click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        assert path.suffix == "." + fmt.lower() and magic in path.read_bytes()[:200]
    with page.expect_download(timeout=60_000) as info:
        page.click('[data-export="report"]')
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name == "report.html" and "<html" in path.read_text().lower()


@pytest.fixture(scope="module")
def report_page(browser, tmp_path_factory):
    import json

    from tertius import load_scenario
    from tertius.analysis import analyse
    from tertius.report.html import render_html

    folder = tmp_path_factory.mktemp("report")
    results = json.loads(json.dumps(analyse(load_scenario(), draws=100)))
    (folder / "report.html").write_text(render_html(results))
    context = browser.new_context(viewport={"width": 800, "height": 1100}, accept_downloads=True)
    pg = context.new_page()
    pg.goto((folder / "report.html").as_uri())
    yield pg
    context.close()


def test_the_run_report_fits_800_pixels(report_page):
    assert report_page.evaluate("document.documentElement.scrollWidth") <= 800
    wide = report_page.evaluate("""() => [...document.querySelectorAll('table')]
        .filter(t => t.scrollWidth > (t.closest('.scroll') || t.parentElement).clientWidth).length""")
    assert wide == 0
    assert report_page.locator("nav.toc a").count() >= 8
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report_page.screenshot(path=str(ARTIFACTS / "report-800.png"))


def test_report_charts_download_as_svg_and_png(report_page, tmp_path):
    for kind, magic in (("svg", b"<svg"), ("png", b"\x89PNG")):
        with report_page.expect_download() as info:
            report_page.locator(f"figure.chart [data-download='{kind}']").first.click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        assert path.suffix == f".{kind}" and magic in path.read_bytes()[:100]


def test_the_report_prints_without_its_navigation(report_page):
    report_page.emulate_media(media="print")
    assert not report_page.locator("nav.toc").is_visible()
    assert not report_page.locator("figcaption.download").first.is_visible()
    report_page.emulate_media(media="screen")


def _pdf_pages(data: bytes) -> int:
    import re

    return len(re.findall(rb"/Type\s*/Page[^s]", data))


def test_the_report_opens_with_a_one_page_summary_and_prints_in_13_pages(report_page):
    report_page.emulate_media(media="print")
    whole = report_page.pdf(format="A4")
    assert _pdf_pages(whole) <= 13  # half the 26 pages the report printed before its summary
    # the summary alone, everything after it hidden, prints on one page
    report_page.add_style_tag(content="#summary ~ * { display: none !important; }")
    assert report_page.locator("#summary").is_visible() and not report_page.locator("#forecasts").is_visible()
    alone = report_page.pdf(format="A4")
    assert _pdf_pages(alone) == 1
    assert "Closest to changing it" in report_page.inner_text("#summary")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report_page.screenshot(path=str(ARTIFACTS / "report-summary.png"))
    report_page.reload()
    report_page.emulate_media(media="screen")


def test_the_summary_prints_on_one_page_from_chromiums_command_line(report_page, tmp_path):
    """As a reader prints it: Chromium's own ``--print-to-pdf`` (not Playwright's ``page.pdf``,
    whose margins default to none), on the paper and margins the report declares (A4, 12 mm)."""
    import subprocess

    from tests.webserver import CHROMIUM_ARGS

    html = report_page.content()
    head = html.index("</head>")
    counts = []
    for name, extra in (("whole", ""), ("summary", "<style>#summary ~ * { display: none !important; }</style>")):
        page, pdf = tmp_path / f"{name}.html", tmp_path / f"{name}.pdf"
        page.write_text(html[:head] + extra + html[head:])
        subprocess.run([_need_browser(), "--headless", *CHROMIUM_ARGS, "--no-pdf-header-footer",
                        f"--print-to-pdf={pdf}", page.as_uri()], check=True, capture_output=True, timeout=300)
        counts.append(_pdf_pages(pdf.read_bytes()))
    assert "size: A4; margin: 12mm" in html
    assert counts[0] <= 13 and counts[1] == 1, counts


def test_no_chart_label_overlaps_its_title(report_page):
    """Every chart's title (its bold first line) is clear of every other text of the chart, as laid
    out by the browser; a clash is reported with the chart's title and the text it hits."""
    clashes = report_page.evaluate("""() => {
        const out = [];
        for (const svg of document.querySelectorAll('figure.chart svg')) {
            const title = svg.querySelector('text[font-weight="600"]');
            if (!title) continue;
            const t = title.getBoundingClientRect();
            for (const other of svg.querySelectorAll('text')) {
                if (other === title || !other.textContent.trim()) continue;
                const o = other.getBoundingClientRect();
                const apart = o.right <= t.left || o.left >= t.right || o.bottom <= t.top || o.top >= t.bottom;
                if (!apart) out.push(title.textContent + ' / ' + other.textContent);
            }
        }
        return out;
    }""")
    assert report_page.locator("figure.chart svg text[font-weight='600']").count() >= 5
    assert clashes == []


def test_the_break_even_values_are_the_clis_and_the_reports(page, tmp_path):
    """What would have to be true: the page shows the break-even values of 'tertius run' on the
    scenario it holds, cell for cell as the report prints them, and an edit marks them out of date."""
    import html

    from typer.testing import CliRunner

    from tertius.cli import app as cli

    path = tmp_path / "now.json"
    path.write_text(page.evaluate("JSON.stringify(S.scenario)"))
    params = json.loads(page.evaluate("JSON.stringify(S.params)"))
    n = int(page.evaluate("document.body.dataset.breakevens || 0"))
    page.click("#breakeven-run")
    page.wait_for_function("n => Number(document.body.dataset.breakevens || 0) > n", arg=n, timeout=60_000)
    given = [a for m, ps in params.items() for k, v in ps.items() for a in ("-p", f"{m}.{k}={v}")]
    r = CliRunner().invoke(cli, ["run", str(path), "--draws", "20", "--out", str(tmp_path / "o"), *given])
    assert r.exit_code == 0, r.output
    report = (tmp_path / "o" / "report.html").read_text()
    results = json.loads((tmp_path / "o" / "results.json").read_text())
    rows = page.evaluate("[...document.querySelectorAll('#breakeven-moves tr')].slice(1)"
                         ".map((tr) => [...tr.children].map((c) => c.textContent))")
    moved = [row for row in rows if len(row) == 6]
    assert moved and len(rows) == len(results["scenario"]["issues"])
    for issue, forecast, label, value, at, then in moved:  # the report's row, word for word
        assert (f'<td class="text" rowspan="1">{html.escape(issue)}</td><td rowspan="1">{forecast}</td>'
                f'<td class="text">{html.escape(label)}</td><td>{value}</td><td>{at}</td><td>{then}</td>') in report
    choices = page.evaluate("[...document.querySelectorAll('.breakeven-choice tr')].filter((tr) => tr.dataset.input)"
                            ".map((tr) => [...tr.children].map((c) => c.textContent))")
    flipping = [r for q in results["breakeven"]["questions"] for r in q["inputs"] if not r["safe"]]
    assert choices and len(choices) == len(flipping)
    for label, value, _, flips in choices:  # the words of the report's tornado bars
        for words in flips.split("; "):
            assert html.escape(f"{label}: {words} (assumed {value})") in report, words
    assert page.locator("img.tornado").count() == sum(
        1 for q in results["breakeven"]["questions"] if not all(r["safe"] for r in q["inputs"]))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#breakeven").screenshot(path=str(ARTIFACTS / "serve-breakeven.png"))
    runs_before = runs(page)
    box = page.locator('#stances input[aria-label*=" salience on "]').first
    box.fill("0.37" if box.input_value() != "0.37" else "0.38")
    box.press("Enter")
    wait_run(page, runs_before)
    assert "stale" in page.get_attribute("#breakeven", "class") and "changed" in page.inner_text("#breakeven-state")


def _stance(data: dict, actor: str, issue: str) -> dict | None:
    return next((st for st in data["stances"] if st["actor"] == actor and st["issue"] == issue), None)


def _value(q):
    return q["value"] if isinstance(q, dict) else q


def test_the_small_edits_that_lost_or_corrupted_work_now_keep_it(page):
    """The smaller losses of a first session: a cleared number field keeps, and shows, the value
    the model uses; ArrowUp steps a salience by 0.05 (not 0.9 -> 1.9); a stance added with "+" can
    be removed; an id is editable and renamed everywhere it is used; a new actor gets the mean
    capability of the others (not 1); a block pasted from a spreadsheet fills the grid. Undo then
    brings back the scenario as it was."""
    start = scenario_now(page)
    box = page.get_by_label("France salience on ports")
    shown = box.input_value()
    box.fill("")
    box.press("Enter")
    assert box.input_value() == shown and "a number is needed" in page.inner_text("#scenario-error")
    assert scenario_now(page) == start
    n = runs(page)
    box.fill("0.9")
    box.press("Enter")
    wait_run(page, n)
    n = runs(page)
    box.press("ArrowUp")
    box.press("Enter")
    wait_run(page, n)
    assert _value(_stance(scenario_now(page), "france", "ports")["salience"]) == pytest.approx(0.95)

    n = runs(page)
    page.get_by_label("remove France's stance on ports", exact=True).click()
    wait_run(page, n)
    assert _stance(scenario_now(page), "france", "ports") is None
    n = runs(page)
    page.get_by_title("add France's stance on ports", exact=True).click()
    wait_run(page, n)
    added = _stance(scenario_now(page), "france", "ports")
    assert added is not None and added["salience"]["assumption"]
    n = runs(page)
    page.get_by_label("remove France's stance on ports", exact=True).click()  # the added one goes too
    wait_run(page, n)
    assert _stance(scenario_now(page), "france", "ports") is None

    before = scenario_now(page)
    n = runs(page)
    box = page.get_by_label("actor russia id", exact=True)
    box.fill("muscovy")
    box.press("Enter")
    wait_run(page, n)
    after = scenario_now(page)
    assert "muscovy" in {a["id"] for a in after["actors"]} and "russia" not in {a["id"] for a in after["actors"]}
    assert sum(st["actor"] == "muscovy" for st in after["stances"]) == sum(st["actor"] == "russia" for st in before["stances"])
    assert "muscovy" in after["conflict"]["third_parties"] and "russia" not in json.dumps(after["conflict"])
    assert not page.locator("#scenario-error").inner_text()

    n = runs(page)
    page.click("#add-actor")
    wait_run(page, n)
    actors = scenario_now(page)["actors"]
    others = [_value(a["capability"]) for a in actors[:-1]]
    assert _value(actors[-1]["capability"]) == pytest.approx(sum(others) / len(others), rel=1e-5)

    n = runs(page)
    page.evaluate("""() => {
        const dt = new DataTransfer(); dt.setData('text/plain', '1\\t2\\n3\\t4\\n');
        document.querySelector('input[aria-label="United Kingdom position on legations"]')
            .dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
    }""")
    wait_run(page, n)
    pasted = scenario_now(page)
    assert [_value(_stance(pasted, a, i)["position"]) for a in ("uk", "france") for i in ("legations", "ports")] == [1, 2, 3, 4]

    n = runs(page)
    for _ in range(12):  # every step above is one undo
        if scenario_now(page) == start:
            break
        page.click("#undo")
    assert scenario_now(page) == start
    wait_run(page, n)  # the tests after this one see the results of the scenario as it was


def test_the_page_warns_before_unsaved_changes_are_lost(page):
    n = runs(page)
    page.get_by_label("scenario title").fill("Edited, not saved")
    page.get_by_label("scenario title").press("Enter")
    wait_run(page, n)
    assert page.evaluate("S.dirty") and "unsaved changes" in page.inner_text("#project-state")
    # leaving the page: the browser is asked to warn
    assert page.evaluate("""() => { const e = new Event('beforeunload', {cancelable: true});
                                    window.dispatchEvent(e); return e.defaultPrevented; }""")
    # another scenario over the edits: the page asks first, and "no" keeps the work
    asked = page.evaluate("""() => { const seen = []; const keep = window.confirm;
        window.confirm = (text) => { seen.push(text); return false; };
        document.getElementById('pick').value = ''; document.getElementById('pick').dispatchEvent(new Event('change'));
        window.confirm = keep; return seen; }""")
    assert len(asked) == 1 and "unsaved changes" in asked[0]
    assert page.get_by_label("scenario title").input_value() == "Edited, not saved"
    assert page.evaluate("document.getElementById('pick').value") != ""  # the box shows what stays
    page.fill("#project-name", "kept")
    page.click("#project-save")
    assert not page.evaluate("S.dirty")
    assert not page.evaluate("""() => { const e = new Event('beforeunload', {cancelable: true});
                                        window.dispatchEvent(e); return e.defaultPrevented; }""")


def test_a_busy_server_is_said_and_the_page_retries_until_the_third_parties_arrive(browser):
    """With the server's worker pool full, the third-party request gets 429 with Retry-After: the
    status line says the server is busy and when it tries again, and once the pool has room the
    retried request fills the third-party panel."""
    import threading

    from tertius.web import api
    from tertius.web.app import create_app
    from tertius.web.pool import HeavyPool

    pool = HeavyPool(workers=1, capacity=1, processes=False)
    release = threading.Event()
    blocker = pool.submit(release.wait, 120)  # the pool is full before the page opens
    try:
        with live_server(create_app(limits=api.Limits(run_seconds=300.0), pool=pool)) as url:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            pg = context.new_page()
            pg.goto(url + "/")
            pg.wait_for_selector("body[data-runs]")
            pg.wait_for_selector("#status[data-busy]")
            assert "busy" in pg.inner_text("#status") and "trying again in" in pg.inner_text("#status")
            assert pg.locator("#thirdparty table").count() == 0
            release.set()
            pg.wait_for_selector("#thirdparty table", timeout=60_000)
            context.close()
    finally:
        release.set()
        blocker.result(timeout=60)
        pool.shutdown(wait=True)
