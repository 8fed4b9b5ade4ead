"""A full logical backup of the database: every table, streamed, the same on SQLite and PostgreSQL.

Format (one JSON value per line, gzip-compressed when the file name ends in `.gz`):

    {"papertide_dump": 1, "revision": "<alembic revision>", "created_at": "...", "dialect": "..."}
    {"table": "papers", "columns": ["id", "arxiv_id", ...]}
    [1, "2601.00001", ...]                      one line per row, values in column order
    {"end_table": "papers", "rows": 2822}
    ...                                         every table, parents before children
    {"end_dump": true, "tables": {"papers": 2822, ...}, "sha256": "<of every line above>"}

Values are plain JSON except datetimes and dates (ISO 8601 strings) and bytes (base64); the
schema says which is which on the way back in, so nothing depends on the source database.
An import runs in one transaction into an empty database: a truncated or garbled dump is
reported with its line number and leaves the target exactly as it was.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import Connection, Engine, Table, func, inspect, select, text
from sqlalchemy.types import Date, DateTime, LargeBinary, TypeEngine

from papertide.store import schema
from papertide.store.migrate import current_revision, head_revision, upgrade

DUMP_FORMAT = 1
BATCH_ROWS = 1000


class DumpError(Exception):
    """The dump cannot be written or read; the message says where and why."""


@dataclass
class DumpSummary:
    path: Path
    revision: str | None
    tables: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.tables.values())


Progress = Callable[[str, int], None]


def dumped_tables() -> list[Table]:
    """Every table of the schema, parents before children (so foreign keys hold on import)."""
    return list(schema.Base.metadata.sorted_tables)


# Encoding --------------------------------------------------------------------------------------


def _kind(col_type: TypeEngine[Any]) -> str:
    impl = getattr(col_type, "impl", col_type)
    if isinstance(impl, DateTime):
        return "datetime"
    if isinstance(impl, Date):
        return "date"
    if isinstance(impl, LargeBinary):
        return "bytes"
    return "plain"


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(kind: str) -> Callable[[Any], Any]:
    if kind == "datetime":
        return lambda v: None if v is None else dt.datetime.fromisoformat(v)
    if kind == "date":
        return lambda v: None if v is None else dt.date.fromisoformat(v)
    if kind == "bytes":
        return lambda v: None if v is None else base64.b64decode(v, validate=True)
    return lambda v: v


@contextmanager
def _open_write(path: Path, *, compress: bool) -> Iterator[IO[bytes]]:
    """The file, gzip-wrapped if asked, flushed to disk on the way out (it is a backup)."""
    with open(path, "wb") as raw:
        if compress:
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, filename="") as gz:
                yield cast(IO[bytes], gz)
        else:
            yield raw
        raw.flush()
        os.fsync(raw.fileno())


def _open_read(path: Path) -> IO[bytes]:
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


# Export ----------------------------------------------------------------------------------------


def _ordered_select(table: Table) -> Any:
    # Ordered by primary key: replies after the comments they answer, and stable output.
    return select(table).order_by(*table.primary_key.columns)


def export_dump(engine: Engine, path: Path, progress: Progress | None = None) -> DumpSummary:
    """Write every table of `engine` to `path`; the file appears only once complete."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    digest = hashlib.sha256()
    summary = DumpSummary(path=path, revision=current_revision(engine))
    if summary.revision is None:
        raise DumpError("the database has no schema yet; run `papertide db upgrade` first")

    def emit(out: IO[bytes], obj: Any, *, hashed: bool = True) -> None:
        line = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        if hashed:
            digest.update(line)
        out.write(line)

    try:
        with _open_write(tmp, compress=path.name.endswith(".gz")) as out, _Snapshot(engine) as conn:
            emit(
                out,
                {
                    "papertide_dump": DUMP_FORMAT,
                    "revision": summary.revision,
                    "created_at": dt.datetime.now(dt.UTC).isoformat(),
                    "dialect": engine.dialect.name,
                },
            )
            for table in dumped_tables():
                columns = [c.name for c in table.columns]
                emit(out, {"table": table.name, "columns": columns})
                count = 0
                result = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(
                    _ordered_select(table)
                )
                for row in result:
                    emit(out, [_encode(v) for v in row])
                    count += 1
                    if progress and count % 10_000 == 0:
                        progress(table.name, count)
                emit(out, {"end_table": table.name, "rows": count})
                summary.tables[table.name] = count
                if progress:
                    progress(table.name, count)
            emit(
                out,
                {"end_dump": True, "tables": summary.tables, "sha256": digest.hexdigest()},
                hashed=False,
            )
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DumpError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return summary


class _Snapshot:
    """One read transaction for the whole export, so the dump is a consistent point in time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Connection | None = None

    def __enter__(self) -> Connection:
        if self.engine.dialect.name == "postgresql":
            self.conn = self.engine.connect().execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        else:
            self.conn = self.engine.connect()
        self.conn.begin()
        return self.conn

    def __exit__(self, *exc: object) -> None:
        assert self.conn is not None
        self.conn.rollback()
        self.conn.close()


# Import ----------------------------------------------------------------------------------------


class _Lines:
    """The dump's lines, parsed, with their numbers for error messages, hashing as it reads."""

    def __init__(self, stream: IO[bytes], path: Path) -> None:
        self.stream = stream
        self.path = path
        self.number = 0
        self.digest = hashlib.sha256()

    def next(self) -> Any:
        try:
            raw = self.stream.readline()
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise DumpError(
                f"{self.path}: unreadable after line {self.number} ({exc}); "
                "the file is truncated or corrupted"
            ) from None
        self.number += 1
        if not raw:
            raise DumpError(
                f"{self.path}: ends at line {self.number - 1} before the end marker; "
                "the dump is truncated"
            )
        if not raw.endswith(b"\n"):
            raise DumpError(f"{self.path}: line {self.number} is cut off; the dump is truncated")
        try:
            value = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DumpError(f"{self.path}: line {self.number} is not valid JSON ({exc})") from None
        # The end marker carries the checksum of everything before it, so it is not hashed.
        if not (isinstance(value, dict) and value.get("end_dump") is True):
            self.digest.update(raw)
        return value


def _read_header(lines: _Lines) -> dict[str, Any]:
    try:
        header = lines.next()
    except DumpError as exc:
        raise DumpError(f"{lines.path} is not a papertide dump ({exc})") from None
    if not isinstance(header, dict) or "papertide_dump" not in header:
        raise DumpError(f"{lines.path} is not a papertide dump (no header on line 1)")
    if header["papertide_dump"] != DUMP_FORMAT:
        raise DumpError(
            f"{lines.path} has dump format {header['papertide_dump']!r}; "
            f"this papertide reads format {DUMP_FORMAT}"
        )
    return header


def _target_rows(conn: Connection) -> dict[str, int]:
    existing = set(inspect(conn).get_table_names())
    return {
        t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
        for t in dumped_tables()
        if t.name in existing
    }


def _reset_sequences(conn: Connection) -> None:
    """After explicit ids, PostgreSQL's sequences must continue after the largest id."""
    if conn.dialect.name != "postgresql":
        return
    for table in dumped_tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1:
            continue
        seq = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name}
        ).scalar()
        if seq is None:
            continue
        conn.execute(
            text(
                f'SELECT setval(:seq, COALESCE((SELECT MAX("{pk[0].name}") FROM "{table.name}"), 0)'
                f" + 1, false)"
            ),
            {"seq": seq},
        )


def import_dump(engine: Engine, path: Path, progress: Progress | None = None) -> DumpSummary:
    """Restore `path` into the empty database behind `engine`, all or nothing."""
    path = Path(path)
    if not path.is_file():
        raise DumpError(f"no dump at {path}")
    with _open_read(path) as stream:
        lines = _Lines(stream, path)
        header = _read_header(lines)
        revision = header.get("revision")
        head = head_revision(engine)
        current = current_revision(engine)
        if revision != head:
            raise DumpError(
                f"{path} was written at schema revision {revision}; this papertide is at {head}. "
                "Restore it with the papertide version that wrote it, then upgrade."
            )
        if current != head:
            upgrade(engine)
        summary = DumpSummary(path=path, revision=revision)
        tables = {t.name: t for t in dumped_tables()}
        with engine.connect() as conn, conn.begin():
            occupied = {n: c for n, c in _target_rows(conn).items() if c}
            if occupied:
                shown = ", ".join(f"{n} ({c})" for n, c in sorted(occupied.items()))
                raise DumpError(
                    "the target database is not empty: "
                    f"{shown}; import-dump restores into an empty database"
                )
            if conn.dialect.name == "sqlite":
                # Checked at commit instead of per row: the dump is consistent as a whole.
                conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            _restore_tables(conn, lines, tables, summary, progress)
            _reset_sequences(conn)
    return summary


def _restore_tables(
    conn: Connection,
    lines: _Lines,
    tables: dict[str, Table],
    summary: DumpSummary,
    progress: Progress | None,
) -> None:
    while True:
        record = lines.next()
        if isinstance(record, dict) and record.get("end_dump") is True:
            expected = record.get("sha256")
            if expected != lines.digest.hexdigest():
                raise DumpError(
                    f"{lines.path}: checksum mismatch; the dump was changed after it was written"
                )
            if record.get("tables") != summary.tables:
                raise DumpError(f"{lines.path}: table counts in the end marker do not match")
            missing = set(tables) - set(summary.tables)
            if missing:
                raise DumpError(f"{lines.path}: tables missing from the dump: {sorted(missing)}")
            extra = lines.stream.read(1)
            if extra:
                raise DumpError(f"{lines.path}: data after the end marker (line {lines.number})")
            return
        if not isinstance(record, dict) or "table" not in record:
            raise DumpError(f"{lines.path}: line {lines.number}: expected a table header")
        _restore_table(conn, lines, tables, record, summary, progress)


def _restore_table(
    conn: Connection,
    lines: _Lines,
    tables: dict[str, Table],
    header: dict[str, Any],
    summary: DumpSummary,
    progress: Progress | None,
) -> None:
    name = header["table"]
    at = lines.number
    table = tables.get(name)
    if table is None:
        raise DumpError(f"{lines.path}: line {at}: unknown table {name!r}")
    if name in summary.tables:
        raise DumpError(f"{lines.path}: line {at}: table {name!r} appears twice")
    columns = header.get("columns")
    known = {c.name: c for c in table.columns}
    if not isinstance(columns, list) or set(columns) != set(known):
        raise DumpError(
            f"{lines.path}: line {at}: columns of {name!r} do not match this schema "
            f"(dump: {columns}, schema: {sorted(known)})"
        )
    decoders = [_decoder(_kind(known[c].type)) for c in columns]
    batch: list[dict[str, Any]] = []
    count = 0
    insert = table.insert()
    while True:
        row = lines.next()
        if isinstance(row, dict):
            if row.get("end_table") != name:
                raise DumpError(f"{lines.path}: line {lines.number}: expected a row of {name!r}")
            if row.get("rows") != count + len(batch):
                raise DumpError(
                    f"{lines.path}: line {lines.number}: {name!r} says {row.get('rows')} rows, "
                    f"found {count + len(batch)}"
                )
            break
        if not isinstance(row, list) or len(row) != len(columns):
            raise DumpError(
                f"{lines.path}: line {lines.number}: a row of {name!r} must have "
                f"{len(columns)} values"
            )
        try:
            batch.append({c: dec(v) for c, dec, v in zip(columns, decoders, row, strict=True)})
        except (ValueError, TypeError) as exc:
            raise DumpError(
                f"{lines.path}: line {lines.number}: bad value in {name!r} ({exc})"
            ) from None
        if len(batch) >= BATCH_ROWS:
            conn.execute(insert, batch)
            count += len(batch)
            batch = []
            if progress:
                progress(name, count)
    if batch:
        conn.execute(insert, batch)
        count += len(batch)
    summary.tables[name] = count
    if progress:
        progress(name, count)
