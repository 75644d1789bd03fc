"""Feedback on an answer: stored with its turn, so the question, the answer, its citations
and what produced them are known when it is read or exported (app/feedback_export.py)."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.conversation_tables import ConversationRow, FeedbackRow, TurnRow
from app.conversations import TurnInfo, without_nul
from app.errors import BadRequestError, NotFoundError
from retriever.schema import utcnow


@dataclass(frozen=True)
class FeedbackInput:
    rating: str | None = None  # "up" / "down"
    comment: str | None = None
    right_chunk_id: int | None = None  # one of the turn's cited or shown passages
    right_text: str | None = None  # or the right passage, pasted
    right_answer: str | None = None  # the answer, short, as `answer_any` checks it
    not_in_documents: bool = False  # the user confirms the documents don't say it


def _clean(text: str | None) -> str | None:
    return without_nul(text) if text is not None else None


class FeedbackStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def _turn(self, session: Session, owner: str, conversation_id: str, turn_id: int) -> TurnRow:
        row = session.execute(
            select(TurnRow)
            .join(ConversationRow, ConversationRow.id == TurnRow.conversation_id)
            .where(
                TurnRow.id == turn_id,
                TurnRow.conversation_id == conversation_id,
                ConversationRow.owner == owner,
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFoundError(f"no turn {turn_id} in conversation {conversation_id}")
        return row

    def set(self, owner: str, conversation_id: str, turn_id: int, given: FeedbackInput) -> TurnInfo:
        """Create or replace the turn's feedback; the turn with it."""
        with self._sessions.begin() as session:
            turn = self._turn(session, owner, conversation_id, turn_id)
            info = TurnInfo.of(turn, None)
            if given.right_chunk_id is not None and given.right_chunk_id not in info.chunk_ids():
                raise BadRequestError(
                    f"chunk {given.right_chunk_id} is not one of the passages of turn {turn_id}"
                    " (give the text instead)"
                )
            row = session.get(FeedbackRow, turn_id) or FeedbackRow(turn_id=turn_id)
            row.rating = given.rating
            row.comment = _clean(given.comment)
            row.right_chunk_id = given.right_chunk_id
            row.right_text = _clean(given.right_text)
            row.right_answer = _clean(given.right_answer)
            row.not_in_documents = given.not_in_documents
            row.updated_at = utcnow()
            session.add(row)
            session.flush()
            return TurnInfo.of(turn, row)

    def get(self, owner: str, conversation_id: str, turn_id: int) -> TurnInfo:
        """The turn with its feedback; NotFoundError when it has none."""
        with self._sessions() as session:
            turn = self._turn(session, owner, conversation_id, turn_id)
            row = session.get(FeedbackRow, turn_id)
            if row is None:
                raise NotFoundError(f"turn {turn_id} has no feedback")
            return TurnInfo.of(turn, row)

    def delete(self, owner: str, conversation_id: str, turn_id: int) -> None:
        """Take the turn's feedback back; NotFoundError when it has none."""
        with self._sessions.begin() as session:
            self._turn(session, owner, conversation_id, turn_id)
            row = session.get(FeedbackRow, turn_id)
            if row is None:
                raise NotFoundError(f"turn {turn_id} has no feedback")
            session.delete(row)

    def find(
        self,
        owner: str | None,
        since: datetime | None = None,
        collection: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[list[TurnInfo], int]:
        """Turns with feedback, most recently given first, and how many in all; every owner's
        when `owner` is None (the operator's export)."""
        where = []
        if owner is not None:
            where.append(ConversationRow.owner == owner)
        if since is not None:
            # Naive means UTC; SQLite compares the stored UTC text, so convert first.
            moment = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
            where.append(FeedbackRow.updated_at >= moment)
        if collection is not None:
            where.append(TurnRow.collection == collection)
        joined = (
            select(TurnRow, FeedbackRow)
            .join(FeedbackRow, FeedbackRow.turn_id == TurnRow.id)
            .join(ConversationRow, ConversationRow.id == TurnRow.conversation_id)
            .where(*where)
        )
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(joined.subquery()))
            rows = session.execute(
                joined.order_by(FeedbackRow.updated_at.desc(), TurnRow.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
        return [TurnInfo.of(turn, feedback) for turn, feedback in rows], total or 0
