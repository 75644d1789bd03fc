"""The words for "default", and how questions ask for one and manuals state one.

"What is the default" is the commonest question about a manual, and it is often asked without
the word ("何も指定しないと", "if I don't give"). The keyword bridge looks for a manual's
default under all of these names; the extractive answerer prefers a sentence that states one.
"""

import re

# Japanese and English manuals name the concept these ways (JMdict glosses 既定 as
# "established; predetermined" and "default" as 滞納, a missed payment).
DEFAULT_WORDS = ("既定", "既定値", "デフォルト", "初期値", "省略時", "default")

# "何も指定しないと" / "指定しなかった場合" / "省略すると" / "if I don't give/specify/set".
_IMPLIED = re.compile(
    r"(?:何も|特に)?(?:指定|設定)(?:し|せ)(?:ない|なかった|ず)|省略(?:する|した|時)"
    r"|\b(?:don't|do not|didn't|doesn't|without) (?:give|giving|specify|specifying|set|setting"
    r"|pass|passing|use|using)\b",
    re.IGNORECASE,
)
# A default named in either language ("既定値は…", "The defaults are…").
_NAMED = re.compile(
    "|".join(rf"\b{w}s?\b" if w.isascii() else re.escape(w) for w in DEFAULT_WORDS),
    re.IGNORECASE,
)
# "指定がない場合は…", "設定しなければ…": a manual stating what happens when nothing is given.
_WHEN_NOT_GIVEN = re.compile(r"(?:指定|設定)(?:が|の)?(?:ない|なければ|しない|しなければ|されない)")


def implies_default(question: str) -> bool:
    """Does the question ask what happens when nothing is given, without naming a default?"""
    return bool(_IMPLIED.search(question))


def asks_default(question: str) -> bool:
    """Does the question ask for a default, by name or by implication?"""
    return bool(_NAMED.search(question)) or implies_default(question)


def states_default(sentence: str) -> bool:
    """Does the sentence state a default ("デフォルトは…", "既定値は 0.5", "指定がない場合は…",
    "The default is 128 MB")?"""
    return bool(_NAMED.search(sentence) or _WHEN_NOT_GIVEN.search(sentence))
