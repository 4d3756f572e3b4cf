"""``cluster=existing`` against a head of the test's own (`ray start --head`, a free port, its
own temp dir and auth token): 3 steps, a resume to 6 that equals the uninterrupted local-Ray
run, and the auth mode: a driver that joins without the token is refused with a message
saying how to fix it. Only this head's processes are stopped, found by an environment tag."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from testkit.runs import EXACT_RUN, EXACT_STEPS, TAG_ENV, actor_processes, assert_same_run, read_metrics, run_selfplay
from test_crash_safety import resumed_from

from selfplay import cluster

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Head:
    address: str
    tag: str  # in the environment of every process of this head (its actors' workers included)
    token_path: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tagged(tag: str) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter():
        try:
            if p.environ().get(TAG_ENV) == tag:
                found.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return found


@pytest.fixture
def ray_head():
    from ray._private.authentication.authentication_token_generator import generate_new_authentication_token

    # A short temp dir: Ray's unix sockets live under it (107-character limit).
    temp = Path(tempfile.mkdtemp(prefix="rayhead-", dir="/tmp"))
    token_path = temp / "auth_token"
    token_path.write_text(generate_new_authentication_token())
    port, tag = free_port(), uuid.uuid4().hex
    env = {**os.environ, TAG_ENV: tag, "RAY_AUTH_TOKEN_PATH": str(token_path)}
    for key in ("RAY_AUTH_MODE", "RAY_ADDRESS", "RAY_AUTH_TOKEN"):
        env.pop(key, None)
    ray_cli = Path(sys.executable).parent / "ray"
    log = open(temp / "head.log", "w")
    head = subprocess.Popen(
        [str(ray_cli), "start", "--head", f"--port={port}", f"--temp-dir={temp}", "--num-cpus=2",
         "--include-dashboard=false", "--disable-usage-stats", "--block"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in (temp / "head.log").read_text():
            assert head.poll() is None and time.monotonic() < deadline, (temp / "head.log").read_text()[-3000:]
            time.sleep(0.5)
        assert "Token authentication is enabled" in (temp / "head.log").read_text()  # a default head, with a token at hand
        yield Head(f"127.0.0.1:{port}", tag, token_path)
    finally:
        head.send_signal(signal.SIGTERM)  # `ray start --block` stops its node's processes
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 30
        while (left := tagged(tag)) and time.monotonic() < deadline:
            time.sleep(1)
        for p in left:  # whatever outlived the graceful stop: this head's only (tagged)
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(left, timeout=10)
        log.close()
        shutil.rmtree(temp, ignore_errors=True)
        assert not tagged(tag), "processes of the test's Ray head outlived it"


def test_existing_cluster_runs_and_resumes_exactly(tmp_path, toy_cache, reference_run, ray_head, monkeypatch):
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", str(ray_head.token_path))  # the head's token is readable here
    for key in ("RAY_AUTH_MODE", "RAY_ADDRESS", "RAY_AUTH_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    existing = ("cluster=existing", f"cluster.address={ray_head.address}")

    # Joined without the token (what Ray does for an explicit address unless told): refused, saying how to fix it.
    t0 = time.monotonic()
    proc = run_selfplay(tmp_path / "noauth", toy_cache, "steps=1", *existing, "cluster.auth=disabled", expect_rc=cluster.EXIT_CLUSTER)
    assert f"cluster.address='{ray_head.address}': could not join the Ray cluster" in proc.stderr
    assert "set cluster.auth=token (or RAY_AUTH_MODE=token)" in proc.stderr
    assert time.monotonic() - t0 < 180

    run_dir, k = tmp_path / "run", EXACT_STEPS // 2
    proc = run_selfplay(run_dir, toy_cache, f"steps={k}", *EXACT_RUN, *existing)
    assert f"joined the Ray cluster at {ray_head.address} (auth: token)" in proc.stdout + proc.stderr
    assert "started a local Ray" not in proc.stdout + proc.stderr
    assert [r["step"] for r in read_metrics(run_dir)] == list(range(k + 1))
    proc = run_selfplay(run_dir, toy_cache, f"steps={EXACT_STEPS}", *EXACT_RUN, *existing)
    assert resumed_from(proc, run_dir) == k
    assert_same_run(run_dir, reference_run)  # the same as the uninterrupted run on a local Ray

    # The driver's actors ran on the head's workers and went with the driver; the head lives on.
    deadline = time.monotonic() + 30
    while actor_processes(ray_head.tag) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not actor_processes(ray_head.tag)
    assert tagged(ray_head.tag)
