"""Question-to-sentence similarity with the embedding model, for the extractive answerer."""

from retriever.embedder import Embedder, PassageVectorCache


class SentenceSimilarity:
    """Question-sentence cosines spread to 0..1 within the candidates.

    Raw cosines of a model sit in a narrow, model-specific band (e5: ~0.7-0.9), so only
    their order among this question's candidates is meaningful to the extractive scorer.
    """

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.sentence_vectors = PassageVectorCache(embedder)

    def __call__(self, question: str, sentences: list[str]) -> list[float]:
        if not sentences:
            return []
        query = self.embedder.encode_queries([question])[0]
        cosines = self.sentence_vectors.encode(sentences) @ query
        low, high = float(cosines.min()), float(cosines.max())
        if high - low < 1e-6:
            return [0.5] * len(sentences)
        return [float((c - low) / (high - low)) for c in cosines]
