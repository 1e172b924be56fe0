"""The rankers litradar is measured against, on the same data: TF-IDF + linear SVM (the
arxiv-sanity ranker) and MiniLM similarity to the closest list paper. `evaluate` and
`backtest` both compare with them, so they live here once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from litradar.ranking.neighbours import NeighbourSet
from litradar.ranking.text_svm import TfidfSvm
from litradar.ranking.training import TrainingSet


def rank_of(scores: np.ndarray, target: int) -> int:
    """1 + how many score strictly higher: ties go the target's way."""
    return int((scores > scores[target]).sum()) + 1


def svm_scores(data: TrainingSet, rows: Sequence[int]) -> np.ndarray:
    """TF-IDF + linear SVM, trained on what is known to be relevant."""
    svm = TfidfSvm().fit(data.texts, data.y)
    return svm.decision_function([data.papers[i].text for i in rows])


def similarity_scores(data: TrainingSet, rows: Sequence[int]) -> np.ndarray:
    """Cosine similarity of MiniLM embeddings to the closest list paper."""
    listed = NeighbourSet(data.embeddings[data.on_list & ~data.rejected])
    return listed.mean_top(data.embeddings[list(rows)], 1)
