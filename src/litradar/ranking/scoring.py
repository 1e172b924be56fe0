"""Scoring papers with trained models, with what a maintainer needs to judge each score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from litradar.paper import Paper
from litradar.ranking.model_files import TrainedModels
from litradar.ranking.relevance import SIGNALS


@dataclass
class Scored:
    """One paper of a window with everything the digest and `find` show about it."""

    paper: Paper
    relevance: float
    section: str
    section_probability: float
    signals: dict[str, float]  # SIGNALS name -> value (probabilities, a similarity)
    close_to: list[tuple[str, float]]  # (arXiv id of a list paper, cosine similarity)
    top_terms: dict[str, list[str]]  # scope axis -> the words that pushed the paper up on it
    # Taxonomy dimension -> (class, probability), most probable first; empty without one.
    tags: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    # Where the paper names its section's technique: ("title", "probing"), or None.
    section_named: tuple[str, str] | None = None


def score_papers(
    models: TrainedModels, papers: Sequence[Paper], vectors: np.ndarray, close_to: int = 3
) -> list[Scored]:
    if not papers:
        return []
    texts = [p.text for p in papers]
    relevance = models.relevance
    proba, signals, why = relevance.assess(texts, vectors)
    placement = models.placement.predict_proba(vectors, papers)
    near_scores, near_idx = relevance.list_.search(vectors, close_to)
    tags = models.taxonomy.tags(vectors) if models.taxonomy else [{} for _ in papers]
    terms = models.placement.terms
    scored = []
    for i, paper in enumerate(papers):
        best = int(placement[i].argmax())
        section = models.placement.classes_[best]
        scored.append(
            Scored(
                paper=paper,
                relevance=float(proba[i]),
                section=section,
                section_probability=float(placement[i, best]),
                signals={
                    s.name: round(float(v), 2) for s, v in zip(SIGNALS, signals[i], strict=True)
                },
                close_to=[
                    (models.list_ids[j], float(s))
                    for s, j in zip(near_scores[i], near_idx[i], strict=True)
                    if j >= 0
                ],
                top_terms=why[i],
                tags=tags[i],
                section_named=terms.named(paper, section) if terms else None,
            )
        )
    return scored
