"""code_io: cluster programs by what they print on the same inputs; the majority is the label.

Each program runs on every input; its outcome is the tuple of its normalised stdouts
(``run_tests.normalize_output``). A program that fails on any input (non-zero exit, a
signal, any limit hit: crash, timeout, too much output) or that is missing (no program in
the completion) has no outcome: it agrees with nothing, not even with another program that
crashed the same way, but still counts in ``n``, so it lowers the agreement. Clusters are
exact matches of outcome tuples; the vote is ``verifiers.majority.majority_vote`` (largest
cluster, ties to the cluster seen first), so the rules match the math tasks' vote. The
majority cluster's outcome, paired with the inputs, is the pseudo-label.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

from verifiers.code.io_tests import IOTest, stdin_for
from verifiers.code.run_tests import ProgramExecutor, normalize_output
from verifiers.majority import MajorityResult, majority_vote
from verifiers.sandbox.types import Program, SandboxLimits, SandboxResult


def outcome(results: Sequence[SandboxResult] | None) -> tuple[str, ...] | None:
    """A program's outputs on the inputs, or None if it failed on any of them."""
    if results is None or not all(r.ok for r in results):
        return None
    return tuple(normalize_output(r.stdout) for r in results)


@dataclass(frozen=True)
class IOClusters:
    outcomes: tuple[tuple[str, ...] | None, ...]  # per program
    vote: MajorityResult  # over the programs; cluster_of[i] == -1 for a failed program

    @property
    def label(self) -> tuple[str, ...] | None:
        """The majority cluster's outputs, one per input; None when no program succeeded."""
        return None if self.vote.label is None else tuple(json.loads(self.vote.label))

    def pseudo_tests(self, inputs: Sequence[str]) -> tuple[IOTest, ...] | None:
        label = self.label
        return None if label is None else tuple(IOTest(i, o) for i, o in zip(inputs, label))


def cluster_outcomes(outcomes: Sequence[tuple[str, ...] | None]) -> IOClusters:
    keys = [None if o is None else json.dumps(list(o)) for o in outcomes]
    return IOClusters(tuple(outcomes), majority_vote(keys, equivalent=lambda a, b: a == b))


def run_and_cluster(executor: ProgramExecutor, sources: Sequence[str | None], inputs: Sequence[str],
                    limits: SandboxLimits | None = None) -> IOClusters:
    """Run every program on every input (one batch) and cluster the programs."""
    inputs = list(inputs)
    if not inputs:
        raise ValueError("run_and_cluster needs at least one input")
    stdins = [stdin_for(i) for i in inputs]
    jobs = [Program(src, s) for src in sources if src is not None for s in stdins]
    results = executor.run_many(jobs, limits)
    per_program, k = [], 0
    for src in sources:
        if src is None:
            per_program.append(None)
        else:
            per_program.append(outcome(results[k:k + len(inputs)]))
            k += len(inputs)
    return cluster_outcomes(per_program)
