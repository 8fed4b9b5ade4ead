"""`papertide export` / `papertide import-dump`: a full backup that round-trips, all or nothing."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from papertide.cli import app
from papertide.config import Settings
from papertide.store import schema
from papertide.store.db import make_engine
from papertide.store.dump import DumpError, export_dump, import_dump
from papertide.store.migrate import upgrade

from .filldb import fill_every_table, table_contents


def _migrated(url: str) -> Engine:
    eng = make_engine(url)
    upgrade(eng)
    return eng


@pytest.mark.parametrize("target_kind", ["sqlite", "postgresql"])
def test_dump_round_trips_every_table_between_databases(
    engine: Engine,
    fresh_db_url: Callable[[str], str],
    tmp_path: Path,
    target_kind: str,
) -> None:
    counts = fill_every_table(engine, rows=1001)  # more than one insert batch per table
    path = tmp_path / "backup.jsonl.gz"
    summary = export_dump(engine, path)
    assert summary.tables == counts
    assert set(summary.tables) == set(schema.Base.metadata.tables)

    target = _migrated(fresh_db_url(target_kind))
    try:
        restored = import_dump(target, path)
        assert restored.tables == counts
        assert table_contents(target) == table_contents(engine)
        # New rows get fresh ids after a restore (PostgreSQL sequences continue past the max).
        with target.begin() as conn:
            conn.execute(schema.Paper.__table__.insert(), [{"arxiv_id": "new", "title": "t"}])
            new_id = conn.execute(
                select(schema.Paper.id).where(schema.Paper.arxiv_id == "new")
            ).scalar_one()
        assert new_id > 1001
    finally:
        target.dispose()


def test_dump_of_a_restored_database_is_identical_apart_from_its_header(
    engine: Engine, fresh_db_url: Callable[[str], str], tmp_path: Path
) -> None:
    fill_every_table(engine, rows=40)
    first = tmp_path / "first.jsonl"
    export_dump(engine, first)
    target = _migrated(fresh_db_url("sqlite"))
    import_dump(target, first)
    second = tmp_path / "second.jsonl"
    export_dump(target, second)
    target.dispose()
    one, two = first.read_text().splitlines(), second.read_text().splitlines()
    # The header records time and source dialect (and so the final checksum differs);
    # every data line in between must be byte-identical.
    assert one[1:-1] == two[1:-1]


def _count_papers(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.Paper)).scalar_one())


@pytest.mark.parametrize(
    "damage",
    ["truncate_gzip", "truncate_lines", "garble_value", "garble_json", "drop_row", "not_a_dump"],
)
def test_damaged_dump_is_refused_and_leaves_the_target_untouched(
    engine: Engine, fresh_db_url: Callable[[str], str], tmp_path: Path, damage: str
) -> None:
    fill_every_table(engine, rows=30)
    good = tmp_path / "good.jsonl.gz"
    export_dump(engine, good)
    raw = gzip.decompress(good.read_bytes())
    lines = raw.splitlines(keepends=True)
    bad = tmp_path / "bad.jsonl"
    if damage == "truncate_gzip":
        bad = tmp_path / "bad.jsonl.gz"
        data = good.read_bytes()
        bad.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "truncate_lines":
        bad.write_bytes(b"".join(lines[: len(lines) - 3]))
    elif damage == "garble_value":
        victim = next(i for i, line in enumerate(lines) if b"arxiv_id" not in line and i > 5)
        lines[victim] = lines[victim].replace(b"1", b"2", 1)
        bad.write_bytes(b"".join(lines))
    elif damage == "garble_json":
        lines[7] = lines[7][:-10] + b"\xff\xfe{{\n"
        bad.write_bytes(b"".join(lines))
    elif damage == "drop_row":
        del lines[-4]
        bad.write_bytes(b"".join(lines))
    else:
        bad.write_bytes(b"id,title\n1,hello\n")

    target = _migrated(fresh_db_url("sqlite"))
    try:
        with pytest.raises(DumpError) as info:
            import_dump(target, bad)
        assert str(bad) in str(info.value)
        assert table_contents(target) == {t: [] for t in schema.Base.metadata.tables}
    finally:
        target.dispose()


def test_import_refuses_a_database_that_is_not_empty(engine: Engine, tmp_path: Path) -> None:
    fill_every_table(engine, rows=5)
    path = tmp_path / "b.jsonl.gz"
    export_dump(engine, path)
    before = table_contents(engine)
    with pytest.raises(DumpError, match="not empty"):
        import_dump(engine, path)
    assert table_contents(engine) == before


def test_cli_export_and_import_dump(
    settings: Settings, engine: Engine, fresh_db_url: Callable[[str], str], tmp_path: Path
) -> None:
    fill_every_table(engine, rows=12)
    path = tmp_path / "cli.jsonl.gz"
    runner = CliRunner()
    result = runner.invoke(app, ["export", str(path)])
    assert result.exit_code == 0, result.output
    assert "rows from" in result.output
    again = runner.invoke(app, ["export", str(path)])
    assert again.exit_code == 1 and "--force" in again.output

    other = fresh_db_url("postgresql" if settings.is_sqlite else "sqlite")
    result = runner.invoke(app, ["import-dump", str(path)], env={"PAPERTIDE_DATABASE_URL": other})
    assert result.exit_code == 0, result.output
    target = make_engine(other)
    assert table_contents(target) == table_contents(engine)
    target.dispose()

    garbage = tmp_path / "garbage.gz"
    garbage.write_bytes(path.read_bytes()[:300])
    empty = fresh_db_url("sqlite")
    result = runner.invoke(
        app, ["import-dump", str(garbage)], env={"PAPERTIDE_DATABASE_URL": empty}
    )
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert "Traceback" not in result.output
    target = make_engine(empty)
    assert _count_papers(target) == 0
    target.dispose()
