"""Zip-based formats (DOCX today; XLSX, PPTX, EPUB, ODT alike): refuse archive bombs before parsing.

Parsers such as python-docx read every part of the archive into memory, so a small file whose
entries decompress to gigabytes would exhaust the process. :func:`check_archive` reads each entry
once, streaming, and refuses the file as soon as a limit is passed; the sizes an archive declares
are checked first but never trusted, since they can lie.
"""

import io
import zipfile
import zlib
from dataclasses import dataclass

from ingest.errors import FileTooLargeError, LoadError

_MB = 1024 * 1024
_CHUNK = 1024 * 1024
_CENTRAL_HEADER = b"PK\x01\x02"
# Zip local header, empty archive, spanned archive; 7-Zip; RAR. Not gzip: Office documents
# hold gzipped pictures (.emz, .wmz).
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"7z\xbc\xaf", b"Rar!")
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# What zipfile and zlib raise on damaged, encrypted or exotic archives.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,  # encrypted entry
    NotImplementedError,  # unsupported compression method
    ValueError,
    OverflowError,
)


@dataclass(frozen=True)
class ArchiveLimits:
    """What a zip-based document may hold.

    ``max_unzipped_bytes`` bounds each entry and all of them together, as actually decompressed.
    ``max_ratio`` bounds how much one entry may expand once it is over ``ratio_floor`` bytes:
    Office XML compresses 4-30x, a zip bomb about 1000x. ``nested_allowed_under`` names the
    folders where the format keeps embedded files that are themselves archives (a workbook
    embedded in a Word document); they are never opened, only counted.
    """

    max_unzipped_bytes: int  # the application sets it from its settings
    max_entries: int = 5_000
    max_ratio: int = 100
    ratio_floor: int = 1 * _MB
    nested_allowed_under: tuple[str, ...] = ()


def check_archive(data: bytes, kind: str, limits: ArchiveLimits) -> None:
    """Raise unless the zip in ``data`` is safe to hand to a parser that reads it all.

    FileTooLargeError when it decompresses to more than the limit; LoadError for too many
    entries, a suspicious compression ratio, a nested archive or a damaged archive. Messages
    read "<kind> refused: <why>" or "corrupt <kind>: <why>". Memory use is one read chunk.
    """
    refused = f"{kind} refused:"
    # Opening a zip parses its whole central directory; count its entries before that.
    if data.count(_CENTRAL_HEADER) > limits.max_entries:
        raise LoadError(f"{refused} over {limits.max_entries} entries in the archive")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            _check_declared(entries, refused, limits)
            total = 0
            for entry in entries:
                total += _read_entry(archive, entry, total, refused, limits)
    except _ZIP_ERRORS as exc:
        raise LoadError(f"corrupt {kind}: {str(exc) or type(exc).__name__}") from exc


def _check_declared(entries: list[zipfile.ZipInfo], refused: str, limits: ArchiveLimits) -> None:
    if len(entries) > limits.max_entries:
        raise LoadError(f"{refused} over {limits.max_entries} entries in the archive")
    limit = limits.max_unzipped_bytes
    for entry in entries:
        # zipfile bounds deflate output per read, but not bzip2's or LZMA's, whose few bytes
        # can expand to gigabytes in one call. Office, OpenDocument and EPUB files use neither.
        if entry.compress_type not in _METHODS:
            raise LoadError(
                f"{refused} {entry.filename} uses compression method {entry.compress_type}, "
                "not stored or deflated"
            )
        if entry.file_size > limit:
            raise FileTooLargeError(
                f"{refused} {entry.filename} decompresses to over {_size(limit)}"
            )
    if sum(entry.file_size for entry in entries) > limit:
        raise FileTooLargeError(f"{refused} its contents decompress to over {_size(limit)}")


def _read_entry(
    archive: zipfile.ZipFile,
    entry: zipfile.ZipInfo,
    total_before: int,
    refused: str,
    limits: ArchiveLimits,
) -> int:
    """Decompress one entry chunk by chunk, discarding the bytes; return its real size."""
    limit = limits.max_unzipped_bytes
    allowed_ratio = limits.max_ratio * max(entry.compress_size, 1)
    size = 0
    with archive.open(entry) as stream:
        while chunk := stream.read(_CHUNK):
            if size == 0 and _is_archive(chunk) and not _nesting_allowed(entry, limits):
                raise LoadError(f"{refused} {entry.filename} is a nested archive")
            size += len(chunk)
            if size > limit:
                raise FileTooLargeError(
                    f"{refused} {entry.filename} decompresses to over {_size(limit)}"
                )
            if total_before + size > limit:
                raise FileTooLargeError(f"{refused} its contents decompress to over {_size(limit)}")
            if size > limits.ratio_floor and size > allowed_ratio:
                raise LoadError(
                    f"{refused} {entry.filename} expands over {limits.max_ratio} times "
                    "(a zip bomb?)"
                )
    return size


def _is_archive(head: bytes) -> bool:
    return head.startswith(_ARCHIVE_MAGIC)


def _nesting_allowed(entry: zipfile.ZipInfo, limits: ArchiveLimits) -> bool:
    return entry.filename.startswith(limits.nested_allowed_under)


def _size(size: int) -> str:
    """Whole megabytes, or kilobytes for limits under one (a "0 MB" limit reads as a bug)."""
    return f"{size // _MB} MB" if size >= _MB else f"{max(size // 1024, 1)} KB"
