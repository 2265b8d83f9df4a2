"""The third-party analysis of a scenario's conflict, phase by phase.

For every phase: the third parties' game (:mod:`tertius.conflict.game`), its pure equilibria and
the selected one, each third party's option table given the others' equilibrium options, the
probability of each option, from the choice model fitted on the decision tables and the
casebook (:mod:`tertius.conflict.choicemodel`) where the scenario gives its covariates, else from
the game's logit (:mod:`tertius.conflict.choice`), named in ``probability_model``, the shares
of perturbed draws in which each option is the third party's equilibrium choice, the recorded
choice beside the model's, and a plain-language explanation. docs/thirdparty.md has the formalism and its limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from tertius.conflict.choice import casebook_setting, fitted, game_logit, is_casebook_setting, probabilities
from tertius.conflict.choicemodel import draw_probabilities, scenario_probabilities, shipped
from tertius.conflict.draws import war_draws
from tertius.conflict.equilibrium import BEST_RESPONSE, ENUMERATION, LOGIT_QRE, METHODS, Solution, rows, solve
from tertius.conflict.game import (
    ENUMERATE_MAX,
    Play,
    option_values,
    payoffs,
    pure_equilibria,
    ranking,
)
from tertius.conflict.war import (
    BROKER_KINDS,
    N_OPTIONS,
    OPTIONS,
    PLAIN,
    ROLE,
    War,
    build_war,
    declared_setting,
    phase_capability,
    phases_of,
    war_setting,
    with_inputs,
)
from tertius.errors import InputError
from tertius.perturb import draw
from tertius.results import ThirdPartyResult
from tertius.scenario import OPTION_CODES, Perturbation, Phase, Quantity, Scenario, option_labels
from tertius.seeds import child_rng
from tertius.text import share_words

#: The order in which options are shown (the order of :data:`tertius.scenario.OPTION_TABLE`).
DISPLAY = OPTION_CODES
DEFAULT_DRAWS = 1000
#: The models a third party's ``probabilities`` may come from (``probability_model``), in words.
PROBABILITY_MODELS = {"choice-model": "the choice model", "game-logit": "the fitted logit"}


def labels(war: War) -> dict[str, str]:
    return option_labels(*war.side_names)


def _num(x: float) -> float:
    return float(round(float(x), 10)) + 0.0


def _issues(war: War, v: np.ndarray) -> dict[str, float]:
    return {i: _num(x) for i, x in zip(war.issue_ids, v, strict=True)}


def war_of_draws(scenario: Scenario, phase: Phase | None, batch: dict[str, np.ndarray]) -> War:
    """The phase's war over drawn inputs (:func:`tertius.sweeps.perturb.draw`); a phase's own
    capabilities move by the same relative draw as the scenario's."""
    cap = phase_capability(scenario, phase)
    base = scenario.arrays.capability
    factor = np.where(base > 0, cap / np.where(base > 0, base, 1.0), 1.0)
    return with_inputs(build_war(scenario, phase), batch["position"], batch["salience"], batch["capability"] * factor)


#: Array elements one batch of draws may hold while their best responses are computed, and
#: element-steps a robustness check may spend: a conflict with hundreds of third parties gets
#: fewer draws (at least MIN_DRAWS), and says so.
BATCH_ELEMENTS = 2_000_000
DRAW_BUDGET = 10_000_000
MIN_DRAWS = 10


def _size(war: War) -> int:
    """Array elements per draw in one round of best responses: 4 T profiles x n actors x m issues."""
    return N_OPTIONS * max(int(war.third.sum()), 1) * len(war.actor_ids) * len(war.issue_ids)


def draws_for(war: War, requested: int) -> int:
    """The draws a robustness check runs: as requested, unless the conflict is too large."""
    return min(requested, max(MIN_DRAWS, DRAW_BUDGET // _size(war)))


def _solve(war: War) -> Solution:
    """The reported equilibrium of every draw (:func:`tertius.conflict.equilibrium.solve`): iterated
    best response where it settles, else dominance + enumeration, else a logit QRE; a conflict
    without third parties has one profile, everyone outside the sides staying out."""
    return solve(war)


def equilibrium_options(war: War) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each draw: the reported equilibrium's option codes of the third parties (D, T), the
    method that found it (D,), an index into :data:`tertius.conflict.equilibrium.METHODS`, the
    logit probabilities there (D, T, 4), and the option values there (D, T, 4). Draws are solved
    in batches that keep the arrays within :data:`BATCH_ELEMENTS`."""
    third = np.nonzero(war.third)[0]
    step = max(1, BATCH_ELEMENTS // _size(war))
    logit = game_logit(war_setting(war))
    parts = []
    for start in range(0, war.draws, step):
        sol = _solve(rows(war, np.arange(start, min(start + step, war.draws))))
        parts.append((sol.profile[:, third], sol.method, probabilities(sol.values, **logit), sol.values))
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))  # type: ignore[return-value]


def analyse_phase(scenario: Scenario, phase: Phase | None, draws: int = DEFAULT_DRAWS, seed: int = 0,
                  perturbation: Perturbation | None = None, only: str | None = None) -> dict[str, Any]:
    war = build_war(scenario, phase)
    third = war.third_ids
    if only is not None and only not in third:
        raise InputError(f"'{only}' is not a third party of this conflict", fix=f"use one of: {', '.join(third)}")
    sol = _solve(war)
    profile, ok, vals = sol.profile, sol.ok, sol.values
    probs = probabilities(vals, **game_logit(war_setting(war)))[0]
    chosen = scenario_probabilities(scenario, war, vals[0], [OPTIONS[profile[0, war.index(t)]] for t in third])
    selected = payoffs(war, profile)
    dev_play = option_values(war, profile)[1] if third else selected
    setting, war_c = casebook_setting(), war
    setting["played"] = is_casebook_setting(war_setting(war))  # the scenario may declare it
    if third:  # the same game at the setting selected on the casebook, beside the answer
        if setting["played"]:
            play_c, profile_c = selected, profile
        else:
            war_c = replace(war, join_cost=setting["join_cost"], pivotal=setting["pivotal"],
                            convening=setting["convening"])
            sol_c = _solve(war_c)
            play_c, profile_c = payoffs(war_c, sol_c.profile), sol_c.profile
    equilibria: list[dict[str, str]] | None = None if third else [{}]  # without third parties: one, trivially
    if third and len(third) <= ENUMERATE_MAX:
        roles, is_ne = pure_equilibria(war)
        idx = [war.index(t) for t in third]
        equilibria = [{t: OPTIONS[r] for t, r in zip(third, roles[p, idx], strict=True)}
                      for p in np.nonzero(is_ne[0])[0]]
    shares: dict[str, dict[str, float]] = {}
    mean_p: dict[str, dict[str, float]] = {}
    moved: list[dict[str, Any]] = []
    method_share: dict[str, float] = {}
    used = draws_for(war, draws) if draws > 0 else 0
    if used > 0:
        spec = perturbation or scenario.perturbation or Perturbation()
        rng = child_rng(seed, "broker", phase.id if phase is not None else "")
        groups, moved_inputs = war_draws(scenario, phase, draw(scenario, spec, rng, used), rng)
        codes, p_draws = np.zeros((used, len(third)), dtype=np.int8), np.zeros((used, len(third), N_OPTIONS))
        v_draws = np.zeros_like(p_draws)
        how = np.zeros(used, dtype=np.int8)
        for rows, group in groups:  # draws that share the plain numbers of the war
            codes[rows], how[rows], p_draws[rows], v_draws[rows] = equilibrium_options(group)
        # where the choice model gives the probabilities, it gives them in every draw too
        by_choice = draw_probabilities(scenario, war, v_draws, [[OPTIONS[c] for c in row] for row in codes]) \
            if chosen else {}
        for t, p in by_choice.items():
            p_draws[:, third.index(t)] = p
        method_share = {m: float(np.mean(how == i)) for i, m in enumerate(METHODS)}
        moved = [{"input": i.key, "value": i.value, "range": [i.lo, i.hi]} for i in moved_inputs]
        for j, t in enumerate(third):
            shares[t] = {o: float(np.mean(codes[:, j] == ROLE[o])) for o in DISPLAY}
            mean_p[t] = {o: float(p_draws[:, j, ROLE[o]].mean()) for o in DISPLAY}
    parties = []
    for j, t in enumerate(third):
        if only is not None and t != only:
            continue
        item = _party(war, t, j, vals[0, j], chosen.get(t, probs[j]), dev_play, selected, profile)
        item["probability_model"] = "choice-model" if t in chosen else "game-logit"
        item["game_logit"] = {o: _num(probs[j, ROLE[o]]) for o in DISPLAY}
        item["perturbation"] = {"draws": used, "requested": draws, "seed": seed, "first": shares.get(t, {}),
                                "mean_probability": mean_p.get(t, {}), "moved": moved}
        actual = phase.actual.get(t) if phase is not None else None
        if phase is not None and actual is not None:
            item["actual"] = _actual(phase, war, t, actual, profile, item)
        item["mechanism"] = mechanism(war, t, selected)
        item["casebook_setting"] = {**setting, "option": OPTIONS[profile_c[0, war.index(t)]],
                                    "mechanism": mechanism(war_c, t, play_c)}
        item["casebook_setting"]["sentence"] = at_casebook_setting(war, item)
        item["answer"] = answer(war, item)
        item["method"] = sol.label(0)
        if sol.method[0] == LOGIT_QRE:
            item["qre"] = {o: _num(sol.mixed[0, j, ROLE[o]]) for o in DISPLAY}
        item["explanation"] = " ".join((item["answer"], explain(war, item, bool(ok[0]))))
        parties.append(item)
    a_name, b_name = war.side_names
    return {
        "id": phase.id if phase else None,
        "name": (phase.name or phase.id) if phase else "",
        "sides": [a_name, b_name],
        "strength": {a: _num(x) for a, x in zip(war.actor_ids, war.strength[0], strict=True)},
        "selected": {t: OPTIONS[profile[0, war.index(t)]] for t in third},
        "converged": bool(ok[0]),
        "equilibria": equilibria,
        "method": ("all pure equilibria by enumeration; " if equilibria is not None else "") + _selected_by(sol),
        "solver": sol.label(0),
        "solver_share": method_share,
        "p_a_wins": _num(selected.p_a[0, 0]),
        "deal_probability": _num(selected.pi[0, 0]),
        "third_parties": parties,
    }


def _selected_by(sol: Solution) -> str:
    """How the reported equilibrium was found, in words (:mod:`tertius.conflict.equilibrium`)."""
    if sol.method[0] == BEST_RESPONSE:
        return "selected by iterated best response from everyone staying out"
    if sol.method[0] == ENUMERATION:
        return ("iterated best response cycled; found by dominance + enumeration among the third parties that "
                "matter, checked against every deviation")
    return (f"iterated best response cycled and no pure equilibrium was found; reported: the {sol.label(0)} "
            "(a mixed profile; the selected options are its likeliest)")


def _party(war: War, t: str, j: int, values: np.ndarray, probs: np.ndarray, dev: Play, selected: Play,
           profile: np.ndarray) -> dict[str, Any]:
    k = war.index(t)
    options = {}
    for o in DISPLAY:
        row = N_OPTIONS * j + ROLE[o]
        opt: dict[str, Any] = {
            "expected_utility": _num(values[ROLE[o]]),
            "probability": _num(probs[ROLE[o]]),
            "p_a_wins": _num(dev.p_a[0, row]),
            "settlements": {"a wins": _issues(war, dev.a_wins[0, row]), "b wins": _issues(war, dev.b_wins[0, row])},
            "war_value": _num(dev.war_value[0, row, k]),
        }
        if o == "broker":
            opt["leverage"] = _num(dev.leverage[0, row, k])
            opt["deal_probability"] = _num(dev.pi[0, row])
            opt["accepted"] = bool(dev.accepted[0, row])
            opt["settled_without_broker"] = bool(dev.settled_without[0, row])
            if dev.accepted[0, row]:
                opt["settlements"]["deal"] = _issues(war, dev.deal[0, row])
        options[o] = opt
    return {
        "third_party": t, "name": war.names.get(t, t),
        "ranking": ranking(values), "best": ranking(values)[0],
        "equilibrium": OPTIONS[profile[0, k]],
        "probabilities": {o: _num(probs[ROLE[o]]) for o in DISPLAY},
        "options": options,
        "cost": _num(war.cost[k] * war.salience[0, k].sum()),
        "broker_cost": _num(war.broker_cost[k] * war.salience[0, k].sum()),
        "spillovers": war.spill_sources.get(t, []),
    }


def _actual(phase: Phase, war: War, t: str, option: str, profile: np.ndarray,
            item: dict[str, Any]) -> dict[str, Any]:
    """The settlement under the recorded options (others: their recorded option, else the
    selected one) against the observed outcomes of the phase."""
    roles = profile.copy()
    for other, o in phase.actual.items():
        if other in war.third_ids:
            roles[0, war.index(other)] = ROLE[o]
    forecast = payoffs(war, roles).settlement()[0, 0]
    rows: list[dict[str, Any]] = []
    for k, issue_id in enumerate(war.issue_ids):
        if issue_id not in phase.observed:  # score only what this phase settled
            continue
        obs = phase.observed[issue_id].value
        span = war.hi[k] - war.lo[k]
        rows.append({"issue": issue_id, "forecast": _num(forecast[k]), "observed": obs,
                     "error": None if obs is None else _num(forecast[k] - obs),
                     "abs_error_pct": None if obs is None else _num(abs(forecast[k] - obs) / span * 100)})
    scored = [r["abs_error_pct"] for r in rows if r["abs_error_pct"] is not None]
    agrees = option == item["equilibrium"]
    lab = labels(war)
    eu = item["options"]
    why = None
    if not agrees:
        eq = item["equilibrium"]
        gap = eu[eq]["expected_utility"] - eu[option]["expected_utility"]
        why = (f"The record differs from the model. In the model, to {lab[option]} is worth "
               f"{eu[option]['expected_utility']:.3f} to {item['name']}, {gap:.3f} "
               f"less than to {lab[eq]}, for the reasons above; {_model(item)} gives the recorded choice a "
               f"probability of {100 * item['probabilities'][option]:.0f} %. The inputs were not adjusted to agree.")
    return {"option": option, "agrees": agrees, "why": why,
            "probability": item["probabilities"][option], "settlement": rows,
            "mae": float(np.mean(scored)) if scored else None}


# ------------------------------------------------------------------------------ words
def _model(item: dict[str, Any]) -> str:
    """The model that gave the third party's probabilities, in words."""
    return PROBABILITY_MODELS[item.get("probability_model", "game-logit")]


def _pct(p: float) -> str:
    return f"{100 * p:.0f} %"


def possessive(name: str) -> str:
    """'Russia's', 'the Allies\'', 'United States\''."""
    return name + ("'" if name.endswith("s") else "'s")


def _val(x: float) -> str:
    return f"{x:.3g}" if abs(x) >= 1e-9 else "0"


def mechanism(war: War, t: str, play: Play) -> str:
    """How the third party profits in the selected equilibrium, in words (docs/thirdparty.md,
    "Mechanisms")."""
    k = war.index(t)
    role = int(play.roles[0, 0, k])
    a, b = war.side_names

    def issues(mask: np.ndarray) -> str:
        names = [war.issue_names.get(i, i) for i, m in zip(war.issue_ids, mask, strict=True) if m]
        return ", ".join(names) or "no issue"

    price, payer = float(play.price[0, 0, k]), int(play.payer[0, 0, k])
    paid = ~np.isnan(play.paid[0, 0])
    cares = war.salience[0, k] > 0
    if price > 0:
        side = a if payer == ROLE["join-a"] else b
        what = "its neutrality" if role == ROLE["neutral"] else "joining it"
        return (f"{side} pays for {what} with {100 * price:.0f} % of its claims on "
                f"{issues(paid & cares) if paid.any() else issues(cares & ~war.stakes)} (a price outside the peace)")
    if role == ROLE["broker"]:
        kind = BROKER_KINDS[int(war.broker_kind[k])]
        if not play.accepted[0, 0]:
            return "it brokers, but no deal it could broker is accepted"
        if kind == "channel":
            fee = float(play.fee[0, 0])
            return (f"it carries the only channel between the sides, and its fee ({100 * fee:.0f} % of its claims on "
                    f"{issues(cares & ~war.stakes & war.controls.any(0))}) is part of the deal")
        if kind == "chair":
            return "it chairs the settlement for the value it puts on peace"
        if kind == "guarantor":
            return f"its guarantee makes the deal hold with probability {float(play.pi[0, 0]):.2f}"
        return f"its threat to join either side gives it leverage {float(play.leverage[0, 0, k]):.2f} over the deal"
    if role in (ROLE["join-a"], ROLE["join-b"]):
        return "it takes up arms for a seat at the peace table"
    if war.spill[k].any():
        return ("it receives a side's terms as a bystander, through " + "; ".join(war.spill_sources.get(t, []))
                + ", and saves the costs of taking part")
    return "it gains nothing it would not get anyway, and saves the costs of taking part"


#: The settings a user may ask the analysis to play (``tertius broker --setting``): the plain game,
#: or the one selected on the bundled casebook.
SETTINGS = ("plain", "casebook")


def with_setting(scenario: Scenario, name: str) -> Scenario:
    """The scenario with its conflict declaring the setting ``name`` (:data:`SETTINGS`): ``plain``
    (join cost 0, neither variant) or ``casebook`` (the setting selected on the bundled casebook,
    :func:`tertius.conflict.choice.casebook_setting`), with the source of each."""
    if name not in SETTINGS:
        raise InputError(f"--setting is '{name}'", fix=f"use one of: {', '.join(SETTINGS)}")
    if scenario.conflict is None:
        raise InputError(f"scenario '{scenario.id}' declares no conflict, so --setting has no game to set",
                         fix="leave --setting out, or add a 'conflict:' section (see 'tertius schema')")
    if name == "casebook":
        setting = casebook_setting()
        cost = Quantity(value=setting["join_cost"], source="src/tertius/conflict/casebook_fit.json: the setting "
                        "selected on the bundled casebook (docs/casebook.md, 'Scoring')")
    else:
        setting = dict(PLAIN)
        cost = Quantity(value=0.0, assumption="the plain game: no fixed cost of taking up arms beyond the "
                        "declared costs of fighting")
    data = scenario.to_data()
    data["conflict"] = {**data["conflict"], "join_cost": cost.model_dump(exclude_none=True),
                        "pivotal": setting["pivotal"], "convening": setting["convening"]}
    return Scenario.model_validate(data)


def setting_words(setting: Mapping[str, Any]) -> str:
    """'join cost 0, without pivotal deterrence or the prestige of convening'."""
    variants = (("pivotal deterrence", setting["pivotal"]), ("the prestige of convening", setting["convening"]))
    off = [name for name, on in variants if not on]
    return (f"join cost {setting['join_cost']:g}" + "".join(f", {name}" for name, on in variants if on)
            + (f", without {' or '.join(off)}" if off else ""))


def casebook_where(setting: Mapping[str, Any]) -> str:
    """"At the setting selected on the casebook (join cost 0.5, pivotal deterrence, ...)"."""
    return f"At the setting selected on the casebook ({setting_words(setting)})"


def setting_differs(item: dict[str, Any]) -> bool:
    """Whether the game at the casebook's setting gives the third party another option or the
    same option through another mechanism."""
    cs = item["casebook_setting"]
    return bool(cs["option"] != item["equilibrium"] or cs["mechanism"] != item["mechanism"])


def at_casebook_setting(war: War, item: dict[str, Any]) -> str:
    """One sentence: the answer of the same game at the setting selected on the casebook
    (``casebook_setting`` of the item), beside the answer at the setting the scenario declares
    (by default the plain game: docs/casebook.md, "Scoring"); or, where the scenario declares that
    setting, that the game is played there."""
    cs = item["casebook_setting"]
    if cs.get("played"):
        return f"The game is played at the setting selected on the casebook ({setting_words(cs)})."
    lab = labels(war)
    where = casebook_where(cs)
    if cs["option"] != item["equilibrium"]:
        return f"{where} it would instead {lab[cs['option']]}: {cs['mechanism']}."
    if cs["mechanism"] != item["mechanism"]:
        return f"{where} it would also {lab[cs['option']]}, but then {cs['mechanism']}."
    return f"{where} the answer is the same."


def answer(war: War, item: dict[str, Any]) -> str:
    """The answer first: what the third party should do, how likely, and how it profits; then
    whether the game at the casebook's setting agrees (``casebook_setting.sentence``), since the
    perturbed draws move the scenario's inputs, not the setting."""
    lab = labels(war)
    option = item["equilibrium"]
    shares = item.get("perturbation", {}).get("first", {})
    share = f", in {share_words(shares[option])} of perturbed draws" if shares else ""
    head = (f"{item['name']} should {lab[option]} (the equilibrium{share}; {_model(item)} gives it "
            f"{_pct(item['probabilities'][option])}): {item['mechanism']}.")
    setting = item.get("casebook_setting", {}).get("sentence")
    return f"{head} {setting}" if setting else head


def explain(war: War, item: dict[str, Any], converged: bool = True) -> str:
    """A plain-language paragraph: why the third party's best option wins, for any scenario."""
    t = item["third_party"]
    k = war.index(t)
    name = item["name"]
    a, b = war.side_names
    lab = labels(war)
    opts = item["options"]
    best = item["best"]
    others = [o for o in item["ranking"] if o != best]
    parts = [f"With the other third parties as in the selected equilibrium, {possessive(name)} best option is to "
             f"{lab[best]} (expected utility {opts[best]['expected_utility']:.3f}, against "
             + ", ".join(f"{opts[o]['expected_utility']:.3f} to {lab[o]}" for o in others) + ")."]
    method = item.get("method", "best response")
    if method == "dominance + enumeration":
        parts.append("Iterated best response cycled; this equilibrium was found by enumerating the options of the "
                     "third parties that matter, after removing strictly dominated ones, and checked against every "
                     "third party's deviation.")
    elif not converged:
        mix = item.get("qre")
        parts.append(f"No pure equilibrium was found (iterated best response cycled); the answer is a {method}, in "
                     "which the third parties mix" + (": " + ", ".join(f"{lab[o]} {_pct(mix[o])}" for o in DISPLAY)
                                                     if mix else "") +
                     ". The others' options are the likeliest of that mix; the profile is not a pure equilibrium.")
    neutral = opts["neutral"]
    p0 = neutral["p_a_wins"]
    parts.append(f"If {name} stays out, {possessive(a)} chance of a win is {_pct(p0)}; joining {a} would raise it "
                 f"to {_pct(opts['join-a']['p_a_wins'])}, joining {b} would lower it to "
                 f"{_pct(opts['join-b']['p_a_wins'])}.")
    sal = war.salience[0, k]
    own = [i for i in np.argsort(-sal, kind="stable") if sal[i] > 0][:3]
    deal = opts["broker"]["settlements"].get("deal")
    joined = opts["join-a"] if opts["join-a"]["expected_utility"] >= opts["join-b"]["expected_utility"] else opts["join-b"]
    side_won = "a wins" if joined is opts["join-a"] else "b wins"
    for i in own:
        iid = war.issue_ids[i]
        x = war.position[0, k, i]
        sa, sb = neutral["settlements"]["a wins"][iid], neutral["settlements"]["b wins"][iid]
        head = f"{war.issue_names.get(iid, iid)}: {name} wants {_val(x)}"
        if sa == sb == war.status_quo[i]:
            text = (f"{head}; staying out, it stays at the status quo ({_val(sa)}) whichever side wins, since no "
                    f"party to the war brings it to the table")
            if joined["settlements"][side_won][iid] != sa:
                text += (f", while a victory on the side {name} joined would settle it at "
                         f"{_val(joined['settlements'][side_won][iid])}")
        else:
            text = f"{head}; it is settled at {_val(sa)} by a win for {a}, at {_val(sb)} by a win for {b}"
            if war.exclusive[i] and not war.spill[k, i]:
                text += (f", but as a bystander {name} keeps the status quo ({_val(war.status_quo[i])}), as the "
                         f"terms go to the parties only")
        if deal is not None and deal[iid] != sa:
            text += f"; a deal it brokered would settle it at {_val(deal[iid])}"
        parts.append(text + ".")
    spilled = [war.issue_names.get(iid, iid) for i, iid in enumerate(war.issue_ids) if war.spill[k, i]]
    if spilled:
        parts.append(f"As a bystander {name} still receives the terms on {', '.join(spilled)}, under "
                     + "; ".join(item["spillovers"]) + ".")
    br = opts["broker"]
    lev = br.get("leverage", 0.0)
    cost, bcost = item["cost"], item["broker_cost"]
    text = (f"Its leverage as a broker is {lev:.2f}: the swing in {possessive(a)} chance that its joining one side rather "
            f"than the other would cause" + (", discounted by its costs of fighting" if cost > 0 else ""))
    if lev <= 0:
        text += "; without leverage a broker cannot make the sides settle, so brokering gains nothing"
    elif not br.get("accepted"):
        text += "; no deal it could broker leaves every belligerent at least as well off as fighting"
    elif br.get("settled_without_broker"):
        text += (f"; with its help the sides would settle on their own terms, which both prefer, so it gains "
                 f"peace but no share (the deal holds with probability {br['deal_probability']:.2f})")
    else:
        text += f"; a deal it brokered would hold with probability {br['deal_probability']:.2f}"
    parts.append(text + ".")
    gain = {o: opts[o]["expected_utility"] - neutral["expected_utility"] for o in DISPLAY}
    if best == "neutral":
        why = f"Staying out is best: joining {a} changes its expected utility by {gain['join-a']:+.3f}, joining " \
              f"{b} by {gain['join-b']:+.3f}, brokering by {gain['broker']:+.3f}"
        why += "." if cost <= 0 and bcost <= 0 else ", costs included."
    elif best in ("join-a", "join-b"):
        side = a if best == "join-a" else b
        why = (f"Joining {side} is best: it moves the odds towards {side} and gives {name} a seat at the peace "
               f"table for the issues it cares about, worth {gain[best]:+.3f} over staying out"
               + (f" after its costs of fighting ({cost:.3f})." if cost > 0 else "."))
    else:
        why = (f"Brokering is best: its leverage buys it a deal worth {gain['broker']:+.3f} over staying out"
               + (f" after its costs of brokering ({bcost:.3f})." if bcost > 0 else "."))
    parts.append(why)
    p = item["probabilities"]
    parts.append(_model(item).capitalize() + " gives " + ", ".join(f"{lab[o]} {_pct(p[o])}" for o in DISPLAY) + ".")
    return " ".join(parts)


def third_parties(scenario: Scenario, third_party: str | None = None, draws: int = DEFAULT_DRAWS, seed: int = 0,
                  perturbation: Perturbation | None = None) -> ThirdPartyResult:
    """The third-party analysis of every phase of the scenario's conflict (``tertius broker``;
    the ``third_parties`` key of results.json)."""
    if scenario.conflict is None:
        raise InputError(f"scenario '{scenario.id}' declares no conflict",
                         fix="add a 'conflict:' section (see 'tertius schema'), or pick a scenario that has one")
    if draws < 0:
        raise InputError(f"--draws is {draws}", fix="use 0 (no robustness check) or more")
    setting = declared_setting(scenario.conflict)
    params, logit = fitted(), game_logit(setting)
    at_casebook = is_casebook_setting(setting)
    phases = [analyse_phase(scenario, ph, draws=draws, seed=seed, perturbation=perturbation, only=third_party)
              for ph in phases_of(scenario)]
    return ThirdPartyResult(scenario=scenario.id, options=list(DISPLAY),
                            params={**logit,
                                    "fitted_on": ["casebook/"] if at_casebook else
                                    sorted(v["file"] for v in params["fitted_on"].values()),
                                    "choice_model": {"fitted_on": sorted(v["file"] for v in shipped()["fitted_on"].values()
                                                                         if "file" in v) + ["casebook/"],
                                                     "alpha": shipped()["theory"]["alpha"]},
                                    "setting": setting},
                            phases=phases)


#: The name of :func:`third_parties` up to 0.2.0, kept for code that calls ``tertius.broker``.
#: "broker" now names one option only (:data:`tertius.scenario.OPTION_TABLE`) and the command
#: ``tertius broker``, which asks this analysis the user's question.
broker = third_parties


__all__ = ["DEFAULT_DRAWS", "DISPLAY", "SETTINGS", "analyse_phase", "broker", "equilibrium_options", "explain",
           "labels", "third_parties", "war_of_draws", "with_setting"]
