"""The order of entry: who joins a war or dispute next, given who has joined already.

A question apart from the third-party choice (:mod:`tertius.conflict.choicemodel`), scored apart:
the hazard of joining during the war or dispute, by Cox's (1972) partial likelihood, which is a
conditional logit over the risk set at each entry time (Box-Steffensmeier & Jones, *Event History
Modeling*, 2004, ch. 4; ties by Breslow 1974). For the contagion of war through allies: Siverson &
Starr, *The Diffusion of War*, 1991.

The entry times of a war or dispute are the distinct ``join_lag_days`` of its joiners, in order
(an unknown day, ``join_day_known`` = 0, is the 1st of the month, as the tables define it). At each
entry time the **risk set** is every candidate of the group that has not yet joined; a candidate at
risk may join side A or side B (the alternatives, two per candidate; not joining is the reference),
and each state that joins then is an **event** on its side. The hazard of candidate i joining side
s is λ₀(t) exp(β·x_is(t)) with the coefficients shared by the sides (side-symmetric, as in the
plain logit: x_is is seen from s, "own", and from the other side, "other"), so the probability
that the event is (i, s) is

    P(i, s | R_t) = exp(β·x_is(t)) / Σ_{j ∈ R_t} Σ_{s'} exp(β·x_js'(t)),

free of the baseline hazard λ₀. Several states joining on the same day are one event each over
the same risk set (Breslow), and they are not "before" each other.

The covariates (:data:`STATIC`) are the plain logit's (:func:`tertius.conflict.choicemodel.design`,
the same code, without its constant ``join``, which cancels over the risk set), and, in the
variant with the order of entry (:data:`JOINED_TIES`), ``joined_tie_own`` / ``joined_tie_other``:
1 if the candidate has an ATOP alliance tie (any obligation; :mod:`tertius.io.atop`) in the start
year with a state that joined side s (the other side) strictly before this entry time. At the first
entry time nobody has joined yet, so the model there reads the static covariates only.

Fitting is by penalised maximum likelihood with the plain logit's ridge (each variable divided by
its standard deviation over the alternatives at risk) and optimiser (scipy's ``trust-exact``
through the plain logit's stage, :func:`tertius.conflict.choicemodel.fit_stage`); α is chosen from
:data:`tertius.conflict.choicemodel.ALPHAS` by the log loss per event in grouped K-fold CV inside
the training groups, averaged over repeated deals, as the plain logit's α is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tertius.conflict import choicemodel as cm
from tertius.errors import InputError
from tertius.io.atop import Ties, find_atop, read_atop
from tertius.io.thirdparty_table import Case

#: The plain logit's covariates without its constant (which cancels over a risk set).
STATIC = tuple(c for c in cm.COVARIATES if c != "join")
#: Ties to the states that joined side s (own) or the other side before the entry time.
JOINED_TIES = ("joined_tie_own", "joined_tie_other")
#: The two variants scored: with the order of entry, and the same risk sets with the static covariates only.
VARIANTS = {"joined_ties": STATIC + JOINED_TIES, "static": STATIC}
#: The side of each join option of the plain design (its index in the design, 'a' or 'b').
_SIDE_K = tuple(k for k, _ in cm.SIDES)
_SIDE_OF = {side.upper(): i for i, (_, side) in enumerate(cm.SIDES)}
LAG_FIX = "give every joiner's join_lag_days: the days from the start to its entry, 0 or more"


class NotScored(Exception):
    """The order of entry cannot be scored on this table; the message says why, in one line."""


@dataclass(frozen=True)
class Entries:
    """Every entry event of a set of groups with the risk set of its entry time: ``x`` (E, M, P),
    the alternatives being (candidate at risk, side) pairs, m = 2·r + side, padded to M;
    ``available`` (E, M); ``chosen`` (E, M), the event's joiner on its side; ``joining`` (E, M/2),
    the candidates at risk that join at this entry time (the event's own joiner included);
    each event's group and entry day."""

    x: np.ndarray
    available: np.ndarray
    chosen: np.ndarray
    joining: np.ndarray
    groups: list[str]
    days: np.ndarray
    columns: tuple[str, ...]

    def take(self, keep: np.ndarray) -> Entries:
        idx = np.flatnonzero(keep)
        return Entries(self.x[idx], self.available[idx], self.chosen[idx], self.joining[idx],
                       [self.groups[i] for i in idx], self.days[idx], self.columns)

    def select(self, columns: Sequence[str]) -> Entries:
        cols = [self.columns.index(c) for c in columns]
        return Entries(self.x[..., cols], self.available, self.chosen, self.joining, self.groups, self.days,
                       tuple(columns))


def entry_days(case: Case, path: str, layout: str) -> dict[str, float]:
    """The entry day of each joiner of ``case`` (``join_lag_days``); NotScored where the table has
    no such column, an InputError naming the cell where a joiner's is missing or negative."""
    if not case.entry:
        raise NotScored(f"{path}: the table has no join_lag_days column, so the order of entry is not scored")
    days = {}
    for t, side in case.joined.items():
        if side not in _SIDE_OF:
            continue
        text = case.entry[t][0]
        try:
            day = float(text)
        except ValueError:
            day = math.nan
        if not (math.isfinite(day) and day >= 0):
            raise InputError(f"{layout} {case.group}, {t} joined but its join_lag_days is '{text[:40]}'", file=path,
                             fix=LAG_FIX)
        days[t] = day
    return days


def _code(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def _risk_sets(case: Case, days: dict[str, float], ties: Ties, static: np.ndarray
               ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """The events of one group: (x (R, 2, P), chosen (R, 2), joining (R), day) per event, in order
    of entry; ``static`` (T, 2, S) holds the group's candidates' static covariates per side."""
    ids = list(case.joined)
    year = int(case.info.get("start_year", 0))
    codes = [_code(case.ccode.get(t, "")) for t in ids]
    out = []
    for day in sorted(set(days.values())):
        risk = [r for r, t in enumerate(ids) if days.get(t, math.inf) >= day]
        before = [[codes[r] for r, t in enumerate(ids) if days.get(t, math.inf) < day and _SIDE_OF[case.joined[t]] == s]
                  for s in (0, 1)]
        tie = np.array([[float(me is not None and any(o is not None and ties.allied(me, o, year) for o in before[s]))
                         for s in (0, 1)] for me in (codes[r] for r in risk)]).reshape(len(risk), 2)
        x = np.concatenate([static[risk], np.stack([tie, tie[:, ::-1]], axis=1)], axis=2)
        joining = np.array([days.get(ids[r], math.inf) == day for r in risk])
        for pos, r in enumerate(risk):
            if joining[pos]:
                chosen = np.zeros((len(risk), 2), dtype=bool)
                chosen[pos, _SIDE_OF[case.joined[ids[r]]]] = True
                out.append((x, chosen, joining, day))
    return out


def entries(cases: Sequence[Case], ties: Ties, path: str, layout: str) -> Entries:
    """The entry events of ``cases`` with the variables of :data:`VARIANTS` ``joined_ties`` (the
    static ones are :meth:`Entries.select`-ed from them, in the same risk sets)."""
    plain = cm.design(cases)
    static = plain.x[:, list(_SIDE_K)][:, :, [cm.COVARIATES.index(c) for c in STATIC]]
    events, groups = [], []
    start = 0
    for case in cases:
        n = len(case.joined)
        for ev in _risk_sets(case, entry_days(case, path, layout), ties, static[start:start + n]):
            events.append(ev)
            groups.append(case.group)
        start += n
    columns = VARIANTS["joined_ties"]
    width = max((len(ev[2]) for ev in events), default=0)
    e = len(events)
    x = np.zeros((e, 2 * width, len(columns)))
    available = np.zeros((e, 2 * width), dtype=bool)
    chosen = np.zeros((e, 2 * width), dtype=bool)
    joining = np.zeros((e, width), dtype=bool)
    for i, (xe, ce, je, _) in enumerate(events):
        r = len(je)
        x[i, :2 * r] = xe.reshape(2 * r, -1)
        available[i, :2 * r] = True
        chosen[i, :2 * r] = ce.ravel()
        joining[i, :r] = je
    return Entries(x, available, chosen, joining, groups, np.array([ev[3] for ev in events], dtype=float), columns)


def _scale(e: Entries) -> np.ndarray:
    """Each variable's standard deviation over the alternatives at risk (1 where constant)."""
    scale = e.x[e.available].std(axis=0) if e.available.any() else np.ones(len(e.columns))
    return np.where(scale > 1e-12, scale, 1.0)


def fit(e: Entries, alpha: float, errors: bool = True) -> dict[str, Any]:
    """The penalised partial likelihood's estimate (per standard deviation), its standard errors
    and log-likelihood, by the plain logit's stage (ridge α on every variable)."""
    scale = _scale(e)
    penalty = np.full(len(e.columns), alpha)
    beta, se, loglik, ok = cm.fit_stage(e.x / scale, e.available, e.chosen, penalty, np.zeros(len(e.columns)), errors)
    return {"columns": list(e.columns), "scale": scale.tolist(), "beta": beta.tolist(), "se": se.tolist(),
            "alpha": alpha, "loglik": loglik, "converged": ok}


def probabilities(e: Entries, model: dict[str, Any]) -> np.ndarray:
    """P(i, s | R_t) of each alternative of each event's risk set (E, M; 0 where padded)."""
    beta = np.asarray(model["beta"]) / np.asarray(model["scale"])
    u = np.where(e.available, e.x @ beta, -np.inf)
    if not len(u):
        return u
    w = np.exp(u - u.max(axis=1, keepdims=True))
    return w / w.sum(axis=1, keepdims=True)


def log_loss(e: Entries, p: np.ndarray) -> float:
    """The mean over events of −log P(the event's joiner, on its side | the risk set)."""
    return float(-np.mean(np.log(np.maximum(p[e.chosen], cm.EPS)))) if len(p) else math.nan


def choose_alpha(e: Entries, seed: int, k: int = cm.INNER_K, repeats: int = cm.INNER_REPEATS
                 ) -> tuple[float, dict[float, float]]:
    """α from :data:`~tertius.conflict.choicemodel.ALPHAS` by the log loss per event in K-fold CV
    grouped by war or dispute, averaged over ``repeats`` deals (the plain logit's folds and rule:
    :func:`tertius.conflict.choicemodel.group_folds`, the larger α on a tie)."""
    deals = [cm.group_folds(e.groups, k, seed, "alpha" if r == 0 else f"alpha-{r}") for r in range(repeats)]

    def cv(alpha: float, fold: np.ndarray) -> float:
        losses, n = 0.0, 0
        for f in range(k):
            test, train = fold == f, fold != f
            if test.any() and train.any():
                part = e.take(test)
                losses += log_loss(part, probabilities(part, fit(e.take(train), alpha, errors=False))) * int(test.sum())
                n += int(test.sum())
        return losses / max(n, 1)

    scores = {a: float(np.mean([cv(a, fold) for fold in deals])) for a in cm.ALPHAS}
    return min(cm.ALPHAS, key=lambda a: (scores[a], -a)), scores


def ranks(e: Entries, p: np.ndarray) -> dict[str, Any]:
    """How the actual joiners rank among their risk sets by P(join either side): the mean
    reciprocal rank of each event's joiner among the candidates at risk that do not join at that
    time (ties count one half), and the AUC within each entry time (that time's joiners against
    the others at risk), averaged over the entry times with both."""
    if not len(p):
        return {"mrr": None, "auc": None, "entries_ranked": 0}
    h = p.reshape(len(p), -1, 2).sum(axis=2)
    width = h.shape[1]
    at_risk = e.available.reshape(len(p), width, 2)[:, :, 0]
    who = np.asarray(e.chosen.reshape(len(p), width, 2).any(axis=2), dtype=bool)
    rr = []
    aucs: dict[tuple[str, float], float] = {}
    for i in range(len(p)):
        others = at_risk[i] & ~e.joining[i]
        mine = h[i, who[i]][0]
        rr.append(1.0 / (1.0 + (h[i, others] > mine).sum() + 0.5 * (h[i, others] == mine).sum()))
        key = (e.groups[i], float(e.days[i]))
        if others.any() and key not in aucs:
            pos, neg = h[i, at_risk[i] & e.joining[i]], h[i, others]
            aucs[key] = float(((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum())
                              / (len(pos) * len(neg)))
    return {"mrr": float(np.mean(rr)), "auc": float(np.mean(list(aucs.values()))) if aucs else None,
            "entries_ranked": len(aucs)}


def cross_validate(e: Entries, fold_of: dict[str, int], k: int, seed: int) -> dict[str, Any]:
    """Out-of-fold scores of the partial likelihood on ``e`` in the given folds of its groups (the
    folds of ``tertius validate TABLE --cv K``): α chosen in each training set's inner folds (seed
    ``seed + 1 + f``, as the plain logit's), scored on the held-out events."""
    fold = np.array([fold_of[g] for g in e.groups], dtype=int)
    p = np.zeros(e.chosen.shape)
    folds: list[dict[str, Any]] = []
    for f in range(k):
        test, train = fold == f, fold != f
        if not test.any() or not train.any():
            folds.append({"fold": f, "events": int(test.sum()), "alpha": None})
            continue
        alpha, _ = choose_alpha(e.take(train), seed + 1 + f)
        p[test] = probabilities(e.take(test), fit(e.take(train), alpha, errors=False))
        folds.append({"fold": f, "events": int(test.sum()), "alpha": alpha})
    scored = np.isin(fold, [f["fold"] for f in folds if f["alpha"] is not None])
    part = e.take(scored)
    return {"log_loss": log_loss(part, p[scored]) if scored.any() else None, **ranks(part, p[scored]),
            "events_scored": int(scored.sum()),
            "folds": folds}


def coefficients(model: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Each variable's coefficient per standard deviation and its standard error."""
    return {c: {"beta_std": b, "se_std": s} for c, b, s in zip(model["columns"], model["beta"], model["se"], strict=True)}


def _counts(e: Entries, cases: Sequence[Case]) -> dict[str, Any]:
    tie = e.x[..., [e.columns.index(c) for c in JOINED_TIES]].max(axis=2) > 0
    unknown = sum(1 for c in cases for t, s in c.joined.items() if s in _SIDE_OF and c.entry[t][1] == "0")
    at_risk = e.available.sum(axis=1) / 2
    return {"events": len(e.groups), "entries": len({(g, float(d)) for g, d in zip(e.groups, e.days, strict=True)}),
            "groups": len(set(e.groups)), "unknown_day_joiners": unknown,
            "mean_risk_set": float(at_risk.mean()) if len(at_risk) else None,
            "alternatives_with_joined_tie": int((tie & e.available).sum()),
            "events_with_joined_tie": int((tie & e.chosen).sum()),
            "uniform_log_loss": float(np.mean(np.log(e.available.sum(axis=1)))) if len(at_risk) else None}


def order_of_entry(path: str | Path, layout: str, cases: Sequence[Case], fold_of: dict[str, int], k: int,
                   seed: int = 0) -> dict[str, Any]:
    """The order of entry scored on a table in grouped K-fold CV (``fold_of``: each group's fold),
    both variants in the same risk sets, with each variant fitted on the whole table (α by the
    inner CV, seed ``seed``) for its coefficients; ``{"scored": False, "reason": ...}`` where the
    table cannot say (no ``join_lag_days``, a joiner's lag missing or negative, no ATOP extract
    for its years, or no joiner)."""
    try:
        return _score(str(path), layout, cases, fold_of, k, seed)
    except (NotScored, InputError) as e:
        return {"scored": False, "reason": str(e)}


def _score(path: str, layout: str, cases: Sequence[Case], fold_of: dict[str, int], k: int, seed: int
           ) -> dict[str, Any]:
    for case in cases:
        entry_days(case, path, layout)  # the lags first: a table without them needs no ATOP extract
    where = find_atop(path, layout)
    if where is None:
        raise NotScored(f"{path}: no ATOP extract beside the table or under $TERTIUS_SHARED/data "
                        f"(the order of entry needs the allies of the joiners; fix: put the shared folder's "
                        f"atop5_1_ddyr_train_start_years.csv beside the table)")
    ties = read_atop(where)
    years = {int(c.info.get("start_year", 0)) for c in cases if any(s in _SIDE_OF for s in c.joined.values())}
    if not years:
        raise NotScored(f"{path}: no joiner, so no entry to score")
    if years - ties.years:
        raise NotScored(f"{where}: the ATOP extract has no rows for the start year(s) "
                        f"{', '.join(map(str, sorted(years - ties.years)[:5]))} of this table's joiners")
    e = entries(cases, ties, path, layout)
    out: dict[str, Any] = {"scored": True, "atop": str(where), "k": k, "seed": seed, **_counts(e, cases)}
    for name, columns in VARIANTS.items():
        v = e.select(columns)
        alpha, _ = choose_alpha(v, seed)
        whole = fit(v, alpha)
        out[name] = {**cross_validate(v, fold_of, k, seed),
                     "fitted": {"alpha": alpha, "loglik": whole["loglik"], "coefficients": coefficients(whole)}}
    return out


__all__ = ["JOINED_TIES", "STATIC", "VARIANTS", "Entries", "NotScored", "choose_alpha", "coefficients",
           "cross_validate", "entries", "entry_days", "fit", "log_loss", "order_of_entry", "probabilities", "ranks"]
