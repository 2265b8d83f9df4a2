"""A plain, per-pair Python implementation of the bdm equations: the benchmark's baseline.

It follows the same equations as ``tertius.models.bdm`` (see that module's docstring) with
ordinary loops over actors and pairs, and the global probability denominator as the literal
triple sum. It exists to check the vectorised model and to time it against.
"""

from __future__ import annotations


def _u(xk: float, y: float, r: float, R: float) -> float:
    return (abs(xk - y) / R) ** r


def probability(x, w, r, R, i, j, denom):
    if x[i] == x[j]:
        return 0.0
    num = 0.0
    for k in range(len(x)):
        v = w[k] * (_u(x[k], x[j], r[k], R) - _u(x[k], x[i], r[k], R))
        if v > 0:
            num += v
    return num / denom if denom > 0 else 0.0


def global_denominator(x, w, r, R):
    total = 0.0
    for k in range(len(x)):
        for a in x:
            for b in x:
                total += abs(w[k] * (_u(x[k], b, r[k], R) - _u(x[k], a, r[k], R)))
    return total


def eu(x, s, i, j, p_ij, rv, R):
    """E(U_ij) seen with exponent rv; the resistance is the target j's salience (Q = 1)."""
    d = abs(x[i] - x[j]) / R
    us = 2 - 4 * (0.5 - 0.5 * d) ** rv
    uf = 2 - 4 * (0.5 + 0.5 * d) ** rv
    usq = 2 - 4 * 0.5**rv
    return s[j] * (p_ij * us + (1 - p_ij) * uf) + (1 - s[j]) * us - usq


def one_round(x, c, s, R):
    n = len(x)
    w = [c[k] * s[k] for k in range(n)]
    ones = [1.0] * n
    den = global_denominator(x, w, ones, R)
    D = [0.0] * n
    for i in range(n):
        for k in range(n):
            if k != i:
                D[i] += eu(x, s, k, i, probability(x, w, ones, R, k, i, den), 1.0, R)
    hi, lo = max(D), min(D)
    if hi - lo <= 1e-15 * max(1.0, abs(hi), abs(lo)):
        r = ones
    else:
        r = []
        for i in range(n):
            Ri = (2 * D[i] - hi - lo) / (hi - lo)
            r.append((1 - Ri / 3) / (1 + Ri / 3))
    den = global_denominator(x, w, r, R)
    new = list(x)
    tie = 1e-9 * max(1.0, max(x) - min(x))
    for i in range(n):
        conf, comp, capit = [], [], []
        for j in range(n):
            if j == i or x[j] == x[i]:
                continue
            a = eu(x, s, i, j, probability(x, w, r, R, i, j, den), r[i], R)
            b = eu(x, s, j, i, probability(x, w, r, R, j, i, den), r[i], R)
            if b > a > 0:
                conf.append((abs(x[j] - x[i]), x[j]))
            elif a < 0 < b and abs(a) <= b:
                key = (abs(a) * x[i] + abs(b) * x[j]) / (abs(a) + abs(b))
                comp.append((key, x[i] + (x[j] - x[i]) * abs(a / b)))
            elif a < 0 < b:
                capit.append((abs(x[j] - x[i]), x[j]))
        for options in (conf, comp, capit):
            if options:
                best = min(k for k, _ in options)
                new[i] = min(t for k, t in options if k <= best + tie)
                break
    return new


def run(x, c, s, rounds):
    x = list(map(float, x))
    R = max(x) - min(x)
    history = [list(x)]
    for _ in range(rounds):
        x = one_round(x, c, s, R)
        history.append(list(x))
    return history
