"""Fitting the models from the store's papers and the known labels, and measuring them.

Every paper of the store takes part: the scope model's weak labels come from the words of
each one (see litradar.ranking.scope), and what the list, the survey and the maintainer
say overrides them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sklearn.metrics import average_precision_score

from litradar.core.paper import Paper
from litradar.core.terms import ScopeTerms
from litradar.curation.taxonomy import Taxonomy, TaxonomyLabels
from litradar.ranking.labels import Labels
from litradar.ranking.model_files import TrainedModels
from litradar.ranking.placement import TERMS_WEIGHT, PlacementModel
from litradar.ranking.relevance import RelevanceModel
from litradar.ranking.scope import ScopeLabels
from litradar.ranking.section_terms import SectionTerms
from litradar.ranking.taxonomy_model import TaxonomyModel, fit_dimension


@dataclass
class TrainingSet:
    papers: list[Paper]
    embeddings: np.ndarray
    y: np.ndarray
    on_list: np.ndarray
    rejected: np.ndarray
    accepted: np.ndarray

    @classmethod
    def build(cls, papers: list[Paper], embeddings: np.ndarray, labels: Labels) -> TrainingSet:
        def known(keys: set[str]) -> np.ndarray:
            return np.array([p.key in keys for p in papers], dtype=bool)

        y = known(labels.relevant).astype(int)
        return cls(
            papers, embeddings, y, known(labels.on_list), known(labels.rejected),
            known(labels.accepted),
        )  # fmt: skip

    @property
    def texts(self) -> list[str]:
        return [p.text for p in self.papers]

    @property
    def scope_labels(self) -> ScopeLabels:
        return ScopeLabels(self.y == 1, self.on_list, self.rejected, self.accepted)


def fit_relevance(
    data: TrainingSet, terms: ScopeTerms | None = None, calibrate: bool = True
) -> RelevanceModel:
    model = RelevanceModel(terms)
    if calibrate:
        return model.fit(data.papers, data.embeddings, data.scope_labels)
    return model.fit_uncalibrated(data.papers, data.embeddings, data.scope_labels)


def _placement_rows(data: TrainingSet, labels: Labels) -> list[int]:
    return [i for i, p in enumerate(data.papers) if p.key in labels.section]


def fit_placement(
    data: TrainingSet,
    labels: Labels,
    terms: SectionTerms | None = None,
    exclude: int | None = None,
    terms_weight: float = TERMS_WEIGHT,
) -> PlacementModel:
    rows = [i for i in _placement_rows(data, labels) if i != exclude]
    return PlacementModel(terms=terms, terms_weight=terms_weight).fit(
        data.embeddings[rows],
        [labels.section[data.papers[i].key] for i in rows],
        classes=labels.list_sections,
    )


def relevance_metrics(model: RelevanceModel) -> dict:
    """Out-of-fold, on the papers known to be in scope against every other paper (which
    includes unlabelled papers that do belong: the figures are lower bounds)."""
    y = model.in_scope_
    return {
        "method": f"{model.cv_folds}-fold stratified cross-validation, cut at the best F1",
        "positives": int(y.sum()),
        "negatives": int((y == 0).sum()),
        "threshold": round(model.threshold_, 4),
        "precision": round(model.threshold_precision_, 4),
        "recall": round(model.threshold_recall_, 4),
        "average_precision": round(float(average_precision_score(y, model.oof_scores_)), 4),
    }


def placement_metrics(data: TrainingSet, labels: Labels, terms: SectionTerms | None = None) -> dict:
    """Leave-one-out over the list's own papers (survey-derived labels stay in training),
    and, as a second opinion the terms were not written against, over the survey's papers
    that the list does not hold."""
    list_rows, survey_rows = [], []
    for i, paper in enumerate(data.papers):
        if paper.key in labels.section:
            (list_rows if paper.key in labels.on_list else survey_rows).append(i)
    metrics = _leave_one_out(data, labels, terms, list_rows)
    metrics["method"] = "leave-one-out over list papers"
    survey = _leave_one_out(data, labels, terms, survey_rows)
    metrics["survey_papers"] = {"accuracy": survey["accuracy"], "papers": survey["papers"]}
    return metrics


def _leave_one_out(
    data: TrainingSet, labels: Labels, terms: SectionTerms | None, rows: list[int]
) -> dict:
    per_section: dict[str, dict[str, int]] = {
        s: {"correct": 0, "total": 0} for s in labels.list_sections
    }
    for i in rows:
        truth = labels.section[data.papers[i].key]
        model = fit_placement(data, labels, terms, exclude=i)
        predicted = model.predict(data.embeddings[i : i + 1], data.papers[i : i + 1])[0]
        per_section[truth]["total"] += 1
        per_section[truth]["correct"] += int(predicted == truth)
    total = sum(v["total"] for v in per_section.values())
    correct = sum(v["correct"] for v in per_section.values())
    for stats in per_section.values():
        stats["accuracy"] = round(stats["correct"] / stats["total"], 4) if stats["total"] else None
    return {
        "accuracy": round(correct / total, 4) if total else None,
        "papers": total,
        "per_section": per_section,
    }


def train_models(
    data: TrainingSet,
    labels: Labels,
    embedding_model: str,
    terms: SectionTerms | None = None,
    scope: ScopeTerms | None = None,
) -> tuple[TrainedModels, dict]:
    relevance = fit_relevance(data, scope)
    placement = fit_placement(data, labels, terms)
    list_rows = [i for i in range(len(data.papers)) if data.on_list[i] and not data.rejected[i]]
    models = TrainedModels(
        relevance=relevance,
        placement=placement,
        embedding_model=embedding_model,
        list_ids=[data.papers[i].key for i in list_rows],
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    metrics = {
        "trained_at": models.trained_at,
        "embedding_model": embedding_model,
        "papers": len(data.papers),
        "relevance": relevance_metrics(relevance),
        "placement": placement_metrics(data, labels, terms),
        "decisions": {"accepted": len(labels.accepted), "rejected": len(labels.rejected)},
    }
    return models, metrics


def fit_taxonomy(
    data: TrainingSet,
    labels: TaxonomyLabels,
    taxonomy: Taxonomy,
    weak: TaxonomyLabels | None = None,
) -> tuple[TaxonomyModel | None, dict]:
    """One multi-label model per dimension, on the papers labelled in that dimension; a
    paper's weak (title) labels count only where nothing is known of it there."""
    weak = weak or TaxonomyLabels()
    models, metrics = {}, {}
    for dimension in taxonomy.dimensions:
        name = dimension.name
        rows = [i for i, p in enumerate(data.papers) if labels.of(p.key, name)]
        weak_rows = [
            i
            for i, p in enumerate(data.papers)
            if not labels.of(p.key, name) and weak.of(p.key, name)
        ]
        classes = [c.name for c in dimension.classes]
        model, per_class = fit_dimension(
            data.embeddings[rows],
            [labels.of(data.papers[i].key, name) for i in rows],
            classes,
            data.embeddings[weak_rows],
            [weak.of(data.papers[i].key, name) for i in weak_rows],
        )
        metrics[name] = {"labelled": len(rows), "weak": len(weak_rows), "classes": per_class}
        if model is not None:
            models[dimension.name] = model
    return (TaxonomyModel(models) if models else None), metrics
