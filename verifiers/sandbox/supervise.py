"""Run one command, feed its stdin, cap its output, kill it at the wall limit.

Shared by the sandbox and the unsafe mode: what isolates the program is in the command
(``bwrap.py``) and in the uid it runs as; this module only supervises. One thread, one
``select`` loop over stdin, stdout, stderr and a pidfd of the child, so it needs no signals
and works off the main thread (pool threads, Ray actors).
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Callable, Sequence

_CHUNK = 1 << 16


@dataclass(frozen=True)
class RawRun:
    status: int  # as from waitpid
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    killed_for: str | None  # "wall" | "output" | None
    wall_s: float
    cpu_s: float


def supervise(
    argv: Sequence[str],
    *,
    stdin: bytes,
    wall_s: float,
    output_bytes: int,
    kill: Callable[[subprocess.Popen], None],
    env: dict[str, str],
    user: int | None = None,
    pass_fds: Sequence[int] = (),
    cwd: str | None = None,
) -> RawRun:
    """``kill(proc)`` must end the whole tree; it is called at most once, then the child is reaped."""
    ids = {} if user is None else {"user": user, "group": user, "extra_groups": []}
    start = time.monotonic()
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
        pass_fds=tuple(pass_fds),
        start_new_session=True,
        **ids,
    )
    deadline = start + wall_s
    pidfd = os.pidfd_open(proc.pid)
    sel = selectors.DefaultSelector()
    in_fd, out_fd, err_fd = proc.stdin.fileno(), proc.stdout.fileno(), proc.stderr.fileno()
    out = {out_fd: bytearray(), err_fd: bytearray()}
    truncated = dict.fromkeys(out, False)
    pending = memoryview(stdin)
    for f in (proc.stdin, proc.stdout, proc.stderr):
        os.set_blocking(f.fileno(), False)
    if pending:
        sel.register(in_fd, selectors.EVENT_WRITE)
    else:
        proc.stdin.close()
    for fd in out:
        sel.register(fd, selectors.EVENT_READ)
    sel.register(pidfd, selectors.EVENT_READ)
    killed_for: str | None = None
    exited = False
    try:
        while not exited or len(sel.get_map()) > 0:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                killed_for = "wall"
                break
            for key, _ in sel.select(timeout):
                fd = key.fd
                if fd == pidfd:
                    exited = True
                    sel.unregister(pidfd)
                elif fd == in_fd:
                    try:
                        pending = pending[os.write(fd, pending[:_CHUNK]):]
                    except BrokenPipeError:
                        pending = pending[:0]
                    if not pending:
                        sel.unregister(fd)
                        proc.stdin.close()
                else:
                    data = os.read(fd, _CHUNK)
                    if not data:
                        sel.unregister(fd)
                        continue
                    buf = out[fd]
                    room = output_bytes - len(buf)
                    buf += data[:room]
                    if len(data) > room:
                        truncated[fd] = True
                        killed_for = "output"
            if killed_for:
                break
        if killed_for:
            kill(proc)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = _returncode(status)  # reaped here: keep Popen from waiting again
    finally:
        sel.close()
        os.close(pidfd)
        for f in (proc.stdin, proc.stdout, proc.stderr):
            f.close()
        if proc.returncode is None:  # an exception above: never leave the tree running
            kill(proc)
            proc.wait()
    return RawRun(
        status=status,
        stdout=bytes(out[out_fd]),
        stderr=bytes(out[err_fd]),
        stdout_truncated=truncated[out_fd],
        stderr_truncated=truncated[err_fd],
        killed_for=killed_for,
        wall_s=time.monotonic() - start,
        cpu_s=usage.ru_utime + usage.ru_stime,
    )


def _returncode(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def kill_process_group(proc: subprocess.Popen) -> None:
    """The unsafe mode's kill: the child's session (a program that calls setsid escapes it)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
