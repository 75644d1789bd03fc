import numpy as np
import pytest

from retriever.embedder import PassageVectorCache

pytestmark = pytest.mark.unit


class CountingEmbedder:
    name, dim, max_tokens = "fake", 2, 64

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def encode_passages(self, texts):
        self.embedded.extend(texts)
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    def encode_queries(self, texts):
        return self.encode_passages(texts)

    def count_tokens(self, text: str) -> int:
        return len(text)


def test_each_text_is_embedded_once_until_evicted():
    embedder = CountingEmbedder()
    cache = PassageVectorCache(embedder, size=2)
    assert cache.encode(["a", "bb", "a"]).tolist() == [[1, 1], [2, 1], [1, 1]]
    assert embedder.embedded == ["a", "bb"]
    cache.encode(["a", "ccc"])  # "bb" is the least recently used: evicted
    assert embedder.embedded == ["a", "bb", "ccc"]
    cache.encode(["bb"])
    assert embedder.embedded[-1] == "bb"
    assert cache.encode([]).shape == (0, 2)
