"""A helper stuck in sympy must not outlive a caller that was SIGKILLed mid-comparison."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("math_verify")

CALLER = """
import sys
from verifiers import math_verify_client as mvc
mvc.CPU_BACKSTOP_S = 1.0
client = mvc.get_client()
client.warm_up()
print(client._proc.pid, flush=True)
mvc.math_verify_equal("9^{9^{9^{9^9}}}", "10^{10^{10^{10}}}", timeout_s=1.0)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a zombie is dead, whoever reaps it


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_orphaned_helper_dies_by_cpu_backstop():
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{repo}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    caller = subprocess.Popen([sys.executable, "-c", CALLER], stdout=subprocess.PIPE, env=env)
    helper_pid = int(caller.stdout.readline())
    time.sleep(0.3)  # the comparison is now running in the helper
    caller.send_signal(signal.SIGKILL)
    caller.wait()
    assert _alive(helper_pid)
    deadline = time.monotonic() + 15
    while _alive(helper_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(helper_pid)
