"""The `Paper` record every source yields and the store keeps."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

_VERSION_SUFFIX = re.compile(r"v\d+$")
_NEW_STYLE_ID = re.compile(r"^\d{4}\.\d{4,5}$")
_OLD_STYLE_ID = re.compile(r"^[a-z][a-z\-]*(\.[A-Z]{2})?/\d{7}$")
_NON_WORD = re.compile(r"[^\w]+")


def split_version(arxiv_id: str) -> tuple[str, int | None]:
    """'2411.14982v2' -> ('2411.14982', 2): dedup is on the versionless id."""
    arxiv_id = arxiv_id.strip()
    match = _VERSION_SUFFIX.search(arxiv_id)
    if not match:
        return arxiv_id, None
    return arxiv_id[: match.start()], int(match.group()[1:])


def is_arxiv_id(value: str) -> bool:
    base, _ = split_version(value)
    return bool(_NEW_STYLE_ID.match(base) or _OLD_STYLE_ID.match(base))


def collapse_whitespace(text: str) -> str:
    """Bulk metadata wraps titles and abstracts with hard newlines; they carry no meaning."""
    return " ".join(text.split())


def title_key(title: str) -> str:
    """The same paper under two sources' typography: case, punctuation and spacing ignored."""
    return " ".join(_NON_WORD.sub(" ", title.casefold()).split())


def normalise_doi(doi: str | None) -> str | None:
    """DOIs are case-insensitive and often arrive as a resolver URL."""
    if not doi:
        return None
    doi = doi.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "http://dx.doi.org/", "doi:"):
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix) :]
    return doi.lower() or None


class Provenance(NamedTuple):
    """Where a paper was found: the source, and which query or which list paper led to it."""

    source: str
    detail: str = ""

    def describe(self) -> str:
        return f"{self.source}: {self.detail}" if self.detail else self.source


@dataclass(frozen=True)
class Paper:
    """One paper. `arxiv_id` is None for a paper known only to Semantic Scholar."""

    arxiv_id: str | None
    title: str
    abstract: str
    authors: tuple[str, ...]
    first_version_date: date
    version: int = 1
    categories: tuple[str, ...] = ()
    doi: str | None = None
    comments: str | None = None
    source: str = "file"
    s2_id: str | None = None
    venue: str | None = None
    code_url: str | None = None
    provenance: tuple[Provenance, ...] = field(default=(), compare=False)
    # The store's row id, which is also the paper's id in the FAISS index; None until stored.
    store_id: int | None = field(default=None, compare=False)

    @property
    def text(self) -> str:
        """What is embedded and classified: the title carries as much signal as the abstract."""
        return f"{self.title}. {self.abstract}"

    @property
    def text_sha(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def key(self) -> str:
        """The id labels and digests use: the arXiv id when there is one (the list's own key)."""
        if self.arxiv_id:
            return self.arxiv_id
        if self.s2_id:
            return f"s2:{self.s2_id}"
        return f"doi:{self.doi}"

    @property
    def abs_url(self) -> str:
        if self.arxiv_id:
            return f"https://arxiv.org/abs/{self.arxiv_id}"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return f"https://www.semanticscholar.org/paper/{self.s2_id}"
