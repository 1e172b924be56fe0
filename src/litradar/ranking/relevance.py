"""Relevance: does a paper belong on the list? The score, its probability and its cut-off.

The score is the scope model's (`litradar.ranking.scope`): log p(about a multimodal
foundation model) + log p(analyses model internals) + w log p(the contribution is an
analysis, not a method that uses internals). Similarity to the list's own papers
is kept as a signal that explains a score ("close to") but does not make it: it ranked
papers like the list's old ones first and missed new topics on later weeks
(docs/quality.md, what was tried).

The probability is a one-feature logistic regression fitted on out-of-fold scores, and the
cut-off is where those out-of-fold scores give the best F1 for the papers known to be in
scope (list papers, survey papers about a multimodal model). The digest proposes what
clears it, so a week with four good papers proposes about four. The maintainer's accepted
papers are positives of the halves but stay out of the calibration: they move which papers
score high, not how high a score must be.

A rejected kind of paper does not come back: a paper closer to one the maintainer rejected
than to any list (or accepted) paper, and as close to it as list papers are to their own
nearest list paper, has its probability cut to REJECTED_FACTOR of itself. The halves learn
from a rejection too, but as one label among thousands of weak ones it hardly moves them;
the replay of the judged weeks (docs/quality.md, "Learning from the maintainer")
measures both.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_curve
from sklearn.model_selection import StratifiedKFold

from litradar.core.paper import Paper
from litradar.ranking.corpus_memo import remembered
from litradar.ranking.neighbours import NeighbourSet
from litradar.ranking.scope import (
    AXES,
    ScopeLabels,
    ScopeModel,
    ScopeTerms,
    WeakLabels,
    fit_words,
    log_score,
    weak_rows,
)

REJECTED_FACTOR = 0.25  # a held-back paper keeps a quarter of its probability


class Signal(NamedTuple):
    """One column of `RelevanceModel.signals`: scoring, the digest (markdown, JSON) and the
    web page's reasons iterate over SIGNALS, so a new signal is one more row here."""

    name: str
    label: str  # how the digest names it
    in_score: bool  # part of the score, or shown only to explain it
    # How a signal outside the score is measured: (model, texts, embeddings) -> one value
    # per paper. None: the scope model's probability on the axis of the signal's name.
    measure: Callable[[RelevanceModel, Sequence[str], np.ndarray], np.ndarray] | None = None


def _closest_list_paper(
    model: RelevanceModel, texts: Sequence[str], embeddings: np.ndarray
) -> np.ndarray:
    return model.list_.mean_top(embeddings, 1)


SIGNALS = (
    Signal("model", "about a multimodal model", True),
    Signal("internals", "analyses internals", True),
    Signal("contribution", "an analysis, not a method", True),
    Signal("list", "similarity to the closest list paper", False, _closest_list_paper),
)
assert tuple(s.name for s in SIGNALS if s.in_score) == AXES


class RelevanceModel:
    def __init__(
        self,
        terms: ScopeTerms | None = None,
        cv_folds: int = 5,
        random_state: int = 0,
    ) -> None:
        self.terms = terms or ScopeTerms()
        self.cv_folds = cv_folds
        self.random_state = random_state

    def _scope_model(self) -> ScopeModel:
        return ScopeModel(self.terms)

    @property
    def weights(self) -> list[float]:
        return self._scope_model().weight_vector

    # fitting ----------------------------------------------------------------------------

    def in_scope(
        self, papers: Sequence[Paper], labels: ScopeLabels, weak: WeakLabels | None = None
    ) -> np.ndarray:
        """The papers known to belong: on the list (or accepted), or relevant (cited by the
        survey) and about a multimodal model by its terms; never a rejected one."""
        weak = self._scope_model().weak_labels(papers) if weak is None else weak
        about_model = weak["model"][0]
        return (labels.on_list | (labels.relevant & about_model)) & ~labels.rejected

    def fit_uncalibrated(
        self,
        papers: Sequence[Paper],
        embeddings: np.ndarray,
        labels: ScopeLabels,
        weak: WeakLabels | None = None,
    ) -> RelevanceModel:
        self.scope_ = self._scope_model().fit(papers, embeddings, labels, weak)
        self.list_ = NeighbourSet(embeddings[labels.on_list & ~labels.rejected])
        self.rejected_ = NeighbourSet(embeddings[labels.rejected])
        self.near_ = self._typical_nearest(self.list_)
        return self

    @staticmethod
    def _typical_nearest(kept: NeighbourSet) -> float:
        """The median similarity of a list paper to its nearest other list paper: "as
        close as two papers of the same kind", in whatever space the encoder makes."""
        if len(kept) < 2:
            return 1.0
        scores, _ = kept.search(kept.vectors, 2)
        return float(np.median(scores[:, 1]))

    def held_back(self, embeddings: np.ndarray) -> np.ndarray:
        """Which papers are of a kind the maintainer rejected (see the module's doc)."""
        if len(self.rejected_) == 0 or len(embeddings) == 0:
            return np.zeros(len(embeddings), dtype=bool)
        rejected = self.rejected_.mean_top(embeddings, 1)
        kept = self.list_.mean_top(embeddings, 1)
        return (rejected > kept) & (rejected >= self.near_)

    def fit(
        self, papers: Sequence[Paper], embeddings: np.ndarray, labels: ScopeLabels
    ) -> RelevanceModel:
        # The terms' weak labels are per paper: found once, each fold takes its rows.
        weak = self._scope_model().weak_labels(papers)
        y = self.in_scope(papers, labels, weak).astype(int)
        if y.sum() < 2 or (y == 0).sum() < 2:
            raise ValueError("relevance needs at least two papers in scope and two others")
        folds = max(2, min(self.cv_folds, int(y.sum())))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        oof = np.ones((len(y), len(AXES)), dtype=np.float64)
        # One TF-IDF for every fold and the final fit: the vocabulary and its weights come
        # from the texts alone, never the labels, and fitting it six times was 40% of
        # training (docs/speed.md).
        with remembered():
            vectorizer, words = fit_words([p.text for p in papers])
            for train, test in splitter.split(np.zeros(len(y)), y):
                fold = self._scope_model().fit(
                    [papers[i] for i in train],
                    embeddings[train],
                    labels.subset(train),
                    weak_rows(weak, train),
                    (vectorizer, words[train]),
                )
                oof[test] = fold.axis_proba_of_words(words[test], embeddings[test])
            self.oof_axes_, self.in_scope_ = oof, y
            # The maintainer's accepted papers teach the halves (they are positives there)
            # but do not set the bar: the replay's maintainer accepts borderline papers
            # too, and calibrated on them the bar let their kind through in bulk
            # (docs/quality.md).
            self.calibrated_on_ = ~labels.accepted
            self.fit_uncalibrated(papers, embeddings, labels, weak)  # the same TF-IDF
        self.calibrate()
        return self

    def calibrate(self) -> None:
        """The probability and the cut-off from the out-of-fold axes under the current
        weights (a re-weighting, as `evaluate`'s tuning tries, needs no refit), over every
        paper but the accepted ones: the list and the survey say what clears the bar."""
        rows = self.calibrated_on_
        y = self.in_scope_[rows]
        oof = log_score(self.oof_axes_, self.weights)
        self.oof_scores_ = oof
        oof = oof[rows]
        calibrator = LogisticRegression(C=1.0).fit(oof[:, None], y)
        self.calib_a_ = float(calibrator.coef_[0, 0])
        self.calib_b_ = float(calibrator.intercept_[0])
        precision, recall, cuts = precision_recall_curve(y, oof)
        f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
        best = int(f1.argmax())
        self.threshold_ = float(self.proba_from_score(cuts[best]))
        self.threshold_precision_ = float(precision[best])
        self.threshold_recall_ = float(recall[best])

    def reweighted(self, contribution_weight: float) -> RelevanceModel:
        """The same fitted halves with another weight on the contribution axis,
        recalibrated: what leave-one-week-out tuning compares."""
        model = copy.copy(self)
        model.terms = dataclasses.replace(self.terms, contribution_weight=contribution_weight)
        model.scope_ = copy.copy(self.scope_)
        model.scope_.terms = model.terms
        model.calibrate()
        return model

    # scoring ----------------------------------------------------------------------------

    def signals(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        """(n, len(SIGNALS)): the axes' probabilities, similarity to the closest list paper.
        What a maintainer reads to see why a paper scored as it did."""
        return self._signal_columns(self.scope_.axis_proba(texts, embeddings), texts, embeddings)

    def score(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        return self.scope_.score(texts, embeddings)

    def assess(
        self, texts: Sequence[str], embeddings: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, list[dict[str, list[str]]]]:
        """Everything the digest shows of a window, in one pass over its texts: the
        relevance probability, the signals (SIGNALS order) and the words behind each half."""
        axes, why = self.scope_.explain(texts, embeddings)
        proba = self._decided(self.proba_from_score(log_score(axes, self.weights)), embeddings)
        return proba, self._signal_columns(axes, texts, embeddings), why

    def _decided(self, proba: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        return np.where(self.held_back(embeddings), proba * REJECTED_FACTOR, proba)

    def _signal_columns(
        self, axes: np.ndarray, texts: Sequence[str], embeddings: np.ndarray
    ) -> np.ndarray:
        """One column per row of SIGNALS, in its order."""
        return np.column_stack(
            [
                axes[:, AXES.index(s.name)]
                if s.measure is None
                else s.measure(self, texts, embeddings)
                for s in SIGNALS
            ]
        )

    def proba_from_score(self, score: np.ndarray | float) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.calib_a_ * np.asarray(score) + self.calib_b_)))

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        p = self._decided(self.proba_from_score(self.score(texts, embeddings)), embeddings)
        return np.column_stack([1 - p, p])

    # persistence as arrays ------------------------------------------------------------

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays, meta = self.scope_.to_arrays()
        arrays |= {"list_vectors": self.list_.vectors, "rejected_vectors": self.rejected_.vectors}
        meta |= {
            "signals": [[s.name, s.label, s.in_score] for s in SIGNALS],
            "calib_a": self.calib_a_,
            "calib_b": self.calib_b_,
            "threshold": self.threshold_,
            "threshold_precision": self.threshold_precision_,
            "threshold_recall": self.threshold_recall_,
            "cv_folds": self.cv_folds,
            "near": self.near_,
        }
        return arrays, meta

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict) -> RelevanceModel:
        scope = ScopeModel.from_arrays(arrays, meta)
        model = cls(scope.terms, cv_folds=int(meta["cv_folds"]))
        model.scope_ = scope
        model.list_ = NeighbourSet(arrays["list_vectors"])
        model.rejected_ = NeighbourSet(arrays["rejected_vectors"])
        model.near_ = float(meta["near"])
        model.calib_a_ = float(meta["calib_a"])
        model.calib_b_ = float(meta["calib_b"])
        model.threshold_ = float(meta["threshold"])
        model.threshold_precision_ = float(meta["threshold_precision"])
        model.threshold_recall_ = float(meta["threshold_recall"])
        return model
