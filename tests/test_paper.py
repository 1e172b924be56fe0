"""The Paper record is where untrusted text enters: control characters (terminal escapes,
BEL, NUL) and bidi controls are taken out there, so no output has to (issue 13, hole 10)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litradar.assist.tasks import ShortName
from litradar.cli import app
from litradar.core.paper import clean_text
from litradar.curation.awesome_list import entry_for_paper, load_list, render_entry
from litradar.curation.list_edit import insert_entries
from litradar.publish.mail import render_html
from litradar.publish.pull_request import Proposal, pull_request_body
from litradar.sources.source_error import SourceError
from litradar.storage.papers import NO_VISIBLE_TITLE
from litradar.storage.store import Store
from tests.conftest import DEMO, make_paper, write_config

HOSTILE = "\x1b[31mSparse\x07 auto\x00encoders \u202eredaeh\u202c for \u2066CLIP\u2069\x9b2J\u200f"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def test_control_and_bidi_characters_are_taken_out_of_every_text_field():
    paper = make_paper(
        HOSTILE,
        abstract=f"We study {HOSTILE}.",
        authors=("Ann\x1b]0;pwned\x07 Lee",),
        venue="Conf\u202e",
        comments="code at github.com/a/b\x00",
        categories=("cs.CV\x1b",),
    )
    assert paper.title == "[31mSparse autoencoders redaeh for CLIP2J"
    for text in (paper.title, paper.abstract, *paper.authors, paper.venue, paper.comments,
                 *paper.categories):  # fmt: skip
        assert not UNSAFE.search(text), repr(text)


def test_whitespace_controls_become_spaces_and_ordinary_unicode_stays():
    assert clean_text("a\x0bb\x0cc\x1fd\x85e") == "a b c d e"
    kept = "Ünïcödé 中文 עברית العربية emoji 👩‍🔬 zero\u200dwidth joiner"
    assert clean_text(kept) == kept


def test_a_wrong_type_is_refused_where_the_record_is_made():
    with pytest.raises(ValueError, match="'title' is a list, not text"):
        make_paper(["a", "list"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'first_version_date' is a string"):
        make_paper("A title", first_version_date="2025-03-10")


def test_source_messages_and_llm_answers_are_cleaned_too():
    assert str(SourceError("S2 says \x1b[2Jno\u202e")) == "S2 says [2Jno"
    assert ShortName(name="SAE\u202e 4\x07 LMM").name == "SAE 4 LMM"


def test_a_services_html_error_page_becomes_one_short_line():
    page = (
        "HTTP 400: <html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n"
        "<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n" + "<!-- padding -->\r\n" * 6
    )
    assert str(SourceError(page)) == (
        "HTTP 400: 400 Bad Request 400 Bad Request nginx"
    )
    long = str(SourceError("x " * 1000))
    assert len(long) == 400 and long.endswith("...") and "\n" not in long


def test_a_hostile_title_reaches_no_output(tmp_path: Path):
    """Ingested through the command line, then every place the title goes: the store,
    `find` in the terminal, the list entry, the README of a pull request, its body, and
    the HTML email."""
    shutil.copytree(DEMO, tmp_path / "data")
    config = write_config(tmp_path)
    record = {
        "id": "2503.99999",
        "title": HOSTILE,
        "abstract": f"Sparse autoencoders {HOSTILE} explain CLIP features.",
        "authors": "Ann Lee\x1b[8m and Bo Chen",
        "categories": "cs.CV",
        "versions": [{"version": "v1", "created": "Tue, 11 Mar 2025 10:00:00 GMT"}],
    }
    week = tmp_path / "hostile.jsonl"
    week.write_text(json.dumps(record) + "\n", encoding="utf-8")
    runner = CliRunner()
    for args in (["ingest", str(week)], ["index"]):
        result = runner.invoke(app, [*args, "--config", str(config)])
        assert result.exit_code == 0, result.output
    found = runner.invoke(app, ["find", "sparse autoencoders CLIP", "--config", str(config)])
    assert "Sparse autoencoders" in found.output
    assert not UNSAFE.search(found.output), repr(found.output)
    with Store.open(tmp_path / "index" / "litradar.sqlite") as store:
        paper = store.get("2503.99999")
    assert paper is not None and not UNSAFE.search(paper.title + paper.abstract)
    awesome = load_list(tmp_path / "data" / "awesome_list.md")
    entry = entry_for_paper(paper, awesome.section_path("Sparse Autoencoder"))
    readme = insert_entries((tmp_path / "data" / "awesome_list.md").read_text(), [entry])
    body = pull_request_body(
        "2025-W11",
        [Proposal(paper, "Sparse Autoencoder", 0.9, 1, 0.8, [])],
        awesome,
        window_size=1,
    )
    html = render_html(render_entry(entry), "digest")
    for output in (readme, body, html):
        assert "\x00" not in output and not UNSAFE.search(output)


def test_a_lone_surrogate_is_taken_out_and_the_file_goes_in(tmp_path: Path):
    """JSON reads '\\ud800' as a lone surrogate, which SQLite cannot take: the upsert
    crashed, and the source stood still on that record run after run."""
    config = write_config(tmp_path)
    record = {
        "id": "2503.99998",
        "title": "Sparse \ud800autoencoders for CLIP",
        "abstract": "We read CLIP's \udfff features.",
        "authors": "Ann Lee",
        "categories": "cs.CV",
        "versions": [{"version": "v1", "created": "Tue, 11 Mar 2025 10:00:00 GMT"}],
    }
    week = tmp_path / "surrogate.jsonl"
    week.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert "\\ud800" in week.read_text(encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(week), "--config", str(config)])
    assert result.exit_code == 0, result.output
    with Store.open(tmp_path / "index" / "litradar.sqlite") as store:
        paper = store.get("2503.99998")
    assert paper is not None
    assert (paper.title, paper.abstract) == ("Sparse autoencoders for CLIP", "We read CLIP's features.")


def test_a_title_that_shows_nothing_is_refused_by_the_record_itself():
    """Every built-in source refuses it in its own words; a plugin's source meets the
    record's own check."""
    for invisible in ("\u200b\u3164", "\u0301", " "):
        with pytest.raises(ValueError, match="'title' shows no text"):
            make_paper(invisible)
    assert make_paper("Zero\u200bwidth inside").title == "Zero\u200bwidth inside"


def _read_back_a_row_written_as(tmp_path: Path, title: str) -> str:
    """The title the store gives back for a row an earlier release wrote with `title`."""
    import sqlite3

    path = tmp_path / "s.sqlite"
    with Store.open(path, create=True) as store:
        store.upsert([make_paper("Old title")])
    with sqlite3.connect(path) as db:
        db.execute("UPDATE papers SET title = ?", (title,))
    with Store.open(path) as store:
        return store.get("2503.01234").title


def test_the_store_gives_back_clean_text_for_rows_written_before(tmp_path: Path):
    """A store filled by an earlier release may hold such characters: reading cleans."""
    assert _read_back_a_row_written_as(tmp_path, "Old\x1b[31m title\u202e") == "Old[31m title"


def test_a_row_whose_title_shows_nothing_is_read_not_refused(tmp_path: Path):
    """A release before the record's own check stored such titles: reading the store must
    not stop at them."""
    assert _read_back_a_row_written_as(tmp_path, "\u200b\u202e") == NO_VISIBLE_TITLE


def test_dates_are_checked_by_type_not_by_lifetime():
    """Semantic Scholar knows papers from before arXiv; only arXiv's readers check that."""
    old = make_paper("Old journal paper", first_version_date=date(1850, 1, 1))
    assert old.first_version_date == date(1850, 1, 1)


def test_fields_are_capped_at_sane_sizes_and_the_cut_is_said_in_one_line():
    from litradar.core.paper import FIELD_LIMITS

    huge = make_paper("T" * 5_000, abstract="a" * 1_000_000, authors=("x" * 900,) * 3_000)
    assert len(huge.abstract) == FIELD_LIMITS["abstract"] and len(huge.title) == 2_000
    assert len(huge.authors) == 2_000 and all(len(a) == 500 for a in huge.authors)
    note = huge.cut_note()
    assert note is not None and "\n" not in note
    assert "abstract cut to 20,000 characters (was 1,000,000)" in note
    assert "authors cut to the first 2,000 (of 3,000)" in note
    assert make_paper("A title", abstract="short").cut_note() is None
