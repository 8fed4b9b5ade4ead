"""Digests through a real SMTP server: content, silence, reruns, outages, permanent failures."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.digest.conftest import SmtpServer, add_paper, add_subscription

from papertide.config import Settings
from papertide.digest.send import SendOptions, failed_deliveries, send_due
from papertide.store.schema import Delivery

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)  # a Thursday, after the 07:00 send hour
TODAY = NOW.date()
YESTERDAY = TODAY - dt.timedelta(days=1)
FAST = SendOptions(retries=3, backoff=0.0, sleep=lambda _s: None)


def _feed(db: Session) -> None:
    add_paper(
        db,
        "2611.00001",
        "Sparse mixture of experts for long-context language models",
        "We scale mixture-of-experts transformers to a million tokens of context.",
        feed_day=YESTERDAY,
        upvotes=40,
        announced=YESTERDAY,
    )
    add_paper(
        db,
        "2611.00002",
        "Diffusion models for protein structure generation",
        "A diffusion model that generates protein backbones.",
        categories=("q-bio.BM", "cs.LG"),
        feed_day=YESTERDAY,
        upvotes=12,
        announced=YESTERDAY,
    )
    add_paper(
        db,
        "2611.00003",
        "Robust visual place recognition under seasonal change",
        "Place recognition for robots across seasons with contrastive features.",
        categories=("cs.CV",),
        announced=YESTERDAY,
    )
    db.commit()


def test_daily_digest_has_both_parts_reasons_links_and_unsubscribe_headers(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    _feed(db)
    add_subscription(db, "reader@example.org", "daily_trending")
    db.commit()

    report = send_due(mail_settings, engine, NOW, options=FAST)

    assert report.sent == 1 and report.failed == 0
    (message,) = smtp.inbox.to("reader@example.org")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(message["List-Unsubscribe"])
    assert unsubscribe.startswith("<http://papertide.test/subscriptions/unsubscribe/")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # The most upvoted paper comes first, with the reason it is there.
    assert text.index("Sparse mixture of experts") < text.index("Diffusion models for protein")
    assert "#1 of the day · 40 upvotes" in text
    assert "Ada Lovelace, Alan Turing" in text
    assert "https://arxiv.org/abs/2611.00001" in html
    assert "prefers-color-scheme: dark" in html
    assert "Robust visual place recognition" not in text  # not on the feed
    row = db.scalars(select(Delivery)).one()
    assert (row.status, row.period, row.attempts) == ("sent", "2026-11-26", 1)


def test_a_day_without_new_feed_papers_sends_no_repeat_of_the_last_list(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    _feed(db)  # papers on Wednesday's feed only
    add_subscription(db, "reader@example.org", "daily_trending")
    db.commit()
    assert send_due(mail_settings, engine, NOW, options=FAST).sent == 1  # Thursday's mail
    friday = send_due(mail_settings, engine, NOW + dt.timedelta(days=1), options=FAST)
    assert (friday.sent, friday.skipped) == (0, 1)
    assert len(smtp.inbox.messages) == 1


def test_rerun_sends_nothing(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    _feed(db)
    for i in range(3):
        add_subscription(db, f"r{i}@example.org", "daily_trending")
    db.commit()
    first = send_due(mail_settings, engine, NOW, options=FAST)
    second = send_due(mail_settings, engine, NOW + dt.timedelta(hours=3), options=FAST)
    assert first.sent == 3
    assert (second.sent, second.already) == (0, 3)
    assert len(smtp.inbox.messages) == 3


def test_alert_with_nothing_relevant_sends_nothing(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    _feed(db)
    add_subscription(db, "geometer@example.org", "category", params={"category": "math.AG"})
    add_subscription(db, "vision@example.org", "category", params={"category": "cs.CV"})
    db.commit()

    report = send_due(mail_settings, engine, NOW, options=FAST)

    assert smtp.inbox.to("geometer@example.org") == []
    (vision,) = smtp.inbox.to("vision@example.org")
    assert "Robust visual place recognition" in vision.get_body(("plain",)).get_content()
    assert (report.sent, report.skipped) == (1, 1)
    statuses = {d.email: d.status for d in db.scalars(select(Delivery))}
    assert statuses == {"geometer@example.org": "skipped", "vision@example.org": "sent"}


def test_server_stopped_mid_run_then_restarted_everyone_gets_exactly_one(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    _feed(db)
    people = [f"p{i}@example.org" for i in range(8)]
    for address in people:
        add_subscription(db, address, "daily_trending")
    db.commit()

    def stop_after_three(index: int, _total: int) -> None:
        if index == 4:
            smtp.stop()

    first = send_due(mail_settings, engine, NOW, options=FAST, progress=stop_after_three)
    assert first.sent == 3 and first.deferred == 5
    assert sorted({str(m["To"]) for m in smtp.inbox.messages}) == people[:3]

    smtp.start()
    second = send_due(mail_settings, engine, NOW + dt.timedelta(minutes=10), options=FAST)

    assert (second.sent, second.already) == (5, 3)
    for address in people:
        assert len(smtp.inbox.to(address)) == 1, address
    assert {d.status for d in db.scalars(select(Delivery))} == {"sent"}


def test_server_back_during_backoff_is_retried_within_the_same_run(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    _feed(db)
    for i in range(4):
        add_subscription(db, f"q{i}@example.org", "daily_trending")
    db.commit()
    waits: list[float] = []

    def restart_while_waiting(seconds: float) -> None:
        waits.append(seconds)
        if smtp.controller is None:
            smtp.start()

    def stop_before_second(index: int, _total: int) -> None:
        if index == 2:
            smtp.stop()

    options = SendOptions(retries=4, backoff=0.5, sleep=restart_while_waiting)
    report = send_due(mail_settings, engine, NOW, options=options, progress=stop_before_second)

    assert report.sent == 4 and report.deferred == 0
    assert 0.5 in waits  # the first retry waited the configured backoff
    assert sorted(str(m["To"]) for m in smtp.inbox.messages) == [
        f"q{i}@example.org" for i in range(4)
    ]


def test_permanent_refusal_is_recorded_not_retried_and_listed_for_admins(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    _feed(db)
    add_subscription(db, "gone@example.org", "daily_trending")
    add_subscription(db, "here@example.org", "daily_trending")
    db.commit()
    smtp.inbox.refuse.add("gone@example.org")

    report = send_due(mail_settings, engine, NOW, options=FAST)
    again = send_due(mail_settings, engine, NOW, options=FAST)

    assert (report.sent, report.failed) == (1, 1)
    assert again.already == 2
    (failed,) = failed_deliveries(db)
    assert failed.email == "gone@example.org" and failed.status == "failed"
    assert failed.attempts == 1 and "550" in (failed.last_error or "")


def test_rate_limit_spaces_out_messages(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    _feed(db)
    for i in range(3):
        add_subscription(db, f"s{i}@example.org", "daily_trending")
    db.commit()
    clock = [0.0]  # a clock that only moves when the sender sleeps
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    options = SendOptions(rate_per_second=2.0, sleep=sleep, clock=lambda: clock[0])
    report = send_due(mail_settings, engine, NOW, options=options)
    assert report.sent == 3
    assert waits == [0.5, 0.5]  # 2 per second: each message after the first waits its slot


def test_subscription_confirmed_after_the_send_hour_starts_next_period(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    _feed(db)
    add_subscription(
        db, "late@example.org", "daily_trending", confirmed_at=NOW - dt.timedelta(minutes=30)
    )
    db.commit()
    assert send_due(mail_settings, engine, NOW, options=FAST).due == 0
    tomorrow = send_due(mail_settings, engine, NOW + dt.timedelta(days=1), options=FAST)
    assert tomorrow.due == 1


def test_parallel_senders_deliver_each_message_exactly_once(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    _feed(db)
    people = [f"w{i}@example.org" for i in range(12)]
    for address in people:
        add_subscription(db, address, "daily_trending")
    db.commit()
    options = SendOptions(workers=3, backoff=0.0, sleep=lambda _s: None)

    first = send_due(mail_settings, engine, NOW, options=options)
    again = send_due(mail_settings, engine, NOW, options=options)

    assert (first.sent, again.sent, again.already) == (12, 0, 12)
    assert sorted(str(m["To"]) for m in smtp.inbox.messages) == sorted(people)
    assert {d.status for d in db.scalars(select(Delivery))} == {"sent"}


def test_parallel_senders_stop_when_the_server_is_gone_and_lose_nobody(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    _feed(db)
    people = [f"v{i}@example.org" for i in range(10)]
    for address in people:
        add_subscription(db, address, "daily_trending")
    db.commit()
    smtp.stop()
    options = SendOptions(workers=2, backoff=0.0, sleep=lambda _s: None)

    down = send_due(mail_settings, engine, NOW, options=options)
    assert down.sent == 0 and down.deferred == 10

    smtp.start()
    back = send_due(mail_settings, engine, NOW, options=options)
    assert back.sent == 10
    for address in people:
        assert len(smtp.inbox.to(address)) == 1, address


def test_saved_search_alert_sends_only_results_above_the_relevance_cutoff(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    from papertide.search.api import get_searcher

    _feed(db)
    # A three-paper keyword index gives small calibrated relevances: the cutoffs are set
    # explicitly around the one that matches.
    add_subscription(
        db,
        "moe@example.org",
        "search",
        params={"query": "mixture of experts", "min_relevance": 0.001},
    )
    add_subscription(
        db,
        "strict@example.org",
        "search",
        params={"query": "mixture of experts", "min_relevance": 1.0},
    )
    add_subscription(
        db, "nothing@example.org", "search", params={"query": "quantum chromodynamics"}
    )
    db.commit()
    get_searcher(mail_settings).rebuild(engine)

    report = send_due(mail_settings, engine, NOW, options=FAST)

    (alert,) = smtp.inbox.to("moe@example.org")
    text = alert.get_body(("plain",)).get_content()
    assert "Sparse mixture of experts" in text and "relevance" in text
    assert "Robust visual place recognition" not in text
    assert smtp.inbox.to("strict@example.org") == []
    assert smtp.inbox.to("nothing@example.org") == []
    assert (report.sent, report.skipped) == (1, 2)


def test_saved_search_without_an_index_is_retried_later_not_skipped(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    _feed(db)
    add_subscription(db, "moe@example.org", "search", params={"query": "mixture of experts"})
    db.commit()
    report = send_due(mail_settings, engine, NOW, options=FAST)
    assert (report.sent, report.skipped, report.deferred) == (0, 0, 1)
    assert "index" in report.errors[0]
    assert db.scalars(select(Delivery)).all() == []


def test_two_shards_together_mail_everyone_once(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    _feed(db)
    people = [f"s{i}@example.org" for i in range(7)]
    for address in people:
        add_subscription(db, address, "daily_trending")
    db.commit()
    first = send_due(mail_settings, engine, NOW, shard=(0, 2), options=FAST)
    second = send_due(mail_settings, engine, NOW, shard=(1, 2), options=FAST)
    assert first.sent + second.sent == 7 and 0 < first.sent < 7
    assert sorted(str(m["To"]) for m in smtp.inbox.messages) == sorted(people)


def test_mail_shows_latex_markup_as_text_and_math_readably(
    engine: Engine, db: Session, mail_settings: Settings, smtp: SmtpServer
) -> None:
    add_paper(
        db,
        "2611.00009",
        r"\textbf{DreamX-Phi 1.0}: action-conditioned world models -- at scale",
        r"We reach 97.3\% success with $16\times$ fewer steps, a ``simple'' recipe.",
        feed_day=YESTERDAY,
        upvotes=50,
        announced=YESTERDAY,
    )
    add_subscription(db, "reader@example.org", "daily_trending")
    db.commit()
    assert send_due(mail_settings, engine, NOW, options=FAST).sent == 1
    (message,) = smtp.inbox.to("reader@example.org")
    for part in (message.get_body(("plain",)), message.get_body(("html",))):
        body = part.get_content()
        assert "DreamX-Phi 1.0: action-conditioned world models – at scale" in body
        assert "97.3% success with 16× fewer steps, a “simple” recipe" in body
        assert "\\textbf" not in body and "\\%" not in body and "world models --" not in body
