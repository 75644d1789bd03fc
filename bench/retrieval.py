"""Retrieval quality on a QA file: BM25-only, dense-only and hybrid fusions, in one run.

Ingests the corpus once into a temporary data dir, then scores every retrieval mode on the
same indexes with `kotae eval`'s metrics (recall/MRR/nDCG@k by evidence strings).

    python bench/retrieval.py [--corpus DIR] [--qa FILE] [-k 5] [--chunk-tokens 200]
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SEEDS, machine

QA = SEEDS.parent.parent / "eval" / "dev-ja.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=SEEDS)
    parser.add_argument("--qa", type=Path, default=QA)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--chunk-tokens", type=int, default=None)
    parser.add_argument("--overlap-tokens", type=int, default=None)
    parser.add_argument("--data-dir", type=Path, default=None, help="reuse an ingested data dir")
    args = parser.parse_args()

    from app.evaluation import evaluate, load_questions
    from app.kotae import Kotae
    from app.settings import Settings
    from ingest.pipeline import DEFAULT_COLLECTION

    overrides = {}
    if args.chunk_tokens:
        overrides["chunk_tokens"] = args.chunk_tokens
    if args.overlap_tokens is not None:
        overrides["chunk_overlap_tokens"] = args.overlap_tokens
    data_dir = args.data_dir or Path(tempfile.mkdtemp())
    kotae = Kotae(Settings(data_dir=data_dir, **overrides))
    kotae.ingesting.ingest([args.corpus], DEFAULT_COLLECTION)
    questions = load_questions(args.qa)
    retriever = kotae.retriever
    configs = [("keyword (BM25)", "keyword", None, None), ("dense", "dense", None, None)]
    configs += [("hybrid RRF k=60", "hybrid", "rrf", None)]
    configs += [(f"hybrid weighted w={w}", "hybrid", "weighted", w) for w in (0.3, 0.5, 0.7)]
    rows = []
    for label, mode, fusion, weight in configs:
        if fusion:
            retriever.fusion = fusion
        if weight is not None:
            retriever.dense_weight = weight
        report = evaluate(kotae, questions, args.k, answers=False, mode=mode)
        summary = report.summary()
        missed = [p["id"] for p in report.per_question if p.get("recall") == 0.0]
        rows.append(
            {
                "config": label,
                **{k: v for k, v in summary.items() if "@" in k},
                "p50_ms": summary["latency_ms"]["p50"],
                "missed": missed,
            }
        )
    kotae.close()
    print(
        json.dumps(
            {
                "machine": machine(),
                "qa": str(args.qa.name),
                "k": args.k,
                "chunks": kotae.indexes.chunk_count,
                "results": rows,
            },
            indent=1,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
