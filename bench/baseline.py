"""Kotae's embedded defaults beside the naive fixed-window baseline, on one QA file, in one run.

The baseline is the one issue 11 names: fixed 400-character windows of each document's text
(no sentence or heading awareness), BM25 over the same fugashi tokens and the same
multilingual-e5 fused with RRF. Only the chunking differs, so the ratio says what Kotae's
chunking and answers earn over it. Both are ingested (or reused from --data-dir /
--baseline-data-dir) and evaluated with `kotae eval`'s metrics, extractive answers included.

    python bench/baseline.py --corpus DIR --qa FILE [--data-dir D] [--baseline-data-dir B]
"""

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SEEDS, machine

WINDOW_CHARS = 400


def fixed_windows(
    pages: list[str], count_tokens: Callable[[str], int], max_tokens: int, overlap_tokens: int
) -> list[Any]:
    """The baseline's chunker, in `ingest.chunking.chunk_pages`' place: 400-character windows."""
    from ingest.chunking import TextChunk
    from text.pages import join_pages, page_of

    text, offsets = join_pages(pages)
    windows = []
    for start in range(0, len(text), WINDOW_CHARS):
        end = min(start + WINDOW_CHARS, len(text))
        piece = text[start:end]
        if piece.strip():
            pages_of = page_of(offsets, start), page_of(offsets, end - 1)
            windows.append(TextChunk(piece, start, end, *pages_of, count_tokens(piece)))
    return windows


def run(data_dir: Path, corpus: Path, qa: Path, naive: bool) -> dict[str, Any]:
    import ingest.pipeline
    from app.evaluation import evaluate, load_questions
    from app.kotae import Kotae
    from app.settings import Settings

    chunker = ingest.pipeline.chunk_pages
    if naive:
        ingest.pipeline.chunk_pages = fixed_windows
    kotae = Kotae(Settings(data_dir=data_dir))
    try:
        started = time.perf_counter()
        report = kotae.ingesting.ingest([corpus], ingest.pipeline.DEFAULT_COLLECTION)
        seconds = time.perf_counter() - started
        summary = evaluate(kotae, load_questions(qa), 5, answers=True).summary()
        return {
            "chunks": kotae.indexes.chunk_count,
            "ingest_s": round(seconds, 1),
            "newly_ingested_chunks": report.chunks,
            **summary,
        }
    finally:
        kotae.close()
        ingest.pipeline.chunk_pages = chunker


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=SEEDS)
    parser.add_argument("--qa", type=Path, default=SEEDS.parent.parent / "eval" / "dev-ja.jsonl")
    parser.add_argument("--data-dir", type=Path, default=None, help="Kotae's; reused if ingested")
    parser.add_argument("--baseline-data-dir", type=Path, default=None)
    args = parser.parse_args()

    kotae = run(args.data_dir or Path(tempfile.mkdtemp()), args.corpus, args.qa, naive=False)
    naive = run(args.baseline_data_dir or Path(tempfile.mkdtemp()), args.corpus, args.qa, True)

    def ratio(key: str, section: str | None = None) -> float | None:
        mine = (kotae.get(section) or {}) if section else kotae
        base = (naive.get(section) or {}) if section else naive
        a, b = mine.get(key), base.get(key)
        return round(a / b, 3) if a is not None and b else None

    print(
        json.dumps(
            {
                "machine": machine(),
                "qa": args.qa.name,
                "kotae": kotae,
                "naive_baseline": naive,
                "ratio_kotae_vs_baseline": {
                    "recall@5": ratio("recall@5"),
                    "mrr@5": ratio("mrr@5"),
                    "fact_in_answer": ratio("fact_in_answer", "answers"),
                    "citation_holds_evidence": ratio("citation_holds_evidence", "answers"),
                },
            },
            indent=1,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
