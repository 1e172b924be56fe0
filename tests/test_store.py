import multiprocessing
import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from litradar.core.errors import LitradarError
from litradar.core.paper import Paper, Provenance
from litradar.storage.store import SCHEMA_VERSION, Store


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
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        first = store.upsert([paper("2503.00001"), paper("2503.00002")])
        again = store.upsert([paper("2503.00001"), paper("2503.00002")])
        assert (first.added, again.added, again.unchanged) == (2, 0, 2)
        assert store.count() == 2


def test_a_newer_version_updates_in_place_and_an_older_one_is_ignored(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
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
    with Store.open(path, create=True) as store:
        store.upsert([paper("2503.00001")])

    def crashing():
        yield paper("2503.00002")
        raise RuntimeError("disk on fire")

    with Store.open(path, create=True) as store, pytest.raises(RuntimeError):
        store.upsert(crashing())
    with Store.open(path, create=True) as store:
        assert [p.arxiv_id for p in store.papers()] == ["2503.00001"]


def test_window_is_on_first_version_date_since_inclusive_until_exclusive(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        store.upsert([paper(f"2503.0000{d}", day=d) for d in range(1, 9)])
        window = store.papers(since=date(2025, 3, 3), until=date(2025, 3, 6))
        assert [p.first_version_date.day for p in window] == [3, 4, 5]


def test_embeddings_are_cached_by_model_and_text(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        vector = np.arange(4, dtype=np.float32)
        store.put_embeddings("m", {"sha1": vector})
        assert np.array_equal(store.cached_embeddings("m", ["sha1", "sha2"])["sha1"], vector)
        assert store.cached_embeddings("other-model", ["sha1"]) == {}


def test_text_change_changes_the_cache_key():
    a = paper("2503.00001")
    assert a.text_sha != replace(a, abstract="Changed.").text_sha


# one paper, one record -------------------------------------------------------------------

S2_TITLE = "Sparse Autoencoders Find Interpretable Features in CLIP"


def arxiv_paper(**changes) -> Paper:
    base = Paper(
        arxiv_id="2503.04242",
        title=S2_TITLE,
        abstract="The arXiv abstract.",
        authors=("Ann Lee", "Bo Chen"),
        first_version_date=date(2025, 3, 6),
        source="arxiv",
        provenance=(Provenance("arxiv", "cs.CV"),),
    )
    return replace(base, **changes)


def s2_paper(**changes) -> Paper:
    base = Paper(
        arxiv_id=None,
        s2_id="abc123",
        title="Sparse autoencoders find interpretable features in CLIP.",
        abstract="",  # S2 withholds some abstracts: null arrives as empty
        authors=("A. Lee", "B. Chen"),
        first_version_date=date(2025, 6, 1),
        doi="10.1109/CVPR.2025.1",
        venue="CVPR",
        source="s2",
        provenance=(Provenance("cites", "SAE 4 LMM"),),
    )
    return replace(base, **changes)


def test_an_s2_record_of_an_arxiv_paper_merges_into_it_and_keeps_the_best_of_each(
    tmp_path: Path,
):
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        store.upsert([arxiv_paper()])
        result = store.upsert([s2_paper()])
        assert (result.added, result.updated) == (0, 1)
        [merged] = store.papers()
        assert merged.abstract == "The arXiv abstract."  # S2's null does not erase it
        assert merged.title == S2_TITLE and merged.authors == ("Ann Lee", "Bo Chen")
        assert (merged.venue, merged.s2_id, merged.doi) == ("CVPR", "abc123", "10.1109/cvpr.2025.1")
        assert merged.first_version_date == date(2025, 3, 6)
        assert [p.describe() for p in merged.provenance] == ["arxiv: cs.CV", "cites: SAE 4 LMM"]
        again = store.upsert([s2_paper(), arxiv_paper()])
        assert again.unchanged == 2 and store.count() == 1


def test_arxiv_text_replaces_an_s2_only_record_which_keeps_its_row_id(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        store.upsert([s2_paper()])
        before = store.papers()[0]
        assert before.key == "s2:abc123" and before.abs_url == "https://doi.org/10.1109/cvpr.2025.1"
        store.upsert([arxiv_paper(doi="https://doi.org/10.1109/CVPR.2025.1")])
        [after] = store.papers()
        assert after.store_id == before.store_id and after.key == "2503.04242"
        assert after.abstract == "The arXiv abstract." and after.source == "arxiv"
        assert after.venue == "CVPR"


def test_dois_match_across_case_and_resolver_urls(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        store.upsert([s2_paper(title="Something else entirely, long enough")])
        store.upsert(
            [s2_paper(s2_id=None, title="Other", doi="https://doi.org/10.1109/cvpr.2025.1")]
        )
        assert store.count() == 1


def test_short_titles_and_contradicting_ids_do_not_merge(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        store.upsert([arxiv_paper(title="Introduction")])
        store.upsert([s2_paper(title="Introduction", doi=None)])
        store.upsert(
            [arxiv_paper(arxiv_id="2503.09999", title="A shared title that is long enough")]
        )
        store.upsert(
            [arxiv_paper(arxiv_id="2503.08888", title="A shared title that is long enough")]
        )
        assert store.count() == 4


def test_watermarks_are_kept_per_source(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        assert store.watermark("arxiv") is None
        store.set_watermark("arxiv", "2025-03-17")
        store.set_watermark("s2", "2025-03-10")
        store.set_watermark("arxiv", "2025-03-24")
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        assert (store.watermark("arxiv"), store.watermark("s2")) == ("2025-03-24", "2025-03-10")


V1_SCHEMA = """
CREATE TABLE papers (
    id INTEGER PRIMARY KEY, arxiv_id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
    abstract TEXT NOT NULL, authors TEXT NOT NULL, first_version_date TEXT NOT NULL,
    version INTEGER NOT NULL, categories TEXT NOT NULL, doi TEXT, comments TEXT,
    source TEXT NOT NULL, text_sha TEXT NOT NULL, added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX papers_by_date ON papers (first_version_date);
CREATE TABLE embeddings (model TEXT NOT NULL, text_sha TEXT NOT NULL, dim INTEGER NOT NULL,
    vector BLOB NOT NULL, PRIMARY KEY (model, text_sha));
CREATE TABLE runs (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, started_at TEXT NOT NULL,
    finished_at TEXT, status TEXT NOT NULL, detail TEXT);
PRAGMA user_version=1;
"""


def test_a_store_of_schema_1_is_upgraded_in_place_with_its_ids(tmp_path: Path):
    """The schema the first release wrote (papers keyed by arXiv id only)."""
    import sqlite3

    path = tmp_path / "s.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(V1_SCHEMA)
        db.execute(
            "INSERT INTO papers VALUES (7, '2503.00001', 'Old Title: A Study Long Enough', 'Abs.',"
            " '[\"A\"]', '2025-03-03', 2, 'cs.CV', '10.1/X', NULL, 'file', 'sha', 't', 't')"
        )
    with Store.open(path, create=True) as store:
        [paper] = store.papers()
        assert (paper.store_id, paper.arxiv_id, paper.version, paper.doi) == (
            7,
            "2503.00001",
            2,
            "10.1/x",
        )
        assert [p.describe() for p in paper.provenance] == ["file"]
        store.upsert([s2_paper(title="Old title - a study long enough", doi=None)])
        assert store.count() == 1 and store.papers()[0].venue == "CVPR"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_later_record_fills_an_abstract_the_first_one_lacked(tmp_path: Path):
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        store.upsert([s2_paper()])
        assert store.upsert([s2_paper(abstract="Found elsewhere.", venue=None)]).updated == 1
        [paper] = store.papers()
        assert (paper.abstract, paper.venue) == ("Found elsewhere.", "CVPR")


def _open_after(path: Path, start, errors) -> None:
    start.wait()
    try:
        with Store.open(path, create=True) as store:
            store.upsert([])
    except BaseException as exc:  # reported to the parent, which asserts there are none
        errors.put(repr(exc))


def test_many_processes_opening_a_new_store_at_once_all_get_it(tmp_path: Path):
    """Opening switches a new file to WAL and creates the schema; SQLite does not wait for
    the WAL switch, so without litradar's retry some of these failed 'database is locked'."""
    context = multiprocessing.get_context("fork")
    for attempt in range(5):
        path = tmp_path / f"new-{attempt}.sqlite"
        start, errors = context.Barrier(8), context.Queue()
        workers = [
            context.Process(target=_open_after, args=(path, start, errors)) for _ in range(8)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert errors.empty(), errors.get()
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


# Issue 13, holes 3 and 4: where the store is, and who holds it.


def test_a_store_is_created_only_when_asked(tmp_path: Path):
    missing = tmp_path / "nonexistent" / "x" / "litradar.sqlite"
    with pytest.raises(LitradarError, match=r"no store at .*run 'litradar ingest'"):
        Store.open(missing)
    assert not (tmp_path / "nonexistent").exists()
    with pytest.raises(LitradarError, match="does not exist"):
        Store.open(missing, create=True)  # a typo'd data_dir two levels deep
    assert not (tmp_path / "nonexistent").exists()
    with Store.open(tmp_path / "index" / "litradar.sqlite", create=True) as store:
        assert store.count() == 0


def test_a_data_dir_that_is_a_file_is_one_line(tmp_path: Path):
    (tmp_path / "index").write_text("not a folder")
    for create in (False, True):
        with pytest.raises(LitradarError, match="is a file, not a folder"):
            Store.open(tmp_path / "index" / "litradar.sqlite", create=create)
    (tmp_path / "data" / "litradar.sqlite").mkdir(parents=True)  # the store's name a folder
    for create in (False, True):
        with pytest.raises(LitradarError, match="is a folder, not a litradar store"):
            Store.open(tmp_path / "data" / "litradar.sqlite", create=create)


HOLD = """
import sys, time
from pathlib import Path
from litradar.storage.store import Store
sys.argv = ["litradar", "ingest", "big-snapshot.jsonl"]
with Store.open(Path(sys.stdin.readline().strip()), create=True) as store:
    with store._transaction():
        print("holding", flush=True)
        time.sleep(60)
"""


def test_a_busy_store_is_one_line_that_names_the_command_holding_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import subprocess
    import sys

    import litradar.storage.store

    path = tmp_path / "litradar.sqlite"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        holder.stdin.write(f"{path}\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "holding"
        monkeypatch.setattr(litradar.storage.store, "BUSY_TIMEOUT_SECONDS", 0.3)
        with Store.open(path) as store:
            assert store.count() == 0  # reading is not blocked (WAL)
            with pytest.raises(LitradarError) as caught:
                store.upsert([paper("2503.00001")])
        message = str(caught.value)
        assert "\n" not in message
        assert "busy" in message and "litradar ingest big-snapshot.jsonl" in message
        assert f"pid {holder.pid}" in message
    finally:
        holder.kill()
        holder.wait()
    with Store.open(path) as store:  # the holder is gone: writing works again
        store.upsert([paper("2503.00001")])
        assert store.count() == 1


@pytest.mark.parametrize("s2_first", [False, True])
def test_arxivs_first_version_date_wins_over_semantic_scholars(tmp_path: Path, s2_first: bool):
    """Issue 13, hole 12: S2's publication date (2024-06-01, a workshop) moved 2503.06048 out
    of its digest week when it was earlier than arXiv's first version (2025-03-11)."""
    arxiv = arxiv_paper(arxiv_id="2503.06048", first_version_date=date(2025, 3, 11))
    s2 = s2_paper(arxiv_id="2503.06048", first_version_date=date(2024, 6, 1))
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        store.upsert([s2, arxiv] if s2_first else [arxiv, s2])
        [merged] = store.papers()
        assert merged.first_version_date == date(2025, 3, 11)
        assert store.papers(since=date(2025, 3, 10), until=date(2025, 3, 17)) == [merged]
        assert merged.venue == "CVPR"  # S2 still adds what arXiv does not know


def test_two_arxiv_records_keep_the_earlier_date(tmp_path: Path):
    """The listing feed dates a paper by its announcement; the bulk file by its submission."""
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        store.upsert([arxiv_paper(source="feed", first_version_date=date(2025, 3, 12))])
        store.upsert([arxiv_paper(source="file", first_version_date=date(2025, 3, 10))])
        assert store.papers()[0].first_version_date == date(2025, 3, 10)


def test_short_names_are_kept_apart_from_labels_and_a_schema_3_store_gets_them(tmp_path: Path):
    path = tmp_path / "store.sqlite"
    with Store.open(path, create=True) as store:
        store.upsert([paper("2503.00001")])
        store.set_label("2503.00001", True, "Logit Lens", "web")
    with sqlite3.connect(path) as db:  # as the release before short names left it
        db.execute("DROP TABLE short_names")
        db.execute("PRAGMA user_version=3")
    with Store.open(path) as store:
        assert store.short_names() == {}
        store.set_short_name("2503.00001", "LensVLM", "web")
        store.set_label("2503.00001", True, "Causal Tracing", "litradar label")
        assert store.short_names() == {"2503.00001": "LensVLM"}  # a relabel keeps the name
        assert store.labels()[0]["section"] == "Causal Tracing"
        store.set_short_name("2503.00001", None, "web")
        assert store.short_names() == {}


def test_an_empty_or_foreign_file_is_no_store_except_to_a_command_that_adds(tmp_path: Path):
    """A zero-byte file (truncated, or a creation cut short) was taken for a new store by
    `digest`, which then wrote a digest of nothing over the week's."""
    path = tmp_path / "litradar.sqlite"
    path.write_bytes(b"")
    with pytest.raises(LitradarError, match="holds no litradar store"):
        Store.open(path)
    foreign = tmp_path / "other.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE notes (x)")
    with pytest.raises(LitradarError, match="holds no litradar store"):
        Store.open(foreign)
    with sqlite3.connect(foreign) as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["notes"]
    with Store.open(path, create=True) as store:  # ingest starts one where creation stopped
        store.upsert([paper("2503.00001")])
    with Store.open(path) as store:
        assert store.count() == 1


def test_a_label_and_its_tags_are_stored_together_or_not_at_all(tmp_path: Path):
    path = tmp_path / "s.sqlite"
    with Store.open(path, create=True) as store:
        store.upsert([paper("2503.00001")])
        store.decide("2503.00001", True, "Logit Lens", {"model": ["CLIP", "CLIP"]}, "test")
        assert [t["class_name"] for t in store.tag_labels()] == ["CLIP"]  # said twice, once
    db = sqlite3.connect(path)
    with db:  # the tags' write fails, as a full disk or a constraint would
        db.execute(
            "CREATE TRIGGER no_tags BEFORE INSERT ON tag_labels "
            "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
    db.close()
    with Store.open(path) as store:
        with pytest.raises(sqlite3.IntegrityError, match="disk says no"):
            store.decide("2503.00001", False, None, {"model": ["generative VLM"]}, "test")
        labels = store.labels()
    assert [(r["relevant"], r["section"]) for r in labels] == [(1, "Logit Lens")]  # unchanged


def test_where_a_paper_was_found_reads_the_same_whatever_the_clock_said(tmp_path: Path):
    """Two files ingested in different seconds (a run, or a crash between them and a
    re-run) must give the digest the same "found by" line: the order is the sources'."""
    path = tmp_path / "s.sqlite"
    with Store.open(path, create=True) as store:
        store.upsert([arxiv_paper(provenance=(Provenance("file", "b.jsonl"),))])
        store.upsert([arxiv_paper(provenance=(Provenance("file", "a.jsonl"),))])
    orders = []
    for earlier in ("a.jsonl", "b.jsonl"):
        db = sqlite3.connect(path)
        with db:
            db.execute("UPDATE provenance SET first_seen = '2025-03-10T07:00:01+00:00'")
            db.execute(
                "UPDATE provenance SET first_seen = '2025-03-10T07:00:00+00:00' WHERE detail = ?",
                (earlier,),
            )
        db.close()
        with Store.open(path) as store:
            orders.append([p.describe() for p in store.papers()[0].provenance])
    assert orders[0] == orders[1] == ["file: a.jsonl", "file: b.jsonl"]
