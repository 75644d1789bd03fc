"""`kotae ingest` prints file names and reasons as text: brackets in them are not console markup."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.ingest import archives

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_names_and_reasons_with_brackets_are_printed_as_they_are(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    # A reason quotes the start of a file that is not a PDF; "[/oops]" closed no open tag and
    # made rich raise, "[bold]" vanished.
    (folder / "[bold]notes.pdf").write_bytes(b"[/oops] not a PDF")
    (folder / "nested.docx").write_bytes(archives.nested_zip())
    (folder / "good.txt").write_text("港の朝市は毎週日曜日に開かれます。", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", "ingest", str(folder)],
        cwd=ROOT,
        env={**os.environ, "KOTAE_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert '[bold]notes.pdf: not a PDF: the file starts with "[/oops] not a PDF"' in result.stderr
    assert "nested.docx: DOCX refused: word/media/inner.zip is a nested archive" in result.stderr
    assert "added 1" in result.stderr and "failed 2" in result.stderr
