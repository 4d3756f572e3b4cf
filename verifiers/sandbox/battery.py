"""The hostile battery: programs that try to break the sandbox, and host-side checks.

``python -m verifiers.sandbox.battery`` runs every case through ``make_executor("bwrap")``
and prints a table (``--json`` for a machine-readable copy); the exit status is 1 if any
case was not contained. The test suite runs it (tests/sandbox/test_sandbox_battery.py).

A case is *contained* when the run ended by itself or at the limit it was meant to hit, on
time, and the host shows no trace: no process of the sandbox's uids left (not even one the
sweep had to kill), no process left under this one (so nothing of the run keeps the CPU
busy), no file changed outside the sandbox's scratch (a world-writable guard directory, the
project directory), no connection reached the host's listener, and no planted secret (an
environment variable of this process, which is also in its ``/proc/<pid>/environ``, and a
world-readable file in the home directory) appears in the program's output.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from verifiers.sandbox.pool import Executor, make_executor
from verifiers.sandbox.slots import uid_processes
from verifiers.sandbox.types import Program, SandboxLimits, SandboxResult

SECRET_VAR = "SELFPLAY_SANDBOX_SECRET"
PROJECT_DIR = Path(__file__).resolve().parents[2]

_FAST = SandboxLimits(cpu_s=2.0, wall_s=3.0, processes=8, memory_bytes=256 << 20,
                      output_bytes=1 << 20, scratch_bytes=8 << 20)


@dataclass
class Host:
    """What the host plants and watches while the battery runs."""

    token: str
    secret_file: Path
    guard_dir: Path
    port: int
    accepted: list[str] = field(default_factory=list)

    def public(self) -> dict:
        """Given to every program on stdin: the worst case is an attacker who knows the paths."""
        return {"host_pid": os.getpid(), "port": self.port, "secret_file": str(self.secret_file),
                "guard_dir": str(self.guard_dir), "project_dir": str(PROJECT_DIR)}


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    expect: frozenset  # acceptable limit_hit values; None = ends by itself
    check: Callable[[SandboxResult, Host], list[str]] = lambda r, h: []
    limits: SandboxLimits = _FAST


@dataclass
class CaseReport:
    case: str
    limit_hit: str | None
    exit: str
    wall_s: float
    peak_processes: int  # processes of the sandbox's uid seen at once (sampled every ~5 ms)
    contained: bool
    problems: list[str]


def _no(word: str) -> Callable[[SandboxResult, Host], list[str]]:
    def check(result: SandboxResult, host: Host) -> list[str]:
        return [f"output says {word!r}: {result.stdout[-300:]!r}"] if word in result.stdout else []
    return check


def _all(*checks: Callable[[SandboxResult, Host], list[str]]) -> Callable[[SandboxResult, Host], list[str]]:
    return lambda r, h: [p for c in checks for p in c(r, h)]


def _printed(marker: str) -> Callable[[SandboxResult, Host], list[str]]:
    """The program got as far as printing ``marker`` (so the attack really ran)."""
    return lambda r, h: [] if marker in r.stdout else [f"never printed {marker!r}: stderr={r.stderr[-300:]!r}"]


_PRELUDE = "import json, os, sys, time, signal, socket\nH = json.loads(sys.stdin.read())\n"

CASES: tuple[Case, ...] = (
    Case("fork bomb", _PRELUDE + """
n = 0
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        while True:
            try:
                os.fork()
            except OSError:
                pass
    n += 1
print("forked", n, flush=True)
while True:
    try:
        os.fork()
    except OSError:
        pass
""", frozenset({"wall", "cpu"}), _printed("forked")),
    Case("memory bomb", "chunks = []\nwhile True:\n    chunks.append(bytearray(1 << 24))\n",
         frozenset({"memory"})),
    Case("infinite loop", "while True:\n    pass\n", frozenset({"cpu"}),
         limits=SandboxLimits(cpu_s=1.0, wall_s=5.0)),
    Case("busy threads", """
import threading
def spin():
    while True:
        pass
for _ in range(4):
    threading.Thread(target=spin, daemon=True).start()
print("spinning", flush=True)
spin()
""", frozenset({"cpu"}), _printed("spinning"), SandboxLimits(cpu_s=2.0, wall_s=6.0)),
    Case("setsid + double fork, parent exits", _PRELUDE + """
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.setsid() if os.getpid() != os.getsid(0) else None
        os.write(w, b"%d" % os.getpid())
        while True:
            pass
    os._exit(0)
print("grandchild", os.read(r, 32).decode(), flush=True)
""", frozenset({None}), _printed("grandchild")),
    Case("setsid + double fork, parent sleeps", _PRELUDE + """
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            time.sleep(0.01)
    os._exit(0)
print("escaped", flush=True)
time.sleep(60)
""", frozenset({"wall"}), _printed("escaped")),
    Case("sleep past wall", "import time\ntime.sleep(60)\n", frozenset({"wall"})),
    Case("tcp to host listener", _PRELUDE + """
for host in ("127.0.0.1", "localhost", socket.gethostname()):
    try:
        socket.create_connection((host, H["port"]), timeout=2)
        print("CONNECTED", host)
    except OSError as e:
        print("no connection", host, e)
""", frozenset({None}), _all(_no("CONNECTED"), _printed("no connection"))),
    Case("dns and udp out", _PRELUDE + """
for name in ("pypi.org", "localhost"):
    try:
        print("RESOLVED", name, socket.getaddrinfo(name, 443))
    except OSError as e:
        print("no dns", name, e)
for addr in (("8.8.8.8", 53), ("1.1.1.1", 53)):
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"x", addr)
        print("SENT", addr)
    except OSError as e:
        print("no udp", addr, e)
""", frozenset({None}), _all(_no("RESOLVED pypi"), _no("SENT"), _printed("no udp"))),
    Case("secret in host environment", _PRELUDE + """
print(dict(os.environ))
for path in ("/proc/self/environ", "/proc/1/environ"):
    print(path, open(path, "rb").read())
print("done env")
""", frozenset({None}), _printed("done env")),
    Case("secret file in home", _PRELUDE + """
for path in (H["secret_file"], os.path.expanduser("~/" + os.path.basename(H["secret_file"]))):
    try:
        print(open(path).read())
    except OSError as e:
        print("cannot read", path, e)
for d in ("/", "/root", "/home", os.path.dirname(H["secret_file"])):
    try:
        print(d, os.listdir(d))
    except OSError as e:
        print("cannot list", d, e)
""", frozenset({None}), _printed("cannot read")),
    Case("parent's /proc/<pid>/environ", _PRELUDE + """
pids = {H["host_pid"], os.getppid(), 1} | {int(p) for p in os.listdir("/proc") if p.isdigit()}
for pid in sorted(pids):
    try:
        print(pid, open(f"/proc/{pid}/environ", "rb").read())
    except OSError as e:
        print("cannot read", pid, e)
""", frozenset({None}), _printed("cannot read")),
    Case("write outside scratch", _PRELUDE + """
targets = [os.path.join(H["guard_dir"], "x"), os.path.join(H["project_dir"], "SANDBOX_ESCAPE"),
           "/usr/x", "/x", "/etc/x", "/dev/x", "/proc/sys/kernel/hostname", "/sys/x"]
for path in targets:
    try:
        with open(path, "w") as f:
            f.write("escaped")
        print("WROTE", path)
    except OSError as e:
        print("cannot write", path, e)
with open("/tmp/fine", "w") as f:
    f.write("scratch is writable")
print("scratch ok", open("/tmp/fine").read())
""", frozenset({None}), _all(_no("WROTE"), _printed("scratch ok"))),
    Case("fill the disk", """
try:
    with open("/tmp/big", "wb") as f:
        for _ in range(64):
            f.write(b"x" * (1 << 20))
except OSError as e:
    print("one big file:", e, flush=True)
i = 0
while True:  # then many small ones, until the scratch tmpfs is full
    with open(f"/tmp/fill{i}", "wb") as f:
        f.write(b"x" * (1 << 20))
    i += 1
""", frozenset({"disk"}), _all(_printed("one big file"), lambda r, h: [] if "No space left" in r.stderr
                                                              else [f"did not fill the tmpfs: {r.stderr[-200:]!r}"])),
    Case("100 MB of stdout", "import sys\nsys.stdout.write('x' * (100 << 20))\n", frozenset({"output"})),
    Case("os.kill of the parent", _PRELUDE + """
for pid in (H["host_pid"], os.getppid(), 1, 0, -1):
    try:
        os.kill(pid, signal.SIGKILL)
        print("signalled", pid, flush=True)
    except OSError as e:
        print("cannot kill", pid, e, flush=True)
print("still here", flush=True)
""", frozenset({None}), _printed("cannot kill")),
    Case("ctypes: libc directly", _PRELUDE + """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
calls = {
    "kill(host pid)": lambda: libc.kill(H["host_pid"], 9),
    "setuid(0)": lambda: libc.setuid(0),
    "unshare(NEWUSER)": lambda: libc.unshare(0x10000000),
    "unshare(NEWNET)": lambda: libc.unshare(0x40000000),
    "mount tmpfs": lambda: libc.mount(b"none", b"/usr", b"tmpfs", 0, None),
    "chroot": lambda: libc.chroot(b"/tmp"),
    "ptrace(ATTACH, 1)": lambda: libc.ptrace(16, 1, None, None),
    "memfd_create": lambda: libc.syscall(319, b"x", 0),
    "bpf": lambda: libc.syscall(321, 0, None, 0),
    "io_uring_setup": lambda: libc.syscall(425, 1, None),
    "reboot": lambda: libc.reboot(0x1234567),
}
for name, call in calls.items():
    ret = call()
    print("SUCCEEDED" if ret != -1 else "failed", name, os.strerror(ctypes.get_errno()), flush=True)
""", frozenset({None}), _all(_no("SUCCEEDED"), _printed("failed reboot"))),
)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _listen(host: Host) -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", 0))
    server.listen(16)
    host.port = server.getsockname()[1]

    def accept() -> None:
        while True:
            try:
                conn, addr = server.accept()
            except OSError:
                return
            host.accepted.append(f"{addr}")
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return server


def _snapshot(path: Path) -> list[tuple[str, int, int]]:
    return sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*")
                  if ".git" not in p.parts and ".venv" not in p.parts and "__pycache__" not in p.parts
                  and ".pytest_cache" not in p.parts)


def run_case(case: Case, executor: Executor, host: Host) -> CaseReport:
    uids = [lease.uid for lease in executor._leases]
    guard_before = sorted(os.listdir(host.guard_dir))
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], sum(len(uid_processes(uid)) for uid in uids))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = executor.run(Program(case.source, stdin=json.dumps(host.public())), case.limits)
    finally:
        done.set()
        sampler.join()
    problems = []
    if peak[0] > case.limits.processes + 1:  # + bwrap's monitor (its init is the program)
        problems.append(f"{peak[0]} processes at once, limit {case.limits.processes} + 1")
    if result.limit_hit not in case.expect:
        problems.append(f"limit_hit={result.limit_hit}, expected one of {sorted(map(str, case.expect))}")
    if result.wall_s > case.limits.wall_s + 1.0:
        problems.append(f"took {result.wall_s:.2f}s, wall limit {case.limits.wall_s}s")
    if result.leftover_processes:
        problems.append(f"{result.leftover_processes} process(es) outlived the sandbox")
    left = [pid for uid in uids for pid in uid_processes(uid)]
    if left:
        problems.append(f"processes of the sandbox uids still alive: {left}")
    kids = _descendants(os.getpid())
    if kids:
        problems.append(f"processes left under the host process: {kids}")
    if sorted(os.listdir(host.guard_dir)) != guard_before:
        problems.append(f"guard directory changed: {os.listdir(host.guard_dir)}")
    if (PROJECT_DIR / "SANDBOX_ESCAPE").exists():
        problems.append("wrote into the project directory")
    if host.accepted:
        problems.append(f"host listener accepted {host.accepted}")
    if host.token in result.stdout or host.token in result.stderr:
        problems.append("a planted secret reached the program's output")
    problems += case.check(result, host)
    exit_ = f"signal {result.signal}" if result.signal is not None else f"exit {result.exit_code}"
    return CaseReport(case.name, result.limit_hit, exit_, round(result.wall_s, 3), peak[0], not problems, problems)


def run_battery(cases: tuple[Case, ...] = CASES) -> tuple[list[CaseReport], dict]:
    """Needs the secret in this process's initial environment: see ``main``."""
    token = os.environ.get(SECRET_VAR)
    if not token or token.encode() not in Path("/proc/self/environ").read_bytes():
        raise RuntimeError(f"start with {SECRET_VAR}=<random> in the environment (main() does)")
    home = Path(os.path.expanduser("~"))
    secret_file = home / f".selfplay-sandbox-secret-{secrets.token_hex(4)}"
    secret_file.write_text(token)
    secret_file.chmod(0o644)  # world-readable: only the mount namespace keeps it out
    # Not under /tmp: the sandbox has a /tmp of its own, and the point is the host's files.
    with tempfile.TemporaryDirectory(prefix="selfplay-guard-", dir="/var/tmp") as guard:
        os.chmod(guard, 0o777)  # world-writable, likewise
        host = Host(token, secret_file, Path(guard), port=0)
        server = _listen(host)
        project_before = _snapshot(PROJECT_DIR)
        load_before = os.getloadavg()
        try:
            with make_executor("bwrap", workers=1) as executor:
                reports = [run_case(case, executor, host) for case in cases]
                after = executor.run(Program("print(sum(range(10)))"))
                healthy = after.ok and after.stdout == "45\n"
        finally:
            server.close()
            secret_file.unlink()
        time.sleep(1.0)
        summary = {
            "executor_healthy_after": healthy,
            "project_dir_unchanged": _snapshot(PROJECT_DIR) == project_before,
            "no_process_left": not _descendants(os.getpid()),
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg(),
        }
    return reports, summary


def format_table(reports: list[CaseReport], summary: dict) -> str:
    rows = [("case", "limit hit", "ended by", "wall s", "peak procs", "contained")]
    rows += [(r.case, str(r.limit_hit or "-"), r.exit, f"{r.wall_s:.2f}", str(r.peak_processes),
              "yes" if r.contained else "NO") for r in reports]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for r in reports:
        for p in r.problems:
            lines.append(f"  {r.case}: {p}")
    lines.append("after the battery: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="also print one JSON line with the results")
    args = parser.parse_args(argv)
    if SECRET_VAR not in os.environ:  # plant the secret in our own initial environment
        env = {**os.environ, SECRET_VAR: secrets.token_hex(16)}
        os.execve(sys.executable, [sys.executable, "-m", "verifiers.sandbox.battery", *sys.argv[1:]], env)
    reports, summary = run_battery()
    print(format_table(reports, summary), flush=True)
    if args.json:
        print(json.dumps({"cases": [asdict(r) for r in reports], "summary": summary}))
    ok = all(r.contained for r in reports) and summary["executor_healthy_after"] \
        and summary["project_dir_unchanged"] and summary["no_process_left"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
