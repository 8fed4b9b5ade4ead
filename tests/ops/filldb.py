"""Fill every table of the schema with awkward but valid rows, generically.

Generic on purpose: a table someone adds to `store/schema.py` later is covered by the backup
tests without anyone remembering to extend them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON as SAJSON
from sqlalchemy import Boolean, Date, DateTime, Engine, Float, Integer, LargeBinary, String, Table
from sqlalchemy.sql.schema import Column

from papertide.store import schema


def _value(table: Table, col: Column[Any], i: int) -> Any:
    impl = getattr(col.type, "impl", col.type)
    if col.nullable and not col.primary_key and not col.foreign_keys and i % 3 == 2:
        return None
    if col.foreign_keys:
        return i + 1  # the referred table has rows 1..n too
    if isinstance(impl, Boolean):
        return i % 2 == 0
    if isinstance(impl, Integer):
        return i + 1 if col.primary_key else (i * 7919) % 100_000 - 3
    if isinstance(impl, Float):
        return i + 0.1 - 1e-9
    if isinstance(impl, DateTime):
        return dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC) + dt.timedelta(
            days=i, microseconds=i
        )
    if isinstance(impl, Date):
        return dt.date(2025, 12, 31) + dt.timedelta(days=i)
    if isinstance(impl, LargeBinary):
        return bytes(range(256)) + i.to_bytes(4, "little")
    if isinstance(impl, SAJSON):
        return {"i": i, "list": [1, 2.5, None, 'é ✓ "q"'], "nested": {"t": True}}
    if isinstance(impl, String):
        text = f"{i}·{table.name}.{col.name} — «ünïcødé» 'q' \"dq\" \\ \n\t 😀"
        limit = impl.length
        return text[:limit] if limit else text
    raise TypeError(f"no test value for {table.name}.{col.name} ({col.type!r})")


def fill_every_table(engine: Engine, rows: int = 3) -> dict[str, int]:
    """Insert `rows` rows into every table (parents first); returns the counts."""
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for table in schema.Base.metadata.sorted_tables:
            batch = []
            for i in range(rows):
                row = {c.name: _value(table, c, i) for c in table.columns}
                for c in table.columns:
                    # Self-references (comment replies) point at an earlier row, or nowhere.
                    for fk in c.foreign_keys:
                        if fk.column.table is table:
                            row[c.name] = i if i > 0 else None
                batch.append(row)
            conn.execute(table.insert(), batch)
            counts[table.name] = rows
    return counts


def table_contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key, as Python values."""
    from sqlalchemy import select

    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in schema.Base.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            out[table.name] = [tuple(r) for r in conn.execute(query)]
    return out
