#!/usr/bin/env bash
# Debian's Chromium for the Playwright UI tests (no browser download: Playwright drives this one).
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Chromium from Debian's packages..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >&2
fi
