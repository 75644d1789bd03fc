"""Zip bombs and other hostile archives are refused before parsing, in bounded memory."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.archive import ArchiveLimits, check_archive
from ingest.errors import FileTooLargeError, IngestError, LoadError
from ingest.loaders import LoadLimits, load_bytes
from tests.ingest import archives
from tests.ingest.limits import LIMITS

ROOT = Path(__file__).resolve().parents[2]
# Peak memory a refused bomb may add to the process; the same 1 MB file inflated in memory
# takes over 1 GiB (and python-docx's parse of it several more).
MEMORY_BOUND_MB = 300

_CHILD = """
import json, sys
from pathlib import Path
from ingest.errors import IngestError
from ingest.loaders import load_path
from tests.ingest.limits import LIMITS

def peak_mb():
    # VmHWM, not ru_maxrss: across exec Linux keeps the parent's (pytest's) high-water mark
    # in ru_maxrss, which would hide anything this process adds below it.
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024

before = peak_mb()
try:
    document = load_path(Path(sys.argv[1]), LIMITS)
    result = {"loaded": document.title}
except IngestError as error:
    result = {"error": type(error).__name__, "reason": str(error)}
result["added_mb"] = peak_mb() - before
print(json.dumps(result))
"""


def load_in_child(path: Path) -> dict[str, object]:
    """Load ``path`` in a fresh interpreter; report the outcome and the peak memory it added."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return archives.docx_bomb(tmp_path_factory.mktemp("bombs") / "bomb.docx")


@pytest.fixture(scope="module")
def lying_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return archives.lying_bomb(tmp_path_factory.mktemp("bombs") / "lying.docx")


@pytest.mark.integration
def test_gigabyte_docx_bomb_is_refused_in_bounded_memory(bomb: Path) -> None:
    assert bomb.stat().st_size < 2 * archives.MB  # 1 GiB of XML inside
    started = time.monotonic()
    result = load_in_child(bomb)
    assert result["error"] == "FileTooLargeError"
    assert result["reason"] == "DOCX refused: word/document.xml decompresses to over 200 MB"
    assert result["added_mb"] < MEMORY_BOUND_MB  # type: ignore[operator]
    assert time.monotonic() - started < 30


@pytest.mark.integration
def test_lying_declared_size_is_refused_in_bounded_memory(lying_bomb: Path) -> None:
    # zipfile stops inflating at the declared size, so the lie shows as a CRC mismatch; the
    # archive check also counts what it inflates, in case a reader ever trusts the stream.
    result = load_in_child(lying_bomb)
    assert result["error"] == "LoadError"
    assert str(result["reason"]).startswith("corrupt DOCX: Bad CRC-32")
    assert result["added_mb"] < MEMORY_BOUND_MB  # type: ignore[operator]


@pytest.mark.unit
def test_size_limit_holds_per_part_and_in_total() -> None:
    data = archives.high_ratio(40 * archives.MB)
    limits = ArchiveLimits(max_unzipped_bytes=30 * archives.MB, max_ratio=10**6)
    with pytest.raises(FileTooLargeError, match=r"^DOCX refused: .* decompresses to over 30 MB"):
        check_archive(data, "DOCX", limits)
    two = archives.with_entries({"a.xml": b" " * (3 * archives.MB), "b.xml": b" " * 3_000_000})
    with pytest.raises(FileTooLargeError, match="its contents decompress to over 5 MB"):
        check_archive(two, "DOCX", ArchiveLimits(5 * archives.MB, max_ratio=10**6))


@pytest.mark.unit
def test_entry_count_is_checked_before_the_directory_is_parsed() -> None:
    with pytest.raises(LoadError, match=r"^DOCX refused: over 5000 entries in the archive$"):
        load_bytes(archives.many_entries(10_000), "many.docx", LIMITS)


@pytest.mark.unit
def test_compression_ratio_is_bounded() -> None:
    with pytest.raises(LoadError, match=r"customXml/padding.xml expands over 100 times"):
        load_bytes(archives.high_ratio(), "padded.docx", LIMITS)


@pytest.mark.unit
def test_nested_archives_are_refused_outside_the_embeddings_folder() -> None:
    with pytest.raises(LoadError, match=r"^DOCX refused: word/media/inner.zip is a nested archive"):
        load_bytes(archives.nested_zip("word/media/"), "nested.docx", LIMITS)
    # Word keeps embedded workbooks (zip files) in word/embeddings/: never opened, not refused.
    assert (
        load_bytes(archives.nested_zip("word/embeddings/"), "chart.docx", LIMITS).title
        == "導入と目的"
    )


@pytest.mark.unit
def test_bzip2_and_lzma_entries_are_refused() -> None:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("word/document.xml", b"<a/>")
    with pytest.raises(LoadError, match="uses compression method 12, not stored or deflated"):
        load_bytes(out.getvalue(), "odd.docx", LIMITS)


@pytest.mark.unit
def test_limits_are_passed_in_not_read_from_settings() -> None:
    data = archives.word_document()
    assert load_bytes(data, "ok.docx", LIMITS).title == "導入と目的"
    with pytest.raises(FileTooLargeError, match=r"^DOCX refused: .* decompresses to over 19 KB$"):
        load_bytes(data, "ok.docx", LoadLimits(LIMITS.max_text_chars, ArchiveLimits(20_000)))


@pytest.mark.unit
def test_entity_expansion_in_docx_xml_is_not_performed() -> None:
    """Billion laughs: python-docx's parser does not resolve entities and libxml2 caps them."""
    lol = '<!ENTITY a "lollollollollol">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )

    def inject(name: str, content: bytes) -> bytes:
        if name != "word/document.xml":
            return content
        text = content.decode()
        prolog_end = text.index("?>") + 2
        text = f"{text[:prolog_end]}<!DOCTYPE w:document [{lol}]>{text[prolog_end:]}"
        return text.replace("本文の段落です。", "&j;").encode()

    data = archives.rewrite(archives.word_document(), inject)
    started = time.monotonic()
    try:
        text = load_bytes(data, "lol.docx", LIMITS).pages[0]
    except IngestError as error:
        assert str(error).startswith("corrupt DOCX")
    else:
        assert "lol" not in text
    assert time.monotonic() - started < 5


@pytest.mark.unit
def test_docx_without_core_properties_is_titled_by_its_heading_or_name() -> None:
    data = archives.word_document(core_title=None)
    assert load_bytes(data, "report.docx", LIMITS).title == "導入と目的"  # not "Word Document"
    no_heading = archives.rewrite(
        data, lambda name, content: content.replace(b"Heading1", b"Normal")
    )
    assert load_bytes(no_heading, "report.docx", LIMITS).title == "report"
