"""The SQLite store: the one object that reads and writes litradar's state.

`Store` opens the one connection, creates or upgrades the schema (`storage.schema`), and
runs every write as one transaction, so a crash leaves either the old state or the new
one. Each table's code is a part of it: `storage.papers` (dedup happens there and only
there: a paper seen by several sources is one row that keeps the best of each, see
`litradar.storage.merge`; its row id, which is also its FAISS id, never changes),
`storage.caches` (embeddings, scores, LLM answers), `storage.decisions` (the maintainer's
labels), `storage.bookkeeping` (watermarks, which move only after the papers they cover
are stored; deliveries; runs).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from litradar.core.atomic_files import process_alive
from litradar.core.errors import LitradarError
from litradar.core.paper import title_key
from litradar.storage import lexical
from litradar.storage.bookkeeping import Bookkeeping
from litradar.storage.caches import Caches
from litradar.storage.decisions import Decisions
from litradar.storage.papers import Papers
from litradar.storage.schema import MIGRATE_FROM_1, SCHEMA, SCHEMA_VERSION
from litradar.storage.tables import utc_now

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


def _writer_file(path: Path) -> Path:
    """Beside the store, who writes to it now (or wrote last): SQLite cannot tell."""
    return path.with_name(path.name + "-writer")


def _claim(path: Path) -> None:
    """Called with the write lock held, so the file names the holder while it holds it."""
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "python"
    claim = {"pid": os.getpid(), "command": command[:200], "since": utc_now()}
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


class Store(Papers, Caches, Decisions, Bookkeeping):
    """Open with `Store.open(path)`; use as a context manager to close it. Each table's
    code is a part (`storage.papers`, `caches`, `decisions`, `bookkeeping`) over this one
    connection; opening, the schema and write transactions are here."""

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
        if path.is_dir():
            raise LitradarError(
                f"{path} is a folder, not a litradar store (check [paths] data_dir)"
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
            if not create and not _holds_a_store(db):
                # An empty file (truncated, or a creation cut short) or another program's
                # database: taking it for a new store made a digest of nothing, in place
                # of the week's. Only a command that adds papers may start one here.
                db.close()
                raise LitradarError(
                    f"{path} holds no litradar store (an empty or foreign SQLite file): run "
                    "'litradar ingest', or check [paths] data_dir"
                )
            cls._migrate(db, path)
        except sqlite3.DatabaseError as exc:
            if _is_busy(exc):
                raise _busy_error(path) from None
            why = str(exc)
            if why == "unable to open database file" and not os.access(folder, os.W_OK | os.X_OK):
                why += f" (its folder {folder} cannot be written: SQLite needs to, even to read)"
            raise LitradarError(f"cannot open the store {path}: {why}") from None
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
                for statement in MIGRATE_FROM_1:
                    db.execute(statement)
            for statement in SCHEMA.split(";"):
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

    def backup_to(self, target: Path) -> None:
        """A consistent copy of the whole store at `target` (SQLite's online backup), for
        work that must not touch the real one (the replay of judged weeks)."""
        copy = sqlite3.connect(target)
        try:
            with copy:
                self._db.backup(copy)
        finally:
            copy.close()


def _holds_a_store(db: sqlite3.Connection) -> bool:
    """A litradar schema of any version (an old one is upgraded by `_migrate`)."""
    if db.execute("PRAGMA user_version").fetchone()[0] > 0:
        return True
    return bool(
        db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='papers'").fetchone()
    )
