"""The SQLite store: the one module that reads and writes litradar's state.

Dedup happens here and only here: a versionless arXiv id is one paper, a newer version
updates it in place (its row id, which is also its FAISS id, never changes), and the same
record twice changes nothing. Every write is one transaction, so a crash leaves either the
old state or the new one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from litradar.errors import LitradarError
from litradar.paper import Paper

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS papers (
    id INTEGER PRIMARY KEY,
    arxiv_id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    abstract TEXT NOT NULL,
    authors TEXT NOT NULL,
    first_version_date TEXT NOT NULL,
    version INTEGER NOT NULL,
    categories TEXT NOT NULL,
    doi TEXT,
    comments TEXT,
    source TEXT NOT NULL,
    text_sha TEXT NOT NULL,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS papers_by_date ON papers (first_version_date);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    text_sha TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_sha)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    detail TEXT
);
"""

_PAPER_COLUMNS = (
    "id, arxiv_id, title, abstract, authors, first_version_date, version, categories, doi, "
    "comments, source"
)


@dataclass
class UpsertResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            self.added + other.added,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _row_to_paper(row: sqlite3.Row) -> Paper:
    return Paper(
        arxiv_id=row["arxiv_id"],
        title=row["title"],
        abstract=row["abstract"],
        authors=tuple(json.loads(row["authors"])),
        first_version_date=date.fromisoformat(row["first_version_date"]),
        version=row["version"],
        categories=tuple(row["categories"].split()),
        doi=row["doi"],
        comments=row["comments"],
        source=row["source"],
        store_id=row["id"],
    )


class Store:
    """Open with `Store.open(path)`; use as a context manager to close it."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Store:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(path, timeout=30)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise LitradarError(f"cannot open the store {path}: {exc}") from None
        return cls(db, path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db:  # commits on success, rolls back on any exception
            self._db.execute("BEGIN IMMEDIATE")
            yield self._db

    # papers -----------------------------------------------------------------------------

    def upsert(self, papers: Iterable[Paper]) -> UpsertResult:
        """Add new papers, update those seen at a newer version, leave the rest alone."""
        result = UpsertResult()
        now = _now()
        with self._transaction() as db:
            for paper in papers:
                row = db.execute(
                    "SELECT version, text_sha FROM papers WHERE arxiv_id = ?", (paper.arxiv_id,)
                ).fetchone()
                values = (
                    paper.title,
                    paper.abstract,
                    json.dumps(list(paper.authors), ensure_ascii=False),
                    paper.first_version_date.isoformat(),
                    paper.version,
                    " ".join(paper.categories),
                    paper.doi,
                    paper.comments,
                    paper.source,
                    paper.text_sha,
                )
                if row is None:
                    db.execute(
                        "INSERT INTO papers (title, abstract, authors, first_version_date, "
                        "version, categories, doi, comments, source, text_sha, arxiv_id, "
                        "added_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (*values, paper.arxiv_id, now, now),
                    )
                    result.added += 1
                elif paper.version > row["version"]:
                    db.execute(
                        "UPDATE papers SET title=?, abstract=?, authors=?, first_version_date=?, "
                        "version=?, categories=?, doi=?, comments=?, source=?, text_sha=?, "
                        "updated_at=? WHERE arxiv_id=?",
                        (*values, now, paper.arxiv_id),
                    )
                    result.updated += 1
                else:
                    result.unchanged += 1
        return result

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM papers").fetchone()[0]

    def get(self, arxiv_id: str) -> Paper | None:
        row = self._db.execute(
            f"SELECT {_PAPER_COLUMNS} FROM papers WHERE arxiv_id = ?", (arxiv_id,)
        ).fetchone()
        return None if row is None else _row_to_paper(row)

    def papers(self, since: date | None = None, until: date | None = None) -> list[Paper]:
        """Papers by first-version date, `since` inclusive, `until` exclusive, oldest first."""
        query = f"SELECT {_PAPER_COLUMNS} FROM papers WHERE 1=1"
        params: list[str] = []
        if since is not None:
            query += " AND first_version_date >= ?"
            params.append(since.isoformat())
        if until is not None:
            query += " AND first_version_date < ?"
            params.append(until.isoformat())
        query += " ORDER BY first_version_date, id"
        return [_row_to_paper(r) for r in self._db.execute(query, params)]

    def by_store_ids(self, ids: Iterable[int]) -> dict[int, Paper]:
        wanted = list(dict.fromkeys(int(i) for i in ids))
        found: dict[int, Paper] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                f"SELECT {_PAPER_COLUMNS} FROM papers WHERE id IN ({marks})", chunk
            ):
                found[row["id"]] = _row_to_paper(row)
        return found

    # embeddings cache -------------------------------------------------------------------

    def cached_embeddings(self, model: str, shas: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = list(dict.fromkeys(shas))
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                "SELECT text_sha, vector FROM embeddings "
                f"WHERE model = ? AND text_sha IN ({marks})",
                (model, *chunk),
            ):
                found[row["text_sha"]] = np.frombuffer(row["vector"], dtype=np.float32)
        return found

    def put_embeddings(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO embeddings (model, text_sha, dim, vector) VALUES (?,?,?,?)",
                [
                    (model, sha, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes())
                    for sha, v in vectors.items()
                ],
            )

    # runs -------------------------------------------------------------------------------

    def start_run(self, kind: str, detail: dict | None = None) -> int:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (kind, started_at, status, detail) VALUES (?,?,?,?)",
                (kind, _now(), "running", json.dumps(detail or {})),
            )
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, detail: dict | None = None) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at=?, status=?, detail=? WHERE id=?",
                (_now(), status, json.dumps(detail or {}), run_id),
            )

    def runs(self, kind: str | None = None) -> list[dict]:
        query = "SELECT id, kind, started_at, finished_at, status, detail FROM runs"
        rows = self._db.execute(
            query + (" WHERE kind = ? ORDER BY id" if kind else " ORDER BY id"),
            (kind,) if kind else (),
        )
        return [dict(r) | {"detail": json.loads(r["detail"] or "{}")} for r in rows]
