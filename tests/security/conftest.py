"""The security tests use the web fixtures: the app over a real database (SQLite and
PostgreSQL), a real SMTP server, the seeded feed."""

from __future__ import annotations

from tests.web.conftest import (  # noqa: F401  (fixtures, found by pytest through this module)
    client,
    mailbox,
    no_index_follower,
    reader,
    seed,
    web_settings,
)
