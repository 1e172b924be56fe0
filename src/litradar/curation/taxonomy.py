"""The field's taxonomy as data (`taxonomy.toml`), and the labels it yields.

Three dimensions in the survey this project starts from (model family, technique,
application); any number in another field's file. A paper's labels come from the survey
sections that cite it, the list section it sits in (through `[list_sections]`), and the
maintainer's own tags (`litradar label --tag dimension=class`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from litradar.core.atomic_files import read_text
from litradar.core.errors import LitradarError
from litradar.core.paper import Paper
from litradar.core.terms import SCOPE_HALVES, ScopeTerms, compile_terms


class TaxonomyClass(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    description: str = ""
    survey_sections: list[str] = Field(default_factory=list)
    # Words by which a paper names this class ("probing", "logit lens"); matched at the
    # start of a word, case ignored, so "neuron" also finds "neurons".
    terms: list[str] = Field(default_factory=list)


class Dimension(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str = Field(min_length=1)
    title: str = ""
    classes: list[TaxonomyClass] = Field(alias="class", min_length=1)


class Scope(BaseModel):
    """The list's scope as two halves that must both hold (see litradar.ranking.scope):
    the words that name a multimodal foundation model, and those that name an analysis of
    a model's internals. A title naming one, or an abstract naming it often enough, gives
    that half a weak label."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())
    model_terms: list[str] = Field(default_factory=list)
    internals_terms: list[str] = Field(default_factory=list)
    model_abstract_mentions: int = Field(2, ge=1)
    internals_abstract_mentions: int = Field(3, ge=1)
    # How an abstract states its contribution: as findings, or as a method (the third
    # half, "the contribution is an analysis"; untrained without analysis_terms).
    analysis_terms: list[str] = Field(default_factory=list)
    method_terms: list[str] = Field(default_factory=list)
    contribution_mentions: int = Field(2, ge=1)
    # Chosen leave-one-week-out by `litradar evaluate` (docs/quality.md).
    contribution_weight: float = Field(1.0, ge=0.0, le=10.0)
    decision_weight: float = Field(1.0, ge=1.0, le=1000.0)
    # How the digest names each half, in the list's own words: model, internals,
    # contribution -> label (the defaults name this project's first list's halves).
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("labels")
    @classmethod
    def _known_halves(cls, labels: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(labels) - set(SCOPE_HALVES))
        if unknown:
            raise ValueError(f"no scope half {unknown[0]!r}: say {', '.join(SCOPE_HALVES)}")
        return {half: " ".join(label.split()) for half, label in labels.items()}

    def terms(self) -> ScopeTerms:
        return ScopeTerms(
            model=tuple(self.model_terms),
            internals=tuple(self.internals_terms),
            model_abstract_mentions=self.model_abstract_mentions,
            internals_abstract_mentions=self.internals_abstract_mentions,
            analysis=tuple(self.analysis_terms),
            method=tuple(self.method_terms),
            contribution_mentions=self.contribution_mentions,
            contribution_weight=self.contribution_weight,
            decision_weight=self.decision_weight,
            labels=dict(self.labels),
        )


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    dimensions: list[Dimension] = Field(alias="dimension", min_length=1)
    list_sections: dict[str, list[str]] = Field(default_factory=dict)
    # Terms for list sections that map to no class ("Surveys", "Tool").
    list_section_terms: dict[str, list[str]] = Field(default_factory=dict)
    # Sections a paper goes in only when it names them ("Surveys", "Tool").
    named_only_sections: list[str] = Field(default_factory=list)
    # Sections named after one technique, which a paper goes in only when its title or
    # abstract names it ("Logit Lens").
    technique_sections: list[str] = Field(default_factory=list)
    scope: Scope = Field(default_factory=Scope)

    @model_validator(mode="after")
    def _names_resolve(self) -> Taxonomy:
        known = {c.name for d in self.dimensions for c in d.classes}
        for section, classes in self.list_sections.items():
            for name in classes:
                if name not in known:
                    raise ValueError(f"list section {section!r} maps to unknown class {name!r}")
        # A section named here but given no terms would be ignored without a word: a typo
        # ("Logit lens") would quietly turn the rule off.
        with_terms = set(self.section_terms())
        for key, sections in (
            ("named_only_sections", self.named_only_sections),
            ("technique_sections", self.technique_sections),
        ):
            for section in sections:
                if section not in with_terms:
                    raise ValueError(
                        f"{key}: {section!r} has no terms ([list_sections] or "
                        "[list_section_terms]) by which a paper could name it"
                    )
        return self

    def dimension(self, name: str) -> Dimension:
        for dimension in self.dimensions:
            if dimension.name == name:
                return dimension
        raise LitradarError(
            f"no taxonomy dimension {name!r}; the file has {[d.name for d in self.dimensions]}"
        )

    def dimension_of(self, class_name: str) -> str | None:
        for dimension in self.dimensions:
            if any(c.name == class_name for c in dimension.classes):
                return dimension.name
        return None

    def section_terms(self) -> dict[str, list[str]]:
        """List section -> the terms of its classes and its own: placement's evidence that a
        paper names a section's technique."""
        by_class = {c.name: c.terms for d in self.dimensions for c in d.classes}
        terms: dict[str, list[str]] = {}
        for section, classes in self.list_sections.items():
            for name in classes:
                terms.setdefault(section, []).extend(by_class[name])
        for section, own in self.list_section_terms.items():
            terms.setdefault(section, []).extend(own)
        return {section: sorted(set(found)) for section, found in terms.items() if found}

    def classes_for_survey_section(self, section: str) -> list[tuple[str, str]]:
        """'6.3 Detecting and Mitigating ...' -> [('application', 'hallucination')]."""
        number = section.split(" ", 1)[0]
        found = []
        for dimension in self.dimensions:
            for cls in dimension.classes:
                if any(number == s or number.startswith(s + ".") for s in cls.survey_sections):
                    found.append((dimension.name, cls.name))
        return found


def load_taxonomy(path: Path) -> Taxonomy:
    if not path.is_file():
        raise LitradarError(f"taxonomy file not found: {path}")
    try:
        return Taxonomy.model_validate(tomllib.loads(read_text(path).removeprefix("\ufeff")))
    except tomllib.TOMLDecodeError as exc:
        raise LitradarError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise LitradarError(f"{path}: nested too deeply to read") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise LitradarError(f"{path}: {where}: {first['msg']}") from None


@dataclass
class TaxonomyLabels:
    """Paper key -> dimension -> the classes known for it."""

    tags: dict[str, dict[str, set[str]]] = field(default_factory=dict)

    def add(self, key: str, dimension: str, class_name: str) -> None:
        self.tags.setdefault(key, {}).setdefault(dimension, set()).add(class_name)

    def remove(self, key: str, dimension: str) -> None:
        self.tags.get(key, {}).pop(dimension, None)

    def of(self, key: str, dimension: str) -> set[str]:
        return self.tags.get(key, {}).get(dimension, set())


def title_labels(taxonomy: Taxonomy, papers: Iterable[Paper]) -> TaxonomyLabels:
    """Weak labels: the classes a paper's title names by their terms ("... in CLIP" is
    about a non-generative VLM). Titles, not abstracts: an abstract names related work
    too. They let a class the survey cites twice still be learned; the known labels
    override them (see `fit_taxonomy`)."""
    patterns = [
        (dimension.name, cls.name, compile_terms(cls.terms))
        for dimension in taxonomy.dimensions
        for cls in dimension.classes
    ]
    labels = TaxonomyLabels()
    for paper in papers:
        for dimension, class_name, pattern in patterns:
            if pattern is not None and pattern.search(paper.title):
                labels.add(paper.key, dimension, class_name)
    return labels


def collect_taxonomy_labels(
    taxonomy: Taxonomy,
    survey: dict[str, list[str]] | None,
    list_sections: dict[str, str],
    decisions: list[dict],
    tag_corrections: list[dict],
) -> TaxonomyLabels:
    """`list_sections`: key -> list section (the list, then accepted decisions).
    `tag_corrections` (key, dimension, class) replace everything else for that dimension."""
    labels = TaxonomyLabels()
    for key, sections in (survey or {}).items():
        for section in sections:
            for dimension, class_name in taxonomy.classes_for_survey_section(section):
                labels.add(key, dimension, class_name)
    sections = dict(list_sections)
    for decision in decisions:
        if decision["relevant"] and decision.get("section"):
            sections[decision["key"]] = decision["section"]
    for key, section in sections.items():
        for class_name in taxonomy.list_sections.get(section, []):
            labels.add(key, taxonomy.dimension_of(class_name) or "", class_name)
    corrected: dict[tuple[str, str], set[str]] = {}
    for tag in tag_corrections:
        corrected.setdefault((tag["key"], tag["dimension"]), set()).add(tag["class_name"])
    for (key, dimension), classes in corrected.items():
        labels.remove(key, dimension)
        for class_name in classes:
            labels.add(key, dimension, class_name)
    return labels
