"""Reading live sources into the store: watermarks, crashes, backfills, concurrent ingests,
and the `litradar ingest --source` command, against servers on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.config import Config, load_config
from litradar.core.paper import Paper
from litradar.sources.arxiv_api import ArxivApiSource
from litradar.sources.report import SourceReport, latest_source_reports
from litradar.sources.runner import read_source
from litradar.storage.store import Store
from tests.arxiv_atom import page
from tests.conftest import write_config
from tests.replay import ReplayServer, Reply

QUERY = "/api/query"
runner = CliRunner()


def serve_pages(server: ReplayServer, total: int, per_page: int = 10) -> None:
    for start in range(0, total, per_page):
        server.on("GET", QUERY, Reply(200, page(start, per_page, total)), start=str(start))


def project_config(
    folder: Path, server: ReplayServer, live: str = '["arxiv"]', queries: str = "[]"
) -> Config:
    write_config(
        folder,
        sources=f'categories = ["cs.CV"]\nlive = {live}',
        extra=(
            f'[sources.arxiv]\nurl = "{server.url}{QUERY}"\ndelay_seconds = 0.0\n'
            f"retries = 1\nbackoff_seconds = 0.01\npage_size = 10\nqueries = {queries}\n"
            f'[sources.s2]\nurl = "{server.url}"\nmin_interval_seconds = 0.0\nretries = 1\n'
            "backoff_seconds = 0.01\nqueries = []\nrecommendations = false\n"
        ),
    )
    return load_config(folder / "litradar.toml", environ={})


class CrashingSource:
    """A source whose second page dies of a bug (not a service failure)."""

    name = "crashy"

    def __init__(self, papers: list[Paper]) -> None:
        self.papers = papers

    def pages(self, since: date, until: date) -> Iterator[list[Paper]]:
        yield self.papers[:2]
        raise RuntimeError("bug in the middle of a run")


def test_a_crash_keeps_committed_pages_and_leaves_the_mark(tmp_path: Path, project: Path):
    with ReplayServer() as server:
        config = project_config(project, server)
    papers = [
        Paper(f"2503.0000{i}", f"Title {i}", "A.", ("A",), date(2025, 3, 10)) for i in range(4)
    ]
    with pytest.raises(RuntimeError):
        read_source(config, CrashingSource(papers), until=date(2025, 3, 17))
    with Store.open(config.store_path) as store:
        assert store.count() == 2 and store.watermark("crashy") is None
        assert store.runs("ingest:crashy")[-1]["status"] == "crashed"


def test_a_backfill_never_moves_the_mark_backwards(project: Path):
    with ReplayServer() as server:
        serve_pages(server, 15)
        config = project_config(project, server)
        source = ArxivApiSource(config.sources.arxiv, ["cs.CV"])
        read_source(config, source, until=date(2025, 3, 24))
        back = read_source(config, source, since=date(2025, 3, 1), until=date(2025, 3, 8))
        assert back.watermark == "2025-03-24"
        assert (
            "submittedDate:[202503010000 TO 202503072359]" in server.seen[-1].query["search_query"]
        )


def test_a_future_until_leaves_the_mark_at_tomorrow_and_a_future_mark_is_healed(project: Path):
    """A mark in the future made every later run read one day (from it, minus nothing), for
    months, saying nothing."""
    from datetime import timedelta

    tomorrow = date.today() + timedelta(days=1)
    with ReplayServer() as server:
        serve_pages(server, 15)
        config = project_config(project, server)
        source = ArxivApiSource(config.sources.arxiv, ["cs.CV"])
        ahead = read_source(config, source, until=tomorrow + timedelta(days=200))
        assert ahead.error is None and ahead.watermark == tomorrow.isoformat()
        with Store.open(config.store_path) as store:  # as a release before the rule left it
            store.set_watermark(source.name, (tomorrow + timedelta(days=200)).isoformat())
        with sqlite3.connect(config.store_path) as db:  # and before searches had marks
            db.execute("DELETE FROM watermarks WHERE source LIKE 'arxiv|%'")
        weekly = read_source(config, source)
    overlap = config.sources.overlap_days
    assert weekly.since == (tomorrow - timedelta(days=overlap)).isoformat()  # not one day
    assert weekly.watermark == tomorrow.isoformat()
    assert "the mark stood in the future" in weekly.notes[0]  # and what to do about it


SAE_TOML = """['abs:"sparse autoencoder"']"""  # one arXiv query, as the config spells it


def _windows(server: ReplayServer, since: int) -> dict[str, str]:
    """Each search of the requests since the `since`-th: its query -> its window."""
    found = {}
    for seen in server.seen[since:]:
        query, _, window = seen.query["search_query"].partition(" AND submittedDate:")
        found[query] = window
    return found


def read_arxiv(
    server: ReplayServer,
    config: Config,
    until: date,
    categories: tuple[str, ...] = ("cs.CV",),
    since: date | None = None,
) -> tuple[SourceReport, dict[str, str]]:
    """One read of arXiv, and the window each of its searches asked for."""
    before = len(server.seen)
    source = ArxivApiSource(config.sources.arxiv, list(categories))
    return read_source(config, source, since=since, until=until), _windows(server, before)


def test_a_search_added_to_the_config_reads_the_first_runs_look_back(project: Path):
    """A query added to the config read only the overlap (7 days) behind the source's mark,
    which it never had: the papers of the week before were never asked for."""
    with ReplayServer() as server:
        serve_pages(server, 5)
        read_arxiv(server, project_config(project, server), date(2025, 3, 17))
        config = project_config(project, server, queries=SAE_TOML)
        added, windows = read_arxiv(server, config, date(2025, 3, 18))
        assert windows["(cat:cs.CV)"] == "[202503100000 TO 202503172359]"  # mark - overlap
        assert windows['(abs:"sparse autoencoder")'] == "[202503040000 TO 202503172359]"
        assert added.since == "2025-03-04" and added.error is None
        assert added.notes == [
            'new search (query abs:"sparse autoencoder"): read from 2025-03-04, the first '
            "run's look-back"
        ]
        again, windows = read_arxiv(server, config, date(2025, 3, 19))  # now it has its mark
        assert set(windows.values()) == {"[202503110000 TO 202503182359]"}
        assert again.notes == []
    shown = runner.invoke(app, ["sources", "--config", str(project / "litradar.toml")])
    assert "arxiv: read up to 2025-03-19" in shown.output
    assert '  search (query abs:"sparse autoencoder"): read up to 2025-03-19' in shown.output
    assert "arxiv|" not in shown.output


def test_a_store_from_before_search_marks_counts_every_search_as_read(project: Path):
    with ReplayServer() as server:
        serve_pages(server, 5)
        config = project_config(project, server, queries=SAE_TOML)
        with Store.open(config.store_path, create=True) as store:
            store.set_watermark("arxiv", "2025-03-17")  # as a release before left it
        report, windows = read_arxiv(server, config, date(2025, 3, 18))
        assert set(windows.values()) == {"[202503100000 TO 202503172359]"}
        assert report.notes == []
    with Store.open(config.store_path) as store:
        assert set(store.watermarks()) == {
            "arxiv", "arxiv|", "arxiv|categories cs.CV", 'arxiv|query abs:"sparse autoencoder"'
        }  # fmt: skip


def test_a_search_added_to_a_source_with_none_or_back_after_a_run_without_it(project: Path):
    """A source whose searches were none at its last read, or a query taken out for a run
    and put back, read only the overlap: 'no marks' was taken for a store from before."""
    with ReplayServer() as server:
        serve_pages(server, 5)
        read_arxiv(server, project_config(project, server), date(2025, 3, 17), categories=())
        config = project_config(project, server, queries=SAE_TOML)
        added, windows = read_arxiv(server, config, date(2025, 3, 18), categories=())
        assert windows == {'(abs:"sparse autoencoder")': "[202503040000 TO 202503172359]"}
        assert added.notes[0].startswith('new search (query abs:"sparse autoencoder")')
        read_arxiv(server, config, date(2025, 3, 19))
        read_arxiv(server, project_config(project, server), date(2025, 3, 20))  # out a run...
        config = project_config(project, server, queries=SAE_TOML)  # ...and back
        back, windows = read_arxiv(server, config, date(2025, 3, 21))
        assert windows["(cat:cs.CV)"] == "[202503130000 TO 202503202359]"
        assert windows['(abs:"sparse autoencoder")'] == "[202503070000 TO 202503202359]"
        assert back.notes[0].startswith("new search")
    shown = runner.invoke(app, ["sources", "--config", str(project / "litradar.toml")])
    assert "search ()" not in shown.output and "search (categories cs.CV)" in shown.output


def test_a_backfill_does_not_mark_a_new_search_read(project: Path):
    """A backfill reads its own window for every search: a search new since the weekly
    run still needs its look-back on the next one."""
    with ReplayServer() as server:
        serve_pages(server, 5)
        read_arxiv(server, project_config(project, server), date(2025, 3, 17))
        config = project_config(project, server, queries=SAE_TOML)
        _, windows = read_arxiv(server, config, date(2025, 1, 8), since=date(2025, 1, 1))
        assert set(windows.values()) == {"[202501010000 TO 202501072359]"}
        weekly, windows = read_arxiv(server, config, date(2025, 3, 18))
        assert windows['(abs:"sparse autoencoder")'].startswith("[20250304")
        assert weekly.notes[0].startswith("new search")


def test_a_new_search_is_marked_only_by_a_read_that_reaches_the_mark(project: Path):
    """A read that ended before the source's mark (`--until` earlier, no `--since`) marked
    a new search read up to the later mark: the days between were never asked for. A
    failed read said the new search was read, and `sources` showed a search gone from the
    config as if it were one."""
    with ReplayServer() as server:
        serve_pages(server, 5)
        read_arxiv(server, project_config(project, server), date(2025, 3, 17))
        config = project_config(project, server, queries=SAE_TOML)
        early, _ = read_arxiv(server, config, date(2025, 3, 10))
        assert early.watermark == "2025-03-17"
        later, windows = read_arxiv(server, config, date(2025, 3, 18))
        assert windows['(abs:"sparse autoencoder")'] == "[202503040000 TO 202503172359]"
        assert later.notes[0].startswith("new search")
        read_arxiv(server, project_config(project, server), date(2025, 3, 19))  # query out
    shown = runner.invoke(app, ["sources", "--config", str(project / "litradar.toml")])
    assert "search (categories cs.CV): read up to 2025-03-19\n" in shown.output
    assert (
        '  search (query abs:"sparse autoencoder"): read up to 2025-03-18 (not in the last read)'
        in shown.output
    )
    with ReplayServer() as down:
        down.on("GET", QUERY, Reply(503, b"down"))
        config = project_config(project, down, queries=SAE_TOML.replace("sparse", "dense"))
        failed, _ = read_arxiv(down, config, date(2025, 3, 20))
    assert failed.error is not None and not [n for n in failed.notes if "new search" in n]


def test_a_new_search_read_with_a_future_until_still_reads_its_look_back(project: Path):
    """The look-back was counted from the future end, after the mark: the new search read
    only the overlap, said nothing, and was marked read."""
    from datetime import timedelta

    tomorrow = date.today() + timedelta(days=1)
    with ReplayServer() as server:
        serve_pages(server, 5)
        read_arxiv(server, project_config(project, server), tomorrow)
        config = project_config(project, server, queries=SAE_TOML)
        ahead, windows = read_arxiv(server, config, tomorrow + timedelta(days=200))
    look_back = tomorrow - timedelta(days=config.sources.first_run_days)
    assert windows['(abs:"sparse autoencoder")'].startswith(f"[{look_back:%Y%m%d}0000 TO")
    assert ahead.notes[0].startswith(f'new search (query abs:"sparse autoencoder"): read from {look_back}')
    assert ahead.watermark == tomorrow.isoformat()


def test_a_backfill_after_the_mark_leaves_the_mark_where_it_was(project: Path):
    """A backfill of 03-15..03-22 on a source marked 03-01 moved the mark (and every
    search's) to 03-22: the days between were never read by anything."""
    from datetime import timedelta

    with ReplayServer() as server:
        serve_pages(server, 5)
        config = project_config(project, server)
        read_arxiv(server, config, date(2025, 3, 1))
        back, windows = read_arxiv(server, config, date(2025, 3, 22), since=date(2025, 3, 15))
        assert set(windows.values()) == {"[202503150000 TO 202503212359]"}
        assert back.watermark == "2025-03-01" and back.error is None
        assert back.notes == [
            "read 2025-03-15 to 2025-03-22, after the mark 2025-03-01: the mark stays, so the "
            "next run reads the days between"
        ]
        weekly, windows = read_arxiv(server, config, date(2025, 3, 23))
        gap = date(2025, 3, 1) - timedelta(days=config.sources.overlap_days)
        assert set(windows.values()) == {f"[{gap:%Y%m%d}0000 TO 202503222359]"}
        assert weekly.watermark == "2025-03-23"
    with Store.open(config.store_path) as store:
        assert store.watermark("arxiv|categories cs.CV") == "2025-03-23"


def test_two_concurrent_ingests_store_each_paper_once(project: Path):
    with ReplayServer() as server:
        serve_pages(server, 120)
        config = project_config(project, server)
        errors: list[BaseException] = []

        def ingest() -> None:
            try:
                source = ArxivApiSource(config.sources.arxiv, ["cs.CV"])
                report = read_source(config, source, until=date(2025, 3, 17))
                assert report.error is None
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=ingest) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    with Store.open(config.store_path) as store:
        papers = store.papers()
        assert len(papers) == 120 and len({p.arxiv_id for p in papers}) == 120
        assert all(len(p.provenance) == 1 for p in papers)


def test_cli_ingest_reads_a_source_and_reports_a_failing_one(project: Path):
    with ReplayServer() as server:
        serve_pages(server, 25)
        server.on("POST", "/graph/v1/paper/batch", Reply(429, b"{}"))
        config = project_config(project, server, live='["arxiv", "s2"]')
        args = ["--config", str(project / "litradar.toml")]
        good = runner.invoke(
            app,
            [
                "ingest",
                "--source",
                "arxiv",
                "--since",
                "2025-03-10",
                "--until",
                "2025-03-17",
                *args,
            ],
        )
        assert good.exit_code == 0, good.output
        assert "arxiv: 25 read, 25 added" in good.output
        bad = runner.invoke(app, ["ingest", "--source", "s2", "--until", "2025-03-17", *args])
        assert bad.exit_code == 1
        assert "error: s2: FAILED" in bad.stderr and "429" in bad.stderr
        assert bad.output.count("Too Many Requests") == 1  # said once, not warned then said
        assert "Traceback" not in bad.output
    reports = {r["source"]: r for r in latest_source_reports(config)}
    assert reports["arxiv"]["status"] == "ok" and reports["s2"]["status"] == "failed"


def test_cli_ingest_needs_something_to_read_and_rejects_a_bad_date(project: Path):
    args = ["--config", str(project / "litradar.toml")]
    nothing = runner.invoke(app, ["ingest", *args])
    assert nothing.exit_code == 1 and "nothing to ingest" in nothing.output
    bad_date = runner.invoke(app, ["ingest", "--source", "arxiv", "--since", "last week", *args])
    assert bad_date.exit_code == 1 and "is not a date" in bad_date.output
    missing = runner.invoke(app, ["ingest", "--source", "nope.jsonl", *args])
    assert missing.exit_code == 1 and "no such file: nope.jsonl" in missing.output


def test_cli_sources_shows_each_marks_and_last_run(project: Path):
    args = ["--config", str(project / "litradar.toml")]
    with ReplayServer() as server:
        serve_pages(server, 5)
        project_config(project, server)
        empty = runner.invoke(app, ["sources", *args])
        assert "no live source has run yet" in empty.output
        runner.invoke(app, ["ingest", "--source", "arxiv", "--until", "2025-03-17", *args])
    shown = runner.invoke(app, ["sources", *args])
    assert shown.exit_code == 0, shown.output
    assert "configured live sources: arxiv" in shown.output
    assert "arxiv: read up to 2025-03-17" in shown.output
    assert "last run: arxiv: 5 read, 5 added" in shown.output


def test_an_interrupted_or_killed_run_is_said_so_not_shown_as_a_good_one(project: Path):
    """Ctrl-C left a "crashed" run that `sources` and the digest showed as "10 read, 10
    added"; a kill -9 left a "running" one, and `sources` said no source had run."""
    from litradar.digests.markdown import _sources_block
    from litradar.sources.report import describe_source_run, latest_source_reports

    args = ["--config", str(project / "litradar.toml")]
    with ReplayServer() as server:
        serve_pages(server, 5)
        config = project_config(project, server)
    with Store.open(config.store_path, create=True) as store:
        detail = {"source": "arxiv", "since": "2025-03-03", "until": "2025-03-17", "pages": 1,
                  "fetched": 10, "added": 10, "updated": 0, "unchanged": 0, "watermark": None,
                  "error": None, "notes": []}  # fmt: skip
        store.finish_run(store.start_run("ingest:arxiv", detail), "crashed", detail)
        store.start_run("ingest:s2", detail | {"source": "s2", "pages": 0, "added": 0})
    shown = runner.invoke(app, ["sources", *args])
    assert "no live source has run yet" not in shown.output
    assert "last run: arxiv: INTERRUPTED after 1 page(s), 10 added" in shown.output
    assert "s2: started " in shown.output and "not finished (still running, or killed)" in (
        shown.output
    )
    [crashed] = latest_source_reports(config)  # the digest: finished runs only
    assert describe_source_run(crashed).startswith("arxiv: INTERRUPTED")
    digest = SimpleNamespace(sources=[crashed])
    assert _sources_block(digest)[2].startswith("- **arxiv: INTERRUPTED")  # type: ignore[arg-type]


def test_an_explicit_window_that_ends_before_it_starts_is_one_line(project: Path):
    args = ["--config", str(project / "litradar.toml")]
    with ReplayServer() as server:
        project_config(project, server)
        result = runner.invoke(
            app, ["ingest", "-s", "arxiv", "--since", "2025-03-17", "--until", "2025-03-10", *args]
        )
    assert result.exit_code == 1
    assert (
        "error: empty window: --since 2025-03-17 is not before --until 2025-03-10" in result.output
    )
    assert server.seen == []


def test_an_error_that_echoes_the_s2_key_is_redacted_in_stderr_and_the_store(
    project: Path, monkeypatch
):
    """A server (or a proxy) whose error body echoes the request's headers must not carry
    the key into the terminal, the store's runs table or anything built from it."""
    key = "S2-canary-key-0123456789abcdef"
    monkeypatch.setenv("S2_API_KEY", key)

    def echo(seen):  # the headers it was sent, as such a server lists them
        sent = seen.headers.get("x-api-key", "")
        basic = base64.b64encode(f"user:{sent}".encode()).decode()
        text = f"bad request; x-api-key={sent} url={quote(sent)} auth=Basic {basic}"
        return Reply(400, json.dumps({"error": text}).encode())

    with ReplayServer() as server:
        server.on("POST", "/graph/v1/paper/batch", echo)
        server.on("GET", "/graph/v1/paper/search/bulk", echo)
        config = project_config(project, server, live='["s2"]')
        args = ["--config", str(project / "litradar.toml")]
        bad = runner.invoke(app, ["ingest", "--source", "s2", "--until", "2025-03-17", *args])
        assert server.seen and server.seen[0].headers["x-api-key"] == key  # it was sent
    assert bad.exit_code == 1 and "s2: FAILED" in bad.output
    assert "***" in bad.output
    with Store.open(config.store_path) as store:
        stored = json.dumps(store.runs())
    basic_tail = base64.b64encode(f"user:{key}".encode()).decode()[12:-4]
    for text in (bad.output, stored):
        assert key not in text and quote(key) not in text
        assert basic_tail not in text
        assert key[3:-3] not in text


def test_a_huge_abstract_is_stored_cut_with_one_line_that_says_so(project: Path):
    """A 50 MB abstract (a broken or hostile source) is not stored whole."""
    record = {"id": "2503.99123", "title": "Probing CLIP", "abstract": "word " * 10_000_000,
              "authors": "A. Author", "categories": "cs.CV", "update_date": "2025-03-11",
              "versions": [{"version": "v1", "created": "Tue, 11 Mar 2025 10:00:00 GMT"}]}  # fmt: skip
    snapshot = project / "huge.jsonl"
    snapshot.write_text(json.dumps(record) + "\n", encoding="utf-8")
    config = load_config(write_config(project), environ={})
    result = runner.invoke(
        app, ["ingest", str(snapshot), "--config", str(config.base_dir / "litradar.toml")]
    )
    assert result.exit_code == 0, result.output[:2000]
    said = [line for line in result.output.splitlines() if "cut to" in line]
    assert len(said) == 1 and "abstract cut to 20,000 characters (was 49,999,999)" in said[0]
    # Stored, not skipped: the summary said "1 line(s) skipped" for it.
    assert "1 added" in result.output and "0 line(s) skipped" in result.output
    assert "1 stored with a field cut" in result.output
    with Store.open(config.store_path) as store:
        assert len(store.by_key("2503.99123").abstract) == 20_000


def _bulk_file(path: Path, n: int) -> Path:
    lines = (
        json.dumps({"id": f"2503.{i:05d}", "title": f"Paper number {i} on probing CLIP",
                    "abstract": f"Abstract {i}: " + "we find that heads carry it. " * 40,
                    "authors": "A. Author and B. Author", "categories": "cs.CV",
                    "versions": [{"version": "v1", "created": "Tue, 11 Mar 2025 10:00:00 GMT"}]})
        for i in range(n)
    )  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_file_goes_into_the_store_a_page_at_a_time_not_held_whole(project: Path):
    """Four times the papers must not take more memory: the file's pages go into
    its one transaction as they are read (150k lines once held 464 MB). Python's own
    allocations are traced; SQLite's page cache is not among them."""
    import tracemalloc

    from litradar.core.progress import SilentReporter
    from litradar.sources.registry import open_file
    from litradar.sources.runner import read_file

    config = load_config(write_config(project), environ={})
    peaks = []
    for n in (3_000, 12_000):  # pages of 1,000 lines
        with Store.open(project / f"store-{n}.sqlite", create=True) as store:
            source = open_file(config, _bulk_file(project / f"bulk-{n}.jsonl", n))
            tracemalloc.start()
            stored, problems, _ = read_file(store, source, SilentReporter())
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            assert (stored.added, problems) == (n, [])
            assert len(store.store_ids()) == n
    assert peaks[1] < 1.5 * peaks[0], peaks
