"""OCR: character accuracy and seconds per page on scanned Japanese pages, and what the dev
corpus's TeX manuals with unreadable text layers (platex.pdf, pxjahyper.pdf) become.

The scans are seed-corpus sentences drawn at 300 dpi in 10 pt IPA fonts (Debian's
fonts-ipafont), saved as an image-only PDF and read back through the PDF loader. Accuracy is
1 - (Levenshtein distance / source length) on NFKC text with whitespace removed.

    python bench/ocr.py [--pages 4] [--languages jpn] [--dev-manuals DIR]
"""

import argparse
import os
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz.distance import Levenshtein

from bench.common import machine, seed_sentences
from ingest.loaders import load_bytes
from ingest.ocr import TesseractOcr
from tests.ingest.limits import LIMITS
from tests.ingest.scans import IPA_GOTHIC, scanned_pdf
from text.normalize import normalize_text
from text.readability import assess

IPA_MINCHO = Path("/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf")
LINE_CHARS = 44
PAGE_LINES = 30


def squeeze(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def accuracy(ocr_text: str, source: str) -> float:
    truth = squeeze(source)
    return 1 - Levenshtein.distance(squeeze(ocr_text), truth) / len(truth)


def source_pages(count: int) -> list[list[str]]:
    """Seed-corpus sentences wrapped into lines and pages, in corpus order."""
    lines: list[str] = []
    for sentence in seed_sentences():
        lines += [sentence[i : i + LINE_CHARS] for i in range(0, len(sentence), LINE_CHARS)]
        if len(lines) >= count * PAGE_LINES:
            break
    return [lines[i : i + PAGE_LINES] for i in range(0, count * PAGE_LINES, PAGE_LINES)]


def scans(pages: list[list[str]], ocr: TesseractOcr) -> None:
    for font in (IPA_GOTHIC, IPA_MINCHO):
        if not font.is_file():
            print(f"scan, {font.name}: font not installed, skipped")
            continue
        started = time.perf_counter()
        document = load_bytes(scanned_pdf(pages, font), "scan.pdf", LIMITS, ocr)
        seconds = time.perf_counter() - started
        scores = [
            accuracy(text, "".join(lines))
            for text, lines in zip(document.pages, pages, strict=True)
        ]
        total = accuracy("".join(document.pages), "".join("".join(p) for p in pages))
        chars = len(squeeze("".join("".join(p) for p in pages)))
        print(
            f"scan, {font.name}: {len(pages)} pages, {chars} characters: accuracy {total:.4f} "
            f"(pages {', '.join(f'{s:.3f}' for s in scores)}); "
            f"{seconds / len(pages):.2f} s/page"
        )


def manuals(folder: Path, ocr: TesseractOcr) -> None:
    for name in ("texlive-ja_platex.pdf", "texlive-ja_pxjahyper.pdf"):
        path = folder / name
        if not path.is_file():
            print(f"{name}: not found in {folder}")
            continue
        started = time.perf_counter()
        document = load_bytes(path.read_bytes(), name, LIMITS, ocr)
        seconds = time.perf_counter() - started
        pages = [normalize_text(p) for p in document.pages]
        text = "".join("".join(p.split()) for p in pages)
        kana = sum(1 for c in text if "\u3041" <= c <= "\u30ff")
        unreadable = sum(1 for p in pages if not assess(p).readable)
        print(
            f"{name}: {len(pages)} pages in {seconds:.0f} s ({seconds / len(pages):.1f} s/page); "
            f"{document.warnings[0] if document.warnings else 'no warnings'}; "
            f"{len(text)} characters, kana {kana / max(1, len(text)):.0%}, "
            f"unreadable pages {unreadable}"
        )
        print("  sample:", " ".join(pages[1].split())[:300])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--languages", default="jpn")
    default_manuals = os.environ.get("KOTAE_DEV_MANUALS_DIR", "../dev-manuals-corpus")
    parser.add_argument("--dev-manuals", type=Path, default=Path(default_manuals))
    args = parser.parse_args()
    ocr = TesseractOcr(args.languages, page_timeout_s=600)
    print(f"OCR benchmark: tesseract -l {args.languages}; {machine()}")
    scans(source_pages(args.pages), ocr)
    manuals(args.dev_manuals, ocr)


if __name__ == "__main__":
    main()
