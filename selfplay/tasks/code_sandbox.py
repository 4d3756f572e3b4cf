"""The sandbox a code task runs the solver's programs in, from ``task.sandbox``.

Built on the task's first judgement, in the process that judges (the driver), and kept for
the run. ``executor=bwrap`` (default) is ``verifiers.sandbox``'s bubblewrap sandbox, which
refuses to start (``SandboxUnavailable``) where it cannot hold; nothing falls back.
``unsafe_no_sandbox`` runs programs as plain processes and must be chosen by that name (it
warns on every batch). Preflight checks that the executor name is known and that bwrap is
installed before any work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from verifiers.sandbox import EXECUTORS, Executor, Program, SandboxLimits, SandboxResult, make_executor


@dataclass
class SandboxSettings:
    executor: str = "bwrap"  # a name in verifiers.sandbox.EXECUTORS: bwrap | unsafe_no_sandbox
    workers: int = 2  # programs run at once
    wall_s: float = 5.0  # per program run (one test), start-up included
    cpu_s: float = 2.0
    memory_mb: int = 512

    def limits(self) -> SandboxLimits:
        return SandboxLimits(cpu_s=self.cpu_s, wall_s=self.wall_s, memory_bytes=self.memory_mb << 20)

    def problems(self) -> list[tuple[str, object, str]]:
        """(key, value, why) for each bad setting."""
        out = []
        if self.executor not in EXECUTORS:
            out.append(("task.sandbox.executor", self.executor, f"unknown executor (known: {', '.join(EXECUTORS)})"))
        if not 1 <= self.workers <= 64:
            out.append(("task.sandbox.workers", self.workers, "must be in [1, 64]"))
        try:
            self.limits()
        except ValueError as e:
            out.append(("task.sandbox", (self.wall_s, self.cpu_s, self.memory_mb), str(e)))
        return out


class LazyExecutor:
    """The executor, made on first use (a task is also built by preflight and the tests,
    which run no program)."""

    def __init__(self, settings: SandboxSettings, executor: Executor | None = None):
        self.settings = settings
        self._executor = executor  # given: one the caller made (the tests share one)

    def get(self) -> Executor:
        if self._executor is None:
            s = self.settings
            self._executor = make_executor(s.executor, limits=s.limits(), workers=s.workers)
        return self._executor

    def run_many(self, programs: Sequence[Program]) -> list[SandboxResult]:
        """Each program under the task's limits, also on an executor made with other defaults."""
        return self.get().run_many(programs, self.settings.limits())
