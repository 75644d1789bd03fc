"""OCR through the application: KOTAE_OCR, the missing-Tesseract message, and a scanned PDF
found by `kotae ingest` then /v1/search on a real server."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from app.ocr_setup import choose_ocr
from app.settings import Settings
from ingest.ocr import INSTALL_COMMAND, OcrUnavailable, TesseractOcr
from tests.app.test_cli import kotae
from tests.conftest import ROOT
from tests.ingest.scans import SCAN_PAGES, need_ocr, scanned_pdf

NOT_INSTALLED = f"Tesseract is not installed; install it with: {INSTALL_COMMAND}"


@pytest.mark.unit
def test_ocr_setting_is_auto_or_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().ocr == "auto"
    monkeypatch.setenv("KOTAE_OCR", "off")
    assert Settings().ocr == "off"
    for bad in (("KOTAE_OCR", "on"), ("KOTAE_OCR_LANGUAGES", "jpn; rm -rf /")):
        monkeypatch.setenv(*bad)
        with pytest.raises(ValidationError):
            Settings()
        monkeypatch.delenv(bad[0])


@pytest.mark.unit
def test_off_never_looks_for_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", os.devnull)
    assert choose_ocr("off", "jpn", 60) == OcrUnavailable("OCR is off (KOTAE_OCR=off)")


@pytest.mark.unit
def test_auto_without_tesseract_warns_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PATH", os.devnull)
    with caplog.at_level(logging.WARNING, logger="app.ocr_setup"):
        assert choose_ocr("auto", "jpn", 60) == OcrUnavailable(NOT_INSTALLED)
    assert caplog.messages == [f"OCR is off, scanned PDF pages will not be read: {NOT_INSTALLED}"]


@pytest.mark.unit
def test_auto_uses_tesseract_when_it_has_the_languages() -> None:
    need_ocr()
    assert choose_ocr("auto", "jpn", 60) == TesseractOcr("jpn", 60)
    missing = choose_ocr("auto", "jpn+klingon", 60)
    assert missing == OcrUnavailable(
        f"Tesseract's language data klingon is not installed; install it with: {INSTALL_COMMAND}"
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ocr-files")
    (folder / "scan.pdf").write_bytes(scanned_pdf(SCAN_PAGES))
    (folder / "note.txt").write_text("山桜印刷機の保証期間は購入から二年です。\n", encoding="utf-8")
    return folder


@pytest.mark.integration
def test_without_tesseract_the_scan_fails_and_the_rest_is_ingested(
    files: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", "ingest", str(files)],
        cwd=ROOT,
        env={**os.environ, "KOTAE_DATA_DIR": str(tmp_path), "PATH": os.devnull, "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stderr
    failed = f"failed {files}/scan.pdf: no text layer (image-only PDF?); {NOT_INSTALLED}"
    assert failed in result.stderr.splitlines()
    assert "added 1," in result.stderr and "failed 1," in result.stderr


@pytest.mark.integration
@pytest.mark.slow
def test_a_scanned_pdf_is_ingested_and_searchable(files: Path, tmp_path: Path, serve) -> None:
    need_ocr()
    data_dir = tmp_path / "data"
    result = kotae(data_dir, "ingest", str(files))
    assert result.returncode == 0, result.stderr
    assert f"warning {files}/scan.pdf: 1 warning: OCR read 2 pages in " in result.stderr

    server = serve(data_dir)
    for query, page, sentence in (
        ("紙が詰まったときはどうする？", 2, "背面の緑色のレバーを引きます"),
        ("印刷機は壁から何センチ離す？", 1, "壁から三十センチ以上離して"),
        ("トナーの交換方法", 2, "黄色い取っ手を持ち上げて"),
    ):
        response = httpx.post(f"{server.base_url}/v1/search", json={"query": query}, timeout=60)
        assert response.status_code == 200, response.text
        top = response.json()["hits"][0]
        assert top["source"] == str(files / "scan.pdf"), top
        assert top["page"] <= page <= top["page_end"] and sentence in top["text"], top
