"""What every litradar client of a web API shares: it owns one httpx client and closes it
when used as a context manager; and a deadline on each whole request.

httpx's (and requests') timeouts bound each read, not a request: a server that keeps
sending a byte a second never times out, and a scheduled run would hang until its job is
cancelled (on GitHub Actions, before its store is saved). `deadline_client` bounds the
whole exchange, headers and body, to TOTAL_FACTOR times the configured timeout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Self

import httpx

TOTAL_FACTOR = 10  # a whole request may take this many times the per-read timeout


def total_seconds(timeout: float) -> float:
    return TOTAL_FACTOR * timeout


class OwnsHttpClient:
    """For a class whose `__init__` sets `self._http`."""

    _http: httpx.Client

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def deadline_client(timeout: float, **kwargs: Any) -> httpx.Client:
    """An httpx client whose requests each end within `total_seconds(timeout)`, by
    httpx.ReadTimeout (an httpx.HTTPError, as a slow server's is) when they would not."""
    return httpx.Client(
        timeout=timeout, transport=_DeadlineTransport(total_seconds(timeout)), **kwargs
    )


class _DeadlineTransport(httpx.HTTPTransport):
    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self.seconds
        response = super().handle_request(request)
        response.stream = _DeadlineStream(response.stream, deadline, request, self.seconds)
        return response


class _DeadlineStream(httpx.SyncByteStream):
    def __init__(
        self, inner: Any, deadline: float, request: httpx.Request, seconds: float
    ) -> None:
        self.inner, self.deadline, self.request, self.seconds = inner, deadline, request, seconds

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            if time.monotonic() > self.deadline:
                raise httpx.ReadTimeout(
                    f"the answer took over {self.seconds:.0f} s", request=self.request
                )
            yield chunk

    def close(self) -> None:
        self.inner.close()
