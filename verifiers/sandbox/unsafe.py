"""The unsafe mode: model code run as a plain subprocess, outside any sandbox.

Only for a user who asks for it by name (executor ``unsafe_no_sandbox``), e.g. on a machine
where the sandbox cannot run and the code is trusted. It keeps the rlimits, the wall and
output limits, the empty environment and a fresh working directory, but the program runs as
the caller's uid with the caller's network, filesystem and processes in reach, and a program
that leaves its session (setsid) survives the kill. Every use warns.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import warnings

from verifiers.sandbox.bwrap import cpu_rlimit, to_result
from verifiers.sandbox.supervise import kill_process_group, supervise
from verifiers.sandbox.types import Program, SandboxLimits, SandboxResult


class UnsafeExecutionWarning(UserWarning):
    pass


warnings.simplefilter("always", UnsafeExecutionWarning)  # every use, not once per call site

WARNING = (
    "executor 'unsafe_no_sandbox': model-written code runs WITHOUT a sandbox, as uid {uid}, "
    "with this machine's network, files and processes in reach"
)


def warn_unsafe(stacklevel: int = 3) -> None:
    warnings.warn(WARNING.format(uid=os.getuid()), UnsafeExecutionWarning, stacklevel=stacklevel)


class UnsafeRunner:
    name = "unsafe_no_sandbox"
    needs_uid = False

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python
        self.prlimit = shutil.which("prlimit")
        if self.prlimit is None:
            raise RuntimeError("prlimit not found (Debian: util-linux)")

    def run(self, program: Program, limits: SandboxLimits, uid: int | None = None) -> SandboxResult:
        cpu = cpu_rlimit(limits)
        with tempfile.TemporaryDirectory(prefix="selfplay-unsafe-") as scratch:
            main = os.path.join(scratch, "main.py")
            with open(main, "w", encoding="utf-8", errors="surrogatepass") as f:
                f.write(program.source)
            argv = [
                self.prlimit, f"--cpu={cpu}", f"--as={limits.memory_bytes}",
                f"--nofile={limits.open_files}", f"--fsize={limits.scratch_bytes}", "--core=0",
                # no --nproc: it would count every process of the caller's uid (and root's not at all)
                self.python, "-s", "-P", "-B", main,
            ]
            raw = supervise(
                argv, stdin=program.stdin.encode("utf-8", "surrogatepass"), wall_s=limits.wall_s,
                output_bytes=limits.output_bytes, kill=kill_process_group,
                env={"PYTHONHASHSEED": "0"}, cwd=scratch,
            )
        return to_result(raw, limits, exit_convention="plain")
