"""What both sides of benchmarks/vs_trl.py share: the settings of the step and its reward.

Plain Python only: imported by the project side (the project's .venv) and by the TRL side
(benchmarks/.venv-trl, which has no project dependencies).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field


@dataclass
class Settings:
    model_dir: str  # a Hugging Face folder both sides load (SmolLM2, de-quantised from the GGUF)
    prompts: list[str] = field(default_factory=list)  # user turns, wrapped in the chat template by each side
    group: int = 4  # samples per prompt
    new_tokens: int = 32  # every completion is exactly this long (EOS suppressed until then)
    temperature: float = 1.0
    lr: float = 1e-6
    beta: float = 0.001  # k3 KL to the reference, in the loss
    clip: float = 0.2
    micro_batch: int = 8  # rows per forward/backward (gradient accumulation over the rest)
    threads: int = 1
    seed: int = 0
    autocast: str | None = None  # None: float32; "bfloat16": mixed precision on both sides

    def to_dict(self) -> dict:
        return asdict(self)


_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def last_number(text: str) -> str | None:
    found = _NUMBER.findall(text)
    return found[-1].replace(",", "") if found else None


def majority_rewards(groups: list[list[str]], min_majority: int = 2) -> list[list[float]]:
    """1 for an answer in its group's majority cluster (a unique largest cluster of at least
    ``min_majority`` equal answers), else 0: the project's solver reward, with the last
    number of the text as the answer (the lenient format SmolLM2 needs)."""
    out = []
    for texts in groups:
        answers = [last_number(t) for t in texts]
        counts = Counter(a for a in answers if a is not None)
        top = counts.most_common()
        label = top[0][0] if top and top[0][1] >= min_majority and (len(top) == 1 or top[1][1] < top[0][1]) else None
        out.append([float(label is not None and a == label) for a in answers])
    return out


class PhaseClock:
    """Wall and process-CPU seconds per named phase (CPU counts every thread of the process)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def add(self, name: str, wall: float, cpu: float) -> None:
        self.wall[name] = self.wall.get(name, 0.0) + wall
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu

    def timed(self, name: str, fn):
        """``fn`` wrapped to charge its calls to ``name``."""

        def wrapper(*args, **kwargs):
            w, c = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - w, time.process_time() - c)

        return wrapper

    def report(self) -> dict:
        return {"wall": dict(self.wall), "cpu": dict(self.cpu)}
