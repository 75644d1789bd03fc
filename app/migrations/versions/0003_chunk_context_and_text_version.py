"""chunk context (heading path), documents' text-rules version

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 12:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing chunks have no context, and documents made before text versions count as
    # version 0: outdated, so the next ingest or `kotae reindex --reembed` re-processes them.
    # A database adopted from the library's create_all may have the columns already.
    inspector = sa.inspect(op.get_bind())
    for table in ("chunks", "staged_chunks"):
        if not _has_column(inspector, table, "context"):
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.add_column(
                    sa.Column("context", sa.Text(), nullable=False, server_default="")
                )
    if not _has_column(inspector, "documents", "text_version"):
        with op.batch_alter_table("documents", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("text_version", sa.Integer(), nullable=False, server_default="0")
            )


def _has_column(inspector: sa.Inspector, table: str, column: str) -> bool:
    return any(c["name"] == column for c in inspector.get_columns(table))


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("text_version")
    for table in ("staged_chunks", "chunks"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("context")
