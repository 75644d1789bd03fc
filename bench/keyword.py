"""Benchmark of the BM25 keyword index on synthetic Japanese/English chunks.

The vocabulary is read at run time from the seed corpus (MeCab surfaces with their
frequencies), so the synthetic text has a realistic Zipf-like term distribution; numbers are
re-drawn at random to give the long tail that real documents have. Prints tokenizer speed,
build time, memory, snapshot size and load time, query latency (p50/p95 over the queries, of
query tokenizing alone and of whole searches), ``allowed`` filtering, single add/remove cost
and the time a full merge holds the lock. Latencies are given as wall time and as the
thread's CPU time, which other processes on a shared machine do not inflate. The vocabulary
is small (a few thousand words), so postings lists are longer than in real corpora: the
latencies are on the pessimistic side.

    python bench/keyword.py [--chunks 100000] [--queries 200] [--seed 0]
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retriever.keyword_index import KeywordIndex
from retriever.tokenizer import JapaneseTokenizer

SEEDS = Path("/work/shared/corpus/seeds-ja")
_ASCII_WORD = re.compile(r"[0-9A-Za-z]")


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def seed_vocabulary(tok: JapaneseTokenizer) -> tuple[list[str], np.ndarray, list[str]]:
    """Surfaces of the seed corpus with their frequencies, and its sentences."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    counts: Counter[str] = Counter()
    tagger = tok._tagger()
    for node in tagger(text):
        counts[node.surface] += 1
    surfaces = list(counts)
    freq = np.array([counts[s] for s in surfaces], dtype=np.float64)
    sentences = [s for s in re.split(r"(?<=[。！？.!?])\s+|\n+", text) if s.strip()]
    return surfaces, freq / freq.sum(), sentences


def synth_chunks(surfaces: list[str], p: np.ndarray, n: int, rng: np.random.Generator) -> list[str]:
    lengths = rng.integers(120, 260, size=n)
    ids = rng.choice(len(surfaces), size=int(lengths.sum()), p=p)
    is_number = np.array([s.isdigit() for s in surfaces])
    pieces = np.array(surfaces, dtype=object)[ids]
    where = np.flatnonzero(is_number[ids])
    pieces[where] = rng.integers(0, 100_000, size=len(where)).astype(str).astype(object)
    chunks = []
    start = 0
    for length in lengths.tolist():
        words = pieces[start : start + length]
        start += length
        # Latin words need spaces around them; Japanese text has none.
        chunks.append("".join(f" {w} " if _ASCII_WORD.match(w) else w for w in words.tolist()))
    return chunks


def array_mib(index: KeywordIndex) -> float:
    postings = index._postings
    arrays: list[np.ndarray] = [
        postings._base_offsets,
        postings._base_slots,
        postings._base_tfs,
        postings.slot_chunk,
    ]
    arrays += [postings.slot_len, postings.slot_alive]
    return sum(a.nbytes for a in arrays) / 2**20


def postings_touched(index: KeywordIndex, terms: list[str]) -> int:
    total = 0
    for term in set(terms):
        tid = index._postings.vocab.get(term)
        if tid is not None:
            total += len(index._postings.term_postings(tid)[0])
    return total


def percentiles(samples: list[tuple[float, float]]) -> str:
    """p50/p95 of wall time, and of the thread's CPU time (immune to other processes)."""
    wall = np.array([w for w, _ in samples]) * 1e3
    cpu = np.array([c for _, c in samples]) * 1e3
    w50, w95 = np.percentile(wall, [50, 95])
    c50, c95 = np.percentile(cpu, [50, 95])
    return f"wall p50 {w50:.2f} / p95 {w95:.2f} ms; cpu p50 {c50:.2f} / p95 {c95:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    tok = JapaneseTokenizer()

    surfaces, p, sentences = seed_vocabulary(tok)
    sample = [sentences[i] for i in rng.choice(len(sentences), size=1000, replace=False)]
    best = min(_timed(lambda: [tok(s) for s in sample])[1] for _ in range(3))
    print(f"seed vocabulary: {len(surfaces)} surfaces, {len(sentences)} sentences")
    print(f"tokenizer: {len(sample) / best:,.0f} sentences/s (CPU time) on 1000 seed sentences")

    chunks = synth_chunks(surfaces, p, args.chunks, rng)
    print(f"chunks: {len(chunks):,}, mean {statistics.mean(map(len, chunks)):.0f} chars")

    gc.collect()
    rss0 = rss_mib()
    tokenized: list[str] = []
    t_tok = _timed(lambda: tokenized.extend(" ".join(tok(c)) for c in chunks))
    # Index from pre-tokenized text so tokenizing and indexing are timed apart.
    index = KeywordIndex(str.split)
    t_index = _timed(lambda: index.add_many(enumerate(tokenized)))
    tokenized.clear()
    gc.collect()
    postings = len(index._postings._base_slots) + index._postings._delta_postings
    print(
        f"build: tokenize {t_tok[0]:.1f} s wall / {t_tok[1]:.1f} s cpu "
        f"({len(chunks) / t_tok[1]:,.0f} chunks/s cpu), index {t_index[0]:.1f} s wall / "
        f"{t_index[1]:.1f} s cpu; {len(index._postings.vocab):,} terms, {postings:,} postings"
    )
    print(f"memory: process RSS +{rss_mib() - rss0:.0f} MiB after build (includes the text)")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "keyword.idx"
        t0 = time.perf_counter()
        index.save(path)
        t_save = time.perf_counter() - t0
        size = path.stat().st_size / 2**20
        del index
        gc.collect()
        t0 = time.perf_counter()
        index = KeywordIndex.load(path, tok)
        t_load = time.perf_counter() - t0
        del index
        gc.collect()
        tracemalloc.start()
        index = KeywordIndex.load(path, tok)
        traced = tracemalloc.get_traced_memory()[0] / 2**20
        tracemalloc.stop()
        print(
            f"snapshot: {size:.0f} MiB, save {t_save:.2f} s, load {t_load:.2f} s; "
            f"loaded index holds {traced:.0f} MiB (numpy arrays {array_mib(index):.0f} MiB)"
        )

    queries = []
    for _ in range(args.queries):
        words = chunks[int(rng.integers(len(chunks)))]
        start = int(rng.integers(0, max(1, len(words) - 70)))
        queries.append(words[start : start + int(rng.integers(30, 70))])
    n_terms = [len(set(tok(q))) for q in queries]
    touched = [postings_touched(index, tok(q)) for q in queries]
    print(
        f"queries: {len(queries)}, {statistics.mean(n_terms):.1f} distinct terms on average, "
        f"median {statistics.median(touched):,.0f} postings touched"
    )
    for q in queries[:20]:
        index.search(q, 10)  # warm-up
    tokenize_times = [_timed(partial(tok, q)) for q in queries]
    print(f"query tokenizing alone: {percentiles(tokenize_times)}")
    # Three passes: the CPUs are shared, so one pass can catch another process's burst.
    for n in range(3):
        search_times = [_timed(partial(index.search, q, 10)) for q in queries]
        print(f"search k=10 (tokenizing included), pass {n + 1}: {percentiles(search_times)}")

    for size in (100, len(chunks) // 10):
        allowed = set(rng.choice(len(chunks), size=size, replace=False).tolist())
        timings = [_timed(partial(index.search, q, 10, allowed)) for q in queries]
        print(f"search k=10 with allowed={size:,} ids: {percentiles(timings)}")

    extra = synth_chunks(surfaces, p, 1000, rng)
    adds = [_timed(partial(index.add, 10_000_000 + i, t)) for i, t in enumerate(extra)]
    removes = [_timed(partial(index.remove, i)) for i in range(1000)]
    print(f"add one chunk (incl. tokenizing): {percentiles(adds)}")
    print(f"remove one chunk: {percentiles(removes)}")
    with index._lock:
        merge = _timed(lambda: index._postings._merge(None))
    print(f"full merge (searches wait for it): {merge[0]:.2f} s wall / {merge[1]:.2f} s cpu")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak process RSS: {peak:.0f} MiB")


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, this thread's CPU seconds) of one call."""
    w0, c0 = time.perf_counter(), time.thread_time()
    fn()
    return time.perf_counter() - w0, time.thread_time() - c0


if __name__ == "__main__":
    main()
