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
  and no belligerent ever expects less than its war value. A chair gains its declared peace
  value where its deal holds, or, with ``convening`` (the prestige of convening; Touval 1982),
  wherever the talks meet.
* **Equilibria.** Pure Nash equilibria by enumeration of all 4^T profiles for a few third
  parties; for many, iterated best response from "everyone stays out", one move at a time,
  largest gain first (the selected equilibrium in both cases).

Everything is vectorised over draws of the inputs (axis D) and profiles (axis P).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np

from tertius.conflict.concert import table as at_table
from tertius.conflict.contest import win_probability
from tertius.conflict.war import (
    ARMED,
    BROKER,
    CHANNEL,
    GUARANTOR,
    N_OPTIONS,
    NEUTRAL,
    OPTIONS,
    SIDE_A,
    SIDE_B,
    UNAVAILABLE,
    War,
    may_broker,
    rows,
)
from tertius.contract import closeness
from tertius.models.central import filled_weighted_mean
from tertius.scenario import OPTIONS_BY_TIE

#: Largest number of third parties whose 4^T profiles are enumerated.
ENUMERATE_MAX = 5
#: Relative tolerance for "strictly better".
TOL = 1e-9
#: Order in which equal expected utilities are ranked: the less committal option first (the
#: ``tie`` column of :data:`tertius.scenario.OPTION_TABLE`).
TIE_ORDER = OPTIONS_BY_TIE


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
    open_war: np.ndarray  # (D, P, m) bool: issues a war settles under the profile
    #: (D, P, m) the outcome fixed by a price paid to a third party outside the peace (NaN: none)
    paid: np.ndarray
    #: (D, P, n) the share t of its claims a third party is paid (its neutrality's price or a side
    #: deal), and the side that pays (0: none)
    price: np.ndarray
    payer: np.ndarray
    fee: np.ndarray  # (D, P) the share of its claims a channel broker takes as its fee

    def settlement(self) -> np.ndarray:
        """The forecast settlement (D, P, m): the likeliest of the three outcomes, with the issues
        settled by a price outside the peace. The deal holds with probability π; otherwise the war
        goes on and side A wins with P(A). The deal is the forecast where π >= (1 - π) max(P(A),
        1 - P(A)), else the likelier winner's terms (a deal that holds one time in ten is not the
        forecast; docs/thirdparty.md, "The casebook")."""
        war = np.where((self.p_a >= 0.5)[..., None], self.a_wins, self.b_wins)
        likeliest = self.pi >= (1 - self.pi) * np.maximum(self.p_a, 1 - self.p_a)
        out = np.where(((self.pi > 0) & likeliest)[..., None] & ~np.isnan(self.deal), self.deal, war)
        return np.where(np.isnan(self.paid), out, self.paid)


def _rel(x: np.ndarray) -> np.ndarray:
    return TOL * (1.0 + np.abs(x))


def nash_share(u0: np.ndarray, g: np.ndarray, w0: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The share t in [0, 1] of a payment that the Nash (1950) bargaining solution gives, between a
    third party whose utility is u0 + g t over its threat point and a payer whose utility is
    w0 - h t over its own: argmax (u0 + g t)(w0 - h t) with both factors >= 0; 0 where no t
    satisfies both (no deal), where the payer gains nothing (w0 <= 0) or the third party values
    nothing it could be paid (g <= 0). A payer that gains from conceding (h <= 0) concedes all."""
    tiny = 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(g > tiny, np.maximum(0.0, -u0 / np.where(g > tiny, g, 1.0)), np.inf)
        hi = np.where(h > tiny, np.minimum(1.0, w0 / np.where(h > tiny, h, 1.0)), 1.0)
        inner = (g * w0 - h * u0) / np.where((g > tiny) & (h > tiny), 2 * g * h, 1.0)
    t = np.where(h > tiny, np.clip(inner, lo, hi), 1.0)
    ok = (g > tiny) & (w0 > tiny) & (lo <= hi + 1e-12)
    return np.where(ok, np.clip(t, 0.0, 1.0), 0.0)


def _contest(war: War, in_a: np.ndarray, in_b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sides' strengths (D, P) and P(A wins). In a decided war (``won_by``) the beaten side's
    originals keep ``loser_weight`` of their strength, and the victor wins for certain unless
    third parties join the beaten side."""
    st = war.strength[:, None]
    s_a, s_b = (st * in_a).sum(-1), (st * in_b).sum(-1)
    if war.won_by == 0:
        return s_a, s_b, win_probability(s_a, s_b, war.decisiveness)
    beaten = SIDE_B if war.won_by == SIDE_A else SIDE_A
    orig = war.side == beaten
    joined = ((in_b if beaten == SIDE_B else in_a) & ~orig).any(-1)
    lw = war.loser_weight
    if beaten == SIDE_B:
        s_b = s_b - (1 - lw) * (st * (in_b & orig)).sum(-1)
        p = np.where(joined, win_probability(s_a, s_b, war.decisiveness), 1.0)
    else:
        s_a = s_a - (1 - lw) * (st * (in_a & orig)).sum(-1)
        p = np.where(joined, win_probability(s_a, s_b, war.decisiveness), 0.0)
    return s_a, s_b, p


def _raw(war: War, roles: np.ndarray) -> Play:
    """The game without prices: war, settlements, brokers (docs/thirdparty.md, steps 1-7)."""
    x = war.position[:, None]  # (D, 1, n, m)
    s = war.salience[:, None]
    cap = war.capability[:, None]  # (D, 1, n)
    st = war.strength[:, None]
    in_a, in_b, brk = roles == SIDE_A, roles == SIDE_B, roles == BROKER
    fight = in_a | in_b
    s_a, s_b, p = _contest(war, in_a, in_b)
    cares = (s > 0) & ~np.isnan(x)
    sq = war.status_quo
    # in a decided war, joining the victor adds nothing to its victory: no seat at the table
    seated = fight & ~((roles == war.won_by) & war.third) if war.won_by else fight
    open_war = (war.stakes | war.opened | ((seated & war.third)[..., None] & cares).any(-2) | np.isnan(sq)) & ~war.closed

    present, filled = ~np.isnan(x), np.nan_to_num(x)  # the positions' mask and values, for every settle below

    def settle(weight: np.ndarray, open_: np.ndarray, x: np.ndarray | None = None, s: np.ndarray = s) -> np.ndarray:
        w = weight[..., None] * s
        if x is None:  # the actors' own positions
            o = filled_weighted_mean(filled, present, w)  # the compromise model
        else:
            o = filled_weighted_mean(np.nan_to_num(x), ~np.isnan(x), w)
        return np.where(open_, o, sq)

    keeps = war.exclusive & ~war.spill  # (n, m): a bystander keeps the status quo here

    kept = bool(keeps.any())

    def utility(o: np.ndarray, party: np.ndarray) -> np.ndarray:
        # without an exclusive issue every actor gets the outcome itself (the same numbers, broadcast)
        eff = np.where(~party[..., None] & keeps, sq, o[..., None, :]) if kept else o[..., None, :]
        c = closeness(x, eff, war.span)  # NaN where the outcome is: it counts 0, as s * 0 did
        return np.where(cares & ~np.isnan(c), s * c, 0.0).sum(-1)

    lw = war.loser_weight
    table = cap * seated
    oa = settle(table * np.where(in_a, 1.0, lw), open_war)
    ob = settle(table * np.where(in_b, 1.0, lw), open_war)
    stake = s.sum(-1)  # (D, 1, n)
    pp = p[..., None]
    war_value = pp * utility(oa, fight) + (1 - pp) * utility(ob, fight) - war.cost * stake * fight
    joined = fight & war.third
    if war.join_cost:
        war_value = war_value - war.join_cost * joined
    credible = np.clip(1.0 - war.cost, 0.0, 1.0)
    swing = win_probability(s_a[..., None] + st, s_b[..., None], war.decisiveness) - \
        win_probability(s_a[..., None], s_b[..., None] + st, war.decisiveness)
    leverage = np.clip(swing, 0.0, 1.0) * credible  # (D, P, n)
    shape = war_value.shape[:2]
    nan_m = np.full(shape + (len(war.issue_ids),), np.nan)
    deal = nan_m.copy()
    settled_without = np.zeros(shape, dtype=bool)
    accepted = np.zeros(shape, dtype=bool)
    pi = np.zeros(shape)
    fee = np.zeros(shape)
    value = war_value
    any_broker = np.broadcast_to(brk.any(-1), shape)
    channel = war.broker_kind == CHANNEL
    if any_broker.any():
        is_channel = brk & channel  # (D', P, n)
        via_channel = is_channel.any(-1)
        blocked = np.broadcast_to(((channel & war.third & ~brk).any(-1)) & ~via_channel, shape)
        kind_pi = np.where(war.broker_kind == GUARANTOR, 1 - (1 - leverage) * (1 - war.guarantee), leverage)
        pi_k = np.where(brk, np.where(channel, 1.0, kind_pi), 0.0)
        pull = np.where(brk & ~channel, pi_k, 0.0)  # a channel carries messages, it does not pull
        # concerts and agents: who brings which stance to the table (tertius.conflict.concert)
        stances = bool(war.concerts) or bool((war.agent_for > 0).any())
        if stances:
            x_t, s_t, pi_k, pull = at_table(war, roles, s_a, s_b, pi_k, pull)
            cares_t = (s_t > 0) & ~np.isnan(x_t)
        else:  # every broker brings its own stance: the table's stances are the actors' own
            cares_t = cares
        pi = 1.0 - np.prod(1.0 - pi_k, axis=-1)
        total = table.sum(-1, keepdims=True)
        open_deal = open_war | ((brk[..., None] & cares_t).any(-2) & ~war.closed)
        # the sides' own terms: in a decided war, the victor's (the beaten side keeps loser_weight)
        if war.won_by:
            own_w = table * np.where(roles == war.won_by, 1.0, lw)
        else:
            own_w = table
        brokered = settle(own_w + pull * total, open_deal, x_t, s_t) if stances else settle(own_w + pull * total, open_deal)
        own = settle(own_w, open_war)
        u_own = utility(own, fight)
        # a channel broker's fee: its claims on issues a belligerent controls, as far as every
        # belligerent still prefers the deal to war (docs/thirdparty.md, "Mechanisms")
        claim = is_channel[..., None] & cares & war.claims  # what the channel claims (rule 2)
        fee_issues = ((claim & ~war.stakes) & war.controls.any(0)).any(-2)  # (D', P, m)
        if fee_issues.any():
            count = claim.sum(-2)
            target = np.where(claim, np.nan_to_num(x), 0.0).sum(-2) / np.maximum(count, 1)
            base = brokered
            full = np.where(fee_issues, target, base)
            u0, u1 = utility(base, fight | brk), utility(full, fight | brk)
            loss = u0 - u1  # (D, P, n) what each actor loses when the fee is paid in full
            slack = u0 - war_value
            with np.errstate(divide="ignore", invalid="ignore"):
                bound = np.where(fight & (loss > 1e-12), slack / np.where(loss > 1e-12, loss, 1.0), np.inf)
            fee = np.where(via_channel, np.clip(bound.min(-1), 0.0, 1.0), 0.0)
            brokered = np.where(fee_issues, base + fee[..., None] * (target - base), base)
        u_brokered = utility(brokered, fight | brk)
        settled_without = np.where(fight, u_own > u_brokered + _rel(u_brokered), True).all(-1) & fight.any(-1)
        settled_without &= ~via_channel  # the sides cannot settle without the only channel
        u_deal = np.where(settled_without[..., None], u_own, u_brokered)
        accepted = np.where(fight, u_deal >= war_value - _rel(war_value), True).all(-1) & any_broker & ~blocked
        pi = np.where(accepted, pi, 0.0)
        if war.pivotal:
            held = _pivotal(war, roles, fight, u_deal, war_value) & any_broker & ~blocked
            accepted |= held
            pi = np.where(held, 1.0, pi)
        fee = np.where(accepted, fee, 0.0)
        deal = np.where(any_broker[..., None], np.where(settled_without[..., None], own, brokered), np.nan)
        settled_without &= any_broker
        chair = np.where(brk, war.peace_value, 0.0)
        # with ``convening`` a chair's peace value is the prestige of convening the talks: it is
        # earned where the talks meet (no channel blocks them), whether or not the deal holds
        attempt = chair * ~blocked[..., None] if war.convening else 0.0
        # a third party that takes up arms pays its costs of entering even if a deal then holds
        entered = (war.cost * stake + war.join_cost) * joined
        value = (pi[..., None] * (u_deal + chair - entered) + (1 - pi[..., None]) * (war_value + attempt)
                 - war.broker_cost * stake * brk)
    zeros_n = np.zeros(value.shape)
    return Play(roles=roles, p_a=p, a_wins=oa, b_wins=ob, war_value=war_value, leverage=leverage, deal=deal,
                settled_without=settled_without, accepted=accepted, pi=pi, value=value,
                open_war=np.broadcast_to(open_war, shape + (len(war.issue_ids),)), paid=nan_m,
                price=zeros_n, payer=zeros_n.astype(np.int8), fee=fee)


def _pivotal(war: War, roles: np.ndarray, fight: np.ndarray, u_deal: np.ndarray, war_value: np.ndarray
             ) -> np.ndarray:
    """(D, P) bool: the armed brokers deter a refusal (Crawford 2003, *Pivotal Deterrence*, ch. 2).
    The armed brokers threaten to join, together, against whichever side refuses the deal. The
    threat against side X is credible if every armed broker prefers joining X's enemy to the war
    without it: V_k(war, k against X) >= V_k(war, k out), its costs of fighting and of taking up
    arms included. A member i of X then accepts if u_i(deal) >= V_i(war against the other side and
    the brokers) where the threat is credible, else if u_i(deal) >= V_i(war) (Fearon 1995: a deal
    inside the bargaining range). The deal holds when every belligerent accepts and a threat is
    credible against at least one side."""
    armed = (roles == BROKER) & (war.broker_kind == ARMED)  # (D', P, n)
    if not armed.any():
        return np.zeros(war_value.shape[:2], dtype=bool)
    refusal = war_value
    credible_any = np.zeros(war_value.shape[:2], dtype=bool)
    for refuser, enemy in ((SIDE_A, SIDE_B), (SIDE_B, SIDE_A)):
        r = np.where(armed, enemy, roles).astype(roles.dtype)
        vs = _raw(replace(war, pivotal=False), r)
        credible = np.where(armed, vs.war_value >= war_value - _rel(war_value), True).all(-1) & armed.any(-1)
        members = fight & (roles == refuser)
        refusal = np.where(credible[..., None] & members, vs.war_value, refusal)
        credible_any |= credible
    accept = np.where(fight, u_deal >= refusal - _rel(refusal), True).all(-1)
    return accept & credible_any


def _violations(war: War, roles: np.ndarray) -> np.ndarray:
    """(D', P, n) bool: the actor's declared commitment is triggered and it does not keep it."""
    bad = np.zeros(roles.shape, dtype=bool)
    for k, option, when, when_option in war.commitments:
        bad[..., k] |= (roles[..., when] == when_option) & (roles[..., k] != option)
    return bad


def _utility_change(war: War, issues: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(D, P, n) every actor's change in utility when the outcome on ``issues`` (D, P, m) moves
    from ``before`` to ``after`` (D, P, m)."""
    x, s = war.position[:, None], war.salience[:, None]
    cares = (s > 0) & ~np.isnan(x)
    d = closeness(x, after[..., None, :], war.span) - closeness(x, before[..., None, :], war.span)
    return np.where(cares & issues[..., None, :] & ~np.isnan(d), s * d, 0.0).sum(-1)


def _with_prices(war: War, roles: np.ndarray, play: Play) -> Play:
    """Prices paid to third parties outside the peace (docs/thirdparty.md, "Mechanisms"):

    * **Neutrality for a price** (Crawford 2011's wedge): a side whose members control issues a
      neutral third party claims pays it on them, if the third party's best alternative is to
      join, by the Nash bargain between the two whose threat points are that alternative.
    * **Side deals**: a declared instrument by which a side pays a third party for joining it,
      now or only if it wins; likewise bargained.

    A third party takes the better of the two sides' bids."""
    third = np.nonzero(war.third)[0]
    x, s = war.position[:, None], war.salience[:, None]  # (D, 1, n, m)
    sq = war.status_quo
    value = play.value.copy()
    paid = play.paid.copy()
    price = play.price.copy()
    payer = play.payer.copy()
    a_wins, b_wins = play.a_wins, play.b_wins
    wedge = war.controls & (war.side != 0)[:, None]  # (n, m) who can pay with what
    # (n,) whether actor k claims an issue some side's member could pay with: the test below,
    # for every actor at once (most third parties have neither such a claim nor a side deal)
    payable = (s > 0) & ~np.isnan(x) & ~np.isnan(np.expand_dims(sq, -2)) & wedge.any(0) & war.claims
    payable_k = payable.any(-1).reshape(-1, payable.shape[-2]).any(0)
    for k in third:
        deals = [d for d in war.side_deals if d[0] == k]
        if not (payable_k[k] or deals):
            continue
        # what k may be paid with: the issues it cares about and holds a claim on (rule 2)
        claims = (s[..., k, :] > 0) & ~np.isnan(x[..., k, :]) & ~np.isnan(sq) & war.claims[k]  # (D, 1, m)
        alt = {}
        for o in (NEUTRAL, SIDE_A, SIDE_B):
            r = roles.copy()
            r[..., k] = o
            alt[o] = _raw(war, r)
        v_k = np.stack([alt[o].value[..., k] for o in (NEUTRAL, SIDE_A, SIDE_B)], axis=-1)  # (D, P, 3)
        best_alt = v_k.argmax(-1)
        threat_k = v_k.max(-1)
        offers = []  # (option, gain to k, t, side, issue mask, outcome after payment)
        for side in (SIDE_A, SIDE_B):
            members = war.side == side
            # neutrality: paid now on the claims the side's members control that no war settles
            issues = claims & (wedge & members[:, None]).any(0) & ~alt[NEUTRAL].open_war
            for _, side2, option, mask, _ in deals:
                if side2 == side and option == NEUTRAL:
                    issues = issues | (claims & mask & ~alt[NEUTRAL].open_war)
            offers.append(_bargain(war, k, side, NEUTRAL, issues, sq, alt, v_k, best_alt, threat_k, members, True))
            for _k, side2, option, mask, now in deals:
                if side2 == side and option == side:
                    j_issues = claims & mask
                    offers.append(_bargain(war, k, side, side, j_issues, sq, alt, v_k, best_alt, threat_k, members,
                                           now))
        for option in (NEUTRAL, SIDE_A, SIDE_B):
            cands = [o for o in offers if o[0] == option]
            if not cands:
                continue
            gains = np.stack([o[1] for o in cands], -1)  # (D, P, c)
            pick = gains.argmax(-1)
            here = roles[..., k] == option  # (D', P)
            for c_i, (_, _, t, side, issues, after, delta, now) in enumerate(cands):
                use = here & (pick == c_i) & (t > 0)
                if not use.any():
                    continue
                value = np.where(use[..., None], value + delta, value)
                at = use[..., None] & issues
                if now:
                    paid = np.where(at, after, paid)
                elif side == SIDE_A:
                    a_wins = np.where(at, after, a_wins)
                else:
                    b_wins = np.where(at, after, b_wins)
                price[..., k] = np.where(use, t, price[..., k])
                payer[..., k] = np.where(use, side, payer[..., k])
    return replace(play, value=value, paid=paid, price=price, payer=payer, a_wins=a_wins, b_wins=b_wins)


def _bargain(war: War, k: int | np.integer, side: int, option: int, issues: np.ndarray, sq: np.ndarray, alt: dict,
             v_k: np.ndarray, best_alt: np.ndarray, threat_k: np.ndarray, members: np.ndarray, now: bool) -> tuple:
    """One side's bid for third party k's ``option``: the Nash share t of k's claims on ``issues``
    that the side pays, every actor's utility change, and k's gain."""
    x = war.position[:, None]
    play = alt[option]
    issues = np.broadcast_to(issues, play.open_war.shape)
    if now:  # paid whatever the war's result: from where the war would leave the issue
        expected = play.p_a[..., None] * play.a_wins + (1 - play.p_a[..., None]) * play.b_wins
        before = np.where(play.open_war, expected, np.broadcast_to(sq, issues.shape))
        weight = np.ones(play.p_a.shape)
    else:  # promised on victory: it moves the victor's terms, in the war that goes on
        before = play.a_wins if side == SIDE_A else play.b_wins
        weight = (play.p_a if side == SIDE_A else 1 - play.p_a) * (1 - play.pi)
    target = np.broadcast_to(x[..., k, :], issues.shape)
    full = np.where(issues, target, before)
    delta_full = _utility_change(war, issues, before, full) * weight[..., None]  # (D, P, n)
    g = delta_full[..., k]
    h = -(delta_full * members).sum(-1)
    payer_value = lambda pl: (pl.value * members).sum(-1)  # noqa: E731
    alt_payer = np.choose(best_alt, [payer_value(alt[o]) for o in (NEUTRAL, SIDE_A, SIDE_B)])
    u0 = v_k[..., (NEUTRAL, SIDE_A, SIDE_B).index(option)] - threat_k
    w0 = payer_value(play) - alt_payer
    t = nash_share(u0, g, w0, h)
    after = np.where(issues, before + t[..., None] * (target - before), np.nan)
    delta = t[..., None] * delta_full
    return (option, g * t + u0, t, side, issues, after, delta, now)


def payoffs(war: War, roles: np.ndarray) -> Play:
    """Expected utilities of every actor under each profile of roles ((D or 1, P, n) or (P, n)):
    the war, the brokers, the prices paid outside the peace, and the options a third party does
    not have (:data:`UNAVAILABLE`)."""
    roles = np.asarray(roles)
    if roles.ndim == 2:
        roles = roles[None]
    play = _with_prices(war, roles, _raw(war, roles))
    blocked = (roles == BROKER) & ~may_broker(war)[:, None, :]
    blocked |= _violations(war, roles)
    if blocked.any():
        play = replace(play, value=np.where(blocked, UNAVAILABLE, play.value))
    return play


# ------------------------------------------------------------------------------ profiles
def base_profile(war: War) -> np.ndarray:
    """Everyone outside the sides stays out: (D, n) roles."""
    return np.broadcast_to(war.side.astype(np.int8), (war.draws, len(war.actor_ids))).copy()


def deviations(profile: np.ndarray, third: np.ndarray, commitments: tuple = ()) -> np.ndarray:
    """For a profile (D, n): the 4 T profiles in which third party t takes option o (row 4 t + o).
    A declared commitment that the deviation triggers brings the committed third party along."""
    d, n = profile.shape
    t = len(third)
    roles = np.repeat(profile[:, None, :], N_OPTIONS * t, axis=1)
    rows = np.arange(N_OPTIONS * t)
    movers = np.repeat(third, N_OPTIONS)
    roles[:, rows, movers] = np.tile(np.arange(N_OPTIONS, dtype=np.int8), t)
    for k, option, when, when_option in commitments:
        follow = (movers == when)[None] & (roles[..., when] == when_option)
        roles[..., k] = np.where(follow, option, roles[..., k])
    return roles


def option_values(war: War, profile: np.ndarray) -> tuple[np.ndarray, Play]:
    """Every third party's expected utility for each option, the others held at ``profile``
    (D, n): values (D, T, 4) in :data:`OPTIONS` order, and the play of the deviations."""
    third = np.nonzero(war.third)[0]
    play = payoffs(war, deviations(profile, third, war.commitments))
    t = len(third)
    vals = play.value[:, np.arange(N_OPTIONS * t), np.repeat(third, N_OPTIONS)].reshape(play.value.shape[0], t, N_OPTIONS)
    return vals, play


def deviation_values(war: War, profile: np.ndarray) -> np.ndarray:
    """The values of :func:`option_values` (D, T, 4) without its play, each draw's profile
    evaluated once: of the 4 T deviations, the T in which a third party keeps its option are the
    profile itself, unless a declared commitment brings another third party along (then every
    deviation is evaluated, as there). So 1 + 3 T profiles per draw instead of 4 T."""
    third = np.nonzero(war.third)[0]
    if war.commitments:
        return option_values(war, profile)[0]
    d, t = profile.shape[0], len(third)
    k = N_OPTIONS - 1
    current = profile[:, third].astype(np.intp)  # (D, T)
    others = np.array([[o for o in range(N_OPTIONS) if o != c] for c in range(N_OPTIONS)], dtype=np.intp)
    alt = others[current]  # (D, T, 3): each third party's other options
    roles = np.repeat(profile[:, None, :], 1 + k * t, axis=1)
    moved = 1 + np.arange(k * t)
    movers = np.repeat(third, k)
    roles[:, moved, movers] = alt.reshape(d, -1)
    value = payoffs(war, roles).value  # (D, 1 + 3 T, n)
    vals = np.repeat(value[:, 0, third][..., None], N_OPTIONS, axis=-1)
    np.put_along_axis(vals, alt, value[:, moved, movers].reshape(d, t, k), axis=-1)
    return vals


#: The most steps iterated best response takes (it also stops at the first repeated profile).
MAX_STEPS = 400


def best_response_path(war: War, max_steps: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iterated best response from everyone staying out: at each step the third party with the
    largest gain from a change of option makes it. It stops when nobody gains (an equilibrium),
    when a profile comes back (a cycle: no pure equilibrium on this path), or after ``max_steps``
    (default min(4 T + 50, :data:`MAX_STEPS`)). Returns the profile (D, n), whether it is an
    equilibrium (D,), and the option values there (D, T, 4).

    A declared concert can agree on a joint move (its members met to write one note): the path
    is also followed from the concert formed, every member brokering and the others out. Where
    that path ends in an equilibrium that every member of the concert weakly prefers to the
    first path's end, and one strictly, or where the first path found none, it is selected:
    payoff dominance within the coalition that can coordinate (Harsanyi & Selten 1988, *A General
    Theory of Equilibrium Selection in Games*; the coalition's joint deviation of Bernheim, Peleg
    & Whinston 1987, "Coalition-proof Nash equilibria", *J. Economic Theory* 42)."""
    profile, equilibrium, vals = _path(war, base_profile(war), max_steps)
    third = np.nonzero(war.third)[0]
    for members in war.concerts:
        start = base_profile(war)
        start[:, list(members)] = BROKER
        p2, eq2, v2 = _path(war, start, max_steps)
        j = np.searchsorted(third, members)
        here = np.take_along_axis(vals[:, j], profile[:, list(members)][..., None].astype(np.intp), -1)[..., 0]
        there = np.take_along_axis(v2[:, j], p2[:, list(members)][..., None].astype(np.intp), -1)[..., 0]
        tol = _rel(np.maximum(np.abs(here), np.abs(there)))
        dominates = (there >= here - tol).all(-1) & (there > here + tol).any(-1)
        take = eq2 & (dominates | ~equilibrium)
        profile[take], equilibrium[take], vals[take] = p2[take], eq2[take], v2[take]
    return profile, equilibrium, vals


def _path(war: War, start: np.ndarray, max_steps: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iterated best response from the profile ``start`` (D, n) (see :func:`best_response_path`)."""
    third = np.nonzero(war.third)[0]
    profile = start.copy()
    t = len(third)
    if t == 0:  # nobody outside the sides has a choice: everyone staying out is the equilibrium
        return profile, np.ones(war.draws, dtype=bool), np.zeros((war.draws, 0, N_OPTIONS))
    steps = max_steps if max_steps is not None else min(N_OPTIONS * t + 50, MAX_STEPS)
    every = np.arange(war.draws)
    vals = np.zeros((war.draws, t, N_OPTIONS))
    equilibrium = np.zeros(war.draws, dtype=bool)
    active = np.ones(war.draws, dtype=bool)
    seen: list[set[bytes]] = [set() for _ in range(war.draws)]
    for _ in range(steps + 1):
        _update(war, profile, active, vals)  # only the draws still moving: the others' values stand
        current = np.take_along_axis(vals, profile[:, third][..., None].astype(np.intp), axis=-1)[..., 0]
        gain = (vals - current[..., None]).reshape(war.draws, -1)
        best = gain.argmax(-1)
        moving = active & (gain[every, best] > _rel(current.max(-1)))
        equilibrium |= active & ~moving
        active &= moving
        for d in np.nonzero(active)[0]:
            key = profile[d, third].tobytes()
            if key in seen[d]:
                active[d] = False  # a cycle: stop here
            seen[d].add(key)
        if not active.any():
            break
        who, option = np.divmod(best, N_OPTIONS)
        profile[every[active], third[who[active]]] = option[active]
    if active.any():  # out of steps: the option values of the last profile
        _update(war, profile, active, vals)
    return profile, equilibrium, vals


def _update(war: War, profile: np.ndarray, which: np.ndarray, vals: np.ndarray) -> None:
    """Write the option values at ``profile`` of the draws ``which`` (D,) bool into ``vals``."""
    if which.all():
        vals[...] = deviation_values(war, profile)
    elif which.any():
        idx = np.nonzero(which)[0]
        vals[idx] = deviation_values(rows(war, idx), profile[idx])


def all_profiles(war: War) -> np.ndarray:
    """Every profile of the third parties' options, (4^T, n); the first third party varies slowest."""
    third = np.nonzero(war.third)[0]
    combos = np.array(list(itertools.product(range(N_OPTIONS), repeat=len(third))), dtype=np.int8).reshape(-1, len(third))
    roles = np.broadcast_to(war.side.astype(np.int8), (len(combos), len(war.actor_ids))).copy()
    roles[:, third] = combos
    return roles


def pure_equilibria(war: War) -> tuple[np.ndarray, np.ndarray]:
    """All profiles (4^T, n) and, per draw, which of them are pure Nash equilibria (D, 4^T)."""
    third = np.nonzero(war.third)[0]
    t = len(third)
    roles = all_profiles(war)
    values = payoffs(war, roles).value[..., third]  # (D, 4^T, T)
    grid = values.reshape((war.draws,) + (N_OPTIONS,) * t + (t,))
    ok = np.ones(grid.shape[:-1], dtype=bool)
    for j in range(t):
        v = grid[..., j]
        ok &= v >= v.max(axis=1 + j, keepdims=True) - _rel(v)
    return roles, ok.reshape(war.draws, -1)


def ranking(values: np.ndarray) -> list[str]:
    """Options by expected utility (values in :data:`OPTIONS` order), ties in :data:`TIE_ORDER`."""
    order = sorted(range(N_OPTIONS), key=lambda o: (-round(float(values[o]), 12), TIE_ORDER.index(OPTIONS[o])))
    return [OPTIONS[o] for o in order]


__all__ = ["ENUMERATE_MAX", "NEUTRAL", "OPTIONS", "UNAVAILABLE", "Play", "all_profiles", "best_response_path",
           "deviation_values", "deviations", "option_values", "payoffs", "pure_equilibria", "ranking"]
