"""Bueno de Mesquita's expected-utility model ("the Predictioneer's Game"), vectorised.

Sources: Bueno de Mesquita, B. (1994) "Political forecasting: an expected utility method", in
Bueno de Mesquita & Stokman (eds.), *European Community Decision Making*, Yale UP; the
replication of Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011) "Unravelling Bueno De
Mesquita's group decision model", *Journal of Theoretical Politics* 23(4):510-531. The
equations and the places where the paper and the replicating code disagree are restated in
``shared/reference/bdm-and-deu.md`` sections 3-4; this module follows them. The defaults
reproduce the published numbers of the EC car-emission example (``tests/test_bdm_reference.py``).

Each issue is bargained separately. Per round, for actors i, j with positions x, capability
c, salience s (0-1) and risk exponents r, on a scale of range R (from the initial positions,
held fixed):

* Votes: v_k(a, b) = c_k s_k [(|x_k − b|/R)^{r_k} − (|x_k − a|/R)^{r_k}].
* Probability that i beats j: P_ij = Σ_k max(0, v_k(x_i, x_j)) / D. With
  ``probability="global"`` (default; the form that reproduces BDM's 1994 figure and Scholz's
  rounds) D = Σ_k Σ_a Σ_b |v_k(x_a, x_b)| over all pairs of actors' positions; with
  ``"local"`` (the equation as printed) D = Σ_k |v_k(x_i, x_j)|. P_ij = 0 when x_i = x_j.
* Utilities seen by viewer v (exponent r_v), d = |x_i − x_j|/R:
  U_s = 2 − 4(0.5 − 0.5d)^r, U_f = 2 − 4(0.5 + 0.5d)^r, U_sq = 2 − 4(0.5)^r,
  U_b = 2 − 4(0.5 − 0.25(|x_i − μ| + |x_i − x_j|)/R)^r, U_w = 2 − 4(0.5 + ...)^r.
* Expected utility of i challenging j: E(U_ij) = s_j[P_ij U_s + (1 − P_ij)U_f] + (1 − s_j)U_s
  − Q U_sq − (1 − Q)[T U_b + (1 − T) U_w]; the resistance is always the target's salience
  (the paper's s_j in i's estimate of j's utility is a typo noted by D. Masad).
* Risk (``risk="scholz"``): with every r = 1, D_i = Σ_{k≠i} E(U_ki);
  R_i = (2D_i − max D − min D)/(max D − min D); r_i = (1 − R_i/3)/(1 + R_i/3) in [0.5, 2].
  ``risk="neutral"`` keeps r = 1. Votes in the probabilities use the current exponents.
* Offers: i classifies every j ≠ i with x_j ≠ x_i by a = E^i(U_ij), b = E^i(U_ji), both with
  r_i: confrontation it loses (b > a > 0) → move to x_j; compromise (a < 0 < b, |a| <= b) →
  move to x_i + (x_j − x_i)|a/b|; capitulation (a < 0 < b, |a| > b) → move to x_j.
  ``offers="scholz"``: the nearest confrontation, else the compromise with the lowest
  (|a|x_i + |b|x_j)/(|a| + |b|) (Scholz's code, kept because it produces the published
  numbers), else the nearest capitulation. ``offers="nearest"``: the offer that moves i least
  (BDM's "least movement"). Ties (within 1e-9 of the range) go to the lowest resulting
  position, so the result does not depend on the order of the actors. All moves apply at once.
* Stopping: ``stop="rounds"`` runs ``rounds`` rounds; ``stop="median"`` stops earlier once the
  weighted median has moved by less than ``tolerance`` (in scale units) for ``patience``
  rounds in a row.
* Forecast: the c·s-weighted median position after the last round (``outcome="median"``, BDM's
  forecast under majority rule) or the c·s-weighted mean (``outcome="mean"``, Scholz's plots).

No Python loop runs over actor pairs: every pairwise quantity is an (n, n) array. The global
denominator, a triple sum, is computed per voter from its sorted utilities in O(n log n); the
vote numerators come from prefix sums over voters sorted by position, since voter k prefers
x_i to x_j exactly when it lies on x_i's side of their midpoint. A round costs O(n² log n)
time and O(n²) memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tertius.errors import InputError
from tertius.forecast import Forecast, utilities
from tertius.models.central import weighted_mean, weighted_median
from tertius.models.registry import register
from tertius.scenario import Scenario

DEFAULTS: dict[str, Any] = {
    "probability": "global",
    "q": 1.0,
    "t": 1.0,
    "risk": "scholz",
    "offers": "scholz",
    "rounds": 10,
    "stop": "rounds",
    "tolerance": 1e-3,
    "patience": 1,
    "outcome": "median",
}
_CHOICES = {
    "probability": ("global", "local"),
    "risk": ("scholz", "neutral"),
    "offers": ("scholz", "nearest"),
    "stop": ("rounds", "median"),
    "outcome": ("median", "mean"),
}


def check_params(p: dict[str, Any]) -> None:
    for key, allowed in _CHOICES.items():
        if p[key] not in allowed:
            raise InputError(f"bdm parameter {key}={p[key]!r} is not one of {', '.join(allowed)}",
                             fix=f"use {key}={allowed[0]} (the default) or another listed value")
    for key in ("q", "t"):
        if not 0.0 <= p[key] <= 1.0:
            raise InputError(f"bdm parameter {key}={p[key]} is outside [0, 1]", fix=f"use {key}=1 (the default)")
    if p["rounds"] < 0:
        raise InputError("bdm parameter rounds is negative", fix="use rounds=10 (the default)")
    if p["patience"] < 1:
        raise InputError("bdm parameter patience must be at least 1", fix="use patience=1")


def _vote_utility(x: np.ndarray, r: np.ndarray, R: float) -> np.ndarray:
    """U[k, a] = (|x_k − x_a| / R)^{r_k}: voter k's loss at actor a's position."""
    return (np.abs(x[:, None] - x[None, :]) / R) ** r[:, None]


def win_probabilities(x: np.ndarray, w: np.ndarray, r: np.ndarray, R: float, form: str = "global") -> np.ndarray:
    """P[i, j], the probability that i's position beats j's (see the module docstring)."""
    n = x.size
    U = _vote_utility(x, r, R)
    WU = w[:, None] * U
    order = np.argsort(x, kind="stable")
    xs = x[order]
    C = np.zeros((n + 1, n))
    np.cumsum(WU[order], axis=0, out=C[1:])
    mid = (x[:, None] + x[None, :]) / 2.0
    left = np.searchsorted(xs, mid, side="left")  # voters strictly left of the midpoint
    right = np.searchsorted(xs, mid, side="right")  # voters at or left of it
    cols = np.broadcast_to(np.arange(n), (n, n))
    rows = cols.T
    # x_i < x_j: voters left of the midpoint prefer x_i.  x_i > x_j: voters right of it.
    num_lo = C[left, cols] - C[left, rows]
    num_hi = (C[n, cols] - C[right, cols]) - (C[n, rows] - C[right, rows])
    num = np.where(x[:, None] < x[None, :], num_lo, np.where(x[:, None] > x[None, :], num_hi, 0.0))
    num = np.maximum(num, 0.0)
    if form == "global":
        coef = 2.0 * (2.0 * np.arange(n) - n + 1.0)
        total = float(w @ (np.sort(U, axis=1) @ coef))
        return num / total if total > 0 else np.zeros_like(num)
    denom = num + num.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, num / denom, 0.0)


def _power_base(base: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.maximum(base, 0.0) ** r


def expected_utilities(x: np.ndarray, s: np.ndarray, P: np.ndarray, r: np.ndarray, R: float, median: float,
                       q: float, t: float) -> tuple[np.ndarray, np.ndarray]:
    """(own, other): own[i, j] = E^i(U_ij), i's utility of challenging j; other[i, j] =
    E^i(U_ji), i's estimate of j's utility of challenging i. Both use viewer i's exponent."""
    rv = r[:, None]
    d = np.abs(x[:, None] - x[None, :]) / R
    U_s = 2.0 - 4.0 * _power_base(0.5 - 0.5 * d, rv)
    U_f = 2.0 - 4.0 * _power_base(0.5 + 0.5 * d, rv)
    U_sq = 2.0 - 4.0 * 0.5**rv
    own = s[None, :] * (P * U_s + (1.0 - P) * U_f) + (1.0 - s[None, :]) * U_s - q * U_sq
    other = s[:, None] * (P.T * U_s + (1.0 - P.T) * U_f) + (1.0 - s[:, None]) * U_s - q * U_sq
    if q < 1.0:
        # status quo changes if nobody challenges: better (T) or worse (1 - T) for the challenger
        def sq_change(challenger_dev: np.ndarray) -> np.ndarray:
            spread = 0.25 * (challenger_dev + d)
            U_b = 2.0 - 4.0 * _power_base(0.5 - spread, rv)
            U_w = 2.0 - 4.0 * _power_base(0.5 + spread, rv)
            return (1.0 - q) * (t * U_b + (1.0 - t) * U_w)

        dev = np.abs(x - median) / R
        own = own - sq_change(dev[:, None])
        other = other - sq_change(dev[None, :])
    return own, other


def risk_exponents(x: np.ndarray, w: np.ndarray, s: np.ndarray, R: float, form: str) -> np.ndarray:
    """Scholz et al.'s cross-actor security measure, computed with every r = 1."""
    ones = np.ones_like(x)
    P = win_probabilities(x, w, ones, R, form)
    own, _ = expected_utilities(x, s, P, ones, R, 0.0, 1.0, 1.0)
    np.fill_diagonal(own, 0.0)
    D = own.sum(axis=0)  # column i: what every other actor expects from challenging i
    spread = D.max() - D.min()
    if spread <= 1e-15 * max(1.0, abs(D).max()):
        return ones
    Ri = (2.0 * D - D.max() - D.min()) / spread
    return (1.0 - Ri / 3.0) / (1.0 + Ri / 3.0)


def choose_offers(x: np.ndarray, own: np.ndarray, other: np.ndarray, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Each actor's new position and the partner whose offer it accepted (-1: none)."""
    a, b = own, other
    differ = x[:, None] != x[None, :]
    conf = differ & (b > a) & (a > 0)
    comp = differ & (a < 0) & (b > 0) & (np.abs(a) <= b)
    capit = differ & (a < 0) & (b > 0) & (np.abs(a) > b)
    xj = np.broadcast_to(x[None, :], a.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        comp_pos = x[:, None] + (x[None, :] - x[:, None]) * np.abs(a) / b
        comp_key = (np.abs(a) * x[:, None] + np.abs(b) * x[None, :]) / (np.abs(a) + np.abs(b))
    dist = np.abs(xj - x[:, None])
    n = x.size
    new = x.copy()
    partner = np.full(n, -1)
    if rule == "scholz":
        stages = [(conf, dist, xj), (comp, comp_key, comp_pos), (capit, dist, xj)]
    else:
        target = np.where(conf | capit, xj, comp_pos)
        stages = [(conf | comp | capit, np.abs(target - x[:, None]), target)]
    decided = np.zeros(n, dtype=bool)
    for mask, key, target in stages:
        j = _pick(mask, key, target, tie=1e-9 * max(1.0, float(np.ptp(x))))
        take = ~decided & mask.any(axis=1)
        rows = np.nonzero(take)[0]
        new[rows] = target[rows, j[rows]]
        partner[rows] = j[rows]
        decided |= take
    return new, partner


def _pick(mask: np.ndarray, key: np.ndarray, target: np.ndarray, tie: float) -> np.ndarray:
    """Per row, the column with the smallest key among ``mask``; keys within ``tie`` of the
    smallest count as equal and the lowest target position wins, so the choice does not
    depend on the order in which actors are listed."""
    keyed = np.where(mask, key, np.inf)
    best = keyed.min(axis=1, keepdims=True)
    near = mask & (keyed <= best + tie)
    return np.argmin(np.where(near, target, np.inf), axis=1)


@dataclass(frozen=True)
class Trajectory:
    """Positions (rounds + 1, n), risk exponents per round (rounds, n), the weighted mean and
    median per round (rounds + 1), and each round's accepted partner per actor (-1: none)."""

    positions: np.ndarray
    risk: np.ndarray
    mean: np.ndarray
    median: np.ndarray
    partners: np.ndarray


def bdm_issue(x0: np.ndarray, c: np.ndarray, s: np.ndarray, params: dict[str, Any]) -> Trajectory:
    """Run the model on one issue. ``s`` in [0, 1]."""
    x = np.asarray(x0, dtype=float).copy()
    w = np.asarray(c, dtype=float) * np.asarray(s, dtype=float)
    R = float(x.max() - x.min())
    pos, risks, partners = [x.copy()], [], []

    def centre(v: np.ndarray) -> tuple[float, float]:
        return (float(weighted_mean(v[:, None], w[:, None])[0]),
                float(weighted_median(v[:, None], w[:, None])[0]))

    m0, med0 = centre(x)
    means, medians = [m0], [med0]
    quiet = 0
    for _ in range(int(params["rounds"])):
        if R <= 0:
            break
        r = (risk_exponents(x, w, s, R, params["probability"]) if params["risk"] == "scholz"
             else np.ones_like(x))
        P = win_probabilities(x, w, r, R, params["probability"])
        own, other = expected_utilities(x, s, P, r, R, medians[-1], params["q"], params["t"])
        x, partner = choose_offers(x, own, other, params["offers"])
        pos.append(x.copy())
        risks.append(r)
        partners.append(partner)
        m, med = centre(x)
        means.append(m)
        medians.append(med)
        if params["stop"] == "median":
            quiet = quiet + 1 if abs(medians[-1] - medians[-2]) < params["tolerance"] else 0
            if quiet >= params["patience"]:
                break
    n = x.size
    return Trajectory(
        positions=np.array(pos), risk=np.array(risks).reshape(-1, n), mean=np.array(means),
        median=np.array(medians), partners=np.array(partners, dtype=int).reshape(-1, n),
    )


@register("bdm", summary="Bueno de Mesquita's expected-utility model, issue by issue, in rounds.",
          citation="Bueno de Mesquita (1994); Scholz, Calbert & Smith (2011), J. Theoretical Politics 23(4).",
          defaults=DEFAULTS, tags=("rounds",))
def bdm(scenario: Scenario, params: dict[str, Any], rng: np.random.Generator) -> Forecast:
    """Bueno de Mesquita's expected-utility model, run on each issue separately.

    Bueno de Mesquita (1994), "Political forecasting: an expected utility method"; the
    variant of Scholz, Calbert & Smith (2011), "Unravelling Bueno De Mesquita's group decision
    model", *J. Theoretical Politics* 23(4). Equations and parameters: module docstring.
    ``rounds`` in the forecast holds every actor's position after each round (round 0: the
    inputs); actors without a stance on an issue are NaN there. It is deterministic: ``rng``
    is not used.
    """
    check_params(params)
    arr = scenario.arrays
    n, m = arr.position.shape
    n_rounds = int(params["rounds"])
    snaps = np.full((n_rounds + 1, n, m), np.nan)
    outcome = np.empty(m)
    details: dict[str, Any] = {"mean": {}, "median": {}, "rounds_run": {}}
    for i, issue_id in enumerate(arr.issue_ids):
        who = np.nonzero(arr.present[:, i])[0]
        traj = bdm_issue(arr.position[who, i], arr.capability[who], arr.salience[who, i], params)
        k = traj.positions.shape[0]
        snaps[:k, who, i] = traj.positions
        snaps[k:, who, i] = traj.positions[-1]  # stopped early: positions stay put
        outcome[i] = traj.median[-1] if params["outcome"] == "median" else traj.mean[-1]
        details["mean"][issue_id] = [float(v) for v in traj.mean]
        details["median"][issue_id] = [float(v) for v in traj.median]
        details["rounds_run"][issue_id] = k - 1
    return Forecast(model="bdm", scenario_id=scenario.id, actor_ids=tuple(arr.actor_ids),
                    issue_ids=tuple(arr.issue_ids), outcome=outcome, utility=utilities(arr, outcome),
                    params=params, rounds=tuple(snaps), details=details)
