"""Who sits at the brokers' table, and with what stance: concerts and agents (docs/thirdparty.md,
"Concerts and agents").

* **Concert.** Declared third parties that broker as one body, as the Concert of Europe's powers
  did by collective notes that needed all of them (Elrod 1976, *World Politics* 28(2); Schroeder
  1994, *The Transformation of European Politics 1763-1848*; Mitzen 2013, *Power in Concert*).
  It acts only while every member brokers (unanimity): a member that takes another option leaves
  it, and the others broker on their own. Its stance is its own bargain among the members, the
  compromise model (capability x salience weighted mean; van den Bos 1991, Achen 2006) over every
  issue a member cares about, so a member with little salience on an issue yields it to one that
  cares more and gains on another (a trade across issues). Its leverage combines its members'
  strength: π_c = ΔP_c · (1 - cost_c), with ΔP_c = P(A | the concert joins A) - P(A | it joins B)
  and cost_c the strength-weighted mean of the members' costs. Each member pulls the deal with
  the share of π_c that its strength bears, towards the concert's stance, and the deal holds with
  probability π_c (not 1 - Π(1 - π_k) over the members: one body, one threat). A guarantor among
  the members adds its guarantee as it does alone: π_c becomes 1 - (1 - π_c) Π (1 - g_k) over
  the members that are guarantors.
* **Agent.** A broker declared to act for one side: at the table it carries that side's terms (the
  compromise among the side's original members) instead of positions of its own, and pulls with
  its own leverage π_k.

The equilibrium search needs no change: a member leaving is a member's deviation from
``broker``, which the search already evaluates; the concert is formed or broken by the profile.
"""

from __future__ import annotations

import functools

import numpy as np

from tertius.conflict.contest import win_probability
from tertius.conflict.war import AGENT, BROKER, GUARANTOR, War
from tertius.models.central import weighted_mean
from tertius.models.exchange import DEFAULTS as EXCHANGE_DEFAULTS
from tertius.models.exchange import exchange_rounds
from tertius.seeds import child_rng


def formed(war: War, roles: np.ndarray) -> list[tuple[int, ...]]:
    """The concerts whose every member brokers somewhere in the profiles (roles (D', P, n))."""
    return [m for m in war.concerts if (roles[..., list(m)] == BROKER).all(-1).any()]


def concert_stance(war: War, idx: list[int], model: str = "compromise") -> np.ndarray:
    """A concert's stance (D, m): its members' own bargain, by the compromise model (capability x
    salience weighted mean, issue by issue) or by Stokman's exchange model (Stokman & Van Oosten
    1994: members trade voting positions across issues, :func:`tertius.models.exchange.
    exchange_rounds` with its default parameters, deterministic), on the issues a member cares
    about (NaN elsewhere)."""
    x, s = war.position[:, idx], war.salience[:, idx]  # (D, k, m)
    cap = war.capability[:, idx]  # (D, k)
    w = cap[..., None] * s
    with np.errstate(invalid="ignore"):  # an issue no member cares about: NaN, no weight
        out = weighted_mean(x, w)
    cares = (s > 0) & ~np.isnan(x)
    out = np.where(cares.any(-2), out, np.nan)
    if model != "exchange":
        return out
    for d in range(war.draws):
        cols = np.nonzero((cares[d] & (cap[d, :, None] > 0)).any(0))[0]
        if len(cols) < 2:  # no pair of issues: nothing to trade, the compromise stands
            continue
        out[d, cols] = _exchange(x[d][:, cols].tobytes(), s[d][:, cols].tobytes(), cap[d].tobytes(),
                                 war.lo[cols].tobytes(), war.span[cols].tobytes(), len(idx), len(cols))
    return out


@functools.lru_cache(maxsize=4096)
def _exchange(xb: bytes, sb: bytes, cb: bytes, lob: bytes, spanb: bytes, k: int, m: int) -> np.ndarray:
    """The exchange model's voting outcome among k members on m issues (from the arrays' bytes,
    so that the game's many calls with the same inputs run it once)."""
    x = np.frombuffer(xb).reshape(k, m)
    s = np.frombuffer(sb).reshape(k, m)
    cap = np.frombuffer(cb)
    lo, span = np.frombuffer(lob), np.frombuffer(spanb)
    present = (s > 0) & ~np.isnan(x)
    internal = 100.0 * (x - lo) / span
    c = np.broadcast_to(cap[:, None], x.shape)
    res = exchange_rounds(internal, s, c, present, dict(EXCHANGE_DEFAULTS), child_rng(0, "concert", k, m))
    return lo + res["voting"][-1] * span / 100.0


def table(war: War, roles: np.ndarray, s_a: np.ndarray, s_b: np.ndarray, pi_k: np.ndarray, pull: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The stances the brokers bring to the table and their weights: positions and saliences
    (D, P, n, m), the probability each broker makes the deal hold (D, P, n) and its pull on the
    deal (D, P, n), from the plain brokers' ``pi_k`` and ``pull``."""
    x = np.broadcast_to(war.position[:, None], pi_k.shape + (len(war.issue_ids),)).copy()
    s = np.broadcast_to(war.salience[:, None], x.shape).copy()
    pi_k, pull = pi_k.copy(), pull.copy()
    brk = roles == BROKER
    cap = war.capability[:, None]  # (D, 1, n)
    for side in np.unique(war.agent_for[war.agent_for > 0]):
        members = war.side == side
        w = cap[..., members, None] * war.salience[:, None][..., members, :]  # (D, 1, k, m)
        with np.errstate(invalid="ignore"):  # an issue no member of the side holds: NaN, no weight
            terms = weighted_mean(np.broadcast_to(war.position[:, None][..., members, :], w.shape), w)  # (D, 1, m)
        share = cap[..., members] / np.maximum(cap[..., members].sum(-1, keepdims=True), 1e-300)
        weight = (share[..., None] * war.salience[:, None][..., members, :]).sum(-2)  # (D, 1, m)
        agents = brk & (war.agent_for == side) & (war.broker_kind == AGENT)  # (D', P, n)
        x = np.where(agents[..., None], terms[..., None, :], x)
        s = np.where(agents[..., None], weight[..., None, :], s)
    st = war.strength[:, None]  # (D, 1, n)
    credible = np.clip(1.0 - war.cost, 0.0, 1.0)
    for members in war.concerts:
        idx = list(members)
        on = brk[..., idx].all(-1)  # (D', P): the concert acts only if every member brokers
        if not on.any():
            continue
        strength = st[..., idx]
        total = strength.sum(-1)  # (D, 1)
        share = strength / np.maximum(total[..., None], 1e-300)
        swing = win_probability(s_a + total, s_b, war.decisiveness) - win_probability(s_a, s_b + total,
                                                                                      war.decisiveness)
        cred = (share * np.broadcast_to(credible, st.shape)[..., idx]).sum(-1)
        pi_c = np.clip(swing, 0.0, 1.0) * cred  # (D, P)
        # a guarantor among the members still raises the deal's chance of holding, as it does alone
        g = np.broadcast_to(np.where(war.broker_kind == GUARANTOR, war.guarantee, 0.0), st.shape)[..., idx]
        pi_c = 1.0 - (1.0 - pi_c) * np.prod(1.0 - g, axis=-1)
        model = war.concert_models[war.concerts.index(members)] if war.concert_models else "compromise"
        stance = concert_stance(war, idx, model)[:, None]  # (D, 1, m)
        weight = (share[..., None] * war.salience[:, None][..., idx, :]).sum(-2)  # (D, 1, m)
        sel = on[..., None]
        x[..., idx, :] = np.where(sel[..., None], stance[..., None, :], x[..., idx, :])
        s[..., idx, :] = np.where(sel[..., None], weight[..., None, :], s[..., idx, :])
        pull[..., idx] = np.where(sel, pi_c[..., None] * share, pull[..., idx])
        first = np.zeros(len(idx))
        first[0] = 1.0
        pi_k[..., idx] = np.where(sel, pi_c[..., None] * first, pi_k[..., idx])
    return x, s, pi_k, pull


__all__ = ["concert_stance", "formed", "table"]
