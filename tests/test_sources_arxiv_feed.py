"""The arXiv listing feed source. There is no recording of rss.arxiv.org in the fixtures we
have: the feeds served here are constructed from arXiv's documented RSS format, with real
paper metadata (see tests/fixtures/arxiv_rss/README.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from litradar.config import FeedConfig, load_config
from litradar.core.paper import Provenance
from litradar.sources.arxiv_feed import FeedSource, split_creators
from litradar.sources.runner import read_source
from litradar.sources.source_error import SourceError
from litradar.storage.store import Store
from tests.conftest import write_config
from tests.replay import ReplayServer, Reply

FEEDS = Path(__file__).resolve().parent / "fixtures" / "arxiv_rss"
WEEKDAY = FEEDS / "cs.CL+cs.AI_2025-03-11.xml"
SATURDAY = FEEDS / "cs.CL+cs.AI_2025-03-15_saturday_empty.xml"
PATH = "/rss/cs.CL+cs.AI"
CATEGORIES = ["cs.CL", "cs.AI"]


def feed_reply(path: Path) -> Reply:
    return Reply(200, path.read_bytes(), {"Content-Type": "application/rss+xml; charset=utf-8"})


def source_for(server: ReplayServer, **overrides) -> FeedSource:
    settings = {"url": server.url + "/rss", "retries": 2, "backoff_seconds": 0.01}
    return FeedSource(FeedConfig(**(settings | overrides)), CATEGORIES)


def test_split_creators_reads_arxivs_one_string_of_authors():
    assert split_creators("Ann Lee, Bo Chen and Cy Dee") == ("Ann Lee", "Bo Chen", "Cy Dee")
    assert split_creators("Ann Lee, Bo Chen, and Cy Dee") == ("Ann Lee", "Bo Chen", "Cy Dee")
    assert split_creators("Solo Author") == ("Solo Author",)


def test_new_and_cross_listed_papers_are_read_and_replacements_skipped():
    with ReplayServer() as server:
        server.on("GET", PATH, feed_reply(WEEKDAY))
        source = source_for(server)
        [papers] = list(source.pages(date(2025, 3, 10), date(2025, 3, 12)))
        assert server.seen[0].headers["User-Agent"].startswith("litradar/")
    assert [p.arxiv_id for p in papers] == ["2502.19519", "2503.01855", "2503.04728", "2503.04730"]
    first = papers[0]
    assert first.authors == (
        "Nicolai Hejlesen Jørgensen",
        "Sarmilan Tharmabalan",
        "Ilhan Aslan",
        "Nicolai Brodersen Hansen",
        "Timothy Merritt",
    )
    assert first.abstract.startswith("This paper presents a game master AI")
    assert "Announce Type" not in first.abstract
    assert first.first_version_date == date(2025, 3, 11)
    assert first.provenance == (Provenance("feed", "cs.CL+cs.AI"),)
    assert source.notes == ["2 replacements of older papers skipped"]


def test_a_weekend_feed_is_empty_and_that_is_not_an_error(tmp_path: Path):
    with ReplayServer() as server:
        server.on("GET", PATH, feed_reply(SATURDAY))
        write_config(
            tmp_path,
            sources='categories = ["cs.CL", "cs.AI"]',
            extra=f'[sources.feed]\nurl = "{server.url}/rss"\n',
        )
        config = load_config(tmp_path / "litradar.toml", environ={})
        report = read_source(config, source_for(server), until=date(2025, 3, 16))
    assert report.error is None and report.fetched == 0
    assert report.notes == ["the feed is empty (a weekend or an arXiv holiday)"]
    with Store.open(config.store_path) as store:
        assert store.watermark("feed:cs.CL+cs.AI") == "2025-03-16"


def test_missed_days_are_noted_with_the_backfill_command():
    with ReplayServer() as server:
        server.on("GET", PATH, feed_reply(WEEKDAY))
        source = source_for(server)
        list(source.pages(date(2025, 3, 1), date(2025, 3, 12)))
    assert any("litradar ingest --source arxiv --since 2025-03-01" in n for n in source.notes)


def test_a_server_error_is_retried_and_a_non_feed_or_404_is_an_error():
    with ReplayServer() as server:
        server.on("GET", PATH, Reply(503, b"down"), feed_reply(WEEKDAY))
        [papers] = list(source_for(server).pages(date(2025, 3, 10), date(2025, 3, 12)))
        assert len(papers) == 4 and len(server.seen) == 2
    with ReplayServer() as server:
        server.on("GET", PATH, Reply(200, b"<html><body>maintenance</body"))
        with pytest.raises(SourceError, match="not a feed"):
            list(source_for(server).pages(date(2025, 3, 10), date(2025, 3, 12)))
    with ReplayServer() as server:
        server.on("GET", PATH, Reply(404, b"no such feed"))
        with pytest.raises(SourceError, match="HTTP 404"):
            list(source_for(server).pages(date(2025, 3, 10), date(2025, 3, 12)))
        assert len(server.seen) == 1


def test_reading_the_feed_twice_in_a_day_stores_nothing_twice(tmp_path: Path):
    with ReplayServer() as server:
        server.on("GET", PATH, feed_reply(WEEKDAY))
        write_config(tmp_path, sources='categories = ["cs.CL", "cs.AI"]')
        config = load_config(tmp_path / "litradar.toml", environ={})
        first = read_source(config, source_for(server), until=date(2025, 3, 12))
        second = read_source(config, source_for(server), until=date(2025, 3, 12))
    assert (first.added, second.added, second.unchanged) == (4, 0, 4)
    assert second.error is None and second.since == "2025-03-11"


# Issue 13, hole 11: a page that is not the whole feed is a failure, never "empty".

MAINTENANCE = (
    b"<!DOCTYPE html>\n<html><head><title>arXiv is down for maintenance</title></head>"
    b"<body><h1>Maintenance</h1><p>Back soon.</p></body></html>\n"
)


def read_into_store(tmp_path: Path, server: ReplayServer):
    write_config(tmp_path, sources='categories = ["cs.CL", "cs.AI"]')
    config = load_config(tmp_path / "litradar.toml", environ={})
    with Store.open(config.store_path, create=True) as store:
        store.set_watermark("feed:cs.CL+cs.AI", "2025-03-10")
    report = read_source(config, source_for(server), until=date(2025, 3, 12))
    with Store.open(config.store_path) as store:
        return report, store.watermark("feed:cs.CL+cs.AI"), store.count()


def test_an_html_page_answered_with_200_is_a_failure_and_the_mark_stays(tmp_path: Path):
    with ReplayServer() as server:
        server.on("GET", PATH, Reply(200, MAINTENANCE, {"Content-Type": "text/html"}))
        report, mark, count = read_into_store(tmp_path, server)
        assert len(server.seen) == 3  # retried: a maintenance page passes
    assert report.error is not None and "HTML page, not a feed" in report.error
    assert "empty" not in " ".join(report.notes)
    assert (mark, count) == ("2025-03-10", 0)


def test_a_feed_cut_off_mid_item_is_a_failure_and_nothing_of_it_is_stored(tmp_path: Path):
    whole = WEEKDAY.read_bytes()
    cut = whole[: whole.index(b"<item>", whole.index(b"<item>", whole.index(b"<item>") + 1) + 1)
                + 200]  # fmt: skip
    with ReplayServer() as server:
        server.on("GET", PATH, Reply(200, cut, {"Content-Type": "application/rss+xml"}))
        report, mark, count = read_into_store(tmp_path, server)
    assert report.error is not None and "cut short" in report.error
    assert (mark, count) == ("2025-03-10", 0)
    with ReplayServer() as server:  # the next run reads the whole feed
        server.on("GET", PATH, feed_reply(WEEKDAY))
        report, mark, count = read_into_store(tmp_path, server)
    assert report.error is None and (mark, count) == ("2025-03-12", 4)


def test_a_bad_pubdate_or_an_empty_title_is_a_note_about_that_item_only():
    text = WEEKDAY.read_text(encoding="utf-8")
    first_date = "<pubDate>Tue, 11 Mar 2025 00:00:00 -0400</pubDate>\n      <arxiv"
    assert first_date in text
    text = text.replace(first_date, "<pubDate>Tuesday the 11th</pubDate>\n      <arxiv", 1)
    text = text.replace("<title>Function-Coherent Gambles</title>", "<title> </title>", 1)
    with ReplayServer() as server:
        server.on("GET", PATH, Reply(200, text.encode(), {"Content-Type": "application/rss+xml"}))
        source = source_for(server)
        [papers] = list(source.pages(date(2025, 3, 10), date(2025, 3, 12)))
    assert [p.arxiv_id for p in papers] == ["2503.04728", "2503.04730"]
    assert source.notes[:2] == [
        "entry 2502.19519 skipped: unreadable pubDate 'Tuesday the 11th'",
        "entry 2503.01855 skipped: no title",
    ]
