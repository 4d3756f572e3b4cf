"""The sandbox: bubblewrap namespaces + rlimits + seccomp, run as a leased uid of its own.

What each guarantee rests on is in ``verifiers/sandbox/README.md``. In short, per run:
- its own user, pid, network, IPC, UTS and cgroup namespaces (``bwrap --unshare-all``), no
  nested user namespaces (``--disable-userns``), no capabilities;
- a filesystem of tmpfs with ``/usr`` bound read-only (and /bin, /lib... as on the host),
  a fresh ``/proc`` of its pid namespace, a minimal ``/dev``, everything else read-only, and
  two writable size-limited tmpfs (``/tmp``, the working directory, and ``/dev/shm``) that
  vanish with the run; the program itself is a read-only file ``/sandbox/main.py``;
- rlimits set by ``prlimit`` before bwrap starts: CPU, address space, processes (counted for
  the leased uid), open files, file size, no core files;
- an empty environment but ``PYTHONHASHSEED=0`` (deterministic str hashing);
- the host uid of the run is a leased uid that owns no file (``slots.py``);
- at the wall or output limit the namespace's init is SIGKILLed (the kernel then kills every
  process of the pid namespace), and after every run every process of the uid is killed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from verifiers.sandbox.seccomp import deny_list_filter
from verifiers.sandbox.slots import kill_uid, uid_processes
from verifiers.sandbox.supervise import RawRun, supervise
from verifiers.sandbox.types import LimitHit, Program, SandboxLimits, SandboxResult

MAIN = "/sandbox/main.py"
_ROOT_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here; model code is then refused, never run unsandboxed."""


@dataclass(frozen=True)
class SandboxConfig:
    python: str = "/usr/bin/python3"  # must resolve to a file under /usr (the only tree mounted)
    bwrap: str = "bwrap"
    prlimit: str = "prlimit"
    seccomp: bool = True


def _resolve(cmd: str) -> str:
    path = shutil.which(cmd)
    if path is None:
        raise SandboxUnavailable(
            f"{cmd!r} not found; install it (Debian: apt-get install -y bubblewrap util-linux)"
        )
    return path


def root_layout() -> list[str]:
    """bwrap arguments for the host's top-level /bin, /lib, ... (symlinks into /usr, or not)."""
    args: list[str] = []
    for name in _ROOT_LINKS:
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


def cpu_rlimit(limits: SandboxLimits) -> int:
    """RLIMIT_CPU is in whole seconds: ``cpu_s`` rounded up."""
    return max(1, int(-(-limits.cpu_s // 1)))


def bwrap_argv(config: SandboxConfig, limits: SandboxLimits, *, python: str, bwrap: str, prlimit: str,
               source_fd: int, info_fd: int, seccomp_fd: int | None) -> list[str]:
    cpu = cpu_rlimit(limits)
    return [
        prlimit,
        f"--cpu={cpu}",  # soft = hard: SIGKILL at the limit (the program is its namespace's
        # init, which the kernel does not send SIGXCPU/SIGXFSZ to while they have no handler)
        f"--as={limits.memory_bytes}",
        f"--nproc={limits.processes + 1}",  # + bwrap's monitor (the program is the pid namespace's init)
        f"--nofile={limits.open_files}",
        f"--fsize={limits.scratch_bytes}",
        "--core=0",
        bwrap,
        "--unshare-all", "--unshare-user", "--disable-userns",
        "--die-with-parent", "--new-session", "--as-pid-1", "--hostname", "sandbox",
        "--ro-bind", "/usr", "/usr", *root_layout(),
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(limits.scratch_bytes), "--tmpfs", "/dev/shm",
        "--size", str(limits.scratch_bytes), "--tmpfs", "/tmp",
        "--ro-bind-data", str(source_fd), MAIN,
        "--remount-ro", "/dev",
        "--remount-ro", "/",
        "--chdir", "/tmp",
        "--clearenv", "--setenv", "PYTHONHASHSEED", "0",
        "--info-fd", str(info_fd),
        *(["--seccomp", str(seccomp_fd)] if seccomp_fd is not None else []),
        "--",
        python, "-s", "-P", "-B", MAIN,
    ]


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)  # Popen's pass_fds hands it to bwrap alone
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class BwrapRunner:
    """Runs one program per call in a fresh sandbox as the given uid (see ``UidLeaser``)."""

    name = "bwrap"

    def __init__(self, config: SandboxConfig = SandboxConfig()) -> None:
        if not sys.platform.startswith("linux"):
            raise SandboxUnavailable("the sandbox needs Linux (namespaces, pidfd, seccomp)")
        if os.geteuid() != 0:
            raise SandboxUnavailable(
                "the sandbox runs each program as a uid of its own and needs root for that "
                "(RLIMIT_NPROC does not bound a shared uid); run as root, or use a VM"
            )
        self.config = config
        self.bwrap = _resolve(config.bwrap)
        self.prlimit = _resolve(config.prlimit)
        self.python = os.path.realpath(config.python)
        if not (self.python.startswith("/usr/") and os.access(self.python, os.X_OK)):
            raise SandboxUnavailable(
                f"SandboxConfig.python={config.python!r} must be an executable under /usr "
                f"(resolves to {self.python!r})"
            )
        self._seccomp = deny_list_filter() if config.seccomp else None

    def run(self, program: Program, limits: SandboxLimits, uid: int) -> SandboxResult:
        source_fd = _memfd("main.py", program.source.encode("utf-8", "surrogatepass"))
        seccomp_fd = _memfd("seccomp", self._seccomp) if self._seccomp is not None else None
        info_r, info_w = os.pipe()
        fds = [source_fd, info_w] + ([seccomp_fd] if seccomp_fd is not None else [])
        argv = bwrap_argv(self.config, limits, python=self.python, bwrap=self.bwrap,
                          prlimit=self.prlimit, source_fd=source_fd, info_fd=info_w,
                          seccomp_fd=seccomp_fd)
        try:
            raw = supervise(
                argv, stdin=program.stdin.encode("utf-8", "surrogatepass"),
                wall_s=limits.wall_s, output_bytes=limits.output_bytes,
                kill=lambda proc: _kill_sandbox(proc, info_r), env={}, user=uid, pass_fds=fds,
            )
        finally:
            for fd in fds + [info_r]:
                os.close(fd)
            # The namespace is gone once bwrap is reaped; anything of the uid still alive got
            # out of it. Count it (the hostile battery asserts 0), then kill it.
            leftover = len(uid_processes(uid))
            if leftover and not kill_uid(uid):
                raise RuntimeError(f"processes of sandbox uid {uid} survived SIGKILL")
        return to_result(raw, limits, exit_convention="bwrap", leftover_processes=leftover)


def _child_pid(info_r: int) -> int | None:
    """The host pid of the namespace's init, from bwrap's --info-fd JSON (written at clone)."""
    os.set_blocking(info_r, False)
    try:
        data = os.read(info_r, 4096)
    except BlockingIOError:
        return None
    try:
        return int(json.loads(data)["child-pid"])
    except (ValueError, KeyError):
        return None


def _kill_sandbox(proc: subprocess.Popen, info_r: int) -> None:
    # Killing the namespace's init makes the kernel kill the rest of the pid namespace; bwrap's
    # monitor (our child) then reaps it and exits, so no orphan is left for the host's init.
    child = _child_pid(info_r)
    if child is not None:
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return
            time.sleep(0.002)
    try:  # no init pid yet (killed during start-up), or the monitor is stuck
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


_SIGNAL_LIMITS: dict[int, LimitHit] = {signal.SIGXCPU: "cpu", signal.SIGXFSZ: "disk"}
_STDERR_LIMITS: tuple[tuple[str, LimitHit], ...] = (
    ("MemoryError", "memory"),
    ("[Errno 11] Resource temporarily unavailable", "processes"),
    ("can't start new thread", "processes"),
    ("[Errno 24] Too many open files", "open_files"),
    ("[Errno 28] No space left on device", "disk"),
    ("[Errno 27] File too large", "disk"),  # RLIMIT_FSIZE where SIGXFSZ is not delivered
)


def to_result(raw: RawRun, limits: SandboxLimits, *, exit_convention: str,
              leftover_processes: int | None = None) -> SandboxResult:
    """Decode the exit status and name the limit hit (host-measured ones first)."""
    if os.WIFSIGNALED(raw.status):
        exit_code, sig = None, os.WTERMSIG(raw.status)
    else:
        exit_code, sig = os.WEXITSTATUS(raw.status), None
        # bwrap reports a child killed by signal s as exit status 128 + s (like a shell).
        if exit_convention == "bwrap" and exit_code > 128 and exit_code - 128 < signal.NSIG:
            exit_code, sig = None, exit_code - 128
    limit: LimitHit | None = raw.killed_for  # type: ignore[assignment]
    if limit is None and sig is not None:
        limit = _SIGNAL_LIMITS.get(sig)
        # A SIGKILL the host did not send: RLIMIT_CPU's hard limit (rusage can read a few
        # percent under the limit the kernel enforced), or else the OOM killer.
        if sig == signal.SIGKILL and raw.cpu_s >= 0.8 * cpu_rlimit(limits):
            limit = "cpu"
    if limit is None and exit_code not in (0, None):
        tail = raw.stderr[-2048:].decode("utf-8", "replace").strip().splitlines()
        last = tail[-1] if tail else ""
        limit = next((hit for needle, hit in _STDERR_LIMITS if needle in last), None)
    return SandboxResult(
        exit_code=exit_code,
        signal=sig,
        stdout=raw.stdout.decode("utf-8", "replace"),
        stderr=raw.stderr.decode("utf-8", "replace"),
        stdout_truncated=raw.stdout_truncated,
        stderr_truncated=raw.stderr_truncated,
        limit_hit=limit,
        wall_s=raw.wall_s,
        cpu_s=raw.cpu_s,
        leftover_processes=leftover_processes,
    )
