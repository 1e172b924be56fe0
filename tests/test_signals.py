"""Signals are a table: one more row in `relevance.SIGNALS` reaches scoring, the digest's
markdown and JSON and the web page's reasons, with nothing else to change."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from litradar.config import load_config
from litradar.digests.generations import load
from litradar.ranking import relevance
from litradar.ranking.relevance import RelevanceModel, Signal
from litradar.steps import pipeline
from litradar.web.review import load_queue

LABEL = "abstract length in words"


def _abstract_words(model: RelevanceModel, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    return np.array([float(len(t.split())) for t in texts])


@pytest.fixture
def four_signals(monkeypatch: pytest.MonkeyPatch) -> tuple[Signal, ...]:
    """What editing the table does: every module that reads SIGNALS sees the new row.

    Scoring and the digest's markdown read the table from `relevance` when they run (so that
    a digest reader does not import scikit-learn); a module holding its own reference is
    patched too, so the test measures the table, not how it is imported."""
    table = (*relevance.SIGNALS, Signal("words", LABEL, False, _abstract_words))
    readers = [m for m in list(sys.modules.values()) if getattr(m, "SIGNALS", None) is relevance.SIGNALS]
    assert relevance in readers
    for module in readers:
        monkeypatch.setattr(module, "SIGNALS", table)
    return table


def test_a_fourth_signal_reaches_the_digest_and_the_review_page(
    four_signals: tuple[Signal, ...], trained_project: Path, tmp_path: Path
):
    project = tmp_path / "project"  # the shared project stays as it was
    shutil.copytree(trained_project, project)
    config = load_config(project / "litradar.toml", environ={})
    config.paths.digests_dir = tmp_path / "digests"
    report = pipeline.make_digest(config, date(2025, 3, 10), date(2025, 3, 17))
    assert report.papers > 0 and report.proposed > 0
    digest = load(config.digests_dir, report.name)
    papers = digest.document["papers"]
    assert all(list(p["signals"]) == [s.name for s in four_signals] for p in papers)
    assert all(p["signals"]["words"] >= 1 for p in papers)
    proposed = [p for p in papers if p["proposed"]]
    lines = [line for line in digest.markdown.splitlines() if "weaker half:" in line]
    assert len(lines) >= len(proposed)
    for paper in proposed:
        shown = f"{LABEL} {paper['signals']['words']:.2f}"
        assert any(shown in line for line in lines), shown
    # The explanation still names the weaker of the two halves, not the new signal.
    assert all(LABEL not in line.split("weaker half:")[1] for line in lines)
    queue = load_queue(config, load(config.digests_dir, report.name))
    assert queue.items and all(any(LABEL in r for r in item.reasons) for item in queue.items)
