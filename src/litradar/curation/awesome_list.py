"""An awesome-list README as data: its entries, their sections, and rendering in its own style.

Real lists are hand-edited and messy (badges pointing at another paper, non-arXiv links,
blog posts, missing dates). Parsing never fails on such an entry: it keeps what it can
and reports a warning that names the line, so the maintainer can fix the list.
"""

from __future__ import annotations

import html
import html.entities
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

from litradar.core.atomic_files import read_text
from litradar.core.errors import LitradarError
from litradar.core.extractive import fallback_short_name
from litradar.core.paper import Paper, clean_text, github_repo_in, split_version

ARXIV_BADGE_IMAGE = "https://img.shields.io/badge/arXiv-b31b1b.svg"
STAR_BADGE_IMAGE = "https://img.shields.io/github/stars/{repo}.svg?style=social&label=Star"

_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<name>.*?)\s*:?\s*$")
_ENTRY = re.compile(
    r"^(?:\+\s+)?(?:\*\*(?P<short>.+?)\*\*\s*)?"
    r"\[(?P<title>.+)\]\((?P<url>[^()\s]*)\)"
    r"\s*(?:\((?P<date>[^()]*)\))?\s*$"
)
_BADGE = re.compile(
    r"^\s+\[!\[(?P<alt>[^\]]*)\]\((?P<image>[^()\s]*)\)\]\((?P<target>[^()\s]*)\)\s*$"
)
_ARXIV_URL = re.compile(
    r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(?P<id>[^?#\s]+?)(?:\.pdf)?/?$"
)
# The same arXiv paper linked through a mirror, a reader or arXiv's own DOI.
_ARXIV_ELSEWHERE = re.compile(
    r"^https?://(?:www\.)?(?:"
    r"(?:ar5iv\.labs\.arxiv\.org|ar5iv\.org|arxiv\.org)/(?:abs|html|pdf)/"
    r"|alphaxiv\.org/(?:abs|overview|pdf)/"
    r"|huggingface\.co/papers/"
    r"|(?:dx\.)?doi\.org/10\.48550/arxiv\."
    r")(?P<id>\d{4}\.\d{4,5}(?:v\d+)?|[a-z][a-z.-]*/\d{7}(?:v\d+)?)(?:\.pdf)?/?(?:[?#]\S*)?$",
    re.IGNORECASE,
)
_STAR_REPO = re.compile(r"img\.shields\.io/github/stars/(?P<repo>[^?\s]*?)\.svg")
_DATE = re.compile(r"^(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})$")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~\[\]<>|#])")
_ENTITY_START = re.compile(r"&(?=#?\w+;)")
# What GitHub's markdown (cmark-gfm) turns into a link by itself, its "extended autolinks":
# a scheme's "://" and any "www." (one after "_" too), undone by a backslash before the ":"
# or the "."; and an e-mail address, found after escapes are decoded (a domain's "\_" is
# read back as "_"), undone by a zero-width space after any "@" before a character (an
# entity: the source stays ASCII). Checked with cmark-gfm (tests/test_awesome_list.py).
_AUTOLINK = re.compile(r"(?i):(?=//)|(?<=www)\.")
_EMAIL_AT = re.compile(r"@(?=\S)")
ZERO_WIDTH_SPACE = "&#8203;"
# A backslash escape of CommonMark (any ASCII punctuation) or an entity, undone in one pass
# to read the text: an escaped "&" stays an "&" ('\\&amp;' reads "&amp;").
_ESCAPE_OR_ENTITY = re.compile(r"\\([!-/:-@\[-`{-~])|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|\w+);")
_UNSAFE_IN_LINK = re.compile(r"[\s()<>\[\]\\`\"'\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ListEntry:
    section: tuple[str, ...]
    title: str
    url: str
    line_no: int
    short_name: str | None = None
    arxiv_id: str | None = None
    date_shown: str | None = None
    arxiv_badge_url: str | None = None
    star_repo: str | None = None
    code_url: str | None = None
    bulleted: bool = True
    end_line: int = 0  # the entry's last line (its last badge), for editing the file
    # The stored paper a link or the title matched when there is no arXiv id (see
    # litradar.curation.list_match), and by which key: "arxiv", "doi", "s2", "title".
    paper_key: str | None = None
    matched_by: str | None = None

    @property
    def key(self) -> str | None:
        """The paper's key (`Paper.key`): what labels, digests and searches compare."""
        return self.paper_key or self.arxiv_id

    @property
    def section_name(self) -> str:
        """The leaf section, e.g. 'Causal Tracing'; this is the placement label."""
        return self.section[-1] if self.section else ""

    @property
    def date(self) -> date | None:
        return parse_shown_date(self.date_shown) if self.date_shown else None


@dataclass
class AwesomeList:
    entries: list[ListEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sections: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def papers(self) -> list[ListEntry]:
        """Entries known as papers (an arXiv id, or a stored paper they were matched to):
        the ones litradar can learn from and compare with."""
        return [e for e in self.entries if e.key]

    @property
    def arxiv_ids(self) -> set[str]:
        return {e.arxiv_id for e in self.entries if e.arxiv_id}

    @property
    def keys(self) -> set[str]:
        """The keys of the papers on the list: what "on the list" means everywhere."""
        return {e.key for e in self.entries if e.key}

    def paper_names(self) -> dict[str, str]:
        """Paper key -> how the list names the paper: its short name, else its title, as
        text (the list holds markdown source, which digests and pull requests would escape
        a second time: '\\\\> quoted')."""
        return {e.key: markdown_text(e.short_name or e.title) for e in self.papers if e.key}

    def section_path(self, name: str) -> tuple[str, ...]:
        """The full heading path of a leaf section, e.g. ('Papers', 'Logit Lens')."""
        return next((path for path in self.sections if path[-1] == name), (name,))

    def section_names(self) -> list[str]:
        """Leaf sections that hold papers, in the list's order."""
        seen: dict[str, None] = {}
        for entry in self.papers:
            seen.setdefault(entry.section_name, None)
        return list(seen)


def parse_shown_date(text: str) -> date | None:
    match = _DATE.match(text.strip())
    if not match:
        return None
    month = _MONTHS.get(match["month"][:3].lower())
    if month is None:
        return None
    try:
        return date(int(match["year"]), month, int(match["day"]))
    except ValueError:
        return None


def format_date(day: date) -> str:
    """The list's dominant style: 'Mar. 14, 2025' (three-letter month, dot, unpadded day)."""
    return f"{day.strftime('%b')}. {day.day}, {day.year}"


def arxiv_id_from_url(url: str) -> str | None:
    """The arXiv id a link names: arxiv.org's abstract, PDF or HTML page, a mirror (ar5iv,
    alphaXiv, Hugging Face papers) or arXiv's DOI (10.48550/arXiv.ID), any version."""
    match = _ARXIV_URL.match(url.strip()) or _ARXIV_ELSEWHERE.match(url.strip())
    return split_version(match["id"])[0] if match else None


def escape_markdown(text: str) -> str:
    """Untrusted text (a paper's title) as inert markdown on one line. An `&` that would
    start an entity is escaped too ('&#64;user' must not come out as a mention), and so is
    what would make a link by itself: a short name 'https://evil.example' sits outside the
    entry's link, where GitHub would link it."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    escaped = _ENTITY_START.sub(r"\\&", _AUTOLINK.sub(r"\\\g<0>", escaped))
    return _EMAIL_AT.sub("@" + ZERO_WIDTH_SPACE, escaped)


def _entity(reference: str) -> str:
    """An entity as GitHub reads it: a name HTML knows exactly ('&copyright;' is no
    '&copy;' followed by 'right;'), or a number."""
    if reference[1] == "#" or reference[1:] in html.entities.html5:
        return html.unescape(reference)
    return reference


def markdown_text(markdown: str) -> str:
    """Inline markdown source without markup, as its reader sees it: backslash escapes and
    entities undone, and the zero-width space escape_markdown puts after an '@' taken out
    (only there: a title's own zero-width space separates its words). Cleaned like a
    paper's text, since an entity can spell a bidi control."""
    text = _ESCAPE_OR_ENTITY.sub(lambda m: m[1] or _entity(m[0]), markdown)
    return clean_text(text.replace("@\u200b", "@"))


class _Builder:
    """Accumulates one entry's lines, then checks it once it is complete."""

    def __init__(self, section: tuple[str, ...], line_no: int, head: re.Match, bulleted: bool):
        self.section = section
        self.line_no = line_no
        self.head = head
        self.bulleted = bulleted
        self.badges: list[re.Match] = []
        self.end_line = line_no

    def build(self, warnings: list[str]) -> ListEntry:
        where = f"line {self.line_no}"
        title, url = self.head["title"].strip(), self.head["url"].strip()
        arxiv_badge = next((b["target"] for b in self.badges if b["alt"].lower() == "arxiv"), None)
        star = next((b for b in self.badges if b["alt"].lower() == "star"), None)
        title_id = arxiv_id_from_url(url)
        badge_id = arxiv_id_from_url(arxiv_badge) if arxiv_badge else None
        if title_id and badge_id and title_id != badge_id:
            warnings.append(
                f"{where}: arXiv badge points at {badge_id} but the title links to {title_id}; "
                f"using {title_id}"
            )
        if not title_id:
            host = urlparse(url).netloc or url or "no link"
            if badge_id:
                warnings.append(
                    f"{where}: title links to {host}, not arXiv; using the badge's {badge_id}"
                )
            elif arxiv_badge is not None:
                warnings.append(f"{where}: arXiv badge and title link point at {host}, not arXiv")
            else:
                warnings.append(f"{where}: not an arXiv paper ({host}); kept as a non-paper entry")
        date_shown = self.head["date"].strip() if self.head["date"] else None
        if date_shown is None:
            warnings.append(f"{where}: no date shown")
        elif parse_shown_date(date_shown) is None:
            warnings.append(f"{where}: unreadable date '{date_shown}'")
        star_repo = code_url = None
        if star is not None:
            repo_match = _STAR_REPO.search(star["image"])
            star_repo = repo_match["repo"] if repo_match else None
            code_url = star["target"] or None
            if star_repo and (star_repo.endswith("/") or "/" not in star_repo):
                warnings.append(f"{where}: star badge names no repository ('{star_repo}')")
            elif (
                star_repo and code_url and f"github.com/{star_repo}".lower() not in code_url.lower()
            ):
                warnings.append(
                    f"{where}: star badge counts {star_repo} "
                    f"but the code link is {code_url or 'empty'}"
                )
        return ListEntry(
            section=self.section,
            title=title,
            url=url,
            line_no=self.line_no,
            short_name=self.head["short"].strip() if self.head["short"] else None,
            arxiv_id=title_id or badge_id,
            date_shown=date_shown,
            arxiv_badge_url=arxiv_badge,
            star_repo=star_repo,
            code_url=code_url,
            bulleted=self.bulleted,
            end_line=self.end_line,
        )


def parse_list(text: str) -> AwesomeList:
    parsed = AwesomeList()
    stack: list[tuple[int, str]] = []
    current: _Builder | None = None

    def flush() -> None:
        nonlocal current
        if current is not None:
            parsed.entries.append(current.build(parsed.warnings))
            if current.section not in parsed.sections:
                parsed.sections.append(current.section)
            current = None

    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        heading = _HEADING.match(line)
        if heading:
            flush()
            level = len(heading["hashes"])
            stack = [(lvl, name) for lvl, name in stack if lvl < level]
            if level > 1:
                stack.append((level, heading["name"]))
            continue
        if current is not None and line[:1].isspace() and stripped:
            current.end_line = line_no
            badge = _BADGE.match(line)
            if badge:
                current.badges.append(badge)
            continue
        if not stripped or set(stripped) <= {"-"}:
            flush()
            continue
        bulleted = stripped.startswith("+ ")
        entry = _ENTRY.match(stripped)
        if entry and (bulleted or stripped.startswith("[")) and "](#" not in stripped:
            flush()
            section = tuple(name for _, name in stack)
            current = _Builder(section, line_no, entry, bulleted)
        elif bulleted:
            flush()
            parsed.warnings.append(f"line {line_no}: cannot read this entry: {stripped[:80]}")
    flush()
    return parsed


def load_list(path: Path) -> AwesomeList:
    if not path.is_file():
        raise LitradarError(f"awesome list not found: {path}")
    parsed = parse_list(read_text(path))
    if not parsed.arxiv_ids:
        raise LitradarError(f"{path}: no paper entries with an arXiv link found in this list")
    return parsed


def render_entry(entry: ListEntry) -> str:
    """The entry as the list writes it: bullet, bold short name, link, date, badges."""
    head = "+ " if entry.bulleted else ""
    if entry.short_name:
        head += f"**{entry.short_name}** "
    head += f"[{entry.title}]({entry.url})"
    if entry.date_shown:
        head += f" ({entry.date_shown})"
    lines = [head]
    if entry.arxiv_badge_url:
        lines.append(f"  [![arXiv]({ARXIV_BADGE_IMAGE})]({entry.arxiv_badge_url})")
    if entry.star_repo is not None or entry.code_url:
        image = STAR_BADGE_IMAGE.format(repo=entry.star_repo or "")
        lines.append(f"  [![Star]({image})]({entry.code_url or ''})")
    return "\n".join(lines)


def safe_url(url: str) -> str:
    """A link target that cannot end the markdown link early nor span lines (DOIs may hold
    parentheses; a source's id could hold anything): those characters percent-encoded."""
    return _UNSAFE_IN_LINK.sub(lambda m: "".join(f"%{b:02X}" for b in m[0].encode()), url)


def entry_for_paper(
    paper: Paper, section: tuple[str, ...], short_name: str | None = None
) -> ListEntry:
    """A proposal in the list's own format, safe to paste: the title and name are escaped."""
    repo = github_repo_in(f"{paper.comments or ''} {paper.abstract} {paper.code_url or ''}")
    return ListEntry(
        section=section,
        title=escape_markdown(paper.title),
        url=safe_url(paper.abs_url),
        line_no=0,
        short_name=escape_markdown(short_name or fallback_short_name(paper.title, paper.abstract)),
        arxiv_id=paper.arxiv_id,
        date_shown=format_date(paper.first_version_date),
        arxiv_badge_url=safe_url(paper.abs_url) if paper.arxiv_id else None,
        star_repo=repo,
        code_url=f"https://github.com/{repo}" if repo else None,
    )
