"""What a model fits from its texts alone, fitted once per corpus while an evaluation runs.

Leave-one-out fits the relevance model and the TF-IDF + SVM baseline once per held-out
list paper, and leave-one-week-out once per fold and setting, each time on the same
store's texts with other labels. The TF-IDF vocabulary, the word matrix and the scope
terms' weak labels depend on the texts only, and were most of that time (the TF-IDF fits
alone 74 of 139 s of the list's leave-one-out on the bundled data). Inside `remembered()`
they are built once per corpus and shared; outside it (`train`, the weekly run) nothing is
kept, so a store of 250,000 papers does not hold a second copy of its word matrix.

What is shared is read-only by convention: a model keeps the fitted vectorizer and reads
the matrix, never changes either. A model fitted inside the block also remembers the
words of the texts it scores (`fitted_on`: the key of the corpus its vectorizer was
fitted on, so two equal vectorizers share their transforms, whatever object holds them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_memo: dict[tuple[str, str], object] | None = None


@contextmanager
def remembered() -> Iterator[None]:
    """Within this block (nested blocks share the outer one), `once` builds each thing once
    per corpus; the memo is dropped when the outermost block ends."""
    global _memo
    outer = _memo
    if outer is None:
        _memo = {}
    try:
        yield
    finally:
        _memo = outer


def corpus_key(texts: Sequence[str]) -> str:
    """The texts' identity: their count and a digest of each in order."""
    digest = hashlib.blake2b(digest_size=16)
    for text in texts:
        text_digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16)
        digest.update(text_digest.digest())
    return f"{len(texts)}:{digest.hexdigest()}"


def active() -> bool:
    return _memo is not None


def once(kind: str, texts: Sequence[str], build: Callable[[], T]) -> T:
    """`build()`, or inside `remembered()` what it gave for the same `kind` and texts."""
    if _memo is None:
        return build()
    key = (kind, corpus_key(texts))
    if key not in _memo:
        _memo[key] = build()
    return _memo[key]  # type: ignore[return-value]


def fitted_on(texts: Sequence[str]) -> str | None:
    """For a model to keep: its fitting corpus's key inside `remembered()`, else None."""
    return corpus_key(texts) if _memo is not None else None


def transformed(fit_key: str | None, kind: str, texts: Sequence[str], build: Callable[[], T]) -> T:
    """`build()` (a transform by a vectorizer fitted on corpus `fit_key`), once per texts
    inside `remembered()`; always built anew for a model fitted outside it."""
    if fit_key is None or _memo is None:
        return build()
    return once(f"{kind} by {fit_key}", texts, build)
