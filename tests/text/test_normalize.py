import random
import time

import pytest

from text.normalize import fold, normalize_text

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("⼤規模⾔語モデル", "大規模言語モデル"),  # Kangxi radicals
        ("𝐶𝑜𝑠𝑡 𝐶", "Cost C"),  # mathematical italic letters
        ("ＧＰＴ－４ は １２３", "GPT-4 は 123"),  # full-width ASCII
        ("ｶﾀｶﾅ", "カタカナ"),  # half-width katakana
        ("活 用 方 法", "活用方法"),
        ("言 語", "言語"),
        ("こ れ は 「 本 」 で す 。 そ れ 、 あ れ", "これは「本」です。それ、あれ"),
        ("日本　語", "日本語"),  # ideographic space
        ("時々 々 〆切", "時々々〆切"),
        ("ラ ー メ ン", "ラーメン"),
        ("large language model", "large language model"),
        ("GPT 4 の 活 用", "GPT 4 の活用"),
        ("a\u200bb\u200cc\u200dd\u2060e\ufefff\u00adg", "abcdefg"),
        ("bell\x07 and\x00nul\x1b", "bell andnul"),
        ("tabs\t\tand   spaces", "tabs and spaces"),
        ("  line one  \n\t line two \n", "line one\nline two"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("a\r\nb\rc\u2028d", "a\nb\nc\nd"),
        ("a\u00a0b\u2003c", "a b c"),
    ],
)
def test_normalize_examples(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # From the seed decks' extracted text.
        ("models (e.g., BERT, DALL-E, GPT- 3) that", "models (e.g., BERT, DALL-E, GPT-3) that"),
        ("OpenAIのtext-embedding- 3 -smallなど", "OpenAIのtext-embedding-3-smallなど"),
        ("Meta-Llama- 3 - 8 B/LICENSE", "Meta-Llama-3-8 B/LICENSE"),
        ("entry/first- challenge-tabelog", "entry/first-challenge-tabelog"),
        ("GPT- 3.5 と GPT- 4", "GPT-3.5 と GPT-4"),
        ("COVID-19- related", "COVID-19-related"),
        ("H u g g i n g F a c e H u b", "Hugging Face Hub"),
        ("S t a n f o r d C e n t e r ( C R F M )", "Stanford Center ( C R F M )"),
    ],
)
def test_repairs_spaced_identifiers(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    "prose",
    [
        "pages 3 - 5",
        "four- and eight-byte integers",
        "A- and B-grade",
        "an A- grade",
        "pre- or post-processing",
        "In 2020- the year",
        "Note- this is kept",
        "gconftool-2 -t string -s /desktop",  # a command's options
        "ls -l - 3",
        "{ C D E } is an error",  # music notes
        "c' d e f g a b c",
        "N Y N",
        "T F T F T",
    ],
)
def test_leaves_prose_and_code_alone(prose: str) -> None:
    assert normalize_text(prose) == prose


def test_removes_zero_width_characters() -> None:
    # LuaTeX-ja PDFs put a zero-width space between characters; the grapheme joiner and
    # ideographic variation selectors are invisible too.
    raw = "日本\u200b語\u200b \u200bの a\u034fb 葛\U000e0100城"
    assert normalize_text(raw) == "日本語の ab 葛城"


def test_space_between_cjk_and_latin_may_stay() -> None:
    assert normalize_text("LLM の 活 用 と RAG") == "LLM の活用と RAG"


def test_keeps_newlines_between_cjk_lines() -> None:
    assert normalize_text("一行目\n二行目") == "一行目\n二行目"


# Characters chosen to provoke the interactions between steps: combining marks next to removed
# spaces, half-width voiced marks that NFKC turns into combining ones, invisible characters,
# every kind of space and line break.
_TRICKY = list(
    "あいカー漢字々。「」、 \t\n\r\u3000\u00a0\u2003\u200b\u00ad\ufeff\x07\u2028"
    "\u3099\u309a\u309b\u302a\u302bﾞﾟｶ⼤𝐶ＡaZ1.\u0301\u0323é"
)


def test_idempotent_on_random_strings() -> None:
    rng = random.Random(20240601)
    for _ in range(5000):
        raw = "".join(rng.choice(_TRICKY) for _ in range(rng.randrange(25)))
        once = normalize_text(raw)
        assert normalize_text(once) == once, repr(raw)
        assert "  " not in once and "\t" not in once and "\n\n\n" not in once
        assert " \n" not in once and "\n " not in once and once == once.strip()


def test_idempotent_on_identifier_like_strings() -> None:
    rng = random.Random(20261130)
    alphabet = [*"aBc3- ./-\nあ", "- ", " - ", "and "]
    for _ in range(5000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randrange(30)))
        once = normalize_text(raw)
        assert normalize_text(once) == once, repr(raw)


def test_idempotent_on_realistic_text() -> None:
    raw = (
        "第 1 章 ⼤規模 言 語 モ デ ル\n\n\n  GPT 4 の 活 用 方 法 。 \u200b\n"
        "Next: large  language models!"
    )
    once = normalize_text(raw)
    assert once == "第 1 章大規模言語モデル\n\nGPT 4 の活用方法。\nNext: large language models!"
    assert normalize_text(once) == once


def test_fast_on_40kb() -> None:
    unit = "第 1 章 ⼤規模 言 語 モ デ ル の 活 用 。 Large  language models are useful.\n"
    text = unit * (40_000 // len(unit.encode()))
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        normalize_text(text)
        best = min(best, time.perf_counter() - started)
    assert best < 0.05  # measured ~5 ms; the bound catches pathological regexes


def test_fold_folds_width_and_case_only() -> None:
    assert fold("ＧＰＴ－４ Ｌａｙｅｒｓ ⼤規模") == "gpt-4 layers 大規模"
    assert fold("活 用\n") == "活 用\n"  # no clean-up: that is normalize_text's job


def test_unwrap_cjk_lines_joins_only_lines_broken_inside_japanese() -> None:
    from text.normalize import unwrap_cjk_lines

    wrapped = "索引リストファ\nイル(.idx)を並べ替え\nます。\nNext line\n日本語\n\n次の段落"
    assert unwrap_cjk_lines(wrapped) == (
        "索引リストファイル(.idx)を並べ替えます。\nNext line\n日本語\n\n次の段落"
    )
