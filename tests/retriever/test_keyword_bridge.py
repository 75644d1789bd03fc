"""The cross-lingual keyword bridge with the real tokenizer and the real JMdict."""

import re

import pytest

from retriever.jmdict import JmdictDictionary
from retriever.keyword_bridge import KeywordBridge
from retriever.keyword_index import KeywordIndex
from retriever.tokenizer import JapaneseTokenizer

pytestmark = pytest.mark.unit

CHUNKS = {
    1: "Table K.1. PostgreSQL Limitations: columns per table 1,600, and the upper limit of "
    "identifier length is 63 bytes.",
    2: "The default is typically 128 megabytes of shared memory for buffers.",
    3: "このパッケージのライセンスは修正 BSD とします。",
    4: "表の挿入または編集には Ctrl+F12 を押します。",
    5: "段組みの途中で改段するには Ctrl+Shift+Enter を押します。",
}


@pytest.fixture(scope="module")
def tokenizer() -> JapaneseTokenizer:
    return JapaneseTokenizer()


@pytest.fixture(scope="module")
def bridge(tokenizer: JapaneseTokenizer) -> KeywordBridge:
    jmdict = JmdictDictionary.installed()
    assert jmdict is not None, "jamdict-data is a dependency of kotae"
    return KeywordBridge(tokenizer, jmdict, weight=0.5, max_alternatives=4, glossary=True)


@pytest.fixture(scope="module")
def index(tokenizer: JapaneseTokenizer) -> KeywordIndex:
    index = KeywordIndex(tokenizer.tokenize)
    index.add_many(CHUNKS.items())
    return index


def alternatives(groups, term: str) -> dict[tuple[str, ...], float]:
    group = next(g for g in groups if g[0][0] == (term,))
    return {tuple(terms): weight for terms, weight in group}


def test_japanese_question_words_gain_english_translations(bridge, index) -> None:
    groups = bridge.expand("1つのテーブルに持たせられる列の数の上限は？", index.idf)
    assert ("table",) in alternatives(groups, "テーブル")  # unidic's loanword source
    assert ("column",) in alternatives(groups, "列")  # JMdict
    assert ("upper", "limit") in alternatives(groups, "上限")
    # Translations the collection lacks ("queue", "procession") are dropped.
    assert all(t in index.idf([t]) for g in groups for alt, _ in g[1:] for t in alt)


def test_english_question_words_gain_japanese_translations(bridge, index) -> None:
    groups = bridge.expand("Under what license is the package distributed?", index.idf)
    assert ("ライセンス",) in alternatives(groups, "license")
    assert bridge.translations("keyboard shortcut")["keyboard"][0] == (
        "キーボード",
        "ショート",
        "カット",
    )


def test_translations_weigh_less_than_the_word_itself(bridge, index) -> None:
    for query in ("テーブルの列の上限", "Which license?", "表の挿入"):
        for group in bridge.expand(query, index.idf):
            (own, own_weight), *translated = group
            assert own_weight == 1.0 and len(own) == 1
            assert len(translated) <= 4
            assert all(0 < weight <= 0.5 for _, weight in translated)
    # Capped by IDF too: a translation rarer than the word counts no more than the word.
    idf = {"テーブル": 1.0, "table": 4.0}
    groups = bridge.expand("テーブル", lambda terms: {t: idf[t] for t in terms if t in idf})
    assert groups == [[(("テーブル",), 1.0), (("table",), pytest.approx(0.5 * 1.0 / 4.0))]]


def test_a_japanese_question_finds_an_english_chunk_only_with_the_bridge(bridge, index) -> None:
    question = "1つのテーブルに持たせられる列の数の上限はいくつですか？"
    assert index.search(question, 5) == []
    hits = index.search_groups(bridge.expand(question, index.idf), 5)
    assert hits[0][0] == 1


def test_an_english_question_finds_a_japanese_chunk_only_with_the_bridge(bridge, index) -> None:
    question = "Under what license is it distributed?"
    assert index.search(question, 5) == []
    assert index.search_groups(bridge.expand(question, index.idf), 5)[0][0] == 3


def test_a_chunk_holding_word_and_translation_gains_nothing_from_the_translation(
    tokenizer, bridge
) -> None:
    index = KeywordIndex(tokenizer.tokenize)
    index.add_many([(1, "テーブル テーブル"), (2, "テーブル table"), (3, "その他"), (4, "table")])
    hits = dict(index.search_groups(bridge.expand("テーブル", index.idf), 5))
    plain = dict(index.search("テーブル", 5))
    assert hits[2] == pytest.approx(plain[2])  # the better of the two, not their sum
    assert 0 < hits[4] < plain[2]  # the English chunk is found, below the word's own match


def test_bad_settings_fail_at_construction(tokenizer) -> None:
    jmdict = JmdictDictionary.installed()
    with pytest.raises(ValueError):
        KeywordBridge(tokenizer, jmdict, weight=1.5, max_alternatives=4, glossary=True)
    with pytest.raises(ValueError):
        KeywordBridge(tokenizer, jmdict, weight=0.5, max_alternatives=0, glossary=True)


def test_the_glossary_names_a_concept_the_dictionary_does_not_link(tokenizer, bridge) -> None:
    # JMdict glosses 既定 "predetermined" and "default" 滞納; manuals write デフォルト/default.
    index = KeywordIndex(tokenizer.tokenize)
    chunks = ["デフォルトの入力言語はオランダ語です。", "入力言語の一覧。", "既定"]
    chunks += ["The default is 128 megabytes.", "言語の設定。"]
    index.add_many(enumerate(chunks, 1))
    groups = bridge.expand("既定の入力言語は何語ですか？", index.idf)
    named = alternatives(groups, "既定")
    assert named[("デフォルト",)] == pytest.approx(1.0)  # another name counts as the word
    assert named[("default",)] == pytest.approx(1.0)
    assert index.search_groups(groups, 5)[0][0] == 1
    english = alternatives(bridge.expand("What is the default?", index.idf), "default")
    assert ("デフォルト",) in english and ("既定",) in english


def test_a_default_implied_but_not_named_is_looked_for(tokenizer, bridge) -> None:
    index = KeywordIndex(tokenizer.tokenize)
    index.add_many(
        [(1, "ログレベル PROGRESS (デフォルト)"), (2, "ログレベル DEBUG"), (3, "その他")]
    )
    for question in (
        "ログレベルを何も指定しないとどうなりますか？",
        "If I don't give a log level?",
    ):
        groups = bridge.expand(question, index.idf)
        implied = groups[-1]
        assert (("デフォルト",), 0.5) in implied  # weighted as a translation: it is a guess
        hits = index.search_groups(groups, 5)
        assert hits[0][0] == 1 and len(hits) >= 2
    plain = bridge.expand("ログレベルを指定するには？", index.idf)
    assert not any(("デフォルト",) in dict(g) for g in plain)


def test_the_glossary_can_be_switched_off(tokenizer) -> None:
    jmdict = JmdictDictionary.installed()
    plain = KeywordBridge(tokenizer, jmdict, weight=0.5, max_alternatives=4, glossary=False)
    index = KeywordIndex(tokenizer.tokenize)
    index.add_many([(1, "デフォルト"), (2, "既定"), (3, "default")])
    assert ("デフォルト",) not in alternatives(plain.expand("既定の値", index.idf), "既定")
    assert len(plain.expand("何も指定しないと", index.idf)) == len(
        tokenizer.tokenize("何も指定しないと")
    )


def test_the_dense_query_adds_translations_into_the_other_language_only(bridge) -> None:
    question = "1つのテーブルに持たせられる列の数の上限はいくつですか？"
    added = bridge.translated_query(question, 2).removeprefix(question).split()
    assert {"table", "row", "upper", "limit"} <= set(added)  # 列: "line; row; column" in JMdict
    assert not any(re.search(r"[\u3040-\u9fff]", word) for word in added)  # no デフォルト etc.
    english = "Under what license is the package distributed?"
    added = bridge.translated_query(english, 2).removeprefix(english).split()
    assert "ライセンス" in added and "パッケージ" in added
    assert all(re.search(r"[\u3040-\u9fff]", word) for word in added)  # no "default" etc.


def test_the_dense_query_keeps_at_most_per_word_translations(bridge) -> None:
    question = "既定のフォントサイズは？"
    one, three = (bridge.translated_query(question, n) for n in (1, 3))
    assert one.startswith(question) and three.startswith(one.split()[0])
    assert len(one.split()) < len(three.split())
    assert bridge.translated_query("xyzzy?", 2) == "xyzzy?"  # nothing to translate


def test_a_questions_translations_are_computed_once_and_read_only(bridge) -> None:
    first = bridge.translations("共有メモリの既定の量は？")
    assert bridge.translations("共有メモリの既定の量は？") is first
    with pytest.raises(TypeError):
        first["共有"] = ()  # type: ignore[index]
