"""analysis.compact: bulky per-actor maps of numbers are summed, everything else kept."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tertius.analysis import COMPACT_ABOVE, compact


def _by_the_rule(value: Any) -> Any:
    """The rule as written in compact's docstring, one entry at a time."""
    if isinstance(value, dict):
        if len(value) > COMPACT_ABOVE and all(isinstance(v, (int, float)) for v in value.values()):
            return {f"total of {len(value)} (tertius run --full keeps each)": float(sum(value.values()))}
        return {k: _by_the_rule(v) for k, v in value.items()}
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
