"""Scoring the third parties' game on a casebook: a folder of sourced cases (docs/casebook.md).

Each case is a scenario with a conflict whose phases record the option each third party took
(``actual``) and the settlement, including what each third party gained on its own issues
(``observed``). For every recorded decision the analysis gives the selected equilibrium's option
(the call), the logit probability of the recorded option, and the error of the forecast
settlement on the third party's own issues. "Everyone stays out" is the baseline.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from tertius.conflict.choice import CASEBOOK_FITTED, casebook_fitted, casebook_setting, fitted, probabilities
from tertius.conflict.equilibrium import solve
from tertius.conflict.game import payoffs
from tertius.conflict.score import JOIN_CONSTANT, LOG_PRECISION
from tertius.conflict.war import OPTIONS, UNAVAILABLE, War, build_war, claimed, phases_of
from tertius.errors import InputError
from tertius.io import load_scenario
from tertius.resample import cluster_ratios
from tertius.scenario import Phase, Scenario

#: The suffixes of case files.
CASE_SUFFIXES = (".yaml", ".yml")
#: The smallest probability a log loss counts (an option the game rules out has probability 0).
FLOOR = 1e-6


def looks_like_casebook(path: Path) -> bool:
    """A folder of YAML case files (a folder of CSV tables holds an actors table instead)."""
    return path.is_dir() and not (path / "actors.csv").exists() and any(
        p.suffix.lower() in CASE_SUFFIXES for p in path.iterdir())


def case_files(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.suffix.lower() in CASE_SUFFIXES and p.is_file())


def own_issues(scenario: Scenario, phase: Phase | None, war_stakes: np.ndarray, k: int,
               war: War | None = None) -> list[int]:
    """The issues a third party holds a claim on (every issue it cares about, in a case that
    declares no claims) that are not the phase's stakes, that it cares about, and that the phase
    records an outcome for: where its gains are scored (docs/thirdparty.md, "The casebook").
    ``war`` is the phase's game where the caller has built it already."""
    war = war if war is not None else build_war(scenario, phase)
    observed = phase.observed if phase is not None else {}
    claims = claimed(scenario, phase, war.actor_ids[k])
    return [i for i, iid in enumerate(war.issue_ids)
            if war.salience[0, k, i] > 0 and not war_stakes[i] and iid in observed
            and (claims is None or iid in claims)]


def _gain_errors(war: War, phase: Phase | None, idx: list[int], *settlements: np.ndarray) -> list[float | None]:
    """The gain error of each settlement on a third party's own issues ``idx``: the mean of
    |settlement − observed| in % of each issue's span; None where there is none to score."""
    if not idx or phase is None:
        return [None] * len(settlements)
    out: list[float | None] = []
    for settlement in settlements:
        errs = [abs(settlement[i] - phase.observed[war.issue_ids[i]].value) / war.span[i] * 100 for i in idx]
        out.append(float(np.mean(errs)) if np.all(np.isfinite(errs)) else None)
    return out


def score_case(scenario: Scenario, case: str, join_cost: float = 0.0, pivotal: bool = False,
               convening: bool = False) -> list[dict[str, Any]]:
    """One row per recorded decision of a case, with a third party's fixed cost of taking up arms,
    with ``pivotal`` armed brokers' pivotal deterrence, and with ``convening`` a chair's prestige of
    convening the talks whether or not its deal holds (docs/thirdparty.md, "Mechanisms")."""
    rows: list[dict[str, Any]] = []
    for phase in phases_of(scenario):
        if phase is None or not phase.actual:
            continue
        war = replace(build_war(scenario, phase), join_cost=join_cost, pivotal=pivotal, convening=convening)
        sol = solve(war)  # a cycle of best responses is never the answer
        profile, converged, vals = sol.profile, sol.ok, sol.values
        probs = probabilities(vals)[0]
        third = war.third_ids
        selected = payoffs(war, profile).settlement()[0, 0]
        recorded_roles = profile.copy()
        for t, o in phase.actual.items():
            if t in third:
                recorded_roles[0, war.index(t)] = OPTIONS.index(o)
        recorded = payoffs(war, recorded_roles).settlement()[0, 0]
        for t, option in phase.actual.items():
            if t not in third:
                continue
            j, k = third.index(t), war.index(t)
            chosen = OPTIONS[profile[0, k]]
            gain, gain_recorded, gain_status_quo = _gain_errors(
                war, phase, own_issues(scenario, phase, war.stakes, k, war), selected, recorded, war.status_quo)
            rows.append({
                "case": case, "phase": phase.id, "third_party": t, "recorded": option, "selected": chosen,
                "matched": chosen == option, "converged": bool(converged[0]), "method": sol.label(0),
                "probability": float(probs[j, OPTIONS.index(option)]),
                "values": [float(v) if v > UNAVAILABLE / 2 else None for v in vals[0][j]],
                "gain_error": gain, "gain_error_recorded": gain_recorded, "gain_error_status_quo": gain_status_quo,
            })
    return rows


#: The fixed costs of taking up arms (utility units) searched by the casebook's cross-validation.
JOIN_COST_GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0)
#: The variants of the game searched with them: without and with armed brokers' pivotal
#: deterrence (Crawford 2003; docs/thirdparty.md, "Mechanisms").
PIVOTAL_GRID = (False, True)
#: And without and with the prestige of convening (Touval 1982; docs/thirdparty.md, "Mechanisms").
CONVENING_GRID = (False, True)


#: A setting of the game searched by the casebook's selection: (join_cost, pivotal, convening).
Setting = tuple[float, bool, bool]
#: Every setting searched, in :data:`JOIN_COST_GRID` x :data:`PIVOTAL_GRID` x :data:`CONVENING_GRID`.
GRID: tuple[Setting, ...] = tuple((c, p, v) for c in JOIN_COST_GRID for p in PIVOTAL_GRID for v in CONVENING_GRID)
#: The setting selected on the bundled casebook (``scripts/fit_casebook.py``), with the cases it
#: was selected on: the setting ``tertius validate DIR`` scores a folder of cases with.
FITTED = CASEBOOK_FITTED


def _logit_inputs(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([[UNAVAILABLE if v is None else v for v in r["values"]] for r in rows], dtype=float)
    return values.reshape(len(rows), len(OPTIONS)), np.array([OPTIONS.index(r["recorded"]) for r in rows], dtype=int)


def _log_likelihood(values: np.ndarray, y: np.ndarray, precision: float, join_constant: float,
                    broker_constant: float) -> float:
    p = probabilities(values, precision, join_constant, broker_constant)[np.arange(len(y)), y]
    return float(np.log(np.maximum(p, FLOOR)).sum())


def fit_logit(rows: list[dict[str, Any]]) -> dict[str, float]:
    """The casebook's logit (docs/casebook.md, "The logit of the selected setting"): the precision
    λ, the join constant α and the broker constant β by maximum likelihood on the recorded decisions
    ``rows`` (their option values at one setting), with scipy's bounded L-BFGS-B within the bounds
    of the tables' fit (:data:`~tertius.conflict.score.LOG_PRECISION` for log λ,
    :data:`~tertius.conflict.score.JOIN_CONSTANT` for α and β). Started from the tables'
    parameters and from a flat start; the better optimum is kept. Without a decision to fit on
    (a fold of a one-case folder) it is the tables' logit, β = 0."""
    from scipy.optimize import minimize

    tables = (float(fitted()["precision"]), float(fitted()["join_constant"]))
    if not rows:
        return {"precision": tables[0], "join_constant": tables[1], "broker_constant": 0.0, "decisions": 0,
                "log_likelihood": 0.0}
    values, y = _logit_inputs(rows)

    def nll(z: np.ndarray) -> float:
        return -_log_likelihood(values, y, float(np.exp(z[0])), float(z[1]), float(z[2]))

    starts = (np.array([np.log(tables[0]), tables[1], 0.0]), np.zeros(3))
    res = min((minimize(nll, x0=x0, method="L-BFGS-B", bounds=[LOG_PRECISION, JOIN_CONSTANT, JOIN_CONSTANT])
               for x0 in starts), key=lambda r: float(r.fun))
    return {"precision": round(float(np.exp(res.x[0])), 6), "join_constant": round(float(res.x[1]), 6),
            "broker_constant": round(float(res.x[2]), 6), "decisions": len(rows),
            "log_likelihood": round(-float(res.fun), 6)}


def with_logit(rows: list[dict[str, Any]], params: dict[str, float]) -> list[dict[str, Any]]:
    """``rows`` with each recorded option's probability under the logit ``params`` (new rows; the
    given ones are not changed)."""
    if not rows:
        return []
    values, y = _logit_inputs(rows)
    p = probabilities(values, params["precision"], params["join_constant"], params["broker_constant"])
    return [dict(r, probability=float(p[k, y[k]])) for k, r in enumerate(rows)]


def base_rate_losses(rows: list[dict[str, Any]]) -> np.ndarray:
    """Each decision's log loss under the base rates, leaving its case out: the recorded option's
    share among the other cases' decisions (a share of 0 counts at :data:`FLOOR`; without another
    case's decision, a quarter each)."""
    cases = list(dict.fromkeys(r["case"] for r in rows))
    counts = {c: np.array([sum(r["recorded"] == o for r in rows if r["case"] == c) for o in OPTIONS], dtype=float)
              for c in cases}
    total = sum(counts.values(), np.zeros(len(OPTIONS)))
    share = {}
    for c, n in counts.items():
        rest = total - n
        share[c] = rest / rest.sum() if rest.sum() else np.full(len(OPTIONS), 1.0 / len(OPTIONS))
    return np.array([-np.log(max(float(share[r["case"]][OPTIONS.index(r["recorded"])]), FLOOR)) for r in rows])


def base_rate_log_loss(rows: list[dict[str, Any]]) -> float | None:
    """The log loss of the base rates, leaving one case out (:func:`base_rate_losses`): the
    probability baseline beside the logit of :func:`cross_validate`."""
    return float(np.mean(base_rate_losses(rows))) if rows else None


def how_sure(rows: list[dict[str, Any]], seed: int = 0) -> dict[str, Any]:
    """How far the out-of-fold scores of :func:`cross_validate` can be read: the cluster bootstrap
    over whole cases (:func:`tertius.resample.cluster_ratios`) of the share of decisions
    matched, of its lead over "everyone stays out", of the share of recorded brokers matched, of
    the log loss's lead over the base rates (negative: the logit is better) and of the gains MAE's
    lead over the status quo's (negative: the settlement forecast is better than "no third party
    gains anything")."""
    if not rows:
        return {}
    matched = np.array([r["matched"] for r in rows], dtype=float)
    out = np.array([r["recorded"] == "neutral" for r in rows], dtype=float)
    broker = np.array([r["recorded"] == "broker" for r in rows], dtype=float)
    loss = np.array([-np.log(max(r["probability"], FLOOR)) for r in rows])
    one = np.ones(len(rows))
    scored = np.array([r.get("gain_error") is not None and r.get("gain_error_status_quo") is not None for r in rows],
                      dtype=float)
    gains = np.array([r["gain_error"] - r["gain_error_status_quo"] if s else 0.0 for r, s in zip(rows, scored, strict=True)])
    return cluster_ratios([r["case"] for r in rows], {
        "matched_share": (matched, one), "matched_minus_everyone_out": (matched - out, one),
        "brokers_matched_share": (matched * broker, broker),
        "log_loss_minus_base_rates": (loss - base_rate_losses(rows), one),
        "gains_mae_minus_status_quo": (gains, scored)}, seed, label="casebook")


def _select(runs: dict[Setting, list[list[dict[str, Any]]]], skip: int | None = None) -> Setting:
    """The setting that matches most decisions of the cases (all but case ``skip``): on a tie the
    smaller cost, then the variant without pivotal deterrence, then without convening."""
    def matched(g: Setting) -> tuple[int, float, bool, bool]:
        return (sum(r["matched"] for j, rr in enumerate(runs[g]) if j != skip for r in rr), -g[0], not g[1],
                not g[2])
    return max(GRID, key=matched)


def _runs(scenarios: list[Scenario]) -> dict[Setting, list[list[dict[str, Any]]]]:
    return {g: [score_case(s, s.id, *g) for s in scenarios] for g in GRID}


def select_setting(scenarios: list[Scenario]) -> tuple[Setting, dict[str, Any]]:
    """The setting that matches most recorded decisions of all the cases (the selection each fold
    of :func:`cross_validate` makes on its training cases), with its in-sample summary."""
    runs = _runs(scenarios)
    best = _select(runs)
    rows = [r for rr in runs[best] for r in rr]
    logit = fit_logit(rows)
    return best, dict(summarise(with_logit(rows, logit), len(scenarios)), logit=logit)


def cross_validate(scenarios: list[Scenario], runs: dict[Setting, list[list[dict[str, Any]]]] | None = None
                   ) -> dict[str, Any]:
    """Leave-one-case-out cross-validation of a third party's fixed cost of taking up arms and of
    the variant of the game (with or without pivotal deterrence, with or without the prestige of
    convening): for each case, the setting in :data:`GRID` that matches most decisions of the
    other cases (:func:`_select`) scores it, with the logit fitted on the other cases' decisions at
    that setting (:func:`fit_logit`; ``logit`` per case). The variant and the logit are chosen inside
    each fold, so the score is out of fold (``grid`` summarises every setting with the tables'
    logit; ``base_rates`` is the probability baseline, :func:`base_rate_log_loss`). ``runs`` are
    the cases' rows at every setting of :data:`GRID`, where the caller has them already."""
    runs = runs if runs is not None else _runs(scenarios)
    rows: list[dict[str, Any]] = []
    chosen: dict[str, float] = {}
    pivotal: dict[str, bool] = {}
    convening: dict[str, bool] = {}
    logit: dict[str, dict[str, float]] = {}
    for i, s in enumerate(scenarios):
        best = _select(runs, skip=i)
        chosen[s.id], pivotal[s.id], convening[s.id] = best
        logit[s.id] = fit_logit([r for j, rr in enumerate(runs[best]) if j != i for r in rr])
        rows.extend(with_logit(runs[best][i], logit[s.id]))
    return {"join_cost": chosen, "pivotal": pivotal, "convening": convening, "logit": logit,
            "casebook": summarise(rows, len(scenarios)), "per_case": per_case(rows), "decisions": rows,
            "base_rates": {"log_loss": base_rate_log_loss(rows)}, "how_sure": how_sure(rows),
            "grid": {f"{c}{' pivotal' if p else ''}{' convening' if v else ''}":
                     summarise([r for rr in runs[(c, p, v)] for r in rr], len(scenarios)) for c, p, v in GRID}}


def fitted_setting() -> dict[str, Any]:
    """The shipped setting (:data:`FITTED`): ``join_cost``, ``pivotal``, ``convening``, and the
    sha256 of each case file it was selected on (``cases``)."""
    return casebook_fitted()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def validate_casebook(path: str | Path, cv: bool = False) -> dict[str, Any]:
    """Score every case of a casebook folder (docs/casebook.md) at the setting selected on the
    bundled casebook (:func:`fitted_setting`; ``setting.in_sample`` names the cases it was selected
    on), with the logit fitted there (:func:`fit_logit`, ``setting.logit``) giving each recorded
    option's probability, and the plain game (join cost 0, neither variant, the tables' logit) beside
    it (``plain_game``); with ``cv``, also the leave-one-case-out cross-validation, which selects the
    setting and fits the logit inside each fold."""
    folder = Path(path)
    files = case_files(folder)
    if not files:
        raise InputError(f"no case files (*.yaml) in {folder}", file=str(folder),
                         fix="point to a casebook folder, e.g. casebook/")
    scenarios = []
    for f in files:
        scenario = load_scenario(f)
        if scenario.conflict is None or not any(ph.actual for ph in scenario.conflict.phases):
            raise InputError(f"case '{scenario.id}' records no third-party decision", file=str(f),
                             fix="a case needs a 'conflict:' section with phases that record 'actual' options")
        scenarios.append(scenario)
    fit = fitted_setting()
    chosen = casebook_setting()
    setting = (chosen["join_cost"], chosen["pivotal"], chosen["convening"])
    # with cv every setting of the grid is played anyway: its rows serve the two settings here too
    runs = _runs(scenarios) if cv else {}

    def played(g: Setting) -> list[dict[str, Any]]:
        return [r for rr in runs[g] for r in rr] if g in runs else [r for s in scenarios for r in score_case(s, s.id, *g)]

    rows, plain = with_logit(played(setting), fit["logit"]), played((0.0, False, False))
    # a case is in the selection's sample if a file with its id and the same bytes was selected on
    seen = [s.id for s, f in zip(scenarios, files, strict=True) if fit["cases"].get(s.id) == file_sha256(f)]
    out: dict[str, Any] = {
        "casebook": summarise(rows, len(scenarios)), "per_case": per_case(rows), "decisions": rows,
        "setting": {"join_cost": setting[0], "pivotal": setting[1], "convening": setting[2],
                    "logit": {k: fit["logit"][k] for k in ("precision", "join_constant", "broker_constant")},
                    "selected_on": fit["selected_on"], "in_sample": seen},
        "plain_game": summarise(plain, len(scenarios)),
    }
    if cv:
        out["cross_validation"] = cross_validate(scenarios, runs)
    return out


def per_case(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """:func:`summarise` of each case's decisions, by case id in the order the rows give them: the
    per-case table of docs/casebook.md, whose counts add up to the casebook's."""
    cases: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        cases.setdefault(r["case"], []).append(r)
    return {case: summarise(rr, 1) for case, rr in cases.items()}


def summarise(rows: list[dict[str, Any]], cases: int) -> dict[str, Any]:
    n = len(rows)
    gains = [r["gain_error"] for r in rows if r["gain_error"] is not None]
    gains_rec = [r["gain_error_recorded"] for r in rows if r["gain_error_recorded"] is not None]
    # the baseline of the gains: no third party gains anything, so each of its own issues keeps the
    # phase's status quo (scored on the decisions whose gains the model's are scored on)
    gains_sq = [r["gain_error_status_quo"] for r in rows
                if r.get("gain_error") is not None and r.get("gain_error_status_quo") is not None]
    return {
        "cases": cases, "decisions": n,
        "matched": sum(r["matched"] for r in rows),
        "baseline_matched": sum(r["recorded"] == "neutral" for r in rows),
        "brokers_recorded": sum(r["recorded"] == "broker" for r in rows),
        "brokers_matched": sum(r["recorded"] == "broker" and r["matched"] for r in rows),
        "log_loss": float(np.mean([-np.log(max(r["probability"], FLOOR)) for r in rows])) if rows else None,
        "gains_mae": float(np.mean(gains)) if gains else None,
        "gains_mae_recorded": float(np.mean(gains_rec)) if gains_rec else None,
        "baseline_gains_mae": float(np.mean(gains_sq)) if gains_sq else None,
        "gains_scored": len(gains),
        "not_converged": sum(not r["converged"] for r in rows),
    }


__all__ = ["CONVENING_GRID", "FITTED", "GRID", "JOIN_COST_GRID", "PIVOTAL_GRID", "base_rate_log_loss",
           "base_rate_losses", "case_files", "claimed", "cross_validate", "file_sha256", "fit_logit", "fitted_setting",
           "how_sure", "looks_like_casebook", "own_issues", "per_case", "score_case", "select_setting", "summarise",
           "validate_casebook", "with_logit"]
