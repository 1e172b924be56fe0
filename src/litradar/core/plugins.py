"""What the installed packages declare as entry points: the sources of papers and the
publishing channels, read from the packages' metadata without importing their modules.

A live source is an entry point in the group `litradar.sources`, a file format one in
`litradar.file_formats`, a channel one in `litradar.channels` (litradar's own are in its
`pyproject.toml`; another installed package adds its own the same way). The facts the
rest of litradar asks about a source sit on its class, read when first asked:
`arxiv_records = True` (its records are arXiv's own: they win over other sources' records
of the same paper, `litradar.storage.merge`), `overlap = False` (its watermark is exact),
and for a file format `suffixes` (the file name endings it reads).

This table is the one place below the sources that knows them: the config's check of
`[sources] live` and the store's merge read it here, and `litradar.sources.registry` opens
what it names. Nothing here imports a source's module until a fact of its class is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any, Literal

SOURCE_GROUPS: dict[str, Literal["live", "file"]] = {
    "litradar.sources": "live",
    "litradar.file_formats": "file",
}
CHANNEL_GROUP = "litradar.channels"


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
    # None: as the class says (its `overlap`, True if it has none).
    overlap: bool | None = None
    # Its records are arXiv's own (title, abstract, authors, versions, first-version
    # date): they win over other sources' records of the same paper (litradar.storage.merge).
    # None: as the class says (its `arxiv_records`, False if it has none).
    arxiv_records: bool | None = None
    # A file format: the file name endings it reads (empty: as the class says).
    suffixes: tuple[str, ...] = ()

    def load(self) -> Any:
        module, _, name = self.factory.partition(":")
        return getattr(import_module(module), name)

    def open(self, *args: Any) -> Any:
        return self.load().from_config(*args)

    def has_overlap(self) -> bool:
        return bool(getattr(self.load(), "overlap", True)) if self.overlap is None else self.overlap

    def has_arxiv_records(self) -> bool:
        if self.arxiv_records is None:
            return bool(getattr(self.load(), "arxiv_records", False))
        return self.arxiv_records

    def file_suffixes(self) -> tuple[str, ...]:
        return self.suffixes or tuple(getattr(self.load(), "suffixes", ()))


def _declared_sources() -> dict[str, SourceSpec]:
    from importlib.metadata import entry_points  # 10-20 ms of imports: on first use

    found: dict[str, SourceSpec] = {}
    for group, kind in SOURCE_GROUPS.items():
        for point in sorted(entry_points(group=group), key=lambda p: p.name):
            found.setdefault(point.name, SourceSpec(point.name, point.value, kind=kind))
    return found


_sources: dict[str, SourceSpec] | None = None


def sources() -> dict[str, SourceSpec]:
    """The declared sources, read from the installed metadata on first use: the scan costs
    15-30 ms, and `find` (which loads the config, hence this module) never needs it."""
    global _sources
    if _sources is None:
        _sources = _declared_sources()
    return _sources


def register(spec: SourceSpec) -> SourceSpec:
    """Add a source in this process (tests; a package installs an entry point instead)."""
    declared = sources()
    if spec.name in declared:
        raise ValueError(f"source {spec.name!r} is registered twice")
    declared[spec.name] = spec
    return spec


def live_names() -> tuple[str, ...]:
    return tuple(name for name, spec in sources().items() if spec.kind == "live")


def has_arxiv_records(source_name: str) -> bool:
    """Are papers whose `source` is this arXiv's own records? (see litradar.storage.merge)"""
    spec = sources().get(source_name)
    return spec is not None and spec.has_arxiv_records()


def declared_channels() -> dict[str, str]:
    """Channel name -> "module:Class", in name order."""
    from importlib.metadata import entry_points

    points = sorted(entry_points(group=CHANNEL_GROUP), key=lambda p: p.name)
    return {point.name: point.value for point in points}
