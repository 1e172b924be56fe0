"""The ingest step's files (litradar.steps.ingest): a file read whole is not parsed again
while its content stays the same, and says again what it said when it was read."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.config import load_config
from litradar.steps import ingest as ingest_step
from litradar.steps.ingest import FILE_MARK_PREFIX, ingest_files

runner = CliRunner()


def lines(count: int, start: int = 0) -> list[str]:
    return [
        json.dumps(
            {
                "id": f"2503.{n:05d}",
                "title": f"Paper {n}",
                "abstract": "An abstract.",
                "authors": "A. Author",
                "categories": "cs.CV",
                "versions": [{"version": "v1", "created": "Mon, 10 Mar 2025 12:00:00 GMT"}],
            }
        )
        for n in range(start, start + count)
    ]


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_an_unchanged_file_is_not_read_again_and_says_what_it_said(
    project: Path, monkeypatch: pytest.MonkeyPatch
):
    config = load_config(project / "litradar.toml", environ={})
    week = write(project / "week.jsonl", [*lines(3), '{"id": "2503.99999"}'])
    first = ingest_files(config, [week])
    assert (first.added, first.unchanged, len(first.problems)) == (3, 0, 1)

    def no_reading(*args: object) -> None:
        raise AssertionError("the unchanged file was parsed again")

    monkeypatch.setattr(ingest_step, "read_file", no_reading)
    again = ingest_files(config, [week])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    assert again.problems == first.problems  # the bad line is said again, as before

    monkeypatch.undo()
    write(week, [*lines(4), '{"id": "2503.99999"}'])  # one more paper: read again
    changed = ingest_files(config, [week])
    assert (changed.added, changed.unchanged, len(changed.problems)) == (1, 3, 1)


def test_a_file_with_more_to_say_than_a_mark_keeps_is_read_every_time(project: Path):
    config = load_config(project / "litradar.toml", environ={})
    bad = [f'{{"id": "2503.9{n:04d}"}}' for n in range(ingest_step._NOTES_KEPT + 1)]
    messy = write(project / "messy.jsonl", [*lines(2), *bad])
    first = ingest_files(config, [messy])
    with sqlite3.connect(config.store_path) as db:
        marks = [r[0] for r in db.execute("SELECT source FROM watermarks")]
    assert not [m for m in marks if m.startswith(FILE_MARK_PREFIX)]
    again = ingest_files(config, [messy])
    assert again.problems == first.problems and again.unchanged == 2


def test_a_damaged_mark_reads_the_file_and_sources_does_not_list_files(project: Path):
    config = load_config(project / "litradar.toml", environ={})
    week = write(project / "week.jsonl", lines(2))
    ingest_files(config, [week])
    key = FILE_MARK_PREFIX + str(week.resolve())
    with sqlite3.connect(config.store_path) as db:
        db.execute("UPDATE watermarks SET mark = '{\"fingerprint\": 1' WHERE source = ?", (key,))
    assert ingest_files(config, [week]).unchanged == 2  # read again, not a crash
    shown = runner.invoke(app, ["sources", "--config", str(project / "litradar.toml")])
    assert shown.exit_code == 0 and "file:" not in shown.output
    assert "no live source has run yet" in shown.output  # not an empty answer


def test_another_format_for_the_files_ending_reads_it_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
):
    """An installed package may claim '.jsonl' (litradar.core.plugins): what it reads is
    not what the mark says the file gave."""
    from dataclasses import replace

    week = write(project / "week.jsonl", lines(2))
    before = ingest_step.file_fingerprint(week)
    real = ingest_step.file_format
    monkeypatch.setattr(
        ingest_step, "file_format", lambda path: replace(real(path), factory="other:Format")
    )
    assert ingest_step.file_fingerprint(week) != before


def test_a_fix_to_the_formats_code_reads_the_file_again(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """The version number alone (0.1.0 for every release so far) kept a configured file's
    first reading after a fix to the code that reads it."""
    from dataclasses import replace

    week = write(project / "week.jsonl", lines(2))
    code = tmp_path / "code" / "litradar_test_format.py"
    code.parent.mkdir()
    code.write_text("READS = 1\n")
    monkeypatch.syspath_prepend(str(code.parent))
    real = ingest_step.file_format
    monkeypatch.setattr(
        ingest_step,
        "file_format",
        lambda path: replace(real(path), factory="litradar_test_format:Format"),
    )
    ingest_step._code_digest.cache_clear()
    before = ingest_step.file_fingerprint(week)
    code.write_text("READS = 2\n")
    ingest_step._code_digest.cache_clear()  # a new release is a new process
    assert ingest_step.file_fingerprint(week) != before
    ingest_step._code_digest.cache_clear()


def test_a_file_rewritten_while_it_is_read_is_not_marked(
    project: Path, monkeypatch: pytest.MonkeyPatch
):
    """A sync job copying the same bytes over the file while it was parsed: the parse saw
    a cut file, the hash (before and after) the whole one, and the mark kept what the cut
    file gave for good."""
    import os

    config = load_config(project / "litradar.toml", environ={})
    week = write(project / "week.jsonl", lines(3))
    real = ingest_step.read_file

    def rewritten_meanwhile(*args):  # type: ignore[no-untyped-def]
        result = real(*args)
        week.write_bytes(week.read_bytes())  # the same bytes, written again
        os.utime(week, ns=(week.stat().st_atime_ns, week.stat().st_mtime_ns + 1))
        return result

    monkeypatch.setattr(ingest_step, "read_file", rewritten_meanwhile)
    ingest_files(config, [week])
    with sqlite3.connect(config.store_path) as db:
        marks = [r[0] for r in db.execute("SELECT source FROM watermarks")]
    assert not [m for m in marks if m.startswith(FILE_MARK_PREFIX)]


def test_warnings_said_again_name_the_file_as_given_this_time(project: Path):
    config = load_config(project / "litradar.toml", environ={})
    week = write(project / "week.jsonl", [*lines(1), "{not json"])
    first = ingest_files(config, [week])
    link = project / "link.jsonl"
    link.symlink_to(week)
    again = ingest_files(config, [link])
    assert first.problems[0].startswith(f"{week}:2: ")
    assert again.problems == [first.problems[0].replace(str(week), str(link), 1)]
