"""``replay``: another run's problems, read from its rollouts (``problem_source.run_dir``,
steps ``first_step``..``last_step``): every valid proposal of those steps, in the order that
run proposed them, ``topics_per_step`` x ``proposals_per_topic`` per step, starting over at
the end. Each goes through this run's parser again. The position is part of the checkpoint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from selfplay.inspect import InspectError, RolloutQuery, load_rollouts, open_run
from selfplay.sources.base import Proposal

NAME = "replay"


@dataclass(frozen=True)
class Saved:
    step: int
    topic: str
    prompt: str
    completion: str


def read_problems(run_dir: str, first_step: int | None, last_step: int | None, task_name: str) -> list[Saved]:
    """The valid proposals a run logged in the step range; ValueError if there are none."""
    key = "problem_source.run_dir"
    try:
        run = open_run(run_dir)
    except InspectError as e:
        raise ValueError(f"{key}={run_dir!r}: {e}") from e
    config = Path(run_dir) / ".hydra" / "config.yaml"
    theirs = ((yaml.safe_load(config.read_text()) or {}).get("task") or {}).get("name") if config.exists() else None
    if theirs is not None and theirs != task_name:
        raise ValueError(f"{key}={run_dir!r}: its problems are for task {theirs!r}, this run's task is {task_name!r}")
    query = RolloutQuery(first_step=first_step, last_step=last_step, role="proposer", valid=True)
    rows = load_rollouts(run, query, ["step", "topic", "prompt", "completion"])
    if rows.empty:
        span = f"{first_step or 'first'}..{last_step or 'last'}"
        raise ValueError(f"{key}={run_dir!r}: no valid proposals in steps {span}")
    return [Saved(int(r.step), str(r.topic), str(r.prompt), str(r.completion)) for r in rows.itertuples()]


class ReplaySource:
    name = NAME

    def __init__(self, cfg, task):
        src = cfg.problem_source
        self.cfg, self.task = cfg, task
        self.pool = read_problems(src.run_dir, src.first_step, src.last_step, task.name)
        self.position = 0  # problems handed out so far
        self.fingerprint = hashlib.sha256(json.dumps([asdict(s) for s in self.pool]).encode()).hexdigest()[:16]

    def propose(self, step: int, actors) -> list[Proposal]:
        sp = self.cfg.selfplay
        out = []
        for i in range(sp.topics_per_step):
            for j in range(sp.proposals_per_topic):
                saved = self.pool[self.position % len(self.pool)]
                self.position += 1
                parsed = self.task.parse_proposal(saved.completion)
                out.append(Proposal(i, j, saved.topic, saved.prompt, saved.completion, parsed, NAME))
        return out

    def trains_proposer(self, step: int) -> bool:
        return False

    def state_dict(self) -> dict[str, Any]:
        return {"position": self.position, "pool": self.fingerprint}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state["pool"] != self.fingerprint:
            # e.g. the replayed run has logged more steps since (last_step=null): a position in
            # another pool would hand out other problems than the checkpointed run would have.
            raise ValueError(
                f"problem_source.run_dir={self.cfg.problem_source.run_dir!r}: its problems in the step range "
                "differ from the ones this run's checkpoint replayed; set problem_source.last_step to fix the set"
            )
        self.position = state["position"]


def make(cfg, task) -> ReplaySource:
    return ReplaySource(cfg, task)
