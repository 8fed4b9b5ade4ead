"""`papertide digest …`: send due digests and alerts, preview one, list and manage subscriptions."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import typer

from papertide.cli.common import CommandError, err_console, handles_errors, open_database, settings

if TYPE_CHECKING:
    from papertide.config import Settings

digest_app = typer.Typer(
    help="Email digests and alerts: send, preview, subscriptions.", no_args_is_help=True
)

KIND_OPTIONS = {
    "daily": ("daily_trending",),
    "weekly": ("weekly_trending",),
    "alerts": ("category", "search"),
    "recommendations": ("recommendations",),
}


def _now(value: str | None, cfg: Settings) -> dt.datetime:
    """--now when given, else the settings' clock (the demo's day under PAPERTIDE_DEMO_TODAY)."""
    if not value:
        return cfg.now()
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--now {value!r} is not a date/time; use e.g. 2026-11-26T08:00"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@digest_app.command("send")
@handles_errors
def send(
    period: str = typer.Option(
        "all", "--period", help="Which mails: all, daily, weekly, alerts or recommendations."
    ),
    now: str | None = typer.Option(
        None, "--now", help="Pretend it is this UTC time (ISO); default: the settings' clock."
    ),
    rate: float | None = typer.Option(
        None, "--rate", help="Messages per second (default: setting)."
    ),
    workers: int = typer.Option(1, "--workers", min=1, max=32, help="SMTP connections at once."),
    shard: str | None = typer.Option(
        None, "--shard", help="I/N: handle only subscriptions with id ≡ I (mod N)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
) -> None:
    """Compose and send every due digest and alert. Safe to rerun: nobody gets a mail twice."""
    from papertide.digest.send import SendOptions, send_due

    if period != "all" and period not in KIND_OPTIONS:
        raise CommandError(f"unknown --period {period!r}; use all, {', '.join(KIND_OPTIONS)}")
    cfg = settings()
    engine = open_database(cfg)
    kinds = None if period == "all" else KIND_OPTIONS[period]
    split: tuple[int, int] | None = None
    if shard:
        try:
            index, count = (int(part) for part in shard.split("/"))
        except ValueError:
            raise CommandError(f"--shard {shard!r}: use I/N, e.g. 0/2") from None
        if not 0 <= index < count:
            raise CommandError(f"--shard {shard!r}: I must be between 0 and N-1")
        split = (index, count)
    options = SendOptions(rate_per_second=rate, workers=workers)
    from rich.progress import Progress

    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task("sending", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = send_due(
            cfg, engine, _now(now, cfg), kinds=kinds, shard=split, options=options, progress=tick
        )
    summary = {
        "due": report.due,
        "sent": report.sent,
        "skipped_nothing_relevant": report.skipped,
        "already_done": report.already,
        "failed_permanently": report.failed,
        "deferred": report.deferred,
        "seconds": round(report.seconds, 2),
    }
    if as_json:
        typer.echo(json.dumps({**summary, "errors": report.errors}))
    else:
        for key, value in summary.items():
            typer.echo(f"{key:>26}  {value}")
        for line in report.errors[:20]:
            err_console.print(f"[yellow]warning:[/] {line}", highlight=False)
    if report.deferred:
        raise typer.Exit(3)  # something is left for the next run: let cron/monitoring notice


@digest_app.command("preview")
@handles_errors
def preview(
    email: str = typer.Argument(..., help="Subscriber address."),
    now: str | None = typer.Option(
        None, "--now", help="Pretend it is this UTC time (ISO); default: the settings' clock."
    ),
    html: bool = typer.Option(False, "--html", help="Print the HTML part instead of the text."),
) -> None:
    """Show what each of EMAIL's subscriptions would send now, without sending or recording."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from papertide.digest.compose import Composer
    from papertide.digest.render import digest_mail
    from papertide.digest.schedule import current_period
    from papertide.digest.subscriptions import InvalidInput, normalise_email
    from papertide.store.schema import Subscription

    try:
        address = normalise_email(email)
    except InvalidInput as exc:
        raise CommandError(str(exc)) from None
    cfg = settings()
    engine = open_database(cfg)
    when = _now(now, cfg)
    with Session(engine) as session:
        subs = list(session.scalars(select(Subscription).where(Subscription.email == address)))
        if not subs:
            raise CommandError(f"no subscriptions for {address}")
        composer = Composer(session, cfg)
        for sub in subs:
            period = current_period(sub, when)
            err_console.print(
                f"[bold]{sub.kind}[/] ({sub.status}) period {period.key}", highlight=False
            )
            digest = composer.compose(sub, period)
            if digest is None:
                typer.echo("(nothing passes the bar: no mail would be sent)\n")
                continue
            message = digest_mail(cfg, sub, digest, f"{sub.id}:{period.key}").as_message()
            part = message.get_body(("html",) if html else ("plain",))
            typer.echo(f"Subject: {message['Subject']}\n")
            typer.echo(part.get_content() if part is not None else "")


@digest_app.command("list")
@handles_errors
def list_subscriptions(
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """Every subscription with its status."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from papertide.digest.subscriptions import describe
    from papertide.store.schema import Subscription

    engine = open_database(settings())
    with Session(engine) as session:
        for sub in session.scalars(select(Subscription).order_by(Subscription.id)):
            row = {
                "id": sub.id,
                "email": sub.email,
                "kind": sub.kind,
                "what": describe(sub),
                "status": sub.status,
                "frequency": sub.frequency,
                "send_hour": sub.send_hour,
                "timezone": sub.timezone,
            }
            if as_json:
                typer.echo(json.dumps(row))
            else:
                typer.echo(
                    f"{sub.id:>6}  {sub.status:<8} {sub.email:<32} {describe(sub)} "
                    f"({sub.frequency}, {sub.send_hour}:00 {sub.timezone})"
                )


@digest_app.command("add")
@handles_errors
def add(
    email: str = typer.Argument(...),
    kind: str = typer.Option(
        "daily_trending",
        "--kind",
        help="daily_trending, weekly_trending, category, search, recommendations",
    ),
    category: str | None = typer.Option(None, "--category"),
    query: str | None = typer.Option(None, "--query"),
    send_hour: int = typer.Option(7, "--hour"),
    timezone: str = typer.Option("UTC", "--timezone"),
    confirmed: bool = typer.Option(False, "--confirmed", help="Skip double opt-in (admin use)."),
) -> None:
    """Subscribe an address; mails the confirmation link unless --confirmed."""
    from sqlalchemy.orm import Session

    from papertide.digest.render import confirmation_message
    from papertide.digest.subscriptions import InvalidInput, confirm, subscribe, validate_request
    from papertide.mail.backends import send_mail
    from papertide.mail.transport import MailError

    cfg = settings()
    engine = open_database(cfg)
    try:
        req = validate_request(
            email, kind, category=category, query=query, send_hour=send_hour, timezone=timezone
        )
    except InvalidInput as exc:
        raise CommandError(str(exc)) from None
    with Session(engine, expire_on_commit=False) as session:
        sub = subscribe(session, req)
        if confirmed:
            confirm(session, sub, cfg.now())
        session.commit()
        if sub.status == "pending":
            try:
                send_mail(cfg, confirmation_message(cfg, sub))
            except MailError as exc:
                raise CommandError(str(exc)) from None
    typer.echo(f"subscription {sub.id}: {sub.status}")


@digest_app.command("set")
@handles_errors
def set_state(
    subscription_id: int = typer.Argument(...),
    status: str = typer.Argument(..., help="active, paused or off"),
) -> None:
    """Pause, resume or end a subscription."""
    from sqlalchemy.orm import Session

    from papertide.digest.subscriptions import InvalidInput, set_status
    from papertide.store.schema import Subscription

    engine = open_database(settings())
    with Session(engine) as session:
        sub = session.get(Subscription, subscription_id)
        if sub is None:
            raise CommandError(f"no subscription {subscription_id}")
        try:
            set_status(sub, status)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from None
        session.commit()
    typer.echo(f"subscription {subscription_id}: {status}")


@digest_app.command("failures")
@handles_errors
def failures() -> None:
    """Deliveries refused for good (5xx) or still waiting for a retry."""
    from sqlalchemy.orm import Session

    from papertide.digest.send import failed_deliveries

    engine = open_database(settings())
    with Session(engine) as session:
        rows = failed_deliveries(session)
    if not rows:
        typer.echo("no failed or pending deliveries")
    for d in rows:
        typer.echo(
            f"{d.status:<8} {d.email:<32} {d.period:<12} x{d.attempts}  {d.last_error or ''}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(digest_app, name="digest")
