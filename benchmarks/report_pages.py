"""Printed pages of the default report, measured with Chromium's own command line (no Playwright).

Run: ``python benchmarks/report_pages.py [REPORT.html]`` (default: the report of ``tertius run``
on the default scenario with 100 draws, written to a temporary folder). The report is printed
with ``chromium --headless --print-to-pdf`` twice, as the report declares (``@page { size: A4;
margin: 12mm }``; a copy repeats the size, so a report written before that rule prints on A4
too): whole, and with everything after the summary hidden. Prints both page counts against issue 19's goals
(the summary on one page; the whole report in at most 13 pages, half of the 26 it printed
before its summary) and exits 1 when one is missed. ``tests/test_browser.py`` checks the same
through Playwright's ``page.pdf``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.webserver import CHROMIUM_ARGS, chromium_path  # noqa: E402

A4 = "<style>@page { size: A4; }</style>"
SUMMARY_ONLY = "<style>#summary ~ * { display: none !important; }</style>"


def pages(pdf: bytes) -> int:
    """Page objects in a PDF (``/Type /Page``, not ``/Pages``)."""
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def printed(chromium: str, html: str, folder: Path, name: str) -> int:
    page, pdf = folder / f"{name}.html", folder / f"{name}.pdf"
    page.write_text(html)
    subprocess.run([chromium, "--headless", *CHROMIUM_ARGS, "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    page.as_uri()], check=True, capture_output=True, timeout=300)
    return pages(pdf.read_bytes())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("report", nargs="?", type=Path)
    args = ap.parse_args()
    chromium = chromium_path()
    if chromium is None:
        sys.exit("needs Chromium (apt-get install chromium, or TERTIUS_CHROMIUM)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.report is None:
            from tertius import load_scenario
            from tertius.analysis import analyse
            from tertius.report.html import render_html

            html = render_html(json.loads(json.dumps(analyse(load_scenario(), draws=100))))
        else:
            html = args.report.read_text()
        head = html.index("</head>")
        whole = printed(chromium, html[:head] + A4 + html[head:], folder, "whole")
        summary = printed(chromium, html[:head] + A4 + SUMMARY_ONLY + html[head:], folder, "summary")
    print(f"A4, Chromium --print-to-pdf: whole report {whole} pages (goal <= 13), summary alone {summary} "
          f"page{'s' if summary != 1 else ''} (goal 1)")
    sys.exit(0 if whole <= 13 and summary == 1 else 1)


if __name__ == "__main__":
    main()
