"""Query-side measurements of bench/scale.py: latency, IVF recall against exact search, a
delete's time to disappear, snapshot sizes."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from bench.common import percentile

PROBE_SWEEP = (32, 64, 128, 256, 512, 1024)


def timed(calls: dict[str, Callable[[], object]], rounds: int) -> dict[str, dict[str, float]]:
    """p50/p95 wall and process-CPU milliseconds of each call, interleaved round by round."""
    wall: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    for r in range(rounds):
        for name, call in calls.items():
            w, c = time.perf_counter(), time.process_time()
            call(r)  # type: ignore[call-arg]
            cpu[name].append((time.process_time() - c) * 1000)
            wall[name].append((time.perf_counter() - w) * 1000)
    return {
        n: {
            "p50": percentile(wall[n], 50),
            "p95": percentile(wall[n], 95),
            "cpu_p50": percentile(cpu[n], 50),
        }
        for n in calls
    }


def build_stores(kotae: object, probes: int) -> tuple[object, object, dict[str, float]]:
    """The exact store and an IVF store built from SQL like a rebuild builds them."""
    from retriever.faiss_index import FaissIndex
    from retriever.vector_stores import SizedStores

    corpus, dim = kotae.corpus, kotae.embedder.dim  # type: ignore[attr-defined]
    built: dict[str, float] = {}
    stores = {}
    for name, make in (
        ("exact", lambda n: FaissIndex(dim, use_gpu=False)),
        ("ivf", lambda n: SizedStores(dim, False, 1, probes).new(n)),
    ):
        began = time.perf_counter()
        store = make(corpus.chunk_count())
        for ids, _, vectors in corpus.iter_chunks():
            store.add(ids, vectors)
        store.search(np.zeros(dim, np.float32), 1, None)
        built[name] = round(time.perf_counter() - began, 1)
        stores[name] = store
    return stores["exact"], stores["ivf"], built


def measure(kotae: object, texts: list[str], probes: int) -> dict[str, object]:
    indexes, searching = kotae.indexes, kotae.searching  # type: ignore[attr-defined]
    exact, ivf, built = build_stores(kotae, probes)
    probes_default = ivf.nprobe
    product, poll = indexes.dense, indexes.poll_interval
    # Searches must not look at the log meanwhile: one would see the exact store swapped in
    # above the threshold and start rebuilding the dense index in the background.
    indexes.poll_interval = math.inf
    vectors = kotae.embedder.encode_queries(texts)  # type: ignore[attr-defined]
    exact_top = [{i for i, _ in exact.search(v, 10, None)} for v in vectors]
    agree = [
        len({i for i, _ in ivf.search(v, 10, None)} & e)
        for v, e in zip(vectors, exact_top, strict=True)
    ]

    def search(store: object, mode: str) -> Callable[[int], object]:
        def run(r: int) -> object:
            indexes.dense = store
            return searching.search(texts[r], 10, mode=mode)

        return run

    searching.search("warm up", 10)
    latency = timed(
        {
            "hybrid (ivf)": search(ivf, "hybrid"),
            "hybrid (exact)": search(exact, "hybrid"),
            "dense (ivf)": search(ivf, "dense"),
            "dense (exact)": search(exact, "dense"),
            "keyword": search(ivf, "keyword"),
            "ivf alone k=50": lambda r: ivf.search(vectors[r], 50, None),
            "exact alone k=50": lambda r: exact.search(vectors[r], 50, None),
        },
        len(texts),
    )
    indexes.dense, indexes.poll_interval = product, poll
    sweep = {}
    for probes in PROBE_SWEEP:
        ivf.nprobe = probes
        ms, found = [], 0
        for v, e in zip(vectors, exact_top, strict=True):
            began = time.perf_counter()
            found += len({i for i, _ in ivf.search(v, 10, None)} & e)
            ms.append((time.perf_counter() - began) * 1000)
        sweep[probes] = {
            "recall_at_10": round(found / (10 * len(vectors)), 4),
            "p50_ms": percentile(ms, 50),
        }
    ivf.nprobe = probes_default
    return {
        "latency_ms": latency,
        "ivf_probes": sweep,
        "build_s": built,
        "ivf_recall_at_10": round(sum(agree) / (10 * len(agree)), 4),
        "ivf_lists": ivf.nlist,
        "snapshot_mb": snapshot_sizes(kotae, exact),
    }


def snapshot_sizes(kotae: object, exact: object) -> dict[str, float]:
    directory = kotae.settings.index_dir  # type: ignore[attr-defined]
    exact.save(directory / "exact.tmp.faiss")  # type: ignore[attr-defined]
    sizes = {
        name: round((directory / file).stat().st_size / 2**20)
        for name, file in (
            ("dense", "dense.faiss"),
            ("exact", "exact.tmp.faiss"),
            ("keyword", "keyword.npz"),
        )
    }
    (directory / "exact.tmp.faiss").unlink()
    return sizes


def delete_until_gone(kotae: object, source: str) -> dict[str, float]:
    """Milliseconds to delete a document in SQL, then for both indexes to drop its chunks."""
    corpus, indexes = kotae.corpus, kotae.indexes  # type: ignore[attr-defined]
    document = corpus.find_document("bench", source)
    ids = corpus.chunk_ids(document_ids=[document.id])
    began = time.perf_counter()
    corpus.delete_document(document.id)
    deleted = time.perf_counter()
    indexes.catch_up(force=True)
    done = time.perf_counter()
    zero = np.zeros(kotae.embedder.dim, np.float32)  # type: ignore[attr-defined]
    assert not indexes.dense.search(zero, 1, ids)
    return {
        "sql_ms": round((deleted - began) * 1000, 1),
        "indexes_ms": round((done - deleted) * 1000, 1),
    }
