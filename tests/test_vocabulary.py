"""One home per vocabulary: the option table, and the registered models in the docs."""

from __future__ import annotations

import re
from pathlib import Path


def test_the_option_table_is_the_one_home_of_the_options():
    """The game's role numbers, the shown order, the tie order, the labels and the classes of the
    decision tables all agree with scenario.OPTION_TABLE."""
    from tertius.conflict.choice import CLASS_OF
    from tertius.conflict.game import TIE_ORDER
    from tertius.conflict.thirdparty import DISPLAY, labels
    from tertius.conflict.war import OPTIONS
    from tertius.scenario import OPTION_CODES, OPTION_LABELS, OPTION_TABLE

    assert OPTIONS == tuple(o.code for o in sorted(OPTION_TABLE, key=lambda o: o.role))
    assert TIE_ORDER == tuple(o.code for o in sorted(OPTION_TABLE, key=lambda o: o.tie))
    assert DISPLAY == OPTION_CODES
    assert {o: CLASS_OF[o] for o in OPTION_CODES} == {o.code: {"a": "A", "b": "B", None: "none"}[o.joins]
                                                       for o in OPTION_TABLE}

    class War:
        side_names = ("Alpha", "Beta")

    assert labels(War()) == {o: OPTION_LABELS[o].format(a="Alpha", b="Beta") for o in OPTION_CODES}  # type: ignore[arg-type]


def test_every_registered_model_has_a_section_in_the_models_doc():
    from tertius.models import MODELS

    doc = (Path(__file__).resolve().parents[1] / "docs" / "models.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^## (\S+)\s*$", doc, flags=re.M))
    assert [m for m in MODELS if m not in sections] == []
