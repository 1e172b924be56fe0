"""The maintainer's decisions: labels (relevant or not, and the section), the short
names given to list entries, and taxonomy classes (tables labels, short_names,
tag_labels)."""

from __future__ import annotations

import sqlite3

from litradar.storage.tables import Tables, utc_now


class Decisions(Tables):
    """Labels, short names and tags set by the maintainer."""

    def set_label(self, key: str, relevant: bool, section: str | None, origin: str) -> None:
        """The latest decision about a paper wins."""
        with self._transaction() as db:
            _write_label(db, key, relevant, section, origin)

    def decide(
        self,
        key: str,
        relevant: bool | None,
        section: str | None,
        tags: dict[str, list[str]],
        origin: str,
        short_name: tuple[str | None] | None = None,
    ) -> None:
        """A label, its tags and (given as a 1-tuple) the short name chosen with it, in one
        transaction: a failed write keeps none of them."""
        with self._transaction() as db:
            if short_name is not None:
                _write_short_name(db, key, short_name[0], origin)
            if relevant is not None:
                _write_label(db, key, relevant, section, origin)
            for dimension, classes in tags.items():
                _write_tags(db, key, dimension, classes, origin)

    def set_short_name(self, key: str, short_name: str | None, origin: str) -> None:
        """The bold name the maintainer gives a paper's list entry (None: litradar's own);
        the pull request uses it. Kept apart from the label: a later relabel keeps it."""
        with self._transaction() as db:
            _write_short_name(db, key, short_name, origin)

    def short_names(self) -> dict[str, str]:
        rows = self._db.execute("SELECT key, short_name FROM short_names")
        return {r["key"]: r["short_name"] for r in rows}

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


def _write_label(
    db: sqlite3.Connection, key: str, relevant: bool, section: str | None, origin: str
) -> None:
    db.execute(
        "INSERT INTO labels (key, relevant, section, origin, decided_at) "
        "VALUES (?,?,?,?,?) ON CONFLICT (key) DO UPDATE SET relevant=excluded.relevant, "
        "section=excluded.section, origin=excluded.origin, decided_at=excluded.decided_at",
        (key, int(relevant), section, origin, utc_now()),
    )


def _write_tags(
    db: sqlite3.Connection, key: str, dimension: str, classes: list[str], origin: str
) -> None:
    """The maintainer's classes for one paper in one dimension, replacing earlier ones."""
    db.execute("DELETE FROM tag_labels WHERE key = ? AND dimension = ?", (key, dimension))
    db.executemany(
        "INSERT INTO tag_labels (key, dimension, class_name, origin, decided_at) "
        "VALUES (?,?,?,?,?)",
        [(key, dimension, name, origin, utc_now()) for name in dict.fromkeys(classes)],
    )


def _write_short_name(
    db: sqlite3.Connection, key: str, short_name: str | None, origin: str
) -> None:
    if short_name is None:
        db.execute("DELETE FROM short_names WHERE key = ?", (key,))
        return
    db.execute(
        "INSERT INTO short_names (key, short_name, origin, decided_at) VALUES (?,?,?,?) "
        "ON CONFLICT (key) DO UPDATE SET short_name=excluded.short_name, "
        "origin=excluded.origin, decided_at=excluded.decided_at",
        (key, short_name, origin, utc_now()),
    )
