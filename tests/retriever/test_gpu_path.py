"""The GPU path: FAISS on the GPU and fp16 embeddings on CUDA agree with the CPU path.

Skipped on machines without a GPU (CI has none); run on a GPU machine with faiss-gpu.
"""

import numpy as np
import pytest

from retriever.faiss_index import FaissIndex, gpu_count

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(gpu_count() == 0, reason="no GPU visible to faiss (faiss-gpu + CUDA)"),
]


def test_gpu_index_matches_cpu_and_survives_removals():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(2000, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(10_000, 12_000)
    cpu, gpu = FaissIndex(64, use_gpu=False), FaissIndex(64, use_gpu=True)
    for index in (cpu, gpu):
        index.add(ids, vectors)
        index.remove(ids[:100])
    for q in vectors[100:120]:
        assert [i for i, _ in gpu.search(q, 10)] == [i for i, _ in cpu.search(q, 10)]


def test_fp16_cuda_embeddings_agree_with_cpu(model_cache_dir):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("torch sees no CUDA device")
    from retriever.e5_convert import build_e5_small
    from retriever.embedder import SentenceEmbedder

    path = build_e5_small(model_cache_dir / "multilingual-e5-small")
    texts = ["大規模言語モデルの学習には大量のテキストが必要です。", "The index lives on the GPU."]
    on_cpu = SentenceEmbedder(path, device="cpu").encode_passages(texts)
    on_gpu = SentenceEmbedder(path, device="cuda").encode_passages(texts)
    assert (on_cpu * on_gpu).sum(axis=1).min() > 0.99
