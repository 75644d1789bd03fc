#!/usr/bin/env bash
# Debian's Tesseract with its Japanese data (OCR of PDF pages without a usable text layer), and
# the Japanese font the OCR tests draw their scanned pages with.
set -euo pipefail
missing=()
for package in tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert fonts-ipafont-gothic; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian's packages..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
