"""Rows to and from DB-API driver values (SQLite or PostgreSQL) with SQLAlchemy's type processors.

Used by the bulk writers to bypass SQLAlchemy's per-row statement machinery.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table

# JSON columns whose values repeat across papers (a few hundred category combinations).
_REPEATING_JSON = frozenset({"categories", "code_links"})


def _memoised_json(proc: Any) -> Any:
    """The JSON bind processor, remembering short lists (categories, code links repeat a lot)."""
    memo: dict[tuple[Any, ...], Any] = {}

    def encode(value: Any) -> Any:
        if type(value) is list and len(value) <= 3:
            key = tuple(value)
            found = memo.get(key)
            if found is None:
                found = proc(value)
                if len(memo) < 50_000:
                    memo[key] = found
            return found
        return proc(value)

    return encode


class RowCodec:
    """Rows to and from driver values for one table on one dialect.

    Uses SQLAlchemy's own type processors (JSON, UTC datetimes, dates, booleans) but skips its
    per-row statement machinery, which dominates the cost of bulk imports.
    """

    def __init__(self, conn: Connection, table: Table, names: Sequence[str]) -> None:
        dialect = conn.dialect
        self.table = table
        self.names = tuple(names)
        columns = [table.c[name] for name in self.names]
        # The cached processors are the dialect-specific ones SQLAlchemy itself applies (the
        # public `bind_processor` of a generic type skips the dialect's own conversions).
        self.binds = [col.type._cached_bind_processor(dialect) for col in columns]
        self.results = [col.type._cached_result_processor(dialect, None) for col in columns]
        quote = dialect.identifier_preparer.quote
        self.columns_sql = ", ".join(quote(name) for name in self.names)
        self.table_sql = quote(table.name)
        self.mark = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"

        for i, col in enumerate(columns):
            if col.name in _REPEATING_JSON and self.binds[i] is not None:
                self.binds[i] = _memoised_json(self.binds[i])
        self.bind_steps = [(i, proc) for i, proc in enumerate(self.binds) if proc is not None]
        self.result_steps = [(i, proc) for i, proc in enumerate(self.results) if proc is not None]

    def encode(self, row: dict[str, Any]) -> tuple[Any, ...]:
        values = [row[name] for name in self.names]
        for i, proc in self.bind_steps:
            if values[i] is not None:
                values[i] = proc(values[i])
        return tuple(values)

    def decode(self, raw: Sequence[Any]) -> dict[str, Any]:
        values = list(raw)
        for i, proc in self.result_steps:
            if values[i] is not None:
                values[i] = proc(values[i])
        return dict(zip(self.names, values, strict=True))

    def placeholders(self, count: int) -> str:
        return ", ".join([self.mark] * count)

    def insert_many(
        self,
        conn: Connection,
        rows: Sequence[tuple[Any, ...]],
        constants: dict[str, Any] | None = None,
        skip_conflicts_on: str | None = None,
    ) -> None:
        """INSERT the encoded `rows`; `constants` (same for every row) are encoded once.

        With `skip_conflicts_on`, rows whose key already exists are left out (ON CONFLICT DO
        NOTHING, the same syntax on SQLite and PostgreSQL).
        """
        if not rows:
            return
        columns = self.columns_sql
        count = len(self.names)
        if constants:
            quote = conn.dialect.identifier_preparer.quote
            encoded = row_codec(conn, self.table, tuple(constants)).encode(constants)
            columns += ", " + ", ".join(quote(name) for name in constants)
            count += len(constants)
            rows = [row + encoded for row in rows]
        sql = f"INSERT INTO {self.table_sql} ({columns}) VALUES ({self.placeholders(count)})"
        if skip_conflicts_on:
            sql += f" ON CONFLICT ({skip_conflicts_on}) DO NOTHING"
        conn.exec_driver_sql(sql, list(rows))


_CODECS: dict[tuple[str, str, tuple[str, ...]], RowCodec] = {}


def row_codec(conn: Connection, table: Table, names: Sequence[str]) -> RowCodec:
    """The codec for these columns of `table` on this connection's dialect (built once)."""
    key = (conn.dialect.name, table.name, tuple(names))
    codec = _CODECS.get(key)
    if codec is None:
        codec = _CODECS[key] = RowCodec(conn, table, names)
    return codec


def _same_value(encoded: Any, raw: Any) -> bool:
    # psycopg wraps JSON parameters (Json(...)) and hands JSON columns back already parsed.
    return encoded == raw or getattr(encoded, "obj", encoded) == raw


def same_driver_values(encoded: Sequence[Any], raw: Sequence[Any]) -> bool:
    """True when encoded parameters equal the values the driver read back for the same columns."""
    return encoded == raw or all(_same_value(a, b) for a, b in zip(encoded, raw, strict=True))
