"""A bounded, deterministic fuzz of every loader, seeded from real files of each format.

Each mutated file must be loaded or refused with an IngestError; any other exception is a bug.
Run by tests/ingest/test_loader_fuzz.py in a child process, whose peak memory it then checks;
``python -c "from tests.ingest.loader_fuzz import main; main()"`` runs it by hand; with
KOTAE_FUZZ_EXAMPLES=N it explores N fresh random examples instead of the fixed ones.
"""

import encodings.aliases
import io
import json
import os
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path

import docx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from ingest.errors import IngestError
from ingest.loaders import SUPPORTED_SUFFIXES, LoadLimits, load_bytes
from tests.ingest.limits import LIMITS as DEFAULT_LIMITS
from tests.ingest.test_pdf_bombs import bomb_pdf

SEEDS_JA = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "seeds-ja"
EXPLORE = os.environ.get("KOTAE_FUZZ_EXAMPLES")
EXAMPLES = int(EXPLORE) if EXPLORE else 600
# Small limits, so that mutations that inflate a file meet them often.
LIMITS = LoadLimits(max_text_chars=200_000, archive=DEFAULT_LIMITS.archive)
JA = "東京は日本の首都です。春には桜が咲き、多くの人が花見を楽しみます。"
EN = "Retrieval-augmented generation finds passages first, then answers."

# Every codec name Python knows, since a <meta charset> label reaches codecs.lookup.
_CODECS = sorted(set(encodings.aliases.aliases.values()) | {"undefined", "utf_7", "idna"})
TOKENS = [f'<meta charset="{name}">'.encode() for name in _CODECS] + [
    b"<!DOCTYPE html>", b"<html>", b"<title>", b"</title>", b"<table><tr><td>", b"<pre>",
    b"<script>", b"<!--", b"\x00\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\x1b$B",
    b"%PDF-1.7", b"%%EOF", b"startxref", b"/Encrypt", b"obj", b"endobj", b"stream",
    b"/FlateDecode", b"<<", b">>", b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06",
    b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]>", b"&a;", b"# ", b"```", b"[a](", b"![", b"**",
]  # fmt: skip

outcomes: Counter[str] = Counter()


def _pdf() -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setTitle("試験文書")
    for line in (JA, EN):
        pdf.setFont("HeiseiMin-W3" if not line.isascii() else "Helvetica", 11)
        pdf.drawString(60, 780, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _docx() -> bytes:
    document = docx.Document()
    document.add_heading("見出し", level=1)
    document.add_paragraph(JA)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "項目"
    table.cell(1, 1).text = EN
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@cache
def seeds() -> list[tuple[str, bytes]]:
    html = f'<html><head><meta charset="shift_jis"><title>題</title></head><body><h1>{JA}</h1>'
    found = [
        ("doc.pdf", _pdf()),
        ("forms.pdf", bomb_pdf(b"/X0 Do\n" * 3, form=b"(aaaaaaaaaa) Tj ")),
        ("doc.docx", _docx()),
        ("page.html", (html + f"<p>{EN}</p><table><tr><td>a</td></tr></table>").encode("cp932")),
        ("utf8.html", f"<!DOCTYPE html><p>{JA}</p><script>x()</script>".encode()),
        ("notes.md", f"# 題名\n\n{JA}\n\n- [link](http://x)\n```\ncode\n```\n".encode()),
        ("sjis.txt", (JA * 3).encode("shift_jis")),
        ("euc.txt", (JA * 3).encode("euc_jp")),
        ("utf16.txt", (JA + EN).encode("utf-16")),
    ]
    for path in sorted(SEEDS_JA.glob("*.txt"))[:2]:  # real files, read in place
        found.append((path.name, path.read_bytes()[:6000]))
    return found


def _rezip(data: bytes, mutate: st.DataObject) -> bytes:
    """Mutate one entry inside a zip and re-pack it, so the XML parsers see the damage."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    index = mutate.draw(st.integers(0, len(entries) - 1))
    name, content = entries[index]
    entries[index] = (name, _mutate_bytes(content, mutate))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry_name, entry_content in entries:
            target.writestr(entry_name, entry_content)
    return out.getvalue()


def _mutate_bytes(data: bytes, draw: st.DataObject) -> bytes:
    kind = draw.draw(st.sampled_from(["truncate", "flip", "insert", "delete", "repeat", "splice"]))
    if not data:
        return data
    at = draw.draw(st.integers(0, len(data) - 1))
    if kind == "splice":  # a token that steers a parser: markup, markers, charset labels
        return data[:at] + draw.draw(st.sampled_from(TOKENS)) + data[at:]
    if kind == "truncate":
        return data[:at]
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ draw.draw(st.integers(1, 255))]) + data[at + 1 :]
    if kind == "insert":
        return data[:at] + draw.draw(st.binary(min_size=1, max_size=64)) + data[at:]
    if kind == "delete":
        return data[:at] + data[at + draw.draw(st.integers(1, 256)) :]
    end = min(len(data), at + draw.draw(st.integers(1, 64)))
    return data[:at] + data[at:end] * draw.draw(st.integers(2, 200)) + data[end:]


@settings(
    max_examples=EXAMPLES,
    derandomize=not EXPLORE,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(seed=st.integers(0, 10**6), draw=st.data())
def fuzz_loaders(seed: int, draw: st.DataObject) -> None:
    name, data = seeds()[seed % len(seeds())]
    for _ in range(draw.draw(st.integers(1, 3))):
        if data.startswith(b"PK\x03\x04") and draw.draw(st.booleans()):
            try:
                data = _rezip(data, draw)
                continue
            except Exception:  # damaged past re-packing: mutate the bytes instead
                pass
        data = _mutate_bytes(data, draw)
    if draw.draw(st.integers(0, 19)) == 0:
        data = b""
    if draw.draw(st.integers(0, 9)) == 0:  # the same bytes under another name
        suffix = draw.draw(st.sampled_from([*sorted(SUPPORTED_SUFFIXES), "", ".bin"]))
        name = f"renamed{suffix}"
    try:
        document = load_bytes(data, name, LIMITS)
    except IngestError as error:
        outcomes[f"refused: {type(error).__name__}"] += 1
        return
    assert any(page.strip() for page in document.pages), name
    assert document.title and len(document.title) <= 200
    outcomes["loaded"] += 1


def main() -> None:
    """Run the fuzz; print the outcomes and the peak memory (MB) as JSON."""
    seeds()
    fuzz_loaders()
    # VmHWM, not ru_maxrss: across exec Linux keeps the parent's (pytest's) high-water mark in
    # ru_maxrss, so a fuzz run inside a big test process would report that process's peak.
    status = Path("/proc/self/status").read_text().splitlines()
    peak_mb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    print(json.dumps({"outcomes": dict(outcomes), "peak_mb": peak_mb}))
