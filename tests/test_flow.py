"""The weekly Prefect flow, run for real on a temporary local Prefect server."""

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litradar.cli import app

pytestmark = pytest.mark.slow
runner = CliRunner()


def run(project: Path, *args: str):
    return runner.invoke(app, ["run", *args, "--config", str(project / "litradar.toml")])


@pytest.fixture(autouse=True)
def _prefect_home(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path_factory.getbasetemp() / "prefect-home"))
    monkeypatch.setenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


def test_weekly_flow_runs_every_step_and_a_rerun_does_nothing_new(project: Path):
    first = run(project, "--since", "2025-03-10", "--until", "2025-03-17")
    assert first.exit_code == 0, first.output
    assert "papers added" in first.output and "digest 2025-W11" in first.output
    digest = json.loads((project / "digests" / "2025-W11.json").read_text())
    assert digest["papers_read"] >= 1197 and digest["proposed"] == 10
    assert (project / "classifiers" / "metrics.json").is_file()
    with sqlite3.connect(project / "index" / "litradar.sqlite") as db:
        count = db.execute("SELECT COUNT(*) FROM papers").fetchone()[0]

    second = run(project, "--since", "2025-03-10", "--until", "2025-03-17")
    assert second.exit_code == 0, second.output
    assert "0 papers added, 0 embedded" in second.output
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
    assert (
        not (project / "index" / "litradar.sqlite").exists() or not (project / "digests").exists()
    )
