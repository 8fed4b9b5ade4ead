"""Periods in the subscriber's own time zone: weekdays only for daily trending, Mondays for
weekly digests, and a catch-up of exactly one period after downtime."""

from __future__ import annotations

import datetime as dt

from papertide.digest.schedule import current_period, due_period, period_by_key
from papertide.store.schema import Subscription

UTC = dt.UTC


def _sub(kind: str = "daily_trending", **fields: object) -> Subscription:
    values: dict[str, object] = {
        "id": 1,
        "email": "a@example.org",
        "kind": kind,
        "params": {},
        "frequency": "weekly" if kind == "weekly_trending" else "daily",
        "send_hour": 7,
        "timezone": "Europe/Berlin",
        "status": "active",
        "confirmed_at": dt.datetime(2026, 1, 1, tzinfo=UTC),
    }
    values.update(fields)
    return Subscription(**values)


def test_send_hour_is_local_time() -> None:
    sub = _sub()  # 07:00 in Berlin is 06:00 UTC in winter
    before = due_period(sub, dt.datetime(2026, 11, 26, 5, 59, tzinfo=UTC))
    after = due_period(sub, dt.datetime(2026, 11, 26, 6, 0, tzinfo=UTC))
    assert before is not None and before.key == "2026-11-25"  # still yesterday's period
    assert after is not None and after.key == "2026-11-26"
    assert after.end == dt.datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


def test_daily_trending_skips_weekends_and_monday_covers_them() -> None:
    sub = _sub(timezone="UTC")
    sunday = current_period(sub, dt.datetime(2026, 11, 29, 12, tzinfo=UTC))
    assert sunday.key == "2026-11-27"  # Friday's mail is still the latest one
    monday = current_period(sub, dt.datetime(2026, 11, 30, 8, tzinfo=UTC))
    assert monday.key == "2026-11-30"
    assert monday.start == dt.datetime(2026, 11, 27, 7, tzinfo=UTC)
    # Category alerts run every day.
    alert = current_period(
        _sub("category", timezone="UTC"), dt.datetime(2026, 11, 29, 8, tzinfo=UTC)
    )
    assert alert.key == "2026-11-29"


def test_weekly_digest_goes_out_on_monday_and_keys_by_iso_week() -> None:
    sub = _sub("weekly_trending", timezone="UTC")
    period = current_period(sub, dt.datetime(2026, 11, 26, 12, tzinfo=UTC))
    assert period.key == "2026-W48"
    assert period.end == dt.datetime(2026, 11, 23, 7, tzinfo=UTC)
    assert period_by_key(sub, "2026-W48") == period


def test_paused_pending_and_newly_confirmed_are_not_due() -> None:
    now = dt.datetime(2026, 11, 26, 8, tzinfo=UTC)
    assert due_period(_sub(status="paused"), now) is None
    assert due_period(_sub(status="pending", confirmed_at=None), now) is None
    assert due_period(_sub(confirmed_at=now - dt.timedelta(hours=1)), now) is None
