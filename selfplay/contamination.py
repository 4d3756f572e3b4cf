"""Overlap of proposed problems with a held-out benchmark's prompts: a contamination report.

Where a task's held-out set is a named benchmark (``task.eval_set=humaneval``), every valid
proposal's problem statement is compared with all of the benchmark's prompts (not only the
evaluated subset). The rule is the 13-gram rule of GPT-3's contamination analysis (Brown et
al. 2020, appendix C) and of later benchmark-contamination work: a problem is *contaminated*
when it shares a run of at least ``NGRAM`` = 13 consecutive words with one prompt. Words are
lowercase runs of letters, digits and underscores (an identifier such as
``has_close_elements`` is one word; punctuation, code layout and case are ignored). Only the
statement is compared: it is where a copied docstring would sit, while a problem's tests are
short numeric lines that would match doctest examples by chance.

Per problem the rollouts keep the longest shared run, in words (``overlap_words``), and the
prompt it is shared with (``overlap_with``, e.g. ``HumanEval/12``); each step logs
``contamination/<benchmark>_rate`` (the share of valid problems at or above the threshold),
``_flagged`` (their count) and ``_longest`` (the step's longest run). Measured, never used
for a reward.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Mapping, Sequence

from selfplay.tracking.rollouts import RolloutRecord

NGRAM = 13
_WORD = re.compile(r"[a-z0-9_]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class Overlap:
    words: int  # the longest run of consecutive words shared with one reference (0: none)
    ref: str | None  # that reference's name (the first such, in the references' order)

    @property
    def contaminated(self) -> bool:
        return self.words >= NGRAM


class OverlapIndex:
    """The longest common word run of a text with any of ``references`` (name -> text), found
    exactly through an index of where each word occurs (no n-gram sets of every length)."""

    def __init__(self, references: Mapping[str, str]):
        self._refs = [(name, words(text)) for name, text in references.items()]
        self._at: dict[str, list[tuple[int, int]]] = defaultdict(list)  # word -> (reference, position)
        for r, (_, ws) in enumerate(self._refs):
            for j, w in enumerate(ws):
                self._at[w].append((r, j))

    def longest(self, text: str) -> Overlap:
        q = words(text)
        best, ref = 0, None
        for i, w in enumerate(q):
            for r, j in self._at.get(w, ()):
                ws = self._refs[r][1]
                if i and j and q[i - 1] == ws[j - 1]:
                    continue  # inside a run already measured from its start
                n = 1
                while i + n < len(q) and j + n < len(ws) and q[i + n] == ws[j + n]:
                    n += 1
                if n > best:
                    best, ref = n, self._refs[r][0]
        return Overlap(best, ref)


class ContaminationCheck:
    """A step's proposals against the task's benchmark; does nothing for a task without one."""

    def __init__(self, task):
        self.benchmark: str | None = getattr(task, "eval_benchmark", None)
        self._index = OverlapIndex(task.benchmark_prompts()) if self.benchmark else None

    def annotate(self, records: Sequence[RolloutRecord]) -> dict[str, float]:
        """Fills ``overlap_words``/``overlap_with`` of the valid proposals; returns the metrics."""
        if self._index is None:
            return {}
        found = []
        for r in records:
            if r.role == "proposer" and r.valid and r.parsed is not None:
                overlap = self._index.longest(r.parsed)
                r.overlap_words, r.overlap_with = overlap.words, overlap.ref
                found.append(overlap)
        flagged = sum(o.contaminated for o in found)
        key = f"contamination/{self.benchmark}"
        return {
            f"{key}_rate": flagged / len(found) if found else float("nan"),
            f"{key}_flagged": float(flagged),
            f"{key}_longest": float(max((o.words for o in found), default=0)),
        }
