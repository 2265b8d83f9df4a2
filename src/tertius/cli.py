"""The ``tertius`` command line. Thin: parse, call the API, render.

User errors are printed as one line on stderr with exit status 2, never as a traceback.
``--format json`` makes every command print exactly one JSON document on stdout.
"""

from __future__ import annotations

import difflib
import functools
import json
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from tertius.analysis import analyse
from tertius.breakeven import search
from tertius.conflict import DEFAULT_DRAWS, third_parties, with_setting
from tertius.conflict.casebook import looks_like_casebook, validate_casebook
from tertius.conflict.score import validate_table
from tertius.errors import PARAMS, InputError, TertiusError
from tertius.io import DEFAULT_SCENARIO, bundled_scenarios, load_scenario, load_scenarios, render
from tertius.io.files import slug, write_atomic, write_text_atomic
from tertius.io.formats import NAMES, SUFFIXES, for_target
from tertius.io.thirdparty_table import looks_like_decision_table
from tertius.io.writers import lost_fields
from tertius.models import MODELS, run_model
from tertius.report.console import (
    breakeven_tables,
    casebook_tables,
    cv_tables,
    forecast_moves_table,
    forecast_table,
    listing,
    print_forecast,
    print_tables,
    print_third_parties,
    scores_table,
    sensitivity_lines,
    settling_lines,
    summary_lines,
    sweep_tables,
    thirdparty_validation_tables,
)
from tertius.report.html import forecast_moves, render_html, results_and_report, summary_of
from tertius.report.sweep import render_sweep_html
from tertius.scenario import Perturbation, Scenario
from tertius.schemas import SCHEMAS
from tertius.scoring import validate as validate_scenarios
from tertius.sweeps import sweep as run_sweep_api
from tertius.sweeps.engines import table_format, write_table_atomic
from tertius.version import __version__

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(
    name="tertius", add_completion=True, no_args_is_help=True, rich_markup_mode=None,
    pretty_exceptions_enable=False, context_settings={"help_option_names": ["-h", "--help"]},
    help="Forecast multi-party negotiations and conflicts; advise third parties.",
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """Forecast multi-party negotiations and conflicts; advise third parties."""


def _models(names: list[str] | None) -> list[str] | None:
    """-m may be repeated or given a comma list ('-m compromise,bdm'). An unknown name is the
    option's mistake, not the scenario file's: the error names --model and the closest model."""
    if not names:
        return None
    out = [m.strip() for name in names for m in name.split(",") if m.strip()]
    for m in out:
        if m not in MODELS:
            lower = {k.lower(): k for k in MODELS}
            guess = [lower[m.lower()]] if m.lower() in lower else difflib.get_close_matches(m, list(MODELS), n=1)
            raise InputError(f"unknown model '{m}'", file="--model",
                             fix=(f"did you mean -m {guess[0]}? " if guess else "") + f"models: {', '.join(MODELS)}")
    return out
console = Console()
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class Format(str, Enum):
    table = "table"
    json = "json"


F = TypeVar("F", bound=Callable[..., Any])


#: The "file" of an error in a command-line option.
CLI = "command line"


def user_errors(fn: F) -> F:
    """Report TertiusError as one line on stderr and exit 2. An error that names no file gets the
    command's input file, so every message says which file it is about."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TertiusError as e:
            source = kwargs.get("scenario") or kwargs.get("source")
            if isinstance(e, InputError) and not e.file and source:
                e = InputError(e.message, file=str(source), line=e.line, path=e.path, fix=e.fix)
            text = f"error: {e}".encode("utf-8", "backslashreplace").decode("utf-8")
            err_console.print(" ".join(text.split()), markup=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, allow_nan=False, default=_json_default) + "\n")


def _json_default(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


def _params(items: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or key.strip().endswith("."):
            raise InputError(f"parameter '{item}' is not NAME=VALUE", file=PARAMS,
                             fix="write e.g. -p rounds=10, or -p bdm.rounds=30 for one model")
        out[key.strip()] = _parse_value(value.strip())
    return out


def _params_by_model(items: list[str] | None, models: list[str]) -> dict[str, dict[str, Any]]:
    """``-p`` for a command that runs ``models``: ``NAME=VALUE`` sets NAME for every one of them
    that declares it (for a single model, for that model whatever it declares), ``MODEL.NAME=VALUE``
    for that model only. Each model's values are checked by the registry, as ``tertius forecast -p``
    checks them, so a bad name or type is one error naming the option."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in _params(items).items():
        model, _, name = key.rpartition(".")
        if model:
            if model not in MODELS:
                guess = difflib.get_close_matches(model, list(MODELS), n=1)
                raise InputError(f"-p {key}={value}: unknown model '{model}'", file=PARAMS,
                                 fix=(f"did you mean -p {guess[0]}.{name}? " if guess else "")
                                 + f"models: {', '.join(MODELS)}")
            if model not in models:
                raise InputError(f"-p {key}={value}: model '{model}' is not run here", file=PARAMS,
                                 fix=f"run it with -m {model}, or drop the parameter")
            targets = [model]
        else:
            targets = models if len(models) == 1 else [m for m in models if name in MODELS[m].defaults]
        if not targets:
            known = "; ".join(f"{m}: {', '.join(MODELS[m].defaults)}" for m in models if MODELS[m].defaults)
            raise InputError(f"-p {key}={value}: no model run here has a parameter '{name}'", file=PARAMS,
                             fix=f"the parameters are {known or 'none'}; prefix a model to set one, "
                                 f"e.g. -p bdm.rounds=30")
        for m in targets:
            out.setdefault(m, {})[name] = value
    for m, given in out.items():
        if m in MODELS:  # an unknown -m is --model's error, raised where the model is looked up
            MODELS[m].params(given)  # an unknown name or a wrong type is an error now, not a refusal later
    return out


def _parse_value(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


ScenarioArg = Annotated[str, typer.Argument(help=f"A scenario file ({', '.join(SUFFIXES)}), a folder of CSV tables "
                                                 "(docs/formats.md) or the id of a bundled scenario.")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table for people, json for scripts.")]
SeedOpt = Annotated[int, typer.Option(help="Seed for all randomness.")]
InputFormatOpt = Annotated[str | None, typer.Option("--input-format", help=f"One of {NAMES} "
                                                                            "(default: from the file suffix).")]
ParamOpt = Annotated[list[str] | None, typer.Option(
    "--param", "-p", help="Model parameter NAME=VALUE (repeatable): for every model that has it, or "
                          "MODEL.NAME=VALUE for one, e.g. -p bdm.rounds=30 (see 'tertius models').")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace the output of an earlier run in the same folder.")]


def perturbation_from_options(scenario: Scenario, *, position: float | None = None, salience: float | None = None,
                              capability: float | None = None, distribution: str | None = None,
                              overrides: list[str] | tuple[str, ...] = (), source: str = "command line") -> Perturbation:
    """The scenario's perturbation section (or the default) with command-line values on top; an
    override is 'actor=ID,capability=0.5' or 'issue=ID,position=1'. Bad values are one InputError."""
    base = (scenario.perturbation or Perturbation()).model_dump()
    for key, value in (("position", position), ("salience", salience), ("capability", capability),
                       ("distribution", distribution)):
        if value is not None:
            base[key] = value
    try:
        for text in overrides:
            fields = dict(item.split("=", 1) for item in text.split(",") if "=" in item)
            base["overrides"].append({k: (v if k in ("actor", "issue") else float(v)) for k, v in fields.items()})
        return Perturbation.model_validate(base)
    except Exception as e:
        raise InputError(f"bad perturbation: {str(e).splitlines()[0]}", file=source,
                         fix="e.g. --position 5 --distribution truncnorm --override actor=qing,capability=0.5") from None


def write_sweep(folder: Path, tables: dict[str, pd.DataFrame], summary: dict[str, Any], csv: bool = False
                ) -> dict[str, str]:
    """Write a finished sweep: the table (Parquet with the ``parquet`` extra, else CSV; CSV as
    well with ``csv``), summary.json and the report. Everything is rendered first, so a failing
    report leaves no summary behind."""
    summary_text = json.dumps(summary, indent=1) + "\n"
    report_text = render_sweep_html(summary, tables["table"])
    parquet = table_format() == "parquet"
    csv_text = tables["table"].to_csv(index=False) if csv or not parquet else None
    files = {}
    if parquet:
        write_table_atomic(tables["table"], folder / "sweep.parquet")
        files["table"] = str(folder / "sweep.parquet")
    if csv_text is not None:
        write_text_atomic(folder / "sweep.csv", csv_text)
        files["csv"] = str(folder / "sweep.csv")
        files.setdefault("table", str(folder / "sweep.csv"))
    write_text_atomic(folder / "summary.json", summary_text)
    write_text_atomic(folder / "report.html", report_text)
    files.update(summary=str(folder / "summary.json"), report=str(folder / "report.html"))
    return files


def refuse_existing(folder: Path, files: list[Path], overwrite: bool, command: str) -> None:
    """``run`` and ``sweep`` share one rule: output already in the folder is replaced only with
    --overwrite (a sweep's chunks may instead be continued with --resume)."""
    if overwrite:
        return
    found = [f for f in files if f.exists()]
    if found:
        raise InputError(f"{folder} holds the output of an earlier {command} ({found[0].name})", file=str(folder),
                         fix="pass --overwrite to replace it, or choose another --out")


SelectOpt = Annotated[str | None, typer.Option(help="Pick one scenario by id from a file that holds several.")]
SettingOpt = Annotated[str | None, typer.Option(
    "--setting", help="Play the third parties' game at this setting: 'plain' (join cost 0, neither variant) or "
                      "'casebook' (the setting selected on the bundled casebook; docs/casebook.md). Default: the "
                      "scenario's conflict.join_cost, pivotal and convening, else plain.")]


@app.command()
@user_errors
def run(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    out: Annotated[Path | None, typer.Option(help="Folder for results.json and report.html "
                                                   "(default: tertius-output/<scenario id>).")] = None,
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Models to run (default: all); repeat "
                                                                          "-m or give a comma list.")] = None,
    seed: SeedOpt = 0,
    draws: Annotated[int, typer.Option(help="Perturbed draws for the third-party robustness check, and the most "
                                            "each forecast interval takes.")] = DEFAULT_DRAWS,
    interval_draws: Annotated[int | None, typer.Option(
        help="Exactly this many draws for every model's forecast interval (default: as many as the intervals' "
             "Monte Carlo precision needs, from 100 up to --draws).")] = None,
    fmt: FormatOpt = Format.table,
    full: Annotated[bool, typer.Option("--full", help="Keep every per-actor detail of the models in results.json.")] = False,
    param: ParamOpt = None,
    overwrite: OverwriteOpt = False,
    select: SelectOpt = None,
    input_format: InputFormatOpt = None,
    setting: SettingOpt = None,
) -> None:
    """Analyse a scenario with every model, score it, and write results and an HTML report."""
    if interval_draws is not None and interval_draws < 0 or draws < 0:
        raise InputError("--draws and --interval-draws must be 0 or more", file=CLI,
                         fix="e.g. --interval-draws 1000, or leave it out to let the intervals' precision decide")
    s = load_scenario(scenario, input_format=input_format, select=select)
    s = s if setting is None else with_setting(s, setting)
    models = _models(model)
    params = _params_by_model(param, models or list(MODELS))
    results = analyse(s, models, seed=seed, draws=draws, full=full, params=params, interval_draws=interval_draws)

    folder = out or Path("tertius-output") / slug(s.id)
    results_path, report_path = folder / "results.json", folder / "report.html"
    refuse_existing(folder, [results_path, report_path], overwrite, "run")
    # everything is computed before anything is written: a failure leaves no file behind
    results_text, report_text = results_and_report(results, source=scenario)
    write_text_atomic(results_path, results_text)
    write_text_atomic(report_path, report_text)
    if fmt is Format.json:
        emit_json({**results, "files": {"results": str(results_path), "report": str(report_path)}})
        return

    print_tables(*summary_lines(summary_of(results)), console=console)
    print_tables(*forecast_moves_table(forecast_moves(results)), console=console)
    print_tables(*forecast_table(results, width=console.width), console=console)
    for m, why in results.get("refused", {}).items():
        console.print(f"refused: {m} cannot run on {scenario}: {why}", markup=False)
    for row in sensitivity_lines(results):
        console.print(row)
    for m, f in results["forecasts"].items():
        for line in settling_lines(m, f["details"], f.get("params")):
            console.print(line, markup=False, highlight=False)
    if results.get("third_parties"):
        print_third_parties(results["third_parties"], console)
    console.print(f"results: {results_path}\nreport:  {report_path}")


@app.command("broker")
@user_errors
def broker_command(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    third_party: Annotated[str | None, typer.Option("--third-party", "-t", help="Only this third party.")] = None,
    draws: Annotated[int, typer.Option(help="Perturbed draws for the robustness shares (0: none).")] = DEFAULT_DRAWS,
    seed: SeedOpt = 0,
    fmt: FormatOpt = Format.table,
    select: SelectOpt = None,
    input_format: InputFormatOpt = None,
    why: Annotated[bool, typer.Option("--why", help="What would have to be true: for each third party's option, "
                                      "the assumed inputs' break-even values (the value at which it changes).")] = False,
    setting: SettingOpt = None,
) -> None:
    """A third party's options: join side A, join side B, stay neutral, or broker a deal."""
    s = load_scenario(scenario, input_format=input_format, select=select)
    s = s if setting is None else with_setting(s, setting)
    if why:

        table = search(s)
        if third_party is not None:
            table["questions"] = [q for q in table["questions"] if q["third_party"] == third_party]
        if fmt is Format.json:
            emit_json(table)
        else:
            print_tables(*breakeven_tables(table), console=console)
        return
    result = third_parties(s, third_party, draws=draws, seed=seed)
    if fmt is Format.json:
        emit_json(result)
    else:
        print_third_parties(result, console)


@app.command("sweep")
@user_errors
def sweep_command(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    model: Annotated[str, typer.Option("--model", "-m", help="A registered model.")] = "compromise",
    n: Annotated[int, typer.Option("--n", help="Number of perturbed draws.")] = 1000,
    seed: SeedOpt = 0,
    param: ParamOpt = None,
    position: Annotated[float | None, typer.Option(help="Position noise, issue-scale units.")] = None,
    salience: Annotated[float | None, typer.Option(help="Relative salience noise (0.2 = ±20 %).")] = None,
    capability: Annotated[float | None, typer.Option(help="Relative capability noise.")] = None,
    distribution: Annotated[str | None, typer.Option(help="uniform, normal or truncnorm.")] = None,
    override: Annotated[list[str] | None, typer.Option(
        help="Per-actor or per-issue noise, e.g. 'actor=qing,capability=0.5' or 'issue=ports,position=1'.")] = None,
    engine: Annotated[str, typer.Option(help="inprocess, processes or dask.")] = "inprocess",
    workers: Annotated[int, typer.Option(help="Worker processes (processes engine, local dask cluster).")] = 1,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://10.0.0.5:8786.")] = None,
    chunk_size: Annotated[int, typer.Option(help="Draws per chunk (the unit of seeding, work and resume).")] = 2000,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: tertius-output/<id>-sweep-<model>-seed<S>).")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="Also write the table as CSV.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from the chunks already written; with a "
                                                           "larger --n, grow a finished sweep.")] = False,
    overwrite: OverwriteOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    fmt: FormatOpt = Format.table,
    select: SelectOpt = None,
    input_format: InputFormatOpt = None,
    setting: SettingOpt = None,
) -> None:
    """Run N perturbed copies of a scenario: forecast quantiles, broker option shares, a tidy table."""

    s = load_scenario(scenario, input_format=input_format, select=select)
    s = s if setting is None else with_setting(s, setting)
    if n < 1 or chunk_size < 1 or workers < 1:
        raise InputError("--n, --chunk-size and --workers must be at least 1", file=CLI, fix="e.g. --n 1000")
    spec = perturbation_from_options(s, position=position, salience=salience, capability=capability,
                                     distribution=distribution, overrides=override or [], source=CLI)
    folder = out or Path("tertius-output") / f"{slug(s.id)}-sweep-{slug(model)}-seed{seed}"
    if resume and overwrite:
        raise InputError("--resume and --overwrite contradict each other", file=CLI,
                         fix="--resume keeps the chunks on disk, --overwrite deletes them: pass one")
    show = not quiet and fmt is Format.table and sys.stdout.isatty()
    given = _params_by_model(param, [model]).get(model, {})
    from rich.progress import Progress

    done = [0]
    chunks = -(-n // chunk_size)

    def advance(k: int) -> None:
        done[0] += k
        bar.advance(task, k)

    with Progress(disable=not show, console=console, transient=True) as bar:
        task = bar.add_task(f"sweep {s.id} × {n}", total=chunks)
        try:
            job, tables, summary = run_sweep_api(
                s, model, n=n, seed=seed, perturbation=spec, params=given, out=folder, engine=engine,
                workers=workers, scheduler=scheduler, chunk_size=chunk_size, resume=resume, overwrite=overwrite,
                progress=advance)
        except KeyboardInterrupt:
            bar.stop()
            err_console.print(f"interrupted: {done[0]} of {chunks} chunks are saved in {folder / 'chunks'}; "
                              "run the same command with --resume to continue", markup=False, soft_wrap=True)
            raise typer.Exit(130) from None
    files = write_sweep(folder, tables, summary, csv=csv)
    if fmt is Format.json:
        emit_json({**summary, "files": files})
        return
    print_tables(*sweep_tables(summary, files, f"{s.id}: {model} over {n} perturbed draws (seed {seed})"),
                 console=console)


@app.command()
@user_errors
def forecast(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    model: Annotated[str, typer.Option("--model", "-m", help="A registered model (see 'tertius models').")] = "compromise",
    param: ParamOpt = None,
    select: Annotated[str | None, typer.Option(help="Pick one scenario by id from a file that holds several.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Forecast every scenario in a file that holds several.")] = False,
    seed: SeedOpt = 0,
    fmt: FormatOpt = Format.table,
    input_format: InputFormatOpt = None,
) -> None:
    """Forecast the outcome of every issue of a scenario with one model."""
    if select is not None:
        scenarios = [load_scenario(scenario, input_format=input_format, select=select)]
    else:
        scenarios = load_scenarios(scenario, input_format=input_format)
    if len(scenarios) > 1 and not all_:
        raise InputError(f"the file holds {len(scenarios)} scenarios", file=scenario,
                         fix="pick one with --select ID, or forecast them all with --all")
    given = _params_by_model(param, [model]).get(model, {})
    forecasts = [run_model(s, model, given, seed=seed) for s in scenarios]
    if fmt is Format.json:
        emit_json(forecasts[0].to_dict() if len(forecasts) == 1 and not all_ else
                  {"model": model, "forecasts": [f.to_dict() for f in forecasts]})
        return
    for s, f in zip(scenarios, forecasts, strict=True):
        print_forecast(s, f, console)


@app.command()
@user_errors
def validate(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Models to score (default: all); repeat "
                                                                          "-m or give a comma list.")] = None,
    per_issue: Annotated[bool, typer.Option("--per-issue", help="Also list every issue's (or war's) rows.")] = False,
    cv: Annotated[int | None, typer.Option("--cv", help="K-fold cross-validation, grouped by proposal (DEU) or by "
                                                        "war or dispute (third-party tables), refitting on each fold.")] = None,
    capability: Annotated[str, typer.Option("--capability", help="own (the file's), or shapley / banzhaf: from the "
                                                                 "Council's voting rules in force (DEU).")] = "own",
    seed: SeedOpt = 0,
    fmt: FormatOpt = Format.table,
    param: ParamOpt = None,
    input_format: InputFormatOpt = None,
) -> None:
    """Score against observed outcomes: MAE per model, or, for a third-party decision table (COW
    or MID layout), the third-party analysis's accuracy, joiner F1, log loss and Brier score."""

    path = Path(scenario)
    if param and (looks_like_casebook(path) or (path.suffix.lower() == ".csv" and path.exists()
                                                and looks_like_decision_table(path))):
        raise InputError(f"-p {param[0]}: a casebook or third-party table is scored by the third-party analysis, "
                         "which runs none of the forecasting models", file=PARAMS,
                         fix="drop -p, or give -p with a scenario file (e.g. the DEU file)")
    if looks_like_casebook(path):
        result = validate_casebook(path, cv=cv is not None)
        if fmt is Format.json:
            emit_json(result)
        else:
            print_tables(*casebook_tables(result), console=console)
        return
    if path.suffix.lower() == ".csv" and path.exists() and looks_like_decision_table(path):

        if cv is not None and cv < 2:
            raise InputError(f"--cv {cv}", file=CLI, fix="use at least 2 folds, e.g. --cv 5")
        if capability != "own":
            raise InputError("--capability applies to scenarios with a procedure (the DEU file)", file=scenario,
                             fix="drop --capability for a third-party table")
        result = validate_table(path, cv=cv, seed=seed)
        if fmt is Format.json:
            emit_json(result)
        else:
            print_tables(*thirdparty_validation_tables(result, per_issue), console=console)
        return
    if cv is not None and cv < 2:
        raise InputError(f"--cv {cv}", file=CLI, fix="use at least 2 folds, e.g. --cv 5")
    models = _models(model)
    params = _params_by_model(param, models or list(MODELS))
    scenarios = load_scenarios(scenario, input_format=input_format)
    scores = validate_scenarios(scenarios, models, seed=seed, capability=capability, cv=cv, params=params)
    if fmt is Format.json:
        emit_json(scores)
        return
    console.print(scores_table(scores, f"{scenario}: {len(scenarios)} scenario(s)"))
    if cv is not None:
        print_tables(*cv_tables(scores), console=console)
    if per_issue:
        console.print(listing("errors per issue", ("scenario", "issue", "model", "forecast", "observed", "error"), [
            (r["scenario"], r["issue"], r["model"], f"{r['forecast']:.4g}",
             "–" if r["observed"] is None else f"{r['observed']:g}", "–" if r["error"] is None else f"{r['error']:.3g}")
            for r in scores["issues"]]))


@app.command()
@user_errors
def scenarios(fmt: FormatOpt = Format.table) -> None:
    """List the bundled scenarios."""
    items: list[dict[str, Any]] = []
    for sid, path in bundled_scenarios().items():
        s = load_scenario(path)
        items.append({"id": sid, "title": s.title, "period": s.period, "actors": len(s.actors),
                      "issues": len(s.issues), "default": sid == DEFAULT_SCENARIO})
    if fmt is Format.json:
        emit_json({"scenarios": items})
        return
    console.print(listing("bundled scenarios", ("id", "title", "period", "actors", "issues"), [
        (it["id"] + (" (default)" if it["default"] else ""), it["title"], it["period"] or "", str(it["actors"]),
         str(it["issues"])) for it in items]))


@app.command()
@user_errors
def models(fmt: FormatOpt = Format.table) -> None:
    """List the registered models with their parameters and sources."""
    items: list[dict[str, Any]] = [{"name": m.name, "summary": m.summary, "citation": m.citation, "defaults": m.defaults}
             for m in MODELS.values()]
    if fmt is Format.json:
        emit_json({"models": items})
        return
    console.print(listing("models", ("name", "summary", "parameters", "source"), [
        (it["name"], it["summary"], ", ".join(f"{k}={v}" for k, v in it["defaults"].items()), it["citation"])
        for it in items]))


@app.command()
@user_errors
def schema(
    of: Annotated[str, typer.Option("--of", help="scenario, results (results.json) or summary (a sweep's "
                                                 "summary.json).")] = "scenario",
    fmt: FormatOpt = Format.json,
) -> None:
    """Print a JSON Schema: of the scenario format, or of saved results."""

    if of not in SCHEMAS:
        raise InputError(f"--of {of}", file=CLI, fix=f"use one of: {', '.join(SCHEMAS)}")
    emit_json(SCHEMAS[of]())


@app.command()
@user_errors
def convert(
    source: Annotated[str, typer.Argument(help="Input scenario file (or bundled id).")],
    target: Annotated[Path, typer.Argument(help=f"Output: a name ending {', '.join(SUFFIXES)}, or a name "
                                                "without a suffix for a folder of CSV tables (docs/formats.md).")],
    to: Annotated[str | None, typer.Option(help=f"Output format: one of {NAMES} "
                                                "(default: from the name).")] = None,
    select: Annotated[str | None, typer.Option(help="Pick one scenario from a file that holds several.")] = None,
    input_format: InputFormatOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Convert a scenario to any format tertius reads; warns, naming the fields, when the target
    cannot hold everything (Decide CSV and XDF, actor tables and DEU files are other programs' formats)."""

    s = load_scenario(source, input_format=input_format, select=select)
    named = for_target(target)
    out_fmt = to or (named.name if named else None)
    if out_fmt is None:
        raise InputError(f"cannot tell the output format from '{target.name}'", file=str(target),
                         fix=f"use a name ending {', '.join(SUFFIXES)}, a folder name, or pass --to")
    content = render(s, out_fmt)  # computed before anything is written
    lost = lost_fields(s, out_fmt)
    if isinstance(content, dict):
        target.mkdir(parents=True, exist_ok=True)
        for name, text in content.items():
            write_text_atomic(target / name, text)
    elif isinstance(content, bytes):
        def write_bytes(tmp: str) -> None:
            Path(tmp).write_bytes(content)

        write_atomic(target, write_bytes)
    else:
        write_text_atomic(target, content)
    if fmt is Format.json:
        emit_json({"scenario": s.id, "written": str(target), "format": out_fmt, "lost": lost})
        return
    if lost:
        err_console.print(f"warning: the {out_fmt} format cannot hold {'; '.join(lost)}; they are not in {target} "
                          "(convert to .yaml, .json or .xlsx to keep everything)", markup=False)
    console.print(f"wrote {target} ({out_fmt})", markup=False)


@app.command()
@user_errors
def report(
    results: Annotated[Path, typer.Argument(help="A results.json written by 'tertius run'.")],
    out: Annotated[Path | None, typer.Option(help="HTML file to write (default: beside the results).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Render the HTML report again from saved results (no model is run)."""
    try:
        data = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"cannot read saved results ({e})", file=str(results),
                         fix="pass the results.json written by 'tertius run'") from None
    target = out or results.with_name("report.html")

    write_text_atomic(target, render_html(data))
    if fmt is Format.json:
        emit_json({"report": str(target)})
    else:
        console.print(f"wrote {target}")


@app.command()
@user_errors
def serve(
    scenario: Annotated[str | None, typer.Argument(help="A scenario to show first (default: the bundled default).")] = None,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to listen on; anything but 127.0.0.1 opens the page, which has "
                                           "no login, to the network.")] = "127.0.0.1",
    select: SelectOpt = None,
    input_format: InputFormatOpt = None,
) -> None:
    """Start the web page: build or upload a scenario, run every model, the third-party analysis and
    sweeps, and download the results (needs the 'serve' extra)."""
    from tertius.web import require_extra

    require_extra()
    s = load_scenario(scenario, input_format=input_format, select=select) if scenario is not None else None
    if not 0 < port < 65536:
        raise InputError(f"--port {port} is not a port number", file=CLI, fix="use a number from 1 to 65535, e.g. 8765")
    from tertius.web.app import serve as serve_page

    serve_page(s, host=host, port=port, announce=lambda line: console.print(line, markup=False, soft_wrap=True))


@app.command()
def version(fmt: FormatOpt = Format.table) -> None:
    """Print the version."""
    if fmt is Format.json:
        emit_json({"version": __version__})
    else:
        console.print(__version__)


def main() -> None:
    app()


__all__ = ["app", "main"]
