"""Bounds on the names and ids a request carries, checked before they reach the database.

Ids beyond a signed 64-bit integer overflow SQLite and PostgreSQL (a 500, not a 404); control
characters (NUL above all) and over-long names are refused by PostgreSQL and are never a
name a person meant. Each is refused with a 422 or 400 saying what is wrong.
"""

import re
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, Field

MAX_ID = 2**63 - 1  # SQLite INTEGER and PostgreSQL BIGINT
MAX_COLLECTION_CHARS = 200  # the collections.name column
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")

CONVERSATION_ID_PATTERN = r"^[0-9a-f]{32}$"  # uuid4 hex

DocumentId = Annotated[int, Path(ge=1, le=MAX_ID, description="A document id.")]
StoredId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _collection_name(name: str) -> str:
    if CONTROL_CHARS.search(name):
        raise ValueError("a collection name cannot contain control characters")
    return name


CollectionName = Annotated[
    str,
    Field(min_length=1, max_length=MAX_COLLECTION_CHARS),
    AfterValidator(_collection_name),
]


ConversationRef = Annotated[
    str,
    Field(
        pattern=r"^([0-9a-f]{32}|new)$",
        description="Append this question and its answer to the conversation with this id, "
        "or to a new one (`new`); the answer then carries `conversation_id` and `turn_id`. "
        "An unknown id, or one made with another API key, is a 404 before anything is asked.",
    ),
]


ReplacedTurn = Annotated[
    int,
    Field(
        ge=1,
        le=MAX_ID,
        description="Regenerate or edit: the new answer replaces this turn, which must be the "
        "last of `conversation_id`. It is deleted with its feedback, in the transaction that "
        "saves the new answer, and only then: a failed or interrupted answer leaves it. Another "
        "conversation's turn is a 404, a turn that is not the last a 409, before anything is "
        "asked.",
    ),
]
