"""One multi-label classifier per taxonomy dimension: a logistic regression per class on
the MiniLM embedding, trained on the papers labelled in that dimension and on the weak
labels of the papers whose titles name a class.

A paper can carry several classes of one dimension (causal tracing and logit lens), so
each class is its own yes/no model, its probability a sigmoid, not a softmax. A class
with fewer than `MIN_POSITIVES` labelled papers is not trained (and says so in the
metrics) rather than guessed. Stored as plain arrays, like the other models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # imported where fitted: loading a model (find) needs no scikit-learn
    from sklearn.linear_model import LogisticRegression

MIN_POSITIVES = 3


@dataclass
class DimensionModel:
    classes: list[str]
    coef: np.ndarray  # classes x dim
    intercept: np.ndarray  # classes

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(vectors @ self.coef.T + self.intercept)))


def _fit_class(x: np.ndarray, y: np.ndarray) -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit(x, y)


def fit_dimension(
    vectors: np.ndarray,
    labels: list[set[str]],
    class_order: list[str],
    weak_vectors: np.ndarray | None = None,
    weak_labels: list[set[str]] | None = None,
) -> tuple[DimensionModel | None, dict]:
    """`labels[i]`: the known classes of paper i; `weak_labels` those its title names
    (`taxonomy.title_labels`), for papers with no known class in this dimension. Both
    train the model; precision and recall (cross-validated, at probability 0.5) are
    measured on the known labels only, with the weak ones in every training fold, so
    they say whether the weak labels teach the truth rather than repeat the titles."""
    weak_labels = weak_labels or []
    if weak_vectors is None or not weak_labels:
        weak_vectors = np.zeros((0, vectors.shape[1]), dtype=vectors.dtype)
    metrics: dict[str, dict] = {}
    coefs, intercepts, trained = [], [], []
    for name in class_order:
        y = np.array([name in classes for classes in labels], dtype=int)
        y_weak = np.array([name in classes for classes in weak_labels], dtype=int)
        positives, negatives = int(y.sum()), int(len(y) - y.sum())
        weak = int(y_weak.sum())
        total_pos, total_neg = positives + weak, negatives + len(y_weak) - weak
        if total_pos < MIN_POSITIVES or total_neg < MIN_POSITIVES:
            metrics[name] = {"positives": positives, "weak": weak, "trained": False}
            continue
        metrics[name] = {
            "positives": positives,
            "weak": weak,
            "trained": True,
            **_cross_validate(vectors, y, weak_vectors, y_weak),
        }
        model = _fit_class(np.vstack([vectors, weak_vectors]), np.concatenate([y, y_weak]))
        coefs.append(model.coef_[0])
        intercepts.append(model.intercept_[0])
        trained.append(name)
    if not trained:
        return None, metrics
    model = DimensionModel(trained, np.array(coefs, dtype=np.float32), np.array(intercepts))
    return model, metrics


def _cross_validate(
    vectors: np.ndarray, y: np.ndarray, weak_vectors: np.ndarray, y_weak: np.ndarray
) -> dict:
    """Precision and recall over the known labels; None where they cannot be measured
    (fewer than 2 known positives or negatives)."""
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives < 2 or negatives < 2:
        return {"precision": None, "recall": None}
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=min(5, positives, negatives), shuffle=True, random_state=0)
    predicted = np.zeros(len(y), dtype=int)
    for train, test in folds.split(vectors, y):
        x_train = np.vstack([vectors[train], weak_vectors])
        y_train = np.concatenate([y[train], y_weak])
        if 0 < y_train.sum() < len(y_train):
            predicted[test] = _fit_class(x_train, y_train).predict(vectors[test])
    true_pos = int(((predicted == 1) & (y == 1)).sum())
    return {
        "precision": round(true_pos / max(1, int(predicted.sum())), 3),
        "recall": round(true_pos / positives, 3),
    }


@dataclass
class TaxonomyModel:
    dimensions: dict[str, DimensionModel]

    def tags(self, vectors: np.ndarray) -> list[dict[str, list[tuple[str, float]]]]:
        """Per paper: dimension -> (class, probability), most probable first."""
        result: list[dict[str, list[tuple[str, float]]]] = [{} for _ in range(len(vectors))]
        for name, model in self.dimensions.items():
            proba = model.predict_proba(vectors)
            for i, row in enumerate(proba):
                order = np.argsort(-row)
                result[i][name] = [(model.classes[j], round(float(row[j]), 3)) for j in order]
        return result

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays, meta = {}, {"dimensions": {}}
        for name, model in self.dimensions.items():
            arrays[f"{name}.coef"] = model.coef
            arrays[f"{name}.intercept"] = model.intercept
            meta["dimensions"][name] = model.classes
        return arrays, meta

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict) -> TaxonomyModel:
        return cls(
            {
                name: DimensionModel(classes, arrays[f"{name}.coef"], arrays[f"{name}.intercept"])
                for name, classes in meta["dimensions"].items()
            }
        )


def top_tags(tags: dict[str, list[tuple[str, float]]]) -> list[tuple[str, float]]:
    """The most probable class of each dimension: 'generative VLM / causal tracing / ...'."""
    return [ranked[0] for ranked in tags.values() if ranked]
