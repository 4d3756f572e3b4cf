"""Run many programs in parallel through one runner; a registry of runners by name.

``make_executor("bwrap")`` is the sandbox and fails with ``SandboxUnavailable`` (before any
program runs) where it cannot hold; nothing falls back to running code unsandboxed.
``make_executor("unsafe_no_sandbox")`` is the only way to do that, and it warns on every call.
Results come back in the order of the programs, whatever order they finish in, so a batch
of deterministic programs gives the same results every time.
"""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Protocol, Sequence

from verifiers.sandbox.bwrap import BwrapRunner, SandboxConfig, SandboxUnavailable
from verifiers.sandbox.slots import UidLease, UidLeaser
from verifiers.sandbox.types import Program, SandboxLimits, SandboxResult
from verifiers.sandbox.unsafe import UnsafeRunner, warn_unsafe


class Runner(Protocol):
    name: str

    def run(self, program: Program, limits: SandboxLimits, uid: int) -> SandboxResult: ...


class Executor:
    """``workers`` programs at a time; each bwrap run gets a uid of its own (``slots.py``)."""

    def __init__(self, runner: Runner, limits: SandboxLimits = SandboxLimits(), workers: int = 4,
                 leaser: UidLeaser | None = None) -> None:
        if not (isinstance(workers, int) and 1 <= workers <= 1024):
            raise ValueError(f"workers must be an int in [1, 1024], got {workers!r}")
        self.runner, self.limits, self.workers = runner, limits, workers
        self.unsafe = isinstance(runner, UnsafeRunner)
        self._leases: list[UidLease] = []
        self._uids: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        if self.unsafe:
            for _ in range(workers):
                self._uids.put(None)
        else:
            leaser = leaser or UidLeaser()
            for _ in range(workers):
                lease = leaser.lease()
                self._leases.append(lease)
                self._uids.put(lease.uid)
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox")

    @property
    def name(self) -> str:
        return self.runner.name

    def run(self, program: Program, limits: SandboxLimits | None = None) -> SandboxResult:
        return self.run_many([program], limits)[0]

    def run_many(self, programs: Sequence[Program], limits: SandboxLimits | None = None) -> list[SandboxResult]:
        programs = list(programs)
        if not all(isinstance(p, Program) for p in programs):
            raise TypeError("run_many takes a sequence of Program")
        if self.unsafe and programs:
            warn_unsafe()
        lim = limits or self.limits
        return list(self._threads.map(lambda p: self._one(p, lim), programs))

    def _one(self, program: Program, limits: SandboxLimits) -> SandboxResult:
        uid = self._uids.get()
        try:
            return self.runner.run(program, limits, uid)
        finally:
            self._uids.put(uid)

    def close(self) -> None:
        self._threads.shutdown(wait=True)
        for lease in self._leases:
            lease.release()
        self._leases.clear()

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _bwrap(limits: SandboxLimits, workers: int, config: SandboxConfig | None = None) -> Executor:
    runner = BwrapRunner(config or SandboxConfig())
    executor = Executor(runner, limits, workers)
    try:
        check_sandbox(executor)
    except BaseException:
        executor.close()
        raise
    return executor


def _unsafe(limits: SandboxLimits, workers: int) -> Executor:
    warn_unsafe()
    return Executor(UnsafeRunner(), limits, workers)


EXECUTORS: dict[str, Callable[..., Executor]] = {"bwrap": _bwrap, "unsafe_no_sandbox": _unsafe}


def make_executor(kind: str = "bwrap", *, limits: SandboxLimits = SandboxLimits(), workers: int = 4,
                  **options) -> Executor:
    if kind not in EXECUTORS:
        raise ValueError(f"unknown executor {kind!r}; choose one of {sorted(EXECUTORS)}")
    return EXECUTORS[kind](limits, workers, **options)


_PROBE = ("import os, sys\n"
          "print(sys.stdin.read().strip(), os.getuid() != 0,\n"
          "      set(os.environ) <= {'LC_CTYPE', 'PWD', 'PYTHONHASHSEED'} or sorted(os.environ))\n")


def check_sandbox(executor: Executor) -> None:
    """One trivial program through the sandbox; SandboxUnavailable with bwrap's words if it fails."""
    result = executor.run(Program(_PROBE, stdin="ready\n"), SandboxLimits(wall_s=30.0))
    if result.stdout.strip() != "ready True True":
        raise SandboxUnavailable(
            f"the sandbox failed its start-up check (exit {result.exit_code}, signal {result.signal}, "
            f"limit {result.limit_hit}): stdout={result.stdout[-500:]!r} stderr={result.stderr[-1500:]!r}"
        )
