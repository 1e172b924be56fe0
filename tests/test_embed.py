"""The real all-MiniLM-L6-v2, loaded offline from its PyPI package."""

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from litradar.core.paper import Paper
from litradar.embedding.encoders import HashingEncoder, SentenceTransformerEncoder, embed_papers
from litradar.storage.store import Store

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("test_embed")]


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder("all-MiniLM-L6-v2")


def paper(i: int, title: str) -> Paper:
    return Paper(f"2503.0000{i}", title, "An abstract.", ("A",), date(2025, 3, 10))


def test_minilm_loads_offline_and_gives_unit_vectors_that_mean_something(minilm):
    vectors = minilm.encode(
        ["sparse autoencoders find features in vision-language models",
         "dictionary learning of multimodal model activations",
         "a recipe for sourdough bread"]
    )  # fmt: skip
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_each_text_is_embedded_once_per_model(minilm, tmp_path: Path):
    papers = [paper(1, "Probing CLIP"), paper(2, "Causal tracing in BLIP")]
    with Store.open(tmp_path / "s.sqlite", create=True) as store:
        first, computed = embed_papers(store, papers, minilm)
        again, computed_again = embed_papers(store, papers, minilm)
        _, hashing_computed = embed_papers(store, papers, HashingEncoder())
    assert (computed, computed_again, hashing_computed) == (2, 0, 2)
    assert np.array_equal(first, again)
