"""Which OCR ingest uses: Tesseract when KOTAE_OCR=auto finds it with its language data."""

import logging
from typing import Literal

from ingest.ocr import OcrUnavailable, PageOcr, TesseractOcr, tesseract_problem

log = logging.getLogger(__name__)


def choose_ocr(mode: Literal["auto", "off"], languages: str, page_timeout_s: float) -> PageOcr:
    """Tesseract when ``mode`` is "auto" and it can read ``languages``; otherwise an OCR that
    refuses every page with the reason, which names the install command when that is what is
    missing (logged once as a warning here)."""
    if mode == "off":
        return OcrUnavailable("OCR is off (KOTAE_OCR=off)")
    problem = tesseract_problem(languages)
    if problem is not None:
        log.warning("OCR is off, scanned PDF pages will not be read: %s", problem)
        return OcrUnavailable(problem)
    return TesseractOcr(languages, page_timeout_s)
