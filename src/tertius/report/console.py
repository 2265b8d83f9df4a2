"""Console tables (rich) rendered from saved results."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from tertius.forecast import Forecast
from tertius.report.numbers import apart, human, share_words, signed
from tertius.scenario import OPTION_KINDS, OPTION_LABELS, Scenario


def _fmt(x: float | None, digits: int = 3) -> str:
    return human(x, digits)


def _width(text: str) -> int:
    return max((len(line) for line in str(text).split("\n")), default=0)


def fit(title: str, keys: list[tuple[str, list[str]]], values: list[tuple[str, list[str]]], width: int,
        sections: int | None = None) -> list[Table]:
    """Tables that fit ``width`` columns: the key columns (say, the issue) in every table and the
    value columns packed greedily, so a wide table is stacked into several narrower ones instead
    of truncating numbers. ``sections``: the row after which a rule is drawn (a totals row)."""
    def need(col: tuple[str, list[str]]) -> int:
        return max([_width(col[0])] + [_width(c) for c in col[1]]) + 3

    base = 1 + sum(need(k) for k in keys)
    groups: list[list[tuple[str, list[str]]]] = [[]]
    used = base
    for col in values:
        if groups[-1] and used + need(col) > width:
            groups.append([])
            used = base
        groups[-1].append(col)
        used += need(col)
    out = []
    n_rows = len(keys[0][1]) if keys else 0
    for g, group in enumerate(groups):
        label = title if len(groups) == 1 else f"{title} ({g + 1} of {len(groups)})"
        table = Table(title=label, title_justify="left")
        for header, _ in keys:
            table.add_column(header, no_wrap=True)
        for header, _ in group:
            table.add_column(header, justify="right", no_wrap=True)
        for r in range(n_rows):
            if sections is not None and r == sections:
                table.add_section()
            table.add_row(*[k[1][r] for k in keys], *[c[1][r] for c in group])
        out.append(table)
    return out


def forecast_table(results: dict[str, Any], width: int = 80) -> list[Table]:
    """For every issue: each model's forecast, and where the scenario has observed outcomes the
    observed value, each forecast's error and the mean absolute error (stacked to fit ``width``)."""
    scenario = results["scenario"]
    models = list(results["forecasts"])
    rows = {(r["issue"], r["model"]): r for r in results["scores"]["issues"]}
    observed = [issue.get("observed") for issue in scenario["issues"]]
    observed = [o["value"] if isinstance(o, dict) else o for o in observed]
    scored = any(o is not None for o in observed)
    ids = [issue["id"] for issue in scenario["issues"]]
    keys = [("issue", ids + (["MAE, % of scale"] if scored else []))]
    if scored:
        keys.append(("observed", [_fmt(o) for o in observed] + [""]))
    columns = []
    maes = results["scores"]["models"]
    for m in models:
        cells = []
        for issue_id in ids:
            r = rows[(issue_id, m)]
            cells.append(f"{_fmt(r['forecast'])} ({signed(r['error'])})" if r["error"] is not None else _fmt(r["forecast"]))
        if scored:
            cells.append(f"{_fmt(maes[m]['mae'])} (n={maes[m]['n']})")
        columns.append((m, cells))
    title = scenario.get("title") or scenario["id"]
    heading = f"{title}: forecast (error) against the observed outcomes" if scored else f"{title}: forecasts"
    return fit(heading, keys, columns, width, sections=len(ids) if scored else None)


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
        f"nested CV MAE: best {cv['best_cv_mae']:.2f}, compromise {cv['compromise_cv_mae']:.2f} (best's weights, "
        f"shrinkage towards compromise {cv['best_shrink']} and interval chosen inside each outer fold); "
        f"default forecast: {cv['default']} ({cv['default_why']})",
        f"best: {100 * cv['best_coverage']:.1f} % of outcomes inside its 80 % intervals out of sample "
        f"(half-widths {widths} % of scale, folds grouped by {cv['groups']})"]
    h = cv.get("how_sure")
    if h:
        d, c = h["best_minus_compromise_mae"], h["best_coverage"]
        out.append(f"how sure, resampling the {h['groups']:,} proposals ({h['resamples']:,} times; the fits held): "
                   f"best − compromise MAE {signed(d['value'], 3)} ({round(100 * h['level'])} % interval "
                   f"{signed(d['low'], 2)} to {signed(d['high'], 2)}); best's coverage {_pct(c['value'])} "
                   f"({_pct(c['low'])} to {_pct(c['high'])})")
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




def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def third_party_tables(result: dict[str, Any], width: int = 80) -> list[Table | str]:
    """Per phase: the equilibria; per third party, a row per option (expected utility, rank,
    probability, share of perturbed draws, the broker's leverage), the settlements each option
    leads to, the recorded choice, and the explanation. The answers come first: one sentence per
    third party and phase (what it should do, how likely, and how it profits)."""
    out: list[Table | str] = []
    answers = [f"{p['name'] or p['id']} · {t['answer']}" for p in result["phases"] for t in p["third_parties"]
               if t.get("answer")]
    if answers:
        out.append("The answer, per phase and third party (the decomposition follows):\n" +
                   "\n".join(f"- {line}" for line in answers))
    for phase in result["phases"]:
        a, b = phase["sides"]
        name = phase["name"] or f"{a} against {b}"
        lab = {o: OPTION_LABELS[o].format(a=a, b=b) for o in result["options"]}
        who = {t["third_party"]: t["name"] or t["third_party"] for t in phase["third_parties"]}
        selected = ", ".join(f"{who.get(t, t)}: {lab[o]}" for t, o in phase["selected"].items())
        eq = phase.get("equilibria")
        if not phase["third_parties"] and not phase["selected"]:
            out.append(f"{name}. The conflict declares no third parties: nobody outside the sides has a choice "
                       "to analyse (add 'third_parties:' to the conflict).")
            continue
        text = f"{name}. Selected equilibrium ({phase['method']}): {selected}"
        text += "." if phase["converged"] else " (not a pure equilibrium: the likeliest options of a mixed one)."
        share = {m: x for m, x in phase.get("solver_share", {}).items() if x > 0}
        if share:
            text += " Method over the perturbed draws: " + ", ".join(f"{m} {100 * x:.0f} %" for m, x in share.items()) + "."
        if eq is not None:
            text += f" Pure equilibria: {len(eq)}" + (": " + "; ".join(
                ", ".join(f"{who.get(t, t)}: {lab[o]}" for t, o in e.items()) for e in eq) if eq else "") + "."
        out.append(text)
        for t in phase["third_parties"]:
            opts = t["options"]
            shares = t["perturbation"].get("first", {})
            order = list(result["options"])
            keys = [("option", [lab[o] + (" ◀" if o == t["equilibrium"] else "") for o in order])]
            values = [("rank", [str(t["ranking"].index(o) + 1) for o in order]),
                      ("expected\nutility", [_fmt(opts[o]["expected_utility"]) for o in order]),
                      (f"P(win for\n{a})", [_pct(opts[o]["p_a_wins"]) for o in order]),
                      ("probability\n(" + ("choice model" if t.get("probability_model") == "choice-model" else "logit")
                       + ")", [_pct(opts[o]["probability"]) for o in order]),
                      ("equilibrium\nin draws", [_pct(shares[o]) if shares else "–" for o in order])]
            out.extend(fit(f"{name} · {t['name']} (◀ equilibrium)", keys, values, width))
            issues = list(opts["neutral"]["settlements"]["a wins"])
            deal = opts["broker"]["settlements"].get("deal")
            settle = []
            for o in (o for o in order if OPTION_KINDS[o] != "broker"):
                for w, who in (("a wins", a), ("b wins", b)):
                    settle.append((f"{lab[o]},\nwin for {who}", [_fmt(opts[o]["settlements"][w][i]) for i in issues]))
            settle.append(("brokered\ndeal", ["–" if deal is None else _fmt(deal[i]) for i in issues]))
            out.extend(fit("settlements each option leads to", [("issue", issues)], settle, width))
            answer = t.get("answer")
            why = t["explanation"][len(answer):].strip() if answer and t["explanation"].startswith(answer) else ""
            out.append(why or t["explanation"])
            if t.get("actual"):
                act = t["actual"]
                verdict = "as the model's equilibrium" if act["agrees"] else \
                    f"the model's equilibrium is to {lab[t['equilibrium']]}"
                out.append(f"Recorded choice: {lab[act['option']]} ({verdict}; probability {_pct(act['probability'])}). "
                           f"The settlement under the recorded choices against the treaties: MAE "
                           f"{_fmt(act['mae'], 3)} % of scale (" + ", ".join(
                               f"{r['issue']} {_fmt(r['forecast'])} vs {_fmt(r['observed'])}"
                               for r in act["settlement"] if r["observed"] is not None) + ")."
                           + (f" {act['why']}" if act.get("why") else ""))
    return out


def print_third_parties(result: dict[str, Any], console: Console) -> None:
    for item in third_party_tables(result, width=console.width):
        console.print(item, highlight=False)
        console.print()


def casebook_tables(result: dict[str, Any]) -> list[Table]:
    """The third parties' game scored on a casebook: the summary, then one row per decision."""
    c = result["casebook"]
    t = Table(title=f"casebook: {c['cases']} cases, {c['decisions']} recorded third-party decisions",
              title_justify="left")
    for col in ("", "matched", "brokers matched", "log loss", "gains MAE (% of scale)"):
        t.add_column(col, justify="left" if not col else "right")
    st = result["setting"]
    n_in = len(st["in_sample"])
    t.caption = (f"tertius plays at the setting selected on the bundled {st['selected_on']}: join cost "
                 f"{st['join_cost']:g}{', pivotal deterrence' if st['pivotal'] else ''}"
                 f"{', the prestige of convening' if st['convening'] else ''}"
                 f" (log loss: the logit fitted there, λ {st['logit']['precision']:.3g}, α "
                 f"{st['logit']['join_constant']:.2g}, β {st['logit']['broker_constant']:.2g}; the plain game's: the "
                 "tables' logit)"
                 + (f"; {n_in} of the {c['cases']} cases here {'was' if n_in == 1 else 'were'} among them "
                    "(scored in sample)" if n_in else "; none of the cases here was among them (out of sample)"))
    t.add_row("tertius (selected equilibrium)", f"{c['matched']} of {c['decisions']}",
              f"{c['brokers_matched']} of {c['brokers_recorded']}", _fmt(c["log_loss"], 3), _fmt(c["gains_mae"], 3))
    g = result["plain_game"]
    t.add_row("the plain game (join cost 0, neither variant)", f"{g['matched']} of {g['decisions']}",
              f"{g['brokers_matched']} of {g['brokers_recorded']}", _fmt(g["log_loss"], 3), _fmt(g["gains_mae"], 3))
    cv = result.get("cross_validation")
    if cv:
        k = cv["casebook"]
        t.add_row("tertius, leave one case out", f"{k['matched']} of {k['decisions']}",
                  f"{k['brokers_matched']} of {k['brokers_recorded']}", _fmt(k["log_loss"], 3), _fmt(k["gains_mae"], 3))
        t.add_row("base rates (the other cases' option shares)", "", "",
                  _fmt(cv["base_rates"]["log_loss"], 3), "")
    t.add_row("everyone stays out", f"{c['baseline_matched']} of {c['decisions']}",
              f"0 of {c['brokers_recorded']}", "", "")
    t.add_row("no third party gains (each own issue at the status quo)", "", "", "",
              _fmt(c.get("baseline_gains_mae"), 3))
    out = [t]
    if cv and cv.get("how_sure"):
        out.append(casebook_how_sure_table(cv["how_sure"]))
    out.append(casebook_case_table(result))
    rows = Table(title="decisions", title_justify="left")
    for col in ("case", "phase", "third party", "recorded", "selected", "P(recorded)", "gain error"):
        rows.add_column(col)
    for r in result["decisions"]:
        rows.add_row(r["case"], r["phase"], r["third_party"], r["recorded"],
                     r["selected"] + ("" if r["matched"] else " ✗"), _pct(r["probability"]), _fmt(r["gain_error"], 3))
    return [*out, rows]


def casebook_case_table(result: dict[str, Any]) -> Table:
    """One row per case: decisions matched, brokers matched and the gains MAE at the selected
    setting, and out of fold where the cross-validation ran (``per_case``)."""
    cv = (result.get("cross_validation") or {}).get("per_case")
    t = Table(title="per case (gains: MAE, % of scale)", title_justify="left")
    t.add_column("case", overflow="fold")
    for col in ("matched", "brokers", "gains") + (("CV matched", "CV brokers", "CV gains") if cv else ()):
        t.add_column(col, justify="right")
    for case, c in result["per_case"].items():
        cells = [c] + ([cv[case]] if cv else [])
        t.add_row(case, *(v for m in cells for v in (f"{m['matched']}/{m['decisions']}",
                                                     f"{m['brokers_matched']}/{m['brokers_recorded']}",
                                                     _fmt(m["gains_mae"], 3))))
    return t


def casebook_how_sure_table(h: dict[str, Any]) -> Table:
    """The leave-one-case-out scores with their intervals over resampled cases
    (:func:`tertius.conflict.casebook.how_sure`)."""
    t = Table(title=f"how sure, leave one case out: resampling the {h['groups']} cases ({h['resamples']:,} times)"
              if h["groups"] > 1 else "how sure, leave one case out: one case, so no interval", title_justify="left")
    for col in ("", "out of fold", f"{round(100 * h['level'])} % interval"):
        t.add_column(col, justify="left" if not col else "right")
    for key, label, fmt in (("matched_share", "share of decisions matched", _pct),
                            ("matched_minus_everyone_out", "lead over everyone stays out",
                             lambda x: f"{signed(100 * x, 3)} points"),
                            ("brokers_matched_share", "share of recorded brokers matched", _pct),
                            ("log_loss_minus_base_rates", "log loss less the base rates'", lambda x: signed(x, 3)),
                            ("gains_mae_minus_status_quo", "gains MAE less the status quo's",
                             lambda x: f"{signed(x, 3)} points")):
        c = h.get(key)
        if c is None or c["value"] is None:
            continue
        t.add_row(label, fmt(c["value"]), "–" if c["low"] is None else f"{fmt(c['low'])}, {fmt(c['high'])}")
    t.caption = "Each case's out-of-fold decisions held fixed; the refits are not resampled."
    return t


def thirdparty_validation_tables(result: dict[str, Any], per_group: bool = False) -> list[Table]:
    """The third-party analysis scored on a decision table: the model (in-sample with the shipped
    parameters, and cross-validated where run) beside the base rates and the ally rule."""
    rows = [("tertius", result["third_parties"]), ("plain logit", result["third_parties"]["baseline_logit"])]
    if result.get("choice_model"):
        rows.append(("choice model", result["choice_model"]))
    cv = result.get("cross_validation")
    if cv:
        rows += [(f"{label}, {cv['k']}-fold", cv[key]) for label, key in (
            ("tertius", "third_parties"), ("plain logit", "baseline_logit"), ("choice model", "choice_model"),
            ("base rates", "base_rates"))]
    rows.append(("ally rule", result["ally_rule"]))
    t = Table(title=f"{result['file']}: {result['third_parties']['n']} third-party decisions "
                    f"({result['layout']} table), {result['third_parties']['joiners']} joiners", title_justify="left")
    for col in ("", "acc.", "calls (right)", "F1 A", "F1 B", "F1", "log loss", "Brier", "AUC"):
        t.add_column(col, justify="left" if not col else "right")
    for label, m in rows:
        sides = m.get("sides", {})
        t.add_row(label, _pct(m.get("accuracy")), f"{m['calls']} ({m['right']})", _fmt(sides.get("A", {}).get("f1"), 3),
                  _fmt(sides.get("B", {}).get("f1"), 3), _fmt(m["f1"], 3), _fmt(m["log_loss"], 3), _fmt(m["brier"], 3),
                  _fmt(m.get("auc"), 3))
    base = result["third_parties"]
    if base.get("base_log_loss") is not None:
        t.add_row("base rates", "", "", "", "", "", _fmt(base["base_log_loss"], 3), _fmt(base["base_brier"], 3), "")
    out = [t]
    models = [("tertius", base)] + ([("choice model", result["choice_model"])] if result.get("choice_model") else [])
    for label, m in models:
        cal = Table(title=f"calibration, {label}: P(join), deciles", title_justify="left")
        for col in ("n", "predicted", "observed", "range"):
            cal.add_column(col, justify="right")
        for c in m["calibration"]:
            cal.add_row(str(c["n"]), _pct(c["predicted"]), _pct(c["observed"]), f"{_pct(c['low'])}–{_pct(c['high'])}")
        out.append(cal)
    if cv and cv.get("comparison"):
        out.append(comparison_table(cv["comparison"], cv["k"]))
    if cv and cv.get("order_of_entry"):
        out.append(order_of_entry_table(cv["order_of_entry"]))
    if per_group:
        g = Table(title="per war or dispute", title_justify="left")
        for col in ("group", "name", "candidates", "joiners", "join calls"):
            g.add_column(col)
        for r in result["groups"]:
            g.add_row(r["group"], r["name"], str(r["candidates"]), ", ".join(r["joiners"]) or "–",
                      ", ".join(r["calls"]) or "–")
        out.append(g)
    return out


COMPARED_LABELS = {"choice_model": "choice model", "baseline_logit": "plain logit", "base_rates": "base rates"}


def comparison_table(cmp: dict[str, Any], k: int) -> Table:
    """The out-of-fold differences between models with their paired bootstrap intervals over whole
    wars or disputes (:func:`tertius.resample.paired_bootstrap`)."""
    level = round(100 * cmp["level"])
    t = Table(title=f"how sure, {k}-fold: the differences, resampling the {cmp['groups']} {cmp['unit']} "
                    f"({cmp['resamples']:,} times)", title_justify="left")
    t.caption = ("first better: the share of resamples in which the first model scores better. The interval "
                 "holds each row's out-of-fold probability fixed, so it leaves out how the fits vary: "
                 "a lower bound on the uncertainty.")
    for col in ("", "difference", f"{level} % interval", "first better"):
        t.add_column(col, justify="left" if not col else "right")
    names = {"log_loss": "log loss", "brier": "Brier", "auc": "AUC", "f1": "F1"}
    for pair in cmp["pairs"].values():
        t.add_row(f"{COMPARED_LABELS.get(pair['a'], pair['a'])} − {COMPARED_LABELS.get(pair['b'], pair['b'])}")
        for m, name in names.items():
            c = pair[m]
            if c["difference"] is None or c["low"] is None:
                t.add_row(f"  {name}", "–", "–", "–")
            else:
                t.add_row(f"  {name}", signed(c["difference"], 3), f"{signed(c['low'], 2)}, {signed(c['high'], 2)}",
                          share_words(c["better"]))
    return t


def order_of_entry_table(oe: dict[str, Any]) -> Table:
    """Who joins next (:mod:`tertius.conflict.entry`), out of fold: the partial likelihood with and
    without the ties to earlier joiners, in the same risk sets, beside a uniform guess; or why the
    table cannot say."""
    if not oe.get("scored"):
        t = Table(title="order of entry: not scored", title_justify="left")
        t.add_column("why")
        t.add_row(oe.get("reason", ""))
        return t
    t = Table(title=f"order of entry, {oe['k']}-fold: who joins next ({oe['events']} joiners' entries "
                    f"on {oe['entries']} days, {oe['groups']} groups)", title_justify="left")
    for col in ("", "log loss per entry", "reciprocal rank", "AUC within entry days"):
        t.add_column(col, justify="left" if not col else "right")
    for label, key in (("ties to earlier joiners", "joined_ties"), ("static covariates only", "static")):
        m = oe[key]
        t.add_row(label, _fmt(m["log_loss"], 4), _fmt(m["mrr"], 3), _fmt(m["auc"], 3))
    t.add_row("uniform over the risk set", _fmt(oe["uniform_log_loss"], 4), "", "0.5")
    return t


def listing(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    """A plain table: a title, column names and rows of text."""
    t = Table(title=title, title_justify="left")
    for col in columns:
        t.add_column(col)
    for row in rows:
        t.add_row(*row)
    return t


def _fmt_value(x: float | None) -> str:
    return human(x, 4)


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
            lines.append(f"sensitivity: {m} forecasts move by at most {_fmt(spread[worst])} ({worst}) when the "
                         f"assumed capability of '{actor}' is halved or doubled")
    return lines


def settling_lines(model: str, details: dict[str, Any], params: dict[str, Any] | None = None) -> list[str]:
    """A warning per issue on which a model that runs in rounds has not settled: still moving
    after the last round, or flipping among alternatives in a cycle (bdm's ``settling``)."""
    lines = []
    settle = (params or {}).get("settle", "last")
    for issue, info in (details.get("settling") or {}).items():
        rounds = info.get("rounds")
        steady = info.get("steady_since")
        if info["status"] == "unsettled" and steady is not None and rounds and 2 * steady <= rounds:
            lines.append(f"note: {model}'s positions on {issue} still move after {rounds} rounds, but its forecast "
                         f"has not changed since round {steady}")
        elif info["status"] == "unsettled":
            more = max(30, 3 * (rounds or 10))
            lines.append(f"warning: {model} has not settled on {issue} after {rounds} rounds: positions still move, "
                         f"so the forecast depends on the number of rounds (fix: run more rounds, e.g. tertius run "
                         f"-p {model}.rounds={more} or tertius forecast -m {model} -p rounds={more}, or the rounds "
                         f"field under Model parameters on the page; -p {model}.settle=cycle forecasts over a cycle "
                         "once one appears)")
        elif info["status"] == "cycle" and len({round(v, 9) for v in info["alternatives"]}) > 1:
            alts = ", ".join(human(v) for v in info["alternatives"])
            if settle == "cycle":
                lines.append(f"note: {model} cycles on {issue} every {info['period']} rounds among {alts}; forecast over "
                             f"the cycle: {human(info['pooled'])} (settle=cycle)")
            else:
                lines.append(f"warning: {model} cycles on {issue} every {info['period']} rounds among {alts}: the "
                             f"forecast after {rounds} rounds is one of them (fix: -p {model}.settle=cycle forecasts over the "
                             f"cycle: {human(info['pooled'])})")
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
        table.add_row(issue.id, *[_fmt_value(c.values.get(issue.id)) for c in extra], _fmt_value(f.outcome[k]),
                      f"{human(arr.lo[k])}–{human(arr.hi[k])}",
                      "–" if issue.status_quo is None else human(issue.status_quo.value),
                      "–" if issue.observed is None else human(issue.observed.value))
    console.print(table)
    if f.rounds is not None:
        for k, issue_id in enumerate(f.issue_ids):
            _print_trajectory(f, k, issue_id, console)
    for key, value in f.details.items():
        if not isinstance(value, dict) and len(str(value)) < 200:
            console.print(f"{key}: {value}")
    for line in settling_lines(f.model, f.details, f.params):
        console.print(line, markup=False, highlight=False)


def _print_trajectory(f: Forecast, k: int, issue_id: str, console: Console) -> None:
    """Positions by round: one row per actor, one column per round (round 0: the inputs),
    stacked to fit the console."""
    rounds = f.rounds or ()
    shown = [j for j in range(len(f.actor_ids)) if not all(_nan(snap[j, k]) for snap in rounds)]
    names = [f.actor_ids[j] for j in shown]
    series = f.line.values.get(issue_id) if f.line is not None else None
    if series:
        series = list(series) + [series[-1]] * (len(rounds) - len(series))
        names.append(f.line.label if f.line else "")
    columns = []
    for r, snap in enumerate(rounds):
        cells = [_fmt_value(snap[j, k]) for j in shown] + ([_fmt_value(series[r])] if series else [])
        columns.append((str(r), cells))
    for table in fit(f"{issue_id}: positions by round", [("actor", names)], columns, console.width,
                     sections=len(shown) if series else None):
        console.print(table)


def perturbation_words(spec: dict[str, Any], issues: dict[str, str] | None = None,
                       actors: dict[str, str] | None = None) -> str:
    """A perturbation in words: 'positions ±10 on each issue's scale, saliences ±20 %, ...'."""
    issues, actors = issues or {}, actors or {}
    kind = {"uniform": "uniform", "normal": "normal, clipped to the valid range; ± is one standard deviation",
            "truncnorm": "truncated normal; ± is one standard deviation"}.get(spec.get("distribution", "uniform"),
                                                                           str(spec.get("distribution")))
    parts = [f"positions ±{human(spec.get('position'))} on each issue's scale",
             f"saliences ±{human(100 * float(spec.get('salience', 0)))} %",
             f"capabilities ±{human(100 * float(spec.get('capability', 0)))} %"]
    text = ", ".join(parts) + f" ({kind})"
    for o in spec.get("overrides") or []:
        who = " on ".join(x for x in (actors.get(o.get("actor"), o.get("actor")) if o.get("actor") else None,
                                      issues.get(o.get("issue"), o.get("issue")) if o.get("issue") else None) if x)
        what = [f"position ±{human(o['position'])}" if o.get("position") is not None else None,
                f"salience ±{human(100 * o['salience'])} %" if o.get("salience") is not None else None,
                f"capability ±{human(100 * o['capability'])} %" if o.get("capability") is not None else None]
        text += f"; {who}: " + ", ".join(w for w in what if w)
    return text


def _nan(x: float) -> bool:
    return x != x


def sweep_tables(summary: dict[str, Any], files: dict[str, str], title: str) -> list[Table | str]:
    """A sweep's quantiles per issue, the third parties' equilibrium shares, failed draws, files."""
    t = Table(title=title, title_justify="left")
    for col in ("issue", "5%", "25%", "50%", "75%", "95%"):
        t.add_column(col, justify="left" if col == "issue" else "right")
    issues = summary.get("issues", {})
    for issue, q in summary["quantiles"].items():
        t.add_row(issues.get(issue, {}).get("name", issue), *[_fmt_value(q[k]) for k in ("q05", "q25", "q50", "q75", "q95")])
    out: list[Table | str] = [t]
    out.extend(moved_lines(summary.get("moved", [])))
    names = summary.get("names", {})
    for phase, parties in summary["third_party_shares"].items():
        info = summary.get("phases", {}).get(phase, {"name": phase, "sides": ["side A", "side B"]})
        a, b = info["sides"]
        label = info["name"] or phase or f"{a} against {b}"  # a conflict without phases has no name
        for tp, shares in parties.items():
            out.append(f"{label}, {names.get(tp, tp)}: equilibrium choice in " + ", ".join(
                f"{OPTION_LABELS[o].format(a=a, b=b)} {v:.1%}" for o, v in shares.items()))
        how = {m: v for m, v in summary.get("third_party_methods", {}).get(phase, {}).items() if v > 0}
        if how:
            out.append(f"{label}: equilibria found by " + ", ".join(
                f"{m} {v:.1%}" for m, v in how.items()))
    for f in summary["failed"][:10]:
        out.append(f"failed draw {f['draw']} (seed {f['seed']}, chunk {f['chunk']}, chunk seed {f['chunk_seed']}): "
                   f"{f['error']}")
    out.extend(f"{k}: {v}" for k, v in files.items())
    return out


def moved_lines(moved: list[dict[str, Any]]) -> list[str]:
    """Which inputs the third parties' draws moved besides positions, saliences and capabilities,
    and how far: "Russia: cost of fighting 0.1, drawn in 0.025–0.3"."""
    if not moved:
        return []
    return [f"The third parties' draws also moved {len(moved)} conflict inputs within their ranges: " + "; ".join(
        f"{m['label']} {_g(m['value'])}, drawn in {_g(m['range'][0])}–{_g(m['range'][1])}" for m in moved) + "."]


def _g(x: float) -> str:
    return f"{x:.2g}" if abs(x) < 10 else f"{x:,.0f}"


def breakeven_tables(result: dict[str, Any], top: int = 8) -> list[Table | str]:
    """What would have to be true: for each question, the assumed inputs closest to changing its
    answer (the flip value and the option it flips to), and how many are safe."""
    out: list[Table | str] = []
    for q in result["questions"]:
        t = Table(title=f"{q['question']} — what would change it", title_justify="left")
        for col, just in (("input", "left"), ("assumed", "right"), ("range", "right"), ("flips to", "left"),
                          ("at", "right")):
            t.add_column(col, justify=just)  # type: ignore[arg-type]
        flipping = [r for r in q["inputs"] if not r["safe"]]
        for r in flipping[:top]:
            lo, hi = r["range"]
            for k, f in enumerate(r["flips"]):
                t.add_row(r["label"] if k == 0 else "", _g(r["value"]) if k == 0 else "",
                          f"{_g(lo)}–{_g(hi)}" if k == 0 else "", f["to_words"],
                          ("≤ " if f["at"] < r["value"] else "≥ ") + f"{f['at']:.3g}")
        if flipping:
            out.append(t)
        else:
            out.append(f"{q['question']}: no assumed input changes it within its range.")
        more = len(flipping) - min(top, len(flipping))
        out.append((f"{more} more inputs flip it within their ranges; " if more else "")
                   + f"{len(q['safe'])} of {len(q['inputs'])} inputs are safe (no flip within their range).")
    out.append(f"method: {result['method']}")
    return out


def forecast_moves_table(moves: dict[str, Any] | None) -> list[Table | str]:
    """:func:`tertius.report.html.forecast_moves` as a table: per issue, the assumed inputs
    closest to moving the forecast by more than 10 % of its scale."""
    if not moves:
        return []
    t = Table(title=f"What would move the forecasts ({moves['model']}: by more than 10 % of the scale)",
              title_justify="left")
    for col, just in (("issue", "left"), ("forecast", "right"), ("input", "left"), ("assumed", "right"),
                      ("moves it at", "right"), ("then", "right")):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in moves["rows"]:
        if not r["inputs"]:
            t.add_row(r["issue"], human(r["forecast"], 2), f"safe ({r['n']} inputs)", "", "", "")
        for k, x in enumerate(r["inputs"]):
            t.add_row(r["issue"] if k == 0 else "", human(r["forecast"], 2) if k == 0 else "", x["label"],
                      _g(x["value"]), ("≥ " if x["up"] else "≤ ") + apart(x["at"], x["value"]), human(x["to"], 2))
    return [t]


def summary_lines(summary: dict[str, Any]) -> list[Table | str]:
    """The answer first (:func:`tertius.report.html.summary_of`): a table of the issues and one
    line per third party."""
    t = Table(title=f"Summary: forecasts ({summary['model']}, the best-scored model) and the models' spread",
              title_justify="left")
    band = bool(summary.get("draws"))
    for col, just in (("issue", "left"), ("forecast", "right"), ("80 % interval", "right"), ("all models", "right"),
                      ("observed", "right"), ("error", "right")):
        if band or col != "80 % interval":
            t.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in summary["issues"]:
        spread = f"{human(r['lo'], 2)}–{human(r['hi'], 2)}" if r["lo"] is not None else ""
        interval = [f"{human(r['q_lo'], 2)}–{human(r['q_hi'], 2)}" if r.get("q_lo") is not None else ""] if band else []
        t.add_row(r["name"], human(r["forecast"], 2), *interval, spread,
                  "" if r["observed"] is None else human(r["observed"], 2), "" if r["error"] is None else signed(r["error"]))
    out: list[Table | str] = [t]
    if band:
        error = "" if summary.get("mc_error") is None else \
            f" (Monte Carlo error of the ends at most ±{human(summary['mc_error'], 2)})"
        out.append(f"80 % interval: the 10th to the 90th percentile of {summary['model']}'s forecasts over "
                   f"{summary['draws']} perturbed draws{error}; all models: the range of the models' forecasts.")
    out.extend(summary.get("not_drawn", []))
    for p in summary["parties"]:
        share = "" if p["share"] is None else f", the equilibrium in {share_words(p['share'])} of draws"
        line = f"{p['name']}" + (f" ({p['phase']})" if p["phase"] else "") + \
            f": {p['option']} — {p.get('model') or 'fitted logit'} {100 * p['probability']:.0f} %{share}." + \
            (f" How it profits: {p['mechanism']}." if p.get("mechanism") else "")
        if p["close"]:
            line += " Closest to changing it: " + "; ".join(p["close"]) + "."
        elif p["safe"]:
            line += " No assumed input changes it within its range."
        if p["disagree"]:
            line += " " + p["disagree"]
        out.append(line)
    if summary.get("setting_note"):
        out.append(summary["setting_note"])
    return out
