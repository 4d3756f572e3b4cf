"""Inspect selfplay runs: load metrics and rollouts, print them, write reports, compare sweeps.

CLI: `python -m selfplay.inspect {rollouts,summary,report,compare} --help`.
The HTML report is `selfplay.inspect.report.build_report` (imports matplotlib).
"""
from .metrics import eval_columns, load_metrics
from .problems import ProblemView, link_problems
from .rollouts import RolloutQuery, load_rollouts, rollout_files
from .rundir import InspectError, RunDir, open_run
from .sweep import Job, group_jobs, load_jobs

__all__ = [
    "InspectError", "Job", "ProblemView", "RolloutQuery", "RunDir", "eval_columns",
    "group_jobs", "link_problems", "load_jobs", "load_metrics", "load_rollouts", "open_run",
    "rollout_files",
]
