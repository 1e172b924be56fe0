"""`litradar serve` against a real `prefect server start` on 127.0.0.1: the deployment
appears with the weekly cron schedule."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import TextIO

import pytest

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError("timed out")


def catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler for `signum` (Linux: /proc's SigCgt mask)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signum - 1)))
    return False


def post(url: str, body: dict) -> object:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_serve_registers_a_weekly_cron_deployment(project: Path, tmp_path: Path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = os.environ | {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    serving = None

    def start_serving() -> tuple[subprocess.Popen, TextIO]:
        said, printed = (tmp_path / "serve.err").open("w+"), (tmp_path / "serve.out").open("w+")
        return subprocess.Popen(
            [str(BIN / "litradar"), "serve", "--cron", "0 7 * * 1", "--config", str(project / "litradar.toml")],
            env=env | {"PREFECT_API_URL": api}, stdout=printed, stderr=said,
            start_new_session=True,
        ), said  # fmt: skip

    try:
        wait_for(lambda: urllib.request.urlopen(f"{api}/health", timeout=2).status == 200, 90)
        serving, said = start_serving()
        deployments = wait_for(lambda: post(f"{api}/deployments/filter", {}), 90)
        assert [d["name"] for d in deployments] == ["litradar-weekly"]
        schedules = deployments[0]["schedules"]
        assert schedules[0]["schedule"]["cron"] == "0 7 * * 1"
        assert schedules[0]["schedule"]["timezone"] == "UTC"
        assert deployments[0]["parameters"]["config_path"] == str(
            (project / "litradar.toml").resolve()
        )
        # SIGTERM, a service manager's stop: Prefect's handler exited 0 from inside its
        # loop, past litradar's words. (Ctrl-C takes the same path in litradar, but under
        # load Prefect's runner sometimes went on serving after it, in CI: not tested here.)
        # Once Prefect's runner has its SIGTERM handler (installed as it starts; before it,
        # SIGTERM is the default kill: -15 in CI, under load, 3 s after "is being served").
        wait_for(lambda: catches(serving.pid, signal.SIGTERM), 90)
        os.killpg(serving.pid, signal.SIGTERM)
        assert serving.wait(timeout=120) == 0  # a server's usual stop
        said.seek(0)
        assert "litradar serve stopped: no weekly run starts from here" in said.read()
        assert [d["paused"] for d in post(f"{api}/deployments/filter", {})] == [True]
        # litradar pauses it itself too: in one CI run Prefect's own pause had not happened
        # after a clean stop. Resumed by hand, paused again by litradar's step.
        deployment_id = post(f"{api}/deployments/filter", {})[0]["id"]
        post(f"{api}/deployments/{deployment_id}/resume_deployment", {})
        assert [d["paused"] for d in post(f"{api}/deployments/filter", {})] == [False]
        pause = [sys.executable, "-c", "from litradar.flows.weekly import pause_served; pause_served()"]
        subprocess.run(pause, env=env | {"PREFECT_API_URL": api}, check=True, timeout=120)
        assert [d["paused"] for d in post(f"{api}/deployments/filter", {})] == [True]
    finally:
        for process in (serving, server):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)


def serve_without_a_server(
    project: Path, tmp_path: Path, *args: str, **env: str
) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environ |= {"PREFECT_HOME": str(tmp_path / "prefect-home"), **env}  # no profile's API
    return subprocess.run(
        [str(BIN / "litradar"), "serve", "--config", str(project / "litradar.toml"), *args],
        env=environ, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_serve_without_a_prefect_api_refuses_in_one_line(project: Path, tmp_path: Path):
    """Without PREFECT_API_URL, Prefect would serve on a temporary server of its own that
    nothing schedules on."""
    result = serve_without_a_server(project, tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "PREFECT_API_URL is not set" in result.stderr
    assert not (tmp_path / "prefect-home" / "prefect.db").exists()  # no server was started


def test_serve_with_an_api_that_does_not_answer_refuses_in_one_line(
    project: Path, tmp_path: Path
):
    api = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there
    result = serve_without_a_server(project, tmp_path, PREFECT_API_URL=api)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1
    assert f"the Prefect API at {api} does not answer" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_cron_prefect_cannot_read_in_one_line(project: Path, tmp_path: Path):
    """Five fields pass the config's check; Prefect's Cron reads the minute 61 before any
    deployment is registered (the API answers its health check, and nothing more)."""
    from tests.replay import ReplayServer, Reply

    with ReplayServer() as server:
        server.on("GET", "/api/health", Reply(200, b"true"))
        result = serve_without_a_server(
            project, tmp_path, "--cron", "61 7 * * 1", PREFECT_API_URL=f"{server.url}/api"
        )
        asked = [seen.path for seen in server.seen]
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "cron '61 7 * * 1' (timezone UTC)" in result.stderr
    assert asked == ["/api/health"]  # nothing registered


def test_serve_refuses_an_empty_cron_instead_of_taking_the_configs(
    project: Path, tmp_path: Path
):
    result = serve_without_a_server(project, tmp_path, "--cron", " ")
    assert result.returncode == 1 and "--cron is empty" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1
