"""The corpus store: documents, chunks, embeddings and the change log, in one SQL database."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from retriever.chunk_rows import ChunkRows, chunk_columns
from retriever.errors import DocumentNotFound
from retriever.records import DocumentInfo, NewChunk, NewDocument
from retriever.schema import (
    Base,
    ChangeRow,
    ChunkColumns,
    ChunkRow,
    CollectionRow,
    DocumentRow,
    MetaRow,
    StagedChunkRow,
    require_tables,
    utcnow,
)
from retriever.sql import lock_change_log, make_engine
from retriever.staging import ChunkStaging


@dataclass(frozen=True)
class StoredDocument:
    document_id: int
    outcome: str  # "added" | "updated"
    chunks: int


class Corpus(ChunkRows, ChunkStaging):
    """All reads and writes of the system of record. Each method is one unit of work.

    This module holds the documents; chunk reads and the change log are in chunk_rows.py,
    the staging of large files in staging.py.
    """

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        require_tables(self.engine, Base.metadata)  # made by the migrations, never here
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def collection_id(self, session: Session, name: str) -> int:
        found = session.scalar(select(CollectionRow.id).where(CollectionRow.name == name))
        if found is not None:
            return found
        row = CollectionRow(name=name)
        session.add(row)
        session.flush()
        return row.id

    def find_document(self, collection: str, source: str) -> DocumentInfo | None:
        with self.session() as session:
            row = session.scalar(
                select(DocumentRow)
                .join(CollectionRow)
                .where(CollectionRow.name == collection, DocumentRow.source == source)
            )
            return self._info(session, row) if row else None

    def find_by_content(self, collection: str, content_hash: str) -> DocumentInfo | None:
        """A ready document of the collection with exactly this content, if any."""
        with self.session() as session:
            row = session.scalar(
                select(DocumentRow)
                .join(CollectionRow)
                .where(
                    CollectionRow.name == collection,
                    DocumentRow.content_hash == content_hash,
                    DocumentRow.status == "ready",
                )
                .order_by(DocumentRow.id)
                .limit(1)
            )
            return self._info(session, row) if row else None

    def store_document(self, document: NewDocument, chunks: Sequence[NewChunk]) -> StoredDocument:
        """Add a document, or replace the chunks of an existing one, in one transaction."""
        with self.session() as session, session.begin():
            doc, outcome = self._replace_document(session, document)
            rows = [
                ChunkRow(document_id=doc.id, **chunk_columns(i, c)) for i, c in enumerate(chunks)
            ]
            session.add_all(rows)
            session.flush()
            session.add_all(ChangeRow(op="add", chunk_id=r.id, document_id=doc.id) for r in rows)
            return StoredDocument(doc.id, outcome, len(rows))

    def _replace_document(self, session: Session, new: NewDocument) -> tuple[DocumentRow, str]:
        """The document row, new or emptied of its chunks, with its new metadata."""
        lock_change_log(session)
        collection_id = self.collection_id(session, new.collection)
        doc = session.scalar(
            select(DocumentRow).where(
                DocumentRow.collection_id == collection_id, DocumentRow.source == new.source
            )
        )
        outcome = "updated" if doc is not None and doc.status == "ready" else "added"
        if doc is None:
            doc = DocumentRow(collection_id=collection_id, source=new.source, status="ready")
            session.add(doc)
        doc.title, doc.mime, doc.content_hash, doc.size = (
            new.title,
            new.mime,
            new.content_hash,
            new.size,
        )
        doc.pages, doc.page_offsets = len(new.page_offsets), list(new.page_offsets)
        doc.text_version = new.text_version
        doc.status, doc.error = "ready", None
        session.flush()
        self._delete_chunks(session, doc.id)
        return doc, outcome

    def store_staged_document(
        self, document: NewDocument, *, key: str, total: int
    ) -> StoredDocument | None:
        """Make a fully staged file a searchable document, in one transaction.

        None (and nothing changed) if fewer than `total` chunks are staged under `key`.
        """
        with self.session() as session, session.begin():
            staged = session.scalar(
                select(func.count()).select_from(StagedChunkRow).where(StagedChunkRow.key == key)
            )
            if staged != total:
                return None
            doc, outcome = self._replace_document(session, document)
            columns = list(ChunkColumns.__annotations__)  # what both tables hold, in order
            staged_rows = (
                select(literal(doc.id), *(getattr(StagedChunkRow, c) for c in columns))
                .where(StagedChunkRow.key == key)
                .order_by(StagedChunkRow.ordinal)
            )
            session.execute(insert(ChunkRow).from_select(["document_id", *columns], staged_rows))
            new_chunks = (
                select(literal("add"), ChunkRow.id, ChunkRow.document_id, literal(utcnow()))
                .where(ChunkRow.document_id == doc.id)
                .order_by(ChunkRow.id)
            )
            session.execute(
                insert(ChangeRow).from_select(
                    ["op", "chunk_id", "document_id", "created_at"], new_chunks
                )
            )
            session.execute(delete(StagedChunkRow).where(StagedChunkRow.key == key))
            return StoredDocument(doc.id, outcome, total)

    def content_hashes(self) -> set[str]:
        """The content of every stored document (ready or failed): the originals in use."""
        with self.session() as session:
            return set(session.scalars(select(DocumentRow.content_hash).distinct()))

    def has_content(self, content_hash: str) -> bool:
        with self.session() as session:
            found = session.scalar(
                select(DocumentRow.id).where(DocumentRow.content_hash == content_hash).limit(1)
            )
            return found is not None

    def record_failure(
        self, *, collection: str, source: str, content_hash: str, size: int, error: str
    ) -> None:
        """Remember a file that failed, unless an earlier good version is stored (kept as is)."""
        with self.session() as session, session.begin():
            collection_id = self.collection_id(session, collection)
            doc = session.scalar(
                select(DocumentRow).where(
                    DocumentRow.collection_id == collection_id, DocumentRow.source == source
                )
            )
            if doc is not None and doc.status == "ready":
                return
            if doc is None:
                doc = DocumentRow(collection_id=collection_id, source=source, title="", mime="")
                session.add(doc)
            doc.content_hash, doc.size, doc.status, doc.error = content_hash, size, "failed", error

    def delete_document(self, document_id: int) -> None:
        with self.session() as session, session.begin():
            lock_change_log(session)
            doc = session.get(DocumentRow, document_id)
            if doc is None:
                raise DocumentNotFound(f"no document with id {document_id}")
            self._delete_chunks(session, document_id)
            session.delete(doc)

    def _delete_chunks(self, session: Session, document_id: int) -> None:
        ids = session.scalars(select(ChunkRow.id).where(ChunkRow.document_id == document_id)).all()
        if not ids:
            return
        session.add_all(ChangeRow(op="delete", chunk_id=i, document_id=document_id) for i in ids)
        session.execute(delete(ChunkRow).where(ChunkRow.document_id == document_id))

    def list_documents(self, collection: str | None = None) -> list[DocumentInfo]:
        with self.session() as session:
            query = select(DocumentRow).join(CollectionRow).order_by(DocumentRow.id)
            if collection is not None:
                query = query.where(CollectionRow.name == collection)
            rows = session.scalars(query).all()
            counts = dict(
                session.execute(
                    select(ChunkRow.document_id, func.count()).group_by(ChunkRow.document_id)
                ).all()
            )
            return [self._info(session, r, counts.get(r.id, 0)) for r in rows]

    def outdated_documents(self, text_version: int) -> list[DocumentInfo]:
        """Ready documents whose chunks were made with text rules older than `text_version`."""
        with self.session() as session:
            rows = session.scalars(
                select(DocumentRow).where(*_outdated(text_version)).order_by(DocumentRow.id)
            ).all()
            return [self._info(session, r) for r in rows]

    def count_outdated(self, text_version: int) -> int:
        """How many documents `outdated_documents` would return, in one query."""
        with self.session() as session:
            query = select(func.count()).select_from(DocumentRow).where(*_outdated(text_version))
            return session.scalar(query) or 0

    def get_document(self, document_id: int) -> DocumentInfo:
        with self.session() as session:
            row = session.get(DocumentRow, document_id)
            if row is None:
                raise DocumentNotFound(f"no document with id {document_id}")
            return self._info(session, row)

    def page_offsets(self, document_id: int) -> list[int]:
        with self.session() as session:
            offsets = session.scalar(
                select(DocumentRow.page_offsets).where(DocumentRow.id == document_id)
            )
            return list(offsets or [])

    def _info(self, session: Session, row: DocumentRow, chunks: int | None = None) -> DocumentInfo:
        if chunks is None:
            chunks = session.scalar(
                select(func.count()).select_from(ChunkRow).where(ChunkRow.document_id == row.id)
            )
        return DocumentInfo(
            id=row.id,
            collection=row.collection.name,
            source=row.source,
            title=row.title,
            mime=row.mime,
            content_hash=row.content_hash,
            size=row.size,
            pages=row.pages,
            status=row.status,
            error=row.error,
            chunks=chunks or 0,
            created_at=row.created_at,
            updated_at=row.updated_at,
            text_version=row.text_version,
        )

    def get_meta(self, key: str) -> str | None:
        with self.session() as session:
            row = session.get(MetaRow, key)
            return row.value if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.session() as session, session.begin():
            session.merge(MetaRow(key=key, value=value))

    def meta_or_set(self, key: str, value: str) -> str:
        """The value stored under `key`, storing `value` first when there is none. The first
        writer wins, so processes opening a new database together all read the same value."""
        stored = self.get_meta(key)
        if stored is None:
            try:
                with self.session() as session, session.begin():
                    session.add(MetaRow(key=key, value=value))
                return value
            except IntegrityError:  # another process stored it first: theirs holds
                stored = self.get_meta(key)
        if stored is None:  # meta rows are never deleted
            raise RuntimeError(f"meta {key!r} vanished")
        return stored


def _outdated(text_version: int) -> tuple[ColumnElement[bool], ...]:
    return DocumentRow.status == "ready", DocumentRow.text_version < text_version
