"""Entries inserted into the real list: right section, newest first, nothing else changed."""

from __future__ import annotations

import difflib
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
