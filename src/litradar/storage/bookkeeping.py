"""What litradar did: each source's watermark, each digest's deliveries per channel, and
the runs of its steps (tables watermarks, deliveries, runs)."""

from __future__ import annotations

import json

from litradar.core.errors import redact_data
from litradar.storage.tables import Tables, utc_now


class Bookkeeping(Tables):
    """Watermarks, deliveries and runs."""

    def watermark(self, source: str) -> str | None:
        row = self._db.execute("SELECT mark FROM watermarks WHERE source = ?", (source,)).fetchone()
        return None if row is None else row["mark"]

    def watermarks(self) -> dict[str, str]:
        return {
            r["source"]: r["mark"] for r in self._db.execute("SELECT source, mark FROM watermarks")
        }

    def set_watermark(self, source: str, mark: str) -> None:
        """Call only after the papers up to `mark` are committed: a mark never runs ahead."""
        self.set_watermarks(dict.fromkeys([source], mark))

    def set_watermarks(self, marks: dict[str, str]) -> None:
        """Several marks in one transaction: a source's and its searches' move together."""
        now = utc_now()
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO watermarks (source, mark, updated_at) VALUES (?,?,?) "
                "ON CONFLICT (source) DO UPDATE SET mark=excluded.mark, "
                "updated_at=excluded.updated_at",
                [(source, mark, now) for source, mark in marks.items()],
            )

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
                (channel, name, status, json.dumps(redact_data(detail)), utc_now()),
            )

    def deliveries(self, channel: str) -> list[dict]:
        rows = self._db.execute(
            "SELECT name, status, detail, updated_at FROM deliveries WHERE channel = ? "
            "ORDER BY name",
            (channel,),
        )
        return [dict(r) | {"detail": json.loads(r["detail"])} for r in rows]

    def start_run(self, kind: str, detail: dict | None = None) -> int:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (kind, started_at, status, detail) VALUES (?,?,?,?)",
                (kind, utc_now(), "running", json.dumps(redact_data(detail or {}))),
            )
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, detail: dict | None = None) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at=?, status=?, detail=? WHERE id=?",
                (utc_now(), status, json.dumps(redact_data(detail or {})), run_id),
            )

    def runs(self, kind: str | None = None) -> list[dict]:
        query = "SELECT id, kind, started_at, finished_at, status, detail FROM runs"
        rows = self._db.execute(
            query + (" WHERE kind = ? ORDER BY id" if kind else " ORDER BY id"),
            (kind,) if kind else (),
        )
        return [dict(r) | {"detail": json.loads(r["detail"] or "{}")} for r in rows]
