"""0011_people on a database that already has people: their choices get sensible defaults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect, text

from papertide.config import Settings
from papertide.store.db import make_engine
from papertide.store.migrate import current_revision, upgrade


@pytest.fixture
def old_engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.effective_database_url)
    upgrade(engine, "0010_thumbnails")
    yield engine
    engine.dispose()


def test_existing_people_keep_votes_private_and_get_reply_mails(old_engine: Engine) -> None:
    with old_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (email, name, is_admin, banned, imported, created_at) "
                "VALUES ('ada@example.org', 'ada', false, false, false, CURRENT_TIMESTAMP)"
            )
        )
    upgrade(old_engine, "0011_people")
    assert current_revision(old_engine) == "0011_people"
    with old_engine.connect() as conn:
        row = conn.execute(text("SELECT public_upvotes, notify_replies FROM users")).one()
    assert (bool(row[0]), bool(row[1])) == (False, True)
    assert "author_claims" in inspect(old_engine).get_table_names()


def test_0013_goes_down_and_up_again(old_engine: Engine) -> None:
    from alembic import command

    from papertide.store.migrate import alembic_config

    upgrade(old_engine, "0011_people")
    command.downgrade(alembic_config(old_engine), "0010_thumbnails")
    assert "author_claims" not in inspect(old_engine).get_table_names()
    assert "notify_replies" not in {c["name"] for c in inspect(old_engine).get_columns("users")}
    upgrade(old_engine, "0011_people")
    assert "author_claims" in inspect(old_engine).get_table_names()
