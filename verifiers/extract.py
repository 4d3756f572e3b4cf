"""Pull the final answer out of a model completion.

Formats:
- ``answer_tag``: content of the last complete ``<answer>...</answer>`` pair (SQLM's
  convention). Tags are case-sensitive; a trailing unclosed ``<answer>`` is ignored, so the
  last *closed* pair wins.
- ``boxed``: content of the last ``\\boxed{...}`` / ``\\fbox{...}`` (nested and escaped
  braces handled), or the token after ``\\boxed 5``. If that last box is unclosed (a
  truncated generation) there is no answer: earlier boxes are not searched.
- ``auto``: the answer tag if a closed pair exists, else boxed. A ``\\boxed{}`` inside the
  tag is unwrapped ("<answer>so \\boxed{5}</answer>" -> "5").
- ``plain``: the first non-empty line of the text.
- ``lenient``: ``auto``, else the last number in the text ("so 9 * 5 = 45." -> "45";
  integers, thousands separators, decimals, ``a/b``). For small models that never use the
  answer format; a truncated or rambling completion then yields whatever number came last.

Bounded work: only the last ``MAX_CHARS`` characters are searched (the first ``MAX_CHARS``
for ``plain``), and every scan is a single linear pass, so a pathological completion costs
O(MAX_CHARS) at most. Returns None when nothing non-empty can be extracted; never raises on
any string (an unknown ``fmt`` is a programming error and raises ValueError).
"""

from __future__ import annotations

import re

MAX_CHARS = 10_000
FORMATS = ("auto", "answer_tag", "boxed", "plain", "lenient")

_OPEN, _CLOSE = "<answer>", "</answer>"
_BOX_COMMANDS = ("\\boxed", "\\fbox")
_NUMBER = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:/\d+(?:\.\d+)?)?")


def extract_answer(text: str, fmt: str = "auto") -> str | None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown answer format {fmt!r}; expected one of {FORMATS}")
    if not isinstance(text, str):
        return None
    if fmt == "plain":
        return _first_line(text[:MAX_CHARS])
    tail = text[-MAX_CHARS:]
    if fmt == "answer_tag":
        return _answer_tag(tail)
    if fmt == "boxed":
        return _last_boxed(tail)
    tagged = _answer_tag(tail)
    if tagged is not None:
        return _last_boxed(tagged) or tagged
    boxed = _last_boxed(tail)
    if fmt == "lenient" and boxed is None:
        return _last_number(tail)
    return boxed


def _last_number(text: str) -> str | None:
    last = None
    for last in _NUMBER.finditer(text):
        pass
    return last.group() if last else None


def _nonempty(s: str) -> str | None:
    s = s.strip()
    return s or None


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return None


def _answer_tag(text: str) -> str | None:
    end = text.rfind(_CLOSE)
    if end < 0:
        return None
    start = text.rfind(_OPEN, 0, end)
    if start < 0:
        return None
    # The innermost pair: "<answer><answer>5</answer></answer>" reads as "5".
    end = text.find(_CLOSE, start)
    return _nonempty(text[start + len(_OPEN) : end])


def _last_boxed(text: str) -> str | None:
    # The last box command of either spelling; only that one is considered (linear work).
    start, command = max((text.rfind(c), c) for c in _BOX_COMMANDS)
    if start < 0:
        return None
    i = start + len(command)
    if i < len(text) and text[i].isalpha():
        return None  # a different control word, e.g. \boxedx or \fboxsep
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        return None
    if text[i] == "{":
        body = braced_group(text, i)
        return None if body is None else _nonempty(body)
    # "\boxed 5" style: the argument runs to the next space or closing math delimiter.
    j = i
    while j < len(text) and not text[j].isspace() and text[j] != "$":
        j += 1
    return _nonempty(text[i:j])


def braced_group(text: str, open_index: int) -> str | None:
    """Content of the ``{...}`` group opening at ``open_index``; None if it never closes.

    Escaped braces (``\\{``, ``\\}``) do not count towards nesting.
    """
    depth = 0
    i = open_index
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[open_index + 1 : i]
        i += 1
    return None
