"""Subscriptions: create (pending until the email is confirmed), confirm, pause, change, end.

Everything here validates what a person typed: addresses, kinds, hours, time zones, and the text
that ends up in mail headers (saved-search queries), so bad input is a clear InvalidInput.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from papertide.models import SeedOwner, parse_email
from papertide.store.schema import Subscription, User, utcnow

Kind = Literal["daily_trending", "weekly_trending", "category", "search", "recommendations"]
KINDS: tuple[str, ...] = (
    "daily_trending",
    "weekly_trending",
    "category",
    "search",
    "recommendations",
)
KIND_LABELS: dict[str, str] = {
    "daily_trending": "Daily trending digest",
    "weekly_trending": "Weekly trending digest",
    "category": "New papers in a category",
    "search": "Saved search alert",
    "recommendations": "Personal recommendations",
}
FREQUENCIES = ("daily", "weekly")
STATUSES = ("pending", "active", "paused", "off")

_CATEGORY = re.compile(r"^[a-z-]{2,16}(?:\.[A-Za-z-]{1,16})?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
MAX_QUERY = 300


class InvalidInput(ValueError):
    """Something a person typed cannot be used; the message says what and how to fix it."""


def normalise_email(value: str) -> str:
    """The address, trimmed and lower-cased, or InvalidInput."""
    if _CONTROL.search(value or ""):
        raise InvalidInput("an email address cannot contain line breaks or control characters")
    email = parse_email(value)
    if email is None:
        raise InvalidInput(f"{value.strip()[:80]!r} is not an email address; use name@example.org")
    return email


def clean_query(value: str) -> str:
    """A saved-search query safe to show in a subject line: one line, bounded length."""
    query = " ".join(_CONTROL.sub(" ", value or "").split())
    if not query:
        raise InvalidInput("a saved search needs a query")
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"the query is too long ({len(query)} characters; at most {MAX_QUERY})")
    return query


def check_category(value: str) -> str:
    category = (value or "").strip()
    if not _CATEGORY.match(category):
        raise InvalidInput(f"{category[:40]!r} is not an arXiv category; use e.g. cs.LG or hep-th")
    return category


def check_timezone(value: str) -> str:
    name = (value or "UTC").strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {name[:64]!r}; use e.g. Europe/Berlin or UTC"
        ) from None
    return name


@dataclass(frozen=True)
class Request:
    """What a subscribe form asks for, validated."""

    email: str
    kind: str
    params: dict[str, Any]
    frequency: str
    send_hour: int
    timezone: str


def validate_request(
    email: str,
    kind: str,
    *,
    category: str | None = None,
    query: str | None = None,
    categories: list[str] | None = None,
    frequency: str | None = None,
    send_hour: int | str | None = 7,
    timezone: str = "UTC",
    min_relevance: float | str | None = None,
) -> Request:
    """A subscribe request checked field by field; InvalidInput names the first bad field."""
    address = normalise_email(email)
    if kind not in KINDS:
        raise InvalidInput(
            f"unknown subscription kind {kind[:40]!r}; use one of {', '.join(KINDS)}"
        )
    params: dict[str, Any] = {}
    if kind == "category":
        params["category"] = check_category(category or "")
    if kind == "search":
        params["query"] = clean_query(query or "")
        if categories:
            params["categories"] = [check_category(c) for c in categories if c.strip()]
        if min_relevance not in (None, ""):
            try:
                threshold = float(min_relevance)
            except ValueError:
                raise InvalidInput("min_relevance must be a number between 0 and 1") from None
            if not 0.0 <= threshold <= 1.0:
                raise InvalidInput("min_relevance must be between 0 and 1")
            params["min_relevance"] = threshold
    default_frequency = "weekly" if kind == "weekly_trending" else "daily"
    freq = frequency or default_frequency
    if kind in ("daily_trending", "weekly_trending"):
        freq = default_frequency  # the kind is the frequency
    if freq not in FREQUENCIES:
        raise InvalidInput(f"unknown frequency {freq[:20]!r}; use daily or weekly")
    try:
        hour = int(send_hour if send_hour not in (None, "") else 7)
    except ValueError:
        raise InvalidInput("send hour must be a whole number from 0 to 23") from None
    if not 0 <= hour <= 23:
        raise InvalidInput("send hour must be a whole number from 0 to 23")
    return Request(address, kind, params, freq, hour, check_timezone(timezone))


@dataclass(frozen=True)
class Schedule:
    """When a subscription sends: what a subscribe form may change about an existing one."""

    frequency: str
    send_hour: int
    timezone: str

    @classmethod
    def of(cls, item: Subscription | Request) -> Schedule:
        return cls(item.frequency, item.send_hour, item.timezone)

    def describe(self) -> str:
        return f"{self.frequency}, at {self.send_hour:02d}:00 ({self.timezone})"

    def as_dict(self) -> dict[str, Any]:
        return {"frequency": self.frequency, "send_hour": self.send_hour, "timezone": self.timezone}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schedule:
        """From a signed change link; validated again, as the rules may have changed since."""
        frequency = str(data.get("frequency"))
        if frequency not in FREQUENCIES:
            raise InvalidInput(f"unknown frequency {frequency[:20]!r}; use daily or weekly")
        hour = data.get("send_hour")
        if not isinstance(hour, int) or not 0 <= hour <= 23:
            raise InvalidInput("send hour must be a whole number from 0 to 23")
        return cls(frequency, hour, check_timezone(str(data.get("timezone"))))


def subscribe(session: Session, request: Request, *, user_id: int | None = None) -> Subscription:
    """The subscription `request` asks for: a new pending one, or the one that exists already.

    An existing active or paused subscription is returned unchanged: whoever filled in the form
    has not shown that they own the address, so a change is mailed to it for confirmation
    (`Schedule.of(request)` against `Schedule.of(sub)`, applied by `apply_schedule`). A pending
    one takes the new schedule, as its confirmation mail shows them before anything is sent."""
    existing = session.scalars(
        select(Subscription).where(
            Subscription.email == request.email,
            Subscription.kind == request.kind,
            Subscription.status != "off",
        )
    ).all()
    for sub in existing:
        if sub.params == request.params:
            if sub.status == "pending":
                apply_schedule(sub, Schedule.of(request))
                if user_id is not None:
                    sub.user_id = user_id
            return sub
    if user_id is None:  # an account with this address owns the subscription too
        user_id = session.scalar(select(User.id).where(User.email == request.email))
    sub = Subscription(
        email=request.email,
        user_id=user_id,
        kind=request.kind,
        params=request.params,
        frequency=request.frequency,
        send_hour=request.send_hour,
        timezone=request.timezone,
        status="pending",
        feed_token=secrets.token_urlsafe(24) if request.kind == "recommendations" else None,
    )
    session.add(sub)
    session.flush()
    return sub


def apply_schedule(sub: Subscription, schedule: Schedule) -> None:
    sub.frequency, sub.send_hour, sub.timezone = (
        schedule.frequency,
        schedule.send_hour,
        schedule.timezone,
    )


def confirm(session: Session, sub: Subscription, now: dt.datetime | None = None) -> bool:
    """Activate a pending subscription; False when it was already confirmed (idempotent)."""
    if sub.status == "pending":
        sub.status = "active"
        sub.confirmed_at = now or utcnow()
        return True
    return False


def set_status(sub: Subscription, status: str) -> None:
    if status not in ("active", "paused", "off"):
        raise InvalidInput(f"unknown action {status[:20]!r}")
    if sub.status == "pending" and status != "off":
        raise InvalidInput("confirm the subscription first, with the link in the email we sent")
    sub.status = status


def set_frequency(sub: Subscription, frequency: str) -> None:
    if frequency not in FREQUENCIES:
        raise InvalidInput(f"unknown frequency {frequency[:20]!r}; use daily or weekly")
    if sub.kind in ("daily_trending", "weekly_trending"):
        sub.kind = "daily_trending" if frequency == "daily" else "weekly_trending"
    sub.frequency = frequency


def seed_owner(sub: Subscription) -> SeedOwner:
    """Whose library seeds this subscription's recommendations: its account's, else its own."""
    if sub.user_id is not None:
        return SeedOwner.for_user(sub.user_id)
    return SeedOwner.for_subscription(sub.id)


def describe(sub: Subscription) -> str:
    """One line saying what the subscription sends (for pages and subjects)."""
    if sub.kind == "category":
        return f"new papers in {sub.params.get('category')}"
    if sub.kind == "search":
        return f"papers matching “{sub.params.get('query')}”"
    if sub.kind == "recommendations":
        return "recommendations from your library"
    return "daily trending papers" if sub.kind == "daily_trending" else "weekly trending papers"
