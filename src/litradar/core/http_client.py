"""What every litradar client of a web API shares: it owns one httpx client and closes it
when used as a context manager."""

from __future__ import annotations

from typing import Self

import httpx


class OwnsHttpClient:
    """For a class whose `__init__` sets `self._http`."""

    _http: httpx.Client

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
