"""`find`'s query encoder, its session created on a thread while the command imports and
opens the rest.

A cold `find` is a new process: importing the search's modules (the store, FAISS) and
creating the onnxruntime session of the export (0.1-0.3 s) were one after the other.
onnxruntime reads and prepares the weights without holding the GIL, so started early, on
a thread, the session is ready about when the rest is (the figures are in docs/speed.md).

Only the session is made on the thread; every module it needs is imported before the
thread starts, on the caller's. Two threads importing the same packages at once can see
one of them half-initialised: numpy raised "cannot import name '__cpu_features__' from
partially initialized module" when the thread and the command both imported it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litradar.config import Config
    from litradar.embedding.encoders import TextEncoder


def load_onnx_query_encoder(config: Config) -> TextEncoder | None:
    """The encoder of the index's vector space without torch: the hashing encoder, or the
    ONNX export `litradar index` made beside the index; None when there is no export."""
    from litradar.embedding.encoders import HashingEncoder, vector_space

    embedding = config.embedding
    if embedding.model == HashingEncoder.name:
        return HashingEncoder()
    from litradar.embedding.query_encoder import OnnxEncoder

    return OnnxEncoder.load(config.data_dir, vector_space(embedding.model, embedding.backend))


class PreloadedEncoder:
    """`load_onnx_query_encoder(config)`, its ONNX session created on a thread from
    construction on; `result()` waits for it and re-raises what it raised (a Ctrl-C while
    waiting still reaches the main thread: the wait is in short slices).

    Not a daemon thread: a process that ends while onnxruntime is still creating the
    session is aborted by the C++ runtime ("terminate called without an active
    exception", exit 134); the interpreter waits for it instead, a few tenths of a second
    at most (tests/test_query_encoder.py)."""

    def __init__(self, config: Config) -> None:
        from litradar.embedding.encoders import HashingEncoder, vector_space

        self._encoder: TextEncoder | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        embedding = config.embedding
        if embedding.model == HashingEncoder.name:  # nothing to wait for
            self._encoder = HashingEncoder()
            return
        import onnxruntime  # noqa: F401  (imported here, not on the thread: see above)
        import tokenizers  # noqa: F401

        from litradar.embedding.query_encoder import OnnxEncoder

        space = vector_space(embedding.model, embedding.backend)
        self._thread = threading.Thread(
            target=self._load,
            args=(lambda: OnnxEncoder.load(config.data_dir, space),),
            name="litradar-query-encoder",
            daemon=False,
        )
        self._thread.start()

    def _load(self, load: Callable[[], TextEncoder | None]) -> None:
        try:
            self._encoder = load()
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc

    def result(self) -> TextEncoder | None:
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.05)
        if self._error is not None:
            raise self._error
        return self._encoder
