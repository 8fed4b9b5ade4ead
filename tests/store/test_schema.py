"""The migrations build the same working schema on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from papertide.store import schema
from papertide.store.migrate import current_revision, head_revision, upgrade


def test_upgrade_reaches_head_and_is_repeatable(engine: Engine) -> None:
    assert current_revision(engine) == head_revision(engine)
    upgrade(engine)  # a second run is a no-op, not an error
    assert current_revision(engine) == head_revision(engine)


def test_migrations_match_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), schema.Base.metadata)
    assert diff == [], f"schema.py and the migrations disagree: {diff}"


def test_every_table_exists(engine: Engine) -> None:
    names = set(inspect(engine).get_table_names())
    assert set(schema.Base.metadata.tables) <= names


def test_one_row_per_arxiv_id_and_aware_datetimes(engine: Engine) -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    with Session(engine) as session:
        session.add(schema.Paper(arxiv_id="2601.00001", title="A", published_at=when))
        session.commit()
        got = session.scalars(select(schema.Paper)).one()
        session.expire_all()
        got = session.scalars(select(schema.Paper)).one()
        assert got.published_at == when
        assert got.published_at.tzinfo is not None
        session.add(schema.Paper(arxiv_id="2601.00001", title="B"))
        with pytest.raises(IntegrityError):
            session.commit()
