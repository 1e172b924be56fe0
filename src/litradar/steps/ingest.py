"""The ingest step: papers from files and from live sources into the store.

`litradar ingest` and the weekly flow's ingest tasks both call these two functions, so a
file or a source is read the same way whoever asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.core.progress import Reporter, SilentReporter
from litradar.sources.arxiv_jsonl import not_a_file
from litradar.sources.registry import open_file, open_live
from litradar.sources.report import SourceReport
from litradar.sources.runner import read_file, read_source
from litradar.storage.store import Store


@dataclass
class IngestReport:
    files: list[str] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)  # bad lines, skipped
    cut: list[str] = field(default_factory=list)  # papers stored with a field cut to its cap
    # Files with bad lines and not one paper: most likely not arXiv metadata at all.
    unreadable: list[str] = field(default_factory=list)


def ingest_files(
    config: Config, files: Sequence[Path], reporter: Reporter | None = None
) -> IngestReport:
    """Read every file before writing: a missing file stops the run before anything changes.
    Each file is committed in one transaction, so a crash keeps whole files or none."""
    reporter = reporter or SilentReporter()
    missing = [Path(f) for f in files if not Path(f).is_file()]
    if missing:
        raise LitradarError(not_a_file(missing[0]))
    report = IngestReport()
    with Store.open(config.store_path, create=True) as store:
        for path in files:
            source = open_file(config, Path(path))
            result, problems, cut = read_file(store, source, reporter)
            report.problems += problems
            report.cut += cut
            if problems and not (result.added or result.updated or result.unchanged):
                report.unreadable.append(str(path))
            report.files.append(str(path))
            report.added += result.added
            report.updated += result.updated
            report.unchanged += result.unchanged
    return report


def ingest_live(
    config: Config,
    name: str,
    since: date | None = None,
    until: date | None = None,
    reporter: Reporter | None = None,
) -> SourceReport:
    """Read live source `name` from its watermark (minus its overlap) or from `since`, up
    to `until`; its failure is in the report (the run goes on), an unknown name is an
    error."""
    return read_source(config, open_live(config, name), since, until, reporter)
