"""Checking an answer against a known label. Evaluation only: training never sees this."""

from __future__ import annotations

from verifiers.equivalence import is_equivalent


def check_against_ground_truth(
    answer: str | None, truth: str, mode: str = "numeric", *, timeout_s: float = 2.0
) -> bool:
    """True iff the extracted ``answer`` is equivalent to ``truth`` (None is never correct)."""
    return is_equivalent(answer, truth, mode=mode, timeout_s=timeout_s)
