"""Hydra multirun on CPU: each job its own run directory, its own Ray started and stopped."""

import os
import re
import subprocess
import sys
import uuid

import pytest
from testkit.runs import REPO, TAG_ENV, TINY, assert_actors_gone, read_metrics, untimed

from selfplay.checkpoint import latest_checkpoint

pytestmark = pytest.mark.slow


def test_sweep_jobs_get_their_own_run_dir_and_ray(tmp_path, toy_cache):
    sweep, tag = tmp_path / "sweep", uuid.uuid4().hex
    env = {**os.environ, "SELFPLAY_CACHE": str(toy_cache), TAG_ENV: tag}
    cmd = [sys.executable, "-m", "selfplay", "-m", "seed=0,1", "steps=1", f"hydra.sweep.dir={sweep}", *TINY]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    jobs = [sweep / "0", sweep / "1"]
    for job in jobs:
        assert [r["step"] for r in read_metrics(job)] == [0, 1]
        assert latest_checkpoint(job).name == "step_000001"
        assert (job / ".hydra" / "overrides.yaml").exists()
    assert untimed(read_metrics(jobs[0]))[1] != untimed(read_metrics(jobs[1]))[1]  # seed=0 vs seed=1
    sessions = [re.findall(r"started a local Ray: (\S+)", (job / "__main__.log").read_text()) for job in jobs]
    assert len(sessions[0]) == len(sessions[1]) == 1 and sessions[0] != sessions[1]
    assert_actors_gone(tag)  # every job's Ray went down with it
