"""How questions ask for a default and how manuals state one, in both languages."""

import pytest

from text.defaults import asks_default, implies_default, states_default

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("question", "named", "implied"),
    [
        ("convert-ly のログレベルは既定で何ですか？", True, False),
        ("What is the default value of shared_buffers?", True, False),
        ("lilypond コマンドの出力は、何も指定しないとどのレベルになりますか？", False, True),
        ("行送りを指定しなかった場合、行送りは何倍ですか？", False, True),
        ("If I don't give upmendex the -t option, which file does the log go to?", False, True),
        ("Which option turns on the log?", False, False),
        ("どのオプションを指定しますか？", False, False),
    ],
)
def test_questions_asking_for_a_default(question: str, named: bool, implied: bool) -> None:
    assert implies_default(question) is implied
    assert asks_default(question) is (named or implied)


@pytest.mark.parametrize(
    ("sentence", "states"),
    [
        ("PROGRESS (デフォルト), NONE, WARNING", True),
        ("既定値は 0.5.", True),
        ("The default is typically 128 megabytes.", True),
        ("指定がない場合は入力ファイルの拡張子を.ilgとしたもの", True),
        ("設定しなければ標準エラー出力に出力される。", True),
        ("-t log log ファイルをログファイルと見なします。", False),
        ("The log goes to the file given with -t.", False),
    ],
)
def test_sentences_stating_a_default(sentence: str, states: bool) -> None:
    assert states_default(sentence) is states
