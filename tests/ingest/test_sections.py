"""Heading paths: read from HTML, Markdown, DOCX and PDF outlines, found again after
normalization, used as chunk bounds and chunk context; page navigation left out of HTML."""

import io

import docx
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from ingest.chunking import chunk_pages
from ingest.loaders import load_bytes
from ingest.sections import Heading, context_at, locate_sections, section_bounds
from tests.ingest.limits import LIMITS
from text.normalize import normalize_text
from text.pages import join_pages

pytestmark = pytest.mark.unit


def words(text: str) -> int:
    return len(text.split())


def sections_of(filename: str, data: bytes) -> tuple[str, list[str], list]:
    document = load_bytes(data, filename, LIMITS)
    pages = [normalize_text(p) for p in document.pages]
    text, offsets = join_pages(pages)
    return text, pages, locate_sections(document.headings, text, offsets)


HTML = """<!doctype html><html><head><title>Server Guide</title></head><body>
<nav><a href="/">Home</a> | <a href="/next">Next chapter: Backups</a></nav>
<table class="nav_table"><tr><td>[ &lt;&lt; Prev ]</td><td>[ Up ]</td></tr></table>
<div id="tocframe"><h4>Contents</h4><ul><li>1 Install</li><li>2 Settings</li></ul></div>
<aside class="leftside">Donate to the project</aside>
<h1>Server Guide</h1>
<p>This guide covers the server.</p>
<h2>20.5. Write Ahead Log</h2>
<p>WAL settings follow.</p>
<h3>20.5.2. Checkpoints</h3>
<p>checkpoint_timeout is the maximum time between automatic WAL checkpoints.
The default is five minutes.</p>
<h2>20.6. Replication</h2>
<p>Replication sends WAL to standby servers.</p>
<div role="navigation">Prev | Up | Next</div>
<div id="DEBUG" class="debug"><h3>Help content debug info:</h3><p>This page is: x.xhp</p></div>
<footer>Copyright the authors</footer>
</body></html>"""


def test_html_headings_give_each_chunk_its_path_and_navigation_is_dropped() -> None:
    text, pages, sections = sections_of("guide.html", HTML.encode())
    for furniture in ("Next chapter", "Prev", "Contents", "Donate", "debug info", "Copyright"):
        assert furniture not in text
    assert "The default is five minutes." in text
    assert [s.path for s in sections] == [
        ("Server Guide",),
        ("Server Guide", "20.5. Write Ahead Log"),
        ("Server Guide", "20.5. Write Ahead Log", "20.5.2. Checkpoints"),
        ("Server Guide", "20.6. Replication"),
    ]
    chunks = chunk_pages(pages, words, 200, 0, section_bounds(sections))
    # A section is never split across chunks here (all are small), nor joined to another.
    by_text = {c.text.splitlines()[0]: c for c in chunks}
    checkpoints = by_text["20.5.2. Checkpoints"]
    assert "five minutes" in checkpoints.text
    assert "Replication" not in checkpoints.text
    assert context_at(
        sections, text, checkpoints.char_start, checkpoints.char_end, "Server Guide"
    ) == ("Server Guide › 20.5. Write Ahead Log › 20.5.2. Checkpoints")


def test_a_section_holding_only_its_heading_joins_the_next_and_gives_the_deeper_path() -> None:
    text = "Part I\n\nChapter 1\n\nThe first chapter starts here. It has two sentences."
    sections = locate_sections([Heading(1, "Part I"), Heading(2, "Chapter 1")], text, [0])
    chunks = chunk_pages([text], words, 200, 0, section_bounds(sections))
    assert [c.text for c in chunks] == [text]
    assert context_at(sections, text, 0, len(text), "Doc") == "Doc › Part I › Chapter 1"
    # A chunk with content before the next heading keeps the path where it starts.
    text = "Part I\n\nIntro.\n\nChapter 1\n\nText."
    sections = locate_sections([Heading(1, "Part I"), Heading(2, "Chapter 1")], text, [0])
    assert context_at(sections, text, 0, len(text), "Doc") == "Doc › Part I"


def test_chunks_do_not_cross_a_section_start_even_when_they_could() -> None:
    text = "Intro\n\nAlpha one. Alpha two.\n\nBeta\n\nBeta one. Beta two."
    sections = locate_sections([Heading(1, "Intro"), Heading(1, "Beta")], text, [0])
    chunks = chunk_pages([text], words, 200, 0, section_bounds(sections))
    assert [c.text for c in chunks] == [
        "Intro\n\nAlpha one. Alpha two.",
        "Beta\n\nBeta one. Beta two.",
    ]
    assert [context_at(sections, text, c.char_start, c.char_end, "Doc") for c in chunks] == [
        "Doc › Intro",
        "Doc › Beta",
    ]


def test_headings_are_found_after_normalization_in_order_or_dropped() -> None:
    # Full-width letters and spaced-out kanji are normalized in the text: the titles too.
    raw = "ＡＢＣ 入 門\n\n本文です。\n\n設定\n\n設定の説明。"
    text = normalize_text(raw)
    headings = [Heading(1, "ＡＢＣ 入 門"), Heading(2, "存在しない見出し"), Heading(2, "設定")]
    sections = locate_sections(headings, text, [0])
    assert [(text[s.start : s.start + 2], s.path) for s in sections] == [
        ("AB", ("ABC 入門",)),
        ("設定", ("ABC 入門", "設定")),
    ]
    assert context_at(sections, text, 0, 4, "ABC 入門") == "ABC 入門"  # the title is not repeated


def test_markdown_headings() -> None:
    source = (
        "# Guide\n\nIntro.\n\n## Install\n\nRun it.\n\n```\n# not a heading\n```\n\n"
        "### Linux\n\napt.\n"
    )
    _, _, sections = sections_of("guide.md", source.encode())
    assert [s.path for s in sections] == [
        ("Guide",),
        ("Guide", "Install"),
        ("Guide", "Install", "Linux"),
    ]


def test_docx_heading_styles() -> None:
    document = docx.Document()
    document.add_heading("Handbook", level=1)
    document.add_paragraph("Welcome.")
    document.add_heading("Leave", level=2)
    document.add_paragraph("Annual leave is 20 days.")
    document.add_heading("Sick leave", level=3)
    document.add_paragraph("Sick leave needs a note.")
    buffer = io.BytesIO()
    document.save(buffer)
    _, _, sections = sections_of("handbook.docx", buffer.getvalue())
    assert [s.path for s in sections] == [
        ("Handbook",),
        ("Handbook", "Leave"),
        ("Handbook", "Leave", "Sick leave"),
    ]


def outlined_pdf() -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pages = [
        ("1 はじめに", "この文書は設定を説明します。", 0),
        ("2 設定", "既定の行送りは 1.7 倍です。", 0),
        (None, "前のページの続きです。", None),
        ("2.1 詳細", "詳細な設定の説明です。", 1),
    ]
    for number, (heading, body, level) in enumerate(pages):
        pdf.setFont("HeiseiKakuGo-W5", 14)
        if heading:
            pdf.drawString(72, 760, heading)
            pdf.bookmarkPage(f"p{number}")
            pdf.addOutlineEntry(heading.split(" ", 1)[1], f"p{number}", level=level)
        pdf.drawString(72, 720, body)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_pdf_outline_entries_become_sections_on_their_pages() -> None:
    text, pages, sections = sections_of("manual.pdf", outlined_pdf())
    assert [s.path for s in sections] == [
        ("はじめに",),
        ("設定",),
        ("設定", "詳細"),
    ]
    _, offsets = join_pages(pages)
    assert [next(i for i, o in enumerate(offsets) if o > s.start) - 1 for s in sections[:2]] == [
        0,
        1,
    ]
    chunks = chunk_pages(pages, words, 200, 0, section_bounds(sections))
    continued = next(c for c in chunks if "続き" in c.text)
    assert (
        context_at(sections, text, continued.char_start, continued.char_end, "Manual")
        == "Manual › 設定"
    )


def test_slide_transcripts_give_one_section_per_slide_titled_after_its_footer() -> None:
    numbered = "Deck\n\nTranscript\n\n" + "\n".join(
        f"  {n}. {n + 1} Copyright 2023 ACME CORP {title}\n    and the slide's body {n}."
        for n, title in enumerate(["Agenda", "GPT-3 results", "Llama 2 results", "Summary"], 1)
    )
    text, pages, sections = sections_of("deck.txt", numbered.encode())
    assert [s.path for s in sections] == [
        ("Agenda and the slide's body 1.",),
        ("GPT-3 results and the slide's body 2.",),
        ("Llama 2 results and the slide's body 3.",),
        ("Summary and the slide's body 4.",),
    ]
    assert text[sections[1].start :].startswith("2. 3 Copyright")  # the slide's start
    chunks = chunk_pages(pages, words, 200, 0, section_bounds(sections))
    assert [c.text.split(".")[0] for c in chunks] == ["Deck\n\nTranscript", "1", "2", "3", "4"]
    labelled = "\n\n".join(f"Slide {n}\n\nSlide {n} text\n\nTitle {n} • body" for n in range(1, 4))
    _, _, sections = sections_of("deck2.txt", labelled.encode())
    assert [s.path for s in sections] == [
        ("Title 1 • body",),
        ("Title 2 • body",),
        ("Title 3 • body",),
    ]
    # Numbered lines that are not a run of slides from one on are not slides.
    _, _, sections = sections_of("notes.txt", b"  1. first\n  3. third\n  4. fourth\n")
    assert sections == []


def test_an_outline_entry_not_on_its_page_starts_at_the_page_top_unless_taken() -> None:
    pages = ["Preface text.", "Intro\n\nThe body of page two.", "More text."]
    text, offsets = join_pages(pages)
    headings = [
        Heading(1, "Intro", page=1),
        Heading(2, "Missing title", page=1),  # the page's top is taken: dropped
        Heading(1, "Other title", page=2),  # not on its page: the page's top
    ]
    sections = locate_sections(headings, text, offsets)
    assert [(s.start, s.path) for s in sections] == [
        (offsets[1], ("Intro",)),
        (offsets[2], ("Other title",)),
    ]
