"""Who wins a fight: probabilities of winning from capabilities.

* War Trap (Bueno de Mesquita 1981, *The War Trap*, Yale UP): capability is projected to the
  theatre with the loss-of-strength gradient (p. 105),
  C' = C ^ log10(d / m + (10 − e)), d in miles, m miles a day (250 before 1918, 375 for
  1918-1945, 500 after), and a side wins with probability S_A / (S_A + S_B), its share of the
  projected strength (pp. 105, 108-109). Capabilities are used as shares of the total (CINC-like),
  as the gradient assumes C < 1.
* Tullock (1980) contest success function: P_A = S_A^r / (S_A^r + S_B^r) over plain capability
  shares; r (decisiveness) 0 is a fair lottery, r → ∞ an all-pay auction.

Side strength adds up the (projected) capabilities of the side's members.
Equations restated in ``shared/reference/negmas-gambit-thirdparty.md`` sections 4.1 and 4.5.
"""

from __future__ import annotations

import math

import numpy as np

EARTH_RADIUS_MILES = 3958.8


def great_circle_miles(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Haversine distance in statute miles."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


def projected_capability(share: np.ndarray, miles: np.ndarray, miles_per_day: float = 250.0) -> np.ndarray:
    """War Trap loss-of-strength gradient (Bueno de Mesquita 1981, p. 105): C ^ log10(d/m + 10 − e)."""
    exponent = np.log10(np.asarray(miles, dtype=float) / miles_per_day + (10.0 - math.e))
    return np.asarray(share, dtype=float) ** exponent


def win_probability(strength_a: np.ndarray | float, strength_b: np.ndarray | float, decisiveness: float = 1.0):
    """P(side A wins) = S_A^r / (S_A^r + S_B^r); 1/2 when both are 0. Works on arrays."""
    a = np.asarray(strength_a, dtype=float) ** decisiveness
    b = np.asarray(strength_b, dtype=float) ** decisiveness
    total = a + b
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, a / np.where(total > 0, total, 1.0), 0.5)
