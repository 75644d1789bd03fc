"""Tables in HTML and DOCX: one line per row, cells verbatim, the header row reported so that
every chunk starting inside the table carries it as context; hostile tables stay cheap."""

import copy
import io
import time

import docx
import pytest
from docx.oxml.ns import qn

from ingest.chunking import chunk_pages
from ingest.docx import read_docx
from ingest.html import read_html
from ingest.sections import Heading, context_at, locate_sections, section_bounds
from tests.ingest.limits import LIMITS

LIMITS_ARCHIVE = LIMITS.archive


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_html_rows_are_lines_and_the_header_row_is_reported() -> None:
    # LibreOffice help wraps every cell in <p>; PostgreSQL's docs use <thead>.
    _, text, headings = read_html(
        """<h1>Calc</h1><p>Error codes:</p>
<table><tr><th><p>Code</p></th><th><p>Message</p></th></tr>
<tr><td><p>503</p><p>#NUM!</p></td><td><p>Invalid floating point operation</p></td></tr>
<tr><td><p>522</p></td><td><p>Circular</p><ul><li>one</li><li>two</li></ul></td></tr>
</table><p>After the table.</p>
<table><thead><tr><th>Item</th><th>Upper Limit</th><th>Comment</th></tr></thead>
<tbody><tr><td>columns per table</td><td>1,600</td><td></td></tr>
<tr><td>identifier length</td><td>63 bytes</td><td>see<br>below</td></tr></tbody></table>"""
    )
    assert lines(text) == [
        "Calc",
        "Error codes:",
        "Code | Message",
        "503 #NUM! | Invalid floating point operation",
        "522 | Circular one two",
        "After the table.",
        "Item | Upper Limit | Comment",
        "columns per table | 1,600 |",  # an empty cell keeps its place
        "identifier length | 63 bytes | see below",
    ]
    assert headings[1:] == [
        Heading(0, "Code | Message", table_end="522 | Circular one two"),
        Heading(
            0, "Item | Upper Limit | Comment", table_end="identifier length | 63 bytes | see below"
        ),
    ]


@pytest.mark.parametrize(
    "table",
    [
        "<table><tr><td>a</td><td>1</td></tr><tr><td>b</td><td>2</td></tr></table>",  # no header
        "<table><tr><th>a</th><td>1</td></tr><tr><th>b</th><td>2</td></tr></table>",  # row headers
        "<table><tr><th>Name</th><th>Value</th></tr></table>",  # a header and no rows
        "<table><tr><th>a</th><th>b</th></tr><tr><td></td><td> </td></tr></table>",  # empty rows
    ],
)
def test_html_tables_without_a_header_row_report_none(table: str) -> None:
    _, text, headings = read_html(table)
    assert headings == []
    assert all(" | " in line for line in lines(text))


def test_html_layout_tables_keep_their_blocks() -> None:
    _, text, headings = read_html(
        """<table><tr><th>Menu</th><th>Page</th></tr><tr><td><p>Home</p></td><td>
<h2>News</h2><p>First paragraph.</p><p>Second paragraph.</p>
<table><tr><th>Day</th><th>Event</th></tr><tr><td>Mon</td><td>Open</td></tr></table>
</td></tr></table>
<table role="presentation"><tr><th>x</th><th>y</th></tr>
<tr><td><p>p1</p><p>p2</p></td></tr></table>"""
    )
    assert lines(text) == [
        "Menu | Page",
        "Home",
        "News",
        "First paragraph.",
        "Second paragraph.",
        "Day | Event",  # a data table inside a layout table is a data table
        "Mon | Open",
        "x | y",
        "p1",
        "p2",
    ]
    assert headings == [Heading(2, "News"), Heading(0, "Day | Event", table_end="Mon | Open")]


def test_a_chunk_inside_a_table_has_its_header_as_context_and_the_text_after_does_not() -> None:
    rows = "".join(f"<tr><td>setting_{i}</td><td>{i} ms</td></tr>" for i in range(40))
    _, text, headings = read_html(
        f"<h1>Settings</h1><p>Intro.</p><table><tr><th>Name</th><th>Default</th></tr>{rows}"
        "</table><p>Closing words after the table.</p>"
    )
    sections = locate_sections(headings, text, [0])
    chunks = chunk_pages([text], lambda s: len(s.split()), 12, 0, section_bounds(sections))
    contexts = {c.text.splitlines()[0]: context_at(sections, text, c.char_start, c.char_end, "")
                for c in chunks}  # fmt: skip
    assert contexts.pop("Settings") == "Settings"  # the lead-in and the table start together
    assert contexts.pop("Closing words after the table.") == "Settings"
    assert contexts and all(c == "Settings › Name | Default" for c in contexts.values())
    assert all(text[c.char_start : c.char_end] == c.text for c in chunks)


def make_docx(
    rows: list[tuple[str, ...]], header_marked: bool = False, copies: int = 0, span: int = 0
) -> bytes:
    """A document with a table of ``rows``, its last row repeated ``copies`` more times."""
    document = docx.Document()
    document.add_heading("Limits", level=1)
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    last = table.rows[-1]._tr
    if span:  # the last row's first cell spans this many grid columns
        properties = last.tc_lst[0].get_or_add_tcPr()
        properties.append(properties.makeelement(qn("w:gridSpan"), {qn("w:val"): str(span)}))
    for number in range(copies):  # python-docx's table.cell() is slow on a large table
        row = copy.deepcopy(last)
        row.xpath(".//w:t")[0].text += str(number)  # distinct rows: not a zip bomb
        table._tbl.append(row)
    if header_marked:
        row_properties = table.rows[0]._tr.get_or_add_trPr()
        row_properties.append(row_properties.makeelement(qn("w:tblHeader"), {}))
    document.add_paragraph("After the table.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_first_row_of_a_table_is_its_header() -> None:
    rows = [("Item", "Upper Limit"), ("columns per table", "1,600"), ("field size", "1 GB")]
    _, text, headings = read_docx(make_docx(rows), LIMITS_ARCHIVE)
    assert lines(text)[1:4] == [
        "Item | Upper Limit",
        "columns per table | 1,600",
        "field size | 1 GB",
    ]
    assert headings[1:] == [Heading(0, "Item | Upper Limit", table_end="field size | 1 GB")]


@pytest.mark.parametrize(("marked", "expected"), [(False, 0), (True, 1)])
def test_docx_one_column_table_has_a_header_only_when_marked(marked: bool, expected: int) -> None:
    rows = [("Notes",), ("first",), ("second",)]
    _, _, headings = read_docx(make_docx(rows, header_marked=marked), LIMITS_ARCHIVE)
    assert len(headings) == 1 + expected


def test_hostile_html_tables_are_cheap() -> None:
    header = "<tr><th>Key</th><th>Value</th></tr>"
    huge = "<table>" + header + "<tr><td>k</td><td>v</td></tr>" * 10_000 + "</table>"
    nested = "<table><tr><td>x</td><td>" * 5_000 + "deep" + "</td></tr></table>" * 5_000
    spans = '<table><tr><th colspan="1000">wide</th></tr><tr><td rowspan="1000">x</td></tr></table>'
    started = time.perf_counter()
    _, text, headings = read_html(huge)
    assert len(lines(text)) == 10_001
    assert headings == [Heading(0, "Key | Value", table_end="k | v")]
    _, text, _ = read_html(nested)
    assert "deep" in text
    _, text, _ = read_html(spans)
    assert lines(text) == ["wide", "x"]
    assert time.perf_counter() - started < 10  # about a second here


def test_docx_tables_of_10k_rows_are_cheap() -> None:
    data = make_docx([("Key", "Value"), ("k", "v")], copies=9_999)
    wide = make_docx([("Wide",), ("x",)], copies=9_999, span=1000)
    started = time.perf_counter()
    _, text, _ = read_docx(wide, LIMITS_ARCHIVE)
    assert len(lines(text)) == 10_003
    _, text, headings = read_docx(data, LIMITS_ARCHIVE)
    assert len(lines(text)) == 10_003
    assert headings[1] == Heading(0, "Key | Value", table_end="k9998 | v")
    assert time.perf_counter() - started < 40  # 5-10 s on a busy 2-core machine


SETTINGS = [
    ("shared_buffers", "128MB", "8TB"),
    ("work_mem", "4MB", "2TB"),
    ("vacuum_cost_limit", "200", "10000"),
    ("checkpoint_timeout", "5min", "1d"),
    ("effective_cache_size", "4GB", "16TB"),
    ("temp_buffers", "8MB", "1TB"),
    ("bgwriter_delay", "200ms", "10s"),
    ("deadlock_timeout", "1s", "24d"),
    ("autovacuum_naptime", "1min", "24d12h"),
    ("wal_writer_delay", "200ms", "10000ms"),
]


def settings_page() -> bytes:
    # The same rows in two tables: only a table's header says which value a row gives.
    def table(column: int, header: str) -> str:
        rows = "".join(f"<tr><td>{s[0]}</td><td>{s[column]}</td></tr>" for s in SETTINGS)
        return f"<table><thead><tr><th>Parameter</th><th>{header}</th></tr></thead>{rows}</table>"

    return f"""<html><head><title>Server settings</title></head><body><h1>Server settings</h1>
<p>The settings below are read at server start.</p>{table(1, "Default value")}
<p>No setting may be raised beyond these limits.</p>{table(2, "Maximum value")}
</body></html>""".encode()


@pytest.mark.integration
def test_a_row_is_found_by_a_question_naming_its_column_header(tmp_path, model_cache_dir):
    from app.kotae import Kotae
    from app.settings import Settings

    (tmp_path / "settings.html").write_bytes(settings_page())
    settings = Settings(
        data_dir=tmp_path / "data",
        model_cache_dir=model_cache_dir,
        chunk_tokens=48,  # a few rows a chunk: the header row is in the first one only
        chunk_overlap_tokens=0,
    )
    kotae = Kotae(settings)
    try:
        kotae.ingesting.ingest([tmp_path / "settings.html"], "default")
        right = 0
        for name, default, maximum in SETTINGS[3:]:  # rows whose chunks start inside the table
            for header, value in (("default value", default), ("maximum value", maximum)):
                hits = kotae.searching.search(f"What is the {header} of {name}?")
                row = next(h.chunk for h in hits if name in h.chunk.text)
                if row.context.lower().endswith(f"parameter | {header}"):
                    assert f"{name} | {value}" in row.text  # the row, verbatim
                    right += 1
        # Without the header in context the two rows differ only in their values: a coin toss.
        assert right >= 12, f"{right} of 14 rows found in the table their question names"
    finally:
        kotae.close()


def test_a_table_whose_last_row_is_not_found_ends_at_the_next_blank_line() -> None:
    text = "Intro\n\nName | Value\na | 1\nb | 2\n\nAfter"
    table = Heading(0, "Name | Value", table_end="changed by normalization")
    sections = locate_sections([Heading(1, "Intro"), table], text, [0])
    after = text.index("After")
    assert context_at(sections, text, text.index("b | 2"), after - 2, "") == "Intro › Name | Value"
    assert context_at(sections, text, after, len(text), "") == "Intro"
    assert section_bounds(sections) == [(0, len("Intro"))]  # a table does not bound chunks
