"""Question language detection and the fixed user-facing messages in each language."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from text.normalize import fold

Language = Literal["ja", "en"]

_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")

# The exact phrases the system prompt tells the model to use when the passages do not answer.
# They are also the first sentence of our own abstention message, so one check finds both.
NO_ANSWER_PHRASE: dict[str, str] = {
    "ja": "提示された文書には、この質問に答える情報が見つかりませんでした。",
    "en": "The documents don't say.",
}

_ABSTAIN_FOLLOW_ON: dict[str, str] = {
    "ja": "質問を言い換えるか、この内容を扱う文書を追加してください。",
    "en": "Try rephrasing the question, or add documents that cover it.",
}

# Normalised cores of the phrases (and near variants small models write); see is_abstention().
_NO_ANSWER_CORES = (
    "この質問に答える情報が見つかりませんでした",
    "この質問に答える情報は見つかりませんでした",
    "the documents don't say",
    "the documents do not say",
    "the passages don't say",
    "the passages do not say",
)


def detect_language(text: str) -> Language:
    """Return "ja" when the text has any kana or mostly Han characters, else "en".

    Han characters are weighed against Latin words (one Han character carries about as much as
    one word), so "What is 東京?" stays English while "東京 population" counts as Japanese.
    """
    text = unicodedata.normalize("NFKC", text)  # folds Kangxi radicals and full-width letters
    if _KANA.search(text):
        return "ja"
    han = len(_HAN.findall(text))
    words = len(_LATIN_WORD.findall(text))
    return "ja" if han > 0 and han > words else "en"


def abstention_message(language: str) -> str:
    """The answer given when the documents do not answer the question."""
    lang = _lang(language)
    sep = "" if lang == "ja" else " "
    return NO_ANSWER_PHRASE[lang] + sep + _ABSTAIN_FOLLOW_ON[lang]


def is_abstention(text: str) -> bool:
    """True when the text says the documents do not answer (our phrase or a close variant)."""
    norm = fold(text).replace("\u2019", "'")
    norm = re.sub(r"\s+", " ", norm)
    return any(core in norm for core in _NO_ANSWER_CORES)


def fallback_warning(language: str, detail: str = "") -> str:
    """Warning attached to an extractive answer given because the generator failed."""
    if _lang(language) == "ja":
        msg = "回答生成サーバーを利用できないため、文書から抜き出した文で答えています。"
        return msg + (f"（{detail}）" if detail else "")
    msg = "The answer generator is unavailable, so this answer quotes sentences from the documents."
    return msg + (f" ({detail})" if detail else "")


def unbacked_warning(language: str) -> str:
    """Warning for an extractive answer given because the generated one cited nothing valid."""
    if _lang(language) == "ja":
        return "生成された回答は文書で裏付けられなかったため、文書から抜き出した文で答えています。"
    return (
        "The generated answer was not backed by the passages, so this answer quotes sentences "
        "from the documents."
    )


def unsupported_warning(language: str, unsupported: int, total: int) -> str:
    """Warning for a generated answer whose sentences are not all backed by their citations."""
    if _lang(language) == "ja":
        return f"{total}文のうち{unsupported}文は、引用された箇所で裏付けを確認できませんでした。"
    return f"{unsupported} of {total} sentences are not supported by the passages they cite."


def _lang(language: str) -> Language:
    return "ja" if language == "ja" else "en"
