"""The steps of a run, top to bottom: ingest -> index -> train -> digest (ingest is
`litradar.steps.ingest`, search `litradar.steps.search`; what several commands load is
`litradar.steps.configured_inputs`).

Each step opens the store, does one job, and returns a small report. The command line and
the Prefect flow both call these; neither holds logic of its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from litradar.config import Config
from litradar.core.atomic_files import atomic_write_text
from litradar.core.errors import LitradarError
from litradar.core.process_lock import held
from litradar.core.progress import Reporter, SilentReporter
from litradar.curation.list_source import read_list
from litradar.curation.taxonomy import title_labels
from litradar.embedding.encoders import (
    ExportedEncoder,
    SentenceTransformerEncoder,
    TextEncoder,
    embed_papers,
    embed_store,
    vector_space,
)
from litradar.ranking.quality_figures import record_quality
from litradar.steps.configured_inputs import (
    default_encoder,
    load_configured_taxonomy,
    load_curation,
    scope_terms,
    section_terms,
    taxonomy_labels,
    training_set,
)
from litradar.storage.paper_index import (
    IndexDamaged,
    IndexSettings,
    PaperIndex,
    content_fingerprint,
)
from litradar.storage.store import Store

if TYPE_CHECKING:
    from litradar.core.paper import Paper
    from litradar.curation.awesome_list import AwesomeList
    from litradar.digests.generations import StoredDigest
    from litradar.ranking.model_files import TrainedModels
    from litradar.ranking.training import TrainingSet


def index_settings(config: Config) -> IndexSettings:
    return IndexSettings(**config.index.model_dump())


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
    index yet, a damaged one, or its size calls for another kind of index). One writer of
    the index at a time (core/process_lock.py): a second one waits."""
    reporter = reporter or SilentReporter()
    with held(config.data_dir / INDEX_LOCK, "writing the index", reporter):
        return _update_index(config, encoder or default_encoder(config), reporter)


def _update_index(config: Config, encoder: TextEncoder, reporter: Reporter) -> IndexReport:
    settings = index_settings(config)
    with Store.open(config.store_path) as store:
        if store.count() == 0:
            raise LitradarError("the store is empty: run 'litradar ingest FILE' first")
        if isinstance(encoder, ExportedEncoder):  # export first, checked on stored papers
            with reporter.track(f"loading the {encoder.backend} encoder", None):
                encoder.ensure_export([p.text for p in store.by_store_ids(range(1, 17)).values()])
        embedded_now = embed_store(store, encoder, reporter, config.embedding.chunk_size)
        # What a killed run of this step left (index generations, a half export): removed
        # here, even when the index turns out to be up to date.
        PaperIndex.sweep(config.data_dir, encoder.name)
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
    from litradar.embedding.query_encoder import export_ready

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


TRAINING_INPUTS = "training_inputs.sha256"
# Both beside the store (core/process_lock.py): its folder exists whenever there is
# anything to train or index, where the models' folder is made by the first training.
TRAIN_LOCK = "train.lock"
INDEX_LOCK = "index.lock"


def training_fingerprint(config: Config, model: str) -> str:
    """What training reads: the list, the survey, the taxonomy, the section mapping, the
    maintainer's decisions and tags, every stored paper's text and how many unlabelled ones
    it may read, the embedding model and litradar's version. Equal fingerprints train equal
    models."""
    from litradar import __version__

    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(label.encode() + b"\0" + hashlib.sha256(data).digest())

    add("litradar", __version__.encode())
    add("model", model.encode())
    # The list as read from its repository (its changes recorded first, as decisions).
    add("list", read_list(config, record=True).text.encode())
    for label, path in (
        ("survey", config.survey_bibliography_path),
        ("taxonomy", config.taxonomy_path),
    ):
        add(label, path.read_bytes() if path is not None and path.is_file() else b"")
    add("sections", json.dumps(config.ranking.survey_sections, sort_keys=True).encode())
    add("max_unlabelled", str(config.ranking.max_unlabelled).encode())  # which papers it reads
    with Store.open(config.store_path) as store:
        ids, shas = store.index_entries(model)
        add("papers", content_fingerprint(ids.tolist(), shas).encode())
        decisions = [(d["key"], d["relevant"], d["section"]) for d in store.labels()]
        tags = [(t["key"], t["dimension"], t["class_name"]) for t in store.tag_labels()]
    add("labels", json.dumps([decisions, sorted(tags)]).encode())
    return digest.hexdigest()


@dataclass
class TrainReport:
    metrics: dict  # what training measured (metrics.json): relevance, placement, taxonomy
    unchanged: bool = False  # nothing training reads changed: the saved models and metrics


def train(
    config: Config,
    encoder: TextEncoder | None = None,
    reporter: Reporter | None = None,
    force: bool = False,
) -> TrainReport:
    """Fit and save the models, and return their metrics. When nothing training reads has
    changed since the saved models were trained (see training_fingerprint), the saved
    metrics are returned instead: the 5-fold calibration alone costs about 10 s a week.
    One training at a time (core/process_lock.py): a second one waits."""
    reporter = reporter or SilentReporter()
    with held(config.data_dir / TRAIN_LOCK, "training", reporter):
        return _train(config, encoder or default_encoder(config), reporter, force)


def _train(config: Config, encoder: TextEncoder, reporter: Reporter, force: bool) -> TrainReport:
    from litradar.ranking.model_files import load_metrics, saved_files_sha256

    marker = config.classifiers_dir / TRAINING_INPUTS
    fingerprint = training_fingerprint(config, encoder.name)
    if not force and _trained_on(config) == fingerprint:
        return TrainReport(load_metrics(config.classifiers_dir), unchanged=True)
    # Training imports scikit-learn (1-2 s): not on find's path, nor on a run's that has
    # nothing to train.
    from litradar.ranking.model_files import save_models
    from litradar.ranking.training import fit_taxonomy, train_models

    curation = load_curation(config)  # the list and the survey, read once for both label sets
    data, labels = training_set(config, encoder, reporter, curation=curation)
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
            tax_labels = taxonomy_labels(config, taxonomy, curation)
            weak = title_labels(taxonomy, data.papers)
            models.taxonomy, metrics["taxonomy"] = fit_taxonomy(data, tax_labels, taxonomy, weak)
    marker.unlink(missing_ok=True)  # a kill while saving leaves no claim of being current
    save_models(config.classifiers_dir, models, metrics)
    with reporter.track("scoring the store for search", None):
        save_scores(config, models, data, encoder)
    record_quality(config, metrics)
    # Last: a kill before it retrains. Beside the fingerprint, each model file's hash.
    files = saved_files_sha256(config.classifiers_dir)
    atomic_write_text(marker, "\n".join([fingerprint, *files]) + "\n")
    return TrainReport(metrics)


def _trained_on(config: Config) -> str | None:
    """The fingerprint the saved models were trained on, if they are the files that training
    wrote: every model file's hash is recorded beside it, so a file damaged, replaced or
    removed since means training again. Checked without loading the models (which imports
    scikit-learn); the litradar version and the embedding model are in the fingerprint."""
    from litradar.ranking.model_files import saved_files_sha256

    try:
        fingerprint, *files = (config.classifiers_dir / TRAINING_INPUTS).read_text(
            encoding="utf-8"
        ).splitlines()
    except (OSError, ValueError):  # none, unreadable, or empty
        return None
    if not files or files != saved_files_sha256(config.classifiers_dir):
        return None  # damaged since, or a marker of an older release (no hashes)
    return fingerprint.strip()


SCORE_CHUNK = 20_000  # stored papers scored at a time beyond those training read


def save_scores(
    config: Config, models: TrainedModels, data: TrainingSet, encoder: TextEncoder
) -> None:
    """What the new models say of every stored paper, kept in the store: `find` ranks by it
    and shows sections and tags without loading a model. The papers training read are
    scored from its arrays; any others (a store beyond `[ranking] max_unlabelled`) a chunk
    at a time, so memory stays that of the training set."""
    rows = [i for i, p in enumerate(data.papers) if p.store_id is not None]
    scored = _scores(models, [data.papers[i] for i in rows], data.embeddings[rows])
    with Store.open(config.store_path) as store:
        done = {p.store_id for p in data.papers}
        rest = [i for i in store.store_ids() if i not in done]
        for start in range(0, len(rest), SCORE_CHUNK):
            found = store.by_store_ids(rest[start : start + SCORE_CHUNK])
            papers = sorted(found.values(), key=lambda p: p.store_id or 0)
            vectors, _ = embed_papers(store, papers, encoder)
            scored += _scores(models, papers, vectors)
        if scored:
            store.put_scores(models.trained_at, scored)


def _scores(
    models: TrainedModels, papers: list[Paper], vectors: np.ndarray
) -> list[tuple[int, float, float, str | None, dict]]:
    if not papers:
        return []
    texts = [p.text for p in papers]
    score = models.relevance.score(texts, vectors)
    relevance = models.relevance.proba_from_score(score)
    sections = models.placement.predict(vectors, papers)
    tags = models.taxonomy.tags(vectors) if models.taxonomy else [{} for _ in papers]
    return [
        (p.store_id or 0, float(score[j]), float(relevance[j]), sections[j], tags[j])
        for j, p in enumerate(papers)
    ]


@dataclass
class DigestReport:
    name: str
    markdown: Path
    json: Path
    papers: int
    proposed: int
    unchanged: bool = False  # nothing it reads changed: the digest on disk was kept


def digest_inputs(
    config: Config,
    model: str,
    since: date,
    until: date,
    list_text: str,
    papers: list,
    store: Store,
) -> str | None:
    """What a digest reads, as one hash: the window and its papers, the models (the hashes
    training recorded), the list, the maintainer's decisions, earlier pull requests, the
    sources' last runs, the config and litradar's version. None when it cannot be known
    without the digest itself: no training record, or an LLM (its help and its notes
    change from run to run). Deliberately wide: a digest written once too often costs a
    second; one kept when it should not be shows last week's proposals."""
    from litradar import __version__
    from litradar.publish.pull_request import CHANNEL as PULL_REQUESTS
    from litradar.sources.report import latest_source_reports

    if config.llm.enabled or _trained_on(config) is None:
        return None
    digest = hashlib.sha256()
    for part in (
        __version__,
        model,
        f"{since}/{until}",
        (config.classifiers_dir / TRAINING_INPUTS).read_text(encoding="utf-8"),
        list_text,
        config.model_dump_json(),
        json.dumps(latest_source_reports(config), sort_keys=True, default=str),
        json.dumps(
            [store.labels(), store.short_names(), store.tag_labels()], sort_keys=True, default=str
        ),
        json.dumps(store.deliveries(PULL_REQUESTS), sort_keys=True, default=str),
        *(repr(p) for p in papers),
    ):
        digest.update(hashlib.sha256(part.encode()).digest())
    return digest.hexdigest()


def _kept_digest(config: Config, name: str, inputs: str | None) -> StoredDigest | None:
    """The digest on disk when it was made from exactly `inputs` and is whole."""
    from litradar.digests.generations import load

    if inputs is None:
        return None
    try:
        stored = load(config.digests_dir, name)
    except (LitradarError, OSError):  # none yet, or damaged: written again
        return None
    return stored if stored.json is not None and stored.json.get("inputs") == inputs else None


def make_digest(
    config: Config,
    since: date,
    until: date,
    encoder: TextEncoder | None = None,
    reporter: Reporter | None = None,
) -> DigestReport:
    """Score every paper first announced in [since, until) and write the week's digest.
    When nothing it reads changed since the digest on disk was written (digest_inputs),
    that digest is kept: a run with nothing new then loads no model and no scikit-learn."""
    from litradar.core.digest_window import window_name

    if until <= since:
        raise LitradarError(f"empty window: --until {until} is not after --since {since}")
    reporter = reporter or SilentReporter()
    name = window_name(since, until)
    listed = read_list(config, record=True)
    embedding = config.embedding
    model = encoder.name if encoder else vector_space(embedding.model, embedding.backend)
    with Store.open(config.store_path) as store:
        papers = store.papers(since=since, until=until)
        inputs = digest_inputs(config, model, since, until, listed.text, papers, store)
    kept = _kept_digest(config, name, inputs)
    if kept is not None:
        directory = config.digests_dir
        proposed = int(kept.document["proposed"])
        markdown, document = directory / f"{name}.md", directory / f"{name}.json"
        return DigestReport(name, markdown, document, len(papers), proposed, unchanged=True)
    return _write_digest(config, since, until, listed.awesome, inputs, encoder, reporter)


def _write_digest(
    config: Config,
    since: date,
    until: date,
    awesome: AwesomeList,
    inputs: str | None,
    encoder: TextEncoder | None,
    reporter: Reporter,
) -> DigestReport:
    # The models' modules import scikit-learn: loaded only when the digest is written.
    from litradar.assist.digest_assist import assist_selection
    from litradar.digests.digest import Digest
    from litradar.digests.generations import write_digest
    from litradar.publish.pull_request import CHANNEL as PULL_REQUESTS
    from litradar.ranking.model_files import load_models
    from litradar.ranking.scoring import score_papers
    from litradar.ranking.selection import select
    from litradar.sources.report import latest_source_reports

    encoder = encoder or default_encoder(config)
    models = load_models(config.classifiers_dir, encoder.name)
    settings = config.digest
    threshold = models.relevance.threshold_ if settings.min_score is None else settings.min_score
    with Store.open(config.store_path) as store:
        papers = store.papers(since=since, until=until)
        if not papers:
            last = until - timedelta(days=1)  # the window's last day, as the digest shows it
            reporter.warn(f"no papers first announced from {since} to {last} in the store")
        vectors, _ = embed_papers(store, papers, encoder, reporter)
        decided = {label["key"] for label in store.labels()}
        pulls = [
            {"name": d["name"], "status": d["status"], **d["detail"]}
            for d in store.deliveries(PULL_REQUESTS)
        ]
        scored = score_papers(models, papers, vectors, close_to=settings.close_to)
        chosen = select(
            scored, awesome.keys, settings.size, threshold, decided, settings.near_cut
        )
        with reporter.track("short names and summaries", None):
            assistance = assist_selection(config.llm, chosen, awesome.section_names(), store)
    digest = Digest.of(
        chosen,
        awesome,
        since,
        until,
        models.trained_at,
        sources=latest_source_reports(config),
        outcomes=pulls,
        assistance=assistance,
        inputs=inputs,
    )
    md_path, json_path = write_digest(digest, awesome, config.digests_dir)
    return DigestReport(digest.name, md_path, json_path, len(papers), len(digest.proposed_ids))


def preflight(config: Config) -> None:
    """Catch what a run would fail on anyway (missing files, an unreadable list) before
    Prefect starts, so the user sees one line instead of a failed flow run's log."""
    missing = [str(f) for f in config.source_files if not f.is_file()]
    if missing:
        raise LitradarError(f"no such file: {missing[0]} (in [sources] files)")
    read_list(config)
    bib = config.survey_bibliography_path
    if bib is not None and not bib.is_file():
        raise LitradarError(f"survey bibliography not found: {bib}")
