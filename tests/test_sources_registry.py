"""The sources registry: a file format and a live source added by one registration each,
used end to end by `litradar ingest`, the config's check of `[sources] live`, the runner's
overlap and the merge of records, over a real SQLite store."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.config import Config, load_config
from litradar.core.errors import LitradarError
from litradar.core.paper import Paper, Provenance
from litradar.sources import registry
from litradar.sources.registry import SourceSpec, split_sources
from litradar.storage.store import Store
from tests.conftest import write_config

runner = CliRunner()


class CsvFile:
    """A made-up file format: id,title,abstract,date per row; a row without a date is a
    problem with its line, like a bad JSON line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.notes: list[str] = []

    @classmethod
    def from_config(cls, config: Config, path: Path) -> CsvFile:
        return cls(path)

    def pages(self, since: date, until: date) -> Iterator[list[Paper]]:
        page = []
        with self.path.open(encoding="utf-8", newline="") as handle:
            for line_no, (arxiv_id, title, abstract, day) in enumerate(csv.reader(handle), 1):
                if not day:
                    self.notes.append(f"{self.path}:{line_no}: no date")
                    continue
                page.append(
                    Paper(arxiv_id, title, abstract, ("A. Author",), date.fromisoformat(day),
                          source="csv", provenance=(Provenance("csv", self.name),))
                )  # fmt: skip
        yield page


class FakeLive:
    """A made-up live service: one page of the papers first published in the window."""

    papers: ClassVar[list[Paper]] = [
        Paper("2503.11111", "Fake one", "A.", ("A",), date(2025, 3, 3), source="fake"),
        Paper("2503.22222", "Fake two", "B.", ("B",), date(2025, 3, 11), source="fake"),
    ]

    def __init__(self) -> None:
        self.name = "fake"
        self.notes: list[str] = []

    @classmethod
    def from_config(cls, config: Config) -> FakeLive:
        return cls()

    def pages(self, since: date, until: date) -> Iterator[list[Paper]]:
        yield [p for p in self.papers if since <= p.first_version_date < until]


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    module = __name__
    csv_spec = SourceSpec("csv", f"{module}:CsvFile", kind="file", suffixes=(".csv",))
    monkeypatch.setitem(registry.SOURCES, "csv", csv_spec)
    fake_spec = SourceSpec("fake", f"{module}:FakeLive", overlap=False)
    monkeypatch.setitem(registry.SOURCES, "fake", fake_spec)


def test_a_registered_file_format_is_ingested_with_its_problems(
    registered: None, project: Path
):
    table = project / "extra.csv"
    table.write_text(
        "2503.00001,A CSV paper,Its abstract.,2025-03-04\n"
        "2503.00002,No date here,Abstract.,\n"
        "2503.00003,Another CSV paper,Abstract.,2025-03-05\n",
        encoding="utf-8",
    )
    seed = project / "one.jsonl"  # the first line of the demo's bulk file
    seed.write_bytes((project / "data" / "arxiv_seed.jsonl").read_bytes().splitlines()[0])
    config = str(project / "litradar.toml")
    result = runner.invoke(app, ["ingest", str(seed), "--source", str(table), "-c", config])
    assert result.exit_code == 0, result.output
    assert f"{table}:2: no date" in result.output
    assert "ingested 2 file(s)" in result.output and "1 line(s) skipped" in result.output
    with Store.open(project / "index" / "litradar.sqlite") as store:
        paper = store.get("2503.00001")
        assert paper is not None and paper.title == "A CSV paper" and paper.source == "csv"
        assert store.get("2503.00003") is not None and store.get("2503.00002") is None
        assert store.count() == 3  # the JSON-lines file went in beside it


def test_a_registered_live_source_is_configured_read_and_has_no_overlap(
    registered: None, project: Path
):
    write_config(project, sources='live = ["fake"]')
    config = load_config(project / "litradar.toml", environ={})
    assert config.sources.live == ["fake"]
    assert split_sources(["fake", "arxiv", "x.jsonl"]) == (["fake", "arxiv"], [Path("x.jsonl")])
    args = ["ingest", "--source", "fake", "-c", str(project / "litradar.toml")]
    first = runner.invoke(app, [*args, "--since", "2025-03-01", "--until", "2025-03-10"])
    assert first.exit_code == 0, first.output
    assert "fake: 1 read, 1 added" in first.output
    # Registered without overlap: the next run starts exactly at the mark (2025-03-10).
    second = runner.invoke(app, [*args, "--until", "2025-03-17"])
    assert "fake: 1 read, 1 added, 0 updated, 0 unchanged (2025-03-10 to 2025-03-17)" in (
        second.output
    )
    with Store.open(config.store_path) as store:
        assert store.watermark("fake") == "2025-03-17"
        assert {p.arxiv_id for p in store.papers()} == {"2503.11111", "2503.22222"}


def test_an_unregistered_live_name_is_one_line(project: Path):
    write_config(project, sources='live = ["nope"]')
    with pytest.raises(LitradarError, match="unknown live source 'nope'; choose from"):
        load_config(project / "litradar.toml", environ={})
    with pytest.raises(LitradarError, match="unknown source 'nope'"):
        registry.open_live(load_config(environ={}), "nope")


def test_arxiv_records_win_by_registration(registered: None, project: Path):
    """The 'fake' source is not registered as arXiv's own: the bulk file's text wins over
    its record of the same paper, whichever came first."""
    config = load_config(project / "litradar.toml", environ={})
    fake = Paper("2503.00001", "A fake title", "Fake.", ("X",), date(2025, 3, 1), source="fake")
    arxiv = Paper("2503.00001", "The arXiv title", "Real.", ("A",), date(2025, 3, 4), source="file")
    with Store.open(config.store_path, create=True) as store:
        store.upsert([fake])
        store.upsert([arxiv])
        kept = store.get("2503.00001")
    assert kept is not None and kept.title == "The arXiv title"
    assert kept.first_version_date == date(2025, 3, 4)  # arXiv's date, not the earlier one


def test_the_registry_imports_no_source_module():
    """Config, merge and the registry know every source without importing one."""
    code = (
        "import sys, litradar.config, litradar.storage.merge, litradar.sources.registry as r; "
        "r.live_names(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('arxiv', 'feedparser', 'httpx', 'torch') or m.startswith('litradar.sources.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['litradar.sources.registry']"
