import json
from pathlib import Path

import numpy as np
import pytest

from litradar.core.errors import LitradarError
from litradar.storage.paper_index import (
    IndexDamaged,
    IndexSettings,
    PaperIndex,
    content_fingerprint,
)


def unit_vectors(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_saved_index_loads_and_maps_hits_to_store_ids(tmp_path: Path):
    vectors = unit_vectors(50)
    ids = list(range(100, 150))
    index = PaperIndex.build("m", ids, vectors, content_fingerprint(ids, ["x"] * 50))
    index.save(tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left
    loaded = PaperIndex.load(tmp_path, "m")
    scores, hits = loaded.search(vectors[7], 3)
    assert hits[0][0] == 107 and scores[0][0] == pytest.approx(1.0, abs=1e-5)
    assert loaded.fingerprint == index.fingerprint


def test_search_can_be_restricted_to_some_papers(tmp_path: Path):
    vectors = unit_vectors(20)
    index = PaperIndex.build("m", list(range(20)), vectors, "f")
    _, hits = index.search(vectors[3], 5, allowed=[10, 11, 12])
    assert set(hits[0][hits[0] >= 0]) <= {10, 11, 12}
    assert 3 not in hits[0]


def test_no_index_yet_is_none_and_a_damaged_one_is_a_clear_error(tmp_path: Path):
    assert PaperIndex.load(tmp_path, "m") is None
    PaperIndex.build("m", [1, 2], unit_vectors(2), "f").save(tmp_path)
    index_path, _ = PaperIndex.paths(tmp_path, "m")
    index_path.write_bytes(index_path.read_bytes()[:-10])
    with pytest.raises(LitradarError, match="damaged"):
        PaperIndex.load(tmp_path, "m")


def test_fingerprint_changes_when_a_text_changes():
    assert content_fingerprint([1, 2], ["a", "b"]) != content_fingerprint([1, 2], ["a", "c"])
    assert content_fingerprint([1, 2], ["a", "b"]) == content_fingerprint([2, 1], ["b", "a"])


def clustered_vectors(n: int, dim: int = 32, clusters: int = 50, seed: int = 0) -> np.ndarray:
    """Unit vectors around a few centres, like embeddings of papers on a few topics."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    vectors = centres[rng.integers(clusters, size=n)] + 0.6 * rng.normal(size=(n, dim))
    vectors = vectors.astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def shas(n: int, tag: str = "a") -> list[str]:
    import hashlib

    return [hashlib.sha256(f"{tag}{i}".encode()).hexdigest() for i in range(n)]


def test_the_index_grows_and_replaces_changed_papers_without_a_rebuild(tmp_path: Path):
    vectors = unit_vectors(60)
    ids, texts = np.arange(1, 61), shas(60)
    PaperIndex.build("m", ids[:40], vectors[:40], "v1", texts[:40]).save(tmp_path)
    index = PaperIndex.load(tmp_path, "m", mmap=False)
    index.load_entries()
    changed = texts[:5] + shas(1, "changed") + texts[6:]  # paper 6's text changed
    remove, add = index.changes(ids, changed)
    assert sorted(remove.tolist()) == [6] and sorted(add.tolist()) == [6, *range(41, 61)]
    fresh = vectors.copy()
    fresh[5] = unit_vectors(1, seed=9)[0]
    added = index.apply(remove, iter([(add, fresh[add - 1])]), ids, changed, "v2")
    assert added == 21 and index.size == 60 and not index.needs_rebuild(60, IndexSettings())
    index.save(tmp_path)
    again = PaperIndex.load(tmp_path, "m")
    _, hits = again.search(fresh[[5, 50]], 1)
    assert hits[:, 0].tolist() == [6, 51] and again.fingerprint == "v2"
    assert len(list(tmp_path.glob("*.faiss"))) == 1  # the older generation is gone


def test_above_the_exact_size_an_ivf_index_finds_what_exact_search_finds(tmp_path: Path):
    vectors = clustered_vectors(6000)
    ids = np.arange(6000) + 100
    settings = IndexSettings(exact_up_to=1000, nprobe=16)
    ivf = PaperIndex.build("m", ids, vectors, "f", shas(6000), settings)
    exact = PaperIndex.build("m", ids, vectors, "f", shas(6000))
    assert (ivf.kind, exact.kind) == ("ivf", "flat")
    ivf.save(tmp_path)
    loaded = PaperIndex.load(tmp_path, "m")  # memory-mapped
    queries = clustered_vectors(200, seed=1)
    _, approximate = loaded.search(queries, 10)
    _, truth = exact.search(queries, 10)
    recall = np.mean([len(set(a) & set(t)) / 10 for a, t in zip(approximate, truth, strict=True)])
    assert recall >= 0.98
    assert np.allclose(loaded.index.reconstruct(105), vectors[5])  # find's per-hit vector
    # Growing past the training size by retrain_growth calls for a rebuild; so does shrinking
    # back under the exact size.
    assert ivf.needs_rebuild(6000 * 4 + 1, settings) and ivf.needs_rebuild(900, settings)
    assert not ivf.needs_rebuild(7000, settings)


def test_a_kill_between_writing_the_index_and_its_metadata_keeps_the_old_pair(tmp_path: Path):
    vectors = unit_vectors(10)
    PaperIndex.build("m", list(range(10)), vectors, "old", shas(10)).save(tmp_path)
    # What a kill after the new index file but before the new metadata leaves behind:
    newer = PaperIndex.build("m", list(range(20)), unit_vectors(20), "new", shas(20))
    import faiss

    faiss.write_index(newer.index, str(tmp_path / "papers.m.g0123456789ab.faiss"))
    loaded = PaperIndex.load(tmp_path, "m")
    assert loaded.fingerprint == "old" and loaded.size == 10
    loaded.save(tmp_path)  # the next save cleans up the orphan
    assert len(list(tmp_path.glob("*.faiss"))) == 1


@pytest.mark.parametrize("damage", ["truncated", "garbage json", "swapped index", "old layout"])
def test_every_kind_of_damage_is_one_clear_error(tmp_path: Path, damage: str):
    PaperIndex.build("m", list(range(30)), unit_vectors(30), "f", shas(30)).save(tmp_path)
    index_path, meta_path = PaperIndex.paths(tmp_path, "m")
    if damage == "truncated":
        index_path.write_bytes(index_path.read_bytes()[:100])
    elif damage == "garbage json":
        meta_path.write_bytes(b"\x00{not json")
    elif damage == "swapped index":  # same size, other content: a different count
        other = PaperIndex.build("m", list(range(31)), unit_vectors(31), "g", shas(31))
        import faiss

        faiss.write_index(other.index, str(index_path))
        values = json.loads(meta_path.read_text())
        values["index_bytes"] = index_path.stat().st_size
        meta_path.write_text(json.dumps(values))
    else:  # the first release's files: one .faiss and a .json without generations
        meta_path.write_text('{"model": "m", "dim": 16, "count": 30, "fingerprint": "f"}')
    with pytest.raises(IndexDamaged, match="run 'litradar index' to rebuild it"):
        PaperIndex.load(tmp_path, "m")


def test_a_full_disk_while_saving_is_one_line_and_keeps_the_saved_index(tmp_path: Path):
    """FAISS reports a failed write as a RuntimeError with its C++ location; a file size
    limit (here, as `ulimit -f`; a full disk is the same write error) is one line."""
    import subprocess
    import sys

    PaperIndex.build("m", [1, 2], unit_vectors(2), "f").save(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    script = (
        "import resource, sys, numpy as np\n"
        "from pathlib import Path\n"
        "from litradar.core.errors import LitradarError\n"
        "from litradar.storage.paper_index import PaperIndex\n"
        "vectors = np.random.default_rng(0).normal(size=(4000, 64)).astype('float32')\n"
        "big = PaperIndex.build('m', list(range(4000)), vectors, 'g')\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))\n"
        "try:\n"
        "    big.save(Path(sys.argv[1]))\n"
        "except LitradarError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"cannot write the index in {tmp_path}: File too large"
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing left aside
    assert PaperIndex.load(tmp_path, "m").size == 2
