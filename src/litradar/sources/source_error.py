"""What every live source shares: the User-Agent and the one error type a failing service
becomes. The protocol the runner drives: `litradar.sources.registry.Source`. Pacing and
back-off: `litradar.core.retrying`."""

from __future__ import annotations

import re

from litradar import __version__
from litradar.core.errors import LitradarError
from litradar.core.paper import clean_text

USER_AGENT = f"litradar/{__version__} (+https://github.com/litradar/litradar)"


_TAG = re.compile(r"<[^<>]{0,300}>")
MESSAGE_LIMIT = 400  # characters: a service's whole error page is not a message


class SourceError(LitradarError):
    """A live service failed after its retries: the run reports it and goes on. Its message
    may quote the service (S2's error text, arXiv's error feed, a proxy's HTML error page):
    control characters and markup out, one line, at most MESSAGE_LIMIT characters."""

    def __init__(self, message: str) -> None:
        text = " ".join(_TAG.sub(" ", clean_text(message)).split())
        if len(text) > MESSAGE_LIMIT:
            text = text[: MESSAGE_LIMIT - 3].rstrip() + "..."
        super().__init__(text)

