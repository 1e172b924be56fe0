from pathlib import Path

import numpy as np
import pytest

from litradar.errors import LitradarError
from litradar.index import PaperIndex, content_fingerprint


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
    with pytest.raises(LitradarError, match="unreadable"):
        PaperIndex.load(tmp_path, "m")


def test_fingerprint_changes_when_a_text_changes():
    assert content_fingerprint([1, 2], ["a", "b"]) != content_fingerprint([1, 2], ["a", "c"])
    assert content_fingerprint([1, 2], ["a", "b"]) == content_fingerprint([2, 1], ["b", "a"])
