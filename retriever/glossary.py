"""Software-manual terms a general dictionary does not link, for the keyword bridge.

JMdict is a general dictionary: it glosses 既定 as "established; predetermined" and "default"
as 滞納 (a missed payment), so the commonest question about a manual, "what is the default",
finds neither the Japanese manual's デフォルト nor the English one's "default". Each set below
names one concept the ways Japanese and English manuals do; a question word in a set is
bridged to the others like a dictionary translation (weighted below the word itself).
Questions also imply a default without naming it ("何も指定しないと", "if I don't give").
"""

from __future__ import annotations

from text.defaults import DEFAULT_WORDS, implies_default

_CONCEPTS: tuple[tuple[str, ...], ...] = (
    DEFAULT_WORDS,
    ("有効", "有効化", "enable", "enabled"),
    ("無効", "無効化", "disable", "disabled"),
    ("引数", "argument"),
    ("書式", "形式", "フォーマット", "format"),
)
_BY_WORD = {word: concept for concept in _CONCEPTS for word in concept}


def same_concept(word: str) -> list[str]:
    """The other names of `word`'s concept (Japanese and English), or [] for other words."""
    return [w for w in _BY_WORD.get(word.lower(), ()) if w != word.lower()]


def implied_concepts(question: str) -> list[tuple[str, ...]]:
    """Concepts a question asks about without naming them: the default, when it asks what
    happens if nothing is given."""
    return [_BY_WORD["default"]] if implies_default(question) else []
