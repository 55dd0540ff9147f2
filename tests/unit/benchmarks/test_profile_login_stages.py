"""The profile in the README is made by benchmarks/profile_login.py: its stage names must keep
naming real functions, or the script breaks silently when the apps are refactored."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"


def _stages() -> list[tuple[str, str, str]]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module("profile_login").LOGIN_STAGES
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_every_profiled_stage_names_a_callable():
    missing = []
    for module, qualname, label in _stages():
        owner = importlib.import_module(module)
        for part in qualname.split("."):
            owner = getattr(owner, part, None)
            if owner is None:
                missing.append(f"{module}.{qualname} ({label.strip()})")
                break
        else:
            assert callable(owner), qualname
    assert not missing, f"profile_login.py names functions that no longer exist: {missing}"
