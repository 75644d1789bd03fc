"""Synthetic embeddings shaped like real ones, for measuring an approximate index at a million.

Exact search costs the same whatever the vectors hold, but an approximate index's recall
depends on their shape: random unit vectors have no neighbourhoods at all (the worst case
for IVF), real embeddings are clustered by topic. Embedding a million chunks on a small CPU
takes days, so the vectors here are drawn from a Gaussian mixture fitted to real embeddings:
topic centres found by k-means, and the spread around them (the pooled within-topic
covariance). `realism` compares the two on the same number of vectors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def real_embeddings(data_dir: Path | None, sentences: list[str], embedder: object) -> np.ndarray:
    """Embeddings of real chunks: those stored in a Kotae data dir's SQL (any ingested
    collection), else the seed-corpus sentences embedded now."""
    if data_dir is not None:
        from retriever.corpus import Corpus

        corpus = Corpus(f"sqlite:///{(data_dir / 'kotae.db').resolve()}")
        return np.concatenate([vectors for _, _, vectors in corpus.iter_chunks()])
    return np.asarray(embedder.encode_passages(sentences), dtype=np.float32)  # type: ignore[attr-defined]


def real_sentences(data_dir: Path) -> list[str]:
    """Sentences of the chunks a Kotae data dir holds: a real collection's vocabulary, much
    wider than the seed corpus's, so keyword postings are as long as real text makes them."""
    from retriever.corpus import Corpus

    corpus = Corpus(f"sqlite:///{(data_dir / 'kotae.db').resolve()}")
    found = []
    for _, texts, _ in corpus.iter_chunks():
        for text in texts:
            found += [
                s.strip() for s in text.replace("。", "。\n").splitlines() if len(s.strip()) >= 8
            ]
    return sorted(set(found))


class MixtureSampler:
    """Draws unit vectors from a Gaussian mixture fitted to `real` (rows are unit vectors)."""

    def __init__(self, real: np.ndarray, seed: int = 0) -> None:
        import faiss

        real = np.ascontiguousarray(real, dtype=np.float32)
        topics = max(1, min(64, len(real) // 40))
        kmeans = faiss.Kmeans(real.shape[1], topics, niter=20, seed=seed, verbose=False)
        kmeans.train(real)
        _, assigned = kmeans.index.search(real, 1)
        assigned = assigned[:, 0]
        self.centres = np.stack([real[assigned == t].mean(axis=0) for t in range(topics)])
        self.weights = np.bincount(assigned, minlength=topics) / len(real)
        residuals = real - self.centres[assigned]
        covariance = residuals.T @ residuals / len(real)
        self.spread = np.linalg.cholesky(covariance + 1e-6 * np.eye(real.shape[1]))
        self.rng = np.random.default_rng(seed)

    def sample(self, n: int) -> np.ndarray:
        topic = self.rng.choice(len(self.centres), size=n, p=self.weights)
        noise = self.rng.standard_normal((n, self.centres.shape[1])) @ self.spread.T
        x = (self.centres[topic] + noise).astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)


def random_unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def realism(real: np.ndarray, synthetic: np.ndarray, queries: np.ndarray) -> dict[str, object]:
    """Mean cosine between random pairs, to each vector's nearest neighbour, and from each
    query to its best match, for real and synthetic sets of the same size."""
    n = min(len(real), len(synthetic))
    rng = np.random.default_rng(1)

    def shape(x: np.ndarray) -> dict[str, float]:
        x = x[rng.permutation(len(x))[:n]]
        pairs = rng.integers(0, n, (2, 2000))
        sims = x @ x.T
        np.fill_diagonal(sims, -1)
        return {
            "pair_cos": round(float(np.mean(np.sum(x[pairs[0]] * x[pairs[1]], axis=1))), 3),
            "nearest_cos": round(float(np.mean(sims.max(axis=1))), 3),
            "query_best_cos": round(float(np.mean((queries @ x.T).max(axis=1))), 3),
        }

    return {"vectors": n, "real": shape(real), "synthetic": shape(synthetic)}
