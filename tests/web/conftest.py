"""Web fixtures: the app over a real database (both backends), a real SMTP server, seed data."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from papertide.config import Settings
from papertide.store.schema import FeedEntry, Paper, PaperCategory, PaperVersion, User
from papertide.web.app import create_app

UTC = dt.UTC


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    """Messages caught by the local aiosmtpd server."""

    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def last_link(self) -> str:
        assert self.messages, "no mail arrived"
        message = self.messages[-1]
        body = message.get_payload(decode=True) if not message.is_multipart() else None
        if body is None:
            part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
            body = part.get_payload(decode=True)
        assert isinstance(body, bytes)
        match = re.search(r"https?://\S+/login/verify\?token=\S+", body.decode())
        assert match, body
        return match.group(0)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def no_index_follower(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """No background index sync (and embedding) thread inside these tests' apps.

    Set after `settings`, which clears every PAPERTIDE_* variable.
    """
    monkeypatch.setenv("PAPERTIDE_INDEX_SYNC_SECONDS", "0")


@pytest.fixture
def web_settings(settings: Settings, mailbox: Mailbox, no_index_follower: None) -> Settings:
    return settings.model_copy(
        update={
            "mail_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,  # type: ignore[attr-defined]
            "base_url": "http://testserver",
        }
    )


@pytest.fixture
def client(web_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app = create_app(web_settings, engine=engine)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


DAY = dt.date(2026, 8, 19)  # a Wednesday


def add_paper(
    session: Session,
    arxiv_id: str,
    title: str,
    *,
    published: dt.date = DAY,
    category: str = "cs.CL",
    abstract: str = "We study things with $x^2$ and more.",
    authors: list[str] | None = None,
) -> Paper:
    when = dt.datetime.combine(published, dt.time(12), UTC)
    paper = Paper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        authors=authors or ["Ada Lovelace", "Alan Turing"],
        categories=[category, "cs.AI"],
        primary_category=category,
        latest_version=2,
        published_at=when,
        revised_at=when + dt.timedelta(days=1),
        first_announced=published,
        code_links=["https://github.com/example/repo"],
        github_stars=120,
    )
    session.add(paper)
    session.flush()
    session.add_all(
        [
            PaperVersion(paper_id=paper.id, version=1, submitted_at=when),
            PaperVersion(paper_id=paper.id, version=2, submitted_at=when + dt.timedelta(days=1)),
            PaperCategory(paper_id=paper.id, category=category),
            PaperCategory(paper_id=paper.id, category="cs.AI"),
        ]
    )
    return paper


def add_entry(
    session: Session,
    paper: Paper,
    day: dt.date = DAY,
    upvotes: int = 0,
    submitter: User | None = None,
) -> FeedEntry:
    entry = FeedEntry(
        paper_id=paper.id,
        feed_date=day,
        submitted_by_id=submitter.id if submitter else None,
        submitted_at=dt.datetime.combine(day, dt.time(8), UTC),
        source="hf",
        imported_upvotes=upvotes,
        upvotes=upvotes,
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass
class Seed:
    papers: dict[str, Paper]
    submitter: User


@pytest.fixture
def seed(engine: Engine) -> Seed:
    """Three papers on DAY's feed (votes 5, 12, 0), one the day before, one in cs.CV only."""
    return seed_database(engine)


def seed_database(engine: Engine) -> Seed:
    with Session(engine, expire_on_commit=False) as session:
        submitter = User(email="imported@example.org", name="reader-1", imported=True)
        session.add(submitter)
        session.flush()
        papers = {
            "a": add_paper(session, "2608.00001", "Alpha: attention for all"),
            "b": add_paper(session, "2608.00002", "Beta <script>alert(1)</script> tricks"),
            "c": add_paper(session, "2608.00003", "Gamma rays of language"),
            "d": add_paper(
                session, "2608.00004", "Delta yesterday", published=DAY - dt.timedelta(days=1)
            ),
            "e": add_paper(session, "2608.00005", "Epsilon vision", category="cs.CV"),
        }
        add_entry(session, papers["a"], upvotes=5, submitter=submitter)
        add_entry(session, papers["b"], upvotes=12)
        add_entry(session, papers["c"], upvotes=0)
        add_entry(session, papers["d"], DAY - dt.timedelta(days=1), upvotes=30)
        session.commit()
        return Seed(papers=papers, submitter=submitter)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def open_sign_in_link(client: Any, link: str) -> Any:
    """What a person does with the mailed link: open it, then press "Sign in" (a GET alone signs
    nobody in). Returns the answer to the button; works with TestClient and httpx.Client."""
    page = client.get(link)
    assert page.status_code == 200, page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token, page.text
    return client.post(
        "/login/verify",
        data={"token": token.group(1), "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )


def sign_in(client: TestClient, mailbox: Mailbox, email: str = "ada@example.org") -> str:
    """Sign in through the emailed link; returns the CSRF token of the signed-in session."""
    page = client.get("/login")
    response = client.post("/login", data={"email": email, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 200, response.text
    link = mailbox.last_link().replace("http://testserver", "")
    verified = open_sign_in_link(client, link)
    assert verified.status_code == 303, verified.text
    return csrf_from(client.get("/submit").text)


def user_name(engine: Engine, email: str) -> str:
    """The public name the site gave the account of `email` (random, never from the address)."""
    with Session(engine) as session:
        return session.query(User).filter_by(email=email).one().name


def make_admin(engine: Engine, email: str) -> None:
    with Session(engine) as session:
        user = session.query(User).filter_by(email=email).one()
        user.is_admin = True
        session.commit()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def reader(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """One seeded database and app per module and backend, for tests that only read.

    Building the schema once instead of once per test keeps the suite fast on a busy machine;
    tests that write use the function-scoped `client` instead.
    """
    from tests.conftest import pg_schema_url

    from papertide.store.db import make_engine
    from papertide.store.migrate import upgrade

    folder = tmp_path_factory.mktemp("reader")
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{folder / 'papertide.db'}"
        else:
            request.getfixturevalue("pg_reachable")
            url = stack.enter_context(pg_schema_url())
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        for key in list(os.environ):
            if key.startswith("PAPERTIDE_") and not key.startswith("PAPERTIDE_TEST_"):
                patch.delenv(key)
        patch.setenv("PAPERTIDE_INDEX_SYNC_SECONDS", "0")
        settings = Settings(
            data_dir=folder / "data",
            database_url=url,
            secret_key="reader-" + uuid.uuid4().hex,
            base_url="http://testserver",
            mail_backend="null",
        )
        engine = make_engine(url)
        stack.callback(engine.dispose)
        upgrade(engine)
        seed_database(engine)
        with TestClient(create_app(settings, engine=engine), follow_redirects=False) as client:
            yield client
