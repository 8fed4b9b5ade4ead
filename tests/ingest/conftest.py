"""Shared helpers for ingestion tests: a real HTTP server on loopback serving recorded responses."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from papertide.config import Settings


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RecordedServer:
    """Answers each GET with `route(params)`; remembers every request and when it came."""

    url: str
    route: Callable[[dict[str, str]], Reply]
    requests: list[tuple[float, dict[str, str]]] = field(default_factory=list)


@pytest.fixture
def recorded_server() -> Iterator[Callable[[Callable[[dict[str, str]], Reply]], RecordedServer]]:
    servers: list[ThreadingHTTPServer] = []

    def start(route: Callable[[dict[str, str]], Reply]) -> RecordedServer:
        state = RecordedServer(url="", route=route)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                state.requests.append((time.monotonic(), query))
                reply = state.route(query)
                self.send_response(reply.status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *_: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        state.url = f"http://127.0.0.1:{server.server_address[1]}/oai"
        return state

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def offline(settings: Settings, **urls: str) -> Settings:
    """Settings that talk to the local server with no politeness delay."""
    return settings.model_copy(update={"arxiv_delay_seconds": 0.0, **urls})
