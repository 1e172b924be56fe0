"""Backfill from a metadata snapshot (issue 10, item 4): streamed from any byte offset,
filtered, stored behind a watermark, embedded on a real local Dask cluster through
Prefect's Dask task runner, indexed; a re-run reads nothing and changes nothing."""

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.core.paper import Paper
from litradar.sources.arxiv_jsonl import read_jsonl
from litradar.steps.backfill import SnapshotFilter, read_snapshot
from litradar.storage.paper_index import PaperIndex
from tests.conftest import DEMO, in_prefect_group, write_config

WEEK = DEMO / "weeks" / "2025-03-10.jsonl"


def expected(keep: SnapshotFilter) -> set[str]:
    return {p.arxiv_id for p in read_jsonl(WEEK) if isinstance(p, Paper) and keep.keeps(p)}


def test_reading_resumes_at_a_byte_offset_and_reports_bad_lines(tmp_path: Path):
    lines = WEEK.read_bytes().splitlines(keepends=True)[:50]
    snapshot = tmp_path / "snapshot.jsonl"
    snapshot.write_bytes(b"".join(lines[:20]) + b"{broken\n" + b"".join(lines[20:]))
    keep = SnapshotFilter(frozenset({"cs.CL"}))
    batches = list(read_snapshot(snapshot, 0, keep, batch_size=7))
    assert [b.end for b in batches][-1] == snapshot.stat().st_size
    assert sum(b.lines for b in batches) == 51
    problems = [p for b in batches for p in b.problems]
    assert len(problems) == 1 and f"at byte {len(b''.join(lines[:20]))}" in problems[0]
    kept = [p.arxiv_id for b in batches for p in b.papers]
    resumed = [p.arxiv_id for b in read_snapshot(snapshot, batches[1].end, keep) for p in b.papers]
    assert kept[len(kept) - len(resumed) :] == resumed and len(resumed) < len(kept)
    wanted = {json.loads(line)["id"] for line in lines if "cs.CL" in json.loads(line)["categories"]}
    assert set(kept) == wanted


def test_a_hostile_line_is_a_problem_not_a_traceback(tmp_path: Path):
    """The snapshot's lines are read as `litradar ingest` reads them (one line parser): too
    deeply nested JSON, bytes that are not UTF-8, a field of the wrong type."""
    good = WEEK.read_bytes().splitlines(keepends=True)[:3]
    hostile = [b"[" * 200_000 + b"\n", b'{"id": "2503.00001", "title": "\xff"}\n',
               b'{"id": "2503.00002", "title": ["a"], "abstract": "x"}\n']  # fmt: skip
    snapshot = tmp_path / "snapshot.jsonl"
    snapshot.write_bytes(b"".join([good[0], *hostile, *good[1:]]))
    batches = list(read_snapshot(snapshot, 0, SnapshotFilter(frozenset())))
    problems = [p for b in batches for p in b.problems]
    assert len(problems) == 3 and "nested too deeply" in problems[0]
    assert sum(len(b.papers) for b in batches) == 3


def test_a_port_that_is_no_scheduler_is_one_line_not_a_hang(tmp_path: Path):
    """A web server (a scheduler's dashboard, given by mistake) accepts the connection and
    never answers Dask's handshake: the check gives up after its own deadline."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    (tmp_path / "data").mkdir()
    config = write_config(tmp_path)
    address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    try:
        result = CliRunner().invoke(app, ["backfill", str(WEEK), "--address", address,
                                          "--config", str(config)])  # fmt: skip
    finally:
        listener.close()
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"error: no Dask scheduler answers at {address}")
    assert result.output.count("\n") == 1
    assert not (tmp_path / "index" / "litradar.sqlite").exists()


def test_categories_that_name_nothing_are_refused(tmp_path: Path):
    (tmp_path / "data").mkdir()
    config = write_config(tmp_path)
    for odd in (",", " , "):
        result = CliRunner().invoke(app, ["backfill", str(WEEK), "--categories", odd,
                                          "--config", str(config)])  # fmt: skip
        assert result.exit_code == 1 and "names no category" in result.output, result.output
    assert not (tmp_path / "index" / "litradar.sqlite").exists()


def test_the_watermark_is_per_filter_so_another_filter_reads_the_file_again(tmp_path: Path):
    from litradar.steps.backfill import watermark_key

    ir, cv = SnapshotFilter(frozenset({"cs.IR"})), SnapshotFilter(frozenset({"cs.CV"}))
    later = SnapshotFilter(frozenset({"cs.IR"}), date(2025, 3, 12))
    keys = {watermark_key(WEEK, k) for k in (ir, cv, later, SnapshotFilter())}
    assert len(keys) == 4
    assert watermark_key(WEEK, ir) == watermark_key(WEEK, SnapshotFilter(frozenset({"cs.IR"})))


@pytest.mark.slow
@in_prefect_group
def test_backfill_on_a_local_dask_cluster_stores_embeds_indexes_once(
    tmp_path: Path, tmp_path_factory, monkeypatch
):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path_factory.getbasetemp() / "prefect-home"))
    (tmp_path / "data").mkdir()
    config = write_config(tmp_path)
    args = [
        "backfill", str(WEEK), "--categories", "cs.CL,cs.IR", "--since", "2025-03-12",
        "--workers", "2", "--config", str(config),
    ]  # fmt: skip
    keep = SnapshotFilter(frozenset({"cs.CL", "cs.IR"}), date(2025, 3, 12))
    wanted = expected(keep)

    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert f"{len(wanted)} papers kept of 1197 lines read" in first.output
    assert f"{len(wanted)} embedded; index built: {len(wanted)} papers" in first.output
    store = tmp_path / "index" / "litradar.sqlite"
    with sqlite3.connect(store) as db:
        stored = {r[0] for r in db.execute("SELECT arxiv_id FROM papers")}
        vectors = db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    assert stored == wanted and vectors == len(wanted)
    assert PaperIndex.load(tmp_path / "index", "hashing").size == len(wanted)

    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "0 papers kept of 0 lines read" in again.output and "0 embedded" in again.output
    assert "index up to date" in again.output


@pytest.mark.slow
@in_prefect_group
def test_backfill_runs_on_an_existing_dask_scheduler(tmp_path: Path, tmp_path_factory, monkeypatch):
    from distributed import LocalCluster

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path_factory.getbasetemp() / "prefect-home"))
    (tmp_path / "data").mkdir()
    config = write_config(tmp_path)
    wanted = expected(SnapshotFilter(frozenset({"cs.IR"})))
    with LocalCluster(
        n_workers=1, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        result = CliRunner().invoke(
            app,
            ["backfill", str(WEEK), "--categories", "cs.IR", "--address",
             cluster.scheduler_address, "--config", str(config)],
        )  # fmt: skip
        ran_there = list(cluster.scheduler.task_prefixes)
    assert result.exit_code == 0, result.output
    assert f"{len(wanted)} embedded; index built: {len(wanted)} papers" in result.output
    assert any("embed_chunk" in name for name in ran_there), ran_there


def test_a_scheduler_that_does_not_answer_is_one_line_before_anything_runs(tmp_path: Path):
    """G8: checked first, so a wrong --address is one line and exit 1 (not 30 s and a
    traceback; nor, with nothing left to embed, exit 0); nothing is stored."""
    (tmp_path / "data").mkdir()
    config = write_config(tmp_path)
    args = ["backfill", str(WEEK), "--categories", "cs.IR", "--config", str(config)]
    for address in ("tcp://127.0.0.1:1", "not-an-address"):
        result = CliRunner().invoke(app, [*args, "--address", address])
        assert result.exit_code == 1, result.output
        assert result.output.startswith(f"error: no Dask scheduler answers at {address}")
        assert result.output.count("\n") == 1 and "Traceback" not in result.output
    both = CliRunner().invoke(app, [*args, "--address", "tcp://127.0.0.1:1", "--workers", "3"])
    assert both.exit_code == 1  # --workers would be ignored on the scheduler's cluster
    assert both.output == "error: give --workers (a local cluster) or --address, not both\n"
    assert not (tmp_path / "index" / "litradar.sqlite").exists()
    # As a user runs it: a Dask Client half-made by the malformed address printed its own
    # traceback ("Exception ignored in: Client.__del__") 10 s after the one line.
    done = subprocess.run(
        [sys.executable, "-m", "litradar.cli", *args, "--address", "not-an-address"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: no Dask scheduler answers at not-an-address")
    assert done.stderr.count("\n") == 1, done.stderr


@pytest.mark.slow
def test_ctrl_c_stops_the_backfill_keeps_what_was_committed_and_the_next_run_resumes(
    tmp_path: Path, tmp_path_factory, prefect_api: str
):
    """Ctrl-C in a terminal signals litradar's whole process group (its Dask workers too).
    The temporary Prefect server used to be in that group: it died first, and the
    interrupted flow retried its "Crashed" state against it for minutes."""
    (tmp_path / "data").mkdir()
    config = write_config(tmp_path)
    snapshot = tmp_path / "snapshot.jsonl"
    snapshot.write_bytes((DEMO / "arxiv_seed.jsonl").read_bytes() + WEEK.read_bytes())
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path_factory.getbasetemp() / "prefect-home"),
        "LITRADAR_EMBEDDING__CHUNK_SIZE": "1",  # a task per paper: long enough to interrupt
    }
    env.pop("PREFECT_API_URL", None)
    args = ["backfill", str(snapshot), "--workers", "1", "--config", str(config)]
    process = subprocess.Popen(
        [sys.executable, "-m", "litradar.cli", *args], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    seen = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line)
            if "papers/s" in line:  # a chunk is committed: embedding is under way
                break
        os.killpg(process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        rest, _ = process.communicate(timeout=90)  # it hung until SIGKILL before
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    output = "".join(seen) + rest
    assert process.returncode == 130, output
    assert "interrupted" in output and "backfill done" not in output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output  # none of a worker
    assert f"new store at {tmp_path / 'index' / 'litradar.sqlite'}" in output

    store = tmp_path / "index" / "litradar.sqlite"
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        papers = db.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
        vectors = db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    assert 0 < vectors < papers  # what was committed is kept; the rest is still to do

    resume = {"LITRADAR_EMBEDDING__CHUNK_SIZE": "64", "PREFECT_API_URL": prefect_api}
    again = subprocess.run(
        [sys.executable, "-m", "litradar.cli", *args], env=env | resume,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 papers kept of 0 lines read" in again.stdout  # the snapshot was read whole
    assert "new store" not in again.stdout
    assert f"{papers - vectors} embedded; index built: {papers} papers" in again.stdout
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == papers
        assert db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == papers
    assert PaperIndex.load(tmp_path / "index", "hashing").size == papers


def test_storing_says_a_few_bad_lines_and_cut_papers_per_batch_and_how_many_more(
    tmp_path: Path, caplog
):
    """Three bad lines of seven were named, and a title cut to its cap not at all."""
    from litradar.config import load_config
    from litradar.steps.backfill import StopFlag, store_snapshot

    (tmp_path / "data").mkdir()
    config = load_config(write_config(tmp_path), environ={})
    lines = WEEK.read_text().splitlines()[:20]
    long_title = json.loads(lines[0]) | {"id": "2503.99999", "title": "T" * 5000}
    snapshot = tmp_path / "snapshot.jsonl"
    snapshot.write_text("\n".join([*lines, *["{broken"] * 7, json.dumps(long_title)]) + "\n")
    with caplog.at_level(logging.WARNING, logger="litradar.backfill"):
        report = store_snapshot(config, snapshot, SnapshotFilter(), StopFlag())
    said = [r.getMessage() for r in caplog.records]
    assert report.problems == 7 and report.kept == 21
    assert sum("at byte" in line for line in said) == 3
    assert "... and 4 more bad line(s) in this batch" in said
    assert any("title cut to 2,000 characters" in line for line in said)
