"""docs/first-scenario.md stays true: every file in it loads, and the commands it shows run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from tertius import load_scenario
from tertius.cli import app

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "first-scenario.md"


def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for block in re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(), flags=re.S):
        name = re.match(r"# file: (\S+)", block)
        assert name, block[:60]
        path = tmp_path / name.group(1)
        path.write_text(block)
        out[name.group(1)] = path
    return out


def test_every_file_in_the_guide_loads(tmp_path):
    found = files(tmp_path)
    assert set(found) == {"river.yaml", "river-sourced.yaml", "river-conflict.yaml"}
    for path in found.values():
        load_scenario(path)


def commands() -> list[list[str]]:
    """The guide's commands, as it prints them in its bash blocks (comments dropped)."""
    out = []
    for block in re.findall(r"```bash\n(.*?)```", GUIDE.read_text(), flags=re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "tertius":
                out.append(words[1:])
    return out


#: 'serve' starts a web server (tests/test_serve.py covers it); the sweep runs 200 of its draws.
SKIP = ("serve",)
QUICK = {"sweep": ["--n", "200", "-q"]}


def test_the_guides_commands_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files(tmp_path)
    runner = CliRunner()
    found = commands()
    assert len(found) >= 9 and ["run", "river-sourced.yaml"] in found
    for args in found:
        if args[0] in SKIP:
            continue
        args = args + QUICK.get(args[0], [])  # a repeated option: the last value counts
        r = runner.invoke(app, args)
        assert r.exit_code == 0, (args, r.output[-500:])
    assert (tmp_path / "tertius-output" / "river-sourced" / "report.html").exists()


def test_the_guide_says_to_activate_the_environment():
    """Users who skip activation get 'command not found': the guide activates before any tertius
    command, and its install block uses the activated environment's pip."""
    text = GUIDE.read_text()
    assert ". .venv/bin/activate" in text
    assert text.index(". .venv/bin/activate") < text.index("\ntertius ")


def test_the_typo_in_the_guide_is_the_error_users_get(tmp_path):
    path = files(tmp_path)["river.yaml"]
    path.write_text(path.read_text().replace("{actor: up, issue: dam, position: 120, salience: 0.8}",
                                             "{actor: up, issue: dam, position: 120, salince: 0.8}"))
    r = CliRunner().invoke(app, ["forecast", str(path)])
    assert r.exit_code == 2
    assert "river.yaml:19: stances[3].salince: unknown field 'salince' (fix: did you mean 'salience'?)" in r.stderr
