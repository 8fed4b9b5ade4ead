"""`papertide serve`, `papertide demo` and `papertide admin` (grant or revoke admin rights).

Both servers run uvicorn without its proxy-header handling: which proxies to believe is
settings.trusted_proxies, applied inside the app (web/app.py), so no address on the same machine
can claim to be any client it likes. Without PAPERTIDE_BASE_URL, links in mails and feeds point
at the address and port the server listens on (`listening_settings`), never at a request's Host.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from typing import TYPE_CHECKING, Any

import typer

from papertide.cli.common import CommandError, err_console, handles_errors, open_database, settings
from papertide.config import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

# uvicorn's defaults would believe X-Forwarded-For from 127.0.0.1 (FORWARDED_ALLOW_IPS).
UVICORN_OPTIONS: dict[str, Any] = {"proxy_headers": False, "log_level": "warning"}
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def listening_settings(cfg: Settings, host: str, port: int) -> Settings:
    """`cfg` with base_url set to where this server listens, unless PAPERTIDE_BASE_URL (or the
    TOML file) set it: links in mails must reach this server, not the default port 8000."""
    if "base_url" in cfg.model_fields_set:
        return cfg
    shown = "127.0.0.1" if host in WILDCARD_HOSTS else host
    if ":" in shown:  # an IPv6 address
        shown = f"[{shown}]"
    return cfg.model_copy(update={"base_url": f"http://{shown}:{port}"})


@handles_errors
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes."),
) -> None:
    """Serve the web app and API with uvicorn (migrates the database first)."""
    import uvicorn

    cfg = listening_settings(settings(), host, port)
    engine = open_database(cfg)
    engine.dispose()
    cfg.effective_secret_key()  # created once here, not raced by several workers
    err_console.print(f"serving on http://{host}:{port}; links in mails go to {cfg.base_url}")
    if workers == 1:
        from papertide.web.app import create_app

        uvicorn.run(create_app(cfg), host=host, port=port, **UVICORN_OPTIONS)
        return
    # Worker processes read their settings from the environment: hand the base URL on.
    os.environ["PAPERTIDE_BASE_URL"] = cfg.base_url
    uvicorn.run(
        "papertide.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **UVICORN_OPTIONS,
    )


def _latest_day(engine: Engine) -> dt.date | None:
    """The newest day the data has papers for: its last feed day, else its newest announcement."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from papertide.store.queries import latest_feed_date
    from papertide.store.schema import Paper

    with Session(engine) as session:
        return latest_feed_date(session) or session.scalar(select(func.max(Paper.first_announced)))


def _has_papers(engine: Engine) -> bool:
    from sqlalchemy import select

    from papertide.store.schema import Paper

    with engine.connect() as conn:
        return conn.execute(select(Paper.id).limit(1)).first() is not None


@handles_errors
def demo(
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
) -> None:
    """Load the bundled sample (once) and serve it on http://127.0.0.1:PORT."""
    import uvicorn

    from papertide.ingest.sample import load_demo_data
    from papertide.search.api import prepare_demo_index
    from papertide.web.app import create_app

    started = time.monotonic()
    cfg = listening_settings(settings(), host, port)
    engine = open_database(cfg)
    marker = cfg.data_dir / "demo_loaded"
    if marker.exists() and _has_papers(engine):
        # Loading is idempotent anyway; skipping it makes the second start instant.
        err_console.print("sample already loaded")
    else:
        report = load_demo_data(cfg, engine)
        err_console.print(
            f"sample loaded: {report.papers.inserted:,} new papers, "
            f"{report.feed.inserted if report.feed else 0:,} new feed entries"
        )
        marker.write_text("the bundled sample is in the database\n")
    prepare_demo_index(cfg, engine)
    demo = _demo_settings(cfg, engine)
    if demo.demo_today != cfg.demo_today:
        err_console.print(
            f"demo clock: today is {demo.today():%A, %B %-d, %Y}, the sample's last day "
            "(set PAPERTIDE_DEMO_TODAY to choose another)"
        )
    warm_suggestions(demo, engine)
    elapsed = time.monotonic() - started
    err_console.print(f"ready in {elapsed:.1f} s: open http://{host}:{port}")
    uvicorn.run(create_app(demo, engine=engine), host=host, port=port, **UVICORN_OPTIONS)


def warm_suggestions(cfg: Settings, engine: Engine) -> threading.Thread:
    """Rank the suggested papers of today and of the suggestions feed's days in the background
    while the server starts: loading the model and scoring a day take seconds, which the first
    readers would otherwise wait for."""
    from sqlalchemy.orm import Session

    from papertide.rank.curate.service import day_suggestions
    from papertide.web.routes.feeds import SUGGESTED_DAYS
    from papertide.web.suggesting import latest_listing_days

    def run() -> None:
        with Session(engine) as session:
            days = latest_listing_days(session, cfg.categories, cfg.today(), SUGGESTED_DAYS)
        for day in dict.fromkeys([cfg.today(), *days]):
            day_suggestions(engine, cfg.data_dir, day, categories=tuple(cfg.categories))

    thread = threading.Thread(target=run, name="warm-suggestions", daemon=True)
    thread.start()
    return thread


def _demo_settings(cfg: Settings, engine: Engine) -> Settings:
    """The demo's settings: its clock stopped at the sample's last day, unless the environment
    or papertide.toml says which day it is."""
    if "demo_today" in cfg.model_fields_set:
        return cfg
    latest = _latest_day(engine)
    if latest is None or latest >= dt.datetime.now(dt.UTC).date():
        return cfg
    return cfg.model_copy(update={"demo_today": latest})


@handles_errors
def admin(
    name_or_email: str = typer.Argument(..., help="User name or email address."),
    revoke: bool = typer.Option(False, "--revoke", help="Take admin rights away instead."),
) -> None:
    """Give a user admin rights (moderation, audit log), or take them away."""
    from sqlalchemy import or_, select

    from papertide.store.db import session_factory, transaction
    from papertide.store.schema import User

    cfg = settings()
    engine = open_database(cfg)
    with transaction(session_factory(engine)) as session:
        key = name_or_email.strip()
        user = session.scalars(
            select(User).where(or_(User.name == key, User.email == key.lower()))
        ).first()
        if user is None:
            raise CommandError(f"no user {key!r}; they must sign in once first")
        user.is_admin = not revoke
        err_console.print(f"{user.name} is {'no longer ' if revoke else ''}an admin")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("demo")(demo)
    app.command("admin")(admin)
