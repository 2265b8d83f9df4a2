"""A conflict phase as arrays: the inputs of the third parties' game (see :mod:`tertius.conflict.game`).

A :class:`War` holds one phase of a scenario's conflict, optionally with a leading batch axis of
perturbed draws: ``position`` and ``salience`` have shape (D, n, m), ``capability`` and
``strength`` (D, n). Everything else is shared by the draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from tertius.conflict.contest import great_circle_miles, projected_capability
from tertius.errors import InputError
from tertius.scenario import OPTIONS_BY_ROLE, Conflict, Phase, Scenario

#: The options of a third party, in the order of the role codes of :mod:`tertius.conflict.game`
#: (the ``role`` column of :data:`tertius.scenario.OPTION_TABLE`), and how many there are.
OPTIONS = OPTIONS_BY_ROLE
N_OPTIONS = len(OPTIONS)
ROLE = {o: k for k, o in enumerate(OPTIONS)}
#: Role codes: a bystander, a member of side A or B (originals and joiners), a broker.
NEUTRAL, SIDE_A, SIDE_B, BROKER = ROLE["neutral"], ROLE["join-a"], ROLE["join-b"], ROLE["broker"]
#: The kinds of broker, in the order of their codes (docs/thirdparty.md, "Mechanisms").
BROKER_KINDS = ("armed", "channel", "guarantor", "chair", "agent")
ARMED, CHANNEL, GUARANTOR, CHAIR, AGENT = range(5)


def _unset() -> np.ndarray:
    return np.zeros(0)


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
    #: (n, m) bool: the issues each belligerent can concede on its own (declared ``controls``).
    controls: np.ndarray = field(default_factory=_unset)
    #: (n, m) bool: the issues each actor holds a claim on (the case's declared ``claims``, rule 2
    #: of docs/casebook.md; every issue where the scenario declares none): what a third party may
    #: be paid with (the wedge, a channel's fee) and what gives it a stake off the stakes.
    claims: np.ndarray = field(default_factory=_unset)
    #: (n,) the kind of broker each actor can be (:data:`BROKER_KINDS` codes; armed by default),
    #: and whether it was declared.
    broker_kind: np.ndarray = field(default_factory=_unset)
    declared_broker: np.ndarray = field(default_factory=_unset)
    guarantee: np.ndarray = field(default_factory=_unset)  # (n,)
    peace_value: np.ndarray = field(default_factory=_unset)  # (n,)
    #: Declared side deals: (third party index, paying side code, option code, issue mask, paid now).
    side_deals: tuple[tuple[int, int, int, np.ndarray, bool], ...] = ()
    #: Declared commitments: (actor, option code, when actor, when option code).
    commitments: tuple[tuple[int, int, int, int], ...] = ()
    #: (n,) the side an agent broker acts for (SIDE_A / SIDE_B; 0: none).
    agent_for: np.ndarray = field(default_factory=_unset)
    #: Declared concerts: the indices of each concert's members (:mod:`tertius.conflict.concert`).
    concerts: tuple[tuple[int, ...], ...] = ()
    #: Each concert's bargain among its members ('compromise' or 'exchange').
    concert_models: tuple[str, ...] = ()
    #: 0: the war is open; SIDE_A or SIDE_B: it is decided in that side's favour.
    won_by: int = 0
    #: A third party's fixed cost of taking up arms, in utility units, beyond its declared costs
    #: (the fitted constant for taking up arms; docs/thirdparty.md, "Fitting").
    join_cost: float = 0.0
    #: Pivotal deterrence (Crawford 2003): an armed broker threatens to join against whichever
    #: side refuses its deal, and the deal holds when that threat makes every side accept
    #: (docs/thirdparty.md, "Mechanisms"); selected by the casebook's cross-validation.
    pivotal: bool = False
    #: The prestige of convening (Touval 1982; Touval & Zartman 1985): a chair's declared
    #: ``peace_value`` is earned by convening the talks, whether or not its deal holds, instead of
    #: only where it holds (docs/thirdparty.md, "Mechanisms"); selected by the casebook's
    #: cross-validation, off by default.
    convening: bool = False
    #: (m,) bool: issues an earlier phase settled that this phase does not reopen (not its stakes):
    #: no peace table moves them, though the side that holds them may still pay with them.
    closed: np.ndarray = field(default_factory=_unset)
    #: (m,) bool: the phase's agenda (besides its stakes): issues this phase opens, so that the
    #: war decides them as it decides the stakes, and a deal settles them.
    opened: np.ndarray = field(default_factory=_unset)
    names: dict[str, str] = field(default_factory=dict)
    issue_names: dict[str, str] = field(default_factory=dict)
    side_names: tuple[str, str] = ("A", "B")
    spill_sources: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n, m = len(self.actor_ids), len(self.issue_ids)
        defaults = {"controls": np.zeros((n, m), dtype=bool), "broker_kind": np.zeros(n, dtype=np.int8),
                    "declared_broker": np.zeros(n, dtype=bool), "guarantee": np.zeros(n), "peace_value": np.zeros(n),
                    "closed": np.zeros(m, dtype=bool), "opened": np.zeros(m, dtype=bool), "agent_for": np.zeros(n, dtype=np.int8)}
        for name, value in defaults.items():
            if getattr(self, name).size == 0 and value.size != 0:
                object.__setattr__(self, name, value)

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


#: The expected utility of an option a third party does not have (brokering without a stake or a
#: declared instrument; an option a commitment rules out): below any attainable utility, so it is
#: never a best response and its probability is 0 in every model.
UNAVAILABLE = -1e6


def side_demands(war: War) -> np.ndarray:
    """(D, 2, m) each side's demand on each issue: the compromise of its members' positions
    (capability x salience weighted mean; van den Bos 1991, Achen 2006), salience alone where
    the members' capabilities are all 0; NaN where no member takes a stance."""
    x, s = war.position, war.salience
    cares = (s > 0) & ~np.isnan(x)
    out = []
    for code in (SIDE_A, SIDE_B):
        member = (war.side == code)[None, :, None] & cares
        cap = np.where(war.side == code, war.capability, 0.0)  # (D, n)
        cap = np.where(cap.sum(-1, keepdims=True) > 0, cap, 1.0)
        w = np.where(member, cap[..., None] * s, 0.0)
        total = w.sum(-2)
        out.append(np.where(total > 0, (w * np.nan_to_num(x)).sum(-2) / np.where(total > 0, total, 1.0), np.nan))
    return np.stack(out, axis=1)


def has_stake(war: War) -> np.ndarray:
    """(D, n) whether each actor has a stake in the war (docs/thirdparty.md, "A stake before a
    choice"): on some stake it takes a side, with a stance (salience > 0) nearer one side's demand
    than the other's (:func:`side_demands`), or it claims an issue that is not a stake (a claim of
    its own it could bring to a peace table or be paid with). A stance exactly halfway between the
    sides' demands on every stake, and no claim of its own, is no stake: such a third party, the
    impartial chair of Simmel's triad, may broker only through a declared role."""
    x, s = war.position, war.salience
    cares = (s > 0) & ~np.isnan(x)
    d = side_demands(war)
    with np.errstate(invalid="ignore"):
        lean = np.abs(np.abs(x - d[:, None, 0]) - np.abs(x - d[:, None, 1])) > 1e-9 * war.span
    return (cares & war.stakes & lean).any(-1) | (cares & ~war.stakes & war.claims).any(-1)


def instrument(war: War) -> np.ndarray:
    """(n,) whether each actor has a declared instrument of a third party: a broker role of any
    kind (``brokers``: armed, channel, guarantor with its ``guarantee``, chair with its
    ``peace_value``, agent), membership of a concert, a side deal that names it, or issues it
    controls (``controls``)."""
    out = war.declared_broker.copy() | war.controls.any(-1)
    for k, *_ in war.side_deals:
        out[k] = True
    return out


def may_broker(war: War) -> np.ndarray:
    """(D, n) whether brokering is open to each actor: a stake before a choice. Without a stake
    (:func:`has_stake`) and without a declared instrument (:func:`instrument`) the broker option
    is unavailable: the game gives it :data:`UNAVAILABLE`, so it is never selected and every
    model gives it probability 0."""
    return has_stake(war) | instrument(war)[None]


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


def phase_by_id(scenario: Scenario, phase_id: str) -> Phase:
    c = scenario.conflict
    assert c is not None
    return next(ph for ph in c.phases if ph.id == phase_id)


def phase_status_quo(scenario: Scenario, phase: Phase | None) -> np.ndarray:
    """The status quo a phase starts from: the scenario's, then (for a phase that follows another)
    that phase's status quo and observed settlement, then the phase's own declarations."""
    arr = scenario.arrays
    issues = list(arr.issue_ids)
    if phase is None:
        return arr.status_quo.copy()
    if phase.follows is not None:
        earlier = phase_by_id(scenario, phase.follows)
        sq = phase_status_quo(scenario, earlier)
        for i, q in earlier.observed.items():
            sq[issues.index(i)] = q.value
    else:
        sq = arr.status_quo.copy()
    for i, q in phase.status_quo.items():
        sq[issues.index(i)] = q.value
    return sq


def settled_before(scenario: Scenario, phase: Phase | None) -> set[str]:
    """Issues the phases this one follows settled (observed there)."""
    if phase is None or phase.follows is None:
        return set()
    earlier = phase_by_id(scenario, phase.follows)
    return set(earlier.observed) | settled_before(scenario, earlier)


def phase_stances(scenario: Scenario, phase: Phase | None) -> tuple[np.ndarray, np.ndarray]:
    """Positions and saliences in force in the phase: the scenario's, with the phase's changes."""
    arr = scenario.arrays
    position, salience = arr.position.copy(), arr.salience.copy()
    if phase is not None:
        for st in phase.stances:
            k, i = arr.actor_ids.index(st.actor), arr.issue_ids.index(st.issue)
            position[k, i] = st.position.value
            salience[k, i] = st.salience.value / scenario.salience_scale
    return position, salience


def claimed(scenario: Scenario, phase: Phase | None, actor: str) -> set[str] | None:
    """The issues ``actor`` holds a claim on in the phase (the phase's ``claims``, else the
    conflict's); None when the case declares no claims anywhere (docs/casebook.md, rule 2)."""
    c = scenario.conflict
    if c is None:
        return None
    declared = phase.claims if phase is not None and phase.claims is not None else c.claims
    if declared is None:
        return None if all(ph.claims is None for ph in c.phases) else set()
    return {i for cl in declared if cl.actor == actor for i in cl.issues}


def _declared(c: Conflict, phase: Phase | None, name: str) -> list:
    own = getattr(phase, name) if phase is not None else None
    return list(own) if own is not None else list(getattr(c, name))


def _mechanisms(scenario: Scenario, c: Conflict, phase: Phase | None, ids: list[str], issues: list[str]
                ) -> dict:
    """The declared controls, broker kinds, side deals and commitments in force in the phase, as arrays."""
    n, m = len(ids), len(issues)
    controls = np.zeros((n, m), dtype=bool)
    for ctl in _declared(c, phase, "controls"):
        controls[ids.index(ctl.actor), [issues.index(i) for i in ctl.issues]] = True
    claims = np.ones((n, m), dtype=bool)
    for k, a in enumerate(ids):
        held = claimed(scenario, phase, a)
        if held is not None:
            claims[k] = np.isin(issues, sorted(held))
    kind, declared = np.zeros(n, dtype=np.int8), np.zeros(n, dtype=bool)
    guarantee, peace = np.zeros(n), np.zeros(n)
    agent_for = np.zeros(n, dtype=np.int8)
    concerts = tuple(tuple(ids.index(a) for a in cc.members) for cc in _declared(c, phase, "concerts"))
    concert_models = tuple(cc.model for cc in _declared(c, phase, "concerts"))
    for members in concerts:
        declared[list(members)] = True  # a concert's members may broker, with or without a stake
    for br in _declared(c, phase, "brokers"):
        k = ids.index(br.actor)
        kind[k], declared[k] = BROKER_KINDS.index(br.kind), True
        agent_for[k] = {"a": SIDE_A, "b": SIDE_B}.get(br.side or "", 0)
        guarantee[k] = br.guarantee.value if br.guarantee is not None else 0.0
        peace[k] = br.peace_value.value if br.peace_value is not None else 0.0
    deals = tuple((ids.index(sd.third_party), SIDE_A if sd.side == "a" else SIDE_B, ROLE[sd.option],
                   np.isin(issues, sd.issues), sd.paid == "now") for sd in _declared(c, phase, "side_deals"))
    commitments = tuple((ids.index(cm.actor), ROLE[cm.option], ids.index(cm.when.actor), ROLE[cm.when.option])
                        for cm in _declared(c, phase, "commitments"))
    won_by = {"a": SIDE_A, "b": SIDE_B}.get(phase.won_by or "", 0) if phase is not None else 0
    return {"controls": controls, "claims": claims, "broker_kind": kind, "declared_broker": declared, "guarantee": guarantee,
            "peace_value": peace, "agent_for": agent_for, "concerts": concerts, "concert_models": concert_models,
            "side_deals": deals,
            "commitments": commitments, "won_by": won_by}


#: The plain game's setting: no fixed cost of taking up arms, neither variant; what a scenario plays
#: unless its conflict declares another (docs/thirdparty.md, "The formalism", 11).
PLAIN: dict[str, Any] = {"join_cost": 0.0, "pivotal": False, "convening": False}


def declared_setting(c: Conflict) -> dict[str, Any]:
    """The game's setting a conflict declares: ``join_cost``, ``pivotal`` and ``convening``, each
    :data:`PLAIN`'s where it declares none."""
    declared = {"join_cost": None if c.join_cost is None else float(c.join_cost.value), "pivotal": c.pivotal,
                "convening": c.convening}
    return {k: PLAIN[k] if v is None else v for k, v in declared.items()}


def war_setting(war: War) -> dict[str, Any]:
    """The setting a war is played at, in :data:`PLAIN`'s keys."""
    return {"join_cost": float(war.join_cost), "pivotal": bool(war.pivotal), "convening": bool(war.convening)}


def build_war(scenario: Scenario, phase: Phase | None = None) -> War:
    """The arrays of one phase (D = 1)."""
    c: Conflict | None = scenario.conflict
    if c is None:
        raise InputError(f"scenario '{scenario.id}' declares no conflict", fix="add a 'conflict:' section "
                         "with side_a, side_b, stakes and third_parties (see 'tertius schema')")
    arr = scenario.arrays
    ids, issues = list(arr.actor_ids), list(arr.issue_ids)
    sq = phase_status_quo(scenario, phase)
    position, salience = phase_stances(scenario, phase)
    miles = miles_to_theatre(scenario, c) if c.contest == "war-trap" else None
    side = np.where(np.isin(ids, c.side_a.actors), 1, np.where(np.isin(ids, c.side_b.actors), 2, 0))
    spill = np.zeros((len(ids), len(issues)), dtype=bool)
    sources: dict[str, list[str]] = {}
    for sp in c.spillovers:
        k = ids.index(sp.beneficiary)
        spill[k, [issues.index(i) for i in sp.issues]] = True
        sources.setdefault(sp.beneficiary, []).append(sp.source or sp.assumption or "a declared clause")
    stakes_ids = phase.stakes if phase is not None and phase.stakes is not None else c.stakes
    agenda = list(phase.agenda) if phase is not None and phase.agenda is not None else None
    # an agenda reopens what a followed phase settled (docs/thirdparty.md, "Mechanisms", 10)
    closed = np.isin(issues, sorted(settled_before(scenario, phase) - set(stakes_ids) - set(agenda or ())))
    if agenda is not None:  # only the agenda and the stakes are open
        closed |= ~np.isin(issues, agenda + list(stakes_ids))
    opened = np.isin(issues, agenda) & ~closed if agenda is not None else np.zeros(len(issues), dtype=bool)
    war = War(
        actor_ids=ids, issue_ids=issues, position=position[None], salience=salience[None],
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
        closed=closed, opened=opened, **declared_setting(c), **_mechanisms(scenario, c, phase, ids, issues),
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


#: The fields of a War that vary with the draws (leading axis D).
DRAWN = ("position", "salience", "capability", "strength")
#: Per-actor fields that the game broadcasts against its (D, P, n) arrays.
STACKED = ("cost", "broker_cost", "guarantee", "peace_value")


def rows(war: War, idx: np.ndarray) -> War:
    """The war restricted to the draws ``idx``: the drawn fields, and the per-actor fields that
    carry a draw axis ((D, 1, n), :func:`stack`)."""
    changes = {name: getattr(war, name)[idx] for name in DRAWN}
    changes.update({name: getattr(war, name)[idx] for name in STACKED if np.ndim(getattr(war, name)) == 3})
    return replace(war, **changes)


#: The fields that only name things (the game reads none of them but the numbers of actors and
#: issues): wars of different conflicts with the same shape may be batched without them.
LABELS = ("actor_ids", "issue_ids", "names", "issue_names", "side_names", "spill_sources")


def stack(wars: list[War], labels: bool = True) -> list[tuple[np.ndarray, War]]:
    """The wars (D = 1 each) as few batched wars as the game allows: groups of (indices, war).
    Fields that vary with the draws are stacked on their leading axis; per-actor arrays and plain
    that differ between the wars (:data:`STACKED`) get a draw axis ((D, 1, n)), which the game
    broadcasts; anything else that differs (plain numbers such as ``loser_weight``, the
    declarations) splits the wars into groups of equal values. The distances enter through the
    strengths only, so they need no field of their own. With ``labels`` False, wars that differ
    only in their :data:`LABELS` (other conflicts of the same shape, e.g. a decision table's
    disputes) share a group, which carries the first war's labels and numbers of actors and
    issues: its results are read by position, not by name."""
    if not wars:
        return []
    skip = DRAWN + STACKED + ("miles", "miles_per_day") + (() if labels else LABELS)
    names = [f.name for f in fields(War) if f.name not in skip]
    groups: dict[tuple, list[int]] = {}
    for k, w in enumerate(wars):
        shape = () if labels else (len(w.actor_ids), len(w.issue_ids))
        groups.setdefault(shape + tuple(_hashable(getattr(w, name)) for name in names), []).append(k)
    out = []
    for idx in groups.values():
        ws = [wars[k] for k in idx]
        first = ws[0]
        changes: dict[str, Any] = {name: np.concatenate([getattr(w, name) for w in ws]) for name in DRAWN}
        for name in STACKED:
            vals = np.stack([getattr(w, name) for w in ws])
            if not (vals == vals[0]).all():
                changes[name] = vals[:, None, :]
        out.append((np.array(idx), replace(first, **changes)))
    return out


#: Per-actor fields with the actor axis last ((n,), or (D, 1, n) where :func:`stack` gave them a
#: draw axis), and those with the actor axis first ((n, m)).
PER_ACTOR = ("side", "third", "cost", "broker_cost", "broker_kind", "declared_broker", "guarantee", "peace_value",
             "agent_for")
PER_ACTOR_ROWS = ("spill", "controls", "claims")


def players(war: War) -> np.ndarray | None:
    """(n,) bool: the actors the third parties' game needs, or None where it needs every actor.

    An actor on neither side and no third party (one the conflict does not name, e.g. a member
    of a large negotiation the war is one part of) is a bystander in every profile: its weight
    at every peace table is 0 and its own utility enters no one else's. So the game among the
    others gives every other actor the same values, provided no compromise falls back on the
    unweighted mean of every actor's position (:func:`tertius.models.central.weighted_mean`,
    where all weights on an issue are 0). That fallback cannot happen when each side's members
    have a positive capability x salience on every issue in every draw: each settlement gives
    one side its full weight (the victor's, or the table's of an open war). Where it could
    happen, or where every actor plays, None. Actors a declaration names (side deals,
    commitments, concerts, controls, broker roles) are kept too."""
    keep = (war.side != 0) | war.third | war.declared_broker | war.controls.any(-1)
    for k, *_ in war.side_deals:
        keep[k] = True
    for k, _, when, _ in war.commitments:
        keep[[k, when]] = True
    for members in war.concerts:
        keep[list(members)] = True
    if keep.all():
        return None
    present = ~np.isnan(war.position)
    for code in (SIDE_A, SIDE_B):
        member = present & (war.side == code)[None, :, None]
        weight = np.where(member, war.capability[..., None] * war.salience, 0.0).sum(-2)  # (D, m)
        if not (weight > 0).all():
            return None
    return keep


def restrict(war: War, keep: np.ndarray) -> War:
    """The war among the actors ``keep`` (n,) bool only (see :func:`players`): every per-actor
    array sliced, the declarations' actor indices renumbered. Capability shares and strengths
    are sliced, not recomputed: they stay shares of the whole scenario's capability."""
    idx = np.nonzero(keep)[0]
    new = {int(old): k for k, old in enumerate(idx)}
    changes: dict[str, Any] = {name: getattr(war, name)[:, idx] for name in DRAWN}
    changes.update({name: getattr(war, name)[..., idx] for name in PER_ACTOR})
    changes.update({name: getattr(war, name)[idx] for name in PER_ACTOR_ROWS})
    changes["actor_ids"] = [war.actor_ids[k] for k in idx]
    changes["miles"] = None if war.miles is None else war.miles[idx]
    changes["side_deals"] = tuple((new[int(k)], side, option, mask, now) for k, side, option, mask, now in war.side_deals)
    changes["commitments"] = tuple((new[int(k)], option, new[int(when)], when_option)
                                   for k, option, when, when_option in war.commitments)
    changes["concerts"] = tuple(tuple(new[int(k)] for k in members) for members in war.concerts)
    return replace(war, **changes)


def _hashable(x: Any) -> Any:
    """A key equal for equal values: arrays by shape, type and bytes (so NaN equals NaN)."""
    if isinstance(x, np.ndarray):
        return (x.shape, x.dtype.str, x.tobytes())
    if isinstance(x, (tuple, list)):
        return tuple(_hashable(v) for v in x)
    if isinstance(x, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in x.items()))
    return x
