"""Parse --step / --steps arguments into inclusive bounds."""
from __future__ import annotations

from .rundir import InspectError


def parse_step(text: str, last: int | None) -> tuple[int, int]:
    """'12' -> (12, 12); 'last' -> the last step with rollouts."""
    if text == "last":
        if last is None:
            raise InspectError("--step last: the run has no rollouts")
        return last, last
    try:
        n = int(text)
    except ValueError:
        raise InspectError(f"--step expects an integer or 'last', got {text!r}") from None
    return n, n


def parse_steps(text: str) -> tuple[int | None, int | None]:
    """'A:B' (both inclusive), 'A:' or ':B' for open ends."""
    if ":" not in text:
        raise InspectError(f"--steps expects A:B (inclusive), got {text!r}")
    a, b = text.split(":", 1)
    try:
        lo = int(a) if a.strip() else None
        hi = int(b) if b.strip() else None
    except ValueError:
        raise InspectError(f"--steps expects integers A:B, got {text!r}") from None
    if lo is not None and hi is not None and lo > hi:
        raise InspectError(f"--steps {text}: start is after end")
    return lo, hi
