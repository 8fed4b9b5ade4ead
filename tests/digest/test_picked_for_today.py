"""The "Picked for today" section of daily digests: the model's suggested papers (above its
line) of the period's listing days, with their chance and reasons; omitted when none. Mailed
through a real SMTP server (aiosmtpd), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.digest.conftest import SmtpServer, add_paper, add_subscription

from papertide.config import Settings
from papertide.digest.send import SendOptions, send_due
from papertide.ingest.sample import load_demo_data
from papertide.rank.curate.service import current_model, day_suggestions, forget_day_suggestions
from papertide.rank.trending import trending_papers

FAST = SendOptions(retries=3, backoff=0.0, sleep=lambda _s: None)


@pytest.fixture(autouse=True)
def fresh_suggestions() -> Iterator[None]:
    forget_day_suggestions()
    yield
    forget_day_suggestions()


def _section(text: str, heading: str) -> str:
    """The plain-text part between `heading` and the next section (or the footer)."""
    start = text.index(heading)
    rest = text[start + len(heading) :]
    ends = [rest.find(h) for h in ("\n== ", "\n--\n") if rest.find(h) > 0]
    return rest[: min(ends)] if ends else rest


def test_the_sample_days_suggestions_follow_its_trending_papers(
    engine: Engine, mail_settings: Settings, smtp: SmtpServer
) -> None:
    """Tuesday's mail of the demo data: Monday's trending feed, then the model's picks of
    Monday's new papers that are not trending already, best first, each saying why."""
    load_demo_data(mail_settings, engine)
    listing_day = dt.date(2026, 8, 10)
    now = dt.datetime(2026, 8, 11, 8, 0, tzinfo=dt.UTC)
    with Session(engine) as db:
        add_subscription(db, "reader@example.org", "daily_trending")
        db.commit()
        # The mail's trending section: the day's first ten trending papers.
        ranked = [
            t.item.paper.arxiv_id
            for t in trending_papers(
                db, "day", dt.datetime(2026, 8, 10, 23, 59, 59, tzinfo=dt.UTC), limit=50
            )
            if t.item.feed_date == listing_day
        ]
        trending = set(ranked[:10])
    found = day_suggestions(
        engine, mail_settings.data_dir, listing_day, categories=tuple(mail_settings.categories)
    )
    expected = [s for s in found.above if s.paper.arxiv_id not in trending][:10]
    assert expected, "the sample's Monday has suggestions beyond its trending papers"

    report = send_due(mail_settings, engine, now, options=FAST)
    assert report.sent == 1
    (message,) = smtp.inbox.to("reader@example.org")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.index("Trending today") < text.index("Picked for today")
    picked = _section(text, "Picked for today")
    urls = [f"https://arxiv.org/abs/{s.paper.arxiv_id}" for s in expected]
    positions = [picked.index(u) for u in urls]
    assert positions == sorted(positions), "best first"
    for s in expected:
        assert f"chance of being picked · {'; '.join(s.reasons)}" in picked
    assert "Picked for today" in html and urls[0] in html
    for arxiv_id in trending:  # no paper twice in one mail
        assert text.count(f"arXiv: https://arxiv.org/abs/{arxiv_id} ") <= 1


def _unfed_day(engine: Engine) -> None:
    """Wednesday's listing with nothing on the feed: an instance without a curator."""
    wednesday = dt.date(2026, 11, 25)
    with Session(engine) as db:
        add_paper(
            db,
            "2611.00001",
            "Sparse mixture of experts for long-context language models",
            "We scale mixture-of-experts transformers to a million tokens of context.",
            announced=wednesday,
        )
        add_paper(
            db,
            "2611.00003",
            "Robust visual place recognition under seasonal change",
            "Place recognition for robots across seasons with contrastive features.",
            categories=("cs.CV",),
            announced=wednesday,
        )
        add_subscription(db, "reader@example.org", "daily_trending")
        db.commit()


NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)  # Thursday: the mail covers Wednesday


def test_a_day_with_nothing_on_the_feed_still_mails_the_suggestions(
    engine: Engine, mail_settings: Settings, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _unfed_day(engine)
    model, _ = current_model(mail_settings.data_dir)
    monkeypatch.setattr(model, "threshold", 0.0)  # both papers above the line
    report = send_due(mail_settings, engine, NOW, options=FAST)
    assert report.sent == 1
    text = smtp.inbox.to("reader@example.org")[0].get_body(("plain",)).get_content()
    assert "Trending today" not in text and "Picked for today" in text
    assert "Sparse mixture of experts" in text and "Robust visual place recognition" in text


def test_nothing_above_the_line_sends_no_mail(
    engine: Engine, mail_settings: Settings, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _unfed_day(engine)
    model, _ = current_model(mail_settings.data_dir)
    monkeypatch.setattr(model, "threshold", 1.01)
    report = send_due(mail_settings, engine, NOW, options=FAST)
    assert (report.sent, report.skipped) == (0, 1)
    assert smtp.inbox.messages == []
