"""The asymmetric Nash bargaining solution over all issues jointly.

Nash, J. (1950) "The bargaining problem", *Econometrica* 18(2):155-162; the asymmetric form
is Kalai, E. (1977) "Nonsymmetric Nash solutions and replications of 2-person bargaining",
*International Journal of Game Theory* 6(3):129-133. Its use as a forecasting model of
collective decisions follows Achen (2006), ch. 4 of *The European Union Decides*.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tertius.forecast import Forecast, utilities
from tertius.models.central import weighted_mean
from tertius.models.registry import linear_cost, register
from tertius.scenario import Scenario


def disagreement_positions(position: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                           status_quo: np.ndarray) -> np.ndarray:
    """The disagreement outcome each actor faces on each issue.

    The status quo where the issue has one. Where it has none, each actor's *worst* point on
    the scale (the end farthest from its position): without a fallback, failing to agree is
    taken to be as bad for every actor as it could be, so every actor gains from any deal.
    """
    worst = np.where(np.abs(position - lo) >= np.abs(position - hi), lo, hi)
    return np.where(np.isnan(status_quo)[None, :], worst, status_quo[None, :])


def nash_bargaining(position: np.ndarray, salience: np.ndarray, capability: np.ndarray,
                    lo: np.ndarray, hi: np.ndarray, status_quo: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Solve max Σ_a c_a log(U_a(o) - U_a(d)) over outcomes o in the issues' box.

    Utilities are salience-weighted linear losses, U_a(o) = -Σ_i s_ai |x_ai - o_i| / R_i, with
    R_i the scale span. The kinks are removed with auxiliary variables e_ai >= |x_ai - o_i|,
    which turns the problem into a smooth concave maximisation over a polytope.

    1. An LP finds the largest gain t that every actor can get at once. If t > 0 the solution
       maximises the Nash product (:func:`_maximise_nash_product`). The LPs, like the Nash
       product's programme, are solved by Clarabel (:func:`_solve_conic`), an interior-point
       method; at 1e-12 it finds the same vetoes and holders as HiGHS's simplex did on every DEU
       issue, bundled scenario and 400 random ones, the same gains to 1e-11, 3-4x faster than
       scipy's linprog, and without importing scipy.optimize (0.2 s).
    2. If no outcome makes every actor strictly better off than disagreement (an actor sits at
       the status quo on everything it cares about, say), the Nash product is zero everywhere
       and the solution is defined on the set of outcomes that leave nobody worse off: actors
       who cannot gain there are held at their disagreement utility (a veto), and the rest
       bargain. If nobody can gain, the outcome is the disagreement point.
    Issues on which no actor has positive salience take the unweighted mean of positions.
    """
    n, m = position.shape
    present = ~np.isnan(position)
    span = hi - lo
    w = np.where(present, salience, 0.0) / span[None, :]
    x = np.nan_to_num(position)
    d = disagreement_positions(x, lo, hi, status_quo)
    active_issue = (w > 0).any(axis=0)
    fallback = weighted_mean(position, present.astype(float))
    outcome = np.where(active_issue, np.nan, fallback)
    pairs = [(a, i) for a in range(n) for i in range(m) if w[a, i] > 0]
    actors = sorted({a for a, _ in pairs})
    info: dict[str, Any] = {"held": [], "max_min_gain": 0.0}
    if not pairs:
        return np.clip(outcome, lo, hi), info
    issues = [i for i in range(m) if active_issue[i]]
    o_index = {i: k for k, i in enumerate(issues)}
    n_o, n_e = len(issues), len(pairs)
    nv = n_o + n_e
    cap = np.asarray(capability, dtype=float)
    c_sum = cap[actors].sum()
    weight = {a: (cap[a] / c_sum if c_sum > 0 else 1.0 / len(actors)) for a in actors}
    C = {a: float(np.sum(w[a] * np.abs(x[a] - d[a]))) for a in actors}

    # Linear constraints A z <= b over z = (o, e): e >= x - o and e >= o - x (rows 2k, 2k + 1),
    # the bounds, and each actor's gain g_a(z) = C_a - G_a · z, G_a holding w_ai at the e of its pairs. Each
    # row has at most a few nonzeros, so the matrices are sparse: dense, they were
    # (2 n_e + n) × nv (about 60 MB at 600 actors × 3 issues, for every LP solved).
    pair_actor = np.array([a for a, _ in pairs])
    pair_o = np.array([o_index[i] for _, i in pairs])
    pair_x = np.array([x[a, i] for a, i in pairs])
    pair_w = np.array([w[a, i] for a, i in pairs])
    e_col = n_o + np.arange(n_e)
    box_rows = np.concatenate([2 * np.arange(n_e)] * 2 + [2 * np.arange(n_e) + 1] * 2)
    box_cols = np.concatenate([pair_o, e_col, pair_o, e_col])
    box_vals = np.concatenate([-np.ones(n_e), -np.ones(n_e), np.ones(n_e), -np.ones(n_e)])
    box_b = np.empty(2 * n_e)
    box_b[0::2], box_b[1::2] = -pair_x, pair_x
    # the variables' bounds as rows too: o <= hi, -o <= -lo, -e <= 0
    o_col = np.arange(n_o)
    bound_rows = 2 * n_e + np.arange(2 * n_o + n_e)
    bound_cols = np.r_[o_col, o_col, e_col]
    bound_vals = np.r_[np.ones(n_o), -np.ones(n_o), -np.ones(n_e)]
    bound_b = np.r_[hi[issues], -lo[issues], np.zeros(n_e)]

    def gain_rows(group: list[int], first: int, t_coef: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Coordinates of the rows G_a z + t_coef t <= C_a for the actors of ``group``, in its
        order, from row ``first`` on."""
        row_of = np.full(n, -1)
        row_of[group] = first + np.arange(len(group))
        mine = row_of[pair_actor] >= 0
        rows, cols, vals = row_of[pair_actor[mine]], e_col[mine], pair_w[mine]
        if t_coef:
            rows, cols = np.r_[rows, first + np.arange(len(group))], np.r_[cols, np.full(len(group), nv)]
            vals = np.r_[vals, np.full(len(group), t_coef)]
        return rows, cols, vals

    def max_min_gain(gainers: list[int], holders: list[int]) -> tuple[float, np.ndarray]:
        # maximise t s.t. g_a >= t (gainers), g_b >= 0 (holders), the bounds; variables (z, t).
        first = 2 * n_e + 2 * n_o + n_e
        parts = [(box_rows, box_cols, box_vals), (bound_rows, bound_cols, bound_vals),
                 gain_rows(gainers, first, 1.0), gain_rows(holders, first + len(gainers), 0.0)]
        rows, cols, vals = (np.concatenate(v) for v in zip(*parts, strict=True))
        b = np.r_[box_b, bound_b, [C[a] for a in gainers], [C[a] for a in holders]]
        cost = np.zeros(nv + 1)
        cost[-1] = -1.0
        v = _solve_conic(cost, rows, cols, vals, b, 0, CLARABEL_SETTINGS)
        if v is None:
            return -np.inf, np.zeros(nv)
        return float(v[-1]), v[:nv]

    tol = 1e-6  # far above the LP's tolerances (1e-12), so solver noise is not read as a gain
    t, z0 = max_min_gain(actors, [])
    gainers, holders = list(actors), list[int]()
    if t <= tol:
        gainers, holders = [], []
        # an actor that cannot gain from any change, whatever the others get, holds the veto
        info["veto"] = [int(a) for a in actors if max_min_gain([a], [])[0] <= tol]
        for a in actors:
            others = [b for b in actors if b != a]
            ta, _ = max_min_gain([a], others)
            (gainers if ta > tol else holders).append(a)
        if gainers:
            t, z0 = max_min_gain(gainers, holders)
        else:  # nobody can gain: the disagreement point stands
            outcome = np.where(active_issue & ~np.isnan(status_quo), status_quo, fallback)
            info["held"] = [int(a) for a in holders]
            return np.clip(outcome, lo, hi), info
    info["max_min_gain"] = max(t, 0.0)
    info["held"] = [int(a) for a in holders]
    if gainers:
        z = _maximise_nash_product(x[:, issues], w[:, issues], {a: C[a] for a in actors},
                                   [weight[a] for a in gainers], gainers, holders, lo[issues], hi[issues])
        info["converged"] = z is not None
        if z is None:  # the conic solver failed: keep the max-min-gain point of the LP
            z = z0
    else:
        z = z0
    for k, i in enumerate(issues):
        outcome[i] = z[k]
    # Projecting onto the hull of the salient positions leaves nobody worse off, so it keeps
    # the solution optimal and picks it where the optimum is flat outside the hull.
    hull_lo = np.where(w > 0, x, np.inf).min(axis=0)
    hull_hi = np.where(w > 0, x, -np.inf).max(axis=0)
    outcome = np.where(active_issue, np.clip(outcome, hull_lo, hull_hi), outcome)
    return np.clip(outcome, lo, hi), info


#: The cost of a run in pair evaluations (:mod:`tertius.models.registry`) per actor-issue term of
#: the programme: its LPs and the conic solve take about as long as a thousand of bdm's pair
#: evaluations per term (measured on the 2-core machine: 8 to 12 ms a run at 40 to 50 terms, 42 ms
#: at 600, where bdm's batch form takes about 0.2 µs a pair evaluation). That was with HiGHS and
#: cvxpy; with Clarabel alone a run takes about a quarter of the time (the DEU issues: median 8 ms
#: against 36 ms), but the cost stays, so the intervals' cost bound, and the draws and bytes it
#: decides, stay as they were.
TERM_COST = 1_000


def nash_cost(scenario: Scenario, params: dict[str, Any]) -> float:
    """The pair evaluations of a run: :data:`TERM_COST` × Σ_i n_i."""
    return TERM_COST * linear_cost(scenario, params)


@register("nash", summary="Asymmetric Nash bargaining solution over all issues, status quo as disagreement.",
          citation="Nash (1950); Kalai (1977); Achen (2006), The European Union Decides, ch. 4.",
          tags=("deterministic", "optimiser", "unique-utilities"), cost=nash_cost)
def nash(scenario: Scenario, params: dict[str, Any], rng: np.random.Generator) -> Forecast:
    """The asymmetric Nash bargaining solution (Nash 1950; Kalai 1977), all issues jointly.

    Maximises Σ_a c_a log(U_a(o) − U_a(d)), where c_a is the actor's capability (its
    bargaining weight, normalised to sum 1), U_a(o) = −Σ_i s_ai |x_ai − o_i| / R_i is its
    salience-weighted linear loss, and d is the disagreement point: the issue's status quo, or
    where an issue has none, each actor's worst point on the scale (see
    :func:`disagreement_positions`). Because utilities add across issues, actors can trade:
    the solution concedes on an issue to those who care more about it. With a status quo, an
    actor that cannot gain from any change holds a veto (see :func:`nash_bargaining`), which is
    the unanimity reading Achen (2006) gives the model.
    """
    arr = scenario.arrays
    outcome, info = nash_bargaining(arr.position, arr.salience, arr.capability, arr.lo, arr.hi, arr.status_quo)
    details = {"held_at_disagreement": [arr.actor_ids[a] for a in info["held"]], "max_min_gain": info["max_min_gain"],
               "veto": [arr.actor_ids[a] for a in info.get("veto", [])]}
    return Forecast(scenario_id=scenario.id, actor_ids=tuple(arr.actor_ids),
                    issue_ids=tuple(arr.issue_ids), outcome=outcome, utility=utilities(arr, outcome),
                    params=params, details=details)


#: Clarabel's settings for nash's programmes (the LPs of the largest gain all can get at once and
#: the Nash product's exponential-cone programme): gaps and feasibility to 1e-12, so the outcome is
#: exact to well below the report's resolution, and at most 500 interior-point steps. There is no
#: second solver: SCS, tried after Clarabel before, was reachable only through cvxpy, and where
#: Clarabel fails on the Nash product the forecast is the LP's max-min-gain point
#: (tests/test_nash_form.py); an LP it fails on counts as no gain (as HiGHS's failures did).
CLARABEL_SETTINGS: dict[str, Any] = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "max_iter": 500}


def _maximise_nash_product(x: np.ndarray, w: np.ndarray, C: dict[int, float], weights: list[float],
                           gainers: list[int], holders: list[int], lo: np.ndarray, hi: np.ndarray) -> np.ndarray | None:
    """max Σ_g weight_g log(C_g − Σ_i w_gi |x_gi − o_i|) s.t. holders' gains >= 0, lo <= o <= hi.

    An exponential-cone programme, given to Clarabel (Goulart, P. J. & Chen, Y. 2024, "Clarabel: an
    interior-point solver for conic programs with quadratic objectives", arXiv:2405.12762) in its
    standard form: min qᵀv s.t. A v + s = b, s in K. The variables are v = (o, t, u): the m
    outcomes; t_k >= |x_k − o_i| for each salient actor-issue term k of the gainers and holders
    (two rows of the nonnegative cone, o_i + t_k >= x_k and t_k − o_i >= −x_k); and u_g <= log
    gain_g for each gainer, written (u_g, 1, gain_g) in Clarabel's exponential cone {(a, b, c):
    b e^{a/b} <= c, b > 0}, with gain_g = C_g − Σ_k w_k t_k over g's terms. The objective is
    min −Σ_g weight_g u_g. A holder's gain C_h − Σ_k w_k t_k >= 0 and the box lo <= o <= hi are
    rows of the nonnegative cone. At the optimum t_k = |x_k − o_i| wherever the term's actor
    gains at the margin, so u_g = log gain_g and the programmes agree. A is built sparse in a few
    vectorised calls, whatever the number of actors. Interior-point methods cope with the
    degenerate constraint sets a veto creates. Returns the issue outcomes, or None if Clarabel
    stops short of an (almost) solved status: the caller then keeps the max-min-gain point of its
    LP.
    """
    m, ng, nh = x.shape[1], len(gainers), len(holders)
    members = np.asarray(gainers + holders, dtype=int)
    who, issue = np.nonzero(w[members] > 0)  # terms by member (gainers, then holders), then issue
    n_t = who.size
    xk, wk = x[members][who, issue], w[members][who, issue]
    t_col, u_col = m + np.arange(n_t), m + n_t + np.arange(ng)
    n_nonneg = 2 * n_t + nh + 2 * m
    # a term's weight sits in its gainer's third exponential-cone row, or in its holder's row
    gain_row = np.where(who < ng, n_nonneg + 3 * who + 2, 2 * n_t + who - ng)
    k2, box = 2 * np.arange(n_t), np.arange(m)
    ones_t, ones_m = np.ones(n_t), np.ones(m)
    rows = np.concatenate([k2, k2, k2 + 1, k2 + 1, gain_row, 2 * n_t + nh + box, 2 * n_t + nh + m + box,
                           n_nonneg + 3 * np.arange(ng)])
    cols = np.concatenate([issue, t_col, issue, t_col, t_col, box, box, u_col])
    vals = np.concatenate([-ones_t, -ones_t, ones_t, -ones_t, wk, ones_m, -ones_m, -np.ones(ng)])
    n_var = m + n_t + ng
    b = np.zeros(n_nonneg + 3 * ng)
    b[k2], b[k2 + 1] = -xk, xk
    b[2 * n_t:2 * n_t + nh] = [C[a] for a in holders]
    b[2 * n_t + nh:n_nonneg] = np.r_[hi, -lo]
    b[n_nonneg + 3 * np.arange(ng) + 1] = 1.0
    b[n_nonneg + 3 * np.arange(ng) + 2] = [C[a] for a in gainers]
    q = np.zeros(n_var)
    q[u_col] = -np.asarray(weights, dtype=float)
    v = _solve_conic(q, rows, cols, vals, b, ng, CLARABEL_SETTINGS)
    return None if v is None else v[:m]


def _solve_conic(q: np.ndarray, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, b: np.ndarray, n_exp: int,
                 options: dict[str, Any]) -> np.ndarray | None:
    """min qᵀv s.t. A v + s = b, s in K, by Clarabel: A's nonzeros by coordinates (summed where
    repeated), K the nonnegative cone over all rows but the last 3 ``n_exp``, which are exponential
    cones. The solution v, or None unless Clarabel reports it (almost) solved and finite."""
    import clarabel
    from scipy import sparse

    n_var = q.size
    A = sparse.csc_matrix((vals, (rows, cols)), shape=(b.size, n_var))
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    for name, value in options.items():
        setattr(settings, name, value)
    cones = [clarabel.NonnegativeConeT(b.size - 3 * n_exp)] + [clarabel.ExponentialConeT()] * n_exp
    solution = clarabel.DefaultSolver(sparse.csc_matrix((n_var, n_var)), q, A, b, cones, settings).solve()
    if solution.status not in (clarabel.SolverStatus.Solved, clarabel.SolverStatus.AlmostSolved):
        return None
    v = np.asarray(solution.x, dtype=float)
    return v if np.all(np.isfinite(v)) else None
