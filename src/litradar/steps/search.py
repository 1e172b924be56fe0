"""`litradar find` and the web page's search: a query against the index and the store.

Kept apart from the pipeline's steps so that a search (a new process each time on the
command line) imports neither torch nor scikit-learn when the ONNX query encoder exists.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date

from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.core.paper import Paper
from litradar.curation.list_source import read_list
from litradar.embedding.encoders import TextEncoder, embed_query
from litradar.embedding.query_preload import PreloadedEncoder, load_onnx_query_encoder
from litradar.ranking.hybrid import TITLE_BONUS, fuse
from litradar.storage.paper_index import PaperIndex
from litradar.storage.store import Store


def query_encoder(config: Config, preloaded: PreloadedEncoder | None = None) -> TextEncoder:
    """For one query: the ONNX export of the index's own vector space beside the index (no
    torch, see litradar.embedding.query_encoder) when `litradar index` made one, else the
    configured encoder (which exports it, or for the torch backend is the model itself).
    `preloaded`: the same load, already started on a thread (`litradar find`)."""
    loaded = preloaded.result() if preloaded else load_onnx_query_encoder(config)
    if loaded is not None:
        return loaded
    # Only without the export: the pipeline's inputs module is 10-20 ms of imports.
    from litradar.steps.configured_inputs import default_encoder

    return default_encoder(config)


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
    title_match: bool = False  # its title is the query: first, whatever its score

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
            "title_match": self.title_match,
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
    preloaded: PreloadedEncoder | None = None,
) -> list[FindHit]:
    """Dense (MiniLM over FAISS) and lexical (bm25 over the store's FTS index) rankings
    fused, with the scope model's scores from the last `train` (litradar.ranking.hybrid);
    a paper whose title is the query comes first."""
    if not query.strip():
        raise LitradarError("empty query")
    encoder = encoder or query_encoder(config, preloaded)
    index = PaperIndex.load(config.data_dir, encoder.name, nprobe=config.index.nprobe)
    if index is None and (others := PaperIndex.built_for(config.data_dir)):
        raise LitradarError(
            f"the index holds {', '.join(others)} vectors, the configured encoder makes "
            f"{encoder.name}: run 'litradar index' to embed the store with it"
        )
    if index is None or index.size == 0:
        raise LitradarError(
            "the index is empty: run 'litradar ingest FILE' and 'litradar index' first"
        )
    if index.model != encoder.name:  # one vector space: never search with another encoder
        raise LitradarError(
            f"the index holds {index.model} vectors, the query encoder makes {encoder.name}: "
            "run 'litradar index'"
        )
    depth = max(_CANDIDATES, 5 * k)
    with Store.open(config.store_path) as store:
        allowed = store.store_ids(since=since) if since else None
        if allowed is not None and not allowed:
            return []
        _, ids = index.search(embed_query(encoder, query), depth, allowed=allowed)
        dense = [int(i) for i in ids[0] if i >= 0]
        lexical = store.lexical_search(query, depth, allowed)
        titled = {p.store_id or 0 for p in store.by_title(query)}
        if allowed is not None:
            titled &= set(allowed)
        candidates = store.by_store_ids([*dense, *lexical, *titled])
        scored = store.scores(candidates)
    try:
        on_list = read_list(config).awesome.keys
    except LitradarError as exc:  # no list to compare with: nothing is marked as on it
        logging.getLogger("litradar.list").info(f"list: none read ({exc}); no paper marked on it")
        on_list = set()
    listed = {i for i, p in candidates.items() if p.key in on_list}
    prior = {i: s["score"] for i, s in scored.items()}
    dense_rank = {i: r for r, i in enumerate(dense, start=1)}
    lexical_rank = {i: r for r, i in enumerate(lexical, start=1)}
    hits = []
    for store_id, score in fuse(dense, lexical, prior, listed, titled)[:k]:
        paper = candidates.get(store_id)
        if paper is None:
            continue
        known = scored.get(store_id, {})
        tags = {d: [(c, p) for c, p in ranked] for d, ranked in known.get("tags", {}).items()}
        hits.append(
            FindHit(
                # The title's bonus only puts it first: the score shown is the match's own.
                score=score - TITLE_BONUS if store_id in titled else score,
                paper=paper,
                on_list=store_id in listed,
                title_match=store_id in titled,
                section=known.get("section"),
                tags=tags,
                dense_rank=dense_rank.get(store_id),
                lexical_rank=lexical_rank.get(store_id),
                relevance=known.get("relevance"),
            )
        )
    return hits


class WarmSearch:
    """`find` for a long-lived process (the web page): the query encoder is loaded on the
    first search and kept, so a search pays the ONNX session (0.2-0.6 s) or, without the
    export, the torch model (5-7 s) once, not per query. The index is still opened per
    search (memory-mapped, cheap), so a `litradar index` run is seen at once."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._encoder: TextEncoder | None = None
        self._lock = threading.Lock()

    def encoder(self) -> TextEncoder:
        with self._lock:  # the page serves from a thread pool: load it once
            if self._encoder is None:
                self._encoder = query_encoder(self.config)
            return self._encoder

    def find(self, query: str, k: int = 10, since: date | None = None) -> list[FindHit]:
        if not query.strip():  # find says so too, but only after the encoder has loaded
            raise LitradarError("empty query")
        return find(self.config, query, k, since, encoder=self.encoder())
