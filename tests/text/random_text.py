"""Random text built from the pieces sentence splitting finds hard, for property tests."""

import random

_PIECES = [
    "これはペンです。", "「本」です！", "本当？", "はい。", "長い文章の", "テスト", "ー", "漢" * 60,
    "hello", "world", ". ", "! ", "? ", "3.5", "e.g.", "Dr.", "1.", "•", "・", " ", " ", "\n",
    "\n\n", "\t", "x" * 40, "。」", "」", "(", ")",
]  # fmt: skip


def random_text(rng: random.Random, pieces: int) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(pieces))
