"""Embedding survives a kill (issue 13, item 7; issue 10, item 2): `litradar index` is
SIGKILLed mid-way in a real subprocess; every chunk it committed is kept, at most the chunk
in flight is lost, and the re-run embeds only the rest and ends with index == store."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from litradar.config import load_config
from litradar.embedding.encoders import vector_space
from litradar.storage.paper_index import PaperIndex
from tests.conftest import DEMO, write_config
from tests.test_query_encoder import first_lines

pytestmark = pytest.mark.slow
CHUNK = 16


def embedded(store: Path) -> int:
    if not store.exists():
        return 0
    with sqlite3.connect(store, timeout=30) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        except sqlite3.OperationalError:  # the table is not created yet
            return 0


def index_cmd(project: Path) -> list[str]:
    litradar = str(Path(sys.executable).with_name("litradar"))
    return [litradar, "index", "--config", str(project / "litradar.toml")]


def test_a_killed_index_run_loses_at_most_one_chunk_and_the_rerun_finishes(tmp_path: Path):
    week = first_lines(DEMO / "weeks" / "2025-03-10.jsonl", tmp_path / "week.jsonl", 120)
    (tmp_path / "data").mkdir()
    config = write_config(tmp_path, model="all-MiniLM-L6-v2")
    text = config.read_text()
    config.write_text(text.replace("[embedding]\n", f"[embedding]\nchunk_size = {CHUNK}\n"))
    litradar = str(Path(sys.executable).with_name("litradar"))
    subprocess.run([litradar, "ingest", str(week), "--config", str(config)], check=True)
    store = load_config(config).store_path

    process = subprocess.Popen(index_cmd(tmp_path), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while embedded(store) < 2 * CHUNK and time.monotonic() < deadline:
        time.sleep(0.05)
    seen = embedded(store)
    os.kill(process.pid, signal.SIGKILL)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL and seen >= 2 * CHUNK
    kept = embedded(store)
    logged = [int(n.replace(",", "")) for n in re.findall(r"embedded ([\d,]+)/", stderr)]
    # Everything committed before the kill is there; at most one chunk more was committed
    # between the last look and the kill; what was reported done was kept.
    assert seen <= kept <= seen + CHUNK and kept >= max(logged, default=0)
    assert kept < 120, "the run finished before the kill: nothing was tested"

    rerun = subprocess.run(index_cmd(tmp_path), capture_output=True, text=True, check=True)
    assert f"{120 - kept} embedded now" in rerun.stdout, rerun.stdout
    with sqlite3.connect(store) as db:
        papers = db.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
    # The vectors of the default backend, under the name of their space.
    backend = load_config(config).embedding.backend
    index = PaperIndex.load(store.parent, vector_space("all-MiniLM-L6-v2", backend))
    assert papers == 120 == embedded(store) == index.size
