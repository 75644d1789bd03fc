import math
import random
import threading
from collections import Counter
from pathlib import Path

import pytest

import retriever.keyword_index as keyword_index
import retriever.keyword_postings as keyword_postings
import retriever.keyword_scoring as keyword_scoring
from retriever.keyword_index import KeywordIndex
from retriever.tokenizer import JapaneseTokenizer

pytestmark = pytest.mark.unit


def split(text: str) -> list[str]:
    return text.split()


def tiny() -> KeywordIndex:
    index = KeywordIndex(split)
    index.add_many([(1, "a b c"), (2, "a a d"), (3, "b d e f")])
    return index


def reference_bm25(
    docs: dict[int, list[str]], query: list[str], k1: float = 1.2, b: float = 0.75
) -> dict[int, float]:
    """Straight-from-the-formula BM25 (Lucene IDF), query terms counted once."""
    n = len(docs)
    avgdl = sum(len(t) for t in docs.values()) / n
    scores: dict[int, float] = {}
    for term in dict.fromkeys(query):
        df = sum(term in t for t in docs.values())
        if df == 0:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for cid, terms in docs.items():
            tf = Counter(terms)[term]
            if tf:
                norm = k1 * (1 - b + b * len(terms) / avgdl)
                scores[cid] = scores.get(cid, 0.0) + idf * tf * (k1 + 1) / (tf + norm)
    return scores


def test_bm25_score_computed_by_hand() -> None:
    hits = tiny().search("a", k=10)
    # N=3, df(a)=2: idf = ln(1 + 1.5/2.5) = ln 1.6; avgdl = 10/3.
    # Chunk 2 (tf=2, dl=3): K = 1.2 * (0.25 + 0.75 * 3 / (10/3)) = 1.11.
    assert hits[0][0] == 2
    assert hits[0][1] == pytest.approx(math.log(1.6) * 2 * 2.2 / (2 + 1.11))
    assert hits[1] == (1, pytest.approx(math.log(1.6) * 2.2 / (1 + 1.11)))
    assert len(hits) == 2  # chunk 3 has no query term: no zero-score hits


def test_scores_sum_over_terms_and_repeated_query_terms_count_once() -> None:
    index = tiny()
    docs = {1: ["a", "b", "c"], 2: ["a", "a", "d"], 3: ["b", "d", "e", "f"]}
    expected = reference_bm25(docs, ["a", "d"])
    assert dict(index.search("a d", 10)) == pytest.approx(expected)
    assert index.search("a d d a", 10) == index.search("a d", 10)
    assert index.search("zzz", 10) == []
    assert index.search("", 10) == []
    assert index.search("a", 0) == []


def test_ties_are_broken_by_smaller_id() -> None:
    index = KeywordIndex(split)
    index.add_many([(9, "x y"), (4, "x y"), (7, "x y")])
    assert [cid for cid, _ in index.search("x", 2)] == [4, 7]


def test_remove_drops_the_chunk_and_updates_idf() -> None:
    index = tiny()
    index.remove(2)
    index.remove(2)  # already gone: no-op
    index.remove(12345)
    assert 2 not in index and 1 in index and len(index) == 2
    hits = index.search("a", 10)
    # N=2, df(a)=1: idf = ln(1 + 1.5/1.5) = ln 2; avgdl = 7/2.
    k = 1.2 * (0.25 + 0.75 * 3 / 3.5)
    assert hits == [(1, pytest.approx(math.log(2) * 2.2 / (1 + k)))]
    assert index.search("d", 10) == [
        (3, pytest.approx(reference_bm25({1: ["a", "b", "c"], 3: ["b", "d", "e", "f"]}, ["d"])[3]))
    ]


def test_chunks_without_terms_count_as_documents() -> None:
    index = KeywordIndex(split)
    index.add_many([(1, ""), (2, "a b")])
    assert len(index) == 2 and 1 in index
    # N=2, df=1, avgdl=1: idf = ln 2, K = 1.2 * (0.25 + 0.75 * 2) = 2.1.
    assert index.search("a", 5) == [(2, pytest.approx(math.log(2) * 2.2 / (1 + 2.1)))]


def test_add_with_existing_id_replaces_text() -> None:
    index = tiny()
    index.add(1, "z")
    assert len(index) == 3
    assert [cid for cid, _ in index.search("a", 10)] == [2]
    assert [cid for cid, _ in index.search("z", 10)] == [1]


def test_allowed_filters_before_the_top_k_cut() -> None:
    index = KeywordIndex(split)
    index.add_many([(i, "q " * (10 - i) + "pad " * i) for i in range(10)])
    assert index.search("q", 1)[0][0] == 0
    assert [cid for cid, _ in index.search("q", 2, allowed={7, 3, 99})] == [3, 7]
    assert index.search("q", 5, allowed=set()) == []
    # Filtering does not change IDF: scores match the unfiltered ones.
    full = dict(index.search("q", 10))
    assert index.search("q", 1, allowed=[8]) == [(8, full[8])]


def test_save_load_round_trip(tmp_path: Path) -> None:
    index = tiny()
    index.add(4, "a e e")
    index.remove(3)
    path = tmp_path / "keyword.idx"
    index.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["keyword.idx"]  # no temp file left
    loaded = KeywordIndex.load(path, split)
    assert len(loaded) == 3 and 3 not in loaded and 4 in loaded
    for query in ["a", "e", "a b e", "d"]:
        assert loaded.search(query, 10) == index.search(query, 10)
    loaded.add(5, "e f")
    loaded.remove(1)
    assert [cid for cid, _ in loaded.search("e", 10)] == [4, 5]
    with pytest.raises(FileNotFoundError):
        KeywordIndex.load(tmp_path / "missing", split)


@pytest.mark.parametrize("merge_often", [True, False])
def test_incremental_updates_and_merges_match_a_reference(
    monkeypatch: pytest.MonkeyPatch, merge_often: bool
) -> None:
    if merge_often:
        # Tiny thresholds so the base/delta merge and dead-slot compaction run often.
        monkeypatch.setattr(keyword_postings, "_MIN_MERGE_POSTINGS", 5)
        monkeypatch.setattr(keyword_postings, "_MIN_MERGE_DEAD", 3)
        # And map every ``allowed`` set to slots through the sorted-id lookup.
        monkeypatch.setattr(keyword_postings, "_DICT_LOOKUP_MAX", 0)
    rng = random.Random(7)
    # Zipf-like word frequencies: common words take the dense scoring path, rare words the
    # sparse one.
    words = [f"w{i}" for i in range(200)]
    weights = [1 / (i + 1) for i in range(200)]
    index = KeywordIndex(split, k1=1.5, b=0.5)
    docs: dict[int, list[str]] = {}
    for step in range(400):
        if docs and rng.random() < 0.35:
            cid = rng.choice(sorted(docs))
            index.remove(cid)
            del docs[cid]
        else:
            cid = rng.randrange(150)
            terms = rng.choices(words, weights, k=rng.randint(1, 12))
            if rng.random() < 0.2:  # the same id twice in one batch: the last text wins
                index.add_many([(cid, "w0"), (cid, " ".join(terms))])
            else:
                index.add(cid, " ".join(terms))
            docs[cid] = terms
        if step % 10 == 0 and docs:
            query = rng.sample(words[:5], 1) + rng.sample(words, 2)
            for q in ([query[0]], query[1:], query):
                expected = reference_bm25(docs, q, k1=1.5, b=0.5)
                got = index.search(" ".join(q), 1000)
                assert dict(got) == pytest.approx(expected)
                assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
                allowed = set(rng.sample(sorted(docs), max(1, len(docs) // 3))) | {-5, 999}
                best = sorted(
                    ((cid, s) for cid, s in expected.items() if cid in allowed),
                    key=lambda h: (-h[1], h[0]),
                )[:3]
                filtered = index.search(" ".join(q), 3, allowed=allowed)
                assert [cid for cid, _ in filtered] == [cid for cid, _ in best]
    assert len(index) == len(docs)


def test_concurrent_adds_and_searches() -> None:
    index = KeywordIndex(split)
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for i in range(300):
                index.add(offset + i, f"t{i % 7} common")
                if i % 3 == 2:  # 100 removals, each of a present id
                    index.remove(offset + i - 1)
        except BaseException as e:  # collected and re-checked below
            errors.append(e)

    def reader() -> None:
        try:
            for _ in range(300):
                index.search("common t1", 5)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(o,)) for o in (0, 10_000)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(index) == 2 * (300 - 100)


def test_japanese_compounds_and_inflections_are_found() -> None:
    index = KeywordIndex(JapaneseTokenizer())
    index.add_many(
        [
            (1, "大規模言語モデルは大量のテキストで事前学習した。"),
            (2, "画像認識のモデルを評価する。"),
            (3, "GPT-4は175Bのパラメータを持つとされる。"),
            (4, "東京の天気は晴れでした。"),
        ]
    )
    assert index.search("言語モデル", 5)[0][0] == 1
    assert index.search("大規模言語モデル", 5)[0][0] == 1
    assert index.search("事前学習する", 5)[0][0] == 1
    assert index.search("gpt-4 パラメーター", 5)[0][0] == 3
    assert [cid for cid, _ in index.search("天気", 5)] == [4]


def test_term_groups_score_the_best_alternative_at_its_weight() -> None:
    index = tiny()
    docs = {1: ["a", "b", "c"], 2: ["a", "a", "d"], 3: ["b", "d", "e", "f"]}
    bm25 = {t: reference_bm25(docs, [t]) for t in "abcdef"}
    plain = index.search_groups([[(("a",), 1.0)], [(("d",), 1.0)]], 10)
    assert plain == index.search("a d", 10)
    # One group, alternatives a (weight 1) and d (weight 0.5): chunk 2 holds both and
    # scores the better one, not their sum.
    hits = dict(index.search_groups([[(("a",), 1.0), (("d",), 0.5)]], 10))
    assert hits[2] == pytest.approx(max(bm25["a"][2], 0.5 * bm25["d"][2]))
    assert hits[3] == pytest.approx(0.5 * bm25["d"][3])
    # A two-term alternative scores the mean of its terms.
    hits = dict(index.search_groups([[(("e", "f"), 1.0)]], 10))
    assert hits == {3: pytest.approx((bm25["e"][3] + bm25["f"][3]) / 2)}
    assert index.search_groups([[(("zzz",), 1.0)]], 10) == []


def test_idf_of_live_terms_only() -> None:
    index = tiny()
    assert index.idf(["a", "e", "zzz"]) == {
        "a": pytest.approx(math.log(1.6)),
        "e": pytest.approx(math.log(1 + 2.5 / 1.5)),
    }
    index.remove(3)
    assert index.idf(["e"]) == {}


def test_term_groups_match_a_reference_on_both_scoring_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Common words take the per-slot-array path, rare ones the sorting path; both must give
    each chunk the sum over groups of its best alternative."""
    paths: list[str] = []
    dense, sparse = keyword_scoring.DenseScores.scores, keyword_index.sparse_scores
    monkeypatch.setattr(
        keyword_scoring.DenseScores,
        "scores",
        lambda self, *a: paths.append("dense") or dense(self, *a),
    )
    monkeypatch.setattr(
        keyword_index, "sparse_scores", lambda *a: paths.append("sparse") or sparse(*a)
    )
    rng = random.Random(11)
    words = [f"w{i}" for i in range(60)]
    weights = [1 / (i + 1) for i in range(60)]
    docs = {cid: rng.choices(words, weights, k=rng.randint(1, 10)) for cid in range(300)}
    index = KeywordIndex(split)
    index.add_many((cid, " ".join(terms)) for cid, terms in docs.items())
    bm25 = {w: reference_bm25(docs, [w]) for w in words}
    for _ in range(40):
        pool = words[:4] if rng.random() < 0.5 else words[30:]  # common or rare words
        groups = [
            [((a,), 1.0), ((b, c), rng.choice([0.5, 1.0]))]
            for a, b, c in (rng.sample(pool, 3) for _ in range(rng.randint(1, 3)))
        ]
        expected: dict[int, float] = {}
        for group in groups:
            for cid in docs:
                best = max(
                    weight * sum(bm25[t].get(cid, 0.0) for t in terms) / len(terms)
                    for terms, weight in group
                )
                if best > 0:
                    expected[cid] = expected.get(cid, 0.0) + best
        got = index.search_groups(groups, 1000)
        assert dict(got) == pytest.approx(expected)
        ranked = sorted(expected.items(), key=lambda h: (-h[1], h[0]))[:5]
        assert [cid for cid, _ in index.search_groups(groups, 5)] == [cid for cid, _ in ranked]
        allowed = set(range(0, 300, 3))
        top = index.search_groups(groups, 1000, allowed=allowed)
        assert dict(top) == pytest.approx({c: s for c, s in expected.items() if c in allowed})
    assert set(paths) == {"dense", "sparse"}
