"""The sandbox on real programs (skipped where it cannot run; CI requires it)."""

import os
import warnings

import pytest

from verifiers.sandbox import (Program, SandboxConfig, SandboxLimits, SandboxUnavailable,
                               UnsafeExecutionWarning, make_executor)

LIMITS = SandboxLimits(wall_s=5.0, cpu_s=3.0)


def test_stdin_to_stdout_and_exit_status(sandbox_executor):
    r = sandbox_executor.run(Program("import sys\nprint(sys.stdin.read().upper(), end='')", "héllo\nworld\n"), LIMITS)
    assert r.ok and r.stdout == "HÉLLO\nWORLD\n" and r.leftover_processes == 0
    r = sandbox_executor.run(Program("import sys\nprint('bye', file=sys.stderr)\nsys.exit(3)"), LIMITS)
    assert (r.exit_code, r.signal, r.limit_hit, r.stderr, r.ok) == (3, None, None, "bye\n", False)
    r = sandbox_executor.run(Program("1/0"), LIMITS)
    assert r.exit_code == 1 and "ZeroDivisionError" in r.stderr


def test_environment_is_empty_and_hashing_deterministic(sandbox_executor):
    src = ("import os\nprint(set(os.environ) <= {'LC_CTYPE', 'PWD', 'PYTHONHASHSEED'}, os.environ['PYTHONHASHSEED'],"
           " os.getcwd(), os.getuid() != 0)\nprint(sorted({'b', 'a', 'c', 'zz', 'q'}, key=hash))")
    first = sandbox_executor.run(Program(src), LIMITS)
    assert first.ok, first.stderr
    assert first.stdout.splitlines()[0] == "True 0 /tmp True"
    assert sandbox_executor.run(Program(src), LIMITS).stdout == first.stdout


def test_pool_keeps_order_and_is_deterministic(sandbox_executor):
    programs = [Program(f"import time\ntime.sleep({0.2 if i % 3 == 0 else 0})\nprint({i} * int(input()))", f"{i}\n")
                for i in range(12)]
    first = sandbox_executor.run_many(programs, LIMITS)
    assert [r.stdout for r in first] == [f"{i * i}\n" for i in range(12)]
    second = sandbox_executor.run_many(programs, LIMITS)
    assert [(r.stdout, r.exit_code) for r in second] == [(r.stdout, r.exit_code) for r in first]


def test_output_limit_truncates_and_kills(sandbox_executor):
    r = sandbox_executor.run(Program("while True:\n    print('y' * 1000)"), SandboxLimits(output_bytes=5000, wall_s=5))
    assert r.limit_hit == "output" and r.stdout_truncated and len(r.stdout) == 5000 and not r.ok


def test_large_stdin_is_fed_while_output_is_read(sandbox_executor):
    data = "x" * (3 << 20)
    r = sandbox_executor.run(Program("import sys\nd = sys.stdin.read()\nprint(len(d))", data), LIMITS)
    assert r.ok and r.stdout == f"{len(data)}\n"


def test_missing_bwrap_refuses_instead_of_running_unsandboxed():
    with pytest.raises(SandboxUnavailable, match="not found"):
        make_executor("bwrap", config=SandboxConfig(bwrap="no-such-bwrap-binary"))


def test_python_outside_usr_is_refused():
    if os.geteuid() != 0:
        pytest.skip("the root check comes first")
    with pytest.raises(SandboxUnavailable, match="under /usr"):
        make_executor("bwrap", config=SandboxConfig(python="/tmp/python3"))


def test_unsafe_mode_warns_every_time():
    with warnings.catch_warnings(record=True) as caught:
        with make_executor("unsafe_no_sandbox", workers=2) as ex:
            a = ex.run(Program("print(input())", "1\n"), LIMITS)
            b = ex.run_many([Program("print(2)"), Program("import time\ntime.sleep(9)")],
                            SandboxLimits(wall_s=0.5))
    unsafe = [w for w in caught if issubclass(w.category, UnsafeExecutionWarning)]
    assert len(unsafe) == 3  # construction, run, run_many
    assert "WITHOUT a sandbox" in str(unsafe[0].message)
    assert a.stdout == "1\n" and b[0].stdout == "2\n" and b[1].limit_hit == "wall"


HOLDER = """
from verifiers.sandbox import make_executor, Program, SandboxLimits
ex = make_executor("bwrap", workers=1)
print(ex._leases[0].uid, flush=True)
ex.run(Program("import os, time\\nif os.fork() == 0:\\n    os.setsid()\\n    time.sleep(100)\\nprint('up', flush=True)\\ntime.sleep(100)"),
       SandboxLimits(wall_s=100))
"""


def test_sandbox_dies_with_a_killed_host_process(sandbox_executor):
    import subprocess
    import sys
    import time
    from pathlib import Path

    from verifiers.sandbox.slots import uid_processes

    def alive(uid):  # zombies are dead; whoever reaps them
        return [p for p in uid_processes(uid)
                if Path(f"/proc/{p}/stat").exists() and Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]

    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    uid = int(holder.stdout.readline())
    deadline = time.monotonic() + 10
    while len(alive(uid)) < 3 and time.monotonic() < deadline:  # bwrap, the program, its child
        time.sleep(0.02)
    assert len(alive(uid)) == 3
    holder.kill()
    holder.wait()
    deadline = time.monotonic() + 5
    while alive(uid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert alive(uid) == []
