"""Small pieces of crash safety: the fault-injection spec, the run-directory lock, log rewinding."""

import json
import subprocess
import sys

import pytest

from selfplay import faults
from selfplay.run_lock import lock_run_dir
from selfplay.tracking.metrics import MetricsLog, read_metrics


@pytest.mark.parametrize("spec", ["checkpoint.parts_written@2", "step.generate@3", "eval.generate@0", "metrics_written@5"])
def test_fault_specs_that_name_a_point_are_accepted(monkeypatch, spec):
    monkeypatch.setenv(faults.ENV, spec)
    faults.check_spec()
    faults.point("step.generate", 99)  # another point: no effect


@pytest.mark.parametrize("spec", ["metrics_writen@5", "step.generate", "generate@3", "step.generate@x"])
def test_a_mistyped_fault_spec_is_refused(monkeypatch, spec):
    monkeypatch.setenv(faults.ENV, spec)
    with pytest.raises(ValueError, match=faults.ENV):
        faults.check_spec()


def test_a_fault_point_kills_its_process_outright():
    code = "from selfplay import faults; faults.point('metrics_written', 4); print('survived')"
    env = {faults.ENV: "metrics_written@4", "PATH": ""}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == -9 and "survived" not in proc.stdout


def test_one_driver_per_run_directory(tmp_path):
    held = lock_run_dir(tmp_path)
    code = f"from pathlib import Path; from selfplay.run_lock import lock_run_dir; lock_run_dir(Path({str(tmp_path)!r}))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0 and "in use by another selfplay run" in proc.stderr
    held.close()
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_metrics_rewind_keeps_whole_rows_up_to_the_checkpoint(tmp_path):
    rows = [{"step": s, "a": s / 3} for s in range(6)]
    text = "".join(json.dumps(r) + "\n" for r in rows)
    (tmp_path / "metrics.jsonl").write_text(text + '{"step": 6, "a"')  # torn by a kill
    log = MetricsLog(tmp_path, keep_upto=3, mirrors=[])
    assert log.rows == 4 and read_metrics(log.path) == rows[:4]
    assert log.path.read_text() == text[: text.index('{"step": 4')]  # byte-identical lines
    assert MetricsLog(tmp_path, keep_upto=-1, mirrors=[]).rows == 0  # a fresh start
