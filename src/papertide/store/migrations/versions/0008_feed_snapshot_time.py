"""feed_entries.imported_snapshot_at: when imported upvotes were observed

Revision ID: 0008_feed_snapshot
Revises: 0007_jobs
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_feed_snapshot"
down_revision: str | None = "0007_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feed_entries") as batch:
        batch.add_column(
            sa.Column("imported_snapshot_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("feed_entries") as batch:
        batch.drop_column("imported_snapshot_at")
