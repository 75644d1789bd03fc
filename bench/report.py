"""bench/retrieval.py's numbers as markdown for docs/benchmarks.md: pure functions of its run."""

from collections.abc import Sequence
from typing import Any

from app.evaluation import ranked_by

GROUPS = (("direction", "by_direction"), ("file_type", "by_file_type"))


def metric_keys(k: int, ndcg_k: int) -> dict[str, tuple[str, ...]]:
    """Where each compared number sits in one variant's result."""
    return {
        f"recall@{k}": (f"recall@{k}",),
        f"MRR@{k}": (f"mrr@{k}",),
        f"nDCG@{ndcg_k}": (f"ndcg@{ndcg_k}",),
        "fact in answer": ("answers", "fact_in_answer"),
        "citation holds evidence": ("answers", "citation_holds_evidence"),
        "ingest chunks/s": ("ingest", "chunks_per_s"),
        "query p50 ms": ("latency_ms", "p50"),
    }


def lookup(result: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(result, dict):
            return None
        result = result.get(key)  # type: ignore[assignment]
    return result


def ratio(mine: float | None, base: float | None) -> float | None:
    return round(mine / base, 3) if mine is not None and base else None


def ratios(result: dict[str, Any], base: dict[str, Any], k: int, ndcg_k: int) -> dict[str, Any]:
    return {
        name: ratio(lookup(result, path), lookup(base, path))
        for name, path in metric_keys(k, ndcg_k).items()
    }


def breakdowns(per_question: Sequence[dict[str, Any]], k: int, ndcg_k: int) -> dict[str, Any]:
    """Ranking metrics by direction and by file type, even where a set has only one group
    (`kotae eval`'s summary leaves a single group out)."""
    ranked = [p for p in per_question if p["answerable"] and p["evidence"]]
    return {name: ranked_by(ranked, key, k, ndcg_k) for key, name in GROUPS}


def abstained(per_question: Sequence[dict[str, Any]], answerable: bool) -> str:
    """ "5/10": abstentions among the answerable or the unanswerable questions."""
    rows = [p for p in per_question if p["answerable"] == answerable and "abstained" in p]
    return f"{sum(p['abstained'] for p in rows)}/{len(rows)}" if rows else "–"


def number(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def cell(value: float | None, against: float | None, digits: int = 3) -> str:
    times = ratio(value, against) if against is not None else None
    return number(value, digits) + ("" if times is None else f" ({times:.2f}×)")


def set_table(results: dict[str, Any], baseline: str | None, k: int, ndcg_k: int) -> list[str]:
    keys = metric_keys(k, ndcg_k)
    head = ["variant", "chunks", *list(keys)[:5], "abstained unanswerable / answerable"]
    head += list(keys)[5:]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    base = results.get(baseline) if baseline else None
    for name, result in results.items():
        against = base if base is not None and name != baseline else {}
        shown = {
            label: cell(
                lookup(result, path),
                lookup(against, path) if against else None,
                1 if label in ("ingest chunks/s", "query p50 ms") else 3,
            )
            for label, path in keys.items()
        }
        row = [f"**{name}**" if name == baseline else name, str(result["chunks"])]
        row += [shown[label] for label in list(keys)[:5]]
        pq = result["per_question"]
        row.append(f"{abstained(pq, False)} / {abstained(pq, True)}")
        row += [shown[label] for label in list(keys)[5:]]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def group_table(results: dict[str, Any], k: int, ndcg_k: int) -> list[str]:
    split = {name: breakdowns(r["per_question"], k, ndcg_k) for name, r in results.items()}
    columns: dict[tuple[str, str], int] = {}
    for groups in split.values():
        for _, kind in GROUPS:
            for group, metrics in groups[kind].items():
                columns.setdefault((kind, group), metrics["questions"])
    head = [f"recall@{k} / MRR@{k} / nDCG@{ndcg_k}"]
    head += [f"{group} ({n} q)" for (_, group), n in columns.items()]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, groups in split.items():
        row = [name]
        for kind, group in columns:
            m = groups[kind].get(group)
            keys = (f"recall@{k}", f"mrr@{k}", f"ndcg@{ndcg_k}")
            row.append(" / ".join(number(m[key]) for key in keys) if m else "–")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def markdown(run: dict[str, Any]) -> str:
    k, ndcg_k, baseline = run["k"], run["ndcg_k"], run["baseline"]
    lines = [f"Machine: {run['machine']}. Variants:"]
    lines += [f"- {name}: {about}" for name, about in run["variants"].items()]
    if baseline:
        lines.append(f"\n(× = ratio to **{baseline}**, measured in the same run.)")
    for set_name, results in run["sets"].items():
        first = next(iter(results.values()))
        lines += ["", f"**{set_name}** ({first['questions']} questions)", ""]
        lines += set_table(results, baseline, k, ndcg_k)
        lines += [""]
        lines += group_table(results, k, ndcg_k)
        reused = [n for n, r in results.items() if r["ingest"] is None]
        if reused:
            lines += ["", f"Ingest not measured (data dir given): {', '.join(reused)}."]
        earlier = [n for n, r in results.items() if (r["ingest"] or {}).get("read_back")]
        if earlier:
            lines += ["", f"Ingest numbers from an earlier run's data dir: {', '.join(earlier)}."]
    return "\n".join(lines)
