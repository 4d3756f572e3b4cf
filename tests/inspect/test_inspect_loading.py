"""Reading metrics.jsonl and rollouts/*.parquet as the driver writes them."""
import json

import pandas as pd
import pytest
from inspect_synth import step_rows, write_metrics, write_rollouts

from selfplay.inspect.metrics import eval_columns, level_columns, load_metrics
from selfplay.inspect.rollouts import RolloutQuery, load_rollouts, rollout_files
from selfplay.inspect.rundir import InspectError, open_run


def test_metrics_merges_lines_of_one_step(run_dir):
    df = load_metrics(open_run(run_dir))
    assert df["step"].tolist() == list(range(0, 13))  # step 0 = base-model eval
    row4 = df.set_index("step").loc[4]  # train line and eval line, merged
    assert row4["curriculum/frontier_fraction"] == pytest.approx(0.3 + 0.2 * 4 / 12)
    assert 0 <= row4["eval/solver_pass@1"] <= 1
    assert pd.isna(df.set_index("step").loc[3, "eval/solver_pass@1"])  # eval only every k steps
    assert pd.isna(df.set_index("step").loc[3, "train/proposer/loss"])  # proposer not updated


def test_metrics_tolerates_partial_last_line_but_not_corruption(tmp_path):
    write_metrics(tmp_path, [{"step": 1, "train/solver/loss": 0.5}])
    with open(tmp_path / "metrics.jsonl", "a") as f:
        f.write('{"step": 2, "train/sol')  # the driver is mid-write
    assert load_metrics(open_run(tmp_path))["step"].tolist() == [1]
    (tmp_path / "metrics.jsonl").write_text('{"step": 1}\nnot json\n{"step": 2}\n')
    with pytest.raises(InspectError, match=":2"):
        load_metrics(open_run(tmp_path))


def test_eval_column_order_is_natural():
    cols = ["step", "eval/level_10/pass@1", "eval/solver_maj@16", "eval/level_2/pass@1",
            "eval/solver_greedy", "eval/solver_pass@1", "eval/solver_maj@4", "eval/other"]
    df = pd.DataFrame(columns=cols)
    assert eval_columns(df) == ["eval/solver_pass@1", "eval/solver_greedy", "eval/solver_maj@4",
                                "eval/solver_maj@16", "eval/other", "eval/level_2/pass@1",
                                "eval/level_10/pass@1"]
    assert level_columns(df) == [(2, "eval/level_2/pass@1"), (10, "eval/level_10/pass@1")]


def test_open_run_rejects_non_runs(tmp_path):
    with pytest.raises(InspectError):
        open_run(tmp_path / "missing")
    with pytest.raises(InspectError, match="not a run directory"):
        open_run(tmp_path)


def test_rollouts_all_steps_and_types(run_dir):
    run = open_run(run_dir)
    assert list(rollout_files(run)) == list(range(1, 13))
    df = load_rollouts(run)
    assert sorted(df["step"].unique()) == list(range(1, 13))
    assert set(df["role"]) == {"proposer", "solver"}
    assert df["step"].is_monotonic_increasing
    # step 3 was written by pandas (int column with None -> double): still the contract's types
    assert str(df["level"].dtype) == "Int64" and str(df["correct"].dtype) == "boolean"
    props = df[df["role"] == "proposer"]
    assert props["advantage"].isna().eq(~props["trained"]).all()  # NaN exactly when untrained


def test_step_range_reads_only_those_files(run_dir, tmp_path):
    run = open_run(run_dir)
    df = load_rollouts(run, RolloutQuery(first_step=4, last_step=6))
    assert sorted(df["step"].unique()) == [4, 5, 6]
    # a corrupt file outside the range is never opened
    copy = tmp_path / "run"
    (copy / "rollouts").mkdir(parents=True)
    for step, path in rollout_files(run).items():
        (copy / "rollouts" / path.name).write_bytes(path.read_bytes() if step != 9 else b"garbage")
    assert len(load_rollouts(open_run(copy), RolloutQuery(first_step=1, last_step=8))) > 0
    with pytest.raises(Exception):
        load_rollouts(open_run(copy))


@pytest.mark.parametrize(
    "query, check",
    [
        (RolloutQuery(role="solver"), lambda d: (d["role"] == "solver").all()),
        (RolloutQuery(min_agreement=0.5, max_agreement=0.75),
         lambda d: d["agreement"].between(0.5, 0.75).all()),
        (RolloutQuery(min_reward=0.5), lambda d: (d["reward"] >= 0.5).all()),
        (RolloutQuery(valid=False), lambda d: (~d["valid"]).all() and (d["role"] == "proposer").all()),
        (RolloutQuery(group="s6-t1-p0"), lambda d: set(d["group_id"]) == {"s6-t1-p0"} and len(d) == 4),
    ],
)
def test_filters(run_dir, query, check):
    df = load_rollouts(open_run(run_dir), query)
    assert len(df) > 0 and check(df)


def test_filters_match_pandas_filtering(run_dir):
    run = open_run(run_dir)
    everything = load_rollouts(run)
    got = load_rollouts(run, RolloutQuery(role="proposer", min_agreement=0.6, valid=True))
    want = everything[(everything["role"] == "proposer") & (everything["agreement"] >= 0.6)
                      & everything["valid"]]
    assert len(got) == len(want) and got["group_id"].tolist() == want["group_id"].tolist()


def test_null_typed_columns_from_pandas(tmp_path):
    """An all-invalid step written via pandas stores several columns as type null."""
    import random

    good = step_rows(1, random.Random(0))
    bad = [dict(r, parsed=None, agreement=None, majority_answer=None, ground_truth=None,
                correct=None, level=None) for r in step_rows(2, random.Random(1)) if r["role"] == "proposer"]
    write_rollouts(tmp_path, 1, good)
    write_rollouts(tmp_path, 2, bad, via_pandas=True)
    df = load_rollouts(open_run(tmp_path))
    assert len(df) == len(good) + len(bad)
    assert df[df["step"] == 2]["parsed"].isna().all()
    assert len(load_rollouts(open_run(tmp_path), RolloutQuery(min_agreement=0.0))) > 0


def test_missing_rollouts_dir_gives_empty_frame(tmp_path):
    (tmp_path / "metrics.jsonl").write_text(json.dumps({"step": 1}) + "\n")
    assert load_rollouts(open_run(tmp_path)).empty
