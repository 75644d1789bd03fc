#!/usr/bin/env bash
# Lint, type-check, prepare the real vLLM test server, then run every test (slow ones too).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m mypy
bash .ci/vllm.sh
python3 -m pytest -q -p no:cacheprovider "$@"
