"""The one table of scenario formats (tertius.io.formats): every format in it is detected from
the name it is written under, written, read back through the table and written again to the same
bytes; docs/formats.md lists exactly the table's formats with their suffixes and what they keep;
and no module outside tertius.io calls a format's reader or writer except through the table."""

from __future__ import annotations

import ast
import re
import tempfile
from pathlib import Path

import pytest

from tertius.io import load_scenario, load_scenarios, render
from tertius.io.formats import FORMATS, LOSSLESS, detect, for_target, lookup
from tertius.io.writers import lost_fields
from tertius.scenario import Scenario

REPO = Path(__file__).resolve().parents[1]
DEU = ("isnr\tprnr\tprname\trp\tout\tpcom\tscom\tpde\tsde\tpfr\tsfr\tpep\tsep\n"
       "2\t2001/0001\ta directive\t0\t40\t100\t80\t0\t50\t30\t60\t70\t40\n")


def sample(fmt: str, tmp_path: Path) -> Scenario:
    """A scenario the format can hold: the default one, one issue of it for the actor table,
    and a small DEU-shaped one (EU actors, 0 to 100) for the DEU file."""
    if fmt == "deu":
        (tmp_path / "sample.tsv").write_text(DEU)
        return load_scenarios(tmp_path / "sample.tsv")[0]
    s = load_scenario()
    if fmt == "actors":
        d = s.to_data()
        first = d["issues"][0]["id"]
        return Scenario.model_validate({**d, "issues": d["issues"][:1], "conflict": None, "perturbation": None,
                                        "stances": [st for st in d["stances"] if st["issue"] == first]})
    return s


def save(path: Path, content: str | bytes | dict[str, str]) -> None:
    if isinstance(content, dict):
        path.mkdir()
        for name, text in content.items():
            (path / name).write_text(text, encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def text_of(content: str | bytes | dict[str, str]) -> object:
    """What a writer wrote, to compare: a workbook's bytes carry the zip's times, so a workbook
    is compared by the data read back from it."""
    if isinstance(content, bytes):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "book.xlsx"
            path.write_bytes(content)
            return load_scenario(path).to_data()
    return content


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_in_the_table_is_written_read_and_written_again_to_the_same_bytes(tmp_path, fmt):
    f = FORMATS[fmt]
    s = sample(fmt, tmp_path)
    first = tmp_path / ("first" if f.folder else f"first{f.suffixes[0]}")
    save(first, render(s, fmt))
    assert detect(first) is f
    assert for_target(first) is f or f.sniff is not None  # a content-tested format is written by --to
    back = load_scenarios(first)
    assert len(back) == 1
    assert sorted(a.id for a in back[0].actors) == sorted(a.id for a in s.actors)
    assert len(back[0].issues) == len(s.issues)  # the actor table keeps no issue id
    again = f.write(back[0])
    assert text_of(again) == text_of(f.write(load_scenarios(first, input_format=fmt)[0]))
    second = tmp_path / ("second" if f.folder else f"second{f.suffixes[0]}")
    save(second, again)
    assert text_of(f.write(load_scenarios(second)[0])) == text_of(again)
    assert (lost_fields(s, fmt) == []) == (fmt in LOSSLESS)


def test_unknown_names_are_refused_with_the_table_s_names():
    from tertius.errors import InputError

    with pytest.raises(InputError, match="cannot write format 'docx'") as e:
        lookup("docx", writing=True)
    assert all(name in e.value.fix for name in FORMATS)
    with pytest.raises(InputError, match="unknown input format 'docx'"):
        lookup("docx")


def _doc_rows() -> dict[str, tuple[list[str], str]]:
    text = (REPO / "docs" / "formats.md").read_text(encoding="utf-8")
    rows = {}
    for m in re.finditer(r"^\| `([a-z]+)` \| ([^|]+) \| ([^|]+) \|$", text, re.M):
        rows[m[1]] = (re.findall(r"`(\.[a-z]+)`", m[2]), m[3].strip())
    return rows


def test_docs_formats_md_lists_each_format_with_its_suffixes_and_what_it_keeps():
    rows = _doc_rows()
    assert list(rows) == list(FORMATS)
    for name, (suffixes, keeps) in rows.items():
        f = FORMATS[name]
        assert tuple(suffixes) == f.suffixes, name
        if f.keeps is None:
            assert keeps == "everything", name
        else:
            assert set(keeps.split(", ")) == f.keeps, name


def test_the_readme_links_the_formats_page():
    assert "docs/formats.md" in (REPO / "README.md").read_text(encoding="utf-8")


def test_readers_and_writers_are_called_only_through_the_table():
    """Outside the module that defines it and tertius.io.formats, no module in src/ names a
    format's reader or writer: detection, reading, writing and the page's exports use the table."""
    names = {}
    for f in FORMATS.values():
        for fn in (f.read, f.write):
            target = fn.__closure__[0].cell_contents if fn.__name__ == "<lambda>" and fn.__closure__ else fn
            names[target.__name__] = target.__module__
    assert len(names) == 2 * len(FORMATS)  # each reader and writer found, through the one-scenario wrapper too
    for path in (REPO / "src" / "tertius").rglob("*.py"):
        module = "tertius." + ".".join(path.relative_to(REPO / "src" / "tertius").with_suffix("").parts)
        module = module.removesuffix(".__init__")
        if module == "tertius.io.formats":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name | ast.Attribute):
                name = node.id if isinstance(node, ast.Name) else node.attr
                if name in names and names[name] != module:
                    pytest.fail(f"{module} uses {name} directly; go through tertius.io.formats.FORMATS")
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name in names and names[alias.name] != module:
                        pytest.fail(f"{module} imports {alias.name}; go through tertius.io.formats.FORMATS")
