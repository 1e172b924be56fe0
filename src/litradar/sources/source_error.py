"""What every live source shares: the User-Agent and the one error type a failing service
becomes. The protocol the runner drives: `litradar.sources.registry.Source`. Pacing and
back-off: `litradar.core.retrying`."""

from __future__ import annotations

from litradar import __version__
from litradar.core.errors import LitradarError
from litradar.core.paper import clean_text

USER_AGENT = f"litradar/{__version__} (+https://github.com/litradar/litradar)"


class SourceError(LitradarError):
    """A live service failed after its retries: the run reports it and goes on. Its message
    may quote the service (S2's error text, arXiv's error feed): control characters out."""

    def __init__(self, message: str) -> None:
        super().__init__(clean_text(message))

