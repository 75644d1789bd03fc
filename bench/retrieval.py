"""Retrieval and answer quality of named variants on dev-manuals and dev-ja, in one run.

Every variant (bench/variants.py: "kotae" = embedded defaults, "naive" = issue 11's fixed
400-character windows, and any others named) runs on the same corpora with `kotae eval`'s
metrics: recall@k, MRR@k, nDCG@10, overall, by question direction (ja→ja, en→ja, ja→en) and by
the file type of each question's source, extractive answers (fact, citation, abstentions),
ingest chunks/s and query p50, each with its ratio to the baseline variant.

Each distinct ingest configuration is ingested once per QA set; query-only variants reuse its
data dir. A data dir that already holds chunks is reused without ingesting: name one with
`--data-dir VARIANT/SET=DIR` (never a dir you must keep unchanged: the run may write to it),
or keep every new one under `--work DIR` so the next run finds them (their ingest numbers
are read back from `bench-ingest.json`).

    python bench/retrieval.py [--sets dev-manuals,dev-ja] [--variants kotae,naive]
        [--variant NAME:ingest.FIELD=V,query.FIELD=V] [--corpus SET=DIR] [--work DIR]
        [--data-dir VARIANT/SET=DIR] [--no-answers] [--json FILE]
"""

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SEEDS, machine
from bench.report import breakdowns, markdown, ratios
from bench.variants import VARIANTS, Variant, parse_variant

SHARED = SEEDS.parent.parent
MARKER = "bench-ingest.json"


@dataclass(frozen=True)
class QASet:
    name: str
    qa: Path
    corpus: Path  # default; --corpus SET=DIR overrides


SETS = {
    s.name: s
    for s in (
        # fetch-dev-manuals.sh builds it; this is where the development machines keep it.
        QASet(
            "dev-manuals",
            SHARED / "eval" / "dev-manuals.jsonl",
            SHARED.parent / "dev-manuals-corpus",
        ),
        QASet("dev-ja", SHARED / "eval" / "dev-ja.jsonl", SEEDS),
    )
}


def ingest(data_dir: Path, corpus: Path, variant: Variant) -> dict[str, Any]:
    """Ingest `corpus` with the variant's ingest configuration; returns what MARKER records."""
    from app.kotae import Kotae
    from app.settings import Settings
    from ingest.pipeline import DEFAULT_COLLECTION

    with variant.patched(querying=False):
        kotae = Kotae(Settings(data_dir=data_dir, **variant.ingest))
        try:
            started = time.perf_counter()
            report = kotae.ingesting.ingest([corpus], DEFAULT_COLLECTION)
            seconds = time.perf_counter() - started
        finally:
            kotae.close()
    stats = {
        "variant": variant.name,
        "corpus": str(corpus),
        "files": len(report.files),
        "failed_files": len(report.failed),
        "chunks": report.chunks,
        "seconds": round(seconds, 1),
        "chunks_per_s": round(report.chunks / seconds, 2) if seconds else None,
        "machine": machine(),
    }
    (data_dir / MARKER).write_text(json.dumps(stats, indent=1, ensure_ascii=False))
    return stats


def prepare(data_dir: Path, corpus: Path, variant: Variant) -> dict[str, Any] | None:
    """The ingest numbers for data_dir: measured now, or read back, or None when a data dir
    given with --data-dir was ingested elsewhere."""
    marker = data_dir / MARKER
    if marker.exists():
        return {**json.loads(marker.read_text()), "read_back": True}
    if data_dir.exists() and any(data_dir.iterdir()):
        return None
    data_dir.mkdir(parents=True, exist_ok=True)
    return ingest(data_dir, corpus, variant)


def evaluate_variant(
    data_dir: Path, variant: Variant, qa: Path, k: int, ndcg_k: int, answers: bool
) -> dict[str, Any]:
    from app.evaluation import evaluate, load_questions
    from app.kotae import Kotae
    from app.settings import Settings

    # An answer runs its own (hybrid) search, so a single-list mode has no answers of its own.
    answers = answers and variant.mode == "hybrid"
    with variant.patched(querying=True):
        kotae = Kotae(Settings(data_dir=data_dir, **variant.settings))
        try:
            questions = load_questions(qa)
            report = evaluate(
                kotae, questions, k, answers=answers, mode=variant.mode, ndcg_k=ndcg_k
            )
            chunks = kotae.indexes.chunk_count
        finally:
            kotae.close()
    return {
        "chunks": chunks,
        **report.summary(),
        **breakdowns(report.per_question, k, ndcg_k),
        "per_question": report.per_question,
    }


def pairs(values: list[str], option: str) -> dict[str, Path]:
    out = {}
    for value in values:
        name, eq, path = value.partition("=")
        if not eq:
            raise SystemExit(f"{option} {value!r}: expected NAME=DIR")
        out[name] = Path(path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="dev-manuals,dev-ja", help=", ".join(SETS))
    parser.add_argument("--variants", default="kotae,naive", help=", ".join(VARIANTS))
    parser.add_argument("--variant", action="append", default=[], help="one more, by settings")
    parser.add_argument("--baseline", default="naive", help="the variant ratios are against")
    parser.add_argument("--corpus", action="append", default=[], help="SET=DIR")
    parser.add_argument("--data-dir", action="append", default=[], help="VARIANT/SET=DIR")
    parser.add_argument("--work", type=Path, help="keep new data dirs here, reuse them later")
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--ndcg-k", type=int, default=10)
    parser.add_argument("--no-answers", action="store_true", help="retrieval only")
    parser.add_argument("--json", type=Path, help="also write the run, per question too, here")
    args = parser.parse_args()

    try:
        sets = [SETS[name] for name in args.sets.split(",")]
        variants = [VARIANTS[name] for name in args.variants.split(",")]
        variants += [parse_variant(spec) for spec in args.variant]
        for variant in variants:
            variant.check()
    except (KeyError, ValueError) as e:
        raise SystemExit(f"error: {e}") from None
    if args.baseline not in {v.name for v in variants}:
        args.baseline = None
    corpora = pairs(args.corpus, "--corpus")
    given = {}  # (set, ingest key) → data dir
    for name, data_dir in pairs(args.data_dir, "--data-dir").items():
        variant_name, _, set_name = name.partition("/")
        matches = [v for v in variants if v.name == variant_name]
        if not matches or set_name not in args.sets.split(","):
            raise SystemExit(f"--data-dir {name}: expected VARIANT/SET of this run")
        given[set_name, matches[0].ingest_key] = data_dir

    for qa_set in sets:  # before hours of work, not after
        corpus = corpora.get(qa_set.name, qa_set.corpus)
        to_ingest = {v.ingest_key for v in variants} - {k for s, k in given if s == qa_set.name}
        if to_ingest and not corpus.is_dir():
            raise SystemExit(
                f"{corpus}: no such corpus folder (dev-manuals: "
                f"{SHARED}/corpus/fetch-dev-manuals.sh DIR, then --corpus dev-manuals=DIR)"
            )

    results: dict[str, dict[str, Any]] = {}
    for qa_set in sets:
        corpus = corpora.get(qa_set.name, qa_set.corpus)
        dirs: dict[Any, tuple[Path, dict[str, Any] | None]] = {}
        results[qa_set.name] = {}
        for variant in variants:
            key = variant.ingest_key
            if key not in dirs:
                if (qa_set.name, key) in given:
                    data_dir = given[qa_set.name, key]
                elif args.work:
                    data_dir = args.work / f"{qa_set.name}.{variant.ingest_name}"
                else:
                    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-{qa_set.name}-"))
                print(f"{qa_set.name} / {variant.ingest_name}: {data_dir}", file=sys.stderr)
                dirs[key] = data_dir, prepare(data_dir, corpus, variant)
            data_dir, stats = dirs[key]
            print(f"{qa_set.name} / {variant.name}: evaluating", file=sys.stderr)
            result = evaluate_variant(
                data_dir, variant, qa_set.qa, args.k, args.ndcg_k, not args.no_answers
            )
            results[qa_set.name][variant.name] = {
                "data_dir": str(data_dir),
                "ingest": stats,
                **result,
            }

    if args.baseline:
        for of_set in results.values():
            for name, result in of_set.items():
                if name != args.baseline:
                    base = of_set[args.baseline]
                    result["ratio_vs_baseline"] = ratios(result, base, args.k, args.ndcg_k)

    run = {
        "machine": machine(),
        "k": args.k,
        "ndcg_k": args.ndcg_k,
        "baseline": args.baseline,
        "variants": {v.name: v.about for v in variants},
        "sets": results,
    }
    if args.json:
        args.json.write_text(json.dumps(run, indent=1, ensure_ascii=False), encoding="utf-8")
    print(markdown(run))


if __name__ == "__main__":
    main()
