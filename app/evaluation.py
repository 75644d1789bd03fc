"""`kotae eval`: retrieval and answer quality over a QA file (format of shared/eval/*.jsonl).

A retrieved chunk counts as relevant when it contains one of the question's evidence strings,
both normalized by `squash` (DESIGN.md, "Evaluation data"). Answer metrics: the fact (one of
`answer_any`) is in the answer, a citation holds the evidence, and `answerable: false`
questions are abstained.
"""

import asyncio
import json
import math
import re
import statistics
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.kotae import Kotae
from generator.language import detect_language

# Whitespace, and the table/bullet/markup characters that renderings put between words (HTML
# tables become "a | b" rows): an evidence string quoted from a cell must still match.
_NOISE = re.compile(r"[\s|│┃¦•・▪◦●○■□‣⁃*#>`]+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def squash(text: str) -> str:
    """The evaluation's one normalization: NFKC, lowercase, whitespace and markup removed,
    thousands separators dropped ("1,600" → "1600")."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _NOISE.sub("", _THOUSANDS.sub("", text))


@dataclass(frozen=True)
class Question:
    id: str
    q: str
    evidence: tuple[str, ...] = ()
    answer_any: tuple[str, ...] = ()
    answerable: bool = True
    source: str = ""  # the file that holds the answer, by name


def file_type(source: str) -> str:
    """ "pdf", "html", "txt"...: the suffix of a question's source file, for per-type metrics."""
    return Path(source).suffix.lower().lstrip(".") or "none"


def load_questions(path: Path) -> list[Question]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(
                Question(
                    id=str(row.get("id", number)),
                    q=row["q"],
                    evidence=tuple(row.get("evidence", ())),
                    answer_any=tuple(row.get("answer_any", ())),
                    answerable=bool(row.get("answerable", True)),
                    source=str(row.get("source") or ""),
                )
            )
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path}:{number}: not a QA record ({e})") from None
    return questions


def holds_evidence(text: str, evidence: Sequence[str]) -> bool:
    squashed = squash(text)
    return any(squash(e) in squashed for e in evidence if e.strip())


def ranking_metrics(
    relevance: Sequence[bool], total_relevant: int, k: int, ndcg_k: int | None = None
) -> dict[str, float]:
    """recall@k (any relevant in the top k), reciprocal rank within k and binary nDCG at
    ndcg_k (default k; the ranking must then hold at least ndcg_k hits)."""
    ndcg_k = ndcg_k or k
    first = next((i for i, r in enumerate(relevance[:k]) if r), None)
    dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(relevance[:ndcg_k]) if r)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(max(total_relevant, 1), ndcg_k)))
    return {
        "recall": 1.0 if first is not None else 0.0,
        "mrr": 0.0 if first is None else 1 / (first + 1),
        "ndcg": dcg / ideal if ideal else 0.0,
    }


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def mean(key: str, rows: Sequence[dict[str, Any]]) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return round(statistics.fmean(values), 4) if values else None


def ranked_by(
    rows: Sequence[dict[str, Any]], key: str, k: int, ndcg_k: int
) -> dict[str, dict[str, Any]]:
    """Ranking metrics of per-question rows grouped by one of their fields ("direction",
    "file_type"); rows without that field are left out."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get(key) is not None:
            groups.setdefault(row[key], []).append(row)
    return {
        name: {
            "questions": len(members),
            f"recall@{k}": mean("recall", members),
            f"mrr@{k}": mean("mrr", members),
            f"ndcg@{ndcg_k}": mean("ndcg", members),
        }
        for name, members in sorted(groups.items())
    }


@dataclass
class EvalReport:
    k: int
    per_question: list[dict[str, Any]] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    ndcg_k: int | None = None  # unset = k

    def summary(self) -> dict[str, Any]:
        ranked = [p for p in self.per_question if p["answerable"] and p["evidence"]]
        ndcg_k = self.ndcg_k or self.k
        answerable = [p for p in self.per_question if p["answerable"]]
        unanswerable = [p for p in self.per_question if not p["answerable"]]
        out: dict[str, Any] = {
            "questions": len(self.per_question),
            "k": self.k,
            f"recall@{self.k}": mean("recall", ranked),
            f"mrr@{self.k}": mean("mrr", ranked),
            f"ndcg@{ndcg_k}": mean("ndcg", ranked),
            "latency_ms": {
                "p50": round(percentile(self.latencies_ms, 0.5), 2),
                "p95": round(percentile(self.latencies_ms, 0.95), 2),
            },
        }
        # Cross-lingual questions miss far more often than same-language ones, and some
        # file types (damaged PDFs) more than others.
        for key, name in (("direction", "by_direction"), ("file_type", "by_file_type")):
            groups = ranked_by(ranked, key, self.k, ndcg_k)
            if len(groups) > 1:
                out[name] = groups
        if any("abstained" in p for p in self.per_question):
            out["answers"] = {
                "fact_in_answer": mean("fact_in_answer", answerable),
                "citation_holds_evidence": mean("citation_holds_evidence", answerable),
                "abstained_when_unanswerable": mean("abstained", unanswerable),
                "abstained_when_answerable": mean("abstained", answerable),
            }
        return out


def direction(q: Question) -> str:
    """Question language → evidence language, e.g. "ja→en" for a Japanese question whose
    answer is an English sentence."""
    return f"{detect_language(q.q)}→{detect_language(' '.join(q.evidence))}"


def relevant_counts(kotae: Kotae, questions: Sequence[Question]) -> dict[str, int]:
    """How many chunks in the whole corpus hold each question's evidence (for ideal DCG)."""
    counts = {q.id: 0 for q in questions}
    for _, texts, _ in kotae.corpus.iter_chunks():
        for text in texts:
            for q in questions:
                if q.evidence and holds_evidence(text, q.evidence):
                    counts[q.id] += 1
    return counts


def evaluate(
    kotae: Kotae,
    questions: Sequence[Question],
    k: int = 5,
    collection: str | None = None,
    answers: bool = True,
    mode: str = "hybrid",
    ndcg_k: int | None = None,
) -> EvalReport:
    """Search (and answer) every question; nDCG is taken at ndcg_k (default k). The answers
    are asked in one event loop: the generator's HTTP client keeps its connections in the
    loop it first ran in."""
    return asyncio.run(_evaluate(kotae, questions, k, collection, answers, mode, ndcg_k))


async def _evaluate(
    kotae: Kotae,
    questions: Sequence[Question],
    k: int,
    collection: str | None,
    answers: bool,
    mode: str,
    ndcg_k: int | None,
) -> EvalReport:
    report = EvalReport(k, ndcg_k=ndcg_k)
    totals = relevant_counts(kotae, questions)
    kotae.searching.search("warm up", 1, collection)  # loading is not query latency
    for q in questions:
        started = time.perf_counter()
        hits = kotae.searching.search(q.q, k, collection, mode=mode)  # type: ignore[arg-type]
        report.latencies_ms.append((time.perf_counter() - started) * 1000)
        row: dict[str, Any] = {"id": q.id, "answerable": q.answerable, "evidence": bool(q.evidence)}
        if q.evidence:
            row["direction"] = direction(q)
            if q.source:
                row["file_type"] = file_type(q.source)
            relevance = [holds_evidence(h.chunk.text, q.evidence) for h in hits]
            row.update(ranking_metrics(relevance, totals[q.id], k))
            if ndcg_k is not None and ndcg_k != k:
                # A search for n hits is not the top n of a deeper one (KEEP_LEADERS keeps each
                # retriever's first inside the n asked for), so each depth is searched as asked.
                deep = kotae.searching.search(q.q, ndcg_k, collection, mode=mode)  # type: ignore[arg-type]
                relevance = [holds_evidence(h.chunk.text, q.evidence) for h in deep]
                row["ndcg"] = ranking_metrics(relevance, totals[q.id], ndcg_k)["ndcg"]
        if answers:
            result = await kotae.asking.ask(q.q, collection, k)
            row["abstained"] = result.answer.abstained
            row["answer"] = result.answer.text
            # A fallback (generator down, or its answer unusable) says so here.
            row["mode"] = result.answer.mode
            row["warnings"] = list(result.answer.warnings)
            if q.answerable:
                text = squash(result.answer.text)
                row["fact_in_answer"] = (
                    any(squash(a) in text for a in q.answer_any) if q.answer_any else None
                )
                row["citation_holds_evidence"] = (
                    any(holds_evidence(c.text, q.evidence) for c in result.citations)
                    if q.evidence
                    else None
                )
        report.per_question.append(row)
    return report
