"""Evidence that a paper names a list section's technique ("probing", "logit lens").

With a couple of dozen labelled papers, the nearest-neighbour vote alone places a paper by
topic (hallucination, CLIP) rather than by method; the list's sections are methods, and a
paper usually names its method. The terms are data (`taxonomy.toml`), so another field's
list brings its own. A title that names a technique counts fully, an abstract that does
counts `abstract_weight` (abstracts name related methods too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from litradar.core.paper import Paper
from litradar.core.terms import compile_terms

# Said of a section chosen by the neighbours' vote alone. The vote places by topic
# (hallucination, CLIP), the list's sections are methods: on the five judged weeks such
# placements were wrong for 9 of 23 papers that belong or are borderline, against 7 of 32
# where the paper names its technique (docs/quality.md).
NOTHING_NAMED = " (no technique named: placed by its nearest list papers)"


def describe_named(named: tuple[str, str] | None, escape: Callable[[str], str]) -> str:
    """' (title says “probing”)' for a digest, the review page or a pull request, and
    NOTHING_NAMED when the paper names no section's technique, so that a maintainer knows
    which placements to check. The term is the paper's own text: the caller escapes it."""
    if named is None:
        return NOTHING_NAMED
    where, term = named
    return f" ({where} says “{escape(term)}”)"


class SectionTerms:
    def __init__(
        self,
        terms: Mapping[str, Sequence[str]],
        title_weight: float = 1.0,
        abstract_weight: float = 0.6,
        named_only: Sequence[str] = (),
        technique: Sequence[str] = (),
    ) -> None:
        self.terms = {section: list(found) for section, found in terms.items() if found}
        self.title_weight = title_weight
        self.abstract_weight = abstract_weight
        # Sections a paper goes in only when its title names them ("Surveys": a paper on
        # the survey's topic is not a survey, however close its neighbours are).
        self.named_only = [s for s in named_only if s in self.terms]
        # Sections named after one technique ("Logit Lens"), which a paper goes in only
        # when its title or abstract names that technique. The neighbours' vote places by
        # topic: a hallucination paper that never projects onto the vocabulary went to
        # Logit Lens because the list's logit-lens papers study hallucination.
        self.technique = [s for s in technique if s in self.terms]
        self._patterns = {section: compile_terms(found) for section, found in self.terms.items()}

    def named(self, paper: Paper, section: str) -> tuple[str, str] | None:
        """('title' or 'abstract', the term as written) where the paper names `section`."""
        pattern = self._patterns.get(section)
        if pattern is None:
            return None
        for where, text in (("title", paper.title), ("abstract", paper.abstract)):
            found = pattern.search(text)
            if found:
                return where, found.group(0)
        return None

    def evidence(self, papers: Sequence[Paper], sections: Sequence[str]) -> np.ndarray:
        """(papers x sections): title_weight, abstract_weight or 0 per section."""
        weights = {"title": self.title_weight, "abstract": self.abstract_weight}
        out = np.zeros((len(papers), len(sections)), dtype=np.float64)
        for row, paper in enumerate(papers):
            for col, section in enumerate(sections):
                found = self.named(paper, section)
                if found:
                    out[row, col] = weights[found[0]]
        return out

    def allowed(self, papers: Sequence[Paper], sections: Sequence[str]) -> np.ndarray:
        """(papers x sections): 0 where a section is named-only and the paper's title does
        not name it, or a technique section and neither its title nor its abstract does;
        else 1. The title for named-only ones, because abstracts say "tool" and "survey" of
        the work they build on: a steering paper that calls its method a tool is not a
        tool."""
        out = np.ones((len(papers), len(sections)), dtype=np.float64)
        for col, section in enumerate(sections):
            if section in self.named_only:
                found = [self.named(p, section) for p in papers]
                out[:, col] = [f is not None and f[0] == "title" for f in found]
            elif section in self.technique:
                out[:, col] = [self.named(p, section) is not None for p in papers]
        return out

    def without_technique(self) -> SectionTerms:
        """The same terms with no technique sections: `litradar evaluate` measures both."""
        return SectionTerms(self.terms, self.title_weight, self.abstract_weight, self.named_only)

    def to_meta(self) -> dict:
        return {
            "terms": self.terms,
            "title_weight": self.title_weight,
            "abstract_weight": self.abstract_weight,
            "named_only": self.named_only,
            "technique": self.technique,
        }

    @classmethod
    def from_meta(cls, meta: dict) -> SectionTerms:
        return cls(
            meta["terms"],
            float(meta["title_weight"]),
            float(meta["abstract_weight"]),
            meta.get("named_only", ()),
            meta.get("technique", ()),
        )
