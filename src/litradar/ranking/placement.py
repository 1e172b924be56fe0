"""Placement: which of the list's sections a paper belongs in.

A similarity-weighted vote of the k nearest labelled papers (list entries, and survey
citations mapped to list sections), plus the evidence that the paper names a section's
technique (`SectionTerms`). With a couple of dozen labelled papers the vote beat logistic
regression on embeddings and on TF-IDF in leave-one-out, and the named technique lifted
it further on both the list's papers and the survey's (docs/quality.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from litradar.core.paper import Paper
from litradar.ranking.neighbours import NeighbourSet
from litradar.ranking.section_terms import SectionTerms

# How much a named technique weighs against the neighbours' vote: 2 was chosen leave one
# judged week out (`litradar evaluate`, docs/quality.md), in four folds of five.
TERMS_WEIGHT = 2.0


class PlacementModel:
    def __init__(
        self,
        k: int = 5,
        temperature: float = 0.1,
        terms: SectionTerms | None = None,
        terms_weight: float = TERMS_WEIGHT,
    ) -> None:
        self.k = k
        self.temperature = temperature
        self.terms = terms
        self.terms_weight = terms_weight

    def fit(
        self, embeddings: np.ndarray, labels: Sequence[str], classes: Sequence[str] | None = None
    ) -> PlacementModel:
        """`classes` fixes the order of the probability columns (the list's section order)."""
        if len(labels) == 0:
            raise ValueError("placement needs at least one labelled paper")
        self.classes_ = list(classes) if classes is not None else sorted(set(labels))
        position = {c: i for i, c in enumerate(self.classes_)}
        unknown = set(labels) - set(position)
        if unknown:
            raise ValueError(f"labels not among the classes: {sorted(unknown)}")
        self.labels_ = np.array([position[label] for label in labels], dtype=np.int64)
        self.reference_ = NeighbourSet(embeddings)
        return self

    def predict_proba(
        self, embeddings: np.ndarray, papers: Sequence[Paper] | None = None
    ) -> np.ndarray:
        """`papers` (the rows of `embeddings`) adds the named-technique evidence and bars
        the sections a paper may not go in; without them the vote alone decides."""
        if self.terms is None or papers is None:
            return self._vote(embeddings)
        allowed = self.terms.allowed(papers, self.classes_)
        proba = self._vote(embeddings)
        # A row whose k nearest all sit in barred sections is voted again by its k nearest
        # of the sections it may go in; before, it came out a tie broken by section order.
        stranded = (proba * allowed).sum(axis=1) == 0
        if stranded.any():
            proba[stranded] = self._vote(embeddings[stranded], allowed[stranded])
        proba += self.terms_weight * self.terms.evidence(papers, self.classes_)
        # A tiny floor keeps a row with no allowed neighbour at all placeable.
        proba = (proba + 1e-6) * allowed
        proba /= np.maximum(proba.sum(axis=1, keepdims=True), 1e-12)
        return proba

    def _vote(self, embeddings: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
        """The k nearest labelled papers' similarity-weighted vote; with `allowed` (rows x
        sections), the k nearest of the sections each row may go in."""
        depth = self.k if allowed is None else len(self.reference_)
        scores, idx = self.reference_.search(embeddings, depth)
        found = idx >= 0
        labels = self.labels_[np.where(found, idx, 0)]
        if allowed is not None:
            found &= np.take_along_axis(allowed, labels, axis=1) > 0
            found &= np.cumsum(found, axis=1) <= self.k
        best = np.where(found, scores, -np.inf).max(axis=1, keepdims=True)
        best = np.where(np.isfinite(best), best, 0.0)
        weights = np.where(found, np.exp((scores - best) / self.temperature), 0.0)
        proba = np.zeros((len(embeddings), len(self.classes_)), dtype=np.float64)
        for row in range(len(embeddings)):
            np.add.at(proba[row], labels[row][found[row]], weights[row][found[row]])
        proba /= np.maximum(proba.sum(axis=1, keepdims=True), 1e-12)
        return proba

    def predict(self, embeddings: np.ndarray, papers: Sequence[Paper] | None = None) -> list[str]:
        return [self.classes_[i] for i in self.predict_proba(embeddings, papers).argmax(axis=1)]

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays = {"placement_vectors": self.reference_.vectors, "placement_labels": self.labels_}
        meta = {
            "k": self.k,
            "temperature": self.temperature,
            "classes": self.classes_,
            "terms": self.terms.to_meta() if self.terms else None,
            "terms_weight": self.terms_weight,
        }
        return arrays, meta

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict) -> PlacementModel:
        terms = meta.get("terms")
        model = cls(
            k=int(meta["k"]),
            temperature=float(meta["temperature"]),
            terms=SectionTerms.from_meta(terms) if terms else None,
            terms_weight=float(meta.get("terms_weight", 1.0)),
        )
        model.classes_ = list(meta["classes"])
        model.labels_ = arrays["placement_labels"].astype(np.int64)
        model.reference_ = NeighbourSet(arrays["placement_vectors"])
        return model
