"""What the web page asks of tertius, as plain functions from JSON-able data to JSON-able data.

Each function goes through the public API (scenario validation, :func:`tertius.run_model`,
:func:`tertius.conflict.third_parties`, the sweep engine's chunks, :func:`tertius.analysis.analyse` and
the report renderer), so the page and the command line give the same numbers for the same inputs.
The server (:mod:`tertius.web.app`) adds transport and limits; nothing here touches the network.
"""

from __future__ import annotations

import tempfile
import threading
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tertius.analysis import analyse, run_models, scores
from tertius.analysis import breakevens as find
from tertius.conflict import third_parties as analysis
from tertius.errors import InputError, format_path
from tertius.io import FORMATS, bundled_scenarios, load_scenario, load_scenarios
from tertius.io.files import slug
from tertius.io.formats import SUFFIXES, UPLOAD_HELP
from tertius.io.thirdparty_table import looks_like_decision_table
from tertius.io.yaml_io import scenario_from_data
from tertius.models import MODELS
from tertius.report.charts import tornado_chart
from tertius.report.console import settling_lines
from tertius.report.html import forecast_moves, results_and_report
from tertius.scenario import OPTION_TABLE, Perturbation, Scenario
from tertius.sweeps import sweep
from tertius.sweeps.engines import finite_or_none
from tertius.text import apart, human

#: The scenario formats the page exports, with their media types.
EXPORT_MEDIA = {"yaml": "application/yaml", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "decide": "text/csv"}


#: Draws per chunk of a sweep run by the page: progress and cancellation act between chunks.
SWEEP_CHUNK = 100


@dataclass(frozen=True)
class Limits:
    """What one request may ask for. The defaults keep every request on the default scenario
    well under a second, and any request within them under ``run_seconds``."""

    #: Largest request body, in bytes (413 beyond it).
    max_body: int = 2_000_000
    max_actors: int = 200
    max_issues: int = 60
    #: Perturbed draws for the third-party panel and for one sweep.
    max_draws: int = 2_000
    max_sweep: int = 5_000
    #: Sweeps running at once; more are refused until one ends.
    max_sweeps: int = 2
    #: Wall-clock limit of one model run or analysis, and of one sweep, in seconds.
    run_seconds: float = 20.0
    sweep_seconds: float = 120.0


def error_payload(e: InputError, file: str | None = None) -> dict[str, Any]:
    """An error as the page shows it: the CLI's one line, and its parts for placing it by a field."""
    if file is not None:
        e.file = file
    return {"error": str(e), "message": e.message, "path": format_path(e.path), "fix": e.fix}


def check_size(s: Scenario, limits: Limits, file: str) -> None:
    if len(s.actors) > limits.max_actors or len(s.issues) > limits.max_issues:
        raise InputError(f"the page accepts at most {limits.max_actors} actors and {limits.max_issues} issues "
                         f"(this scenario has {len(s.actors)} and {len(s.issues)})", file=file,
                         fix="run larger scenarios with the command line: tertius run FILE")


def scenario_of(data: Any, limits: Limits, file: str = "the page's scenario") -> Scenario:
    """Validate scenario data sent by the page, with the same checks and words as a YAML file."""
    s = scenario_from_data(data, file=file)
    check_size(s, limits, file)
    return s


def bundled() -> list[dict[str, str]]:
    out = []
    for sid in bundled_scenarios():
        s = load_scenario(sid)
        out.append({"id": sid, "title": s.title or s.id})
    return out


def bundled_data(sid: str) -> dict[str, Any] | None:
    """A bundled scenario's data, or None when no bundled scenario has that id (never a path)."""
    if sid not in bundled_scenarios():
        return None
    return load_scenario(sid).to_data()


def upload(name: str, content: bytes, limits: Limits, select: str | None = None) -> dict[str, Any]:
    """Read an uploaded file with tertius's reader for its suffix. The file goes to a fresh private
    folder under a fixed name; only the suffix of the user's name is used, and only when it is one
    tertius reads. Returns ``{"scenario": data}`` or, for a file of several, ``{"choices": [ids]}``."""
    shown = Path(name).name[:120] or "upload"
    suffix = Path(shown).suffix.lower()
    if suffix not in SUFFIXES:  # the suffixes of the format table, each read by its own reader
        raise InputError(f"unknown file type '{suffix or shown}'", file=shown, fix=UPLOAD_HELP)
    with tempfile.TemporaryDirectory(prefix="tertius-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(content)

        if suffix == ".csv" and looks_like_decision_table(path):
            raise InputError("this is a third-party decision table, not a scenario", file=shown,
                             fix=f"score it with the command line: tertius validate {shown}")
        try:
            scenarios = load_scenarios(path)
        except InputError as e:
            e.file = shown
            raise
    if select is not None:
        scenarios = [s for s in scenarios if s.id == select]
        if not scenarios:
            raise InputError(f"no scenario '{select}' in the file", file=shown, fix="pick one of the listed scenarios")
    if len(scenarios) > 1:
        return {"choices": [s.id for s in scenarios[:500]], "file": shown}
    check_size(scenarios[0], limits, shown)
    return {"scenario": scenarios[0].to_data(), "file": shown}


def _moves(model: str, item: dict[str, Any], names: dict[str, str], top: int = 5) -> list[list[dict[str, Any]]]:
    """For each round of a model that runs in rounds, its largest moves: for bdm the actors whose
    position changed most on any issue; for exchange the vote trades made in that round."""
    out: list[list[dict[str, Any]]] = []
    if model == "exchange":
        for r, trades in enumerate(item["details"].get("exchanges", []), start=1):
            rows = sorted(trades, key=lambda t: -abs(t.get("gain", 0.0)))[:top]
            out.append([{"round": r, "text": f"{names.get(t['demander_p'], t['demander_p'])} and "
                                             f"{names.get(t['supplier_p'], t['supplier_p'])} trade "
                                             f"{t['issue_p']} for {t['issue_q']}",
                         "size": abs(float(t.get("gain", 0.0)))} for t in rows])
        return out
    issues = item["issues"]
    n_rounds = len(issues[0].get("rounds", [])) if issues else 0
    for r in range(1, n_rounds):
        moves = []
        for issue in issues:
            before, after = issue["rounds"][r - 1], issue["rounds"][r]
            for actor, x in after.items():
                if actor in before and x is not None and before[actor] is not None and abs(x - before[actor]) > 1e-9:
                    moves.append({"round": r, "size": abs(x - before[actor]),
                                  "text": f"{names.get(actor, actor)} moves on {issue['id']} from "
                                          f"{before[actor]:.3g} to {x:.3g}"})
        out.append(sorted(moves, key=lambda m: -m["size"])[:top])
    return out


def model_list() -> list[dict[str, Any]]:
    """The registered models as the page lists them, each with its declared parameters and their
    defaults (the registry's ``defaults``), from which the page draws its parameter fields."""
    return [{"id": m, "summary": spec.summary, "tags": sorted(spec.tags),
             "params": {k: v for k, v in spec.defaults.items() if v is None or isinstance(v, (bool, int, float, str))}}
            for m, spec in MODELS.items()]


def option_list() -> list[dict[str, str]]:
    """A third party's options in the order they are shown, each with its label ({a} and {b}
    stand for the sides' names): the page's only source of their words (the Option table)."""
    return [{"code": o.code, "label": o.label} for o in OPTION_TABLE]


def params_of(data: Any) -> dict[str, dict[str, Any]]:
    """Model parameters sent by the page, ``{model: {name: value}}``, checked and typed by the
    registry exactly as ``tertius forecast -p`` is; only the values that differ are kept."""
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError("params must map a model to its parameters", file="the page's request", path=("params",),
                         fix='e.g. {"bdm": {"rounds": 30}}')
    out: dict[str, dict[str, Any]] = {}
    for m, given in data.items():
        if m not in MODELS:
            raise InputError(f"unknown model '{m}'", file="the page's request", path=("params", m),
                             fix=f"use one of: {', '.join(MODELS)}")
        try:
            full = MODELS[m].params(given)
        except InputError as e:
            e.file, e.path = "the page's request", ("params", m)
            raise
        changed = {k: full[k] for k in given if full[k] != MODELS[m].defaults[k]}
        if changed:
            out[m] = changed
    return out


def run(s: Scenario, models: list[str] | None = None, seed: int = 0,
        params: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A view of ``tertius run``'s analysis (:func:`tertius.analysis.run_models` and
    :func:`tertius.analysis.scores`): every model's forecast, the scores exactly as results.json
    holds them (errors on each issue's scale and in % of its span, MAE in % of span), and for the
    models that run in rounds, the outcome and each actor's position after each round, with that
    round's largest moves. ``params`` are model parameters by model (see :func:`params_of`).
    Nothing here computes a number of its own: it only reshapes what the library returns."""

    started = time.perf_counter()
    names = {a.id: a.name or a.id for a in s.actors}
    forecasts: dict[str, Any] = {}
    rounds: dict[str, Any] = {}
    warnings: list[str] = []
    runs, refused = run_models(s, models, seed=seed, params=params)
    for m, f in runs.items():
        d = f.to_dict()
        forecasts[m] = {i["id"]: i["outcome"] for i in d["issues"]}
        warnings.extend(settling_lines(m, d["details"], d.get("params")))
        if "rounds" in MODELS[m].tags and d.get("line"):
            rounds[m] = {"label": d["line"]["label"], "values": d["line"]["values"],
                         "positions": {i["id"]: i["rounds"] for i in d["issues"] if "rounds" in i},
                         "moves": _moves(m, d, names)}
    scored = scores(s, runs)
    errors: dict[str, dict[str, Any]] = {}
    for row in scored["issues"]:
        if row["observed"] is None:
            continue
        errors.setdefault(row["issue"], {})[row["model"]] = {
            "error": finite_or_none(row["error"]), "pct": finite_or_none(row["abs_error_pct"])}
    return {"forecasts": forecasts, "errors": errors, "scores": scored["models"], "refused": refused,
            "rounds": rounds, "warnings": warnings,
            "models": {m: {"summary": MODELS[m].summary, "citation": MODELS[m].citation} for m in forecasts},
            "seconds": time.perf_counter() - started}


def breakevens(s: Scenario, models: list[str] | None = None, seed: int = 0,
               params: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """What would have to be true, as the report shows it: the break-even values of ``tertius
    run``'s results (:func:`tertius.analysis.breakevens`), in the report's own views and words.

    * ``moves``: :func:`tertius.report.html.forecast_moves` (the report's "What would move the
      forecasts"): per issue, the assumed input whose smallest change moves the best-scored model's
      forecast by more than 10 % of the issue's scale, where, and where the forecast lands.
    * ``choices``: per third party's option (results' ``breakeven``), the assumed inputs that change
      it within their ranges, nearest first, with the option each flips to and where, and the
      report's tornado chart (SVG) of them.

    Each number comes as the library gives it and as the report prints it (``text``); the page only
    places them."""

    started = time.perf_counter()
    runs, _ = run_models(s, models, seed=seed, params=params)
    found = find(s, list(runs), params)
    moves = forecast_moves({"scores": scores(s, runs), "forecasts": runs, **found}, top=1)
    if moves is not None:
        for row in moves["rows"]:
            row["text"] = {"forecast": human(row["forecast"], 2)}
            for x in row["inputs"]:  # the report's cells: num(2), and ≥ or ≤ before the value that moves it
                x["text"] = {"value": human(x["value"], 2), "at": f"{'≥' if x['up'] else '≤'} {apart(x['at'], x['value'], 2)}",
                             "to": human(x["to"], 2)}
    choices = []
    for q in (found["breakeven"] or {}).get("questions", []):
        flipping = [r for r in q["inputs"] if not r["safe"]][:TORNADO_TOP]
        for r in flipping:  # the words of the report's tornado bars
            r["text"] = {"value": human(r["value"]), "range": f"{human(r['range'][0])} to {human(r['range'][1])}",
                         "flips": [f"{f['to_words']} at {'≤' if f['at'] < r['value'] else '≥'} {human(f['at'])}"
                                   for f in r["flips"]]}
        choices.append({"question": q["question"], "phase": q["phase"], "third_party": q["third_party"],
                        "answer": q["answer"], "answer_words": q["answer_words"], "inputs": flipping,
                        "safe": len(q["safe"]), "n": len(q["inputs"]),
                        "chart": tornado_chart(q, top=TORNADO_TOP) if flipping else None})
    return {"moves": moves, "choices": choices, "method": (found["breakeven"] or {}).get("method"),
            "seconds": time.perf_counter() - started}


#: Inputs per third party's option that the page lists and charts, as the report's tornado charts do.
TORNADO_TOP = 8


def third_parties(s: Scenario, draws: int, seed: int, limits: Limits) -> dict[str, Any] | None:
    """The third-party analysis exactly as ``tertius broker`` returns it (None without a conflict)."""
    if s.conflict is None:
        return None

    if not 0 <= draws <= limits.max_draws:
        raise InputError(f"draws must be between 0 and {limits.max_draws}", file="the page's request",
                         fix="lower the number of draws")
    return analysis(s, draws=draws, seed=seed)


def export(s: Scenario, kind: str, seed: int = 0) -> tuple[str, str, bytes]:
    """A download: the scenario as YAML, an Excel workbook or Decide CSV, or the full analysis as results.json or the
    HTML report (the same files ``tertius run`` writes)."""
    name = slug(s.id)
    if kind in EXPORT_MEDIA:  # a scenario format, written by its writer in tertius.io.formats
        written = FORMATS[kind].write(s)
        return (f"{name}{FORMATS[kind].suffixes[0]}", EXPORT_MEDIA[kind],
                written if isinstance(written, bytes) else str(written).encode())
    if kind not in ("results", "report"):
        raise InputError(f"unknown export '{kind}'", fix="export yaml, xlsx, decide, results or report")

    text, report = results_and_report(analyse(s, seed=seed), source="the page's scenario")
    if kind == "results":
        return "results.json", "application/json", text.encode()
    return "report.html", "text/html", report.encode()


class _Stopped(Exception):
    """Raised from a sweep's progress callback to stop it between chunks."""


@dataclass
class SweepRun:
    """One sweep run by the page in a background thread, chunk by chunk, so that it reports
    progress and stops when cancelled or past its time limit. The draws and their seeds are those
    of ``tertius sweep --chunk-size 100`` with the same scenario, model, perturbation, seed and n
    (a chunk is the unit of seeding, so the chunk size is part of what makes a sweep repeatable):
    it runs :func:`tertius.sweeps.sweep` into a private temporary folder, with the third-party
    shares when the scenario has a conflict, and the model's parameters as ``-p`` gives them."""

    scenario: Scenario
    model: str
    n: int
    seed: int
    spec: Perturbation
    seconds: float
    params: dict[str, Any] = field(default_factory=dict)
    #: Runs the chunks (the server's worker pool); None runs them in the sweep's own thread.
    executor: Executor | None = None
    state: str = "running"
    done: int = 0
    error: str | None = None
    result: dict[str, Any] | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        threading.Thread(target=self._work, daemon=True, name=f"tertius-sweep-{self.scenario.id}").start()

    def _work(self) -> None:

        deadline = time.monotonic() + self.seconds

        def progress(chunks: int) -> None:  # called after each chunk: where a sweep can stop
            self.done = min(self.n, self.done + chunks * SWEEP_CHUNK)
            if self.cancelled.is_set():
                raise _Stopped("cancelled")
            if time.monotonic() > deadline:
                raise _Stopped(f"the sweep passed its limit of {self.seconds:.0f} s")

        try:
            with tempfile.TemporaryDirectory(prefix="tertius-sweep-") as tmp:
                result = sweep(self.scenario, self.model, n=self.n, seed=self.seed, perturbation=self.spec,
                               params=self.params, out=tmp, chunk_size=SWEEP_CHUNK, progress=progress,
                               executor=self.executor)
            ok = result.tables["table"][result.tables["table"]["error"] == ""]
            values = {issue: [finite_or_none(v) for v in ok.loc[ok["issue"] == issue, "outcome"].to_numpy()]
                      for issue in self.scenario.issue_ids}
            self.result = {"summary": result.summary, "values": values}
            self.state = "done"
        except _Stopped as stop:
            self.state, self.error = ("cancelled", None) if str(stop) == "cancelled" else ("failed", str(stop))
        except InputError as e:
            self.state, self.error = "failed", str(e)
        except Exception as e:  # a bug must reach the page as an error, and not end the server
            self.state, self.error = "failed", f"the sweep failed: {type(e).__name__}: {e}"

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state, "done": self.done, "n": self.n}
        if self.error:
            out["error"] = self.error
        if self.result is not None:
            out["result"] = self.result
        return out


def sweep_run(s: Scenario, request: dict[str, Any], limits: Limits) -> SweepRun:
    """Check a sweep request from the page and prepare it (not started)."""
    where = "the page's sweep request"

    def number(key: str, default: float, lo: float, hi: float) -> float:
        value = request.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            raise InputError(f"{key} must be a number from {lo:g} to {hi:g}", file=where, path=(key,),
                             fix=f"e.g. {key}={default:g}")
        return float(value)

    n = int(number("n", 500, 1, limits.max_sweep))
    seed = int(number("seed", 0, 0, 2**63 - 1))
    model = request.get("model", "compromise")
    if not isinstance(model, str) or model not in MODELS:
        raise InputError(f"unknown model '{model}'", file=where, path=("model",), fix=f"use one of: {', '.join(MODELS)}")
    base = s.perturbation or Perturbation()
    spec = base.model_copy(update={
        "position": number("position", base.position, 0, 1e6),
        "salience": number("salience", base.salience, 0, 10),
        "capability": number("capability", base.capability, 0, 10)})
    params = params_of(request.get("params")).get(model, {})
    return SweepRun(scenario=s, model=model, n=n, seed=seed, spec=spec, seconds=limits.sweep_seconds, params=params)


def safe_name(text: str) -> str:
    """A name fit for a Content-Disposition header."""
    return slug(text) or "download"
