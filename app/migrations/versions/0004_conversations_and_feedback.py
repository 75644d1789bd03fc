"""conversations, their turns, and feedback on turns

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 17:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A database made by create_all from every metadata (adopted as 0001 by app.database)
    # may have these tables already.
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("conversations"):
        op.create_table(
            "conversations",
            sa.Column("id", sa.String(length=32), nullable=False),
            sa.Column("owner", sa.String(length=64), nullable=False),
            sa.Column("title", sa.String(length=200), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_conversations_owner_updated", "conversations", ["owner", "updated_at"])
    if not inspector.has_table("conversation_turns"):
        op.create_table(
            "conversation_turns",
            sa.Column("id", Id, autoincrement=True, nullable=False),
            sa.Column("conversation_id", sa.String(length=32), nullable=False),
            sa.Column("question", sa.Text(), nullable=False),
            sa.Column("response", sa.JSON(), nullable=False),
            sa.Column("collection", sa.String(length=200), nullable=True),
            sa.Column("top_k", sa.Integer(), nullable=False),
            sa.Column("mode", sa.String(length=20), nullable=False),
            sa.Column("model", sa.String(length=200), nullable=False),
            sa.Column("settings", sa.JSON(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
            sqlite_autoincrement=True,
        )
        op.create_index(
            "ix_conversation_turns_conversation_id", "conversation_turns", ["conversation_id"]
        )
    if not inspector.has_table("turn_feedback"):
        op.create_table(
            "turn_feedback",
            sa.Column("turn_id", Id, autoincrement=False, nullable=False),
            sa.Column("rating", sa.String(length=10), nullable=True),
            sa.Column("comment", sa.Text(), nullable=True),
            sa.Column("right_chunk_id", sa.BigInteger(), nullable=True),
            sa.Column("right_text", sa.Text(), nullable=True),
            sa.Column("right_answer", sa.Text(), nullable=True),
            sa.Column("not_in_documents", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["turn_id"], ["conversation_turns.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("turn_id"),
        )
        op.create_index("ix_turn_feedback_updated_at", "turn_feedback", ["updated_at"])


def downgrade() -> None:
    op.drop_table("turn_feedback")
    op.drop_table("conversation_turns")
    op.drop_table("conversations")
