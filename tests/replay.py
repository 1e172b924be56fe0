"""A real HTTP server on 127.0.0.1 that replays recorded responses.

Clients under test speak real HTTP to it (their own session, headers, timeouts). Routes
match a method, a path and a subset of the query; each route answers its replies in turn
and repeats the last. A reply can also be a function of the request, for a fake that
keeps state (the GitHub pull requests a test opens). Every request is kept so tests can
check what was sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from tests.conftest import RECORDED

# Hop-by-hop or length headers from the recording would lie about the replayed body.
_DROPPED_HEADERS = {"content-length", "connection", "transfer-encoding", "content-encoding"}


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering: a slow server, for timeouts
    drip: float = 0.0  # seconds between the body's bytes: each read in time, the whole not

    @classmethod
    def recorded(cls, name: str) -> Reply:
        """A file from tests/fixtures/recorded with the status and headers of its meta."""
        path = RECORDED / name
        meta = json.loads(Path(f"{path}.meta.json").read_text(encoding="utf-8"))
        headers = {
            k: v
            for k, v in (meta.get("response_headers") or {}).items()
            if k.lower() not in _DROPPED_HEADERS
        }
        return cls(meta["status_code"], path.read_bytes(), headers)

    @classmethod
    def json(cls, document: object, status: int = 200) -> Reply:
        return cls(status, json.dumps(document).encode(), {"Content-Type": "application/json"})


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


Answer = Reply | Callable[["Seen"], Reply]


@dataclass
class _Route:
    method: str
    path: str
    query: dict[str, str]
    replies: list[Answer]
    served: int = 0

    def matches(self, method: str, path: str, query: dict[str, str]) -> bool:
        return (
            method == self.method
            and path == self.path
            and all(query.get(k) == v for k, v in self.query.items())
        )

    def next_reply(self) -> Answer:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


class ReplayServer:
    def __init__(self) -> None:
        self.routes: list[_Route] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, parts.path, query, dict(self.headers), body)
                with server._lock:
                    server.seen.append(seen)
                    route = next(
                        (r for r in server.routes if r.matches(self.command, parts.path, query)),
                        None,
                    )
                    answer = route.next_reply() if route else Reply(599, b"no route")
                    reply = answer if isinstance(answer, Reply) else answer(seen)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if reply.drip:
                        for byte in reply.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(reply.drip)
                    else:
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting: that is what a timeout test wants

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def on(self, method: str, path: str, *replies: Answer, **query: str) -> ReplayServer:
        self.routes.append(_Route(method, path, query, list(replies)))
        return self

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
