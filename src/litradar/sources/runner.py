"""Reading a source into the store: a live one page by page behind its watermark, a file
whole.

The order of writes is what makes a crash harmless: each page is committed before the
next request, and a source's watermark moves only after its last page is committed. A run
that dies halfway keeps the pages it stored and leaves the mark where it was, so the next
run reads the same window again; the store's dedup makes the second reading free.
Each source re-reads `overlap_days` before its mark, because arXiv announces papers days
after their submission date (and holidays stretch that), unless its registration says it
has no overlap (the feed: see litradar.sources.registry).

A source whose searches come from the config (arXiv's categories and queries, Semantic
Scholar's queries: its `parts()`) keeps a mark per search beside its own, moved with it, so
a search added later (or back after a run without it) reads the first run's look-back
instead of the overlap behind marks it never had. A store from before these marks holds
none for the source (nor its `name|` marker): its searches all count as read.

A file is committed in one transaction, so a crash keeps whole files or none; its bad
lines are reported with file and line, and the rest of the file goes in.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from litradar.config import Config
from litradar.core.atomic_files import faultpoint
from litradar.core.errors import LitradarError
from litradar.core.paper import Paper, clean_text
from litradar.core.progress import Reporter, SilentReporter
from litradar.sources import registry
from litradar.sources.registry import Source
from litradar.sources.report import SourceReport
from litradar.sources.source_error import SourceError
from litradar.storage.papers import UpsertResult
from litradar.storage.store import Store


def window_for(
    store: Store,
    source: Source,
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
    # A mark beyond the window's end (one a release before the horizon below set from a
    # future --until) would leave one day to read: read the overlap before the end instead.
    return min(date.fromisoformat(mark), until) - timedelta(days=overlap_days)


PART_SEPARATOR = "|"


def part_mark(source: Source, part: str) -> str:
    """The watermark key of one of a source's searches."""
    return f"{source.name}{PART_SEPARATOR}{part}"


def unread_parts(store: Store, source: Source) -> list[str]:
    """The source's searches that did not take part in its last read: new to the config,
    or back in it after a run without them (each search's mark moves with the source's,
    so one that stands elsewhere missed a run). A store whose source read before searches
    had marks (no `name|` marker) counts every search as read."""
    parts = getattr(source, "parts", None)
    mark = store.watermark(source.name)
    if parts is None or mark is None or store.watermark(part_mark(source, "")) is None:
        return []
    return [part for part in parts() if store.watermark(part_mark(source, part)) != mark]


def read_source(
    config: Config,
    source: Source,
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
            registry.overlap_days(config, source),
            config.sources.first_run_days,
        )
        if start >= until:
            if since is not None:
                raise LitradarError(f"empty window: --since {since} is not before --until {until}")
            start = until - timedelta(days=1)  # read again today: a re-run, not an error
        # A backfill reads its window for every search; a weekly run reads a search new
        # since the last one from the first run's look-back. Marked only by a read that
        # reaches the source's mark (below).
        unread = unread_parts(store, source)
        tomorrow = date.today() + timedelta(days=1)
        look_back = min(until, tomorrow) - timedelta(days=config.sources.first_run_days)
        part_starts = (
            {} if since is not None or look_back >= start else dict.fromkeys(unread, look_back)
        )
        if hasattr(source, "parts"):
            source.part_starts = part_starts  # type: ignore[attr-defined]
        earliest = min([start, *part_starts.values()])
        report = SourceReport(source.name, earliest.isoformat(), until.isoformat())
        added_searches = [
            f"new search ({part}): read from {begin}, the first run's look-back"
            for part, begin in part_starts.items()
        ]
        report.watermark = store.watermark(source.name)
        horizon = tomorrow.isoformat()
        window_notes = []
        # A backfill that starts after the mark leaves a gap between them nobody read: the
        # mark stays, so the next weekly run reads from it (the gap, then the backfill's
        # days again, which changes nothing).
        ahead = report.watermark is not None and start.isoformat() > report.watermark
        if ahead:
            window_notes.append(
                f"read {start} to {until}, after the mark {report.watermark}: the mark stays, "
                f"so the next run reads the days between"
            )
        if since is None and report.watermark and report.watermark > horizon:
            window_notes.append(  # set from a future --until by a release before the horizon
                f"the mark stood in the future ({report.watermark}); what came out between "
                f"the last full read and {start} may be missing: 'litradar ingest --source "
                f"{source.name} --since YYYY-MM-DD' reads it again"
            )
        run_id = store.start_run(f"ingest:{source.name}", report.as_dict())
        status = "crashed"
        cut_notes: list[str] = []
        try:
            with reporter.track(f"reading {source.name}", None) as advance:
                for page in source.pages(start, until):
                    cut_notes.extend(note for p in page if (note := p.cut_note()))
                    result = store.upsert(page)
                    faultpoint("source.page-committed")  # the mark not yet moved
                    report.pages += 1
                    report.fetched += len(page)
                    report.added += result.added
                    report.updated += result.updated
                    report.unchanged += result.unchanged
                    advance(len(page))
            # Never past tomorrow: a future --until reads what exists, and a mark there
            # would make every later run start at it, reading one day a week until then.
            # (A mark already past it, from a release before this rule, comes back to it.)
            end = report.watermark if ahead else until.isoformat()
            mark = max(min(end, horizon), min(report.watermark or "", horizon))
            marks = {source.name: mark}
            if hasattr(source, "parts"):  # the marker: this source's searches have marks
                # A search that had not read before reached the mark only if this read did:
                # not a backfill's window, nor one that ended before the mark.
                reached = since is None and not ahead and mark == min(until.isoformat(), horizon)
                read = [p for p in source.parts() if reached or p not in unread]
                marks |= {part_mark(source, part): mark for part in ["", *read]}
            store.set_watermarks(marks)
            report.watermark = mark
            status = "ok"
        except SourceError as exc:
            report.error = str(exc)
            status = "failed"  # said by the caller, with what the source read
        finally:
            notes = [clean_text(n) for n in getattr(source, "notes", [])]
            added = added_searches if status == "ok" else []  # a failed read read nothing
            report.notes = window_notes + added + notes + cut_notes
            store.finish_run(run_id, status, report.as_dict())
    return report


def read_file(
    store: Store, source: Source, reporter: Reporter
) -> tuple[UpsertResult, list[str], list[str]]:
    """Every page of a file source, committed together; each bad line (skipped) and each
    paper stored with a field cut to its cap (kept) is warned of as soon as it is read.
    Returns what was stored, the bad lines and the cut papers' notes.

    The pages go into the store's one transaction as they are read, so memory holds one
    page, not the file (150k lines held 464 MB), and a crash still keeps the whole file or
    none of it."""
    problems: list[str] = []
    cut: list[str] = []
    notes: list[str] = getattr(source, "notes", [])

    def report_new() -> int:
        new = notes[len(problems) :]
        for problem in new:
            reporter.warn(problem)
        problems.extend(new)
        return len(new)

    with reporter.track(f"reading {source.name}", None) as advance:

        def papers() -> Iterator[Paper]:
            for page in source.pages(date.min, date.max):
                for note in (p.cut_note() for p in page):
                    if note:
                        reporter.warn(note)
                        cut.append(note)
                advance(len(page) + report_new())
                yield from page
            advance(report_new())

        stored = store.upsert(papers())
    return stored, problems, cut
