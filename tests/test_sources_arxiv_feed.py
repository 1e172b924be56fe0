"""The arXiv listing feed source. There is no recording of rss.arxiv.org in the fixtures we
have: the feeds served here are constructed from arXiv's documented RSS format, with real
paper metadata (see tests/fixtures/arxiv_rss/README.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from litradar.config import FeedConfig, load_config
from litradar.live_ingest import read_source
from litradar.paper import Provenance
from litradar.sources.arxiv_feed import FeedSource, split_creators
from litradar.sources.live import SourceError
from litradar.store import Store
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
