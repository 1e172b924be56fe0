"""A deadline on each whole request: a server that keeps sending a byte at a time never
trips a per-read timeout, and a run would wait on it until its job is cancelled."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import httpx
import pytest

from litradar.config import ArxivApiConfig
from litradar.core.http_client import deadline_client, total_seconds
from litradar.sources.arxiv_api import ArxivApiSource
from litradar.sources.source_error import SourceError

TIMEOUT = 0.2  # per read; the whole request then gets total_seconds(TIMEOUT)


@contextmanager
def trickling_server() -> Iterator[str]:
    """Answers every connection with headers at once, then one body byte every 50 ms, for
    longer than any deadline here."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def drip(connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml\r\n"
                b"Content-Length: 100000\r\n\r\n"
            )
            for _ in range(2000):
                if stop.is_set():
                    return
                try:
                    connection.sendall(b"<")
                except OSError:
                    return
                time.sleep(0.05)

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


def test_an_httpx_request_that_trickles_ends_at_its_deadline():
    with trickling_server() as url, deadline_client(TIMEOUT) as client:
        began = time.monotonic()
        with pytest.raises(httpx.ReadTimeout, match="took over 2 s"):
            client.get(url)
        took = time.monotonic() - began
    assert total_seconds(TIMEOUT) <= took < total_seconds(TIMEOUT) + 2


def test_the_arxiv_api_source_gives_up_on_a_trickle_in_one_line():
    with trickling_server() as url:
        config = ArxivApiConfig(url=url + "/api/query", delay_seconds=0.0, retries=0,
                                backoff_seconds=0.01, timeout_seconds=TIMEOUT, queries=[])  # fmt: skip
        source = ArxivApiSource(config, ["cs.CV"])
        began = time.monotonic()
        with pytest.raises(SourceError, match="took over 2 s") as error:
            list(source.pages(date(2025, 3, 10), date(2025, 3, 17)))
    assert time.monotonic() - began < total_seconds(TIMEOUT) + 3
    assert "\n" not in str(error.value)
