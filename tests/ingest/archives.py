"""Hostile and odd zip files for the loader tests, built small and fast with zipfile streaming."""

import io
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx

GIB = 1024 * 1024 * 1024
MB = 1024 * 1024


def word_document(heading: str = "導入と目的", core_title: str | None = "") -> bytes:
    """A real DOCX from python-docx; ``core_title=None`` drops the core-properties part."""
    document = docx.Document()
    if core_title is not None:
        document.core_properties.title = core_title
    document.add_heading(heading, level=1)
    document.add_paragraph("本文の段落です。検索に使います。")
    out = io.BytesIO()
    document.save(out)
    data = out.getvalue()
    return data if core_title is not None else without_core_properties(data)


def without_core_properties(data: bytes) -> bytes:
    """The DOCX with docProps/core.xml and every reference to it removed."""

    def edit(name: str, content: bytes) -> bytes | None:
        if name == "docProps/core.xml":
            return None
        if name in ("_rels/.rels", "[Content_Types].xml"):
            text = content.decode()
            text = re.sub(r"<Relationship [^>]*core-properties\"[^>]*/>", "", text)
            text = re.sub(r"<Override [^>]*docProps/core.xml\"[^>]*/>", "", text)
            return text.encode()
        return content

    return rewrite(data, edit)


def rewrite(
    data: bytes, edit: Callable[[str, bytes], bytes | None], extra: dict[str, bytes] | None = None
) -> bytes:
    """Copy a zip, passing each entry through ``edit(name, bytes) -> bytes | None``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = edit(info.filename, source.read(info))
            if content is not None:
                target.writestr(info.filename, content)
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def with_entries(extra: dict[str, bytes]) -> bytes:
    return rewrite(word_document(), lambda _name, content: content, extra)


def _stream_entry(target: zipfile.ZipFile, name: str, size: int, head: bytes = b"") -> None:
    """Write ``head`` then ``size`` bytes of spaces, a megabyte at a time."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    chunk = b" " * MB
    with target.open(info, "w", force_zip64=size >= 0xFFFFFFFF) as stream:
        stream.write(head)
        for _ in range(size // MB):
            stream.write(chunk)


def docx_bomb(path: Path, size: int = GIB) -> Path:
    """A real DOCX whose word/document.xml is ``size`` bytes of XML whitespace (about 1 MB)."""
    with (
        zipfile.ZipFile(io.BytesIO(word_document())) as source,
        zipfile.ZipFile(path, "w") as target,
    ):
        for info in source.infolist():
            if info.filename != "word/document.xml":
                target.writestr(info.filename, source.read(info), zipfile.ZIP_DEFLATED)
        _stream_entry(target, "word/document.xml", size, b'<?xml version="1.0"?>')
    return path


def lying_bomb(path: Path, real_size: int = 300 * MB, declared: int = 1000) -> Path:
    """A DOCX whose document.xml declares ``declared`` bytes but inflates to ``real_size``."""
    docx_bomb(path, real_size)
    data = bytearray(path.read_bytes())
    name = b"word/document.xml"
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            name_offset = 30 if signature == b"PK\x03\x04" else 46
            if data[at + name_offset : at + name_offset + len(name)] == name:
                struct.pack_into("<I", data, at + size_offset, declared)
            start = at + 4
    path.write_bytes(bytes(data))
    return path


def many_entries(count: int = 10_000) -> bytes:
    return with_entries({f"extra/item{i}.xml": b"<a/>" for i in range(count)})


def nested_zip(folder: str = "word/media/") -> bytes:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner.txt", b"x" * 1000)
    return with_entries({f"{folder}inner.zip": inner.getvalue()})


def high_ratio(size: int = 40 * MB) -> bytes:
    """A DOCX with an extra part that expands about 1000 times, under any size limit."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(word_document())) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, source.read(info), zipfile.ZIP_DEFLATED)
        _stream_entry(target, "customXml/padding.xml", size)
    return out.getvalue()
