"""Are the outputs of every command the same bytes at two revisions?

    python scripts/byte_identity.py BEFORE AFTER [--deu PATH]

Each revision is taken from git (``git archive``, so the working tree is not touched) into a
temporary folder and run with this Python and that revision's ``src/`` first on the path. Every
command that runs to an end is run on the default scenario and on the DEU training file
(``$TERTIUS_SHARED/data/deu/deu_train.tsv``, else ``../shared/data/deu/deu_train.tsv``): its
exit status, stdout, stderr and every file it writes are compared byte for byte. ``serve`` is
left out (it runs until stopped; tests/test_serve.py compares the page's exports with the CLI's
files), and a workbook (``.xlsx``) is compared by the scenario read back from it, since its zip
carries the time it was written. Prints one line per output and a summary; exits 1 if any differ.

Recorded: 18355ef -> fc34154 (the format table): 93 outputs, 1 differs, deu-x.tsv, by intent (the
DEU writer writes back the proposal name alone instead of the title read from the file).
f9b8865 -> 6766b9e (the layers' move): 93 outputs, 1 differs, ``schema`` stdout, by intent (the
scenario schema's description of ``perturbation`` names the module's new home, tertius.perturb).
main -> 289f947 (the one Option table): 93 outputs, 0 differ.
5f56c88 -> the names' branch (the third-party analysis under ``third_parties``): 95 outputs (run
--format json now writes to its own folder; before, it stopped with exit status 2 at the folder
run --format table had written, so neither revision's JSON run was compared), 3 differ, by intent:
``run-json stdout``, ``file run/results.json`` and ``file run-json/results.json``, each in one
line only, the top-level key ``"broker": {`` now ``"third_parties": {`` (checked with diff on
both results.json files). The reports, ``report`` re-rendering and ``broker`` (table and JSON)
are the same bytes.
a05d54b -> bc0b58b (the format table on the page, the sweep summary's names, imports at the top
of files): 95 outputs, 1 differs, by intent: ``file sweep/summary.json``, whose keys
``broker_first`` and ``broker_method`` are now ``third_party_shares`` and ``third_party_methods``.
9019392 -> 4dfff48 (validate streamed by dispute, inputs labelled with the scenario read once): 95
outputs, 0 differ.
a2a4a4c -> 74413bd (the third parties' game among the actors it needs, drawn distances written into
the war): 95 outputs, 0 differ. 74413bd -> 03381ee (best response evaluates each draw's profile
once): 95 outputs, 0 differ.
a2a4a4c -> 5bc1a66 (issue 23: bdm's stored utilities and midpoint grid, nash's sparse LPs): 95
outputs, 0 differ. 9019392 -> f639606 (every branch of that round merged): 95 outputs, 9 differ, by
intent: broker (table, JSON), run (stdout, results.json, report.html) and the report, where the
only changed numbers are the choice model's probabilities (choicemodel.json refitted with the
penalties chosen over repeated inner deals; Russia's 1860 broker 87.5 % -> 87.7 %); every
equilibrium, share, settlement and forecast is the same. 9b40ba5 -> 18d73d5 (validate's reader, the
game's masks and the choice design made cheaper): 95 outputs, 0 differ. e16e7ac -> ff1a9bc and
e16e7ac -> 80cb329 (exchange23b: the compiled exchange loop, MAP_ENTRIES, the exchange's pair table
and externalities in blocks): 95 outputs, 0 differ. e16e7ac -> fddba89
(val23b: the disputes' games batched by shape, fewer collections, the choice design's terms at
once): 95 outputs, 0 differ.
e16e7ac -> 538c902 (bdm's compiled kernel, numba installed so the kernel runs): 95 outputs, 4 differ,
by rounding: ``run`` (results.json of the table and JSON runs, JSON stdout) in three numbers (two
break-even flip forecasts, 49.99592003946165 -> ...172 and 8.89936502557114 -> ...138, and bdm's
interval bound on amur, 9.72727785293366 -> ...648) and ``validate`` on the DEU file (JSON stdout, 14
lines: mae and forecasts in their last digits, e.g. 30.7315483714757 -> 30.731548371475665). The
kernel sums in another order than numpy; with TERTIUS_KERNEL=numpy the numpy path runs as before. e16e7ac ->
362114e (the batch form of small issues back on numpy under auto): 95 outputs, 1 differs, by
rounding: ``validate-deu-json`` stdout, as above (bdm on each DEU issue runs on the kernel); ``run``
(its intervals and break-even values use the batch form) is the same bytes again. e16e7ac ->
ec64fa0 (every branch above merged, and auto runs the kernel only on issues of 200 actors or more,
so the DEU file and the default scenario stay on numpy): 95 outputs, 0 differ.
e16e7ac -> 7a32e37 (issue 23: the forecast intervals' draws chosen by Monte Carlo precision): 95
outputs, 7 differ, by intent: ``run-table stdout``, ``run-json stdout``, ``file run/results.json``,
``file run-json/results.json``, ``file run/report.html``, ``file run-json/report.html`` and
``file report.html`` (re-rendered from run/results.json). In results.json only ``intervals``
differs (checked key by key): the draws come from another stream (blocks of 50, a child seed
each) and each model takes as many as its precision needs (mean 100, compromise 450,
weighted-median and bdm 1,000), with the new fields (rule, stopped, lo_error, hi_error); the
report and the summaries show them. Every forecast, score, share and break-even is the same. e16e7ac -> 151672e (this round's
six branches merged, bdm's kernel by size, SLOW_MAX_DRAWS): 95 outputs, 7 differ, the same 7 as
7a32e37 above (the intervals' draws); with the default scenario every interval model has a batch
form (mean 100 draws, compromise 450, weighted-median and bdm 1,000).
5bc6c10 -> 2df5900 (run23c: the intervals' cost bound, nash's vector form, exchange's 50 largest
exchanges a round without --full): 95 outputs, 1 differs, by rounding: ``validate-deu-json``
stdout, nash's forecasts on 90 of the 243 DEU issues (median 9e-9, at most 8e-5 on a 0-100 scale;
the log Nash product higher in 38, lower in 35, equal to 1e-12: the solver's tolerance) and the
mae and errors that follow (nash's mae 39.97319181875953 -> 39.97319153351664). The default
scenario's outputs (run, report, broker, forecast, sweep) are the same bytes.
5bc6c10 -> 97c00e0 (this round's five branches merged: the casebook's two rules, run23c,
bdm's threads, exchange's compiled candidates): 95 outputs, 11 differ, by intent:
``validate-deu-json`` stdout (nash's rounding, as at 2df5900); ``schema`` stdout (the new optional
``claims`` of a conflict and a phase); and broker (table, JSON), run (table and JSON stdout, both
results.json, both report.html) and the re-rendered report, where only the choice model's
probabilities and the sentences that print them differ (checked key by key in results.json:
choicemodel.json refitted on the casebook under the two rules; Russia 1858 stay out 75.6 % ->
74.8 %). Every equilibrium, value, share, settlement, forecast and interval is the same.
6273a8b -> c277fe6 (nash23e: nash's programme given to Clarabel directly, without cvxpy; the
intervals' binomial CDF from scipy.special): 95 outputs, 1 differs, by rounding:
``validate-deu-json`` stdout, nash's forecasts on 90 of the 243 DEU issues (median 8.7e-9, at most
1.1e-4 on a 0-100 scale, and the errors with them; the log Nash product equal to 1e-12 in 87,
lower by at most 4.9e-12 in 3: the solver's tolerance) and nash's mae 39.97319153351664 ->
39.973192080476736. The default scenario's outputs (run, report, broker, forecast, sweep) are the
same bytes: its Nash solution needs no conic solve, and the intervals' order statistics are the
same. 6273a8b -> c265ab9 (nash's LPs by Clarabel too, not HiGHS): the same 95 outputs, the same
one differs, with the same bytes as at c277fe6. At 600 actors (benchmarks/scale_scenario.py, not
in this script) results.json differs from 6273a8b in nash's outcome on one issue by 1.2e-9 (and
the scores that print it) and in its max_min_gain by 3.4e-14.
6273a8b -> 664332b (the prestige of convening, nash by Clarabel, bdm's C kernel, the docs' numbers
checked): 95 outputs, 1 differs, ``validate-deu-json`` stdout, nash's rounding as recorded at
c265ab9 (the prestige of convening is off outside the casebook's CV, and bdm's C kernel runs from
200 actors, so no output of the default scenario or the DEU file reaches it).
5215159 -> ba58d24 (the tables' mapping with rivalries, fitted.json and choicemodel.json refitted;
validate's casebook setting): 95 outputs, 9 differ, by intent: broker (table, JSON), run (stdout,
results.json, report.html, both formats) and the report. The JSON of ``tertius broker`` differs
only in the fitted precision and join constant and in the probabilities (the choice model's, the
game logit's, their means over the draws, and the sentences that quote them: Russia 1858 stays out
at 75 % -> 74 %, 1860 brokers at 88 % -> 87 %); every equilibrium, share, settlement and
forecast is the same.
927ab3f -> 3bb075d (the game reads the declared claims, choicemodel.json refitted; the order of
entry): 95 outputs, the same 9 differ, by intent, and in the JSON of ``tertius broker`` only in
the choice model's probabilities (point and mean over the draws) and the sentences that quote
them (Russia 1858 74 % -> 79 %, 1860 87 % -> 89 %): the default scenario declares no claims, so
its game is unchanged.
0e003a1 -> 5c06dc7 (the casebook's own logit at its selected setting, ``choice.probabilities``'s
broker constant, 0 for the tables' fit): 95 outputs, 0 differ.
7599bc9 -> e202790 (each third party's answer at the casebook's setting): 95 outputs, 9 differ, by
intent: broker (table, JSON), run (stdout, results.json, report.html, both formats) and the report.
The JSON of ``tertius broker`` with each ``casebook_setting`` removed and its sentence taken out of
the explanation is the same as before (checked with json on both outputs).
20b5bb1 -> e23342d (the casebook's setting in the answer first; one wording of a share of draws):
95 outputs, 10 differ, by intent: broker (table, JSON), run (stdout of both formats, results.json,
report.html), the report, and the sweep's report (the report's print styles). Every equilibrium,
share, probability, settlement and forecast is the same.
e23342d -> cf12cda (a declared setting of the game, --setting): 95 outputs, 9 differ, by intent:
broker JSON, run (stdout of both formats, results.json, report.html), the report, and ``schema``
(the optional join_cost, pivotal and convening); broker's table output is the same bytes, and its
JSON with ``params.setting`` and each ``casebook_setting.played`` removed is equal to before
(checked with json on both outputs).
f8c5c17 -> 1ce6ee8 (the casebook's logit where its setting is played): 95 outputs, 4 differ, by
intent: broker JSON and run's results.json (both formats) and JSON stdout, where the third
parties' ``params`` gain ``broker_constant`` (0 for the tables' fit); the default scenario plays the
plain game, so every probability is the same.
48a9f41 -> 718e442 (the draws' levels in the order of the inputs' keys): 95 outputs, 13 differ, by
intent: broker (table, JSON), run (stdout of both formats, results.json, report.html), the report,
and the sweep (stdout, summary.json, the options chunk, its report): the third parties' shares and
mean probabilities over the draws (1860: the United States stays out in 83 % of draws, 82 before;
Russia brokers in 42 %, 41 before). The sweep's summary.json differs in ``third_party_shares``
only (checked key by key); every forecast, quantile, equilibrium and point probability is the same.
6928116 -> 9a18649 (``tertius sweep --setting``): 95 outputs, 0 differ.
820e1f4 -> a99b513 (issue 22's variant 3: the rivalry among the choice model's join terms,
refitted; actor ids read as COW codes; pandas imported where a table is built): 95 outputs, 9
differ, by intent: broker (table, JSON), run (stdout, results.json and report.html, table and JSON)
and the report. In the broker JSON only the choice model's probabilities differ (point and mean
over the draws), and the two answers that quote them (Russia 1858 79 % -> 77 %, 1860 89 % -> 88 %);
every equilibrium, share of draws, settlement and forecast is the same.
a99b513 -> cdbab77 (the review mend, validate's calibration tables, the forward splits, the
report's note on the probabilities): 95 outputs, 3 differ, by intent: the three report.html files,
whose note on the third parties' probabilities now names the COW codes.
3be44fc -> ef4c325 (the intervals of validate --cv, the choice model's draws built at once): 95
outputs, 0 differ (the commands here run validate without --cv, whose output did not change).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = "second-opium-war"


def commands(deu: str) -> list[tuple[str, list[str]]]:
    """(name, arguments); OUT in an argument is the run's own output folder."""
    first = "d00032i1"  # the DEU file's first issue
    out = [
        ("scenarios", ["scenarios"]), ("models", ["models"]), ("schema", ["schema"]),
        ("version", ["version"]),
    ]
    for fmt in ("table", "json"):
        out += [
            (f"run-{fmt}", ["run", DEFAULT, "--out", "OUT/run" if fmt == "table" else "OUT/run-json", "--format", fmt]),
            (f"broker-{fmt}", ["broker", DEFAULT, "--format", fmt]),
            (f"forecast-{fmt}", ["forecast", DEFAULT, "--format", fmt]),
            (f"forecast-deu-{fmt}", ["forecast", deu, "--select", first, "--format", fmt]),
            (f"validate-deu-{fmt}", ["validate", deu, "--format", fmt]),
        ]
    out += [
        ("sweep", ["sweep", DEFAULT, "--n", "200", "--out", "OUT/sweep"]),
        ("report", ["report", "OUT/run/results.json", "--out", "OUT/report.html"]),
    ]
    for target in ("x.yaml", "x.json", "x.xlsx", "x-tables", "x.csv", "x.xdf"):
        out.append((f"convert-{target}", ["convert", DEFAULT, f"OUT/{target}"]))
    for target in ("x.tsv", "x.yaml"):
        out.append((f"convert-deu-{target}", ["convert", deu, f"OUT/deu-{target}", "--select", first]))
    return out


def checkout(rev: str, into: Path) -> None:
    data = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")


def workbook(path: Path, src: Path) -> bytes:
    code = ("import sys, json; from tertius.io import load_scenario; "
            "print(json.dumps(load_scenario(sys.argv[1]).to_data(), sort_keys=True))")
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([sys.executable, "-c", code, str(path)], env=env, capture_output=True, check=True).stdout


def outputs(root: Path, deu: str) -> dict[str, bytes]:
    """Every output of every command at the revision checked out in ``root``."""
    work = root / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"}
    found: dict[str, bytes] = {}
    for name, args in commands(deu):
        args = [a.replace("OUT", str(work)) for a in args]
        r = subprocess.run([sys.executable, "-c", "from tertius.cli import main; main()", *args],
                           cwd=work, env=env, capture_output=True)
        found[f"{name} exit"] = str(r.returncode).encode()
        found[f"{name} stdout"] = r.stdout.replace(str(work).encode(), b"OUT")
        found[f"{name} stderr"] = r.stderr.replace(str(work).encode(), b"OUT")
    for path in sorted(p for p in work.rglob("*") if p.is_file()):
        rel = path.relative_to(work).as_posix()
        data = workbook(path, root / "src") if path.suffix == ".xlsx" else path.read_bytes()
        found[f"file {rel}"] = data.replace(str(work).encode(), b"OUT")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before")
    parser.add_argument("after")
    shared = Path(os.environ.get("TERTIUS_SHARED", REPO.parent / "shared"))
    parser.add_argument("--deu", default=str(shared / "data" / "deu" / "deu_train.tsv"))
    a = parser.parse_args()
    if not Path(a.deu).is_file():
        parser.error(f"no DEU file at {a.deu}: pass --deu PATH or set TERTIUS_SHARED")
    with tempfile.TemporaryDirectory(prefix="tertius-bytes-") as tmp:
        runs = {}
        for label, rev in (("before", a.before), ("after", a.after)):
            root = Path(tmp) / label
            root.mkdir()
            checkout(rev, root)
            runs[label] = outputs(root, str(Path(a.deu).resolve()))
    before, after = runs["before"], runs["after"]
    differ = 0
    for key in sorted(set(before) | set(after)):
        b, c = before.get(key), after.get(key)
        same = b == c
        differ += not same
        digest = hashlib.sha256(c or b"").hexdigest()[:12]
        state = "same" if same else ("only before" if c is None else "only after" if b is None else "DIFFERS")
        print(f"{state:11} {digest} {key}")
    print(f"{len(set(before) | set(after))} outputs, {differ} differ ({a.before} -> {a.after})")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
