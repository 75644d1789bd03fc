"""What Kotae costs as a collection grows: 100k, 300k and 1M chunks in one run.

The method of bench/query.py: synthetic chunks of seed-corpus sentences, stored straight into
SQL (with `--real-from`, sentences of a real ingested collection too, for a realistic
vocabulary), and questions embedded by the real query encoder. The chunk vectors are drawn from a
mixture fitted to real embeddings (bench/scale_vectors.py), since an approximate index's
recall depends on their shape; `--vectors random` gives the worst case instead.

For each size, cumulatively: SQLite (and PostgreSQL, with `--postgres URL`) write rate;
both indexes rebuilt from SQL as the product builds them (IVF above the threshold, see
`approximate_index_above`); an exact index built beside it for comparison; hybrid / dense /
keyword query p50 and p95 (wall, and this process's CPU time: other processes do not
inflate it, but ONNX Runtime's waiting threads do) through
the IVF and the exact store; IVF recall@10 against exact search at several probe counts;
a delete's time to disappear; and a separate API-like process's start-up from the snapshot
and its RSS. Growth exponents between sizes close the report.

    python bench/scale.py [--sizes 100000,300000,1000000] [--queries 200] [--postgres URL]
                          [--real-from DATA_DIR] [--vectors mixture|random] [--json OUT]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine, seed_sentences  # noqa: E402
from bench.scale_measure import delete_until_gone, measure  # noqa: E402
from bench.scale_vectors import (  # noqa: E402
    MixtureSampler,
    random_unit,
    real_embeddings,
    real_sentences,
    realism,
)

EVAL = ROOT.parent / "shared" / "eval"
PER_DOC = 500
STARTUP = """
import json, resource, sys, time
t = time.perf_counter()
from app.kotae import Kotae
from app.settings import Settings
kotae = Kotae(Settings())
n = kotae.indexes.chunk_count
opened = time.perf_counter() - t
kotae.searching.search("warm up", 10)
rss = int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
print(json.dumps({"open_s": round(opened, 2), "chunks": n, "rss_mb": round(rss),
                  "first_search_s": round(time.perf_counter() - t - opened, 2)}))
"""


def questions(limit: int, pool: list[str]) -> list[str]:
    """The dev sets' questions (read by path), then seed-corpus snippets up to `limit`."""
    found = []
    for name in ("dev-manuals.jsonl", "dev-ja.jsonl"):
        path = EVAL / name
        if path.exists():
            found += [json.loads(line)["q"] for line in path.read_text().splitlines() if line]
    rng = np.random.default_rng(3)
    found += [pool[int(i)][:40] for i in rng.integers(0, len(pool), max(0, limit - len(found)))]
    return found[:limit]


def write(
    corpora: dict[str, object],
    start: int,
    count: int,
    vectors: Callable[[int], np.ndarray],
    pool: list[str],
) -> dict[str, float]:
    """Store `count` chunks as documents of PER_DOC in each corpus; chunks/s per corpus."""
    from retriever.records import NewChunk, NewDocument

    rng = np.random.default_rng(start)
    docs = []
    for d in range(start // PER_DOC, (start + count) // PER_DOC):
        texts = [" ".join(pool[j] for j in rng.integers(0, len(pool), 3)) for _ in range(PER_DOC)]
        docs.append((f"doc{d}", texts, vectors(PER_DOC)))
    rates = {}
    for name, corpus in corpora.items():
        began = time.perf_counter()
        for source, texts, vecs in docs:
            rows = [NewChunk(t, 0, len(t), 1, 1, 100, v) for t, v in zip(texts, vecs, strict=True)]
            meta = NewDocument("bench", source, source, "text/plain", source, 0, [0], 1)
            corpus.store_document(meta, rows)  # type: ignore[attr-defined]
        rates[name] = round(count / (time.perf_counter() - began))
    return rates


def database_mb(corpora: dict[str, object]) -> dict[str, int]:
    """Size on disk of each database (SQLite: the file and its WAL)."""
    from sqlalchemy import text

    sizes = {}
    for name, corpus in corpora.items():
        engine = corpus.engine  # type: ignore[attr-defined]
        if engine.dialect.name == "sqlite":
            path = Path(engine.url.database)
            total = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
        else:
            with engine.connect() as connection:
                total = connection.scalar(text("SELECT pg_database_size(current_database())"))
        sizes[name] = round(total / 2**20)
    return sizes


def start_up(data_dir: Path) -> dict[str, object]:
    env = {**os.environ, "KOTAE_DATA_DIR": str(data_dir), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", STARTUP],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def exponents(results: list[dict], path: Callable[[dict], float]) -> list[float]:
    return [
        round(math.log(path(b) / path(a)) / math.log(b["chunks"] / a["chunks"]), 2)
        for a, b in itertools.pairwise(results)
        if path(a) > 0
    ]


def fresh_postgres(admin: str) -> tuple[str, Callable[[], None]]:
    """A new database on the server at `admin`, migrated; and a function that drops it."""
    from sqlalchemy import create_engine, text

    from app.database import upgrade_database

    name = f"kotae_scale_{os.getpid()}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    upgrade_database(url)
    return url, drop


def rss_mb() -> int:
    return round(int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--probes", type=int, default=512, help="IVF lists scanned per query")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to measure writes on")
    parser.add_argument("--real-from", type=Path, help="a Kotae data dir holding real embeddings")
    parser.add_argument("--vectors", choices=["mixture", "random"], default="mixture")
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--data-dir", type=Path, help="keep the data here (default: a temp dir)")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the collection --data-dir holds, no writes"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    os.environ["KOTAE_APPROXIMATE_INDEX_PROBES"] = str(args.probes)  # for the start-up process

    from app.kotae import Kotae
    from app.settings import Settings
    from retriever.corpus import Corpus

    pool = seed_sentences()
    texts = questions(args.queries, pool)
    if args.real_from:
        pool = sorted(set(pool) | set(real_sentences(args.real_from)))
    report: dict[str, object] = {"machine": machine(), "load_at_start": os.getloadavg()}
    drop = None
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        kotae = Kotae(Settings(data_dir=data_dir, approximate_index_probes=args.probes))
        if args.reuse:
            row = {"chunks": kotae.indexes.chunk_count, **measure(kotae, texts, args.probes)}
            some = kotae.corpus.list_documents()[0].source
            row["delete_ms"] = delete_until_gone(kotae, some)
            began = time.perf_counter()
            kotae.indexes.save()  # searches wait for it: it holds the index lock
            row["snapshot_save_s"] = round(time.perf_counter() - began, 2)
            print(json.dumps({**report, "load_at_end": os.getloadavg(), "sizes": [row]}))
            return
        dim = kotae.embedder.dim
        rng = np.random.default_rng(0)
        draw: Callable[[int], np.ndarray] = lambda n: random_unit(rng, n, dim)  # noqa: E731
        if args.vectors == "mixture":
            real = real_embeddings(args.real_from, pool, kotae.embedder)
            sampler = MixtureSampler(real)
            draw = sampler.sample
            asked = kotae.embedder.encode_queries(texts[:76])
            report["realism"] = realism(real, sampler.sample(len(real)), asked)
            print(json.dumps(report), flush=True)
        corpora: dict[str, object] = {"sqlite": kotae.corpus}
        if args.postgres:
            url, drop = fresh_postgres(args.postgres)
            corpora["postgresql"] = Corpus(url)
        results: list[dict] = []
        stored = 0
        try:
            for size in sizes:
                rates = write(corpora, stored, size - stored, draw, pool)
                stored = size
                began = time.perf_counter()
                indexes = kotae.indexes  # the first time: opened, i.e. built from SQL
                if results:
                    indexes.rebuild()
                row: dict[str, object] = {
                    "chunks": indexes.chunk_count,
                    "write_chunks_per_s": rates,
                    "database_mb": database_mb(corpora),
                    "index_build_s": round(time.perf_counter() - began, 1),
                    "store": type(indexes.dense).__name__,
                }
                row.update(measure(kotae, texts, args.probes))
                row["delete_ms"] = delete_until_gone(kotae, f"doc{size // PER_DOC - 1}")
                indexes.save()
                row["api_process"] = start_up(data_dir)
                row["bench_rss_mb"] = rss_mb()
                row["load"] = os.getloadavg()
                results.append(row)
                print(json.dumps(row), flush=True)
        finally:
            if drop is not None:
                drop()
    lat = lambda name: lambda r: r["latency_ms"][name]["p50"]  # noqa: E731
    report["sizes"] = results
    report["growth_exponents"] = {
        **{f"{n} p50": exponents(results, lat(n)) for n in results[0]["latency_ms"]},
        "index build": exponents(results, lambda r: r["index_build_s"]),
        "start-up": exponents(results, lambda r: r["api_process"]["open_s"]),
        "api rss": exponents(results, lambda r: r["api_process"]["rss_mb"]),
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
