"""Similarity to the papers we already know are relevant, through FAISS.

Two neighbour signals, both cosine similarities of MiniLM embeddings:
- `list_max`: to the closest paper on the list itself;
- `known_top3`: the mean of the three closest known-relevant papers (list and survey).
"""

from __future__ import annotations

import faiss
import numpy as np


class NeighbourSet:
    """An exact inner-product FAISS index over a set of reference embeddings."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.index = faiss.IndexFlatIP(self.vectors.shape[1])
        if len(self.vectors):
            self.index.add(self.vectors)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = max(1, min(k, len(self)))
        return self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)

    def mean_top(self, queries: np.ndarray, k: int) -> np.ndarray:
        if len(self) == 0:
            return np.zeros(len(queries), dtype=np.float32)
        scores, _ = self.search(queries, k)
        return scores.mean(axis=1)
