"""Alembic environment: the URL comes from the caller (app.database), never from an ini file."""

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

import app.conversation_tables
import ingest.job_tables
import retriever.schema

config = context.config
# Each package owns its tables on its own metadata (no foreign key crosses them); Alembic
# compares the database with all of them.
target_metadata = [
    retriever.schema.Base.metadata,
    ingest.job_tables.metadata,
    app.conversation_tables.metadata,
]


def migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        migrate(given)  # the caller's connection and transaction; the caller closes it
        return
    engine = engine_from_config(
        {"sqlalchemy.url": config.get_main_option("sqlalchemy.url")},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        migrate(connection)


run_migrations()
