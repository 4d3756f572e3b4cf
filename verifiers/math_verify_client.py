"""Math-verify comparisons with a hard wall-clock bound, safe off the main thread.

math-verify bounds its own work with ``signal.alarm``, which only works on a process's main
thread (not in Ray actors' worker threads or thread pools) and cannot interrupt C code such
as sympy evaluating ``2^{2^{40}}``. So comparisons run in one persistent helper process
(``_math_verify_child.py``, started with ``subprocess``, not ``multiprocessing``, so it
works inside daemonic processes and never re-imports the caller's ``__main__``). If a
comparison misses its deadline the helper is SIGKILLed, the call returns False, the timeout
is counted, and a replacement starts at once so it imports while the caller moves on.

The bound: a call takes at most ``timeout_s`` (+ a few ms of kill/IPC) once the helper is
up. Helper start-up (about 1 s: importing sympy) is not charged to ``timeout_s``, so a
fresh helper never turns a correct comparison into a spurious False; it has its own bound,
``startup_timeout_s``. Calls from several threads are serialised by a lock; the wait for
the lock is not part of the bound. The helper never outlives this process for long: it is
killed at exit, stops when its stdin closes, and each comparison carries a kernel-enforced
CPU cap (``timeout_s + CPU_BACKSTOP_S``) that ends it even if this process died mid-call.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_CHILD_SCRIPT = Path(__file__).with_name("_math_verify_child.py")
CPU_BACKSTOP_S = 10.0


@dataclass(frozen=True)
class MathVerifyStats:
    calls: int = 0  # comparisons sent to the helper
    timeouts: int = 0  # comparisons killed at their deadline (returned False)
    failures: int = 0  # helper crashed or failed to start (returned False)
    restarts: int = 0  # helpers started, the first included
    startup_wait_s: float = 0.0  # time callers spent waiting for a helper to start


class _HelperDied(Exception):
    pass


class MathVerifyClient:
    """Owns one helper process; see the module docstring for the timing contract."""

    def __init__(
        self, *, startup_timeout_s: float = 60.0, memory_limit_bytes: int = 4 << 30
    ) -> None:
        if importlib.util.find_spec("math_verify") is None:
            raise ImportError(
                "mode='math_verify' needs the math-verify package: pip install math-verify"
            )
        self.startup_timeout_s = startup_timeout_s
        self.memory_limit_bytes = memory_limit_bytes
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._ready = False
        self._buf = bytearray()
        self._next_id = 0
        self._stats = MathVerifyStats()

    def stats(self) -> MathVerifyStats:
        return self._stats

    def equal(self, a: str, b: str, timeout_s: float) -> bool:
        if timeout_s <= 0:
            return False
        with self._lock:
            try:
                self._ensure_ready()
                self._send(a, b, cpu_s=timeout_s + CPU_BACKSTOP_S)
            except _HelperDied:
                self._count(failures=1)
                self._kill()
                return False
            self._count(calls=1)
            try:
                reply = self._read_reply(time.monotonic() + timeout_s)
            except _HelperDied:
                self._count(failures=1)
                self._kill()
                self._start()
                return False
            if reply is None:
                self._count(timeouts=1)
                self._kill()
                self._start()
                return False
            return bool(reply.get("eq"))

    def warm_up(self) -> None:
        """Start the helper and wait until it is ready (optional; calls do it lazily)."""
        with self._lock:
            try:
                self._ensure_ready()
            except _HelperDied:
                self._count(failures=1)
                self._kill()

    def close(self) -> None:
        with self._lock:
            self._kill()

    # -- helper lifecycle --------------------------------------------------------------

    def _start(self) -> None:
        """Launch a helper without waiting for it; on failure leave none (next call retries)."""
        self._kill()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-P", str(_CHILD_SCRIPT), str(os.getpid()),
                 str(self.memory_limit_bytes)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                start_new_session=True,  # a terminal's Ctrl-C goes to us, not to the helper
            )
        except OSError:  # e.g. out of processes: this comparison fails, the step goes on
            return
        self._count(restarts=1)

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        self._ready = False
        self._buf.clear()
        if proc is None:
            return
        try:
            proc.kill()
            proc.wait(timeout=5)
        except Exception:
            pass
        for pipe in (proc.stdin, proc.stdout):
            try:
                pipe.close()
            except Exception:
                pass

    def _ensure_ready(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            self._start()
            if self._proc is None:
                raise _HelperDied("could not launch the helper")
        if self._ready:
            return
        t0 = time.monotonic()
        try:
            while not self._ready:
                line = self._read_line(t0 + self.startup_timeout_s)
                if line is None:
                    raise _HelperDied("helper did not start in time")
                self._ready = _loads(line).get("ready") is True
        finally:
            self._count(startup_wait_s=time.monotonic() - t0)

    # -- protocol ------------------------------------------------------------------------

    def _send(self, a: str, b: str, cpu_s: float) -> None:
        self._next_id += 1
        msg = json.dumps({"id": self._next_id, "a": a, "b": b, "cpu_s": cpu_s}) + "\n"
        try:
            self._proc.stdin.write(msg.encode())
            self._proc.stdin.flush()
        except (OSError, ValueError) as e:
            raise _HelperDied(str(e)) from e

    def _read_reply(self, deadline: float) -> dict | None:
        while True:
            line = self._read_line(deadline)
            if line is None:
                return None
            reply = _loads(line)
            if reply.get("id") == self._next_id:
                return reply

    def _read_line(self, deadline: float) -> bytes | None:
        """Next line from the helper, None at the deadline; _HelperDied on EOF."""
        fd = self._proc.stdout.fileno()
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                line = bytes(self._buf[:nl])
                del self._buf[: nl + 1]
                return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise _HelperDied("helper exited")
            self._buf += chunk

    def _count(self, **deltas: float) -> None:
        s = self._stats
        self._stats = MathVerifyStats(
            **{k: getattr(s, k) + deltas.get(k, 0) for k in s.__dataclass_fields__}
        )


def _loads(line: bytes) -> dict:
    try:
        obj = json.loads(line)
    except ValueError:
        return {}
    return obj if isinstance(obj, dict) else {}


# -- one client per process ----------------------------------------------------------------

_client: MathVerifyClient | None = None
_client_pid: int | None = None
_client_lock = threading.Lock()


def get_client() -> MathVerifyClient:
    """This process's client (a forked child gets its own, never its parent's helper)."""
    global _client, _client_pid
    with _client_lock:
        if _client is None or _client_pid != os.getpid():
            _client, _client_pid = MathVerifyClient(), os.getpid()
        return _client


def math_verify_equal(a: str, b: str, timeout_s: float = 2.0) -> bool:
    return get_client().equal(a, b, timeout_s)


def math_verify_stats() -> MathVerifyStats:
    if _client is None or _client_pid != os.getpid():
        return MathVerifyStats()
    return _client.stats()


def timeouts() -> int:
    """How many math-verify comparisons in this process hit their timeout."""
    return math_verify_stats().timeouts


def shutdown() -> None:
    if _client is not None and _client_pid == os.getpid():
        _client.close()


atexit.register(shutdown)
