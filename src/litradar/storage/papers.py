"""The papers and where each was found (tables papers, provenance, and the bm25 index
over them): dedup happens here and only here (see `litradar.storage.merge`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from litradar.core.atomic_files import faultpoint
from litradar.core.paper import (
    Paper,
    Provenance,
    has_visible_text,
    normalise_doi,
    title_key,
)
from litradar.storage import lexical
from litradar.storage.merge import can_be_same, merge_papers
from litradar.storage.tables import Tables, chunks, utc_now

# Titles shorter than this ("Introduction", "Editorial") are too generic to merge on.
MIN_TITLE_KEY = 24


PAPER_COLUMNS = (
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


# What a row from a release before the record refused invisible titles shows instead: the
# record would refuse it, and one such row must not stop every read of the store.
NO_VISIBLE_TITLE = "(a title that shows no text)"


def row_to_paper(row: sqlite3.Row, provenance: tuple[Provenance, ...] = ()) -> Paper:
    # Control and bidi characters are not visible text: the check needs no cleaning first.
    title = row["title"] if has_visible_text(row["title"]) else NO_VISIBLE_TITLE
    return Paper(
        arxiv_id=row["arxiv_id"],
        s2_id=row["s2_id"],
        venue=row["venue"],
        code_url=row["code_url"],
        provenance=provenance,
        title=title,
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


def _provenance_of(paper: Paper) -> tuple[Provenance, ...]:
    return paper.provenance or (Provenance(paper.source),)


class Papers(Tables):
    """The papers: upsert (merging records of the same paper), read, search."""

    def upsert(self, papers: Iterable[Paper]) -> UpsertResult:
        """Add new papers and merge what another record already knows about, in one
        transaction; the same record twice changes nothing."""
        result = UpsertResult()
        now = utc_now()
        with self._transaction() as db:
            for paper in papers:
                row = self._find_same(db, paper)
                if row is None:
                    cursor = db.execute(_INSERT_PAPER, (*_values(paper), now, now))
                    paper_id = int(cursor.lastrowid or 0)
                    result.added += 1
                else:
                    paper_id = row["id"]
                    existing = row_to_paper(row)
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
                    f"SELECT {PAPER_COLUMNS} FROM papers WHERE {column} = ?", (value,)
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
                f"SELECT {PAPER_COLUMNS} FROM papers WHERE {column} = ? ORDER BY id", (value,)
            ):
                if can_be_same(row_to_paper(row), paper):
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
            f"SELECT {PAPER_COLUMNS} FROM papers WHERE {column} = ? ORDER BY id LIMIT 1", (value,)
        ).fetchall()
        return next(iter(self._with_provenance(rows)), None)

    def by_doi(self, doi: str) -> Paper | None:
        """The paper with this DOI (case and resolver ignored), the first stored if several."""
        value = normalise_doi(doi)
        rows = self._db.execute(
            f"SELECT {PAPER_COLUMNS} FROM papers WHERE doi = ? ORDER BY id LIMIT 1", (value,)
        ).fetchall()
        return next(iter(self._with_provenance(rows)), None)

    def by_title(self, title: str) -> list[Paper]:
        """The papers with this normalised title; none for a title too short to tell two
        papers apart (the rule by which the store merges records)."""
        key = title_key(title)
        if len(key) < MIN_TITLE_KEY:
            return []
        rows = self._db.execute(
            f"SELECT {PAPER_COLUMNS} FROM papers WHERE title_key = ? ORDER BY id", (key,)
        ).fetchall()
        return self._with_provenance(rows)

    def _with_provenance(self, rows: list[sqlite3.Row]) -> list[Paper]:
        """Papers with where each was found, read in one query per 500 rows."""
        found: dict[int, list[Provenance]] = {}
        ids = [row["id"] for row in rows]
        for chunk, marks in chunks(ids):
            for paper_id, source, detail in self._db.execute(
                "SELECT paper_id, source, detail FROM provenance "
                f"WHERE paper_id IN ({marks}) ORDER BY source, detail",
                chunk,
            ):
                found.setdefault(paper_id, []).append(Provenance(source, detail))
        return [row_to_paper(row, tuple(found.get(row["id"], ()))) for row in rows]

    def papers(self, since: date | None = None, until: date | None = None) -> list[Paper]:
        """Papers by first-version date, `since` inclusive, `until` exclusive, oldest first."""
        query = f"SELECT {PAPER_COLUMNS} FROM papers WHERE 1=1"
        params: list[str] = []
        if since is not None:
            query += " AND first_version_date >= ?"
            params.append(since.isoformat())
        if until is not None:
            query += " AND first_version_date < ?"
            params.append(until.isoformat())
        query += " ORDER BY first_version_date, id"
        return self._with_provenance(self._db.execute(query, params).fetchall())

    def paper_keys(self) -> dict[int, str]:
        """Store id -> `Paper.key` of every paper, without reading their texts."""
        rows = self._db.execute(
            "SELECT id, COALESCE(arxiv_id, 's2:' || s2_id, 'doi:' || doi) FROM papers ORDER BY id"
        )
        return {row[0]: row[1] for row in rows}

    def store_ids(self, since: date | None = None) -> list[int]:
        """The store ids of the papers first announced on or after `since` (all without
        it), without making a Paper of each (at 200k papers that was 12 s of a 14 s
        `find --since`)."""
        query, params = "SELECT id FROM papers", []
        if since is not None:
            query += " WHERE first_version_date >= ?"
            params.append(since.isoformat())
        return [row[0] for row in self._db.execute(query + " ORDER BY id", params)]

    def by_store_ids(self, ids: Iterable[int]) -> dict[int, Paper]:
        wanted = list(dict.fromkeys(int(i) for i in ids))
        rows: list[sqlite3.Row] = []
        for chunk, marks in chunks(wanted):
            rows += self._db.execute(
                f"SELECT {PAPER_COLUMNS} FROM papers WHERE id IN ({marks})", chunk
            ).fetchall()
        return {paper.store_id or 0: paper for paper in self._with_provenance(rows)}

    def lexical_search(self, query: str, k: int, allowed: Iterable[int] | None = None) -> list[int]:
        """Store ids of the `k` papers whose title and abstract match `query` best (bm25)."""
        return lexical.search(self._db, query, k, list(allowed) if allowed is not None else None)
