"""Text for PDF pages without a usable text layer: each page rendered by PDFium and read by OCR."""

import io
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ingest.ocr import OcrError, OcrUnavailableError, PageOcr

# Tesseract reads body text best at about 300 dpi.
_DPI = 300
# A page renders at most this large, whatever size it claims (a hostile 20000 x 20000 pt page
# would take gigabytes at 300 dpi): 24 MB of grey pixels, an A3 page at 300 dpi fits.
_MAX_PIXELS = 24_000_000
# Tesseract refuses images over 32767 pixels a side; a long strip is scaled down to this.
_MAX_SIDE = 12_000
# PDFium decodes a page's images whole, whatever the output size: a file of a few hundred KB
# may hold a 40000 x 40000 image, 1.6 GB decoded. Pages whose images hold more pixels than this
# are not rendered (a 600 dpi A3 scan holds 70 million).
_MAX_IMAGE_PIXELS = 150_000_000
# PDFium is not thread-safe, and several ingests may run in one process.
_pdfium_lock = threading.Lock()


@dataclass
class OcrPages:
    """What OCR made of the pages asked for: text by page number, why a page failed, and
    whether OCR could not run at all (``unavailable``: its reason; nothing was read)."""

    texts: dict[int, str] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    unavailable: str | None = None
    seconds: float = 0.0


def ocr_pages(data: bytes, numbers: Sequence[int], ocr: PageOcr) -> OcrPages:
    """OCR the pages ``numbers`` (1-based) of a PDF; a page with nothing drawn is left out.

    A page that fails to render or to be read is a failure of that page only; an exception
    other than OcrError from ``ocr`` (a stop) ends the whole file.
    """
    result = OcrPages()
    if not numbers:
        return result
    started = time.perf_counter()
    try:
        with _pdfium_lock:
            document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        result.failures = dict.fromkeys(numbers, f"PDFium cannot open the file ({exc})")
        return result
    try:
        for number in numbers:
            try:
                png = _render(document, number)
                if png is not None:
                    result.texts[number] = ocr.read(png)
            except OcrUnavailableError as exc:
                result.unavailable = str(exc)
                result.texts.clear()
                result.failures.clear()
                break
            # PdfiumError too for a page PDFium cannot load (it may see fewer than pypdf did).
            except (OcrError, pdfium.PdfiumError, ValueError) as exc:
                result.failures[number] = f"OCR failed ({exc})"
    finally:
        with _pdfium_lock:
            document.close()
    result.seconds = time.perf_counter() - started
    return result


def render_scale(width_pt: float, height_pt: float) -> float:
    """The scale a page of this size renders at: 300 dpi, less for a page too large for that."""
    if not (width_pt > 0 and height_pt > 0 and math.isfinite(width_pt * height_pt)):
        raise ValueError(f"page size {width_pt:g} x {height_pt:g} pt")
    return min(
        _DPI / 72,
        math.sqrt(_MAX_PIXELS / (width_pt * height_pt)),
        _MAX_SIDE / width_pt,
        _MAX_SIDE / height_pt,
    )


def _render(document: pdfium.PdfDocument, number: int) -> bytes | None:
    """The page as a greyscale PNG, or None when nothing is drawn on it."""
    with _pdfium_lock:
        page = document[number - 1]
        try:
            if pdfium_c.FPDFPage_CountObjects(page.raw) == 0:
                return None
            images = page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])
            pixels = sum(math.prod(image.get_px_size()) for image in images)
            if pixels > _MAX_IMAGE_PIXELS:
                raise ValueError(
                    f"its images hold {pixels:,} pixels, over the {_MAX_IMAGE_PIXELS:,} "
                    "a page may hold"
                )
            width, height = page.get_size()
            bitmap = page.render(scale=render_scale(width, height), grayscale=True)
            image = bitmap.to_pil()
        finally:
            page.close()
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
