"""People and discussion: author claims, profile choices, reply lookups

- `author_claims`: "I am this author of this paper", pending until an admin (or a trusted
  sign-in domain) confirms it.
- `users.public_upvotes` (default off) and `users.notify_replies` (default on).
- an index on `comments.parent_id`, for threads and reply notifications.

Revision ID: 0011_people
Revises: 0010_thumbnails
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_people"
down_revision: str | None = "0010_thumbnails"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "author_claims",
        sa.Column("id", KEY, nullable=False),
        sa.Column("paper_id", KEY, nullable=False),
        sa.Column("user_id", KEY, nullable=False),
        sa.Column("author_name", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=True),
        sa.Column("decided_by_id", KEY, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_author_claims_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_author_claims_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_author_claims_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_claims")),
        sa.UniqueConstraint("user_id", "paper_id", name=op.f("uq_author_claims_user_id")),
    )
    with op.batch_alter_table("author_claims") as batch:
        batch.create_index(batch.f("ix_author_claims_paper_id"), ["paper_id"], unique=False)
        batch.create_index(batch.f("ix_author_claims_user_id"), ["user_id"], unique=False)
        batch.create_index(batch.f("ix_author_claims_status"), ["status"], unique=False)
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("public_upvotes", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("notify_replies", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("comments") as batch:
        batch.create_index(batch.f("ix_comments_parent_id"), ["parent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_index(batch.f("ix_comments_parent_id"))
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notify_replies")
        batch.drop_column("public_upvotes")
    op.drop_table("author_claims")
