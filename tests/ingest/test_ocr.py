"""OCR of PDF pages without a usable text layer, with the real Tesseract (and fakes for its
failures): scans are read, readable text layers kept, a failing page costs only itself."""

import io
import os
import stat
import threading
import unicodedata
import zlib
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

from ingest.errors import LoadError
from ingest.loaders import load_bytes
from ingest.ocr import INSTALL_COMMAND, OcrUnavailable, TesseractOcr
from ingest.pdf_ocr import ocr_pages, render_scale
from ingest.pipeline import IngestPipeline
from ingest.records import FileInput, IngestInterrupted
from retriever.corpus import Corpus
from tests.conftest import migrate
from tests.ingest.limits import LIMITS
from tests.ingest.pdf_bytes import pdf_file
from tests.ingest.scans import SCAN_PAGES, need_ocr, scanned_pdf
from tests.ingest.test_staged_ingest import CountingEmbedder
from tests.ingest.test_unreadable_pdf import ENGLISH, MOJIBAKE, broken_font_pdf
from text.readability import is_readable

MB = 1024 * 1024
TESSERACT = TesseractOcr("jpn", page_timeout_s=120)
MISSING = OcrUnavailable(f"Tesseract is not installed; install it with: {INSTALL_COMMAND}")


def accuracy(text: str, source: str) -> float:
    """1 - character error rate, on NFKC text without whitespace."""

    def squeeze(s: str) -> str:
        return "".join(unicodedata.normalize("NFKC", s).split())

    return 1 - Levenshtein.distance(squeeze(text), squeeze(source)) / len(squeeze(source))


def with_scanned_page(text_pdf: bytes, lines: list[str]) -> bytes:
    """``text_pdf`` with a page image of ``lines`` appended (pages of both kinds in one file)."""
    combined = pdfium.PdfDocument(text_pdf)
    scan = pdfium.PdfDocument(scanned_pdf([lines]))
    combined.import_pages(scan)
    out = io.BytesIO()
    combined.save(out)
    return out.getvalue()


@pytest.mark.integration
def test_an_image_only_pdf_is_read_by_ocr() -> None:
    need_ocr()
    document = load_bytes(scanned_pdf(SCAN_PAGES), "scan.pdf", LIMITS, TESSERACT)
    assert len(document.pages) == 2
    for page, lines in zip(document.pages, SCAN_PAGES, strict=True):
        assert accuracy(page, "".join(lines)) >= 0.95, page  # the target
    assert document.title.startswith("第一章")
    assert len(document.warnings) == 1
    assert document.warnings[0].startswith("OCR read 2 pages in ")


@pytest.mark.integration
def test_a_readable_text_layer_is_kept_and_a_mojibake_one_is_ocr_read() -> None:
    need_ocr()
    pdf = with_scanned_page(broken_font_pdf([(ENGLISH, False), (MOJIBAKE, True)]), SCAN_PAGES[1])
    document = load_bytes(pdf, "mixed.pdf", LIMITS, TESSERACT)
    assert document.pages[0].split() == ENGLISH.split()  # the text layer, exactly
    assert "ΫϥεϑΝΠϧ" not in document.pages[1] and is_readable(document.pages[1])
    assert accuracy(document.pages[2], "".join(SCAN_PAGES[1])) >= 0.95
    assert document.warnings[0].startswith("OCR read 2 pages in ")


@pytest.mark.unit
def test_without_tesseract_a_scan_fails_with_the_install_command() -> None:
    with pytest.raises(LoadError) as failed:
        load_bytes(scanned_pdf(SCAN_PAGES), "scan.pdf", LIMITS, MISSING)
    assert str(failed.value) == (
        "no text layer (image-only PDF?); Tesseract is not installed; install it with: "
        "sudo apt-get install -y tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert"
    )
    with pytest.raises(LoadError, match=r"unreadable on every page \(1 of 1 pages.*apt-get"):
        load_bytes(broken_font_pdf([(MOJIBAKE, True)]), "broken.pdf", LIMITS, MISSING)


@pytest.mark.unit
def test_without_tesseract_readable_pages_are_kept_and_the_rest_named() -> None:
    pdf = with_scanned_page(broken_font_pdf([(ENGLISH, False), (MOJIBAKE, True)]), ["走査"])
    document = load_bytes(pdf, "mixed.pdf", LIMITS, MISSING)
    assert document.pages[0].split() == ENGLISH.split()
    assert document.pages[1:] == ["", ""]
    assert document.warnings == (
        f"pages without usable text were not read by OCR: {MISSING.reason}",
        "page 2: text layer unreadable, skipped",
    )


def fake_tesseract(tmp_path: Path, script: str) -> TesseractOcr:
    command = tmp_path / "tesseract"
    command.write_text(f"#!/bin/sh\n{script}\n")
    command.chmod(command.stat().st_mode | stat.S_IEXEC)
    return TesseractOcr("jpn", page_timeout_s=1, command=str(command))


@pytest.mark.unit
@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("kill -SEGV $$", "tesseract failed: exit status -11"),
        ("echo 'Error opening data file jpn.traineddata' >&2; exit 1", "jpn.traineddata"),
        ("exec sleep 30", "OCR timed out after 1 s"),
    ],
)
def test_a_crash_or_timeout_costs_only_that_page(tmp_path: Path, script: str, reason: str) -> None:
    pdf = with_scanned_page(broken_font_pdf([(ENGLISH, False)]), SCAN_PAGES[0])
    document = load_bytes(pdf, "mixed.pdf", LIMITS, fake_tesseract(tmp_path, script))
    assert document.pages[0].split() == ENGLISH.split()
    assert document.pages[1] == ""
    assert len(document.warnings) == 1
    assert document.warnings[0].startswith("page 2: OCR failed (")
    assert reason in document.warnings[0]
    with pytest.raises(LoadError, match=r"^no text layer \(image-only PDF\?\); OCR failed"):
        load_bytes(
            scanned_pdf(SCAN_PAGES[:1]), "scan.pdf", LIMITS, fake_tesseract(tmp_path, script)
        )


class _Recorder:
    """An OCR that keeps the size of each image it is given."""

    def __init__(self) -> None:
        self.sizes: list[tuple[int, int]] = []

    def read(self, png: bytes) -> str:
        self.sizes.append(Image.open(io.BytesIO(png)).size)
        return "読めた"


@pytest.mark.unit
def test_a_huge_page_renders_within_the_pixel_bound() -> None:
    # 200 x 200 pixels at 0.72 dpi: a page of 20000 x 20000 pt (over 7 m a side).
    out = io.BytesIO()
    Image.new("L", (200, 200), 0).save(out, "PDF", resolution=0.72)
    recorder = _Recorder()
    read = ocr_pages(out.getvalue(), [1], recorder)
    assert read.texts == {1: "読めた"} and not read.failures
    ((width, height),) = recorder.sizes
    assert width * height < 24_100_000 and 4000 < width < 5000  # PDFium rounds up


@pytest.mark.unit
def test_render_scale_is_300_dpi_bounded_and_refuses_degenerate_pages() -> None:
    assert render_scale(595, 842) == pytest.approx(300 / 72)
    assert render_scale(20000, 20000) * 20000 < 5000
    assert render_scale(10, 200000) * 200000 <= 12000  # a strip: its long side is bounded
    for width, height in ((0, 842), (-5, 842), (595, float("inf")), (float("nan"), 1)):
        with pytest.raises(ValueError):
            render_scale(width, height)


@pytest.mark.unit
def test_a_page_with_nothing_drawn_is_not_ocr_read() -> None:
    recorder = _Recorder()
    pdf = broken_font_pdf([(ENGLISH, False), ("", False)])
    read = ocr_pages(pdf, [2], recorder)
    assert recorder.sizes == [] and read.texts == {} and read.failures == {}


@pytest.mark.unit
def test_a_pdf_pdfium_cannot_open_fails_its_pages_not_the_caller() -> None:
    read = ocr_pages(b"%PDF-1.4 not really", [1, 2], _Recorder())
    assert set(read.failures) == {1, 2}
    assert "PDFium cannot open" in read.failures[1]
    # A page PDFium does not see (a damaged file may have fewer pages for it than for pypdf).
    read = ocr_pages(scanned_pdf(SCAN_PAGES[:1]), [1, 3], _Recorder())
    assert read.texts == {1: "読めた"}
    assert read.failures == {3: "OCR failed (Failed to load page.)"}


@pytest.mark.unit
def test_tesseract_found_on_path_or_not(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.ocr import tesseract_problem

    monkeypatch.setenv("PATH", os.devnull)
    problem = tesseract_problem("jpn")
    assert problem == f"Tesseract is not installed; install it with: {INSTALL_COMMAND}"


@pytest.mark.integration
def test_a_stop_interrupts_ocr_between_pages(tmp_path: Path) -> None:
    """A shutdown does not wait for the OCR of a long scan: the next page raises, none is read."""
    stop = threading.Event()
    recorder = _Recorder()
    pipeline = IngestPipeline(
        Corpus(migrate(f"sqlite:///{tmp_path / 'kotae.db'}")),
        CountingEmbedder(),  # type: ignore[arg-type]
        chunk_tokens=100,
        overlap_tokens=0,
        embed_batch_chunks=10,
        max_file_bytes=10 * MB,
        max_text_chars=10 * MB,
        max_unzipped_bytes=10 * MB,
        ocr=recorder,
    )
    scan = FileInput("scan.pdf", "scan.pdf", scanned_pdf(SCAN_PAGES))
    assert pipeline.ingest_files([scan], 1, stop=stop).files[0].outcome == "added"
    assert len(recorder.sizes) == 2
    stop.set()
    again = FileInput("again.pdf", "again.pdf", scanned_pdf(SCAN_PAGES[::-1]))
    with pytest.raises(IngestInterrupted, match="stopped during OCR"):
        pipeline.ingest_files([again], 1, stop=stop)
    assert len(recorder.sizes) == 2


def image_bomb_pdf(side: int) -> bytes:
    """One A4 page drawing a side x side 1-bit image of zeros: a few hundred KB compressed."""
    squeezer = zlib.compressobj(9)
    row = bytes((side + 7) // 8)
    data = b"".join(squeezer.compress(row) for _ in range(side)) + squeezer.flush()
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 1 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (side, side, len(data), data),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im1 3 0 R >> >> /Contents 5 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    return pdf_file(objects)


@pytest.mark.unit
def test_a_page_of_huge_images_is_not_rendered() -> None:
    # PDFium would decode the 1.6 billion pixels whole, whatever the render size.
    recorder = _Recorder()
    read = ocr_pages(image_bomb_pdf(40_000), [1], recorder)
    assert recorder.sizes == []
    assert read.failures == {
        1: "OCR failed (its images hold 1,600,000,000 pixels, over the 150,000,000 a page may hold)"
    }
    assert ocr_pages(image_bomb_pdf(2_000), [1], recorder).texts == {1: "読めた"}
