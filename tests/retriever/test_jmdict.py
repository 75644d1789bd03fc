"""JMdict lookups with the real dictionary of the jamdict-data package (a dependency)."""

from pathlib import Path

import pytest

from retriever.jmdict import JmdictDictionary

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def jmdict() -> JmdictDictionary:
    dictionary = JmdictDictionary.installed()
    assert dictionary is not None, "jamdict-data is a dependency of kotae"
    return dictionary


def test_japanese_words_to_english_from_the_first_senses(jmdict: JmdictDictionary) -> None:
    assert "upper limit" in jmdict.english("上限")
    assert "column" in jmdict.english("列")
    assert jmdict.english("テーブル")[0] == "table"
    assert "use" in jmdict.english("使う")  # "to use (a thing, method, etc.)" without "to"
    # 量's third sense is Indian philosophy: later senses are left out.
    assert "pramana" not in jmdict.english("量")
    assert jmdict.english("存在しない語") == ()


def test_english_words_and_phrases_to_japanese(jmdict: JmdictDictionary) -> None:
    license_words = jmdict.japanese("license")
    assert "ライセンス" in license_words and "免許" in license_words
    assert jmdict.japanese("keyboard shortcut") == ("キーボードショートカット",)
    assert jmdict.japanese("File")[0] == "ファイル"  # a common loanword comes first
    assert "入力" in jmdict.japanese("input")
    assert jmdict.japanese("no-such-gloss") == ()


def test_a_missing_database_fails_at_once(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        JmdictDictionary(tmp_path / "jamdict.db")
