"""A two-stage conditional logit over a third party's options, with the game's terms and the tables' covariates.

Each candidate chooses among the options of :data:`tertius.conflict.war.OPTIONS` (neutral,
join-a, join-b, broker; their kinds come from :data:`tertius.scenario.OPTION_TABLE`) in two
stages (a sequential logit: Tutz 1991; the nested logit of McFadden 1978 with the staying-out
nest's inclusive value left out of the first stage). First, take up arms on a side or stay out:
P(o) = exp(β·x_o) / (1 + Σ_joins exp(β·x_o')) over the joins open to it (McFadden 1974's
conditional logit, staying out the reference, x = 0). Then, a state that stays out stays
neutral or brokers: P(broker | out) = exp(γ·z) / (1 + exp(γ·z)) where brokering is open. So
closing the broker option (no stake) moves no probability between staying out and joining. The
coefficients are shared by the two sides (side-symmetric): joining side s is described by the
same variables seen from s ("own") and from the other side ("other"), as in Signorino's
strategic estimators (Signorino 1999) and the joining literature (Corbetta & Dixon 2004; Joyce,
Ghosn & Bayer 2013). The variables (:data:`COVARIATES`) are the tables' columns:

- distance in thousands of km and log(1 + km) to each side, near (< 1,000 km) to each side;
- ATOP alliance and defence ties to each side's originals, ally × near for the own side;
- log CINC of the state, of the own side and of the other side, the own side's share of the two;
- major power (COW majors2016: the table's ``major`` column, else :data:`MAJORS` in the start
  year), initiator side (+½ own, −½ other, 0 unknown) and the number of originals of each side;

and, in the model with the theory (:data:`GAME_TERMS`), the game's terms per option: the expected
gain over staying out, EU(o) − EU(neutral), from :func:`tertius.conflict.equilibrium.solve`
at the selected equilibrium, whether o is the equilibrium's option and, for the joins, the
rivalry stake the game's mapping reads (:data:`RIVALRY_TERMS`); the joins' enter the first
stage, the broker's and a constant for brokering the second (identified only by data that
record brokers apart: the casebook). An option whose expected utility is not finite, or that
the game marks unavailable (brokering without a stake or a declared instrument;
docs/thirdparty.md, "A stake before a choice"), is unavailable (P = 0), and without the game's
terms the broker option is unavailable.

Fitting is by maximum likelihood with ridge penalties on the standardised variables (the
constants are not penalised), by scipy's trust-region Newton method with the exact Hessian; the
two stages' parameters are disjoint, so each stage is fitted on its own rows. The class ``none``
of the tables counts neutral and broker together, so the tables inform the first stage only.
α (the covariates' penalty) is chosen from :data:`ALPHAS` by K-fold cross-validation grouped by
war or dispute inside the training rows with the game's terms left out; at that α, the game's
join terms get their own penalty from :data:`GAME_ALPHAS`, where leaving them out (the plain
logit) is one of the choices; each penalty is scored by its inner log loss averaged over
:data:`INNER_REPEATS` deals of the groups into folds. The join call threshold τ (call the more probable side where
P(join) > τ) is chosen by the F1 of the calls on the training rows. Standard errors come from
the inverse of each stage's penalised Hessian at the estimate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from tertius.conflict.choice import CLASS_OF, CLASSES, call_scores
from tertius.conflict.contest import great_circle_miles
from tertius.conflict.equilibrium import solve
from tertius.conflict.war import N_OPTIONS, OPTIONS, SIDE_A, SIDE_B, UNAVAILABLE, build_war, phases_of
from tertius.io.rivalries import is_rival
from tertius.io.thirdparty_table import Case
from tertius.scenario import OPTION_TABLE
from tertius.seeds import child_rng

#: COW major-power spells (majors2016; Correlates of War Project 2017, "State System Membership
#: List, v2016"), by start and end year: ccode -> [(first year, last year)]. Copied from the
#: shared data (rivalries/cow_majors2016.csv); the year is the war's or dispute's start year.
MAJORS: dict[str, tuple[tuple[int, int], ...]] = {
    "2": ((1898, 2016),), "200": ((1816, 2016),), "220": ((1816, 1940), (1945, 2016)),
    "255": ((1816, 1918), (1925, 1945), (1991, 2016)), "300": ((1816, 1918),), "325": ((1860, 1943),),
    "365": ((1816, 1917), (1922, 2016)), "710": ((1950, 2016),), "740": ((1895, 1945), (1991, 2016)),
}
NEAR_KM = 1000.0
COVARIATES = ("join", "dist_own", "dist_other", "logdist_own", "logdist_other", "near_own", "near_other",
              "ally_own", "ally_other", "defense_own", "defense_other", "ally_near_own", "log_cinc",
              "log_cinc_own", "log_cinc_other", "share_own", "major", "initiator_own", "n_orig_own",
              "n_orig_other")
#: The kind of each option (the ``kind`` column of :data:`tertius.scenario.OPTION_TABLE`) and
#: the side an option joins (``joins``), by code.
KIND = {o.code: o.kind for o in OPTION_TABLE}
SIDE = {o.code: o.joins for o in OPTION_TABLE}
#: The stake the game's mapping reads from the rivalry data (docs/thirdparty-data.md, revision 3),
#: as join terms seen from the side joined: a strategic rival (Thompson & Dreyer 2012) of the
#: side's originals ("own") or of the other side's ("other"). In the theory's join terms, so
#: they share its penalty and are left out with it (docs/choicemodel.md, "Variant 3").
RIVALRY_TERMS = ("rival_own", "rival_other")
#: The kinds the model has terms for: staying out (the reference, x = 0), joining a side (the
#: covariates seen from the side it joins, and the game's join terms) and brokering (the game's
#: broker terms and its constant). Any other kind is unavailable until it is given terms.
TERMS_OF_KIND = {"neutral": (), "join": ("gain_join", "equilibrium_join", *RIVALRY_TERMS),
                 "broker": ("gain_broker", "equilibrium_broker", "broker")}
GAME_TERMS = tuple(t for terms in TERMS_OF_KIND.values() for t in terms)
#: The reference option (staying out), the options that take up arms (the first stage's), and
#: the options that stay out of the fighting other than the reference (the second stage's).
REFERENCE = next(k for k, o in enumerate(OPTIONS) if KIND[o] == "neutral")
JOINING = np.array([KIND[o] == "join" for o in OPTIONS])
SIDES = tuple((k, str(SIDE[o])) for k, o in enumerate(OPTIONS) if JOINING[k])
#: The constants, which the ridge penalty leaves alone (an option's constant sets its base rate;
#: shrinking it towards 0 would pull the options' shares towards equality).
UNPENALISED = ("join", "broker")
#: The ridge penalties searched by the inner cross-validation: α for the covariates (and the
#: second stage), then, at that α, the penalty on the first stage's game terms, where ``inf``
#: leaves them out (the model is then the plain logit).
ALPHAS = (1.0, 10.0, 100.0)
GAME_ALPHAS = (1.0, 10.0, 100.0, 1000.0, math.inf)
#: Inner folds for α, and how many times the inner grouped CV is repeated with fresh folds (the
#: penalties' log losses are averaged over the repeats, so that one unlucky deal of a few joiners
#: into the inner folds does not pick the penalty; repeated CV, Kohavi 1995, Kim 2009).
INNER_K = 3
INNER_REPEATS = 3
#: Which options make up each class of the tables (indices into OPTIONS).
CLASS_OPTIONS = tuple(tuple(k for k, o in enumerate(OPTIONS) if CLASS_OF[o] == c) for c in CLASSES)
#: The options the model has terms for (the covariates for the joins, the game's terms for the
#: joins and the broker): any other option of the Option table is unavailable to it until it is
#: given terms and the model is refitted.
MODELLED = np.array([KIND[o] in TERMS_OF_KIND for o in OPTIONS])
#: The options of the second stage (staying out of the fighting) other than the reference.
SECOND = MODELLED & ~JOINING & (np.arange(N_OPTIONS) != REFERENCE)
#: The options a recorded choice may name (index = the recorded code): the tables' classes A, B
#: and none (neutral or broker), then neutral and broker alone (the casebook records them apart).
RECORDED = CLASS_OPTIONS + tuple((k,) for k in np.flatnonzero(MODELLED & ~JOINING))
#: The code of a recorded option (the casebook's): its class where it joins a side, else its own.
RECORDED_CODE = {o: CLASSES.index(CLASS_OF[o]) if JOINING[k] else RECORDED.index((k,))
                 for k, o in enumerate(OPTIONS) if MODELLED[k]}
#: The casebook's actor ids of COW major powers (ccodes of :data:`MAJORS`).
MAJOR_IDS = {"usa": "2", "uk": "200", "france": "220", "germany": "255", "prussia": "255", "austria": "300",
             "italy": "325", "sardinia": "325", "russia": "365", "ussr": "365", "china": "710", "japan": "740"}
#: The COW state codes (Correlates of War Project, "State System Membership List, v2016") of
#: the actor ids the casebook and the bundled scenarios use, and of the usual other names and COW
#: abbreviations of the same states, so that a scenario's rivalries and major powers are read as
#: the tables' are (:func:`cow_code`); an id not listed has no rivalry and is no major power.
CCODE_IDS = {**MAJOR_IDS, "soviet": "365", "qing": "710", "ottoman": "640", "turkey": "640", "greece": "350",
             "serbia": "345", "bulgaria": "355", "romania": "360", "denmark": "390", "sweden": "380",
             "spain": "230", "poland": "290", "argentina": "160", "brazil": "140", "chile": "155", "peru": "135",
             "uruguay": "165", "bolivia": "145", "paraguay": "150", "egypt": "651", "syria": "652",
             "israel": "666", "iraq": "645", "kuwait": "690", "saudi_arabia": "670", "jordan": "663",
             "india": "750", "pakistan": "770", "north_korea": "731", "south_korea": "732",
             "azerbaijan": "373", "armenia": "371", "georgia": "372", "ukraine": "369", "montenegro": "341",
             "finland": "375", "canada": "20", "ethiopia": "530", "ecuador": "130", "algeria": "615", "libya": "620",
             "ghana": "452", "burma": "775", "ceylon": "780", "cambodia": "811", "indonesia": "850",
             "guatemala": "90", "honduras": "91", "el_salvador": "92", "nicaragua": "93", "costa_rica": "94",
             "belarus": "370", "switzerland": "225",
             "afghanistan": "700", "cuba": "40", "somalia": "520", "south_yemen": "680",
             "rwanda": "517", "djibouti": "522", "eritrea": "531", "sudan": "625", "yemen": "679", "uae": "696",
             "nigeria": "475", "burkina_faso": "439",
             "two_sicilies": "329", "papal_states": "327", "laos": "812", "vietnam": "816",
             "morocco": "600", "croatia": "344", "bosnia": "346",
             "hanover": "240", "bavaria": "245", "baden": "267", "saxony": "269",
             "wurttemberg": "271", "hesse_kassel": "273", "hesse_darmstadt": "275", "mecklenburg": "280",
             # other names and COW abbreviations of the same states
             "us": "2", "united_states": "2", "united_states_of_america": "2", "britain": "200",
             "great_britain": "200", "united_kingdom": "200", "england": "200", "ukg": "200", "frn": "220",
             "gmy": "255", "german_empire": "255", "austria_hungary": "300", "auh": "300", "ita": "325",
             "piedmont": "325", "russian_empire": "365", "soviet_union": "365", "rus": "365", "chn": "710",
             "prc": "710", "jpn": "740", "ottoman_empire": "640", "tur": "640", "rumania": "360",
             "yugoslavia": "345", "netherlands": "210", "belgium": "211", "portugal": "235", "norway": "385",
             "persia": "630", "iran": "630", "mexico": "70", "uar": "651", "myanmar": "775", "sri_lanka": "780"}
EPS = 1e-15


def cow_code(actor_id: str) -> str:
    """The COW state code of a scenario's actor id (:data:`CCODE_IDS`, read without case, with
    spaces and hyphens as underscores; an id that is a whole number is taken as the code itself);
    "" where it names no state the map lists."""
    key = "_".join(str(actor_id).strip().lower().replace("-", " ").split())
    return key if key.isdigit() else CCODE_IDS.get(key, "")


@dataclass(frozen=True)
class Design:
    """The choice data of a set of candidates: x (N, 4, P), available (N, 4), the recorded class
    (N; -1 where not recorded) and each row's group."""

    x: np.ndarray
    available: np.ndarray
    y: np.ndarray
    groups: list[str]
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]

    def take(self, keep: np.ndarray) -> Design:
        idx = np.flatnonzero(keep)
        return Design(self.x[idx], self.available[idx], self.y[idx], [self.groups[i] for i in idx], self.columns,
                      [self.rows[i] for i in idx])


def is_major(ccode: str, year: int) -> float:
    return float(any(lo <= year <= hi for lo, hi in MAJORS.get(str(ccode), ())))


def _side(cov: dict[str, float], info: dict[str, float], own: str) -> list[float]:
    """The covariates (:data:`COVARIATES`) of joining side ``own`` ('a' or 'b')."""
    return _sides(cov, info)[0 if own == "a" else 1]


def _sides(cov: dict[str, float], info: dict[str, float]) -> tuple[list[float], list[float]]:
    """The covariates of joining side a and of joining side b: each seen from the side joined,
    the terms both share computed once."""
    d_a, d_b = cov["dist_a_km"], cov["dist_b_km"]
    c_a, c_b = info["cinc_a"], info["cinc_b"]
    init = info.get("initiator_a", math.nan)
    init_a, init_b = (0.0, 0.0) if math.isnan(init) else ((init - 0.5) * 1, (init - 0.5) * -1)
    near_a, near_b = float(d_a < NEAR_KM), float(d_b < NEAR_KM)
    log_a, log_b = math.log1p(d_a), math.log1p(d_b)
    ally_a, ally_b = float(cov["ally_a"] > 0), float(cov["ally_b"] > 0)
    def_a, def_b = float(cov["defense_a"] > 0), float(cov["defense_b"] > 0)
    log_cinc, lc_a, lc_b = math.log(cov["cinc"] + 1e-6), math.log(c_a + 1e-6), math.log(c_b + 1e-6)
    share_a = c_a / (c_a + c_b) if c_a + c_b > 0 else 0.5
    share_b = c_b / (c_b + c_a) if c_b + c_a > 0 else 0.5
    major, n_a, n_b = cov["major"], info.get("n_orig_a", 1.0), info.get("n_orig_b", 1.0)
    return ([1.0, d_a / 1000.0, d_b / 1000.0, log_a, log_b, near_a, near_b, ally_a, ally_b, def_a, def_b,
             ally_a * near_a, log_cinc, lc_a, lc_b, share_a, major, init_a, n_a, n_b],
            [1.0, d_b / 1000.0, d_a / 1000.0, log_b, log_a, near_b, near_a, ally_b, ally_a, def_b, def_a,
             ally_b * near_b, log_cinc, lc_b, lc_a, share_b, major, init_b, n_b, n_a])


def _game_terms(x: np.ndarray, v: np.ndarray, eq: Sequence[str], rival: np.ndarray | None = None) -> np.ndarray:
    """Fill the game's terms of N candidates into x (N, 4, P) from their option values v (N, 4),
    their equilibrium options (N) and their rivalry with side A's and side B's originals (N, 2;
    None: no rivalry); returns the options open to each (N, 4: finite value; staying out always)."""
    col = {c: len(COVARIATES) + j for j, c in enumerate(GAME_TERMS)}
    rival = np.zeros((len(v), 2)) if rival is None else np.asarray(rival, dtype=float).reshape(-1, 2)
    for k, side in SIDES:
        own = 0 if side == "a" else 1
        x[:, k, col["rival_own"]] = rival[:, own]
        x[:, k, col["rival_other"]] = rival[:, 1 - own]
    ok = np.isfinite(v) & MODELLED & (v > UNAVAILABLE / 2)  # brokering without a stake is not open
    ok[:, REFERENCE] = True
    base = np.where(np.isfinite(v[:, REFERENCE]), v[:, REFERENCE], 0.0)
    eq_arr = np.asarray(eq, dtype=object)
    for k, o in enumerate(OPTIONS):
        kind = KIND[o]
        if kind not in TERMS_OF_KIND or k == REFERENCE:
            continue
        here = ok[:, k]
        x[here, k, col[f"gain_{kind}"]] = (v[:, k] - base)[here]
        x[here, k, col[f"equilibrium_{kind}"]] = (eq_arr == o)[here].astype(float)
        if kind in col:  # the kind's constant (brokering's; joining's is the covariates' ``join``)
            x[here, k, col[kind]] = 1.0
    return ok


def design(cases: Sequence[Case], values: Sequence[np.ndarray] | None = None,
           equilibria: Sequence[Sequence[str]] | None = None, plain: Design | None = None) -> Design:
    """The choice data of every candidate of ``cases``. ``values`` (per case, (T, 4) in OPTIONS
    order, rows in the case's third-party order) and ``equilibria`` (the option of each) add the
    game's terms; without them the model is the plain side-symmetric logit on the covariates.
    ``plain``, the plain design of the same cases, lends its covariates (the same numbers), so
    they are not computed again."""
    theory = values is not None
    columns = COVARIATES + (GAME_TERMS if theory else ())
    p = len(columns)
    if plain is not None:
        return _with_game_terms(plain, columns, cases, values, equilibria)
    sides: list[tuple[list[float], list[float]]] = []
    ys, groups, rows = [], [], []
    for case in cases:
        year = int(case.info.get("start_year", 0))
        for t in case.joined:
            cov = dict(case.covariates[t])
            if math.isnan(cov.get("major", math.nan)):
                cov["major"] = is_major(case.ccode.get(t, ""), year)
            sides.append(_sides(cov, case.info))
            ys.append(CLASSES.index(case.joined[t]) if case.joined[t] else -1)
            groups.append(case.group)
            rows.append({"group": case.group, "name": case.name, "third_party": t, "ccode": case.ccode.get(t),
                         "joined": case.joined[t] or None})
    n = len(rows)
    x_arr = np.zeros((n, N_OPTIONS, p))
    # SIDES is ((join-a's index, 'a'), (join-b's index, 'b')): the two lists of _sides in order
    x_arr[:, [k for k, _ in SIDES], :len(COVARIATES)] = np.array(sides, dtype=float).reshape(n, 2, len(COVARIATES))
    plain_design = Design(x_arr, np.broadcast_to(MODELLED & ~SECOND, (n, N_OPTIONS)).copy(), np.array(ys, dtype=int),
                          groups, columns, rows)
    if theory:
        return _with_game_terms(plain_design, columns, cases, values, equilibria)
    x_arr[~plain_design.available] = 0.0  # the covariates stand in the joining rows, which are open: a no-op there
    return plain_design


def _with_game_terms(plain: Design, columns: tuple[str, ...], cases: Sequence[Case],
                     values: Sequence[np.ndarray] | None, equilibria: Sequence[Sequence[str]] | None) -> Design:
    """:func:`design` with the game's terms, on the covariates of ``plain`` (the same cases)."""
    assert values is not None and equilibria is not None
    n, c = len(plain.rows), len(COVARIATES)
    x_arr = np.zeros((n, N_OPTIONS, len(columns)))
    x_arr[..., :c] = plain.x[..., :c]
    v = np.concatenate([np.asarray(values[c_i], dtype=float)[:len(case.joined)].reshape(-1, N_OPTIONS)
                        for c_i, case in enumerate(cases)]) if n else np.zeros((0, N_OPTIONS))
    rival = np.array([case.rival.get(t, (False, False)) for case in cases for t in case.joined], dtype=float)
    avail = _game_terms(x_arr, v, [e for c_i, case in enumerate(cases) for e in equilibria[c_i][:len(case.joined)]],
                        rival)
    x_arr[~avail] = 0.0
    return Design(x_arr, avail, plain.y, plain.groups, columns, plain.rows)


def _year(scenario: Any) -> int:
    text = str(scenario.period or "")[:4]
    return int(text) if text.isdigit() else 0


def scenario_covariates(scenario: Any, war: Any) -> dict[str, tuple[dict[str, float], dict[str, float]]]:
    """The tables' covariates of a scenario phase's third parties, from the scenario file: the
    distances between capitals (``location``; km to the nearest member of each side), the
    ``capability`` values read as COW CINC, the sides' members as originals, major power from
    the COW code of its id (:func:`cow_code`) in the year the scenario's ``period`` starts, and
    strategic rivalry with each side's members in that year through the same codes (as the
    tables' rule reads them). Assumptions where a scenario says nothing: no alliance or defence
    tie, initiator unknown, no rivalry and no major power for an id :func:`cow_code` does not
    know. Per third party: (its covariates, the phase's group columns); a third party that lacks a
    location, or whose sides have none, is left out."""

    actors = {a.id: a for a in scenario.actors}
    year = _year(scenario)
    members = {code: [war.actor_ids[i] for i in np.flatnonzero(war.side == code)] for code in (SIDE_A, SIDE_B)}
    cinc = {a: float(actors[a].capability.value) for a in war.actor_ids}
    info = {"cinc_a": sum(cinc[a] for a in members[SIDE_A]), "cinc_b": sum(cinc[a] for a in members[SIDE_B]),
            "n_orig_a": float(len(members[SIDE_A])), "n_orig_b": float(len(members[SIDE_B]))}
    out = {}
    for t in war.third_ids:
        here = actors[t].location
        if here is None:
            continue
        dist = {}
        for key, code in (("a", SIDE_A), ("b", SIDE_B)):
            locs = [actors[m].location for m in members[code] if actors[m].location is not None]
            if locs:
                dist[key] = min(great_circle_miles(here.lat, here.lng, loc.lat, loc.lng) for loc in locs) * 1.609344
        if len(dist) < 2:
            continue
        rival = [float(is_rival(cow_code(t), [cow_code(m) for m in members[code]], year))
                 for code in (SIDE_A, SIDE_B)]
        out[t] = ({"dist_a_km": dist["a"], "dist_b_km": dist["b"], "ally_a": 0.0, "ally_b": 0.0, "defense_a": 0.0,
                   "defense_b": 0.0, "cinc": cinc[t], "major": is_major(cow_code(t), year),
                   "rival_a": rival[0], "rival_b": rival[1]}, info)
    return out


def _covariate_rows(candidates: Sequence[tuple[dict[str, float], dict[str, float]]]) -> np.ndarray:
    """N candidates' variables (N, 4, P) from their covariates (:func:`scenario_covariates`), the
    game's terms left at 0."""
    x = np.zeros((len(candidates), N_OPTIONS, len(COVARIATES) + len(GAME_TERMS)))
    for i, (cov, info) in enumerate(candidates):
        for k, side in SIDES:
            x[i, k, :len(COVARIATES)] = _side(cov, info, side)
    return x


def _rivals(candidates: Sequence[tuple[dict[str, float], dict[str, float]]]) -> np.ndarray:
    return np.array([[cov.get("rival_a", 0.0), cov.get("rival_b", 0.0)] for cov, _ in candidates], dtype=float)


def _with_terms(x: np.ndarray, values: np.ndarray, eq: Sequence[str], rival: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Rows of :func:`_covariate_rows` with the game's terms from the option values (N, 4) and
    equilibrium options (N), and the options open to each (N, 4); ``x`` is filled in place."""
    ok = _game_terms(x, np.asarray(values, dtype=float).reshape(-1, N_OPTIONS), eq, rival)
    x[~ok] = 0.0
    return x, ok


def casebook_design(scenarios: Sequence[Any]) -> Design:
    """The choice data of the casebook's recorded decisions (docs/casebook.md), with the game's
    terms: each phase's war at the casebook's settings, its selected equilibrium and option
    values (:func:`tertius.conflict.equilibrium.solve`, as in the report), and the covariates
    of :func:`scenario_covariates`. A decision whose third party or side lacks a location is
    left out."""

    xs, avail, ys, groups, rows = [], [], [], [], []
    p = len(COVARIATES) + len(GAME_TERMS)
    for scenario in scenarios:
        for phase in phases_of(scenario):
            if phase is None or not phase.actual:
                continue
            war = build_war(scenario, phase)
            sol = solve(war)  # the equilibrium the report shows (a cycle of best responses never is)
            profile, vals = sol.profile, sol.values
            covariates = scenario_covariates(scenario, war)
            for t, option in phase.actual.items():
                if t not in covariates:
                    continue
                j = war.third_ids.index(t)
                x, ok = _with_terms(_covariate_rows([covariates[t]]), vals[0][j],
                                    [OPTIONS[int(profile[0, war.index(t)])]], _rivals([covariates[t]]))
                xs.append(x[0])
                avail.append(ok[0])
                ys.append(RECORDED_CODE[option])
                groups.append(f"case/{scenario.id}")
                rows.append({"group": f"case/{scenario.id}", "name": scenario.id, "phase": phase.id,
                             "third_party": t, "recorded": option})
    return Design(np.array(xs).reshape(len(xs), N_OPTIONS, p), np.array(avail, dtype=bool).reshape(len(xs), N_OPTIONS),
                  np.array(ys, dtype=int), groups, COVARIATES + GAME_TERMS, rows)


#: The largest capability the choice model reads as a COW CINC value (a share of the world's).
CINC_MAX = 1.0


def scenario_probabilities(scenario: Any, war: Any, values: np.ndarray, options: Sequence[str]
                           ) -> dict[str, np.ndarray]:
    """The shipped choice model's probabilities (4,) in :data:`OPTIONS` order for each third
    party of a phase whose covariates the scenario gives (:func:`scenario_covariates`), from its
    option values ``values`` (T, 4) and its equilibrium option ``options`` (T,), third parties in
    ``war.third_ids`` order. Empty where the covariates are not defined: a scenario without a
    ``period`` (the year of the major-power spells), or with capabilities that are not CINC
    values (each in [0, 1], their sum at most 1); third parties without a location are left out."""
    return {t: p[0] for t, p in draw_probabilities(scenario, war, np.asarray(values)[None], [list(options)]).items()}


def draw_probabilities(scenario: Any, war: Any, values: np.ndarray, options: Sequence[Sequence[str]]
                       ) -> dict[str, np.ndarray]:
    """:func:`scenario_probabilities` for D draws at once: option values (D, T, 4) and equilibrium
    options (D lists of T), giving (D, 4) per third party whose covariates the scenario gives."""
    caps = np.array([float(a.capability.value) for a in scenario.actors])
    if not _year(scenario) or (caps < 0).any() or (caps > CINC_MAX).any() or caps.sum() > CINC_MAX + 1e-9:
        return {}
    covariates = scenario_covariates(scenario, war)
    have = [(j, t) for j, t in enumerate(war.third_ids) if t in covariates]
    if not have:
        return {}
    draws, cols = len(options), [j for j, _ in have]
    # each third party's covariates are the same in every draw: computed once, repeated per draw
    n, candidates = draws * len(have), [covariates[t] for _, t in have]
    x, ok = _with_terms(np.tile(_covariate_rows(candidates), (draws, 1, 1)),
                        np.asarray(values, dtype=float)[:, cols], [options[d][j] for d in range(draws) for j in cols],
                        np.tile(_rivals(candidates), (draws, 1)))
    d = Design(x, ok, np.full(n, -1), [scenario.id] * n, COVARIATES + GAME_TERMS,
               [{"third_party": t} for _ in range(draws) for _, t in have])
    p = option_probabilities(d, shipped()["theory"]).reshape(draws, len(have), -1)
    return {t: p[:, k] for k, (_, t) in enumerate(have)}


def concat(designs: Sequence[Design]) -> Design:
    """The rows of several designs with the same columns, in order."""
    assert len({d.columns for d in designs}) == 1
    return Design(np.concatenate([d.x for d in designs]), np.concatenate([d.available for d in designs]),
                  np.concatenate([d.y for d in designs]), [g for d in designs for g in d.groups], designs[0].columns,
                  [r for d in designs for r in d.rows])


def plain_of(d: Design) -> Design:
    """The plain logit's data for the rows of ``d``: the covariates only, the broker option closed,
    and a recorded neutral or broker read as the tables' class "none" (the plain logit does not
    tell them apart)."""
    c = len(COVARIATES)
    available = d.available & MODELLED & ~SECOND
    x = np.where(available[..., None], d.x[..., :c], 0.0)
    y = np.where(d.y >= len(CLASSES), CLASSES.index("none"), d.y)
    return Design(x, available, y, list(d.groups), COVARIATES, list(d.rows))


def _utilities(x: np.ndarray, available: np.ndarray, beta: np.ndarray) -> np.ndarray:
    u = x @ beta
    return np.where(available, u, -np.inf)


def _softmax(u: np.ndarray) -> np.ndarray:
    e = np.exp(u - u.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def option_probabilities(d: Design, model: dict[str, Any]) -> np.ndarray:
    """P of each option (N, 4) under a fitted model, in two stages: take up arms (which side) or
    stay out, then, for a state that stays out, how (neutral or broker); unavailable options get 0.
    A model whose second stage was not fitted (``broker`` false: no recorded broker) closes it."""
    beta = np.asarray(model["beta"]) / np.asarray(model["scale"])
    u = d.x @ beta
    open_ = d.available & MODELLED
    if not model.get("broker", False):
        open_ = open_ & ~SECOND
    first = _softmax(np.where(open_ & (JOINING | (np.arange(N_OPTIONS) == REFERENCE)), u, -np.inf))
    second = _softmax(np.where(open_ & ~JOINING, u, -np.inf))
    return np.where(JOINING, first, first[:, [REFERENCE]] * second)


def class_probabilities(p: np.ndarray) -> np.ndarray:
    """Option probabilities (N, 4) as the tables' classes (N, 3): A, B, none."""
    return np.stack([p[:, list(opts)].sum(axis=1) for opts in CLASS_OPTIONS], axis=1)


def _class_mask(y: np.ndarray) -> np.ndarray:
    mask = np.zeros((len(y), N_OPTIONS), dtype=bool)
    for k, opts in enumerate(RECORDED):
        for o in opts:
            mask[y == k, o] = True
    return mask


def _objective(beta: np.ndarray, x: np.ndarray, available: np.ndarray, chosen: np.ndarray, penalty: np.ndarray
               ) -> tuple[float, np.ndarray]:
    u = _utilities(x, available, beta)
    m = u.max(axis=1, keepdims=True)
    e = np.exp(u - m)
    ec = np.where(chosen, e, 0.0)
    s_all, s_chosen = e.sum(axis=1), ec.sum(axis=1)
    nll = -float(np.sum(np.log(np.maximum(s_chosen, EPS * s_all)) - np.log(s_all)))
    p_all = e / s_all[:, None]
    p_chosen = ec / np.maximum(s_chosen, EPS)[:, None]
    grad = (p_all - p_chosen).ravel() @ x.reshape(-1, x.shape[-1])
    return nll + 0.5 * float(penalty * beta @ beta), grad + penalty * beta


def fit_stage(x: np.ndarray, available: np.ndarray, chosen: np.ndarray, penalty: np.ndarray, start: np.ndarray,
           errors: bool) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """One stage's penalised conditional logit: the estimate, its standard errors, the penalised
    log-likelihood and whether the optimiser converged."""
    from scipy.optimize import minimize

    def hess(b: np.ndarray, *args: Any) -> np.ndarray:
        return _hessian(b, x, available, chosen) + np.diag(penalty)

    res = minimize(_objective, start, args=(x, available, chosen, penalty), jac=True, hess=hess,
                   method="trust-exact")
    se = np.full(len(start), np.nan)
    if errors:
        try:
            se = np.sqrt(np.clip(np.diag(np.linalg.inv(hess(res.x))), 0.0, None))
        except np.linalg.LinAlgError:
            pass
    return res.x, se, -float(res.fun), bool(res.success)


def _scale(d: Design, x: np.ndarray) -> np.ndarray:
    """Each variable's standard deviation over the options it describes (the joins, or the second
    stage's options for the second stage's terms); 1 for the joining constant and where constant."""
    joins = x[:, JOINING].reshape(-1, x.shape[-1])
    scale = joins.std(axis=0)
    stay = x[:, SECOND].reshape(-1, x.shape[-1])
    for j, col in enumerate(d.columns):
        if col in GAME_TERMS and col not in TERMS_OF_KIND["join"] and len(stay):
            scale[j] = stay[:, j].std()
    scale = np.where(scale > 1e-12, scale, 1.0)
    scale[d.columns.index("join")] = 1.0
    return scale


def fit(d: Design, alpha: float, errors: bool = True, game_alpha: float | None = None) -> dict[str, Any]:
    """Penalised maximum likelihood on the recorded rows of ``d`` (variables standardised by
    their standard deviation, :func:`_scale`; the constants are not penalised), in two stages
    whose parameters are disjoint, so that the likelihood splits: the first stage (stay out, or
    join a side) on every recorded row, with penalty α on the covariates and ``game_alpha`` on
    the game's join terms (None: α; ``inf``: the terms are left out); the second stage (how to
    stay out: neutral or broker) on the rows that record those options apart where brokering is
    open (the casebook's), with penalty α. Without a recorded broker the second stage is not
    fitted and the model closes it (``broker`` false)."""
    keep = d.y >= 0
    x, available, y = d.x[keep], d.available[keep] & MODELLED, d.y[keep]
    scale = _scale(d, x)
    xs = x / scale
    game_alpha = alpha if game_alpha is None else game_alpha
    cols = np.array(d.columns)
    mask = _class_mask(y)
    beta, se = np.zeros(len(cols)), np.full(len(cols), np.nan)
    # first stage: staying out (any option that joins no side) against each side
    join_terms = np.isin(cols, TERMS_OF_KIND["join"])
    act = ~np.isin(cols, GAME_TERMS) | (join_terms & math.isfinite(game_alpha))
    open1 = available & (JOINING | (np.arange(N_OPTIONS) == REFERENCE))
    chosen1 = mask & JOINING
    chosen1[:, REFERENCE] = (mask & ~JOINING).any(axis=1)
    pen1 = np.where(join_terms, game_alpha if math.isfinite(game_alpha) else 0.0, alpha)[act]
    pen1[np.isin(cols[act], UNPENALISED)] = 0.0
    start = np.where(cols[act] == "join", -3.0, 0.0)
    b1, s1, ll1, ok1 = fit_stage(xs[:, :, act], open1, chosen1, pen1, start, errors)
    beta[act], se[act] = b1, s1
    # second stage: among the rows that record how a state with a second-stage option stayed out
    single = np.isin(y, [RECORDED.index((k,)) for k in np.flatnonzero(MODELLED & ~JOINING)])
    rows2 = single & (available & SECOND).any(axis=1)
    act2 = np.isin(cols, GAME_TERMS) & ~join_terms
    chosen2 = (mask & available & ~JOINING)[rows2]
    broker = bool(act2.any() and chosen2[:, SECOND].any() and chosen2[:, REFERENCE].any())
    ll2, ok2 = 0.0, True
    if broker:
        pen2 = np.where(np.isin(cols[act2], UNPENALISED), 0.0, alpha)
        b2, s2, ll2, ok2 = fit_stage(xs[rows2][:, :, act2], (available & ~JOINING)[rows2], chosen2, pen2,
                                  np.zeros(int(act2.sum())), errors)
        beta[act2], se[act2] = b2, s2
    return {"columns": list(d.columns), "scale": scale.tolist(), "beta": beta.tolist(), "se": se.tolist(),
            "alpha": alpha, "game_alpha": game_alpha if math.isfinite(game_alpha) else None,
            "game_terms": bool(join_terms.any() and math.isfinite(game_alpha)), "broker": broker,
            "loglik": ll1 + ll2, "converged": ok1 and ok2}


def _hessian(beta: np.ndarray, x: np.ndarray, available: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Hessian of the negative log-likelihood: Σ_i Cov_p(x) − Cov_{p | chosen}(x)."""
    u = _utilities(x, available, beta)
    e = np.exp(u - u.max(axis=1, keepdims=True))
    out = np.zeros((x.shape[-1], x.shape[-1]))
    flat = x.reshape(-1, x.shape[-1])
    for w in (e, np.where(chosen, e, 0.0)):
        p = w / np.maximum(w.sum(axis=1, keepdims=True), EPS)
        mean = np.einsum("no,nop->np", p, x)
        second = (flat * p.reshape(-1, 1)).T @ flat
        cov = second - mean.T @ mean
        out = out + cov if w is e else out - cov
    return out


def group_folds(groups: Sequence[str], k: int, seed: int, label: str) -> np.ndarray:
    """Each row's fold: a seeded permutation of the groups dealt into k folds."""

    unique = sorted(set(groups))
    order = child_rng(seed, "choice-folds", label).permutation(len(unique))
    fold_of = {unique[g]: i % k for i, g in enumerate(order)}
    return np.array([fold_of[g] for g in groups], dtype=int)


def log_loss(d: Design, model: dict[str, Any]) -> float:
    return float(-np.mean(np.log(np.maximum(recorded_probability(d, model), EPS))))


def recorded_probability(d: Design, model: dict[str, Any]) -> np.ndarray:
    """The probability of each recorded row's recorded choice (a class of the tables, or one option)."""
    keep = d.y >= 0
    return np.where(_class_mask(d.y[keep]), option_probabilities(d.take(keep), model), 0.0).sum(axis=1)


def _cv_log_loss(d: Design, fold: np.ndarray, k: int, alpha: float, game_alpha: float) -> float:
    losses, n = 0.0, 0
    for f in range(k):
        test = (fold == f) & (d.y >= 0)
        if not test.any() or not (fold != f).any():
            continue
        m = fit(d.take(fold != f), alpha, errors=False, game_alpha=game_alpha)
        losses += log_loss(d.take(test), m) * int(test.sum())
        n += int(test.sum())
    return losses / max(n, 1)


def choose_alpha(d: Design, k: int = INNER_K, seed: int = 0, repeats: int = INNER_REPEATS
                 ) -> tuple[float, float, dict[float, float], dict[float, float]]:
    """The ridge penalties with the smallest log loss in K-fold CV grouped by war or dispute on
    ``d``, averaged over ``repeats`` deals of the groups into folds: α from :data:`ALPHAS` with the
    game's terms left out (so α is the plain logit's), then, at that α and where ``d`` has the
    game's terms, their penalty from :data:`GAME_ALPHAS` (``inf``, the terms left out, wins ties).
    Returns α, the game terms' penalty and the scores."""
    deals = [group_folds(d.groups, k, seed, "alpha" if r == 0 else f"alpha-{r}") for r in range(repeats)]

    def score(a: float, g: float) -> float:
        return float(np.mean([_cv_log_loss(d, fold, k, a, g) for fold in deals]))

    scores = {a: score(a, math.inf) for a in ALPHAS}
    alpha = min(ALPHAS, key=lambda a: (scores[a], -a))
    game = {math.inf: scores[alpha]}
    if any(c in TERMS_OF_KIND["join"] for c in d.columns):
        game.update({g: score(alpha, g) for g in GAME_ALPHAS if math.isfinite(g)})
    return alpha, min(game, key=lambda g: (game[g], -g)), scores, game


def calls(pc: np.ndarray, threshold: float) -> np.ndarray:
    """The call of each row (index into CLASSES): the more probable side where P(join) > threshold."""
    side = np.where(pc[:, 0] >= pc[:, 1], 0, 1)
    return np.where(pc[:, 0] + pc[:, 1] > threshold, side, 2)


def choose_threshold(pc: np.ndarray, y: np.ndarray) -> float:
    """The threshold on P(join) with the best F1 of the join calls on these (training) rows."""

    best, best_f1 = 1.0, -1.0
    for tau in np.unique(np.quantile(pc[:, 0] + pc[:, 1], np.linspace(0.5, 0.999, 200))):
        c = calls(pc, float(tau))
        f1 = call_scores(int(((c == y) & (y < 2)).sum()), int((c < 2).sum()), int((y < 2).sum()))["f1"]
        if f1 > best_f1:
            best, best_f1 = float(tau), f1
    return best


def fit_selected(d: Design, k: int = INNER_K, seed: int = 0, errors: bool = True) -> dict[str, Any]:
    """The penalties by inner grouped CV (:func:`choose_alpha`), the fit at them on all of ``d``,
    and the call threshold on ``d``."""
    alpha, game_alpha, scores, game = choose_alpha(d, k, seed)
    model = fit(d, alpha, errors, game_alpha)
    keep = d.y >= 0
    pc = class_probabilities(option_probabilities(d, model))[keep]
    model["threshold"] = choose_threshold(pc, d.y[keep])
    model["alpha_cv_log_loss"] = {str(a): s for a, s in scores.items()}
    if len(game) > 1:
        model["game_alpha_cv_log_loss"] = {str(g): s for g, s in game.items()}
    return model


def predicted(d: Design, model: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's option probabilities (N, 4), class probabilities (N, 3) and call (N; index into
    CLASSES)."""
    p = option_probabilities(d, model)
    pc = class_probabilities(p)
    return p, pc, calls(pc, model["threshold"])


def predict_rows(d: Design, model: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows in the layout of :func:`tertius.conflict.score.metrics`: probabilities, call, choice."""
    p, pc, call = predicted(d, model)
    c = call.tolist()
    pcs, ps = pc.tolist(), p.tolist()  # Python floats, as float() of each element gives them
    return [{**row, "call": CLASSES[int(c[i])], "p": dict(zip(CLASSES, pcs[i], strict=True)),
             "options": dict(zip(OPTIONS, ps[i], strict=True))} for i, row in enumerate(d.rows)]


def cross_validate(d: Design, k: int = 5, seed: int = 0, fold: np.ndarray | None = None
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Out-of-fold rows of the choice model in K-fold CV grouped by war or dispute; α and the
    threshold are chosen inside each training set (nested). ``fold`` (each row's fold, whole groups
    per fold) scores the model in folds shared with other models. Returns the rows and each fold's fit."""
    fold = group_folds(d.groups, k, seed, "outer") if fold is None else np.asarray(fold, dtype=int)
    rows: list[dict[str, Any] | None] = [None] * len(d.rows)
    fits = []
    for f in range(k):
        test, train = fold == f, fold != f
        if not test.any() or not train.any():
            continue
        model = fit_selected(d.take(train), INNER_K, seed + 1 + f, errors=False)
        fits.append({key: model[key] for key in ("alpha", "game_alpha", "threshold", "converged")})
        for i, r in zip(np.flatnonzero(test), predict_rows(d.take(test), model), strict=True):
            rows[int(i)] = {**r, "fold": f}
    return [r for r in rows if r is not None], fits


@cache
def shipped() -> dict[str, Any]:
    """The coefficients fitted on the training tables (``choicemodel.json`` beside this module,
    written by ``scripts/fit_choice.py``): the plain logit on the covariates (``plain``) and the
    model with the game's terms (``theory``, with the game at the shipped cost), with their
    standard errors, penalties chosen by grouped CV, and the fit's provenance."""
    text = (resources.files("tertius.conflict") / "choicemodel.json").read_text(encoding="utf-8")
    return json.loads(text)


def coefficients(model: dict[str, Any]) -> list[dict[str, Any]]:
    """Each variable's coefficient per standard deviation (the scale the penalty sees), its
    standard error, and the coefficient in the variable's own units."""
    return [{"variable": c, "beta_std": b, "se_std": s, "beta": b / sc}
            for c, b, s, sc in zip(model["columns"], model["beta"], model["se"], model["scale"], strict=True)]


__all__ = ["ALPHAS", "CCODE_IDS", "CLASSES", "COVARIATES", "GAME_ALPHAS", "GAME_TERMS", "INNER_REPEATS", "MAJORS", "MAJOR_IDS",
           "RECORDED", "RIVALRY_TERMS",
           "Design", "calls",
           "casebook_design", "class_probabilities", "coefficients", "concat", "cow_code", "cross_validate", "design", "fit",
           "fit_selected", "fit_stage", "option_probabilities", "plain_of", "predict_rows", "predicted", "recorded_probability",
           "scenario_covariates", "draw_probabilities", "scenario_probabilities", "shipped"]
