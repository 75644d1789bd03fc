"""Schema migrations with Alembic: every process upgrades the database to head before use.

Processes of different ages share one database (API processes, workers), so the schema
is created and changed only by the numbered migrations in app/migrations/versions; the
libraries never create tables (Corpus and JobQueue refuse a database that lacks them).
"""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from retriever.sql import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed number: it only has to be the same in every Kotae process.
MIGRATION_LOCK = 7_243_001
FIRST_REVISION = "0001"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str) -> None:
    """Bring the schema to head; on PostgreSQL, processes starting together take turns."""
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            config.attributes["connection"] = connection
            current = MigrationContext.configure(connection).get_current_revision()
            if current is None and inspect(connection).has_table("documents"):
                # Created by the library's create_all before migrations existed: same schema
                # as the first revision, so adopt it rather than fail on existing tables.
                command.stamp(config, FIRST_REVISION)
            command.upgrade(config, "head")
    finally:
        engine.dispose()
