"""Conflicts and third parties: who wins a fight, and whether to join, stay out or broker."""

from __future__ import annotations

from tertius.conflict.thirdparty import DEFAULT_DRAWS, DISPLAY, analyse_phase, broker, explain, third_parties
from tertius.conflict.war import OPTIONS, War, build_war

__all__ = ["DEFAULT_DRAWS", "DISPLAY", "OPTIONS", "War", "analyse_phase", "broker", "build_war", "explain",
           "third_parties"]
