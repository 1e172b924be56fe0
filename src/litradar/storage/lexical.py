"""Lexical search over titles and abstracts: SQLite's FTS5 with bm25, inside the store.

Dense search alone lets a query that names a technique ("steering vectors diffusion")
lose to generic papers on the same model family; bm25 finds the papers that use the
query's words. The FTS table indexes the `papers` table itself (external content) and
triggers keep it in step with every insert, update and delete, so no step has to
remember to refresh it. The same statements build an in-memory index for `evaluate`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence

# Porter stemming: "vectors" finds "vector", "steering" finds "steer".
SCHEMA = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS papers_fts USING fts5("
    "title, abstract, content='papers', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER IF NOT EXISTS papers_fts_insert AFTER INSERT ON papers BEGIN "
    "INSERT INTO papers_fts (rowid, title, abstract) VALUES (new.id, new.title, new.abstract); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS papers_fts_delete AFTER DELETE ON papers BEGIN "
    "INSERT INTO papers_fts (papers_fts, rowid, title, abstract) "
    "VALUES ('delete', old.id, old.title, old.abstract); END",
    "CREATE TRIGGER IF NOT EXISTS papers_fts_update AFTER UPDATE OF title, abstract ON papers "
    "BEGIN INSERT INTO papers_fts (papers_fts, rowid, title, abstract) "
    "VALUES ('delete', old.id, old.title, old.abstract); "
    "INSERT INTO papers_fts (rowid, title, abstract) VALUES (new.id, new.title, new.abstract); "
    "END",
)
REBUILD = "INSERT INTO papers_fts (papers_fts) VALUES ('rebuild')"

# A title match counts twice an abstract match: titles name the technique and the model.
_TITLE_WEIGHT, _ABSTRACT_WEIGHT = 2.0, 1.0
_WORD = re.compile(r"\w+")
# Words that every abstract has; FTS5 has no stop list of its own.
_STOP_WORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "in", "into",
     "is", "it", "of", "on", "or", "that", "the", "their", "this", "to", "via", "what",
     "when", "which", "why", "with"]
)  # fmt: skip


def match_expression(query: str) -> str | None:
    """The query's words as an FTS5 OR-query (bm25 ranks papers with more of them first);
    each word quoted, so no FTS5 operator or column filter can come from user text."""
    words = [w for w in _WORD.findall(query.lower()) if w not in _STOP_WORDS]
    if not words:
        return None
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words))


def search(
    db: sqlite3.Connection, query: str, k: int, allowed: Sequence[int] | None = None
) -> list[int]:
    """Row ids of the `k` best bm25 matches, best first; only among `allowed` if given."""
    expression = match_expression(query)
    if expression is None or k <= 0:
        return []
    sql = (
        "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? "
        f"ORDER BY bm25(papers_fts, {_TITLE_WEIGHT}, {_ABSTRACT_WEIGHT}) LIMIT ?"
    )
    if allowed is None:
        return [row[0] for row in db.execute(sql, (expression, k))]
    wanted = set(allowed)
    found: list[int] = []
    for (rowid,) in db.execute(sql, (expression, -1)):
        if rowid in wanted:
            found.append(rowid)
            if len(found) == k:
                break
    return found


def memory_index(rows: Iterable[tuple[int, str, str]]) -> sqlite3.Connection:
    """An in-memory `papers` table and its FTS index over (id, title, abstract) rows: the
    same search as the store's, over papers the store does not hold."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE papers (id INTEGER PRIMARY KEY, title TEXT, abstract TEXT)")
    for statement in SCHEMA:
        db.execute(statement)
    db.executemany("INSERT INTO papers (id, title, abstract) VALUES (?, ?, ?)", rows)
    db.commit()
    return db
