"""Reading the live sources into the store, page by page, behind per-source watermarks.

The order of writes is what makes a crash harmless: each page is committed before the
next request, and a source's watermark moves only after its last page is committed. A run
that dies halfway keeps the pages it stored and leaves the mark where it was, so the next
run reads the same window again; the store's dedup makes the second reading free.
Each source re-reads `overlap_days` before its mark, because arXiv announces papers days
after their submission date (and holidays stretch that).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from litradar.awesome_list import load_list
from litradar.config import LIVE_SOURCES, Config
from litradar.errors import LitradarError
from litradar.paper import clean_text
from litradar.progress import Reporter, SilentReporter
from litradar.sources.live import LiveSource, SourceError
from litradar.store import Store


@dataclass
class SourceReport:
    source: str
    since: str
    until: str
    pages: int = 0
    fetched: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    watermark: str | None = None  # where the mark stands after this run
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        counts = (
            f"{self.fetched} read, {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )
        if self.error:
            return f"{self.source}: FAILED after {self.pages} page(s) ({counts}): {self.error}"
        return f"{self.source}: {counts} ({self.since} to {self.until})"


def build_source(config: Config, name: str) -> LiveSource:
    """Imports stay inside: a run that reads only the feed never loads the arxiv package."""
    sources = config.sources
    if name == "arxiv":
        from litradar.sources.arxiv_api import ArxivApiSource

        return ArxivApiSource(sources.arxiv, sources.categories)
    if name == "feed":
        from litradar.sources.arxiv_feed import FeedSource

        return FeedSource(sources.feed, sources.categories)
    if name == "s2":
        from litradar.sources.semantic_scholar import SemanticScholarSource

        awesome = load_list(config.list_path)
        names = awesome.paper_names()
        key = os.environ.get(sources.s2.api_key_env) or None
        return SemanticScholarSource(sources.s2, names, api_key=key)
    raise LitradarError(f"unknown source {name!r}; choose from {', '.join(LIVE_SOURCES)}")


def overlap_for(config: Config, source: LiveSource) -> int:
    """The feed has no date window to re-read: its `since` is exactly the last mark."""
    return 0 if source.name.startswith("feed") else config.sources.overlap_days


def window_for(
    store: Store,
    source: LiveSource,
    until: date,
    since: date | None,
    overlap_days: int,
    first_run_days: int,
) -> date:
    """An explicit `since` (a backfill) wins; else the mark minus the overlap; else the
    first run's look-back."""
    if since is not None:
        return since
    mark = store.watermark(source.name)
    if mark is None:
        return until - timedelta(days=first_run_days)
    return date.fromisoformat(mark) - timedelta(days=overlap_days)


def read_source(
    config: Config,
    source: LiveSource,
    since: date | None = None,
    until: date | None = None,
    reporter: Reporter | None = None,
) -> SourceReport:
    """Read one source into the store. A failing service becomes the report's `error`; a
    bug still raises."""
    reporter = reporter or SilentReporter()
    until = until or date.today() + timedelta(days=1)
    with Store.open(config.store_path, create=True) as store:
        start = window_for(
            store,
            source,
            until,
            since,
            overlap_for(config, source),
            config.sources.first_run_days,
        )
        if start >= until:
            if since is not None:
                raise LitradarError(f"empty window: --since {since} is not before --until {until}")
            start = until - timedelta(days=1)  # read again today: a re-run, not an error
        report = SourceReport(source.name, start.isoformat(), until.isoformat())
        report.watermark = store.watermark(source.name)
        run_id = store.start_run(f"ingest:{source.name}", report.as_dict())
        status = "crashed"
        try:
            with reporter.track(f"reading {source.name}", None) as advance:
                for page in source.pages(start, until):
                    result = store.upsert(page)
                    report.pages += 1
                    report.fetched += len(page)
                    report.added += result.added
                    report.updated += result.updated
                    report.unchanged += result.unchanged
                    advance(len(page))
            mark = max(until.isoformat(), report.watermark or "")
            store.set_watermark(source.name, mark)
            report.watermark = mark
            status = "ok"
        except SourceError as exc:
            report.error = str(exc)
            status = "failed"
            reporter.warn(f"{source.name} failed: {exc}")
        finally:
            report.notes = [clean_text(n) for n in getattr(source, "notes", [])]
            store.finish_run(run_id, status, report.as_dict())
    return report


def latest_source_reports(config: Config) -> list[dict]:
    """The last finished run of each source, for the digest's 'sources' block."""
    with Store.open(config.store_path) as store:
        latest: dict[str, dict] = {}
        for run in store.runs():
            if run["kind"].startswith("ingest:") and run["status"] != "running":
                latest[run["kind"]] = run
    return [
        run["detail"] | {"status": run["status"], "finished_at": run["finished_at"]}
        for run in latest.values()
    ]


def describe_source_run(run: dict) -> str:
    """One line per source for the digest: what it read, or why it failed."""
    report = SourceReport(**{k: run[k] for k in SourceReport.__dataclass_fields__ if k in run})
    when = f", run {run['finished_at']}" if run.get("finished_at") else ""
    return report.summary() + when
