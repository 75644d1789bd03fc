"""bench/retrieval.py's pure parts on hand-made rankings: grouping, ratios, the table, variants."""

import math

import pytest

from app.evaluation import ranking_metrics
from bench.report import abstained, breakdowns, markdown, ratios
from bench.variants import NAIVE, VARIANTS, Variant, fixed_windows, parse_variant
from text.pages import join_pages

pytestmark = pytest.mark.unit


def question(qid: str, direction: str, file_type: str, ranking: list[bool], **more) -> dict:
    row = {"id": qid, "answerable": True, "evidence": True, "direction": direction}
    row["file_type"] = file_type
    return {**row, **ranking_metrics(ranking, 1, 5, 10), **more}


# Relevant at rank 1, at rank 2, at rank 7 (outside the top 5) and nowhere.
FIRST = [True] + [False] * 9
SECOND = [False, True] + [False] * 8
SEVENTH = [False] * 6 + [True] + [False] * 3
NOWHERE = [False] * 10
ROWS = [
    question("a", "ja→ja", "pdf", FIRST, abstained=False),
    question("b", "ja→en", "html", SECOND, abstained=False),
    question("c", "ja→en", "pdf", SEVENTH, abstained=True),
    question("d", "en→ja", "html", NOWHERE, abstained=True),
    {"id": "u", "answerable": False, "evidence": False, "abstained": True},
    {"id": "v", "answerable": False, "evidence": False, "abstained": False},
]


def test_breakdowns_group_by_direction_and_file_type():
    groups = breakdowns(ROWS, 5, 10)
    assert groups["by_direction"]["ja→en"] == {
        "questions": 2,
        "recall@5": 0.5,
        "mrr@5": 0.25,
        "ndcg@10": round((1 / math.log2(3) + 1 / math.log2(8)) / 2, 4),
    }
    assert groups["by_direction"]["ja→ja"]["ndcg@10"] == 1.0
    assert groups["by_direction"]["en→ja"] == {
        "questions": 1,
        "recall@5": 0.0,
        "mrr@5": 0.0,
        "ndcg@10": 0.0,
    }
    assert groups["by_file_type"]["pdf"]["questions"] == 2
    assert groups["by_file_type"]["pdf"]["recall@5"] == 0.5
    assert groups["by_file_type"]["html"]["mrr@5"] == 0.25
    # Unanswerable questions rank nothing and are in no group.
    assert sum(g["questions"] for g in groups["by_direction"].values()) == 4


def test_abstentions_are_counted_apart_for_answerable_and_unanswerable():
    assert abstained(ROWS, answerable=False) == "1/2"
    assert abstained(ROWS, answerable=True) == "2/4"
    assert abstained([{"answerable": True}], answerable=True) == "–"  # retrieval only


def result(recall: float, fact: float, chunks_per_s: float | None, rows: list) -> dict:
    return {
        "questions": len(rows),
        "chunks": 10,
        "recall@5": recall,
        "mrr@5": 0.5,
        "ndcg@10": 0.6,
        "answers": {"fact_in_answer": fact, "citation_holds_evidence": 0.5},
        "ingest": None if chunks_per_s is None else {"chunks_per_s": chunks_per_s},
        "latency_ms": {"p50": 10.0, "p95": 20.0},
        "per_question": rows,
    }


def test_ratios_and_the_markdown_table():
    kotae = result(0.9, 0.75, 20.0, ROWS)
    naive = result(0.6, 0.5, 25.0, ROWS[:2])
    r = ratios(kotae, naive, 5, 10)
    assert r["recall@5"] == 1.5 and r["fact in answer"] == 1.5
    assert r["ingest chunks/s"] == 0.8 and r["query p50 ms"] == 1.0
    assert ratios(result(0.9, 0.7, None, ROWS), naive, 5, 10)["ingest chunks/s"] is None
    run = {
        "machine": "2 cores, test",
        "k": 5,
        "ndcg_k": 10,
        "baseline": "naive",
        "variants": {"kotae": "defaults", "naive": "windows"},
        "sets": {"dev-x": {"kotae": kotae, "naive": naive}},
    }
    text = markdown(run)
    assert "| kotae | 10 | 0.900 (1.50×) | 0.500 (1.00×) | 0.600 (1.00×) |" in text
    assert "| **naive** | 10 | 0.600 | 0.500 |" in text
    assert "1/2 / 2/4 | 20.0 (0.80×) | 10.0 (1.00×) |" in text
    # The group table has one column per direction and file type, counted in questions.
    assert "| recall@5 / MRR@5 / nDCG@10 | en→ja (1 q) | ja→en (2 q) | ja→ja (1 q) |" in text
    assert "html (2 q) | pdf (2 q) |" in text
    assert "| naive | – | 1.000 / 0.500 / 0.631 | 1.000 / 1.000 / 1.000 | 1.000 / 0.500" in text


def test_variants_share_a_data_dir_only_when_they_ingest_alike():
    kotae, keyword = VARIANTS["kotae"], VARIANTS["keyword-only"]
    assert kotae.ingest_key == keyword.ingest_key and kotae.ingest_name == "defaults"
    assert NAIVE.ingest_key != kotae.ingest_key and NAIVE.ingest_name == "naive_chunker"
    chunk = parse_variant("c200:ingest.chunk_tokens=200,ingest.KOTAE_CHUNK_OVERLAP_TOKENS=40")
    assert chunk.ingest == {"chunk_tokens": "200", "chunk_overlap_tokens": "40"}
    assert chunk.ingest_name == "chunk_overlap_tokens=40+chunk_tokens=200"
    fusion = parse_variant("w:query.fusion=weighted,mode=dense")
    assert fusion.ingest_key == kotae.ingest_key and fusion.mode == "dense"
    fusion.check()
    with pytest.raises(ValueError, match="no such setting chunk_tokns"):
        parse_variant("typo:ingest.chunk_tokns=200").check()
    with pytest.raises(ValueError, match=r"not ingest\.FIELD"):
        parse_variant("x:chunk_tokens=200")
    with pytest.raises(ValueError, match="mode"):
        Variant("m", mode="sparse").check()


def test_the_naive_chunker_cuts_fixed_windows_across_pages():
    pages = ["あ" * 300, "い" * 300]
    text, _ = join_pages(pages)
    windows = fixed_windows(pages, len, 128, 32)
    assert [(w.char_start, w.char_end) for w in windows] == [(0, 400), (400, len(text))]
    assert [w.text for w in windows] == [text[:400], text[400:]]
    assert (windows[0].page_start, windows[0].page_end) == (1, 2)
    assert (windows[1].page_start, windows[1].page_end) == (2, 2)
    assert windows[0].token_count == 400


def test_an_ingest_patch_is_undone_after_use():
    import ingest.pipeline

    before = ingest.pipeline.chunk_pages
    with NAIVE.patched(querying=True):
        assert ingest.pipeline.chunk_pages is fixed_windows
    assert ingest.pipeline.chunk_pages is before
