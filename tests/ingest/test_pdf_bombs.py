"""PDFs whose page content expands far beyond the file are refused before pypdf parses it."""

import io
import time

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    StreamObject,
)

from ingest.errors import LoadError
from ingest.loaders import load_bytes
from tests.ingest.limits import LIMITS

pytestmark = pytest.mark.unit

REFUSED = (
    r"^PDF refused: its page content expands to over 100 times the file's size "
    r"\(a decompression bomb\?\)$"
)
SHOW_TEXT = b"(aaaaaaaaaa) Tj "


def _stream(data: bytes, **entries: object) -> StreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    stream.update({NameObject(k): v for k, v in entries.items()})  # type: ignore[misc]
    return stream.flate_encode()


def bomb_pdf(content: bytes, form: bytes | None = None) -> bytes:
    """One page drawing ``content`` in Helvetica; ``form`` becomes the form XObject /X0."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    name = NameObject
    font = writer._add_object(
        DictionaryObject(
            {name("/Type"): name("/Font"), name("/Subtype"): name("/Type1"),
             name("/BaseFont"): name("/Helvetica")}
        )
    )  # fmt: skip
    fonts = DictionaryObject({name("/F1"): font})
    resources = DictionaryObject({name("/Font"): fonts})
    if form is not None:
        box = ArrayObject([FloatObject(0), FloatObject(0), FloatObject(612), FloatObject(792)])
        x0 = _stream(
            b"BT /F1 12 Tf 10 10 Td " + form + b"ET\n",
            **{"/Type": name("/XObject"), "/Subtype": name("/Form"), "/BBox": box,
               "/Resources": DictionaryObject({name("/Font"): fonts})},
        )  # fmt: skip
        resources[name("/XObject")] = DictionaryObject({name("/X0"): writer._add_object(x0)})
    page[name("/Contents")] = writer._add_object(_stream(content))
    page[name("/Resources")] = resources
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_highly_compressed_page_content_is_refused_at_once() -> None:
    data = bomb_pdf(b"BT /F1 12 Tf 10 10 Td " + SHOW_TEXT * 600_000 + b"ET\n")  # 9.6 MB
    assert len(data) < 30_000
    started = time.monotonic()
    with pytest.raises(LoadError, match=REFUSED):
        load_bytes(data, "bomb.pdf", LIMITS)
    assert time.monotonic() - started < 2  # parsing it took over four minutes


def test_a_form_drawn_thousands_of_times_is_counted_at_each_use() -> None:
    data = bomb_pdf(b"/X0 Do\n" * 10_000, form=SHOW_TEXT * 6_000)  # 96 KB drawn 10,000 times
    assert len(data) < 2_000
    started = time.monotonic()
    with pytest.raises(LoadError, match=REFUSED):
        load_bytes(data, "forms.pdf", LIMITS)
    assert time.monotonic() - started < 2  # parsing it would take half an hour
    # Escaped names (#30 is "0") are the same form.
    with pytest.raises(LoadError, match=REFUSED):
        load_bytes(bomb_pdf(b"/X#30 Do\n" * 10_000, form=SHOW_TEXT * 6_000), "forms.pdf", LIMITS)


def test_forms_drawn_a_few_times_still_load() -> None:
    document = load_bytes(bomb_pdf(b"/X0 Do\n" * 3, form=SHOW_TEXT * 50), "ok.pdf", LIMITS)
    assert document.pages[0].count("aaaaaaaaaa") == 150
