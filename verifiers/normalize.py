"""Canonical string form of an answer, and exact parsing of numeric answers.

``normalize_answer`` applies these rewrites, repeated until nothing changes (at most
``_MAX_PASSES`` passes, each a linear scan, so cost stays linear in the input):
- surrounding whitespace, ``$``/``$$``, ``\\(...\\)``, ``\\[...\\]`` and a trailing period go;
  ``\\$`` (a currency sign) goes;
- a whole-string ``\\boxed{...}`` / ``\\fbox{...}`` is unwrapped;
- ``\\text{..}``, ``\\textbf``, ``\\textrm``, ``\\textit``, ``\\mathrm``, ``\\mathbf``,
  ``\\mbox``, ``\\operatorname`` keep only their content (units are NOT removed:
  "5 cm" != "5");
- ``\\left``/``\\right``, ``\\displaystyle`` and spacing commands (``\\,`` ``\\;`` ``\\!``
  ``\\:`` ``\\quad`` ``~``) go; ``\\dfrac``/``\\tfrac`` become ``\\frac``; ``\\%`` becomes
  ``%``; a degree mark (``^\\circ``, ``^{\\circ}``) goes; Unicode minus becomes ``-``;
- whitespace: runs collapse to one space, kept only between two letters/digits
  ("x + 1" -> "x+1", "New York" stays, "1 2" != "12");
- thousands separators in a whole-string number go: "1,234,567" / "1{,}234" /
  "1\\,234" -> "1234" (so a two-element answer written "1,234" reads as 1234);
- a single leading assignment to a variable goes: "x = 5" -> "5", "\\theta=\\pi" -> "\\pi".
Case is preserved (variables are case-sensitive). Strings longer than
``MAX_NORMALIZE_CHARS`` (the extractor's window) are only stripped, so cost stays bounded
without ever making two different long strings equal.

``parse_number`` reads the normalised string as an exact ``Fraction``. Accepted forms, each
with an optional leading sign: integers ("+4", "-0"), decimals ("3.0", ".5", "5."),
scientific notation ("1e3", "2.5E-2", "2.5\\times10^{3}", "2.5\\cdot 10^3") with
|exponent| <= ``MAX_EXPONENT``, ``a/b`` of two decimals, and ``\\frac{a}{b}`` (also
``\\dfrac``, ``\\frac12``, "-\\frac{a}{b}", "\\frac{-a}{b}"). Not numbers here (they fall
back to string comparison): powers ("10^3"), percentages, mixed numbers ("1 1/2",
"2\\frac{1}{2}"), radicals, pi, inf/nan, parenthesised numbers, non-ASCII digits, and
strings longer than ``MAX_NUMBER_CHARS``. Division by zero gives None.
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction

from verifiers.extract import braced_group

MAX_NORMALIZE_CHARS = 10_000
MAX_NUMBER_CHARS = 1_000
MAX_EXPONENT = 1_000
_MAX_PASSES = 8

_WRAPPERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))
_TEXT_CMD = re.compile(
    r"\\(?:text|textbf|textrm|textit|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}"
)
_LEFT_RIGHT = re.compile(r"\\(?:left|right)(?:\.|(?![A-Za-z]))")
_SPACING = re.compile(r"\\(?:[,;:! ]|(?:quad|qquad|displaystyle)(?![A-Za-z]))|~")
_FRAC_ALIAS = re.compile(r"\\[dt]frac(?![A-Za-z])")
_DEGREE = re.compile(r"\^\s*(?:\{\s*\\circ\s*\}|\\circ(?![A-Za-z]))")
_THIN_THOUSANDS = re.compile(r"(?<=[0-9])(?:\\,|\{,\})(?=[0-9]{3}(?![0-9]))")
_WS = re.compile(r"\s+")
_LONE_SPACE = re.compile(r"(?<![A-Za-z0-9]) | (?![A-Za-z0-9])")
_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_ASSIGNMENT = re.compile(r"(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?[A-Za-z0-9]+\}?)?\s*=(?!=)")


def normalize_answer(s: str) -> str:
    if not isinstance(s, str):
        return ""
    if len(s) > MAX_NORMALIZE_CHARS:
        return s.strip()  # too long to be a real answer; compared verbatim, cost bounded
    return _normalize(s)


@functools.lru_cache(maxsize=4096)
def _normalize(s: str) -> str:
    for _ in range(_MAX_PASSES):
        prev = s
        s = _one_pass(s)
        if s == prev:
            break
    return s


def _one_pass(s: str) -> str:
    s = s.replace("\u2212", "-").replace("\\$", "").strip()
    s = _strip_wrappers(s)
    s = _unwrap_box(s)
    s = _TEXT_CMD.sub(r"\1", s)
    s = _LEFT_RIGHT.sub("", s)
    s = _THIN_THOUSANDS.sub(",", s)
    s = _SPACING.sub(" ", s)
    s = _FRAC_ALIAS.sub(r"\\frac", s)
    s = _DEGREE.sub("", s).replace("\\%", "%")
    s = _LONE_SPACE.sub("", _WS.sub(" ", s)).strip()
    if s.endswith(".") and not s.endswith("\\."):
        s = s[:-1].rstrip()
    if _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    m = _ASSIGNMENT.match(s)
    if m and "=" not in s[m.end() :] and s[m.end() :].strip():
        s = s[m.end() :].strip()
    return s


def _strip_wrappers(s: str) -> str:
    for left, right in _WRAPPERS:
        if len(s) >= len(left) + len(right) and s.startswith(left) and s.endswith(right):
            return s[len(left) : -len(right)].strip()
    # A lone unmatched dollar at either end is markup noise too.
    return s.strip("$").strip()


def _unwrap_box(s: str) -> str:
    for cmd in ("\\boxed", "\\fbox"):
        if s.startswith(cmd + "{") and s.endswith("}"):
            body = braced_group(s, len(cmd))
            # Only when the group spans to the very end: "\boxed{1}+\boxed{2}" stays.
            if body is not None and len(body) == len(s) - len(cmd) - 2:
                return body.strip()
    return s


_SIGN = r"[+-]?"
_DEC = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_EXP = r"(?:[eE](?P<e>[+-]?[0-9]+)|\\(?:times|cdot) ?10\^(?:\{(?P<eb>[+-]?[0-9]+)\}|(?P<ed>[0-9])))"
_SCI = rf"(?P<mant>{_DEC}){_EXP}?"
_RE_SCI = re.compile(rf"(?P<sign>{_SIGN}){_SCI}")
_RE_SLASH = re.compile(rf"(?P<sign>{_SIGN})(?P<num>{_DEC})/(?P<den>{_DEC})")
_ARG = rf"(?:\{{({_SIGN}{_DEC})\}}|([0-9]))"
_RE_FRAC = re.compile(rf"(?P<sign>{_SIGN})\\frac ?{_ARG} ?{_ARG}")


def parse_number(s: str) -> Fraction | None:
    if not isinstance(s, str):
        return None
    return _parse_number(normalize_answer(s))


@functools.lru_cache(maxsize=4096)
def _parse_number(t: str) -> Fraction | None:
    if not t or len(t) > MAX_NUMBER_CHARS:
        return None
    if m := _RE_SCI.fullmatch(t):
        exp = m.group("e") or m.group("eb") or m.group("ed") or "0"
        if abs(int(exp)) > MAX_EXPONENT:
            return None
        value = _decimal(m.group("mant")) * Fraction(10) ** int(exp)
    elif m := _RE_SLASH.fullmatch(t):
        value = _ratio(_decimal(m.group("num")), _decimal(m.group("den")))
    elif m := _RE_FRAC.fullmatch(t):
        num = _signed_decimal(m.group(2) or m.group(3))
        den = _signed_decimal(m.group(4) or m.group(5))
        value = _ratio(num, den)
    else:
        return None
    if value is None:
        return None
    return -value if m.group("sign") == "-" else value


def _decimal(text: str) -> Fraction:
    whole, _, frac = text.partition(".")
    return Fraction(int((whole or "0") + frac), 10 ** len(frac))


def _signed_decimal(text: str) -> Fraction:
    if text[0] in "+-":
        value = _decimal(text[1:])
        return -value if text[0] == "-" else value
    return _decimal(text)


def _ratio(num: Fraction, den: Fraction) -> Fraction | None:
    return None if den == 0 else num / den
