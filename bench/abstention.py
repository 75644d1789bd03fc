"""Abstention calibration: the evidence signals of every question, answerable or not, and the
thresholds that abstain on the most unanswerable questions within a budget of answerable ones.

Runs retrieval only (no answers) on an ingested data dir, computes `generator.evidence`'s
signals over the top-k passages the answerer would get, then tries every (min_answer_score,
min_answer_coverage) pair from the observed values. Re-run it when retrieval changes: the
scores the thresholds apply to move with it.

    python bench/abstention.py --data-dir DIR QA.jsonl [QA.jsonl ...] [-k 5] [--budget 2]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("qa", type=Path, nargs="+", help="QA files (shared/eval/*.jsonl)")
    parser.add_argument("--data-dir", type=Path, required=True, help="an ingested data dir")
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--budget", type=int, default=2, help="answerable abstentions allowed")
    args = parser.parse_args()

    from app.asking import passages_for
    from app.evaluation import load_questions
    from app.kotae import Kotae
    from app.settings import Settings
    from generator.evidence import evidence_signals, too_weak

    settings = Settings(data_dir=args.data_dir)
    kotae = Kotae(settings)
    rows = []  # (id, answerable, signals)
    print(f"{'id':6} {'ans':3} {'score':>6} {'cover':>6} version  missing names   question")
    for path in args.qa:
        for q in load_questions(path):
            passages = passages_for(kotae.searching.search(q.q, args.k, None))
            s = evidence_signals(q.q, passages)
            rows.append((q.id, q.answerable, s))
            cover = "-" if s.coverage is None else f"{s.coverage:.2f}"
            print(
                f"{q.id:6} {'yes' if q.answerable else 'no':3} {s.best_score:6.3f} {cover:>6} "
                f"{'missing' if s.missing_version else '':8} {','.join(s.missing_names)[:14]:14} "
                f"{q.q[:48]}"
            )

    def counts(min_score: float, min_coverage: float) -> tuple[int, int]:
        weak = [(a, too_weak(s, min_score, min_coverage)) for _, a, s in rows]
        return sum(w for a, w in weak if not a), sum(w for a, w in weak if a)

    unanswerable = sum(not a for _, a, _ in rows)
    answerable = len(rows) - unanswerable
    now = counts(settings.resolved_min_answer_score, settings.min_answer_coverage)
    print(
        f"\ncurrent settings (score {settings.resolved_min_answer_score}, coverage "
        f"{settings.min_answer_coverage}): unanswerable abstained {now[0]}/{unanswerable}, "
        f"answerable abstained {now[1]}/{answerable}"
    )
    # Thresholds just above an observed value are the only ones that change anything.
    scores = sorted({0.0} | {round(s.best_score + 1e-3, 3) for _, _, s in rows})
    covers = sorted({0.0} | {round(s.coverage + 0.01, 2) for _, _, s in rows if s.coverage})
    best = max(
        ((counts(ms, mc), ms, mc) for ms in scores for mc in covers),
        key=lambda t: (t[0][1] <= args.budget, t[0][0] - t[0][1], -t[1], -t[2]),
    )
    (u, a), ms, mc = best
    print(
        f"best within {args.budget} answerable: min_answer_score {ms}, min_answer_coverage "
        f"{mc}: unanswerable abstained {u}/{unanswerable}, answerable abstained {a}/{answerable}"
    )


if __name__ == "__main__":
    main()
