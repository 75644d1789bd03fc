"""Installed without the [cpu] or [gpu] extra: the CLI says which extra to install, no traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# What `import faiss` does when no FAISS package is installed.
_WITHOUT_FAISS = "import sys; sys.modules['faiss'] = None; from app.cli import main; main()"


def kotae_without_faiss(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_FAISS, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "KOTAE_DATA_DIR": str(data_dir), "COLUMNS": "200"},
    )


@pytest.mark.parametrize("args", [["ingest", "notes.txt"], ["serve", "--port", "9"]])
def test_missing_faiss_names_the_extra_to_install(tmp_path: Path, args: list[str]) -> None:
    done = kotae_without_faiss(*args, data_dir=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "FAISS is not installed" in done.stderr
    assert "pip install 'kotae[cpu]'" in done.stderr and "'kotae[gpu]'" in done.stderr


def test_help_works_without_faiss(tmp_path: Path) -> None:
    done = kotae_without_faiss("--help", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ingest" in done.stdout
