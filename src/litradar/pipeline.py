"""The steps of a run, top to bottom: ingest -> index -> train -> digest, plus find.

Each step opens the store, does one job, and returns a small report. The command line and
the Prefect flow both call these; neither holds logic of its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from litradar.awesome_list import load_list
from litradar.config import Config
from litradar.embed import (
    HashingEncoder,
    SentenceTransformerEncoder,
    TextEncoder,
    embed_papers,
    embed_query,
    embed_store,
    encoder_for,
)
from litradar.errors import LitradarError
from litradar.files import atomic_write_text
from litradar.index import IndexDamaged, IndexSettings, PaperIndex, content_fingerprint
from litradar.paper import Paper
from litradar.progress import Reporter, SilentReporter
from litradar.ranking.hybrid import fuse
from litradar.ranking.labels import (
    Labels,
    apply_decisions,
    collect_labels,
    load_survey_citations,
)
from litradar.ranking.section_terms import SectionTerms
from litradar.sources.registry import open_file
from litradar.sources.runner import read_file
from litradar.store import Store
from litradar.taxonomy import (
    Taxonomy,
    TaxonomyLabels,
    collect_taxonomy_labels,
    load_taxonomy,
    title_labels,
)
from litradar.terms import ScopeTerms

if TYPE_CHECKING:
    from litradar.ranking.model_files import TrainedModels
    from litradar.ranking.training import TrainingSet

EncoderFactory = Callable[[Config], TextEncoder]


def default_encoder(config: Config) -> TextEncoder:
    embedding = config.embedding
    return encoder_for(embedding.model, device=embedding.device, batch_size=embedding.batch_size)


def query_encoder(config: Config) -> TextEncoder:
    """For one query: the model's ONNX export beside the index (no torch, see
    litradar.query_encoder) when `litradar index` made one, else the model itself."""
    if config.embedding.model == HashingEncoder.name:
        return HashingEncoder()
    from litradar.query_encoder import OnnxEncoder

    return OnnxEncoder.load(config.data_dir, config.embedding.model) or default_encoder(config)


def index_settings(config: Config) -> IndexSettings:
    return IndexSettings(**config.index.model_dump())


@dataclass
class IngestReport:
    files: list[str] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def ingest_files(
    config: Config, files: Sequence[Path], reporter: Reporter | None = None
) -> IngestReport:
    """Read every file before writing: a missing file stops the run before anything changes.
    Each file is committed in one transaction, so a crash keeps whole files or none."""
    reporter = reporter or SilentReporter()
    missing = [str(f) for f in files if not Path(f).is_file()]
    if missing:
        raise LitradarError(f"no such file: {missing[0]}")
    report = IngestReport()
    with Store.open(config.store_path, create=True) as store:
        for path in files:
            source = open_file(config, Path(path))
            result, problems = read_file(store, source, reporter)
            report.problems += problems
            report.files.append(str(path))
            report.added += result.added
            report.updated += result.updated
            report.unchanged += result.unchanged
    return report


@dataclass
class IndexReport:
    papers: int
    embedded_now: int
    rebuilt: bool  # the index changed (built, or grown)
    action: str = "up to date"  # "built", "grown" or "up to date"
    added: int = 0  # vectors added to (or replaced in) the index


def update_index(
    config: Config, encoder: TextEncoder | None = None, reporter: Reporter | None = None
) -> IndexReport:
    """Embed what is new (committed a chunk at a time), then bring the FAISS index to what
    the store holds: add new papers, replace changed ones, rebuild only when it must (no
    index yet, a damaged one, or its size calls for another kind of index)."""
    reporter = reporter or SilentReporter()
    encoder = encoder or default_encoder(config)
    settings = index_settings(config)
    with Store.open(config.store_path) as store:
        if store.count() == 0:
            raise LitradarError("the store is empty: run 'litradar ingest FILE' first")
        embedded_now = embed_store(store, encoder, reporter, config.embedding.chunk_size)
        ids, shas = store.index_entries(encoder.name)
        _ensure_query_encoder(config, encoder, store, ids, reporter)
        content = content_fingerprint(ids.tolist(), shas)
        try:
            # Mapped first (cheap at any size): an index that is up to date is not read.
            existing = PaperIndex.load(config.data_dir, encoder.name)
            if existing is not None and existing.fingerprint == content:
                return IndexReport(len(ids), embedded_now, rebuilt=False)
            if existing is not None:
                existing = PaperIndex.load(config.data_dir, encoder.name, mmap=False)
                existing.load_entries()
        except IndexDamaged as exc:
            reporter.warn(f"{str(exc).split(';')[0]}; rebuilding it from the store")
            existing = None
        if existing is None or existing.needs_rebuild(len(ids), settings):
            with reporter.track(f"building the index of {len(ids)} papers", None):
                index = _build_from_store(store, encoder.name, ids, shas, content, settings)
            action, added = "built", index.size
        else:
            remove, add = existing.changes(ids, shas)
            added = existing.apply(
                remove, store.paper_vectors(encoder.name, add.tolist()), ids, shas, content
            )
            index, action = existing, "grown"
    index.save(config.data_dir)
    return IndexReport(len(ids), embedded_now, rebuilt=True, action=action, added=added)


def _build_from_store(
    store: Store,
    model: str,
    ids: np.ndarray,
    shas: list[str],
    content: str,
    settings: IndexSettings,
) -> PaperIndex:
    chunks = list(store.paper_vectors(model))
    if not chunks:
        raise LitradarError("nothing to index: no paper has an embedding")
    held = np.concatenate([c[0] for c in chunks])
    vectors = np.vstack([c[1] for c in chunks])
    sha_of = dict(zip(ids.tolist(), shas, strict=True))
    held_shas = [sha_of[i] for i in held.tolist()]
    return PaperIndex.build(model, held, vectors, content, held_shas, settings)


def _ensure_query_encoder(
    config: Config, encoder: TextEncoder, store: Store, ids: np.ndarray, reporter: Reporter
) -> None:
    """Export the model for torch-free queries once (torch is loaded here anyway, or is
    loaded this once), checked against the stored vectors of up to 16 of the store's
    papers and against the model on a few short queries."""
    from litradar.query_encoder import export_ready

    if not isinstance(encoder, SentenceTransformerEncoder):
        return
    if export_ready(config.data_dir, encoder.name):
        return
    sample = store.by_store_ids(ids[:: max(1, len(ids) // 16)][:16].tolist()).values()
    known = store.cached_embeddings(encoder.name, [p.text_sha for p in sample])
    papers = [p for p in sample if p.text_sha in known]
    reference = np.vstack([known[p.text_sha] for p in papers]) if papers else None
    with reporter.track("exporting the query encoder to ONNX", None):
        try:
            encoder.export_for_queries(config.data_dir, [p.text for p in papers], reference)
        except Exception as exc:  # find still works, with torch: say so, do not fail
            reporter.warn(f"find will load torch: the ONNX export failed ({exc})")
            logging.getLogger("litradar.index").warning(f"the ONNX export failed: {exc}")


def load_labels(config: Config, reporter: Reporter | None = None) -> tuple[Labels, list[str]]:
    """Labels from the list and the survey; also the list's parse warnings."""
    awesome = load_list(config.list_path)
    bib = config.survey_bibliography_path
    survey = load_survey_citations(bib) if bib is not None else None
    labels = collect_labels(awesome, survey, config.ranking.survey_sections)
    if config.store_path.is_file():
        with Store.open(config.store_path) as store:
            apply_decisions(labels, store.labels())
    if reporter:
        for warning in awesome.warnings:
            reporter.warn(f"{config.list_path.name} {warning}")
    return labels, awesome.warnings


def training_set(
    config: Config, encoder: TextEncoder, reporter: Reporter, extra: Sequence[Paper] = ()
) -> tuple[TrainingSet, Labels]:
    from litradar.ranking.training import TrainingSet

    labels, _ = load_labels(config, reporter)
    with Store.open(config.store_path) as store:
        papers = store.papers()
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


TRAINING_INPUTS = "training_inputs.sha256"


def training_fingerprint(config: Config, model: str) -> str:
    """What training reads: the list, the survey, the taxonomy, the section mapping, the
    maintainer's decisions and tags, every stored paper's text, the embedding model and
    litradar's version. Equal fingerprints train equal models."""
    from litradar import __version__

    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(label.encode() + b"\0" + hashlib.sha256(data).digest())

    add("litradar", __version__.encode())
    add("model", model.encode())
    for label, path in (
        ("list", config.list_path),
        ("survey", config.survey_bibliography_path),
        ("taxonomy", config.taxonomy_path),
    ):
        add(label, path.read_bytes() if path is not None and path.is_file() else b"")
    add("sections", json.dumps(config.ranking.survey_sections, sort_keys=True).encode())
    with Store.open(config.store_path) as store:
        ids, shas = store.index_entries(model)
        add("papers", content_fingerprint(ids.tolist(), shas).encode())
        decisions = [(d["key"], d["relevant"], d["section"]) for d in store.labels()]
        tags = [(t["key"], t["dimension"], t["class_name"]) for t in store.tag_labels()]
    add("labels", json.dumps([decisions, sorted(tags)]).encode())
    return digest.hexdigest()


def train(
    config: Config,
    encoder: TextEncoder | None = None,
    reporter: Reporter | None = None,
    force: bool = False,
) -> dict:
    """Fit and save the models, and return their metrics. When nothing training reads has
    changed since the saved models were trained (see training_fingerprint), the saved
    metrics are returned instead: the 5-fold calibration alone costs about 10 s a week."""
    # The models' modules import scikit-learn (about 1.5 s): not on find's path.
    from litradar.ranking.model_files import load_metrics, save_models
    from litradar.ranking.training import fit_taxonomy, train_models

    reporter = reporter or SilentReporter()
    encoder = encoder or default_encoder(config)
    marker = config.classifiers_dir / TRAINING_INPUTS
    fingerprint = training_fingerprint(config, encoder.name)
    if not force and _trained_on(config, encoder.name) == fingerprint:
        return load_metrics(config.classifiers_dir) | {"unchanged": True}
    data, labels = training_set(config, encoder, reporter)
    if data.y.sum() < 2:
        raise LitradarError(
            "fewer than two list or survey papers are in the store: ingest their metadata "
            "(for the demo: demo/data/arxiv_seed.jsonl)"
        )
    taxonomy = load_configured_taxonomy(config)
    terms = section_terms(taxonomy)
    with reporter.track("training relevance and placement", None):
        models, metrics = train_models(data, labels, encoder.name, terms, scope_terms(taxonomy))
    if taxonomy is not None:
        with reporter.track("training the taxonomy classifiers", None):
            tax_labels = taxonomy_labels(config, taxonomy)
            weak = title_labels(taxonomy, data.papers)
            models.taxonomy, metrics["taxonomy"] = fit_taxonomy(data, tax_labels, taxonomy, weak)
    marker.unlink(missing_ok=True)  # a kill while saving leaves no claim of being current
    save_models(config.classifiers_dir, models, metrics)
    with reporter.track("scoring the store for search", None):
        save_scores(config, models, data)
    record_quality(config, metrics)
    atomic_write_text(marker, fingerprint + "\n")  # last: a kill before it retrains
    return metrics


def _trained_on(config: Config, model: str) -> str | None:
    """The fingerprint the saved models were trained on, if they are whole and loadable."""
    from litradar.ranking.model_files import load_models

    marker = config.classifiers_dir / TRAINING_INPUTS
    try:
        load_models(config.classifiers_dir, model)
        return marker.read_text(encoding="utf-8").strip()
    except Exception:  # missing, damaged, or of an older layout (KeyError): train again
        return None


def quality_figures(metrics: dict) -> dict[str, float | None]:
    """The figures of one training worth following over time (the web page's chart)."""
    relevance = metrics.get("relevance") or {}
    return {
        "precision": relevance.get("precision"),
        "recall": relevance.get("recall"),
        "average_precision": relevance.get("average_precision"),
        "placement": (metrics.get("placement") or {}).get("accuracy"),
    }


def record_quality(config: Config, metrics: dict) -> None:
    """Each training's figures kept in the store (a run of kind "train"): metrics.json
    holds only the latest."""
    detail = {"trained_at": metrics.get("trained_at"), **quality_figures(metrics)}
    with Store.open(config.store_path) as store:
        store.finish_run(store.start_run("train", detail), "done", detail)


def save_scores(config: Config, models: TrainedModels, data: TrainingSet) -> None:
    """What the new models say of every stored paper, kept in the store: `find` ranks by it
    and shows sections and tags without loading a model."""
    rows = [i for i, p in enumerate(data.papers) if p.store_id is not None]
    if not rows:
        return
    papers = [data.papers[i] for i in rows]
    vectors = data.embeddings[rows]
    texts = [p.text for p in papers]
    score = models.relevance.score(texts, vectors)
    relevance = models.relevance.proba_from_score(score)
    sections = models.placement.predict(vectors, papers)
    tags = models.taxonomy.tags(vectors) if models.taxonomy else [{} for _ in papers]
    with Store.open(config.store_path) as store:
        store.put_scores(
            models.trained_at,
            [
                (p.store_id or 0, float(score[j]), float(relevance[j]), sections[j], tags[j])
                for j, p in enumerate(papers)
            ],
        )


def load_configured_taxonomy(config: Config) -> Taxonomy | None:
    """None when `[paths] taxonomy` is unset; an error when it names a missing file."""
    path = config.taxonomy_path
    return None if path is None else load_taxonomy(path)


def section_terms(taxonomy: Taxonomy | None) -> SectionTerms | None:
    """Placement's named-technique evidence; none without a taxonomy file."""
    if taxonomy is None:
        return None
    return SectionTerms(taxonomy.section_terms(), named_only=taxonomy.named_only_sections)


def scope_terms(taxonomy: Taxonomy | None) -> ScopeTerms | None:
    """The scope's weak-label words; none without a taxonomy file (the known labels alone
    then teach both halves)."""
    return taxonomy.scope.terms() if taxonomy is not None else None


def taxonomy_labels(config: Config, taxonomy: Taxonomy) -> TaxonomyLabels:
    """What is known of each paper's classes: the survey's citing sections, the list's
    sections (and the maintainer's decisions) through the mapping, the maintainer's tags."""
    awesome = load_list(config.list_path)
    bib = config.survey_bibliography_path
    survey = load_survey_citations(bib) if bib is not None else None
    decisions: list[dict] = []
    corrections: list[dict] = []
    if config.store_path.is_file():
        with Store.open(config.store_path) as store:
            decisions, corrections = store.labels(), store.tag_labels()
    list_sections = {e.arxiv_id: e.section_name for e in awesome.papers if e.arxiv_id}
    return collect_taxonomy_labels(taxonomy, survey, list_sections, decisions, corrections)


@dataclass
class FindHit:
    score: float
    paper: Paper
    on_list: bool
    section: str | None
    tags: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    # Where each ranking put the paper (1 = first), None where it did not find it.
    dense_rank: int | None = None
    lexical_rank: int | None = None
    relevance: float | None = None  # the models' probability that it belongs on the list

    def as_record(self) -> dict:
        """The JSON `find --json` prints and the web page's API returns."""
        return {
            "score": round(self.score, 4),
            "arxiv_id": self.paper.arxiv_id,
            "key": self.paper.key,
            "date": self.paper.first_version_date.isoformat(),
            "title": self.paper.title,
            "url": self.paper.abs_url,
            "on_list": self.on_list,
            "section": self.section,
            "relevance": None if self.relevance is None else round(self.relevance, 4),
            "dense_rank": self.dense_rank,
            "lexical_rank": self.lexical_rank,
            "tags": {d: [[c, p] for c, p in ranked] for d, ranked in self.tags.items()},
        }


# How deep each ranking is read before fusion: a good paper at rank 80 of one ranking and
# 5 of the other must still be fused.
_CANDIDATES = 100


def find(
    config: Config,
    query: str,
    k: int = 10,
    since: date | None = None,
    encoder: TextEncoder | None = None,
) -> list[FindHit]:
    """Dense (MiniLM over FAISS) and lexical (bm25 over the store's FTS index) rankings
    fused, with the scope model's scores from the last `train` (litradar.ranking.hybrid)."""
    if not query.strip():
        raise LitradarError("empty query")
    encoder = encoder or query_encoder(config)
    index = PaperIndex.load(config.data_dir, encoder.name, nprobe=config.index.nprobe)
    if index is None or index.size == 0:
        raise LitradarError(
            "the index is empty: run 'litradar ingest FILE' and 'litradar index' first"
        )
    depth = max(_CANDIDATES, 5 * k)
    with Store.open(config.store_path) as store:
        allowed = [p.store_id or 0 for p in store.papers(since=since)] if since else None
        if allowed is not None and not allowed:
            return []
        _, ids = index.search(embed_query(encoder, query), depth, allowed=allowed)
        dense = [int(i) for i in ids[0] if i >= 0]
        lexical = store.lexical_search(query, depth, allowed)
        candidates = store.by_store_ids([*dense, *lexical])
        scored = store.scores(candidates)
    on_list = load_list(config.list_path).arxiv_ids if config.list_path.is_file() else set()
    listed = {i for i, p in candidates.items() if p.key in on_list}
    prior = {i: s["score"] for i, s in scored.items()}
    dense_rank = {i: r for r, i in enumerate(dense, start=1)}
    lexical_rank = {i: r for r, i in enumerate(lexical, start=1)}
    hits = []
    for store_id, score in fuse(dense, lexical, prior, listed)[:k]:
        paper = candidates.get(store_id)
        if paper is None:
            continue
        known = scored.get(store_id, {})
        tags = {d: [(c, p) for c, p in ranked] for d, ranked in known.get("tags", {}).items()}
        hits.append(
            FindHit(
                score=score,
                paper=paper,
                on_list=store_id in listed,
                section=known.get("section"),
                tags=tags,
                dense_rank=dense_rank.get(store_id),
                lexical_rank=lexical_rank.get(store_id),
                relevance=known.get("relevance"),
            )
        )
    return hits


@dataclass
class DigestReport:
    name: str
    markdown: Path
    json: Path
    papers: int
    proposed: int


def make_digest(
    config: Config,
    since: date,
    until: date,
    encoder: TextEncoder | None = None,
    reporter: Reporter | None = None,
) -> DigestReport:
    """Score every paper first announced in [since, until) and write the week's digest."""
    from litradar.assist.digest_assist import assist_digest
    from litradar.digest import build_digest, write_digest
    from litradar.ranking.model_files import load_models
    from litradar.ranking.scoring import score_papers
    from litradar.sources.report import latest_source_reports

    if until <= since:
        raise LitradarError(f"empty window: --until {until} is not after --since {since}")
    reporter = reporter or SilentReporter()
    encoder = encoder or default_encoder(config)
    awesome = load_list(config.list_path)
    models = load_models(config.classifiers_dir, encoder.name)
    with Store.open(config.store_path) as store:
        papers = store.papers(since=since, until=until)
        if not papers:
            reporter.warn(f"no papers first announced between {since} and {until} in the store")
        vectors, _ = embed_papers(store, papers, encoder, reporter)
        decided = {label["key"] for label in store.labels()}
        pulls = [
            {"name": d["name"], "status": d["status"], **d["detail"]}
            for d in store.deliveries("github")
        ]
        scored = score_papers(models, papers, vectors, close_to=config.digest.close_to)
        digest = build_digest(
            scored,
            awesome,
            since,
            until,
            size=config.digest.size,
            threshold=(
                models.relevance.threshold_
                if config.digest.min_score is None
                else config.digest.min_score
            ),
            near_cut=config.digest.near_cut,
            models_trained_at=models.trained_at,
            sources=latest_source_reports(config),
            decided=decided,
        )
        digest.outcomes = [p for p in pulls if p["name"] != digest.name]
        with reporter.track("short names and summaries", None):
            assist_digest(config.llm, digest, store)
    md_path, json_path = write_digest(digest, awesome, config.digests_dir)
    return DigestReport(digest.name, md_path, json_path, len(papers), len(digest.proposed_ids))


def preflight(config: Config) -> None:
    """Catch what a run would fail on anyway (missing files, an unreadable list) before
    Prefect starts, so the user sees one line instead of a failed flow run's log."""
    missing = [str(f) for f in config.source_files if not f.is_file()]
    if missing:
        raise LitradarError(f"no such file: {missing[0]} (in [sources] files)")
    load_list(config.list_path)
    bib = config.survey_bibliography_path
    if bib is not None and not bib.is_file():
        raise LitradarError(f"survey bibliography not found: {bib}")
