"""Break-even values: what would have to be true for an answer to change.

A *question* is one answer of the analysis: the option each third party takes in the selected
equilibrium of each phase (:mod:`tertius.conflict.thirdparty`). For each question and each input
of the scenario (:func:`tertius.uncertainty.inputs`), the search finds the value nearest to the
input's own at which the answer changes, on each side of it, within the input's range:

1. **Bracket.** ``GRID`` evenly spaced values between the input's value and each end of its range
   are evaluated; the first one whose answer differs brackets the flip with the value before it.
2. **Bisect.** Each bracket is halved ``STEPS`` times, so the flip is known to within
   (range end - value) / (GRID · 2^STEPS).

Both steps are vectorised over inputs and over both sides of each: the candidate values of every
input (and, in step 2, the midpoints of every bracket) are evaluated in one batched call of the game
per phase (:func:`tertius.conflict.equilibrium.solve` over a War whose draws are the candidates: the
same equilibrium search as the third-party analysis, so where iterated best response cycles the
answer is the enumerated pure equilibrium or the logit QRE's likeliest option, never the cycle's
last profile), in chunks of :data:`CHUNK` draws. In step 2 only the phase of each bracket's
question is played. The candidates' wars are not rebuilt from the scenario where the input is a
number that ``build_war`` copies into the war (a cost, a broker cost, ``loser_weight``, a stance,
a capability, a distance): the value is written into the phase's war directly, and a phase whose
war does not hold the input keeps its answers. These writes are checked once against the rebuilt
wars (every input at the far end of its range); an input whose rebuilt war differs, and every
other input (a status quo, say), rebuilds the scenario for each value.
An answer that changes and changes back between two grid values is not seen (a flip narrower
than (range end - value) / GRID). An input whose range holds no flip is *safe* for that question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from tertius.conflict.draws import REBUILD
from tertius.conflict.draws import war_target as _target
from tertius.conflict.equilibrium import rows as draws_of
from tertius.conflict.equilibrium import solve
from tertius.conflict.thirdparty import labels as words
from tertius.conflict.war import OPTIONS, War, build_war, phase_capability, phases_of, stack, with_inputs
from tertius.errors import ScenarioProblem
from tertius.models import MODELS
from tertius.scenario import Phase, Scenario
from tertius.uncertainty import Input, inputs, label, labeller, set_value

GRID = 8
STEPS = 10
#: Draws per call of the game: larger batches cost more per draw (memory), smaller ones more calls.
CHUNK = 128
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
    """Answers of every question for candidate values of the inputs ``found``, one batch of the
    game per phase.

    An input that ``build_war`` copies into the war unchanged (:func:`_target`) is written into
    the phase's war directly, for all candidates at once; any other input rebuilds the scenario
    for each value (as ``rebuild=True`` does for all). Where the input is not in a phase's war the
    phase's answers stay its own. The direct writes are checked once per input and phase against
    the rebuilt war at the far end of the input's range; an input whose war differs there is
    rebuilt."""

    def __init__(self, scenario: Scenario, found: list[Input], rebuild: bool = False) -> None:
        self.scenario, self.found = scenario, found
        self.data = scenario.to_data()
        self.phases = phases_of(scenario)
        self.questions: list[Question] = []
        self.words: dict[tuple[str | None, str], dict[str, str]] = {}
        self.wars: list[War] = []
        self.capability: list[np.ndarray] = []  # the phase's capabilities before they become shares
        self.columns: list[tuple[list[int], list[int]]] = []  # (question columns, third parties' indices)
        for ph in self.phases:
            war = build_war(scenario, ph)
            third = [war.index(t) for t in war.third_ids]
            sol = solve(war)
            self.columns.append((list(range(len(self.questions), len(self.questions) + len(third))), third))
            self.wars.append(war)
            self.capability.append(phase_capability(scenario, ph))
            for t in war.third_ids:
                name = war.names.get(t, t)
                where = f" ({ph.name or ph.id})" if ph is not None else ""
                opt = OPTIONS[sol.profile[0, war.index(t)]]
                self.questions.append(Question(_phase_key(ph), t, opt, f"{name}{where}: {words(war)[opt]}",
                                               sol.label(0)))
                self.words[(_phase_key(ph), t)] = words(war)
        self.phase_of = np.array([p for p, (cols, _) in enumerate(self.columns) for _ in cols], dtype=int)
        self.targets = [[REBUILD if rebuild else _target(scenario, ph, inp.path) for inp in found]
                        for ph in self.phases]
        if not rebuild:
            self._check()

    def base(self) -> np.ndarray:
        return np.array([OPTIONS.index(q.answer) for q in self.questions], dtype=np.int8)

    def _far(self, k: int) -> float:
        inp = self.found[k]
        return inp.hi if abs(inp.hi - inp.value) >= abs(inp.lo - inp.value) else inp.lo

    def _check(self) -> None:
        """The direct writes against the rebuilt war with the inputs at the far ends of their
        ranges: all at once, then one at a time where that differs (or where two inputs write the
        same place)."""
        todo = [k for k in range(len(self.found)) if self._far(k) != self.found[k].value
                and any(t[k] != REBUILD for t in self.targets)]
        if not todo:
            return
        data = self.data
        for k in todo:
            data = _copy_along(data, self.found[k].path)
            set_value(data, self.found[k].path, self._far(k))
        try:
            joint: Scenario | None = Scenario.model_validate(data)
        except (ValueError, ScenarioProblem):  # the far ends together break a rule of the format
            joint = None
        for p in range(len(self.phases)):
            ks = [k for k in todo if self.targets[p][k] != REBUILD]
            places = [self.targets[p][k][:2] for k in ks if self.targets[p][k] is not None]  # type: ignore[index]
            shared = {k for k in ks if self.targets[p][k] is not None
                      and places.count(self.targets[p][k][:2]) > 1}  # type: ignore[index]
            together = [k for k in ks if k not in shared]
            if joint is not None and together and self._agrees(p, joint, together):
                ks = sorted(shared)
            for k in ks:
                if not self._agrees(p, self._scenario(k, self._far(k)), [k]):
                    self.targets[p][k] = REBUILD

    def _agrees(self, p: int, scenario: Scenario, ks: list[int]) -> bool:
        """Whether writing the inputs ``ks`` at their far ends gives the rebuilt ``scenario``'s war."""
        ((_, written),) = self._written(p, np.array(ks), np.array([self._far(k) for k in ks]),
                                        np.zeros(len(ks), dtype=int))
        return _same(written, build_war(scenario, phases_of(scenario)[p]))

    def _scenario(self, k: int, value: float) -> Scenario:
        data = _copy_along(self.data, self.found[k].path)
        set_value(data, self.found[k].path, float(value))
        return Scenario.model_validate(data)

    def _written(self, p: int, which: np.ndarray, values: np.ndarray, row: np.ndarray | None = None
                 ) -> list[tuple[np.ndarray, War]]:
        """The phase's war with input ``found[which[e]]`` written as ``values[e]`` in draw
        ``row[e]`` (default: one draw each; inputs whose target is None leave it as it is):
        batched wars by equal plain numbers, as (draws, war)."""
        base = self.wars[p]
        row = np.arange(len(values)) if row is None else np.asarray(row, dtype=int)
        b = int(row.max()) + 1 if row.size else 0
        position, salience = np.repeat(base.position, b, 0), np.repeat(base.salience, b, 0)
        capability, strength = np.repeat(base.capability, b, 0), np.repeat(base.strength, b, 0)
        per_actor = {name: np.repeat(getattr(base, name)[None], b, 0) for name in ("cost", "broker_cost")}
        plain = np.repeat(np.array([[base.loser_weight, base.decisiveness]]), b, 0)
        raw = np.repeat(self.capability[p][None], b, 0)
        miles = None if base.miles is None else np.repeat(base.miles[None], b, 0)
        per_day = np.full(b, base.miles_per_day)
        again = np.zeros(b, dtype=bool)  # draws whose strengths are computed again
        for r, k, v in zip(row, which, values, strict=True):
            target = self.targets[p][k]
            if target is None:
                continue
            field, where, divisor = target
            if field in ("position", "salience"):
                (position if field == "position" else salience)[r, where[0], where[1]] = v / divisor
            elif field in per_actor:
                per_actor[field][r, where] = v
            elif field in ("loser_weight", "decisiveness"):
                plain[r, 0 if field == "loser_weight" else 1] = v
            else:  # an input of the strengths
                again[r] = True
                if field == "capability":
                    raw[r, where] = v
                elif field == "miles" and miles is not None:
                    miles[r, where] = v
                else:
                    per_day[r] = v
        for r in np.nonzero(again)[0]:  # shares and projection again, as build_war makes them
            one = with_inputs(replace(base, miles=None if miles is None else miles[r], miles_per_day=float(per_day[r])),
                              position[r:r + 1], salience[r:r + 1], raw[r:r + 1])
            capability[r], strength[r] = one.capability[0], one.strength[0]
        out = []
        keys, groups = np.unique(plain, axis=0, return_inverse=True)
        for g, (lw, dec) in enumerate(keys):
            idx = np.nonzero(groups.ravel() == g)[0]
            changes: dict[str, Any] = {"position": position[idx], "salience": salience[idx],
                                       "capability": capability[idx], "strength": strength[idx],
                                       "loser_weight": float(lw), "decisiveness": float(dec)}
            for name, vals in per_actor.items():
                if not (vals[idx] == vals[idx[0]]).all():
                    changes[name] = vals[idx][:, None, :]
                elif not np.array_equal(vals[idx[0]], getattr(base, name)):
                    changes[name] = vals[idx[0]].copy()
            out.append((idx, replace(base, **changes)))
        return out

    def __call__(self, which: np.ndarray, values: np.ndarray, questions: np.ndarray | None = None) -> np.ndarray:
        """Answers (len(values), Q) for input ``found[which[k]]`` set to ``values[k]``. With
        ``questions`` (one per value), only the phase of each value's question is played; the
        other answers are the phase's own."""
        which, values = np.asarray(which, dtype=int), np.asarray(values, dtype=float)
        out = np.repeat(self.base()[None], len(values), 0)
        scenarios: dict[int, Scenario] = {}
        for p, (cols, third) in enumerate(self.columns):
            rows = np.arange(len(values)) if questions is None else \
                np.nonzero(self.phase_of[np.asarray(questions, dtype=int)] == p)[0]
            kinds = [self.targets[p][k] for k in which[rows]]
            direct = np.array([r for r, t in zip(rows, kinds, strict=True) if t is not None and t != REBUILD], dtype=int)
            again = [int(r) for r, t in zip(rows, kinds, strict=True) if t == REBUILD]
            groups = [(direct[idx], war) for idx, war in self._written(p, which[direct], values[direct])] \
                if direct.size else []
            if again:
                for r in again:
                    if r not in scenarios:
                        scenarios[r] = self._scenario(int(which[r]), float(values[r]))
                # the rebuilt scenario's own phase: the input may be one of the phase's
                built = [(r, build_war(scenarios[r], phases_of(scenarios[r])[p])) for r in again]
                built = [(r, war) for r, war in built if not _same(war, self.wars[p])]  # else: its own answers
                groups += [(np.array([r for r, _ in built])[idx], war) for idx, war in stack([w for _, w in built])]
            for idx, war in groups:
                for at in range(0, len(idx), CHUNK):
                    part = np.arange(at, min(at + CHUNK, len(idx)))
                    out[np.ix_(idx[part], cols)] = solve(draws_of(war, part) if len(idx) > CHUNK else war).profile[:, third]
        return out


def _same(a: War, b: War) -> bool:
    """Whether two wars are equal field by field (the distances enter the game through the
    strengths only, so they are not compared)."""
    return all(_equal(getattr(a, f.name), getattr(b, f.name)) for f in fields(War)
               if f.name not in ("miles", "miles_per_day"))


def _equal(x: Any, y: Any) -> bool:
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        x, y = np.asarray(x), np.asarray(y)
        return x.shape == y.shape and bool(np.array_equal(x, y, equal_nan=x.dtype.kind == "f" and y.dtype.kind == "f"))
    if isinstance(x, (tuple, list)) and isinstance(y, (tuple, list)):
        return len(x) == len(y) and all(_equal(u, v) for u, v in zip(x, y, strict=True))
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_equal(x[k], y[k]) for k in x)
    return bool(x == y)


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
    ev = _Evaluator(scenario, found)
    base = ev.base()
    flips, to = bracket(ev, found, base.astype(float), np.zeros(len(base)), grid, steps)
    return _table(scenario, ev, found, flips, np.nan_to_num(to, nan=-1).astype(np.int8))


def bracket(evaluate: Any, found: list[Input], base: np.ndarray, tolerance: np.ndarray, grid: int = GRID,
            steps: int = STEPS) -> tuple[np.ndarray, np.ndarray]:
    """The bracketing search, vectorised over inputs and both sides of each: ``evaluate(which,
    values, questions=None)`` gives the answers (B, Q) with input ``found[which[b]]`` set to
    ``values[b]`` (with ``questions``, one per value, only that question's answer need be right);
    an answer has changed where it differs from ``base`` (Q,) by more than ``tolerance`` (Q,).
    Returns the flip values (2 sides, inputs, Q; NaN: none in range) and the answers there."""
    nq, ni = len(base), len(found)
    flips = np.full((2, ni, nq), np.nan)
    to = np.full((2, ni, nq), np.nan)
    if ni == 0 or nq == 0:
        return flips, to
    value = np.array([i.value for i in found])
    ends = np.array([[i.lo for i in found], [i.hi for i in found]])  # (2, I)
    side, ins = np.nonzero(ends != value)  # one row per side of an input that can move there
    if ins.size == 0:
        return flips, to
    frac = np.arange(1, grid + 1) / grid
    cand = value[ins, None] + (ends[side, ins] - value[ins])[:, None] * frac  # (R, G)
    got = np.asarray(evaluate(np.repeat(ins, grid), cand.ravel()), dtype=float).reshape(ins.size, grid, nq)
    changed = np.abs(got - base) > tolerance
    rr, qq = np.nonzero(changed.any(1))  # (row, question) pairs with a flip on the grid
    if rr.size == 0:
        return flips, to
    g = changed.argmax(1)[rr, qq]
    inside = cand[rr, g]  # changed
    outside = np.where(g > 0, cand[rr, np.maximum(g - 1, 0)], value[ins[rr]])  # not changed
    new = got[rr, g, qq]
    for _ in range(steps):
        mid = (inside + outside) / 2
        res = np.asarray(evaluate(ins[rr], mid, questions=qq), dtype=float)[np.arange(rr.size), qq]
        flip = np.abs(res - base[qq]) > tolerance[qq]
        inside = np.where(flip, mid, inside)
        new = np.where(flip, res, new)
        outside = np.where(flip, outside, mid)
    flips[side[rr], ins[rr], qq] = inside
    to[side[rr], ins[rr], qq] = new
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

    names = [m for m in (models or list(MODELS)) if MODELS[m].batch is not None]
    found = [i for i in inputs(scenario) if i.assumed and _slot(scenario, i) is not None]
    slots = [_slot(scenario, i) for i in found]
    arr = scenario.arrays
    n, m = arr.position.shape
    full = {name: MODELS[name].params((params or {}).get(name)) for name in names}

    def evaluate(which: np.ndarray, values: np.ndarray, questions: np.ndarray | None = None) -> np.ndarray:
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
        out = np.zeros((b, len(names) * m))
        for j, name in enumerate(names):  # with questions, each model runs on its own questions' rows
            rows = np.arange(b) if questions is None else np.nonzero(np.asarray(questions) // m == j)[0]
            if rows.size:
                out[rows, j * m:(j + 1) * m] = np.asarray(MODELS[name].batch(  # type: ignore[misc]
                    scenario, pos[rows], sal[rows], cap[rows], dict(full[name])), dtype=float)
        return out

    base = evaluate(np.zeros(1, dtype=int), np.array([found[0].value]))[0] if found else np.zeros(0)
    tol = np.tile(tolerance * arr.span, len(names))
    flips, to = bracket(evaluate, found, base, tol, grid, steps)
    labels = list(map(labeller(scenario), found))
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
    labels = list(map(labeller(scenario), found))
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
    its range in steps of ``step``, one game at a time, the scenario rebuilt for each value (no
    direct writes into the war). For each question (phase, third party): the
    first value that changes the answer going down, and going up (None: none in range)."""
    inp = next(i for i in inputs(scenario) if i.key == key)
    ev = _Evaluator(scenario, [inp], rebuild=True)
    base = ev.base()
    out: dict[tuple[str | None, str], list[float | None]] = {(q.phase, q.third_party): [None, None]
                                                             for q in ev.questions}
    for side, end in enumerate((inp.lo, inp.hi)):
        n = int(round(abs(end - inp.value) / step))
        for j in range(1, n + 1):
            v = inp.value + (end - inp.value) * j / n
            got = ev(np.array([0]), np.array([v]))[0]
            for q, question in enumerate(ev.questions):
                slot = out[(question.phase, question.third_party)]
                if got[q] != base[q] and slot[side] is None:
                    slot[side] = v
    return out
