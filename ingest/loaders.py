"""Turn a file's bytes into raw page texts: dispatch by suffix, sniffing content when needed."""

import pathlib
from collections.abc import Callable
from dataclasses import dataclass

from ingest.archive import ArchiveLimits
from ingest.docx import read_docx
from ingest.errors import FileTooLargeError, LoadError, UnsupportedFileError
from ingest.html import decode_html, read_html
from ingest.ocr import NO_OCR, PageOcr
from ingest.pdf import read_pdf
from ingest.sections import Heading
from ingest.text import (
    decode_text,
    markdown_headings,
    markdown_title,
    slide_headings,
    strip_markdown,
    text_title,
)
from text.normalize import normalize_text

PDF_MIME = "application/pdf"
TEXT_MIME = "text/plain"
MARKDOWN_MIME = "text/markdown"
HTML_MIME = "text/html"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_MIME_BY_SUFFIX = {
    ".pdf": PDF_MIME,
    ".txt": TEXT_MIME,
    ".text": TEXT_MIME,
    ".md": MARKDOWN_MIME,
    ".markdown": MARKDOWN_MIME,
    ".html": HTML_MIME,
    ".htm": HTML_MIME,
    ".docx": DOCX_MIME,
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_MIME_BY_SUFFIX)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc, or an encrypted Office file
_MAX_TITLE_CHARS = 200
_FORMAT_NAMES = {
    PDF_MIME: "PDF",
    TEXT_MIME: "text file",
    MARKDOWN_MIME: "Markdown file",
    HTML_MIME: "HTML",
    DOCX_MIME: "DOCX",
}


@dataclass(frozen=True)
class LoadLimits:
    """How far one file may expand: its extracted text, and a zip-based file's contents.

    The application sets them from its settings.
    """

    max_text_chars: int
    archive: ArchiveLimits


@dataclass(frozen=True)
class LoadedDocument:
    """A file's text before normalization.

    ``pages`` has one entry per PDF page (page number = index + 1, empty pages kept as "")
    and a single entry for other formats. ``headings`` are in reading order. ``warnings``
    names what was left out of a file that loaded ("page 3: text layer unreadable, skipped") and
    how many pages OCR read.
    """

    title: str
    mime: str
    pages: list[str]
    encoding: str | None = None
    headings: tuple[Heading, ...] = ()
    warnings: tuple[str, ...] = ()


def load_path(path: pathlib.Path, limits: LoadLimits) -> LoadedDocument:
    """Read ``path`` and load it with :func:`load_bytes`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    return load_bytes(data, path.name, limits)


def load_bytes(
    data: bytes, filename: str, limits: LoadLimits, ocr: PageOcr = NO_OCR
) -> LoadedDocument:
    """Load a file's bytes; ``filename`` gives the suffix and the fallback title, ``ocr`` reads
    PDF pages without usable text.

    Raises UnsupportedFileError for unknown or binary content, LoadError for empty, damaged,
    encrypted or text-less files, and refuses (FileTooLargeError, LoadError) a file that expands
    beyond ``limits``.
    """
    suffix = pathlib.PurePath(filename).suffix.lower()
    mime = _MIME_BY_SUFFIX.get(suffix) or _sniff(data, suffix)
    if not data:
        raise LoadError("empty file")
    stem = pathlib.PurePath(filename).stem or filename or "untitled"
    if mime == PDF_MIME:
        document = _load_pdf(data, stem, limits, ocr)
    else:
        document = _LOADERS[mime](data, stem, limits)
    check_text_size(document.pages, limits.max_text_chars, mime)
    if not any(page.strip() for page in document.pages):
        raise LoadError("no text content")
    return document


def check_text_size(pages: list[str], max_chars: int, mime: str) -> None:
    """Refuse text over ``max_chars``: it would take memory and hours of embedding to index."""
    if sum(len(page) for page in pages) > max_chars:
        name = _FORMAT_NAMES.get(mime, "file")
        raise FileTooLargeError(
            f"{name} refused: its text is over the limit of {max_chars:,} characters"
        )


def _sniff(data: bytes, suffix: str) -> str:
    """MIME type from the content, for a missing or unknown suffix."""
    head = data[:1024]
    if b"%PDF-" in head:
        return PDF_MIME
    unsupported = f"unsupported file type '{suffix}'"
    if head.startswith(b"PK\x03\x04"):
        if _is_docx(data):
            return DOCX_MIME
        raise UnsupportedFileError(unsupported if suffix else "unsupported file type (zip archive)")
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return HTML_MIME
    if suffix:
        raise UnsupportedFileError(unsupported)
    decode_text(data)  # raises UnsupportedFileError for binary content
    return TEXT_MIME


def _is_docx(data: bytes) -> bool:
    # Zip entry names are stored as plain bytes. Opening the archive here would parse a central
    # directory of any size before the DOCX loader's archive checks could refuse it.
    return b"word/document.xml" in data


def _load_pdf(data: bytes, stem: str, limits: LoadLimits, ocr: PageOcr) -> LoadedDocument:
    pdf = read_pdf(data, limits.max_text_chars, ocr)
    return LoadedDocument(
        _clean_title(pdf.title, stem),
        PDF_MIME,
        pdf.pages,
        headings=pdf.headings,
        warnings=pdf.warnings,
    )


def _load_text(data: bytes, stem: str, limits: LoadLimits) -> LoadedDocument:
    text, encoding = decode_text(data)
    headings = tuple(slide_headings(text))
    # A slide transcript opens with page chrome ("Slide 1", a site's banner): its name stays.
    title = None if headings else text_title(text)
    return LoadedDocument(_clean_title(title, stem), TEXT_MIME, [text], encoding, headings)


def _load_markdown(data: bytes, stem: str, limits: LoadLimits) -> LoadedDocument:
    text, encoding = decode_text(data)
    title = markdown_title(text)
    headings = tuple(markdown_headings(text))
    return LoadedDocument(
        _clean_title(title, stem), MARKDOWN_MIME, [strip_markdown(text)], encoding, headings
    )


def _load_html(data: bytes, stem: str, limits: LoadLimits) -> LoadedDocument:
    html, encoding = decode_html(data)
    title, text, headings = read_html(html)
    return LoadedDocument(_clean_title(title, stem), HTML_MIME, [text], encoding, tuple(headings))


def _load_docx(data: bytes, stem: str, limits: LoadLimits) -> LoadedDocument:
    if data.startswith(_OLE_MAGIC):
        raise LoadError("encrypted DOCX or legacy .doc file")
    title, text, headings = read_docx(data, limits.archive)
    return LoadedDocument(_clean_title(title, stem), DOCX_MIME, [text], headings=tuple(headings))


_LOADERS: dict[str, Callable[[bytes, str, LoadLimits], LoadedDocument]] = {
    TEXT_MIME: _load_text,
    MARKDOWN_MIME: _load_markdown,
    HTML_MIME: _load_html,
    DOCX_MIME: _load_docx,
}


def _clean_title(title: str | None, stem: str) -> str:
    """Titles are shown to users: normalized (no spaced-out kanji), on one line, bounded."""
    cleaned = " ".join(normalize_text(title).split()) if title else ""
    return cleaned[:_MAX_TITLE_CHARS] or stem
