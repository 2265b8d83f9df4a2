"""The self-contained HTML reports (a run's and a sweep's), from one set of Jinja templates:
one file each, inline SVG charts, a table of contents, print styles, and one small inline script
that downloads a chart as SVG or PNG. Nothing is loaded from the network."""

from __future__ import annotations

from importlib import resources
from typing import Any

import jinja2

from tertius.analysis import head_model
from tertius.conflict.thirdparty import PROBABILITY_MODELS, casebook_where, setting_differs, setting_words
from tertius.conflict.war import PLAIN
from tertius.errors import InputError
from tertius.report.charts import issue_chart, mae_chart, options_chart, tornado_chart, trajectory_chart, value_of
from tertius.report.console import OPTION_LABELS, settling_lines
from tertius.report.numbers import apart, human, share_words, signed
from tertius.results import saved_results
from tertius.scenario import OPTION_KINDS, Scenario
from tertius.uncertainty import inputs, labeller

#: Plain words for the scalar details a model reports (anything else: its key, spaced).
DETAIL_WORDS = {
    "max_min_gain": "the gain every actor can be sure of over disagreement (the first, max–min step)",
    "coverage": "nominal coverage of the interval",
}


def environment() -> jinja2.Environment:
    """The reports' template environment, with the number filters every report uses."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (resources.files("tertius.report") / "templates" / name).read_text()),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = lambda x, d=3: human(x, d)
    env.filters["signed"] = signed
    env.filters["share"] = share_words
    env.filters["apart"] = lambda x, ref, d=2: apart(x, ref, d)
    env.filters["value"] = value_of
    env.filters["note"] = _note
    env.filters["actor_name"] = lambda a, actors: next((x.get("name") or a for x in actors if x["id"] == a), a)
    env.filters["words"] = lambda key: DETAIL_WORDS.get(key, str(key).replace("_", " "))
    return env


def _note(q: Any) -> str:
    if not isinstance(q, dict):
        return ""
    parts = []
    if q.get("source"):
        parts.append(f"source: {q['source']}")
    if q.get("assumption"):
        parts.append(f"assumption: {q['assumption']}")
    return "; ".join(parts)


def _trajectories(issue: dict[str, Any], forecasts: dict[str, Any], actors: dict[str, Any]) -> list[dict[str, str]]:
    """Charts of positions over rounds, for every model that runs in rounds."""
    out = []
    names = {a: (v.get("name") or a) for a, v in actors.items()}
    for model, f in forecasts.items():
        item = next(i for i in f["issues"] if i["id"] == issue["id"])
        if "rounds" not in item:
            continue
        given = f.get("line") or {}
        line, label = given.get("values", {}).get(issue["id"]), given.get("label", "")
        out.append({"model": model, "chart": trajectory_chart(
            f"{model}: positions by round", item["rounds"], names, line,
            issue["scale"]["min"], issue["scale"]["max"], label)})
    return out


def results_and_report(results: dict[str, Any], source: str = "the scenario") -> tuple[str, str]:
    """The text of ``results.json`` and the report rendered from that text, as if from the saved
    file (so a report never shows what the saved results do not hold)."""
    import json


    try:
        text = json.dumps(results, indent=1, allow_nan=False) + "\n"
    except ValueError:
        raise InputError("a result is not finite (NaN or infinite)", file=source,
                         fix="check the scenario's numbers; a model overflowed") from None
    return text, render_html(json.loads(text))


def render_html(results: dict[str, Any]) -> str:
    """Render saved analysis results (see :func:`tertius.analysis.analyse`) as HTML; results saved
    by an older tertius are read in today's layout (:func:`tertius.results.saved_results`)."""
    results = saved_results(results)
    scenario = results["scenario"]
    actors = {a["id"]: a for a in scenario["actors"]}
    forecasts = results["forecasts"]
    errors = {(r["issue"], r["model"]): r for r in results["scores"]["issues"]}
    issues = []
    for issue in scenario["issues"]:
        per_model = {m: next(i["outcome"] for i in f["issues"] if i["id"] == issue["id"]) for m, f in forecasts.items()}
        observed = value_of(issue["observed"]) if "observed" in issue else None
        issues.append({
            "id": issue["id"],
            "name": issue.get("name") or issue["id"],
            "scale": issue["scale"],
            "status_quo": value_of(issue["status_quo"]) if "status_quo" in issue else None,
            "observed": observed,
            "observed_note": _note(issue.get("observed")),
            "forecasts": per_model,
            "errors": {m: errors.get((issue["id"], m), {}).get("error") for m in forecasts},
            "chart": issue_chart(issue, scenario["stances"], actors, per_model, observed,
                                 scenario.get("salience_scale", 1.0)),
            "trajectories": _trajectories(issue, forecasts, actors),
        })
    sens: dict[tuple[str, str], Any] = {}
    for row in results.get("sensitivity", []):
        key = (row["actor"], row["model"])
        sens.setdefault(key, {}).setdefault(row["issue"], {})[row["factor"]] = row["outcome"]
    sections = _third_party_sections(results.get("third_parties"))
    observed_any = any(i["observed"] is not None for i in issues)
    return environment().get_template("report.html.j2").render(
        observed_any=observed_any, status_quo_any=any(i["status_quo"] is not None for i in issues),
        forecasts_heading="Forecasts against the observed outcomes" if observed_any else "Forecasts",
        results=results, scenario=scenario, actors=scenario["actors"], issues=issues,
        models=results["models"], scores=results["scores"]["models"],
        mae_svg=mae_chart(results["scores"]["models"]) if any(
            v["mae"] is not None for v in results["scores"]["models"].values()) else None,
        sensitivity=sens, third_parties=sections,
        settling={m: settling_lines(m, f["details"], f.get("params")) for m, f in forecasts.items()},
        summary=summary_of(results), intervals=intervals_of(results), tornadoes=_tornadoes(results.get("breakeven")),
        moves=forecast_moves(results, top=1),
        all_inputs=_inputs_by_closeness(results),
    )


def _sig(x: float) -> str:
    """Two significant digits."""
    return f"{x:.2g}"


def summary_of(results: dict[str, Any]) -> dict[str, Any]:
    """The answer first: the best-scored model's forecast of each issue with the models' spread,
    and each third party's option with the two inputs closest to changing it."""

    head = head_model(results["scores"], list(results["forecasts"]))
    intervals = results.get("intervals") or {}
    mine = (intervals.get("models") or {}).get(head, {}).get("issues", {})
    errors = {(r["issue"], r["model"]): r.get("error") for r in results["scores"]["issues"]}
    rows = []
    for issue in results["scenario"]["issues"]:
        per_model = {m: next(i["outcome"] for i in f["issues"] if i["id"] == issue["id"])
                     for m, f in results["forecasts"].items()}
        vals = [v for v in per_model.values() if v is not None]
        band = mine.get(issue["id"]) or {}
        rows.append({"name": issue.get("name") or issue["id"], "id": issue["id"], "forecast": per_model[head],
                     "observed": value_of(issue["observed"]) if "observed" in issue else None,
                     "error": errors.get((issue["id"], head)), "lo": min(vals) if vals else None,
                     "hi": max(vals) if vals else None, "q_lo": band.get("lo"), "q_hi": band.get("hi")})
    parties = []
    where, changed, played_casebook = None, [], False  # the game at the casebook's setting: what it changes
    be = {(q["phase"], q["third_party"]): q for q in (results.get("breakeven") or {}).get("questions", [])}
    analysis = results.get("third_parties") or {}
    for phase in analysis.get("phases", []):
        a, b = phase["sides"]
        labels = {o: OPTION_LABELS[o].format(a=a, b=b) for o in analysis["options"]}
        for t in phase["third_parties"]:
            eq = t["equilibrium"]
            probs = t["probabilities"]
            cs = t.get("casebook_setting")
            if cs:
                where, played_casebook = casebook_where(cs), bool(cs.get("played"))
                if cs["option"] != eq:
                    changed.append(f"{t['name']} ({phase['id']}) would instead {labels[cs['option']]}")
                elif setting_differs(t):
                    changed.append(f"{t['name']} ({phase['id']}) would profit otherwise")
            model = PROBABILITY_MODELS[t.get("probability_model", "game-logit")]
            likely = max(probs, key=lambda o: probs[o])
            q = be.get((phase["id"], t["third_party"]))
            close = []
            for r in (q["inputs"] if q else [])[:2]:
                if r["safe"]:
                    break
                f = min(r["flips"], key=lambda f: abs(f["at"] - r["value"]))
                close.append(f"{r['label']} (assumed {_sig(r['value'])}): {f['to_words']} at "
                             f"{'≤' if f['at'] < r['value'] else '≥'} {_sig(f['at'])}")
            share = (t["perturbation"].get("first") or {}).get(eq)
            disagree = None
            if likely != eq:
                disagree = (f"The equilibrium ({labels[eq]}) is the model's answer: the best option given the others' "
                            f"choices. {model.capitalize()} ({labels[likely]}, {_sig(100 * probs[likely])} %) says how "
                            f"often third parties in the fitted wars chose so with such values: it weighs the "
                            f"options' utilities with the noise of past decisions, and is the better guide to how sure "
                            f"to be of the answer.")
            parties.append({"name": t["name"], "phase": phase["name"] or phase["id"] or "", "option": labels[eq],
                            "mechanism": t.get("mechanism"),
                            "probability": probs[eq], "model": model.removeprefix("the "), "share": share, "close": close,
                            "safe": q is not None and not close, "disagree": disagree,
                            "actual": labels.get(t["actual"]["option"]) if t.get("actual") else None})
    # the draws move the scenario's inputs, not the game's setting: say so, and what the casebook's changes
    drawn = any(p["share"] is not None for p in parties)
    played = (analysis.get("params") or {}).get("setting") or PLAIN  # saved before the setting was declared
    if where is None:
        setting_note = None
    elif played_casebook:
        setting_note = ((f"Draws: every assumed input moved within its range; not the game's setting, the one "
                         f"selected on the casebook ({setting_words(played)}).") if drawn else
                        f"The game's setting is the one selected on the casebook ({setting_words(played)}).")
    else:
        setting_note = (f"Draws: every assumed input moved within its range; not the game's setting "
                        f"({setting_words(played)}). " if drawn else "") + \
            f"{where} the answers are the same" + (", except: " + "; ".join(changed) + " (Third parties, below)"
                                                   if changed else "") + "."
    band = (intervals.get("models") or {}).get(head, {})
    out = {"model": head, "issues": rows, "parties": parties, "setting_note": setting_note, "level": intervals.get("level"),
           "draws": band.get("draws"), "stopped": band.get("stopped"), "mc_error": _largest_error(band),
           "tolerance": (intervals.get("rule") or {}).get("tolerance")}
    skipped = [not_drawn_line(m, b) for m, b in (intervals.get("models") or {}).items() if b.get("skipped")]
    if skipped:  # the summary's model first: its interval is the one the summary would show
        out["not_drawn"] = sorted(skipped, key=lambda line: not line.startswith(f"{head}:"))
    return out


def not_drawn_line(model: str, band: dict[str, Any]) -> str:
    """One line on an interval the cost bound left undrawn (:func:`tertius.sweeps.intervals.not_drawn`)."""
    return (f"{model}: 80 % interval not drawn: {band['actors']} actors make each draw cost "
            f"{band['cost_per_draw']:,.0f} pair evaluations, over the budget of {band['budget']:,.0f} for its "
            f"{band['draws_needed']} draws; run with --interval-draws N or `tertius sweep`")


def _largest_error(band: dict[str, Any]) -> float | None:
    """The largest Monte Carlo error of a model's interval endpoints (None if any is unknown or
    the results predate them)."""
    errors = [b.get(k) for b in (band.get("issues") or {}).values() for k in ("lo_error", "hi_error")]
    return max(errors) if errors and all(e is not None for e in errors) else None


def intervals_of(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every model's forecast intervals as results.json holds them (``intervals``): per model the
    draws used, why drawing stopped (``precision``, ``maximum`` or ``fixed``), the failed draws,
    and per issue the interval with its endpoints' Monte Carlo errors; an interval the cost bound
    left undrawn has no issues and its line (``skipped``)."""
    intervals = results.get("intervals") or {}
    names = {i["id"]: i.get("name") or i["id"] for i in results["scenario"]["issues"]}
    return [{"model": m, "draws": band["draws"], "stopped": band.get("stopped"), "failed": band.get("failed", 0),
             "issues": [{"name": names.get(k, k), **b} for k, b in band["issues"].items()],
             **({"skipped": not_drawn_line(m, band)} if band.get("skipped") else {})}
            for m, band in (intervals.get("models") or {}).items()]


def forecast_moves(results: dict[str, Any], top: int = 2) -> dict[str, Any] | None:
    """What would move the forecasts (results' ``breakeven_forecasts``): for the summary's model
    (else the first with a batch form), per issue the ``top`` assumed inputs whose smallest change
    moves the forecast by more than the tolerance, with the value at which it does and where the
    forecast lands. None when no model has a batch form."""

    found = results.get("breakeven_forecasts") or {}
    if not found.get("models"):
        return None
    head = head_model(results["scores"], list(results["forecasts"]))
    model = head if head in found["models"] else found["models"][0]
    rows = []
    for q in found["questions"]:
        if q["model"] != model:
            continue
        near = []
        for r in q["inputs"][:top]:
            f = min(r["flips"], key=lambda f: abs(f["at"] - r["value"]))
            near.append({"label": r["label"].replace(f" on {q['name']}", ""), "value": r["value"], "at": f["at"],
                         "to": f["forecast"], "up": f["at"] > r["value"]})
        rows.append({"issue": q["name"], "forecast": q["forecast"], "tolerance": q["tolerance"], "inputs": near,
                     "safe": q["safe"], "n": q["safe"] + len(q["inputs"])})
    return {"model": model, "rows": rows, "inputs": found["inputs"]}


def _tornadoes(result: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not result:
        return []
    return [{"question": q["question"], "chart": tornado_chart(q) if len(q["safe"]) < len(q["inputs"]) else None,
             "safe": len(q["safe"]), "n": len(q["inputs"])} for q in result["questions"]]


def _inputs_by_closeness(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every input with its range, the assumptions first, sorted by how close they come to
    changing an answer (the smallest share of their range that flips any third party's option)."""

    scenario = Scenario.model_validate(results["scenario"])
    closest: dict[str, float] = {}
    for q in (results.get("breakeven") or {}).get("questions", []):
        for r in q["inputs"]:
            if r["closeness"] is not None:
                closest[r["input"]] = min(closest.get(r["input"], 2.0), r["closeness"])
    name = labeller(scenario)
    rows = [{"label": name(i), "value": i.value, "lo": i.lo, "hi": i.hi, "assumed": i.assumed,
             "declared": i.declared, "why": i.why, "closeness": closest.get(i.key)} for i in inputs(scenario)]
    rows.sort(key=lambda r: (not r["assumed"], r["closeness"] if r["closeness"] is not None else 2.0))
    return rows


def _third_party_sections(result: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not result:
        return []
    out = []
    names = {t["third_party"]: t["name"] for phase in result["phases"] for t in phase["third_parties"]}
    for phase in result["phases"]:
        a, b = phase["sides"]
        labels = {o: OPTION_LABELS[o].format(a=a, b=b) for o in result["options"]}
        for t in phase["third_parties"]:
            order = list(result["options"])
            first = t["perturbation"].get("first") or {}
            out.append({
                "phase": phase["name"] or phase["id"] or f"{a} against {b}", "sides": (a, b), "t": t, "labels": labels,
                "selected": ", ".join(f"{names.get(x, x)}: {labels[o]}" for x, o in phase["selected"].items()),
                "equilibria": phase.get("equilibria"), "converged": phase["converged"], "method": phase["method"],
                "chart": options_chart(f"{t['name']}: options", [labels[o] for o in order],
                                       [t["options"][o]["expected_utility"] for o in order],
                                       [t["probabilities"][o] for o in order],
                                       [first[o] for o in order] if first else None),
                "issues": list(t["options"]["neutral"]["settlements"]["a wins"]),
                "gains": [o for o in order if OPTION_KINDS[o] != "neutral"],
                "wars": [o for o in order if OPTION_KINDS[o] != "broker"],
                "observed": {r["issue"]: r["observed"] for r in t["actual"]["settlement"]} if t.get("actual") else {},
            })
    return out
