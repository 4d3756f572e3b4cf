"""The hostile battery (verifiers/sandbox/battery.py): every case contained, the host unaffected."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # ~20 s: several cases run to their wall or CPU limit
def test_hostile_battery(sandbox_executor):
    env = {k: v for k, v in os.environ.items() if k != "SELFPLAY_SANDBOX_SECRET"}
    proc = subprocess.run([sys.executable, "-m", "verifiers.sandbox.battery", "--json"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    print(proc.stdout, proc.stderr)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(report["cases"]) >= 17
    for case in report["cases"]:
        assert case["contained"], (case["case"], case["problems"])
    summary = report["summary"]
    assert summary["executor_healthy_after"] and summary["project_dir_unchanged"] and summary["no_process_left"]
    assert proc.returncode == 0
