"""Every loader fed mutated real files: loaded or refused with an IngestError, in bounded memory."""

import encodings.aliases
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.loaders import load_bytes
from ingest.text import strip_markdown
from tests.ingest.limits import LIMITS

ROOT = Path(__file__).resolve().parents[2]
PEAK_MEMORY_MB = 400  # the fuzz peaks near 120 MB; a decompression bomb would pass 1 GB


@pytest.mark.integration
def test_fuzzed_files_are_loaded_or_refused_in_bounded_memory() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from tests.ingest.loader_fuzz import main; main()"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-6000:]  # hypothesis prints the failing file
    report = json.loads(done.stdout.strip().splitlines()[-1])
    outcomes = report["outcomes"]
    assert outcomes["loaded"] > 50 and outcomes["refused: LoadError"] > 50, outcomes
    assert report["peak_mb"] < PEAK_MEMORY_MB


@pytest.mark.unit
@pytest.mark.parametrize("label", sorted(set(encodings.aliases.aliases.values()) | {"undefined"}))
def test_html_with_any_charset_label_loads_or_is_refused(label: str) -> None:
    # A Python-only codec named in <meta charset> ("undefined" raised UnicodeError) is ignored.
    html = f'<html><head><meta charset="{label}"></head><body><p>早春の花 spring</p></body></html>'
    try:
        document = load_bytes(html.encode(), "page.html", LIMITS)
    except IngestError:
        return
    assert "spring" in document.pages[0]


@pytest.mark.unit
@pytest.mark.parametrize("unit", ["[a", "![a", "**a ", "__a ", "<http:", "`a``", "[a]["])
def test_markdown_cleanup_is_linear_on_unclosed_markup(unit: str) -> None:
    text = unit * 50_000  # quadratic patterns took 7-10 s at 20,000 repetitions
    started = time.monotonic()
    strip_markdown(text)
    assert time.monotonic() - started < 2
