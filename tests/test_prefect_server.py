"""The Prefect server litradar starts (litradar.core.prefect_server): Prefect's migration pass
is skipped only when a SQLite database already stands at the installed Prefect's newest
migration, and a new database is migrated as Prefect always does (a real server)."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from litradar.core.prefect_env import api_server
from litradar.core.prefect_server import (
    database_is_current,
    database_revision,
    newest_migration,
)

# Found without importing Prefect: a test process that imports it before litradar starts its
# temporary server gets Prefect's own (litradar.core.prefect_env), for every later test.
PREFECT = Path(importlib.util.find_spec("prefect").origin).parent  # type: ignore[union-attr, arg-type]
SCRIPTS = PREFECT / "server/database/_migrations/versions/sqlite"


def stamped(path: Path, *revisions: str) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        db.executemany("INSERT INTO alembic_version VALUES (?)", [(r,) for r in revisions])
    return path


def test_the_head_is_the_revision_no_script_descends_from(tmp_path: Path):
    """Read from `revision` / `down_revision`, not from the scripts' names (three of
    Prefect's do not follow its date pattern); a fork (two heads) is no head."""
    newest = newest_migration(SCRIPTS)
    assert newest is not None and any(newest in p.name for p in SCRIPTS.glob("*.py"))
    chain = tmp_path / "chain"
    chain.mkdir()
    for name, revision, down in [("b_2024", "bbbbbb", '"aaaaaa"'), ("a_2099", "aaaaaa", "None"),
                                 ("c_2001", "cccccc", '("bbbbbb",)')]:  # fmt: skip
        (chain / f"{name}.py").write_text(f'revision = "{revision}"\ndown_revision = {down}\n')
    assert newest_migration(chain) == "cccccc"  # the oldest name, the newest revision
    (chain / "d.py").write_text('revision: str = "dddddd"\ndown_revision = "bbbbbb"\n')
    assert newest_migration(chain) is None  # two heads: let Prefect decide


def test_the_newest_script_names_a_revision_and_only_that_revision_is_current(tmp_path: Path):
    newest = newest_migration(SCRIPTS)
    assert newest is not None
    current = stamped(tmp_path / "current.db", newest)
    url = f"sqlite+aiosqlite:///{current}"
    assert database_revision(current) == newest and database_is_current(url, SCRIPTS)
    older = sorted(p.name for p in SCRIPTS.glob("[0-9]*_*.py"))[-2].split("_")[4]
    behind = stamped(tmp_path / "behind.db", older)
    assert not database_is_current(f"sqlite+aiosqlite:///{behind}", SCRIPTS)
    (tmp_path / "plain.db").write_bytes(b"")  # no alembic_version table
    for url in (
        f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}",
        f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}",
        f"sqlite+aiosqlite:///{stamped(tmp_path / 'two.db', newest, older)}",
        f"sqlite+aiosqlite:///{current}?mode=ro",
        "postgresql+asyncpg://user@db/prefect",
        "sqlite+aiosqlite:///file::memory:?cache=shared&uri=true",
    ):
        assert not database_is_current(url, SCRIPTS), url
    assert newest_migration(tmp_path) is None  # no scripts: nothing is current


@pytest.mark.slow
def test_a_new_database_is_migrated_to_the_revision_the_skip_compares_with(tmp_path: Path):
    """The skip's notion of 'newest' is alembic's head: a server on a new PREFECT_HOME
    migrates its database to it, and a second start on it (the pass skipped) answers."""
    home = tmp_path / "prefect-home"
    with api_server(home, timeout=90):
        pass
    newest = newest_migration(SCRIPTS)
    assert database_revision(home / "prefect.db") == newest
    url = f"sqlite+aiosqlite:///{home / 'prefect.db'}"
    assert database_is_current(url, SCRIPTS)
    # What the server's process decides, from Prefect's own settings for that home.
    decided = subprocess.run(
        [sys.executable, "-c", "from litradar.core.prefect_server import migrations_needed as m;"
         "print(m())"],
        env={**os.environ, "PREFECT_HOME": str(home)}, capture_output=True, text=True, check=True,
    ).stdout.split()[-1]  # fmt: skip
    assert decided == "False"
    with api_server(home, timeout=90) as api:
        import httpx

        assert httpx.get(f"{api}/flows/filter", timeout=10).status_code == 405  # POST only
        assert httpx.post(f"{api}/flows/filter", json={}, timeout=10).json() == []
