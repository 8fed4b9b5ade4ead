"""A real SMTP server (aiosmtpd on a free loopback port) and helpers to put papers on the feed."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import Engine
from sqlalchemy.orm import Session as DbSession

from papertide.config import Settings, load_settings
from papertide.store.schema import FeedEntry, Paper, PaperCategory, Subscription


class Inbox:
    """Every message the server accepted, parsed; recipients listed in `refuse` get a 550."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if str(m["To"]).lower() == address.lower()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpServer:
    """aiosmtpd that can be stopped and started again on the same port mid-test."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(
    settings: Settings, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The test's settings, mailing through the local aiosmtpd."""
    monkeypatch.setenv("PAPERTIDE_MAIL_BACKEND", "smtp")
    monkeypatch.setenv("PAPERTIDE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PAPERTIDE_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("PAPERTIDE_MAIL_FROM", "papertide <digest@papertide.test>")
    monkeypatch.setenv("PAPERTIDE_BASE_URL", "http://papertide.test")
    monkeypatch.setenv("PAPERTIDE_MAIL_RATE_PER_SECOND", "1000")
    # No background index-sync (embedding) thread in the apps these tests build.
    monkeypatch.setenv("PAPERTIDE_INDEX_SYNC_SECONDS", "0")
    return load_settings()


def add_paper(
    db: DbSession,
    arxiv_id: str,
    title: str,
    abstract: str,
    *,
    categories: tuple[str, ...] = ("cs.LG",),
    announced: dt.date | None = None,
    feed_day: dt.date | None = None,
    upvotes: int = 0,
    authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing"),
) -> Paper:
    paper = Paper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        authors=list(authors),
        categories=list(categories),
        primary_category=categories[0],
        first_announced=announced,
        published_at=dt.datetime.combine(announced or dt.date(2026, 1, 1), dt.time(), dt.UTC),
    )
    db.add(paper)
    db.flush()
    for cat in categories:
        db.add(PaperCategory(paper_id=paper.id, category=cat))
    if feed_day is not None:
        db.add(
            FeedEntry(
                paper_id=paper.id,
                feed_date=feed_day,
                upvotes=upvotes,
                source="hf",
                submitted_at=dt.datetime.combine(feed_day, dt.time(6), dt.UTC),
            )
        )
    return paper


def add_subscription(db: DbSession, email_address: str, kind: str, **fields: Any) -> Subscription:
    """An active (already confirmed) subscription."""
    fields.setdefault("confirmed_at", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    sub = Subscription(
        email=email_address,
        kind=kind,
        params=fields.pop("params", {}),
        frequency=fields.pop("frequency", "weekly" if kind == "weekly_trending" else "daily"),
        send_hour=fields.pop("send_hour", 7),
        timezone=fields.pop("timezone", "UTC"),
        status=fields.pop("status", "active"),
        **fields,
    )
    db.add(sub)
    db.flush()
    return sub


@pytest.fixture
def db(engine: Engine) -> Iterator[DbSession]:
    with DbSession(engine, expire_on_commit=False) as session:
        yield session
