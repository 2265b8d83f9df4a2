"""analysis.compact: bulky per-actor maps of numbers (or of records of numbers) are summed, long
lists of exchanges cut to the largest, everything else kept."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tertius.analysis import COMPACT_ABOVE, EXCHANGES_KEPT, compact


def _record(v: Any, keys: Any) -> bool:
    return isinstance(v, dict) and v.keys() == keys and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in v.values())


def _by_the_rule(value: Any) -> Any:
    """The rule as written in compact's docstring, one entry at a time."""
    if isinstance(value, dict):
        label = f"total of {len(value)} (tertius run --full keeps each)"
        if len(value) > COMPACT_ABOVE and all(isinstance(v, (int, float)) for v in value.values()):
            return {label: float(sum(value.values()))}
        first = next(iter(value.values()), None)
        if len(value) > COMPACT_ABOVE and isinstance(first, dict) and all(_record(v, first.keys()) for v in value.values()):
            return {label: {k: float(sum(v[k] for v in value.values())) for k in first}}
        out = {k: _by_the_rule(v) for k, v in value.items()}
        rounds = out.get("exchanges")
        if isinstance(rounds, list) and any(isinstance(r, list) and len(r) > EXCHANGES_KEPT for r in rounds):
            kept, left = [], 0
            for r in rounds:
                if len(r) > EXCHANGES_KEPT:
                    top = sorted(r, key=lambda e: e["gain"], reverse=True)[EXCHANGES_KEPT - 1]["gain"]
                    r = [e for e in r if e["gain"] >= top][:EXCHANGES_KEPT]  # distinct gains below
                    left += len(rounds[len(kept)]) - EXCHANGES_KEPT
                kept.append(r)
            out["exchanges"] = kept
            out["exchanges_left_out"] = (f"each round lists its {EXCHANGES_KEPT} largest exchanges by gain; "
                                         f"{left:,} smaller ones are left out (tertius run --full keeps each)")
        return out
    if isinstance(value, list):
        return [_by_the_rule(v) for v in value]
    return value


leaf = st.one_of(st.integers(-5, 5), st.floats(-1, 1), st.booleans(), st.text(max_size=2), st.none(),
                 st.floats(-1, 1).map(np.float64))
maps = st.integers(0, 2 * COMPACT_ABOVE).flatmap(lambda n: st.tuples(st.just(n), leaf, st.integers(0, n)))


@st.composite
def details(draw: st.DrawFn) -> Any:
    n, odd, where = draw(maps)
    numbers: dict[str, Any] = {f"a{k}": float(k) for k in range(n)}
    if draw(st.booleans()) and n:
        numbers[f"a{where % n}"] = odd  # one entry that may not be a number
    return draw(st.recursive(st.just(numbers) | leaf, lambda c: st.lists(c, max_size=3)
                             | st.dictionaries(st.text(max_size=2), c, max_size=3), max_leaves=6))


@settings(max_examples=200, deadline=None)
@given(details())
def test_compact_follows_its_rule(value: Any) -> None:
    assert compact(value) == _by_the_rule(value)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A per-actor map of records of numbers (exchange's externalities by actor), sometimes with
    one record that breaks the shape."""
    n = draw(st.integers(0, 2 * COMPACT_ABOVE))
    out: dict[str, Any] = {f"a{k}": {"own": float(k), "inner": draw(st.integers(-3, 3))} for k in range(n)}
    if n and draw(st.booleans()):
        out[f"a{draw(st.integers(0, n - 1))}"] = draw(st.one_of(leaf, st.just({"own": 1.0})))
    return out


@st.composite
def exchanges(draw: st.DrawFn) -> dict[str, Any]:
    """Exchange's details: rounds of exchanges with distinct gains, some rounds over the cut."""
    rounds = []
    for size in draw(st.lists(st.integers(0, 2 * EXCHANGES_KEPT), max_size=3)):
        gains = draw(st.permutations(range(size)))
        rounds.append([{"gain": float(g), "demander_p": f"a{k}"} for k, g in enumerate(gains)])
    return {"exchanges": rounds, "externalities_by_actor": [draw(records())]}


@settings(max_examples=100, deadline=None)
@given(exchanges())
def test_compact_keeps_the_largest_exchanges_and_sums_records(value: dict[str, Any]) -> None:
    got = compact(value)
    assert got == _by_the_rule(value)
    for before, after in zip(value["exchanges"], got["exchanges"], strict=True):
        assert len(after) == min(len(before), EXCHANGES_KEPT)
        assert sorted(e["gain"] for e in after) == sorted(e["gain"] for e in before)[-len(after):] if after else True
    assert ("exchanges_left_out" in got) == any(len(r) > EXCHANGES_KEPT for r in value["exchanges"])
