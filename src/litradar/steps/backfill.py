"""Filling the store from arXiv's metadata snapshot (2.7M papers, about 4.5 GB of JSON lines).

The snapshot is streamed a line at a time, never loaded whole; the papers that pass the
filter (categories, first-version date) are stored a batch at a time, each batch one
transaction followed by a watermark of how far the file was read, so a re-run goes on
from there and a paper read twice is deduplicated by the store. Embedding, the slow part,
is spread over workers through the `submit` function the flow hands in
(`litradar.flows.backfill`: a Prefect task on Dask): workers only encode texts they are
handed and hand vectors back; only this process writes to SQLite, which has one writer.

`backfill` is the whole step: store the snapshot behind its watermark, embed what has no
vector with a few chunks per worker in flight, bring the index up to date, and return a
`BackfillReport`. It stops between batches and chunks when `stop` is set (the flow's
Ctrl-C): what was committed stays, the chunks in flight are dropped.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

import numpy as np

from litradar.config import Config
from litradar.core.atomic_files import faultpoint
from litradar.core.errors import LitradarError
from litradar.core.paper import Paper
from litradar.embedding.encoders import ChunkLog, ExportedEncoder, format_duration
from litradar.sources.arxiv_jsonl import parse_line
from litradar.steps import pipeline
from litradar.steps.configured_inputs import default_encoder
from litradar.storage.store import Store

log = logging.getLogger("litradar.backfill")


@dataclass(frozen=True)
class SnapshotFilter:
    """Keep a paper listed in any of `categories` (all when empty), first announced on or
    after `since` (any date when None)."""

    categories: frozenset[str] = frozenset()
    since: date | None = None

    def keeps(self, paper: Paper) -> bool:
        if self.categories and not self.categories.intersection(paper.categories):
            return False
        return self.since is None or paper.first_version_date >= self.since


@dataclass
class SnapshotBatch:
    papers: list[Paper]
    end: int  # byte offset just after the batch's last line
    lines: int  # lines read in this batch
    problems: list[str] = field(default_factory=list)


def watermark_key(path: Path, keep: SnapshotFilter) -> str:
    """One mark per snapshot file (its absolute path and size: a newer snapshot starts over)
    and filter: a run with other categories or another --since reads the file again (the
    papers it stored already are unchanged), instead of resuming at the end of a pass that
    kept none of them."""
    since = keep.since.isoformat() if keep.since else "any"
    wanted = ",".join(sorted(keep.categories)) or "all"
    return f"backfill:{path.resolve()}:{path.stat().st_size}:{wanted}:{since}"


def read_snapshot(
    path: Path, start: int, keep: SnapshotFilter, batch_size: int = 5000
) -> Iterator[SnapshotBatch]:
    """Batches of kept papers from byte offset `start` (0, or where a previous run stopped).
    A bad line is a problem (with its byte offset), not a stop."""
    batch = SnapshotBatch([], start, 0)
    with path.open("rb") as handle:
        handle.seek(start)
        offset = start
        for raw in handle:
            line_at = offset
            offset += len(raw)
            batch.lines += 1
            batch.end = offset
            if raw.strip():
                try:
                    paper = parse_line(raw, path.name)
                except ValueError as exc:
                    batch.problems.append(f"{path.name} at byte {line_at}: {exc}")
                else:
                    if keep.keeps(paper):
                        batch.papers.append(paper)
            if len(batch.papers) >= batch_size:
                yield batch
                batch = SnapshotBatch([], offset, 0)
    if batch.lines:
        yield batch


# On a Dask worker: one encoder per process, loaded by the first chunk it is given.
_ENCODERS: dict[tuple[str, int, str], object] = {}


def encode_on_worker(
    model: str,
    batch_size: int,
    threads: int | None,
    texts: Sequence[str],
    backend: str = "torch",
    data_dir: str | None = None,
) -> np.ndarray:
    """Vectors for `texts` with this process's copy of the model; `threads` caps torch's
    (or onnxruntime's) threads so that several workers on one machine do not oversubscribe
    its cores. The ONNX backends read the export the flow made in `data_dir` (on a remote
    cluster, a folder the workers see at the same path)."""
    from litradar.embedding.encoders import encoder_for

    key = (model, batch_size, backend)
    if key not in _ENCODERS:
        if threads:
            os.environ["OMP_NUM_THREADS"] = str(threads)
            if model != "hashing" and backend == "torch":
                import torch

                torch.set_num_threads(threads)
        _ENCODERS[key] = encoder_for(
            model,
            batch_size=batch_size,
            backend=backend,
            data_dir=Path(data_dir) if data_dir else None,
            threads=threads,
        )
    return _ENCODERS[key].encode(list(texts))  # type: ignore[attr-defined]


SCHEDULER_TIMEOUT_SECONDS = 5.0


def check_scheduler(address: str, timeout: float = SCHEDULER_TIMEOUT_SECONDS) -> None:
    """Connect to the Dask scheduler at `address` before anything starts: a wrong address
    is one line and exit 1 at once, not a flow that waits 30 s and ends in a traceback (or,
    with nothing left to embed, never notices and exits 0)."""
    import logging

    from distributed import Client
    from distributed.comm.addressing import parse_address, parse_host_port

    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # its own retry lines would precede our one line
    try:
        # A malformed address first: a Client that fails on one is left half-made, and its
        # clean-up printed a traceback 10 s after our one line.
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
        def ask() -> None:
            with Client(address, timeout=timeout, set_as_default=False) as client:
                client.scheduler_info()

        _within(timeout + 5, ask)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        why = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise LitradarError(
            f"no Dask scheduler answers at {address} ({why}); start one with "
            "'dask scheduler', or leave out --address for a local cluster"
        ) from None
    finally:
        quiet.setLevel(level)


def _within(seconds: float, action: Callable[[], None]) -> None:
    """`action()` on a daemon thread, given up after `seconds`: a port that accepts the
    connection but is no Dask scheduler (its dashboard, a web server) never answers the
    handshake, and Client's own timeout does not cover that wait."""
    done = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, daemon=True, name="litradar-scheduler-check").start()
    if not done.wait(seconds):
        raise TimeoutError(f"no answer in {seconds:.0f} s: is it a Dask scheduler's port?")
    if failure:
        raise failure[0]


@dataclass
class BackfillReport:
    lines: int = 0  # snapshot lines read in this run
    kept: int = 0  # of them, papers that passed the filter and were stored
    problems: int = 0  # bad lines, skipped
    embedded: int = 0
    indexed: int = 0  # papers in the index
    index: str = "not updated"  # what was done to it
    interrupted: bool = False


class StopFlag:
    """Set by the flow's first Ctrl-C; the loops below look at it. A plain flag, not a
    threading.Event: its lock cannot be pickled, and Dask pickles the flow's task."""

    def __init__(self) -> None:
        self.stopping = False

    def set(self) -> None:
        self.stopping = True

    def clear(self) -> None:
        self.stopping = False

    def is_set(self) -> bool:
        return self.stopping


class Chunk(Protocol):
    """A chunk of texts being embedded elsewhere: its vectors, once `done()`."""

    def done(self) -> bool: ...

    def result(self) -> tuple[list[str], np.ndarray]: ...


# submit(model, batch_size, shas, texts, backend, data_dir): start embedding a chunk.
Submit = Callable[[str, int, list[str], list[str], str, str], Chunk]

MAX_IN_FLIGHT = 8  # chunks submitted and not yet written
POLL_SECONDS = 0.2  # how often a wait for a chunk looks whether Ctrl-C was pressed


def store_snapshot(
    config: Config, snapshot: Path, keep: SnapshotFilter, stop: StopFlag
) -> BackfillReport:
    """Stream `snapshot` into the store a batch at a time, each behind the watermark."""
    size = snapshot.stat().st_size
    key = watermark_key(snapshot, keep)
    report = BackfillReport()
    started = time.monotonic()
    with Store.open(config.store_path, create=True) as store:  # backfill adds papers
        start = int(store.watermark(key) or 0)
        if start:
            log.info(f"resuming {snapshot.name} at byte {start:,} of {size:,}")
        for batch in read_snapshot(snapshot, start, keep):
            if stop.is_set():
                break
            result = store.upsert(batch.papers)
            faultpoint("backfill.batch-stored")
            store.set_watermark(key, str(batch.end))  # after the papers are committed
            report.lines += batch.lines
            report.kept += len(batch.papers)
            report.problems += len(batch.problems)
            # Bad lines, and papers stored with a field cut (as `ingest` says them): a few
            # per batch, then how many more. A broken snapshot of millions of lines must
            # not flood the log, nor hide that there were more.
            cut = [note for p in batch.papers if (note := p.cut_note())]
            for what, said in (("bad line(s)", batch.problems), ("paper(s) cut", cut)):
                for line in said[:3]:
                    log.warning(line)
                if len(said) > 3:
                    log.warning(f"... and {len(said) - 3} more {what} in this batch")
            rate = (batch.end - start) / max(time.monotonic() - started, 1e-9)
            left = format_duration((size - batch.end) / max(rate, 1))
            log.info(
                f"read {batch.end / 1e6:,.0f} of {size / 1e6:,.0f} MB "
                f"({100 * batch.end / max(size, 1):.1f}%): {report.kept:,} kept of "
                f"{report.lines:,} lines (+{result.added} new), about {left} left"
            )
    return report


def embed_missing(config: Config, submit: Submit, stop: StopFlag) -> int:
    """Submit every stored paper without a vector, a chunk per call of `submit`; write
    results in order as they come back, keeping a few chunks per worker in flight."""
    model, batch_size, backend = config.embedding.model, config.embedding.batch_size, "torch"
    space, data_dir = model, str(config.data_dir)
    in_flight: deque[Chunk] = deque()
    done = 0
    with Store.open(config.store_path) as store:
        encoder = default_encoder(config)
        if isinstance(encoder, ExportedEncoder):
            space, backend = encoder.name, encoder.backend
        total = store.count_missing_embeddings(space)
        if total == 0:
            return 0
        if isinstance(encoder, ExportedEncoder):  # once, here: the workers only load it
            encoder.ensure_export([p.text for p in store.by_store_ids(range(1, 17)).values()])
        log.info(f"embedding {total:,} papers")
        progress = ChunkLog(total)

        def write_oldest() -> int:
            oldest = in_flight[0]
            while not stop.is_set() and not oldest.done():
                time.sleep(POLL_SECONDS)
            if stop.is_set():
                return 0
            shas, vectors = in_flight.popleft().result()
            store.put_embeddings(space, dict(zip(shas, vectors, strict=True)))
            faultpoint("backfill.chunk-written")
            progress.advance(len(shas))
            return len(shas)

        after = 0
        while not stop.is_set():
            papers = store.papers_missing_embeddings(space, after, config.embedding.chunk_size)
            if not papers:
                break
            after = papers[-1].store_id or after
            texts = {p.text_sha: p.text for p in papers}
            in_flight.append(
                submit(model, batch_size, list(texts), list(texts.values()), backend, data_dir)
            )
            if len(in_flight) >= MAX_IN_FLIGHT:
                done += write_oldest()
        while in_flight and not stop.is_set():
            done += write_oldest()
    return done


def backfill(
    config: Config, snapshot: Path, keep: SnapshotFilter, submit: Submit, stop: StopFlag
) -> BackfillReport:
    """Store the snapshot, embed what has no vector through `submit`, grow the index."""
    report = store_snapshot(config, snapshot, keep, stop)
    report.embedded = embed_missing(config, submit, stop)
    if stop.is_set():  # the index is brought up to date by the run that finishes
        report.interrupted = True
        return report
    with Store.open(config.store_path) as store:
        empty = store.count() == 0
    if empty:  # nothing passed the filter, and nothing was there before
        report.embedded, report.index = 0, "not built (no papers)"
        return report
    index = pipeline.update_index(config)
    report.indexed, report.index = index.papers, index.action
    return report
