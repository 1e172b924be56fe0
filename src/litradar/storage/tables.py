"""What the code of every table shares: the store's one connection and its write
transactions (`litradar.storage.store.Store` provides both), IN-lists, timestamps. Each
table's code is a part of `Store` (papers, caches, decisions, bookkeeping), so the store
stays the one object that writes state, opened once, behind one connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path


class Tables:
    _db: sqlite3.Connection
    path: Path

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction, committed on success (see Store._transaction)."""
        raise NotImplementedError


def chunks(values: list, size: int = 500) -> Iterator[tuple[list, str]]:
    """`values` in pieces small enough for one `IN (...)` (SQLite caps the parameters),
    each with its placeholders."""
    for start in range(0, len(values), size):
        chunk = values[start : start + size]
        yield chunk, ",".join("?" * len(chunk))


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
