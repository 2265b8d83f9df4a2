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


def test_the_option_literal_and_the_counts_follow_the_table():
    """pydantic needs a Literal type for the scenario's option fields: it names the table's codes,
    the role numbers and tie places are each 0..N-1 once, and every array of the game is sized
    by the table."""
    from typing import get_args

    from tertius.conflict.war import N_OPTIONS, ROLE
    from tertius.scenario import OPTION_CODES, OPTION_TABLE, Option

    assert get_args(Option) == OPTION_CODES
    assert sorted(o.role for o in OPTION_TABLE) == list(range(len(OPTION_TABLE))) == sorted(ROLE.values())
    assert sorted(o.tie for o in OPTION_TABLE) == list(range(len(OPTION_TABLE)))
    assert N_OPTIONS == len(OPTION_TABLE) and len(set(OPTION_CODES)) == N_OPTIONS


def test_the_schema_the_report_and_the_page_take_the_options_from_the_table():
    from tertius.scenario import OPTION_CODES, OPTION_TABLE
    from tertius.schemas import THIRD_PARTIES
    from tertius.web.api import option_list

    assert THIRD_PARTIES["properties"]["options"]["items"]["enum"] == list(OPTION_CODES)
    assert option_list() == [{"code": o.code, "label": o.label} for o in OPTION_TABLE]
    src = Path(__file__).resolve().parents[1] / "src" / "tertius"
    page = (src / "web" / "static" / "app.js").read_text(encoding="utf-8")
    for o in OPTION_TABLE:  # the page gets the codes, their order and their labels from /api/info
        assert f'"{o.code}"' not in page and f'"{o.label}"' not in page, o.code
    template = (src / "report" / "templates" / "report.html.j2").read_text(encoding="utf-8")
    assert not re.search(r"for o in \[", template)  # the report's lists of options come from html.py


def test_every_registered_model_has_a_section_in_the_models_doc():
    from tertius.models import MODELS

    doc = (Path(__file__).resolve().parents[1] / "docs" / "models.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^## (\S+)\s*$", doc, flags=re.M))
    assert [m for m in MODELS if m not in sections] == []
