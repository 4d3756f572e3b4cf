"""Every wait on Ray ends, with a message naming the setting (selfplay/cluster.py), and a
stopped run resumes exactly (selfplay/stopping.py).

Bounds stated here: a refusal or a connect error comes within the start-up (interpreter,
imports, the cached tiny toy model: STARTUP_S) plus the setting's own timeout; a SIGTERM ends
the run within STOP_S.
"""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
from testkit.runs import EXACT_RUN, EXACT_STEPS, REPO, TAG_ENV, TINY, assert_actors_gone, assert_same_run, run_selfplay
from test_crash_safety import assert_consistent, resumed_from

from selfplay import cluster, preflight

pytestmark = pytest.mark.slow

STARTUP_S = 90  # generous: two CPU cores shared with other work
STOP_S = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def selfplay_cmd(run_dir, *overrides):
    return [sys.executable, "-m", "selfplay", f"hydra.run.dir={run_dir}", *TINY, *overrides]


def selfplay_env(cache):
    env = {**os.environ, "SELFPLAY_CACHE": str(cache), TAG_ENV: uuid.uuid4().hex}
    for key in ("RAY_ADDRESS", "SELFPLAY_FAULT"):
        env.pop(key, None)
    return env


def timed_run(run_dir, cache, *overrides):
    t0 = time.monotonic()
    proc = subprocess.run(selfplay_cmd(run_dir, *overrides), cwd=REPO, env=selfplay_env(cache), capture_output=True, text=True,
                          timeout=STARTUP_S + 120)
    return proc, time.monotonic() - t0


# -- the two reported hangs -----------------------------------------------------------------


def test_more_worker_cpus_than_the_machine_is_refused_not_awaited(tmp_path, toy_cache):
    too_many = (os.cpu_count() or 1) + 1
    proc, took = timed_run(tmp_path / "run", toy_cache, f"cluster.worker_num_cpus={too_many}")
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f"cluster.worker_num_cpus={float(too_many)!r}" in proc.stderr and "wait forever" in proc.stderr
    assert took < STARTUP_S
    assert not (tmp_path / "run" / "metrics.jsonl").exists()


def test_nothing_listening_at_the_address_ends_within_the_connect_timeout(tmp_path, toy_cache):
    port = free_port()
    proc, took = timed_run(tmp_path / "run", toy_cache, "cluster=existing", f"cluster.address=127.0.0.1:{port}",
                           "cluster.connect_timeout_s=5")
    assert proc.returncode == cluster.EXIT_CLUSTER, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f"cluster.address='127.0.0.1:{port}': nothing accepted a connection within cluster.connect_timeout_s=5 s" in proc.stderr
    assert took < STARTUP_S + 5


def test_sigterm_while_waiting_for_the_cluster(tmp_path, toy_cache):
    proc = subprocess.Popen(
        selfplay_cmd(tmp_path / "run", "cluster=existing", f"cluster.address=127.0.0.1:{free_port()}", "cluster.connect_timeout_s=600"),
        cwd=REPO, env=selfplay_env(toy_cache), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_S
        for line in proc.stdout:
            if "to accept a connection" in line or time.monotonic() > deadline:
                break
        time.sleep(1)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=STOP_S)
        took = time.monotonic() - t0
    finally:
        proc.kill()
    assert proc.returncode == 143 and "stopped by SIGTERM" in out, out[-2000:]
    assert took < STOP_S


# -- SIGTERM mid-step: the run stops cleanly and resumes exactly ------------------------------


def test_sigterm_mid_step_then_resume_equals_uninterrupted(tmp_path, toy_cache, reference_run):
    run_dir, tag = tmp_path / "run", uuid.uuid4().hex
    args = (f"steps={EXACT_STEPS}", *EXACT_RUN)
    # SIGTERM just after the driver asked the worker for step 3's proposals.
    proc = run_selfplay(run_dir, toy_cache, *args, fault="step.generate@3:TERM", expect_rc=143, tag=tag)
    assert "selfplay: stopped by SIGTERM; the run directory resumes from its last complete checkpoint" in proc.stderr
    assert_consistent(run_dir)
    assert_actors_gone(tag)
    assert not list((run_dir / "rollouts").glob("step_000003*"))  # step 3 abandoned
    proc = run_selfplay(run_dir, toy_cache, *args)
    assert resumed_from(proc, run_dir) == 2
    assert_same_run(run_dir, reference_run)


# -- in-process: the bounded waits themselves ---------------------------------------------------


@pytest.fixture(scope="module")
def one_cpu_ray():
    import ray

    ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_call_timeout_names_the_call_and_the_setting(one_cpu_ray):
    ray = one_cpu_ray

    @ray.remote(num_cpus=0)
    def slow():
        time.sleep(30)

    t0 = time.monotonic()
    with pytest.raises(cluster.CallTimeout) as err:
        cluster.get(slow.remote(), 1.0, "generate (step, step 3)")
    assert time.monotonic() - t0 < 5
    assert str(err.value).startswith("generate (step, step 3) did not return within cluster.call_timeout_s=1 s")


def test_actor_that_cannot_be_placed_times_out(one_cpu_ray):
    ray = one_cpu_ray

    class Holder:
        pass

    holder = ray.remote(num_cpus=1)(Holder).remote()  # takes the only CPU
    cluster.wait_started({"holder": holder}, 60)
    waiting = ray.remote(num_cpus=1)(Holder).remote()
    t0 = time.monotonic()
    with pytest.raises(cluster.ClusterError) as err:
        cluster.wait_started({"solver worker": waiting, "proposer worker": waiting}, 2)
    assert time.monotonic() - t0 < 10
    msg = str(err.value)
    assert msg.startswith("solver worker and proposer worker did not start within cluster.actor_start_timeout_s=2 s")
    assert "CPU 0 free of 1" in msg
    ray.kill(holder)
    ray.kill(waiting)


def test_actor_that_fails_to_start_is_named(one_cpu_ray):
    ray = one_cpu_ray

    class Broken:
        def __init__(self):
            raise ValueError("model.path: no such folder")

    with pytest.raises(cluster.ClusterError) as err:
        cluster.wait_started({"solver worker": ray.remote(num_cpus=0)(Broken).remote()}, 60)
    assert "solver worker failed to start" in str(err.value) and "no such folder" in str(err.value)


def test_capacity_checked_against_the_running_cluster(one_cpu_ray):
    from test_preflight import raw_config

    cfg = preflight.check(raw_config("cluster.worker_num_cpus=0.5"))
    cluster.check_capacity(cfg)
    cfg.cluster.worker_num_cpus = 2.0
    with pytest.raises(preflight.PreflightError) as err:
        cluster.check_capacity(cfg)
    assert err.value.keys == ["cluster.worker_num_cpus"] and "the Ray cluster has CPU 1" in str(err.value)


def test_sigterm_interrupts_a_blocked_get():
    """ray.get waits in C++; Ray checks for signals while it waits, so the handler runs."""
    body = textwrap.dedent("""
        import sys, time, ray
        from selfplay import cluster, stopping
        ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False)
        stopping.install()

        @ray.remote(num_cpus=0)
        def slow():
            time.sleep(120)

        ref = slow.remote()
        print("ready", flush=True)
        try:
            cluster.get(ref, 300, "slow")
        except stopping.Stopped as e:
            print("stopped", flush=True)
            ray.shutdown()
            sys.exit(e.exit_code)
    """)
    proc = subprocess.Popen([sys.executable, "-c", body], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in proc.stdout:
            if line.strip() == "ready":
                break
        time.sleep(1)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        line = proc.stdout.readline()
        took = time.monotonic() - t0
        out, _ = proc.communicate(timeout=STOP_S + 30)  # then Ray's shutdown
    finally:
        proc.kill()
    assert line.strip() == "stopped" and took < 5, line + out[-2000:]
    assert proc.returncode == 143
