"""Break-even values: what would have to be true for an answer to change.

A *question* is one answer of the analysis: the option each third party takes in the selected
equilibrium of each phase (:mod:`tertius.conflict.thirdparty`). For each question and each input
of the scenario (:func:`tertius.uncertainty.inputs`), the search finds the value nearest to the
input's own at which the answer changes, on each side of it, within the input's range:

1. **Bracket.** ``GRID`` evenly spaced values between the input's value and each end of its range
   are evaluated; the first one whose answer differs brackets the flip with the value before it.
2. **Bisect.** Each bracket is halved ``STEPS`` times, so the flip is known to within
   (range end - value) / (GRID · 2^STEPS).

Both steps are vectorised over inputs: the candidate values of every input (and, in step 2, the
midpoints of every bracket) are evaluated in one batched call of the game per phase
(:func:`tertius.conflict.equilibrium.solve` over a War whose draws are the candidates: the same
equilibrium search as the third-party analysis, so where iterated best response cycles the answer
is the enumerated pure equilibrium or the logit QRE's likeliest option, never the cycle's last
profile).
An answer that changes and changes back between two grid values is not seen (a flip narrower
than (range end - value) / GRID). An input whose range holds no flip is *safe* for that question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tertius.conflict.equilibrium import solve
from tertius.conflict.thirdparty import labels as words
from tertius.conflict.war import OPTIONS, War, build_war, phases_of, stack
from tertius.scenario import Phase, Scenario
from tertius.uncertainty import Input, inputs, label, set_value

GRID = 8
STEPS = 10
@dataclass(frozen=True)
class Question:
    """One answer of the third-party analysis: ``third_party``'s option in phase ``phase``, and the
    method that found the equilibrium (:meth:`tertius.conflict.equilibrium.Solution.label`)."""

    phase: str | None
    third_party: str
    answer: str
    label: str
    method: str = "best response"


def _phase_key(phase: Phase | None) -> str | None:
    return phase.id if phase is not None else None


def answers(wars: list[War], third: list[int]) -> np.ndarray:
    """The reported equilibrium's option code of each third party (columns: ``third``) in each war:
    (len(wars), T)."""
    result = np.zeros((len(wars), len(third)), dtype=np.int8)
    for idx, war in stack(wars):
        result[idx] = solve(war).profile[:, third]
    return result


class _Evaluator:
    """Answers of every question for candidate values of inputs, one batch per phase."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.data = scenario.to_data()
        self.phases = phases_of(scenario)
        self.questions: list[Question] = []
        self.words: dict[tuple[str | None, str], dict[str, str]] = {}
        self.columns: list[tuple[int, list[int]]] = []
        for p, ph in enumerate(self.phases):
            war = build_war(scenario, ph)
            third = [war.index(t) for t in war.third_ids]
            sol = solve(war)
            self.columns.append((p, third))
            for t in war.third_ids:
                name = war.names.get(t, t)
                where = f" ({ph.name or ph.id})" if ph is not None else ""
                opt = OPTIONS[sol.profile[0, war.index(t)]]
                self.questions.append(Question(_phase_key(ph), t, opt, f"{name}{where}: {words(war)[opt]}",
                                               sol.label(0)))
                self.words[(_phase_key(ph), t)] = words(war)

    def __call__(self, found: list[Input], which: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Answers (len(values), Q) for input ``found[which[k]]`` set to ``values[k]``."""
        scenarios = []
        for k, v in zip(which, values, strict=True):
            data = _copy_along(self.data, found[k].path)
            set_value(data, found[k].path, float(v))
            scenarios.append(Scenario.model_validate(data))
        cols = []
        for p, third in self.columns:
            ph = self.phases[p]
            cols.append(answers([build_war(s, ph) for s in scenarios], third))
        return np.concatenate(cols, axis=1) if cols else np.zeros((len(values), 0), dtype=np.int8)

    def base(self) -> np.ndarray:
        return np.array([OPTIONS.index(q.answer) for q in self.questions], dtype=np.int8)


def _copy_along(data: dict[str, Any], path: tuple) -> dict[str, Any]:
    """A copy of the data that shares everything but the containers along ``path``."""
    top = dict(data)
    node: Any = top
    for p in path[:-1]:
        child = node[p]
        node[p] = child = dict(child) if isinstance(child, dict) else list(child)
        node = child
    return top


def search(scenario: Scenario, only_assumed: bool = True, grid: int = GRID, steps: int = STEPS
           ) -> dict[str, Any]:
    """Break-even values of every assumed input (every input: ``only_assumed=False``) for every
    question (see the module's docstring)."""
    found = [i for i in inputs(scenario) if i.assumed or not only_assumed]
    ev = _Evaluator(scenario)
    base = ev.base()
    flips, to = bracket(lambda which, values: ev(found, which, values), found, base.astype(float),
                        np.zeros(len(base)), grid, steps)
    return _table(scenario, ev, found, flips, np.nan_to_num(to, nan=-1).astype(np.int8))


def bracket(evaluate: Any, found: list[Input], base: np.ndarray, tolerance: np.ndarray, grid: int = GRID,
            steps: int = STEPS) -> tuple[np.ndarray, np.ndarray]:
    """The bracketing search, vectorised over inputs: ``evaluate(which, values)`` gives the answers
    (B, Q) with input ``found[which[b]]`` set to ``values[b]``; an answer has changed where it
    differs from ``base`` (Q,) by more than ``tolerance`` (Q,). Returns the flip values
    (2 sides, inputs, Q; NaN: none in range) and the answers there."""
    nq, ni = len(base), len(found)
    value = np.array([i.value for i in found])
    flips = np.full((2, ni, nq), np.nan)
    to = np.full((2, ni, nq), np.nan)
    for side, end in enumerate((np.array([i.lo for i in found]), np.array([i.hi for i in found]))):
        movable = np.nonzero(end != value)[0] if ni else np.zeros(0, dtype=int)
        if movable.size == 0 or nq == 0:
            continue
        frac = np.arange(1, grid + 1) / grid
        cand = value[movable, None] + (end[movable] - value[movable])[:, None] * frac  # (I, G)
        which = np.repeat(movable, grid)
        got = np.asarray(evaluate(which, cand.ravel()), dtype=float).reshape(movable.size, grid, nq)
        changed = np.abs(got - base) > tolerance
        hit = changed.any(1)  # (I, Q)
        first = changed.argmax(1)
        ii, qq = np.nonzero(hit)
        if ii.size == 0:
            continue
        g = first[ii, qq]
        inside = cand[ii, g]  # changed
        outside = np.where(g > 0, cand[ii, np.maximum(g - 1, 0)], value[movable][ii])  # not changed
        new = got[ii, g, qq]
        for _ in range(steps):
            mid = (inside + outside) / 2
            res = np.asarray(evaluate(movable[ii], mid), dtype=float)[np.arange(ii.size), qq]
            flip = np.abs(res - base[qq]) > tolerance[qq]
            inside = np.where(flip, mid, inside)
            new = np.where(flip, res, new)
            outside = np.where(flip, outside, mid)
        flips[side, movable[ii], qq] = inside
        to[side, movable[ii], qq] = new
    return flips, to


def _slot(scenario: Scenario, inp: Input) -> tuple[str, int, int] | None:
    """Where a model's batch arrays hold an input: a stance's position or salience, an actor's
    capability; None for inputs the models do not read (the conflict's, a status quo, a phase's)."""
    p = inp.path
    if len(p) == 3 and p[0] == "stances" and p[2] in ("position", "salience") and isinstance(p[1], int):
        st = scenario.stances[p[1]]
        return str(p[2]), scenario.actor_ids.index(st.actor), scenario.issue_ids.index(st.issue)
    if len(p) == 3 and p[0] == "actors" and p[2] == "capability" and isinstance(p[1], int):
        return "capability", p[1], -1
    return None


def _nearest(row: dict[str, Any]) -> float:
    """How close an input's nearest flip lies to its value, as a share of its range."""
    width = max(row["range"][1] - row["range"][0], 1e-12)
    return min(abs(c["at"] - row["value"]) / width for c in row["flips"])


def forecast_search(scenario: Scenario, models: list[str] | None = None, tolerance: float = 0.1,
                    grid: int = GRID, steps: int = STEPS, params: Mapping[str, Mapping[str, Any]] | None = None
                    ) -> dict[str, Any]:
    """Break-even values for the models' forecasts: for each model with a batch form and each
    issue, the value of each assumed stance or capability nearest its own at which the forecast
    moves by more than ``tolerance`` of the issue's scale (10 % by default). ``params``: model
    parameters by model (the rest keep their defaults)."""
    from tertius.models import MODELS

    names = [m for m in (models or list(MODELS)) if MODELS[m].batch is not None]
    found = [i for i in inputs(scenario) if i.assumed and _slot(scenario, i) is not None]
    slots = [_slot(scenario, i) for i in found]
    arr = scenario.arrays
    n, m = arr.position.shape
    full = {name: MODELS[name].params((params or {}).get(name)) for name in names}

    def evaluate(which: np.ndarray, values: np.ndarray) -> np.ndarray:
        b = len(values)
        pos = np.repeat(arr.position[None], b, 0)
        sal = np.repeat(arr.salience[None], b, 0)
        cap = np.repeat(arr.capability[None], b, 0)
        for k, (w, v) in enumerate(zip(which, values, strict=True)):
            kind, a, i = slots[w]  # type: ignore[misc]
            if kind == "position":
                pos[k, a, i] = v
            elif kind == "salience":
                sal[k, a, i] = v / scenario.salience_scale
            else:
                cap[k, a] = v
        outs = [np.asarray(MODELS[name].batch(scenario, pos, sal, cap, dict(full[name])),  # type: ignore[misc]
                           dtype=float) for name in names]
        return np.concatenate(outs, axis=1) if outs else np.zeros((b, 0))

    base = evaluate(np.zeros(1, dtype=int), np.array([found[0].value]))[0] if found else np.zeros(0)
    tol = np.tile(tolerance * arr.span, len(names))
    flips, to = bracket(evaluate, found, base, tol, grid, steps)
    labels = [label(scenario, i) for i in found]
    out = []
    for q in range(len(base)):
        model, issue = names[q // m], scenario.issues[q % m]
        rows: list[dict[str, Any]] = []
        for k, inp in enumerate(found):
            cands = [{"at": float(flips[s, k, q]), "forecast": float(to[s, k, q])}
                     for s in (0, 1) if not np.isnan(flips[s, k, q])]
            if cands:
                rows.append({"input": inp.key, "label": labels[k], "value": inp.value, "range": [inp.lo, inp.hi],
                             "flips": cands})
        rows.sort(key=_nearest)
        out.append({"model": model, "issue": issue.id, "name": issue.name or issue.id, "forecast": float(base[q]),
                    "tolerance": float(tol[q]), "inputs": rows, "safe": len(found) - len(rows)})
    return {"scenario": scenario.id, "inputs": len(found), "models": names, "questions": out}


def _table(scenario: Scenario, ev: _Evaluator, found: list[Input], flips: np.ndarray,
           to: np.ndarray) -> dict[str, Any]:
    out = []
    labels = [label(scenario, i) for i in found]
    for q, question in enumerate(ev.questions):
        say = ev.words[(question.phase, question.third_party)]
        rows = []
        for k, inp in enumerate(found):
            cands: list[dict[str, Any]] = []
            for side in (0, 1):
                f = flips[side, k, q]
                if not np.isnan(f):
                    half = (inp.lo if side == 0 else inp.hi) - inp.value
                    cands.append({"at": float(f), "to": OPTIONS[to[side, k, q]], "to_words": say[OPTIONS[to[side, k, q]]],
                                  "closeness": float(abs(f - inp.value) / abs(half)) if half else 0.0})
            nearest = min(cands, key=lambda c: float(c["closeness"])) if cands else None
            rows.append({"input": inp.key, "label": labels[k], "value": inp.value, "range": [inp.lo, inp.hi],
                         "assumed": inp.assumed, "declared_range": inp.declared,
                         "safe": nearest is None, "flips": cands,
                         "closeness": None if nearest is None else nearest["closeness"]})
        rows.sort(key=lambda r: (r["safe"], r["closeness"] if r["closeness"] is not None else 2.0))
        out.append({"phase": question.phase, "third_party": question.third_party, "answer": question.answer,
                    "answer_words": say[question.answer], "name": scenario.actor(question.third_party).name
                    or question.third_party,
                    "question": question.label, "method": question.method, "inputs": rows,
                    "safe": [r["input"] for r in rows if r["safe"]]})
    return {"scenario": scenario.id, "method": f"bracketing grid of {GRID} values per side, then {STEPS} bisection "
            "steps, batched over inputs (tertius.breakeven)", "inputs": len(found), "questions": out}


__all__ = ["GRID", "STEPS", "Question", "answers", "bracket", "forecast_search", "label", "scan", "search",
           "stack"]


def scan(scenario: Scenario, key: str, step: float = 0.001) -> dict[tuple[str | None, str], list[float | None]]:
    """The brute-force reference: the input ``key`` set to every value from its own to each end of
    its range in steps of ``step``, one game at a time. For each question (phase, third party): the
    first value that changes the answer going down, and going up (None: none in range)."""
    inp = next(i for i in inputs(scenario) if i.key == key)
    ev = _Evaluator(scenario)
    base = ev.base()
    out: dict[tuple[str | None, str], list[float | None]] = {(q.phase, q.third_party): [None, None]
                                                             for q in ev.questions}
    for side, end in enumerate((inp.lo, inp.hi)):
        n = int(round(abs(end - inp.value) / step))
        for j in range(1, n + 1):
            v = inp.value + (end - inp.value) * j / n
            got = ev([inp], np.array([0]), np.array([v]))[0]
            for q, question in enumerate(ev.questions):
                slot = out[(question.phase, question.third_party)]
                if got[q] != base[q] and slot[side] is None:
                    slot[side] = v
    return out
