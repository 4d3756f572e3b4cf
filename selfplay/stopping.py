"""SIGTERM / SIGINT: stop the run at once, leave it resumable, exit non-zero with a message.

The handler raises ``Stopped`` in the main thread, so the step in progress is abandoned and
every ``finally`` runs (run lock, Ray shutdown). Nothing more is needed for resumability:
checkpoints are complete or only a ``.tmp_*`` folder, and a rerun discards whatever came after
the checkpoint it resumes from (the same path as after a SIGKILL, ``tests/selfplay/test_crash_safety.py``).

A Python handler only runs when the main thread executes Python code; a call blocked inside
Ray's C++ (``ray.init`` retrying an address, for minutes) would ignore the signal. So the
C-level handler also writes the signal to a pipe (``signal.set_wakeup_fd``), read by a
watchdog thread: if the process is still alive ``GRACE_S`` seconds after the first signal,
it writes the message and exits hard. A second signal exits at once.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager

GRACE_S = 30.0  # time a stopped run gets for its clean exit before the watchdog ends it
SIGNALS = (signal.SIGTERM, signal.SIGINT)
RESUME_HINT = "the run directory resumes from its last complete checkpoint: rerun the same command"


class Stopped(BaseException):
    """Raised in the main thread by SIGTERM/SIGINT. A BaseException, like KeyboardInterrupt,
    so that no ``except Exception`` in the run swallows it."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # the shell's convention: 143 for SIGTERM, 130 for SIGINT


_first: list[int] = []  # the first signal received (a list: set from the handler)
_pipe: tuple[int, int] | None = None
_state = {"deferring": False, "raised": False}


def _handler(signum, frame) -> None:
    if _first:  # a second signal while the first one's clean exit runs: stop now
        _hard_exit(signum, "a second signal")
    _first.append(signum)
    if not _state["deferring"]:
        _raise()


def _raise() -> None:
    _state["raised"] = True
    raise Stopped(_first[0])


@contextmanager
def deferred():
    """Inside: a signal is only recorded; ``Stopped`` is raised on leaving. For short slices of
    a wait inside Ray, whose own signal check (``ray.wait``) turns any exception but
    KeyboardInterrupt raised by a handler into a SystemError."""
    before = _state["deferring"]
    _state["deferring"] = True
    try:
        yield
    finally:
        _state["deferring"] = before
    if _first and not before and not _state["raised"]:
        _raise()


def _hard_exit(signum: int, why: str) -> None:
    name = signal.Signals(signum).name
    os.write(2, f"\nselfplay: stopped by {name} ({why}); {RESUME_HINT}\n".encode())
    os._exit(128 + signum)


def _watch(read_fd: int, grace_s: float) -> None:
    while True:
        data = os.read(read_fd, 1)
        if not data:
            return
        signum = data[0]
        if signum not in SIGNALS:
            continue
        time.sleep(grace_s)
        _hard_exit(signum, f"the clean exit took more than {grace_s:g} s")


def install(grace_s: float = GRACE_S) -> None:
    """Install the handlers (main thread only). Call again after ``ray.init``, which installs
    its own SIGTERM handler; the watchdog thread is started once."""
    global _pipe
    for sig in SIGNALS:
        signal.signal(sig, _handler)
    if _pipe is None:
        _pipe = os.pipe()
        os.set_blocking(_pipe[1], False)
        threading.Thread(target=_watch, args=(_pipe[0], grace_s), name="selfplay-stop-watchdog", daemon=True).start()
    signal.set_wakeup_fd(_pipe[1], warn_on_full_buffer=False)


def message(stop: Stopped) -> str:
    return f"selfplay: {stop}; {RESUME_HINT}"


def exit_after(seconds: float, message: str, code: int = 1) -> threading.Timer:
    """A watchdog for a call that may block in C++ where no exception can reach it: unless
    cancelled within ``seconds``, print ``message`` and exit the process with ``code``."""

    def fire() -> None:
        os.write(2, f"\nselfplay: {message}\n".encode())
        sys.stderr.flush()
        os._exit(code)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer
