"""Are two answers the same? Three modes, from strict to lenient.

- ``exact``: ``normalize_answer`` strings are equal.
- ``numeric``: if both parse as numbers (``parse_number``), exact rational equality
  ("1/2" == "0.5" == "\\frac{2}{4}"; "0.333333" != "1/3"); otherwise ``exact``.
- ``math_verify``: ``numeric`` first (a numeric pair never reaches math-verify, so numbers
  keep exact semantics); otherwise the math-verify package decides symbolic equivalence
  ("x^2+2x+1" == "(x+1)^2", "\\sqrt{2}/2" == "1/\\sqrt{2}"), in a helper process under a
  hard ``timeout_s`` (see ``math_verify_client``); a timeout counts as not equivalent.
  Pairs math-verify should not see stay with string equality: answers longer than
  ``MATH_VERIFY_MAX_CHARS``, and prose, i.e. a run of 3+ letters that is not a LaTeX command
  (math-verify reads "yes" as y*e*s, which would equal "sey").

None, non-strings, and answers that normalise to "" are equivalent to nothing, themselves
included. ``is_equivalent`` never raises on any input. Set-up errors do raise: an unknown
``mode`` (ValueError) and ``math_verify`` mode without the package installed (ImportError).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Callable

from verifiers.math_verify_client import math_verify_equal
from verifiers.normalize import normalize_answer, parse_number

MODES = ("exact", "numeric", "math_verify")
MATH_VERIFY_MAX_CHARS = 1_000
_PROSE = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}")

log = logging.getLogger(__name__)


def is_equivalent(
    a: str | None, b: str | None, *, mode: str = "numeric", timeout_s: float = 2.0
) -> bool:
    if mode not in MODES:
        raise ValueError(f"unknown equivalence mode {mode!r}; expected one of {MODES}")
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    try:
        return _equivalent(a, b, mode, timeout_s)
    except ImportError:  # math-verify not installed: a broken set-up, not a bad answer
        raise
    except Exception:  # a judge bug must not kill a training step; it must be visible
        log.warning("equivalence check failed; treating as not equivalent", exc_info=True)
        return False


def _equivalent(a: str, b: str, mode: str, timeout_s: float) -> bool:
    na, nb = normalize_answer(a), normalize_answer(b)
    if not na or not nb:
        return False
    if mode == "exact" or na == nb:
        return na == nb
    pa, pb = parse_number(na), parse_number(nb)
    if pa is not None and pb is not None:
        return pa == pb
    if mode == "numeric" or not _math_verify_worthy(na) or not _math_verify_worthy(nb):
        return False
    return math_verify_equal(na, nb, timeout_s)


def _math_verify_worthy(s: str) -> bool:
    return len(s) <= MATH_VERIFY_MAX_CHARS and _PROSE.search(s) is None


def numeric_equivalent(a: str, b: str) -> bool:
    """The default judge of majority voting: ``is_equivalent(a, b, mode="numeric")``."""
    return is_equivalent(a, b, mode="numeric")


def equivalence_fn(mode: str = "numeric", timeout_s: float = 2.0) -> Callable[[str, str], bool]:
    """A two-argument judge for ``majority_vote``, e.g. from a config's mode string."""
    if mode not in MODES:
        raise ValueError(f"unknown equivalence mode {mode!r}; expected one of {MODES}")
    return functools.partial(is_equivalent, mode=mode, timeout_s=timeout_s)
