"""experiments/generations/scripts: chains of generations, their tail share, slopes and lost kinds,
read from synthetic run directories laid out as scripts/run.sh writes them."""
import dataclasses
import sys
from pathlib import Path

import pytest
from inspect_synth import write_hydra, write_metrics, write_rollouts

from selfplay.config import TaskConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "experiments" / "generations" / "scripts"))

from chains import load_chains  # noqa: E402
import gen_table  # noqa: E402
from gen_table import main, slope  # noqa: E402

TAIL = "12*34"  # a level-4 product: the toy world's tail


def _proposal(step, i, text, level, source="selfplay", valid=True):
    return dict(step=step, role="proposer", group_id=f"s{step}-t{i // 4}", sample_idx=i % 4, topic="mul",
                prompt="mul:", completion=text, parsed=text if valid else None, valid=valid,
                invalid_reason=None if valid else "bad", reward=0.0, advantage=0.0, trained=source == "selfplay",
                agreement=0.5, majority_answer=None, ground_truth=None, correct=None, level=level if valid else None,
                prompt_tokens=4, completion_tokens=len(text), source=source)


def _job(root, g, num, arm, chain, tails):
    """Steps 1-2, each: `tails` level-4 problems of 4 own proposals (the rest level 1, one
    invalid proposal more); the fresh arm also gets 4 fresh level-4 problems a step."""
    run = root / f"gen_{g}" / str(num)
    write_hydra(run, [f"+arm={arm}", f"seed={10 * g + chain}", "steps=2"],
                {"seed": 10 * g + chain, "task": dataclasses.asdict(TaskConfig())})
    for step in (1, 2):
        rows = [_proposal(step, i, TAIL if i < tails else f"{i}+{step}", 4 if i < tails else 1) for i in range(4)]
        rows.append(_proposal(step, 4, "junk", None, valid=False))
        if arm == "fresh_25":
            rows += [_proposal(step, 8 + i, "99*98", 4, source="fresh") for i in range(4)]
        write_rollouts(run, step, rows)
    acc = 0.5 - 0.05 * g

    def evaluation(step, a):
        return {"step": step, "eval/solver_pass@1": a, **{f"eval/level_{k}/pass@1": a / k for k in (1, 2, 3, 4)},
                "diversity/eval/proposer/rare_share": tails / 4, "diversity/eval/proposer/valid_fraction": 1.0}

    write_metrics(run, [evaluation(0, acc + 0.05),
                        *({"step": s, "diversity/proposer/rare_share": 0.9} for s in (1, 2)),
                        evaluation(2, acc)])


@pytest.fixture
def root(tmp_path):
    # recursive chains lose one tail problem a generation (3, 2, 1 of 4); fresh ones keep 3 of 4
    for g in range(3):
        for num, (arm, chain) in enumerate([("recursive", 0), ("recursive", 1), ("fresh_25", 0), ("fresh_25", 1)]):
            tails = 3 - g if arm == "recursive" else 3
            _job(tmp_path, g, num, arm, chain, max(0, tails - (num % 2) * (g == 2)))
    return tmp_path


def test_chains_follow_job_numbers_and_leave_fresh_problems_out(root):
    chains = load_chains(root)
    assert [(c.arm, c.num, len(c.generations)) for c in chains] == [
        ("recursive", 0, 3), ("recursive", 1, 3), ("fresh_25", 2, 3), ("fresh_25", 3, 3)]
    rec = chains[0]
    assert [g.own["rare_share"] for g in rec.generations] == [0.75, 0.5, 0.25]
    assert [g.seed for g in rec.generations] == ["0", "10", "20"]
    fresh = chains[2].generations[0]
    assert fresh.own["rare_share"] == 0.75 and fresh.own["per_step"] == 5  # the fresh rows are not its own
    assert fresh.own["valid_rate"] == pytest.approx(0.8) and fresh.logged["rare_share"] == 0.9
    assert fresh.held_out["overall"] == pytest.approx(0.5) and chains[2].base_held_out["overall"] == pytest.approx(0.55)
    assert rec.generations[2].held_out["level_2"] == pytest.approx(0.2)
    assert rec.generations[1].probe["rare_share"] == 0.5


def test_slope_is_least_squares_over_generations():
    assert slope([0.75, 0.5, 0.25]) == pytest.approx(-0.25)
    assert slope([1.0, float("nan"), 3.0]) == pytest.approx(1.0)
    assert slope([1.0]) != slope([1.0])  # NaN


def test_a_chain_stops_at_a_generation_without_a_final_evaluation(root):
    write_metrics(root / "gen_2" / "1", [{"step": 0, "eval/solver_pass@1": 0.4}])
    chains = load_chains(root)
    assert [len(c.generations) for c in chains] == [3, 2, 3, 3]


def test_table_cli_writes_slopes_and_vanished_kinds(root, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(gen_table, "DRAWS", 1000)  # the bootstraps dominate the test's time
    out = tmp_path / "tables.md"
    assert main([str(root), "--out", str(out)]) == 0
    text = out.read_text()
    assert text.strip() == capsys.readouterr().out.strip()
    # own tail share per generation (points), mean ± std over the 2 chains
    assert "| recursive | 0 | 2 | 75.0 ± 0.0 |" in text and "| recursive | 2 | 2 | 12.5 ± 17.7 |" in text
    # slopes: recursive -25 and -37.5 points a generation; fresh 0 and -12.5
    assert "| tail share, own (pts) | recursive | 2 | -31.2 ± 8.8 |" in text
    assert "| tail share, own (pts) | fresh_25 − recursive |  |  | +25.0 ± 8.8 [+12.5, +37.5] |" in text
    # chain 1 of the recursive arm proposes no level-4 problem in its last generation
    line = next(ln for ln in text.splitlines() if ln.startswith("| recursive | 1 | 0 → 2 |"))
    assert "level=4 (6)" in line and "digits=2x2, level=4, op=* (6)" in line
    assert "| base |" in text
    assert "| recursive | 2 | 12.5 ± 17.7 | 12.5 ± 17.7 |" in text  # the halves table: one step each
