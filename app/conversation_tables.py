"""The conversation tables, on a metadata of their own: the app owns them, no library reads them.

A turn keeps the answer exactly as it was returned (`response`: text, citations with their
passage text, the passages shown), so a conversation stays readable after its documents are
deleted or changed; chunk ids in it are references that may no longer resolve. The schema is
created and changed only by the migrations in app/migrations/versions.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from retriever.schema import Id, utcnow

CONVERSATION_ID_CHARS = 32  # uuid4 hex


class ConversationBase(DeclarativeBase):
    pass


metadata = ConversationBase.metadata


class ConversationRow(ConversationBase):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_owner_updated", "owner", "updated_at"),)

    id: Mapped[str] = mapped_column(String(CONVERSATION_ID_CHARS), primary_key=True)
    # sha256 of the API key that made it; "" when the service runs without keys.
    owner: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200), default="")  # "": the first question's
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TurnRow(ConversationBase):
    __tablename__ = "conversation_turns"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy reads it

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(Text)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)  # the answer as the client got it
    collection: Mapped[str | None] = mapped_column(String(200), nullable=True)
    top_k: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FeedbackRow(ConversationBase):
    """One per turn, replaced as a whole when the user changes it."""

    __tablename__ = "turn_feedback"

    turn_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("conversation_turns.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    rating: Mapped[str | None] = mapped_column(String(10), nullable=True)  # "up" / "down"
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    right_chunk_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    right_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    right_answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    not_in_documents: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
