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
                )
            )
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path}:{number}: not a QA record ({e})") from None
    return questions


def holds_evidence(text: str, evidence: Sequence[str]) -> bool:
    squashed = squash(text)
    return any(squash(e) in squashed for e in evidence if e.strip())


def ranking_metrics(relevance: Sequence[bool], total_relevant: int, k: int) -> dict[str, float]:
    """recall@k (any relevant in the top k), reciprocal rank and binary nDCG@k."""
    top = list(relevance[:k])
    first = next((i for i, r in enumerate(top) if r), None)
    dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(top) if r)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(max(total_relevant, 1), k)))
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


@dataclass
class EvalReport:
    k: int
    per_question: list[dict[str, Any]] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ranked = [p for p in self.per_question if p["answerable"] and p["evidence"]]

        def mean(key: str, rows: list[dict[str, Any]]) -> float | None:
            values = [r[key] for r in rows if r.get(key) is not None]
            return round(statistics.fmean(values), 4) if values else None

        answerable = [p for p in self.per_question if p["answerable"]]
        unanswerable = [p for p in self.per_question if not p["answerable"]]
        out: dict[str, Any] = {
            "questions": len(self.per_question),
            "k": self.k,
            f"recall@{self.k}": mean("recall", ranked),
            f"mrr@{self.k}": mean("mrr", ranked),
            f"ndcg@{self.k}": mean("ndcg", ranked),
            "latency_ms": {
                "p50": round(percentile(self.latencies_ms, 0.5), 2),
                "p95": round(percentile(self.latencies_ms, 0.95), 2),
            },
        }
        directions = sorted({p["direction"] for p in ranked if "direction" in p})
        if len(directions) > 1:
            # Cross-lingual questions miss far more often than same-language ones.
            out["by_direction"] = {
                d: {
                    "questions": len(rows),
                    f"recall@{self.k}": mean("recall", rows),
                    f"mrr@{self.k}": mean("mrr", rows),
                }
                for d in directions
                if (rows := [p for p in ranked if p.get("direction") == d])
            }
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
) -> EvalReport:
    """Search (and answer) every question. The answers are asked in one event loop: the
    generator's HTTP client keeps its connections in the loop it first ran in."""
    return asyncio.run(_evaluate(kotae, questions, k, collection, answers, mode))


async def _evaluate(
    kotae: Kotae,
    questions: Sequence[Question],
    k: int,
    collection: str | None,
    answers: bool,
    mode: str,
) -> EvalReport:
    report = EvalReport(k)
    totals = relevant_counts(kotae, questions)
    kotae.searching.search("warm up", 1, collection)  # loading is not query latency
    for q in questions:
        started = time.perf_counter()
        hits = kotae.searching.search(q.q, k, collection, mode=mode)  # type: ignore[arg-type]
        report.latencies_ms.append((time.perf_counter() - started) * 1000)
        row: dict[str, Any] = {"id": q.id, "answerable": q.answerable, "evidence": bool(q.evidence)}
        if q.evidence:
            row["direction"] = direction(q)
            relevance = [holds_evidence(h.chunk.text, q.evidence) for h in hits]
            row.update(ranking_metrics(relevance, totals[q.id], k))
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
