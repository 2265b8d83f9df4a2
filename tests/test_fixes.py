"""Every fix an error suggests names things that exist: command-line options, commands, extras
and model parameters. Read from the source, so a new message is checked as soon as it is written."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import typer.main

from tertius.cli import app
from tertius.models import MODELS

ROOT = Path(__file__).resolve().parents[1]


def _strings(node: ast.AST) -> list[str]:
    """The text of a string or f-string expression (the formatted parts left out)."""
    out = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            out.append(sub.value)
    return out


def suggestions() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "src" / "tertius").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "fix":
                found.extend((f"{path.name}:{node.value.lineno}", s) for s in _strings(node.value))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    "pip install" in node.value or "fix:" in node.value):
                found.append((f"{path.name}:{node.lineno}", node.value))
    return found


def cli_vocabulary() -> tuple[set[str], set[str]]:
    root = typer.main.get_command(app)
    options: set[str] = set()
    commands = set(root.commands)  # type: ignore[attr-defined]
    for command in root.commands.values():  # type: ignore[attr-defined]
        for param in command.params:
            options.update(o for o in param.opts + param.secondary_opts if o.startswith("--"))
    options.update(o for p in root.params for o in p.opts if o.startswith("--"))
    return options, commands


def test_there_are_suggestions_to_check():
    assert len(suggestions()) > 150


def test_every_suggested_option_command_extra_and_parameter_exists():
    options, commands = cli_vocabulary()
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    params = {k for spec in MODELS.values() for k in spec.defaults}
    bad = []
    for where, text in suggestions():
        for option in re.findall(r"(?<![\w-])--[a-z][a-z-]*", text):
            if option not in options:
                bad.append((where, option))
        for group in re.findall(r"tertius\[([a-z,]+)\]", text):
            bad.extend((where, f"extra {e}") for e in group.split(",") if e not in extras)
        for key in re.findall(r"-p (\w+)=", text):
            if key not in params:
                bad.append((where, f"parameter {key}"))
        for command in re.findall(r"'tertius (\w+)", text) + re.findall(r"command line: tertius (\w+)", text):
            if command not in commands:
                bad.append((where, f"command {command}"))
    assert bad == []
