"""`papertide digest …` end to end: add, preview, send twice, list, failures."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from tests.digest.conftest import SmtpServer, add_subscription
from tests.digest.test_send import _feed
from typer.testing import CliRunner

from papertide.cli import app
from papertide.config import Settings
from papertide.store.schema import Subscription


def test_digest_commands_send_once_and_report(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    _feed(db)
    runner = CliRunner()
    added = runner.invoke(app, ["digest", "add", "cli@example.org", "--confirmed"])
    assert added.exit_code == 0, added.output
    # As if confirmed long ago, so that the first due period does not depend on today's date.
    db.execute(update(Subscription).values(confirmed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    db.commit()
    bad = runner.invoke(app, ["digest", "add", "not an address"])
    assert bad.exit_code == 1 and "not an email address" in bad.output

    preview = runner.invoke(
        app, ["digest", "preview", "cli@example.org", "--now", "2026-11-26T08:00"]
    )
    assert preview.exit_code == 0, preview.output
    assert "Sparse mixture of experts" in preview.output
    assert smtp.inbox.messages == []  # a preview sends nothing

    first = runner.invoke(app, ["digest", "send", "--now", "2026-11-26T08:00", "--json"])
    assert first.exit_code == 0, first.output
    assert '"sent": 1' in first.output
    again = runner.invoke(app, ["digest", "send", "--now", "2026-11-26T09:00", "--json"])
    assert '"sent": 0' in again.output and '"already_done": 1' in again.output
    assert len(smtp.inbox.to("cli@example.org")) == 1

    listing = runner.invoke(app, ["digest", "list"])
    assert "cli@example.org" in listing.output and "active" in listing.output
    assert "no failed" in runner.invoke(app, ["digest", "failures"]).output
    wrong = runner.invoke(app, ["digest", "send", "--period", "hourly"])
    assert wrong.exit_code == 1 and "unknown --period" in wrong.output
    bad_shard = runner.invoke(app, ["digest", "send", "--shard", "2/2"])
    assert bad_shard.exit_code == 1 and "between 0 and N-1" in bad_shard.output


def test_digest_send_without_now_follows_the_demo_clock(
    engine: Engine,
    db: Session,
    mail_settings: Settings,
    smtp: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The papers are on the feed of 2026-11-25; the demo's today is the day after.
    _feed(db)
    add_subscription(db, "demo@example.org", "daily_trending", send_hour=0)
    db.commit()
    monkeypatch.setenv("PAPERTIDE_DEMO_TODAY", "2026-11-26")
    sent = CliRunner().invoke(app, ["digest", "send", "--json"])
    assert sent.exit_code == 0, sent.output
    assert '"sent": 1' in sent.output
    (message,) = smtp.inbox.to("demo@example.org")
    assert "Sparse mixture of experts" in message.get_body(("plain",)).get_content()
