"""The arXiv API (export.arxiv.org/api/query) through the `arxiv` package.

The package pages and paces (one request per `delay_seconds` on one session). What it
leaves out and this module adds: a User-Agent naming litradar, a timeout, back-off
between retries, arXiv's error feed read as an error with its message, and a truncated
body treated as a failed request instead of a short page.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, timedelta
from typing import ClassVar

import arxiv
import requests
import urllib3
from requests.adapters import HTTPAdapter

from litradar.config import ArxivApiConfig, Config
from litradar.core.http_client import total_seconds
from litradar.core.paper import (
    Paper,
    Provenance,
    code_link,
    collapse_whitespace,
    has_visible_text,
    is_arxiv_id,
    split_version,
)
from litradar.core.retrying import Retryable, with_retries
from litradar.sources.source_error import USER_AGENT, SourceError

_ATOM = "{http://www.w3.org/2005/Atom}"
_ERROR_ID_PREFIX = "https://arxiv.org/api/errors"


class _LitradarAdapter(HTTPAdapter):
    """Sets what `arxiv.Client` does not let a caller set, and keeps the last body so that
    an error feed's message and a truncated document can be recognised."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.last_body = b""

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        request.headers["User-Agent"] = USER_AGENT
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        seconds = total_seconds(self.timeout)
        deadline = time.monotonic() + seconds
        response = super().send(request, **{**kwargs, "stream": True})
        # The body read here, against a deadline on the whole answer (core/http_client).
        body = bytearray()
        try:
            # read1: what has arrived (not a full 64 KB), so a trickle is seen between reads.
            while chunk := response.raw.read1(65536, decode_content=True):
                body += chunk
                if time.monotonic() > deadline:
                    response.close()
                    raise requests.ReadTimeout(f"the answer took over {seconds:.0f} s")
        except (urllib3.exceptions.HTTPError, OSError) as err:
            response.close()
            raise requests.ConnectionError(str(err)) from None
        response._content = bytes(body)
        self.last_body = response.content
        return response


def _error_message(body: bytes) -> str:
    """The `<summary>` of arXiv's error feed, e.g. 'incorrect id format for abc'."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return body[:200].decode("utf-8", "replace")
    summary = root.find(f"{_ATOM}entry/{_ATOM}summary")
    return collapse_whitespace(summary.text or "") if summary is not None else "no message"


class ArxivClient(arxiv.Client):
    def __init__(self, config: ArxivApiConfig, notes: list[str] | None = None) -> None:
        # The run's notes, where the package's warnings land: a failed attempt's are taken
        # back (the page is read again; its "Skipping entry" was of a cut body).
        self.notes = notes if notes is not None else []
        # The package's own retries are immediate; ours back off, so it gets none.
        super().__init__(
            page_size=config.page_size, delay_seconds=config.delay_seconds, num_retries=0
        )
        self.query_url_format = config.url + "?{}"
        self.config = config
        self._adapter = _LitradarAdapter(config.timeout_seconds)
        self._session.mount("http://", self._adapter)
        self._session.mount("https://", self._adapter)

    def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0):  # type: ignore[no-untyped-def]
        return with_retries(
            self.config, "arXiv API", lambda: self._try_page(url, first_page), SourceError
        )

    def _try_page(self, url: str, first_page: bool):  # type: ignore[no-untyped-def]
        mark = len(self.notes)
        try:
            return self._attempt(url, first_page)
        except Retryable:
            del self.notes[mark:]
            raise

    def _attempt(self, url: str, first_page: bool):  # type: ignore[no-untyped-def]
        try:
            feed = super()._parse_feed(url, first_page=first_page, _try_index=0)
        except arxiv.HTTPError as err:
            if 400 <= err.status < 500 and err.status != 429:
                raise SourceError(
                    f"arXiv API rejected the request (HTTP {err.status}): "
                    f"{_error_message(self._adapter.last_body)}"
                ) from None
            raise Retryable(f"HTTP {err.status}") from None
        except arxiv.UnexpectedEmptyPageError:
            raise Retryable("an unexpectedly empty page") from None
        except requests.RequestException as err:
            raise Retryable(str(err) or type(err).__name__) from None
        except ValueError as err:
            # arxiv 4.0.2's parser raises this on a half-written <published> of a cut body.
            raise Retryable(f"an unreadable feed ({err})") from None
        body = self._adapter.last_body.lstrip()[:200].lower()
        if body.startswith((b"<!doctype html", b"<html")):
            raise Retryable("the server answered an HTML page, not arXiv's feed")
        if feed.malformed or not self._adapter.last_body.rstrip().endswith(b"</feed>"):
            raise Retryable("the response ended before its closing feed tag (cut off)")
        return feed


def _to_paper(result: arxiv.Result, provenance: Provenance, notes: list[str]) -> Paper | None:
    """None for an entry whose id is no arXiv id (noted): stored, it would be a second
    record of a paper the store may hold under its real id."""
    if result.entry_id.startswith(_ERROR_ID_PREFIX):
        raise SourceError(f"arXiv API error: {collapse_whitespace(result.summary)}")
    short_id = result.get_short_id()
    if not is_arxiv_id(short_id):
        notes.append(f"entry without an arXiv id skipped: {result.entry_id[:80]}")
        return None
    arxiv_id, version = split_version(short_id)
    title = collapse_whitespace(result.title)
    if not has_visible_text(title):
        notes.append(f"entry {short_id} without a title skipped")
        return None
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=collapse_whitespace(result.summary),
        authors=tuple(a.name for a in result.authors),
        first_version_date=result.published.date(),
        version=version or 1,
        categories=tuple(result.categories),
        doi=result.doi or None,
        comments=collapse_whitespace(result.comment) if result.comment else None,
        code_url=code_link(result.comment, result.summary),
        source="arxiv",
        provenance=(provenance,),
    )


class _NoteHandler(logging.Handler):
    def __init__(self, notes: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.notes = notes

    def emit(self, record: logging.LogRecord) -> None:
        message = f"arXiv API: {record.getMessage()}"
        # A malformed feed is retried, then our own error; a page read twice says it twice.
        if "Malformed feed" not in message and message not in self.notes:
            self.notes.append(message)


@contextlib.contextmanager
def _package_warnings_as(notes: list[str]) -> Iterator[None]:
    """The `arxiv` package skips an entry without <id>, <published> or <updated> and only
    logs it: such entries become the run's notes (reported with the run, in `sources`),
    not bare log lines on stderr while the watermark moves past them unremarked."""
    package = logging.getLogger("arxiv")
    handler, propagate = _NoteHandler(notes), package.propagate
    package.addHandler(handler)
    package.propagate = False
    try:
        yield
    finally:
        package.removeHandler(handler)
        package.propagate = propagate


def date_window_query(since: date, until: date) -> str:
    """arXiv's `submittedDate` range is inclusive to the minute; `until` is exclusive."""
    last = until - timedelta(days=1)
    return f"submittedDate:[{since:%Y%m%d}0000 TO {last:%Y%m%d}2359]"


class ArxivApiSource:
    """New papers of the configured categories, and keyword searches over all of arXiv."""

    # Its records are arXiv's own: they win over other sources' (litradar.core.plugins).
    arxiv_records: ClassVar[bool] = True

    def __init__(self, config: ArxivApiConfig, categories: list[str]) -> None:
        self.config = config
        self.categories = categories
        self.name = "arxiv"
        self.notes: list[str] = []
        self.part_starts: dict[str, date] = {}  # a search new since the last run: its start

    @classmethod
    def from_config(cls, config: Config) -> ArxivApiSource:
        return cls(config.sources.arxiv, config.sources.categories)

    def _named_searches(self) -> list[tuple[str, Provenance, str]]:
        """Each search without its window: its part's name, provenance and query."""
        found: list[tuple[str, Provenance, str]] = []
        if self.categories:
            cats = " OR ".join(f"cat:{c}" for c in self.categories)
            named = " ".join(self.categories)
            found.append((f"categories {named}", Provenance("arxiv", named), f"({cats})"))
        for query in self.config.queries:
            found.append((f"query {query}", Provenance("arxiv", query), f"({query})"))
        return found

    def parts(self) -> list[str]:
        """Each search keeps a mark of its own (litradar.sources.runner), so a category set
        or a query added to the config reads the first run's look-back, not the overlap
        behind the marks of the searches it joins."""
        return [part for part, _, _ in self._named_searches()]

    def searches(self, since: date, until: date) -> list[tuple[Provenance, str]]:
        return [
            (
                provenance,
                f"{query} AND {date_window_query(self.part_starts.get(part, since), until)}",
            )
            for part, provenance, query in self._named_searches()
        ]

    def pages(self, since: date, until: date) -> Iterator[list[Paper]]:
        with _package_warnings_as(self.notes):
            yield from self._pages(since, until)

    def _pages(self, since: date, until: date) -> Iterator[list[Paper]]:
        client = ArxivClient(self.config, self.notes)
        for provenance, query in self.searches(since, until):
            search = arxiv.Search(
                query=query,
                max_results=None,
                sort_by=arxiv.SortCriterion.SubmittedDate,
                sort_order=arxiv.SortOrder.Ascending,
            )
            results = client.results(search)
            while page := list(itertools.islice(results, self.config.page_size)):
                yield [p for r in page if (p := _to_paper(r, provenance, self.notes))]

    def by_ids(self, arxiv_ids: list[str]) -> list[Paper]:
        """Metadata of known papers (unknown ids are simply absent, as arXiv drops them)."""
        client = ArxivClient(self.config, self.notes)
        search = arxiv.Search(id_list=arxiv_ids, max_results=None)
        by_id = Provenance("arxiv", "id")
        with _package_warnings_as(self.notes):
            found = [_to_paper(r, by_id, self.notes) for r in client.results(search)]
        return [p for p in found if p]
