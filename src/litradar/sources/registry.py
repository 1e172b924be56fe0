"""Every source of papers, live services and file formats alike: one registration line each.

A line says what the rest of litradar asks about a source without importing its module
(the arxiv client, feedparser): the config's check of `[sources] live`, the CLI's reading
of `--source`, the runner's overlap, and which records are arXiv's own (`litradar.storage.merge`).
The module is imported only when the source is opened, so `find` or a run that reads only
the feed never loads the others.

Adding a source: a module with a class that has `pages(since, until)` (the `Source`
protocol) and a `from_config` class method, plus one `register(SourceSpec(...))` below.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from litradar.core.errors import LitradarError

if TYPE_CHECKING:
    from litradar.config import Config
    from litradar.core.paper import Paper


class Source(Protocol):
    # The watermark key of a live source (one per source and query set, so each remembers
    # how far it read); a file source's name is its file's.
    name: str

    def pages(self, since: date, until: date) -> Iterator[list[Paper]]:
        """Papers first published in [since, until), one page per request, so that the
        runner can commit each page before the next request. A file holds what it holds:
        its pages ignore the window. A source may keep `notes` (a list of one-line
        strings): items it skipped and why, shown after the run."""
        ...


@dataclass(frozen=True)
class SourceSpec:
    # `--source NAME`, `[sources] live`, and the `source` of the papers it reads.
    name: str
    # "module:Class", imported on first use. `Class.from_config(config)` opens a live
    # source, `Class.from_config(config, path)` a file.
    factory: str
    kind: Literal["live", "file"] = "live"
    # Re-read `[sources] overlap_days` before the watermark (arXiv announces papers days
    # after their submission date); False: the mark is exact (the feed's last announcement).
    overlap: bool = True
    # Its records are arXiv's own (title, abstract, authors, versions, first-version
    # date): they win over other sources' records of the same paper (litradar.storage.merge).
    arxiv_records: bool = False
    # A file format: the file name endings it reads.
    suffixes: tuple[str, ...] = ()

    def open(self, *args: Any) -> Source:
        module, _, name = self.factory.partition(":")
        return getattr(import_module(module), name).from_config(*args)


SOURCES: dict[str, SourceSpec] = {}
# A file whose ending no format claims is read as arXiv JSON lines, as it always was.
DEFAULT_FILE_FORMAT = "file"


def register(spec: SourceSpec) -> SourceSpec:
    if spec.name in SOURCES:
        raise ValueError(f"source {spec.name!r} is registered twice")
    SOURCES[spec.name] = spec
    return spec


register(SourceSpec("file", "litradar.sources.arxiv_jsonl:JsonLinesFile", kind="file",
                    arxiv_records=True, suffixes=(".jsonl", ".json")))  # fmt: skip
register(SourceSpec("arxiv", "litradar.sources.arxiv_api:ArxivApiSource", arxiv_records=True))
register(SourceSpec("feed", "litradar.sources.arxiv_feed:FeedSource", overlap=False,
                    arxiv_records=True))  # fmt: skip
register(SourceSpec("s2", "litradar.sources.semantic_scholar:SemanticScholarSource"))


def live_names() -> tuple[str, ...]:
    return tuple(name for name, spec in SOURCES.items() if spec.kind == "live")


def open_live(config: Config, name: str) -> Source:
    spec = SOURCES.get(name)
    if spec is None or spec.kind != "live":
        raise LitradarError(f"unknown source {name!r}; choose from {', '.join(live_names())}")
    return spec.open(config)


def file_format(path: Path) -> SourceSpec:
    """The format that claims the file's ending, else arXiv JSON lines."""
    for spec in SOURCES.values():
        if spec.kind == "file" and path.name.endswith(spec.suffixes):
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
    return config.sources.overlap_days if spec is None or spec.overlap else 0


def has_arxiv_records(source_name: str) -> bool:
    """Are papers whose `source` is this arXiv's own records? (see litradar.storage.merge)"""
    spec = SOURCES.get(source_name)
    return spec is not None and spec.arxiv_records
