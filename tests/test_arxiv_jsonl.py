import json
from datetime import date
from pathlib import Path

import pytest

from litradar.core.errors import LitradarError
from litradar.core.paper import Paper, split_version
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
        ({"title": "\u200b\u2060 \u200d"}, "empty 'title'"),  # nothing shown: no title
        ({"title": "\u3164\u2800\u034f\ufe0f"}, "empty 'title'"),  # fillers, blank, marks
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


# Issue 13, holes 1 and 2: a wrong type is a reported problem, never a crash or a coercion.


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"comments": {"text": "10 pages"}}, "'comments' is an object, not text"),
        ({"authors": ["Ada Lovelace", "Alan Turing"]}, "'authors' is a list, not text"),
        ({"doi": ["10.1/a", "10.1/b"]}, "'doi' is a list, not text"),
        ({"title": ["a", "list", "title"]}, "'title' is a list, not text"),
        ({"categories": ["cs.CV"]}, "'categories' is a list, not text"),
        ({"abstract": 42}, "'abstract' is a number, not text"),
        ({"versions": [{"version": "v1", "created": 1741629600}]}, "'created' is a number"),
        ({"versions": ["v1"]}, "version 1 is a string, not an object"),
        ({"authors_parsed": [[1, 2]]}, "'authors_parsed' holds a number"),
    ],
)  # fmt: skip
def test_a_wrong_typed_field_is_a_problem_not_a_crash_nor_a_coercion(changes, reason):
    with pytest.raises(ValueError, match=reason):
        parse_record(record(**changes))


@pytest.mark.parametrize(
    ("created", "reason"),
    [
        ("Mon, 10 Mar 0001 18:00:00 GMT", "unreadable version date"),  # was read as 2001
        ("Fri, 31 Dec 9999 18:00:00 GMT", "outside arXiv's lifetime"),
        ("Sat, 10 Mar 1850 18:00:00 GMT", "outside arXiv's lifetime"),
    ],
)
def test_impossible_years_are_problems(created, reason):
    versions = [{"version": "v1", "created": created}]
    with pytest.raises(ValueError, match=reason):
        parse_record(record(versions=versions))


def test_one_wrong_typed_line_among_a_thousand_keeps_the_others(tmp_path: Path):
    from litradar.config import load_config
    from litradar.steps.ingest import ingest_files
    from tests.conftest import write_config

    good = [record(id=f"2503.{i:05d}") for i in range(1, 1001)]
    bad = [
        record(id="2503.90001", comments={"text": "x"}),
        record(id="2503.90002", versions=[{"version": "v1", "created": 1741629600}]),
        record(id="2503.90003", authors=["A", "B"], authors_parsed=None),
        record(id="2503.90004", doi=["10.1/a"]),
    ]
    lines = [json.dumps(r) for r in good[:500] + bad + good[500:]]
    path = tmp_path / "week.jsonl"
    path.write_text("\n".join(lines) + "\n")
    config = load_config(write_config(tmp_path), environ={})
    report = ingest_files(config, [path])
    assert report.added == 1000
    assert [p.split(": ", 1)[0] for p in report.problems] == [
        f"{path}:{n}" for n in (501, 502, 503, 504)
    ]


def test_bytes_that_are_not_utf8_are_reported_not_replaced(tmp_path: Path):
    path = tmp_path / "week.jsonl"
    good = json.dumps(record(id="2503.00001")).encode()
    latin1 = json.dumps(record(id="2503.00002", title="Café"), ensure_ascii=False).encode("latin-1")
    path.write_bytes(good + b"\n" + latin1 + b"\n")
    items = list(read_jsonl(path))
    assert isinstance(items[0], Paper)
    assert isinstance(items[1], LineProblem) and items[1].line_no == 2
    assert "not UTF-8" in items[1].reason


def test_hostile_json_is_a_problem(tmp_path: Path):
    path = tmp_path / "week.jsonl"
    path.write_text("[" * 100_000 + "\n" + '{"id": 1' + "0" * 5000 + "}\n")
    items = list(read_jsonl(path))
    assert [type(i) for i in items] == [LineProblem, LineProblem]


def test_a_folder_or_a_device_is_named_as_such_not_as_missing(tmp_path: Path):
    with pytest.raises(LitradarError, match="is a folder, not a file of papers"):
        list(read_jsonl(tmp_path))
    with pytest.raises(LitradarError, match="/dev/null is not a regular file"):
        list(read_jsonl(Path("/dev/null")))


def test_a_byte_order_mark_does_not_cost_the_first_paper(tmp_path: Path):
    """Some editors save UTF-8 with a BOM: the first line was 'malformed JSON'."""
    line = (DEMO / "weeks" / "2025-03-10.jsonl").read_bytes().splitlines(keepends=True)[0]
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + line)
    (item,) = list(read_jsonl(path))
    assert isinstance(item, Paper) and item.arxiv_id == json.loads(line)["id"]
