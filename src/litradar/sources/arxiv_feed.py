"""arXiv's daily listing feeds (rss.arxiv.org/rss/<cats>) through feedparser.

The feed holds only the latest announcement: it is the freshest source, not a catch-up
one. It is empty on weekends and holidays, which is normal, not a gap. Missed days are
reported so that the arXiv API source (which can query any date window) fills them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import ClassVar

import feedparser
import httpx

from litradar.config import Config, FeedConfig
from litradar.core.http_client import deadline_client
from litradar.core.paper import (
    Paper,
    Provenance,
    code_link,
    collapse_whitespace,
    email_date,
    has_visible_text,
    is_arxiv_id,
    split_version,
)
from litradar.core.retrying import Retryable, with_retries
from litradar.sources.source_error import USER_AGENT, SourceError

# Announced papers that are new to arXiv; replacements are new versions of old papers.
NEW_TYPES = frozenset({"new", "cross"})
_DESCRIPTION = re.compile(
    r"^arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>\S+)\s*Abstract:\s*", re.S
)
_AUTHOR_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
# Friday's announcement is followed by Monday's: three days without one is normal.
_LONGEST_NORMAL_PAUSE = timedelta(days=4)


def split_creators(creators: str) -> tuple[str, ...]:
    """arXiv puts all authors in one `dc:creator`: 'A, B, and C'."""
    return tuple(n.strip() for n in _AUTHOR_SPLIT.split(creators) if n.strip())


class FeedSource:
    # Its records are arXiv's own, and its watermark is exact: the last announcement read
    # (litradar.core.plugins).
    arxiv_records: ClassVar[bool] = True
    overlap: ClassVar[bool] = False

    def __init__(self, config: FeedConfig, categories: list[str]) -> None:
        self.config = config
        self.categories = categories
        self.name = "feed:" + "+".join(categories)
        self.notes: list[str] = []

    @classmethod
    def from_config(cls, config: Config) -> FeedSource:
        return cls(config.sources.feed, config.sources.categories)

    @property
    def url(self) -> str:
        return f"{self.config.url.rstrip('/')}/{'+'.join(self.categories)}"

    def fetch(self) -> feedparser.FeedParserDict:
        """The whole feed, parsed. An HTML page (a maintenance notice answered with 200) or a
        body cut off mid-item is retried like a 5xx, and in the end a failure: taken for
        'no announcement today' it would move the watermark past a day never read."""
        with deadline_client(
            self.config.timeout_seconds, headers={"User-Agent": USER_AGENT}
        ) as client:

            def attempt() -> feedparser.FeedParserDict:
                try:
                    response = client.get(self.url)
                except httpx.HTTPError as err:
                    raise Retryable(str(err) or type(err).__name__) from None
                if response.status_code == 200:
                    return parse_whole_feed(response.content)
                if response.status_code < 500 and response.status_code != 429:
                    raise SourceError(f"arXiv feed {self.url} answered HTTP {response.status_code}")
                raise Retryable(f"HTTP {response.status_code}")

            return with_retries(self.config, f"arXiv feed {self.url}", attempt, SourceError)

    def pages(self, since: date, until: date) -> Iterator[list[Paper]]:
        """One page: today's announcement. `since` is where the last run stopped; a later
        announcement date means days were missed and is noted."""
        parsed = self.fetch()
        channel_date = parsed.feed.get("published") or parsed.feed.get("updated")
        papers, replaced = [], 0
        for entry in parsed.entries:
            if entry.get("arxiv_announce_type", "new") not in NEW_TYPES:
                replaced += 1
                continue
            try:
                paper = self._to_paper(entry, channel_date)
            except ValueError as exc:  # one item's problem, not the day's
                self.notes.append(f"entry {_entry_id(entry)} skipped: {exc}")
                continue
            if paper is not None:
                papers.append(paper)
        if not parsed.entries:
            self.notes.append("the feed is empty (a weekend or an arXiv holiday)")
        if replaced:
            self.notes.append(f"{replaced} replacements of older papers skipped")
        announced = max((p.first_version_date for p in papers), default=None)
        if announced and announced - since > _LONGEST_NORMAL_PAUSE:
            self.notes.append(
                f"the feed holds only {announced}; announcements after {since} and before it "
                f"come from the arxiv source (litradar ingest --source arxiv --since {since})"
            )
        yield papers

    def _to_paper(
        self, entry: feedparser.FeedParserDict, channel_date: str | None = None
    ) -> Paper | None:
        """None for an entry that is not an arXiv paper (noted); ValueError for one whose
        title or date cannot be read."""
        match = _DESCRIPTION.match(entry.get("summary", ""))
        raw_id = match["id"] if match else entry.get("id", "").removeprefix("oai:arXiv.org:")
        if not is_arxiv_id(raw_id):
            self.notes.append(f"entry without an arXiv id skipped: {entry.get('id', '?')}")
            return None
        arxiv_id, version = split_version(raw_id)
        title = collapse_whitespace(entry.get("title", ""))
        if not has_visible_text(title):
            raise ValueError("no title")
        published = entry.get("published") or channel_date
        if not published:
            raise ValueError("no pubDate")
        announced = email_date(published, "pubDate")
        abstract = entry.get("summary", "")[match.end() :] if match else entry.get("summary", "")
        creators = ", ".join(a.get("name", "") for a in entry.get("authors", []))
        return Paper(
            arxiv_id=arxiv_id,
            title=title,
            abstract=collapse_whitespace(abstract),
            authors=split_creators(creators),
            first_version_date=announced,
            version=version or 1,
            categories=tuple(t["term"] for t in entry.get("tags", []) if t.get("term")),
            doi=entry.get("arxiv_doi"),
            code_url=code_link(abstract),
            source="feed",
            provenance=(Provenance("feed", "+".join(self.categories)),),
        )


_WHOLE = re.compile(rb"</(?:rss|feed|rdf:RDF)>\s*$")
_HTML = re.compile(rb"<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE)


def parse_whole_feed(body: bytes) -> feedparser.FeedParserDict:
    """The feed, or `Retryable` when the body is not one (an HTML page) or not all of one
    (cut off before its closing tag: feedparser would keep the items before the cut)."""
    parsed = feedparser.parse(body)
    if not parsed.get("version"):
        if _HTML.search(body[:2048]):
            raise Retryable("the server answered an HTML page, not a feed")
        raise Retryable(f"not a feed: {parsed.get('bozo_exception') or 'no RSS or Atom root'}")
    if not _WHOLE.search(body[-256:]):
        raise Retryable("the feed is cut short (it does not end with its closing tag)")
    return parsed


def _entry_id(entry: feedparser.FeedParserDict) -> str:
    match = _DESCRIPTION.match(entry.get("summary", ""))
    raw = match["id"] if match else entry.get("id", "?").removeprefix("oai:arXiv.org:")
    return split_version(raw)[0] if is_arxiv_id(raw) else raw[:60]
