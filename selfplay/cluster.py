"""Starting or joining Ray, and every wait on it bounded, with a message naming the setting.

- ``start``: ``cluster=local`` starts a Ray of the run's own; ``cluster=existing`` joins the
  cluster at ``cluster.address`` (or ``$RAY_ADDRESS``), never one found by ``auto``. Joining
  first waits for the address to accept a TCP connection, then runs ``ray.init``; each phase is
  bounded by ``cluster.connect_timeout_s`` (``ray.init`` on a dead or wrong address otherwise
  retries for about 15 minutes inside C++, deaf to signals, so a watchdog ends it).
- ``check_capacity``: the cluster's CPUs/GPUs against what the actors will ask for, so an
  unplaceable actor is an error rather than an endless "No available node types" wait.
- ``wait_started``: the actors' constructors (model loading) within ``cluster.actor_start_timeout_s``.
- ``get(ref, timeout_s, what)``: the one way the driver waits on a remote call.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from selfplay import stopping

log = logging.getLogger(__name__)

ADDRESS_ENV = "RAY_ADDRESS"
AUTH_ENV = "RAY_AUTH_MODE"
RAY_CLIENT_PREFIX = "ray://"
RAY_CLIENT_PORT = 10001
AUTH_MODES = ("auto", "token", "disabled")
EXIT_CLUSTER = 3  # exit code of a run stopped by a cluster error (bad settings: 2)
# Waits on Ray return to Python this often: a signal that came meanwhile is acted on then.
POLL_S = 0.5


class ClusterError(RuntimeError):
    """A cluster that cannot be used or did not answer in time; the message says which setting."""


class CallTimeout(ClusterError):
    pass


@dataclass(frozen=True)
class Address:
    host: str
    port: int
    client: bool  # ray://: Ray Client; else the GCS address `ray start --head` printed

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{RAY_CLIENT_PREFIX if self.client else ''}{host}:{self.port}"


def parse_address(text: str) -> Address:
    """``HOST:PORT`` or ``ray://HOST[:PORT]``; ValueError saying what is wrong otherwise."""
    client = text.startswith(RAY_CLIENT_PREFIX)
    rest = text[len(RAY_CLIENT_PREFIX) :] if client else text
    if rest in ("auto", "local", ""):
        raise ValueError("not an address")
    host, sep, port = rest.rpartition(":")
    if not sep:
        if not client:
            raise ValueError("no port (HOST:PORT)")
        host, port = rest, str(RAY_CLIENT_PORT)
    host = host.strip("[]")
    if not host or "/" in host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("expected HOST:PORT with a port in 1..65535")
    return Address(host, int(port), client)


def explicit_address(cluster) -> str | None:
    """The address ``cluster=existing`` joins: ``cluster.address``, else ``$RAY_ADDRESS``."""
    return cluster.address or os.environ.get(ADDRESS_ENV) or None


def has_local_token() -> bool:
    """Whether this machine holds a Ray auth token (where Ray's own loader looks)."""
    if os.environ.get("RAY_AUTH_TOKEN"):
        return True
    path = os.environ.get("RAY_AUTH_TOKEN_PATH") or os.path.expanduser("~/.ray/auth_token")
    return os.path.isfile(path)


def auth_mode(cluster) -> str:
    """``token`` or ``disabled``: the mode this driver joins with.

    ``auto``: ``$RAY_AUTH_MODE`` if set, else ``token`` when a token is on this machine. That is
    the rule ``ray start --head`` follows, so a head started here by this user is matched; Ray's
    own ``ray.init(address=...)`` never enables token mode for an explicit address, and fails
    against such a head with "Authentication token is missing or incorrect". A token-mode
    driver also joins a cluster without auth.
    """
    if cluster.auth != "auto":
        return cluster.auth
    if env := os.environ.get(AUTH_ENV):
        return env.lower()
    return "token" if has_local_token() else "disabled"


def start(cluster) -> None:
    """Start a local Ray (``cluster.name == "local"``) or join an existing one, bounded."""
    import ray

    if ray.is_initialized():
        return
    if cluster.name == "existing":
        _join(cluster)
    else:
        _within(
            cluster.connect_timeout_s,
            "starting a local Ray did not finish within cluster.connect_timeout_s="
            f"{cluster.connect_timeout_s:g} s (a slow or overloaded machine: raise it)",
            lambda: _start_local(cluster),
        )
    stopping.install()  # ray.init installs a SIGTERM handler of its own


def _start_local(cluster) -> None:
    import ray

    # Always a fresh Ray of this run's own, even where RAY_ADDRESS or a `ray start` cluster on
    # this machine would make a plain ray.init() connect to that instead. worker_niceness: Ray
    # starts workers at nice 15, which on a shared host gives the actors that do all the model
    # work a fraction of a normal process's CPU.
    ctx = ray.init(
        address="local", num_cpus=cluster.num_cpus, include_dashboard=False, log_to_driver=True,
        configure_logging=False, _system_config={"worker_niceness": 0},
    )
    log.info("started a local Ray: %s", ctx.address_info.get("session_dir"))


def _join(cluster) -> None:
    import ray

    text = explicit_address(cluster)
    if text is None:  # preflight refuses this earlier; kept for direct callers
        raise ClusterError(f"cluster=existing needs cluster.address=HOST:PORT or ${ADDRESS_ENV}")
    address = parse_address(text)
    wait_for_port(address, cluster.connect_timeout_s)
    mode = auth_mode(cluster)
    os.environ[AUTH_ENV] = mode  # read by ray.init (and Ray's C++ config, refreshed below)
    _refresh_ray_config()

    def connect() -> None:
        try:
            ray.init(address=str(address), log_to_driver=True)
        except Exception as e:  # ConnectionError, AuthenticationError, ...
            hint = (
                " This driver sent the Ray auth token found here (RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or "
                "~/.ray/auth_token): if the cluster uses token auth, it must be the cluster's token."
            )
            if mode != "token":
                hint = (
                    f" This driver joined without an auth token (cluster.auth={cluster.auth}, resolved to {mode}); a "
                    "head started by `ray start --head` uses token auth when ~/.ray/auth_token exists: set "
                    "cluster.auth=token (or RAY_AUTH_MODE=token) and make that token readable here "
                    "(~/.ray/auth_token, RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH)."
                )
            raise ClusterError(f"cluster.address={text!r}: could not join the Ray cluster: {e}.{hint}") from None

    _within(
        cluster.connect_timeout_s,
        f"cluster.address={text!r}: ray.init did not connect within cluster.connect_timeout_s="
        f"{cluster.connect_timeout_s:g} s; something listens at that port but did not answer as a Ray head. Check the "
        "address `ray start --head` printed, and the auth mode (cluster.auth).",
        connect,
    )
    log.info("joined the Ray cluster at %s (auth: %s)", address, mode)


def _refresh_ray_config() -> None:
    # Ray caches RAY_AUTH_MODE in its C++ config when first imported; this re-reads it (what
    # Ray's own token-auth set-up does after changing the variable).
    from ray._raylet import Config

    Config.initialize("")


def wait_for_port(address: Address, timeout_s: float) -> None:
    """Until ``address`` accepts a TCP connection; ClusterError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last: OSError | None = None
    log.info("waiting for %s to accept a connection (cluster.connect_timeout_s=%g)", address, timeout_s)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ClusterError(
                f"cluster.address={str(address)!r}: nothing accepted a connection within cluster.connect_timeout_s="
                f"{timeout_s:g} s ({last}). Start the cluster first (`ray start --head --port={address.port}`) "
                f"or give the address it printed."
            )
        try:
            with socket.create_connection((address.host, address.port), timeout=min(left, 5.0)):
                return
        except OSError as e:  # refused, unreachable, unknown host: the cluster may be starting
            last = e
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


def _within(seconds: float, message: str, fn) -> None:
    timer = stopping.exit_after(seconds, message, EXIT_CLUSTER)
    try:
        fn()
    finally:
        timer.cancel()


def nodes() -> list[dict[str, float]]:
    """Each live node's total resources (CPU, GPU, ...)."""
    import ray

    return [dict(n["Resources"]) for n in ray.nodes() if n.get("Alive")]


def check_capacity(cfg) -> None:
    """The cluster's totals against what the run's actors ask for (after ``start``)."""
    from selfplay import preflight

    problems = preflight.check_resources(cfg, nodes(), where="the Ray cluster")
    if problems:
        raise preflight.PreflightError(problems)


def wait_started(actors: Mapping[str, Any], timeout_s: float) -> None:
    """Until every actor's constructor has returned; ClusterError naming the ones that did not.
    One actor under several names (a shared policy plays both roles) is waited for once."""
    import ray
    from ray.exceptions import RayActorError

    names: dict[int, list[str]] = {}
    handles: dict[int, Any] = {}
    for name, handle in actors.items():
        names.setdefault(id(handle), []).append(name)
        handles[id(handle)] = handle
    refs = {" and ".join(names[k]): h.__ray_ready__.remote() for k, h in handles.items()}
    pending = list(refs.values())
    deadline = time.monotonic() + timeout_s
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            waiting = [name for name, ref in refs.items() if ref in pending]
            raise ClusterError(
                f"{', '.join(waiting)} did not start within cluster.actor_start_timeout_s={timeout_s:g} s "
                f"(cluster: {_capacity_line()}). An actor waits for resources no node has free, or its "
                "constructor (model loading) is slow: raise the timeout for a large model."
            )
        with stopping.deferred():
            done, pending = ray.wait(pending, num_returns=len(pending), timeout=min(left, POLL_S))
        for ref in done:
            name = next(n for n, r in refs.items() if r == ref)
            try:
                ray.get(ref)
            except RayActorError as e:
                raise ClusterError(f"{name} failed to start: {e}") from None


def _capacity_line() -> str:
    import ray

    total, free = ray.cluster_resources(), ray.available_resources()
    return ", ".join(f"{k} {free.get(k, 0):g} free of {total[k]:g}" for k in ("CPU", "GPU") if k in total)


def get(ref, timeout_s: float, what: str):
    """``ray.get(ref)``, bounded: CallTimeout naming ``what`` and ``cluster.call_timeout_s``.

    Waits in short ``ray.wait`` slices, each under ``stopping.deferred``: a ``ray.get`` with a
    timeout ran no Python signal handler while it waited (a SIGTERM sat unhandled for 30 s),
    and ``ray.wait``'s own check turns the handler's exception into a SystemError.
    """
    import ray

    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise CallTimeout(
                f"{what} did not return within cluster.call_timeout_s={timeout_s:g} s; {stopping.RESUME_HINT} "
                "(with a larger cluster.call_timeout_s if the call is just slow)"
            )
        with stopping.deferred():
            ready, _ = ray.wait([ref], timeout=min(left, POLL_S))
        if ready:
            return ray.get(ref)


def shutdown() -> None:
    """Stop a local Ray (its actors die with it), or leave an existing cluster (this driver's
    actors are not detached: they die when it disconnects)."""
    ray = sys.modules.get("ray")  # not imported: nothing to stop (and no second to spend importing it)
    if ray is not None and ray.is_initialized():
        ray.shutdown()
