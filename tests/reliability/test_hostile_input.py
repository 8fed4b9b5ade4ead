"""Hostile input against a real `papertide serve`: a 4xx every time, never a 500 or a crash."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from papertide.store.db import make_engine
from papertide.store.migrate import upgrade

from .cluster import Proc, cluster, wait_for


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    root = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{root / 'papertide.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with cluster(root, url, PAPERTIDE_INDEX_SYNC_SECONDS="2") as group:
        proc = group.serve("web")
        assert proc.url
        wait_for(lambda: httpx.get(f"{proc.url}/healthz").status_code == 200, "the server")
        yield proc
        assert "Traceback" not in proc.output(), proc.output()[-3000:]


def _raw(port: int, payload: bytes, *, read: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(payload)
        if not read:
            return b""
        chunks = []
        while True:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)


def _status(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/1.1 ") else 0


def _port(node: Proc) -> int:
    assert node.url
    return int(node.url.rsplit(":", 1)[1])


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2f..%2fpyproject.toml",
        "/static/%252e%252e/%252e%252e/etc/passwd",
        "/static/....//....//etc/passwd",
        "/static/%00",
        "/static/\\..\\..\\etc\\passwd",
    ],
)
def test_path_traversal_in_static_is_refused(node: Proc, path: str) -> None:
    raw = _raw(_port(node), f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert 400 <= _status(raw) < 500, raw[:300]
    assert b"root:" not in raw and b"[project]" not in raw


@pytest.mark.parametrize(
    "target",
    [
        "/api/papers/search?q=%ff%fe%fd",
        "/api/papers/search?q=%00",
        "/api/papers/search?q=a%00b&mode=keyword",
        "/search?q=%c3%28",
        "/paper/%ff%fe",
        "/api/papers/%ff",
        "/api/papers/%00",
        "/%ff",
        "/api/daily_papers?date=%ff",
        "/api/daily_papers?date=2026-02-30",
        "/u/%ff%fe",
    ],
)
def test_invalid_utf8_and_nul_bytes_in_urls_get_a_4xx_or_an_answer(node: Proc, target: str) -> None:
    raw = _raw(
        _port(node), f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    )
    status = _status(raw)
    assert status and status < 500, raw[:500]


def test_invalid_utf8_in_a_form_body_and_headers(node: Proc) -> None:
    body = b"email=\xff\xfe%ff@x&csrf_token=\xc3\x28"
    request = (
        b"POST /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    assert 400 <= _status(_raw(_port(node), request)) < 500
    weird = (
        b"GET /api/daily_papers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Accept: \xff\xfe\r\nCookie: pt_session=\xff\xfe\x80\r\nUser-Agent: \xc3\x28\r\n\r\n"
    )
    assert _status(_raw(_port(node), weird)) < 500


def test_oversized_body_and_headers_are_refused(node: Proc) -> None:
    assert node.url
    big = b"email=" + b"a" * (20 * 1024 * 1024)
    response = httpx.post(
        f"{node.url}/login",
        content=big,
        headers={"content-type": "application/x-www-form-urlencoded"},
        timeout=60,
    )
    assert response.status_code == 413
    chunked = httpx.post(
        f"{node.url}/login",
        # Chunked (no Content-Length), in fields small enough for the form parser: only the
        # running byte count can stop it.
        content=iter([b"f=" + b"a" * 100_000 + b"&"] * 120),
        headers={"content-type": "application/x-www-form-urlencoded"},
        timeout=60,
    )
    assert chunked.status_code == 413
    huge_header = b"X-Filler: " + b"b" * (200 * 1024) + b"\r\n"
    raw = _raw(
        _port(node),
        b"GET / HTTP/1.1\r\nHost: x\r\n" + huge_header + b"Connection: close\r\n\r\n",
    )
    assert _status(raw) == 431, raw[:200]
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(5000))
    raw = _raw(_port(node), b"GET / HTTP/1.1\r\nHost: x\r\n" + many + b"Connection: close\r\n\r\n")
    assert 400 <= _status(raw) < 500 or raw == b"", raw[:200]
    assert httpx.get(f"{node.url}/healthz").status_code == 200


def test_slow_clients_do_not_block_others(node: Proc) -> None:
    port = _port(node)
    slow = []
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and then nothing: a slowloris
        slow.append(sock)
    try:
        for _ in range(3):
            for sock in slow:
                with contextlib.suppress(OSError):  # the server dropped it: fine
                    sock.sendall(b"X-a: b\r\n")
            assert node.url
            assert httpx.get(f"{node.url}/api/daily_papers", timeout=10).status_code == 200
            time.sleep(0.5)
        # A body that never arrives: the server must still answer others.
        stalled = socket.create_connection(("127.0.0.1", port), timeout=15)
        stalled.sendall(
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\nemail=a"
        )
        assert httpx.get(f"{node.url}/healthz", timeout=10).status_code == 200
        stalled.close()
    finally:
        for sock in slow:
            sock.close()


def test_the_node_is_healthy_afterwards(node: Proc, tmp_path: Path) -> None:
    assert node.alive()
    assert node.url
    assert httpx.get(f"{node.url}/readyz", timeout=10).status_code in (200, 503)
    assert httpx.get(f"{node.url}/healthz", timeout=10).status_code == 200
