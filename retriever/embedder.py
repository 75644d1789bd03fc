"""Sentence embedders: the protocol the indexes rely on, and a sentence-transformers one."""

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    name: str
    dim: int
    max_tokens: int
    # Of max_tokens, what the passage prompt and the special tokens take: a chunk gets the rest.
    prompt_tokens: int

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...
    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...
    def count_tokens(self, text: str) -> int: ...


def best_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class QueryEncoder(Protocol):
    """Embeds already-prompted questions; must agree with the model it stands in for."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceEmbedder:
    """Any local sentence-transformers folder; fp16 on CUDA; L2-normalized float32 output.

    Query/passage prompts come from the model's own config (e5 models ship
    "query: " / "passage: "); models without prompts embed both sides as is.
    Questions may go through a faster `QueryEncoder` of the same model (`use_query_encoder`).
    """

    def __init__(self, model_path: str | Path, device: str | None = None, batch_size: int = 32):
        # Models load from local folders only; nothing may reach for a hub at run time.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a weights bar on every CLI call is noise
        hf_logging.set_verbosity_error()

        path = Path(model_path)
        if not path.is_dir():
            raise FileNotFoundError(f"embedding model folder not found: {path}")
        self.device = device or best_device()
        self.model = SentenceTransformer(str(path), device=self.device, local_files_only=True)
        if self.device.startswith("cuda"):
            self.model.half()
        self.name = path.name
        self.path = path
        self.query_encoder: QueryEncoder | None = None
        self._build_query_encoder: Callable[[], QueryEncoder | None] | None = None
        self._query_encoder_lock = threading.Lock()
        # Renamed get_embedding_dimension in sentence-transformers 6; older ones lack it.
        get_dim = getattr(self.model, "get_embedding_dimension", None)
        dim: int | None = get_dim() if get_dim else self.model.get_sentence_embedding_dimension()
        if dim is None or dim <= 0:
            raise ValueError(f"{path} does not report its embedding dimension")
        self.dim = dim
        self.max_tokens = int(self.model.max_seq_length or 512)
        self.batch_size = batch_size
        prompts = self.model.prompts or {}
        self.query_prompt: str = prompts.get("query") or ""
        self.passage_prompt: str = prompts.get("passage") or prompts.get("document") or ""
        self.tokenizer = self.model.tokenizer
        # Budget left for text once the prompt and the special tokens are counted.
        self.prompt_tokens = self.count_tokens(self.passage_prompt) + 2

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            prompt=prompt or None,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prompt)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        encoder = self._query_encoder()
        if encoder is not None:
            vectors = encoder.encode([self.query_prompt + t for t in texts])
            return vectors.reshape(len(texts), self.dim)
        return self._encode(texts, self.query_prompt)

    def use_query_encoder(self, encoder: QueryEncoder | None) -> None:
        self.query_encoder, self._build_query_encoder = encoder, None

    def defer_query_encoder(self, build: Callable[[], QueryEncoder | None]) -> None:
        """Build the question encoder on the first question: ingest never needs one."""
        self._build_query_encoder = build

    def _query_encoder(self) -> QueryEncoder | None:
        with self._query_encoder_lock:
            if self._build_query_encoder is not None:
                self.query_encoder = self._build_query_encoder()
                self._build_query_encoder = None
            return self.query_encoder

    def count_tokens(self, text: str) -> int:
        if not text:
            return 0
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])


class PassageVectorCache:
    """LRU cache of passage-side vectors by text: extractive answers embed the sentences of
    the top passages on every question, and popular passages come back again and again."""

    def __init__(self, embedder: Embedder, size: int = 50_000) -> None:
        self.embedder = embedder
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            fresh = self.embedder.encode_passages(missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    self._vectors[text] = vector
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        with self._lock:
            rows = []
            for text in texts:
                vector = self._vectors.get(text)
                if vector is None:  # evicted meanwhile by a concurrent caller: embed again
                    vector = self.embedder.encode_passages([text])[0]
                else:
                    self._vectors.move_to_end(text)
                rows.append(vector)
        return np.stack(rows) if rows else np.zeros((0, self.embedder.dim), np.float32)
