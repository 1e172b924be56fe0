"""The replay of judged weeks: the maintainer's decisions go in through the labelling path
into a copy of the store, and the next week learns from them."""

import json
import shutil
from pathlib import Path

import pytest

from litradar.config import load_config
from litradar.core.errors import LitradarError
from litradar.steps.ingest import ingest_files
from litradar.steps.replay import replay
from litradar.storage.store import Store
from tests.conftest import DEMO, write_config


def _judged(folder: Path, weeks: dict[str, dict[str, int]]) -> Path:
    (folder / "weeks").mkdir(parents=True)
    for name, ids in weeks.items():
        lines = [
            json.dumps({"id": i, "judgement": j, "section": "Sparse Autoencoder" if j else None})
            for i, j in ids.items()
        ]
        (folder / "weeks" / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def _small_project(folder: Path) -> Path:
    """The demo's seed and the first 150 papers of each week: three trainings stay quick."""
    shutil.copytree(DEMO, folder / "data")
    for week in (folder / "data" / "weeks").glob("*.jsonl"):
        lines = week.read_text(encoding="utf-8").splitlines()
        keep = {"2502.14888", "2502.17422", "2503.07050"}
        chosen = lines[:150] + [line for line in lines[150:] if json.loads(line)["id"] in keep]
        week.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    write_config(folder)
    config = load_config(folder / "litradar.toml", environ={})
    ingest_files(config, [folder / "data" / "arxiv_seed.jsonl"])
    return folder


def test_each_week_learns_from_the_decisions_on_the_weeks_before_it(tmp_path: Path):
    project = _small_project(tmp_path / "project")
    config = load_config(project / "litradar.toml", environ={"LITRADAR_DIGEST__MIN_SCORE": "0"})
    weeks_dir = project / "data" / "weeks"
    judged = _judged(
        tmp_path / "judged",
        {"2025-02-24": {"2502.14888": 2, "2502.17422": 2}, "2025-03-10": {"2503.07050": 2}},
    )
    with Store.open(config.store_path) as store:
        papers_before, labels_before = len(store.papers()), store.labels()
    # Given out of order: the replay goes by date.
    result = replay(
        config, [weeks_dir / "2025-03-10.jsonl", weeks_dir / "2025-02-24.jsonl"], judged
    )
    first, second = (result["weeks"][w] for w in ("2025-02-24", "2025-03-10"))
    assert list(result["weeks"]) == ["2025-02-24", "2025-03-10"]
    # Nothing decided yet: the first week is the same with and without decisions.
    assert first["with_decisions"] == first["without"]
    assert first["with_decisions"]["decided_before"] == 0
    assert first["with_decisions"]["proposed"] == config.digest.size
    # Every proposal of the first week was decided (accepted or rejected) before the second.
    assert second["with_decisions"]["decided_before"] == config.digest.size
    assert second["without"]["decided_before"] == 0
    accepted = first["with_decisions"]["accepted"]
    assert accepted + first["with_decisions"]["rejected"] == config.digest.size
    # The user's store saw none of it.
    with Store.open(config.store_path) as store:
        assert len(store.papers()) == papers_before and store.labels() == labels_before


def test_the_replay_needs_two_judged_weeks(project: Path, tmp_path: Path):
    config = load_config(project / "litradar.toml", environ={})
    judged = _judged(tmp_path / "judged", {"2025-03-10": {"2503.07050": 2}})
    week = project / "data" / "weeks" / "2025-03-10.jsonl"
    with pytest.raises(LitradarError, match="at least two judged weeks"):
        replay(config, [week], judged)
