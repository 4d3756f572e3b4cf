"""One driver per run directory: an advisory lock that the OS drops when its process dies,
even by SIGKILL, so a crashed run never blocks its own resume but two live ones cannot
interleave their logs and checkpoints."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


def lock_run_dir(run_dir: Path) -> IO:
    """Hold the lock for as long as the returned file stays open."""
    run_dir.mkdir(parents=True, exist_ok=True)
    f = open(run_dir / ".lock", "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        holder = f.read().strip() or "?"
        f.close()
        raise RuntimeError(f"{run_dir} is in use by another selfplay run (pid {holder})") from None
    f.truncate(0)
    f.write(str(os.getpid()))
    f.flush()
    return f
