"""``tertius serve`` driven in a real headless Chromium (Debian's, through Playwright's
``executable_path``; nothing is downloaded). Skipped where no Chromium or Playwright is installed,
except under ``TERTIUS_REQUIRE_BROWSER=1``, which ``.ci/run`` sets after installing Chromium.

A screenshot of the main view is kept in ``test-artifacts/serve-main.png`` (or under
``TERTIUS_ARTIFACTS``)."""

from __future__ import annotations

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
    from tertius.web.app import create_app

    with live_server(create_app()) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
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
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "serve-main.png"))
    assert (ARTIFACTS / "serve-main.png").stat().st_size > 10_000
    assert page.errors == []


def test_changing_a_salience_moves_the_table_and_the_chart(page):
    chart = '[data-chart="chart-amur"] .plot'
    before_cell = cell(page, "amur", "compromise")
    before_x = page.evaluate(f"document.querySelector('{chart}').data.find(t => t.name === 'compromise').x[0]")
    before_size = page.evaluate(f"document.querySelector('{chart}').data[0].marker.size.slice()")
    n = runs(page)
    box = page.get_by_label("Russian Empire salience on amur")
    box.fill("1")
    box.press("Enter")
    page.wait_for_function("n => Number(document.body.dataset.runs) > n", arg=n)
    assert cell(page, "amur", "compromise") != before_cell
    after_x = page.evaluate(f"document.querySelector('{chart}').data.find(t => t.name === 'compromise').x[0]")
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


def test_a_sweep_runs_to_completion(page):
    page.fill("#sweep-n", "300")
    page.click("#sweep-run")
    page.wait_for_function("() => document.getElementById('sweep-state').textContent.startsWith('done')",
                           timeout=60_000)
    assert page.locator("#sweep-table tr").count() == 1 + 8
    assert page.locator("#sweep-chart .main-svg").count() >= 1


def test_the_rounds_slider_lists_the_moves(page):
    page.select_option("#rounds-model", "bdm")
    page.fill("#rounds-slider", "1")
    page.dispatch_event("#rounds-slider", "input")
    assert page.locator("#rounds-moves li").count() >= 1
    assert "moves on" in page.inner_text("#rounds-moves")


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
