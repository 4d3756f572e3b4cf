"""A GGUF checkpoint converted once into an ordinary HF folder, cached.

De-quantising SmolLM2's GGUF file takes transformers about 40 s of one CPU core (tokenizer
conversion included); every run, test and sweep job would pay it again. The converted
folder is keyed by the GGUF file's identity (path, size, mtime), the dtype and the
transformers version, written under a temporary name and renamed into place, so a
half-written conversion is never read and concurrent jobs wait for the first one.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
from pathlib import Path

import transformers

from selfplay.paths import cache_root

DONE_MARKER = "CONVERTED"


def cache_key(gguf_path: Path, dtype: str) -> str:
    stat = gguf_path.stat()
    blob = json.dumps(
        [str(gguf_path.resolve()), stat.st_size, stat.st_mtime_ns, dtype, transformers.__version__]
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def converted_folder(folder: str, gguf_file: str, dtype: str, convert) -> Path:
    """The cached HF folder for ``folder/gguf_file``; ``convert(out_dir)`` writes it if missing."""
    root = cache_root() / "gguf"
    root.mkdir(parents=True, exist_ok=True)
    key = cache_key(Path(folder) / gguf_file, dtype)
    out = root / key
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (out / DONE_MARKER).exists():
            return out
        tmp = root / f".tmp-{key}"
        shutil.rmtree(tmp, ignore_errors=True)
        convert(tmp)
        (tmp / DONE_MARKER).write_text(json.dumps({"source": str(Path(folder) / gguf_file), "dtype": dtype}))
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    return out
