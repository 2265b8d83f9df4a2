"""The third parties' game: every third party joins side A, joins side B, stays out, or brokers.

docs/thirdparty.md states the formalism in full; in brief, for a profile of options (one per
third party; the sides' members always fight):

* **War.** A side's strength is the sum of its members' capabilities projected to the theatre
  (War Trap, Bueno de Mesquita 1981, p. 105), joiners included; P(A wins) is A's share (or a
  Tullock contest). The settlement after a war is the compromise model (capability x salience
  weighted mean; van den Bos 1991, Achen 2006) among the parties to the war, with the losers'
  weight multiplied by ``loser_weight``. It settles the stakes and every issue a joiner cares
  about (a joiner brings its issues to the peace table); other issues keep their status quo.
  Bystanders have no weight at the table.
* **Who gets the terms.** An actor's utility is the salience-weighted closeness
  (:func:`tertius.contract.closeness`) of the outcome to its positions. On an issue declared
  exclusive, a bystander keeps the status quo, unless a spillover clause gives it a side's terms.
* **War value** of each actor: P U(A wins) + (1 - P) U(B wins), less its costs of fighting
  (a share of its stake) if it fights.
* **Broker.** A broker's leverage is how far its joining could move the war,
  ΔP_k = P(A wins | k joins A) - P(A wins | k joins B), discounted by its own costs:
  π_k = ΔP_k · max(0, 1 - cost_k) (Beardsley 2011 on mediator leverage; the War Trap's
  third-party term, pp. 56-59). The brokered deal is the compromise among the belligerents
  (capability weights) and the brokers (weight π_k times the belligerents' total capability),
  an approximation of their asymmetric Nash bargaining solution (Nash 1950; Kalai 1977;
  Achen 2006) on the stakes, the joiners' issues and the brokers' issues. If every belligerent
  does strictly better in the settlement the belligerents reach without the brokers (the same
  compromise without them), they take that one: the sides may settle without the broker. The
  deal holds only if every belligerent gets at least its war value; it holds with probability
  π = 1 - Π(1 - π_k), and otherwise the war goes on. Each broker pays its costs of brokering.
  So a broker without leverage gets the war value less its costs: no more than staying out;
  and no belligerent ever expects less than its war value.
* **Equilibria.** Pure Nash equilibria by enumeration of all 4^T profiles for a few third
  parties; for many, iterated best response from "everyone stays out", one move at a time,
  largest gain first (the selected equilibrium in both cases).

Everything is vectorised over draws of the inputs (axis D) and profiles (axis P).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from tertius.conflict.contest import win_probability
from tertius.conflict.war import BROKER, NEUTRAL, OPTIONS, SIDE_A, SIDE_B, War
from tertius.contract import closeness
from tertius.models.central import weighted_mean

#: Largest number of third parties whose 4^T profiles are enumerated.
ENUMERATE_MAX = 5
#: Relative tolerance for "strictly better".
TOL = 1e-9
#: Order in which equal expected utilities are ranked: the less committal option first.
TIE_ORDER = ("neutral", "broker", "join-a", "join-b")


@dataclass(frozen=True)
class Play:
    """The outcome of profiles of roles (D draws x P profiles; arrays (D, P, ...))."""

    roles: np.ndarray  # (D', P, n)
    p_a: np.ndarray  # (D, P) P(A wins)
    a_wins: np.ndarray  # (D, P, m) settlement when A wins
    b_wins: np.ndarray  # (D, P, m)
    war_value: np.ndarray  # (D, P, n)
    leverage: np.ndarray  # (D, P, n) π_k every actor would have as a broker
    deal: np.ndarray  # (D, P, m) the brokered settlement (NaN: no broker)
    settled_without: np.ndarray  # (D, P) bool: the belligerents settled without the brokers' share
    accepted: np.ndarray  # (D, P) bool: every belligerent accepts the deal
    pi: np.ndarray  # (D, P) probability that the deal holds
    value: np.ndarray  # (D, P, n) expected utility


def _rel(x: np.ndarray) -> np.ndarray:
    return TOL * (1.0 + np.abs(x))


def payoffs(war: War, roles: np.ndarray) -> Play:
    """Expected utilities of every actor under each profile of roles ((D or 1, P, n) or (P, n))."""
    roles = np.asarray(roles)
    if roles.ndim == 2:
        roles = roles[None]
    x = war.position[:, None]  # (D, 1, n, m)
    s = war.salience[:, None]
    cap = war.capability[:, None]  # (D, 1, n)
    st = war.strength[:, None]
    in_a, in_b, brk = roles == SIDE_A, roles == SIDE_B, roles == BROKER
    fight = in_a | in_b
    s_a, s_b = (st * in_a).sum(-1), (st * in_b).sum(-1)  # (D, P)
    p = win_probability(s_a, s_b, war.decisiveness)
    cares = (s > 0) & ~np.isnan(x)
    sq = war.status_quo
    open_war = war.stakes | ((fight & war.third)[..., None] & cares).any(-2) | np.isnan(sq)

    def settle(weight: np.ndarray, open_: np.ndarray) -> np.ndarray:
        w = weight[..., None] * s
        o = weighted_mean(np.broadcast_to(x, w.shape), w)  # the compromise model
        return np.where(open_, o, sq)

    keeps = war.exclusive & ~war.spill  # (n, m): a bystander keeps the status quo here

    def utility(o: np.ndarray, party: np.ndarray) -> np.ndarray:
        eff = np.where(~party[..., None] & keeps, sq, o[..., None, :])
        return np.where(cares, s * np.nan_to_num(closeness(x, eff, war.span)), 0.0).sum(-1)

    lw = war.loser_weight
    oa = settle(cap * np.where(in_a, 1.0, np.where(in_b, lw, 0.0)), open_war)
    ob = settle(cap * np.where(in_b, 1.0, np.where(in_a, lw, 0.0)), open_war)
    stake = s.sum(-1)  # (D, 1, n)
    pp = p[..., None]
    war_value = pp * utility(oa, fight) + (1 - pp) * utility(ob, fight) - war.cost * stake * fight
    credible = np.clip(1.0 - war.cost, 0.0, 1.0)
    swing = win_probability(s_a[..., None] + st, s_b[..., None], war.decisiveness) - \
        win_probability(s_a[..., None], s_b[..., None] + st, war.decisiveness)
    leverage = np.clip(swing, 0.0, 1.0) * credible  # (D, P, n)
    shape = war_value.shape[:2]
    deal = np.full(shape + (len(war.issue_ids),), np.nan)
    settled_without = np.zeros(shape, dtype=bool)
    accepted = np.zeros(shape, dtype=bool)
    pi = np.zeros(shape)
    value = war_value
    any_broker = np.broadcast_to(brk.any(-1), shape)
    if any_broker.any():
        pi_k = np.where(brk, leverage, 0.0)
        pi = 1.0 - np.prod(1.0 - pi_k, axis=-1)
        total = (cap * fight).sum(-1, keepdims=True)
        open_deal = open_war | (brk[..., None] & cares).any(-2)
        brokered = settle(cap * fight + pi_k * total, open_deal)
        own = settle(cap * fight, open_war)
        u_brokered, u_own = utility(brokered, fight | brk), utility(own, fight)
        settled_without = np.where(fight, u_own > u_brokered + _rel(u_brokered), True).all(-1) & fight.any(-1)
        u_deal = np.where(settled_without[..., None], u_own, u_brokered)
        accepted = np.where(fight, u_deal >= war_value - _rel(war_value), True).all(-1) & any_broker
        pi = np.where(accepted, pi, 0.0)
        deal = np.where(any_broker[..., None], np.where(settled_without[..., None], own, brokered), np.nan)
        settled_without &= any_broker
        value = pi[..., None] * u_deal + (1 - pi[..., None]) * war_value - war.broker_cost * stake * brk
    return Play(roles=roles, p_a=p, a_wins=oa, b_wins=ob, war_value=war_value, leverage=leverage, deal=deal,
                settled_without=settled_without, accepted=accepted, pi=pi, value=value)


# ------------------------------------------------------------------------------ profiles
def base_profile(war: War) -> np.ndarray:
    """Everyone outside the sides stays out: (D, n) roles."""
    return np.broadcast_to(war.side.astype(np.int8), (war.draws, len(war.actor_ids))).copy()


def deviations(profile: np.ndarray, third: np.ndarray) -> np.ndarray:
    """For a profile (D, n): the 4 T profiles in which third party t takes option o (row 4 t + o)."""
    d, n = profile.shape
    t = len(third)
    roles = np.repeat(profile[:, None, :], 4 * t, axis=1)
    rows = np.arange(4 * t)
    roles[:, rows, np.repeat(third, 4)] = np.tile(np.arange(4, dtype=np.int8), t)
    return roles


def option_values(war: War, profile: np.ndarray) -> tuple[np.ndarray, Play]:
    """Every third party's expected utility for each option, the others held at ``profile``
    (D, n): values (D, T, 4) in :data:`OPTIONS` order, and the play of the deviations."""
    third = np.nonzero(war.third)[0]
    play = payoffs(war, deviations(profile, third))
    t = len(third)
    vals = play.value[:, np.arange(4 * t), np.repeat(third, 4)].reshape(-1, t, 4)
    return vals, play


#: The most steps iterated best response takes (it also stops at the first repeated profile).
MAX_STEPS = 400


def best_response_path(war: War, max_steps: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iterated best response from everyone staying out: at each step the third party with the
    largest gain from a change of option makes it. It stops when nobody gains (an equilibrium),
    when a profile comes back (a cycle: no pure equilibrium on this path), or after ``max_steps``
    (default min(4 T + 50, :data:`MAX_STEPS`)). Returns the profile (D, n), whether it is an
    equilibrium (D,), and the option values there (D, T, 4)."""
    third = np.nonzero(war.third)[0]
    profile = base_profile(war)
    t = len(third)
    steps = max_steps if max_steps is not None else min(4 * t + 50, MAX_STEPS)
    rows = np.arange(war.draws)
    vals = np.zeros((war.draws, t, 4))
    equilibrium = np.zeros(war.draws, dtype=bool)
    active = np.ones(war.draws, dtype=bool)
    seen: list[set[bytes]] = [set() for _ in range(war.draws)]
    for _ in range(steps + 1):
        vals, _ = option_values(war, profile)
        current = np.take_along_axis(vals, profile[:, third][..., None].astype(np.intp), axis=-1)[..., 0]
        gain = (vals - current[..., None]).reshape(war.draws, -1)
        best = gain.argmax(-1)
        moving = active & (gain[rows, best] > _rel(current.max(-1)))
        equilibrium |= active & ~moving
        active &= moving
        for d in np.nonzero(active)[0]:
            key = profile[d, third].tobytes()
            if key in seen[d]:
                active[d] = False  # a cycle: stop here
            seen[d].add(key)
        if not active.any():
            break
        who, option = np.divmod(best, 4)
        profile[rows[active], third[who[active]]] = option[active]
    if active.any():  # out of steps: the option values of the last profile
        vals, _ = option_values(war, profile)
    return profile, equilibrium, vals


def all_profiles(war: War) -> np.ndarray:
    """Every profile of the third parties' options, (4^T, n); the first third party varies slowest."""
    third = np.nonzero(war.third)[0]
    combos = np.array(list(itertools.product(range(4), repeat=len(third))), dtype=np.int8).reshape(-1, len(third))
    roles = np.broadcast_to(war.side.astype(np.int8), (len(combos), len(war.actor_ids))).copy()
    roles[:, third] = combos
    return roles


def pure_equilibria(war: War) -> tuple[np.ndarray, np.ndarray]:
    """All profiles (4^T, n) and, per draw, which of them are pure Nash equilibria (D, 4^T)."""
    third = np.nonzero(war.third)[0]
    t = len(third)
    roles = all_profiles(war)
    values = payoffs(war, roles).value[..., third]  # (D, 4^T, T)
    grid = values.reshape((war.draws,) + (4,) * t + (t,))
    ok = np.ones(grid.shape[:-1], dtype=bool)
    for j in range(t):
        v = grid[..., j]
        ok &= v >= v.max(axis=1 + j, keepdims=True) - _rel(v)
    return roles, ok.reshape(war.draws, -1)


def ranking(values: np.ndarray) -> list[str]:
    """Options by expected utility (values in :data:`OPTIONS` order), ties in :data:`TIE_ORDER`."""
    order = sorted(range(4), key=lambda o: (-round(float(values[o]), 12), TIE_ORDER.index(OPTIONS[o])))
    return [OPTIONS[o] for o in order]


__all__ = ["ENUMERATE_MAX", "NEUTRAL", "OPTIONS", "Play", "all_profiles", "best_response_path", "deviations",
           "option_values", "payoffs", "pure_equilibria", "ranking"]
