"""Scoring papers with trained models, with what a maintainer needs to judge each score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from litradar.core.paper import Paper
from litradar.ranking.model_files import TrainedModels

# Placement's two best sections closer than this (in probability) are named together.
UNCERTAIN_MARGIN = 0.2


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
    # The second most probable section and its probability.
    runner_up: str | None = None
    runner_up_probability: float = 0.0
    # How the digest names a signal where the list's taxonomy says it in its own words
    # (`[scope] labels`): signal name -> label; the rest keep SIGNALS' labels.
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def section_uncertain(self) -> tuple[str, str] | None:
        """(section, runner-up) when placement could not tell them apart: the digest says
        so instead of defaulting to the first."""
        close = self.section_probability - self.runner_up_probability < UNCERTAIN_MARGIN
        return (self.section, self.runner_up) if self.runner_up and close else None


def score_papers(
    models: TrainedModels, papers: Sequence[Paper], vectors: np.ndarray, close_to: int = 3
) -> list[Scored]:
    from litradar.ranking.relevance import SIGNALS  # scikit-learn: not on a reader's path

    if not papers:
        return []
    texts = [p.text for p in papers]
    relevance = models.relevance
    proba, signals, why = relevance.assess(texts, vectors)
    placement = models.placement.predict_proba(vectors, papers)
    # One more than shown: a paper the maintainer accepted is among the list's papers the
    # model holds, and is not "close to" itself.
    near_scores, near_idx = relevance.list_.search(vectors, close_to + 1)
    tags = models.taxonomy.tags(vectors) if models.taxonomy else [{} for _ in papers]
    terms = models.placement.terms
    # A list drafted without the contribution half scores it 1 for every paper: shown, it
    # would claim that each one "states findings, not a method".
    shown = [
        s.name != "contribution" or relevance.terms.has_contribution for s in SIGNALS
    ]
    scored = []
    for i, paper in enumerate(papers):
        best, second = np.argsort(-placement[i], kind="stable")[:2]
        section = models.placement.classes_[best]
        scored.append(
            Scored(
                paper=paper,
                relevance=float(proba[i]),
                section=section,
                section_probability=float(placement[i, best]),
                signals={
                    s.name: round(float(v), 2)
                    for s, v, show in zip(SIGNALS, signals[i], shown, strict=True)
                    if show
                },
                close_to=[
                    (models.list_ids[j], float(s))
                    for s, j in zip(near_scores[i], near_idx[i], strict=True)
                    if j >= 0 and models.list_ids[j] != paper.key
                ][:close_to],
                top_terms=why[i],
                tags=tags[i],
                section_named=terms.named(paper, section) if terms else None,
                runner_up=models.placement.classes_[second],
                runner_up_probability=float(placement[i, second]),
                labels=dict(relevance.terms.labels),
            )
        )
    return scored
