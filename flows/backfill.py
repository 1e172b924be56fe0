"""The backfill flow: arXiv's metadata snapshot -> store -> embeddings on Dask -> index.

Orchestration only: the step (`litradar.steps.backfill.backfill`) streams and stores the
snapshot behind its watermark, embeds every stored paper without a vector a chunk at a
time through the `submit` function this flow hands it (a Prefect task on a Dask worker,
which encodes and hands the vectors back; only the flow's process writes to SQLite), and
brings the FAISS index up to date. Here: the task, the Dask task runner (a local cluster
by default, an existing scheduler with `address`), and Ctrl-C.

Progress, one line per batch and per chunk with rate and time left, goes to the flow
run's log (the Prefect UI) and the console.

Ctrl-C stops it between batches and chunks: what was committed stays (the watermark and
every written chunk), the chunks in flight are dropped, the report says `interrupted`,
and the same command resumes. A KeyboardInterrupt raised mid-flow instead landed
anywhere, inside Prefect's or pydantic's code, and came out as a traceback or a hang; a
second Ctrl-C still interrupts at once.
"""

from __future__ import annotations

import logging
import os
import signal
from datetime import date
from pathlib import Path

import numpy as np

from litradar.core.prefect_env import configure_prefect

configure_prefect()

from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NONE  # noqa: E402
from prefect.futures import PrefectFuture  # noqa: E402

from litradar.config import load_config  # noqa: E402
from litradar.steps import backfill as step  # noqa: E402
from litradar.steps.backfill import (  # noqa: E402
    BackfillReport,
    SnapshotFilter,
    StopFlag,
    encode_on_worker,
)

log = logging.getLogger("litradar.backfill")

_stop = StopFlag()


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


class _DaskChunk:
    """A submitted `embed_chunk`, as the step waits for it."""

    def __init__(self, future: PrefectFuture) -> None:
        self.future = future

    def done(self) -> bool:
        return self.future.wrapped_future.done()  # Dask's: its wait can time out

    def result(self) -> tuple[list[str], np.ndarray]:
        return self.future.result()


@flow(name="litradar-backfill")
def backfill(
    config_path: str | None,
    snapshot: str,
    categories: list[str] | None = None,
    since: date | None = None,
    threads: int | None = None,
) -> BackfillReport:
    """Stream `snapshot` into the store, embed on Dask, grow the index."""
    cfg = load_config(Path(config_path) if config_path else None)
    wanted = cfg.sources.categories if categories is None else categories
    keep = SnapshotFilter(frozenset(wanted), since)

    def submit(
        model: str, batch_size: int, shas: list[str], texts: list[str], backend: str,
        data_dir: str,
    ) -> _DaskChunk:  # fmt: skip
        return _DaskChunk(
            embed_chunk.submit(model, batch_size, threads, shas, texts, backend, data_dir)
        )

    return step.backfill(cfg, Path(snapshot), keep, submit, _stop)


def run_backfill(
    config_path: str | None,
    snapshot: Path,
    categories: list[str] | None,
    since: date | None,
    workers: int,
    address: str | None,
) -> BackfillReport:
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
                # Each worker ignores the terminal's Ctrl-C: the main process stops the run.
                "preload": ["litradar.steps.backfill_worker"],
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
