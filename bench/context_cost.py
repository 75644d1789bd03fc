"""What embedding a chunk with its heading path costs: the same chunks embedded with and
without their context, alternating batches in one run, so machine load hits both alike.

    python bench/context_cost.py --data-dir DIR [--chunks 320] [--batch 32]

DIR is an ingested data dir (its chunks and their stored contexts are read, nothing written).
"""

import argparse
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--chunks", type=int, default=320)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()

    from app.model_files import embedding_model_path
    from app.settings import Settings
    from retriever.embedder import SentenceEmbedder
    from retriever.records import searchable_text

    database = sqlite3.connect(f"file:{args.data_dir / 'kotae.db'}?mode=ro", uri=True)
    rows = database.execute(
        "SELECT context, text FROM chunks WHERE context != '' ORDER BY random() LIMIT ?",
        (args.chunks,),
    ).fetchall()
    embedder = SentenceEmbedder(embedding_model_path(Settings()), device="cpu", batch_size=32)
    embedder.encode_passages(["warm up"])
    seconds = {"chunk alone": 0.0, "with context": 0.0}
    tokens = {"chunk alone": 0, "with context": 0}
    for start in range(0, len(rows), args.batch):
        batch = rows[start : start + args.batch]
        for name, texts in (
            ("chunk alone", [text for _, text in batch]),
            ("with context", [searchable_text(context, text) for context, text in batch]),
        ):
            began = time.perf_counter()
            embedder.encode_passages(texts)
            seconds[name] += time.perf_counter() - began
            tokens[name] += sum(embedder.count_tokens(t) for t in texts)
    print(f"Machine: {machine()}. {len(rows)} chunks of {args.data_dir}, batches of {args.batch}.")
    print("| embedded | chunks/s | tokens per chunk | time ratio |")
    print("|---|---|---|---|")
    for name in seconds:
        rate = len(rows) / seconds[name]
        ratio = seconds[name] / seconds["chunk alone"]
        print(f"| {name} | {rate:.1f} | {tokens[name] / len(rows):.0f} | {ratio:.2f}× |")


if __name__ == "__main__":
    main()
