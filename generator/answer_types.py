"""What kind of fact a question asks for, and which candidate sentences hold one.

A "how many" question is answered by a number with its unit; a "which option, command, file,
key or property" question by an identifier the question does not already name. The extractive
answerer adds these bonuses to the sentences that hold one, so it quotes the fact rather than
the heading or the sentence next to it.
"""

import re
from collections.abc import Sequence

from text.normalize import fold

_EN_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundred|thousand|million|billion|dozen|half|double|twice"
)
_JA_NUMERALS = "0-9０-９一二三四五六七八九十百千万億"
# 何層 / 何本 / 何% / 何パーセント (not 何を, 何が: those ask "what", not "how many").
_JA_COUNTER_Q = re.compile(r"何\s*([\u3400-\u9fff]|[ァ-ヶー]+|%)")
_JA_QUANTITY_Q = re.compile(
    r"いくつ|いくら|どのくらい|どれくらい|どれだけ|どの程度|何\s*[\u3400-\u9fffァ-ヶ%]"
    r"|[\u3400-\u9fffァ-ヶー]数(?:は|を|が)"  # パラメータ数は？ / 人数を教えて
)
_EN_QUANTITY_Q = re.compile(
    r"\bhow (?:many|much|long|large|big|old|far|often|fast|heavy|high|wide)\b"
    r"|\bwhat (?:percentage|percent|share|number|year|size|version|date)\b|\bwhen\b",
    re.IGNORECASE,
)
_EN_HOW_MANY_NOUN = re.compile(r"\bhow many ([a-z]+)", re.IGNORECASE)

# The kinds of thing a manual names with an identifier (questions are folded: NFKC, lower case).
_JA_THINGS = (
    r"オプション|コマンド|ファイル|キー|プロパティ|パッケージ|命令|記号|関数|変数|マクロ"
    r"|エンコーディング|拡張子|コード|名前|名称"
)
_JA_IDENTIFIER_Q = re.compile(
    rf"(?:どの|何という|なんという)\s*(?:{_JA_THINGS})|(?:{_JA_THINGS})(?:名)?\s*(?:は|を)\s*(?:何|なに|どれ)"
    r"|何を(?:指定|使|設定|押|入力)|どれ(?:です|を|が)"
)
_EN_THINGS = (
    r"option|command|file|key|shortcut|property|package|setting|parameter|function|variable"
    r"|macro|encoding|extension|code|name|format"
)
_EN_IDENTIFIER_Q = re.compile(
    rf"\b(?:which|what)\s+(?:\w+\s+)?(?:{_EN_THINGS})s?\b|\bwhat is the name\b"
    r"|\bkeyboard shortcut\b"
)
# Identifiers as manuals write them (matched on the unfolded text: case matters).
_IDENTIFIER = re.compile(
    r"(?<![\w-])--?[A-Za-z][\w-]*"  # a command-line option: -g, --output
    r"|\\[A-Za-z@]+"  # a TeX macro: \tentgt
    r"|\b[a-z]+[A-Z]\w*"  # camelCase: alignAboveContext
    r"|\b\w+_\w+"  # snake_case: shared_buffers
    r"|[\w-]*\.(?:xml|lua|tex|sty|cls|cfg|ini|conf|log|ilg|idx|ind|ly|py|sh|json|html?|txt)\b"
    r"|\b(?:Ctrl|Shift|Alt|Cmd|Command|Option)\s*\+\s*\w+|\bF\d{1,2}\b"  # keys
    r"|\b[A-Z]{2,}\d+\b|\bErr:\d+"  # codes: JY2, Err:522
    r"|[`「『][^`」』\s]{1,40}[`」』]"  # quoted names
)


def answer_type_bonus(question: str, sentences: Sequence[str]) -> list[float]:
    """A bonus per sentence for holding the kind of fact the question asks for (0 when the
    question asks for neither a quantity nor an identifier)."""
    q = fold(question)
    quantity = _quantity_bonus(q, sentences)
    if not (_JA_IDENTIFIER_Q.search(q) or _EN_IDENTIFIER_Q.search(q)):
        return quantity
    named = set(_IDENTIFIER.findall(question))
    return [
        bonus + (0.25 if set(_IDENTIFIER.findall(text)) - named else 0.0)
        for bonus, text in zip(quantity, sentences, strict=True)
    ]


def _quantity_bonus(q: str, sentences: Sequence[str]) -> list[float]:
    """For "how many" questions: sentences with numbers, more so a number with the unit asked."""
    if not (_JA_QUANTITY_Q.search(q) or _EN_QUANTITY_Q.search(q)):
        return [0.0] * len(sentences)
    unit: re.Pattern[str] | None = None
    if m := _JA_COUNTER_Q.search(q):
        unit = re.compile(rf"[{_JA_NUMERALS}][{_JA_NUMERALS}.,]*\s*{re.escape(m.group(1))}")
    elif m := _EN_HOW_MANY_NOUN.search(q):
        noun = m.group(1).rstrip("s")
        unit = re.compile(rf"(?:\d[\d.,]*|\b(?:{_EN_NUMBER_WORDS}))\s+(?:\w+\s+)?{noun}")
    number = re.compile(rf"\d|\b(?:{_EN_NUMBER_WORDS})\b")
    out = []
    for sentence in sentences:
        text = fold(sentence)
        bonus = 0.15 if number.search(text) else 0.0
        if unit is not None and unit.search(text):
            bonus += 0.15
        out.append(bonus)
    return out
