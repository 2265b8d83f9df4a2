"""The third-party analysis as it stood before the game rewrite (tertius commit a38b1af), kept only
as the baseline that benchmarks/bench_thirdparty.py times: one take-it-or-leave-it broker LP and a
Python loop over draws. Not used by the package."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tertius.conflict.contest import projected_capability, win_probability
from tertius.conflict.war import miles_to_theatre, phases_of, third_parties_of  # noqa: F401 - unchanged since a38b1af
from tertius.errors import InputError
from tertius.scenario import Conflict, Phase, Scenario

OPTIONS = ("join-a", "join-b", "neutral", "broker")


@dataclass(frozen=True)
class War:
    """The arrays one third-party analysis needs (one phase, one third party)."""

    actor_ids: list[str]
    issue_ids: list[str]
    position: np.ndarray  # (n, m), NaN where absent
    salience: np.ndarray  # (n, m), 0 where absent, on [0, 1]
    capability: np.ndarray  # (n,) shares
    strength: np.ndarray  # (n,) capability projected to the theatre (or plain share for Tullock)
    lo: np.ndarray
    hi: np.ndarray
    status_quo: np.ndarray  # (m,)
    side_a: np.ndarray  # bool (n,)
    side_b: np.ndarray
    stakes: np.ndarray  # bool (m,)
    cost: np.ndarray  # (n,) share of stake
    broker_cost: np.ndarray  # (n,) share of stake
    loser_weight: float
    decisiveness: float
    miles: np.ndarray | None = None  # (n,) distance to the theatre; None for a Tullock contest
    miles_per_day: float = 250.0
    names: dict[str, str] = field(default_factory=dict)
    side_names: tuple[str, str] = ("A", "B")


def build_war(scenario: Scenario, phase: Phase | None = None) -> War:
    c: Conflict | None = scenario.conflict
    if c is None:
        raise InputError(f"scenario '{scenario.id}' declares no conflict", fix="add a 'conflict:' section "
                         "with side_a, side_b, stakes and third_parties (see 'tertius schema')")
    arr = scenario.arrays
    ids = arr.actor_ids
    cap = arr.capability.copy()
    sq = arr.status_quo.copy()
    if phase is not None:
        for a, q in phase.capabilities.items():
            cap[ids.index(a)] = q.value
        for i, q in phase.status_quo.items():
            sq[arr.issue_ids.index(i)] = q.value
    share = cap / cap.sum() if cap.sum() > 0 else cap
    if c.contest == "war-trap":
        miles = miles_to_theatre(scenario, c)
        strength = projected_capability(share, miles, c.miles_per_day)
        decisiveness = 1.0
    else:
        strength, decisiveness, miles = share, c.decisiveness, None
    stakes_ids = phase.stakes if phase is not None and phase.stakes is not None else c.stakes
    return War(
        actor_ids=list(ids), issue_ids=list(arr.issue_ids), position=arr.position.copy(),
        salience=arr.salience.copy(), capability=share, strength=strength, lo=arr.lo, hi=arr.hi,
        status_quo=sq, side_a=np.isin(ids, c.side_a.actors), side_b=np.isin(ids, c.side_b.actors),
        stakes=np.isin(arr.issue_ids, stakes_ids),
        cost=np.array([c.costs[a].value if a in c.costs else 0.0 for a in ids]),
        broker_cost=np.array([c.broker_costs[a].value if a in c.broker_costs else 0.0 for a in ids]),
        loser_weight=c.loser_weight.value, decisiveness=decisiveness, miles=miles, miles_per_day=c.miles_per_day,
        names={a.id: a.name or a.id for a in scenario.actors}, side_names=(c.side_a.name, c.side_b.name),
    )


def utility(war: War, outcome: np.ndarray) -> np.ndarray:
    """U_a(o) = Σ_i s_ai (1 − |x_ai − o_i| / R_i) for every actor."""
    span = war.hi - war.lo
    close = 1.0 - np.abs(war.position - outcome[None, :]) / span[None, :]
    return np.where(war.salience > 0, war.salience * np.nan_to_num(close), 0.0).sum(axis=1)


def stake_of(war: War) -> np.ndarray:
    return war.salience.sum(axis=1)


def p_a_wins(war: War, k: int, alignment: str) -> float:
    sa = war.strength[war.side_a].sum() + (war.strength[k] if alignment == "join-a" else 0.0)
    sb = war.strength[war.side_b].sum() + (war.strength[k] if alignment == "join-b" else 0.0)
    return float(win_probability(sa, sb, war.decisiveness))


def open_issues(war: War, k: int) -> np.ndarray:
    """Issues settled by the war or the deal: the stakes and the third party's own issues."""
    return war.stakes | (war.salience[k] > 0)


def settlement(war: War, k: int, winner: str, alignment: str) -> np.ndarray:
    """Post-war outcome when ``winner`` ('a' or 'b') wins with k aligned as given."""
    losers = war.side_b.copy() if winner == "a" else war.side_a.copy()
    if (alignment == "join-a" and winner == "b") or (alignment == "join-b" and winner == "a"):
        losers[k] = True
    cap = np.where(losers, war.capability * war.loser_weight, war.capability)
    w = np.where(np.isnan(war.position), 0.0, cap[:, None] * war.salience)
    total = w.sum(axis=0)
    present = ~np.isnan(war.position)
    plain = np.where(present, war.position, 0.0).sum(axis=0) / np.maximum(present.sum(axis=0), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        bargained = np.where(total > 0, (w * np.nan_to_num(war.position)).sum(axis=0) / total, plain)
    base = np.where(np.isnan(war.status_quo), bargained, war.status_quo)
    return np.where(open_issues(war, k), bargained, base)


@dataclass(frozen=True)
class OptionResult:
    option: str
    expected_utility: float
    feasible: bool
    p_a: float | None  # None for broker (no war)
    outcomes: dict[str, np.ndarray]  # 'a wins' / 'b wins' settlements, or 'deal'
    side_utilities: dict[str, float] = field(default_factory=dict)  # belligerents: deal vs war lottery


@dataclass(frozen=True)
class OptionTable:
    third_party: str
    phase: str | None
    options: dict[str, OptionResult]
    war_lottery: dict[str, float]  # each belligerent's disagreement value (k neutral)

    @property
    def ranking(self) -> list[str]:
        feas = [o for o in OPTIONS if self.options[o].feasible]
        return sorted(feas, key=lambda o: (-self.options[o].expected_utility, OPTIONS.index(o)))

    @property
    def best(self) -> str:
        return self.ranking[0]


def broker_deal(war: War, k: int, disagreement: np.ndarray, epsilon: float = 1e-4) -> np.ndarray | None:
    """max U_k(o) + ε Σ_a U_a(o) s.t. U_a(o) >= d_a for every belligerent a (an LP)."""
    from scipy.optimize import linprog  # imported here: scipy.optimize is slow to import

    belligerents = np.nonzero(war.side_a | war.side_b)[0]
    free = np.nonzero(open_issues(war, k))[0]
    o_fixed = war.status_quo.copy()
    span = war.hi - war.lo
    players = [k] + [int(a) for a in belligerents]
    pairs = [(a, i) for a in players for i in free if war.salience[a, i] > 0 and not np.isnan(war.position[a, i])]
    nf, ne = len(free), len(pairs)
    nv = nf + ne
    col = {i: c for c, i in enumerate(free)}
    # constant part of U_a: utility on fixed issues + Σ_free s_ai
    const = {}
    for a in players:
        fixed_u = 0.0
        for i in range(len(war.issue_ids)):
            if i in col or war.salience[a, i] <= 0 or np.isnan(war.position[a, i]):
                continue
            o = o_fixed[i] if not np.isnan(o_fixed[i]) else war.position[a, i]
            fixed_u += war.salience[a, i] * (1.0 - abs(war.position[a, i] - o) / span[i])
        const[a] = fixed_u + sum(war.salience[a, i] for i in free if war.salience[a, i] > 0
                                 and not np.isnan(war.position[a, i]))
    coef = {a: np.zeros(nv) for a in players}  # U_a = const_a − coef_a · z
    A, b = [], []
    for q, (a, i) in enumerate(pairs):
        coef[a][nf + q] = war.salience[a, i] / span[i]
        r = np.zeros(nv)
        r[col[i]], r[nf + q] = -1.0, -1.0
        A.append(r)
        b.append(-war.position[a, i])
        r = np.zeros(nv)
        r[col[i]], r[nf + q] = 1.0, -1.0
        A.append(r)
        b.append(war.position[a, i])
    for j, a in enumerate(belligerents):
        A.append(coef[int(a)])
        b.append(const[int(a)] - disagreement[j])
    objective = coef[k] + epsilon * sum(coef[int(a)] for a in belligerents)
    bounds = [(war.lo[i], war.hi[i]) for i in free] + [(0.0, None)] * ne
    if not A:
        return None
    res = linprog(objective, A_ub=np.array(A), b_ub=np.array(b), bounds=bounds, method="highs")
    if res.status != 0:
        return None
    out = np.where(np.isnan(o_fixed), settlement(war, k, "a", "neutral"), o_fixed)
    out[free] = res.x[:nf]
    return out + 0.0  # no negative zeros


def evaluate(war: War, third_party: str, phase: str | None = None) -> OptionTable:
    """The four options of one third party (see the module docstring)."""
    if third_party not in war.actor_ids:
        raise InputError(f"unknown third party '{third_party}'", fix=f"use one of: {', '.join(war.actor_ids)}")
    k = war.actor_ids.index(third_party)
    stake = stake_of(war)
    cost = war.cost * stake
    results: dict[str, OptionResult] = {}
    neutral_outcomes = {}
    for option in ("join-a", "join-b", "neutral"):
        p = p_a_wins(war, k, option)
        sa, sb = settlement(war, k, "a", option), settlement(war, k, "b", option)
        ua, ub = utility(war, sa), utility(war, sb)
        eu = p * ua[k] + (1 - p) * ub[k] - (cost[k] if option != "neutral" else 0.0)
        results[option] = OptionResult(option, float(eu), True, p, {"a wins": sa, "b wins": sb})
        if option == "neutral":
            neutral_outcomes = {"p": p, "ua": ua, "ub": ub}
    p0, ua, ub = neutral_outcomes["p"], neutral_outcomes["ua"], neutral_outcomes["ub"]
    belligerents = np.nonzero(war.side_a | war.side_b)[0]
    lottery = p0 * ua + (1 - p0) * ub - cost
    d = lottery[belligerents]
    deal = broker_deal(war, k, d)
    if deal is None:
        results["broker"] = OptionResult("broker", float("-inf"), False, None, {})
    else:
        u = utility(war, deal)
        feasible = bool(np.all(u[belligerents] >= d - 1e-7))
        results["broker"] = OptionResult(
            "broker", float(u[k] - war.broker_cost[k] * stake[k]) if feasible else float("-inf"), feasible, None,
            {"deal": deal},
            {war.actor_ids[a]: float(u[a]) for a in belligerents})
    return OptionTable(third_party, phase, results, {war.actor_ids[a]: float(lottery[a]) for a in belligerents})


def explain(war: War, table: OptionTable) -> str:
    """A plain-language paragraph on why the best option wins."""
    k = war.actor_ids.index(table.third_party)
    name = war.names.get(table.third_party, table.third_party)
    a_name, b_name = war.side_names
    label = {"join-a": f"joining {a_name}", "join-b": f"joining {b_name}", "neutral": "staying neutral",
             "broker": "brokering a deal"}
    best = table.best
    others = [o for o in OPTIONS if o != best]
    parts = [f"{name}'s best option is {label[best]} (expected utility "
             f"{table.options[best].expected_utility:.3f}, against "
             + ", ".join(f"{table.options[o].expected_utility:.3f} for {label[o]}" if table.options[o].feasible
                         else f"infeasible {label[o]}" for o in others) + ")."]
    neutral = table.options["neutral"]
    parts.append(f"If it stays out, {a_name} wins the war with probability {neutral.p_a:.2f}.")
    span = war.hi - war.lo
    own = [i for i in np.argsort(-war.salience[k]) if war.salience[k, i] > 0][:3]
    for i in own:
        issue, s, x = war.issue_ids[i], war.salience[k, i], war.position[k, i]
        sa, sb = neutral.outcomes["a wins"][i], neutral.outcomes["b wins"][i]
        gain = lambda o: s * (1 - abs(x - o) / span[i])  # noqa: E731
        text = (f"On {issue} ({name} wants {x:g}, salience {s:.2f}): if {b_name} wins, the settlement is {sb:.3g}, "
                f"worth {gain(sb):.3f} to {name}; if {a_name} wins, {sa:.3g}, worth {gain(sa):.3f}")
        if table.options["broker"].feasible:
            deal = table.options["broker"].outcomes["deal"][i]
            text += f"; a brokered deal settles it at {deal:.3g}, worth {gain(deal):.3f}"
        parts.append(text + ".")
    if best == "broker":
        parts.append(f"Brokering pays because no side has to be defeated: {a_name} and {b_name} each get at least "
                     f"their war lottery, and {name} takes the surplus in its own issues, where the sides care less "
                     f"than it does.")
    elif best == "neutral":
        parts.append(f"Joining either side costs {name} more than it moves the odds, and a deal leaves it no better "
                     f"off than the war lottery.")
    else:
        parts.append(f"{label[best].capitalize()} moves the odds enough on the issues {name} cares about to "
                     f"outweigh its costs of fighting.")
    return " ".join(parts)


def settlement_under(table: OptionTable, option: str) -> np.ndarray:
    """The settlement the option leads to: the deal, or the more likely war outcome's settlement."""
    r = table.options[option]
    if option == "broker":
        return r.outcomes["deal"]
    return r.outcomes["a wins"] if (r.p_a or 0) >= 0.5 else r.outcomes["b wins"]


def table_to_dict(war: War, table: OptionTable, explanation: str | None = None) -> dict[str, Any]:
    def issues(v: np.ndarray) -> dict[str, float]:
        return {i: float(x) for i, x in zip(war.issue_ids, v, strict=True)}

    return {
        "third_party": table.third_party,
        "phase": table.phase,
        "ranking": table.ranking,
        "best": table.best,
        "war_lottery": table.war_lottery,
        "options": {
            o: {
                "expected_utility": r.expected_utility if r.feasible else None,
                "feasible": r.feasible,
                "p_a_wins": r.p_a,
                "settlements": {key: issues(v) for key, v in r.outcomes.items()},
                "side_utilities": r.side_utilities,
            } for o, r in table.options.items()
        },
        "explanation": explanation or explain(war, table),
    }


#: Perturbation ranges of the robustness check: positions ± this share of the scale span,
#: saliences and capabilities × (1 ± these), uniform.
PERTURBATION = {"position": 0.10, "salience": 0.20, "capability": 0.25}


def perturbed(war: War, rng: np.random.Generator, spec: dict[str, float] = PERTURBATION) -> War:
    """A copy of the war with inputs drawn uniformly around the given ones, kept valid."""
    span = war.hi - war.lo
    present = ~np.isnan(war.position)
    pos = war.position + rng.uniform(-1, 1, war.position.shape) * spec["position"] * span[None, :]
    pos = np.where(present, np.clip(pos, war.lo[None, :], war.hi[None, :]), np.nan)
    sal = np.clip(war.salience * (1 + rng.uniform(-1, 1, war.salience.shape) * spec["salience"]), 0.0, 1.0)
    cap = war.capability * (1 + rng.uniform(-1, 1, war.capability.shape) * spec["capability"])
    return with_inputs(war, pos, sal, cap)


def with_inputs(war: War, position: np.ndarray, salience: np.ndarray, capability: np.ndarray) -> War:
    """A copy of the war with other inputs: capabilities are turned into shares and projected
    to the theatre again."""
    share = capability / capability.sum() if capability.sum() > 0 else capability
    strength = projected_capability(share, war.miles, war.miles_per_day) if war.miles is not None else share
    return replace(war, position=position, salience=salience, capability=share, strength=strength)


def rank_shares(war: War, third_party: str, draws: int, seed: int) -> dict[str, float]:
    """Share of ``draws`` perturbed copies in which each option ranks first (seeded)."""
    rng = np.random.default_rng(seed)
    counts = dict.fromkeys(OPTIONS, 0)
    for _ in range(draws):
        counts[evaluate(perturbed(war, rng), third_party).best] += 1
    return {o: counts[o] / draws for o in OPTIONS}
