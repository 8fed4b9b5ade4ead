"""What the batch writers share: the Connection behind the caller's handle, and IN-list chunks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

# Bound parameters per IN (...) query; far below SQLite's and PostgreSQL's limits.
_IN_CHUNK = 900


def connection_of(conn_or_session: Connection | Session) -> Connection:
    """The Connection to write on, inside the caller's transaction."""
    if isinstance(conn_or_session, Session):
        return conn_or_session.connection()
    return conn_or_session


def in_chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    """`items` in slices small enough for one IN (...) list each."""
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]
