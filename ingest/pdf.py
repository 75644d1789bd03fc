"""PDF text extraction with pypdf, one string per page; pages without usable text go to OCR."""

import io
import logging
from dataclasses import dataclass

from pypdf import PasswordType, PdfReader

from ingest.errors import FileTooLargeError, LoadError
from ingest.ocr import NO_OCR, PageOcr
from ingest.page_furniture import drop_running_lines
from ingest.pdf_content import ContentMeter
from ingest.pdf_ocr import OcrPages, ocr_pages
from ingest.pdf_outline import read_outline
from ingest.sections import Heading
from text.readability import is_readable

_log = logging.getLogger(__name__)

# Acrobat requires the end-of-file marker within the last 1024 bytes; a file cut short lacks it.
# pypdf's lenient mode would otherwise rebuild what it can and return part of the document.
_EOF_WINDOW = 1024
# Readers accept the "%PDF-" header anywhere in the first 1024 bytes.
_HEADER_WINDOW = 1024
_PREVIEW_CHARS = 24
# Page content (drawing operators, forms drawn counted at each use) compresses 3-10 times, and
# pypdf parses it in Python at several seconds a megabyte: a 30 KB file of highly compressed
# operators held the worker for over four minutes. Content over this many times the file's size,
# past a floor, is refused.
_MAX_CONTENT_RATIO = 100
_CONTENT_FLOOR = 2 * 1024 * 1024
_PLACEHOLDER_TITLES = frozenset({"untitled", "no title", "(anonymous)", "anonymous"})
_MAX_TITLE_CHARS = 200


class _ToDebug(logging.Handler):
    """Re-emits pypdf's robustness warnings ("Ignoring wrong pointing object"...) at DEBUG.

    In lenient mode pypdf logs dozens of them per damaged file; at WARNING they would reach
    stderr through logging's last-resort handler or the application's root handler.
    """

    def emit(self, record: logging.LogRecord) -> None:
        _log.debug("%s: %s", record.name, record.getMessage())


def _route_pypdf_logs() -> None:
    pypdf_logger = logging.getLogger("pypdf")
    if not any(isinstance(h, _ToDebug) for h in pypdf_logger.handlers):
        pypdf_logger.addHandler(_ToDebug())
    pypdf_logger.propagate = False


_route_pypdf_logs()


@dataclass(frozen=True)
class PdfText:
    """A PDF's text: one string per page ("" for an empty or skipped page), what was skipped
    and how many pages OCR read, and its outline (bookmarks) as headings."""

    title: str | None
    pages: list[str]
    warnings: tuple[str, ...]
    headings: tuple[Heading, ...]


def read_pdf(data: bytes, max_chars: int, ocr: PageOcr = NO_OCR) -> PdfText:
    """Extract the title and the text of each page from PDF bytes.

    The title is the metadata title, else the first non-empty line of readable text, else None.
    A page with no text, or whose text cannot be extracted, or whose text layer is unreadable
    (a font without a correct Unicode map extracts as mojibake), is read by ``ocr``; a readable
    text layer is kept. A page OCR cannot read is kept empty so that the page numbers of the
    others stay right, with a warning naming it; a warning also counts the pages OCR read.
    Running headers and footers are dropped (ingest/page_furniture.py).
    Raises LoadError for non-PDF content, truncated, corrupt and encrypted PDFs and PDFs with
    no readable page (the reason says why OCR could not help); FileTooLargeError as soon as the
    text passes ``max_chars`` (compressed page content can expand far beyond the file's size).
    """
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise LoadError(f"not a PDF: {_describe(data)}")
    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        raise LoadError("corrupt PDF: no end-of-file marker (truncated file?)")
    # pypdf raises a wide range of exception types on damaged input (its own errors, but also
    # KeyError, ValueError, zlib and struct errors); each becomes a LoadError with its message.
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not _decrypt_without_password(reader):
            raise LoadError("encrypted PDF")
        page_objects = list(reader.pages)
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(f"corrupt PDF: {_reason(exc)}") from exc
    if not page_objects:
        raise LoadError("corrupt PDF: no pages")

    pages: list[str] = []
    failures: list[str] = []
    skipped: dict[int, str] = {}  # page number: why its text was left out
    chars = 0
    content_bytes = 0
    meter = ContentMeter()
    content_budget = max(_CONTENT_FLOOR, _MAX_CONTENT_RATIO * len(data))
    for number, page in enumerate(page_objects, start=1):
        try:
            content_bytes += meter.page_cost(page)
        except Exception as exc:  # extraction below reports the page as unreadable
            _log.debug("PDF page %d: content unreadable: %s", number, _reason(exc))
        if content_bytes > content_budget:
            raise LoadError(
                f"PDF refused: its page content expands to over {_MAX_CONTENT_RATIO} times "
                "the file's size (a decompression bomb?)"
            )
        try:
            pages.append(page.extract_text() or "")
        except Exception as exc:
            # One unreadable page should not cost the rest of the document; it stays empty so
            # the page numbers of the others remain right.
            _log.warning("PDF page %d: text extraction failed: %s", number, _reason(exc))
            failures.append(_reason(exc))
            skipped[number] = f"text extraction failed ({_reason(exc)})"
            pages.append("")
        chars += len(pages[-1])
        if chars > max_chars:
            raise FileTooLargeError(
                f"PDF refused: its text is over the limit of {max_chars:,} characters"
            )
    if len(failures) == len(pages):
        raise LoadError(f"corrupt PDF: {failures[0]}")
    unreadable = [n for n, text in enumerate(pages, start=1) if not is_readable(text)]
    for number in unreadable:
        skipped[number] = "text layer unreadable"
    # Pages with no text may be scans: OCR reads them, and those the text layer failed on.
    blank = [n for n, text in enumerate(pages, start=1) if not text.strip() and n not in skipped]
    needs_ocr = sorted([*skipped, *blank])
    read = ocr_pages(data, needs_ocr, ocr)
    for number, text in read.texts.items():
        pages[number - 1] = text
        if text.strip():
            skipped.pop(number, None)
        elif number in skipped:
            skipped[number] += "; OCR found no text"
    for number, why in read.failures.items():
        if number in skipped:
            skipped[number] += f"; {why}"
        else:
            skipped[number] = why
    for number in skipped:
        pages[number - 1] = ""
    printed = pages
    pages = drop_running_lines(pages)
    if sum(len(page) for page in pages) > max_chars:
        raise FileTooLargeError(
            f"PDF refused: its text is over the limit of {max_chars:,} characters"
        )
    if not any(page.strip() for page in pages):
        raise LoadError(_why_no_text(len(pages), unreadable, read))
    warnings = [f"page {n}: {why}, skipped" for n, why in sorted(skipped.items())]
    if read.unavailable:
        warnings.insert(0, f"pages without usable text were not read by OCR: {read.unavailable}")
    if read.texts:
        warnings.insert(0, f"OCR read {_count(len(read.texts))} in {read.seconds:.0f} s")
    title = _title(reader) or _first_line(printed)
    return PdfText(title, pages, tuple(warnings), tuple(read_outline(reader)))


def _why_no_text(total: int, unreadable: list[int], read: OcrPages) -> str:
    """Why a PDF has no page with text, and what OCR could or could not do about it."""
    if not unreadable:
        layer = "no text layer (image-only PDF?)"
    else:
        with_text = "" if len(unreadable) == total else " with text"
        layer = (
            f"text layer unreadable on every page{with_text} ({len(unreadable)} of "
            f"{total} pages; a font without a Unicode map?)"
        )
    if read.unavailable:
        return f"{layer}; {read.unavailable}"
    if read.failures:
        return f"{layer}; {next(iter(read.failures.values()))}"
    if not read.texts and not unreadable:
        return "no text: nothing is drawn on any page"
    return f"{layer}; OCR found no text"


def _count(pages: int) -> str:
    return f"{pages} page" if pages == 1 else f"{pages} pages"


def _decrypt_without_password(reader: PdfReader) -> bool:
    """Owner-password-only PDFs open with the empty user password; others cannot be read."""
    try:
        return reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except Exception as exc:  # unsupported algorithm, or the optional crypto library missing
        _log.debug("PDF decryption failed: %s", exc)
        return False


def _title(reader: PdfReader) -> str | None:
    try:
        metadata = reader.metadata
        title = metadata.title if metadata else None
    except Exception as exc:  # damaged info dictionary: fall back to the text
        _log.debug("PDF metadata unreadable: %s", exc)
        return None
    if not title:
        return None
    title = " ".join(str(title).split())
    if not title or title.lower() in _PLACEHOLDER_TITLES:
        return None
    return title[:_MAX_TITLE_CHARS]


def _first_line(pages: list[str]) -> str | None:
    for page in pages:
        for line in page.splitlines():
            if line.strip():
                return " ".join(line.split())[:_MAX_TITLE_CHARS]
    return None


def _describe(data: bytes) -> str:
    """What a file that is not a PDF starts with, and what it looks like instead."""
    head = data[:_HEADER_WINDOW].lstrip(b"\xef\xbb\xbf \t\r\n")
    preview = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in head[:_PREVIEW_CHARS])
    ellipsis = "…" if len(head) > _PREVIEW_CHARS else ""
    start = f'the file starts with "{preview}{ellipsis}"'
    lower = head.lower()
    if lower.startswith((b"<!doctype html", b"<html")) or b"<body" in lower:
        return f"{start}, which looks like HTML"
    if head.startswith(b"PK\x03\x04"):
        return f"{start}, which looks like a zip archive (DOCX, XLSX?)"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return f"{start}, which looks like a legacy Office file (.doc, .xls?)"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return f"{start}, which looks like an image"
    if head.startswith(b"<"):
        return f"{start}, which looks like XML or HTML"
    return start


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
