"""Schema migrations on a real SQLite file and PostgreSQL: an older database upgrades in place."""

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

import ingest.jobs  # noqa: F401 - the job tables are part of the schema
from app.database import alembic_config, upgrade_database
from retriever.corpus import Corpus

pytestmark = pytest.mark.integration


def test_a_0001_database_gains_staging_and_progress_and_keeps_its_jobs(database_url):
    command.upgrade(alembic_config(database_url), "0001")
    engine = create_engine(database_url)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO jobs (id, collection, status, files_total, files_done, chunks,"
                " attempts, created_at, updated_at) VALUES ('j1', 'c', 'queued', 1, 0, 0, 0,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        c.execute(
            text(
                "INSERT INTO job_files (job_id, name, size, status, attempts, chunks)"
                " VALUES ('j1', 'a.txt', 1, 'queued', 0, 0)"
            )
        )
    upgrade_database(database_url)
    inspector = inspect(engine)
    assert inspector.has_table("staged_chunks")
    with engine.connect() as c:
        row = c.execute(
            text("SELECT name, chunks_done, chunks_total, chunks_resumed FROM job_files")
        ).one()
    assert tuple(row) == ("a.txt", 0, 0, 0)
    command.downgrade(alembic_config(database_url), "0001")
    assert not inspect(engine).has_table("staged_chunks")
    engine.dispose()


def test_a_database_made_by_the_library_is_adopted(database_url):
    Corpus(database_url).engine.dispose()  # create_all: today's tables, no revision
    upgrade_database(database_url)
    upgrade_database(database_url)  # and again: a no-op
    engine = create_engine(database_url)
    with engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
    engine.dispose()
