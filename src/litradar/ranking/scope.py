"""Is a paper in the list's scope? Two axes, because the scope is a conjunction.

A paper belongs on the list when it applies an interpretability technique to the
internals of a multimodal foundation model. One classifier trained on ~75 list and survey
papers learnt neither half: many survey citations are text-only LLM interpretability,
and most of a week's look-alikes are vision-language papers that never look inside a
model. So each half is its own classifier:

- `model`: is the paper about a multimodal foundation model (CLIP-like, generative VLM,
  text-to-image diffusion)? Positives: papers that name one (`[scope] model_terms` in
  the title, or `model_abstract_mentions` times in the abstract) and the list's papers;
  negatives: papers that name none, text-only interpretability included.
- `internals`: does it analyse or use a model's internals? Positives: papers that name an
  interpretability technique (`internals_terms`) and every known-relevant paper (list and
  survey, text-only ones too: they are interpretability); negatives: papers that name
  none, the vision-language method papers among them.

Both are logistic regressions on TF-IDF words plus the MiniLM embedding: the words carry
the technique names, the embedding the papers that use other words for them. The terms
give weak labels over the whole store, thousands of examples instead of 75; the
classifiers generalise past the exact words. A paper's score is log p(model) + log
p(internals) + w log p(contribution): every half must hold. The maintainer's decisions
override the terms (an accepted paper is a positive of every half, a rejected one a
negative) and weigh `decision_weight` weak labels each.

- `contribution`: is the contribution an analysis (or an interpretability method), not
  a method that merely uses attention or layers? On busy cs.CV weeks most look-alikes are
  efficiency, editing and hallucination-mitigation methods that name heads and layers, so
  the internals half believes them. Positives: abstracts that state findings ("we find",
  "reveal", "we show that"; `[scope] analysis_terms`) and every known-relevant paper;
  negatives: abstracts that state a method ("we propose", "training-free",
  "accelerates"; `method_terms`) and never a finding. Its weight in the score is tuned
  leave-one-week-out (`litradar evaluate`); without `analysis_terms` it is not trained
  and counts as certain.

On the judged weeks this beat the single classifier it replaced and TF-IDF + linear SVM
(docs/quality.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from litradar.core.paper import Paper
from litradar.core.terms import SCOPE_HALVES, ScopeTerms
from litradar.ranking.corpus_memo import fitted_on, once, transformed

AXES = SCOPE_HALVES
# An axis without weak labels is not trained: its intercept makes it certain (p = 1).
_UNTRAINED_INTERCEPT = 40.0

_VECTORIZER_PARAMS = {
    "ngram_range": (1, 2),
    "min_df": 2,
    "max_features": 30000,
    "sublinear_tf": True,
    "stop_words": "english",
    "dtype": np.float32,
}
# The embedding's share of the features: unit vectors against sparse TF-IDF rows of norm 1.
_EMBEDDING_WEIGHT = 0.5
# What each half sees: both (kept), or one alone (benchmarks/relevance_variants.py).
FEATURES = ("words+embedding", "words", "embedding")


def log_score(axis_proba: np.ndarray, weights: Sequence[float] | None = None) -> np.ndarray:
    """The weighted sum of log p over the axes, from the (n, len(AXES)) probabilities."""
    logs = np.log(np.clip(axis_proba, 1e-12, 1.0))
    return logs.sum(axis=1) if weights is None else logs @ np.asarray(weights, dtype=np.float64)


@dataclass
class ScopeLabels:
    """What is known beyond the terms: `relevant` (list, survey, accepted), `on_list` (list
    and accepted), `rejected` and `accepted` (the maintainer's own decisions, which weigh
    `decision_weight` times a weak label)."""

    relevant: np.ndarray
    on_list: np.ndarray
    rejected: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    accepted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if len(self.rejected) != len(self.relevant):
            self.rejected = np.zeros(len(self.relevant), dtype=bool)
        if len(self.accepted) != len(self.relevant):
            self.accepted = np.zeros(len(self.relevant), dtype=bool)

    def subset(self, rows: np.ndarray) -> ScopeLabels:
        return ScopeLabels(
            self.relevant[rows], self.on_list[rows], self.rejected[rows], self.accepted[rows]
        )


# A fitted TF-IDF vectorizer and the matrix of the papers it was fitted on, row for row.
Vocabulary = tuple[TfidfVectorizer, sp.csr_matrix]


def fit_words(texts: Sequence[str]) -> Vocabulary:
    """The scope's TF-IDF over `texts`, once per corpus inside `remembered()`."""
    return once("scope words", texts, lambda: _fit_words(texts))


def _fit_words(texts: Sequence[str]) -> Vocabulary:
    """One pass over the texts; with its indices sorted, fit_transform's matrix is the
    very matrix transform() gives after fit() (checked in tests/test_scope.py)."""
    vectorizer = TfidfVectorizer(**_VECTORIZER_PARAMS)
    words = vectorizer.fit_transform(texts)
    words.sort_indices()
    return vectorizer, words


# axis -> (weak positives, weak negatives), one entry per paper (ScopeTerms.weak_labels).
WeakLabels = dict[str, tuple[np.ndarray, np.ndarray]]


def weak_rows(weak: WeakLabels, rows: np.ndarray) -> WeakLabels:
    return {axis: (positive[rows], negative[rows]) for axis, (positive, negative) in weak.items()}


class ScopeModel:
    """fit(papers, embeddings, labels) / axis_proba(texts, embeddings); state after fit."""

    def __init__(self, terms: ScopeTerms | None = None, C_model: float = 1.0,
                 C_internals: float = 3.0, features: str = "words+embedding",
                 C_contribution: float = 1.0) -> None:  # fmt: skip
        if features not in FEATURES:
            raise ValueError(f"features must be one of {FEATURES}")
        self.terms = terms or ScopeTerms()
        self.C = {"model": C_model, "internals": C_internals, "contribution": C_contribution}
        self.features = features

    @property
    def weight_vector(self) -> list[float]:
        return [1.0, 1.0, float(self.terms.contribution_weight)]

    def weak_labels(self, papers: Sequence[Paper]) -> WeakLabels:
        """The terms' weak labels of `papers` (once per corpus inside an evaluation)."""
        fields = [f"{p.title}\0{p.abstract}" for p in papers]
        kind = f"scope weak labels {self.terms.to_meta()!r}"
        return once(kind, fields, lambda: self.terms.weak_labels(papers))

    def training_targets(
        self, papers: Sequence[Paper], labels: ScopeLabels, weak: WeakLabels | None = None
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """axis -> (positives, negatives), the terms overridden by what is known. `weak`:
        the weak labels of `papers`, when the caller has them (they are per paper, so a
        cross-validation fold's are its rows of the whole set's)."""
        weak = self.weak_labels(papers) if weak is None else weak
        known_positive = {
            "model": labels.on_list,
            "internals": labels.relevant,
            "contribution": labels.relevant,
        }
        targets = {}
        for axis in AXES:
            if axis not in weak:
                continue
            positive, negative = weak[axis]
            positive = (positive | known_positive[axis]) & ~labels.rejected
            negative = (negative & ~labels.relevant) | labels.rejected
            targets[axis] = (positive, negative & ~positive)
        return targets

    def fit(
        self,
        papers: Sequence[Paper],
        embeddings: np.ndarray,
        labels: ScopeLabels,
        weak: WeakLabels | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> ScopeModel:
        """`vocabulary`: a vectorizer fitted on a larger corpus and these papers' rows of its
        matrix (a calibration fold's), instead of a vectorizer of their own."""
        if vocabulary is None:
            texts = [p.text for p in papers]
            self.vectorizer_, words = fit_words(texts)
            self.fitted_on_ = fitted_on(texts)
        else:
            self.vectorizer_, words = vocabulary
            self.fitted_on_ = None
        features = self._stack(words, embeddings)
        self.coef_: dict[str, np.ndarray] = {}
        self.intercept_: dict[str, float] = {}
        decided = labels.accepted | labels.rejected
        targets = self.training_targets(papers, labels, weak)
        for axis in AXES:
            if axis not in targets:
                self.coef_[axis] = np.zeros(features.shape[1], dtype=np.float32)
                self.intercept_[axis] = _UNTRAINED_INTERCEPT
                continue
            positive, negative = targets[axis]
            rows = np.flatnonzero(positive | negative)
            y = positive[rows].astype(int)
            if y.min() == y.max():
                raise ValueError(f"the {axis} axis needs positives and negatives")
            model = LogisticRegression(
                C=self.C[axis], class_weight="balanced", max_iter=3000, random_state=0
            )
            weight = np.where(decided[rows], float(self.terms.decision_weight), 1.0)
            model.fit(features[rows], y, sample_weight=weight)
            self.coef_[axis] = model.coef_.ravel().astype(np.float32)
            self.intercept_[axis] = float(model.intercept_[0])
        return self

    def _features(self, texts: Sequence[str], embeddings: np.ndarray) -> sp.csr_matrix:
        fit_key = getattr(self, "fitted_on_", None)
        words = transformed(
            fit_key, "scope words", texts, lambda: self.vectorizer_.transform(texts)
        )
        return self._stack(words, embeddings)

    def _stack(self, words: sp.csr_matrix, embeddings: np.ndarray) -> sp.csr_matrix:
        weight = {"words": 0.0, "embedding": 1.0}.get(self.features, _EMBEDDING_WEIGHT)
        dense = sp.csr_matrix(np.asarray(embeddings, dtype=np.float32) * weight)
        if self.features == "embedding":
            words = sp.csr_matrix(words.shape, dtype=np.float32)
        return sp.hstack([words, dense], format="csr")

    def _proba(self, features: sp.csr_matrix) -> np.ndarray:
        logits = np.column_stack(
            [np.asarray(features @ self.coef_[a]).ravel() + self.intercept_[a] for a in AXES]
        )
        return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))

    def axis_proba(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        """(n, len(AXES)): p(model), p(internals), p(contribution), in AXES order."""
        return self._proba(self._features(texts, embeddings))

    def axis_proba_of_words(self, words: sp.csr_matrix, embeddings: np.ndarray) -> np.ndarray:
        """axis_proba of rows this model's vectorizer already made (a fold's held-out
        rows of the shared vocabulary)."""
        return self._proba(self._stack(words, embeddings))

    def score(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        """The weighted sum of log p over the axes: a conjunction, every half must hold."""
        return log_score(self.axis_proba(texts, embeddings), self.weight_vector)

    def explain(
        self, texts: Sequence[str], embeddings: np.ndarray, n: int = 3
    ) -> tuple[np.ndarray, list[dict[str, list[str]]]]:
        """The axes' probabilities, and per paper and axis the words that pushed it up, from
        one pass over the texts: the digest explains every paper of the week."""
        words = self.vectorizer_.transform(texts).tocsr()
        proba = self._proba(self._stack(words, embeddings))
        why = []
        for row in range(words.shape[0]):
            cols = words.indices[words.indptr[row] : words.indptr[row + 1]]
            data = words.data[words.indptr[row] : words.indptr[row + 1]]
            why.append({axis: self._top_words(cols, data, axis, n) for axis in AXES})
        return proba, why

    def top_terms(self, text: str, axis: str, n: int = 3) -> list[str]:
        """The words that pushed this text up on `axis`: the 'why' of a score."""
        row = self.vectorizer_.transform([text]).tocsr()
        return self._top_words(row.indices, row.data, axis, n)

    def _top_words(self, cols: np.ndarray, data: np.ndarray, axis: str, n: int) -> list[str]:
        contributions = data * self.coef_[axis][cols]
        order = np.argsort(-contributions)[:n]
        vocab = self._vocabulary()
        return [str(vocab[cols[i]]) for i in order if contributions[i] > 0]

    def _vocabulary(self) -> np.ndarray:
        if not hasattr(self, "_vocab"):
            self._vocab = self.vectorizer_.get_feature_names_out()
        return self._vocab

    # persistence as arrays ------------------------------------------------------------

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays = {"scope_idf": self.vectorizer_.idf_.astype(np.float32)}
        arrays |= {f"scope_coef_{a}": self.coef_[a] for a in AXES}
        meta = {
            "scope_terms": self.terms.to_meta(),
            "scope_C": self.C,
            "scope_features": self.features,
            "scope_intercept": self.intercept_,
            "scope_vocabulary": [str(t) for t in self._vocabulary()],
        }
        return arrays, meta

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict) -> ScopeModel:
        model = cls(
            ScopeTerms(**meta["scope_terms"]),
            C_model=float(meta["scope_C"]["model"]),
            C_internals=float(meta["scope_C"]["internals"]),
            features=meta.get("scope_features", "words+embedding"),
            C_contribution=float(meta["scope_C"]["contribution"]),
        )
        vocabulary = {term: i for i, term in enumerate(meta["scope_vocabulary"])}
        fitted_only = ("max_features", "min_df")
        params = {k: v for k, v in _VECTORIZER_PARAMS.items() if k not in fitted_only}
        model.vectorizer_ = TfidfVectorizer(vocabulary=vocabulary, **params)
        model.vectorizer_.idf_ = arrays["scope_idf"].astype(np.float64)
        model.coef_ = {a: arrays[f"scope_coef_{a}"].astype(np.float32) for a in AXES}
        model.intercept_ = {a: float(meta["scope_intercept"][a]) for a in AXES}
        return model
