"""child_seeds, the many-at-once form of child_seed, gives the same seeds (sweeps depend on it)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tertius.seeds import child_seed, child_seeds


@given(seed=st.integers(min_value=-(2**70), max_value=2**70),
       path=st.lists(st.one_of(st.integers(min_value=0, max_value=2**66), st.text(max_size=8)), max_size=3),
       indices=st.lists(st.integers(min_value=0, max_value=2**32 + 5), min_size=1, max_size=20))
def test_child_seeds_equal_child_seed(seed, path, indices):
    got = child_seeds(seed, *path, indices=np.array(indices, dtype=np.uint64))
    expected = np.array([child_seed(seed, *path, i) for i in indices], dtype=np.uint64)
    np.testing.assert_array_equal(got, expected)


def test_child_seeds_of_no_index_is_empty():
    assert child_seeds(0, "draw", indices=np.arange(0, dtype=np.uint64)).shape == (0,)
