"""Thumbnail fixtures: the PDFs made for the tests, a loopback server playing arXiv's PDF host,
and feed papers in a real database (both backends)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from papertide.config import Settings
from papertide.store.schema import FeedEntry, Paper

PDFS = Path(__file__).resolve().parents[1] / "data" / "pdfs"
DAY = dt.date(2026, 8, 19)


def pdf(name: str) -> bytes:
    """One of the PDFs in tests/data/pdfs (see make_pdfs.py there)."""
    return (PDFS / name).read_bytes()


@dataclass
class PdfReply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/pdf"
    # Sent without Content-Length, the body running until the connection closes, as a server
    # streaming a file of unknown length does.
    stream: bool = False


@dataclass
class PdfServer:
    """Answers GET /pdf/<arxiv id> from `replies` (404 for ids it does not know)."""

    url: str = ""
    replies: dict[str, PdfReply] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def serve(self, arxiv_id: str, reply: PdfReply | bytes) -> None:
        self.replies[arxiv_id] = reply if isinstance(reply, PdfReply) else PdfReply(body=reply)


@pytest.fixture
def pdf_server() -> Iterator[PdfServer]:
    state = PdfServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            arxiv_id = self.path.removeprefix("/pdf/")
            state.requests.append(arxiv_id)
            reply = state.replies.get(arxiv_id) or PdfReply(404, b"no such paper", "text/plain")
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            if reply.stream:
                self.send_header("Connection", "close")
                self.end_headers()
                for start in range(0, len(reply.body), 65536):
                    self.wfile.write(reply.body[start : start + 65536])
                self.close_connection = True
                return
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/pdf"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def thumb_settings(settings: Settings, pdf_server: PdfServer) -> Settings:
    """Settings that fetch PDFs from the loopback server, without the 3 s politeness pause."""
    return settings.model_copy(update={"arxiv_pdf_url": pdf_server.url, "arxiv_delay_seconds": 0.0})


FeedPaper = Callable[..., int]


@pytest.fixture
def feed_paper(engine: Engine) -> FeedPaper:
    """Put a paper on the feed of `day`; returns its id."""

    def add(
        arxiv_id: str,
        *,
        day: dt.date = DAY,
        hidden: bool = False,
        withdrawn: bool = False,
        on_feed: bool = True,
    ) -> int:
        with Session(engine) as session:
            paper = Paper(
                arxiv_id=arxiv_id,
                title=f"Paper {arxiv_id}",
                abstract="An abstract.",
                authors=["Ada Lovelace"],
                categories=["cs.CL"],
                primary_category="cs.CL",
                withdrawn=withdrawn,
            )
            session.add(paper)
            session.flush()
            if on_feed:
                session.add(FeedEntry(paper_id=paper.id, feed_date=day, hidden=hidden))
            session.commit()
            return paper.id

    return add
