"""Alembic environment: the engine comes from papertide (see store/migrate.py), never from ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from papertide.store.schema import Base

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through `papertide db upgrade`")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs table rebuilds
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
