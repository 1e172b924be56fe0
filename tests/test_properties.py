"""Property-based tests (hypothesis) of what reads untrusted input and what escapes it: the
JSON-lines reader, the list parser, the listing-feed parser, and the markdown and HTML
escaping, with hostile unicode (control and bidi characters, markdown and HTML syntax,
astral planes, lone surrogates where a format allows them).

Bounded: `LITRADAR_PROPERTY_EXAMPLES` (default 150) examples a property; the figures are
printed by `pytest -s --hypothesis-show-statistics`.
"""

from __future__ import annotations

import difflib
import html as html_module
import json
import os
import re
from datetime import UTC, date, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape as xml_escape

import cmarkgfm
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pydantic import ValidationError

from litradar.assist.tasks import ShortName
from litradar.config import FeedConfig
from litradar.core.paper import Paper, collapse_whitespace, has_visible_text
from litradar.core.retrying import Retryable
from litradar.curation.awesome_list import (
    entry_for_paper,
    escape_markdown,
    parse_list,
    render_entry,
)
from litradar.curation.list_edit import insert_entries
from litradar.publish.mail import render_html
from litradar.publish.pull_request import inert
from litradar.sources.arxiv_feed import FeedSource, parse_whole_feed
from litradar.sources.arxiv_jsonl import LineProblem, parse_record, read_jsonl
from tests.conftest import DEMO

EXAMPLES = int(os.environ.get("LITRADAR_PROPERTY_EXAMPLES", "150"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
LIST_TEXT = (DEMO / "awesome_list.md").read_text(encoding="utf-8")

# Text an attacker would try: controls, bidi overrides, markdown and HTML syntax, mentions,
# combining marks, astral characters, and anything else unicode holds.
HOSTILE_PIECES = [
    "\x1b[31m", "\x07", "\x00", "\u202e", "\u2066", "\u2069", "\u200f", "\r\n", "\t", "\x85",
    "<script>alert(1)</script>", "<img src=x onerror=y>", "[link](http://evil)", "![i](x)",
    "**", "_", "`", "|", "#", "\\", "&amp;", "&lt;", "@octocat", "&commat;", "<!--", "-->", "\ufeff",
    "e\u0301", "👩‍🔬", "𝔘𝔫𝔦", "中文", "עברית", " ", "\u2028",
    "https://evil.example", "www.evil.example", "user@evil.example.com", "mailto:a@b.co",
    "#123", "GH-42", "owner/repo#7", "fixes #1", ":",
]  # fmt: skip
hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(min_size=1, max_size=8)), max_size=12
).map("".join)


def arxiv_id(n: int) -> str:
    return f"2503.{n:05d}"


# JSON-lines reader -----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def bulk_records(draw) -> dict:
    """A record close to arXiv's, with any field possibly replaced by any JSON value."""
    record = {
        "id": arxiv_id(draw(st.integers(1, 99999))),
        "title": draw(hostile_text),
        "abstract": draw(hostile_text),
        "authors": draw(hostile_text),
        "categories": draw(st.sampled_from(["cs.CV", "cs.CL cs.AI", ""])),
        "versions": [{"version": "v1", "created": draw(st.sampled_from([
            "Mon, 10 Mar 2025 18:00:00 GMT", "Mon, 10 Mar 0001 18:00:00 GMT", "garbage", "",
            "Fri, 31 Dec 9999 23:59:59 GMT"]))}],
    }  # fmt: skip
    for key in draw(st.lists(st.sampled_from([*record, "comments", "doi", "authors_parsed"]))):
        record[key] = draw(json_values)
    return record


line_bytes = st.one_of(
    bulk_records().map(
        lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass")
    ),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=40).filter(lambda b: b"\n" not in b and b"\r" not in b),
)


@PROPERTY
@given(lines=st.lists(line_bytes, max_size=8))
def test_the_jsonl_reader_yields_one_paper_or_one_problem_per_line(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("jsonl") / "hostile.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    items = list(read_jsonl(path))  # never raises
    bom = b"\xef\xbb\xbf"  # the file's, which the reader drops: a line of it alone is blank
    shown = [line.removeprefix(bom) if n == 0 else line for n, line in enumerate(lines)]
    expected = [n for n, line in enumerate(shown, start=1) if line.strip()]
    assert len(items) == len(expected)
    for line_no, item in zip(expected, items, strict=True):
        if isinstance(item, LineProblem):
            assert item.line_no == line_no and "\n" not in str(item)
            continue
        assert isinstance(item, Paper) and item.title == collapse_whitespace(item.title) != ""
        for text in (item.title, item.abstract, *item.authors, *item.categories):
            assert not UNSAFE.search(text), repr(text)
        assert date(1991, 8, 1) <= item.first_version_date <= date.today()


@PROPERTY
@given(record=json_values | bulk_records())
def test_parse_record_raises_nothing_but_a_problem(record):
    try:
        paper = parse_record(record)
    except ValueError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(paper.title, str) and isinstance(paper.authors, tuple)


# list parser -------------------------------------------------------------------------------


@PROPERTY
@given(text=st.lists(st.one_of(hostile_text, st.sampled_from(LIST_TEXT.splitlines())),
                     max_size=30).map("\n".join))  # fmt: skip
def test_the_list_parser_never_fails_and_warnings_name_a_line(text):
    parsed = parse_list(text)
    for warning in parsed.warnings:
        assert re.match(r"line \d+: ", warning) and "\n" not in warning
    for entry in parsed.entries:
        assert 1 <= entry.line_no <= entry.end_line <= max(1, len(text.splitlines()))


@PROPERTY
@given(
    title=hostile_text.filter(lambda t: has_visible_text(collapse_whitespace(t))),
    short=hostile_text,
)
def test_a_hostile_proposal_is_one_entry_in_its_section_and_nothing_else_changes(title, short):
    paper = Paper("2503.99999", title, "Abstract.", ("A",), date(2025, 3, 11))
    if not paper.title.split():
        return  # only control characters: nothing left to show
    try:  # a short name comes from an LLM's validated answer, or else from the title
        name = ShortName(name=short).name
    except ValidationError:
        name = None
    entry = entry_for_paper(paper, ("Papers", "Logit Lens"), name)
    edited = insert_entries(LIST_TEXT, [entry])
    after = parse_list(edited)
    ours = [e for e in after.entries if e.arxiv_id == "2503.99999"]
    assert len(ours) == 1 and ours[0].section == ("Papers", "Logit Lens")
    assert len(after.entries) == len(parse_list(LIST_TEXT).entries) + 1
    before, after_lines = LIST_TEXT.splitlines(keepends=True), edited.splitlines(keepends=True)
    changes = difflib.SequenceMatcher(None, before, after_lines, autojunk=False).get_opcodes()
    assert {tag for tag, *_ in changes} <= {"equal", "insert"}  # no line changed or removed
    inserted = [
        line for tag, _, _, j1, j2 in changes if tag == "insert" for line in after_lines[j1:j2]
    ]
    assert sorted(inserted) == sorted(
        [f"{line}\n" for line in render_entry(entry).split("\n")] + ["\n"]
    )
    assert "\x00" not in edited and not UNSAFE.search(render_entry(entry))


# listing feed ------------------------------------------------------------------------------

feed_dates = st.one_of(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1)).map(
        lambda d: format_datetime(d.replace(tzinfo=UTC))
    ),
    st.sampled_from(["", "Tuesday", "Mon, 10 Mar 0001 00:00:00 GMT", "Tue, 32 Mar 2025 00:00 GMT"]),
)


@st.composite
def feeds(draw) -> tuple[bytes, int]:
    items = []
    count = draw(st.integers(0, 5))
    for n in range(count):
        title = xml_escape(draw(hostile_text).replace("\x00", ""))
        abstract = xml_escape(draw(hostile_text).replace("\x00", ""))
        kind = draw(st.sampled_from(["new", "cross", "replace"]))
        items.append(
            f"<item><title>{title}</title><link>https://arxiv.org/abs/{arxiv_id(n + 1)}</link>"
            f"<description>arXiv:{arxiv_id(n + 1)}v1 Announce Type: {kind} \nAbstract: "
            f"{abstract}</description><guid>oai:arXiv.org:{arxiv_id(n + 1)}v1</guid>"
            f"<pubDate>{draw(feed_dates)}</pubDate><arxiv:announce_type>{kind}"
            f"</arxiv:announce_type><dc:creator>{xml_escape(draw(hostile_text))}</dc:creator>"
            "</item>"
        )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<channel><title>cs.CV updates on arXiv.org</title>"
        f"<pubDate>Tue, 11 Mar 2025 00:00:00 -0400</pubDate>{''.join(items)}</channel></rss>\n"
    ).encode("utf-8", "replace")
    return body, count


class OfflineFeed(FeedSource):
    """The feed source with its HTTP fetch replaced by a body given here."""

    def __init__(self, body: bytes) -> None:
        super().__init__(FeedConfig(), ["cs.CV"])
        self.body = body

    def fetch(self):
        return parse_whole_feed(self.body)


@PROPERTY
@given(feed=feeds(), cut=st.one_of(st.none(), st.floats(0.0, 1.0)))
def test_the_feed_parser_gives_papers_and_notes_or_says_the_feed_is_not_whole(feed, cut):
    body, count = feed
    if cut is not None:
        body = body[: int(len(body.rstrip()) * cut)]
    source = OfflineFeed(body)
    try:
        [papers] = list(source.pages(date(2025, 3, 10), date(2025, 3, 12)))
    except Retryable as exc:
        assert cut is not None and "\n" not in str(exc)  # only a cut feed is refused
        return
    assert len(papers) <= count
    for paper in papers:
        assert paper.title and not UNSAFE.search(paper.title + paper.abstract)
        assert "\n" not in paper.title
    for note in source.notes:
        assert "\n" not in note


# escaping ----------------------------------------------------------------------------------

MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def inline_tokens(markdown: str) -> list:
    tokens = MARKDOWN.parse(markdown)
    return [child for token in tokens if token.children for child in token.children]


@PROPERTY
@given(text=hostile_text)
def test_escaped_text_inside_a_link_is_that_text_and_nothing_more(text):
    """As the digest and the pull request show a title: one link, to our URL, whose text is
    the title (one line); no other link, image, tag or emphasis can come out of it."""
    text = collapse_whitespace(text)  # what a source makes of it (controls out)
    url = "https://arxiv.org/abs/2503.99999"
    markdown = f"- [{escape_markdown(text)}]({url}) (Mar. 11, 2025)"
    assert "\n" not in markdown
    children = inline_tokens(markdown)
    kinds = [c.type for c in children]
    assert kinds.count("link_open") == 1 and "image" not in kinds
    assert not {"html_inline", "em_open", "strong_open", "code_inline"} & set(kinds)
    assert children[0].attrs["href"] == url
    shown = "".join(c.content for c in children[1 : kinds.index("link_close")])
    assert shown.replace("\u200b", "") == text.replace("\u200b", "")  # after e-mails' "@"
    html = render_html(markdown, "digest")
    assert "<script" not in html and "<img" not in html  # only as escaped text
    # As GitHub renders it (cmark-gfm, autolinks on): one link, ours; a short name outside
    # the link, as the list writes it, links nothing either.
    on_github = github_html(f"+ **{escape_markdown(text)}** {markdown[2:]}")
    assert re.findall(r'href="([^"]*)"', on_github) == [url]


def github_html(markdown: str) -> str:
    """HTML as GitHub's own engine renders the markdown (cmark-gfm with its extensions)."""
    return cmarkgfm.github_flavored_markdown_to_html(markdown)


# What GitHub links in rendered text of a pull request: a mention, an issue or pull request.
REFERENCE = re.compile(r"(?i)@[\w-]|(?<![\w&])#\d|\bGH-\d")


@PROPERTY
@given(text=hostile_text)
def test_text_for_a_pull_request_mentions_nobody(text):
    """Rendered as GitHub renders it (entities and escapes decoded: '&#64;' and '\\#1' were
    not enough), no '@name', '#1' or 'GH-1' is left for GitHub to link, and no entity of the
    text ('&commat;user') can make one; the text reads as it was."""
    text = collapse_whitespace(text)
    shown = inert(text)
    assert "\n" not in shown
    rendered = html_module.unescape(re.sub(r"<[^>]+>", "", github_html(shown)))
    assert not REFERENCE.search(rendered), rendered
    assert rendered.count("@") == text.count("@")


@pytest.fixture(autouse=True, scope="module")
def _examples_figure():
    yield
    print(f"\nproperty tests: {EXAMPLES} examples per property, 7 properties")
