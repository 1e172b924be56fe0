"""What every live source shares: the protocol the ingest runner drives, the User-Agent,
and the one error type a failing service becomes. Pacing and back-off: `litradar.retrying`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Protocol

from litradar import __version__
from litradar.errors import LitradarError
from litradar.paper import Paper, clean_text

USER_AGENT = f"litradar/{__version__} (+https://github.com/litradar/litradar)"


class SourceError(LitradarError):
    """A live service failed after its retries: the run reports it and goes on. Its message
    may quote the service (S2's error text, arXiv's error feed): control characters out."""

    def __init__(self, message: str) -> None:
        super().__init__(clean_text(message))


class LiveSource(Protocol):
    # The watermark key: one per source and query set, so each remembers how far it read.
    name: str

    def pages(self, since: date, until: date) -> Iterator[list[Paper]]:
        """Papers first published in [since, until), one page per request, so that the
        runner can commit each page before the next request."""
        ...
