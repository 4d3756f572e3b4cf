"""What goes into a sandboxed run and what comes out: limits, a program, a result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Which limit ended (or broke) a run. "wall", "cpu", "output" and "disk" (a file past
# RLIMIT_FSIZE: SIGXFSZ) are measured by the host; "memory", "processes", "open_files" and
# "disk" (ENOSPC on the scratch tmpfs) are read from the interpreter's last error line on
# stderr, so a program can fake (or hide) them: they are diagnostics, never a verdict.
LimitHit = Literal["wall", "cpu", "output", "memory", "processes", "open_files", "disk"]

MAX_SOURCE_BYTES = 1 << 20
MAX_STDIN_BYTES = 16 << 20


@dataclass(frozen=True)
class SandboxLimits:
    cpu_s: float = 10.0  # CPU seconds per process (RLIMIT_CPU: SIGXCPU, then SIGKILL 1 s later)
    wall_s: float = 10.0  # wall clock for the whole tree, start-up included; then all is killed
    memory_bytes: int = 512 << 20  # address space per process (RLIMIT_AS)
    processes: int = 8  # processes + threads alive at once, the main thread included
    open_files: int = 64  # file descriptors per process (RLIMIT_NOFILE)
    output_bytes: int = 1 << 20  # stdout and stderr each; more kills the tree ("output")
    scratch_bytes: int = 16 << 20  # size of each writable tmpfs (/tmp, /dev/shm); RLIMIT_FSIZE

    def __post_init__(self) -> None:
        for name in ("cpu_s", "wall_s"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 < value <= 3600):
                raise ValueError(f"SandboxLimits.{name} must be in (0, 3600] seconds, got {value!r}")
        bounds = {
            "memory_bytes": (32 << 20, 1 << 40),
            "processes": (1, 4096),
            "open_files": (8, 1 << 16),
            "output_bytes": (1, 1 << 30),
            "scratch_bytes": (1 << 16, 1 << 36),
        }
        for name, (low, high) in bounds.items():
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and low <= value <= high):
                raise ValueError(f"SandboxLimits.{name} must be an int in [{low}, {high}], got {value!r}")


@dataclass(frozen=True)
class Program:
    """Python source run as ``python3 main.py`` with ``stdin`` on its standard input."""

    source: str
    stdin: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.source, str) or not isinstance(self.stdin, str):
            raise TypeError("Program.source and Program.stdin must be str")
        if len(self.source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
            raise ValueError(f"Program.source is over {MAX_SOURCE_BYTES} bytes")
        if len(self.stdin.encode("utf-8", "surrogatepass")) > MAX_STDIN_BYTES:
            raise ValueError(f"Program.stdin is over {MAX_STDIN_BYTES} bytes")


@dataclass(frozen=True)
class SandboxResult:
    exit_code: int | None  # None when the program was ended by a signal
    signal: int | None  # the signal that ended it (SIGKILL after a wall/output kill)
    stdout: str  # UTF-8, undecodable bytes replaced; at most output_bytes
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    limit_hit: LimitHit | None
    wall_s: float
    cpu_s: float  # user + system of the tree's processes that were reaped (all of them, normally)
    # Processes of the run's uid still alive after its sandbox was torn down (then killed):
    # 0 unless something left the pid namespace. None where not checked (the unsafe mode).
    leftover_processes: int | None = None

    @property
    def ok(self) -> bool:
        """Exited 0 on its own, within every limit, with its output complete."""
        return (
            self.exit_code == 0
            and self.limit_hit is None
            and not self.stdout_truncated
            and not self.stderr_truncated
        )
