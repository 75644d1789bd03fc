#!/usr/bin/env bash
# Lint, type-check, start the real test servers (PostgreSQL, vLLM), then run every test.
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
python3 -m pytest -q -p no:cacheprovider "$@"
