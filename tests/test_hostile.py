"""Hostile input: malformed variants of every format, fed to every command in-process.

Each case writes one mutated file and runs one command on it. The command must either succeed
(exit 0) or refuse with exit 2 and exactly one line on stderr that starts with 'error:' and
names the file; it must never end in a traceback, and a refusal must leave no output file
behind. The mutations come from a seeded generator (tertius.seeds.child_rng), so the cases are
the same in every run; there are more than a thousand.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tertius.cli import app
from tertius.seeds import child_rng

runner = CliRunner()

YAML = """\
id: hostile
title: A small war
actors:
  - {id: a, name: Alpha, capability: 0.4, distance: 0}
  - {id: b, name: Beta, capability: 0.35, distance: 100}
  - {id: t, name: Third, capability: 0.25, distance: 800}
issues:
  - id: x
    scale: {min: 0, max: 100}
    status_quo: 50
    observed: 70
  - id: y
    scale: {min: 0, max: 10}
stances:
  - {actor: a, issue: x, position: 100, salience: 0.9}
  - {actor: b, issue: x, position: 0, salience: 0.8}
  - {actor: t, issue: x, position: 70, salience: 0.3}
  - {actor: a, issue: y, position: 2, salience: 0.2}
  - {actor: t, issue: y, position: 9, salience: 0.9}
conflict:
  side_a: {name: Alpha, actors: [a]}
  side_b: {name: Beta, actors: [b]}
  stakes: [x]
  third_parties: [t]
  costs: {a: 0.1, b: 0.1, t: 0.1}
"""
DECIDE = """\
#O;small
#A;a;Alpha
#A;b;Beta
#A;c;Gamma
#P;x;first issue
#M;x;0;none
#M;x;100;all
#P;y;second issue
#D;a;x;100;0.9;1.0
#D;b;x;0;0.8;2.0
#D;c;x;40;0.5;0.5
#D;a;y;20;0.3;1.0
#D;c;y;80;0.7;0.5
"""
XDF = """\
<?xml version="1.0"?>
<project><dataset name="small">
<issue key="x" name="first"><position value="0">none</position><position value="100">all</position></issue>
<actor key="a" name="Alpha"><actorIssueLink issueRef="x" position="100" salience="0.9" power="1"/></actor>
<actor key="b" name="Beta"><actorIssueLink issueRef="x" position="0" salience="0.8" power="2"/></actor>
</dataset></project>
"""
DEU = ("prnr\tisnr\tisnrnmc\tprname\ttype\tproc\tcounvte\tintro\tpcom\tpep\tpde\tpfr\tscom\tsep\tsde\tsfr\trp\tout\n"
       "d1\td1i1\t1\tdocs\tReg\tCOD\tQMV\t26-01-00\t100\t80\t0\t50\t50\t50\t80\t20\t0\t70\n"
       "d1\td1i2\t2\tdocs\tReg\tCOD\tQMV\t26-01-00\t0\t20\t100\t50\t50\t50\t80\t20\t\t30\n")
ACTORS = "Actor,Capability,Position,Salience\nAlpha,100,20,80\nBeta,50,80,60\nGamma,30,50,40\n"
TABLE = ("war_num,war_name,start_year,ccode,abb,joined,cinc,cinc_a,cinc_b,dist_a_km,dist_b_km,ally_a,ally_b,"
         "defense_a,defense_b\n"
         "1,First,1850,2,USA,none,0.05,0.2,0.1,5000,6000,0,0,0,0\n"
         "1,First,1850,200,UKG,A,0.3,0.2,0.1,300,900,1,0,1,0\n"
         "2,Second,1860,220,FRN,none,0.1,0.15,0.2,400,700,0,1,0,0\n")
def _json_of_yaml(text: str) -> str:
    import json

    import yaml

    return json.dumps(yaml.safe_load(text), indent=1)


JSON = _json_of_yaml(YAML)
COMPACT = YAML.split("stances:")[0] + "stances:\n  x: {a: [100, 0.9], b: [0, 0.8], t: [70, 0.3]}\n  y:\n    a: [2, 0.2]\n" \
    "    t: {position: 9, salience: 0.9}\nconflict:" + YAML.split("conflict:")[1]
BASES = {"hostile.yaml": YAML, "hostile.json": JSON, "compact.yaml": COMPACT, "small.csv": DECIDE, "small.xdf": XDF,
         "small.tsv": DEU, "table.csv": ACTORS,
         "wars.csv": TABLE}
BAD_NUMBERS = ["abc", "nan", "inf", "-1", "1e308", "", "-1e308", "1e400", "0x10", "١٢", "1,5.3"]
COMMANDS = {
    "forecast": lambda f, out: ["forecast", f, "-m", "compromise"],
    "validate": lambda f, out: ["validate", f, "-m", "compromise"],
    "convert": lambda f, out: ["convert", f, str(out / "converted.yaml")],
    "broker": lambda f, out: ["broker", f, "--draws", "2"],
    "run": lambda f, out: ["run", f, "-m", "compromise", "--draws", "2", "--out", str(out / "run")],
    "sweep": lambda f, out: ["sweep", f, "-m", "compromise", "--n", "4", "--chunk-size", "2", "-q",
                             "--out", str(out / "sweep")],
}
NUMBER = re.compile(rb"(?<![A-Za-z_])-?\d+(?:\.\d+)?")


def _mutants(name: str, text: str, count: int) -> list[tuple[str, bytes]]:
    rng = child_rng(0, "hostile", name)
    data = text.encode("utf-8")
    out: list[tuple[str, bytes]] = []
    lines = data.split(b"\n")
    numbers = list(NUMBER.finditer(data))
    for k in range(count):
        kind = k % 12
        if kind == 0:
            cut = int(rng.integers(1, len(data)))
            out.append((f"truncated at {cut}", data[:cut]))
        elif kind == 1:
            pos = int(rng.integers(0, len(data)))
            out.append((f"byte 0xff at {pos}", data[:pos] + b"\xff" + data[pos + 1:]))
        elif kind == 2:
            m = numbers[int(rng.integers(0, len(numbers)))]
            bad = BAD_NUMBERS[int(rng.integers(0, len(BAD_NUMBERS)))].encode()
            out.append((f"number {m.group().decode()} -> {bad!r}", data[:m.start()] + bad + data[m.end():]))
        elif kind == 3:
            i = int(rng.integers(1, len(lines)))
            out.append((f"line {i} repeated", b"\n".join(lines[:i] + [lines[i]] + lines[i:])))
        elif kind == 4:
            i = int(rng.integers(1, len(lines)))
            out.append((f"line {i} deleted", b"\n".join(lines[:i] + lines[i + 1:])))
        elif kind == 5:
            pos = int(rng.integers(0, len(data)))
            out.append((f"NUL at {pos}", data[:pos] + b"\x00" + data[pos:]))
        elif kind == 6:
            out.append(("latin-1 text", data.replace(b"a", "\u00e9".encode("latin-1"), 3)))
        elif kind == 7:
            i = int(rng.integers(1, len(lines)))
            out.append((f"huge field on line {i}", b"\n".join(lines[:i] + [lines[i] + b"x" * 200_000] + lines[i + 1:])))
        elif kind == 8:
            out.append(("id with a path", data.replace(b"hostile", b"../../escaped").replace(b"d1i1", b"../x")
                        .replace(b"#A;a;", b"#A;../a;")))
        elif kind == 9:
            out.append(("blank ids", data.replace(b"id: a,", b"id: '',").replace(b"#A;c;", b"#A;;")
                        .replace(b"d1i2", b"").replace(b"Gamma", b"")))
        elif kind == 10:
            n = int(rng.integers(0, len(data)))
            out.append((f"random bytes ({n})", bytes(rng.integers(0, 256, size=n, dtype="uint8"))))
        else:
            out.append(("empty", b""))
    return out


YAML_SPECIALS = [
    ("deep nesting", b"id: deep\nactors: " + b"[" * 5000 + b"]" * 5000 + b"\n"),
    ("alias bomb", b"a: &a ['x','x','x','x','x','x','x','x','x']\n" + b"".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n".encode() for p, c in zip("abcdefgh", "bcdefghi", strict=True))
     + b"id: bomb\nactors: *i\nissues: []\nstances: []\n"),
    ("duplicate key", YAML.replace("title: A small war", "title: A small war\ntitle: again").encode()),
    ("lone surrogate", YAML.replace("name: Alpha", 'name: "\\ud800"').encode()),
    ("surrogate id", YAML.replace("id: hostile", 'id: "\\udfff"').encode()),
    ("huge capability", YAML.replace("capability: 0.4", "capability: 1e308").encode()),
    ("huge scale", YAML.replace("max: 100}", "max: 1.7e308}").replace("observed: 70", "observed: 1e308").encode()),
    ("absolute id", YAML.replace("id: hostile", "id: /tmp/absolute").encode()),
    ("long id", YAML.replace("id: hostile", "id: " + "x" * 300).encode()),
    ("not a mapping", b"- just\n- a list\n"),
    ("tabs", YAML.replace("  ", "\t").encode()),
    ("python tag", b"id: !!python/object/apply:os.system ['echo hi']\n"),
    ("binary", bytes(range(256)) * 4),
]


def _cases() -> list[tuple[str, str, str, bytes]]:
    cases = []
    for name, text in BASES.items():
        for label, data in _mutants(name, text, 30):
            for command in COMMANDS:
                cases.append((name, label, command, data))
    for label, data in YAML_SPECIALS:
        for command in COMMANDS:
            cases.append(("hostile.yaml", label, command, data))
    return cases


CASES = _cases()


def test_there_are_more_than_a_thousand_cases():
    assert len(CASES) >= 1000


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.parametrize("name, label, command, data", CASES,
                         ids=[f"{n}-{c}-{k}" for k, (n, _, c, _) in enumerate(CASES)])
def test_hostile_input_is_refused_cleanly(tmp_path, name, label, command, data):
    src = tmp_path / "in" / name
    src.parent.mkdir()
    src.write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(app, COMMANDS[command](str(src), out))
    assert "Traceback" not in result.output, (label, result.output[-2000:])
    assert result.exception is None or isinstance(result.exception, SystemExit), (label, repr(result.exception))
    assert result.exit_code in (0, 2), (label, result.exit_code, result.output[-500:])
    if result.exit_code == 2:
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), (label, result.stderr)
        assert str(src) in lines[0] or "command line" in lines[0], (label, lines[0])
        assert _files(out) == [] or command == "sweep", (label, _files(out))
    assert not (tmp_path / "escaped").exists() and not (tmp_path.parent / "escaped").exists()


# The faults found by the hostile run, one test each.
NO_THIRD = YAML.replace("  third_parties: [t]\n", "").replace("costs: {a: 0.1, b: 0.1, t: 0.1}", "costs: {a: 0.1, b: 0.1}")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_conflict_without_third_parties_is_analysed(tmp_path, command):
    src = tmp_path / "alone.yaml"
    src.write_text(NO_THIRD)
    result = runner.invoke(app, COMMANDS[command](str(src), tmp_path))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.output[-1000:]
    if command in ("broker", "run"):
        assert "declares no third parties" in result.stdout


def test_broker_without_third_parties_has_one_trivial_equilibrium(tmp_path):
    from tertius.conflict.thirdparty import broker
    from tertius.io import load_scenario

    (tmp_path / "alone.yaml").write_text(NO_THIRD)
    result = broker(load_scenario(tmp_path / "alone.yaml"), draws=3)
    (phase,) = result["phases"]
    assert phase["third_parties"] == [] and phase["selected"] == {} and phase["equilibria"] == [{}]
    assert phase["converged"] and 0 < phase["p_a_wins"] < 1


@pytest.fixture
def default_csv_limit():
    """The csv module's default field limit (importing scipy.io raises it for the whole process)."""
    import csv

    old = csv.field_size_limit(131072)
    yield
    csv.field_size_limit(old)


@pytest.mark.parametrize("name", sorted(BASES))
@pytest.mark.parametrize("where", ["header", "last line"])
def test_an_oversized_field_is_refused_by_every_reader(tmp_path, name, where, default_csv_limit):
    lines = BASES[name].rstrip("\n").split("\n")
    k = 0 if where == "header" else len(lines) - 1
    lines[k] += "x" * 200_000
    src = tmp_path / name
    src.write_text("\n".join(lines) + "\n")
    for command in ("validate", "forecast", "convert"):
        result = runner.invoke(app, COMMANDS[command](str(src), tmp_path))
        assert result.exception is None or isinstance(result.exception, SystemExit), (command, repr(result.exception))
        assert result.exit_code in (0, 2), (command, result.output[-500:])
        if result.exit_code == 2:
            assert [ln for ln in result.stderr.splitlines() if ln.strip()][0].startswith("error: "), result.stderr


def test_a_negative_distance_is_one_line_and_no_numpy_warning(tmp_path):
    src = tmp_path / "far.yaml"
    text = YAML.replace("distance: 800", "distance: -5000")
    src.write_text(text.replace("  stakes: [x]", "  stakes: [x]\n  contest: war-trap"))
    for command in ("broker", "validate", "forecast"):
        result = runner.invoke(app, COMMANDS[command](str(src), tmp_path))
        assert result.exit_code == 2, result.output
        assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr
        assert "distance of 't' is -5000" in result.stderr and "Warning" not in result.stderr


def test_a_failed_sweep_leaves_nothing_behind(tmp_path, monkeypatch):
    from tertius.errors import InputError
    from tertius.sweeps import engines

    def fail(job, index):
        raise InputError("the model failed", file="model")

    monkeypatch.setattr(engines, "run_chunk", fail)
    src = tmp_path / "in.yaml"
    src.write_text(YAML)
    out = tmp_path / "out"
    result = runner.invoke(app, COMMANDS["sweep"](str(src), out))
    assert result.exit_code == 2, result.output
    assert not (out / "sweep").exists(), _files(out)


# Conflicts on which iterated best response does not settle: the equilibrium search must still
# report an equilibrium and name its method in every command (docs/thirdparty.md, "Equilibria").
def _crowded(k: int, seed: int) -> str:
    """A war between Alpha and Beta with ``k`` generated third parties (seeded). Every number is
    marked sourced so that only the two conflict-wide inputs are assumed, and the break-even
    search of ``run`` stays short."""
    rng = child_rng(seed, "hostile", "crowded", k)

    def q(v: float) -> str:
        return f"{{value: {v}, source: generated for this test}}"

    thirds = [f"t{i}" for i in range(k)]
    lines = ["id: crowded", f"title: A war with {k} third parties", "actors:",
             f"  - {{id: a, name: Alpha, capability: {q(0.2)}, distance: 0}}",
             f"  - {{id: b, name: Beta, capability: {q(0.18)}, distance: 100}}"]
    for i, t in enumerate(thirds):
        lines.append(f"  - {{id: {t}, name: Third {i}, capability: {q(round(float(rng.uniform(0.02, 0.12)), 3))}, "
                     f"distance: {int(rng.integers(50, 3000))}}}")
    lines += ["issues:", "  - {id: x, scale: {min: 0, max: 100}, status_quo: 50}",
              "  - {id: y, scale: {min: 0, max: 100}, status_quo: 50}", "stances:",
              f"  - {{actor: a, issue: x, position: {q(100)}, salience: {q(0.9)}}}",
              f"  - {{actor: b, issue: x, position: {q(0)}, salience: {q(0.9)}}}"]
    for t in thirds:
        for issue in ("x", "y"):
            lines.append(f"  - {{actor: {t}, issue: {issue}, position: {q(int(rng.integers(0, 101)))}, "
                         f"salience: {q(round(float(rng.uniform(0.1, 0.9)), 2))}}}")
    costs = ", ".join(f"{t}: {q(round(float(rng.uniform(0.0, 0.2)), 2))}" for t in ["a", "b", *thirds])
    lines += ["conflict:", "  side_a: {name: Alpha, actors: [a]}", "  side_b: {name: Beta, actors: [b]}",
              "  stakes: [x]", f"  third_parties: [{', '.join(thirds)}]", f"  costs: {{{costs}}}"]
    return "\n".join(lines) + "\n"


#: (third parties, seed, the method that must answer): seeds whose game best response cycles on.
CYCLING = [(3, 2, "logit QRE"), (9, 2, "dominance + enumeration")]


@pytest.mark.parametrize("k, seed, method", CYCLING, ids=[f"{k}-third-parties-seed-{s}" for k, s, _ in CYCLING])
def test_a_conflict_on_which_best_response_cycles_reports_an_equilibrium_and_its_method(tmp_path, k, seed, method):
    import json

    from tertius.conflict.game import best_response_path
    from tertius.conflict.war import build_war, phases_of
    from tertius.io import load_scenario

    src = tmp_path / "crowded.yaml"
    src.write_text(_crowded(k, seed))
    s = load_scenario(src)
    (phase,) = phases_of(s)
    _, converged, _ = best_response_path(build_war(s, phase))
    assert not converged[0]  # the premise: iterated best response does not settle
    out = tmp_path / "out"
    for command in ("broker", "run", "sweep"):
        result = runner.invoke(app, COMMANDS[command](str(src), out))
        assert "Traceback" not in result.output, (command, result.output[-2000:])
        assert result.exception is None or isinstance(result.exception, SystemExit), (command, repr(result.exception))
        assert result.exit_code == 0, (command, result.output[-1000:])
        said = " ".join(result.stdout.split())  # the console wraps long lines
        if command == "sweep":  # perturbed draws may be solved by other methods: their shares
            assert "equilibria found by" in said and method in said, said[-2000:]
        else:  # the output names the method
            assert method in said and "selected by iterated best response" not in said, (command, said[-2000:])
    results = json.loads((out / "run" / "results.json").read_text())
    (answer,) = results["third_parties"]["phases"]
    assert answer["solver"].startswith(method) and set(answer["selected"]) == {f"t{i}" for i in range(k)}
    assert all(q["method"].startswith(method) for q in results["breakeven"]["questions"])
    summary = json.loads((out / "sweep" / "summary.json").read_text())
    assert abs(sum(summary["third_party_methods"][""].values()) - 1.0) < 1e-12


@pytest.mark.parametrize(("change", "args", "says"), [
    ("  join_cost: -1\n", [], "conflict.join_cost"),
    ("  join_cost: .nan\n", [], "conflict.join_cost"),
    ("", ["--setting", "bogus"], "--setting is 'bogus'"),
])
def test_a_bad_setting_of_the_game_is_one_line(tmp_path, change, args, says):
    """The game's setting, declared (conflict.join_cost) or asked for (--setting), gets a one-line
    error that names the field or the option and the fix, and nothing is written."""
    src = tmp_path / "set.yaml"
    src.write_text(YAML + change)
    for command in ("broker", "run", "sweep"):
        out = tmp_path / f"out-{command}"
        result = runner.invoke(app, [*COMMANDS[command](str(src), out), *args])
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert result.exit_code == 2 and len(lines) == 1 and says in lines[0] and "fix:" in lines[0], result.stderr
        assert _files(out) == []


def test_a_setting_for_a_scenario_without_a_conflict_is_one_line(tmp_path):
    src = tmp_path / "none.yaml"
    src.write_text(YAML.split("conflict:")[0])
    for command in ("broker", "run", "sweep"):
        result = runner.invoke(app, [*COMMANDS[command](str(src), tmp_path / "o"), "--setting", "casebook"])
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert result.exit_code == 2 and len(lines) == 1 and "declares no conflict" in lines[0], result.stderr
