"""Regenerate the screenshots of ``tertius serve`` that README.md and docs/serve.md show.

Run: ``python scripts/screenshots.py [--out docs/img] [--width 1280] [--height 900]``. It serves the
page as ``tertius serve`` does (the same application, on a free loopback port: the browser tests'
``tests/webserver.py``), opens it in Debian's Chromium through Playwright (``apt-get install
chromium``; nothing is downloaded), and writes, at the given width on the default scenario:

- ``serve-first-view.png``: the page as it opens (the viewport);
- ``serve-conflict-editor.png``: the viewport scrolled to the conflict editor;
- ``serve-baseline-variant.png``: "Pin as baseline", then Qing China's salience on the Amur set to
  0.95, the viewport scrolled to the changed inputs and forecasts;
- ``serve-breakeven.png``: "Find break-even values", then the break-even section, from its
  heading to its end (so its height is what the section needs);
- ``report-800.png``: the HTML report of ``tertius run`` on the default scenario (100 draws), opened
  from a file at 800 px, as the browser test of the report does.

It prints each file's size. Each browser context starts with empty storage, so no autosaved work
from an earlier visit shows.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tertius import load_scenario  # noqa: E402
from tertius.analysis import analyse  # noqa: E402
from tertius.report.html import render_html  # noqa: E402
from tertius.web import api  # noqa: E402
from tertius.web.app import create_app  # noqa: E402
from tests.webserver import CHROMIUM_ARGS, chromium_path, live_server  # noqa: E402

#: The edit shown in the baseline-against-variant view: (the field's label, the new value).
VARIANT_EDIT = ("Qing China salience on amur", "0.95")


#: The top of the section that holds an element: its heading, the nearest h2 or h3 before it.
HEADING = """el => { let h = el; while (h.previousElementSibling && !/^H[23]$/.test(h.tagName)) h = h.previousElementSibling;
                    return h.getBoundingClientRect().top + window.scrollY; }"""


def scroll_to(page, selector: str) -> None:
    """Scroll so that the heading of ``selector``'s section sits just below the page's sticky header."""
    top = page.eval_on_selector(selector, HEADING)
    header = page.eval_on_selector("header", "h => h.getBoundingClientRect().height")
    page.evaluate("y => window.scrollTo(0, Math.max(0, y))", top - header - 8)


def section_clip(page, selector: str) -> dict[str, float]:
    """The part of the page from ``selector``'s heading to the element's bottom, in page coordinates."""
    top = page.eval_on_selector(selector, HEADING)
    bottom = page.eval_on_selector(selector, "el => el.getBoundingClientRect().bottom + window.scrollY")
    width = page.evaluate("document.documentElement.clientWidth")
    return {"x": 0, "y": top - 8, "width": width, "height": bottom - top + 16}


def wait_count(page, name: str, before: int, timeout: float = 120_000) -> None:
    """Wait until the page's counter ``document.body.dataset[name]`` passes ``before``."""
    page.wait_for_function("([k, n]) => Number(document.body.dataset[k] || 0) > n", arg=[name, before], timeout=timeout)


def count(page, name: str) -> int:
    return int(page.evaluate("k => document.body.dataset[k] || 0", name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="folder to write into")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    executable = chromium_path()
    if executable is None:
        sys.exit("needs Debian's Chromium: apt-get install chromium (or TERTIUS_CHROMIUM=PATH)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("needs Playwright: pip install -e '.[test]'")
    args.out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def shoot(page, name: str, clip: dict[str, float] | None = None) -> None:
        path = args.out / name
        if clip is None:
            page.screenshot(path=str(path))
        else:
            page.screenshot(path=str(path), full_page=True, clip=clip)
        written.append(path)

    # A loaded machine may take longer than the page's 20 s limit on a run; the pictures need the answer.
    with live_server(create_app(limits=api.Limits(run_seconds=300.0))) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": args.width, "height": args.height}, device_scale_factor=1)
        page = context.new_page()
        page.on("dialog", lambda d: d.accept())
        page.goto(url + "/")
        page.wait_for_selector("body[data-runs]")
        page.wait_for_selector("#thirdparty table")
        page.wait_for_selector("#forecast-table tr[data-issue]")
        shoot(page, "serve-first-view.png")

        scroll_to(page, "#conflict")
        shoot(page, "serve-conflict-editor.png")

        page.click("#pin")
        n = count(page, "runs")
        label, value = VARIANT_EDIT
        box = page.get_by_label(label)
        box.fill(value)
        box.press("Enter")
        wait_count(page, "runs", n)
        page.wait_for_selector("#compare-inputs tr.changed")
        scroll_to(page, "#compare")
        shoot(page, "serve-baseline-variant.png")

        page.click("#undo")  # back to the default scenario for the break-even values
        n = count(page, "breakevens")
        page.click("#breakeven-run")
        wait_count(page, "breakevens", n, timeout=300_000)
        page.add_style_tag(content="header { position: static !important; }")  # not over the section
        shoot(page, "serve-breakeven.png", section_clip(page, "#breakeven"))
        context.close()

        with tempfile.TemporaryDirectory() as folder:
            report = Path(folder) / "report.html"
            report.write_text(render_html(json.loads(json.dumps(analyse(load_scenario(), draws=100)))), encoding="utf-8")
            context = browser.new_context(viewport={"width": 800, "height": 1100}, device_scale_factor=1)
            page = context.new_page()
            page.goto(report.as_uri())
            shoot(page, "report-800.png")
        browser.close()
    for path in written:
        print(f"{path.name}: {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
