#!/usr/bin/env bash
# The quality gate: `kotae eval` on dev-manuals and dev-ja (../shared/eval), failing CI when
# recall@5 drops below the values below. The dev-manuals corpus is fetched from Debian's archive
# once (needs root and apt; .ci/dev-corpus.sh), Tesseract installed (.ci/tesseract.sh: its
# scanned-looking TeX manuals are read by OCR) and each corpus is ingested once into a data dir
# kept in the cache, keyed by a hash of the code, defaults and Tesseract version that decide
# what ingest stores, so a change to them re-ingests and anything else reuses it.
#
#   usage: .ci/eval.sh [dev-manuals] [dev-ja]     (default both)
#   cache: $KOTAE_CI_CACHE, default ~/.cache/kotae-ci
set -eEuo pipefail
shopt -s inherit_errexit # a failure inside $(...) stops the script too
trap 'echo "eval gate: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."

# recall@5 below which CI fails: a little under what was measured (dev-manuals 0.90 with the
# embedded defaults, OCR, tables, .txt titles from their first line and FAISS asked with the
# question's translations, 2026-11-30; one question of margin), and dev-ja's full recall.
MIN_RECALL_DEV_MANUALS=0.88
MIN_RECALL_DEV_JA=1.0

SHARED=$(cd .. && pwd)/shared
CACHE=${KOTAE_CI_CACHE:-$HOME/.cache/kotae-ci}
mkdir -p "$CACHE"
bash .ci/tesseract.sh

fail() {
    echo "eval gate: FAILED: $*" >&2
    exit 1
}
# This checkout's code, whatever `kotae` on PATH belongs to.
kotae() { python3 -c 'from app.cli import main; main()' "$@"; }

# What ingest stores depends on these; anything else (search, answers) needs no re-ingest.
ingest_key() {
    {
        find ingest text retriever app/settings.py app/kotae.py app/ingesting.py \
            app/model_files.py app/ocr_setup.py pyproject.toml \
            -type f \( -name '*.py' -o -name '*.toml' \) -print0 | sort -z | xargs -0 sha256sum
        (tesseract --version 2>&1 || true) | sed -n 1p # what OCR made of the scanned PDFs
    } | sha256sum | cut -c1-16
}

KEY=$(ingest_key)

# data_dir NAME CORPUS: prints the cached data dir for CORPUS, ingesting it first when needed.
data_dir() {
    local dir="$CACHE/data-$1-$KEY"
    if [ ! -e "$dir/.ingested" ]; then
        rm -rf "$dir" "$CACHE/data-$1-"* # an interrupted ingest, or one of older code
        echo "eval gate: ingesting $2 into $dir" >&2
        local rc=0
        # Progress to stderr; exit 1 is files that failed, which the recall gate judges; 2 and 3
        # are Kotae not working at all.
        KOTAE_DATA_DIR=$dir kotae ingest "$2" >&2 || rc=$?
        [ "$rc" -le 1 ] || fail "ingest of $2 exited $rc"
        touch "$dir/.ingested"
    else
        echo "eval gate: reusing $dir" >&2
    fi
    echo "$dir"
}

# gate NAME QA_FILE CORPUS MIN_RECALL
gate() {
    local dir
    dir=$(data_dir "$1" "$3")
    echo "eval gate: $1, recall@5 must be >= $4" >&2
    KOTAE_DATA_DIR=$dir kotae eval "$2" --min-recall "$4" ||
        fail "$1: kotae eval exited $? (1 = recall@5 below $4: see the summary above)"
}

# The gate measures the embedded defaults: no server, no generator, no database from outside.
unset KOTAE_DATABASE_URL KOTAE_GENERATOR_URL KOTAE_EMBEDDING_MODEL

sets=("$@")
[ $# -gt 0 ] || sets=(dev-manuals dev-ja)
for name in "${sets[@]}"; do
    case $name in
    dev-manuals)
        corpus=$(bash .ci/dev-corpus.sh) || fail "no dev-manuals corpus (see above)"
        gate dev-manuals "$SHARED/eval/dev-manuals.jsonl" "$corpus" "$MIN_RECALL_DEV_MANUALS"
        ;;
    dev-ja)
        gate dev-ja "$SHARED/eval/dev-ja.jsonl" "$SHARED/corpus/seeds-ja" "$MIN_RECALL_DEV_JA"
        ;;
    *) fail "unknown QA set $name (dev-manuals, dev-ja)" ;;
    esac
done
echo "eval gate: passed" >&2
