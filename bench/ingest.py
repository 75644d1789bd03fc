"""Whole-pipeline ingest throughput against bare `encode` of the same model on the same chunks.

Both are measured in the same run: first the pipeline (load, normalize, chunk, embed, store
in SQLite, index), then `encode_passages` alone over exactly the chunk texts it produced.
The ratio pipeline/encode is the share of time the rest of the pipeline costs (goal ≥ 0.8).

    python bench/ingest.py [--synthetic-chunks 20000] [--skip-synthetic]
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SEEDS, machine, peak_rss_mb, synthetic_documents


def run(label: str, folder: Path, data_dir: Path) -> dict[str, object]:
    from app.kotae import Kotae
    from app.settings import Settings
    from ingest.pipeline import DEFAULT_COLLECTION

    kotae = Kotae(Settings(data_dir=data_dir))
    kotae.embedder.encode_passages(["warm up"])  # model load is not ingest throughput
    started = time.perf_counter()
    report = kotae.ingesting.ingest([folder], DEFAULT_COLLECTION)
    kotae.close()
    pipeline_s = time.perf_counter() - started
    texts = [t for _, batch, _ in kotae.corpus.iter_chunks() for t in batch]
    started = time.perf_counter()
    kotae.embedder.encode_passages(texts)
    encode_s = time.perf_counter() - started
    chunks = len(texts)
    return {
        "corpus": label,
        "files": len(report.files),
        "chunks": chunks,
        "pipeline_chunks_per_s": round(chunks / pipeline_s, 1),
        "encode_chunks_per_s": round(chunks / encode_s, 1),
        "ratio": round(encode_s / pipeline_s, 3),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthetic-chunks", type=int, default=20_000)
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args()
    results = [run("seeds-ja", SEEDS, Path(tempfile.mkdtemp()))]
    if not args.skip_synthetic:
        folder = Path(tempfile.mkdtemp())
        # 130 seed sentences make ~37 chunks of 128 tokens (32 overlap); the divisor stays at
        # 20 so the default run (1000 files, 37,489 chunks) is the one in docs/benchmarks.md.
        n_docs = max(1, args.synthetic_chunks // 20)
        for i, text in enumerate(synthetic_documents(n_docs, 130)):
            (folder / f"doc{i:05d}.txt").write_text(text, encoding="utf-8")
        results.append(run("synthetic", folder, Path(tempfile.mkdtemp())))
    print(json.dumps({"machine": machine(), "results": results}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
