"""Bounds on the names and ids a request carries, checked before they reach the database.

Ids beyond a signed 64-bit integer overflow SQLite and PostgreSQL (a 500, not a 404); control
characters (NUL above all) and over-long names are refused by PostgreSQL and are never a
name a person meant. Each is refused with a 422 or 400 saying what is wrong.
"""

import re
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, Field

from app.errors import BadRequestError

MAX_ID = 2**63 - 1  # SQLite INTEGER and PostgreSQL BIGINT
MAX_COLLECTION_CHARS = 200  # the collections.name column
MAX_FILE_NAME_BYTES = 255  # what common file systems allow for one name
MAX_FILE_PATH_CHARS = 1024
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")

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


def check_file_name(raw: str) -> None:
    """Refuses an uploaded file name with control characters or over the length limits."""
    printable = CONTROL_CHARS.sub("?", raw)
    shown = printable[:80] + ("…" if len(printable) > 80 else "")
    if CONTROL_CHARS.search(raw):
        raise BadRequestError(f"the file name {shown!r} contains control characters")
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    if len(raw) > MAX_FILE_PATH_CHARS or len(base.encode("utf-8")) > MAX_FILE_NAME_BYTES:
        raise BadRequestError(
            f"the file name {shown!r} is too long (at most {MAX_FILE_NAME_BYTES} bytes)"
        )
