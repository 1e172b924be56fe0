"""Entries inserted into the real list: right section, newest first, nothing else changed."""

from __future__ import annotations

import difflib
from dataclasses import replace
from datetime import date

import pytest

from litradar.core.errors import LitradarError
from litradar.core.paper import Paper
from litradar.curation.awesome_list import entry_for_paper, parse_list, render_entry
from litradar.curation.list_edit import insert_entries, insert_entry
from tests.conftest import DEMO

LIST = (DEMO / "awesome_list.md").read_text(encoding="utf-8")
LOGIT_LENS = ("Papers", "Logit Lens")


def paper(arxiv_id: str, day: date, title: str = "A Lens on Heads: Something") -> Paper:
    return Paper(arxiv_id, title, "Abstract.", ("A",), day)


def added_lines(before: str, after: str) -> list[str]:
    """What the edit added; fails if it removed or changed anything."""
    diff = list(difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)))
    assert not [d for d in diff if d.startswith("- ")], "the edit changed existing lines"
    return [d[2:] for d in diff if d.startswith("+ ")]


def test_an_entry_goes_between_a_newer_and_an_older_one_with_its_blank_line():
    entry = entry_for_paper(paper("2501.00001", date(2025, 1, 2)), LOGIT_LENS)
    edited = insert_entry(LIST, entry)
    assert added_lines(LIST, edited) == [*(f"{x}\n" for x in render_entry(entry).split("\n")), "\n"]
    lines = edited.splitlines()
    at = lines.index(render_entry(entry).split("\n")[0])
    assert lines[at - 1] == "  " and lines[at - 2].endswith("arxiv.org/abs/2411.19187)")
    assert lines[at + 3].startswith("+ **Attention Lens**")
    names = [e.arxiv_id for e in parse_list(edited).entries if e.section == LOGIT_LENS]
    assert names == ["2411.19187", "2501.00001", "2411.16724"]


def test_newest_goes_first_and_oldest_goes_last_before_the_separator():
    newest = entry_for_paper(paper("2503.00001", date(2025, 3, 11)), LOGIT_LENS)
    oldest = entry_for_paper(paper("2001.00001", date(2020, 1, 2)), LOGIT_LENS)
    edited = insert_entries(LIST, [newest, oldest])
    names = [e.arxiv_id for e in parse_list(edited).entries if e.section == LOGIT_LENS]
    assert names == ["2503.00001", "2411.19187", "2411.16724", "2001.00001"]
    lines = edited.splitlines()
    last = lines.index(render_entry(oldest).split("\n")[-1])
    assert lines[last + 1] == "" and set(lines[last + 2]) == {"-"}
    assert len(added_lines(LIST, edited)) == 6


def test_same_day_entries_keep_the_given_order_and_crlf_stays_crlf():
    crlf = LIST.replace("\n", "\r\n")
    first = entry_for_paper(paper("2503.00001", date(2025, 3, 11), "First Paper Title"), LOGIT_LENS)
    second = entry_for_paper(paper("2503.00002", date(2025, 3, 11), "Second Paper"), LOGIT_LENS)
    edited = insert_entries(crlf, [first, second])
    assert "\n" not in edited.replace("\r\n", "")
    names = [e.arxiv_id for e in parse_list(edited).entries if e.section == LOGIT_LENS]
    assert names[:2] == ["2503.00001", "2503.00002"]


def test_a_hostile_title_cannot_break_the_list():
    title = "Evil ](http://x) <img src=x> `code` | pipes\n+ fake entry **bold**"
    entry = entry_for_paper(paper("2503.00009", date(2025, 3, 11), title), LOGIT_LENS)
    edited = insert_entry(LIST, entry)
    before, after = parse_list(LIST), parse_list(edited)
    assert len(after.entries) == len(before.entries) + 1
    [added] = [e for e in after.entries if e.arxiv_id == "2503.00009"]
    assert added.section == LOGIT_LENS and added.url == "https://arxiv.org/abs/2503.00009"
    assert len(added_lines(LIST, edited)) == 3  # one entry line, one badge, one blank line


def test_an_empty_section_gets_the_entry_after_its_heading_and_unknown_sections_fail():
    text = "# L\n\n### Papers\n### Empty\n([Back to Table of Contents](#table-of-contents))\n"
    entry = entry_for_paper(paper("2503.00001", date(2025, 3, 11)), ("Empty",))
    edited = insert_entry(text, entry)
    assert edited.startswith(text) and edited.endswith(render_entry(entry) + "\n\n")
    with pytest.raises(LitradarError, match="no section 'Nowhere'"):
        insert_entry(text, entry_for_paper(paper("2503.00002", date(2025, 3, 1)), ("Nowhere",)))


# Lists in other styles (tests/test_awesome_list.py reads them): each proposal must be
# written as the entries around it are, and nothing else in the file may change.
DASHES = """# Awesome Probing

## Contents
- [Papers](#papers)
  - [Vision](#vision)

## Papers
### Vision
- [Probing Vision Transformers](https://arxiv.org/abs/2502.00001) - ICML 2025
- [Heads That See](https://arxiv.org/abs/2401.00002), CVPR 2024

### Text
- [Probing Words](https://arxiv.org/abs/2402.00004)
"""
STARS_NAMED = """## Papers
### Probing
* **Alpha**: [Alpha Probes](https://arxiv.org/abs/2502.00001)
    [![arXiv](https://img.shields.io/badge/arXiv-2502.00001-b31b1b.svg)](https://arxiv.org/abs/2502.00001)

* **Beta**: [Beta Probes](https://arxiv.org/abs/2401.00002)
    [![arXiv](https://img.shields.io/badge/arXiv-2401.00002-b31b1b.svg)](https://arxiv.org/abs/2401.00002)
"""
NUMBERED = """## Papers
### Heads
1. **HeadA** - [Heads Paper A](https://arxiv.org/abs/2502.00001) (Feb. 3, 2025) [![arXiv](https://img.shields.io/badge/arXiv-2502.00001-red)](https://arxiv.org/abs/2502.00001)
2. **HeadB** - [Heads Paper B](https://arxiv.org/abs/2401.00002) (Jan. 5, 2024) [![arXiv](https://img.shields.io/badge/arXiv-2401.00002-red)](https://arxiv.org/abs/2401.00002) [![GitHub stars](https://img.shields.io/github/stars/a/b?style=flat)](https://github.com/a/b)

Written by hand.
"""
NESTED = """## Papers
- Vision
  - [Seeing Heads](https://arxiv.org/abs/2401.00001)
  - [Seeing Tails](https://arxiv.org/abs/2401.00002)
- Text
  - [Reading Heads](https://arxiv.org/abs/2401.00003)
"""
LENS = "[A Lens on Heads: Something](https://arxiv.org/abs/{id})"


def styled_insert(text: str, section: tuple[str, ...], *papers: Paper) -> str:
    """The proposals inserted as `propose` inserts them: in the style the list is written
    in, which they leave as it was."""
    style = parse_list(text).style
    entries = [entry_for_paper(p, section, style=style) for p in papers]
    edited = insert_entries(text, entries)
    assert parse_list(edited).style == style
    return edited


def test_a_dash_list_gets_a_dash_entry_with_no_name_date_badge_or_blank_line():
    edited = styled_insert(DASHES, ("Papers", "Vision"), paper("2503.00001", date(2025, 3, 11)))
    # No dates to order by: after the section's last entry, and nothing else changes.
    neighbour = "- [Heads That See](https://arxiv.org/abs/2401.00002), CVPR 2024\n"
    assert edited == DASHES.replace(neighbour, f"{neighbour}- {LENS.format(id='2503.00001')}\n")


def test_a_starred_list_gets_its_name_form_badge_form_indent_and_blank_line():
    edited = styled_insert(
        STARS_NAMED, ("Papers", "Probing"), paper("2503.00001", date(2025, 3, 11))
    )
    badge = "https://img.shields.io/badge/arXiv-2503.00001-b31b1b.svg"
    assert edited == (
        f"{STARS_NAMED}\n"
        f"* **A Lens on Heads**: {LENS.format(id='2503.00001')}\n"
        f"    [![arXiv]({badge})](https://arxiv.org/abs/2503.00001)\n"
    )


def test_a_numbered_entry_takes_the_number_of_the_one_it_goes_before_or_the_next():
    code = "Code: https://github.com/someone/lens."
    middle = replace(paper("2501.00001", date(2025, 1, 2)), comments=code)
    oldest = paper("2001.00001", date(2020, 1, 2))
    edited = styled_insert(NUMBERED, ("Papers", "Heads"), middle, oldest)
    lines = NUMBERED.splitlines(keepends=True)
    arxiv = "[![arXiv](https://img.shields.io/badge/arXiv-{id}-red)](https://arxiv.org/abs/{id})"
    star = (
        "[![GitHub stars](https://img.shields.io/github/stars/someone/lens?style=flat)]"
        "(https://github.com/someone/lens)"
    )
    assert edited == "".join(
        [
            *lines[:3],
            f"2. **A Lens on Heads** - {LENS.format(id='2501.00001')} (Jan. 2, 2025) "
            f"{arxiv.format(id='2501.00001')} {star}\n",
            lines[3],
            f"3. **A Lens on Heads** - {LENS.format(id='2001.00001')} (Jan. 2, 2020) "
            f"{arxiv.format(id='2001.00001')}\n",
            *lines[4:],
        ]
    )


def test_an_entry_nested_under_a_category_is_nested_as_its_neighbour_is():
    parsed = parse_list(NESTED)
    assert [e.arxiv_id for e in parsed.entries] == ["2401.00001", "2401.00002", "2401.00003"]
    assert parsed.warnings == []  # '- Vision' holds entries: a category, not a broken entry
    edited = styled_insert(NESTED, ("Papers",), paper("2503.00001", date(2025, 3, 11)))
    assert edited == f"{NESTED}  - {LENS.format(id='2503.00001')}\n"


def _styled(text: str, arxiv_id: str, day: date, section: tuple[str, ...]) -> str:
    entry = entry_for_paper(paper(arxiv_id, day, "New paper"), section, "New", parse_list(text).style)
    return insert_entry(text, entry)


def test_an_entry_takes_the_marker_of_its_section_s_neighbours():
    """Bullets in one section, numbers in another: an entry of the other kind would split
    the numbered list in two (the list's style is the majority's, '-')."""
    text = (
        "# L\n## Vision\n- [A](https://arxiv.org/abs/2401.00001)\n- [B](https://arxiv.org/abs/2401.00002)\n"
        "- [C](https://arxiv.org/abs/2401.00003)\n## Language\n1. [D](https://arxiv.org/abs/2401.00004)\n"
        "2. [E](https://arxiv.org/abs/2401.00005)\n"
    )
    assert parse_list(text).style.bullet == "-"
    edited = _styled(text, "2402.00009", date(2024, 2, 1), ("Language",))
    assert added_lines(text, edited) == ["3. [New paper](https://arxiv.org/abs/2402.00009)\n"]
    edited = _styled(text, "2402.00009", date(2024, 2, 1), ("Vision",))
    assert added_lines(text, edited) == ["- [New paper](https://arxiv.org/abs/2402.00009)\n"]


def test_a_section_listed_oldest_first_gets_the_entry_in_date_order():
    text = (
        "# L\n## Papers\n- [Old](https://arxiv.org/abs/2312.00001) (Dec. 1, 2023)\n"
        "- [Newer](https://arxiv.org/abs/2402.00002) (Feb. 2, 2024)\n"
    )
    edited = _styled(text, "2401.00009", date(2024, 1, 10), ("Papers",))
    assert [e.arxiv_id for e in parse_list(edited).entries] == ["2312.00001", "2401.00009", "2402.00002"]
    newest = _styled(text, "2403.00009", date(2024, 3, 10), ("Papers",))
    assert [e.arxiv_id for e in parse_list(newest).entries][-1] == "2403.00009"


def test_an_entry_never_lands_in_a_comment_or_a_code_block():
    text = (
        "# L\n## Papers\n- [Newer](https://arxiv.org/abs/2402.00001) (Feb. 1, 2024)\n<!--\n"
        "- [Withdrawn](https://arxiv.org/abs/2401.00002) (Jan. 2, 2024)\n-->\n"
        "- [Older](https://arxiv.org/abs/2312.00003) (Dec. 3, 2023)\n"
        "## Contributing\n```\n- [Title](https://arxiv.org/abs/XXXX.XXXXX) (Mon. D, YYYY)\n```\n"
    )
    parsed = parse_list(text)
    assert [e.arxiv_id for e in parsed.entries] == ["2402.00001", "2312.00003"]
    assert parsed.section_names() == ["Papers"]
    edited = _styled(text, "2401.05555", date(2024, 1, 10), ("Papers",))
    lines = edited.splitlines()
    assert lines.index("- [New paper](https://arxiv.org/abs/2401.05555) (Jan. 10, 2024)") == 6
    assert lines[5] == "-->"  # after the comment, before the older entry
    assert next(line for line in lines[7:] if line).startswith("- [Older]")


def test_a_list_of_bare_links_gets_no_bold_name_it_could_not_read_back():
    text = (
        "# L\n## P\n[A](https://arxiv.org/abs/2401.00001)\n\n[B](https://arxiv.org/abs/2401.00002)\n\n"
        "[C](https://arxiv.org/abs/2401.00003)\n\n- **D** [D](https://arxiv.org/abs/2401.00004)\n\n"
        "- **E** [E](https://arxiv.org/abs/2401.00005)\n\n* **F** [F](https://arxiv.org/abs/2401.00006)\n\n"
        "* **G** [G](https://arxiv.org/abs/2401.00007)\n"
    )  # most entries have a bold name, most have no bullet
    style = parse_list(text).style
    assert style.bullet == "" and style.short_name is False
    edited = _styled(text, "2402.00009", date(2024, 2, 1), ("P",))
    assert "2402.00009" in {e.arxiv_id for e in parse_list(edited).entries}
