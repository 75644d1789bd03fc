"""Retrieval latency at 100k chunks on CPU (query embedding included) and index build time.

Chunk texts are seed-corpus sentences shuffled into synthetic chunks; their vectors are random
unit vectors (embedding 100k chunks on 2 cores would take most of an hour, and exact search
costs the same whatever the vectors hold). Queries are embedded by the real model.

    python bench/query.py [--chunks 100000] [--queries 200]
"""

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    machine,
    peak_rss_mb,
    percentile,
    seed_sentences,
    store_synthetic_document,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    from app.kotae import Kotae
    from app.settings import Settings

    rng = np.random.default_rng(0)
    pool = seed_sentences()
    with tempfile.TemporaryDirectory() as tmp:
        kotae = Kotae(Settings(data_dir=Path(tmp)))
        dim = kotae.embedder.dim
        started = time.perf_counter()
        per_doc = 500
        for d in range(args.chunks // per_doc):
            store_synthetic_document(kotae.corpus, rng, pool, f"doc{d}", per_doc, dim)
        stored = time.perf_counter() - started
        started = time.perf_counter()
        count = kotae.indexes.rebuild()
        build = time.perf_counter() - started
        queries = [pool[int(i)][:40] for i in rng.integers(0, len(pool), args.queries)]
        kotae.searching.search("warm up", 10)  # also builds the question encoder
        fast = kotae.embedder.query_encoder
        timings: dict[str, list[float]] = {}

        def timed(name: str, call: Callable[[], object]) -> None:
            t = time.perf_counter()
            call()
            timings.setdefault(name, []).append((time.perf_counter() - t) * 1000)

        # The same queries through both question encoders, one after the other (baseline:
        # torch, as sentence-transformers runs it; then the ONNX Runtime encoder if any).
        for label, encoder in (("torch", None), ("onnx", fast)):
            if label == "onnx" and fast is None:
                continue
            kotae.embedder.use_query_encoder(encoder)
            kotae.searching.search("warm up", 10)
            for q in queries:
                for mode in ("hybrid", "dense"):
                    search = kotae.searching.search
                    timed(f"{mode} ({label} query encoder)", lambda: search(q, 10, mode=mode))  # type: ignore[arg-type]  # noqa: B023
                timed(f"embed query ({label})", lambda: kotae.embedder.encode_queries([q]))  # noqa: B023
        vector = kotae.embedder.encode_queries(["warm up"])[0]
        for q in queries:
            timed("keyword", lambda: kotae.searching.search(q, 10, mode="keyword"))  # noqa: B023
            timed("FAISS alone (k=50)", lambda: kotae.indexes.dense_search(vector, 50, None))
            timed("fetch 10 hits from SQL", lambda: kotae.corpus.chunks_by_ids(list(range(1, 11))))

    result = {
        "machine": machine(),
        "chunks": count,
        "sql_write_s": round(stored, 1),
        "index_build_s": round(build, 1),
        "latency_ms": {
            m: {"p50": percentile(v, 50), "p95": percentile(v, 95)} for m, v in timings.items()
        },
        "onnx_vs_torch_hybrid_p50": (
            round(
                percentile(timings["hybrid (onnx query encoder)"], 50)
                / percentile(timings["hybrid (torch query encoder)"], 50),
                3,
            )
            if fast is not None
            else None
        ),
        "peak_rss_mb": round(peak_rss_mb()),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
