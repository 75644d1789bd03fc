"""The conversations use case: a user's questions and the answers they got, kept in SQL.

Every call names the owner (a hash of the API key, "" without keys): a conversation of another
owner is reported exactly like one that does not exist, so ids tell an outsider nothing.
"""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.conversation_tables import ConversationRow, FeedbackRow, TurnRow
from app.errors import ConflictError, NotFoundError
from retriever.schema import ChunkRow, utcnow

DEFAULT_TITLE_CHARS = 80
_SPACES = re.compile(r"\s+")


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def without_nul(text: str) -> str:
    """PostgreSQL text cannot hold NUL, which is never part of what a person wrote."""
    return text.replace("\x00", "")


def default_title(question: str) -> str:
    """The first question on one line, cut at DEFAULT_TITLE_CHARS."""
    line = _SPACES.sub(" ", without_nul(question)).strip()
    return line if len(line) <= DEFAULT_TITLE_CHARS else line[: DEFAULT_TITLE_CHARS - 1] + "…"


@dataclass(frozen=True)
class ConversationInfo:
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    turns: int


@dataclass(frozen=True)
class FeedbackInfo:
    turn_id: int
    rating: str | None
    comment: str | None
    right_chunk_id: int | None
    right_text: str | None
    right_answer: str | None
    not_in_documents: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: FeedbackRow) -> "FeedbackInfo":
        return cls(
            turn_id=row.turn_id,
            rating=row.rating,
            comment=row.comment,
            right_chunk_id=row.right_chunk_id,
            right_text=row.right_text,
            right_answer=row.right_answer,
            not_in_documents=row.not_in_documents,
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
        )


@dataclass(frozen=True)
class TurnInfo:
    id: int
    conversation_id: str
    question: str
    response: dict[str, Any]  # the answer as it was returned (AskResponse's JSON)
    collection: str | None
    top_k: int
    mode: str
    model: str
    settings: dict[str, Any]
    created_at: datetime
    feedback: FeedbackInfo | None

    @classmethod
    def of(cls, row: TurnRow, feedback: FeedbackRow | None) -> "TurnInfo":
        return cls(
            id=row.id,
            conversation_id=row.conversation_id,
            question=row.question,
            response=row.response,
            collection=row.collection,
            top_k=row.top_k,
            mode=row.mode,
            model=row.model,
            settings=row.settings,
            created_at=aware(row.created_at),
            feedback=FeedbackInfo.of(feedback) if feedback is not None else None,
        )

    def chunk_ids(self) -> set[int]:
        """Every chunk the answer cited or showed."""
        items = [*self.response.get("citations", ()), *self.response.get("passages", ())]
        return {int(item["chunk_id"]) for item in items}


@dataclass(frozen=True)
class NewTurn:
    """What one answer stores: the question, the answer as returned, what produced it."""

    question: str
    response: dict[str, Any]
    collection: str | None
    top_k: int
    mode: str
    model: str
    settings: dict[str, Any]


class ConversationStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def _owned(self, session: Session, owner: str, conversation_id: str) -> ConversationRow:
        row = session.get(ConversationRow, conversation_id)
        if row is None or row.owner != owner:
            raise NotFoundError(f"no conversation with id {conversation_id}")
        return row

    def _info(self, session: Session, row: ConversationRow) -> ConversationInfo:
        count = session.scalar(
            select(func.count()).select_from(TurnRow).where(TurnRow.conversation_id == row.id)
        )
        return ConversationInfo(
            row.id, row.title, aware(row.created_at), aware(row.updated_at), count or 0
        )

    def create(self, owner: str, title: str = "") -> ConversationInfo:
        with self._sessions.begin() as session:
            row = ConversationRow(id=uuid.uuid4().hex, owner=owner, title=without_nul(title))
            session.add(row)
            session.flush()
            return self._info(session, row)

    def get(self, owner: str, conversation_id: str) -> ConversationInfo:
        """Raises NotFoundError for an unknown id or another owner's."""
        with self._sessions() as session:
            return self._info(session, self._owned(session, owner, conversation_id))

    def find(
        self, owner: str, title_contains: str | None, offset: int, limit: int
    ) -> tuple[list[ConversationInfo], int]:
        """Newest activity first, and how many match in all."""
        where = [ConversationRow.owner == owner]
        if title_contains:
            where.append(ConversationRow.title.icontains(title_contains, autoescape=True))
        turns = (
            select(TurnRow.conversation_id, func.count().label("n"))
            .group_by(TurnRow.conversation_id)
            .subquery()
        )
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(ConversationRow).where(*where))
            rows = session.execute(
                select(ConversationRow, func.coalesce(turns.c.n, 0))
                .outerjoin(turns, turns.c.conversation_id == ConversationRow.id)
                .where(*where)
                .order_by(ConversationRow.updated_at.desc(), ConversationRow.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
        found = [
            ConversationInfo(r.id, r.title, aware(r.created_at), aware(r.updated_at), n)
            for r, n in rows
        ]
        return found, total or 0

    def turns(self, owner: str, conversation_id: str, offset: int, limit: int) -> list[TurnInfo]:
        """Oldest first, each with its feedback."""
        with self._sessions() as session:
            self._owned(session, owner, conversation_id)
            rows = session.execute(
                select(TurnRow, FeedbackRow)
                .outerjoin(FeedbackRow, FeedbackRow.turn_id == TurnRow.id)
                .where(TurnRow.conversation_id == conversation_id)
                .order_by(TurnRow.id)
                .offset(offset)
                .limit(limit)
            ).all()
        return [TurnInfo.of(turn, feedback) for turn, feedback in rows]

    def rename(self, owner: str, conversation_id: str, title: str) -> ConversationInfo:
        with self._sessions.begin() as session:
            row = self._owned(session, owner, conversation_id)
            row.title = without_nul(title)
            row.updated_at = utcnow()
            session.flush()
            return self._info(session, row)

    def delete(self, owner: str, conversation_id: str) -> None:
        """Its turns and their feedback go with it (the foreign keys cascade)."""
        with self._sessions.begin() as session:
            session.delete(self._owned(session, owner, conversation_id))

    def _check_last(self, session: Session, conversation_id: str, turn_id: int) -> TurnRow:
        """The turn, when it is the conversation's last; NotFoundError or ConflictError."""
        row = session.get(TurnRow, turn_id, populate_existing=True)
        if row is None or row.conversation_id != conversation_id:
            raise NotFoundError(f"no turn {turn_id} in conversation {conversation_id}")
        last = session.scalar(
            select(func.max(TurnRow.id)).where(TurnRow.conversation_id == conversation_id)
        )
        if last != turn_id:
            raise ConflictError(
                f"turn {turn_id} is not the last turn of conversation {conversation_id}:"
                " only the last answer can be regenerated or edited"
            )
        return row

    def check_replaceable(self, owner: str, conversation_id: str, turn_id: int) -> None:
        """NotFoundError for another owner's conversation or a turn not in it, ConflictError
        when the turn is not the last one."""
        with self._sessions() as session:
            self._owned(session, owner, conversation_id)
            self._check_last(session, conversation_id, turn_id)

    def append(
        self, owner: str, conversation_id: str | None, turn: NewTurn, replaces: int | None = None
    ) -> tuple[str, int]:
        """Add a turn, to a new conversation when `conversation_id` is None; the new turn's
        (conversation id, turn id). Concurrent appends to one conversation each get a turn.
        With `replaces` (the conversation's last turn), that turn and its feedback are deleted
        in the same transaction; when it is no longer the last, nothing changes."""
        try:
            return self._append(owner, conversation_id, turn, replaces)
        except IntegrityError:  # deleted between the look-up and the insert
            raise NotFoundError(f"no conversation with id {conversation_id}") from None

    def _append(
        self, owner: str, conversation_id: str | None, turn: NewTurn, replaces: int | None
    ) -> tuple[str, int]:
        with self._sessions.begin() as session:
            if conversation_id is None:
                row = ConversationRow(
                    id=uuid.uuid4().hex, owner=owner, title=default_title(turn.question)
                )
                session.add(row)
                session.flush()
            else:
                row = self._owned(session, owner, conversation_id)
            # First, one statement: it locks the conversation's row (PostgreSQL), so appends
            # and replacements to one conversation take turns, and a concurrent rename or
            # first turn is not overwritten.
            session.execute(
                update(ConversationRow)
                .where(ConversationRow.id == row.id)
                .values(updated_at=utcnow())
            )
            if replaces is not None:
                old = self._check_last(session, row.id, replaces)
                if old.id == session.scalar(
                    select(func.min(TurnRow.id)).where(TurnRow.conversation_id == row.id)
                ) and row.title == default_title(old.question):
                    # The first question edited: the title it gave follows it.
                    session.execute(
                        update(ConversationRow)
                        .where(ConversationRow.id == row.id)
                        .values(title=default_title(turn.question))
                    )
                session.execute(delete(FeedbackRow).where(FeedbackRow.turn_id == replaces))
                session.execute(delete(TurnRow).where(TurnRow.id == replaces))
            added = TurnRow(
                conversation_id=row.id,
                question=without_nul(turn.question),
                response=turn.response,
                collection=turn.collection,
                top_k=turn.top_k,
                mode=turn.mode,
                model=turn.model,
                settings=turn.settings,
            )
            session.add(added)
            session.execute(
                update(ConversationRow)
                .where(ConversationRow.id == row.id, ConversationRow.title == "")
                .values(title=default_title(turn.question))
            )
            session.flush()
            return row.id, added.id

    def missing_chunks(self, chunk_ids: Sequence[int]) -> set[int]:
        """Those of `chunk_ids` no longer in the corpus: their document was deleted or
        ingested again (chunk ids are never reused)."""
        wanted = set(chunk_ids)
        if not wanted:
            return set()
        with self._sessions() as session:
            present = set(session.scalars(select(ChunkRow.id).where(ChunkRow.id.in_(wanted))))
        return wanted - present
