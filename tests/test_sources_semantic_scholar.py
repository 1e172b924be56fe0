"""The Semantic Scholar client and source against a server on 127.0.0.1 that replays the
recorded responses in tests/fixtures/recorded/semantic_scholar."""

from __future__ import annotations

import itertools
import json
from datetime import date

import pytest

from litradar.config import SemanticScholarConfig
from litradar.core.paper import Provenance
from litradar.sources.semantic_scholar import S2Client, SemanticScholarSource, to_paper
from litradar.sources.source_error import SourceError
from tests.conftest import RECORDED
from tests.replay import ReplayServer, Reply

SEARCH = "/graph/v1/paper/search"
BULK = "/graph/v1/paper/search/bulk"
BATCH = "/graph/v1/paper/batch"
RECOMMEND = "/recommendations/v1/papers/"


def s2_config(server: ReplayServer, **overrides) -> SemanticScholarConfig:
    settings = {
        "url": server.url,
        "min_interval_seconds": 0.0,
        "retries": 3,
        "backoff_seconds": 0.01,
        "timeout_seconds": 2.0,
    }
    return SemanticScholarConfig(**(settings | overrides))


def recorded_json(name: str):
    return json.loads((RECORDED / "semantic_scholar" / name).read_text(encoding="utf-8"))


def test_relevance_search_pages_by_offset_and_stops_without_next():
    with ReplayServer() as server:
        server.on(
            "GET",
            SEARCH,
            Reply.recorded("semantic_scholar/search_small_total_no_next.json"),
            query="edit distance",
        )
        server.on(
            "GET",
            SEARCH,
            Reply.recorded("semantic_scholar/search_turing_two_pages.1.json"),
            offset="0",
        )
        server.on(
            "GET",
            SEARCH,
            Reply.recorded("semantic_scholar/search_turing_two_pages.2.json"),
            offset="100",
        )
        with S2Client(s2_config(server)) as client:
            pages = list(itertools.islice(client.search("turing", fields="title"), 2))
            assert [len(p) for p in pages] == [100, 100]
            assert [s.query["offset"] for s in server.seen] == ["0", "100"]
            last = list(client.search("edit distance", fields="title"))
            assert [len(p) for p in last] == [89]  # no `next`: one page, then stop


def test_relevance_search_stops_at_the_offset_cap():
    with ReplayServer() as server:
        server.on(
            "GET",
            SEARCH,
            Reply.json({"total": 9999, "offset": 0, "next": 900, "data": []}),
            offset="0",
        )
        server.on(
            "GET",
            SEARCH,
            Reply.json({"total": 9999, "offset": 900, "next": 1000, "data": []}),
            offset="900",
        )
        with S2Client(s2_config(server)) as client:
            assert len(list(client.search("x"))) == 2
        assert server.seen[-1].query["limit"] == "100"  # 900 + 100 = the cap of 1000


def test_empty_search_has_no_data_key_and_gives_an_empty_page():
    with ReplayServer() as server:
        server.on("GET", SEARCH, Reply.recorded("semantic_scholar/search_empty_result.json"))
        with S2Client(s2_config(server)) as client:
            assert list(client.search("n0 r3sult")) == [[]]


def test_bulk_search_follows_tokens_until_a_null_token():
    first_token = recorded_json("search_bulk_token_paging.1.json")["token"]
    second_token = recorded_json("search_bulk_token_paging.2.json")["token"]
    with ReplayServer() as server:
        server.on(
            "GET",
            BULK,
            Reply.recorded("semantic_scholar/search_bulk_token_paging.3.json"),
            token=second_token,
        )
        server.on(
            "GET",
            BULK,
            Reply.recorded("semantic_scholar/search_bulk_token_paging.2.json"),
            token=first_token,
        )
        server.on("GET", BULK, Reply.recorded("semantic_scholar/search_bulk_token_paging.1.json"))
        with S2Client(s2_config(server)) as client:
            sizes = [len(p) for p in client.search_bulk("kubernetes", fields="title")]
        assert sizes == [1000, 1000, 674]
        assert "token" not in server.seen[0].query and server.seen[2].query["token"] == second_token


def test_batch_keeps_input_order_with_null_for_unknown_ids():
    with ReplayServer() as server:
        server.on(
            "POST", BATCH, Reply.recorded("semantic_scholar/paper_batch_with_unknown_id_null.json")
        )
        with S2Client(s2_config(server)) as client:
            found = client.batch(["CorpusId:211530585", "a", "b", "c"])
        assert found[0] is None and all(found[1:])
        assert json.loads(server.seen[0].body) == {"ids": ["CorpusId:211530585", "a", "b", "c"]}
        assert to_paper(found[0], Provenance("s2")) is None


def test_citations_are_read_to_the_last_page():
    with ReplayServer() as server:
        for n in range(1, 20):
            server.on(
                "GET", "/graph/v1/paper/CorpusID:14514057/citations",
                Reply.recorded(f"semantic_scholar/paper_citations_paged.{n}.json"),
                offset=str((n - 1) * 100),
            )  # fmt: skip
        with S2Client(s2_config(server)) as client:
            citing = [c for page in client.citations("CorpusID:14514057", "title") for c in page]
        assert len(citing) == 1881 and len(server.seen) == 19
    recorded = {
        c["citingPaper"]["paperId"]
        for n in range(1, 20)
        for c in recorded_json(f"paper_citations_paged.{n}.json")["data"]
    }
    assert {c["paperId"] for c in citing} == recorded


def test_recommendations_and_the_negative_only_400():
    with ReplayServer() as server:
        server.on(
            "POST", RECOMMEND, Reply.recorded("semantic_scholar/recommendations_from_lists.json")
        )
        with S2Client(s2_config(server)) as client:
            papers = client.recommendations(["10.1145/3544585.3544600"], ["10.1145/301250.301271"])
        assert len(papers) > 10 and all(p["paperId"] for p in papers)
        sent = json.loads(server.seen[0].body)
        assert sent["positivePaperIds"] == ["10.1145/3544585.3544600"]
    with ReplayServer() as server:
        server.on(
            "POST",
            RECOMMEND,
            Reply.recorded("semantic_scholar/recommendations_from_lists_negative_only_400.json"),
        )
        with S2Client(s2_config(server)) as client, pytest.raises(SourceError, match="No positive"):
            client.recommendations([], ["10.1145/301250.301271"])
        assert len(server.seen) == 1  # a 400 is not retried


def test_the_recorded_429_429_200_sequence_succeeds_and_keeps_null_abstracts_empty():
    replies = [
        Reply.recorded(f"semantic_scholar/search_429_then_200_full_fields.{n}.json")
        for n in (1, 2, 3)
    ]
    with ReplayServer() as server:
        server.on("GET", SEARCH, *replies)
        with S2Client(s2_config(server)) as client:
            [page] = list(itertools.islice(client.search("turing"), 1))
        assert len(server.seen) == 3 and len(page) == 100
    papers = [to_paper(item, Provenance("s2 search", "turing")) for item in page]
    kept = [p for p in papers if p is not None]
    assert len(kept) == 92  # 8 have no publication date to file them by
    assert sum(1 for p in kept if p.abstract == "") >= 25
    assert all(p.venue != "arXiv.org" for p in kept)
    national = [p for p in kept if p.venue and "National Academy" in p.venue]
    assert national and national[0].arxiv_id is None and national[0].key.startswith("s2:")


def test_a_429_storm_gives_up_after_the_retry_budget():
    with ReplayServer() as server:
        server.on(
            "GET", SEARCH, Reply.recorded("semantic_scholar/search_429_then_200_full_fields.1.json")
        )
        with (
            S2Client(s2_config(server, retries=2)) as client,
            pytest.raises(SourceError, match=r"gave up after 3 tries.*429"),
        ):
            list(client.search("turing"))
        assert len(server.seen) == 3


def test_a_bad_key_gets_a_clear_message_that_does_not_contain_the_key():
    with ReplayServer() as server:
        server.on("POST", BATCH, Reply.recorded("semantic_scholar/error_403_bad_api_key.json"))
        with (
            S2Client(s2_config(server), api_key="F@k3K3y") as client,
            pytest.raises(SourceError) as caught,
        ):
            client.batch(["x"])
        assert "S2_API_KEY" in str(caught.value) and "F@k3K3y" not in str(caught.value)
        assert server.seen[0].headers["x-api-key"] == "F@k3K3y"
        assert server.seen[0].headers["User-Agent"].startswith("litradar/")


def test_a_timeout_is_retried_and_app_errors_are_not():
    with ReplayServer() as server:
        slow = Reply.recorded("semantic_scholar/search_empty_result.json")
        slow.delay = 1.0
        server.on("GET", SEARCH, slow, Reply.recorded("semantic_scholar/search_empty_result.json"))
        server.on(
            "GET",
            "/graph/v1/paper/0",
            Reply.recorded("semantic_scholar/error_404_not_found.1.json"),
        )
        server.on(
            "GET",
            "/graph/v1/paper/10.1093/mind/lix.236.433",
            Reply.recorded("semantic_scholar/error_400_unknown_field.json"),
        )
        with S2Client(s2_config(server, timeout_seconds=0.3)) as client:
            assert list(client.search("slow")) == [[]]
            with pytest.raises(SourceError, match="Paper with id 0 not found"):
                client.request("GET", "/graph/v1/paper/0")
            with pytest.raises(SourceError, match=r"HTTP 400\): Unrecognized or unsupported"):
                client.request(
                    "GET", "/graph/v1/paper/10.1093/mind/lix.236.433", {"fields": "unknown"}
                )


def test_the_source_snowballs_citations_in_the_window_with_their_provenance():
    """Citing papers are real recorded S2 paper objects, wrapped in the citations envelope.
    One batch call finds the list papers S2 knows; an unknown one and an uncited one cost
    no further request."""
    items = recorded_json("search_429_then_200_full_fields.3.json")["data"]
    citing = {"offset": 0, "data": [{"citingPaper": item} for item in items]}
    known = [
        None,
        {"paperId": "s2survey", "citationCount": 97},
        {"paperId": "s2new", "citationCount": 0},
    ]
    with ReplayServer() as server:
        server.on("POST", BATCH, Reply.json(known))
        server.on("GET", "/graph/v1/paper/s2survey/citations", Reply.json(citing))
        config = s2_config(server, queries=[], recommendations=False)
        source = SemanticScholarSource(
            config, {"9999.99999": "Unknown", "2502.17516": "MI Survey", "2503.00001": "New"}
        )
        papers = [p for page in source.pages(date(2025, 1, 1), date(2026, 1, 1)) for p in page]
        assert json.loads(server.seen[0].body)["ids"][1] == "arXiv:2502.17516"
        assert [s.path for s in server.seen] == [BATCH, "/graph/v1/paper/s2survey/citations"]
        assert server.seen[1].query["fields"].startswith("title,abstract")
    expected = [i for i in items if (i.get("publicationDate") or "").startswith("2025")]
    assert len(papers) == len(expected) > 0
    assert all(p.provenance == (Provenance("cites", "MI Survey"),) for p in papers)
    assert source.notes == ["Semantic Scholar does not know list paper 9999.99999"]


# Issue 13, hole 3: what S2 answers is checked, never a traceback.


def test_an_answer_of_the_wrong_shape_is_a_source_error():
    with ReplayServer() as server:
        server.on("GET", BULK, Reply.json([{"paperId": "x"}]))
        server.on("POST", BATCH, Reply.json({"not": "a list"}))
        with S2Client(s2_config(server)) as client:
            with pytest.raises(SourceError, match="a list where an object was expected"):
                list(client.search_bulk("anything"))
            with pytest.raises(SourceError, match="an object where a list was expected"):
                client.batch(["arXiv:2503.00001"])


def test_an_item_with_an_impossible_date_or_wrong_types_is_a_note_and_the_rest_goes_in():
    good = {"paperId": "good1", "title": "A good paper about probing", "publicationDate":
            "2025-03-11", "externalIds": {"ArXiv": "2503.00001"}, "authors": [{"name": "A"}]}  # fmt: skip
    items = [
        good,
        good | {"paperId": "baddate", "publicationDate": "2026-13-45"},
        good | {"paperId": "badauthors", "authors": "A and B"},
        good | {"paperId": "badids", "externalIds": ["ArXiv", "2503.1"]},
        good | {"paperId": "badtitle", "title": ["a", "list"]},
        "not an object",
        # Ids that would end up in links: a DOI or paperId with a line break or markup.
        good | {"paperId": "baddoi", "externalIds": {"DOI": "10.1/x\n+ [Injected](http://e)"}},
        good | {"paperId": "[bold]x\n[/bold]"},
    ]
    with ReplayServer() as server:
        server.on("GET", BULK, Reply.json({"total": 8, "data": items}))
        config = s2_config(server, queries=["probing"], citations=False, recommendations=False)
        source = SemanticScholarSource(config, {})
        papers = [p for page in source.pages(date(2025, 3, 10), date(2025, 3, 17)) for p in page]
    assert [p.s2_id for p in papers] == ["good1"]
    assert source.notes == [
        "Semantic Scholar item baddate skipped: unreadable publicationDate '2026-13-45'",
        "Semantic Scholar item badauthors skipped: 'authors' is a string, not a list",
        "Semantic Scholar item badids skipped: 'externalIds' is a list, not an object",
        "Semantic Scholar item badtitle skipped: 'title' is a list, not text",
        "Semantic Scholar item ? skipped: a string, not an object",
        "Semantic Scholar item baddoi skipped: malformed DOI '10.1/x\\n+ [Injected](http://e)'",
        "Semantic Scholar item ? skipped: malformed paperId '[bold]x\\n[/bold]'",
    ]


def test_a_title_of_blanks_is_no_title():
    """Checked before the blanks were collapsed: stored with an empty title, in a digest."""
    item = {"paperId": "a" * 40, "title": " \t\u200f\n ", "publicationDate": "2025-03-11"}
    assert to_paper(item, Provenance("s2")) is None
    invisible = item | {"title": "\u200b\u2060\u200b"}  # zero-width: a link with nothing shown
    assert to_paper(invisible, Provenance("s2")) is None
    assert to_paper(item | {"title": " Probing  CLIP "}, Provenance("s2")).title == "Probing CLIP"


def test_a_query_with_its_own_start_searches_and_keeps_its_own_window():
    """The runner gives a query new to the config the first run's look-back
    (tests/test_sources_runner.py); the source must ask for it and keep what it finds."""
    empty = Reply(200, json.dumps({"total": 0, "data": [], "token": None}).encode())
    with ReplayServer() as server:
        server.on("GET", BULK, empty)
        config = s2_config(server, queries=["old query", "new query"], citations=False)
        source = SemanticScholarSource(config, {})
        assert source.parts() == ["query old query", "query new query"]
        source.part_starts = {"query new query": date(2025, 3, 1)}
        assert list(source.pages(date(2025, 3, 10), date(2025, 3, 17))) == [[], []]
        windows = {s.query["query"]: s.query["publicationDateOrYear"] for s in server.seen}
    assert windows == {
        "old query": "2025-03-10:2025-03-16",
        "new query": "2025-03-01:2025-03-16",
    }
