import json
from datetime import date
from pathlib import Path

import pytest

from litradar.errors import LitradarError
from litradar.paper import Paper, split_version
from litradar.sources.arxiv_jsonl import LineProblem, parse_record, read_jsonl
from tests.conftest import DEMO


def record(**changes) -> dict:
    base = {
        "id": "2503.00001",
        "authors": "Ada Lovelace and Alan Turing",
        "title": "A  title\n  over two lines",
        "abstract": "  An abstract.\n",
        "categories": "cs.CV cs.CL",
        "doi": None,
        "comments": None,
        "versions": [
            {"version": "v1", "created": "Mon, 10 Mar 2025 18:00:00 GMT"},
            {"version": "v2", "created": "Tue, 18 Mar 2025 10:00:00 GMT"},
        ],
        "authors_parsed": [["Lovelace", "Ada", ""], ["Turing", "Alan", ""]],
    }
    base.update(changes)
    return base


def test_a_bulk_record_becomes_a_paper_dated_by_its_first_version():
    paper = parse_record(record())
    assert paper.arxiv_id == "2503.00001"
    assert paper.title == "A title over two lines"
    assert paper.abstract == "An abstract."
    assert paper.authors == ("Ada Lovelace", "Alan Turing")
    assert paper.first_version_date == date(2025, 3, 10)
    assert paper.version == 2
    assert paper.categories == ("cs.CV", "cs.CL")


def test_versioned_and_old_style_ids():
    assert split_version("2411.14982v3") == ("2411.14982", 3)
    assert parse_record(record(id="2411.14982v3")).arxiv_id == "2411.14982"
    assert parse_record(record(id="astro-ph/0601001")).arxiv_id == "astro-ph/0601001"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"id": "not-an-id"}, "malformed arXiv 'id'"),
        ({"title": ""}, "empty 'title'"),
        ({"versions": []}, "no 'versions'"),
        ({"versions": [{"version": "v1", "created": "yesterday"}]}, "unreadable version date"),
    ],
)
def test_bad_records_say_what_is_wrong(changes, reason):
    with pytest.raises(ValueError, match=reason):
        parse_record(record(**changes))


def test_a_malformed_line_is_reported_with_its_number_and_the_rest_is_read(tmp_path: Path):
    path = tmp_path / "week.jsonl"
    lines = [json.dumps(record(id="2503.00001")), '{"id": "2503.00002", "title": ', "",
             json.dumps(record(id="2503.00003"))]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    items = list(read_jsonl(path))
    assert [i.arxiv_id for i in items if isinstance(i, Paper)] == ["2503.00001", "2503.00003"]
    problems = [i for i in items if isinstance(i, LineProblem)]
    assert len(problems) == 1 and problems[0].line_no == 2
    assert str(problems[0]).startswith(f"{path}:2: malformed JSON")


def test_a_missing_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(LitradarError, match="no such file"):
        list(read_jsonl(tmp_path / "nope.jsonl"))


def test_the_bundled_week_reads_cleanly():
    items = list(read_jsonl(DEMO / "weeks" / "2025-03-10.jsonl"))
    assert len(items) == 1197
    assert all(isinstance(i, Paper) for i in items)
    assert {i.first_version_date for i in items} == {date(2025, 3, d) for d in range(10, 15)}
