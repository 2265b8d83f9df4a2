"""A conflict phase as arrays: the inputs of the third parties' game (see :mod:`tertius.conflict.game`).

A :class:`War` holds one phase of a scenario's conflict, optionally with a leading batch axis of
perturbed draws: ``position`` and ``salience`` have shape (D, n, m), ``capability`` and
``strength`` (D, n). Everything else is shared by the draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from tertius.conflict.contest import great_circle_miles, projected_capability
from tertius.errors import InputError
from tertius.scenario import Conflict, Phase, Scenario

#: The options of a third party, in the order of the role codes of :mod:`tertius.conflict.game`.
OPTIONS = ("neutral", "join-a", "join-b", "broker")
#: Role codes: a bystander, a member of side A or B (originals and joiners), a broker.
NEUTRAL, SIDE_A, SIDE_B, BROKER = 0, 1, 2, 3
ROLE = {o: k for k, o in enumerate(OPTIONS)}


@dataclass(frozen=True)
class War:
    """The arrays one phase of a conflict needs, for D draws of the inputs (D = 1: the inputs)."""

    actor_ids: list[str]
    issue_ids: list[str]
    position: np.ndarray  # (D, n, m), NaN where absent
    salience: np.ndarray  # (D, n, m), 0 where absent, on [0, 1]
    capability: np.ndarray  # (D, n) shares of the total
    strength: np.ndarray  # (D, n) capability projected to the theatre (plain shares for Tullock)
    lo: np.ndarray  # (m,)
    hi: np.ndarray
    status_quo: np.ndarray  # (m,), NaN where there is none
    side: np.ndarray  # (n,) int: SIDE_A / SIDE_B for the sides' members, NEUTRAL otherwise
    third: np.ndarray  # (n,) bool: the third parties of this phase
    stakes: np.ndarray  # (m,) bool
    exclusive: np.ndarray  # (m,) bool
    spill: np.ndarray  # (n, m) bool: a bystander that receives the terms on this issue
    cost: np.ndarray  # (n,) costs of fighting, share of the stake
    broker_cost: np.ndarray  # (n,) costs of brokering, share of the stake
    loser_weight: float
    decisiveness: float
    miles: np.ndarray | None = None  # (n,) distance to the theatre; None for a Tullock contest
    miles_per_day: float = 250.0
    names: dict[str, str] = field(default_factory=dict)
    issue_names: dict[str, str] = field(default_factory=dict)
    side_names: tuple[str, str] = ("A", "B")
    spill_sources: dict[str, list[str]] = field(default_factory=dict)

    @property
    def draws(self) -> int:
        return int(self.position.shape[0])

    @property
    def span(self) -> np.ndarray:
        return self.hi - self.lo

    @property
    def third_ids(self) -> list[str]:
        return [a for a, t in zip(self.actor_ids, self.third, strict=True) if t]

    def index(self, actor: str) -> int:
        return self.actor_ids.index(actor)


def phases_of(scenario: Scenario) -> list[Phase | None]:
    c = scenario.conflict
    if c is None:
        return []
    return list(c.phases) or [None]


def third_parties_of(scenario: Scenario, phase: Phase | None) -> list[str]:
    c = scenario.conflict
    assert c is not None
    return list(phase.third_parties) if phase is not None and phase.third_parties is not None else list(c.third_parties)


def phase_capability(scenario: Scenario, phase: Phase | None) -> np.ndarray:
    """Capabilities in force in the phase (the scenario's, with the phase's replacements)."""
    arr = scenario.arrays
    cap = arr.capability.copy()
    if phase is not None:
        for a, q in phase.capabilities.items():
            cap[arr.actor_ids.index(a)] = q.value
    return cap


def miles_to_theatre(scenario: Scenario, c: Conflict) -> np.ndarray:
    """Each actor's distance to the theatre in miles: its own ``distance``, else the great-circle
    distance from its location to the conflict's theatre, else 0."""
    miles = np.zeros(len(scenario.actors))
    for k, a in enumerate(scenario.actors):
        if a.distance is not None:
            miles[k] = a.distance.value
        elif a.location is not None and c.theatre is not None:
            miles[k] = great_circle_miles(a.location.lat, a.location.lng, c.theatre.lat, c.theatre.lng)
    return miles


def build_war(scenario: Scenario, phase: Phase | None = None) -> War:
    """The arrays of one phase (D = 1)."""
    c: Conflict | None = scenario.conflict
    if c is None:
        raise InputError(f"scenario '{scenario.id}' declares no conflict", fix="add a 'conflict:' section "
                         "with side_a, side_b, stakes and third_parties (see 'tertius schema')")
    arr = scenario.arrays
    ids, issues = list(arr.actor_ids), list(arr.issue_ids)
    sq = arr.status_quo.copy()
    if phase is not None:
        for i, q in phase.status_quo.items():
            sq[issues.index(i)] = q.value
    miles = miles_to_theatre(scenario, c) if c.contest == "war-trap" else None
    side = np.where(np.isin(ids, c.side_a.actors), 1, np.where(np.isin(ids, c.side_b.actors), 2, 0))
    spill = np.zeros((len(ids), len(issues)), dtype=bool)
    sources: dict[str, list[str]] = {}
    for sp in c.spillovers:
        k = ids.index(sp.beneficiary)
        spill[k, [issues.index(i) for i in sp.issues]] = True
        sources.setdefault(sp.beneficiary, []).append(sp.source or sp.assumption or "a declared clause")
    stakes_ids = phase.stakes if phase is not None and phase.stakes is not None else c.stakes
    war = War(
        actor_ids=ids, issue_ids=issues, position=arr.position[None].copy(), salience=arr.salience[None].copy(),
        capability=np.zeros((1, len(ids))), strength=np.zeros((1, len(ids))), lo=arr.lo.copy(), hi=arr.hi.copy(),
        status_quo=sq, side=side.astype(np.int8), third=np.isin(ids, third_parties_of(scenario, phase)),
        stakes=np.isin(issues, stakes_ids), exclusive=np.isin(issues, c.exclusive), spill=spill,
        cost=np.array([c.costs[a].value if a in c.costs else 0.0 for a in ids]),
        broker_cost=np.array([c.broker_costs[a].value if a in c.broker_costs else 0.0 for a in ids]),
        loser_weight=c.loser_weight.value, decisiveness=1.0 if c.contest == "war-trap" else c.decisiveness,
        miles=miles, miles_per_day=c.miles_per_day,
        names={a.id: a.name or a.id for a in scenario.actors},
        issue_names={i.id: i.name or i.id for i in scenario.issues},
        side_names=(c.side_a.name, c.side_b.name), spill_sources=sources,
    )
    return with_inputs(war, war.position, war.salience, phase_capability(scenario, phase)[None])


def with_inputs(war: War, position: np.ndarray, salience: np.ndarray, capability: np.ndarray) -> War:
    """The war with other inputs (D draws: position and salience (D, n, m), capability (D, n)):
    capabilities become shares and are projected to the theatre again."""
    capability = np.asarray(capability, dtype=float)
    total = capability.sum(axis=-1, keepdims=True)
    share = np.where(total > 0, capability / np.where(total > 0, total, 1.0), capability)
    strength = projected_capability(share, war.miles, war.miles_per_day) if war.miles is not None else share
    return replace(war, position=np.asarray(position, dtype=float), salience=np.asarray(salience, dtype=float),
                   capability=share, strength=strength)


def with_costs(war: War, cost: float) -> War:
    """The war with one fixed cost, in utility units, for every actor, for fighting and for
    brokering alike: written as the share ``cost / stake`` of each actor's stake (the sum of its
    saliences in the first draw), the form the scenario format takes."""
    stake = war.salience[0].sum(-1)
    share = np.where(stake > 0, cost / np.where(stake > 0, stake, 1.0), 0.0)
    return replace(war, cost=share, broker_cost=share.copy())
