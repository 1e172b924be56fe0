"""The arXiv API source through the `arxiv` package, against a server on 127.0.0.1 that
replays the recorded responses in tests/fixtures/recorded/arxiv_api."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import arxiv
import pytest

from litradar.config import ArxivApiConfig, load_config
from litradar.sources.arxiv_api import ArxivApiSource, ArxivClient, date_window_query
from litradar.sources.runner import read_source
from litradar.sources.source_error import SourceError
from litradar.storage.store import Store
from tests.arxiv_atom import page, paper_id
from tests.conftest import write_config
from tests.replay import ReplayServer, Reply

QUERY = "/api/query"


def api_config(server: ReplayServer, **overrides) -> ArxivApiConfig:
    settings = {
        "url": server.url + QUERY,
        "delay_seconds": 0.0,
        "retries": 2,
        "backoff_seconds": 0.01,
        "timeout_seconds": 2.0,
        "page_size": 10,
        "queries": [],
    }
    return ArxivApiConfig(**(settings | overrides))


def test_recorded_search_pages_are_read_in_order_with_a_litradar_user_agent():
    with ReplayServer() as server:
        server.on(
            "GET", QUERY, Reply.recorded("arxiv_api/search_testing_start0_max10.xml"), start="0"
        )
        server.on(
            "GET", QUERY, Reply.recorded("arxiv_api/search_testing_start10_max10.xml"), start="10"
        )
        client = ArxivClient(api_config(server))
        results = list(client.results(arxiv.Search(query="testing", max_results=20)))
        assert len(results) == 20
        assert [s.query["start"] for s in server.seen] == ["0", "10"]
        assert all(s.query["max_results"] == "10" for s in server.seen)
        assert all(s.headers["User-Agent"].startswith("litradar/") for s in server.seen)
        assert results[0].get_short_id() == "2202.12139v1"


def test_the_error_feed_is_an_error_with_arxivs_message_and_is_not_retried():
    with ReplayServer() as server:
        server.on("GET", QUERY, Reply.recorded("arxiv_api/id_abc_400_error.xml"))
        source = ArxivApiSource(api_config(server), [])
        with pytest.raises(SourceError, match=r"HTTP 400.*incorrect id format for abc"):
            source.by_ids(["abc"])
        assert len(server.seen) == 1


def test_unknown_ids_give_no_papers_and_a_mixed_list_gives_the_known_one():
    with ReplayServer() as server:
        server.on(
            "GET", QUERY, Reply.recorded("arxiv_api/id_0808.05394_unknown_id_empty.xml"),
            id_list="0808.05394",
        )  # fmt: skip
        server.on(
            "GET", QUERY, Reply.recorded("arxiv_api/id_list_one_missing_one_found.xml"),
            id_list="0808.05394,1707.08567",
        )  # fmt: skip
        source = ArxivApiSource(api_config(server), [])
        assert source.by_ids(["0808.05394"]) == []
        [found] = source.by_ids(["0808.05394", "1707.08567"])
        assert found.arxiv_id == "1707.08567" and len(found.authors) == 34
        assert "Dirk Wübben" in found.authors


def test_old_style_ids_and_the_paper_titled_zero_are_papers():
    with ReplayServer() as server:
        server.on(
            "GET",
            QUERY,
            Reply.recorded("arxiv_api/id_astro-ph_0601001_old_style_id.xml"),
            id_list="astro-ph/0601001",
        )
        server.on(
            "GET",
            QUERY,
            Reply.recorded("arxiv_api/id_2104.12255v1_title_zero.xml"),
            id_list="2104.12255v1",
        )
        source = ArxivApiSource(api_config(server), [])
        [old] = source.by_ids(["astro-ph/0601001"])
        assert old.arxiv_id == "astro-ph/0601001" and not old.abstract.startswith(" ")
        [zero] = source.by_ids(["2104.12255v1"])
        assert zero.title == "0" and zero.version == 1


def test_a_truncated_body_is_retried_not_taken_as_a_short_page():
    full = page(0, 10, 10)
    with ReplayServer() as server:
        server.on("GET", QUERY, Reply(200, full[: len(full) // 2]), Reply(200, full))
        papers = [p for batch in ArxivApiSource(api_config(server), ["cs.CV"]).pages(
            date(2025, 3, 10), date(2025, 3, 17)) for p in batch]  # fmt: skip
        assert [p.arxiv_id for p in papers] == [paper_id(i) for i in range(10)]
        assert len(server.seen) == 2


def test_a_cut_page_read_again_leaves_no_note_of_the_entry_it_cut():
    """The cut attempt's "Skipping entry ... missing <published>" stayed a note of the run
    (shown by `sources`) though the entry was read whole on the retry and stored."""
    full = page(0, 10, 10)
    cut = full[: full.rindex(b"<published>")]  # the last entry loses its date
    with ReplayServer() as server:
        server.on("GET", QUERY, Reply(200, cut), Reply(200, full))
        source = ArxivApiSource(api_config(server), ["cs.CV"])
        papers = [p for batch in source.pages(date(2025, 3, 10), date(2025, 3, 17)) for p in batch]
    assert [p.arxiv_id for p in papers] == [paper_id(i) for i in range(10)]
    assert source.notes == []


def test_a_body_that_stays_truncated_fails_after_the_retry_budget():
    full = page(0, 10, 10)
    with ReplayServer() as server:
        server.on("GET", QUERY, Reply(200, full[:-200]))
        source = ArxivApiSource(api_config(server, retries=2), ["cs.CV"])
        with pytest.raises(SourceError, match=r"after 3 tries.*ended before its closing feed tag \(cut off\)"):
            list(source.pages(date(2025, 3, 10), date(2025, 3, 17)))
        assert len(server.seen) == 3


def test_an_html_page_answered_with_200_is_said_to_be_one():
    """A proxy's page read as a cut feed: "the response ended before" (its "</feed>" lost
    with the markup), not a word of HTML."""
    html = b"<!DOCTYPE html><html><body>Service unavailable</body></html>"
    with ReplayServer() as server:
        server.on("GET", QUERY, Reply(200, html, {"Content-Type": "text/html"}))
        source = ArxivApiSource(api_config(server, retries=0), ["cs.CV"])
        with pytest.raises(SourceError) as caught:
            list(source.pages(date(2025, 3, 10), date(2025, 3, 17)))
    assert "gave up after 1 try: the server answered an HTML page" in str(caught.value)


def test_a_timeout_then_an_answer_and_a_503_then_an_answer():
    with ReplayServer() as server:
        server.on("GET", QUERY, Reply(200, page(0, 10, 10), delay=1.5), Reply(200, page(0, 10, 10)))
        source = ArxivApiSource(api_config(server, timeout_seconds=0.3), ["cs.CV"])
        assert len(next(source.pages(date(2025, 3, 10), date(2025, 3, 17)))) == 10
    with ReplayServer() as server:
        server.on("GET", QUERY, Reply(503, b"busy"), Reply(200, page(0, 10, 10)))
        source = ArxivApiSource(api_config(server), ["cs.CV"])
        assert len(next(source.pages(date(2025, 3, 10), date(2025, 3, 17)))) == 10


def test_queries_cover_categories_keywords_and_the_window():
    source = ArxivApiSource(
        ArxivApiConfig(queries=['abs:"sparse autoencoder"']), ["cs.CV", "cs.CL"]
    )
    searches = [q for _, q in source.searches(date(2025, 3, 10), date(2025, 3, 17))]
    window = "submittedDate:[202503100000 TO 202503162359]"
    assert window == date_window_query(date(2025, 3, 10), date(2025, 3, 17))
    assert searches == [
        f"(cat:cs.CV OR cat:cs.CL) AND {window}",
        f'(abs:"sparse autoencoder") AND {window}',
    ]


def _paged(server: ReplayServer, total: int, per_page: int, broken: int | None = None) -> None:
    for start in range(0, total, per_page):
        reply = Reply(500, b"oops") if start == broken else Reply(200, page(start, per_page, total))
        server.on("GET", QUERY, reply, start=str(start))


def _project_config(tmp_path: Path, server: ReplayServer):
    write_config(
        tmp_path,
        sources='categories = ["cs.CV"]\nlive = ["arxiv"]',
        extra=(
            f'[sources.arxiv]\nurl = "{server.url}{QUERY}"\ndelay_seconds = 0.0\nretries = 1\n'
            "backoff_seconds = 0.01\npage_size = 10\nqueries = []\n"
        ),
    )
    return load_config(tmp_path / "litradar.toml", environ={})


def test_a_failure_between_pages_then_a_rerun_stores_everything_once(tmp_path: Path):
    until = date(2025, 3, 17)
    with ReplayServer() as server:
        _paged(server, total=35, per_page=10, broken=20)
        config = _project_config(tmp_path, server)
        source = ArxivApiSource(config.sources.arxiv, ["cs.CV"])
        first = read_source(config, source, until=until)
        assert first.error and "HTTP 500" in first.error
        assert (first.pages, first.added) == (2, 20)  # the pages before the failure are kept
        with Store.open(config.store_path) as store:
            assert store.watermark("arxiv") is None  # the mark did not move
            assert store.count() == 20

        server.routes.clear()
        _paged(server, total=35, per_page=10)
        second = read_source(config, ArxivApiSource(config.sources.arxiv, ["cs.CV"]), until=until)
        assert second.error is None
        assert (second.added, second.unchanged) == (15, 20)
        with Store.open(config.store_path) as store:
            assert store.count() == 35
            assert store.watermark("arxiv") == "2025-03-17"
            stored = store.get(paper_id(34))
            assert stored.code_url == "https://github.com/example/gen-34"
            assert stored.source == "arxiv"
            assert stored.provenance[0].describe() == "arxiv: cs.CV"

        # The next run starts from the mark minus the overlap, and finds nothing new.
        third = read_source(config, ArxivApiSource(config.sources.arxiv, ["cs.CV"]), until=until)
        assert third.since == "2025-03-10" and third.added == 0
        window = server.seen[-1].query["search_query"]
        assert "submittedDate:[202503100000 TO 202503162359]" in window


def test_an_entry_whose_id_is_no_arxiv_id_is_noted_and_skipped():
    """Stored, "not-an-id" would be a second record beside the paper's real one."""
    body = page(0, 3, 3).decode().replace(f"http://arxiv.org/abs/{paper_id(1)}v1",
                                          "http://arxiv.org/abs/not-an-id")  # fmt: skip
    with ReplayServer() as server:
        server.on("GET", QUERY, Reply(200, body.encode(), {"Content-Type": "application/atom+xml"}))
        source = ArxivApiSource(api_config(server), ["cs.CV"])
        papers = [p for batch in source.pages(date(2025, 3, 10), date(2025, 3, 17)) for p in batch]
    assert [p.arxiv_id for p in papers] == [paper_id(0), paper_id(2)]
    assert source.notes == ["entry without an arXiv id skipped: http://arxiv.org/abs/not-an-id"]


def test_an_entry_the_arxiv_package_skips_is_a_note_of_the_run(tmp_path: Path):
    """The package drops an entry without <published> with a log line only; the watermark
    would move past it unremarked."""
    body = re.sub(r"<published>[^<]*</published>", "", page(0, 3, 3).decode(), count=1)
    with ReplayServer() as server:
        server.on("GET", QUERY, Reply(200, body.encode(), {"Content-Type": "application/atom+xml"}))
        config = load_config(write_config(tmp_path), environ={})
        config = config.model_copy(update={"sources": config.sources.model_copy(
            update={"arxiv": api_config(server)})})  # fmt: skip
        report = read_source(config, ArxivApiSource(config.sources.arxiv, ["cs.CV"]),
                             until=date(2025, 3, 17))  # fmt: skip
    assert report.error is None and report.added == 2
    assert report.notes == [f"arXiv API: Skipping entry http://arxiv.org/abs/{paper_id(0)}v1 "
                            "missing <published>"]  # fmt: skip
