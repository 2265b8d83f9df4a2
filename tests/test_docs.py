"""The Python blocks of README.md and docs/*.md run as printed (the shared data read from
TERTIUS_SHARED, as the other reference tests do)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO, SHARED, need

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCKS = [(page, k, block) for page in PAGES
          for k, block in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S))]


def test_the_docs_have_python_blocks():
    assert BLOCKS, "README.md shows the Python API"


@pytest.mark.parametrize("page, k, block", BLOCKS, ids=[f"{p.name}-{k}" for p, k, _ in BLOCKS])
def test_a_python_block_runs(page, k, block, monkeypatch):
    monkeypatch.chdir(REPO)
    for rel in re.findall(r"\.\./shared/([\w./-]+)", block):
        need(SHARED / rel)
    exec(compile(block.replace("../shared/", f"{SHARED}/"), f"{page.name} block {k}", "exec"), {})
