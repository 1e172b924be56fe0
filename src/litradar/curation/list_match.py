"""Which stored paper each list entry is, whatever its link.

A list links a paper wherever its maintainer found it: arXiv (abstract, PDF, HTML, a
mirror, arXiv's DOI), a publisher (Springer, ACM, AAAI), the ACL Anthology, OpenReview,
Semantic Scholar. An entry matched to nothing shows as "not on the list" and is proposed
again, so every entry is matched, in this order: its arXiv id; a DOI its links carry (any
resolver, a publisher URL that holds one, an ACL Anthology id, which is its DOI's suffix);
a Semantic Scholar paper id; its normalised title (long enough to tell papers apart, and
naming one paper only). Only the store's papers can be matched by anything but an arXiv id.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from urllib.parse import unquote, urlsplit

from litradar.curation.awesome_list import AwesomeList, ListEntry, markdown_text
from litradar.storage.store import Store

_DOI = re.compile(r"(10\.\d{4,9}/[^\s?#]+)")
_ACL = re.compile(r"^(?:www\.)?aclanthology\.org$|^(?:www\.)?aclweb\.org$", re.IGNORECASE)
_ACL_ID = re.compile(r"(\d{4}\.[a-z0-9-]+\.\d+|[A-Z]\d{2}-\d{4})", re.IGNORECASE)
_S2 = re.compile(r"semanticscholar\.org/paper/(?:[^/?#]+/)?([0-9a-f]{40})\b", re.IGNORECASE)
_DOI_SUFFIXES = (".pdf", "/full", "/abstract", "/pdf", "/epdf", "/")

KEYS = ("arxiv", "doi", "acl anthology", "s2", "title")


def doi_in_url(url: str) -> tuple[str, str] | None:
    """(DOI, how it was found) in a link: a resolver or publisher URL that holds the DOI,
    or an ACL Anthology page (its id is the suffix of the DOI 10.18653/v1/<id>)."""
    parts = urlsplit(url.strip())
    if _ACL.match(parts.netloc):
        found = _ACL_ID.search(parts.path)
        return (f"10.18653/v1/{found[1]}", "acl anthology") if found else None
    found = _DOI.search(unquote(parts.path))
    if not found:
        return None
    doi = found[1]
    changed = True
    while changed:
        changed = False
        for suffix in _DOI_SUFFIXES:
            if doi.lower().endswith(suffix):
                doi, changed = doi[: -len(suffix)], True
    return doi, "doi"


def match_entry(entry: ListEntry, store: Store | None) -> tuple[str | None, str | None]:
    """(the paper's key, by which key it matched), or (None, None)."""
    if entry.arxiv_id:
        return entry.arxiv_id, "arxiv"
    if store is None:
        return None, None
    links = [u for u in (entry.url, entry.arxiv_badge_url) if u]
    for url in links:
        found = doi_in_url(url)
        if found is not None and (paper := store.by_doi(found[0])) is not None:
            return paper.key, found[1]
        s2 = _S2.search(url)
        if s2 is not None and (paper := store.by_key(f"s2:{s2[1].lower()}")) is not None:
            return paper.key, "s2"
    same = {p.key for p in store.by_title(markdown_text(entry.title))}  # as the list shows it
    if len(same) == 1:
        return same.pop(), "title"
    return None, None


def match_entries(awesome: AwesomeList, store: Store | None) -> AwesomeList:
    """The list with each entry that has no arXiv id matched to a stored paper, if any."""
    entries = []
    for entry in awesome.entries:
        key, how = match_entry(entry, store)
        entries.append(replace(entry, paper_key=key if key != entry.arxiv_id else None,
                               matched_by=how))  # fmt: skip
    return AwesomeList(entries, awesome.warnings, awesome.sections, awesome.style)


def duplicate_entries(awesome: AwesomeList) -> list[str]:
    """One line per paper the list holds more than once. Its labels come from the first
    entry (`collect_labels`), so a paper filed in two sections teaches placement one of
    them without a word; the maintainer is told, not corrected."""
    by_key: dict[str, list[ListEntry]] = {}
    for entry in awesome.papers:
        if entry.key:
            by_key.setdefault(entry.key, []).append(entry)
    lines = []
    for key, entries in by_key.items():
        if len(entries) < 2:
            continue
        where = ", ".join(str(e.line_no) for e in entries)
        sections = list(dict.fromkeys(e.section_name or "no section" for e in entries))
        lines.append(
            f"lines {where}: {key} is on the list {len(entries)} times"
            + (f", in {' and '.join(sections)}; placement learns {sections[0]}"
               if len(sections) > 1 else "")
        )  # fmt: skip
    return lines


@dataclass
class MatchReport:
    """`litradar list`: how the list's entries matched the store's papers."""

    entries: int
    matched: Counter = field(default_factory=Counter)  # by key
    unmatched: list[ListEntry] = field(default_factory=list)
    not_stored: list[ListEntry] = field(default_factory=list)  # arXiv id the store lacks
    duplicates: list[str] = field(default_factory=list)  # duplicate_entries' lines

    @classmethod
    def of(cls, awesome: AwesomeList, store: Store | None) -> MatchReport:
        report = cls(len(awesome.entries))
        for entry in awesome.entries:
            if entry.matched_by is None:
                report.unmatched.append(entry)
                continue
            report.matched[entry.matched_by] += 1
            if entry.matched_by == "arxiv" and (store is None or not store.get(entry.key or "")):
                report.not_stored.append(entry)
        report.duplicates = duplicate_entries(awesome)
        return report

    def lines(self) -> list[str]:
        by_key = ", ".join(f"{how} {self.matched[how]}" for how in KEYS if self.matched[how])
        lines = [
            # An arXiv link names its paper even when the store lacks it (said below).
            f"{self.entries} entries: {sum(self.matched.values())} identified "
            f"({by_key or 'none'}), {len(self.unmatched)} matched nothing"
        ]
        for entry in self.unmatched:
            host = urlsplit(entry.url).netloc or entry.url or "no link"
            lines.append(f"  not matched: line {entry.line_no}: {entry.title} ({host})")
        if self.not_stored:
            lines.append(
                f"{len(self.not_stored)} arXiv entries are not in the store (ingest their "
                f"metadata to learn from them): "
                + ", ".join(e.key or "" for e in self.not_stored[:10])
                + (" ..." if len(self.not_stored) > 10 else "")
            )
        lines += [f"  listed twice or more: {line}" for line in self.duplicates]
        return lines
