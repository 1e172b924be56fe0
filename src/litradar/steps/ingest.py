"""The ingest step: papers from files and from live sources into the store.

`litradar ingest` and the weekly flow's ingest tasks both call these two functions, so a
file or a source is read the same way whoever asks.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from litradar import __version__
from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.core.progress import Reporter, SilentReporter
from litradar.sources.arxiv_jsonl import not_a_file
from litradar.sources.registry import file_format, open_file, open_live
from litradar.sources.report import SourceReport
from litradar.sources.runner import read_file, read_source
from litradar.storage.papers import UpsertResult
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


# A file read whole is remembered by its content (the store's watermark `file:<path>`): the
# weekly flow reads its configured files on every run, and one that has not changed since
# is not parsed again (0.25 s of a run with nothing new on the bundled files). What it
# said then (its bad lines, its papers cut to a cap) is said again from the mark; a file
# with more to say than a mark keeps is read every time, as before.
FILE_MARK_PREFIX = "file:"
_NOTES_KEPT = 100


@functools.cache
def _code_digest(factory: str) -> str:
    """The source of the module that reads the format and of the record's own rules
    (litradar.core.paper: cleaning, caps, the visible-title check): a fix to either,
    released without a new version number, reads the file again."""
    digest = hashlib.sha256()
    for module in (factory.partition(":")[0], "litradar.core.paper"):
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):  # a package that is gone: no code to read
            spec = None
        origin = Path(spec.origin) if spec is not None and spec.origin else None
        digest.update(origin.read_bytes() if origin is not None and origin.is_file() else b"?")
    return digest.hexdigest()[:16]


def file_fingerprint(path: Path) -> str:
    """The file's content, the format that reads it (an installed package may claim its
    ending), that format's code and litradar's version: a release or a format that reads
    lines otherwise reads the file again."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    reader = file_format(path).factory
    code = _code_digest(reader)
    return f"sha256:{digest.hexdigest()} litradar:{__version__} format:{reader} code:{code}"


def _identity(path: Path) -> tuple[int, int, int, int]:
    """What changes when a file is written, even with the same bytes."""
    stat = path.stat()
    return stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


def _read_before(store: Store, key: str, fingerprint: str) -> dict | None:
    """What the file gave when it was last read, if it has not changed since."""
    mark = store.watermark(key)
    try:
        known = json.loads(mark) if mark else None
    except json.JSONDecodeError:
        return None
    if not isinstance(known, dict) or known.get("fingerprint") != fingerprint:
        return None
    notes = [known.get("problems"), known.get("cut")]
    if not all(isinstance(n, list) and all(isinstance(x, str) for x in n) for n in notes):
        return None
    if not isinstance(known.get("named"), str):
        return None
    return known if isinstance(known.get("papers"), int) else None


def ingest_files(
    config: Config, files: Sequence[Path], reporter: Reporter | None = None
) -> IngestReport:
    """Read every file before writing: a missing file stops the run before anything changes.
    Each file is committed in one transaction, so a crash keeps whole files or none; its
    mark is written after, so a crash between the two reads it again, which changes
    nothing."""
    reporter = reporter or SilentReporter()
    missing = [Path(f) for f in files if not Path(f).is_file()]
    if missing:
        raise LitradarError(not_a_file(missing[0]))
    report = IngestReport()
    with Store.open(config.store_path, create=True) as store:
        for path in files:
            file = Path(path)
            key = FILE_MARK_PREFIX + str(file.resolve())
            stat = _identity(file)
            fingerprint = file_fingerprint(file)
            before = _read_before(store, key, fingerprint)
            named = f"{path}:"  # a bad line's note names the file as this run was given it
            if before is not None:
                then = before["named"]
                problems = [named + p.removeprefix(then) for p in before["problems"]]
                cut = list(before["cut"])
                for note in [*problems, *cut]:
                    reporter.warn(note)
                result = UpsertResult(unchanged=before["papers"])
            else:
                source = open_file(config, file)
                result, problems, cut = read_file(store, source, reporter)
                papers = result.added + result.updated + result.unchanged
                # Marked only if the file stayed as it was hashed: one rewritten while it
                # was read (a sync job's copy) gave what no content of it says.
                same = _identity(file) == stat
                if same and len(problems) + len(cut) <= _NOTES_KEPT:
                    read = {"fingerprint": fingerprint, "papers": papers, "named": named}
                    read |= {"problems": problems, "cut": cut}
                    store.set_watermark(key, json.dumps(read))
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
