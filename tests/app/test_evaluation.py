"""Eval metrics on a hand-checked tiny set."""

import math

import pytest

from app.evaluation import (
    EvalReport,
    Question,
    direction,
    file_type,
    holds_evidence,
    load_questions,
    percentile,
    ranked_by,
    ranking_metrics,
)

pytestmark = pytest.mark.unit


def test_evidence_matching_ignores_width_and_whitespace():
    assert holds_evidence("Transformer\n decoder １２ 層", ["Transformer decoder 12層"])
    assert holds_evidence("⼤規模 言語", ["大規模言語"])  # Kangxi radical folded by NFKC
    assert not holds_evidence("decoder 24層", ["decoder 12層"])
    assert not holds_evidence("anything", ["", "  "])


def test_evidence_matching_follows_the_design_rule():
    # DESIGN.md "Evaluation data": lowercase, markup characters and thousands separators.
    assert holds_evidence("| max_connections | 100 |", ["max_connections 100"])
    assert holds_evidence("・**Shared Buffers** は 1,600 MB", ["shared buffers は1600MB"])
    assert holds_evidence("`pg_dump` ＞ file", ["pg_dump file"])
    assert holds_evidence("1,600,000 行", ["1600000行"])
    assert not holds_evidence("1,2345", ["12345"])  # not a thousands separator
    assert not holds_evidence("decoder 1600層", ["decoder 16層"])


def test_ranking_metrics_by_hand():
    # First relevant at rank 2 of 5, two relevant in the whole corpus.
    m = ranking_metrics([False, True, False, True, False], total_relevant=2, k=5)
    assert m["recall"] == 1.0 and m["mrr"] == 0.5
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert m["ndcg"] == pytest.approx(dcg / ideal)
    # Relevant only below the cut counts for nothing.
    assert ranking_metrics([False] * 5 + [True], 1, 5) == {"recall": 0.0, "mrr": 0.0, "ndcg": 0.0}


def test_ndcg_can_look_deeper_than_recall():
    # Relevant at rank 7 of 10: outside recall@5 and MRR@5, inside nDCG@10.
    ranking = [False] * 6 + [True] + [False] * 3
    m = ranking_metrics(ranking, total_relevant=1, k=5, ndcg_k=10)
    assert m["recall"] == 0.0 and m["mrr"] == 0.0
    assert m["ndcg"] == pytest.approx(1 / math.log2(8))
    # Three relevant chunks in the corpus, two found at ranks 1 and 10.
    ranking = [True] + [False] * 8 + [True]
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    m = ranking_metrics(ranking, total_relevant=3, k=5, ndcg_k=10)
    assert m == {"recall": 1.0, "mrr": 1.0, "ndcg": pytest.approx((1 + 1 / math.log2(11)) / ideal)}


def test_percentile_and_loader(tmp_path):
    assert percentile([5.0, 1.0, 3.0], 0.5) == 3.0 and percentile([], 0.95) == 0.0
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        '{"id":"a","q":"何層？","answer_any":["12"],"evidence":["12層"]}\n\n'
        '{"id":"b","q":"東京タワーの高さは？","answerable":false}\n',
        encoding="utf-8",
    )
    a, b = load_questions(qa)
    assert a.evidence == ("12層",) and a.answerable and not b.answerable
    assert a.source == b.source == ""
    qa.write_text('{"q":"何層？","evidence":["12層"],"source":"decks/gpt.PDF"}\n', encoding="utf-8")
    (c,) = load_questions(qa)
    assert c.source == "decks/gpt.PDF" and file_type(c.source) == "pdf"
    assert file_type("README") == "none" and file_type("a.ja.html") == "html"
    qa.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"qa\.jsonl:1"):
        load_questions(qa)


def test_questions_are_grouped_by_question_and_evidence_language():
    assert direction(Question("1", "列の上限は？", ("columns per table 1,600",))) == "ja→en"
    assert direction(Question("2", "What is the limit?", ("上限は1600列",))) == "en→ja"
    report = EvalReport(5)
    rows = [("ja→ja", 1.0, 1.0), ("ja→en", 0.0, 0.0), ("ja→en", 1.0, 0.5)]
    for n, (d, recall, mrr) in enumerate(rows):
        row = {"id": str(n), "answerable": True, "evidence": True, "direction": d}
        report.per_question.append({**row, "recall": recall, "mrr": mrr, "ndcg": mrr})
    report.per_question.append({"id": "u", "answerable": False, "evidence": False})
    report.latencies_ms = [1.0]
    assert report.summary()["by_direction"] == {
        "ja→en": {"questions": 2, "recall@5": 0.5, "mrr@5": 0.25, "ndcg@5": 0.25},
        "ja→ja": {"questions": 1, "recall@5": 1.0, "mrr@5": 1.0, "ndcg@5": 1.0},
    }
    assert "by_file_type" not in report.summary()  # no question names its source


def test_metrics_by_file_type_leave_out_rows_without_one():
    rows = [
        {"file_type": "pdf", "recall": 1.0, "mrr": 0.5, "ndcg": 0.6},
        {"file_type": "pdf", "recall": 0.0, "mrr": 0.0, "ndcg": 0.2},
        {"file_type": "html", "recall": 1.0, "mrr": 1.0, "ndcg": 1.0},
        {"recall": 0.0, "mrr": 0.0, "ndcg": 0.0},
    ]
    assert ranked_by(rows, "file_type", 5, 10) == {
        "html": {"questions": 1, "recall@5": 1.0, "mrr@5": 1.0, "ndcg@10": 1.0},
        "pdf": {"questions": 2, "recall@5": 0.5, "mrr@5": 0.25, "ndcg@10": 0.4},
    }
    report = EvalReport(5, ndcg_k=10)
    for n, row in enumerate(rows):
        report.per_question.append({"id": str(n), "answerable": True, "evidence": True, **row})
    summary = report.summary()
    assert summary["ndcg@10"] == 0.45 and "ndcg@5" not in summary
    assert summary["by_file_type"]["pdf"]["questions"] == 2
