"""Console tables (rich) rendered from saved results."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from tertius.contract import Forecast
from tertius.scenario import Scenario


def _fmt(x: float | None, digits: int = 4) -> str:
    return "–" if x is None else f"{x:.{digits}g}"


def forecast_table(results: dict[str, Any]) -> Table:
    """For every issue: each model's forecast and error beside the observed outcome."""
    scenario = results["scenario"]
    models = list(results["forecasts"])
    rows = {(r["issue"], r["model"]): r for r in results["scores"]["issues"]}
    table = Table(title=scenario.get("title") or scenario["id"], title_justify="left")
    table.add_column("issue")
    table.add_column("observed", justify="right")
    for m in models:
        table.add_column(f"{m}\nforecast (error)", justify="right")
    for issue in scenario["issues"]:
        obs = issue.get("observed")
        obs = obs["value"] if isinstance(obs, dict) else obs
        cells = []
        for m in models:
            r = rows[(issue["id"], m)]
            cells.append(f"{_fmt(r['forecast'])} ({_fmt(r['error'], 3)})")
        table.add_row(issue["id"], _fmt(obs), *cells)
    maes = results["scores"]["models"]
    table.add_section()
    table.add_row("MAE, % of scale", "", *[f"{_fmt(maes[m]['mae'], 3)} (n={maes[m]['n']})" for m in models])
    return table


def scores_table(scores: dict[str, Any], title: str) -> Table:
    cv = scores.get("cv")
    table = Table(title=title, title_justify="left")
    table.add_column("model")
    table.add_column("MAE (% of scale)", justify="right")
    if cv:
        table.add_column(f"{cv['k']}-fold CV MAE", justify="right")
    table.add_column("n", justify="right")
    for m, v in scores["models"].items():
        table.add_row(m, _fmt(v["mae"], 4), *([_fmt(v.get("cv_mae"), 4)] if cv else []), str(v["n"]))
    return table


def cv_tables(scores: dict[str, Any]) -> list[Table | str]:
    """The cross-validation extras: the interval coverage of ``best`` and errors by issue type."""
    cv = scores["cv"]
    widths = ", ".join(f"{w:.1f}" for w in cv["best_half_width"])
    out: list[Table | str] = [
        f"best: {100 * cv['best_coverage']:.1f} % of outcomes inside its 80 % intervals out of sample "
        f"(half-widths {widths} % of scale, folds grouped by {cv['groups']})"]
    t = Table(title="errors by issue type (out of sample)", title_justify="left")
    for col in ("type", "n", "best CV MAE", "best coverage", "compromise MAE"):
        t.add_column(col, justify="left" if col == "type" else "right")
    for label, v in cv["by_type"].items():
        t.add_row(label, str(v["n"]), _fmt(v["best_cv_mae"], 4), _pct(v["best_coverage"]), _fmt(v["compromise_mae"], 4))
    out.append(t)
    return out


def print_tables(*tables: Table | str, console: Console | None = None) -> None:
    console = console or Console()
    for t in tables:
        console.print(t)


OPTION_LABELS = {"join-a": "join {a}", "join-b": "join {b}", "neutral": "stay out", "broker": "broker a deal"}


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def broker_tables(result: dict[str, Any]) -> list[Table | str]:
    """Per phase: the equilibria; per third party, a row per option (expected utility, rank,
    probability, share of perturbed draws, the broker's leverage), the settlements each option
    leads to, the recorded choice, and the explanation."""
    out: list[Table | str] = []
    for phase in result["phases"]:
        a, b = phase["sides"]
        name = phase["name"] or "conflict"
        lab = {o: OPTION_LABELS[o].format(a=a, b=b) for o in result["options"]}
        selected = ", ".join(f"{t}: {lab[o]}" for t, o in phase["selected"].items())
        eq = phase.get("equilibria")
        text = f"{name}. Selected equilibrium ({phase['method']}): {selected}"
        text += "." if phase["converged"] else " (not an equilibrium: best responses cycle)."
        if eq is not None:
            text += f" Pure equilibria: {len(eq)}" + (": " + "; ".join(
                ", ".join(f"{t}: {lab[o]}" for t, o in e.items()) for e in eq) if eq else "") + "."
        out.append(text)
        for t in phase["third_parties"]:
            opts = t["options"]
            table = Table(title=f"{name} · third party: {t['name']}", title_justify="left")
            for col in ("option", "rank", "expected utility", f"P(win for {a})", "probability", "equilibrium in draws"):
                table.add_column(col, justify="left" if col == "option" else "right")
            shares = t["perturbation"].get("first", {})
            for o in result["options"]:
                r = opts[o]
                table.add_row(lab[o] + (" (equilibrium)" if o == t["equilibrium"] else ""),
                              str(t["ranking"].index(o) + 1), _fmt(r["expected_utility"]), _fmt(r["p_a_wins"], 3),
                              _pct(r["probability"]), _pct(shares[o]) if shares else "–")
            out.append(table)
            settle = Table(title="settlements each option leads to", title_justify="left")
            settle.add_column("issue")
            columns = []
            for o in ("join-a", "join-b", "neutral"):
                for w, who in (("a wins", a), ("b wins", b)):
                    settle.add_column(f"{lab[o]}\n{who} wins", justify="right")
                    columns.append(opts[o]["settlements"][w])
            settle.add_column("brokered\ndeal", justify="right")
            deal = opts["broker"]["settlements"].get("deal")
            for issue in columns[0]:
                settle.add_row(issue, *[f"{c[issue]:.3g}" for c in columns],
                               "–" if deal is None else f"{deal[issue]:.3g}")
            out.append(settle)
            out.append(t["explanation"])
            if t.get("actual"):
                act = t["actual"]
                verdict = "as the model's equilibrium" if act["agrees"] else \
                    f"the model's equilibrium is to {lab[t['equilibrium']]}"
                out.append(f"Recorded choice: {lab[act['option']]} ({verdict}; probability {_pct(act['probability'])}). "
                           f"The settlement under the recorded choices against the treaties: MAE "
                           f"{_fmt(act['mae'], 3)} % of scale (" + ", ".join(
                               f"{r['issue']} {r['forecast']:.3g} vs {_fmt(r['observed'], 3)}"
                               for r in act["settlement"] if r["observed"] is not None) + ")."
                           + (f" {act['why']}" if act.get("why") else ""))
    return out


def print_broker(result: dict[str, Any], console: Console) -> None:
    wide = Console(width=max(console.width, 120), file=console.file, highlight=False)
    for item in broker_tables(result):
        wide.print(item)
        wide.print()


def thirdparty_validation_tables(result: dict[str, Any], per_group: bool = False) -> list[Table]:
    """The third-party analysis scored on a decision table: the model (in-sample with the shipped
    parameters, and cross-validated where run) beside the base rates and the ally rule."""
    rows = [("tertius", result["third_parties"])]
    if result.get("cross_validation"):
        rows.append((f"tertius, {result['cross_validation']['k']}-fold", result["cross_validation"]["third_parties"]))
    rows.append(("ally rule", result["ally_rule"]))
    t = Table(title=f"{result['file']}: {result['third_parties']['n']} third-party decisions "
                    f"({result['layout']} table), {result['third_parties']['joiners']} joiners", title_justify="left")
    for col in ("", "acc.", "calls (right)", "F1 A", "F1 B", "F1", "log loss", "Brier", "AUC"):
        t.add_column(col, justify="left" if not col else "right")
    for label, m in rows:
        t.add_row(label, _pct(m["accuracy"]), f"{m['calls']} ({m['right']})", _fmt(m["sides"]["A"]["f1"], 3),
                  _fmt(m["sides"]["B"]["f1"], 3), _fmt(m["f1"], 3), _fmt(m["log_loss"], 3), _fmt(m["brier"], 3),
                  _fmt(m.get("auc"), 3))
    base = result["third_parties"]
    if base.get("base_log_loss") is not None:
        t.add_row("base rates", "", "", "", "", "", _fmt(base["base_log_loss"], 3), _fmt(base["base_brier"], 3), "")
    out = [t]
    cal = Table(title="calibration: P(join either side), deciles", title_justify="left")
    for col in ("n", "predicted", "observed", "range"):
        cal.add_column(col, justify="right")
    for c in base["calibration"]:
        cal.add_row(str(c["n"]), _pct(c["predicted"]), _pct(c["observed"]), f"{_pct(c['low'])}–{_pct(c['high'])}")
    out.append(cal)
    if per_group:
        g = Table(title="per war or dispute", title_justify="left")
        for col in ("group", "name", "candidates", "joiners", "join calls"):
            g.add_column(col)
        for r in result["groups"]:
            g.add_row(r["group"], r["name"], str(r["candidates"]), ", ".join(r["joiners"]) or "–",
                      ", ".join(r["calls"]) or "–")
        out.append(g)
    return out


def listing(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    """A plain table: a title, column names and rows of text."""
    t = Table(title=title, title_justify="left")
    for col in columns:
        t.add_column(col)
    for row in rows:
        t.add_row(*row)
    return t


def _fmt_value(x: float | None) -> str:
    return "–" if x is None else f"{x:.4g}"


def sensitivity_lines(results: dict[str, Any]) -> list[str]:
    """One line per assumed capability and model: how far the forecasts move when it is halved or doubled."""
    lines = []
    rows = results.get("sensitivity", [])
    for actor in dict.fromkeys(r["actor"] for r in rows):
        for m in results["forecasts"]:
            vals: dict[str, list[float]] = {}
            for r in rows:
                if r["actor"] == actor and r["model"] == m:
                    vals.setdefault(r["issue"], []).append(r["outcome"])
            spread = {i: max(v) - min(v) for i, v in vals.items()}
            worst = max(spread, key=lambda i: spread[i])
            lines.append(f"sensitivity: {m} forecasts move by at most {spread[worst]:.3g} ({worst}) when the "
                         f"assumed capability of '{actor}' is halved or doubled")
    return lines


def print_forecast(s: Scenario, f: Forecast, console: Console) -> None:
    """One model's forecast: a row per issue (with the model's extra columns), its trajectories by round, its short notes."""
    arr = s.arrays
    table = Table(title=f"{s.title or s.id} · model {f.model}", title_justify="left")
    extra = list(f.columns.values())
    cols = ["issue"] + [c.label for c in extra] + ["outcome", "scale", "status quo", "observed"]
    for col in cols:
        table.add_column(col, justify="left" if col == "issue" else "right")
    for k, issue in enumerate(s.issues):
        table.add_row(issue.id, *[_fmt_value(c.values.get(issue.id)) for c in extra], f"{f.outcome[k]:.4g}",
                      f"{arr.lo[k]:g}–{arr.hi[k]:g}",
                      "–" if issue.status_quo is None else f"{issue.status_quo.value:g}",
                      "–" if issue.observed is None else f"{issue.observed.value:g}")
    console.print(table)
    if f.rounds is not None:
        for k, issue_id in enumerate(f.issue_ids):
            _print_trajectory(f, k, issue_id, console)
    for key, value in f.details.items():
        if not isinstance(value, dict) and len(str(value)) < 200:
            console.print(f"{key}: {value}")


def _print_trajectory(f: Forecast, k: int, issue_id: str, console: Console) -> None:
    """Positions by round: one row per actor, one column per round (round 0: the inputs)."""
    rounds = f.rounds or ()
    t = Table(title=f"{issue_id}: positions by round", title_justify="left")
    t.add_column("actor")
    for r in range(len(rounds)):
        t.add_column(str(r), justify="right")
    for j, actor in enumerate(f.actor_ids):
        if all(_nan(snap[j, k]) for snap in rounds):
            continue
        t.add_row(actor, *[f"{snap[j, k]:.4g}" for snap in rounds])
    series = f.line.values.get(issue_id) if f.line is not None else None
    if series:
        t.add_section()
        series = list(series) + [series[-1]] * (len(rounds) - len(series))
        t.add_row(f.line.label if f.line else "", *[f"{v:.4g}" for v in series])
    wide = Console(width=max(console.width, 30 + 9 * len(rounds)), file=console.file)
    wide.print(t)


def _nan(x: float) -> bool:
    return x != x


def sweep_tables(summary: dict[str, Any], files: dict[str, str], title: str) -> list[Table | str]:
    """A sweep's quantiles per issue, the third parties' equilibrium shares, failed draws, files."""
    t = Table(title=title, title_justify="left")
    for col in ("issue", "5%", "25%", "50%", "75%", "95%"):
        t.add_column(col, justify="left" if col == "issue" else "right")
    for issue, q in summary["quantiles"].items():
        t.add_row(issue, *[_fmt_value(q[k]) for k in ("q05", "q25", "q50", "q75", "q95")])
    out: list[Table | str] = [t]
    for phase, parties in summary["broker_first"].items():
        for tp, shares in parties.items():
            out.append(f"phase {phase}, {tp}: equilibrium choice in " + ", ".join(
                f"{o} {v:.1%}" for o, v in shares.items()))
    for f in summary["failed"][:10]:
        out.append(f"failed draw {f['draw']} (seed {f['seed']}, chunk {f['chunk']}, chunk seed {f['chunk_seed']}): "
                   f"{f['error']}")
    out.extend(f"{k}: {v}" for k, v in files.items())
    return out
