"""Checkpoints: ``checkpoints/step_NNNNNN/``, complete only once its marker is written.

Everything is written under a temporary name, the marker last, and the folder is then
renamed into place: a run killed at any moment leaves either a complete checkpoint or a
``.tmp`` folder that is ignored and cleaned up. The marker lists every file with its size and
sha256 (and carries a checksum of its own), so a checkpoint damaged later (a file truncated,
removed or with bytes changed in place) is detected and skipped rather than loaded; each file
is also read back the way its loader will (``checkpoint_files``) before a resume uses it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from selfplay import checkpoint_files, faults

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


def sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _marker_digest(manifest: dict[str, Any]) -> str:
    body = {k: v for k, v in manifest.items() if k != "marker_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _read_marker(path: Path) -> tuple[dict[str, tuple[int, str | None]] | None, str | None]:
    """The marker's ``{file: (size, sha256 or None)}``, or None and why it is unusable."""
    try:
        manifest = json.loads((path / MARKER).read_bytes())
    except FileNotFoundError:
        return None, "no completion marker"
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None, "unreadable completion marker"
    if not isinstance(manifest, dict):
        return None, "unreadable completion marker"
    if "marker_sha256" in manifest and manifest["marker_sha256"] != _marker_digest(manifest):
        return None, "completion marker damaged (its own checksum differs)"
    if manifest.get("step") != step_of(path):
        return None, f"marker says step {manifest.get('step')}"
    if "files" not in manifest:
        return None, "marker has no file list (written by an older version)"
    try:
        # Markers written before content hashes hold a bare size per file.
        files = {
            rel: (entry, None) if isinstance(entry, int) else (int(entry["size"]), str(entry["sha256"]))
            for rel, entry in manifest["files"].items()
        }
    except (AttributeError, KeyError, TypeError, ValueError):
        return None, "unreadable completion marker"
    return files, None


def problem(path: Path, *, deep: bool = True) -> str | None:
    """Why ``path`` is not a complete, intact checkpoint; None when it is one. ``deep=False``
    checks the marker and the file sizes only (cheap: for pruning); the default also checks
    each file's sha256 and reads it back (``checkpoint_files``): what a resume relies on."""
    files, why = _read_marker(path)
    if files is None:
        return why
    for rel, (size, _) in files.items():
        f = path / rel
        if not f.is_file():
            return f"{rel} is missing"
        if f.stat().st_size != size:
            return f"{rel} has {f.stat().st_size} bytes, the marker says {size}"
    if not deep:
        return None
    for rel, (_, digest) in files.items():
        if digest is not None and sha256(path / rel) != digest:
            return f"{rel}: its sha256 differs from the marker's (changed after it was written)"
    for rel in files:
        if (why := checkpoint_files.problem(path / rel)) is not None:
            return f"{rel}: {why}"
    return None


def has_hashes(path: Path) -> bool:
    """Whether the marker records content hashes (older ones record sizes only)."""
    files, _ = _read_marker(path)
    return files is not None and all(digest is not None for _, digest in files.values())


def scan(run_dir: Path, *, deep: bool = True) -> tuple[list[Path], dict[Path, str]]:
    """Complete checkpoints (oldest first) and the damaged ones with the reason."""
    good, bad = [], {}
    for path in _step_dirs(run_dir):
        why = problem(path, deep=deep)
        if why is None:
            good.append(path)
        else:
            bad[path] = why
    return good, bad


def complete_checkpoints(run_dir: Path) -> list[Path]:
    """Checkpoints whose marker and file sizes check out (no hashing: cheap enough to prune by)."""
    return scan(run_dir, deep=False)[0]


def newest_intact(run_dir: Path, before: int | None = None) -> tuple[Path | None, dict[Path, str]]:
    """The newest checkpoint (of a step before ``before``) that passes ``problem``, and the newer
    ones skipped on the way with the reason. Checked newest first: older ones are not read."""
    skipped: dict[Path, str] = {}
    for path in reversed(_step_dirs(run_dir)):
        if before is not None and step_of(path) >= before:
            continue
        if (why := problem(path)) is None:
            return path, skipped
        skipped[path] = why
    return None, skipped


def latest_checkpoint(run_dir: Path, before: int | None = None) -> Path | None:
    """``newest_intact``, saying which checkpoints it skipped and why."""
    latest, skipped = newest_intact(run_dir, before)
    for path, why in skipped.items():
        log.warning("skipping checkpoint %s: %s", path, why)
    if latest is not None and not has_hashes(latest):
        log.warning(
            "checkpoint %s predates content hashes: checked by file sizes and by reading it back only "
            "(bytes changed in place that still read as finite values would go unnoticed)", latest
        )
    return latest


def write_marker(folder: Path, step: int) -> None:
    """The marker of ``folder``: every file's size and sha256, as read back from disk (what a
    later resume compares against), and a checksum of the marker itself."""
    files = {
        str(p.relative_to(folder)): {"size": p.stat().st_size, "sha256": sha256(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p != folder / MARKER
    }
    manifest: dict[str, Any] = {"step": step, "time": time.time(), "files": files}
    (folder / MARKER).write_text(json.dumps({**manifest, "marker_sha256": _marker_digest(manifest)}))


def save_checkpoint(run_dir: Path, step: int, write_parts: Callable[[Path], None], keep: int) -> Path:
    root = checkpoints_dir(run_dir)
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step_{step:06d}"
    # A unique name: a worker of a killed run can never be writing into this one.
    tmp = root / f".tmp_step_{step:06d}_{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    write_parts(tmp)
    faults.point("checkpoint.parts_written", step)
    write_marker(tmp, step)
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
