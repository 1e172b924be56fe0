"""`find`'s query encoder, loaded on a thread while the command imports and opens the rest.

A cold `find` is a new process: importing numpy, FAISS and the store (0.2-0.3 s) and
creating the onnxruntime session of the 90 MB export (0.15-0.3 s) were one after the
other. onnxruntime reads and prepares the weights without holding the GIL, so started
first, on a thread, the session is ready about when the imports are done (the figures are
in docs/speed.md). This module imports nothing heavy itself, so the command can start the
thread before it imports anything else.
"""

from __future__ import annotations

import threading
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
    """`load_onnx_query_encoder(config)` running on a daemon thread from construction on;
    `result()` waits for it and re-raises what it raised (a Ctrl-C while waiting still
    reaches the main thread: the wait is in short slices)."""

    def __init__(self, config: Config) -> None:
        self._encoder: TextEncoder | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._load, args=(config,), name="litradar-query-encoder", daemon=True
        )
        self._thread.start()

    def _load(self, config: Config) -> None:
        try:
            self._encoder = load_onnx_query_encoder(config)
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc

    def result(self) -> TextEncoder | None:
        while self._thread.is_alive():
            self._thread.join(0.05)
        if self._error is not None:
            raise self._error
        return self._encoder
