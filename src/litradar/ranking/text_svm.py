"""TF-IDF + linear SVM: the arxiv-sanity ranker, and on the list's data the strongest
single signal (see docs/quality.md). Kept as plain arrays so that loading a trained
model executes no code (no pickle)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from litradar.ranking.corpus_memo import fitted_on, once, transformed

_VECTORIZER_PARAMS = {
    "ngram_range": (1, 2),
    "max_features": 20000,
    "sublinear_tf": True,
    "stop_words": "english",
    "dtype": np.float32,
}


class TfidfSvm:
    """fit(texts, y) / decision_function(texts); parameters in __init__, state after fit."""

    def __init__(self, C: float = 0.1) -> None:
        self.C = C

    def fit(self, texts: Sequence[str], y: np.ndarray) -> TfidfSvm:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        def fit_words() -> tuple[TfidfVectorizer, object]:
            vectorizer = TfidfVectorizer(**_VECTORIZER_PARAMS)
            return vectorizer, vectorizer.fit_transform(texts)

        self.vectorizer_, features = once("svm words", texts, fit_words)
        self.fitted_on_ = fitted_on(texts)
        # liblinear shuffles its coordinate descent; unseeded, two fits of the same data
        # differ in the 7th digit and a re-run of a week can reorder near-ties.
        svm = LinearSVC(C=self.C, class_weight="balanced", max_iter=5000, random_state=0)
        svm.fit(features, y)
        self.coef_ = svm.coef_.ravel().astype(np.float32)
        self.intercept_ = float(svm.intercept_[0])
        return self

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        fit_key = self.__dict__.get("fitted_on_")
        features = transformed(
            fit_key, "svm words", texts, lambda: self.vectorizer_.transform(texts)
        )
        return np.asarray(features @ self.coef_).ravel() + self.intercept_

    def top_terms(self, text: str, n: int = 5) -> list[tuple[str, float]]:
        """The terms that pushed this text's score up the most: the 'why' of a ranking."""
        row = self.vectorizer_.transform([text]).tocoo()
        contributions = row.data * self.coef_[row.col]
        order = np.argsort(-contributions)[:n]
        # Built once: sklearn rebuilds the whole 20,000-term array on every call (4 s a digest).
        if "_feature_names" not in self.__dict__:
            self._feature_names = self.vectorizer_.get_feature_names_out()
        vocab = self._feature_names
        return [
            (str(vocab[row.col[i]]), float(contributions[i])) for i in order if contributions[i] > 0
        ]

    def __getattr__(self, name: str) -> object:
        """A loaded model builds its vectorizer on first use, so loading one where no text
        is scored (find) does not import scikit-learn (about 1 s)."""
        if name != "vectorizer_" or "_saved_vocabulary" not in self.__dict__:
            raise AttributeError(name)
        from sklearn.feature_extraction.text import TfidfVectorizer

        vocabulary = {term: i for i, term in enumerate(self.__dict__.pop("_saved_vocabulary"))}
        params = {k: v for k, v in _VECTORIZER_PARAMS.items() if k != "max_features"}
        self.vectorizer_ = TfidfVectorizer(vocabulary=vocabulary, **params)
        self.vectorizer_.idf_ = self.__dict__.pop("_saved_idf").astype(np.float64)
        return self.vectorizer_

    # persistence as arrays ------------------------------------------------------------

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        vocab = self.vectorizer_.get_feature_names_out()
        arrays = {
            "svm_idf": self.vectorizer_.idf_.astype(np.float32),
            "svm_coef": self.coef_,
        }
        meta = {"C": self.C, "intercept": self.intercept_, "vocabulary": [str(t) for t in vocab]}
        return arrays, meta

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict) -> TfidfSvm:
        model = cls(C=float(meta["C"]))
        model._saved_vocabulary = meta["vocabulary"]
        model._saved_idf = arrays["svm_idf"]
        model.coef_ = arrays["svm_coef"].astype(np.float32)
        model.intercept_ = float(meta["intercept"])
        return model
