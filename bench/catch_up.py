"""How long searches wait while the indexes catch up with another process's ingest.

A writer process stores documents into SQL (as an ingest worker does) while two threads of
this process search (as the API's thread pool does). Each search first lets the indexes catch
up when the poll interval has passed, as `HybridRetriever.search` does, then runs BM25 and
FAISS (the query's embedding is left out: it waits for nothing). Baseline: the same searches
with no writer, measured in the same run.

    python bench/catch_up.py [--base-chunks 20000] [--docs 30] [--chunks-per-doc 500]
"""

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, seed_sentences, store_synthetic_document


def store_documents(url: str, prefix: str, docs: int, per_doc: int, dim: int, pause: float) -> None:
    """Store `docs` synthetic documents straight into SQL, `pause` seconds apart."""
    from retriever.corpus import Corpus

    rng = np.random.default_rng(len(prefix))  # the base and the new documents differ
    pool = seed_sentences()
    corpus = Corpus(url)
    for d in range(docs):
        store_synthetic_document(corpus, rng, pool, f"{prefix}{d}", per_doc, dim)
        time.sleep(pause)
    corpus.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-chunks", type=int, default=20_000)
    parser.add_argument("--docs", type=int, default=30)
    parser.add_argument("--chunks-per-doc", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20.0, help="Searching, per phase.")
    args = parser.parse_args()

    from app.kotae import Kotae
    from app.settings import Settings

    rng = np.random.default_rng(0)
    pool = seed_sentences()
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        kotae = Kotae(Settings(data_dir=Path(tmp)))
        url, dim = kotae.settings.resolved_database_url, kotae.embedder.dim
        base_docs = args.base_chunks // args.chunks_per_doc
        store_documents(url, "base", base_docs, args.chunks_per_doc, dim, 0.0)
        indexes = kotae.indexes  # opens: builds both indexes from SQL
        queries = [pool[int(i)][:40] for i in rng.integers(0, len(pool), 500)]
        vectors = rng.normal(size=(500, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)

        def search_for(seconds: float) -> list[float]:
            latencies: list[float] = []
            deadline = time.monotonic() + seconds

            def searcher(offset: int) -> None:
                i = offset
                while time.monotonic() < deadline:
                    started = time.perf_counter()
                    indexes.catch_up()
                    indexes.keyword_search(queries[i % 500], 50, None)
                    indexes.dense_search(vectors[i % 500], 50, None)
                    latencies.append((time.perf_counter() - started) * 1000)
                    i += 2
                    time.sleep(0.01)  # a request rate, not a busy loop

            threads = [threading.Thread(target=searcher, args=(n,)) for n in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return latencies

        idle = search_for(args.seconds)
        pause = args.seconds / args.docs
        writer = spawn.Process(
            target=store_documents,
            args=(url, "new", args.docs, args.chunks_per_doc, dim, pause),
        )
        writer.start()
        busy = search_for(args.seconds)
        writer.join()
        kotae.close()

    def stats(values: list[float]) -> dict[str, float]:
        q = statistics.quantiles(values, n=100)
        return {"p50": round(q[49], 2), "p95": round(q[94], 2), "p99": round(q[98], 2),
                "max": round(max(values), 1), "searches": len(values)}  # fmt: skip

    summary = {
        "machine": machine(),
        "chunks": args.base_chunks + args.docs * args.chunks_per_doc,
        "search_ms": {"idle": stats(idle), "during_ingest": stats(busy)},
        "ratio_p95_during_vs_idle": round(stats(busy)["p95"] / stats(idle)["p95"], 2),
        "ratio_p99_during_vs_idle": round(stats(busy)["p99"] / stats(idle)["p99"], 2),
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
