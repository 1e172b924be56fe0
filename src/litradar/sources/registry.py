"""Every source of papers, live services and file formats alike, as the installed packages
declare them (entry points, `litradar.core.plugins`): open one by name, find a file's
format, and split `--source` values.

The declaration is read from the packages' metadata, so `find` or a run that reads only
the feed never imports the other sources' modules (the arxiv client, feedparser).

Adding a source: a module with a class that has `pages(since, until)` (the `Source`
protocol) and a `from_config` class method, and one entry point in `pyproject.toml`
(`[project.entry-points."litradar.sources"]`, or `"litradar.file_formats"` for a file
format); what the rest of litradar asks about it sits on the class: `arxiv_records`,
`overlap`, `suffixes` (see `litradar.core.plugins`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from litradar.core.errors import LitradarError
from litradar.core.plugins import SourceSpec, has_arxiv_records, live_names, register, sources

if TYPE_CHECKING:
    from litradar.config import Config
    from litradar.core.paper import Paper

# The declared sources (the one table litradar.core.plugins reads on first use): opening a
# source needs them, so importing this module reads them.
SOURCES = sources()

__all__ = [
    "DEFAULT_FILE_FORMAT",
    "SOURCES",
    "Source",
    "SourceSpec",
    "file_format",
    "has_arxiv_records",
    "live_names",
    "open_file",
    "open_live",
    "overlap_days",
    "register",
    "spec_of",
    "split_sources",
]


class Source(Protocol):
    # The watermark key of a live source (one per source and query set, so each remembers
    # how far it read); a file source's name is its file's.
    name: str

    def pages(self, since: date, until: date) -> Iterator[list[Paper]]:
        """Papers first published in [since, until), one page per request, so that the
        runner can commit each page before the next request. A file holds what it holds:
        its pages ignore the window. A source may keep `notes` (a list of one-line
        strings): items it skipped and why, shown after the run.

        A source whose searches come from the config may also have `parts()` (a name per
        search) and honour `part_starts` (part -> its own start, set by the runner before
        `pages`): the runner keeps a mark per part, and a part added to the config reads
        the first run's look-back (litradar.sources.runner)."""
        ...


# A file whose ending no format claims is read as arXiv JSON lines, as it always was.
DEFAULT_FILE_FORMAT = "file"


def open_live(config: Config, name: str) -> Source:
    spec = SOURCES.get(name)
    if spec is None or spec.kind != "live":
        raise LitradarError(f"unknown source {name!r}; choose from {', '.join(live_names())}")
    return spec.open(config)


def file_format(path: Path) -> SourceSpec:
    """The format that claims the file's ending, else arXiv JSON lines."""
    for spec in SOURCES.values():
        if spec.kind == "file" and path.name.endswith(spec.file_suffixes()):
            return spec
    return SOURCES[DEFAULT_FILE_FORMAT]


def open_file(config: Config, path: Path) -> Source:
    return file_format(path).open(config, path)


def split_sources(values: Iterable[str]) -> tuple[list[str], list[Path]]:
    """`--source` values: the names of live sources, and everything else as a file."""
    values = list(values)
    live = set(live_names())
    return [v for v in values if v in live], [Path(v) for v in values if v not in live]


def spec_of(source: Source) -> SourceSpec | None:
    """The registration of a source object, by its class."""
    kind = type(source)
    factory = f"{kind.__module__}:{kind.__qualname__}"
    return next((spec for spec in SOURCES.values() if spec.factory == factory), None)


def overlap_days(config: Config, source: Source) -> int:
    spec = spec_of(source)
    return config.sources.overlap_days if spec is None or spec.has_overlap() else 0
