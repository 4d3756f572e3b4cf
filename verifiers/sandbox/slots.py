"""Host uids for sandboxes: one uid per concurrently running sandbox, leased host-wide.

Why a uid of its own: RLIMIT_NPROC counts the processes of a uid (root's are never counted),
so the process limit holds only for a uid that nothing else on the host uses; a uid that
owns no file can read only world-readable files even if it escaped its mount namespace; and
"every process of this uid" is a kill target that a double-forking, setsid-calling program
cannot leave. Uids need no /etc/passwd entry. A lease is an flock on a file named after the
uid in a host-wide directory, so pools in different processes (Ray actors) never share a uid;
a lease held by a dead process is free again (the kernel drops its flock), and processes it
left behind are killed when the uid is leased next.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field

DEFAULT_UID_BASE = 1_900_000_000
DEFAULT_UID_COUNT = 4096
LEASE_DIR = "/tmp/selfplay-sandbox-uids"


class NoFreeUid(RuntimeError):
    pass


def uid_processes(uid: int) -> list[int]:
    """Pids of live (or zombie) processes whose effective uid is ``uid``."""
    pids = []
    with os.scandir("/proc") as entries:
        for entry in entries:
            if entry.name.isdigit():
                try:
                    if entry.stat(follow_symlinks=False).st_uid == uid:
                        pids.append(int(entry.name))
                except FileNotFoundError:
                    pass
    return pids


def kill_uid(uid: int, timeout_s: float = 5.0) -> bool:
    """SIGKILL every process of ``uid`` (kill(-1) sent *as* that uid); True once none is left.

    kill(-1) from inside the uid reaches each of its processes in one kernel walk, so a
    process forking as fast as it can cannot keep a child out of reach the way a scan of
    /proc followed by kill(pid) could.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        if not uid_processes(uid):
            return True
        subprocess.run(  # the shell's builtin kill: nothing outside Debian's essential set
            ["/bin/sh", "-c", "kill -9 -1"], user=uid, group=uid, extra_groups=[],
            env={}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )
        if time.monotonic() > deadline:
            return not uid_processes(uid)
        time.sleep(0.01)  # zombies wait for their parent (a bwrap init) to reap them


@dataclass
class UidLease:
    uid: int
    _fd: int = field(repr=False)

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # drops the flock
            self._fd = -1


class UidLeaser:
    """Leases uids in [base, base + count) that no other live lease holds."""

    def __init__(self, base: int = DEFAULT_UID_BASE, count: int = DEFAULT_UID_COUNT,
                 lease_dir: str = LEASE_DIR) -> None:
        if not (1000 <= base and count >= 1 and base + count < 2**32 - 1):
            raise ValueError(f"bad uid range: base={base}, count={count}")
        self.base, self.count, self.lease_dir = base, count, lease_dir
        self._lock = threading.Lock()
        self._next = 0

    def lease(self) -> UidLease:
        os.makedirs(self.lease_dir, mode=0o700, exist_ok=True)
        with self._lock:
            for _ in range(self.count):
                uid = self.base + self._next
                self._next = (self._next + 1) % self.count
                fd = os.open(os.path.join(self.lease_dir, str(uid)), os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                if not kill_uid(uid):  # left behind by a dead holder
                    os.close(fd)
                    continue
                return UidLease(uid, fd)
        raise NoFreeUid(f"all {self.count} sandbox uids from {self.base} are leased")
