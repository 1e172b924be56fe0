"""How a taxonomy term is found in a paper's text.

A term matches as a whole word or phrase, with an optional plural ("neuron" finds
"neurons", not "neuronal"; "probe" finds "probes"). A term written with capitals is an
acronym or a name and matches only as written ("CLIP" is the model, "clip" a video clip);
one in lower case ignores case. The terms are data (`taxonomy.toml`), so a list on
another field brings its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from litradar.core.paper import Paper


def compile_terms(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for all `terms`, longest first; None when there are none."""
    alternatives = []
    for term in sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True):
        plural = re.escape(term) + "(?:e?s)?"
        alternatives.append(plural if term != term.lower() else f"(?i:{plural})")
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


SCOPE_HALVES = ("model", "internals", "contribution")  # the scope model's axes, in order


@dataclass(frozen=True)
class ScopeTerms:
    """The words that give each axis its weak labels (`[scope]` in taxonomy.toml).

    `analysis` and `method` are how an abstract states its contribution ("we find", "we
    reveal" against "we propose", "training-free", "accelerates"): they teach the third
    axis, whether the contribution is an analysis or a method that merely uses a model's
    internals. Without `analysis` terms that axis is not trained."""

    model: Sequence[str] = ()
    internals: Sequence[str] = ()
    model_abstract_mentions: int = 2
    internals_abstract_mentions: int = 3
    analysis: Sequence[str] = ()
    method: Sequence[str] = ()
    contribution_mentions: int = 2
    # Tuned leave-one-week-out (`litradar evaluate`): the contribution axis's weight in the
    # score, and how many weak labels one of the maintainer's decisions weighs.
    contribution_weight: float = 1.0
    decision_weight: float = 1.0
    # How the digest names each axis, where the list's own words differ from the default
    # (litradar.ranking.relevance.SIGNALS): axis -> label.
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)

    def weak_labels(self, papers: Sequence[Paper]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """axis -> (weak positives, weak negatives): named in the title (or often enough
        in the abstract), or named nowhere. A paper in between is left out of that axis.
        The contribution axis (when `analysis` terms are given): a positive states its
        contribution as findings at least `contribution_mentions` times and more often
        than as a method; a negative states it as a method that often and never as
        findings."""
        out = {}
        for axis, terms, mentions in (
            ("model", self.model, self.model_abstract_mentions),
            ("internals", self.internals, self.internals_abstract_mentions),
        ):
            pattern = compile_terms(terms)
            if pattern is None:  # no words: every paper names none of them
                out[axis] = (np.zeros(len(papers), bool), np.ones(len(papers), bool))
                continue
            in_title = np.array([bool(pattern.search(p.title)) for p in papers])
            in_abstract = np.array([len(pattern.findall(p.abstract)) for p in papers])
            out[axis] = (in_title | (in_abstract >= mentions), ~in_title & (in_abstract == 0))
        return out | self._contribution(papers)

    def _contribution(self, papers: Sequence[Paper]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        analysis = compile_terms(self.analysis)
        if analysis is None:
            return {}
        method = compile_terms(self.method)
        texts = [f"{p.title}. {p.abstract}" for p in papers]
        found = np.array([len(analysis.findall(t)) for t in texts])
        used = np.array([len(method.findall(t)) if method else 0 for t in texts])
        enough = self.contribution_mentions
        return {
            "contribution": (
                (found >= enough) & (found > used),
                (used >= enough) & (found == 0),
            )
        }

    @property
    def has_contribution(self) -> bool:
        return any(t.strip() for t in self.analysis)

    def to_meta(self) -> dict:
        return {
            "model": list(self.model),
            "internals": list(self.internals),
            "model_abstract_mentions": self.model_abstract_mentions,
            "internals_abstract_mentions": self.internals_abstract_mentions,
            "analysis": list(self.analysis),
            "method": list(self.method),
            "contribution_mentions": self.contribution_mentions,
            "contribution_weight": self.contribution_weight,
            "decision_weight": self.decision_weight,
            "labels": dict(self.labels),
        }
