"""The instruments in `inspect`: summary's early/late table and vanished kinds, the report's
plots and list, compare --instruments; on a run written here with a known lost tail."""
import dataclasses

from inspect_synth import write_hydra, write_metrics, write_rollouts

from selfplay.config import TaskConfig
from selfplay.inspect.cli import main
from selfplay.inspect.kinds import vanished
from selfplay.inspect.report import build_report
from selfplay.inspect.rundir import open_run
from selfplay.inspect.summary_cmd import summary_text


def proposal(step, i, text, level):
    return dict(step=step, role="proposer", group_id=f"s{step}-t0", sample_idx=i, topic="mul", prompt="mul:",
                completion=text, parsed=text, valid=True, invalid_reason=None, reward=0.0, advantage=0.0,
                trained=False, agreement=0.5, majority_answer=None, ground_truth=None, correct=None,
                level=level, prompt_tokens=4, completion_tokens=len(text))


def write_toy_run(run, task_config=None):
    """10 steps; a level-4 product (12*34) in steps 1-3 only."""
    write_hydra(run, ["seed=0"], {"seed": 0, "task": task_config or dataclasses.asdict(TaskConfig())})
    for step in range(1, 11):
        rows = [proposal(step, 0, "1+2", 1), proposal(step, 1, "3+4", 1)]
        if step <= 3:
            rows.append(proposal(step, 2, "12*34", 4))
        write_rollouts(run, step, rows)
    write_metrics(run, [{"step": s, "drift/solver/kl_to_base": 0.01 * s, "skills/base_solved_accuracy": 1 - 0.02 * s,
                         "diversity/proposer/rare_share": 1 / 3 if 1 <= s <= 3 else 0.0} for s in range(0, 11)])
    return run


def test_the_lost_tail_is_listed_with_the_tasks_features(tmp_path):
    run = open_run(write_toy_run(tmp_path / "run"))
    gone, window, source = vanished(run, 3)
    assert source == "task toy_arithmetic" and window == 3
    kinds = {v.kind: (v.early_count, v.last_seen) for v in gone}
    assert kinds == {"level=4": (3, 3), "op=*": (3, 3), "digits=2x2": (3, 3), "digits=2x2, level=4, op=*": (3, 3)}
    assert vanished(run, 2)[1] == 2 and vanished(run)[1] == 2  # default window: a fifth of 10 steps


def test_without_a_known_task_the_level_column_is_the_kind(tmp_path):
    run = open_run(write_toy_run(tmp_path / "run", {"name": "no_such_task"}))
    gone, _, source = vanished(run, 3)
    assert source == "level column" and [v.kind for v in gone] == ["level=4"]


def test_summary_shows_early_and_late_means_and_the_vanished_kinds(tmp_path):
    text = summary_text(open_run(write_toy_run(tmp_path / "run")), window=3)
    line = next(ln for ln in text.splitlines() if ln.startswith("drift/solver/kl_to_base"))
    assert line.split()[1:] == ["0.010", "0.090"]  # mean of steps 0-2 and of steps 8-10
    rare = next(ln for ln in text.splitlines() if ln.startswith("diversity/proposer/rare_share"))
    assert rare.split()[1:] == ["0.222", "0.000"]
    assert "vanished problem kinds (first 3 vs last 3 steps" in text and "digits=2x2, level=4, op=*" in text


def test_report_plots_the_instruments_and_lists_vanished_kinds(tmp_path):
    html = build_report(open_run(write_toy_run(tmp_path / "run")))
    assert "Vanished problem kinds" in html and "level=4" in html
    assert "Drift: KL to the reference" in html and "Skills: held-out problems" in html


def test_compare_adds_the_instruments_on_request(tmp_path, capsys):
    root = tmp_path / "sweep"
    for i, kl in enumerate([0.1, 0.3]):
        write_hydra(root / str(i), [f"seed={i}"])
        write_metrics(root / str(i), [{"step": 0, "eval/solver_pass@1": 0.5, "drift/solver/kl_to_base": 0.0},
                                      {"step": 5, "eval/solver_pass@1": 0.6, "drift/solver/kl_to_base": kl}])
    assert main(["compare", str(root), "--instruments"]) == 0
    out = capsys.readouterr().out
    assert "drift/solver/kl_to_base final" in out and out.count("0.200 ± 0.141") == 2  # final and max
