import io
import logging
import random
import re
import time
import zipfile
from pathlib import Path

import docx
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from ingest.errors import FileTooLargeError, IngestError, LoadError, UnsupportedFileError
from ingest.loaders import (
    DOCX_MIME,
    SUPPORTED_SUFFIXES,
    LoadedDocument,
    LoadLimits,
    load_bytes,
    load_path,
)
from tests.ingest.limits import LIMITS
from text.normalize import normalize_text

pytestmark = pytest.mark.unit

JA_FONT = "HeiseiMin-W3"
pdfmetrics.registerFont(UnicodeCIDFont(JA_FONT))

JA_LONG = (
    "東京は日本の首都であり、約千四百万人が暮らしています。"
    "春になると多くの公園で桜が咲き、週末には花見客でにぎわいます。"
    "検索拡張生成では、質問に関係する文書を先に探してから回答を作ります。"
)
JA_SHORT = "こんにちは世界"


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A real PDF: each page draws its lines; an empty list makes a page with no text."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    if title is not None:
        pdf.setTitle(title)
    for lines in pages:
        y = 780
        for line in lines:
            pdf.setFont(JA_FONT if not line.isascii() else "Helvetica", 11)
            pdf.drawString(60, y, line)
            y -= 18
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_image_pdf() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    image = Image.new("RGB", (64, 64), (200, 30, 30))
    for _ in range(2):
        pdf.drawImage(ImageReader(image), 100, 500, width=200, height=200)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def encrypt(pdf: bytes, user_password: str, owner_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def three_page_pdf() -> bytes:
    return make_pdf(
        [
            [
                "第1章 大規模言語モデルの活用方法",
                "これは日本語のテスト文です。検索のために使います。",
            ],
            [],  # a page without text keeps its number
            ["Page three: large language models.", "第3章 まとめと今後の課題です。"],
        ],
        title="活用方法の資料",
    )


def test_pdf_pages_text_and_title(three_page_pdf: bytes) -> None:
    doc = load_bytes(three_page_pdf, "slides.pdf", LIMITS)
    assert doc.mime == "application/pdf"
    assert doc.title == "活用方法の資料"
    assert doc.encoding is None
    assert len(doc.pages) == 3
    assert "大規模言語モデルの活用方法" in normalize_text(doc.pages[0])
    assert "検索のために使います。" in normalize_text(doc.pages[0])
    assert doc.pages[1].strip() == ""
    assert "large language models" in doc.pages[2]
    assert "まとめと今後の課題" in normalize_text(doc.pages[2])


def test_pdf_title_falls_back_to_first_line() -> None:
    pdf = make_pdf(
        [[], ["  ", "最初の行です", "二行目"]]
    )  # reportlab's default title is "untitled"
    assert load_bytes(pdf, "x.pdf", LIMITS).title == "最初の行です"


def test_pdf_truncated_to_half_is_a_load_error(three_page_pdf: bytes) -> None:
    with pytest.raises(LoadError, match=r"^corrupt PDF"):
        load_bytes(three_page_pdf[: len(three_page_pdf) // 2], "cut.pdf", LIMITS)


def test_pdf_truncated_with_forged_eof_marker_is_a_load_error(three_page_pdf: bytes) -> None:
    forged = three_page_pdf[: len(three_page_pdf) // 2] + b"\n%%EOF\n"
    with pytest.raises(LoadError, match=r"^corrupt PDF"):
        load_bytes(forged, "cut.pdf", LIMITS)


def test_pdf_garbage_with_pdf_header_is_a_load_error() -> None:
    with pytest.raises(LoadError, match=r"^corrupt PDF"):
        load_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n", "junk.pdf", LIMITS)


def test_pdf_encrypted_with_password_is_a_load_error(three_page_pdf: bytes) -> None:
    with pytest.raises(LoadError, match=r"^encrypted PDF"):
        load_bytes(encrypt(three_page_pdf, "secret", "owner"), "locked.pdf", LIMITS)


def test_pdf_with_only_an_owner_password_is_readable(three_page_pdf: bytes) -> None:
    doc = load_bytes(encrypt(three_page_pdf, "", "owner"), "restricted.pdf", LIMITS)
    assert "検索のために使います。" in normalize_text(doc.pages[0])


def test_pdf_image_only_is_a_load_error() -> None:
    with pytest.raises(LoadError, match=r"^no text layer \(image-only PDF\?\); OCR is not set up"):
        load_bytes(make_image_pdf(), "scan.pdf", LIMITS)


def test_pdf_repair_warnings_are_demoted_to_debug(three_page_pdf: bytes) -> None:
    # A wrong startxref offset makes pypdf warn and rebuild the cross-reference table.
    match = re.search(rb"startxref\s+(\d+)", three_page_pdf)
    assert match
    damaged = (
        three_page_pdf[: match.start(1)]
        + str(int(match.group(1)) + 7).encode()
        + three_page_pdf[match.end(1) :]
    )
    # What reaches the root logger is what an application's handlers would print. (Not
    # caplog: under pytest 9.2 it received pypdf's records, which never reach the root.)
    seen = Collect()
    root = logging.getLogger()
    level = root.level
    root.addHandler(seen)
    root.setLevel(logging.DEBUG)
    try:
        doc = load_bytes(damaged, "damaged.pdf", LIMITS)
    finally:
        root.removeHandler(seen)
        root.setLevel(level)
    assert len(doc.pages) == 3
    assert not [r for r in seen.records if r.levelno >= logging.WARNING]
    assert any(r.name == "ingest.pdf" and "startxref" in r.getMessage() for r in seen.records)


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def make_docx(core_title: str = "") -> bytes:
    document = docx.Document()
    document.core_properties.title = core_title
    document.add_heading("導入と目的", level=1)
    document.add_paragraph("本文の最初の段落です。検索に使います。")
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text = "項目"
    table.cell(0, 1).text = "値"
    table.cell(1, 0).text = "モデル"
    table.cell(1, 1).text = "MiniLM"
    merged = table.cell(2, 0).merge(table.cell(2, 1))
    merged.text = "結合セル"
    document.add_paragraph("表の後の段落です。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_paragraphs_and_tables_in_order() -> None:
    doc = load_bytes(make_docx("報告書"), "report.docx", LIMITS)
    assert doc.mime == DOCX_MIME
    assert doc.title == "報告書"
    assert len(doc.pages) == 1
    lines = [line for line in doc.pages[0].splitlines() if line.strip()]
    assert lines == [
        "導入と目的",
        "本文の最初の段落です。検索に使います。",
        "項目 | 値",
        "モデル | MiniLM",
        "結合セル",  # a merged cell appears once
        "表の後の段落です。",
    ]


def test_docx_title_falls_back_to_first_heading() -> None:
    assert load_bytes(make_docx(), "report.docx", LIMITS).title == "導入と目的"


def test_docx_corrupt_is_a_load_error() -> None:
    data = make_docx()
    with pytest.raises(LoadError, match=r"^corrupt DOCX"):
        load_bytes(data[: len(data) // 2], "broken.docx", LIMITS)


def test_docx_zip_without_word_document_is_a_load_error() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a word file")
    with pytest.raises(LoadError, match=r"^corrupt DOCX"):
        load_bytes(out.getvalue(), "fake.docx", LIMITS)


HTML_PAGE = """<!DOCTYPE html>
<html><head><title> 検索 の
ページ </title><meta charset="utf-8">
<style>body { color: red }</style><script>var hidden = "script text";</script></head>
<body>
<noscript>Please enable JavaScript</noscript><template><p>template text</p></template>
<h1>見出し</h1>
<p>これは<b>重要</b>な
文です。<a href="https://example.com/">リンク</a>も読みます。</p>
<div>first line<br>second line</div>
<ul><li>item one</li><li>item <em>two</em></li></ul>
<table><tr><th>名前</th><th>値</th></tr><tr><td>a</td><td>1</td></tr></table>
<!-- a comment --><script>alert("more script")</script>
</body></html>"""


def test_html_visible_text_only() -> None:
    doc = load_bytes(HTML_PAGE.encode(), "page.html", LIMITS)
    text = doc.pages[0]
    assert doc.mime == "text/html"
    assert doc.title == "検索のページ"
    assert doc.encoding == "utf-8"
    for hidden in ("script text", "more script", "color: red", "JavaScript", "template", "comment"):
        assert hidden not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines == [
        "検索 の ページ",  # the <title> opens the text
        "見出し",
        "これは重要な 文です。リンクも読みます。",  # inline elements do not break lines
        "first line",
        "second line",
        "item one",
        "item two",
        "名前 | 値",
        "a | 1",
    ]


def test_html_declared_shift_jis() -> None:
    page = HTML_PAGE.replace('charset="utf-8"', 'charset="Shift_JIS"')
    doc = load_bytes(page.encode("cp932"), "page.htm", LIMITS)
    assert doc.encoding == "cp932"
    assert "これは重要な 文です。" in doc.pages[0]


MARKDOWN = """# RAG の [概要](https://example.com/overview)

検索拡張生成は**外部の文書**を使います。詳しくは[公式文書](https://example.com/docs "docs")を参照。
![構成図](images/diagram.png)
<!-- TODO: 図を差し替える -->

## 手順

- 文書を分割する
- 埋め込みを計算する

```python
print("[keep](this) <b>code</b>")
```

`inline [code](x)` も残す。
"""


def test_markdown_strips_noise_and_keeps_text() -> None:
    doc = load_bytes(MARKDOWN.encode(), "guide.md", LIMITS)
    text = doc.pages[0]
    assert doc.mime == "text/markdown"
    assert doc.title == "RAG の概要"  # titles are normalized
    assert doc.encoding == "utf-8"
    assert "https://" not in text and "diagram.png" not in text and "TODO" not in text
    assert "RAG の 概要" in text
    assert "検索拡張生成は外部の文書を使います。詳しくは公式文書を参照。" in text
    assert "構成図" in text
    assert "手順" in text and "#" not in text.replace('print("', "")
    assert "- 文書を分割する\n- 埋め込みを計算する" in text
    assert 'print("[keep](this) <b>code</b>")' in text
    assert "inline [code](x) も残す。" in text


def test_markdown_without_heading_uses_stem() -> None:
    assert load_bytes("本文だけ。".encode(), "notes.markdown", LIMITS).title == "notes"


@pytest.mark.parametrize("sample", [JA_LONG, JA_SHORT], ids=["long", "short"])
@pytest.mark.parametrize(
    ("codec", "reported"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),
        ("shift_jis", "cp932"),
        ("cp932", "cp932"),
        ("euc_jp", "euc_jp"),
    ],
)
def test_text_encodings(sample: str, codec: str, reported: str) -> None:
    doc = load_bytes(sample.encode(codec), "memo.txt", LIMITS)
    assert doc.pages == [sample]
    assert doc.encoding == reported
    assert doc.mime == "text/plain"
    # A short first line is the title; a long one (a paragraph) is not, so the name stays.
    assert doc.title == ("memo" if sample == JA_LONG else JA_SHORT)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("\n\n  川凪町の  灯籠流し \t\n\n本文です。", "川凪町の灯籠流し"),
        ("Meeting notes, 2024-05-01\r\nWe met.", "Meeting notes, 2024-05-01"),
        ("ＡＢＣ　入門\n本文。", "ABC 入門"),  # normalized like every title
        ("=====\n見出し\n", "notes"),  # only symbols
        ("2024\n本文。", "notes"),  # a number is no title
        ("あ" * 61 + "\n本文。", "notes"),  # a paragraph, not a title
        ("あ" * 60, "あ" * 60),
        (
            "Slide 1\n\nSlide 1 text\n\nA\n\nSlide 2\n\nSlide 2 text\n\nB\n\n"
            "Slide 3\n\nSlide 3 text\n\nC",
            "notes",
        ),  # a slide transcript keeps its name
    ],
)
def test_text_title_from_the_first_line(text: str, title: str) -> None:
    assert load_bytes(text.encode(), "notes.txt", LIMITS).title == title


def test_text_title_reads_only_the_first_line() -> None:
    huge = "\n" * 1000 + "目次\n" + "本文。" * 200_000
    assert load_bytes(huge.encode(), "big.txt", LIMITS).title == "目次"


def test_text_cp932_specific_characters() -> None:
    sample = "①の手順で№1を確認します。髙橋さんの資料です。"
    doc = load_bytes(sample.encode("cp932"), "memo.txt", LIMITS)
    assert (doc.pages, doc.encoding) == ([sample], "cp932")


def test_text_utf8_cut_inside_the_last_character() -> None:
    data = JA_LONG.encode()[:-1]  # "。" loses its last byte
    assert load_bytes(data, "cut.txt", LIMITS).pages == [JA_LONG[:-1]]


def test_text_english_and_iso_2022_jp() -> None:
    assert load_bytes(b"plain ascii text", "a.txt", LIMITS).pages == ["plain ascii text"]
    doc = load_bytes(JA_LONG.encode("iso2022_jp"), "mail.txt", LIMITS)
    assert (doc.pages, doc.encoding) == ([JA_LONG], "iso2022_jp")


def test_empty_file_is_a_load_error() -> None:
    for name in ("empty.txt", "empty.pdf", "empty.docx", "noext"):
        with pytest.raises(LoadError, match=r"^empty file$"):
            load_bytes(b"", name, LIMITS)


def test_whitespace_only_text_is_a_load_error() -> None:
    with pytest.raises(LoadError):
        load_bytes(b" \n\t\n ", "blank.txt", LIMITS)


def test_random_bytes_are_unsupported() -> None:
    data = random.Random(1234).randbytes(4096)
    for name in ("noise.txt", "noise", "noise.md"):
        with pytest.raises(UnsupportedFileError, match=r"binary content, not text"):
            load_bytes(data, name, LIMITS)


def test_unknown_suffixes_are_unsupported() -> None:
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, format="PNG")
    with pytest.raises(UnsupportedFileError, match=r"unsupported file type '\.png'"):
        load_bytes(png.getvalue(), "photo.PNG", LIMITS)
    with pytest.raises(UnsupportedFileError, match=r"unsupported file type '\.exe'"):
        load_bytes(b"MZ\x90\x00\x03" + bytes(200), "setup.exe", LIMITS)
    with pytest.raises(UnsupportedFileError):
        load_bytes(b"a,b\n1,2\n", "table.csv", LIMITS)


def test_unsupported_is_an_ingest_error_but_not_a_load_error() -> None:
    assert issubclass(UnsupportedFileError, IngestError)
    assert not issubclass(UnsupportedFileError, LoadError)


def test_content_sniffing_without_a_known_suffix(three_page_pdf: bytes) -> None:
    assert load_bytes(three_page_pdf, "download", LIMITS).mime == "application/pdf"
    assert load_bytes(three_page_pdf, "download.bin", LIMITS).mime == "application/pdf"
    assert load_bytes(make_docx(), "attachment.dat", LIMITS).mime == DOCX_MIME
    assert load_bytes(HTML_PAGE.encode(), "index", LIMITS).title == "検索のページ"
    doc = load_bytes(JA_LONG.encode("cp932"), "README", LIMITS)
    assert (doc.mime, doc.pages, doc.title) == ("text/plain", [JA_LONG], "README")


def test_supported_suffixes() -> None:
    expected = {".pdf", ".txt", ".text", ".md", ".markdown", ".html", ".htm", ".docx"}
    assert expected == SUPPORTED_SUFFIXES


def test_load_path(tmp_path: Path, three_page_pdf: bytes) -> None:
    path = tmp_path / "資料.pdf"
    path.write_bytes(three_page_pdf)
    doc = load_path(path, LIMITS)
    assert isinstance(doc, LoadedDocument)
    assert len(doc.pages) == 3
    text_path = tmp_path / "メモ.txt"
    text_path.write_bytes(JA_SHORT.encode("euc_jp"))
    assert load_path(text_path, LIMITS) == LoadedDocument(
        JA_SHORT, "text/plain", [JA_SHORT], "euc_jp"
    )
    with pytest.raises(LoadError, match=r"cannot read file"):
        load_path(tmp_path / "missing.txt", LIMITS)


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (b"<!DOCTYPE html><html><body>x</body></html>\n%%EOF", ", which looks like HTML"),
        (b"PK\x03\x04" + bytes(40), ", which looks like a zip archive (DOCX, XLSX?)"),
        (b"just some text", ""),
    ],
    ids=["html", "zip", "text"],
)
def test_non_pdf_named_pdf_says_what_it_is(data: bytes, looks_like: str) -> None:
    with pytest.raises(LoadError, match=r"^not a PDF: the file starts with ") as caught:
        load_bytes(data, "report.pdf", LIMITS)
    assert str(caught.value).endswith(looks_like + ("" if looks_like else '"'))


def test_text_over_the_limit_is_refused_for_every_format(three_page_pdf: bytes) -> None:
    limits = LoadLimits(max_text_chars=60, archive=LIMITS.archive)
    long = "検索拡張生成の説明文です。" * 10
    html = f"<html><body><p>{long}</p></body></html>"
    document = docx.Document()
    document.add_paragraph(long)
    out = io.BytesIO()
    document.save(out)
    cases = {
        "a.txt": (long.encode(), "text file"),
        "a.md": (long.encode("utf-16"), "Markdown file"),
        "a.html": (html.encode("cp932"), "HTML"),
        "a.docx": (out.getvalue(), "DOCX"),
        "a.pdf": (three_page_pdf, "PDF"),
    }
    for name, (data, label) in cases.items():
        assert load_bytes(data, name, LIMITS).pages  # fine under the default limit
        with pytest.raises(FileTooLargeError, match=rf"^{label} refused: its text is over the "):
            load_bytes(data, name, limits)


def test_docx_without_title_or_heading_loads_fast() -> None:
    # The title search resolved every paragraph's style, each a scan of all styles: 2.5 ms a
    # paragraph, 20 s for a 2 MB document.
    document = docx.Document()
    for number in range(4000):
        document.add_paragraph(f"段落 {number} の本文です。")
    out = io.BytesIO()
    document.save(out)
    started = time.monotonic()
    loaded = load_bytes(out.getvalue(), "議事録.docx", LIMITS)
    assert time.monotonic() - started < 3
    assert loaded.title == "議事録"
