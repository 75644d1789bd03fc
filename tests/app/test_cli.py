"""The `kotae` command end to end, in a subprocess, with the real model, FAISS and SQLite."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def kotae(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        cwd=ROOT,
        env={**os.environ, "KOTAE_DATA_DIR": str(data_dir), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=600,
    )


def search(data_dir: Path, query: str) -> list[dict]:
    result = kotae(data_dir, "search", query, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["hits"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, seeds_dir):
    data_dir = tmp_path_factory.mktemp("cli")
    result = kotae(data_dir, "ingest", str(seeds_dir))
    assert result.returncode == 0, result.stderr
    assert "added 5" in result.stderr
    return data_dir


def test_search_finds_the_venue_then_reingest_is_a_no_op(seeded, seeds_dir):
    hits = search(seeded, "熊本城ホール")
    assert Path(hits[0]["source"]).name == "001_03a11d71a9f24c47.txt"
    assert "熊本城ホール" in hits[0]["text"]
    assert set(hits[0]) >= {"chunk_id", "document_id", "source", "title", "page", "text", "score"}
    before = json.loads(kotae(seeded, "documents", "list", "--json").stdout)["documents"]
    again = kotae(seeded, "ingest", str(seeds_dir))
    assert again.returncode == 0
    assert "added 0, updated 0, unchanged 5" in again.stderr
    after = json.loads(kotae(seeded, "documents", "list", "--json").stdout)["documents"]
    assert [(d["id"], d["chunks"], d["updated_at"]) for d in after] == [
        (d["id"], d["chunks"], d["updated_at"]) for d in before
    ]


def test_eval_is_a_ci_gate(seeded):
    from tests.conftest import DEV_QA

    result = kotae(seeded, "eval", str(DEV_QA), "--json", "--min-recall", "0.9")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["recall@5"] >= 0.9 and summary["answers"]["abstained_when_unanswerable"] == 1
    assert len(summary["per_question"]) == summary["questions"]
    failing = kotae(seeded, "eval", str(DEV_QA), "--no-answers", "--min-recall", "1.01")
    assert failing.returncode == 1 and "below --min-recall" in failing.stderr


def test_a_question_about_nothing_is_not_answered(seeded):
    """On the seed decks "何ですか？" retrieved passages that passed the similarity threshold,
    and the extractive answer quoted a slide footer."""
    for question in ("何ですか？", "??", "What is it?"):
        result = kotae(seeded, "ask", question, "--json")
        assert result.returncode == 0, result.stderr
        body = json.loads(result.stdout)
        assert body["abstained"] and body["citations"] == [], (question, body["answer"])
        assert body["passages"], question  # the closest passages are still listed
    asked = json.loads(kotae(seeded, "ask", "StarCoderのパラメータ数は？", "--json").stdout)
    assert not asked["abstained"] and "15.5B" in asked["answer"]


def test_delete_removes_the_document_from_search_at_once(seeded, seeds_dir):
    doc_id = search(seeded, "熊本城ホール")[0]["document_id"]
    assert kotae(seeded, "documents", "delete", str(doc_id)).returncode == 0
    assert all(h["document_id"] != doc_id for h in search(seeded, "熊本城ホール"))
    missing = kotae(seeded, "documents", "show", str(doc_id))
    assert missing.returncode == 2 and f"no document with id {doc_id}" in missing.stderr
    # Ingesting the folder again brings back exactly the deleted document.
    again = kotae(seeded, "ingest", str(seeds_dir))
    assert "added 1, updated 0, unchanged 4" in again.stderr


def make_pdf(path: Path, lines: list[str]) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    pdf = canvas.Canvas(str(path))
    pdf.setFont("HeiseiMin-W3", 12)
    for i, line in enumerate(lines):
        pdf.drawString(72, 750 - 20 * i, line)
    pdf.showPage()
    pdf.save()


def test_bad_files_are_named_and_lose_nothing(tmp_path):
    data_dir = tmp_path / "data"
    first = tmp_path / "first"
    first.mkdir()
    (first / "kept.md").write_text("# 灯台\n岬の灯台は1902年に点灯しました。\n", encoding="utf-8")
    assert kotae(data_dir, "ingest", str(first)).returncode == 0
    kept = json.loads(kotae(data_dir, "documents", "list", "--json").stdout)["documents"]

    bad = tmp_path / "bad"
    bad.mkdir()
    make_pdf(tmp_path / "whole.pdf", ["港の朝市は毎週日曜日に開かれます。"])
    data = (tmp_path / "whole.pdf").read_bytes()
    (bad / "truncated.pdf").write_bytes(data[: len(data) // 2])
    (bad / "empty.txt").write_bytes(b"")
    (bad / "noise.txt").write_bytes(bytes(range(256)) * 64)
    (bad / "good.txt").write_text(
        "山あいの温泉は開湯から八百年の歴史があります。", encoding="shift_jis"
    )
    result = kotae(data_dir, "ingest", str(bad))
    assert result.returncode == 1
    out = result.stderr
    for name in ("truncated.pdf", "empty.txt", "noise.txt"):
        line = next(line for line in out.splitlines() if name in line)
        assert "failed" in line and ":" in line.split(name, 1)[1], line
    assert "added 1" in out and "failed 3" in out
    assert "温泉" in search(data_dir, "温泉の歴史は何年")[0]["text"]
    after = json.loads(kotae(data_dir, "documents", "list", "--json").stdout)["documents"]
    old = next(d for d in after if d["id"] == kept[0]["id"])
    assert (old["chunks"], old["content_hash"], old["updated_at"]) == (
        kept[0]["chunks"],
        kept[0]["content_hash"],
        kept[0]["updated_at"],
    )
    assert "灯台" in search(data_dir, "灯台はいつ点灯した")[0]["text"]


def test_oversize_files_are_refused_with_a_message(tmp_path):
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "big.txt").write_text("大" * 5000, encoding="utf-8")
    env_dir = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", "ingest", str(folder)],
        cwd=ROOT,
        env={**os.environ, "KOTAE_DATA_DIR": str(env_dir), "KOTAE_MAX_FILE_BYTES": "1000"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1
    assert "over the" in result.stderr and "big.txt" in result.stderr


def test_missing_path_and_unknown_types(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    result = kotae(tmp_path / "data", "ingest", str(folder), str(tmp_path / "nope"))
    assert result.returncode == 1  # the missing path is a failure; the .png only a skip
    assert "skipped" in result.stderr and "photo.png" in result.stderr
    assert "no such file or folder" in result.stderr
    shutil.rmtree(folder)
