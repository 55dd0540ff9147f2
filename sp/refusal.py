"""Refusals: the exception every SP check raises, with its stable `Reason` (sp/contract)."""

from __future__ import annotations

from sp.contract.reasons import Reason, Refusal

__all__ = ["Reason", "Refusal"]
