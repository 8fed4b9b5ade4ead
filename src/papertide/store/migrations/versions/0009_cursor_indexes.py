"""Composite (updated_at, id) indexes for the index-sync cursors of papers and embeddings

With an index on updated_at alone, a keyset page `(updated_at, id) > (t, i) ORDER BY updated_at,
id LIMIT n` reads and sorts every row that shares updated_at t: a million papers imported in one
go made each batch of a rebuild take a second on PostgreSQL.

Revision ID: 0009_cursor_indexes
Revises: 0008_feed_snapshot
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_cursor_indexes"
down_revision: str | None = "0008_feed_snapshot"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_papers_updated_at", table_name="papers")
    op.create_index("ix_papers_updated_at_id", "papers", ["updated_at", "id"])
    op.drop_index("ix_embeddings_updated_at", table_name="embeddings")
    op.create_index("ix_embeddings_updated_at_paper_id", "embeddings", ["updated_at", "paper_id"])


def downgrade() -> None:
    op.drop_index("ix_embeddings_updated_at_paper_id", table_name="embeddings")
    op.create_index("ix_embeddings_updated_at", "embeddings", ["updated_at"])
    op.drop_index("ix_papers_updated_at_id", table_name="papers")
    op.create_index("ix_papers_updated_at", "papers", ["updated_at"])
