"""Conflicts and third parties: who wins a fight, and whether to join, stay out or broker."""

from __future__ import annotations

from tertius.conflict.thirdparty import (
    DEFAULT_DRAWS,
    DISPLAY,
    SETTINGS,
    analyse_phase,
    broker,
    explain,
    third_parties,
    with_setting,
)
from tertius.conflict.war import OPTIONS, War, build_war

__all__ = ["DEFAULT_DRAWS", "DISPLAY", "OPTIONS", "SETTINGS", "War", "analyse_phase", "broker", "build_war",
           "explain", "third_parties", "with_setting"]
