"""Scoring the third-party analysis on decision tables, fitting its two numbers, and
cross-validation grouped by war or dispute (docs/thirdparty-data.md)."""

from __future__ import annotations

import gc
import hashlib
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from tertius.conflict import choicemodel as cm
from tertius.conflict import entry
from tertius.conflict.choice import CLASS_OF, CLASSES, as_classes, call_scores, fitted, probabilities
from tertius.conflict.equilibrium import Solution, solve_each
from tertius.conflict.equilibrium import solve as equilibrium
from tertius.conflict.war import N_OPTIONS, OPTIONS, War, build_war, with_costs
from tertius.errors import InputError
from tertius.io.thirdparty_table import Case, decision_table_cases, read_decision_table
from tertius.resample import paired_bootstrap
from tertius.seeds import child_rng

#: The grid of fixed costs (utility units) searched by the fit (docs/thirdparty-data.md, revision 1).
COST_GRID = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
#: Bounds of log(precision) in the fit.
LOG_PRECISION = (-5.0, 12.0)
#: Bounds of the constant α for taking up arms.
JOIN_CONSTANT = (-30.0, 30.0)
EPS = 1e-15


@dataclass(frozen=True)
class Solved:
    """One case solved at one cost share: option values at the reported equilibrium."""

    case: Case
    third: list[str]
    values: np.ndarray  # (T, 4)
    equilibrium: list[str]  # option of each third party
    converged: bool  # the reported profile is a pure equilibrium (not a logit QRE's likeliest options)
    method: str = "best response"  # how it was found (tertius.conflict.equilibrium.Solution.label)

    @property
    def y(self) -> np.ndarray:
        """The recorded class of each third party (index into CLASSES; -1 when not recorded)."""
        return np.array([CLASSES.index(self.case.joined[t]) if self.case.joined[t] else -1 for t in self.third])


def solve(case: Case, cost: float) -> Solved:
    """The case's game at a fixed cost, solved as the analysis solves it
    (:func:`tertius.conflict.equilibrium.solve`: iterated best response where it settles, else
    dominance + enumeration, else a logit QRE), so a cycle's last profile is never scored."""
    war = with_costs(build_war(case.scenario), cost)
    return _solved(case, war, equilibrium(war))


def solve_cases(cases: list[Case], cost: float) -> list[Solved]:
    """:func:`solve` of each case, the same results, with the cases' games of the same shape
    solved together (:func:`tertius.conflict.equilibrium.solve_each`)."""
    wars = [with_costs(build_war(case.scenario), cost) for case in cases]
    return [_solved(case, war, sol) for case, war, sol in zip(cases, wars, solve_each(wars), strict=True)]


def _solved(case: Case, war: War, sol: Solution) -> Solved:
    third = war.third_ids
    roles = sol.profile[0, [war.index(t) for t in third]]
    return Solved(case, third, sol.values[0], [OPTIONS[r] for r in roles], bool(sol.ok[0]), sol.label(0))


def _stack(solved: list[Solved]) -> tuple[np.ndarray, np.ndarray]:
    values = np.concatenate([s.values for s in solved]) if solved else np.zeros((0, N_OPTIONS))
    y = np.concatenate([s.y for s in solved]) if solved else np.zeros(0, dtype=int)
    return values[y >= 0], y[y >= 0]


def _loglik(values: np.ndarray, y: np.ndarray, precision: float, join_constant: float) -> float:
    p = as_classes(probabilities(values, precision, join_constant))
    return float(np.log(np.maximum(p[np.arange(len(y)), y], EPS)).sum())


def _calls(solved: list[Solved]) -> tuple[np.ndarray, np.ndarray]:
    call = np.concatenate([[CLASSES.index(CLASS_OF[o]) for o in s.equilibrium] for s in solved]) if solved else \
        np.zeros(0, dtype=int)
    y = np.concatenate([s.y for s in solved]) if solved else np.zeros(0, dtype=int)
    return call[y >= 0].astype(int), y[y >= 0]


def joiner_f1(solved: list[Solved]) -> float:
    """F1 of the equilibrium's join calls over both sides (a call is right only if its side is)."""
    call, y = _calls(solved)
    right = int(((call == y) & (y < 2)).sum())
    called, actual = int((call < 2).sum()), int((y < 2).sum())
    return call_scores(right, called, actual)["f1"]


def fit(by_cost: dict[float, list[Solved]]) -> dict[str, float]:
    """The fixed cost by the F1 of the equilibrium's join calls on the training rows (the cost
    sets which states the theory calls joiners); for it, λ and α by maximum likelihood."""
    from scipy.optimize import minimize

    best: dict[str, float] | None = None
    for cost, solved in by_cost.items():
        f1 = joiner_f1(solved)
        if best is not None and f1 <= best["train_f1"]:
            continue
        values, y = _stack(solved)
        res = minimize(lambda z, v=values, t=y: -_loglik(v, t, float(np.exp(z[0])), float(z[1])), x0=np.array([2.0, -5.0]),
                       method="L-BFGS-B", bounds=[LOG_PRECISION, JOIN_CONSTANT])
        best = {"cost": float(cost), "train_f1": f1, "precision": float(np.exp(res.x[0])),
                "join_constant": float(res.x[1]), "loglik": -float(res.fun)}
    assert best is not None
    return best


def predict(solved: list[Solved], params: dict[str, float]) -> list[dict[str, Any]]:
    """One row per third party: its class probabilities, the call (its equilibrium option) and
    the recorded choice."""
    rows = []
    for s in solved:
        p3 = as_classes(probabilities(s.values, params["precision"], params["join_constant"]))
        for j, t in enumerate(s.third):
            call = CLASS_OF[s.equilibrium[j]]
            rows.append({"group": s.case.group, "name": s.case.name, "third_party": t, "ccode": s.case.ccode.get(t),
                         "joined": s.case.joined[t] or None, "call": call, "equilibrium": s.equilibrium[j],
                         "p": {c: float(p3[j, k]) for k, c in enumerate(CLASSES)}})
    return rows


def metrics(rows: list[dict[str, Any]], base_rates: dict[str, float] | None = None) -> dict[str, Any]:
    """Accuracy, joiner precision / recall / F1 per side (a join call is right only if its side is
    right), log loss and Brier score against the base rates, a calibration table."""
    kept = [r for r in rows if r["joined"]]
    fold = np.array([r["fold"] for r in kept]) if kept and all("fold" in r for r in kept) else None
    return class_metrics(*_columns(rows), base_rates, fold)


def _columns(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows with a recorded choice as arrays: that choice, the class probabilities, the call."""
    rows = [r for r in rows if r["joined"]]
    n = len(rows)
    y = np.array([CLASSES.index(r["joined"]) for r in rows], dtype=int)
    p = np.array([[r["p"][c] for c in CLASSES] for r in rows]).reshape(n, 3)
    call = np.array([CLASSES.index(r["call"]) for r in rows], dtype=int)
    return y, p, call


def class_metrics(y: np.ndarray, p: np.ndarray, call: np.ndarray,
                  base_rates: dict[str, float] | None = None, fold: np.ndarray | None = None) -> dict[str, Any]:
    """:func:`metrics` of rows given as arrays (:func:`_columns`): recorded class, probabilities,
    call, and for out-of-fold rows each row's fold (the AUC is then taken within folds)."""
    n = len(y)
    onehot = np.eye(3)[y] if n else np.zeros((0, 3))
    out: dict[str, Any] = {"n": n, "joiners": int((y < 2).sum()), "accuracy": _mean(call == y)}
    sides = {}
    tp_all = called_all = actual_all = 0
    for k, side in enumerate(("A", "B")):
        tp = int(((call == k) & (y == k)).sum())
        called, actual = int((call == k).sum()), int((y == k).sum())
        tp_all, called_all, actual_all = tp_all + tp, called_all + called, actual_all + actual
        sides[side] = call_scores(tp, called, actual)
    out["sides"] = sides
    out.update(call_scores(tp_all, called_all, actual_all))
    out["log_loss"] = _mean(-np.log(np.maximum(p[np.arange(n), y], EPS))) if n else None
    out["brier"] = _mean(((p - onehot) ** 2).sum(-1)) if n else None
    if base_rates is not None and n:
        b = np.array([base_rates[c] for c in CLASSES])
        out["base_rates"] = dict(base_rates)
        out["base_log_loss"] = _mean(-np.log(np.maximum(b[y], EPS)))
        out["base_brier"] = out["brier_base"] = _mean(((b[None, :] - onehot) ** 2).sum(-1))
    out.update(fold_auc(fold, 1 - p[:, 2], y < 2))
    out["calibration"] = calibration(1 - p[:, 2], y < 2) if n else []
    return out


def auc(score: np.ndarray, positive: np.ndarray) -> float | None:
    """Area under the ROC curve: the chance that a joiner gets a higher P(join) than a state that
    stayed out (ties count one half)."""
    pos, neg = int(positive.sum()), int((~positive).sum())
    if not pos or not neg:
        return None
    order = np.argsort(score, kind="stable")
    ranks = np.empty(len(score))
    sorted_scores = score[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[positive].sum() - pos * (pos + 1) / 2) / (pos * neg))


def fold_auc(fold: np.ndarray | None, score: np.ndarray, positive: np.ndarray) -> dict[str, Any]:
    """The AUC of out-of-fold rows (those with a ``fold``): computed within each fold, where one
    fitted model ranks all the rows, and averaged over the folds that hold both joiners and
    states that stayed out (``auc``; Forman & Scholz 2010, "Apples-to-apples in cross-validation
    studies"), beside the AUC of all folds' rows pooled (``auc_pooled``), which also ranks one
    fold's model's probabilities against another's and so scores the folds' differing base levels
    as much as the ranking. Rows without folds (``fold`` None, in-sample): the one AUC."""
    if fold is None or not len(fold):
        return {"auc": auc(score, positive)}
    per = {int(f): auc(score[fold == f], positive[fold == f]) for f in np.unique(fold)}
    got = [a for a in per.values() if a is not None]
    return {"auc": float(np.mean(got)) if got else None, "auc_pooled": auc(score, positive),
            "auc_folds": {str(f): a for f, a in per.items()}}


def _mean(x: np.ndarray) -> float | None:
    return float(np.mean(x)) if np.size(x) else None


def calibration(p_join: np.ndarray, joined: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Deciles of the predicted probability of joining either side: mean prediction against the
    observed share."""
    if not len(p_join):
        return []
    order = np.argsort(p_join, kind="stable")
    out = []
    for chunk in np.array_split(order, min(bins, len(order))):
        out.append({"n": int(len(chunk)), "predicted": float(p_join[chunk].mean()),
                    "observed": float(joined[chunk].mean()), "low": float(p_join[chunk].min()),
                    "high": float(p_join[chunk].max())})
    return out


def ally_rule(cases: list[Case]) -> list[dict[str, Any]]:
    """The baseline of the tables' SOURCE.md files: join the side you have an ATOP tie with, if
    tied to one side only. Probabilities are 0 or 1."""
    rows = []
    for case in cases:
        for t in case.joined:
            a, b = case.ally[t]
            call = "A" if a and not b else "B" if b and not a else "none"
            rows.append({"group": case.group, "name": case.name, "third_party": t, "joined": case.joined[t] or None,
                         "call": call, "p": {c: float(c == call) for c in CLASSES}})
    return rows


def base_rates(cases: Iterable[Case], counts: dict[str, int] | None = None) -> dict[str, float]:
    """The share of each recorded class in ``cases`` (added to ``counts`` where given)."""
    counts = dict.fromkeys(CLASSES, 0) if counts is None else counts
    for case in cases:
        for j in case.joined.values():
            if j:
                counts[j] += 1
    total = sum(counts.values()) or 1
    return {c: counts[c] / total for c in CLASSES}


def folds(groups: list[str], k: int, seed: int = 0) -> dict[str, int]:
    """A seeded permutation of the groups dealt into k folds."""
    order = child_rng(seed, "folds").permutation(len(groups))
    return {groups[g]: int(i % k) for i, g in enumerate(order)}


def choice_design(solved: list[Solved] | None, cases: list[Case], plain: cm.Design | None = None) -> Any:
    """The choice model's data for ``cases``: the plain covariates, or, with ``solved`` (the same
    cases solved at one cost), also the game's terms (each third party's option values and its
    equilibrium option); ``plain``, the plain design of the same cases, lends its covariates."""

    if solved is None:
        return cm.design(cases)
    values, eqs = [], []
    for s in solved:
        order = [s.third.index(t) for t in s.case.joined]
        values.append(s.values[order])
        eqs.append([s.equilibrium[i] for i in order])
    return cm.design(cases, values, eqs, plain)


def _rate_rows(cases: list[Case], rates: dict[str, float]) -> list[dict[str, Any]]:
    return [{"group": c.group, "name": c.name, "third_party": t, "joined": c.joined[t] or None, "call": "none",
             "p": dict(rates)} for c in cases for t in c.joined]


def cross_validate(tables: dict[str, list[Case]], k: int = 5, seed: int = 0,
                   grid: tuple[float, ...] = COST_GRID, casebook: cm.Design | None = None) -> dict[str, Any]:
    """Grouped k-fold cross-validation over all tables together: each fold's cost and precision
    are fitted on the other folds only. In the same folds: the choice model with the game's terms
    at the fold's cost (``choice_model``), the plain logit on the covariates (``baseline_logit``;
    both :mod:`tertius.conflict.choicemodel`, α and the call threshold chosen inside each
    training set) and the training folds' base rates (``base_rates``). Returns out-of-fold
    metrics per table.

    With ``casebook`` (:func:`tertius.conflict.choicemodel.casebook_design`), the casebook is a
    third data set of the choice model's fit, as in the shipped fit (``scripts/fit_choice.py``):
    its cases are dealt into the same k folds (a seeded permutation of their own, so the tables'
    folds do not move), each fold's choice model is fitted on the tables' and the casebook's
    training rows together, and the casebook's held-out decisions are scored apart
    (``tables["casebook"]``, :func:`casebook_scores`). The plain logit stays fitted on the tables'
    rows only, as shipped (its scores on the tables are those without the casebook), and
    ``baseline_logit_casebook`` is the plain logit fitted on the same rows as the choice model,
    so that the two differ by the game's terms only. The game's cost and logit are fitted on the
    tables only, as before."""

    solved = {c: {name: [solve(case, c) for case in cases] for name, cases in tables.items()} for c in grid}
    keys = [(name, case.group) for name, cases in tables.items() for case in cases]
    fold_of = folds([f"{a}/{b}" for a, b in keys], k, seed)
    all_cases = [case for cases in tables.values() for case in cases]
    table_of = np.array([name for name, cases in tables.items() for case in cases for _ in case.joined])
    row_fold = np.array([fold_of[f"{name}/{case.group}"] for name, cases in tables.items() for case in cases
                         for _ in case.joined], dtype=int)
    groups = [f"{name}/{case.group}" for name, cases in tables.items() for case in cases for _ in case.joined]
    plain = replace(choice_design(None, all_cases), groups=groups)
    if casebook is not None:
        book_fold = cm.group_folds(casebook.groups, k, seed, "casebook-outer")
        book_plain = cm.plain_of(casebook)
        book_got: dict[str, tuple[np.ndarray, np.ndarray]] = {
            which: (np.zeros((len(casebook.rows), N_OPTIONS)), np.full(len(casebook.rows), CLASSES.index("none")))
            for which in ("choice_model", "baseline_logit", "baseline_logit_casebook")}
    theory: dict[float, Any] = {}
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    other: dict[str, dict[int, dict[str, Any]]] = {"choice_model": {}, "baseline_logit": {}}
    if casebook is not None:
        other["baseline_logit_casebook"] = {}
    rate_rows: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    chosen = []
    for f in range(k):
        train = {c: [s for name in tables for s in solved[c][name] if fold_of[f"{name}/{s.case.group}"] != f]
                 for c in grid}
        params = fit(train)
        cost = params["cost"]
        for name in tables:
            test = [s for s in solved[cost][name] if fold_of[f"{name}/{s.case.group}"] == f]
            rows[name].extend({**r, "fold": f} for r in predict(test, params))
            rates = base_rates([s.case for s in solved[cost][name] if fold_of[f"{name}/{s.case.group}"] != f])
            rate_rows[name].extend({**r, "fold": f} for r in _rate_rows([s.case for s in test], rates))
        if cost not in theory:
            theory[cost] = replace(choice_design([s for name in tables for s in solved[cost][name]], all_cases),
                                   groups=groups)
        for which in other:
            # the plain logit on the tables only (the declared baseline, as shipped); with a
            # casebook, the choice model and a second plain logit on the casebook's rows too
            d = theory[cost] if which == "choice_model" else plain
            train_d = d.take(row_fold != f)
            book = casebook if which == "choice_model" else book_plain if casebook is not None else None
            if book is not None and which != "baseline_logit":
                train_d = cm.concat([train_d, book.take(book_fold != f)])
            model = cm.fit_selected(train_d, cm.INNER_K, seed + 1 + f, errors=False)
            if book is not None and (book_fold == f).any():
                p, _, call = cm.predicted(book.take(book_fold == f), model)
                book_got[which][0][book_fold == f], book_got[which][1][book_fold == f] = p, call
            params[f"{which}_alpha"] = model["alpha"]
            if "game_alpha_cv_log_loss" in model:  # the game terms' own penalty (None: left out)
                params[f"{which}_game_alpha"] = model["game_alpha"]
            test_idx = np.flatnonzero(row_fold == f)
            other[which].update((i, {**r, "fold": f}) for i, r in
                                zip(test_idx.tolist(), cm.predict_rows(d.take(row_fold == f), model), strict=True))
        chosen.append(params)
    out = {}
    for name, cases in tables.items():
        rates = base_rates(cases)
        mine = {which: [got[i] for i in np.flatnonzero(table_of == name).tolist()] for which, got in other.items()}
        out[name] = {"model": metrics(rows[name], rates), "ally_rule": metrics(ally_rule(cases), rates),
                     "base_rates": metrics(rate_rows[name]),
                     **{which: metrics(got, rates) for which, got in mine.items()},
                     "comparison": comparison({"choice_model": mine["choice_model"],
                                               "baseline_logit": mine["baseline_logit"],
                                               "base_rates": rate_rows[name]}, seed, name)}
    if casebook is not None:
        out["casebook"] = casebook_scores(casebook.y, book_fold, book_got)
    return {"k": k, "seed": seed, "folds": chosen, "tables": out}


#: The pairs of out-of-fold models whose differences :func:`comparison` bootstraps: the choice
#: model against the declared plain logit and against the training folds' base rates (issue 22's
#: comparisons).
COMPARED = (("choice_model", "baseline_logit"), ("choice_model", "base_rates"))


def comparison(named: dict[str, list[dict[str, Any]]], seed: int, label: str) -> dict[str, Any]:
    """How sure the out-of-fold comparisons of :data:`COMPARED` are: the paired bootstrap over
    whole wars or disputes (:func:`tertius.resample.paired_bootstrap`) of each model's rows
    (:func:`metrics`' layout, with ``fold``), matched by group and third party."""

    def key(r: dict[str, Any]) -> tuple[str, str]:
        return str(r["group"]), str(r["third_party"])

    ref = sorted((r for r in named[COMPARED[0][0]] if r["joined"]), key=key)
    order = [key(r) for r in ref]
    y = _columns(ref)[0]
    models = {}
    for name, rows in named.items():
        by = {key(r): r for r in rows if r["joined"]}
        _, p, call = _columns([by[k] for k in order])
        models[name] = (p, call)
    return paired_bootstrap(y, [k[0] for k in order], np.array([r["fold"] for r in ref], dtype=int), models,
                            COMPARED, seed, label=label, unit={"war": "wars", "dispute": "disputes"}.get(label, "groups"))


def casebook_scores(y: np.ndarray, fold: np.ndarray, got: dict[str, tuple[np.ndarray, np.ndarray]]
                    ) -> dict[str, Any]:
    """Out-of-fold scores of the casebook's recorded decisions (codes of
    :data:`tertius.conflict.choicemodel.RECORDED`: join a side, neutral, broker), for each model in
    ``got`` (its option probabilities (N, 4) and calls) and for the training folds' base rates:
    the tables' metrics on the classes A, B, none (:func:`class_metrics`), and, where the model
    tells brokering from staying neutral, the log loss of the recorded option (``option_log_loss``),
    how many decisions the most probable option matches (``matched``) and the mean P(broker) of
    the recorded brokers and of the recorded neutrals. The base rates are each fold's training
    decisions' shares of the four options, so they stand for "everyone takes the commonest option"."""

    n = len(y)
    y_class = np.where(y >= len(CLASSES), CLASSES.index("none"), y)
    recorded = np.array([cm.RECORDED[c][0] for c in y], dtype=int)
    neutral, broker = (cm.RECORDED.index((k,)) for k in np.flatnonzero(cm.MODELLED & ~cm.JOINING))
    rates = np.zeros((n, N_OPTIONS))
    for f in np.unique(fold):
        train = recorded[fold != f]
        rates[fold == f] = np.bincount(train, minlength=N_OPTIONS) / max(len(train), 1)
    base_call = cm.calls(cm.class_probabilities(rates), 0.5)  # "none" unless a join is the likelier
    out: dict[str, Any] = {}
    for which, (p, call) in {**got, "base_rates": (rates, base_call)}.items():
        m = class_metrics(y_class, cm.class_probabilities(p), call, fold=fold)
        row = {key: m.get(key) for key in ("n", "joiners", "accuracy", "precision", "recall", "f1", "log_loss",
                                           "brier", "auc", "auc_pooled")}
        if not which.startswith("baseline_logit"):  # no broker option in the plain logit: a broker is "none"
            p_rec = p[np.arange(n), recorded]
            row["option_log_loss"] = float(-np.mean(np.log(np.maximum(p_rec, EPS))))
            row["matched"] = int((p.argmax(axis=1) == recorded).sum())
            row["p_broker_brokers"] = _mean(p[y == broker, cm.RECORDED[broker][0]])
            row["p_broker_neutrals"] = _mean(p[y == neutral, cm.RECORDED[broker][0]])
        out[which] = row
    out["decisions"], out["brokers"] = n, int((y == broker).sum())
    return out


def _brief(m: dict[str, Any]) -> dict[str, Any]:
    """A model's scores as the validation JSON names them (log loss, Brier, AUC, F1, ...), without
    the calibration table."""
    return {key: v for key, v in m.items() if key != "calibration"}


#: Cases scored together by :func:`validate_table`: the choice models predict a block at once.
BLOCK = 512
#: The cyclic garbage collector's first threshold while :func:`validate_table` streams a table
#: (Python's default is 700 allocations): a block's cases are some 100,000 live objects that
#: the collector would otherwise walk again and again, about a fifth of the time, to find little.
GC_THRESHOLD = 10_000


_gc_lock = threading.Lock()
_gc_state: dict[str, Any] = {"depth": 0, "saved": None}


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect cyclic garbage less often inside the block (:data:`GC_THRESHOLD`). The threshold is
    the process's, so calls at once (the server's threads) share it: the first to enter saves it,
    the last to leave restores it."""
    with _gc_lock:
        if _gc_state["depth"] == 0:
            _gc_state["saved"] = gc.get_threshold()
            gc.set_threshold(max(_gc_state["saved"][0], GC_THRESHOLD), *_gc_state["saved"][1:])
        _gc_state["depth"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["depth"] -= 1
            if _gc_state["depth"] == 0:
                gc.set_threshold(*_gc_state["saved"])


def _predicted_columns(d: cm.Design, model: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_columns(cm.predict_rows(d, model))`` read from the arrays (the same numbers), without
    a row of Python dicts per candidate."""
    _, pc, call = cm.predicted(d, model)
    keep = d.y >= 0
    return d.y[keep], pc[keep], call[keep]


class _Scores:
    """What :func:`validate_table` keeps of the cases it has scored: per model, the recorded class,
    the class probabilities and the call of each row with a recorded choice (arrays), and a few
    lines per group, so a table is scored a block of cases at a time in bounded memory."""

    def __init__(self, params: dict[str, Any], ship: dict[str, Any], choice: bool) -> None:
        self.params, self.ship, self.choice = params, ship, choice
        self.cols: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {
            k: [] for k in ("model", "ally_rule", "baseline_logit", "choice_model")}
        self.groups: list[dict[str, Any]] = []
        self.counts = dict.fromkeys(CLASSES, 0)
        self.imputed = 0

    def add(self, cases: list[Case]) -> None:
        solved = solve_cases(cases, self.params["cost"])
        for s in solved:
            mine = predict([s], self.params)
            self.cols["model"].append(_columns(mine))
            self.cols["ally_rule"].append(_columns(ally_rule([s.case])))
            self.groups.append({"group": s.case.group, "name": s.case.name, "candidates": len(mine),
                                "joiners": [f"{r['third_party']}→{r['joined']}" for r in mine
                                            if r["joined"] in ("A", "B")],
                                "calls": [f"{r['third_party']}→{r['call']}" for r in mine if r["call"] in ("A", "B")],
                                "converged": s.converged, "method": s.method})
            self.imputed += s.case.imputed
        base_rates(cases, self.counts)
        plain = choice_design(None, cases)
        self.cols["baseline_logit"].append(_predicted_columns(plain, self.ship["plain"]))
        if self.choice:
            self.cols["choice_model"].append(_predicted_columns(choice_design(solved, cases, plain), self.ship["theory"]))

    def metrics(self, which: str, rates: dict[str, float]) -> dict[str, Any]:
        parts = self.cols[which]
        y, p, call = (np.concatenate([part[k] for part in parts]) for k in range(3))
        return class_metrics(y, p.reshape(len(y), 3), call, rates)


def validate_table(path: str | Path, params: dict[str, Any] | None = None, cv: int | None = None,
                   seed: int = 0) -> dict[str, Any]:
    """Score the shipped (or given) parameters on a decision table of either layout, beside the
    shipped plain logit on the covariates (``baseline_logit``) and the shipped choice model with
    the game's terms (``choice_model``); with ``cv``, also K-fold cross-validation on this table
    alone, grouped by war or dispute, all models in the same folds. Without ``cv`` the table is
    read and scored :data:`BLOCK` cases at a time, so memory does not grow with its length
    beyond a few numbers per row; cross-validation holds every case."""

    params = params or fitted()
    ship = cm.shipped()
    table: list[Case] | None = None
    if cv is not None:
        layout, table = read_decision_table(path)
        cases: Iterator[Case] = iter(table)
    else:
        layout, cases = decision_table_cases(path)
    scores = _Scores(params, ship, abs(ship["cost"] - params["cost"]) < 1e-12)
    with _fewer_collections():
        while block := list(islice(cases, BLOCK)):
            scores.add(block)
    given = params.get("base_rates", {}).get(layout)
    rates = given or base_rates([], scores.counts)
    result = scores.metrics("model", rates)
    result["baseline_logit"] = _brief(scores.metrics("baseline_logit", rates))
    out = {"file": str(path), "layout": layout,
           "params": {k: params[k] for k in ("precision", "join_constant", "cost")},
           "third_parties": result, "ally_rule": scores.metrics("ally_rule", rates), "groups": scores.groups,
           "imputed_cells": scores.imputed}
    if scores.choice:
        out["choice_model"] = scores.metrics("choice_model", rates)
    if table is not None and cv is not None:
        n_groups = len({case.group for case in table})
        if n_groups < cv:
            unit = "wars" if layout == "war" else "disputes"
            raise InputError(f"--cv {cv}: the table has {n_groups} {unit if n_groups != 1 else unit[:-1]}, "
                             "and each fold needs at least one",
                             file=str(path), fix=f"use --cv {n_groups}" if n_groups >= 2 else
                             f"cross-validation needs a table of at least 2 {unit}; drop --cv")
        folds_ = cross_validate({layout: table}, k=cv, seed=seed)
        t = folds_["tables"][layout]
        out["cross_validation"] = {"k": cv, "seed": seed, "folds": folds_["folds"],
                                   "third_parties": {**t["model"], "baseline_logit": _brief(t["baseline_logit"])},
                                   "choice_model": t["choice_model"], "baseline_logit": t["baseline_logit"],
                                   "base_rates": t["base_rates"], "comparison": t["comparison"],
                                   "order_of_entry": _order_of_entry(path, layout, table, cv, seed)}
    return out


def _order_of_entry(path: str | Path, layout: str, table: list[Case], k: int, seed: int) -> dict[str, Any]:
    """Who joins next (:mod:`tertius.conflict.entry`), scored in the folds of :func:`cross_validate`
    on this table alone (the same call of :func:`folds`), or why it is not scored."""
    fold_of = folds([f"{layout}/{case.group}" for case in table], k, seed)
    return entry.order_of_entry(path, layout, table, {c.group: fold_of[f"{layout}/{c.group}"] for c in table}, k, seed)


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
