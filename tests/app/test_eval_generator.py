"""`kotae eval` with a generator: every question is answered by it, not only the first.

The eval used to run one event loop per question with one async HTTP client: the client's
connections belonged to the first loop, and from the second question on every answer fell
back to the extractive one with a "generator unavailable" warning.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT
from tests.generator.fake_openai_server import FakeOpenAIServer, running

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FACTS = (
    "The Riverside Library opened in 1987 and holds 48,000 books.\n\n"
    "The library is open from 9 am to 8 pm on weekdays.\n\n"
    "Its reading room has 120 seats and free wifi.\n"
)
REPLY = "The Riverside Library holds 48,000 books. [1]"
QUESTIONS = [
    {
        "id": "books",
        "q": "How many books does the Riverside Library hold?",
        "answer_any": ["48,000"],
    },
    {"id": "hours", "q": "When is the Riverside Library open?", "answer_any": ["48,000"]},
    {"id": "seats", "q": "How many seats does the Riverside Library reading room have?"},
]


@pytest.fixture(scope="module")
def fake_generator() -> Iterator[FakeOpenAIServer]:
    with running(FakeOpenAIServer()) as fake:
        fake.replies["eval"] = REPLY
        yield fake


def kotae(data_dir, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        cwd=ROOT,
        env={**os.environ, "KOTAE_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_eval_with_a_generator_answers_every_question_with_it(tmp_path, fake_generator):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "library.txt").write_text(FACTS, encoding="utf-8")
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n", encoding="utf-8")
    data = tmp_path / "data"
    ingested = kotae(data, "ingest", str(docs))
    assert ingested.returncode == 0, ingested.stderr

    result = kotae(
        data,
        "eval",
        str(qa),
        "--json",
        KOTAE_GENERATOR_URL=fake_generator.base_url("eval"),
        KOTAE_MIN_ANSWER_SCORE="0",  # every question goes to the generator
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["per_question"]
    assert [r["id"] for r in rows] == ["books", "hours", "seats"]
    for row in rows:
        assert (row["mode"], row["warnings"]) == ("generative", []), row
        assert row["answer"] == REPLY
    assert len(fake_generator.chat_requests("eval")) == len(QUESTIONS)
