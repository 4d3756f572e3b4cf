"""SIGTERM/SIGINT handling (selfplay/stopping.py), each in a small subprocess of its own."""

import signal
import subprocess
import sys
import textwrap
import time

from testkit.runs import REPO

PRELUDE = """
import os, signal, sys, time
from selfplay import stopping
"""  # each body prints "ready" once its handlers are in place


def run(body: str, *, send: int | None = signal.SIGTERM, after_s: float = 0.2, timeout: float = 30):
    """Run ``body`` in a fresh python, send it ``send`` once it printed 'ready'; (rc, output, seconds from signal to exit)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(body)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(after_s)
    t0 = time.monotonic()
    if send is not None:
        proc.send_signal(send)
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out, time.monotonic() - t0


def test_sigterm_raises_stopped_in_the_main_thread():
    rc, out, took = run("""
        stopping.install()
        print("ready", flush=True)
        try:
            time.sleep(60)
        except stopping.Stopped as e:
            print(stopping.message(e)); sys.exit(e.exit_code)
    """)
    assert rc == 143 and "stopped by SIGTERM" in out and "resumes from its last complete checkpoint" in out
    assert took < 5


def test_sigint_exit_code():
    rc, out, _ = run("""
        stopping.install()
        print("ready", flush=True)
        try:
            time.sleep(60)
        except stopping.Stopped as e:
            sys.exit(e.exit_code)
    """, send=signal.SIGINT)
    assert rc == 130


def test_watchdog_ends_a_main_thread_deaf_to_signals():
    # The main thread blocks SIGTERM and sleeps: as deaf as one blocked inside Ray's C++.
    rc, out, took = run("""
        stopping.install(grace_s=1.0)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        print("ready", flush=True)
        time.sleep(60)
        print("never")
    """)
    assert rc == 143 and "the clean exit took more than 1 s" in out and "never" not in out
    assert took < 10


def test_second_signal_during_cleanup():
    proc = subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent("""
            stopping.install()
            print("ready", flush=True)
            try:
                time.sleep(60)
            except stopping.Stopped:
                print("cleaning up", flush=True)
                time.sleep(60)
        """)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.2)  # into the try block
    proc.send_signal(signal.SIGTERM)
    assert proc.stdout.readline().strip() == "cleaning up"
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 143 and "a second signal" in out and time.monotonic() - t0 < 5


def test_exit_after_watchdog():
    rc, out, took = run("""
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        stopping.exit_after(1.0, "connect did not finish within cluster.connect_timeout_s=1 s", code=3)
        print("ready", flush=True)
        time.sleep(60)
    """, send=None)
    assert rc == 3 and "cluster.connect_timeout_s=1 s" in out


def test_deferred_signal_is_raised_on_leaving():
    rc, out, took = run("""
        stopping.install()
        print("ready", flush=True)
        try:
            with stopping.deferred():
                time.sleep(1.0)  # the signal comes here: recorded, not raised
                print("still inside", flush=True)
        except stopping.Stopped as e:
            print("raised on leaving", flush=True); sys.exit(e.exit_code)
    """)
    assert rc == 143 and "still inside\nraised on leaving" in out
