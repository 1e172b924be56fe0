"""The SQLite store: the one module that reads and writes litradar's state.

Dedup happens here and only here. A paper seen by several sources (same arXiv id, Semantic
Scholar id, DOI or normalised title) is one row that keeps the best of each source (see
`litradar.storage.merge`); its row id, which is also its FAISS id, never changes. Every write is
one transaction, so a crash leaves either the old state or the new one. Each source's
watermark lives here too, so that it can only move after the papers it covers are stored.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from litradar.core.atomic_files import faultpoint, process_alive
from litradar.core.errors import LitradarError, redact_data
from litradar.core.paper import Paper, Provenance, normalise_doi, title_key
from litradar.storage import lexical
from litradar.storage.merge import can_be_same, merge_papers

SCHEMA_VERSION = 4
# How long a command waits for another one's write to finish before saying who holds it.
BUSY_TIMEOUT_SECONDS = 30.0


def _use_wal(db: sqlite3.Connection, deadline: float) -> None:
    """Switch a new store to WAL (a setting kept in the file). The switch needs the file to
    itself and SQLite does not wait for that (no busy handler), so a second process opening
    the store at the same moment retries here instead of failing with 'database is locked'."""
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# Titles shorter than this ("Introduction", "Editorial") are too generic to merge on.
MIN_TITLE_KEY = 24

_PAPERS_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    id INTEGER PRIMARY KEY,
    arxiv_id TEXT UNIQUE,
    s2_id TEXT UNIQUE,
    doi TEXT,
    title_key TEXT NOT NULL,
    title TEXT NOT NULL,
    abstract TEXT NOT NULL,
    authors TEXT NOT NULL,
    first_version_date TEXT NOT NULL,
    version INTEGER NOT NULL,
    categories TEXT NOT NULL,
    comments TEXT,
    venue TEXT,
    code_url TEXT,
    source TEXT NOT NULL,
    text_sha TEXT NOT NULL,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (arxiv_id IS NOT NULL OR s2_id IS NOT NULL OR doi IS NOT NULL)
)
"""

_SCHEMA = (
    _PAPERS_TABLE.format(name="papers")
    + """;
CREATE INDEX IF NOT EXISTS papers_by_date ON papers (first_version_date);
CREATE INDEX IF NOT EXISTS papers_by_doi ON papers (doi);
CREATE INDEX IF NOT EXISTS papers_by_title ON papers (title_key);
CREATE TABLE IF NOT EXISTS provenance (
    paper_id INTEGER NOT NULL REFERENCES papers (id),
    source TEXT NOT NULL,
    detail TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (paper_id, source, detail)
);
CREATE TABLE IF NOT EXISTS watermarks (
    source TEXT PRIMARY KEY,
    mark TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    channel TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel, name)
);
CREATE TABLE IF NOT EXISTS labels (
    key TEXT PRIMARY KEY,
    relevant INTEGER NOT NULL,
    section TEXT,
    origin TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS short_names (
    key TEXT PRIMARY KEY,
    short_name TEXT NOT NULL,
    origin TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tag_labels (
    key TEXT NOT NULL,
    dimension TEXT NOT NULL,
    class_name TEXT NOT NULL,
    origin TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (key, dimension, class_name)
);
CREATE TABLE IF NOT EXISTS llm_answers (
    prompt_sha TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    text_sha TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_sha)
);
CREATE TABLE IF NOT EXISTS paper_scores (
    paper_id INTEGER PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    score REAL NOT NULL,
    relevance REAL NOT NULL,
    section TEXT,
    tags TEXT NOT NULL,
    trained_at TEXT NOT NULL
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
)

# Version 1 keyed papers by arXiv id alone (NOT NULL) and had no provenance table.
_MIGRATE_FROM_1 = [
    _PAPERS_TABLE.format(name="papers_v2"),
    "INSERT INTO papers_v2 (id, arxiv_id, s2_id, doi, title_key, title, abstract, authors, "
    "first_version_date, version, categories, comments, venue, code_url, source, text_sha, "
    "added_at, updated_at) SELECT id, arxiv_id, NULL, lower(doi), title_key(title), title, "
    "abstract, authors, first_version_date, version, categories, comments, NULL, NULL, source, "
    "text_sha, added_at, updated_at FROM papers",
    "DROP TABLE papers",
    "ALTER TABLE papers_v2 RENAME TO papers",
]

_PAPER_COLUMNS = (
    "id, arxiv_id, s2_id, doi, title, abstract, authors, first_version_date, version, "
    "categories, comments, venue, code_url, source"
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


def _chunks(values: list, size: int = 500) -> Iterator[tuple[list, str]]:
    """`values` in pieces small enough for one `IN (...)` (SQLite caps the parameters),
    each with its placeholders."""
    for start in range(0, len(values), size):
        chunk = values[start : start + size]
        yield chunk, ",".join("?" * len(chunk))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _row_to_paper(row: sqlite3.Row, provenance: tuple[Provenance, ...] = ()) -> Paper:
    return Paper(
        arxiv_id=row["arxiv_id"],
        s2_id=row["s2_id"],
        venue=row["venue"],
        code_url=row["code_url"],
        provenance=provenance,
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


# The columns a paper's own data fills, in the order `_values` gives them.
_WRITTEN = (
    "arxiv_id", "s2_id", "doi", "title_key", "title", "abstract", "authors",
    "first_version_date", "version", "categories", "comments", "venue", "code_url", "source",
    "text_sha",
)  # fmt: skip
_INSERT_PAPER = (
    f"INSERT INTO papers ({', '.join(_WRITTEN)}, added_at, updated_at) "
    f"VALUES ({', '.join('?' * (len(_WRITTEN) + 2))})"
)
_UPDATE_PAPER = (
    f"UPDATE papers SET {', '.join(f'{c}=?' for c in _WRITTEN)}, updated_at=? WHERE id=?"
)


def _values(paper: Paper) -> tuple:
    """`paper` in the order of `_WRITTEN`."""
    return (
        paper.arxiv_id,
        paper.s2_id,
        normalise_doi(paper.doi),
        title_key(paper.title),
        paper.title,
        paper.abstract,
        json.dumps(list(paper.authors), ensure_ascii=False),
        paper.first_version_date.isoformat(),
        paper.version,
        " ".join(paper.categories),
        paper.comments,
        paper.venue,
        paper.code_url,
        paper.source,
        paper.text_sha,
    )


def _id_vectors(rows: list[sqlite3.Row]) -> tuple[np.ndarray, np.ndarray]:
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    return ids, np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])


def _provenance_of(paper: Paper) -> tuple[Provenance, ...]:
    return paper.provenance or (Provenance(paper.source),)


def _writer_file(path: Path) -> Path:
    """Beside the store, who writes to it now (or wrote last): SQLite cannot tell."""
    return path.with_name(path.name + "-writer")


def _claim(path: Path) -> None:
    """Called with the write lock held, so the file names the holder while it holds it."""
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "python"
    claim = {"pid": os.getpid(), "command": command[:200], "since": _now()}
    with suppress(OSError):  # only a courtesy for the message below
        _writer_file(path).write_text(json.dumps(claim), encoding="utf-8")


def _is_busy(exc: sqlite3.Error) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _busy_error(path: Path) -> LitradarError:
    """One line that says which command keeps the store, instead of 'database is locked'."""
    who = "another litradar command"
    try:
        claim = json.loads(_writer_file(path).read_text(encoding="utf-8"))
        if claim.get("pid") != os.getpid() and process_alive(int(claim["pid"])):
            who = f"'{claim['command']}' (pid {claim['pid']}, writing since {claim['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return LitradarError(
        f"the store {path} is busy: {who} has held it for more than "
        f"{BUSY_TIMEOUT_SECONDS:g} s; run this again when it has finished"
    )


class Store:
    """Open with `Store.open(path)`; use as a context manager to close it."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path, create: bool = False) -> Store:
        """The store at `path`. Only a command that adds papers passes `create`: any other
        finding no store says so, instead of starting an empty one where a mistyped
        `[paths] data_dir` points. Even then the folder above the data folder must exist."""
        folder = path.parent
        if folder.exists() and not folder.is_dir():
            raise LitradarError(
                f"the data folder {folder} is a file, not a folder ([paths] data_dir)"
            )
        if not path.exists():
            if not create:
                raise LitradarError(
                    f"no store at {path}: run 'litradar ingest' first, or check [paths] data_dir"
                )
            if not folder.parent.is_dir():
                raise LitradarError(
                    f"cannot make the data folder {folder}: {folder.parent} does not exist "
                    "(check [paths] data_dir)"
                )
            folder.mkdir(exist_ok=True)
        try:
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
            db.row_factory = sqlite3.Row
            _use_wal(db, deadline=time.monotonic() + BUSY_TIMEOUT_SECONDS)
            db.execute("PRAGMA foreign_keys=ON")
            db.create_function("title_key", 1, title_key, deterministic=True)
            cls._migrate(db, path)
        except sqlite3.DatabaseError as exc:
            if _is_busy(exc):
                raise _busy_error(path) from None
            raise LitradarError(f"cannot open the store {path}: {exc}") from None
        return cls(db, path)

    @staticmethod
    def _migrate(db: sqlite3.Connection, path: Path) -> None:
        """Create or upgrade the schema in one transaction: an upgrade that fails keeps the
        old store as it was."""
        if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        with db:
            # Read the version under the write lock: two processes opening a new or old
            # store at once must not both create or both upgrade it.
            db.execute("BEGIN IMMEDIATE")
            _claim(path)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise LitradarError(
                    f"the store was written by a newer litradar (schema {version}); "
                    "upgrade litradar"
                )
            if version == SCHEMA_VERSION:
                return
            has_papers = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='papers'"
            ).fetchone()
            if has_papers and version < 2:
                for statement in _MIGRATE_FROM_1:
                    db.execute(statement)
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            if has_papers and version < 2:
                db.execute(
                    "INSERT OR IGNORE INTO provenance (paper_id, source, detail, first_seen) "
                    "SELECT id, source, '', added_at FROM papers"
                )
            # Version 4 added short_names (created above, like every table).
            # Version 3 added the lexical index; its triggers hold statements with ";".
            for statement in lexical.SCHEMA:
                db.execute(statement)
            if has_papers and version < 3:
                db.execute(lexical.REBUILD)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._db:  # commits on success, rolls back on any exception
                self._db.execute("BEGIN IMMEDIATE")
                _claim(self.path)
                yield self._db
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise _busy_error(self.path) from None
            raise

    # papers -----------------------------------------------------------------------------

    def upsert(self, papers: Iterable[Paper]) -> UpsertResult:
        """Add new papers and merge what another record already knows about, in one
        transaction; the same record twice changes nothing."""
        result = UpsertResult()
        now = _now()
        with self._transaction() as db:
            for paper in papers:
                row = self._find_same(db, paper)
                if row is None:
                    cursor = db.execute(_INSERT_PAPER, (*_values(paper), now, now))
                    paper_id = int(cursor.lastrowid or 0)
                    result.added += 1
                else:
                    paper_id = row["id"]
                    existing = _row_to_paper(row)
                    merged = merge_papers(existing, paper)
                    if (
                        merged.s2_id != existing.s2_id
                        and db.execute(
                            "SELECT 1 FROM papers WHERE s2_id = ?", (merged.s2_id,)
                        ).fetchone()
                    ):
                        # Another row holds that S2 id already: keep the two apart.
                        merged = replace(merged, s2_id=existing.s2_id)
                    if merged == existing:
                        result.unchanged += 1
                    else:
                        db.execute(_UPDATE_PAPER, (*_values(merged), now, paper_id))
                        result.updated += 1
                db.executemany(
                    "INSERT OR IGNORE INTO provenance (paper_id, source, detail, first_seen) "
                    "VALUES (?,?,?,?)",
                    [(paper_id, p.source, p.detail, now) for p in _provenance_of(paper)],
                )
            faultpoint("store.upsert-before-commit")  # every row written, none committed
        return result

    @staticmethod
    def _find_same(db: sqlite3.Connection, paper: Paper) -> sqlite3.Row | None:
        """The stored record of the same paper. An arXiv or Semantic Scholar id decides on
        its own; a DOI or a (long enough) normalised title only where no id contradicts it."""
        for column, value in (("arxiv_id", paper.arxiv_id), ("s2_id", paper.s2_id)):
            if value:
                row = db.execute(
                    f"SELECT {_PAPER_COLUMNS} FROM papers WHERE {column} = ?", (value,)
                ).fetchone()
                if row is not None:
                    return row
        key = title_key(paper.title)
        for column, value in (
            ("doi", normalise_doi(paper.doi)),
            ("title_key", key if len(key) >= MIN_TITLE_KEY else None),
        ):
            if not value:
                continue
            for row in db.execute(
                f"SELECT {_PAPER_COLUMNS} FROM papers WHERE {column} = ? ORDER BY id", (value,)
            ):
                if can_be_same(_row_to_paper(row), paper):
                    return row
        return None

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM papers").fetchone()[0]

    def get(self, arxiv_id: str) -> Paper | None:
        return self.by_key(arxiv_id)

    def by_key(self, key: str) -> Paper | None:
        """A paper by `Paper.key`: an arXiv id, 's2:<id>' or 'doi:<doi>'."""
        column, value = "arxiv_id", key
        if key.startswith("s2:"):
            column, value = "s2_id", key[3:]
        elif key.startswith("doi:"):
            column, value = "doi", key[4:]
        rows = self._db.execute(
            f"SELECT {_PAPER_COLUMNS} FROM papers WHERE {column} = ? ORDER BY id LIMIT 1", (value,)
        ).fetchall()
        return next(iter(self._with_provenance(rows)), None)

    def by_doi(self, doi: str) -> Paper | None:
        """The paper with this DOI (case and resolver ignored), the first stored if several."""
        value = normalise_doi(doi)
        rows = self._db.execute(
            f"SELECT {_PAPER_COLUMNS} FROM papers WHERE doi = ? ORDER BY id LIMIT 1", (value,)
        ).fetchall()
        return next(iter(self._with_provenance(rows)), None)

    def by_title(self, title: str) -> list[Paper]:
        """The papers with this normalised title; none for a title too short to tell two
        papers apart (the rule by which the store merges records)."""
        key = title_key(title)
        if len(key) < MIN_TITLE_KEY:
            return []
        rows = self._db.execute(
            f"SELECT {_PAPER_COLUMNS} FROM papers WHERE title_key = ? ORDER BY id", (key,)
        ).fetchall()
        return self._with_provenance(rows)

    def _with_provenance(self, rows: list[sqlite3.Row]) -> list[Paper]:
        """Papers with where each was found, read in one query per 500 rows."""
        found: dict[int, list[Provenance]] = {}
        ids = [row["id"] for row in rows]
        for chunk, marks in _chunks(ids):
            for paper_id, source, detail in self._db.execute(
                "SELECT paper_id, source, detail FROM provenance "
                f"WHERE paper_id IN ({marks}) ORDER BY first_seen, source, detail",
                chunk,
            ):
                found.setdefault(paper_id, []).append(Provenance(source, detail))
        return [_row_to_paper(row, tuple(found.get(row["id"], ()))) for row in rows]

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
        return self._with_provenance(self._db.execute(query, params).fetchall())

    def by_store_ids(self, ids: Iterable[int]) -> dict[int, Paper]:
        wanted = list(dict.fromkeys(int(i) for i in ids))
        rows: list[sqlite3.Row] = []
        for chunk, marks in _chunks(wanted):
            rows += self._db.execute(
                f"SELECT {_PAPER_COLUMNS} FROM papers WHERE id IN ({marks})", chunk
            ).fetchall()
        return {paper.store_id or 0: paper for paper in self._with_provenance(rows)}

    # search and the models' scores -----------------------------------------------------

    def lexical_search(
        self, query: str, k: int, allowed: Iterable[int] | None = None
    ) -> list[int]:
        """Store ids of the `k` papers whose title and abstract match `query` best (bm25)."""
        return lexical.search(self._db, query, k, list(allowed) if allowed is not None else None)

    def put_scores(
        self, trained_at: str, rows: Iterable[tuple[int, float, float, str | None, dict]]
    ) -> None:
        """What the models of `trained_at` say of each paper: (store id, scope score,
        relevance, section, tags). Replaces every earlier model's scores in one
        transaction, so `find` never mixes two models."""
        with self._transaction() as db:
            db.execute("DELETE FROM paper_scores")
            db.executemany(
                "INSERT INTO paper_scores "
                "(paper_id, score, relevance, section, tags, trained_at) VALUES (?,?,?,?,?,?)",
                [
                    (pid, score, relevance, section, json.dumps(tags), trained_at)
                    for pid, score, relevance, section, tags in rows
                ],
            )

    def scores(self, ids: Iterable[int]) -> dict[int, dict]:
        """store id -> {score, relevance, section, tags, trained_at}, for the ids scored."""
        found: dict[int, dict] = {}
        for chunk, marks in _chunks(list(ids)):
            for row in self._db.execute(
                f"SELECT * FROM paper_scores WHERE paper_id IN ({marks})", chunk
            ):
                found[row["paper_id"]] = {
                    "score": row["score"],
                    "relevance": row["relevance"],
                    "section": row["section"],
                    "tags": json.loads(row["tags"]),
                    "trained_at": row["trained_at"],
                }
        return found

    # embeddings cache -------------------------------------------------------------------

    def cached_embeddings(self, model: str, shas: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = list(dict.fromkeys(shas))
        found: dict[str, np.ndarray] = {}
        for chunk, marks in _chunks(wanted):
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

    def count_missing_embeddings(self, model: str) -> int:
        """Distinct paper texts with no vector for `model` yet."""
        return self._db.execute(
            "SELECT COUNT(DISTINCT text_sha) FROM papers p WHERE NOT EXISTS "
            "(SELECT 1 FROM embeddings e WHERE e.model = ? AND e.text_sha = p.text_sha)",
            (model,),
        ).fetchone()[0]

    def papers_missing_embeddings(self, model: str, after_id: int, limit: int) -> list[Paper]:
        """The next `limit` papers after row `after_id` whose text has no vector for `model`:
        read by row id, so a long embedding run pages through the store once."""
        rows = self._db.execute(
            f"SELECT {_PAPER_COLUMNS} FROM papers p WHERE p.id > ? AND NOT EXISTS "
            "(SELECT 1 FROM embeddings e WHERE e.model = ? AND e.text_sha = p.text_sha) "
            "ORDER BY p.id LIMIT ?",
            (after_id, model, limit),
        ).fetchall()
        return [_row_to_paper(row) for row in rows]

    def index_entries(self, model: str) -> tuple[np.ndarray, list[str]]:
        """(row ids, text hashes) of every paper, by id: what the index of `model` must hold."""
        rows = self._db.execute("SELECT id, text_sha FROM papers ORDER BY id").fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows]

    def paper_vectors(
        self, model: str, ids: Iterable[int] | None = None, chunk: int = 20000
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(row ids, vectors) of papers that have a vector for `model`, a chunk at a time:
        all of them by id, or those of `ids`."""
        query = (
            "SELECT p.id, e.vector FROM papers p JOIN embeddings e "
            "ON e.model = ? AND e.text_sha = p.text_sha WHERE "
        )
        if ids is None:
            after = 0
            while True:
                rows = self._db.execute(
                    query + "p.id > ? ORDER BY p.id LIMIT ?", (model, after, chunk)
                ).fetchall()
                if not rows:
                    return
                after = rows[-1][0]
                yield _id_vectors(rows)
        else:
            wanted = [int(i) for i in ids]
            for part, marks in _chunks(wanted):
                rows = self._db.execute(
                    query + f"p.id IN ({marks}) ORDER BY p.id", (model, *part)
                ).fetchall()
                if rows:
                    yield _id_vectors(rows)

    # watermarks -------------------------------------------------------------------------

    def watermark(self, source: str) -> str | None:
        row = self._db.execute("SELECT mark FROM watermarks WHERE source = ?", (source,)).fetchone()
        return None if row is None else row["mark"]

    def watermarks(self) -> dict[str, str]:
        return {
            r["source"]: r["mark"] for r in self._db.execute("SELECT source, mark FROM watermarks")
        }

    def set_watermark(self, source: str, mark: str) -> None:
        """Call only after the papers up to `mark` are committed: a mark never runs ahead."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO watermarks (source, mark, updated_at) VALUES (?,?,?) "
                "ON CONFLICT (source) DO UPDATE SET mark=excluded.mark, "
                "updated_at=excluded.updated_at",
                (source, mark, _now()),
            )

    # deliveries (what was published where: once per digest and channel) ----------------

    def delivery(self, channel: str, name: str) -> dict | None:
        row = self._db.execute(
            "SELECT status, detail, updated_at FROM deliveries WHERE channel = ? AND name = ?",
            (channel, name),
        ).fetchone()
        return None if row is None else dict(row) | {"detail": json.loads(row["detail"])}

    def set_delivery(self, channel: str, name: str, status: str, detail: dict) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO deliveries (channel, name, status, detail, updated_at) "
                "VALUES (?,?,?,?,?) ON CONFLICT (channel, name) DO UPDATE SET "
                "status=excluded.status, detail=excluded.detail, updated_at=excluded.updated_at",
                (channel, name, status, json.dumps(redact_data(detail)), _now()),
            )

    def deliveries(self, channel: str) -> list[dict]:
        rows = self._db.execute(
            "SELECT name, status, detail, updated_at FROM deliveries WHERE channel = ? "
            "ORDER BY name",
            (channel,),
        )
        return [dict(r) | {"detail": json.loads(r["detail"])} for r in rows]

    # labels (a maintainer's decisions: merged, rejected, or set by hand) -----------------

    def backup_to(self, target: Path) -> None:
        """A consistent copy of the whole store at `target` (SQLite's online backup), for
        work that must not touch the real one (the replay of judged weeks)."""
        copy = sqlite3.connect(target)
        try:
            with copy:
                self._db.backup(copy)
        finally:
            copy.close()

    def set_label(self, key: str, relevant: bool, section: str | None, origin: str) -> None:
        """The latest decision about a paper wins."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO labels (key, relevant, section, origin, decided_at) "
                "VALUES (?,?,?,?,?) ON CONFLICT (key) DO UPDATE SET relevant=excluded.relevant, "
                "section=excluded.section, origin=excluded.origin, decided_at=excluded.decided_at",
                (key, int(relevant), section, origin, _now()),
            )

    def set_short_name(self, key: str, short_name: str | None, origin: str) -> None:
        """The bold name the maintainer gives a paper's list entry (None: litradar's own);
        the pull request uses it. Kept apart from the label: a later relabel keeps it."""
        with self._transaction() as db:
            if short_name is None:
                db.execute("DELETE FROM short_names WHERE key = ?", (key,))
                return
            db.execute(
                "INSERT INTO short_names (key, short_name, origin, decided_at) VALUES (?,?,?,?) "
                "ON CONFLICT (key) DO UPDATE SET short_name=excluded.short_name, "
                "origin=excluded.origin, decided_at=excluded.decided_at",
                (key, short_name, origin, _now()),
            )

    def short_names(self) -> dict[str, str]:
        rows = self._db.execute("SELECT key, short_name FROM short_names")
        return {r["key"]: r["short_name"] for r in rows}

    def set_tags(self, key: str, dimension: str, classes: list[str], origin: str) -> None:
        """The maintainer's classes for one paper in one dimension, replacing earlier ones."""
        with self._transaction() as db:
            db.execute("DELETE FROM tag_labels WHERE key = ? AND dimension = ?", (key, dimension))
            db.executemany(
                "INSERT INTO tag_labels (key, dimension, class_name, origin, decided_at) "
                "VALUES (?,?,?,?,?)",
                [(key, dimension, name, origin, _now()) for name in classes],
            )

    def tag_labels(self) -> list[dict]:
        rows = self._db.execute(
            "SELECT key, dimension, class_name, origin FROM tag_labels ORDER BY key"
        )
        return [dict(r) for r in rows]

    def labels(self) -> list[dict]:
        rows = self._db.execute(
            "SELECT key, relevant, section, origin, decided_at FROM labels ORDER BY key"
        )
        return [dict(r) | {"relevant": bool(r["relevant"])} for r in rows]

    # LLM answers, cached by model and prompt (only answers that passed validation) ------

    def llm_answer(self, prompt_sha: str) -> str | None:
        row = self._db.execute(
            "SELECT answer FROM llm_answers WHERE prompt_sha = ?", (prompt_sha,)
        ).fetchone()
        return None if row is None else row["answer"]

    def put_llm_answer(self, prompt_sha: str, model: str, answer: str) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO llm_answers (prompt_sha, model, answer, created_at) "
                "VALUES (?,?,?,?)",
                (prompt_sha, model, answer, _now()),
            )

    # runs -------------------------------------------------------------------------------

    def start_run(self, kind: str, detail: dict | None = None) -> int:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (kind, started_at, status, detail) VALUES (?,?,?,?)",
                (kind, _now(), "running", json.dumps(redact_data(detail or {}))),
            )
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, detail: dict | None = None) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at=?, status=?, detail=? WHERE id=?",
                (_now(), status, json.dumps(redact_data(detail or {})), run_id),
            )

    def runs(self, kind: str | None = None) -> list[dict]:
        query = "SELECT id, kind, started_at, finished_at, status, detail FROM runs"
        rows = self._db.execute(
            query + (" WHERE kind = ? ORDER BY id" if kind else " ORDER BY id"),
            (kind,) if kind else (),
        )
        return [dict(r) | {"detail": json.loads(r["detail"] or "{}")} for r in rows]
