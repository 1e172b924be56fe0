"""What can be computed again: the embeddings (by model and text), the models' scores
of each paper, and the LLM's validated answers (tables embeddings, paper_scores,
llm_answers)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator

import numpy as np

from litradar.core.paper import Paper
from litradar.storage.papers import PAPER_COLUMNS, row_to_paper
from litradar.storage.tables import Tables, chunks, utc_now


def _id_vectors(rows: list[sqlite3.Row]) -> tuple[np.ndarray, np.ndarray]:
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    return ids, np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])


class Caches(Tables):
    """Embeddings, scores and LLM answers."""

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
        for chunk, marks in chunks(list(ids)):
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

    def cached_embeddings(self, model: str, shas: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = list(dict.fromkeys(shas))
        found: dict[str, np.ndarray] = {}
        for chunk, marks in chunks(wanted):
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
            f"SELECT {PAPER_COLUMNS} FROM papers p WHERE p.id > ? AND NOT EXISTS "
            "(SELECT 1 FROM embeddings e WHERE e.model = ? AND e.text_sha = p.text_sha) "
            "ORDER BY p.id LIMIT ?",
            (after_id, model, limit),
        ).fetchall()
        return [row_to_paper(row) for row in rows]

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
            for part, marks in chunks(wanted):
                rows = self._db.execute(
                    query + f"p.id IN ({marks}) ORDER BY p.id", (model, *part)
                ).fetchall()
                if rows:
                    yield _id_vectors(rows)

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
                (prompt_sha, model, answer, utc_now()),
            )
