"""Fault injection for crash-safety tests: ``SELFPLAY_FAULT=<point>@<step>``.

When the driver reaches the named point at that step it SIGKILLs itself: no ``finally``, no
flush, no Ray shutdown, what the OOM killer or a preempted node does. Unset, a check costs
one environment lookup. Points:

- ``step.<method>`` / ``eval.<method>`` / ``checkpoint.<method>``: the driver has just sent a
  worker or the controller ``method`` (``generate``, ``train``, ``save``, ...) in that phase
  and dies while the actor is still busy with it;
- ``rollouts_written``: the step's rollouts are on disk, its metrics line is not;
- ``metrics_written``: the step's metrics line is on disk, its checkpoint (if due) is not;
- ``checkpoint.parts_written``: every part of a checkpoint is written, its marker is not;
- ``checkpoint.done``: a checkpoint is complete and in place, older ones not yet pruned.

``<point>@<step>:TERM`` (or ``:INT``) sends that signal instead: the clean stop a scheduler
asks for (``selfplay/stopping.py``), at a known moment.
"""

from __future__ import annotations

import os
import re
import signal

ENV = "SELFPLAY_FAULT"
_SPEC = re.compile(r"^((step|eval|checkpoint)\.\w+|rollouts_written|metrics_written)@\d+(:TERM|:INT)?$")
_SIGNALS = {"": signal.SIGKILL, "TERM": signal.SIGTERM, "INT": signal.SIGINT}


def check_spec() -> None:
    """Refuse a malformed spec before any work, so a typo cannot make a crash test pass."""
    spec = os.environ.get(ENV)
    if spec and not _SPEC.match(spec):
        raise ValueError(f"{ENV}={spec!r}: expected <point>@<step>[:TERM|:INT], e.g. checkpoint.parts_written@2")


def point(name: str, step: int) -> None:
    spec = os.environ.get(ENV)
    if spec and spec.partition(":")[0] == f"{name}@{step}":
        os.kill(os.getpid(), _SIGNALS[spec.partition(":")[2]])
