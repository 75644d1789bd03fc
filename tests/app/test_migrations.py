"""Schema migrations on a real SQLite file and PostgreSQL: an older database upgrades in place."""

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from app.database import alembic_config, upgrade_database
from ingest.jobs import JobQueue
from retriever.corpus import Corpus
from retriever.errors import SchemaMissing
from tests.conftest import migrate

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
    # Before the migrations existed the library made the tables itself: today's tables and
    # no revision, which is what the migrations leave without their alembic_version row.
    migrate(database_url)
    engine = create_engine(database_url)
    with engine.begin() as c:
        c.execute(text("DROP TABLE alembic_version"))
    upgrade_database(database_url)
    upgrade_database(database_url)  # and again: a no-op
    with engine.connect() as c:
        revision = c.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert revision == ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    engine.dispose()


def test_a_0003_database_gains_conversations_and_loses_them_on_downgrade(database_url):
    command.upgrade(alembic_config(database_url), "0003")
    engine = create_engine(database_url)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO collections (id, name, created_at) VALUES (1, 'c', CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(alembic_config(database_url), "0004")
    tables = {"conversations", "conversation_turns", "turn_feedback"}
    assert tables <= set(inspect(engine).get_table_names())
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO conversations (id, owner, title, created_at, updated_at)"
                " VALUES ('ab', '', 't', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        c.execute(
            text(
                "INSERT INTO conversation_turns (conversation_id, question, response, top_k,"
                " mode, model, settings, created_at) VALUES ('ab', 'q', '{}', 5, 'extractive',"
                " 'extractive', '{}', CURRENT_TIMESTAMP)"
            )
        )
        assert c.execute(text("SELECT count(*) FROM collections")).scalar() == 1
    command.downgrade(alembic_config(database_url), "0003")
    assert not tables & set(inspect(engine).get_table_names())
    with engine.connect() as c:
        assert c.execute(text("SELECT name FROM collections")).scalar() == "c"
    engine.dispose()


def test_the_stores_refuse_a_database_the_migrations_have_not_made(database_url):
    with pytest.raises(SchemaMissing, match="made by the migrations"):
        Corpus(database_url)
    command.upgrade(alembic_config(database_url), "0001")  # behind: no staged_chunks yet
    with pytest.raises(SchemaMissing, match="staged_chunks"):
        Corpus(database_url)
    upgrade_database(database_url)
    corpus = Corpus(database_url)
    JobQueue(corpus, stale_after=30.0)
    corpus.engine.dispose()
