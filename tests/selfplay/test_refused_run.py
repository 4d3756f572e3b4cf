"""A second command on a live run's directory is refused and leaves the live run's record
(``.hydra/``: config, Hydra config, overrides) as the live run wrote it."""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from testkit.runs import REPO, TAG_ENV, TINY, assert_actors_gone, run_selfplay

pytestmark = pytest.mark.slow


def test_a_refused_second_run_leaves_the_live_runs_hydra_dir_unchanged(tmp_path, toy_cache):
    run_dir = tmp_path / "run"
    tag = uuid.uuid4().hex
    env = {**os.environ, "SELFPLAY_CACHE": str(toy_cache), TAG_ENV: tag}
    env.pop("SELFPLAY_FAULT", None)
    # Long enough to still be running when the second command comes; killed below.
    live = subprocess.Popen(
        [sys.executable, "-m", "selfplay", f"hydra.run.dir={run_dir}", *TINY, "steps=100000"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        record = run_dir / ".hydra"
        deadline = time.time() + 300
        while not (record / "overrides.yaml").exists():
            assert live.poll() is None and time.time() < deadline, "the live run ended before writing .hydra/"
            time.sleep(0.2)
        before = {p.name: p.read_bytes() for p in record.iterdir()}
        assert set(before) == {"config.yaml", "hydra.yaml", "overrides.yaml"}
        assert b"steps=100000" in before["overrides.yaml"]

        proc = run_selfplay(run_dir, toy_cache, "steps=7", "seed=3", expect_rc=1)
        assert "is in use by another selfplay run" in proc.stdout + proc.stderr
        assert live.poll() is None  # refused by the lock, not by anything else
        assert {p.name: p.read_bytes() for p in record.iterdir()} == before
    finally:
        live.send_signal(signal.SIGKILL)
        live.wait()
    assert_actors_gone(tag)
