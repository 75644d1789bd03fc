"""SQLAlchemy 2.0 tables: SQL is the system of record, every index is derived from it."""

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    inspect,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from retriever.errors import SchemaMissing

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for large corpora.
Id = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


def require_tables(engine: Engine, metadata: MetaData) -> None:
    """Fail at once, naming the remedy, if the migrations have not made these tables.

    The schema is created and changed only by the migrations (app.database.upgrade_database,
    which every kotae command runs first); without this a missing table shows up as an
    obscure SQL error at the first query.
    """
    missing = sorted(set(metadata.tables) - set(inspect(engine).get_table_names()))
    if missing:
        tables = "table" if len(missing) == 1 else "tables"
        raise SchemaMissing(
            f"the database at {engine.url!r} has no {tables} {', '.join(missing)}: its schema is"
            " made by the migrations; run any kotae command, which upgrades the database first"
        )


class CollectionRow(Base):
    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DocumentRow(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("collection_id", "source"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id"))
    source: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(1000), default="")
    mime: Mapped[str] = mapped_column(String(200), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    # Start offset of each page in the normalized document text, to map any span to its page.
    page_offsets: Mapped[list[int]] = mapped_column(JSON, default=list)
    # The version of the ingest text rules its chunks were made with (ingest.pipeline): an
    # older one is re-processed by the next ingest of the file or `kotae reindex --reembed`.
    text_version: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    collection: Mapped[CollectionRow] = relationship()


class ChunkColumns:
    """What a chunk is, stored alike whether it is searchable (`chunks`) or staged."""

    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # "Title › Section": searched and shown with the chunk, not part of its cited text.
    context: Mapped[str] = mapped_column(Text, default="")
    page_start: Mapped[int] = mapped_column(Integer)
    page_end: Mapped[int] = mapped_column(Integer)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    token_count: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    embedding: Mapped[bytes] = mapped_column(LargeBinary)


class ChunkRow(ChunkColumns, Base):
    __tablename__ = "chunks"
    # sqlite_autoincrement: SQLite would otherwise reuse the id of a deleted last row.
    __table_args__ = (Index("ix_chunks_document", "document_id"), {"sqlite_autoincrement": True})

    # Never reused: the derived indexes use it as their stable id.
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))


class StagedChunkRow(ChunkColumns, Base):
    """Embedded chunks of a large file still being ingested, invisible to search.

    Keyed by what determines them (the file's content and the chunking/model, `key`) and
    the chunk's position, so an interrupted ingest resumes without embedding them again;
    moved into `chunks` in one transaction when the file is complete.
    """

    __tablename__ = "staged_chunks"
    __table_args__ = (UniqueConstraint("key", "ordinal"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChangeRow(Base):
    """Append-only log of chunk adds and deletes; derived indexes replay it by `seq`."""

    __tablename__ = "changes"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy reads it

    seq: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    op: Mapped[str] = mapped_column(String(10))
    chunk_id: Mapped[int] = mapped_column(BigInteger)
    document_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MetaRow(Base):
    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
