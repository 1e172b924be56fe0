"""Fault injection: `kill -9` at random moments of ingest, index, train and digest, each a
real `litradar` process, then a re-run. After every kill the store passes SQLite's
integrity check and holds whole files or none, and a reader finds a whole digest pair;
after every re-run the result is the one an uninterrupted run gives: the same papers
once each, an index of exactly the store's papers, the same models, the same digest, and
no temporary left behind.

Seeded and bounded: `LITRADAR_FAULT_SEED` (default 13) picks the moments, and
`LITRADAR_FAULT_KILLS` (default 1) scales how many kills each step gets (3 ingest, 2
index, 1 train, 2 digest at 1: the kills that matter most are the placed ones below). Half the
moments fall anywhere in the command's work, half near its end, where it writes. The
figures are printed at the end of each test (`pytest -s`).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import faiss
import pytest

from litradar.core.errors import LitradarError
from litradar.core.paper import Paper
from litradar.curation.awesome_list import parse_list
from litradar.digests.generations import GENERATIONS, load
from litradar.ranking.model_files import load_models
from litradar.sources.arxiv_jsonl import read_jsonl
from litradar.steps.backfill import SnapshotFilter
from litradar.storage.paper_index import PaperIndex, content_fingerprint
from litradar.storage.store import Store
from tests.conftest import DEMO, write_config
from tests.faultpoints import hidden_leftovers, kill_at

# Its module-scoped fixture is built once: all its tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("test_faults")

SEED = int(os.environ.get("LITRADAR_FAULT_SEED", "13"))
SCALE = max(1, int(os.environ.get("LITRADAR_FAULT_KILLS", "1")))
KILLS = {"ingest": 3 * SCALE, "index": 2 * SCALE, "train": 1 * SCALE, "digest": 2 * SCALE}
WEEK_LINES = 300  # of the bundled week: enough for a real train, small enough to be quick
WINDOW = ["--since", "2025-03-10", "--until", "2025-03-17"]
NAME = "2025-W11"


# The `litradar` command line, run as a user runs it, but with its modules imported before
# the command starts, and a line on stderr when they are: the kill then lands in the
# command's own work, not in Python importing numpy (1.2 s of a 1.6 s ingest here).
START = (
    "import sys, litradar.cli, litradar.steps.pipeline, litradar.digests.generations; "
    "print('started', file=sys.stderr, flush=True); "
    "sys.argv = ['litradar', *sys.argv[1:]]; litradar.cli.app()"
)


def litradar(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", START, *args, "--config", str(project / "litradar.toml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | (env or {}),
    )
    assert process.stderr.readline().strip() == "started"
    return process


def run(project: Path, *args: str, env: dict[str, str] | None = None) -> float:
    """Run to the end; return how long the command itself took."""
    process = litradar(project, *args, env=env)
    started = time.monotonic()
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, f"{args}: {out}\n{err}"
    return time.monotonic() - started


def run_and_kill(stages: dict, start: str, folder: Path, args: list[str], delay: float):
    """A copy of the `start` stage in `folder`, and `kill -9` `delay` seconds into the
    command run on it. A command that finished first (this machine was quicker than in the
    reference run) is tried again on a new copy, killed at the same fraction of the time it
    just took, twice at most. Returns the project and whether the kill landed while the
    command ran."""
    fraction = delay / stages["timing"][args[0]]
    for attempt in range(3):
        project = folder / f"attempt-{attempt}"
        shutil.copytree(stages["copies"][start], project, symlinks=True)
        process = litradar(project, *args)
        started = time.monotonic()
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.communicate()  # reaped: a zombie's pid would look alive
            return project, True
        delay = fraction * (time.monotonic() - started) * 0.9
        process.communicate()
    return project, False


def project_files(project: Path) -> list[Path]:
    data = project / "data"
    return [data / "arxiv_seed.jsonl", data / "week.jsonl"]


def distinct_papers(path: Path) -> set[str]:
    return {p.arxiv_id for p in read_jsonl(path) if isinstance(p, Paper) and p.arxiv_id}


@pytest.fixture(scope="module")
def stages(tmp_path_factory) -> dict:
    """One uninterrupted pass (the reference) and a copy of the project after each step."""
    root = tmp_path_factory.mktemp("faults")
    fresh = root / "fresh"
    shutil.copytree(DEMO, fresh / "data")
    week = (DEMO / "weeks" / "2025-03-10.jsonl").read_text(encoding="utf-8").splitlines()
    (fresh / "data" / "week.jsonl").write_text("\n".join(week[:WEEK_LINES]) + "\n")
    write_config(fresh)
    files = [str(f) for f in project_files(fresh)]
    timing, copies = {}, {"fresh": fresh}
    previous = fresh
    for step, args in (
        ("ingest", ["ingest", *files]),
        ("index", ["index"]),
        ("train", ["train"]),
        ("digest", ["digest", *WINDOW]),
    ):
        copy = root / step
        shutil.copytree(previous, copy, symlinks=True)
        timing[step] = run(copy, *args)
        copies[step] = previous = copy
    # An older, different digest of the same week (one proposal): the pair a killed digest
    # run must leave whole if it does not leave the new one.
    older = root / "older-digest"
    shutil.copytree(copies["train"], older, symlinks=True)
    run(older, "digest", *WINDOW, env={"LITRADAR_DIGEST__SIZE": "1"})
    copies["older-digest"] = older
    first, second = project_files(fresh)
    return {
        "copies": copies,
        "timing": timing,
        "files": files,
        "after_first_file": len(distinct_papers(first)),
        "papers": len(distinct_papers(first) | distinct_papers(second)),
    }


def delays(step: str, stages: dict) -> list[float]:
    """Moments in the command's work as the reference run took it, every other one in its
    last third, where the files are written (seeded)."""
    rng = random.Random(f"{SEED}:{step}")
    took = stages["timing"][step]
    return [
        rng.uniform(0.0, took) if n % 2 == 0 else rng.uniform(took * 0.67, took)
        for n in range(KILLS[step])
    ]


def report(step: str, stages: dict, landed: int, states: Counter) -> None:
    shown = ", ".join(f"{state}: {n}" for state, n in sorted(states.items()))
    print(f"\nfault injection, {step}: {KILLS[step]} kill -9 (seed {SEED}) within its "
          f"{stages['timing'][step]:.1f} s, {landed} while it ran; found after the kill: {shown}; "
          "every re-run whole")  # fmt: skip


# what must hold -----------------------------------------------------------------------------


def store_state(project: Path) -> tuple[str, int]:
    """SQLite's own integrity check, then (check result, number of papers)."""
    path = project / "index" / "litradar.sqlite"
    if not path.exists():
        return "no store", 0
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'papers'").fetchone():
            return "no tables yet", 0
        return "ok", db.execute("SELECT COUNT(*) FROM papers").fetchone()[0]


def assert_no_duplicates(project: Path, expected: int) -> None:
    with sqlite3.connect(project / "index" / "litradar.sqlite") as db:
        total, ids, titles = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT arxiv_id), COUNT(DISTINCT title_key) FROM papers"
        ).fetchone()
        provenance = db.execute("SELECT COUNT(*) FROM provenance").fetchone()[0]
    assert total == ids == expected
    assert titles >= expected - 5  # a few different papers share a title; none twice by a crash
    assert provenance >= total


def faiss_ids(index: faiss.Index) -> list[int]:
    """The ids FAISS itself holds: the id map of a flat index, the inverted lists of an IVF."""
    if hasattr(index, "id_map"):
        return [int(i) for i in faiss.vector_to_array(index.id_map)]
    ivf = faiss.extract_index_ivf(index)
    lists = ivf.invlists
    ids: list[int] = []
    for number in range(ivf.nlist):
        size = lists.list_size(number)
        if size:
            ids += faiss.rev_swig_ptr(lists.get_ids(number), size).tolist()
    return ids


def assert_index_is_the_store(project: Path) -> None:
    with Store.open(project / "index" / "litradar.sqlite") as store:
        papers = store.papers()
        cached = store.cached_embeddings("hashing", [p.text_sha for p in papers])
    index = PaperIndex.load(project / "index", "hashing")
    assert index is not None
    ids = sorted(faiss_ids(index.index))
    assert ids == sorted(p.store_id for p in papers)
    expected = content_fingerprint([p.store_id for p in papers], [p.text_sha for p in papers])
    assert index.fingerprint == expected
    for paper in papers[:: max(1, len(papers) // 20)]:
        assert (index.index.reconstruct(paper.store_id) == cached[paper.text_sha]).all()


def proposals_of_pair(project: Path) -> tuple[list[str], list[str]] | None:
    """The proposals as the markdown and as the JSON of the pair a reader gets."""
    digests = project / "digests"
    if not (digests / f"{NAME}.md").exists():
        return None
    digest = load(digests, NAME)
    in_markdown = sorted(e.arxiv_id for e in parse_list(digest.markdown).papers)
    in_json = sorted(p["arxiv_id"] for p in digest.document["papers"] if p["proposed"])
    shown = [(digests / f"{NAME}.{s}").resolve().parent for s in ("md", "json")]
    assert shown[0] == shown[1]  # the two files a user opens are of one generation too
    return in_markdown, in_json


def assert_no_leftovers(folder: Path) -> None:
    """Nothing a writer made aside, of any name (a dot-name or `.tmp`), and no digest
    generation that no link names."""
    left = hidden_leftovers(folder)
    assert left == [], left
    generations = folder / GENERATIONS
    if generations.is_dir():
        linked = {os.readlink(p) for p in folder.iterdir() if p.is_symlink()}
        unlinked = [
            g.name for g in generations.iterdir() if f"{GENERATIONS}/{g.name}" not in linked
        ]
        assert unlinked == [], unlinked


def assert_faiss_count_is_the_stored_embeddings(project: Path, model: str = "hashing") -> None:
    with sqlite3.connect(project / "index" / "litradar.sqlite") as db:
        embedded = db.execute(
            "SELECT COUNT(*) FROM papers p JOIN embeddings e "
            "ON e.model = ? AND e.text_sha = p.text_sha",
            (model,),
        ).fetchone()[0]
    index = PaperIndex.load(project / "index", model)
    assert index is not None and index.size == embedded


def digest_document(project: Path) -> dict:
    document = load(project / "digests", NAME).document
    document.pop("generated_at")
    return document


# the kills ----------------------------------------------------------------------------------


def test_kill_ingest_then_rerun(stages: dict, tmp_path: Path):
    whole_files = {0, stages["after_first_file"], stages["papers"]}
    states, landed = Counter(), 0
    for n, delay in enumerate(delays("ingest", stages)):
        args = ["ingest", *stages["files"]]
        project, hit = run_and_kill(stages, "fresh", tmp_path / f"{n}", args, delay)
        landed += hit
        state, count = store_state(project)
        assert count in whole_files, (delay, count)  # each file is one transaction
        states[state if state != "ok" else f"{count} papers"] += 1
        run(project, "ingest", *stages["files"])
        assert_no_duplicates(project, stages["papers"])
        if n == 0:
            again = litradar(project, "ingest", *stages["files"])
            assert "0 added, 0 updated" in again.communicate()[0]  # a third run: no change
    report("ingest", stages, landed, states)


def test_kill_index_then_rerun(stages: dict, tmp_path: Path):
    states, landed = Counter(), 0
    for n, delay in enumerate(delays("index", stages)):
        project, hit = run_and_kill(stages, "ingest", tmp_path / f"{n}", ["index"], delay)
        landed += hit
        assert store_state(project) == ("ok", stages["papers"])
        with Store.open(project / "index" / "litradar.sqlite") as store:
            cached = len(store.cached_embeddings("hashing", [p.text_sha for p in store.papers()]))
        built = PaperIndex.paths(project / "index", "hashing")[1].exists()
        states["index built" if built else f"{cached} embeddings cached"] += 1
        run(project, "index")
        assert_index_is_the_store(project)
        assert_no_leftovers(project / "index")
    report("index", stages, landed, states)


def test_kill_train_then_rerun(stages: dict, tmp_path: Path):
    reference = json.loads((stages["copies"]["train"] / "classifiers" / "metrics.json").read_text())
    states, landed = Counter(), 0
    for n, delay in enumerate(delays("train", stages)):
        # models of an earlier train exist: the kill may land between their files
        project, hit = run_and_kill(stages, "train", tmp_path / f"{n}", ["train"], delay)
        landed += hit
        assert store_state(project) == ("ok", stages["papers"])
        states["killed" if any(project.glob("classifiers/.*.tmp")) else "no temporary"] += 1
        run(project, "train")
        load_models(project / "classifiers", "hashing")
        metrics = json.loads((project / "classifiers" / "metrics.json").read_text())
        assert metrics["relevance"] == reference["relevance"]
        assert metrics["placement"] == reference["placement"]
        assert_no_leftovers(project / "classifiers")
    report("train", stages, landed, states)


def test_kill_digest_then_rerun(stages: dict, tmp_path: Path):
    reference = digest_document(stages["copies"]["digest"])
    reference_proposed = sorted(p["arxiv_id"] for p in reference["papers"] if p["proposed"])
    assert len(reference_proposed) > 1  # else the older pair and the new could not differ
    states, landed = Counter(), 0
    for n, delay in enumerate(delays("digest", stages)):
        args = ["digest", *WINDOW]
        project, hit = run_and_kill(stages, "older-digest", tmp_path / f"{n}", args, delay)
        landed += hit
        in_markdown, in_json = proposals_of_pair(project)
        assert in_markdown == in_json  # both files of one run
        assert len(in_json) in (1, len(reference_proposed))  # the older pair, or the new
        states[f"{len(in_json)}-proposal pair"] += 1
        run(project, "digest", *WINDOW)
        assert proposals_of_pair(project)[0] == reference_proposed
        assert digest_document(project) == reference
        assert_no_leftovers(project / "digests")
    report("digest", stages, landed, states)


# kills inside each step's critical window (litradar.core.atomic_files.faultpoint) -----------------------
#
# The seeded kills above land wherever the clock says; these land exactly between a write
# and the commit that makes it count, where a broken guarantee shows. Each point pauses the
# real command there (tests/faultpoints.py), its process group gets kill -9, and then:
# SQLite's integrity check, rows equal to the distinct inputs with no duplicate, no leftover
# of any name, a re-run that succeeds, and a FAISS index of exactly the stored embeddings.

MORE_LINES = 120  # papers of the bundled week past WEEK_LINES: what the index grows by


def whole_after_rerun(project: Path, stages: dict, *rerun: str, env: dict | None = None) -> None:
    assert store_state(project)[0] in ("ok", "no store", "no tables yet")
    if rerun:
        run(project, *rerun, env=env)
    assert store_state(project)[0] == "ok"


@pytest.fixture(scope="module")
def grown(stages: dict, tmp_path_factory) -> dict:
    """The indexed project with MORE_LINES new papers ingested: the index must grow."""
    root = tmp_path_factory.mktemp("grown")
    project = root / "grown"
    shutil.copytree(stages["copies"]["index"], project, symlinks=True)
    week = (DEMO / "weeks" / "2025-03-10.jsonl").read_text(encoding="utf-8").splitlines()
    more = project / "data" / "more.jsonl"
    more.write_text("\n".join(week[WEEK_LINES : WEEK_LINES + MORE_LINES]) + "\n")
    run(project, "ingest", str(more))
    first, second = project_files(project)
    papers = len(distinct_papers(first) | distinct_papers(second) | distinct_papers(more))
    indexed = PaperIndex.load(stages["copies"]["index"] / "index", "hashing").size
    return {"project": project, "papers": papers, "indexed_before": indexed}


@pytest.mark.parametrize(
    "point", ["store.upsert-before-commit"]
)
def test_a_kill_inside_the_ingest_transaction(stages: dict, tmp_path: Path, point: str):
    project = tmp_path / "p"
    shutil.copytree(stages["copies"]["fresh"], project, symlinks=True)
    kill_at(project, point, "ingest", *stages["files"])
    state, count = store_state(project)
    assert count == 0, (state, count)  # killed inside the first file's transaction
    run(project, "ingest", *stages["files"])
    assert_no_duplicates(project, stages["papers"])
    assert_no_leftovers(project)


@pytest.mark.parametrize(
    "point", ["embed.chunk-committed", "index.written", "index.before-meta", "index.after-meta"]
)
def test_a_kill_inside_the_first_index_build(stages: dict, tmp_path: Path, point: str):
    project = tmp_path / "p"
    shutil.copytree(stages["copies"]["ingest"], project, symlinks=True)
    small_chunks = {"LITRADAR_EMBEDDING__CHUNK_SIZE": "200"}
    kill_at(project, point, "index", env=small_chunks)
    assert store_state(project) == ("ok", stages["papers"])
    run(project, "index")
    assert_no_duplicates(project, stages["papers"])
    assert_index_is_the_store(project)
    assert_faiss_count_is_the_stored_embeddings(project)
    assert_no_leftovers(project)


@pytest.mark.parametrize(
    ("point", "kind"),
    [
        ("index.before-meta", "flat"),  # growth: new papers added to the flat index
        ("index.after-meta", "flat"),  # G7: the superseded generation still on disk
        ("index.before-meta", "ivf"),  # the growth crosses exact_up_to: rebuilt as an IVF
        ("index.written", "ivf"),
    ],
)
def test_a_kill_while_the_index_grows_or_crosses_into_ivf(
    grown: dict, tmp_path: Path, point: str, kind: str
):
    project = tmp_path / "p"
    shutil.copytree(grown["project"], project, symlinks=True)
    env = {}
    if kind == "ivf":  # the old index is within the exact size, the grown one is not
        env = {"LITRADAR_INDEX__EXACT_UP_TO": str(grown["indexed_before"]),
               "LITRADAR_INDEX__NLIST": "8"}  # fmt: skip
    kill_at(project, point, "index", env=env)
    assert store_state(project) == ("ok", grown["papers"])
    # the metadata names whole files, the old generation's or the new one's: never damaged
    assert PaperIndex.load(project / "index", "hashing") is not None
    run(project, "index", env=env)
    index = PaperIndex.load(project / "index", "hashing")
    assert index is not None and index.kind == kind
    assert_no_duplicates(project, grown["papers"])
    assert_index_is_the_store(project)
    assert_faiss_count_is_the_stored_embeddings(project)
    assert_no_leftovers(project)


def test_a_kill_between_the_model_files_moves(stages: dict, tmp_path: Path):
    reference = json.loads((stages["copies"]["train"] / "classifiers" / "metrics.json").read_text())
    project = tmp_path / "p"
    shutil.copytree(stages["copies"]["train"], project, symlinks=True)
    kill_at(project, "models.between-moves", "train", "--force")
    with pytest.raises(LitradarError, match="of two trainings"):
        load_models(project / "classifiers", "hashing")  # files of two trainings: refused
    run(project, "train")
    load_models(project / "classifiers", "hashing")
    metrics = json.loads((project / "classifiers" / "metrics.json").read_text())
    assert metrics["relevance"] == reference["relevance"]
    assert_no_duplicates(project, stages["papers"])
    assert_no_leftovers(project)


def test_a_kill_before_the_digest_link_moves(stages: dict, tmp_path: Path):
    reference = digest_document(stages["copies"]["digest"])
    project = tmp_path / "p"
    shutil.copytree(stages["copies"]["older-digest"], project, symlinks=True)
    kill_at(project, "digest.before-link", "digest", *WINDOW)
    in_markdown, in_json = proposals_of_pair(project)
    assert in_markdown == in_json and len(in_json) == 1  # the older pair, whole
    run(project, "digest", *WINDOW)
    assert digest_document(project) == reference
    assert_no_leftovers(project)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["backfill.batch-stored", "backfill.chunk-written"])
def test_a_kill_inside_a_backfill_on_two_workers(
    stages: dict, tmp_path: Path, prefect_api: str, point: str
):
    """The watermark moves only after its batch is committed; vectors come back from two
    Dask workers and are written by the flow's one process. On the test process's Prefect
    server: what a kill does to a temporary one is test_backfill's Ctrl-C test."""
    project = tmp_path / "p"
    shutil.copytree(stages["copies"]["fresh"], project, symlinks=True)
    snapshot = project_files(project)[1]
    args = ["backfill", str(snapshot), "--categories", "cs.CL", "--workers", "2"]
    env = {"PREFECT_API_URL": prefect_api, "LITRADAR_EMBEDDING__CHUNK_SIZE": "40"}
    kill_at(project, point, *args, env=env)
    keep = SnapshotFilter(frozenset({"cs.CL"}))
    expected = len({p.arxiv_id for p in read_jsonl(snapshot) if isinstance(p, Paper) and keep.keeps(p)})
    assert store_state(project)[0] in ("ok", "no store", "no tables yet")
    run(project, *args, env=env)
    assert_no_duplicates(project, expected)
    assert_index_is_the_store(project)
    assert_faiss_count_is_the_stored_embeddings(project)
    assert_no_leftovers(project)
