"""Benchmark: how long the web page takes to show updated forecasts after an edit, measured in a
real headless Chromium (Debian's), against what the same edit cost before the page existed:
saving the YAML and running ``tertius run`` to see every model's forecast again.

Run: ``python benchmarks/bench_serve.py [--edits 20]``. It prints

1. the page: from the ``change`` event of a salience field to the forecast table and every
   per-issue chart redrawn with the new run's numbers (the page records it in
   ``window.tertiusTimings``), median and 90th percentile over the edits, each edit a different
   salience on the default scenario, whose conflict (the conflict editor and the third-party panel,
   re-run after every edit) is on the page. The rounds chart, a few screens below the stance grid,
   is drawn only when it is within a screen of the view: after the edits the benchmark scrolls to
   it and prints that draw's time on its own line;
2. the ``/api/run`` request alone, from Python over loopback;
3. the baseline: ``tertius run FILE --draws 200`` in a fresh process on the edited scenario (every
   model's forecast, the third-party analysis and the report), median of three;

and the ratio baseline / page. The goal (issue 12): under 300 ms for the page.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tertius import load_scenario  # noqa: E402
from tertius.io.yaml_io import dump_yaml  # noqa: E402
from tertius.scenario import Scenario  # noqa: E402
from tertius.web.app import create_app  # noqa: E402
from tests.webserver import CHROMIUM_ARGS, chromium_path, live_server  # noqa: E402

#: The compromise model's forecasts as the forecast table and the per-issue charts show them, and
#: as the last run returned them: the timed redraws must end with the new numbers on the page.
SHOWN = """() => {
  const issues = S.scenario.issues.map((i) => i.id);
  return {result: issues.map((i) => fmt(S.result.forecasts.compromise[i])),
          table: issues.map((i) => document.querySelector(`#forecast-table tr[data-issue="${i}"] td[data-model="compromise"]`)
                                     .firstChild.textContent),
          chart: issues.map((i) => {
            const f = document.querySelector(`[data-chart="chart-${i}"] .plot`).data.find((t) => t.name === "forecasts");
            return fmt(f.x[f.text.indexOf("compromise")]);
          })};
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    executable = chromium_path()
    if executable is None:
        sys.exit("needs Debian's Chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    s = load_scenario()
    cells = [(st.actor, st.issue) for st in s.stances][: args.edits]
    names = {a.id: a.name for a in s.actors}
    with live_server(create_app()) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + "/")
        page.wait_for_selector("body[data-runs]")
        page.wait_for_selector("#thirdparty table")
        page.wait_for_selector("#conflict .fields")  # the conflict section is on the page
        for k, (actor, issue) in enumerate(cells):
            runs = int(page.evaluate("document.body.dataset.runs"))
            box = page.get_by_label(f"{names[actor]} salience on {issue}")
            box.fill(str(0.05 + 0.9 * ((k * 7) % 10) / 10))
            box.press("Enter")
            page.wait_for_function("n => Number(document.body.dataset.runs) > n", arg=runs)
            page.wait_for_timeout(50)  # let the third-party request go by before the next edit
        timings = page.evaluate("window.tertiusTimings")
        phases = page.evaluate("window.tertiusPhases")
        shown = page.evaluate(SHOWN)
        if shown["table"] != shown["result"] or shown["chart"] != shown["result"]:
            sys.exit(f"the page does not show the last run's numbers: {shown}")
        drawn = int(page.evaluate("document.body.dataset.roundsDrawn || 0"))
        page.locator("#rounds").scroll_into_view_if_needed()
        page.wait_for_function("n => Number(document.body.dataset.roundsDrawn || 0) > n", arg=drawn)
        deferred = page.evaluate("window.tertiusDeferred")[-1]
        browser.close()

        import httpx

        body = {"scenario": json.loads(json.dumps(s.to_data()))}
        with httpx.Client(base_url=url) as client:
            client.post("/api/run", json=body)
            api_times = []
            for _ in range(args.edits):
                t = time.perf_counter()
                client.post("/api/run", json=body).raise_for_status()
                api_times.append(1000 * (time.perf_counter() - t))

    edited = Scenario.model_validate({**s.to_data(), "stances": [
        {**st.model_dump(), "salience": 0.9} if (st.actor, st.issue) == cells[0] else st.model_dump() for st in s.stances]})
    cli_times = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "edited.yaml"
        path.write_text(dump_yaml(edited))
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([str(Path(sys.executable).with_name("tertius")), "run", str(path), "--draws", "200", "--out",
                            str(Path(tmp) / "out"), "--format", "json", "--overwrite"], check=True, capture_output=True)
            cli_times.append(1000 * (time.perf_counter() - t))

    page_median = statistics.median(timings)
    p90 = sorted(timings)[math.ceil(0.9 * len(timings)) - 1]  # nearest rank: never below the median
    baseline = statistics.median(cli_times)
    print(f"page, edit to updated forecasts ({len(timings)} edits): median {page_median:.0f} ms, 90th percentile "
          f"{p90:.0f} ms, max {max(timings):.0f} ms (goal: under 300 ms)")
    print("  of which (medians): " + ", ".join(
        f"{k} {statistics.median(p[k] for p in phases):.0f} ms" for k in ("queued", "request", "server", "draw")))
    print(f"the rounds chart, drawn with the last run's rounds as it is scrolled into view: {deferred:.0f} ms")
    print(f"/api/run alone over loopback: median {statistics.median(api_times):.0f} ms")
    print(f"baseline, 'tertius run' on the edited file in a fresh process: median {baseline:.0f} ms")
    print(f"ratio baseline / page: {baseline / page_median:.1f}x")


if __name__ == "__main__":
    main()
