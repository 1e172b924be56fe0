"""The `Paper` record every source yields and the store keeps."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

_VERSION_SUFFIX = re.compile(r"v\d+$")
_NEW_STYLE_ID = re.compile(r"^\d{4}\.\d{4,5}$")
_OLD_STYLE_ID = re.compile(r"^[a-z][a-z\-]*(\.[A-Z]{2})?/\d{7}$")


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


@dataclass(frozen=True)
class Paper:
    arxiv_id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    first_version_date: date
    version: int = 1
    categories: tuple[str, ...] = ()
    doi: str | None = None
    comments: str | None = None
    source: str = "file"
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
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"
