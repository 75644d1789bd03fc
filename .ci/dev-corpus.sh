#!/usr/bin/env bash
# The dev-manuals corpus, fetched once from Debian's archive into the CI cache (needs root and
# apt; ../shared/corpus/fetch-dev-manuals.sh). Prints its folder; the tests on its PDFs and the
# eval gate both read it.
#
#   cache: $KOTAE_CI_CACHE, default ~/.cache/kotae-ci
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=$(cd .. && pwd)/shared
CACHE=${KOTAE_CI_CACHE:-$HOME/.cache/kotae-ci}
mkdir -p "$CACHE"
bash "$SHARED/corpus/fetch-dev-manuals.sh" "$CACHE/dev-manuals-corpus" || {
    echo "could not fetch the dev-manuals corpus with $SHARED/corpus/fetch-dev-manuals.sh" \
        "(it needs root, apt-get and Debian's package archive; its messages are above)." \
        "CI does not skip: fix the fetch or run it by hand into $CACHE/dev-manuals-corpus." >&2
    exit 1
}
