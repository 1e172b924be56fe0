from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from litradar.paper import Paper
from litradar.store import Store


def paper(arxiv_id: str, day: int = 10, version: int = 1, title: str = "Title") -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        abstract="Abstract.",
        authors=("A",),
        first_version_date=date(2025, 3, day),
        version=version,
    )


def test_same_papers_twice_change_nothing(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite") as store:
        first = store.upsert([paper("2503.00001"), paper("2503.00002")])
        again = store.upsert([paper("2503.00001"), paper("2503.00002")])
        assert (first.added, again.added, again.unchanged) == (2, 0, 2)
        assert store.count() == 2


def test_a_newer_version_updates_in_place_and_an_older_one_is_ignored(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite") as store:
        store.upsert([paper("2503.00001", version=1, title="Old")])
        before = store.get("2503.00001")
        result = store.upsert([paper("2503.00001", version=2, title="New")])
        after = store.get("2503.00001")
        assert result.updated == 1
        assert after.title == "New" and after.version == 2
        assert after.store_id == before.store_id  # its FAISS id stays the same
        assert store.upsert([paper("2503.00001", version=1, title="Old")]).unchanged == 1
        assert store.get("2503.00001").title == "New"


def test_a_crash_inside_a_write_keeps_what_was_stored(tmp_path: Path):
    path = tmp_path / "s.sqlite"
    with Store.open(path) as store:
        store.upsert([paper("2503.00001")])

    def crashing():
        yield paper("2503.00002")
        raise RuntimeError("disk on fire")

    with Store.open(path) as store, pytest.raises(RuntimeError):
        store.upsert(crashing())
    with Store.open(path) as store:
        assert [p.arxiv_id for p in store.papers()] == ["2503.00001"]


def test_window_is_on_first_version_date_since_inclusive_until_exclusive(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite") as store:
        store.upsert([paper(f"2503.0000{d}", day=d) for d in range(1, 9)])
        window = store.papers(since=date(2025, 3, 3), until=date(2025, 3, 6))
        assert [p.first_version_date.day for p in window] == [3, 4, 5]


def test_embeddings_are_cached_by_model_and_text(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite") as store:
        vector = np.arange(4, dtype=np.float32)
        store.put_embeddings("m", {"sha1": vector})
        assert np.array_equal(store.cached_embeddings("m", ["sha1", "sha2"])["sha1"], vector)
        assert store.cached_embeddings("other-model", ["sha1"]) == {}


def test_text_change_changes_the_cache_key():
    a = paper("2503.00001")
    assert a.text_sha != replace(a, abstract="Changed.").text_sha
