"""Relevance: does a paper belong on the list?

Three signals, each standardised against the training negatives and summed with equal
weights: the TF-IDF + linear SVM decision value, the similarity to the closest list paper,
and the mean similarity to the three closest known-relevant papers. On the list's
leave-one-out measure this sum beat each signal alone, logistic regression on embeddings
and an SVM on TF-IDF and embeddings together (README, "Quality"). A one-feature logistic
regression fitted on out-of-fold sums turns the sum into a probability.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from litradar.ranking.neighbours import NeighbourSet
from litradar.ranking.text_svm import TfidfSvm

SIGNALS = ("svm", "list_max", "known_top3")


class RelevanceModel:
    def __init__(self, C: float = 0.1, cv_folds: int = 5, random_state: int = 0) -> None:
        self.C = C
        self.cv_folds = cv_folds
        self.random_state = random_state

    # fitting ----------------------------------------------------------------------------

    def _fit_core(
        self, texts: Sequence[str], embeddings: np.ndarray, y: np.ndarray, on_list: np.ndarray
    ) -> RelevanceModel:
        self.svm_ = TfidfSvm(C=self.C).fit(texts, y)
        self.list_ = NeighbourSet(embeddings[(y == 1) & on_list])
        self.known_ = NeighbourSet(embeddings[y == 1])
        raw = self._raw_signals(texts, embeddings)
        negatives = raw[y == 0]
        self.mean_ = negatives.mean(axis=0)
        self.std_ = negatives.std(axis=0) + 1e-6
        return self

    def fit(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        y: np.ndarray,
        on_list: np.ndarray | None = None,
    ) -> RelevanceModel:
        """`on_list` marks positives on the list itself (not only cited by the survey)."""
        # Imported here: loading a trained model (find) should not import scikit-learn.
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold

        y = np.asarray(y, dtype=int)
        on_list = np.ones(len(y), dtype=bool) if on_list is None else np.asarray(on_list, bool)
        if y.sum() < 2 or (y == 0).sum() < 2:
            raise ValueError("relevance needs at least two relevant and two other papers")
        folds = max(2, min(self.cv_folds, int(y.sum()), int((y == 0).sum())))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        texts = list(texts)
        oof = np.zeros(len(y), dtype=np.float64)
        for train_idx, test_idx in splitter.split(np.zeros(len(y)), y):
            fold = RelevanceModel(C=self.C)._fit_core(
                [texts[i] for i in train_idx],
                embeddings[train_idx],
                y[train_idx],
                on_list[train_idx],
            )
            oof[test_idx] = fold.score([texts[i] for i in test_idx], embeddings[test_idx])
        self.oof_scores_ = oof
        calibrator = LogisticRegression(C=1.0).fit(oof[:, None], y)
        self.calib_a_ = float(calibrator.coef_[0, 0])
        self.calib_b_ = float(calibrator.intercept_[0])
        return self._fit_core(texts, embeddings, y, on_list)

    # scoring ----------------------------------------------------------------------------

    def _raw_signals(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [
                self.svm_.decision_function(texts),
                self.list_.mean_top(embeddings, 1),
                self.known_.mean_top(embeddings, 3),
            ]
        ).astype(np.float64)

    def signals(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        """(n, 3) standardised signals, in SIGNALS order: what pushed each score."""
        return (self._raw_signals(texts, embeddings) - self.mean_) / self.std_

    def score(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        return self.signals(texts, embeddings).sum(axis=1)

    def proba_from_score(self, score: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.calib_a_ * np.asarray(score) + self.calib_b_)))

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        p = self.proba_from_score(self.score(texts, embeddings))
        return np.column_stack([1 - p, p])

    # persistence as arrays ------------------------------------------------------------

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays, meta = self.svm_.to_arrays()
        arrays |= {
            "list_vectors": self.list_.vectors,
            "known_vectors": self.known_.vectors,
            "mean": self.mean_,
            "std": self.std_,
        }
        meta |= {
            "signals": list(SIGNALS),
            "calib_a": self.calib_a_,
            "calib_b": self.calib_b_,
            "cv_folds": self.cv_folds,
        }
        return arrays, meta

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict) -> RelevanceModel:
        model = cls(C=float(meta["C"]), cv_folds=int(meta["cv_folds"]))
        model.svm_ = TfidfSvm.from_arrays(arrays, meta)
        model.list_ = NeighbourSet(arrays["list_vectors"])
        model.known_ = NeighbourSet(arrays["known_vectors"])
        model.mean_ = arrays["mean"].astype(np.float64)
        model.std_ = arrays["std"].astype(np.float64)
        model.calib_a_ = float(meta["calib_a"])
        model.calib_b_ = float(meta["calib_b"])
        return model
