"""PDF pages whose text layer is mojibake are read by OCR, or left out with a warning."""

import io
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from pypdf import PdfReader

from ingest.errors import LoadError
from ingest.loaders import load_bytes
from tests.app.test_cli import kotae
from tests.conftest import ROOT
from tests.ingest.limits import LIMITS
from tests.ingest.pdf_bytes import pdf_file
from tests.ingest.scans import need_ocr
from text.readability import is_readable

# What a CJK font without a correct Unicode map extracts as (platex.pdf's first lines).
MOJIBAKE = (
    "pLATEX 2ε ʹ͍ͭͯ\nத\u0efa ݡ& \u0cd4ຊޠ TEX ։ൃίϛϡχςΟ\n࡞\u0a52\u0cd4ɿ2022/03/06\n"
    "ΫϥεϑΝΠϧ\u0378จॻͷϨΠΞ\u03a2τΛઃఆ͢ΔϑΝΠϧɻ\n"
    "ࣜגձࣾΞεΩʔɾϝσΟΞϫʔΫε͕\u0d11\u0dcd͍ͯͨ͠ pLATEX 2εʢҎԼɺʮΞεΩʔ"
)
ENGLISH = "Fonts are loaded from the TEXMF tree.\nRun mktexlsr after installing one."

DEV_MANUALS = Path(os.environ.get("KOTAE_DEV_MANUALS_DIR", ROOT.parent / "dev-manuals-corpus"))


def broken_font_pdf(pages: list[tuple[str, bool]]) -> bytes:
    """A PDF whose pages draw `text`; a `broken` page draws it with a Helvetica whose ToUnicode
    map sends each glyph code to the given character: a font with a wrong Unicode map."""
    objects: list[bytes] = [b"", b""]  # 1: catalog, 2: page tree, filled in last

    def add(body: str | bytes) -> int:
        objects.append(body.encode("latin-1") if isinstance(body, str) else body)
        return len(objects)

    def stream(data: str) -> int:
        return add(f"<< /Length {len(data)} >>\nstream\n{data}\nendstream")

    plain = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for text, broken in pages:
        codes = {c: 0x21 + i for i, c in enumerate(sorted(set(text) - {"\n"}))}
        fonts = f"/F1 {plain} 0 R"
        if broken:
            mapping = " ".join(f"<{code:02X}> <{ord(c):04X}>" for c, code in codes.items())
            cmap = stream(
                "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapType 2 def "
                "1 begincodespacerange <00> <FF> endcodespacerange "
                f"{len(codes)} beginbfchar {mapping} endbfchar endcmap "
                "CMapName currentdict /CMap defineresource pop end end"
            )
            broken_font = add(
                f"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode {cmap} 0 R >>"
            )
            fonts += f" /F2 {broken_font} 0 R"
        lines = [
            "".join(f"{codes[c]:02X}" for c in line) if broken else line.encode().hex()
            for line in text.split("\n")
        ]
        shown = " ".join(f"<{line}> Tj T*" for line in lines)
        content = stream(f"BT /F{2 if broken else 1} 11 Tf 14 TL 60 780 Td {shown} ET")
        kids.append(
            add(
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {content} 0 R "
                f"/Resources << /Font << {fonts} >> >> >>"
            )
        )
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    kid_refs = " ".join(f"{k} 0 R" for k in kids)
    objects[1] = f"<< /Type /Pages /Kids [{kid_refs}] /Count {len(kids)} >>".encode()
    return pdf_file(objects)


@pytest.mark.unit
def test_an_unreadable_page_is_left_empty_with_a_warning() -> None:
    pdf = broken_font_pdf([(ENGLISH, False), (MOJIBAKE, True), ("", False), (ENGLISH, False)])
    document = load_bytes(pdf, "manual.pdf", LIMITS)
    assert document.pages[0].split() == ENGLISH.split()
    assert document.pages[1] == ""  # left out, and page 4 stays page 4
    assert document.pages[2].strip() == ""
    assert document.pages[3].split() == ENGLISH.split()
    assert document.warnings == (
        "pages without usable text were not read by OCR: OCR is not set up",
        "page 2: text layer unreadable, skipped",
    )


@pytest.mark.unit
def test_the_broken_font_really_extracts_as_mojibake() -> None:
    # Without this, the test above could pass on a PDF that extracts as nothing.
    page = PdfReader(io.BytesIO(broken_font_pdf([(MOJIBAKE, True)]))).pages[0]
    text = page.extract_text()
    assert "ΫϥεϑΝΠϧ" in text and not is_readable(text)


@pytest.mark.unit
def test_a_file_with_no_readable_page_fails_with_that_reason() -> None:
    pdf = broken_font_pdf([(MOJIBAKE, True), ("", False), (MOJIBAKE[::-1], True)])
    with pytest.raises(LoadError, match=r"text layer unreadable on every page with text \(2 of 3"):
        load_bytes(pdf, "manual.pdf", LIMITS)
    with pytest.raises(LoadError, match=r"unreadable on every page \(1 of 1 pages.*OCR"):
        load_bytes(broken_font_pdf([(MOJIBAKE, True)]), "manual.pdf", LIMITS)


@pytest.mark.unit
def test_clean_pdfs_have_no_warnings() -> None:
    document = load_bytes(broken_font_pdf([(ENGLISH, False)]), "manual.pdf", LIMITS)
    assert document.warnings == ()


@pytest.mark.integration
@pytest.mark.slow
def test_dev_corpus_broken_font_pdfs_are_read_by_ocr(tmp_path: Path) -> None:
    """platex.pdf and pxjahyper.pdf (dvipdfmx, Japanese fonts without a Unicode map) are read
    by OCR into readable Japanese; a clean LuaTeX-ja PDF keeps its text layer."""
    need_ocr()
    names = ["texlive-ja_platex.pdf", "texlive-ja_pxjahyper.pdf", "texlive-ja_lltjp-geometry.pdf"]
    if not all((DEV_MANUALS / name).is_file() for name in names):
        reason = (
            f"dev-manuals corpus not found at {DEV_MANUALS}: build it with "
            "../shared/corpus/fetch-dev-manuals.sh or set KOTAE_DEV_MANUALS_DIR"
        )
        if os.environ.get("KOTAE_REQUIRE_DEV_MANUALS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    files = tmp_path / "files"
    files.mkdir()
    for name in names:
        shutil.copy(DEV_MANUALS / name, files / name)
    data_dir = tmp_path / "data"

    result = kotae(data_dir, "ingest", str(files))

    assert result.returncode == 0, result.stderr
    assert "added 3," in result.stderr
    for name, pages in (("platex", 19), ("pxjahyper", 6)):
        ocr_line = f"warning {files}/texlive-ja_{name}.pdf: 1 warning: OCR read {pages} pages in"
        assert any(line.startswith(ocr_line) for line in result.stderr.splitlines())
    assert "lltjp-geometry.pdf: 1 warning" not in result.stderr  # its text layer is kept
    with sqlite3.connect(data_dir / "kotae.db") as db:
        rows = db.execute(
            "SELECT d.source, c.text FROM chunks c JOIN documents d ON d.id = c.document_id"
        ).fetchall()
    for name, phrase in (("platex", "この文書について"), ("pxjahyper", "パッケージ")):
        chunks = [text for source, text in rows if source.endswith(f"_{name}.pdf")]
        text = "".join(chunks)
        kana = sum(1 for c in text if "\u3041" <= c <= "\u30ff")
        assert kana > 0.2 * len("".join(text.split())), name  # Japanese, not Latin junk
        assert phrase in text
        assert all(is_readable(chunk) for chunk in chunks), name
    assert not any("ΫϥεϑΝΠϧ" in text for _, text in rows)
