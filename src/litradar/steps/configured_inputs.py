"""What several commands read the same way: the encoder, the taxonomy and its terms, and
what the list, the survey and the maintainer say of each paper.

`train`, `evaluate`, `backtest`, `label` and the web page all need these; keeping them here
(not in the pipeline's steps) lets each of those import what it reads without importing
the steps, and lets `train` read the list and the survey once for both of its label sets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from litradar.config import Config
from litradar.core.paper import Paper
from litradar.core.progress import Reporter
from litradar.core.terms import ScopeTerms
from litradar.curation.awesome_list import AwesomeList
from litradar.curation.list_match import duplicate_entries
from litradar.curation.list_source import read_list
from litradar.curation.taxonomy import (
    Taxonomy,
    TaxonomyLabels,
    collect_taxonomy_labels,
    load_taxonomy,
)
from litradar.embedding.encoders import TextEncoder, embed_papers, encoder_for
from litradar.ranking.labels import (
    Labels,
    apply_decisions,
    collect_labels,
    load_survey_citations,
)
from litradar.ranking.section_terms import SectionTerms
from litradar.storage.store import Store

if TYPE_CHECKING:
    from litradar.ranking.training import TrainingSet


def default_encoder(config: Config) -> TextEncoder:
    embedding = config.embedding
    return encoder_for(
        embedding.model,
        device=embedding.device,
        batch_size=embedding.batch_size,
        backend=embedding.backend,
        data_dir=config.data_dir,
    )


def load_configured_taxonomy(config: Config) -> Taxonomy | None:
    """None when `[paths] taxonomy` is unset; an error when it names a missing file."""
    path = config.taxonomy_path
    return None if path is None else load_taxonomy(path)


def section_terms(taxonomy: Taxonomy | None) -> SectionTerms | None:
    """Placement's named-technique evidence; none without a taxonomy file."""
    if taxonomy is None:
        return None
    return SectionTerms(
        taxonomy.section_terms(),
        named_only=taxonomy.named_only_sections,
        technique=taxonomy.technique_sections,
    )


def scope_terms(taxonomy: Taxonomy | None) -> ScopeTerms | None:
    """The scope's weak-label words; none without a taxonomy file (the known labels alone
    then teach both halves)."""
    return taxonomy.scope.terms() if taxonomy is not None else None


@dataclass
class Curation:
    """Everything people said about papers: the list, the survey's citations, and the
    maintainer's decisions and tag corrections stored by `label`, `feedback` and the page."""

    awesome: AwesomeList
    survey: dict[str, list[str]] | None
    decisions: list[dict] = field(default_factory=list)
    tag_corrections: list[dict] = field(default_factory=list)


def load_curation(config: Config) -> Curation:
    """The list as its repository holds it now (changes since the last read recorded as
    decisions first, so that they are among the decisions read below), the survey, and
    the stored decisions."""
    bib = config.survey_bibliography_path
    curation = Curation(
        awesome=read_list(config, record=True).awesome,
        survey=load_survey_citations(bib) if bib is not None else None,
    )
    if config.store_path.is_file():
        with Store.open(config.store_path) as store:
            curation.decisions, curation.tag_corrections = store.labels(), store.tag_labels()
    return curation


def load_labels(
    config: Config, reporter: Reporter | None = None, curation: Curation | None = None
) -> tuple[Labels, list[str]]:
    """Labels from the list and the survey, the maintainer's decisions over them; also the
    list's parse warnings."""
    curation = curation or load_curation(config)
    awesome = curation.awesome
    labels = collect_labels(awesome, curation.survey, config.ranking.survey_sections)
    apply_decisions(labels, curation.decisions)
    if reporter:
        for warning in awesome.warnings:
            reporter.warn(f"the list: {warning}")
        for duplicate in duplicate_entries(awesome):
            reporter.warn(f"the list: {duplicate}")
        sections = set(awesome.section_names())
        for number, target in config.ranking.survey_sections.items():
            if target not in sections:  # a typo would drop that survey section's papers
                reporter.warn(
                    f"[ranking.survey_sections] {number!r} = {target!r} is not a section of "
                    f"the list; its survey papers teach no section ({sorted(sections)})"
                )
    return labels, awesome.warnings


def taxonomy_labels(
    config: Config, taxonomy: Taxonomy, curation: Curation | None = None
) -> TaxonomyLabels:
    """What is known of each paper's classes: the survey's citing sections, the list's
    sections (and the maintainer's decisions) through the mapping, the maintainer's tags."""
    curation = curation or load_curation(config)
    list_sections = {e.key: e.section_name for e in curation.awesome.papers if e.key}
    return collect_taxonomy_labels(
        taxonomy, curation.survey, list_sections, curation.decisions, curation.tag_corrections
    )


def learned_from(store: Store, labels: Labels, cap: int, reporter: Reporter) -> list[Paper]:
    """The stored papers training reads: all of them, or, when more than `cap` carry no
    label, every labelled paper (the list's, the survey's, the maintainer's decisions and
    tags) and `cap` of the others, chosen by a hash of their key (the same ones from run
    to run, whatever the order they were stored in), in the store's order."""
    keys = store.paper_keys()
    labelled = labels.relevant | labels.on_list | labels.accepted | labels.rejected
    labelled |= {tag["key"] for tag in store.tag_labels()}
    others = [i for i, key in keys.items() if key not in labelled]
    if len(others) <= cap:
        return store.papers()
    sampled = sorted(others, key=lambda i: hashlib.sha256(keys[i].encode()).digest())[:cap]
    reporter.warn(
        f"training reads {cap:,} of the store's {len(others):,} unlabelled papers (a fixed "
        "sample; [ranking] max_unlabelled) and all labelled ones"
    )
    chosen = store.by_store_ids([i for i in keys if keys[i] in labelled] + sampled)
    return sorted(chosen.values(), key=lambda p: (p.first_version_date, p.store_id or 0))


def training_set(
    config: Config,
    encoder: TextEncoder,
    reporter: Reporter,
    extra: Sequence[Paper] = (),
    curation: Curation | None = None,
) -> tuple[TrainingSet, Labels]:
    """Every stored paper (and `extra` ones) with its vector and what is known of it."""
    from litradar.ranking.training import TrainingSet

    labels, _ = load_labels(config, reporter, curation)
    with Store.open(config.store_path) as store:
        papers = learned_from(store, labels, config.ranking.max_unlabelled, reporter)
        known = {p.key for p in papers}
        papers += [p for p in extra if p.key not in known]
        vectors, _ = embed_papers(store, papers, encoder, reporter)
    missing = sorted(labels.on_list - {p.key for p in papers})
    if missing:
        reporter.warn(
            f"{len(missing)} list papers are not in the store and cannot be learned from "
            f"(ingest their metadata): {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"
        )
    return TrainingSet.build(papers, vectors, labels), labels
