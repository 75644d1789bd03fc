"""Image-only ("scanned") Japanese PDFs for the OCR tests, and whether Tesseract is here."""

import io
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

# Debian's fonts-ipafont-gothic (installed by .ci/tesseract.sh).
IPA_GOTHIC = Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf")
DPI = 300  # a common scanning resolution

# Sentences of a made-up manual: OCR must find them, and nothing else holds them.
SCAN_PAGES = [
    [
        "第一章　山桜印刷機の設置",
        "印刷機は水平な床に置き、壁から三十センチ以上離してください。",
        "電源を入れる前に、青い固定ねじを二本とも外します。",
        "初めて使うときは、試し刷りを三枚行ってください。",
    ],
    [
        "第二章　紙詰まりの対処",
        "紙が詰まったときは、まず電源を切り、背面の緑色のレバーを引きます。",
        "詰まった紙はゆっくりと手前に引き抜いてください。",
        "トナーの交換は、前面の扉を開けて黄色い取っ手を持ち上げて行います。",
    ],
]


def need_ocr() -> None:
    """Skip without Tesseract's Japanese data or the font, unless CI requires them."""
    missing = [
        what
        for what, here in (
            ("tesseract", shutil.which("tesseract") is not None),
            ("Tesseract's jpn data", _has_jpn()),
            (str(IPA_GOTHIC), IPA_GOTHIC.is_file()),
        )
        if not here
    ]
    if missing:
        reason = f"OCR tests need {', '.join(missing)} (bash .ci/tesseract.sh installs them)"
        if os.environ.get("KOTAE_REQUIRE_OCR") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def _has_jpn() -> bool:
    tessdata = [Path("/usr/share/tesseract-ocr/5/tessdata"), Path("/usr/share/tesseract-ocr/4.00")]
    return any((d / "jpn.traineddata").is_file() for d in tessdata)


def page_image(lines: list[str], font_path: Path = IPA_GOTHIC) -> Image.Image:
    """An A4 page at 300 dpi with up to 36 ``lines`` of 44 full-width characters in a 10 pt
    font (IPA Gothic), black on white."""
    image = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(image)
    # Tests that do not OCR the page run without the font (need_ocr() checks it).
    font = (
        ImageFont.truetype(str(font_path), 42)
        if font_path.is_file()
        else ImageFont.load_default(42)
    )
    for row, line in enumerate(lines):
        draw.text((240, 300 + row * 84), line, font=font, fill=0)
    return image


def scanned_pdf(pages: list[list[str]], font_path: Path = IPA_GOTHIC) -> bytes:
    """A PDF of page images only: no text layer at all."""
    images = [page_image(lines, font_path) for lines in pages]
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=DPI, save_all=True, append_images=images[1:])
    return out.getvalue()
