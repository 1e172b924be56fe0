"""Filling the store from arXiv's metadata snapshot (2.7M papers, about 4.5 GB of JSON lines).

The snapshot is streamed a line at a time, never loaded whole; the papers that pass the
filter (categories, first-version date) are stored a batch at a time, each batch one
transaction followed by a watermark of how far the file was read, so a re-run goes on
from there and a paper read twice is deduplicated by the store. Embedding, the slow part,
is spread over Dask workers by the flow (`litradar.flows.backfill`): workers only encode
texts they are handed and hand vectors back; only the flow's own process writes to SQLite,
which has one writer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from litradar.core.errors import LitradarError
from litradar.core.paper import Paper
from litradar.sources.arxiv_jsonl import parse_line


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


def watermark_key(path: Path) -> str:
    """One mark per snapshot file (its absolute path and size: a newer snapshot starts over)."""
    return f"backfill:{path.resolve()}:{path.stat().st_size}"


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

    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # its own retry lines would precede our one line
    try:
        with Client(address, timeout=timeout, set_as_default=False) as client:
            client.scheduler_info()
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        why = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise LitradarError(
            f"no Dask scheduler answers at {address} ({why}); start one with "
            "'dask scheduler', or leave out --address for a local cluster"
        ) from None
    finally:
        quiet.setLevel(level)
