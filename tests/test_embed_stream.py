"""Embedding as a stream (issue 10, item 2): committed a chunk at a time, a log line per
chunk with rate and time left, shown by the command line without a terminal."""

import logging
import shutil
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from litradar.cli import app
from litradar.embedding.encoders import HashingEncoder, embed_store
from litradar.storage.store import Store
from tests.conftest import make_paper


class CountingEncoder(HashingEncoder):
    """The hashing encoder, checking at each call what the store already holds."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store, self.seen = store, []

    def encode(self, texts, progress=None):
        self.seen.append(self.store.count_missing_embeddings(self.name))
        return super().encode(texts, progress)


def test_each_chunk_is_committed_before_the_next_is_encoded(tmp_path: Path, caplog):
    papers = [
        make_paper(f"Paper number {i} on probing", arxiv_id=f"2503.{i:05d}") for i in range(12)
    ]
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        store.upsert(papers)
        encoder = CountingEncoder(store)
        with caplog.at_level(logging.INFO, logger="litradar"):
            done = embed_store(store, encoder, chunk_size=5)
        assert done == 12 and encoder.seen == [12, 7, 2]  # 5 committed per chunk
        assert store.count_missing_embeddings("hashing") == 0
        assert embed_store(store, encoder, chunk_size=5) == 0  # nothing left to do
        stored = store.cached_embeddings("hashing", [p.text_sha for p in papers])
    assert np.allclose(stored[papers[3].text_sha], HashingEncoder().encode([papers[3].text])[0])
    lines = [r.getMessage() for r in caplog.records if r.name == "litradar.embed"]
    assert [line.split(" papers")[0] for line in lines] == [
        "embedded 5/12", "embedded 10/12", "embedded 12/12",
    ]  # fmt: skip
    assert all("papers/s" in line and "left" in line for line in lines)


def test_without_a_terminal_index_prints_a_line_per_chunk(indexed_project: Path, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(indexed_project, project)
    (project / "index" / "litradar.sqlite").unlink()
    for name in ("litradar.sqlite-wal", "litradar.sqlite-shm"):
        (project / "index" / name).unlink(missing_ok=True)
    config = ["--config", str(project / "litradar.toml")]
    data = project / "data"
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(data / "arxiv_seed.jsonl"), *config]).exit_code == 0
    result = runner.invoke(app, ["index", *config])
    assert result.exit_code == 0, result.output
    progress = [line for line in result.output.splitlines() if line.startswith("embedded ")]
    assert len(progress) == 2 and progress[-1].startswith("embedded 642/642 papers (100.0%)")
