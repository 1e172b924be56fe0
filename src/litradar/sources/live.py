"""What every live source shares: the protocol the ingest runner drives, polite pacing,
back-off, and the one error type a failing service becomes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Protocol, TypeVar

from litradar import __version__
from litradar.config import RetryConfig
from litradar.errors import LitradarError
from litradar.paper import Paper

T = TypeVar("T")
USER_AGENT = f"litradar/{__version__} (+https://github.com/litradar/litradar)"


class SourceError(LitradarError):
    """A live service failed after its retries: the run reports it and goes on."""


class LiveSource(Protocol):
    # The watermark key: one per source and query set, so each remembers how far it read.
    name: str

    def pages(self, since: date, until: date) -> Iterator[list[Paper]]:
        """Papers first published in [since, until), one page per request, so that the
        runner can commit each page before the next request."""
        ...


class Retryable(Exception):
    """A failure worth another try (a 5xx, a 429, a timeout, a cut body); its text says
    what went wrong, for the message if the tries run out."""


def backoff_delays(policy: RetryConfig) -> Iterator[float]:
    """The sleeps between tries: exponential, capped, `policy.retries` of them."""
    for attempt in range(policy.retries):
        yield min(policy.max_backoff_seconds, policy.backoff_seconds * 2**attempt)


def with_retries(policy: RetryConfig, what: str, attempt: Callable[[], T]) -> T:
    """`attempt()` until it returns, backing off after each `Retryable`; any other error
    passes through at once. Out of tries, a `SourceError` names `what` and the last problem."""
    delays = backoff_delays(policy)
    tries = 0
    while True:
        tries += 1
        try:
            return attempt()
        except Retryable as exc:
            problem = str(exc) or type(exc).__name__
        delay = next(delays, None)
        if delay is None:
            raise SourceError(f"{what} gave up after {tries} tries: {problem}") from None
        time.sleep(delay)


class Throttle:
    """At most one request per `interval` seconds, however the calls are spaced."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: float | None = None

    def wait(self) -> None:
        if self._last is not None:
            remaining = self.interval - (time.monotonic() - self._last)
            if remaining > 0:
                time.sleep(remaining)
        self._last = time.monotonic()
