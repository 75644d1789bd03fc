"""Chunk rows and the change log: how a chunk is stored, and the reads that searches and
the derived indexes make."""

import hashlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from sqlalchemy import func, select

from retriever.records import Change, ChunkRecord, NewChunk, searchable_text
from retriever.schema import ChangeRow, ChunkRow, CollectionRow, DocumentRow
from retriever.sql import SqlStore


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_columns(ordinal: int, c: NewChunk) -> dict[str, Any]:
    """The stored columns of a chunk (ChunkColumns), for a searchable or a staged row."""
    return {
        "ordinal": ordinal,
        "text": c.text,
        "context": c.context,
        "page_start": c.page_start,
        "page_end": c.page_end,
        "char_start": c.char_start,
        "char_end": c.char_end,
        "token_count": c.token_count,
        "content_hash": text_hash(c.text),
        "embedding": np.asarray(c.embedding, dtype=np.float32).tobytes(),
    }


class ChunkRows(SqlStore):
    """Chunk reads, the change log and re-embedding (a part of Corpus)."""

    def texts_containing(
        self, document_ids: Sequence[int], fragment: str, limit: int = 100
    ) -> list[str]:
        """Texts of up to `limit` chunks of these documents that hold `fragment`, case aside
        (ASCII; a prefilter: callers check what they need on the texts)."""
        if not document_ids or not fragment:
            return []
        with self.session() as session:
            return list(
                session.scalars(
                    select(ChunkRow.text)
                    .where(
                        ChunkRow.document_id.in_(list(document_ids)),
                        ChunkRow.text.icontains(fragment, autoescape=True),
                    )
                    .limit(limit)
                )
            )

    def chunks_by_ids(self, ids: Sequence[int]) -> dict[int, ChunkRecord]:
        if not ids:
            return {}
        with self.session() as session:
            rows = session.execute(
                select(ChunkRow, DocumentRow.source, DocumentRow.title, CollectionRow.name)
                .join(DocumentRow, ChunkRow.document_id == DocumentRow.id)
                .join(CollectionRow, DocumentRow.collection_id == CollectionRow.id)
                .where(ChunkRow.id.in_(list(ids)))
            ).all()
        return {
            c.id: ChunkRecord(
                id=c.id,
                document_id=c.document_id,
                collection=collection,
                source=source,
                title=title,
                text=c.text,
                page_start=c.page_start,
                page_end=c.page_end,
                char_start=c.char_start,
                char_end=c.char_end,
                context=c.context,
            )
            for c, source, title, collection in rows
        }

    def section_neighbours(self, chunk_id: int, reach: int) -> list[ChunkRecord]:
        """The chunk and those up to `reach` places before and after it in its document that
        share its heading path (its section), in order."""
        with self.session() as session:
            row = session.get(ChunkRow, chunk_id)
            if row is None:
                return []
            ids = session.scalars(
                select(ChunkRow.id).where(
                    ChunkRow.document_id == row.document_id,
                    ChunkRow.ordinal.between(row.ordinal - reach, row.ordinal + reach),
                    ChunkRow.context == row.context,
                )
            ).all()
        found = self.chunks_by_ids(list(ids))
        return sorted(found.values(), key=lambda c: c.char_start)

    def document_chunks(
        self, document_id: int, offset: int, limit: int
    ) -> tuple[list[ChunkRecord], int]:
        """A page of a document's chunks in reading order, and how many it has."""
        with self.session() as session:
            ids = session.scalars(
                select(ChunkRow.id)
                .where(ChunkRow.document_id == document_id)
                .order_by(ChunkRow.ordinal)
                .offset(offset)
                .limit(limit)
            ).all()
            total = session.scalar(
                select(func.count(ChunkRow.id)).where(ChunkRow.document_id == document_id)
            )
        found = self.chunks_by_ids(list(ids))
        return [found[i] for i in ids if i in found], total or 0

    def chunk_ids(
        self, collection: str | None = None, document_ids: Sequence[int] | None = None
    ) -> np.ndarray:
        """Ids of the chunks inside a filter, for restricting searches before the top-k cut."""
        query = select(ChunkRow.id).join(DocumentRow, ChunkRow.document_id == DocumentRow.id)
        if collection is not None:
            query = query.join(CollectionRow).where(CollectionRow.name == collection)
        if document_ids is not None:
            query = query.where(DocumentRow.id.in_(list(document_ids)))
        with self.session() as session:
            return np.fromiter(session.scalars(query), dtype=np.int64)

    def chunk_count(self) -> int:
        with self.session() as session:
            return session.scalar(select(func.count(ChunkRow.id))) or 0

    def last_seq(self) -> int:
        with self.session() as session:
            return session.scalar(select(func.max(ChangeRow.seq))) or 0

    def changes_since(self, seq: int) -> list[Change]:
        with self.session() as session:
            rows = session.execute(
                select(ChangeRow.seq, ChangeRow.op, ChangeRow.chunk_id)
                .where(ChangeRow.seq > seq)
                .order_by(ChangeRow.seq)
            ).all()
        return [Change(s, op, cid) for s, op, cid in rows]

    def iter_chunks(
        self, ids: Sequence[int] | None = None, batch: int = 4096
    ) -> Iterator[tuple[np.ndarray, list[str], np.ndarray]]:
        """Yield (ids, searchable texts, embeddings) in batches: all chunks, or just `ids`."""
        wanted = None if ids is None else list(ids)
        if wanted is not None:
            for start in range(0, len(wanted), batch):
                yield from self._chunk_batch(wanted[start : start + batch])
            return
        last = 0
        while True:
            with self.session() as session:
                page = session.scalars(
                    select(ChunkRow.id).where(ChunkRow.id > last).order_by(ChunkRow.id).limit(batch)
                ).all()
            if not page:
                return
            yield from self._chunk_batch(list(page))
            last = page[-1]

    def _chunk_batch(self, ids: list[int]) -> Iterator[tuple[np.ndarray, list[str], np.ndarray]]:
        with self.session() as session:
            rows = session.execute(
                select(ChunkRow.id, ChunkRow.context, ChunkRow.text, ChunkRow.embedding)
                .where(ChunkRow.id.in_(ids))
                .order_by(ChunkRow.id)
            ).all()
        if rows:
            vectors = np.stack([np.frombuffer(r.embedding, dtype=np.float32) for r in rows])
            texts = [searchable_text(r.context, r.text) for r in rows]
            yield np.array([r.id for r in rows], dtype=np.int64), texts, vectors

    def update_embeddings(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        with self.session() as session, session.begin():
            for chunk_id, vector in zip(ids.tolist(), vectors, strict=True):
                row = session.get(ChunkRow, chunk_id)
                if row is not None:
                    row.embedding = np.asarray(vector, dtype=np.float32).tobytes()
