"""Counts for `papertide stats` and the admin page."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from papertide.store import schema


def database_stats(engine: Engine) -> dict[str, int]:
    tables = {
        "papers": schema.Paper,
        "versions": schema.PaperVersion,
        "feed_entries": schema.FeedEntry,
        "votes": schema.Vote,
        "comments": schema.Comment,
        "users": schema.User,
        "embeddings": schema.Embedding,
        "subscriptions": schema.Subscription,
    }
    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(model)).scalar_one())
            for name, model in tables.items()
        }
