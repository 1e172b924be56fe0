"""The `Paper` record every source yields and the store keeps."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import NamedTuple

_VERSION_SUFFIX = re.compile(r"v\d+$")
_NEW_STYLE_ID = re.compile(r"^\d{4}\.\d{4,5}$")
_OLD_STYLE_ID = re.compile(r"^[a-z][a-z\-]*(\.[A-Z]{2})?/\d{7}$")
_NON_WORD = re.compile(r"[^\w]+")
_GITHUB_REPO = re.compile(
    r"https?://github\.com/(?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?(?=[/\s)#?,;]|$)"
)


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


# arXiv opened in August 1991; a first version outside [then, tomorrow] is a damaged record.
ARXIV_FIRST_DAY = date(1991, 8, 1)


def check_arxiv_date(day: date) -> date:
    """`day` if arXiv could have announced a paper then; else ValueError (a year 9999 or
    1850 in a record is damage, not a date to file the paper under)."""
    latest = datetime.now(UTC).date() + timedelta(days=1)
    if not ARXIV_FIRST_DAY <= day <= latest:
        raise ValueError(f"date {day.isoformat()} is outside arXiv's lifetime")
    return day


def email_date(text: str, what: str = "date") -> date:
    """An RFC 2822 date as arXiv writes them ('Mon, 10 Mar 2025 18:00:00 GMT'), checked to be
    one arXiv could have announced a paper on. The year must be written in full: the email
    date parser reads '0001' as 2001. ValueError says what is wrong."""
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        raise ValueError(f"unreadable {what} {text[:60]!r}") from None
    if not re.search(rf"(?<!\d){moment.year}(?!\d)", text):
        raise ValueError(f"unreadable {what} {text[:60]!r}")
    return check_arxiv_date(moment.date())


def json_kind(value: object) -> str:
    """How a JSON value's type reads in a problem report ('a list', 'an object')."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    kinds = {str: "a string", list: "a list", dict: "an object", type(None): "null"}
    return kinds.get(type(value), f"a {type(value).__name__}")


# C0 and C1 control characters (terminal escapes, BEL, NUL; tab, newline and carriage return
# are ordinary whitespace) and the Unicode bidi controls (U+202A-E, U+2066-9, marks), which
# can make a title read backwards in a terminal, an email or a pull request. BOM too, and
# lone surrogates (JSON's "\ud800" reads as one), which no UTF-8 file or database can hold.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff"
    "\ud800-\udfff]"
)


def clean_text(text: str) -> str:
    """Untrusted text without control characters: a whitespace control (vertical tab, form
    feed, NEL) becomes a space, any other is dropped. Applied where text enters litradar (the
    Paper record, a source's message, an LLM's answer), so no output has to."""
    if text.isprintable() or not _UNSAFE.search(text):  # the first is the fast common case
        return text
    return _UNSAFE.sub(lambda match: " " if match.group().isspace() else "", text)


def collapse_whitespace(text: str) -> str:
    """Bulk metadata wraps titles and abstracts with hard newlines; they carry no meaning.
    Control characters go too, so that a source's check for an empty title sees what the
    Paper record will hold (a title of one BEL is empty)."""
    return " ".join(clean_text(text).split())


# Letters and symbols that draw nothing: the Hangul fillers and the braille blank.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def has_visible_text(text: str) -> bool:
    """Whether `text` shows anything: a title of zero-width spaces, joiners, combining
    marks or blank-looking letters is no title, and would be a link with nothing to click
    in the list and the pull request. A letter, digit, punctuation or symbol shows."""
    return any(unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK_LOOKING for ch in text)


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

    def __post_init__(self) -> None:
        """A record of the wrong shape is refused where it is made (ValueError, which every
        source reports as a problem with the record), never stored coerced; control and bidi
        characters are taken out of its text here, whichever source it came from."""
        cut: list[str] = []
        for name, expected in _FIELD_TYPES.items():
            value = getattr(self, name)
            if not isinstance(value, expected) or (isinstance(value, bool) and expected is int):
                raise ValueError(f"'{name}' is {json_kind(value)}, not {_KIND[expected]}")
            if not value or name not in _CLEANED:
                continue
            if isinstance(value, tuple):
                if not all(isinstance(v, str) for v in value):
                    raise ValueError(f"'{name}' must hold text only")
                cleaned: str | tuple[str, ...] = tuple(clean_text(v) for v in value)
            else:
                cleaned = clean_text(value)
            cleaned = _capped(name, cleaned, cut)
            if cleaned != value:
                object.__setattr__(self, name, cleaned)
        if not has_visible_text(self.title):  # the built-in sources say it their way first
            raise ValueError("'title' shows no text")
        object.__setattr__(self, "_cut", tuple(cut))

    def cut_note(self) -> str | None:
        """One line saying which fields were cut to their cap (FIELD_LIMITS), or None."""
        cut: tuple[str, ...] = getattr(self, "_cut", ())
        if not cut:
            return None
        return f"{self.key}: {'; '.join(cut)} (litradar keeps at most that much)"

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


# Caps on what one record may hold (characters; for authors and categories, how many and
# how long each). Real records are far below them (the longest abstract arXiv allows is
# 1,920 characters); a hostile or broken source's 50 MB abstract is cut, and said so.
FIELD_LIMITS = {
    "arxiv_id": 64, "title": 2_000, "abstract": 20_000, "doi": 300, "comments": 2_000,
    "s2_id": 100, "venue": 500, "code_url": 2_000, "authors": 2_000, "author": 500,
    "categories": 100, "category": 50,
}  # fmt: skip


def _capped(name: str, value: str | tuple[str, ...], cut: list[str]) -> str | tuple[str, ...]:
    """`value` within its cap; what was cut is added to `cut` as a phrase."""
    if isinstance(value, str):
        limit = FIELD_LIMITS.get(name)
        if limit is None or len(value) <= limit:
            return value
        cut.append(f"{name} cut to {limit:,} characters (was {len(value):,})")
        return value[:limit]
    each = FIELD_LIMITS.get(name.rstrip("s") if name != "categories" else "category")
    count = FIELD_LIMITS.get(name)
    if count is None or each is None:
        return value
    capped = tuple(v[:each] for v in value[:count])
    if len(value) > count:
        cut.append(f"{name} cut to the first {count:,} (of {len(value):,})")
    if any(len(v) > each for v in value[:count]):
        cut.append(f"{name} cut to {each:,} characters each")
    return capped


_KIND = {str: "text", (str, type(None)): "text", tuple: "a tuple", date: "a date", int: "a number"}
_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "arxiv_id": (str, type(None)),
    "title": str,
    "abstract": str,
    "authors": tuple,
    "first_version_date": date,
    "version": int,
    "categories": tuple,
    "doi": (str, type(None)),
    "comments": (str, type(None)),
    "source": str,
    "s2_id": (str, type(None)),
    "venue": (str, type(None)),
    "code_url": (str, type(None)),
}
_CLEANED = frozenset(
    {"arxiv_id", "title", "abstract", "authors", "categories", "doi", "comments", "s2_id",
     "venue", "code_url"}
)  # fmt: skip


def github_repo_in(text: str) -> str | None:
    """The first GitHub repository named in a text (abstract or comments), as 'owner/repo'."""
    match = _GITHUB_REPO.search(text or "")
    return match["repo"].rstrip(".") if match else None


def code_link(*texts: str | None) -> str | None:
    """A paper's code link, from the first GitHub repository its texts name."""
    repo = github_repo_in(" ".join(t for t in texts if t))
    return f"https://github.com/{repo}" if repo else None
