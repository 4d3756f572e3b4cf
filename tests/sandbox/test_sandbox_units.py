"""The sandbox's pure parts: limits, the seccomp program, the bwrap command, result decoding."""

import os
import re
import signal
import struct
from pathlib import Path

import pytest

from verifiers.sandbox import Program, SandboxLimits, make_executor
from verifiers.sandbox.bwrap import SandboxConfig, bwrap_argv, to_result
from verifiers.sandbox.seccomp import DENIED_X86_64, SeccompUnsupported, deny_list_filter
from verifiers.sandbox.supervise import RawRun

HEADER = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")


@pytest.mark.parametrize("field,value", [
    ("cpu_s", 0), ("wall_s", -1), ("wall_s", 1e9), ("memory_bytes", 1 << 10), ("processes", 0),
    ("open_files", 2), ("output_bytes", 0), ("scratch_bytes", 10), ("processes", True), ("memory_bytes", 1.5e9),
])
def test_limits_reject_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        SandboxLimits(**{field: value})


def test_program_validation():
    with pytest.raises(TypeError):
        Program(b"print(1)")
    with pytest.raises(ValueError, match="source"):
        Program("x" * (2 << 20))


@pytest.mark.skipif(not HEADER.exists(), reason="no kernel headers to check syscall numbers against")
def test_seccomp_numbers_match_the_kernel_header():
    header = dict(re.findall(r"#define __NR_(\w+) (\d+)", HEADER.read_text()))
    for name, number in DENIED_X86_64.items():
        assert int(header[name]) == number, name


def test_seccomp_program_layout():
    prog = deny_list_filter("x86_64")
    insns = [struct.unpack("=HBBI", prog[i:i + 8]) for i in range(0, len(prog), 8)]
    n = len(set(DENIED_X86_64.values()))
    assert len(insns) == n + 7
    deny_at = len(insns) - 1
    assert insns[-1] == (0x06, 0, 0, 0x00050000 | 1)  # ERRNO(EPERM)
    assert insns[-2] == (0x06, 0, 0, 0x7FFF0000)  # ALLOW
    assert insns[2] == (0x06, 0, 0, 0x80000000)  # other ABIs: kill
    denied = set()
    for i, (code, jt, jf, k) in enumerate(insns[5:-2], start=5):
        assert code == 0x15 and jf == 0 and i + 1 + jt == deny_at
        denied.add(k)
    assert denied == set(DENIED_X86_64.values())
    with pytest.raises(SeccompUnsupported, match="seccomp=False"):
        deny_list_filter("aarch64")


def test_bwrap_command_isolates():
    limits = SandboxLimits(cpu_s=1.5, processes=5)
    argv = bwrap_argv(SandboxConfig(), limits, python="/usr/bin/python3.11", bwrap="/usr/bin/bwrap",
                      prlimit="/usr/bin/prlimit", source_fd=5, info_fd=6, seccomp_fd=7)
    cmd = " ".join(argv)
    assert argv[0] == "/usr/bin/prlimit" and "--cpu=2" in argv and "--nproc=6" in argv and "--core=0" in argv
    for flag in ("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--as-pid-1",
                 "--clearenv", "--remount-ro / ", "--ro-bind /usr /usr", "--seccomp 7"):
        assert flag in cmd + " ", flag
    # nothing of the host is bound but /usr (and / links into it): no home, no project, no /etc
    binds = [argv[i + 1] for i, a in enumerate(argv) if a in ("--bind", "--ro-bind", "--dev-bind")]
    assert all(b.startswith("/usr") or b in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32") for b in binds)
    assert "--bind" not in argv and "--share-net" not in argv
    assert str(Path(__file__).resolve().parents[2]) not in cmd and os.path.expanduser("~") + "/" not in cmd


def _raw(status, stderr=b"", killed_for=None, cpu=0.0):
    return RawRun(status, b"out", stderr, False, False, killed_for, 0.1, cpu)


def test_result_decoding():
    lim = SandboxLimits(cpu_s=2)
    ok = to_result(_raw(0), lim, exit_convention="bwrap")
    assert ok.ok and ok.exit_code == 0 and ok.signal is None and ok.stdout == "out"
    # bwrap reports a child killed by signal s as 128 + s
    r = to_result(_raw((128 + signal.SIGKILL) << 8, cpu=1.95), lim, exit_convention="bwrap")
    assert (r.exit_code, r.signal, r.limit_hit) == (None, 9, "cpu")
    r = to_result(_raw((128 + signal.SIGKILL) << 8, cpu=0.1), lim, exit_convention="bwrap")
    assert r.limit_hit is None and not r.ok
    assert to_result(_raw(signal.SIGKILL, killed_for="wall"), lim, exit_convention="plain").limit_hit == "wall"
    assert to_result(_raw(1 << 8, b"Traceback...\nMemoryError\n"), lim, exit_convention="bwrap").limit_hit == "memory"
    assert to_result(_raw(1 << 8, b"OSError: [Errno 28] No space left on device\n"), lim,
                     exit_convention="bwrap").limit_hit == "disk"
    assert to_result(_raw(1 << 8, b"ValueError: MemoryError is not it\nZeroDivisionError: x\n"), lim,
                     exit_convention="bwrap").limit_hit is None
    assert to_result(_raw(3 << 8), lim, exit_convention="plain").exit_code == 3


def test_unknown_executor_is_refused():
    with pytest.raises(ValueError, match="unsafe_no_sandbox"):
        make_executor("subprocess")
