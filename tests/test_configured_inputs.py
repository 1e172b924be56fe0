"""What training reads from a store larger than it needs (`[ranking] max_unlabelled`):
every labelled paper, a fixed sample of the others; and every stored paper still scored."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from litradar.cli import app
from litradar.config import load_config
from litradar.core.progress import SilentReporter
from litradar.steps.configured_inputs import learned_from, load_labels
from litradar.storage.store import Store

runner = CliRunner()


def test_a_large_store_trains_on_its_labelled_papers_and_a_fixed_sample(
    trained_project: Path, tmp_path: Path, monkeypatch
):
    project = tmp_path / "p"
    shutil.copytree(trained_project, project)
    config = load_config(project / "litradar.toml", environ={})
    labels, _ = load_labels(config, SilentReporter())
    with Store.open(config.store_path) as store:
        everything = store.papers()
        reporter = SilentReporter()
        assert learned_from(store, labels, 50_000, reporter) == everything and not reporter.warnings
        first = learned_from(store, labels, 1_000, reporter)
        again = learned_from(store, labels, 1_000, SilentReporter())
    unlabelled = [p for p in everything if p.key not in labels.relevant | labels.on_list]
    assert len(unlabelled) > 1_000  # the store is larger than the cap
    assert [p.key for p in first] == [p.key for p in again]  # the same sample each time
    kept = {p.key for p in first}
    assert labels.on_list & {p.key for p in everything} <= kept  # every labelled paper
    assert len([p for p in first if p.key not in labels.relevant | labels.on_list]) == 1_000
    assert first == sorted(first, key=lambda p: (p.first_version_date, p.store_id))
    assert "training reads 1,000 of the store's" in reporter.warnings[0]

    from litradar.steps import pipeline

    monkeypatch.setattr(pipeline, "SCORE_CHUNK", 300)  # the rest scored in several chunks
    args = ["train", "--force", "--config", str(project / "litradar.toml")]
    trained = runner.invoke(app, args, env={"LITRADAR_RANKING__MAX_UNLABELLED": "1000"})
    assert trained.exit_code == 0, trained.output
    assert "training reads 1,000 of the store's" in " ".join(trained.output.split())
    metrics = json.loads((project / "classifiers" / "metrics.json").read_text())
    assert metrics["relevance"]["positives"] + metrics["relevance"]["negatives"] < len(everything)
    with sqlite3.connect(config.store_path) as db:  # find's prior: every stored paper scored
        scored = db.execute("SELECT COUNT(*) FROM paper_scores").fetchone()[0]
    assert scored == len(everything)
