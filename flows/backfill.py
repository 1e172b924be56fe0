"""The backfill flow: arXiv's metadata snapshot -> store -> embeddings on Dask -> index.

1. Stream the snapshot, keep the configured categories and dates, store a batch at a
   time behind a watermark (the flow's process: SQLite has one writer).
2. Embed every stored paper that has no vector yet, in chunks submitted as Prefect tasks
   to Dask workers (a local cluster by default, an existing scheduler with `address`).
   Workers encode and return vectors; the flow writes each chunk as it comes back, so a
   kill loses only chunks in flight and a re-run embeds only what is still missing.
3. Bring the FAISS index up to date (grown, or built when it must be).

Progress, one line per batch and per chunk with rate and time left, goes to the flow
run's log (the Prefect UI) and the console.

Ctrl-C stops it between batches and chunks: what was committed stays (the watermark and
every written chunk), the chunks in flight are dropped, the flow returns `interrupted`,
and the same command resumes. A KeyboardInterrupt raised mid-flow instead landed
anywhere, inside Prefect's or pydantic's code, and came out as a traceback or a hang; a
second Ctrl-C still interrupts at once.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections import deque
from datetime import date
from pathlib import Path

import numpy as np

from litradar.core.prefect_env import configure_prefect

configure_prefect()

from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NONE  # noqa: E402

from litradar.config import load_config  # noqa: E402
from litradar.core.atomic_files import faultpoint  # noqa: E402
from litradar.embedding.encoders import ChunkLog, ExportedEncoder, format_duration  # noqa: E402
from litradar.steps import pipeline  # noqa: E402
from litradar.steps.backfill import (  # noqa: E402
    SnapshotFilter,
    encode_on_worker,
    read_snapshot,
    watermark_key,
)
from litradar.steps.configured_inputs import default_encoder  # noqa: E402
from litradar.storage.store import Store  # noqa: E402

log = logging.getLogger("litradar.backfill")


class _StopFlag:
    """Set by the first Ctrl-C; the loops below look at it. A plain flag, not a
    threading.Event: its lock cannot be pickled, and Dask pickles this module's task."""

    def __init__(self) -> None:
        self.stopping = False

    def set(self) -> None:
        self.stopping = True

    def clear(self) -> None:
        self.stopping = False

    def is_set(self) -> bool:
        return self.stopping


_stop = _StopFlag()
_POLL_SECONDS = 0.2  # how often a wait for a chunk looks whether Ctrl-C was pressed


def _request_stop(signum: int, frame: object) -> None:
    _stop.set()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C: at once
    log.warning("stopping: Ctrl-C (what is committed is kept; run it again to resume)")


@task(cache_policy=NONE, retries=2, retry_delay_seconds=5, persist_result=False)
def embed_chunk(
    model: str,
    batch_size: int,
    threads: int | None,
    shas: list[str],
    texts: list[str],
    backend: str = "torch",
    data_dir: str | None = None,
) -> tuple[list[str], np.ndarray]:
    """On a Dask worker: encode, hand the vectors back; never touches the store."""
    return shas, encode_on_worker(model, batch_size, threads, texts, backend, data_dir)


def store_snapshot(config_path: str | None, snapshot: Path, keep: SnapshotFilter) -> dict:
    cfg = load_config(Path(config_path) if config_path else None)
    size = snapshot.stat().st_size
    key = watermark_key(snapshot)
    read = kept = problems = 0
    started = time.monotonic()
    with Store.open(cfg.store_path, create=True) as store:  # backfill adds papers
        start = int(store.watermark(key) or 0)
        if start:
            log.info(f"resuming {snapshot.name} at byte {start:,} of {size:,}")
        for batch in read_snapshot(snapshot, start, keep):
            if _stop.is_set():
                break
            result = store.upsert(batch.papers)
            faultpoint("backfill.batch-stored")
            store.set_watermark(key, str(batch.end))  # after the papers are committed
            read, kept = read + batch.lines, kept + len(batch.papers)
            problems += len(batch.problems)
            for problem in batch.problems[:3]:
                log.warning(problem)
            rate = (batch.end - start) / max(time.monotonic() - started, 1e-9)
            left = format_duration((size - batch.end) / max(rate, 1))
            log.info(
                f"read {batch.end / 1e6:,.0f} of {size / 1e6:,.0f} MB "
                f"({100 * batch.end / max(size, 1):.1f}%): {kept:,} kept of {read:,} lines "
                f"(+{result.added} new), about {left} left"
            )
    return {"lines": read, "kept": kept, "problems": problems}


def embed_missing(config_path: str | None, threads: int | None, chunk_size: int) -> int:
    """Submit every stored paper without a vector, a chunk per task; write results in
    order as they come back, keeping a few chunks per worker in flight."""
    cfg = load_config(Path(config_path) if config_path else None)
    model, batch_size, backend = cfg.embedding.model, cfg.embedding.batch_size, "torch"
    space, data_dir = model, str(cfg.data_dir)
    in_flight: deque = deque()
    done = 0
    with Store.open(cfg.store_path) as store:
        encoder = default_encoder(cfg)
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
            oldest = in_flight[0].wrapped_future  # Dask's: its wait can time out
            while not _stop.is_set() and not oldest.done():
                time.sleep(_POLL_SECONDS)
            if _stop.is_set():
                return 0
            shas, vectors = in_flight.popleft().result()
            store.put_embeddings(space, dict(zip(shas, vectors, strict=True)))
            faultpoint("backfill.chunk-written")
            progress.advance(len(shas))
            return len(shas)

        after = 0
        while not _stop.is_set():
            papers = store.papers_missing_embeddings(space, after, chunk_size)
            if not papers:
                break
            after = papers[-1].store_id or after
            texts = {p.text_sha: p.text for p in papers}
            in_flight.append(
                embed_chunk.submit(
                    model, batch_size, threads, list(texts), list(texts.values()), backend,
                    data_dir,
                )
            )
            if len(in_flight) >= _MAX_IN_FLIGHT:
                done += write_oldest()
        while in_flight and not _stop.is_set():
            done += write_oldest()
    return done


_MAX_IN_FLIGHT = 8


@flow(name="litradar-backfill")
def backfill(
    config_path: str | None,
    snapshot: str,
    categories: list[str] | None = None,
    since: date | None = None,
    threads: int | None = None,
) -> dict:
    """Stream `snapshot` into the store, embed on Dask, grow the index."""
    cfg = load_config(Path(config_path) if config_path else None)
    wanted = cfg.sources.categories if categories is None else categories
    keep = SnapshotFilter(frozenset(wanted), since)
    stored = store_snapshot(config_path, Path(snapshot), keep)
    embedded = embed_missing(config_path, threads, cfg.embedding.chunk_size)
    if _stop.is_set():  # the index is brought up to date by the run that finishes
        return {**stored, "embedded": embedded, "indexed": 0, "index": "not updated",
                "interrupted": True}  # fmt: skip
    with Store.open(cfg.store_path) as store:
        empty = store.count() == 0
    if empty:  # nothing passed the filter, and nothing was there before
        return {**stored, "embedded": 0, "indexed": 0, "index": "not built (no papers)"}
    index = pipeline.update_index(cfg)
    return {**stored, "embedded": embedded, "indexed": index.papers, "index": index.action}


def run_backfill(
    config_path: str | None,
    snapshot: Path,
    categories: list[str] | None,
    since: date | None,
    workers: int,
    address: str | None,
) -> dict:
    """On an existing Dask scheduler (`address`), or a local cluster of `workers`
    processes, each held to its share of this machine's cores."""
    # Dask's own INFO lines (nannies, workers joining) would drown the progress lines.
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    from prefect_dask import DaskTaskRunner

    if address:
        runner = DaskTaskRunner(address=address)
        threads = None
    else:
        threads = max(1, (os.cpu_count() or 1) // workers)
        runner = DaskTaskRunner(
            cluster_kwargs={
                "n_workers": workers,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": None,
            }
        )
    _stop.clear()
    previous = signal.signal(signal.SIGINT, _request_stop)
    try:
        return backfill.with_options(task_runner=runner)(
            config_path=config_path,
            snapshot=str(snapshot),
            categories=categories,
            since=since,
            threads=threads,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
