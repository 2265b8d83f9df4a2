"""The scenario: actors, issues and the actors' stances on the issues.

A :class:`Scenario` is a small frozen value object. Constructing one validates it: ids are
unique and known, positions lie on their issue's scale, saliences lie in ``[0, 1]`` (or
``[0, 100]`` when the scenario declares ``salience_scale: 100``), capabilities are not
negative, every number is finite, and every issue has at least one actor with a position.

Any number can carry its provenance: write ``0.2896`` or
``{value: 0.2896, source: cow-nmc}`` or ``{value: 0.5, assumption: "why"}``, and the width within
which it may move: ``range: [0.05, 0.3]`` or ``plus_minus: 0.05`` (else a default rule per kind of
input, :mod:`tertius.uncertainty`).
"""

from __future__ import annotations

import math
from functools import cached_property
from html import escape as html_escape
from typing import Any, Literal, NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from tertius.errors import ScenarioProblem
from tertius.text import html_table

_CONFIG = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Quantity(BaseModel):
    """A number with an optional source or stated assumption."""

    model_config = _CONFIG

    value: float
    source: str | None = None
    assumption: str | None = None
    #: The interval the number may lie in, [lo, hi] with lo <= value <= hi; or a half-width.
    range: tuple[float, float] | None = None
    plus_minus: float | None = Field(default=None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: Any) -> Any:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"value": data}
        return data

    @model_validator(mode="after")
    def _in_range(self) -> Quantity:
        if self.range is not None:
            lo, hi = self.range
            if not lo <= self.value <= hi:
                raise ValueError(f"value {self.value:g} lies outside its range [{lo:g}, {hi:g}]; "
                                 "widen the range or correct the value")
            if self.plus_minus is not None:
                raise ValueError("give either range or plus_minus, not both")
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        # the readers accept a bare number as well as the mapping
        return {"anyOf": [{"type": "number"}, {"type": "object", "required": ["value"], "additionalProperties": False,
                                               "properties": {"value": {"type": "number"},
                                                              "source": {"type": "string"},
                                                              "assumption": {"type": "string"},
                                                              "range": {"type": "array", "items": {"type": "number"},
                                                                        "minItems": 2, "maxItems": 2},
                                                              "plus_minus": {"type": "number", "minimum": 0}}}]}

    @model_serializer(mode="plain")
    def _serialize(self) -> Any:
        if self.source is None and self.assumption is None and self.range is None and self.plus_minus is None:
            return _compact(self.value)
        out: dict[str, Any] = {"value": _compact(self.value)}
        if self.source is not None:
            out["source"] = self.source
        if self.assumption is not None:
            out["assumption"] = self.assumption
        if self.range is not None:
            out["range"] = [_compact(x) for x in self.range]
        if self.plus_minus is not None:
            out["plus_minus"] = _compact(self.plus_minus)
        return out


def _compact(x: float) -> float | int:
    return int(x) if float(x).is_integer() and abs(x) < 2**53 else x


class Scale(BaseModel):
    """An issue's scale: its bounds and labelled anchor points."""

    model_config = _CONFIG

    min: float = 0.0
    max: float = 100.0
    anchors: dict[float, str] = Field(default_factory=dict)

    @model_serializer(mode="plain")
    def _serialize(self) -> Any:
        out: dict[str, Any] = {"min": _compact(self.min), "max": _compact(self.max)}
        if self.anchors:
            out["anchors"] = {_compact(k): v for k, v in self.anchors.items()}
        return out


class Location(BaseModel):
    """A place in degrees of latitude and longitude."""

    model_config = _CONFIG

    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    name: str | None = None
    source: str | None = None


class Actor(BaseModel):
    model_config = _CONFIG

    id: str = Field(min_length=1)
    name: str = ""
    capability: Quantity
    group: str | None = None
    description: str | None = None
    #: Where the actor projects power from (its capital), for loss of strength over distance.
    location: Location | None = None
    #: Or directly its distance to the conflict's theatre, in miles.
    distance: Quantity | None = None


Option = Literal["join-a", "join-b", "neutral", "broker"]


class OptionRow(NamedTuple):
    """One option of a third party: its code, what it is called ({a} and {b} are the sides'
    names), the side it joins ('a', 'b' or None), its kind, its role number in the game's arrays,
    and its place when expected utilities tie (the least committing first)."""

    code: str
    label: str
    joins: str | None
    kind: str
    role: int
    tie: int


#: The one table of a third party's options, in the order they are shown.
OPTION_TABLE = (
    OptionRow("join-a", "join {a}", "a", "join", 1, 2),
    OptionRow("join-b", "join {b}", "b", "join", 2, 3),
    OptionRow("neutral", "stay out", None, "neutral", 0, 0),
    OptionRow("broker", "broker a deal", None, "broker", 3, 1),
)
OPTION_CODES = tuple(o.code for o in OPTION_TABLE)
OPTION_LABELS = {o.code: o.label for o in OPTION_TABLE}
OPTION_KINDS = {o.code: o.kind for o in OPTION_TABLE}
#: The codes in the order of the game's role numbers, and in the order ties are ranked.
OPTIONS_BY_ROLE = tuple(o.code for o in sorted(OPTION_TABLE, key=lambda o: o.role))
OPTIONS_BY_TIE = tuple(o.code for o in sorted(OPTION_TABLE, key=lambda o: o.tie))


def option_labels(a: str, b: str) -> dict[str, str]:
    """Each option's label with the sides' names ``a`` and ``b`` filled in, in the table's order."""
    return {o.code: o.label.format(a=a, b=b) for o in OPTION_TABLE}


class Side(BaseModel):
    """One side of a conflict."""

    model_config = _CONFIG

    name: str
    actors: list[str] = Field(min_length=1)


class Stance(BaseModel):
    """One actor's position on one issue, and how much the issue matters to it."""

    model_config = _CONFIG

    actor: str
    issue: str
    position: Quantity
    salience: Quantity
    source: str | None = None
    assumption: str | None = None


class ActorIssues(BaseModel):
    """An actor and some issues, with a source or a stated assumption."""

    model_config = _CONFIG

    actor: str
    issues: list[str] = Field(min_length=1)
    source: str | None = None
    assumption: str | None = None


class Control(ActorIssues):
    """Issues a belligerent can concede on its own: what it can pay a third party with."""


class Claim(ActorIssues):
    """Issues a third party holds a claim on: where its own gains are scored (docs/casebook.md,
    "Two rules", rule 2)."""


#: The kinds of broker (docs/thirdparty.md, "Mechanisms"): an armed mediator whose leverage is
#: its threat to join against whoever refuses; a go-between that holds the only channel between
#: the sides; a guarantor that raises the deal's chance of holding; a chair with no stake that
#: values peace; an agent that acts for one side and carries that side's positions to the table.
BrokerKind = Literal["armed", "channel", "guarantor", "chair", "agent"]


class BrokerRole(BaseModel):
    """The kind of broker a third party can be, with its source."""

    model_config = _CONFIG

    actor: str
    kind: BrokerKind = "armed"
    #: Guarantor: how much it raises the probability that the deal holds (0-1).
    guarantee: Quantity | None = None
    #: Chair: the utility it draws from a deal being struck (the units of one fully won issue of
    #: salience 1), for peace or prestige.
    peace_value: Quantity | None = None
    #: Agent: the side it acts for ('a' or 'b').
    side: Literal["a", "b"] | None = None
    source: str | None = None
    assumption: str | None = None


class Concert(BaseModel):
    """Third parties that broker as one body (docs/thirdparty.md, "Concerts"): it acts while every
    member brokers (the unanimity rule of the Concert of Europe's collective notes)."""

    model_config = _CONFIG

    id: str = Field(min_length=1)
    members: list[str] = Field(min_length=2)
    rule: Literal["unanimity"] = "unanimity"
    #: The members' own bargain: the compromise model (issue by issue) or Stokman's exchange
    #: model (vote trading across issues).
    model: Literal["compromise", "exchange"] = "compromise"
    source: str | None = None
    assumption: str | None = None


class SideDeal(BaseModel):
    """An instrument a side may offer a third party outside the peace: concessions on some
    issues in return for an option (neutrality, or joining the paying side)."""

    model_config = _CONFIG

    third_party: str
    #: The side that pays: 'a' or 'b'.
    side: Literal["a", "b"]
    #: What it pays for.
    option: Option = "neutral"
    issues: list[str] = Field(min_length=1)
    #: 'now' (whatever the war's result) or 'on-victory' (only if the paying side wins).
    paid: Literal["now", "on-victory"] = "now"
    source: str | None = None
    assumption: str | None = None


class Choice(BaseModel):
    model_config = _CONFIG

    actor: str
    option: Option


class Commitment(BaseModel):
    """A declared tie among third parties: if ``when.actor`` takes ``when.option``, ``actor``
    takes ``option`` (e.g. an alliance's casus foederis)."""

    model_config = _CONFIG

    actor: str
    option: Option
    when: Choice
    source: str | None = None
    assumption: str | None = None


class Phase(BaseModel):
    """A stage of the conflict analysed with the same machinery, with its own inputs."""

    model_config = _CONFIG

    id: str = Field(min_length=1)
    name: str = ""
    period: str | None = None
    summary: str | None = None
    #: Issues fought over in this phase (default: the conflict's).
    stakes: list[str] | None = None
    third_parties: list[str] | None = None
    #: Capabilities in force in this phase, by actor.
    capabilities: dict[str, Quantity] = Field(default_factory=dict)
    status_quo: dict[str, Quantity] = Field(default_factory=dict)
    observed: dict[str, Quantity] = Field(default_factory=dict)
    #: The option each third party actually took, for comparison with the analysis.
    actual: dict[str, Option] = Field(default_factory=dict)
    #: Start from that (earlier) phase's result: its observed outcomes become the status quo.
    follows: str | None = None
    #: The war between the sides is decided ('a' or 'b'): a phase that revises a settlement.
    won_by: Literal["a", "b"] | None = None
    #: Stances that change in this phase (same form as the scenario's stances).
    stances: list[Stance] = Field(default_factory=list)
    #: Replace the conflict's declarations of the same name in this phase.
    controls: list[Control] | None = None
    claims: list[Claim] | None = None
    brokers: list[BrokerRole] | None = None
    side_deals: list[SideDeal] | None = None
    commitments: list[Commitment] | None = None
    concerts: list[Concert] | None = None
    #: The issues this phase opens (besides its stakes); every other issue keeps the previous
    #: phase's settlement or its status quo. Default: every issue.
    agenda: list[str] | None = None


class Override(BaseModel):
    model_config = _CONFIG

    actor: str | None = None
    issue: str | None = None
    position: float | None = Field(default=None, ge=0)
    salience: float | None = Field(default=None, ge=0)
    capability: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _target(self) -> Override:
        if self.actor is None and self.issue is None:
            raise ValueError("an override names an actor, an issue or both")
        return self


class Perturbation(BaseModel):
    """How much each input may move in a sweep (see :mod:`tertius.perturb`)."""

    model_config = _CONFIG

    distribution: Literal["uniform", "normal", "truncnorm"] = "uniform"
    position: float = Field(default=10.0, ge=0)
    salience: float = Field(default=0.2, ge=0)
    capability: float = Field(default=0.25, ge=0)
    overrides: list[Override] = Field(default_factory=list)


class Spillover(BaseModel):
    """A clause by which a third party receives on the named issues the terms a side obtains,
    without being a party to the settlement (e.g. a most-favoured-nation article)."""

    model_config = _CONFIG

    beneficiary: str
    #: The side whose terms spill over: 'a' or 'b'.
    side: Literal["a", "b"]
    issues: list[str] = Field(min_length=1)
    source: str | None = None
    assumption: str | None = None


class Conflict(BaseModel):
    """Two sides at war over some issues, and the third parties who may join, stay out or broker.

    ``costs`` are each actor's costs of fighting as a share of its total stake (the sum of its
    saliences): 0.1 means fighting costs it a tenth of all it could gain or lose.
    ``loser_weight`` multiplies the losing side's capabilities in the post-war settlement.
    """

    model_config = _CONFIG

    side_a: Side
    side_b: Side
    stakes: list[str] = Field(min_length=1)
    third_parties: list[str] = Field(default_factory=list)
    theatre: Location | None = None
    contest: Literal["war-trap", "tullock"] = "war-trap"
    decisiveness: float = Field(default=1.0, gt=0)
    miles_per_day: float = Field(default=250.0, gt=0)
    costs: dict[str, Quantity] = Field(default_factory=dict)
    #: A third party's costs of brokering, as a share of its stake (default 0).
    broker_costs: dict[str, Quantity] = Field(default_factory=dict)
    loser_weight: Quantity = Field(default_factory=lambda: Quantity(
        value=0.1, assumption="the loser keeps a tenth of its bargaining weight at the peace table"))
    #: Issues whose terms accrue only to the parties of the settlement (the sides, the third
    #: parties that join them and the brokers): a bystander keeps the status quo on them, unless
    #: a spillover clause gives it a side's terms.
    exclusive: list[str] = Field(default_factory=list)
    spillovers: list[Spillover] = Field(default_factory=list)
    controls: list[Control] = Field(default_factory=list)
    #: The issues each third party holds a claim on (docs/casebook.md, "Two rules"): None when
    #: the case declares none (its gains are then scored on every issue a third party cares about).
    claims: list[Claim] | None = None
    brokers: list[BrokerRole] = Field(default_factory=list)
    side_deals: list[SideDeal] = Field(default_factory=list)
    commitments: list[Commitment] = Field(default_factory=list)
    concerts: list[Concert] = Field(default_factory=list)
    phases: list[Phase] = Field(default_factory=list)
    #: The game's setting (docs/thirdparty.md, "The formalism", 11): a fixed cost of taking up
    #: arms in utility units beyond the declared costs (None: 0), and the variants of pivotal
    #: deterrence and of the prestige of convening (None: off). Off by default: the plain game;
    #: ``tertius broker --setting casebook`` declares the setting selected on the casebook.
    join_cost: Quantity | None = None
    pivotal: bool | None = None
    convening: bool | None = None


class Procedure(BaseModel):
    """The legislative procedure a scenario's issues are decided by (EU legislation, as in the
    DEU file): who proposes, whose approval is needed besides the Council, and the Council's rule."""

    model_config = _CONFIG

    #: 'COD' (co-decision) or 'CNS' (consultation), as the DEU file writes them.
    kind: str = ""
    rule: Literal["qmv", "unanimity"] = "qmv"
    #: Regulation, directive or decision ('Reg', 'Dir', 'Dec').
    instrument: str | None = None
    #: The proposal the issue belongs to (issues of one proposal are cross-validated together).
    proposal: str | None = None
    date: str | None = None
    proposer: str | None = None
    #: An actor whose approval is needed too (the Parliament under co-decision).
    chamber: str | None = None
    #: The Council's voting weights in force, by member (members without a stance included).
    council: dict[str, int] = Field(default_factory=dict)
    #: Votes needed for a qualified majority (ignored under unanimity).
    quota: int | None = None
    source: str | None = None


class Issue(BaseModel):
    model_config = _CONFIG

    id: str = Field(min_length=1)
    name: str = ""
    description: str | None = None
    scale: Scale = Field(default_factory=Scale)
    status_quo: Quantity | None = None
    observed: Quantity | None = None


class Scenario(BaseModel):
    """A validated, immutable description of a negotiation or conflict."""

    model_config = _CONFIG

    id: str = Field(min_length=1)
    title: str = ""
    period: str | None = None
    summary: str | None = None
    sources: dict[str, str] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    salience_scale: float = 1.0
    actors: list[Actor]
    issues: list[Issue]
    stances: list[Stance]
    conflict: Conflict | None = None
    perturbation: Perturbation | None = None
    procedure: Procedure | None = None

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        check_scenario(self)
        if self.procedure is not None:
            check_procedure(self, self.procedure)
        if self.conflict is not None:
            check_conflict(self, self.conflict)
        if self.perturbation is not None:
            check_overrides(self, self.perturbation)
        return self

    # ------------------------------------------------------------------ lookups
    @cached_property
    def actor_ids(self) -> list[str]:
        return [a.id for a in self.actors]

    @cached_property
    def issue_ids(self) -> list[str]:
        return [i.id for i in self.issues]

    def actor(self, actor_id: str) -> Actor:
        return self.actors[self.actor_ids.index(actor_id)]

    def issue(self, issue_id: str) -> Issue:
        return self.issues[self.issue_ids.index(issue_id)]

    @cached_property
    def arrays(self) -> ScenarioArrays:
        return ScenarioArrays.from_scenario(self)

    def to_data(self) -> dict[str, Any]:
        """The scenario as plain data, in the canonical YAML layout."""
        return self.model_dump(mode="python", exclude_none=True, exclude_defaults=False)

    def __repr__(self) -> str:
        extra = []
        if self.conflict is not None:
            phases = len(self.conflict.phases)
            extra.append(f"a conflict{f' in {phases} phases' if phases else ''}, "
                         f"{len(self.conflict.third_parties)} third parties")
        if self.procedure is not None:
            extra.append(f"procedure {self.procedure.kind or self.procedure.rule}")
        observed = sum(i.observed is not None for i in self.issues)
        if observed:
            extra.append(f"{observed} observed outcomes")
        tail = "; " + "; ".join(extra) if extra else ""
        return (f"<Scenario {self.id}: {len(self.actors)} actors, {len(self.issues)} issues, "
                f"{len(self.stances)} stances{tail}>")

    __str__ = __repr__

    def _repr_html_(self) -> str:
        title = f"<p><b>{html_escape(self.title or self.id)}</b> <code>{html_escape(self.id)}</code></p>"
        actors = html_table(["actor", "name", "capability", "source or assumption"],
                            [[a.id, a.name, a.capability.value, a.capability.source or a.capability.assumption]
                             for a in self.actors], caption="Actors")
        issues = html_table(["issue", "name", "scale", "status quo", "observed"],
                            [[i.id, i.name, f"{i.scale.min:g}–{i.scale.max:g}",
                              None if i.status_quo is None else i.status_quo.value,
                              None if i.observed is None else i.observed.value] for i in self.issues], caption="Issues")
        grid = {(st.actor, st.issue): f"{st.position.value:g} / {st.salience.value:g}" for st in self.stances}
        stances = html_table(["actor", *self.issue_ids],
                             [[a, *[grid.get((a, i), "") for i in self.issue_ids]] for a in self.actor_ids],
                             caption="Stances (position / salience)")
        return title + actors + issues + stances


#: The largest magnitude tertius accepts for a position, bound, capability or cost: beyond it
#: sums of products in the models could overflow to infinity.
MAX_MAGNITUDE = 1e12


def _too_big(x: float) -> bool:
    return not abs(x) <= MAX_MAGNITUDE


def _check_magnitudes(s: Scenario) -> None:
    def check(path: tuple, x: float, what: str) -> None:
        if _too_big(x):
            raise ScenarioProblem(path, f"{what} {x:g} is too large", f"use numbers within ±{MAX_MAGNITUDE:g} "
                                  "(rescale the issue or the capabilities)")

    for k, a in enumerate(s.actors):
        check(("actors", k, "capability"), a.capability.value, "capability")
        if a.distance is not None:
            check(("actors", k, "distance"), a.distance.value, "distance")
    for k, i in enumerate(s.issues):
        check(("issues", k, "scale", "min"), i.scale.min, "scale bound")
        check(("issues", k, "scale", "max"), i.scale.max, "scale bound")
    if _too_big(s.salience_scale):
        raise ScenarioProblem(("salience_scale",), "salience_scale is too large", "use 1 or 100")
    total = sum(a.capability.value for a in s.actors)
    if _too_big(total):
        raise ScenarioProblem(("actors",), f"the capabilities add up to {total:g}", "rescale them, e.g. to shares")
    if s.conflict is not None:
        for field in ("costs", "broker_costs"):
            for a, q in getattr(s.conflict, field).items():
                check(("conflict", field, a), q.value, "cost")


def _check_id(path: tuple, text: str, what: str) -> None:
    if any(c in text for c in "/\\") or any(ord(c) < 32 or ord(c) == 127 for c in text) or len(text) > 200:
        raise ScenarioProblem(path, f"{what} '{text[:40]}' holds a path separator or control character, or is over "
                              "200 characters", "use letters, digits, '-', '_' and '.'")


def check_scenario(s: Scenario) -> None:
    """Raise :class:`ScenarioProblem` at the first semantic problem, with its field path."""
    _check_id(("id",), s.id, "the scenario id")
    _check_magnitudes(s)
    if not s.actors:
        raise ScenarioProblem(("actors",), "the scenario has no actors", "add at least one actor")
    if not s.issues:
        raise ScenarioProblem(("issues",), "the scenario has no issues", "add at least one issue")
    if not s.salience_scale > 0:
        raise ScenarioProblem(("salience_scale",), "salience_scale must be positive", "use 1 or 100")
    seen: dict[str, int] = {}
    for k, a in enumerate(s.actors):
        if a.id in seen:
            raise ScenarioProblem(
                ("actors", k, "id"), f"duplicate actor id '{a.id}' (also actors[{seen[a.id]}])",
                "give every actor its own id",
            )
        seen[a.id] = k
        if a.capability.value < 0:
            raise ScenarioProblem(
                ("actors", k, "capability"),
                f"capability of '{a.id}' is {a.capability.value}, below 0",
                "capabilities are non-negative (a share such as a CINC score)",
            )
        if a.distance is not None and not a.distance.value >= 0:
            raise ScenarioProblem(
                ("actors", k, "distance"),
                f"distance of '{a.id}' is {a.distance.value}, below 0",
                "a distance to the theatre is in miles, 0 or more",
            )
    issues: dict[str, Issue] = {}
    for k, i in enumerate(s.issues):
        if i.id in issues:
            raise ScenarioProblem(("issues", k, "id"), f"duplicate issue id '{i.id}'", "give every issue its own id")
        issues[i.id] = i
        if not i.scale.max > i.scale.min:
            raise ScenarioProblem(
                ("issues", k, "scale"),
                f"scale of '{i.id}' runs from {i.scale.min} to {i.scale.max}",
                "max must be greater than min",
            )
        for field in ("status_quo", "observed"):
            q = getattr(i, field)
            if q is not None and not i.scale.min <= q.value <= i.scale.max:
                raise ScenarioProblem(
                    ("issues", k, field),
                    f"{field} {q.value} of '{i.id}' is outside its scale [{i.scale.min}, {i.scale.max}]",
                    "use a value on the issue's scale",
                )
        for anchor in i.scale.anchors:
            if not (math.isfinite(anchor) and i.scale.min <= anchor <= i.scale.max):
                raise ScenarioProblem(
                    ("issues", k, "scale", "anchors"),
                    f"anchor {anchor} of '{i.id}' is outside its scale [{i.scale.min}, {i.scale.max}]",
                    "label points on the scale only",
                )
    pairs: dict[tuple[str, str], int] = {}
    for k, st in enumerate(s.stances):
        if st.actor not in seen:
            raise ScenarioProblem(
                ("stances", k, "actor"), f"unknown actor '{st.actor}'", f"use one of: {', '.join(seen)}"
            )
        if st.issue not in issues:
            raise ScenarioProblem(
                ("stances", k, "issue"), f"unknown issue '{st.issue}'", f"use one of: {', '.join(issues)}"
            )
        key = (st.actor, st.issue)
        if key in pairs:
            raise ScenarioProblem(
                ("stances", k),
                f"second stance of '{st.actor}' on '{st.issue}' (first is stances[{pairs[key]}])",
                "keep one stance per actor and issue",
            )
        pairs[key] = k
        scale = issues[st.issue].scale
        if not scale.min <= st.position.value <= scale.max:
            raise ScenarioProblem(
                ("stances", k, "position"),
                f"position {st.position.value} of '{st.actor}' is outside the scale of '{st.issue}' "
                f"[{scale.min}, {scale.max}]",
                "use a position on the issue's scale, or widen the scale",
            )
        if not 0 <= st.salience.value <= s.salience_scale:
            # 0-100 only when most saliences are above 1: one stray value is a typo, and
            # declaring salience_scale: 100 would silently rescale every other salience
            above = sum(x.salience.value > 1 for x in s.stances)
            hint = (
                "saliences look like 0-100: declare salience_scale: 100"
                if s.salience_scale == 1 and st.salience.value <= 100 and 2 * above > len(s.stances)
                else f"use a salience between 0 and {_compact(s.salience_scale)}"
                + (f" (the other saliences are within it: {st.salience.value:g} looks like a typo)"
                   if above == 1 else "")
            )
            raise ScenarioProblem(
                ("stances", k, "salience"),
                f"salience {st.salience.value} of '{st.actor}' on '{st.issue}' is outside "
                f"[0, {_compact(s.salience_scale)}]",
                hint,
            )
    covered = {i for (_, i) in pairs}
    for k, i in enumerate(s.issues):
        if i.id not in covered:
            raise ScenarioProblem(
                ("issues", k),
                f"no actor takes a position on issue '{i.id}'",
                "add a stance for it, or remove the issue",
            )


def check_procedure(s: Scenario, p: Procedure) -> None:
    """Raise :class:`ScenarioProblem` for a procedure naming unknown actors or an impossible quota."""
    for field in ("proposer", "chamber"):
        a = getattr(p, field)
        if a is not None and a not in s.actor_ids:
            raise ScenarioProblem(("procedure", field), f"unknown actor '{a}'", f"use one of: {', '.join(s.actor_ids)}")
    if any(w < 0 for w in p.council.values()):
        raise ScenarioProblem(("procedure", "council"), "a voting weight is negative", "use whole numbers, 0 or more")
    if p.rule == "qmv" and p.council and (p.quota is None or not 0 < p.quota <= sum(p.council.values())):
        raise ScenarioProblem(("procedure", "quota"), f"quota {p.quota} does not fit the Council's "
                              f"{sum(p.council.values())} votes", "give the qualified-majority threshold in votes")


def check_overrides(s: Scenario, spec: Perturbation) -> None:
    """Raise :class:`ScenarioProblem` for a perturbation override naming an unknown actor or issue."""
    for k, o in enumerate(spec.overrides):
        if o.actor is not None and o.actor not in s.actor_ids:
            raise ScenarioProblem(("perturbation", "overrides", k, "actor"), f"unknown actor '{o.actor}'",
                                  f"use one of: {', '.join(s.actor_ids)}")
        if o.issue is not None and o.issue not in s.issue_ids:
            raise ScenarioProblem(("perturbation", "overrides", k, "issue"), f"unknown issue '{o.issue}'",
                                  f"use one of: {', '.join(s.issue_ids)}")


def check_conflict(s: Scenario, c: Conflict) -> None:
    """Raise :class:`ScenarioProblem` for a conflict that names unknown or misplaced actors."""
    actors, issues = set(s.actor_ids), set(s.issue_ids)

    def known(ids: list[str], pool: set[str], path: tuple, what: str) -> None:
        for k, x in enumerate(ids):
            if x not in pool:
                raise ScenarioProblem(path + (k,), f"unknown {what} '{x}'", f"use one of: {', '.join(sorted(pool))}")

    known(c.side_a.actors, actors, ("conflict", "side_a", "actors"), "actor")
    known(c.side_b.actors, actors, ("conflict", "side_b", "actors"), "actor")
    both = set(c.side_a.actors) & set(c.side_b.actors)
    if both:
        raise ScenarioProblem(("conflict", "side_b", "actors"), f"{', '.join(sorted(both))} on both sides",
                              "put each actor on one side only")
    known(c.third_parties, actors, ("conflict", "third_parties"), "actor")
    fighting = set(c.side_a.actors) | set(c.side_b.actors)
    for k, t in enumerate(c.third_parties):
        if t in fighting:
            raise ScenarioProblem(("conflict", "third_parties", k), f"'{t}' is a third party and on a side",
                                  "a third party stands outside both sides")
    known(c.stakes, issues, ("conflict", "stakes"), "issue")
    for field in ("costs", "broker_costs"):
        for a, q in getattr(c, field).items():
            if a not in actors:
                raise ScenarioProblem(("conflict", field, a), f"unknown actor '{a}'", "name an actor of the scenario")
            if q.value < 0:
                raise ScenarioProblem(("conflict", field, a), "a cost is negative", "use 0 or more")
    if c.join_cost is not None and not 0 <= c.join_cost.value <= MAX_MAGNITUDE:
        raise ScenarioProblem(("conflict", "join_cost"), f"join_cost {c.join_cost.value:g} is out of range",
                              "use 0 or more, in utility units (the casebook selects 1.0)")
    known(c.exclusive, issues, ("conflict", "exclusive"), "issue")
    for k, i in enumerate(c.exclusive):
        if s.issue(i).status_quo is None and not (c.phases and all(i in ph.status_quo for ph in c.phases)):
            raise ScenarioProblem(("conflict", "exclusive", k), f"exclusive issue '{i}' has no status quo",
                                  "give the issue a status_quo: a bystander keeps it")
    for k, sp in enumerate(c.spillovers):
        path = ("conflict", "spillovers", k)
        if sp.beneficiary not in actors:
            raise ScenarioProblem(path + ("beneficiary",), f"unknown actor '{sp.beneficiary}'",
                                  f"use one of: {', '.join(sorted(actors))}")
        if sp.beneficiary in fighting:
            raise ScenarioProblem(path + ("beneficiary",), f"'{sp.beneficiary}' is on a side",
                                  "a spillover clause benefits a third party")
        known(sp.issues, issues, path + ("issues",), "issue")
    if not 0 <= c.loser_weight.value <= 1:
        raise ScenarioProblem(("conflict", "loser_weight"), "loser_weight is outside [0, 1]", "use e.g. 0.1")
    if c.contest == "war-trap":
        for k, a in enumerate(s.actors):
            if a.id in fighting | set(c.third_parties) and a.distance is None and (a.location is None or c.theatre is None):
                raise ScenarioProblem(("actors", k), f"the War Trap contest needs the distance of '{a.id}' to the theatre",
                                      "give the actor a location and the conflict a theatre, or a distance in miles")
    _check_declarations(s, ("conflict",), c.controls, c.brokers, c.side_deals, c.commitments, fighting)
    every_third = set(c.third_parties).union(*(ph.third_parties or [] for ph in c.phases))
    _check_claims(s, ("conflict",), c.claims or [], every_third)
    _check_concerts(s, ("conflict",), c.concerts, fighting, set(c.third_parties))
    seen: set[str] = set()
    for k, ph in enumerate(c.phases):
        path = ("conflict", "phases", k)
        if ph.id in seen:
            raise ScenarioProblem(path + ("id",), f"duplicate phase id '{ph.id}'", "give every phase its own id")
        if ph.follows is not None and ph.follows not in seen:
            raise ScenarioProblem(path + ("follows",), f"phase '{ph.id}' follows '{ph.follows}', which is not an "
                                  "earlier phase", f"name one of: {', '.join(sorted(seen)) or '(none: drop follows)'}")
        seen.add(ph.id)
        _check_declarations(s, path, ph.controls or [], ph.brokers or [], ph.side_deals or [], ph.commitments or [],
                            fighting)
        _check_concerts(s, path, ph.concerts or [], fighting,
                        set(ph.third_parties if ph.third_parties is not None else c.third_parties))
        _check_phase_stances(s, path, ph.stances)
        _check_claims(s, path, ph.claims or [],
                      set(ph.third_parties if ph.third_parties is not None else c.third_parties))
        if ph.agenda is not None:
            known(ph.agenda, issues, path + ("agenda",), "issue")
        if ph.stakes is not None:
            known(ph.stakes, issues, path + ("stakes",), "issue")
        if ph.third_parties is not None:
            known(ph.third_parties, actors, path + ("third_parties",), "actor")
            for j, t in enumerate(ph.third_parties):
                if t in fighting:
                    raise ScenarioProblem(path + ("third_parties", j), f"'{t}' is a third party and on a side",
                                          "a third party stands outside both sides")
        for field, pool, what in (("capabilities", actors, "actor"), ("status_quo", issues, "issue"),
                                  ("observed", issues, "issue"), ("actual", actors, "actor")):
            for key in getattr(ph, field):
                if key not in pool:
                    raise ScenarioProblem(path + (field, key), f"unknown {what} '{key}'",
                                          f"use one of: {', '.join(sorted(pool))}")
        for key, q in ph.capabilities.items():
            if q.value < 0:
                raise ScenarioProblem(path + ("capabilities", key), "a capability is negative", "use 0 or more")
        for field in ("status_quo", "observed"):
            for key, q in getattr(ph, field).items():
                sc = s.issue(key).scale
                if not sc.min <= q.value <= sc.max:
                    raise ScenarioProblem(path + (field, key), f"{field} {q.value} is outside the scale of '{key}'",
                                          "use a value on the issue's scale")


def _check_claims(s: Scenario, path: tuple, claims: list[Claim], third: set[str]) -> None:
    """Claims name a third party of their place and known issues, each with a source or an assumption."""
    issues = set(s.issue_ids)
    for k, cl in enumerate(claims):
        where = path + ("claims", k)
        if cl.actor not in third:
            raise ScenarioProblem(where + ("actor",), f"'{cl.actor}' is not a third party here",
                                  f"claims are declared for third parties: use one of {', '.join(sorted(third)) or '(none)'}")
        for j, i in enumerate(cl.issues):
            if i not in issues:
                raise ScenarioProblem(where + ("issues", j), f"unknown issue '{i}'",
                                      f"use one of: {', '.join(s.issue_ids)}")
        if not (cl.source or cl.assumption):
            raise ScenarioProblem(where, f"the claim of '{cl.actor}' has no source",
                                  "give it source: or assumption: (docs/casebook.md, \"Two rules\")")


def _check_declarations(s: Scenario, path: tuple, controls: list[Control], brokers: list[BrokerRole],
                        side_deals: list[SideDeal], commitments: list[Commitment], fighting: set[str]) -> None:
    """Controls, broker kinds, side deals and commitments name known actors and issues, in their places."""
    actors, issues = s.actor_ids, set(s.issue_ids)
    use_actor = f"use one of: {', '.join(actors)}"
    use_issue = f"use one of: {', '.join(s.issue_ids)}"
    for k, ctl in enumerate(controls):
        if ctl.actor not in fighting:
            raise ScenarioProblem(path + ("controls", k, "actor"), f"'{ctl.actor}' is not on a side",
                                  "controls are declared for the sides' members, who can concede the issues")
        for j, i in enumerate(ctl.issues):
            if i not in issues:
                raise ScenarioProblem(path + ("controls", k, "issues", j), f"unknown issue '{i}'", use_issue)
    named: set[str] = set()
    for k, br in enumerate(brokers):
        where = path + ("brokers", k)
        if br.actor not in actors:
            raise ScenarioProblem(where + ("actor",), f"unknown actor '{br.actor}'", use_actor)
        if br.actor in fighting:
            raise ScenarioProblem(where + ("actor",), f"'{br.actor}' is on a side", "a broker is a third party")
        if br.actor in named:
            raise ScenarioProblem(where + ("actor",), f"second broker entry for '{br.actor}'", "keep one per actor")
        named.add(br.actor)
        if br.guarantee is not None and not 0 <= br.guarantee.value <= 1:
            raise ScenarioProblem(where + ("guarantee",), "guarantee is outside [0, 1]", "a probability, e.g. 0.3")
        if br.peace_value is not None and br.peace_value.value < 0:
            raise ScenarioProblem(where + ("peace_value",), "peace_value is negative", "use 0 or more")
        if br.kind == "guarantor" and br.guarantee is None:
            raise ScenarioProblem(where + ("guarantee",), f"guarantor '{br.actor}' declares no guarantee",
                                  "add guarantee: {value: 0.3, source: ...}")
        if br.kind == "agent" and br.side is None:
            raise ScenarioProblem(where + ("side",), f"agent '{br.actor}' declares no side it acts for",
                                  "add side: a (or b)")
        if br.kind != "agent" and br.side is not None:
            raise ScenarioProblem(where + ("side",), f"broker '{br.actor}' of kind '{br.kind}' names a side",
                                  "only an agent acts for a side: use kind: agent, or drop side")
        if br.kind == "chair" and br.peace_value is None:
            raise ScenarioProblem(where + ("peace_value",), f"chair '{br.actor}' declares no peace_value",
                                  "add peace_value: {value: 0.3, assumption: ...}")
    for k, sd in enumerate(side_deals):
        where = path + ("side_deals", k)
        if sd.third_party not in actors:
            raise ScenarioProblem(where + ("third_party",), f"unknown actor '{sd.third_party}'", use_actor)
        if sd.third_party in fighting:
            raise ScenarioProblem(where + ("third_party",), f"'{sd.third_party}' is on a side",
                                  "a side deal pays a third party")
        if sd.option == "broker" or sd.option == f"join-{'b' if sd.side == 'a' else 'a'}":
            raise ScenarioProblem(where + ("option",), f"side {sd.side} cannot pay for '{sd.option}'",
                                  f"a side pays for neutral or for join-{sd.side}")
        for j, i in enumerate(sd.issues):
            if i not in issues:
                raise ScenarioProblem(where + ("issues", j), f"unknown issue '{i}'", use_issue)
    for k, cm in enumerate(commitments):
        where = path + ("commitments", k)
        for sub, a in (("actor",), cm.actor), (("when", "actor"), cm.when.actor):
            if a not in actors:
                raise ScenarioProblem(where + sub, f"unknown actor '{a}'", use_actor)
            if a in fighting:
                raise ScenarioProblem(where + sub, f"'{a}' is on a side", "commitments tie third parties")
        if cm.actor == cm.when.actor:
            raise ScenarioProblem(where + ("when", "actor"), "a commitment ties an actor to itself",
                                  "name another third party")


def _check_concerts(s: Scenario, path: tuple, concerts: list[Concert], fighting: set[str], third: set[str]) -> None:
    """A concert's members are known third parties, each in one concert, named once."""
    actors = s.actor_ids
    ids: set[str] = set()
    taken: dict[str, str] = {}
    for k, cc in enumerate(concerts):
        where = path + ("concerts", k)
        if cc.id in ids:
            raise ScenarioProblem(where + ("id",), f"duplicate concert id '{cc.id}'", "give every concert its own id")
        ids.add(cc.id)
        for j, a in enumerate(cc.members):
            if a not in actors:
                raise ScenarioProblem(where + ("members", j), f"unknown actor '{a}'",
                                      f"use one of: {', '.join(actors)}")
            if a in fighting:
                raise ScenarioProblem(where + ("members", j), f"'{a}' is on a side",
                                      "a concert's members are third parties")
            if a not in third:
                raise ScenarioProblem(where + ("members", j), f"'{a}' is not a third party here",
                                      f"add '{a}' to third_parties, or drop it from the concert")
            if a in taken:
                raise ScenarioProblem(where + ("members", j), f"'{a}' is already in concert '{taken[a]}'",
                                      "name each member in one concert, once")
            taken[a] = cc.id


def _check_phase_stances(s: Scenario, path: tuple, stances: list[Stance]) -> None:
    issues = {i.id: i for i in s.issues}
    seen: set[tuple[str, str]] = set()
    for k, st in enumerate(stances):
        where = path + ("stances", k)
        if st.actor not in s.actor_ids:
            raise ScenarioProblem(where + ("actor",), f"unknown actor '{st.actor}'", f"use one of: {', '.join(s.actor_ids)}")
        if st.issue not in issues:
            raise ScenarioProblem(where + ("issue",), f"unknown issue '{st.issue}'", f"use one of: {', '.join(issues)}")
        if (st.actor, st.issue) in seen:
            raise ScenarioProblem(where, f"second stance of '{st.actor}' on '{st.issue}' in this phase",
                                  "keep one stance per actor and issue")
        seen.add((st.actor, st.issue))
        sc = issues[st.issue].scale
        if not sc.min <= st.position.value <= sc.max:
            raise ScenarioProblem(where + ("position",), f"position {st.position.value} is outside the scale of "
                                  f"'{st.issue}' [{sc.min}, {sc.max}]", "use a position on the issue's scale")
        if not 0 <= st.salience.value <= s.salience_scale:
            raise ScenarioProblem(where + ("salience",), f"salience {st.salience.value} is outside "
                                  f"[0, {_compact(s.salience_scale)}]", f"use a salience between 0 and "
                                  f"{_compact(s.salience_scale)}")


class ScenarioArrays:
    """The scenario as dense arrays, the form the models compute on.

    ``position`` and ``salience`` have shape (actors, issues). Where an actor has no stance,
    ``present`` is False, the position is NaN and the salience is 0. Saliences are divided by
    the scenario's ``salience_scale``, so they always lie in [0, 1].
    """

    def __init__(
        self,
        actor_ids: list[str],
        issue_ids: list[str],
        position: np.ndarray,
        salience: np.ndarray,
        capability: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        status_quo: np.ndarray,
        observed: np.ndarray,
    ) -> None:
        self.actor_ids = actor_ids
        self.issue_ids = issue_ids
        self.position = position
        self.salience = salience
        self.capability = capability
        self.lo = lo
        self.hi = hi
        self.status_quo = status_quo
        self.observed = observed
        self.present = ~np.isnan(position)
        for a in (position, salience, capability, lo, hi, status_quo, observed, self.present):
            a.setflags(write=False)

    @property
    def span(self) -> np.ndarray:
        return self.hi - self.lo

    @classmethod
    def from_scenario(cls, s: Scenario) -> ScenarioArrays:
        n, m = len(s.actors), len(s.issues)
        a_index = {a: k for k, a in enumerate(s.actor_ids)}
        i_index = {i: k for k, i in enumerate(s.issue_ids)}
        position = np.full((n, m), np.nan)
        salience = np.zeros((n, m))
        for st in s.stances:
            a, i = a_index[st.actor], i_index[st.issue]
            position[a, i] = st.position.value
            salience[a, i] = st.salience.value / s.salience_scale

        def opt(q: Quantity | None) -> float:
            return np.nan if q is None else q.value

        return cls(
            actor_ids=list(s.actor_ids),
            issue_ids=list(s.issue_ids),
            position=position,
            salience=salience,
            capability=np.array([a.capability.value for a in s.actors], dtype=float),
            lo=np.array([i.scale.min for i in s.issues], dtype=float),
            hi=np.array([i.scale.max for i in s.issues], dtype=float),
            status_quo=np.array([opt(i.status_quo) for i in s.issues], dtype=float),
            observed=np.array([opt(i.observed) for i in s.issues], dtype=float),
        )
