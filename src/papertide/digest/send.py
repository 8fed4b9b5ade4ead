"""Delivery that loses nothing and sends nothing twice.

For each due (subscription, period) the idempotency key `"{subscription id}:{period key}"` is
written to `deliveries` as *pending* and committed before the message goes to SMTP, and marked
*sent* right after the server accepts it. A rerun skips keys that are sent, skipped (nothing
relevant) or failed (permanent 5xx), and retries pending ones — those were never accepted, or the
process died in the instant between "accepted" and "recorded"; the retry then carries the same
Message-ID so the duplicate is recognisable. Transient failures (4xx, connection lost) are retried
with exponential backoff; when the server stays away, the run stops and leaves the rest pending
for the next run.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from papertide.config import Settings
from papertide.digest.compose import Composer, ContentUnavailable, Digest, SearchFn
from papertide.digest.render import digest_mail
from papertide.digest.schedule import Period, due_period, period_by_key
from papertide.mail.backends import transport_for
from papertide.mail.message import RawMail
from papertide.mail.transport import (
    FatalMailError,
    MailTransport,
    PermanentMailError,
    TransientMailError,
)
from papertide.store.db import session_factory
from papertide.store.schema import Delivery, Subscription, utcnow

log = logging.getLogger("papertide.digest")

DONE = ("sent", "skipped", "failed")
CLAIM_BATCH = 64  # recipients whose delivery rows are written in one transaction


@dataclass
class SendReport:
    """What one run did; `deferred` ones are picked up by the next run."""

    due: int = 0
    sent: int = 0
    skipped: int = 0  # nothing relevant: no mail, by design
    already: int = 0  # handled by an earlier run
    failed: int = 0  # permanent refusals, shown on the admin page
    deferred: int = 0  # transient trouble: still pending
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class SendOptions:
    retries: int = 3  # attempts per message within one run
    backoff: float = 1.0  # seconds before the 2nd attempt; doubles each time
    rate_per_second: float | None = None  # default: settings.mail_rate_per_second
    give_up_after: int = 2  # consecutive recipients whose retries all failed: the server is down
    # SMTP connections used at once. 1 sends inline, in order; more hand composed messages to
    # that many threads, so that waiting for the server overlaps with composing the next mail.
    workers: int = 1
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def delivery_key(sub_id: int, period: Period) -> str:
    return f"{sub_id}:{period.key}"


class _RateLimiter:
    """At most `per_second` messages per second across all sender threads."""

    def __init__(
        self, per_second: float, sleep: Callable[[float], None], clock: Callable[[], float]
    ) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.sleep = sleep
        self.clock = clock
        self.next_at = clock()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:  # reserve the next slot, then sleep outside the lock
            now = self.clock()
            slot = max(now, self.next_at)
            self.next_at = slot + self.interval
        if slot > now:
            self.sleep(slot - now)


def _claim_batch(
    session: Session,
    composed: list[tuple[Subscription, Period, str, Digest | None]],
    existing: dict[str, str],
) -> dict[str, tuple[int, int]]:
    """Record each composed message's key before anything is sent: new keys are inserted as
    pending (or skipped, when there is nothing to send) in one transaction. Returns
    key -> (delivery id, attempts so far) for the keys this run now owns."""
    if not composed:
        return {}
    fresh = [
        {
            "idempotency_key": key,
            "subscription_id": sub.id,
            "email": sub.email,
            "period": period.key,
            "status": "pending" if digest is not None else "skipped",
            "attempts": 0,
            "created_at": utcnow(),
        }
        for sub, period, key, digest in composed
        if key not in existing
    ]
    if fresh:
        try:
            session.execute(insert(Delivery), fresh)
            session.commit()
        except IntegrityError:  # another worker claimed some of them: go one by one
            session.rollback()
            for row in fresh:
                try:
                    session.execute(insert(Delivery), [row])
                    session.commit()
                except IntegrityError:
                    session.rollback()
                    existing[str(row["idempotency_key"])] = "taken"
    keys = [key for _, _, key, _ in composed]
    owned: dict[str, tuple[int, int]] = {}
    rows = session.execute(
        select(Delivery.idempotency_key, Delivery.id, Delivery.attempts, Delivery.status).where(
            Delivery.idempotency_key.in_(keys)
        )
    )
    fresh_keys = {str(r["idempotency_key"]) for r in fresh} - {
        k for k, v in existing.items() if v == "taken"
    }
    for key, row_id, attempts, status in rows:
        # Ours: just inserted by this run, or left pending by an earlier one.
        if key in fresh_keys or (status == "pending" and existing.get(key) == "pending"):
            owned[key] = (row_id, attempts)
    # A digest that became empty since an earlier attempt left its row pending: settle it.
    for _, _, key, digest in composed:
        if digest is None and key in owned and key not in fresh_keys:
            _finish(session, owned[key][0], "skipped", attempts=owned[key][1])
    return owned


def _finish(
    session: Session,
    row_id: int,
    status: str,
    *,
    attempts: int,
    error: str | None = None,
    msg_id: str | None = None,
) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == row_id)
        .values(
            status=status,
            attempts=attempts,
            last_error=error,
            message_id=msg_id,
            sent_at=utcnow() if status == "sent" else None,
        )
    )
    session.commit()


def due_subscriptions(
    session: Session, now: dt.datetime, *, kinds: Iterable[str] | None = None
) -> list[tuple[Subscription, Period]]:
    """Active subscriptions with a period due at `now`, in id order."""
    stmt = select(Subscription).where(Subscription.status == "active").order_by(Subscription.id)
    if kinds:
        stmt = stmt.where(Subscription.kind.in_(list(kinds)))
    out = []
    for sub in session.scalars(stmt):
        period = due_period(sub, now)
        if period is not None:
            out.append((sub, period))
    return out


def send_due(
    settings: Settings,
    engine: Engine,
    now: dt.datetime,
    *,
    kinds: Iterable[str] | None = None,
    period_key: str | None = None,
    shard: tuple[int, int] | None = None,
    transport: MailTransport | None = None,
    search: SearchFn | None = None,
    options: SendOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SendReport:
    """Compose and send every due digest and alert; safe to rerun at any time.

    `shard=(i, n)` handles only subscriptions whose id is i modulo n, so n processes can share a
    run; `period_key` forces one period (e.g. "2026-11-26") instead of the due one."""
    opts = options or SendOptions()
    started = time.perf_counter()
    report = SendReport()
    factory = session_factory(engine)
    own_transport = transport is None
    transport = transport or transport_for(settings)
    limiter = _RateLimiter(
        opts.rate_per_second or settings.mail_rate_per_second, opts.sleep, opts.clock
    )
    outbox = _Outbox(settings, factory, transport, limiter, opts, report)
    try:
        with factory() as reader, factory() as writer:
            if period_key is not None:
                stmt = select(Subscription).where(Subscription.status == "active")
                if kinds:
                    stmt = stmt.where(Subscription.kind.in_(list(kinds)))
                todo = [
                    (s, period_by_key(s, period_key))
                    for s in reader.scalars(stmt.order_by(Subscription.id))
                ]
            else:
                todo = due_subscriptions(reader, now, kinds=kinds)
            if shard is not None:
                # Several senders (processes or machines) can split the recipients between
                # them; the idempotency keys keep an overlap or a rerun harmless either way.
                index, count = shard
                if not 0 <= index < count:
                    raise ValueError(f"shard {index}/{count}: use 0 <= index < count")
                todo = [(s, p) for s, p in todo if s.id % count == index]
            report.due = len(todo)
            existing = _existing_keys(writer, [delivery_key(s.id, p) for s, p in todo])
            done_keys = {k for k, status in existing.items() if status in DONE}
            composer = Composer(reader, settings, search=search)
            composer.prefetch_seeds([s for s, p in todo if delivery_key(s.id, p) not in done_keys])
            # With parallel senders, claims are written for a batch of recipients in one
            # transaction; inline sending claims one at a time, strictly in order.
            batch = 1 if opts.workers <= 1 else CLAIM_BATCH
            composed: list[tuple[Subscription, Period, str, Digest | None]] = []
            stop = False
            for index, (sub, period) in enumerate(todo, 1):
                if progress is not None:
                    progress(index, len(todo))
                key = delivery_key(sub.id, period)
                if key in done_keys:
                    report.already += 1
                else:
                    try:
                        composed.append((sub, period, key, composer.compose(sub, period)))
                    except ContentUnavailable as exc:
                        report.deferred += 1
                        report.errors.append(f"{sub.email} ({key}): {exc}")
                if len(composed) < batch and index < len(todo):
                    continue
                claimed = _claim_batch(writer, composed, existing)
                for position, (sub, _period, key, digest) in enumerate(composed):
                    row = claimed.get(key)
                    if row is None:
                        report.already += 1
                    elif digest is None:
                        report.skipped += 1  # recorded as skipped by the claim itself
                    else:
                        job = _Job(
                            row[0], row[1], sub.email, key, digest_mail(settings, sub, digest, key)
                        )
                        if not outbox.submit(job, writer):
                            # This batch's rest is claimed (pending); the rest is not composed.
                            remaining = len(composed) - position - 1 + len(todo) - index
                            report.deferred += remaining
                            report.errors.append(
                                f"mail server unavailable; stopped with {remaining} more left "
                                "pending for the next run"
                            )
                            stop = True
                            break
                composed = []
                if stop:
                    break
    finally:
        outbox.close()
        if own_transport:
            transport.close()
    report.seconds = time.perf_counter() - started
    return report


@dataclass(frozen=True, slots=True)
class _Job:
    row_id: int
    attempts: int
    email: str
    key: str
    message: RawMail


class _Outbox:
    """Hands claimed messages to SMTP: inline, or through worker threads that each own an SMTP
    connection and a database session. Either way every outcome is recorded per message."""

    def __init__(
        self,
        settings: Settings,
        factory: Any,
        transport: MailTransport,
        limiter: _RateLimiter,
        opts: SendOptions,
        report: SendReport,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.transport = transport
        self.limiter = limiter
        self.opts = opts
        self.report = report
        self.lock = threading.Lock()
        self.down = 0  # consecutive recipients whose retries all failed
        self.stopped = False
        self.error: BaseException | None = None
        self.queue: queue.Queue[_Job | None] = queue.Queue(maxsize=4 * max(1, opts.workers))
        self.threads = [
            threading.Thread(target=self._work, name=f"digest-smtp-{i}", daemon=True)
            for i in range(opts.workers if opts.workers > 1 else 0)
        ]
        for thread in self.threads:
            thread.start()

    def submit(self, job: _Job, session: Session) -> bool:
        """Send (or queue) one message; False when the mail server is down and the run stops."""
        if self.error is not None:
            raise self.error
        if not self.threads:
            self._record(
                job, _deliver(session, job, self.transport, self.limiter, self.opts, self.settings)
            )
            return not self.stopped
        if self.stopped:
            self._record(job, "not sent: the run stopped")  # its row stays pending
            return False
        self.queue.put(job)
        return True

    def _record(self, job: _Job, outcome: str) -> None:
        with self.lock:
            if outcome == "sent":
                self.report.sent += 1
                self.down = 0
            elif outcome == "failed":
                self.report.failed += 1
                self.down = 0
            else:
                self.report.deferred += 1
                self.report.errors.append(f"{job.email} ({job.key}): {outcome}")
                self.down += 1
                if self.down >= self.opts.give_up_after:
                    self.stopped = True

    def _work(self) -> None:
        transport = transport_for(self.settings)
        try:
            with self.factory() as session:
                while (job := self.queue.get()) is not None:
                    if self.stopped or self.error is not None:
                        self._record(job, "not sent: the run stopped")  # stays pending
                        continue
                    try:
                        outcome = _deliver(
                            session, job, transport, self.limiter, self.opts, self.settings
                        )
                    except BaseException as exc:  # e.g. login refused: stop the whole run
                        self.error = exc
                        self.stopped = True
                        continue
                    self._record(job, outcome)
        finally:
            transport.close()

    def close(self) -> None:
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        if self.error is not None:
            raise self.error


def _existing_keys(session: Session, keys: list[str]) -> dict[str, str]:
    """Status of each key that already has a delivery row."""
    found: dict[str, str] = {}
    for start in range(0, len(keys), 900):
        rows = session.execute(
            select(Delivery.idempotency_key, Delivery.status).where(
                Delivery.idempotency_key.in_(keys[start : start + 900])
            )
        )
        found.update({key: status for key, status in rows})
    return found


def _deliver(
    session: Session,
    job: _Job,
    transport: MailTransport,
    limiter: _RateLimiter,
    opts: SendOptions,
    settings: Settings,
) -> str:
    """'sent', 'failed', or the last transient error (the row stays pending)."""
    attempts = job.attempts
    last_error = ""
    for attempt in range(opts.retries):
        if attempt:
            opts.sleep(opts.backoff * 2 ** (attempt - 1))
        limiter.wait()
        attempts += 1
        try:
            transport.send(job.message)
        except PermanentMailError as exc:
            _finish(session, job.row_id, "failed", attempts=attempts, error=str(exc))
            log.warning("permanent failure for %s: %s", job.email, exc)
            return "failed"
        except TransientMailError as exc:
            last_error = str(exc)
            continue
        except FatalMailError:
            _finish(session, job.row_id, "pending", attempts=attempts, error="login refused")
            raise
        _finish(session, job.row_id, "sent", attempts=attempts, msg_id=job.message.message_id)
        return "sent"
    _finish(session, job.row_id, "pending", attempts=attempts, error=last_error)
    return last_error or "not sent"


def failed_deliveries(session: Session, *, limit: int = 200) -> list[Delivery]:
    """Permanent failures and still-pending retries, newest first (for the admin page)."""
    stmt = (
        select(Delivery)
        .where(Delivery.status.in_(("failed", "pending")))
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
