"""An awesome-list README as data: its entries, their sections, and rendering in its own style.

An entry is one line: a bullet (`+`, `-`, `*`), a number (`1.`, `1)`) or none; an optional
bold short name (`**Name**`, `**Name**:`, `**Name** -`); the link `[Title](url)`; then a
date in parentheses, free text (` - ICML 2024`, `, CVPR 2025`) or badges
(`[![arXiv](...)](...)`); badges may also sit on indented lines below. A line without a
bullet is an entry only when it is nothing but the link, its date and its badges (a
paragraph that starts with a link is prose). Links to sections (`](#...)`) are a table of
contents, not entries. Markdown tables are not read.

How the list writes its entries (`EntryStyle`) is learned from the form most of them take,
so a proposal looks like its neighbours and follows the list as it changes.

Real lists are hand-edited and messy (badges pointing at another paper, non-arXiv links,
blog posts, missing dates). Parsing never fails on such an entry: it keeps what it can
and reports a warning that names the line, so the maintainer can fix the list.
"""

from __future__ import annotations

import html
import html.entities
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

from litradar.core.atomic_files import read_text
from litradar.core.errors import LitradarError
from litradar.core.extractive import fallback_short_name
from litradar.core.paper import Paper, clean_text, github_repo_in, is_arxiv_id, split_version

ARXIV_BADGE_IMAGE = "https://img.shields.io/badge/arXiv-b31b1b.svg"
STAR_BADGE_IMAGE = "https://img.shields.io/github/stars/{repo}.svg?style=social&label=Star"
T = TypeVar("T")

# A heading's hashes, then its text; the text's trailing blanks and colon are cut in
# `heading_of` (a pattern that cut them backtracked cubically on a line of blanks).
_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<name>.*)$")
# Where GitHub shows no text: inside an HTML comment, or a fenced code block.
_COMMENT_OPEN, _COMMENT_CLOSE = "<!--", "-->"
_FENCE = re.compile(r"^\s{0,3}(?P<fence>`{3,}|~{3,})")
# A list item's marker: a bullet or a number, then the space CommonMark requires.
_MARKER = re.compile(r"^(?:(?P<bullet>[-*+])|(?P<number>\d{1,9})(?P<delimiter>[.)]))[ \t]+")
# The entry itself: an optional bold short name and what sets it off from the link, then
# the link, then a date in parentheses (which may hold one more: '(Apr. 30, 2024 (CVPR))')
# and whatever follows. A title may hold escapes and one level of brackets ('[Re] ...',
# '[CLS] tokens ...'), but is not one bracketed group alone nor an image: '[[arxiv]](url)'
# and '[![badge](image)](url)' name no paper. A title without a link is read too: its
# arXiv badge may name the paper.
_ENTRY = re.compile(
    r"^(?:\*\*(?P<short>.+?)\*\*(?P<separator>[ \t]*(?:[:|–—-][ \t]*)?))?"
    r"\[(?P<title>(?!\[(?:\\.|[^\[\]\\])*\]\])(?!!\[)"
    r"(?:\\.|[^\[\]\\]|\[(?:\\.|[^\[\]\\])*\])+)\]"
    r"(?:\((?P<url>[^()\s]*)\))?"
    r"[ \t]*(?:\((?P<date>[^()]*(?:\([^()]*\)[^()]*)*)\))?(?P<after>.*)$"
)
_BADGE = re.compile(r"\[!\[(?P<alt>[^\]]*)\]\((?P<image>[^()\s]*)\)\]\((?P<target>[^()\s]*)\)")
# An indented line of badges only, one or more: an entry's badges below it.
_BADGE_LINE = re.compile(r"^\s+(?:\[!\[[^\]]*\]\([^()\s]*\)\]\([^()\s]*\)\s*)+$")
_THEMATIC_BREAK = re.compile(r"^(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
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
_STAR_REPO = re.compile(r"img\.shields\.io/github/stars/(?P<repo>[^?#\s]*?)(?:\.svg)?(?:[?#]|$)")
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
class EntryStyle:
    """How a list writes its entries, learned from the list by `parse_list` (each part the
    form most of its entries take), so a proposal looks like its neighbours and follows the
    list when its maintainer changes it, with nothing to configure. The defaults are the
    first list's style, also used where no list is at hand:

        + **ShortName** [Title](https://arxiv.org/abs/ID) (Feb. 24, 2025)
          [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/ID)
          [![Star](https://img.shields.io/github/stars/owner/repo.svg?...)](https://github.com/owner/repo)

    and a blank line before the next entry."""

    bullet: str = "+"  # "+", "-", "*"; "1." or "1)" for a numbered list; "" for none
    short_name: bool = True  # a bold short name before the link
    name_form: str = "**{name}** "  # or "**{name}**: ", "**{name}** - ", "**{name}:** "
    date: bool = True  # " (Mar. 4, 2025)" after the link
    badges: str = "below"  # on indented lines below the entry, "inline" after it, or "none"
    badge_indent: str = "  "  # before a badge line, beyond the entry line's own indent
    # Each badge's image as the list writes it, '{id}' standing for the paper's arXiv id and
    # '{repo}' for its repository ('owner/name'); None where the list shows no such badge.
    arxiv_badge: str | None = f"![arXiv]({ARXIV_BADGE_IMAGE})"
    star_badge: str | None = f"![Star]({STAR_BADGE_IMAGE})"
    blank_line: bool = True  # a blank line between entries

    @property
    def numbered(self) -> bool:
        return self.bullet[:1].isdigit()

    def marker(self, number: int | None = None) -> str:
        """What starts an entry's line: '+ ', or '3. ' for entry 3 of a numbered list."""
        if self.numbered:
            return f"{number or 1}{self.bullet[-1]} "
        return f"{self.bullet} " if self.bullet else ""


DEFAULT_STYLE = EntryStyle()


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
    number: int | None = None  # an entry of a numbered list: its number

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
    style: EntryStyle = DEFAULT_STYLE  # how its entries are written, learned from them

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
        return next((path for path in self.sections if path and path[-1] == name), (name,))

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


@dataclass
class _Draft:
    """One entry as it is read, line by line. It is built into a `ListEntry` once the whole
    list is read: whether the list shows dates decides what its parentheses are."""

    section: tuple[str, ...]
    line_no: int
    indent: int  # the entry line's own indent: a line indented deeper continues the entry
    head: re.Match
    bullet: str  # as `EntryStyle.bullet`: '+', '-', '*', '1.', '1)' or ''
    number: int | None
    inline: list[re.Match]
    below: list[re.Match] = field(default_factory=list)
    badge_indent: str | None = None  # before its first line of badges, beyond `indent`
    end_line: int = 0  # its last line (its last badge), for editing the file

    @property
    def badges(self) -> list[re.Match]:
        return self.inline + self.below

    @property
    def readable(self) -> bool:
        """It names a paper: by its link, or by its arXiv badge when its title has none."""
        return self.head["url"] is not None or self.arxiv_badge is not None

    @property
    def arxiv_badge(self) -> re.Match | None:
        return next((b for b in self.badges if _is_arxiv_badge(b)), None)

    @property
    def star_badge(self) -> re.Match | None:
        return next((b for b in self.badges if _is_star_badge(b)), None)

    def continue_with(self, line_no: int, line: str) -> None:
        """A line indented under the entry: its badges, or anything else it holds."""
        self.end_line = line_no
        if _BADGE_LINE.match(line):
            if not self.below:
                self.badge_indent = line[: len(line) - len(line.lstrip())][self.indent :]
            self.below += _BADGE.finditer(line)

    def build(self, shows_dates: bool) -> tuple[ListEntry, list[tuple[int, str]]]:
        """The entry, and what is wrong with it (line, message)."""
        warnings: list[str] = []
        title, url = self.head["title"].strip(), (self.head["url"] or "").strip()
        arxiv_badge = self.arxiv_badge["target"] if self.arxiv_badge else None
        arxiv_id = _arxiv_id(url, arxiv_badge, warnings)
        # In a list that shows no dates, parentheses after the link are its own text.
        date_shown = self.head["date"].strip() if self.head["date"] and shows_dates else None
        if date_shown is None and shows_dates:
            warnings.append("no date shown")
        elif date_shown is not None and parse_shown_date(date_shown) is None:
            warnings.append(f"unreadable date '{date_shown}'")
        star_repo, code_url = _code(self.star_badge, warnings)
        entry = ListEntry(
            section=self.section,
            title=title,
            url=url,
            line_no=self.line_no,
            short_name=_short_name(self.head["short"]) if self.head["short"] else None,
            arxiv_id=arxiv_id,
            date_shown=date_shown,
            arxiv_badge_url=arxiv_badge,
            star_repo=star_repo,
            code_url=code_url,
            bulleted=bool(self.bullet),
            end_line=self.end_line,
            number=self.number,
        )
        return entry, [(self.line_no, warning) for warning in warnings]

    def name_form(self) -> str | None:
        """How the entry sets its short name: '**{name}** ', '**{name}**: ', '**{name}:** '."""
        short = self.head["short"]
        if not short:
            return None
        inner = ":" if short.strip().endswith(":") and _short_name(short) else ""
        return f"**{{name}}{inner}**{self.head['separator']}"

    def badge_forms(self, entry: ListEntry) -> tuple[str | None, str | None]:
        """Its arXiv and star badges' images as it writes them, its own arXiv id and
        repository taken out ('{id}', '{repo}'): what a proposal's badges look like."""
        arxiv, star = self.arxiv_badge, self.star_badge
        arxiv_id = arxiv_id_from_url(arxiv["target"]) if arxiv else None
        return (
            _badge_form(arxiv, arxiv_id or entry.arxiv_id, "{id}") if arxiv else None,
            _badge_form(star, entry.star_repo, "{repo}") if star else None,
        )


def _arxiv_id(url: str, arxiv_badge: str | None, warnings: list[str]) -> str | None:
    """The paper's arXiv id: the title's link's, else its arXiv badge's."""
    title_id = arxiv_id_from_url(url)
    badge_id = arxiv_id_from_url(arxiv_badge) if arxiv_badge else None
    if title_id and badge_id and title_id != badge_id:
        warnings.append(
            f"arXiv badge points at {badge_id} but the title links to {title_id}; using {title_id}"
        )
    if not title_id:
        host = urlparse(url).netloc or url or "no link"
        if badge_id:
            title_is = f"title links to {host}, not arXiv" if url else "title has no link"
            warnings.append(f"{title_is}; using the badge's {badge_id}")
        elif arxiv_badge is not None:
            warnings.append(f"arXiv badge and title link point at {host}, not arXiv")
        else:
            warnings.append(f"not an arXiv paper ({host}); kept as a non-paper entry")
    return title_id or badge_id


def _code(star: re.Match | None, warnings: list[str]) -> tuple[str | None, str | None]:
    """(the repository the star badge counts, the code link it points at)."""
    if star is None:
        return None, None
    repo_match = _STAR_REPO.search(star["image"])
    star_repo = repo_match["repo"] if repo_match else None
    code_url = star["target"] or None
    if star_repo and (star_repo.endswith("/") or "/" not in star_repo):
        warnings.append(f"star badge names no repository ('{star_repo}')")
    elif star_repo and code_url and f"github.com/{star_repo}".lower() not in code_url.lower():
        warnings.append(f"star badge counts {star_repo} but the code link is {code_url}")
    return star_repo, code_url


def _short_name(short: str) -> str:
    """'**Name:**' names 'Name': the colon is the list's punctuation, kept in its style."""
    name = short.strip()
    return name[:-1].rstrip() if name.endswith(":") and name[:-1].strip() else name


def _is_arxiv_badge(badge: re.Match) -> bool:
    return badge["alt"].lower() == "arxiv" or "/badge/arxiv" in badge["image"].lower()


def _is_star_badge(badge: re.Match) -> bool:
    return badge["alt"].lower() == "star" or _STAR_REPO.search(badge["image"]) is not None


def _badge_form(badge: re.Match, value: str | None, placeholder: str) -> str:
    form = f"![{badge['alt']}]({badge['image']})"
    return form.replace(value, placeholder) if value else form


def marker_of(line: str) -> str:
    """The list marker a line starts with, as `EntryStyle.bullet` writes it ('-', '1.'),
    or '' for none."""
    return _bullet(_MARKER.match(line.lstrip()))


def _bullet(marker: re.Match | None) -> str:
    if marker is None:
        return ""
    return marker["bullet"] or f"1{marker['delimiter']}"


def heading_of(line: str) -> tuple[int, str] | None:
    """(level, text) of a markdown heading line: '## Logit Lens:' -> (2, 'Logit Lens')."""
    match = _HEADING.match(line)
    if match is None:
        return None
    name = match["name"].strip()
    if name.endswith(":"):
        name = name[:-1].rstrip()
    return len(match["hashes"]), name


def shown_lines(lines: list[str]) -> list[bool]:
    """For each line, whether GitHub shows it as the list's text: not inside an HTML comment
    (a withdrawn entry, a note to contributors) nor a fenced code block (an entry template,
    '[Title](https://arxiv.org/abs/XXXX.XXXXX)'). A line that opens or closes one is not."""
    shown = []
    fence: str | None = None
    in_comment = False
    for line in lines:
        if fence is not None:
            closing = _FENCE.match(line)
            if closing and closing["fence"][0] == fence[0] and len(closing["fence"]) >= len(fence):
                fence = None
            shown.append(False)
            continue
        if in_comment:
            in_comment = _COMMENT_CLOSE not in line
            shown.append(False)
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = opening["fence"]
            shown.append(False)
            continue
        stripped = line.strip()
        if stripped.startswith(_COMMENT_OPEN):
            in_comment = _COMMENT_CLOSE not in stripped[len(_COMMENT_OPEN) :]
            shown.append(False)
            continue
        shown.append(True)
    return shown


def _read_entries(lines: list[str]) -> tuple[list[_Draft], list[tuple[int, str, int]]]:
    """The entries as drafts, in order, each under its heading path; and the list items
    that could not be read as entries: (line, bullet, indent)."""
    drafts: list[_Draft] = []
    unread: list[tuple[int, str, int]] = []
    stack: list[tuple[int, str]] = []
    current: _Draft | None = None
    for line_no, (line, shown) in enumerate(zip(lines, shown_lines(lines), strict=True), 1):
        if not shown:
            current = None
            continue
        stripped = line.strip()
        heading = heading_of(line)
        if heading:
            current = None
            level, name = heading
            stack = [(lvl, text) for lvl, text in stack if lvl < level]
            if level > 1:
                stack.append((level, name))
            continue
        indent = len(line) - len(line.lstrip())
        if current is not None and stripped and indent > current.indent:
            current.continue_with(line_no, line)
            continue
        if not stripped or set(stripped) <= {"-"} or _THEMATIC_BREAK.match(stripped):
            current = None
            continue
        marker = _MARKER.match(stripped)
        body = stripped[marker.end() :] if marker else stripped
        if "](#" in stripped:  # a table of contents' link to a section
            current = None if marker else current
            continue
        entry = _ENTRY.match(body)
        if entry and (marker or _only_a_link(body, entry)):
            current = _Draft(
                section=tuple(name for _, name in stack),
                line_no=line_no,
                indent=indent,
                head=entry,
                bullet=_bullet(marker),
                number=int(marker["number"]) if marker and marker["number"] else None,
                inline=list(_BADGE.finditer(entry["after"])),
                end_line=line_no,
            )
            drafts.append(current)
        elif marker:
            current = None
            unread.append((line_no, _bullet(marker), indent))
    return drafts, unread


def _only_a_link(body: str, entry: re.Match) -> bool:
    """A line without a bullet is an entry only when it is the link, its date and badges:
    a paragraph that starts with a link is prose."""
    return (
        body.startswith("[")
        and entry["url"] is not None
        and not _BADGE.sub("", entry["after"]).strip()
    )


def parse_list(text: str) -> AwesomeList:
    """The list's entries under their sections, its warnings, and its entry style. It never
    fails: what it cannot read is a warning naming the line."""
    lines = text.splitlines()
    drafts, unread = _read_entries(lines)
    unread += [(d.line_no, d.bullet, d.indent) for d in drafts if not d.readable]
    drafts = [d for d in drafts if d.readable]
    # A list shows dates when some entry's parentheses hold one ('Mar. 4, 2025', readable or
    # not): then the parentheses after a link are its date, missing or unreadable ones said.
    # Elsewhere they are the entry's own text ('(CVPR 2024)'), and no date is missing.
    shows_dates = any(d.head["date"] and _DATE.match(d.head["date"].strip()) for d in drafts)
    parsed = AwesomeList()
    notes: list[tuple[int, str]] = []
    for draft in drafts:
        entry, warnings = draft.build(shows_dates)
        parsed.entries.append(entry)
        notes += warnings
        if entry.section and entry.section not in parsed.sections:
            parsed.sections.append(entry.section)
    notes += _unread_warnings(unread, drafts, lines)
    parsed.warnings = [f"line {n}: {message}" for n, message in sorted(notes, key=lambda x: x[0])]
    parsed.style = _learn_style(drafts, parsed.entries, _blank_lines_between(drafts, lines))
    return parsed


def _unread_warnings(
    unread: list[tuple[int, str, int]], drafts: list[_Draft], lines: list[str]
) -> list[tuple[int, str]]:
    """The list items that are broken entries: those in the entries' own bullet, but not
    the README's prose in another ('* Fork the repository') nor an item the entries are
    nested under ('- Vision' above '  - [Title](url)')."""
    bullets = {d.bullet for d in drafts}
    starts = {d.line_no: d for d in drafts}
    warnings = []
    for line_no, bullet, indent in unread:
        following = next((n for n in range(line_no + 1, len(lines) + 1) if lines[n - 1].strip()), 0)
        nests = following in starts and starts[following].indent > indent
        if bullet in bullets and not nests:
            warnings.append((line_no, f"cannot read this entry: {lines[line_no - 1].strip()[:80]}"))
    return warnings


def _blank_lines_between(drafts: list[_Draft], lines: list[str]) -> list[bool]:
    """For each two entries in a row in one section with only blank lines (or none) between
    them: whether there were any."""
    gaps = []
    for first, then in pairwise(drafts):
        between = lines[first.end_line : then.line_no - 1]
        if first.section == then.section and not any(line.strip() for line in between):
            gaps.append(bool(between))
    return gaps


def _learn_style(drafts: list[_Draft], entries: list[ListEntry], gaps: list[bool]) -> EntryStyle:
    """Each part of the style as most entries write it (a tie goes to the first list's);
    a badge as most entries that show one write it. A list without entries has the default."""
    if not drafts:
        return DEFAULT_STYLE
    default = DEFAULT_STYLE
    forms = [d.badge_forms(e) for d, e in zip(drafts, entries, strict=True)]
    # An arXiv paper without an arXiv badge votes for none.
    arxiv = [f[0] for f, e in zip(forms, entries, strict=True) if f[0] or e.arxiv_id]
    stars = [f[1] for f in forms if f[1]]
    placements = ["below" if d.below else "inline" for d in drafts if d.badges]
    indents = [d.badge_indent for d in drafts if d.badge_indent is not None]
    bullet = _most_common([d.bullet for d in drafts], default.bullet)
    return EntryStyle(
        bullet=bullet,
        # An entry line without a marker must start with its link to be read back.
        short_name=bullet != ""
        and _most_common([bool(d.head["short"]) for d in drafts], default.short_name),
        name_form=_most_common([f for d in drafts if (f := d.name_form())], default.name_form),
        date=_most_common([e.date is not None for e in entries], default.date),
        badges=_most_common(placements, default.badges) if placements else "none",
        badge_indent=_most_common(indents, default.badge_indent),
        arxiv_badge=_most_common(arxiv, default.arxiv_badge) if arxiv else None,
        star_badge=_most_common(stars, default.star_badge) if stars else None,
        blank_line=_most_common(gaps, default.blank_line),
    )


def _most_common(votes: list[T], default: T) -> T:
    """The most frequent vote; the default on a tie it is part of, else the first seen."""
    counts = Counter(votes)
    if not counts:
        return default
    top = max(counts.values())
    if counts.get(default) == top:
        return default
    return next(vote for vote in votes if counts[vote] == top)


def load_list(path: Path) -> AwesomeList:
    if not path.is_file():
        raise LitradarError(f"awesome list not found: {path}")
    parsed = parse_list(read_text(path))
    if not parsed.arxiv_ids:
        raise LitradarError(f"{path}: no paper entries with an arXiv link found in this list")
    return parsed


def render_entry(entry: ListEntry, style: EntryStyle = DEFAULT_STYLE) -> str:
    """The entry as the list writes it: marker, bold short name, link, date, badges, each
    in the list's form (`style`). What it shows is the entry's own: `entry_for_paper`
    leaves out of a proposal what the list does not show."""
    head = style.marker(entry.number) if entry.bulleted else ""
    if entry.short_name:
        head += style.name_form.replace("{name}", entry.short_name)
    head += f"[{entry.title}]({entry.url})"
    if entry.date_shown:
        head += f" ({entry.date_shown})"
    badges = _badges(entry, style)
    if style.badges == "inline":
        return " ".join([head, *badges])
    return "\n".join([head, *(f"{style.badge_indent}{badge}" for badge in badges)])


def _badges(entry: ListEntry, style: EntryStyle) -> list[str]:
    """The entry's badges in the list's form; the first list's where the list shows none
    of that kind (an entry read from the list may have a badge its neighbours lack)."""
    badges = []
    if entry.arxiv_badge_url:
        # Only an arXiv id goes into the image (a source's id could hold anything).
        arxiv_id = arxiv_id_from_url(entry.arxiv_badge_url) or entry.arxiv_id or ""
        arxiv_id = arxiv_id if is_arxiv_id(arxiv_id) else ""
        form = style.arxiv_badge or DEFAULT_STYLE.arxiv_badge or ""
        badges.append(f"[{form.replace('{id}', arxiv_id)}]({entry.arxiv_badge_url})")
    if entry.star_repo is not None or entry.code_url:
        form = style.star_badge or DEFAULT_STYLE.star_badge or ""
        image = form.replace("{repo}", safe_url(entry.star_repo or ""))
        badges.append(f"[{image}]({entry.code_url or ''})")
    return badges


def safe_url(url: str) -> str:
    """A link target that cannot end the markdown link early nor span lines (DOIs may hold
    parentheses; a source's id could hold anything): those characters percent-encoded."""
    return _UNSAFE_IN_LINK.sub(lambda m: "".join(f"%{b:02X}" for b in m[0].encode()), url)


def entry_for_paper(
    paper: Paper,
    section: tuple[str, ...],
    short_name: str | None = None,
    style: EntryStyle = DEFAULT_STYLE,
) -> ListEntry:
    """A proposal in the list's own format, safe to paste: the title and name are escaped.
    It shows what the list's entries show (`style`): a short name, a date, the badges."""
    shows_badges = style.badges != "none"
    repo = None
    if shows_badges and style.star_badge:
        repo = github_repo_in(f"{paper.comments or ''} {paper.abstract} {paper.code_url or ''}")
    name = short_name or fallback_short_name(paper.title, paper.abstract)
    return ListEntry(
        section=section,
        title=escape_markdown(paper.title),
        url=safe_url(paper.abs_url),
        line_no=0,
        short_name=escape_markdown(name) if style.short_name else None,
        arxiv_id=paper.arxiv_id,
        date_shown=format_date(paper.first_version_date) if style.date else None,
        arxiv_badge_url=(
            safe_url(paper.abs_url)
            if paper.arxiv_id and shows_badges and style.arxiv_badge
            else None
        ),
        star_repo=repo,
        code_url=f"https://github.com/{repo}" if repo else None,
    )
