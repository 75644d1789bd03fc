"""staged chunks of large files, per-file chunk progress of jobs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 07:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


PROGRESS_COLUMNS = ("chunks_done", "chunks_total", "chunks_resumed")


def upgrade() -> None:
    # A database made by the library's create_all (adopted as 0001 by app.database) may
    # already have these: add only what is missing.
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("staged_chunks"):
        _create_staged_chunks()
    present = {c["name"] for c in inspector.get_columns("job_files")}
    missing = [c for c in PROGRESS_COLUMNS if c not in present]
    if missing:
        with op.batch_alter_table("job_files", schema=None) as batch_op:
            for column in missing:
                batch_op.add_column(
                    sa.Column(column, sa.Integer(), nullable=False, server_default="0")
                )


def _create_staged_chunks() -> None:
    op.create_table(
        "staged_chunks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("page_start", sa.Integer(), nullable=False),
        sa.Column("page_end", sa.Integer(), nullable=False),
        sa.Column("char_start", sa.Integer(), nullable=False),
        sa.Column("char_end", sa.Integer(), nullable=False),
        sa.Column("token_count", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", "ordinal"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    with op.batch_alter_table("job_files", schema=None) as batch_op:
        for column in reversed(PROGRESS_COLUMNS):
            batch_op.drop_column(column)
    op.drop_table("staged_chunks")
