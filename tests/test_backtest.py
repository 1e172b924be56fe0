"""`litradar backtest` on git histories of the list that the test builds itself."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.config import load_config
from litradar.curation.awesome_list import entry_for_paper, parse_list
from litradar.curation.list_edit import insert_entry
from litradar.steps.backtest import backtest, lead_weeks, summary
from litradar.storage.store import Store
from tests.conftest import DEMO

runner = CliRunner()
LIST_TEXT = (DEMO / "awesome_list.md").read_text(encoding="utf-8")
# Real papers of the bundled week 2025-03-10, "added by the maintainer" in later commits.
LATER = {
    "2503.10602": ("Logit Lens", "2025-03-24"),
    "2503.06169": ("Causal Tracing", "2025-03-24"),
    "2503.06380": ("Representation", "2025-03-31"),
}


def commit(repo: Path, text: str, day: str) -> None:
    (repo / "README.md").write_text(text, encoding="utf-8")
    env = os.environ | {
        "GIT_AUTHOR_DATE": f"{day}T12:00:00+00:00",
        "GIT_COMMITTER_DATE": f"{day}T12:00:00+00:00",
    }
    for args in (["add", "README.md"], ["commit", "-qm", f"list on {day}"]):
        subprocess.run(
            ["git", "-c", "user.name=M", "-c", "user.email=m@example.org", *args],
            cwd=repo, env=env, check=True,
        )  # fmt: skip


@pytest.fixture
def history(tmp_path: Path, indexed_project: Path) -> Path:
    repo = tmp_path / "list"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "--initial-branch=main"], cwd=repo, check=True)
    config = load_config(indexed_project / "litradar.toml", environ={})
    text = LIST_TEXT
    commit(repo, text, "2025-03-03")
    with Store.open(config.store_path) as store:
        for day in ("2025-03-24", "2025-03-31"):
            for key, (section, when) in LATER.items():
                if when == day:
                    entry = entry_for_paper(store.get(key), parse_list(text).section_path(section))
                    text = insert_entry(text, entry)
            commit(repo, text, day)
    return repo


def test_later_additions_are_ranked_in_their_week_by_models_of_the_time(indexed_project, history):
    config = load_config(indexed_project / "litradar.toml", environ={})
    results = backtest(config, history, weeks=3)
    first = [r for r in results if r.point_day == date(2025, 3, 3)]
    weeks = [r.week for r in first]  # weeks without papers in the store are left out
    assert date(2025, 3, 10) in weeks
    assert all(date(2025, 3, 3) <= w < date(2025, 3, 24) and w.weekday() == 0 for w in weeks)
    [week] = [r for r in first if r.week == date(2025, 3, 10)]
    assert week.papers >= 1190 and week.trained_on == 24  # the list papers in the store
    assert sorted(t.key for t in week.targets) == sorted(LATER)
    for target in week.targets:
        assert 1 <= target.rank <= week.papers and 1 <= target.baseline_rank <= week.papers
        assert target.section == LATER[target.key][0]
        assert target.added_on == date.fromisoformat(LATER[target.key][1])
    truth = next(t for t in week.targets if t.key == "2503.06380")
    assert lead_weeks(truth, week.week) == 2.0  # digest of 03-17, added 03-31
    # The replay of 03-24 knows the two papers added then: it never counts them again.
    later = [t.key for r in results if r.point_day == date(2025, 3, 24) for t in r.targets]
    assert "2503.10602" not in later and "2503.06169" not in later
    total = summary(results)
    assert total["targets"] == 3
    assert 0.0 <= total["recall_at_10"] <= total["recall_at_25"] <= total["recall_at_50"] <= 1.0


def test_cli_writes_the_report_and_the_plot(indexed_project, history, tmp_path):
    out = tmp_path / "report"
    result = runner.invoke(
        app,
        ["backtest", "--list-repo", str(history), "--weeks", "2", "--out", str(out),
         "--config", str(indexed_project / "litradar.toml")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "backtest: 3 papers added later; recall@10" in result.output
    report = (out / "backtest.md").read_text()
    assert "![recall at k](backtest.png)" in report
    assert "| 2025-03-10 |" in report and "2503.10602: " in report
    assert (out / "backtest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_folder_without_history_is_one_line(indexed_project, tmp_path):
    args = ["--config", str(indexed_project / "litradar.toml")]
    plain = runner.invoke(app, ["backtest", "--list-repo", str(tmp_path), *args])
    assert plain.exit_code == 1 and "is not a git repository" in plain.output
    assert "Command '[" not in plain.output and "exit status" not in plain.output  # git's why
    repo = tmp_path / "one"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    commit(repo, LIST_TEXT, "2025-03-03")
    single = runner.invoke(app, ["backtest", "--list-repo", str(repo), *args])
    assert single.exit_code == 1 and "fewer than two versions" in single.output


def test_weeks_the_store_barely_holds_are_shown_but_not_scored(indexed_project, history, tmp_path):
    """A week of which only the target is in the store would rank it first, always."""
    config = load_config(indexed_project / "litradar.toml", environ={})
    results = backtest(config, history, weeks=3, min_papers=2000)  # 2025-03-10 has 1,201
    assert results and all(r.thin for r in results)
    total = summary(results)
    assert total["targets"] == 0 and total["unscored_targets"] == 3
    result = runner.invoke(
        app,
        ["backtest", "--list-repo", str(history), "--weeks", "3", "--min-papers", "2000",
         "--out", str(tmp_path / "out"), "--config", str(indexed_project / "litradar.toml")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "not scored: 3 paper(s) added later" in result.output
    report = (tmp_path / "out" / "backtest.md").read_text()
    row = next(line for line in report.splitlines() if "| 2025-03-10 |" in line)
    assert "not scored: too few papers" in row and "2503.10602" in row
    header = next(line for line in report.splitlines() if line.startswith("| commit |"))
    assert row.count("|") == header.count("|")  # the table stays a table
