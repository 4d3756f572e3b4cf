"""Checkpoints: ``checkpoints/step_NNNNNN/``, complete only once its marker is written.

Everything is written under a temporary name, the marker last, and the folder is then
renamed into place: a run killed at any moment leaves either a complete checkpoint or a
``.tmp`` folder that is ignored and cleaned up. The marker lists every file with its size,
so a checkpoint damaged later (a file truncated or removed) is detected and skipped rather
than loaded.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Callable

from selfplay import faults

MARKER = "COMPLETE"
log = logging.getLogger(__name__)


def checkpoints_dir(run_dir: Path) -> Path:
    return run_dir / "checkpoints"


def step_of(path: Path) -> int:
    return int(path.name.split("_")[1])


def _step_dirs(run_dir: Path) -> list[Path]:
    root = checkpoints_dir(run_dir)
    found = [p for p in root.glob("step_*") if p.is_dir() and p.name[5:].isdigit()] if root.exists() else []
    return sorted(found, key=step_of)


def problem(path: Path) -> str | None:
    """Why ``path`` is not a complete, intact checkpoint; None when it is one."""
    try:
        manifest = json.loads((path / MARKER).read_text())
    except FileNotFoundError:
        return "no completion marker"
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "unreadable completion marker"
    if manifest.get("step") != step_of(path):
        return f"marker says step {manifest.get('step')}"
    if "files" not in manifest:
        return "marker has no file list (written by an older version)"
    for rel, size in manifest["files"].items():
        f = path / rel
        if not f.is_file():
            return f"{rel} is missing"
        if f.stat().st_size != size:
            return f"{rel} has {f.stat().st_size} bytes, the marker says {size}"
    return None


def scan(run_dir: Path) -> tuple[list[Path], dict[Path, str]]:
    """Complete checkpoints (oldest first) and the damaged ones with the reason."""
    good, bad = [], {}
    for path in _step_dirs(run_dir):
        why = problem(path)
        if why is None:
            good.append(path)
        else:
            bad[path] = why
    return good, bad


def complete_checkpoints(run_dir: Path) -> list[Path]:
    return scan(run_dir)[0]


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest checkpoint that passes ``problem``; damaged newer ones are skipped, loudly."""
    good, bad = scan(run_dir)
    latest = good[-1] if good else None
    for path, why in bad.items():
        if latest is None or step_of(path) > step_of(latest):
            log.warning("skipping checkpoint %s: %s", path, why)
    return latest


def save_checkpoint(run_dir: Path, step: int, write_parts: Callable[[Path], None], keep: int) -> Path:
    root = checkpoints_dir(run_dir)
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step_{step:06d}"
    # A unique name: a worker of a killed run can never be writing into this one.
    tmp = root / f".tmp_step_{step:06d}_{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    write_parts(tmp)
    faults.point("checkpoint.parts_written", step)
    files = {str(p.relative_to(tmp)): p.stat().st_size for p in sorted(tmp.rglob("*")) if p.is_file()}
    (tmp / MARKER).write_text(json.dumps({"step": step, "time": time.time(), "files": files}))
    _fsync_tree(tmp)
    if final.exists():
        _discard(final)
    os.replace(tmp, final)
    _fsync_dir(root)
    faults.point("checkpoint.done", step)
    for old in complete_checkpoints(run_dir)[:-keep]:
        _discard(old)
    _clean_leftovers(root)
    return final


def discard_after(run_dir: Path, step: int) -> None:
    """Drop checkpoints of steps after ``step``: a run resumed from ``step`` redoes them, and
    a crash before it does must not resume from a future that its logs no longer hold."""
    for path in _step_dirs(run_dir):
        if step_of(path) > step:
            _discard(path)
    if checkpoints_dir(run_dir).exists():
        _clean_leftovers(checkpoints_dir(run_dir))


def _discard(path: Path) -> None:
    # Renamed away first, so a kill mid-delete never leaves a half-deleted step_* folder.
    trash = path.with_name(f".trash_{path.name}_{uuid.uuid4().hex[:8]}")
    os.replace(path, trash)
    shutil.rmtree(trash, ignore_errors=True)


def _clean_leftovers(root: Path) -> None:
    for stale in [*root.glob(".tmp_step_*"), *root.glob(".trash_*")]:
        shutil.rmtree(stale, ignore_errors=True)


def _fsync_tree(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
        elif path.is_dir():
            _fsync_dir(path)
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
