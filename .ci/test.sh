#!/usr/bin/env bash
# Lint, type-check, start the real test servers (PostgreSQL, vLLM), install Tesseract and fetch
# the dev-manuals corpus (the OCR tests read its PDFs), then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m mypy
bash docker/validate.sh
KOTAE_TEST_DATABASE_URL=$(bash .ci/postgres.sh)
export KOTAE_TEST_DATABASE_URL KOTAE_REQUIRE_POSTGRES=1 KOTAE_REQUIRE_VLLM=1
bash .ci/vllm.sh
bash .ci/browser.sh
bash .ci/tesseract.sh
KOTAE_DEV_MANUALS_DIR=$(bash .ci/dev-corpus.sh)
export KOTAE_DEV_MANUALS_DIR KOTAE_REQUIRE_OCR=1 KOTAE_REQUIRE_DEV_MANUALS=1
python3 -m pytest -q -p no:cacheprovider "$@"
