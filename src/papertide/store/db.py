"""Engine and session factory: the one way papertide talks to its database."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from papertide.config import ConfigError

log = logging.getLogger("papertide.store")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (web) run beside one writer (ingest, worker); NORMAL is durable under WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url` with the settings papertide relies on (WAL on SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def check_connection(engine: Engine) -> None:
    """Fail with a message a person can act on when the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        shown = engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigError(
            f"database not reachable: {shown} ({reason}); is the server running and the URL right?"
        ) from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def request_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for one web request, closed without raising.

    The close runs after the response has been sent. When the database went away meanwhile
    (restart, failover, an administrator killing connections), the rollback in close() fails;
    raising there would cut the finished response off its keep-alive connection, so the broken
    connection is dropped from the pool instead. Errors inside the request still raise as usual.
    """
    session = factory()
    try:
        yield session
    finally:
        try:
            session.close()
        except DBAPIError as exc:
            log.warning("database connection lost while closing a session: %s", exc.orig or exc)
            # Nothing may be left to release when the connection is already gone.
            with suppress(DBAPIError):
                session.invalidate()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed together, or rolled back together on error."""
    with factory() as session, session.begin():
        yield session
