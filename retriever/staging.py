"""Staged chunks: a large file is embedded and kept batch by batch, so an interrupted ingest
resumes where it stopped; Corpus.store_staged_document then makes the file searchable."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from retriever.chunk_rows import chunk_columns
from retriever.records import NewChunk
from retriever.schema import StagedChunkRow
from retriever.sql import SqlStore


class ChunkStaging(SqlStore):
    """The staging area of the corpus (a part of Corpus)."""

    def staged_ordinals(self, key: str) -> set[int]:
        with self.session() as session:
            return set(
                session.scalars(select(StagedChunkRow.ordinal).where(StagedChunkRow.key == key))
            )

    def stage_chunks(self, key: str, ordinals: Sequence[int], chunks: Sequence[NewChunk]) -> None:
        """Keep one embedded batch of a file being ingested (not searchable yet)."""
        rows = [
            StagedChunkRow(key=key, **chunk_columns(ordinal, c))
            for ordinal, c in zip(ordinals, chunks, strict=True)
        ]
        try:
            with self.session() as session, session.begin():
                session.add_all(rows)
        except IntegrityError:
            # Another worker ingesting the same content staged these first: same chunks.
            pass

    def clear_staged(self, older_than: datetime) -> int:
        """Drop staged chunks of files nobody finished (their newest batch is this old)."""
        with self.session() as session, session.begin():
            newest = (
                select(StagedChunkRow.key)
                .group_by(StagedChunkRow.key)
                .having(func.max(StagedChunkRow.created_at) < older_than)
            )
            result: Any = session.execute(
                delete(StagedChunkRow).where(StagedChunkRow.key.in_(newest))
            )
            return int(result.rowcount or 0)
