"""Where a step's problems and its solver's labels come from: one registry each.

``problem_source=NAME`` (``PROBLEM_SOURCES``): ``selfplay`` (the learning proposer, the
default; ``problem_source.fresh_share`` mixes in groups fresh from the task's generator),
``fixed`` (the proposer model, never trained), ``scripted`` (the task's own problem
generator at a chosen difficulty mix), ``replay`` (another run's problems).
``labels=NAME`` (``LABEL_SOURCES``): ``majority`` (the solver's own vote, label-free, the
default), ``teacher`` (the proposer model's vote), ``oracle`` (the task's ground truth; only
with ``labels.allow_oracle=true``). Each entry is a ``make(cfg, task)`` returning the
component ``run_step()`` calls; see docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from selfplay.registry import Registry

if TYPE_CHECKING:
    from selfplay.sources.base import LabelSource, ProblemSource

# Lazy: config validation reads the names without importing the sources.
PROBLEM_SOURCES: Registry = Registry("problem source")
PROBLEM_SOURCES.add_lazy("selfplay", "selfplay.sources.proposer:make_selfplay")
PROBLEM_SOURCES.add_lazy("fixed", "selfplay.sources.proposer:make_fixed")
PROBLEM_SOURCES.add_lazy("scripted", "selfplay.sources.scripted:make")
PROBLEM_SOURCES.add_lazy("replay", "selfplay.sources.replay:make")

LABEL_SOURCES: Registry = Registry("label source")
LABEL_SOURCES.add_lazy("majority", "selfplay.sources.labels:make_majority")
LABEL_SOURCES.add_lazy("teacher", "selfplay.sources.labels:make_teacher")
LABEL_SOURCES.add_lazy("oracle", "selfplay.sources.labels:make_oracle")

DEFAULT_PROBLEMS, DEFAULT_LABELS = "selfplay", "majority"


@dataclass
class DataSources:
    """The two choices a step reads its data through."""

    problems: ProblemSource
    labels: LabelSource

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint must hold for the sources to continue exactly (a scripted
        source's random state, a replay's position)."""
        return {"problems": self.problems.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "problems" in state:  # a checkpoint from before the sources held none: the default's is empty
            self.problems.load_state_dict(state["problems"])

    def metric_tags(self) -> dict[str, float]:
        """Constant metrics every row of a run carries, naming a non-default choice
        (``labels/source_oracle``: 1.0); the default run's rows carry none."""
        tags = {}
        if self.problems.name != DEFAULT_PROBLEMS:
            tags[f"problems/source_{self.problems.name}"] = 1.0
        if self.labels.name != DEFAULT_LABELS:
            tags[f"labels/source_{self.labels.name}"] = 1.0
        return tags


def make_sources(cfg, task) -> DataSources:
    """Both sources of a validated config. Raises ValueError before any work on what only
    the task or the disk can tell (a level the task cannot generate, a replay run without
    problems)."""
    problems = PROBLEM_SOURCES.get(cfg.problem_source.name, "problem_source.name")(cfg, task)
    labels = LABEL_SOURCES.get(cfg.labels.name, "labels.name")(cfg, task)
    return DataSources(problems, labels)


__all__ = ["DEFAULT_LABELS", "DEFAULT_PROBLEMS", "LABEL_SOURCES", "PROBLEM_SOURCES", "DataSources", "make_sources"]
