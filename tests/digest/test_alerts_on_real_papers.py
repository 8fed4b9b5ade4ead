"""Alerts and recommendation mails decided by the calibrated line, through `send_due` and a real
SMTP server, over real arXiv papers (the bundled sample's papers announced from 6 to 21 August
2026, indexed with the bundled model's shipped vectors) on both databases.

The weekly mail sent on Monday 24 August covers the papers announced 17-23 August (60 of them);
the papers of the two weeks before are the archive that must not be sent again.
"""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import index_sample_papers
from tests.digest.conftest import SmtpServer, add_subscription

from papertide.config import Settings
from papertide.digest import library as lib
from papertide.digest.compose import MAX_ITEMS
from papertide.digest.send import SendOptions, send_due
from papertide.models import PaperRecord, SeedOwner
from papertide.rank.recommend import MIN_SCORE, Ranker, recent_candidates
from papertide.store.schema import Delivery, Paper

NOW = dt.datetime(2026, 8, 24, 8, 0, tzinfo=dt.UTC)  # Monday, after the 07:00 send hour
WEEK = (dt.date(2026, 8, 17), dt.date(2026, 8, 23))
FAST = SendOptions(retries=3, backoff=0.0, sleep=lambda _s: None)
NEEDLE = "2608.14144"
NEEDLE_TITLE = "Self-Supervised Visual On-Policy Distillation"


@pytest.fixture
def papers(mail_settings: Settings, engine: Engine) -> dict[str, PaperRecord]:
    records = index_sample_papers(mail_settings, engine, dt.date(2026, 8, 6), dt.date(2026, 8, 21))
    return {r.arxiv_id: r for r in records}


def _weekly(db: Session, address: str, query: str) -> None:
    add_subscription(db, address, "search", params={"query": query}, frequency="weekly")


def _mailed_ids(message: EmailMessage, papers: dict[str, PaperRecord]) -> set[str]:
    body = message.get_body(("plain",))
    assert body is not None
    text = str(body.get_content())
    return {a for a in papers if f"/papers/{a}" in text}


def _this_week(papers: dict[str, PaperRecord]) -> set[str]:
    return {
        a
        for a, p in papers.items()
        if p.first_announced and WEEK[0] <= p.first_announced <= WEEK[1]
    }


def test_an_alert_on_a_broad_topic_sends_the_matching_new_papers(
    engine: Engine,
    db: Session,
    mail_settings: Settings,
    smtp: SmtpServer,
    papers: dict[str, PaperRecord],
) -> None:
    _weekly(db, "video@example.org", "video generation")
    db.commit()

    report = send_due(mail_settings, engine, NOW, options=FAST)

    (mail,) = smtp.inbox.to("video@example.org")
    sent = _mailed_ids(mail, papers)
    new_video = {a for a in _this_week(papers) if "video" in papers[a].title.lower()}
    older_video = {a for a in papers if "video" in papers[a].title.lower()} - new_video
    assert len(new_video) > MAX_ITEMS and older_video
    # The week has more papers on the topic than a mail holds: a full mail, every paper in it
    # about video and new this week, nothing from the weeks before.
    assert len(sent) == MAX_ITEMS
    assert all("video" in f"{papers[a].title} {papers[a].abstract}".lower() for a in sent)
    assert sent <= _this_week(papers)
    assert "video generation" in str(mail["Subject"]) and report.sent == 1


def test_an_alert_on_nonsense_sends_nothing(
    engine: Engine,
    db: Session,
    mail_settings: Settings,
    smtp: SmtpServer,
    papers: dict[str, PaperRecord],
) -> None:
    _weekly(db, "nonsense@example.org", "qwzx blorfing snarkle")
    _weekly(db, "salad@example.org", "zzkqv wwpt")
    db.commit()

    report = send_due(mail_settings, engine, NOW, options=FAST)

    assert smtp.inbox.messages == []
    assert (report.sent, report.skipped) == (0, 2)
    assert {d.status for d in db.scalars(select(Delivery))} == {"skipped"}


@pytest.mark.parametrize("needle", [NEEDLE_TITLE, NEEDLE_TITLE.lower(), NEEDLE, f"arXiv:{NEEDLE}"])
def test_an_alert_on_a_title_or_an_id_sends_that_one_paper(
    engine: Engine,
    db: Session,
    mail_settings: Settings,
    smtp: SmtpServer,
    papers: dict[str, PaperRecord],
    needle: str,
) -> None:
    _weekly(db, "needle@example.org", needle)
    db.commit()

    send_due(mail_settings, engine, NOW, options=FAST)

    (mail,) = smtp.inbox.to("needle@example.org")
    assert _mailed_ids(mail, papers) == {NEEDLE}
    assert "[papertide] 1 paper:" in str(mail["Subject"])


def test_an_alert_on_an_author_sends_only_their_new_papers(
    engine: Engine,
    db: Session,
    mail_settings: Settings,
    smtp: SmtpServer,
    papers: dict[str, PaperRecord],
) -> None:
    _weekly(db, "torr@example.org", "Philip Torr")
    _weekly(db, "mcauley@example.org", "Julian McAuley")  # nothing of his this week
    db.commit()

    send_due(mail_settings, engine, NOW, options=FAST)

    theirs = {a for a, p in papers.items() if "Philip Torr" in p.authors}
    assert len(theirs) >= 2  # some before this week
    (mail,) = smtp.inbox.to("torr@example.org")
    assert _mailed_ids(mail, papers) == theirs & _this_week(papers) == {NEEDLE}
    assert smtp.inbox.to("mcauley@example.org") == []


def test_recommendation_mails_hold_only_papers_that_clear_the_line_with_reasons(
    engine: Engine,
    db: Session,
    mail_settings: Settings,
    smtp: SmtpServer,
    papers: dict[str, PaperRecord],
) -> None:
    older = [a for a in papers if a not in _this_week(papers)]
    video = [a for a in older if "video" in papers[a].title.lower()][:4]
    assert len(video) == 4
    sub = add_subscription(db, "video@example.org", "recommendations", frequency="weekly")
    lib.import_library(db, SeedOwner.for_subscription(sub.id), " ".join(video), None)
    db.commit()

    send_due(mail_settings, engine, NOW, options=FAST)

    (mail,) = smtp.inbox.to("video@example.org")
    text = str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    sent = _mailed_ids(mail, papers) - set(video)
    pool = recent_candidates(db, NOW, days=7, categories=mail_settings.categories)
    liked = list(db.scalars(select(Paper).where(Paper.arxiv_id.in_(video))))
    every = Ranker(pool).rank(liked, limit=len(pool), min_score=0.0)
    by_id = {p.id: p.arxiv_id for p in pool}
    cleared = {by_id[r.paper_id] for r in every if r.score >= MIN_SCORE}
    assert len(cleared) < len(every)  # the line leaves papers out
    assert 0 < len(sent) <= 10 and sent <= cleared
    assert text.count("from your library") >= len(sent)  # each with the papers it is close to


def test_for_you_lists_only_papers_that_clear_the_line_each_with_its_reason(
    engine: Engine,
    db: Session,
    mail_settings: Settings,
    smtp: SmtpServer,
    papers: dict[str, PaperRecord],
) -> None:
    from fastapi.testclient import TestClient
    from tests.digest.test_routes import _sign_in

    from papertide.web.app import create_app

    video = [a for a in papers if "video" in papers[a].title.lower()][:4]
    with TestClient(create_app(mail_settings, engine=engine)) as client:
        csrf = _sign_in(client, smtp, "reader@example.org")
        added = client.post(
            "/recommendations/library",
            data={"ids": " ".join(video), "csrf_token": csrf},
            headers={"accept": "application/json"},
        )
        assert added.status_code == 200 and len(added.json()["added"]) == 4
        page = client.get("/recommendations").text
    listed = page[page.index('<ol class="for-you-list">') : page.index("</ol>")]
    shown = re.findall(r'<h3 data-math><a href="/papers/([^"]+)"', listed)
    pool = recent_candidates(
        db, dt.datetime.now(dt.UTC), days=7, categories=mail_settings.categories
    )
    liked = list(db.scalars(select(Paper).where(Paper.arxiv_id.in_(video))))
    every = Ranker(pool).rank(liked, limit=len(pool), min_score=0.0)
    by_id = {p.id: p.arxiv_id for p in pool}
    cleared = [by_id[r.paper_id] for r in every if r.score >= MIN_SCORE]
    assert shown and len(cleared) < len(every)
    assert shown == cleared[:20]  # best first, only what clears the line
    assert listed.count("from your library") == len(shown)
