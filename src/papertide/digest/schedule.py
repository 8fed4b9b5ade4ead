"""When each subscription is due, and the period (the idempotency unit) each mail covers.

A period is named in the subscriber's own time zone: "2026-11-26" for a daily mail, "2026-W48"
for a weekly one. The due period at any moment is the latest one whose send time (send hour, local)
has passed — so a scheduler that was down catches up once, and never sends two mails for one
period. Daily trending digests go out on weekdays only, as the feed is built on weekdays.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from papertide.store.schema import Subscription


@dataclass(frozen=True, slots=True)
class Period:
    """One mailing period of one subscription: its key and the time window its content covers."""

    key: str  # "2026-11-26" or "2026-W48"
    frequency: str
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive: the send time
    label: str  # "Thursday, November 26" / "week 48 of 2026"


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _send_time(day: dt.date, hour: int, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), zone).astimezone(dt.UTC)


def _weekly_period(monday: dt.date, sub: Subscription, zone: zoneinfo.ZoneInfo) -> Period:
    end = _send_time(monday, sub.send_hour, zone)
    year, week, _ = monday.isocalendar()
    return Period(
        f"{year}-W{week:02d}",
        "weekly",
        end - dt.timedelta(days=7),
        end,
        f"week {week} of {year}",
    )


def _daily_period(day: dt.date, sub: Subscription, zone: zoneinfo.ZoneInfo) -> Period:
    end = _send_time(day, sub.send_hour, zone)
    # Monday's mail covers the weekend too, so nothing published on Saturday is lost.
    days = 3 if (sub.kind == "daily_trending" and day.weekday() == 0) else 1
    return Period(
        day.isoformat(),
        "daily",
        _send_time(day - dt.timedelta(days=days), sub.send_hour, zone),
        end,
        day.strftime("%A, %B %-d"),
    )


def current_period(sub: Subscription, now: dt.datetime) -> Period:
    """The latest period of `sub` whose send time is at or before `now`."""
    zone = _zone(sub.timezone)
    local = now.astimezone(zone)
    weekly = sub.kind == "weekly_trending" or sub.frequency == "weekly"
    if weekly:
        monday = local.date() - dt.timedelta(days=local.weekday())
        period = _weekly_period(monday, sub, zone)
        if period.end > now:
            period = _weekly_period(monday - dt.timedelta(days=7), sub, zone)
        return period
    day = local.date()
    for _ in range(8):
        period = _daily_period(day, sub, zone)
        weekday_ok = sub.kind != "daily_trending" or day.weekday() < 5
        if weekday_ok and period.end <= now:
            return period
        day -= dt.timedelta(days=1)
    raise AssertionError("unreachable: a week always has a weekday")


def due_period(sub: Subscription, now: dt.datetime) -> Period | None:
    """The period to mail now, or None (not active, or confirmed after that period was due)."""
    if sub.status != "active" or sub.confirmed_at is None:
        return None
    period = current_period(sub, now)
    if period.end < sub.confirmed_at:
        return None  # subscribed after this period's mail time: start with the next one
    return period


def period_by_key(sub: Subscription, key: str) -> Period:
    """The period named `key` ("2026-11-26" or "2026-W48") for this subscription."""
    zone = _zone(sub.timezone)
    if "-W" in key:
        year, week = key.split("-W")
        monday = dt.date.fromisocalendar(int(year), int(week), 1)
        return _weekly_period(monday, sub, zone)
    return _daily_period(dt.date.fromisoformat(key), sub, zone)
