"""Helpers shared by the benchmarks: machine description, peak memory, synthetic data."""

import os
import platform
import random
import resource
import statistics
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from retriever.corpus import Corpus

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "seeds-ja"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {date.today()}"


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile (1..99) of `values`, rounded to 0.01."""
    return round(statistics.quantiles(values, n=100)[q - 1], 2)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_sentences() -> list[str]:
    """Sentences of the seed corpus (read at run time, never copied into the project)."""
    from text.normalize import normalize_text

    sentences = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = normalize_text(path.read_text(encoding="utf-8"))
        for line in text.replace("。", "。\n").splitlines():
            line = line.strip()
            if len(line) >= 8:
                sentences.append(line)
    return sentences


def synthetic_documents(n_docs: int, sentences_per_doc: int, seed: int = 0) -> list[str]:
    """Documents made of seed-corpus sentences shuffled, so the text looks like the real thing."""
    rng = random.Random(seed)
    pool = seed_sentences()
    return ["\n".join(rng.choices(pool, k=sentences_per_doc)) for _ in range(n_docs)]


def store_synthetic_document(
    corpus: "Corpus", rng: "np.random.Generator", pool: list[str], name: str, chunks: int, dim: int
) -> None:
    """Store one document of `chunks` chunks straight into SQL: three seed-corpus sentences
    each, with random unit vectors (exact search costs the same whatever the vectors hold)."""
    import numpy as np

    from retriever.records import NewChunk, NewDocument

    vectors = rng.normal(size=(chunks, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = []
    for vector in vectors:
        text = " ".join(pool[j] for j in rng.integers(0, len(pool), 3))
        rows.append(NewChunk(text, 0, len(text), 1, 1, 100, vector))
    corpus.store_document(
        NewDocument(
            collection="bench",
            source=name,
            title=name,
            mime="text/plain",
            content_hash=name,
            size=0,
            page_offsets=[0],
            text_version=1,
        ),
        rows,
    )
