"""The FAISS index of paper embeddings, persisted beside the store.

The index holds store row ids as FAISS ids (IndexIDMap2), so a hit maps straight back to
a paper. An exact inner-product index: at the list's scale (thousands to 100k papers) it
builds in well under a second and needs no training. Files are written to a temporary
name and renamed, so a crash never leaves a half-written index behind.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from litradar.errors import LitradarError
from litradar.files import atomic_write_bytes


def _slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", model).strip("_") or "model"


def content_fingerprint(ids: list[int], shas: list[str]) -> str:
    digest = hashlib.sha256()
    for store_id, sha in sorted(zip(ids, shas, strict=True)):
        digest.update(f"{store_id}:{sha};".encode())
    return digest.hexdigest()


@dataclass
class PaperIndex:
    model: str
    index: faiss.IndexIDMap2
    fingerprint: str

    @classmethod
    def build(cls, model: str, ids: list[int], vectors: np.ndarray, content: str) -> PaperIndex:
        dim = int(vectors.shape[1]) if vectors.size else 0
        if dim == 0:
            raise LitradarError("nothing to index: the store has no papers")
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        index.add_with_ids(
            np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
        )
        return cls(model=model, index=index, fingerprint=content)

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @staticmethod
    def paths(data_dir: Path, model: str) -> tuple[Path, Path]:
        stem = f"papers.{_slug(model)}"
        return data_dir / f"{stem}.faiss", data_dir / f"{stem}.json"

    def save(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        index_path, meta_path = self.paths(data_dir, self.model)
        blob = faiss.serialize_index(self.index).tobytes()
        atomic_write_bytes(index_path, blob)
        meta = {
            "model": self.model,
            "dim": int(self.index.d),
            "count": self.size,
            "fingerprint": self.fingerprint,
            "index_sha256": hashlib.sha256(blob).hexdigest(),
        }
        atomic_write_bytes(meta_path, json.dumps(meta, indent=2).encode())

    @classmethod
    def load(cls, data_dir: Path, model: str) -> PaperIndex | None:
        """None when no index was built yet; an error when the files do not match."""
        index_path, meta_path = cls.paths(data_dir, model)
        if not index_path.exists() or not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            blob = index_path.read_bytes()
            if hashlib.sha256(blob).hexdigest() != meta["index_sha256"]:
                raise ValueError("index file does not match its metadata")
            index = faiss.deserialize_index(np.frombuffer(blob, dtype=np.uint8))
        except (ValueError, KeyError, RuntimeError, json.JSONDecodeError) as exc:
            raise LitradarError(
                f"the index in {data_dir} is unreadable ({exc}); run 'litradar index' to rebuild it"
            ) from None
        return cls(model=model, index=index, fingerprint=meta["fingerprint"])

    def search(
        self, queries: np.ndarray, k: int, allowed: list[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, store ids), each (n_queries, k); missing hits have id -1.
        `allowed` restricts the search to those store ids (e.g. papers since a date)."""
        if self.size == 0:
            raise LitradarError("the index is empty: ingest papers and run 'litradar index' first")
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            params = faiss.SearchParameters(sel=selector)
        return self.index.search(queries, min(k, self.size), params=params)
