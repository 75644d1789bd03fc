from concurrent.futures import ThreadPoolExecutor

import pytest

from retriever.tokenizer import JapaneseTokenizer, latin_terms

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def tok() -> JapaneseTokenizer:
    return JapaneseTokenizer()


def test_compound_is_split_into_short_units(tok: JapaneseTokenizer) -> None:
    doc = tok("大規模言語モデルの評価")
    assert doc == ["大", "規模", "言語", "モデル", "評価"]
    assert set(tok("言語モデル")) <= set(doc)


def test_particles_auxiliaries_and_punctuation_are_dropped(tok: JapaneseTokenizer) -> None:
    assert tok("猫が魚を食べました。") == ["猫", "魚", "食べる"]
    # する/いる and formal nouns carry no content.
    assert tok("することができている") == []


@pytest.mark.parametrize(
    ("a", "b", "shared"),
    [
        ("モデルを学習しました", "モデルを学習する", "学習"),
        ("論文を書いた", "論文を書く", "書く"),
        ("結果は美しかった", "美しい結果", "美しい"),
        ("意味がわかる", "意味が分かる", "分かる"),
        ("パラメータ", "パラメーター", "パラメーター"),
        ("売上", "売り上げ", "売り上げ"),
    ],
)
def test_inflected_and_variant_forms_share_a_term(
    tok: JapaneseTokenizer, a: str, b: str, shared: str
) -> None:
    assert shared in tok(a)
    assert shared in tok(b)


def test_english_is_lower_cased_without_stopwords(tok: JapaneseTokenizer) -> None:
    assert tok("The Transformer is an Encoder") == ["transformer", "encoder"]
    assert tok("Models and queries") == ["model", "query"]


def test_question_words_are_not_terms(tok: JapaneseTokenizer) -> None:
    # A question's 何 / いくつ / what is in no answer: as a rare term it matched FAQ headings
    # ("これは何?") instead.
    assert tok("上限はいくつですか") == ["上限"]
    assert tok("これは何?") == []
    assert tok("What is the default, and how does it work?") == ["default", "work"]
    # 何 + a unit asks for that unit: the unit stays, on both sides.
    assert tok("既定では何分ですか") == ["既定", "分"]
    assert tok("何倍になりますか") == ["倍"]
    assert "分" in tok("既定値は5分です")
    # Kana formal nouns and the さ of 長さ are grammar; 時 in kanji stays (実行時).
    assert tok("長さがそろいません") == ["長い", "揃う"]
    assert tok("入力するときの既定") == ["入力", "既定"]
    assert tok("実行時の既定") == ["実行", "時", "既定"]
    # Single letters stay: they name options ("-t", "-s").
    assert tok("the -t option") == ["t", "option"]


def test_model_names_stay_whole_and_match_their_spellings(tok: JapaneseTokenizer) -> None:
    assert tok("GPT-4は175Bのモデル") == ["gpt-4", "gpt4", "175b", "モデル"]
    assert "15.5b" in tok("StarCoder 15.5B")
    assert "llama2" in tok("Llama2")
    assert "1.3b" in tok("1.3Bのモデル")
    # Full-width input is NFKC-folded to the same terms as ASCII.
    assert tok("ＧＰＴ－４") == tok("gpt-4")
    # Without the hyphen a query still meets the document, through the joined form...
    assert set(tok("GPT4")) & set(tok("GPT-4")) == {"gpt4"}
    # ...but a bare "GPT" does not match every GPT-n.
    assert not set(tok("GPT")) & set(tok("GPT-3 と GPT-4"))


def test_numbers_are_kept(tok: JapaneseTokenizer) -> None:
    assert tok("2023年の予算") == ["2023", "年", "予算"]
    assert "12288" in tok("12,288次元")
    assert tok("12,288") == tok("12288")


def test_latin_terms_forms() -> None:
    assert latin_terms("Llama-2-70B") == ["llama-2-70b", "llama270b"]
    assert latin_terms("C++ and C#") == ["c++", "c#"]
    assert latin_terms("v1.2.3 of node.js") == ["v1.2.3", "node.js"]
    assert latin_terms("fine-tuning co-pilots") == [
        "fine-tuning",
        "finetuning",
        "co-pilots",
        "copilot",
    ]


def test_thread_pool_gives_the_same_tokens(tok: JapaneseTokenizer) -> None:
    texts = [f"第{i}章では大規模言語モデルGPT-{i}を学習しました。" for i in range(200)]
    expected = [tok(t) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(tok.tokenize, texts)) == expected


def test_content_words_carry_the_english_source_of_loanwords(tok: JapaneseTokenizer) -> None:
    words = tok.content_words("PostgreSQL 15 で1つのテーブルに持たせられる列の数の上限は？")
    assert words == [("テーブル", "table"), ("持つ", ""), ("列", ""), ("数", ""), ("上限", "")]
    assert tok.content_words("チェックポイントのメモリ") == [
        ("チェックポイント", "checkpoint"),
        ("メモリー", "memory"),  # the index term is unidic's lemma, as in documents
    ]


def test_a_word_wrapped_across_lines_is_one_term() -> None:
    tokenizer = JapaneseTokenizer()
    assert "ファイル" in tokenizer.tokenize("索引リストファ\nイル(.idx)を並べ替え")
    assert tokenizer.tokenize("リストファ\nイル") == tokenizer.tokenize("リストファイル")
