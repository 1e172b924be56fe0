"""The search page (`/`) and its API (`/api/find`): `find`'s ranking, then the page's own
filters (until, section, tag) and "similar papers"."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.curation.list_source import read_list
from litradar.curation.taxonomy import Taxonomy
from litradar.steps.configured_inputs import load_configured_taxonomy
from litradar.steps.search import FindHit, WarmSearch
from litradar.storage.store import Store
from litradar.web.pages import Pages

# How deep find reads before the page's own filters (until, section, tag) thin it out.
FILTER_DEPTH = 200
MAX_K = 100


def _taxonomy_classes(config: Config) -> list[tuple[str, str]]:
    """(dimension, class) of every taxonomy class, for the tag filter."""
    try:
        taxonomy: Taxonomy | None = load_configured_taxonomy(config)
    except LitradarError:
        return []
    if taxonomy is None:
        return []
    return [(d.name, c.name) for d in taxonomy.dimensions for c in d.classes]


def _sections(config: Config) -> list[str]:
    """The list's sections for the filter; none when the list cannot be read."""
    try:
        return read_list(config).awesome.section_names()
    except LitradarError:
        return []


def _date(value: str | None, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise LitradarError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


def search(
    searcher: WarmSearch,
    query: str,
    k: int,
    since: date | None = None,
    until: date | None = None,
    section: str | None = None,
    tag: str | None = None,
    exclude: str | None = None,
) -> list[FindHit]:
    """`find`'s ranking (from `since` on), then the page's filters over its best
    FILTER_DEPTH: before `until` (exclusive), placed in `section`, tagged `tag` (its most
    probable class in some dimension); `exclude` leaves out one paper (similar papers)."""
    depth = FILTER_DEPTH if (until or section or tag) else k + (1 if exclude else 0)
    hits = searcher.find(query, k=depth, since=since)
    kept = []
    for hit in hits:
        if exclude and hit.paper.key == exclude:
            continue
        if until and hit.paper.first_version_date >= until:
            continue
        if section and hit.section != section:
            continue
        if tag and not any(ranked and ranked[0][0] == tag for ranked in hit.tags.values()):
            continue
        kept.append(hit)
    return kept[:k]


def router(pages: Pages) -> APIRouter:
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse)
    def search_page(
        request: Request,
        q: str = "",
        k: Annotated[int, Query(ge=1, le=MAX_K)] = 20,
        since: str = "",
        until: str = "",
        section: str = "",
        tag: str = "",
        similar: str = "",
    ) -> HTMLResponse:
        start, end = _date(since, "since"), _date(until, "until")
        hits: list[FindHit] = []
        error, source = None, None
        try:
            if similar:
                with Store.open(pages.config.store_path) as store:
                    source = store.by_key(similar)
                if source is None:
                    raise LitradarError(f"{similar} is not in the store")
                hits = search(
                    pages.searcher, source.text, k, start, end, section, tag, exclude=similar
                )
            elif q.strip():
                hits = search(pages.searcher, q, k, start, end, section or None, tag or None)
        except LitradarError as exc:
            error = str(exc)
        sections = _sections(pages.config)
        return pages.render(
            request,
            "search.html",
            q=q,
            k=k,
            since=since,
            until=until,
            section=section,
            tag=tag,
            similar=source,
            hits=hits,
            error=error,
            sections=sections,
            classes=_taxonomy_classes(pages.config),
            searched=bool(q.strip() or similar),
        )

    @router.get("/api/find")
    def api_find(
        q: str,
        k: Annotated[int, Query(ge=1, le=1000)] = 10,
        since: str = "",
    ) -> JSONResponse:
        """The records of `litradar find --json`, as one JSON array."""
        hits = pages.searcher.find(q, k=k, since=_date(since, "since"))
        return JSONResponse([hit.as_record() for hit in hits])

    return router
