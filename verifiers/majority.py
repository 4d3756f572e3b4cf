"""Majority vote over a problem's N solver answers: the only training-time verification.

Clustering is greedy: each answer joins the first existing cluster whose first member it is
equivalent to, otherwise it opens a new cluster (O(n * clusters) judge calls; equivalence
judges need not be transitive, so the first member is the cluster's fixed reference).
The majority is the largest cluster; ties go to the cluster whose first member appears
earliest in ``answers``, which makes the vote deterministic given the order of attempts.
An answer that is None, not a string, or not equivalent to itself (e.g. "" or "$ $") is
unextractable: it joins no cluster but still counts in ``n``, so it lowers agreement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from verifiers.equivalence import numeric_equivalent


@dataclass(frozen=True)
class MajorityResult:
    label: str | None  # the majority cluster's first member, verbatim; None if no valid answer
    majority_size: int
    n: int  # all attempts, unextractable ones included
    agreement: float  # majority_size / n; 0.0 when n == 0
    cluster_of: tuple[int, ...]  # cluster index per attempt; -1 for unextractable answers
    cluster_sizes: tuple[int, ...]  # indexed by cluster, clusters in order of first appearance

    @property
    def majority_cluster(self) -> int:
        """Index of the majority cluster; -1 when there is no valid answer."""
        return self.cluster_sizes.index(self.majority_size) if self.cluster_sizes else -1

    def agrees(self, i: int) -> bool:
        """Attempt ``i`` is in the majority cluster (False for unextractable answers)."""
        return self.label is not None and self.cluster_of[i] == self.majority_cluster


def majority_vote(
    answers: Sequence[str | None],
    equivalent: Callable[[str, str], bool] = numeric_equivalent,
) -> MajorityResult:
    representatives: list[str] = []
    sizes: list[int] = []
    cluster_of: list[int] = []
    for answer in answers:
        if not isinstance(answer, str) or not equivalent(answer, answer):
            cluster_of.append(-1)
            continue
        for k, rep in enumerate(representatives):
            if equivalent(rep, answer):
                sizes[k] += 1
                cluster_of.append(k)
                break
        else:
            representatives.append(answer)
            sizes.append(1)
            cluster_of.append(len(sizes) - 1)

    n = len(cluster_of)
    if not sizes:
        return MajorityResult(None, 0, n, 0.0, tuple(cluster_of), ())
    best = max(range(len(sizes)), key=lambda k: (sizes[k], -k))  # largest, then earliest
    return MajorityResult(
        label=representatives[best],
        majority_size=sizes[best],
        n=n,
        agreement=sizes[best] / n,
        cluster_of=tuple(cluster_of),
        cluster_sizes=tuple(sizes),
    )
