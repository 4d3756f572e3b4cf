"""`compare`: grouping a Hydra multirun by overrides minus seed, with hand-checked numbers."""
import math

import pytest
from inspect_synth import write_hydra, write_metrics

from selfplay.inspect.cli import main
from selfplay.inspect.sweep import curve, final_and_best, group_jobs, load_jobs, split_seed

# pass@1 at steps 0, 5, 10 per job; maj@4 is pass@1 + 0.1
JOBS = [
    (["algo.lr=1e-5", "seed=1", "experiment=toy"], [0.2, 0.5, 0.4]),
    (["seed=2", "experiment=toy", "algo.lr=1e-5"], [0.2, 0.6, 0.6]),
    (["experiment=toy", "algo.lr=1e-5", "++seed=3"], [0.2, 0.4, 0.5]),
    (["algo.lr=3e-5", "seed=1", "experiment=toy"], [0.3, 0.8, 0.7]),
    (["algo.lr=3e-5", "seed=2", "experiment=toy"], None),  # crashed before logging
]


@pytest.fixture
def sweep(tmp_path):
    root = tmp_path / "multirun" / "2025-01-01" / "12-00-00"
    root.mkdir(parents=True)
    (root / "multirun.yaml").write_text("hydra:\n  mode: MULTIRUN\n")
    for i, (overrides, values) in enumerate(JOBS):
        job = root / str(i)
        write_hydra(job, overrides)
        if values is None:
            continue
        records = []
        for step, v in zip([0, 5, 10], values):
            if step:
                records.append({"step": step, "train/solver/loss": 0.1})
            records.append({"step": step, "eval/solver_pass@1": v, "eval/solver_maj@4": v + 0.1})
        write_metrics(job, records)
    return root


def test_split_seed():
    assert split_seed(["b=2", "+seed=7", "a=1"]) == (("a=1", "b=2"), "7")
    assert split_seed(["a=1"]) == (("a=1",), None)


def test_grouping_and_stats(sweep):
    jobs = load_jobs(sweep)
    groups = group_jobs(jobs)
    assert list(groups) == [("algo.lr=1e-5", "experiment=toy"), ("algo.lr=3e-5", "experiment=toy")]
    a, b = groups.values()
    assert [j.seed for j in a] == ["1", "2", "3"]
    final, best = final_and_best(a, "eval/solver_pass@1")
    # finals 0.4, 0.6, 0.5: mean 0.5, sample std sqrt((0.01 + 0.01 + 0) / 2) = 0.1
    assert final.n == 3 and final.mean == pytest.approx(0.5) and final.std == pytest.approx(0.1)
    # bests 0.5, 0.6, 0.5: mean 0.5333, std sqrt((2 * 0.0333^2 + 0.0667^2) / 2) = 0.0577
    assert best.mean == pytest.approx(1.6 / 3) and best.std == pytest.approx(math.sqrt(1 / 300))
    final, best = final_and_best(b, "eval/solver_pass@1")  # one seed logged: no std
    assert (final.n, final.mean, best.mean) == (1, pytest.approx(0.7), pytest.approx(0.8))
    assert math.isnan(final.std)
    c = curve(a, "eval/solver_pass@1")
    assert c.loc[5, "mean"] == pytest.approx(0.5) and c.loc[5, "std"] == pytest.approx(0.1)
    assert c["n"].tolist() == [3, 3, 3]


def test_compare_cli_table_markdown_and_plots(sweep, tmp_path, capsys):
    md, png, svg = tmp_path / "t.md", tmp_path / "p.png", tmp_path / "p.svg"
    assert main(["compare", str(sweep), "--out-table", str(md), "--out-plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "all settings: experiment=toy" in out
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("algo.lr")}
    assert rows["algo.lr=1e-5"].split()[1:3] == ["3", "10"]  # seeds, last step
    assert "0.500 ± 0.100" in rows["algo.lr=1e-5"] and "0.533 ± 0.058" in rows["algo.lr=1e-5"]
    assert "0.600 ± 0.100" in rows["algo.lr=1e-5"]  # maj@4 final
    assert rows["algo.lr=3e-5"].split()[1:5] == ["1", "10", "0.700", "0.800"]
    assert "note: job 4" in out
    text = md.read_text()
    assert "| algo.lr=1e-5 | 3 | 10 | 0.500 ± 0.100 | 0.533 ± 0.058 | 0.600 ± 0.100 |" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert main(["compare", str(sweep), "--metric", "eval/solver_maj@4", "--out-plot", str(svg)]) == 0
    assert "<svg" in svg.read_text()


def test_compare_rejects_unknown_metric_and_non_sweeps(sweep, tmp_path, capsys):
    assert main(["compare", str(sweep), "--metric", "eval/nope"]) == 2
    assert "eval/nope" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "empty_dir_that_is_missing")]) == 2
    (tmp_path / "plain").mkdir()
    assert main(["compare", str(tmp_path / "plain")]) == 2
    assert "no numbered job directories" in capsys.readouterr().err
