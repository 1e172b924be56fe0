"""Semantic Scholar's Graph and Recommendations APIs over httpx.

Three ways in: keyword search over a date window (bulk search, token paging), the papers
that cite a list paper ("snowballing": the strongest candidates there are), and S2's
recommendations seeded with the list's papers. One client paces every request (1 per
second is what a key allows), backs off on 429 (S2 sends no Retry-After), and turns a 403
into a message about the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx

from litradar.config import Config, SemanticScholarConfig
from litradar.core.errors import redact, remember_secret
from litradar.core.http_client import OwnsHttpClient, deadline_client
from litradar.core.paper import (
    Paper,
    Provenance,
    code_link,
    collapse_whitespace,
    has_visible_text,
    is_arxiv_id,
    json_kind,
    split_version,
)
from litradar.core.retrying import Retryable, Throttle, with_retries
from litradar.sources.source_error import USER_AGENT, SourceError

PAPER_FIELDS = "title,abstract,authors,externalIds,publicationDate,venue,year"
# Relevance search cannot page past offset + limit = 1000.
RELEVANCE_CAP = 1000
BATCH_MAX = 500
# Where a "venue" only says the paper is a preprint, it is not a venue.
_NOT_VENUES = {"arxiv", "arxiv.org"}
_ARXIV_DOI_PREFIX = "10.48550/arxiv."
# What S2 sends: paperId is 40 hex digits (letters and digits are all a link needs), a DOI
# is "10.<registrant>/<suffix>" without spaces. Anything else would end up in a link of
# the digest, the list and the pull request, so the record is refused, not cleaned.
_S2_ID = re.compile(r"[0-9A-Za-z]{1,64}")
_DOI = re.compile(r"10\.[^\s/]+/\S+")


class S2Client(OwnsHttpClient):
    def __init__(self, config: SemanticScholarConfig, api_key: str | None = None) -> None:
        self.config = config
        remember_secret(api_key)  # redacted from any error text this process keeps
        self.has_key = bool(api_key)
        headers = {"User-Agent": USER_AGENT}
        if api_key:
            headers["x-api-key"] = api_key
        self._http = deadline_client(
            config.timeout_seconds, base_url=config.url.rstrip("/"), headers=headers
        )
        self._throttle = Throttle(config.min_interval_seconds)
        self.requests = 0

    def request(self, method: str, path: str, params: dict | None = None, body: Any = None) -> Any:
        """One call, paced and retried; a hopeless answer raises `SourceError` at once."""

        def attempt() -> Any:
            self._throttle.wait()
            self.requests += 1
            try:
                response = self._http.request(method, path, params=params, json=body)
            except httpx.HTTPError as err:
                raise Retryable(f"{type(err).__name__} {err}".strip()) from None
            status = response.status_code
            if status == 200:
                try:
                    return response.json()
                except ValueError:
                    raise Retryable("a response that is not JSON") from None
            if status == 403:
                raise SourceError(self._forbidden_message())
            if status == 429:
                raise Retryable("429 Too Many Requests")
            if status >= 500:
                raise Retryable(f"HTTP {status}")
            raise SourceError(
                f"Semantic Scholar rejected {method} {path} (HTTP {status}): "
                f"{_error_text(response)}"
            )

        return with_retries(self.config, f"Semantic Scholar {path}", attempt, SourceError)

    def _forbidden_message(self) -> str:
        if self.has_key:
            return (
                f"Semantic Scholar refused the API key (403 Forbidden): check "
                f"${self.config.api_key_env}, or unset it to use the shared pool"
            )
        return "Semantic Scholar refused the request (403 Forbidden)"

    # endpoints --------------------------------------------------------------------------

    def search(
        self, query: str, fields: str = PAPER_FIELDS, **filters: str
    ) -> Iterator[list[dict]]:
        """Relevance search, offset paging; stops on a missing `next` or at S2's cap."""
        offset, limit = 0, 100
        path = "/graph/v1/paper/search"
        while True:
            page = self.request(
                "GET",
                path,
                {"query": query, "fields": fields, "offset": offset, "limit": limit, **filters},
            )
            page = _object(page, path)
            yield _items(page, "data", path)
            following = page.get("next")
            if not isinstance(following, int) or following <= offset:
                return
            offset = following
            limit = min(100, RELEVANCE_CAP - offset)
            if limit <= 0:
                return

    def search_bulk(
        self, query: str, fields: str = PAPER_FIELDS, **filters: str
    ) -> Iterator[list[dict]]:
        """Bulk search, token paging; stops when the token is missing or null."""
        params: dict[str, Any] = {"query": query, "fields": fields, **filters}
        while True:
            path = "/graph/v1/paper/search/bulk"
            page = _object(self.request("GET", path, params), path)
            yield _items(page, "data", path)
            token = page.get("token")
            if not token or not isinstance(token, str):
                return
            params = {**params, "token": token}

    def batch(self, ids: list[str], fields: str = PAPER_FIELDS) -> list[dict | None]:
        """Papers in the order asked; None for an id S2 does not know."""
        found: list[dict | None] = []
        for start in range(0, len(ids), BATCH_MAX):
            chunk = ids[start : start + BATCH_MAX]
            answer = self.request(
                "POST", "/graph/v1/paper/batch", {"fields": fields}, {"ids": chunk}
            )
            if not isinstance(answer, list) or len(answer) != len(chunk):
                raise SourceError(
                    f"Semantic Scholar /graph/v1/paper/batch answered {json_kind(answer)} "
                    f"where a list was expected"
                    if not isinstance(answer, list)
                    else "Semantic Scholar /graph/v1/paper/batch answered for other papers "
                    f"({len(answer)} answers to {len(chunk)} ids)"
                )
            found += [item if isinstance(item, dict) else None for item in answer]
        return found

    def citations(self, paper_id: str, fields: str = PAPER_FIELDS) -> Iterator[list[dict]]:
        """The papers citing `paper_id`, a page at a time (this envelope has no total)."""
        offset = 0
        while True:
            path = f"/graph/v1/paper/{paper_id}/citations"
            page = _object(
                self.request("GET", path, {"fields": fields, "offset": offset, "limit": 100}),
                path,
            )
            yield [
                c["citingPaper"]
                for c in _items(page, "data", path)
                if isinstance(c, dict) and c.get("citingPaper")
            ]
            following = page.get("next")
            if not isinstance(following, int) or following <= offset:
                return
            offset = following

    def recommendations(
        self, positive: list[str], negative: list[str] = (), limit: int = 100,
        fields: str = PAPER_FIELDS,
    ) -> list[dict]:  # fmt: skip
        path = "/recommendations/v1/papers/"
        page = self.request(
            "POST",
            path,
            {"fields": fields, "limit": limit},
            {"positivePaperIds": positive, "negativePaperIds": list(negative)},
        )
        return _items(_object(page, path), "recommendedPapers", path)


def _error_text(response: httpx.Response) -> str:
    """S2's own errors say {"error": ...}; its API gateway says {"message": ...}. A server or
    proxy that echoes the request's headers would echo the key: redacted before it is cut."""
    try:
        body = response.json()
    except ValueError:
        return redact(response.text)[:200]
    if isinstance(body, dict):
        return redact(str(body.get("error") or body.get("message") or body))[:200]
    return redact(str(body))[:200]


def _object(page: Any, path: str) -> dict:
    """S2's envelope: an answer of another shape is the service failing, not a crash."""
    if not isinstance(page, dict):
        raise SourceError(
            f"Semantic Scholar {path} answered {json_kind(page)} where an object was expected"
        )
    return page


def _items(page: dict, key: str, path: str) -> list:
    items = page.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise SourceError(
            f"Semantic Scholar {path}: '{key}' is {json_kind(items)} where a list was expected"
        )
    return items


def _field(item: dict, key: str, kind: type, default: Any = None) -> Any:
    value = item.get(key)
    if value is None:
        return default
    if not isinstance(value, kind):
        expected = {str: "text", list: "a list", dict: "an object"}[kind]
        raise ValueError(f"'{key}' is {json_kind(value)}, not {expected}")
    return value


def to_paper(item: Any, provenance: Provenance) -> Paper | None:
    """An S2 paper object as a `Paper`; None when it lacks a title or a date to file it by
    (S2 has many such), ValueError when a field has the wrong type or an impossible value."""
    if item is None:
        return None
    if not isinstance(item, dict):
        raise ValueError(f"{json_kind(item)}, not an object")
    title = _field(item, "title", str)
    s2_id = _field(item, "paperId", str)
    raw_date = _field(item, "publicationDate", str)
    ids = _field(item, "externalIds", dict, {})
    authors = _field(item, "authors", list, [])
    abstract = collapse_whitespace(_field(item, "abstract", str, ""))
    if not (title and has_visible_text(collapse_whitespace(title))) or not s2_id or not raw_date:
        return None  # a title of spaces or control characters is none (stored as '')
    if not _S2_ID.fullmatch(s2_id):
        raise ValueError(f"malformed paperId {s2_id[:40]!r}")
    try:
        published = date.fromisoformat(raw_date)
    except ValueError:
        raise ValueError(f"unreadable publicationDate {raw_date[:40]!r}") from None
    raw_arxiv = _field(ids, "ArXiv", str)
    if raw_arxiv and not is_arxiv_id(raw_arxiv):
        raise ValueError(f"malformed arXiv id {raw_arxiv[:40]!r}")
    arxiv_id = split_version(raw_arxiv)[0] if raw_arxiv else None
    doi = _field(ids, "DOI", str)
    if doi and not _DOI.fullmatch(doi):
        raise ValueError(f"malformed DOI {doi[:40]!r}")
    if doi and doi.lower().startswith(_ARXIV_DOI_PREFIX):
        doi = None  # arXiv's own DOI says no more than the arXiv id
    venue = _field(item, "venue", str) or _field(
        _field(item, "publicationVenue", dict, {}), "name", str
    )
    if venue and venue.strip().lower() in _NOT_VENUES:
        venue = None
    names = [a.get("name") for a in authors if isinstance(a, dict)]
    return Paper(
        arxiv_id=arxiv_id,
        s2_id=s2_id,
        title=collapse_whitespace(title),
        abstract=abstract,
        authors=tuple(n for n in names if isinstance(n, str) and n),
        first_version_date=published,
        doi=doi,
        venue=venue or None,
        code_url=code_link(abstract),
        source="s2",
        provenance=(provenance,),
    )


class SemanticScholarSource:
    """Keyword searches, snowballing from the list and recommendations, in one window."""

    def __init__(
        self,
        config: SemanticScholarConfig,
        list_papers: dict[str, str],
        api_key: str | None = None,
    ) -> None:
        self.config = config
        self.list_papers = list_papers  # arXiv id -> the list's short name for it
        self.api_key = api_key
        self.name = "s2"
        self.notes: list[str] = []
        self.part_starts: dict[str, date] = {}  # a query new since the last run: its start

    @classmethod
    def from_config(cls, config: Config) -> SemanticScholarSource:
        """Snowballing starts from the list's papers; the key comes from the environment."""
        from litradar.curation.list_source import read_list

        s2 = config.sources.s2
        names = read_list(config).awesome.paper_names()
        return cls(s2, names, api_key=os.environ.get(s2.api_key_env) or None)

    def parts(self) -> list[str]:
        """Each keyword search keeps a mark of its own (litradar.sources.runner): a query
        added to the config reads the first run's look-back. Snowballing and
        recommendations follow the list, not the config, so they share the source's."""
        return [f"query {query}" for query in self.config.queries]

    def pages(self, since: date, until: date) -> Iterator[list[Paper]]:
        last = until - timedelta(days=1)

        def in_window(items: list, provenance: Provenance, start: date = since) -> list[Paper]:
            papers = []
            for item in items:
                try:
                    paper = to_paper(item, provenance)
                except ValueError as exc:
                    paper_id = item.get("paperId") if isinstance(item, dict) else None
                    good = isinstance(paper_id, str) and _S2_ID.fullmatch(paper_id)
                    name = paper_id if good else "?"
                    self.notes.append(f"Semantic Scholar item {name} skipped: {exc}")
                    continue
                if paper and start <= paper.first_version_date <= last:
                    papers.append(paper)
            return papers

        with S2Client(self.config, self.api_key) as client:
            for query in self.config.queries:
                start = self.part_starts.get(f"query {query}", since)
                window = f"{start.isoformat()}:{last.isoformat()}"
                for items in client.search_bulk(query, publicationDateOrYear=window):
                    yield in_window(items, Provenance("s2 search", query), start)
            if self.config.citations and self.list_papers:
                for s2_id, name in self._citable_list_papers(client):
                    for items in client.citations(s2_id):
                        yield in_window(items, Provenance("cites", name))
            if self.config.recommendations and self.list_papers:
                positive = [f"arXiv:{a}" for a in list(self.list_papers)[:BATCH_MAX]]
                items = client.recommendations(positive, limit=self.config.recommendations_limit)
                yield in_window(items, Provenance("s2 recommended"))

    def _citable_list_papers(self, client: S2Client) -> list[tuple[str, str]]:
        """One batch call instead of one failing call per unknown paper: S2's ids of the
        list papers it knows, leaving out those nobody cites yet."""
        arxiv_ids = list(self.list_papers)
        found = client.batch([f"arXiv:{a}" for a in arxiv_ids], fields="paperId,citationCount")
        citable = []
        for arxiv_id, item in zip(arxiv_ids, found, strict=True):
            if item is None or not isinstance(item.get("paperId"), str):
                self.notes.append(f"Semantic Scholar does not know list paper {arxiv_id}")
            elif item.get("citationCount") != 0:
                citable.append((item["paperId"], self.list_papers[arxiv_id]))
        return citable
