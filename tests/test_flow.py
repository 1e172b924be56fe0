"""The weekly Prefect flow, run for real on a temporary local Prefect server."""

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litradar.cli import app
from tests.conftest import in_prefect_group, write_config

pytestmark = [pytest.mark.slow, in_prefect_group]
runner = CliRunner()


def run(project: Path, *args: str):
    return runner.invoke(app, ["run", *args, "--config", str(project / "litradar.toml")])


def last_weekly_run_state():
    """The final state of the newest weekly flow run, as the Prefect server holds it (the
    temporary server `litradar run` started in this process)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    weekly = FlowFilter(name=FlowFilterName(any_=["litradar-weekly"]))
    with get_client(sync_client=True) as client:
        [newest] = client.read_flow_runs(
            flow_filter=weekly, sort=FlowRunSort.START_TIME_DESC, limit=1
        )
    return newest.state


@pytest.fixture(autouse=True)
def _prefect_home(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path_factory.getbasetemp() / "prefect-home"))
    monkeypatch.setenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


def test_weekly_flow_runs_every_step_and_a_rerun_does_nothing_new(project: Path):
    first = run(project, "--since", "2025-03-10", "--until", "2025-03-17")
    assert first.exit_code == 0, first.output
    assert "papers added" in first.output and "digest 2025-W11" in first.output
    assert f"new store at {project / 'index' / 'litradar.sqlite'}" in first.output
    assert last_weekly_run_state().is_completed()
    digest = json.loads((project / "digests" / "2025-W11.json").read_text())
    assert digest["papers_read"] >= 1197
    # what clears the trained threshold, at most `size` (10 here)
    above = [p for p in digest["papers"] if not p["on_list"] and p["relevance"] >= digest["threshold"]]
    assert 1 <= digest["proposed"] == min(10, len(above))
    assert (project / "classifiers" / "metrics.json").is_file()
    with sqlite3.connect(project / "index" / "litradar.sqlite") as db:
        count = db.execute("SELECT COUNT(*) FROM papers").fetchone()[0]

    second = run(project, "--since", "2025-03-10", "--until", "2025-03-17")
    assert second.exit_code == 0, second.output
    assert "0 papers added, 0 embedded" in second.output and "new store" not in second.output
    with sqlite3.connect(project / "index" / "litradar.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == count
    again = json.loads((project / "digests" / "2025-W11.json").read_text())
    assert [p["arxiv_id"] for p in again["papers"]] == [p["arxiv_id"] for p in digest["papers"]]


def test_a_failing_step_is_one_clear_line_and_not_retried(project: Path):
    config = project / "litradar.toml"
    config.write_text(config.read_text().replace('"data/arxiv_seed.jsonl"', '"data/missing.jsonl"'))
    result = run(project, "--since", "2025-03-10", "--until", "2025-03-17")
    assert result.exit_code == 1
    assert "error: no such file" in result.output and "Traceback" not in result.output
    started = (project / "index" / "litradar.sqlite").exists()
    assert not started or not (project / "digests").exists()
    assert ("new store at" in result.output) == started  # said even when a step failed


def test_live_sources_run_in_parallel_and_a_failing_one_is_reported_not_fatal(
    project: Path, tmp_path_factory, monkeypatch
):
    """arXiv answers (generated pages on 127.0.0.1); Semantic Scholar answers 429 to
    everything. The run finishes, the digest says which source failed and why, and it is
    emailed once (a real SMTP server on 127.0.0.1), the pull request opened once, and a
    channel added by one registration line (tests.test_channels.Outbox) delivers too."""
    from litradar.publish import channels
    from tests.arxiv_atom import page
    from tests.fake_github import FakeGitHub, make_remote
    from tests.replay import ReplayServer, Reply
    from tests.smtp_server import PASSWORD, SmtpServer
    from tests.test_propose import LIST_TEXT, github_config

    monkeypatch.setenv("LITRADAR_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setitem(channels.CHANNELS, "outbox", "tests.test_channels:Outbox")
    (project / "outbox").mkdir()
    smtp = SmtpServer(tmp_path_factory.mktemp("smtp"))
    remote = make_remote(tmp_path_factory.mktemp("remote"), LIST_TEXT)
    with ReplayServer() as server, smtp:
        fake = FakeGitHub(server)
        for start in (0, 10):
            server.on("GET", "/api/query", Reply(200, page(start, 10, 20)), start=str(start))
        server.on("POST", "/graph/v1/paper/batch", Reply(429, b"{}"))
        write_config(
            project,
            sources='categories = ["cs.CV"]\nlive = ["arxiv", "s2"]',
            extra=(
                f'[sources.arxiv]\nurl = "{server.url}/api/query"\ndelay_seconds = 0.0\n'
                "retries = 0\npage_size = 10\nqueries = []\n"
                f'[sources.s2]\nurl = "{server.url}"\nmin_interval_seconds = 0.0\n'
                "retries = 1\nbackoff_seconds = 0.01\nqueries = []\nrecommendations = false\n"
                + smtp.email_config()
                + github_config(server, remote)
                + "enabled = true\n"
            ),
        )
        result = run(project, "--since", "2025-03-10", "--until", "2025-03-17")
        state = last_weekly_run_state()  # what the Prefect UI shows of this run
        first_digest = (project / "digests" / "2025-W11.md").read_text()
        again = run(project, "--since", "2025-03-10", "--until", "2025-03-17")
    assert state.is_failed() and state.name == "Failed"
    assert state.message == "finished with failures: source s2"
    assert result.exit_code == 2, result.output  # finished, with a failure to see
    assert "run finished with failures: source s2" in result.output
    assert "source arxiv: 20 added" in result.output
    assert "source s2: FAILED" in result.output
    assert "email: sent" in result.output and "email: already sent" in again.output
    assert "pull request: #1 opened" in result.output
    assert "pull request: #1 unchanged" in again.output and len(fake.pulls) == 1
    assert "outbox: delivered" in result.output and "outbox: already delivered" in again.output
    delivered = (project / "outbox" / "2025-W11.md").read_text()
    assert delivered == first_digest  # the first run's, delivered once
    [mail] = smtp.inbox.messages
    assert mail["Subject"] == "[litradar] digest 2025-W11: 10 proposed"
    markdown = (project / "digests" / "2025-W11.md").read_text()
    assert "## Sources" in markdown and "**s2: FAILED" in markdown
    document = json.loads((project / "digests" / "2025-W11.json").read_text())
    generated = [p for p in document["papers"] if p["arxiv_id"].startswith("2599.")]
    assert len(generated) == 20 and generated[0]["provenance"] == ["arxiv: cs.CV"]


def test_a_run_on_a_temporary_server_sends_no_heartbeats(monkeypatch):
    """Heartbeats let a server that outlives a run mark it crashed; a temporary one stops
    with the run, and Prefect's heartbeat thread held up each run's end by up to 1 s."""
    from datetime import date

    import litradar.flows.weekly as weekly_module
    from prefect import flow
    from prefect.settings import get_current_settings

    from litradar.core.prefect_env import on_a_temporary_server

    @flow
    def heartbeat_probe(config_path=None, since=None, until=None):
        return get_current_settings().flows.heartbeat_frequency  # what the engine reads

    monkeypatch.setattr(weekly_module, "weekly", heartbeat_probe)
    day = date(2025, 3, 10)
    assert weekly_module.run_weekly(None, day, day, heartbeats=False) is None
    assert weekly_module.run_weekly(None, day, day, heartbeats=True) == 180  # Prefect's default
    from prefect.settings import temporary_settings

    from litradar.core import prefect_env

    monkeypatch.setattr(prefect_env, "_server", None)  # as if no test had started one here
    with temporary_settings(restore_defaults={"api.url"}):  # Prefect serves from its own
        assert on_a_temporary_server()
    with temporary_settings(updates={"api.url": "http://127.0.0.1:4200/api"}):
        assert not on_a_temporary_server()  # a server of the user's, which outlives the run
        monkeypatch.setattr(prefect_env, "_server", object())  # litradar started it
        assert on_a_temporary_server()
