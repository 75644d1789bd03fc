"""Would pdfplumber's table extraction help? Which PDF pages hold ruled tables, what finding them
costs, and whether any evaluation evidence lies in a table it finds.

Usage: pip install pdfplumber; python bench/pdf_tables.py [--eval FILE] [--corpus DIR]

pdfplumber is not a dependency of Kotae: this is the experiment, kept to be rerun on a new
corpus. Evidence is matched as the evaluation matches it (app/evaluation.py ``squash``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pdfplumber

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from app.evaluation import squash

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eval", type=Path, default=ROOT / "shared/eval/dev-manuals.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "dev-manuals-corpus")
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.eval.read_text().splitlines() if line]
    for pdf_path in sorted(args.corpus.rglob("*.pdf")):
        evidence = [
            (q["id"], squash(e))
            for q in questions
            if q.get("source") == pdf_path.name
            for e in q.get("evidence", [])
        ]
        started = time.perf_counter()
        pages, table_pages, found = 0, [], []
        with pdfplumber.open(pdf_path) as pdf:
            for number, page in enumerate(pdf.pages, 1):
                pages += 1
                tables = page.find_tables()  # ruled tables: lines on both axes
                if not tables:
                    continue
                table_pages.append(number)
                cells = " ".join(c or "" for t in tables for row in t.extract() for c in row)
                found += [(qid, number) for qid, e in evidence if e and e in squash(cells)]
        seconds = time.perf_counter() - started
        print(
            f"{pdf_path.name}: {pages} pages, {len(table_pages)} with tables {table_pages}, "
            f"{seconds / max(pages, 1):.3f} s/page, evidence in a table: {found or 'none'}"
        )


if __name__ == "__main__":
    main()
