"""Text for people, with nothing of tertius below it: numbers, signed differences, small HTML
tables, and numbers for JSON.

Numbers: one formatter for the console, the reports, the charts and the notebook reprs.

* A value within 1e-9 of a whole number prints as that number (floating-point noise such as
  ``3.089e-16`` or ``99.99999999999997`` prints ``0`` and ``100``).
* Otherwise fixed notation with ``digits`` significant digits, but never fewer than the whole
  part: 2440.3 prints ``2440``, 56.1875 ``56.2``, 0.08342 ``0.0834``.
* Scientific notation only for magnitudes no person reads in fixed notation (at or above 1e9,
  or below 1e-4).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

ROUND_WITHIN = 1e-9


def human(x: Any, digits: int = 3, missing: str = "–") -> str:
    if x is None:
        return missing
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return missing if math.isnan(v) else ("∞" if v > 0 else "−∞")
    whole = round(v)
    if abs(v - whole) < ROUND_WITHIN and abs(whole) < 1e15:
        return str(int(whole))
    a = abs(v)
    if a >= 1e9 or a < 1e-4:
        return f"{v:.{max(digits - 1, 0)}e}"
    decimals = max(0, digits - 1 - math.floor(math.log10(a)))
    text = f"{v:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def apart(x: float, ref: float, digits: int = 3) -> str:
    """``x`` as :func:`human` prints it with ``digits`` significant digits, or with more (up to 6)
    where that would print it as ``ref``: a break-even value just beside the assumed one must not
    read as the assumed value itself."""
    for d in range(digits, 7):
        if human(x, d) != human(ref, d):
            return human(x, d)
    return human(x, 6)


def signed(x: Any, digits: int = 3) -> str:
    """A difference, with its sign: ``+2.5``, ``−1.2``, ``0``."""
    text = human(x, digits)
    if text in ("–", "0") or text.startswith("-"):
        return text.replace("-", "−")
    return "+" + text


def share_words(p: float) -> str:
    """A share of perturbed draws, in words: one short of all never reads ``100 %`` (nor one above
    none ``0 %``), since some draws within the inputs' ranges change the answer (or give it):
    ``over 99 %``, ``under 1 %``, else whole percents."""
    return "over 99 %" if 0.995 <= p < 1 else "under 1 %" if 0 < p < 0.005 else f"{100 * p:.0f} %"


def finite_or_none(x: Any) -> float | None:
    """A number for JSON: None where it is missing or not finite."""
    return None if x is None or not math.isfinite(float(x)) else float(x)


STYLE = "border-collapse:collapse;font-size:12px"
CELL = "border:1px solid #ddd;padding:2px 6px"


def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "", limit: int = 40) -> str:
    """A small HTML table; numbers formatted for people; long tables cut with a note."""
    def cell(x: Any, tag: str = "td") -> str:
        text = human(x) if isinstance(x, float) else ("–" if x is None else str(x))
        align = "right" if isinstance(x, (int, float)) and not isinstance(x, bool) else "left"
        return f'<{tag} style="{CELL};text-align:{align}">{escape(text)}</{tag}>'

    head = "".join(cell(h, "th") for h in headers)
    body = "".join("<tr>" + "".join(cell(x) for x in row) + "</tr>" for row in rows[:limit])
    more = (f'<tr><td colspan="{len(headers)}" style="{CELL};color:#666">… {len(rows) - limit} more rows</td></tr>'
            if len(rows) > limit else "")
    cap = f'<caption style="text-align:left;font-weight:600">{escape(caption)}</caption>' if caption else ""
    return f'<table style="{STYLE}">{cap}<tr>{head}</tr>{body}{more}</table>'


__all__ = ["ROUND_WITHIN", "apart", "finite_or_none", "html_table", "human", "signed"]
