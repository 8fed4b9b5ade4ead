"""Fixtures shared by every test: a real SQLite file and a real PostgreSQL schema.

Storage tests take the `db_url` fixture (or `settings`/`engine`, built on it) and so run twice,
once per backend. PostgreSQL: PAPERTIDE_TEST_PG_URL, default the local server's `test` database;
each test gets a fresh schema that is dropped afterwards. With CI=true a missing server fails.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from papertide.config import Settings, load_settings
from papertide.models import PaperRecord
from papertide.store.db import make_engine
from papertide.store.migrate import upgrade

PG_URL = os.environ.get(
    "PAPERTIDE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


def _pg_available() -> str | None:
    """None when reachable, else the reason."""
    engine = make_engine(PG_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()
    return None


@pytest.fixture(scope="session")
def pg_reachable() -> None:
    reason = _pg_available()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"PostgreSQL is required in CI but not reachable at {PG_URL}: {reason}")
    pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {reason}")


@contextmanager
def pg_schema_url() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL schema, dropped (with all in it) afterwards."""
    schema = f"pt_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def sqlite_instance(folder: Path, **overrides: Any) -> Iterator[tuple[Settings, Engine]]:
    """A migrated SQLite instance in `folder` for a module-scoped fixture (the `settings` fixture
    is per test): nothing read from PAPERTIDE_ variables but the tests' own, no sync thread."""
    with pytest.MonkeyPatch.context() as patch:
        for key in list(os.environ):
            if key.startswith("PAPERTIDE_") and not key.startswith("PAPERTIDE_TEST_"):
                patch.delenv(key)
        settings = Settings(
            data_dir=folder / "data",
            database_url=f"sqlite:///{folder / 'papertide.db'}",
            secret_key="test-" + uuid.uuid4().hex,
            index_sync_seconds=0,
            **overrides,
        )
        engine = make_engine(settings.effective_database_url)
        upgrade(engine)
        try:
            yield settings, engine
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'papertide.db'}"
        return
    request.getfixturevalue("pg_reachable")
    with pg_schema_url() as url:
        yield url


@pytest.fixture
def settings(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for one test: its own data folder and database, nothing from the environment."""
    for key in list(os.environ):
        if key.startswith("PAPERTIDE_") and not key.startswith("PAPERTIDE_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PAPERTIDE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("PAPERTIDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAPERTIDE_DATABASE_URL", db_url)
    monkeypatch.setenv("PAPERTIDE_SECRET_KEY", "test-secret-" + uuid.uuid4().hex)
    # No background index-sync thread in in-process apps unless a test asks for one
    # (`settings.model_copy(update={"index_sync_seconds": ...})`).
    monkeypatch.setenv("PAPERTIDE_INDEX_SYNC_SECONDS", "0")
    return load_settings()


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """A migrated database for one test."""
    eng = make_engine(settings.effective_database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def index_sample_papers(
    settings: Settings,
    engine: Engine,
    first: dt.date | None = None,
    last: dt.date | None = None,
) -> list[PaperRecord]:
    """A small real collection: the bundled sample's arXiv papers (first announced between
    `first` and `last` when given), their shipped vectors of the bundled MiniLM model, and the
    search index built over them (nothing to embed, so it takes seconds)."""
    from papertide.ingest.jsonl_snapshot import JsonlSnapshot
    from papertide.ingest.pipeline import import_records
    from papertide.ingest.sample import SAMPLE_PAPERS, sample_path
    from papertide.search.api import get_searcher
    from papertide.search.demo_vectors import load_sample_vectors

    records = [
        r
        for r in JsonlSnapshot(sample_path(SAMPLE_PAPERS))
        if isinstance(r, PaperRecord)
        and r.first_announced is not None
        and (first is None or r.first_announced >= first)
        and (last is None or r.first_announced <= last)
    ]
    import_records(engine, records, source="sample")
    searcher = get_searcher(settings)
    load_sample_vectors(engine, searcher.embedder.name)
    searcher.sync(engine)
    return records
