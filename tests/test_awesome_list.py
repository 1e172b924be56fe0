import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import cmarkgfm
import pytest
from markdown_it import MarkdownIt

from litradar.core.errors import LitradarError
from litradar.core.extractive import fallback_short_name
from litradar.core.paper import github_repo_in, title_key
from litradar.curation.awesome_list import (
    EntryStyle,
    entry_for_paper,
    escape_markdown,
    format_date,
    load_list,
    markdown_text,
    parse_list,
    render_entry,
    safe_url,
)
from tests.conftest import DEMO, SHARED, make_paper, needs_shared

LIST = DEMO / "awesome_list.md"


def test_parses_every_paper_of_the_real_list_with_its_section():
    parsed = load_list(LIST)
    assert len(parsed.papers) == 24
    assert parsed.section_names() == [
        "Surveys", "Sparse Autoencoder", "Linear Probing", "Logit Lens", "Causal Tracing",
        "Steering Vector", "Representation", "Neuron Analysis", "Tool",
    ]  # fmt: skip
    sae = next(e for e in parsed.papers if e.short_name == "SAE 4 LMM")
    assert sae.section == ("Papers", "Sparse Autoencoder")
    assert sae.arxiv_id == "2411.14982"
    assert sae.date == date(2024, 11, 22)
    assert sae.code_url == "https://github.com/EvolvingLMMs-Lab/multimodal-sae"
    assert sae.star_repo == "EvolvingLMMs-Lab/multimodal-sae"


def test_messy_entries_give_warnings_naming_the_line_not_errors():
    parsed = load_list(LIST)
    warnings = "\n".join(parsed.warnings)
    # LangBridge: the title links to 2503.19404 (a pdf link), the badge to another paper.
    assert "line 95: arXiv badge points at 2501.03012 but the title links to 2503.19404" in warnings
    assert "line 54: arXiv badge and title link point at ojs.aaai.org, not arXiv" in warnings
    assert "line 31: not an arXiv paper (www.lesswrong.com)" in warnings
    langbridge = next(e for e in parsed.entries if e.line_no == 95)
    assert langbridge.arxiv_id == "2503.19404"
    blogs = [e for e in parsed.entries if e.section == ("Blog",)]
    assert len(blogs) == 3 and all(e.arxiv_id is None for e in blogs)


def test_rendering_an_entry_gives_back_the_lists_own_lines():
    text = LIST.read_text(encoding="utf-8")
    lines = text.splitlines()
    parsed = parse_list(text)
    for entry in parsed.entries:
        rendered = render_entry(entry).splitlines()
        original = [
            line.rstrip() for line in lines[entry.line_no - 1 : entry.line_no - 1 + len(rendered)]
        ]
        assert rendered == original


@needs_shared
@pytest.mark.parametrize(
    ("name", "papers", "expected_warning"),
    [
        ("000_2a717291e866b96c.txt", 4, "line 18: arXiv badge points at 2312.03631"),
        ("001_0fb38a313547c728.txt", 18, "line 61: star badge counts wrudman/NOTICE"),
    ],
)
def test_older_versions_of_the_list_parse(name, papers, expected_warning):
    parsed = parse_list((SHARED / "seeds" / name).read_text(encoding="utf-8"))
    assert len(parsed.papers) == papers
    assert any(w.startswith(expected_warning) for w in parsed.warnings)


def test_broken_lines_and_missing_dates_are_reported():
    text = "\n".join(
        [
            "## Papers",
            "### Probing",
            "+ **A** [First](https://arxiv.org/abs/2401.00001v2)",
            "",
            "+ this line is not an entry at all",
            "",
            "+ [Second](https://arxiv.org/abs/2401.00002) (Smarch. 99, 2024)",
        ]
    )
    parsed = parse_list(text)
    assert [e.arxiv_id for e in parsed.papers] == ["2401.00001", "2401.00002"]
    assert parsed.warnings == [
        "line 3: no date shown",
        "line 5: cannot read this entry: + this line is not an entry at all",
        "line 7: unreadable date 'Smarch. 99, 2024'",
    ]


def test_a_list_without_entries_is_a_clear_error(tmp_path: Path):
    empty = tmp_path / "README.md"
    empty.write_text("# Awesome nothing\n\nNo papers yet.\n")
    with pytest.raises(LitradarError, match="no paper entries"):
        load_list(empty)
    with pytest.raises(LitradarError, match="not found"):
        load_list(tmp_path / "missing.md")


def test_a_proposal_is_an_entry_in_the_lists_format_that_parses_back():
    paper = make_paper(
        "CLIP-Lens: Reading CLIP Neurons",
        comments="Code: https://github.com/someone/clip-lens.",
    )
    entry = entry_for_paper(paper, ("Papers", "Neuron Analysis"))
    rendered = render_entry(entry)
    assert rendered.splitlines() == [
        "+ **CLIP-Lens** [CLIP-Lens: Reading CLIP Neurons](https://arxiv.org/abs/2503.01234) (Mar. 4, 2025)",
        "  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2503.01234)",
        "  [![Star](https://img.shields.io/github/stars/someone/clip-lens.svg?style=social&label=Star)](https://github.com/someone/clip-lens)",
    ]  # fmt: skip
    reparsed = parse_list("## Papers\n### Neuron Analysis\n" + rendered)
    assert reparsed.warnings == []
    assert reparsed.papers[0].arxiv_id == "2503.01234"


def test_untrusted_titles_cannot_break_the_format():
    hostile = "Evil](javascript:alert(1)) <script>x</script> **bold** `code` | pipe\nnewline"
    entry = entry_for_paper(make_paper(hostile), ("Papers", "Tool"))
    head = render_entry(entry).splitlines()[0]
    html = MarkdownIt().render(head)
    assert "<script>" not in html
    assert re.findall(r'href="([^"]*)"', html) == ["https://arxiv.org/abs/2503.01234"]
    assert "<strong>" in html and html.count("<strong>") == 1  # only the short name is bold
    assert "\n" not in entry.title
    reparsed = parse_list("## Papers\n### Tool\n" + render_entry(entry))
    assert reparsed.papers[0].url == "https://arxiv.org/abs/2503.01234"
    assert escape_markdown("a_b*c") == "a\\_b\\*c"
    assert escape_markdown("~~struck~~ title") == "\\~\\~struck\\~\\~ title"  # not struck out
    # A link target cannot end the link nor start a new entry on the next line.
    hostile = safe_url("https://doi.org/10.1/x)\n+ [Injected](http://evil) <b>")
    assert hostile == "https://doi.org/10.1/x%29%0A+%20%5BInjected%5D%28http://evil%29%20%3Cb%3E"
    assert safe_url("https://doi.org/10.1016/S0140-6736(20)30183-5").endswith("%2820%2930183-5")


@pytest.mark.parametrize(
    "title",
    [
        "https://evil.example: Attention Heads in LLaVA",
        "www.evil.example Reveals Causal Tracing",
        "user@evil.example.com: Probing CLIP",
        "Heads (http://evil.example/i.png) in CLIP",
        "_www.evil.example: Probing CLIP",  # cmark-gfm links a "www." after "_" too
        "Heads of a@evil_x.example in CLIP",  # "_" is escaped, and GitHub reads it back
        "user@sub_dom.evil.example: Probing",
    ],
)
def test_a_link_in_a_title_links_nothing_on_github(title: str):
    """The short name sits outside the entry's link, where GitHub's markdown (cmark-gfm)
    made a link of a URL, a 'www.' or an e-mail address: the published list linked to a
    site named by a paper's title."""
    entry = entry_for_paper(make_paper(title), ("Papers", "Tool"))
    head = render_entry(entry).splitlines()[0]
    html = cmarkgfm.github_flavored_markdown_to_html(head)
    assert re.findall(r'href="([^"]*)"', html) == ["https://arxiv.org/abs/2503.01234"]
    assert "evil" in html  # the text stays, readable


def test_the_lists_names_are_read_as_text_not_as_its_markdown():
    """A name the list escapes ('\\> quoted') was escaped again by the digest and the pull
    request that showed it: '\\\\\\> quoted'."""
    listed = parse_list(
        "## Papers\n### Tool\n"
        "+ **\\> quoted \\| pipe &amp; co** [A \\_title](https://arxiv.org/abs/2503.01234)"
        " (Mar. 1, 2025)\n"
        "+ [Only a \\*title\\*](https://arxiv.org/abs/2503.01235) (Mar. 1, 2025)\n"
    )
    assert sorted(listed.paper_names().values()) == ["> quoted | pipe & co", "Only a *title*"]
    # One pass: an escaped "&" stays literal, as GitHub shows it; an entity is read.
    assert markdown_text("AT\\&amp;T &#64;x &copy no") == "AT&amp;T @x &copy no"
    # An entity is a name HTML knows exactly, and it cannot spell a bidi control.
    assert markdown_text("&copyright; &copy; Evil&#x202E;txt") == "&copyright; © Eviltxt"


def test_a_title_with_its_own_zero_width_space_reads_back_the_same():
    """Only the zero-width space escape_markdown puts after an '@' is taken out: a title's
    own one separates its words, and taking it out made the list's title another key."""
    for title in ("Sparse\u200bAutoencoders at @scale", "mail a@b.c and x@ y"):
        assert markdown_text(escape_markdown(title)) == title
        assert title_key(markdown_text(escape_markdown(title))) == title_key(title)


def test_small_helpers():
    assert format_date(date(2024, 6, 6)) == "Jun. 6, 2024"
    assert fallback_short_name("LangBridge: Interpreting Image") == "LangBridge"
    assert fallback_short_name("What Makes Multimodal In-Context Learning Work?") == (
        "What Makes Multimodal In-Context"
    )
    assert github_repo_in("see https://github.com/a-b/c.d.git for code") == "a-b/c.d"
    assert github_repo_in("no code") is None


def test_a_binary_list_file_is_one_line(tmp_path: Path):
    """Issue 13, hole 3: a binary list file was a UnicodeDecodeError traceback."""
    path = tmp_path / "awesome_list.md"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(LitradarError, match="is not UTF-8 text"):
        load_list(path)


def test_an_entity_in_a_title_stays_text():
    """Found by tests/test_properties.py: '&commat;user' rendered as a mention on GitHub."""
    assert escape_markdown("&commat;octocat &amp; Q&A &#64;x") == (
        "\\&commat;octocat \\&amp; Q&A &\\#64;x"
    )


# Small lists in the forms other awesome lists write their entries in.
DASHES = """# Awesome Probing

## Contents
- [Papers](#papers)
  - [Vision](#vision)
  - [Text](#text)
* [Contributing](#contributing)

## Papers
### Vision
- [Probing Vision Transformers](https://arxiv.org/abs/2502.00001) - ICML 2025
- [Heads That See](https://arxiv.org/abs/2401.00002), CVPR 2024
- [Lenses for Pixels](https://arxiv.org/abs/2312.00003) (CVPR 2024)

### Text
- [Probing Words](https://arxiv.org/abs/2402.00004)
"""
STARS_NAMED = """## Papers
### Probing
* **Alpha**: [Alpha Probes](https://arxiv.org/abs/2502.00001)

* **Beta**: [Beta Probes](https://arxiv.org/abs/2401.00002)
    [![arXiv](https://img.shields.io/badge/arXiv-2401.00002-b31b1b.svg)](https://arxiv.org/abs/2401.00002)

* **Gamma**: [Gamma Probes](https://arxiv.org/abs/2312.00003)
    [![arXiv](https://img.shields.io/badge/arXiv-2312.00003-b31b1b.svg)](https://arxiv.org/abs/2312.00003)
"""
NUMBERED = """## Papers
### Heads
1. **HeadA** - [Heads Paper A](https://arxiv.org/abs/2502.00001) (Feb. 3, 2025) [![arXiv](https://img.shields.io/badge/arXiv-2502.00001-red)](https://arxiv.org/abs/2502.00001)
2. **HeadB** - [Heads Paper B](https://arxiv.org/abs/2401.00002) (Jan. 5, 2024) [![arXiv](https://img.shields.io/badge/arXiv-2401.00002-red)](https://arxiv.org/abs/2401.00002) [![GitHub stars](https://img.shields.io/github/stars/a/b?style=flat)](https://github.com/a/b)
3. **HeadC** - [Heads Paper C](https://arxiv.org/abs/2312.00003) (Dec. 9, 2023) [![arXiv](https://img.shields.io/badge/arXiv-2312.00003-red)](https://arxiv.org/abs/2312.00003)
"""


def test_the_first_lists_style_is_the_one_proposals_had_before():
    assert parse_list(LIST.read_text(encoding="utf-8")).style == EntryStyle()
    assert parse_list("# Nothing yet\n").style == EntryStyle()  # no entries: the default


def test_dash_entries_with_free_text_after_the_link_are_read_without_warnings():
    parsed = parse_list(DASHES)
    assert [(e.section_name, e.arxiv_id, e.title) for e in parsed.entries] == [
        ("Vision", "2502.00001", "Probing Vision Transformers"),
        ("Vision", "2401.00002", "Heads That See"),
        ("Vision", "2312.00003", "Lenses for Pixels"),
        ("Text", "2402.00004", "Probing Words"),
    ]  # the table of contents, nested or not, holds no entries
    assert parsed.warnings == []  # a list that shows no dates misses none
    assert all(e.date_shown is None for e in parsed.entries)  # '(CVPR 2024)' is no date
    assert parsed.style == EntryStyle(
        bullet="-", short_name=False, date=False, badges="none", arxiv_badge=None,
        star_badge=None, blank_line=False,
    )  # fmt: skip


def test_a_bold_name_with_a_colon_and_badges_below_with_their_own_indent():
    parsed = parse_list(STARS_NAMED)
    assert [(e.short_name, e.arxiv_id, e.arxiv_badge_url) for e in parsed.entries] == [
        ("Alpha", "2502.00001", None),
        ("Beta", "2401.00002", "https://arxiv.org/abs/2401.00002"),
        ("Gamma", "2312.00003", "https://arxiv.org/abs/2312.00003"),
    ]
    assert parsed.warnings == []
    assert parsed.style == EntryStyle(
        bullet="*", name_form="**{name}**: ", date=False, badge_indent="    ",
        arxiv_badge="![arXiv](https://img.shields.io/badge/arXiv-{id}-b31b1b.svg)",
        star_badge=None,
    )  # fmt: skip
    # '**Name:**' sets the name off inside the bold: the name is the name.
    colon_inside = parse_list("## P\n- **Delta:** [Delta Probes](https://arxiv.org/abs/2401.00009)")
    assert colon_inside.entries[0].short_name == "Delta"
    assert colon_inside.style.name_form == "**{name}:** "


def test_numbered_entries_with_inline_badges():
    parsed = parse_list(NUMBERED)
    assert [(e.number, e.short_name, e.date, e.star_repo) for e in parsed.entries] == [
        (1, "HeadA", date(2025, 2, 3), None),
        (2, "HeadB", date(2024, 1, 5), "a/b"),
        (3, "HeadC", date(2023, 12, 9), None),
    ]
    assert parsed.warnings == []
    assert parsed.style == EntryStyle(
        bullet="1.", name_form="**{name}** - ", badges="inline",
        arxiv_badge="![arXiv](https://img.shields.io/badge/arXiv-{id}-red)",
        star_badge="![GitHub stars](https://img.shields.io/github/stars/{repo}?style=flat)",
        blank_line=False,
    )  # fmt: skip
    assert parse_list(re.sub(r"(?m)^(\d)\. ", r"\1) ", NUMBERED)).style.bullet == "1)"


@pytest.mark.parametrize("text", [DASHES, STARS_NAMED, NUMBERED])
def test_a_proposal_looks_like_the_lists_own_entries_and_parses_back(text: str):
    parsed = parse_list(text)
    paper = make_paper(
        "CLIP-Lens: Reading CLIP Neurons", comments="Code: https://github.com/someone/clip-lens."
    )
    rendered = render_entry(
        entry_for_paper(paper, ("Papers", "X"), None, parsed.style), parsed.style
    )
    url = "https://arxiv.org/abs/2503.01234"
    expected = {
        DASHES: [f"- [CLIP-Lens: Reading CLIP Neurons]({url})"],
        STARS_NAMED: [
            f"* **CLIP-Lens**: [CLIP-Lens: Reading CLIP Neurons]({url})",
            f"    [![arXiv](https://img.shields.io/badge/arXiv-2503.01234-b31b1b.svg)]({url})",
        ],
        NUMBERED: [
            f"1. **CLIP-Lens** - [CLIP-Lens: Reading CLIP Neurons]({url}) (Mar. 4, 2025)"
            f" [![arXiv](https://img.shields.io/badge/arXiv-2503.01234-red)]({url})"
            " [![GitHub stars](https://img.shields.io/github/stars/someone/clip-lens?style=flat)]"
            "(https://github.com/someone/clip-lens)"
        ],
    }[text]
    assert rendered.split("\n") == expected
    reparsed = parse_list(f"## Papers\n### X\n{rendered}\n")
    assert reparsed.warnings == [] and reparsed.papers[0].arxiv_id == "2503.01234"
    # A list of proposals keeps the style (one entry alone says nothing of blank lines).
    assert replace(reparsed.style, blank_line=parsed.style.blank_line) == parsed.style


def test_in_any_style_an_unreadable_entry_is_named_and_prose_bullets_are_not():
    text = "\n".join(
        [
            "## Papers",
            "- [Read](https://arxiv.org/abs/2401.00001) - NeurIPS 2024",
            "- a line in the entries' bullet that is no entry",
            "* a note in another bullet",
            "1. a numbered step",
            "- [A heading](#papers)",
            "[A paragraph](https://arxiv.org/abs/2401.00002) that starts with a link.",
            "[![Awesome](https://awesome.re/badge.svg)](https://awesome.re)",
            "- **Only Bold** [[paper]](https://arxiv.org/abs/2401.00003)",
        ]
    )
    parsed = parse_list(text)
    assert [e.arxiv_id for e in parsed.entries] == ["2401.00001"]
    assert parsed.warnings == [
        "line 3: cannot read this entry: - a line in the entries' bullet that is no entry",
        "line 9: cannot read this entry: - **Only Bold** [[paper]](https://arxiv.org/abs/2401.00003)",
    ]


def test_a_title_without_a_link_is_the_paper_its_arxiv_badge_names():
    """showlab's list: '+ **HalLoc** [HalLoc: ...] (June. 12, 2025, CVPR 2025)' above its
    badge. Read as a bare badge line, the paper's title was the badge's markup."""
    parsed = parse_list(
        "## P\n+ **HalLoc** [HalLoc: Token-level Localization] (June. 12, 2025, CVPR 2025)\n"
        "  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2506.10286)\n"
        "\n+ **Tasks** [x] not a paper\n"
        "\n+ **Other** [Other](https://arxiv.org/abs/2401.00001) (Jan. 2, 2024)\n"
    )
    entry = parsed.entries[0]
    assert (entry.title, entry.short_name, entry.arxiv_id, entry.end_line) == (
        "HalLoc: Token-level Localization",
        "HalLoc",
        "2506.10286",
        3,
    )
    assert parsed.warnings == [
        "line 2: title has no link; using the badge's 2506.10286",
        "line 2: unreadable date 'June. 12, 2025, CVPR 2025'",
        "line 5: cannot read this entry: + **Tasks** [x] not a paper",
    ]


def test_a_title_that_starts_with_a_bracketed_word_is_read():
    text = (
        "### Representation\n+ **Re-ViT** [[Re] Improving Interpretation Faithfulness for Vision "
        "Transformers](https://arxiv.org/abs/2509.14846) (Sep. 18, 2025)\n\n"
        "+ **B** [[CLS] tokens [and] more](https://arxiv.org/abs/2403.06764) (Mar. 11, 2024)\n\n"
        "+ [[arxiv]](https://arxiv.org/abs/2403.00001) (Mar. 1, 2024)\n"
    )
    parsed = parse_list(text)
    assert [e.arxiv_id for e in parsed.entries] == ["2509.14846", "2403.06764"]
    assert parsed.entries[0].title.startswith("[Re] Improving")
    assert parsed.warnings == ["line 6: cannot read this entry: + [[arxiv]](https://arxiv.org/abs/2403.00001) (Mar. 1, 2024)"]


def test_a_link_above_the_first_section_is_no_section_and_breaks_nothing():
    text = (
        "# Awesome Things\n- [Slides of our tutorial](https://example.org/tutorial.pdf)\n\n"
        "## Papers\n+ **A** [A paper](https://arxiv.org/abs/2401.00001) (Jan. 1, 2024)\n"
    )
    parsed = parse_list(text)
    assert parsed.sections == [("Papers",)]
    assert parsed.section_path("Papers") == ("Papers",)


def test_headings_are_read_without_their_colon_and_blanks_and_hidden_lines_are_skipped():
    from litradar.curation.awesome_list import heading_of, shown_lines

    assert heading_of("## Logit Lens: ") == (2, "Logit Lens")
    assert heading_of("###   Tool  ::") == (3, "Tool  :")  # as the earlier pattern read it
    assert heading_of("#hashtag") is None and heading_of("####### seven") is None
    assert heading_of("# a" + " " * 4000 + "b") == (1, "a" + " " * 4000 + "b")
    lines = ["a", "<!-- one", "two -->", "b", "<!-- x -->", "````", "```", "````", "c", "~~~", "d"]
    assert shown_lines(lines) == [True, False, False, True, False, False, False, False, True,
                                  False, False]  # fmt: skip
