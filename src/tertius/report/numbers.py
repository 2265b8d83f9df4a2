"""Numbers for people: the formatter lives in :mod:`tertius.text`, below everything that is shown."""

from __future__ import annotations

from tertius.text import ROUND_WITHIN, apart, human, share_words, signed

__all__ = ["ROUND_WITHIN", "apart", "human", "share_words", "signed"]
