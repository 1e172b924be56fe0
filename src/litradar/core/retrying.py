"""Polite calls to remote services: exponential back-off between tries, and pacing.

Shared by the live sources (arXiv, the feed, Semantic Scholar) and the LLM client, so that
every remote call in litradar retries the same way and says the same thing when it gives up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol, TypeVar

from litradar.core.errors import LitradarError

T = TypeVar("T")


class RetryConfig(Protocol):
    """A retry policy (litradar.config.RetryConfig and the sources' tables that extend it):
    `backoff_seconds`, doubled per try up to `max_backoff_seconds`, `retries` times."""

    @property
    def retries(self) -> int: ...
    @property
    def backoff_seconds(self) -> float: ...
    @property
    def max_backoff_seconds(self) -> float: ...


class Retryable(Exception):
    """A failure worth another try (a 5xx, a 429, a timeout, a cut body); its text says
    what went wrong, for the message if the tries run out. `wait`: the seconds the service
    asked for (Retry-After), waited instead of a shorter back-off, up to its cap."""

    def __init__(self, message: str = "", wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as a service may send it (GitHub, an LLM endpoint): seconds, or an HTTP
    date (RFC 9110). None when it is absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def backoff_delays(policy: RetryConfig) -> Iterator[float]:
    """The sleeps between tries: exponential, capped, `policy.retries` of them."""
    for attempt in range(policy.retries):
        yield min(policy.max_backoff_seconds, policy.backoff_seconds * 2**attempt)


def with_retries(
    policy: RetryConfig,
    what: str,
    attempt: Callable[[], T],
    failure: type[LitradarError] = LitradarError,
) -> T:
    """`attempt()` until it returns, backing off after each `Retryable`; any other error
    passes through at once. Out of tries, `failure` names `what` and the last problem."""
    delays = backoff_delays(policy)
    tries = 0
    while True:
        tries += 1
        try:
            return attempt()
        except Retryable as exc:
            problem = str(exc) or type(exc).__name__
            asked = exc.wait
        delay = next(delays, None)
        if delay is not None and asked is not None:
            delay = max(delay, min(asked, policy.max_backoff_seconds))
        if delay is None:
            times = "1 try" if tries == 1 else f"{tries} tries"
            raise failure(f"{what} gave up after {times}: {problem}") from None
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
