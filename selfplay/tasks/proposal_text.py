"""Cutting the problem out of a proposer's free-form completion (shared by the real tasks).

Real models think aloud before (or instead of) writing the problem. The topic prompts ask
for the problem after a ``Selected Question:`` marker; the cut is:
1. after the LAST marker if there is one (a model that revises itself ends with its final
   choice), else the whole completion;
2. up to the first blank line or an ``Answer:`` / ``Solution:`` style heading, so a
   proposer that also solves its problem does not hand the solver its answer;
3. stripped of markdown emphasis, quotes and a leading ``Question:`` / ``Problem:`` label.
Bounded work: only the first ``MAX_SCAN_CHARS`` characters are read, with linear regexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

MARKER = "Selected Question:"
MAX_SCAN_CHARS = 8_000

_MARKER = re.compile(r"selected[ \t]+question[ \t*]*:", re.IGNORECASE)
_END = re.compile(
    r"\n[ \t]*\n"  # a blank line ends the question
    r"|(?:^|\n|(?<=[.?!])[ \t])[ \t#>*]*(?:final[ \t]+answer|answer|solution|explanation|step[ \t]*1)\b[ \t*]*:",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^(?:question|problem)(?:[ \t]*\d+)?[ \t]*:[ \t]*", re.IGNORECASE)
_DECOR = "*_\"'`>#"  # markdown emphasis, quotes, headings around a question
_ANSWER_LEAK = re.compile(r"<answer>|</answer>|\\boxed|\\fbox")


@dataclass(frozen=True)
class QuestionCut:
    text: str  # the question, possibly empty
    marked: bool  # whether it followed a "Selected Question:" marker


def cut_question(completion: str) -> QuestionCut:
    text = completion[:MAX_SCAN_CHARS] if isinstance(completion, str) else ""
    last = None
    for last in _MARKER.finditer(text):
        pass
    marked = last is not None
    if marked:
        text = text[last.end() :]
    text = _strip(text)
    end = _END.search(text)
    if end:
        text = text[: end.start()]
    text = _strip(_LABEL.sub("", _strip(text)))
    return QuestionCut(text, marked)


def _strip(text: str) -> str:
    """Strip whitespace (any Unicode space) and decoration from both ends."""
    while True:
        stripped = text.strip().strip(_DECOR)
        if stripped == text:
            return text
        text = stripped


def leaks_answer(question: str) -> bool:
    """The question carries an answer in the solver's answer format."""
    return _ANSWER_LEAK.search(question) is not None


def empty_reason(cut: QuestionCut) -> str:
    return f"nothing after '{MARKER}'" if cut.marked else "empty proposal"


def format_rational(value: Fraction) -> str:
    """``"12"``, ``"-7/2"``: the ground-truth spelling; ``numeric`` equivalence accepts any
    equal integer, fraction or terminating decimal."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def solver_prompt(problem_text: str) -> str:
    """What the solver reads: the problem verbatim, then SQLM's answer convention. No example
    answer: SmolLM2-135M echoed an example's number ("42") often enough to make it the
    majority answer of unrelated problems."""
    return (
        f"{problem_text}\n\n"
        "Solve the problem. Write the final answer as a single number (an integer, a fraction "
        "or a decimal) between <answer> and </answer> tags."
    )
