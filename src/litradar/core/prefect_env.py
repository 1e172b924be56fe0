"""Prefect settings that keep a run on this machine: no telemetry, no analytics look-ups.

Set before Prefect is imported (its settings are read at import), and only where the user
has not chosen otherwise.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from litradar.core.errors import LitradarError

_DEFAULTS = {
    "DO_NOT_TRACK": "1",  # client telemetry
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # the server's analytics host look-up
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",  # 2 loaded cores need longer
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # litradar's own progress lines (one per embedded chunk) in the flow run's log.
    "PREFECT_LOGGING_EXTRA_LOGGERS": "litradar",
    # ... which also log outside a flow (the command line): no warning for those.
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}


def configure_prefect() -> None:
    for name, value in _DEFAULTS.items():
        os.environ.setdefault(name, value)


def require_api(timeout: float = 5.0) -> str:
    """The Prefect API `serve` registers with, checked to answer; else a one-line error.

    Without a configured API (environment or Prefect profile) Prefect would serve from a
    temporary server of its own that nothing else sees, so no run would ever be scheduled;
    an API that does not answer would end in Prefect's traceback. Call after
    configure_prefect()."""
    import httpx
    from prefect.settings import get_current_settings

    api = get_current_settings().api
    if not api.url:
        raise LitradarError(
            "PREFECT_API_URL is not set: serving needs a Prefect server "
            "('prefect server start', then PREFECT_API_URL=http://127.0.0.1:4200/api)"
        )
    key = api.key.get_secret_value() if api.key else None
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    # As Prefect's own client verifies: a self-hosted server with its own CA must pass here.
    verify: bool | str = not api.tls_insecure_skip_verify and (api.ssl_cert_file or True)
    try:
        answer = httpx.get(
            f"{api.url.rstrip('/')}/health", headers=headers, timeout=timeout, verify=verify
        )
        answer.raise_for_status()
    except httpx.HTTPError as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LitradarError(f"the Prefect API at {api.url} does not answer: {why}") from None
    return api.url


_server: subprocess.Popen | None = None


def spawn_api_server(env: dict[str, str], **popen: Any) -> tuple[subprocess.Popen, str]:
    """Prefect's API (its app under uvicorn, UI off; litradar.core.prefect_server) on a
    free loopback port, in a new process with `env` added to this one's; returns the
    process and its API URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "litradar.core.prefect_server", str(port)]
    server = subprocess.Popen(
        command, env={**os.environ, "PREFECT_UI_ENABLED": "0", **env}, **popen
    )
    return server, f"http://127.0.0.1:{port}/api"


def wait_until_it_answers(
    server: subprocess.Popen, url: str, timeout: float, name: str = "the Prefect server"
) -> None:
    """Until the server's health check answers; a server that exits or stays silent for
    `timeout` seconds is a LitradarError naming it."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise LitradarError(f"{name} exited ({server.returncode})")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise LitradarError(f"{name} did not start in {timeout:.0f} s")


@contextlib.contextmanager
def api_server(home: Path, timeout: float = 120.0) -> Iterator[str]:
    """A Prefect server for the length of a block, with its own PREFECT_HOME; yields its
    API URL. What a user of `litradar serve` keeps running (`prefect server start`): the
    tests and the benchmark start one so that their runs skip a temporary server each."""
    server, url = spawn_api_server(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
        }
    )
    try:
        wait_until_it_answers(server, url, timeout)
        yield url
    finally:
        _stop(server)


def start_temporary_server(timeout: float = 90.0) -> Callable[[], None]:
    """Start Prefect's temporary server for this process, unless PREFECT_API_URL names a
    server; returns a function that waits until it answers.

    It is the server Prefect itself starts when no API is configured (its app under
    uvicorn on a free local port, UI off), but started before Prefect is imported here,
    so the two start-ups overlap, and without the client importing the whole server
    first (about 3 s of a run with nothing to do). Like Prefect's, it serves every run of
    this process and stops at exit, after the queued logs and events are sent. Call it
    before importing Prefect: Prefect reads PREFECT_API_URL once, at import."""
    global _server
    if os.environ.get("PREFECT_API_URL") and _server is None:
        return lambda: None
    if _server is None and "prefect" in sys.modules:
        return lambda: None  # too late to point Prefect at it: Prefect starts its own
    if _server is None:
        # Its own session: a Ctrl-C in the terminal goes to litradar's process group, and a
        # server stopped by it left the interrupted flow retrying its "Crashed" state
        # against a dead API for minutes. It stops at exit (below), or with its parent.
        _server, url = spawn_api_server(
            {"PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"},
            start_new_session=True,
            preexec_fn=_stop_with_parent,
        )
        os.environ["PREFECT_API_URL"] = url
        atexit.register(_stop_server)
    server, url = _server, os.environ["PREFECT_API_URL"]

    return lambda: wait_until_it_answers(server, url, timeout, "the temporary Prefect server")


def temporary_server_started() -> bool:
    """Whether this process started Prefect's temporary server (start_temporary_server)."""
    return _server is not None


def on_a_temporary_server() -> bool:
    """Whether this process's flow runs go to a server that stops with it: the one
    start_temporary_server started, or the one Prefect starts itself when no API is
    configured (as when Prefect was imported first). Call once Prefect is imported."""
    from prefect.settings import get_current_settings

    return temporary_server_started() or not get_current_settings().api.url


def _stop_with_parent() -> None:
    """In the server's process, before it runs: on Linux, be sent SIGTERM when litradar's
    process dies (even by SIGKILL), as its own session no longer receives the terminal's
    signals. Elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _stop_server() -> None:
    global _server
    if _server is None:
        return
    _send_what_is_queued()
    _stop(_server)
    _server = None


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _send_what_is_queued() -> None:
    """Logs and events still queued for the server go before it stops (Prefect's own
    temporary server is stopped at exit after they drain; a log sent to a stopped server
    is retried for over a minute)."""
    if "prefect" not in sys.modules:
        return
    try:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=10)
        EventsWorker.drain_all(timeout=10)
    except Exception:  # best effort: the run's result is already in hand
        pass
