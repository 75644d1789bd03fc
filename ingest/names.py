"""The identity of an uploaded file: the client's relative path, made safe.

Two files of one upload with the same base name in different folders are different
documents, so the folders are kept; what could point outside the upload is refused.
"""

import re
import unicodedata

MAX_NAME_CHARS = 1000
MAX_PART_CHARS = 255
_DRIVE = re.compile(r"^[A-Za-z]:")
# Direction overrides make a name read differently than it is (`exe.txt` shown as `txt.exe`).
_BIDI_CONTROLS = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class BadFileName(ValueError):
    pass


def upload_source(filename: str) -> str:
    """`docs\\a/readme.md` → `docs/a/readme.md`; `/x.txt`, `C:\\x.txt` → `x.txt`.

    Refused: empty names, `..`, control characters, over-long names or parts.
    """
    if any(
        ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in filename
    ):
        raise BadFileName(f"file name {filename!r} contains control characters")
    path = _DRIVE.sub("", filename.replace("\\", "/"))
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise BadFileName(f"file name {filename!r} must not contain '..'")
    if not parts or not parts[-1].strip():
        raise BadFileName("every uploaded file needs a file name")
    if any(len(p) > MAX_PART_CHARS for p in parts):
        raise BadFileName(
            f"a part of file name {filename[:80]!r} is over {MAX_PART_CHARS} characters"
        )
    source = "/".join(parts)
    if len(source) > MAX_NAME_CHARS:
        raise BadFileName(f"file name {filename[:80]!r} is over {MAX_NAME_CHARS} characters")
    return source
