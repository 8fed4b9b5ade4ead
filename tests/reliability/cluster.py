"""Real papertide processes on loopback for the reliability tests: web nodes, workers, fakes.

Only the outside internet is faked: arXiv's OAI-PMH endpoint serves recorded real pages from
tests/data. Everything else is the real thing — `papertide serve`, `papertide worker`,
PostgreSQL, Redis.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from papertide.store.db import make_engine
from papertide.store.migrate import upgrade

TEST_DATA = Path(__file__).resolve().parents[1] / "data"
PG_URL = os.environ.get(
    "PAPERTIDE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = "redis://127.0.0.1:6379/0"
PAPERTIDE = str(Path(sys.executable).with_name("papertide"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], Any], what: str, limit: float = 60.0) -> Any:
    deadline = time.monotonic() + limit
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (httpx.HTTPError, OSError) as exc:
            last_error, value = exc, None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what} (last error: {last_error})")


# A recorded arXiv OAI-PMH endpoint -------------------------------------------------------------


class FakeOai:
    """Serves page 1 of a recorded arXivRaw harvest, then page 2 for its resumption token.

    `hold` makes requests for page 2 wait until released, so a test can stop a worker while
    a harvest is between pages.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.hold = threading.Event()
        self.release = threading.Event()
        self.page2_requested = threading.Event()
        pages = {
            None: (TEST_DATA / "arxiv_oai_arxivraw_page1.xml").read_bytes(),
            "token": (TEST_DATA / "arxiv_oai_arxivraw_page2.xml").read_bytes(),
        }
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                fake.requests.append(query)
                if "resumptionToken" in query:
                    fake.page2_requested.set()
                    if fake.hold.is_set():
                        fake.release.wait(timeout=60)
                    body = pages["token"]
                else:
                    body = pages[None]
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client was killed while we held the page
                    pass

            def log_message(self, *_args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/oai"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOai:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


# One PostgreSQL installation --------------------------------------------------------------------


@contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh, migrated PostgreSQL schema; its URL. Dropped afterwards."""
    schema = f"pt_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    url: str | None = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Cluster:
    """The processes of one installation; every one is stopped on exit, whatever happened."""

    root: Path
    env: dict[str, str]
    procs: list[Proc] = field(default_factory=list)

    def node_env(self, name: str) -> dict[str, str]:
        env = dict(self.env)
        env["PAPERTIDE_DATA_DIR"] = str(self.root / name)
        env["PAPERTIDE_INDEX_DIR"] = str(self.root / name / "index")
        return env

    def start(self, name: str, *args: str) -> Proc:
        log = self.root / f"{name}.log"
        (self.root / name).mkdir(parents=True, exist_ok=True)
        popen = subprocess.Popen(
            [PAPERTIDE, *args],
            env=self.node_env(name),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=self.root,
        )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def serve(self, name: str) -> Proc:
        port = free_port()
        proc = self.start(name, "serve", "--host", "127.0.0.1", "--port", str(port))
        proc.url = f"http://127.0.0.1:{port}"
        return proc

    def worker(self, name: str = "worker") -> Proc:
        return self.start(name, "worker", "--threads", "1", "--no-scheduler")

    def cli(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PAPERTIDE, *args],
            env=self.node_env(name),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
        )

    def stop(self, proc: Proc, sig: int = signal.SIGTERM) -> None:
        if proc.alive():
            proc.popen.send_signal(sig)
            try:
                proc.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(timeout=10)

    def close(self) -> None:
        for proc in self.procs:
            self.stop(proc)


@contextmanager
def cluster(root: Path, database_url: str, **extra: str) -> Iterator[Cluster]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERTIDE_")}
    env.update(
        {
            "PAPERTIDE_CONFIG": str(root / "absent.toml"),
            "PAPERTIDE_DATABASE_URL": database_url,
            "PAPERTIDE_SECRET_KEY": "cluster-secret-" + uuid.uuid4().hex,
            "PAPERTIDE_CATEGORIES": json.dumps(["cs.LG"]),
            "PAPERTIDE_ARXIV_DELAY_SECONDS": "0",
            "PAPERTIDE_MAIL_BACKEND": "console",
            "PAPERTIDE_QUEUE_NAME": f"pt-test-{uuid.uuid4().hex[:10]}",
            "PAPERTIDE_LOG_LEVEL": "INFO",
            **extra,
        }
    )
    group = Cluster(root, env)
    try:
        yield group
    finally:
        group.close()
        if env.get("PAPERTIDE_REDIS_URL"):
            _flush_queue(env["PAPERTIDE_REDIS_URL"], env["PAPERTIDE_QUEUE_NAME"])


def _flush_queue(redis_url: str, name: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    cleaned = re.sub("[^a-z0-9]", "", name)  # how huey names its keys
    for key in client.scan_iter(match=f"huey.*.{cleaned}"):
        client.delete(key)
    client.close()


def redis_available() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None
