"""Prefect's API server as litradar starts it (`python -m litradar.core.prefect_server PORT`,
from litradar.core.prefect_env): Prefect's app under uvicorn, as `python -m uvicorn
--factory prefect.server.api.server:create_app` runs it, less one pass.

On start Prefect brings its database up to the newest migration, and to find that there is
nothing to do alembic reads all of Prefect's migration scripts (114 files): 0.3-0.7 s of
every temporary server's start, that is of every `litradar run` without a server of the
user's. When the database is SQLite and already stands at the newest migration of the
installed Prefect (its `alembic_version` row against the head of the scripts' revisions),
the pass is skipped; in every other case (another database, a new file, an older or
unreadable one) Prefect runs it as always.

Run in the server's own process, so the database is the one Prefect's own settings
resolve (environment, profile, prefect.toml), not a guess made from outside.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

_SQLITE_PREFIX = "sqlite+aiosqlite:///"
_REVISION = re.compile(r"^revision\b[^=\n]*=\s*['\"]([0-9a-fA-F]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\b[^=\n]*=(.*)$", re.MULTILINE)


def newest_migration(scripts: Path) -> str | None:
    """The head of Prefect's SQLite migrations: the one revision no script names as its
    `down_revision` (what alembic computes, read with two patterns instead of importing
    every script). None when the scripts do not name exactly one."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in scripts.glob("*.py"):
        text = script.read_text(encoding="utf-8", errors="replace")
        revisions.update(_REVISION.findall(text))
        for line in _DOWN_REVISION.findall(text):
            parents.update(re.findall(r"[0-9a-fA-F]{6,}", line))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def database_revision(database: Path) -> str | None:
    """The migration a SQLite database of Prefect's stands at; None when it cannot say."""
    if not database.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as db:
            rows = db.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        return None
    return rows[0][0] if len(rows) == 1 else None


def database_is_current(connection_url: str, scripts: Path) -> bool:
    """Whether Prefect's migration pass would find nothing to do."""
    if not connection_url.startswith(_SQLITE_PREFIX) or "?" in connection_url:
        return False  # Postgres, in-memory or with options: Prefect's own pass decides
    database = Path(connection_url.removeprefix(_SQLITE_PREFIX))
    newest = newest_migration(scripts)
    return newest is not None and database_revision(database) == newest


def migrations_needed() -> bool:
    """For the database Prefect's settings name in this process."""
    import prefect.server.database
    from prefect.settings import get_current_settings

    url = get_current_settings().server.database.connection_url
    scripts = Path(prefect.server.database.__file__).parent / "_migrations/versions/sqlite"
    return url is None or not database_is_current(url.get_secret_value(), scripts)


def main(port: int) -> None:
    import uvicorn
    from prefect.settings import PREFECT_API_DATABASE_MIGRATE_ON_START, temporary_settings

    skip = not migrations_needed()
    updates = {PREFECT_API_DATABASE_MIGRATE_ON_START: False} if skip else {}
    with temporary_settings(updates=updates):
        uvicorn.run(
            "prefect.server.api.server:create_app",
            factory=True,
            host="127.0.0.1",
            port=port,
            log_level="error",
            lifespan="on",
        )


if __name__ == "__main__":  # pragma: no cover
    main(int(sys.argv[1]))
