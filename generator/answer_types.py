"""What kind of fact a question asks for, and which candidate sentences hold one.

A "how many" question is answered by a number with its unit; a "which option, command, file,
key, encoding or symbol" question by an identifier of that shape which the question does not
already name, best one written next to the word for the thing asked ("nopapersize オプション",
"パッケージとして bxcjkjatype"). The extractive answerer adds these bonuses to the sentences
that hold one, so it quotes the fact rather than the heading or the sentence next to it.
"""

import re
from collections.abc import Sequence

from text.defaults import asks_default, states_default
from text.normalize import fold

_EN_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundred|thousand|million|billion|dozen|half|double|twice"
)
_JA_NUMERALS = "0-9０-９一二三四五六七八九十百千万億"
# 何層 / 何本 / 何% / 何パーセント (not 何を, 何が: those ask "what", not "how many"; nor
# 何語 "which language", 何色 "which colour", 何曜日, 何型, 何者 ...: those ask which kind).
_WHICH_KIND = "(?![語色曜型系製県族者])"
_JA_COUNTER_Q = re.compile(
    rf"何\s*{_WHICH_KIND}([\u3400-\u9fff]|[ァ-ヶー]+|%|[a-z]{{1,3}}(?![a-z]))"
)
_JA_QUANTITY_Q = re.compile(
    r"いくつ|いくら|いつ|どのくらい|どれくらい|どれだけ|どの程度"
    rf"|何\s*{_WHICH_KIND}(?:[\u3400-\u9fffァ-ヶ%]|[a-z]{{1,3}}(?![a-z]))"
    r"|[\u3400-\u9fffァ-ヶー]数(?:は|を|が)"  # パラメータ数は？ / 人数を教えて
)
_EN_QUANTITY_Q = re.compile(
    r"\bhow (?:many|much|long|large|big|old|far|often|fast|heavy|high|wide)\b"
    # "what size", "what is the minimum LuaTeX version", "what's the default number of …"
    r"|\bwhat(?:'s|\s+is|\s+are|\s+was)?(?:\s+the)?"
    r"(?:\s+(?!(?:of|for|in|on|to|by|with)\b)[\w-]+){0,2}?\s+"
    r"(?:percentage|percent|share|number|year|size|version|date|length|width|height"
    r"|depth|weight|distance|duration|speed|temperature|limit)\b|^\s*when\b",
    re.IGNORECASE,
)
_EN_HOW_MANY_NOUN = re.compile(r"\bhow many ([a-z]+)", re.IGNORECASE)
# Units a manual in the other language writes the number with: "何バイト" ↔ "63 bytes".
_UNITS = (
    ("バイト", "bytes?"), ("ビット", "bits?"), ("文字", "characters?|chars?"),
    ("秒", "seconds?|secs?"), ("分", "minutes?|mins?"), ("時間", "hours?"), ("日", "days?"),
    ("年", "years?"), ("行", "lines?|rows?"), ("列", "columns?"), ("ページ", "pages?"),
    ("件", "entries|records?|items?"), ("個", "items?|pieces?"), ("回", "times"),
    ("倍", "times"), ("人", "people|persons?"), ("言語", "languages?"), ("層", "layers?"),
    ("桁", "digits?"), ("ポイント", "points?|pt"),
)  # fmt: skip

# Identifiers as manuals write them (matched on the unfolded text: case matters).
_CLI_OPTION = r"(?<![\w-])--?[A-Za-z][\w-]*"  # -g, --output
_TEX_MACRO = r"\\[A-Za-z@]+"  # \tentgt
_CAMEL = r"(?<![A-Za-z])[a-z]+[A-Z]\w*"  # alignAboveContext
_SNAKE = r"(?<![\w])[A-Za-z]\w*_\w+"  # shared_buffers
_FILE = (
    r"[\w/-]*\.(?:xml|lua|tex|sty|cls|cfg|ini|conf|log|ilg|idx|ind|ist|ly|py|sh|json|html?|txt"
    r"|pdf|tfm|vf|otf|ttf|map|dic|csv)(?![A-Za-z0-9])|(?<![\w/])/(?:[\w.-]+/)+[\w.-]*"
)
_KEYS = r"(?:Ctrl|Shift|Alt|Cmd|Command|Option)\s*\+\s*\w+|(?<![A-Za-z0-9])F\d{1,2}(?!\w)"
_CODE = r"(?<![A-Za-z0-9])[A-Z]{2,}\d+(?![A-Za-z0-9])|Err:\d+|#[A-Z0-9/]+[!?]"
_ENCODING = _CODE + r"|(?<![A-Za-z])(?:UTF|EUC|ISO|Shift[_-]JIS|JIS|CP)[\w-]*"
_QUOTED = r"[`「『‘“][^`」』’”\s]{1,40}[`」』’”]"
_SYMBOL = r"[(（]\s*[^\w\s()（）]{1,3}\s*[)）]"  # "セミコロン (;)"
_BRACED = r"(?<=\{)[\w-]+(?=\})"  # \usepackage{luatexja}
_ANY_SHAPE = "|".join(
    [_CLI_OPTION, _TEX_MACRO, _CAMEL, _SNAKE, _FILE, _KEYS, _CODE, _QUOTED, _SYMBOL]
)

# Kind asked about: its words (folded, Japanese | English) and the identifier shapes it takes.
_KINDS: dict[str, tuple[str, str]] = {
    "option": (r"オプション|引数|スイッチ", r"option|flag|switch|argument"),
    "command": (r"コマンド|命令|マクロ|関数", r"command|macro|function|instruction"),
    "file": (r"ファイル|拡張子|パス|ディレクトリ", r"file|extension|path|directory|folder"),
    "key": (r"キー|ショートカット", r"key|shortcut|keystroke"),
    "encoding": (r"エンコーディング|文字コード|符号化", r"encoding|charset"),
    "code": (r"コード|エラー|エラー値", r"code|error"),
    "property": (
        r"プロパティ|変数|パラメータ|設定項目|属性",
        r"property|variable|parameter|setting|attribute",
    ),
    "package": (
        r"パッケージ|クラス|ライブラリ|モジュール|拡張機能",
        r"package|class|library|module|extension",
    ),
    "symbol": (r"記号|文字", r"symbol|character|sign|delimiter"),
    "name": (
        r"名前|名称|フォント|ツール|形式|フォーマット|データセット",
        r"name|font|tool|format|dataset|program",
    ),
}
_SHAPES: dict[str, str] = {
    "option": "|".join([_CLI_OPTION, _CAMEL, _SNAKE, _QUOTED]),
    "command": "|".join([_TEX_MACRO, _CLI_OPTION, _QUOTED, r"\b\w+\(\)?"]),
    "file": "|".join([_FILE, _QUOTED]),
    "key": _KEYS,
    "encoding": _ENCODING,
    "code": _CODE,
    "property": "|".join([_CAMEL, _SNAKE, _CLI_OPTION, _QUOTED]),
    "package": "|".join([_BRACED, _QUOTED]),
    "symbol": "|".join([_SYMBOL, _QUOTED]),
    "name": "|".join([_QUOTED, _CAMEL, _BRACED, _FILE]),
}
# "what / which" (not どのように "how", どれくらい "how much": asked separately).
_JA_WHAT = r"(?:何(?!故)|なに|なん|どれ(?!くらい|だけ|ほど)|どの(?!よう|くらい|程度)|どちら)"
_EN_WHAT = re.compile(r"\b(?:which|what)\b((?:\s+[\w-]+){1,4})|\bname of\b")
# A condition ends the noun phrase asked about: "…を指定すると、", "…の場合".
_CLAUSE_END = re.compile(r"[ばと]、|たら|場合|とき[、,]")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_LATIN_TOKEN = r"[A-Za-z\\-][\w.+\\-]*\w"

# Bonuses, added to a content score of about 0..1.
_NUMBER_BONUS = 0.15
_UNIT_BONUS = 0.15
_SHAPE_BONUS = 0.3  # an identifier of the shape asked for
_BESIDE_BONUS = 0.35  # one written next to the word for the thing asked
_OTHER_BONUS = 0.1  # an identifier of another shape
_DEFAULT_BONUS = 0.15  # a default stated, for a question asking for one (as a unit is)


def answer_type_bonus(question: str, sentences: Sequence[str]) -> list[float]:
    """A bonus per sentence for holding the kind of fact the question asks for (0 when the
    question asks for neither a quantity, an identifier nor a default). A question asking for
    a default ("既定で何", "if I don't give -t") also favours the sentences that state one."""
    q = fold(question)
    if _is_quantity_question(q):
        bonus = _quantity_bonus(q, sentences)
    elif kinds := asked_kinds(q):
        bonus = [_identifier_bonus(q, kinds, s) for s in sentences]
    else:
        bonus = [0.0] * len(sentences)
    if asks_default(q):
        default = [_DEFAULT_BONUS if states_default(fold(s)) else 0.0 for s in sentences]
        bonus = [b + d for b, d in zip(bonus, default, strict=True)]
    return bonus


def asked_kinds(question: str) -> list[str]:
    """The kind of identifier a (folded) question asks for, e.g. ["option"]: the thing word
    right after どの / which, or the last one before 何 in the same clause ("エンコーディング名は
    何"; not "関数で…を指定すると、…何が返る", which asks for a value); [] when it asks for none."""
    found: list[tuple[int, str]] = []  # (distance to the question word, kind)
    english = _EN_WHAT.search(question)
    for kind, (ja, en) in _KINDS.items():
        if re.search(rf"{_JA_WHAT}(?:という|の)?\s*(?:{ja})", question):
            found.append((0, kind))
        for near in re.finditer(rf"(?:{ja})(?P<gap>.{{0,40}}?){_JA_WHAT}", question):
            if not _CLAUSE_END.search(near.group("gap")):
                found.append((len(near.group("gap")), kind))
        if english and (after := re.search(rf"\b(?:{en})s?\b", english.group(0))):
            found.append((after.start(), kind))
    if found:
        nearest = min(distance for distance, _ in found)
        return [kind for distance, kind in found if distance == nearest]
    if re.search(r"何を(?:指定|使|設定|押|入力|書|記述)", question):
        return ["option", "command", "property", "key"]
    return []


def asks_identifier(question: str) -> bool:
    """Does the question ask for an option, key, file, name... (not for a quantity)?"""
    q = fold(question)
    return not _is_quantity_question(q) and bool(asked_kinds(q))


def holds_identifier(text: str) -> bool:
    """Does the text hold a number or something shaped like an identifier?"""
    return bool(re.search(rf"\d|{_ANY_SHAPE}", text))


def answer_tokens(question: str, sentence: str) -> set[str]:
    """The candidate answers a sentence offers: the numbers for a quantity question, the
    identifiers the question does not name for an identifier question (folded)."""
    q = fold(question)
    if _is_quantity_question(q):
        return set(re.findall(r"\d[\d.,]*", fold(sentence)))
    if not asked_kinds(q):
        return set()
    found = re.findall(_ANY_SHAPE, sentence) + re.findall(rf"(?<![\w-]){_LATIN_TOKEN}", sentence)
    return {_core(f) for f in found} - {""} - {c for c in map(_core, found) if c in q}


def _identifier_bonus(q: str, kinds: Sequence[str], sentence: str) -> float:
    def new(found: list[str]) -> bool:
        return any(_core(f) and _core(f) not in q for f in found)

    for kind in kinds:
        ja, en = _KINDS[kind]
        thing = rf"(?:{ja}|(?<![A-Za-z])(?:{en})s?(?![A-Za-z]))"
        beside = re.findall(
            rf"({_LATIN_TOKEN})\s*{thing}|{thing}(?:として|は|の|:)?\s*({_LATIN_TOKEN})",
            sentence,
            re.IGNORECASE,
        )
        # In English text a plain word beside "option" is grammar ("an error"), not a name.
        names = [a or b for a, b in beside]
        if not _JAPANESE.search(sentence):
            names = [n for n in names if re.fullmatch(_ANY_SHAPE, n)]
        if new(names):
            return _BESIDE_BONUS
    if any(new(re.findall(_SHAPES[kind], sentence)) for kind in kinds):
        return _SHAPE_BONUS
    return _OTHER_BONUS if new(re.findall(_ANY_SHAPE, sentence)) else 0.0


def _core(identifier: str) -> str:
    """An identifier without its quotes or brackets, folded, to compare with the question."""
    return fold(identifier).strip(" `「」『』‘’“”()（）")


def _is_quantity_question(q: str) -> bool:
    return bool(_JA_QUANTITY_Q.search(q) or _EN_QUANTITY_Q.search(q))


def _quantity_bonus(q: str, sentences: Sequence[str]) -> list[float]:
    """For "how many" questions: sentences with numbers, more so a number with the unit asked
    (in either language)."""
    unit: re.Pattern[str] | None = None
    if m := _JA_COUNTER_Q.search(q):
        words = [re.escape(m.group(1))] + [en for ja, en in _UNITS if ja == m.group(1)]
        unit = re.compile(rf"[{_JA_NUMERALS}][{_JA_NUMERALS}.,]*\s*(?:{'|'.join(words)})")
    elif m := _EN_HOW_MANY_NOUN.search(q):
        noun = m.group(1).rstrip("s")
        ja_units = [ja for ja, en in _UNITS if re.fullmatch(en, m.group(1))]
        unit = re.compile(
            rf"(?:\d[\d.,]*|\b(?:{_EN_NUMBER_WORDS}))\s+(?:\w+\s+)?{noun}"
            + "".join(rf"|\d[\d.,]*\s*{ja}" for ja in ja_units)
        )
    number = re.compile(rf"\d|\b(?:{_EN_NUMBER_WORDS})\b")
    out = []
    for sentence in sentences:
        text = fold(sentence)
        bonus = _NUMBER_BONUS if number.search(text) else 0.0
        if unit is not None and unit.search(text):
            bonus += _UNIT_BONUS
        out.append(bonus)
    return out
